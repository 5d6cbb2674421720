"""The regex pump: every library regex run against long adversarial strings, to catch slow ones.

Python's `re` backtracks and has no timeout; a pattern such as `\\d[\\d,]*元` costs time
quadratic in a run of digits (each start re-scans the rest of the run), and one ordinary long
message then stalls a worker for seconds. A fixed time limit would be flaky on a shared machine,
so the pump compares *growth*: the same adversarial string at two sizes (a quarter of the
message size limit, and the limit). Linear work grows about 4x; quadratic work grows about 16x.
A pattern is slow when the larger run takes long enough to measure (`floor_seconds`) AND it grows
more than `max_growth` times. Anything faster than the floor at the full size cannot be
super-linear in any way that matters (a quadratic regex costs milliseconds at 5,000 characters).

The strings are built from generic pieces (digit runs with separators, letters, spaces, CJK
currency units) and from the pattern's own literals and classes (repeated keywords, a keyword
followed by digits), which are what make real patterns backtrack.
"""

from __future__ import annotations

import re
import re._constants as sre_constants  # type: ignore[import-not-found]
import re._parser as sre_parser  # type: ignore[import-not-found]
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

DEFAULT_SIZE = 5000  # the service's default message size limit (ANTIFRAUD_MAX_MESSAGE_CHARS)
FLOOR_SECONDS = 0.002  # below this at full size, nothing to worry about
MAX_GROWTH = 10.0  # linear is ~4x for 4x the length; quadratic ~16x; between is a busy machine
_REPEATS = 3  # timings are the fastest of this many runs, which filters out a busy machine

# Generic pieces: runs of digits with the separators numbers carry, words, spaces, CJK units.
GENERIC_PIECES = (
    "1",
    "1,",
    "1.",
    "1 ",
    "1-",
    "1,1.",
    "a",
    "a ",
    "a1",
    "ab.",
    " ",
    "元",
    "1万",
    "的",
    "/",
    "%",
    "$1",
    "x.",
    "@",
    # What the normaliser sets aside and the address checks read: a mail header's lines, an app's banner, addresses.
    "From: a\n",
    "not in your contacts\n",
    "a@b.co ",
)


@dataclass(frozen=True, slots=True)
class PumpResult:
    """How one pattern did on its worst pump string."""

    pattern: str
    piece: str  # the repeated piece that made the string
    small_seconds: float
    large_seconds: float

    @property
    def growth(self) -> float:
        return self.large_seconds / max(self.small_seconds, 1e-9)

    def describe(self, size: int) -> str:
        return (
            f"super-linear on {self.piece!r} repeated: {self.small_seconds * 1000:.1f} ms at {size // 4} chars, "
            f"{self.large_seconds * 1000:.1f} ms at {size} chars ({self.growth:.0f}x for 4x the length); "
            "use possessive quantifiers (\\d++) or atomic groups, and anchor number runs with a look-behind"
        )


def _literal_runs(items: Iterable[tuple[Any, Any]], found: list[str]) -> None:
    """Every run of literal characters in a parse tree ("hacked", "视频"), and one character of each class."""
    run: list[str] = []
    for op, value in items:
        if op is sre_constants.LITERAL:
            run.append(chr(value))
            continue
        if run:
            found.append("".join(run))
            run = []
        if op is sre_constants.SUBPATTERN:
            _literal_runs(value[-1], found)
        elif op is sre_constants.BRANCH:
            for branch in value[1]:
                _literal_runs(branch, found)
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT):
            _literal_runs(value[2], found)
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            _literal_runs(value[1], found)
        elif op is sre_constants.ATOMIC_GROUP:
            _literal_runs(value, found)
        elif op is sre_constants.IN:
            for kind, item in value:
                if kind is sre_constants.LITERAL:
                    found.append(chr(item))
                    break
                if kind is sre_constants.RANGE:
                    found.append(chr(item[0]))
                    break
    if run:
        found.append("".join(run))


def pump_pieces(pattern: str, limit: int = 12) -> list[str]:
    """The pieces to repeat for one pattern: generic ones, then its own literals alone and with digits."""
    own: list[str] = []
    try:
        _literal_runs(sre_parser.parse(pattern), own)
    except re.error:
        return list(GENERIC_PIECES)
    pieces = list(GENERIC_PIECES)
    seen = set(pieces)
    for literal in sorted(set(own), key=lambda text: (-len(text), text))[:limit]:
        for piece in (literal, literal + " ", literal + "1", "1" + literal):
            if piece not in seen:
                seen.add(piece)
                pieces.append(piece)
    return pieces


def pump_string(piece: str, size: int) -> str:
    """`piece` repeated to `size` characters."""
    return (piece * (size // len(piece) + 1))[:size]


def _run(pattern: re.Pattern[str], text: str) -> None:
    for _ in pattern.finditer(text):
        pass


def _fastest(pattern: re.Pattern[str], text: str, clock: Callable[[], float], repeats: int = _REPEATS) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = clock()
        _run(pattern, text)
        best = min(best, clock() - start)
    return best


def pump(
    pattern: str,
    size: int = DEFAULT_SIZE,
    floor_seconds: float = FLOOR_SECONDS,
    max_growth: float = MAX_GROWTH,
    clock: Callable[[], float] = time.thread_time,
) -> PumpResult | None:
    """The first pump string on which `pattern` grows super-linearly, or None when it stays linear. Timed in
    this thread's CPU time, not on the wall clock: on a busy machine (the test suite runs on two workers beside a
    browser and Redis) a thread waiting for a core would otherwise look like a regex taking longer."""
    compiled = re.compile(pattern)
    for piece in pump_pieces(pattern):
        large = pump_string(piece, size)
        start = clock()
        _run(compiled, large)
        if clock() - start < floor_seconds:
            continue  # too fast to be super-linear at this size
        large_seconds = _fastest(compiled, large, clock)
        if large_seconds < floor_seconds:
            continue
        small_seconds = _fastest(compiled, pump_string(piece, size // 4), clock)
        result = PumpResult(pattern, piece, small_seconds, large_seconds)
        if result.growth > max_growth:
            # Confirm with more runs before failing: a timer tick or a busy core can fake growth.
            small_seconds = _fastest(compiled, pump_string(piece, size // 4), clock, _REPEATS * 3)
            large_seconds = _fastest(compiled, large, clock, _REPEATS * 3)
            result = PumpResult(pattern, piece, small_seconds, large_seconds)
            if result.growth > max_growth:
                return result
    return None


def library_patterns(library: Any) -> Iterator[tuple[str, str, str]]:
    """(entry, language, pattern) for every regex of the library's signals and rules."""
    for signal in library.signals.signals:
        for lang, patterns in signal.regex.items():
            for pattern in patterns:
                yield f"signal.{signal.id}", lang, pattern
    for scam_type in library.types:
        for rule in scam_type.rules:
            for lang, patterns in rule.regex.items():
                for pattern in patterns:
                    yield f"{scam_type.id}.rules.{rule.id}", lang, pattern


def slow_patterns(library: Any, size: int = DEFAULT_SIZE) -> list[str]:
    """One message per library regex that grows super-linearly: `antifraud validate` fails on any."""
    problems = []
    for entry, lang, pattern in library_patterns(library):
        result = pump(pattern, size)
        if result is not None:
            problems.append(f"{entry} ({lang}) regex {pattern!r}: {result.describe(size)}")
    return problems
