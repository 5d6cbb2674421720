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

MAX_REACH = 256  # characters a match may extend from its triggering literal, for unbounded patterns
LOOKAROUND_SLACK = 32  # room for look-aheads and \b past a match's end, so windows change no result
WHOLE_TEXT = -1  # reach of an anchored pattern

_ANCHORS = frozenset(
    {sre_constants.AT_BEGINNING, sre_constants.AT_BEGINNING_STRING, sre_constants.AT_END, sre_constants.AT_END_STRING}
)


def _anchored(items: Iterable[tuple[Any, Any]]) -> bool:
    for op, value in items:
        if op is sre_constants.AT and value in _ANCHORS:
            return True
        if op is sre_constants.SUBPATTERN and _anchored(value[-1]):
            return True
        if op is sre_constants.BRANCH and any(_anchored(branch) for branch in value[1]):
            return True
        if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT) and _anchored(
            value[2]
        ):
            return True
        if op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT) and _anchored(value[1]):
            return True
        if op is sre_constants.ATOMIC_GROUP and _anchored(value):
            return True
    return False


def reach_of(source: str) -> int:
    """How far from its literal a match can reach: the maximum width (capped), or WHOLE_TEXT."""
    parsed = sre_parser.parse(source)
    if _anchored(parsed):
        return WHOLE_TEXT
    return min(int(parsed.getwidth()[1]), MAX_REACH) + LOOKAROUND_SLACK


class LazyPattern:
    """A regex compiled the first time it is used; `reach` is computed then too."""

    __slots__ = ("_compiled", "_reach", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._compiled: re.Pattern[str] | None = None
        self._reach: int | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self.source)
        return compiled

    @property
    def reach(self) -> int:
        reach = self._reach
        if reach is None:
            reach = self._reach = reach_of(self.source)
        return reach

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> re.Match[str] | None:
        return self.compiled.search(text, pos, len(text) if endpos is None else endpos)


def windows_around(spans: Iterable[tuple[int, int]], reach: int, length: int) -> list[tuple[int, int]]:
    """Merged stretches of the text within `reach` of each (start, end) span, in order."""
    if reach == WHOLE_TEXT:
        return [(0, length)]
    windows: list[tuple[int, int]] = []
    for span_start, span_end in sorted(spans):
        start, end = max(0, span_start - reach), min(length, span_end + reach)
        if windows and start <= windows[-1][1]:
            if end > windows[-1][1]:
                windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows
