"""Library regexes compiled on first use, and the window around a literal a regex needs to look at.

Compiling all ~700 library regexes takes about a third of a second, most of an engine's start-up;
a message triggers a dozen of them, so each is compiled the first time a message needs it (a
`antifraud check` compiles only those). Compiling twice from two threads is harmless.

A regex with a literal prefilter is run only near the occurrences of the literal that triggered
it: a match containing the literal cannot start more than the pattern's maximum width before it
nor end more than that width after it. Unbounded patterns (`\\d+`, `\\w*`) are given `MAX_REACH`
characters on each side: a match longer than that is not a sentence anyone writes. Patterns
anchored to the start or end of the text (`^`, `$`) keep looking at the whole text.
"""

from __future__ import annotations

import re
import re._constants as sre_constants  # type: ignore[import-not-found]
import re._parser as sre_parser  # type: ignore[import-not-found]
from collections.abc import Iterable
from typing import Any

from bot.engine.regex_tree import REPEATS, FastParser, Unsupported

MAX_REACH = 256  # characters a match may extend from its triggering literal, for unbounded patterns
LOOKAROUND_SLACK = 32  # room for look-aheads and \b past a match's end, so windows change no result
WHOLE_TEXT = -1  # reach of an anchored pattern

_ANCHORS = frozenset(
    {sre_constants.AT_BEGINNING, sre_constants.AT_BEGINNING_STRING, sre_constants.AT_END, sre_constants.AT_END_STRING}
)


def _anchored(items: Iterable[tuple[Any, Any]]) -> bool:
    for op, value in items:
        if op is sre_constants.LITERAL:  # most items: nothing to look into
            continue
        if op is sre_constants.AT and value in _ANCHORS:
            return True
        if op is sre_constants.SUBPATTERN and _anchored(value[-1].data):
            return True
        if op is sre_constants.BRANCH and any(_anchored(branch.data) for branch in value[1]):
            return True
        if op in REPEATS and _anchored(value[2].data):
            return True
        if op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT) and _anchored(value[1].data):
            return True
        if op is sre_constants.ATOMIC_GROUP and _anchored(value.data):
            return True
    return False


_UNITS = frozenset({sre_constants.LITERAL, sre_constants.NOT_LITERAL, sre_constants.IN, sre_constants.ANY})


def _reach_width(items: list[tuple[Any, Any]]) -> int:
    """The longest match of a `FastParser` tree up to MAX_REACH, all a reach needs: `re._parser`'s
    `getwidth()[1]` capped (each step only adds or multiplies, so capping at every level changes nothing
    below the cap; the tree holds no group references, so it needs no group widths)."""
    width = 0
    for op, value in items:
        if op in _UNITS:
            width += 1
        elif op is sre_constants.SUBPATTERN:
            width += _reach_width(value[-1].data)
        elif op is sre_constants.BRANCH:
            width += max(_reach_width(branch.data) for branch in value[1])
        elif op in REPEATS:
            width += _reach_width(value[2].data) * value[1]
    return min(width, MAX_REACH)


def reach_of(source: str) -> int:
    """How far from its literal a match can reach: the maximum width (capped), or WHOLE_TEXT."""
    try:
        items = FastParser(source).parse()
        width = _reach_width(items)
    except Unsupported:
        parsed = sre_parser.parse(source)
        items, width = parsed.data, parsed.getwidth()[1]
    if _anchored(items):
        return WHOLE_TEXT
    return min(int(width), MAX_REACH) + LOOKAROUND_SLACK


def _scan_pattern(source: str) -> re.Pattern[str] | None:
    """The pattern without its leading word boundary, when it has one: every place the pattern matches,
    this matches too, and `re` finds this one's candidates in C (it skips to a possible first character;
    a pattern starting with `\\b` is tried at every position). None when there is nothing to drop."""
    if not source.startswith("\\b") or source[2:3] in ("", "*", "+", "?", "{"):
        return None
    try:
        return re.compile(source[2:])
    except re.error:
        return None


# Characters a search must cover before `LazyPattern.first` scans for its candidates: below this (a
# short message) a plain search costs as little, and the scan pattern is never compiled.
SCAN_FROM = 256


class LazyPattern:
    """A regex compiled the first time it is used; `reach` is computed then too."""

    __slots__ = ("_compiled", "_reach", "_scan", "_scan_known", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._compiled: re.Pattern[str] | None = None
        self._reach: int | None = None
        self._scan: re.Pattern[str] | None = None
        self._scan_known = False  # whether `_scan` has been worked out

    @property
    def compiled(self) -> re.Pattern[str]:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self.source)
        return compiled

    @property
    def ready(self) -> bool:
        """Whether what is done once for every message (compiling, the reach) has been done."""
        return self._compiled is not None and self._reach is not None

    def prepare(self) -> None:
        """Do the once-only work now: compile the regex and work out its reach (and its scan pattern)."""
        _ = self.compiled, self.reach
        if not self._scan_known:
            self._scan = _scan_pattern(self.source)
            self._scan_known = True

    @property
    def reach(self) -> int:
        reach = self._reach
        if reach is None:
            reach = self._reach = reach_of(self.source)
        return reach

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> re.Match[str] | None:
        return self.compiled.search(text, pos, len(text) if endpos is None else endpos)

    def first(self, text: str, pos: int, endpos: int) -> re.Match[str] | None:
        """`search(text, pos, endpos)`, the same match, found faster over a long stretch for a pattern
        starting with `\\b`: the places the pattern without it matches are scanned for in C and the
        pattern is tried at each (a match at a position is what `search` returns when no earlier
        position matches)."""
        compiled = self.compiled
        if endpos - pos < SCAN_FROM or not 0 <= pos <= endpos <= len(text):  # (`re` clamps other bounds)
            return compiled.search(text, pos, endpos)
        if not self._scan_known:
            self._scan = _scan_pattern(self.source)
            self._scan_known = True
        scan = self._scan
        if scan is None:
            return compiled.search(text, pos, endpos)
        match_at, find = compiled.match, scan.search
        while pos <= endpos:
            candidate = find(text, pos, endpos)
            if candidate is None:
                return None
            pos = candidate.start()
            found = match_at(text, pos, endpos)
            if found is not None:
                return found
            pos += 1
        return None


def windows_around(spans: Iterable[tuple[int, int]], reach: int, length: int) -> list[tuple[int, int]]:
    """Merged stretches of the text within `reach` of each (start, end) span, in order."""
    if reach == WHOLE_TEXT:
        return [(0, length)]
    # Merged first, cut to the text after: clamping both edges to [0, length] changes no merge (a
    # window past the end reaches every later start; one before the start is before every later
    # end), and the loop over a long text's thousands of spans does no clamping.
    windows: list[tuple[int, int]] = []
    last_start = last_end = 0
    for span_start, span_end in sorted(spans):
        start = span_start - reach
        if windows and start <= last_end:
            if span_end + reach > last_end:
                last_end = span_end + reach
        else:
            if windows:
                windows[-1] = (last_start, last_end)
            last_start, last_end = start, span_end + reach
            windows.append((start, last_end))
    if not windows:
        return windows
    windows[-1] = (last_start, last_end)
    first_start, first_end = windows[0]
    windows[0] = (max(first_start, 0), first_end)
    if last_end > length:  # only the last window can end past the text
        windows[-1] = (windows[-1][0], length)
    return windows
