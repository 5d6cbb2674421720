"""`re._parser`'s parse tree, built several times faster for the syntax library patterns use.

Deriving a regex's prefilter (bot/engine/prefilter.py) and its reach (bot/engine/patterns.py) reads
its parse tree; `re._parser` reads a pattern one character at a time through Python method calls,
which was most of building a large library's engine (65,000 patterns at 100x). `FastParser` reads
plain text in one C-level match and builds the same tree (the same items, the same optimisations:
common prefixes moved out of a branch, single characters merged into a set, non-capturing groups
inlined), checked item for item against `re._parser` on every library pattern and on random ones
(the tests). Syntax it does not read raises `Unsupported`, and `parse` asks `re._parser` instead.
"""

from __future__ import annotations

import re
import re._constants as sre_constants  # type: ignore[import-not-found]
import re._parser as sre_parser  # type: ignore[import-not-found]
from itertools import repeat
from typing import Any

REPEATS = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT)


def parse(pattern: str) -> list[tuple[Any, Any]]:
    """The items of `re._parser.parse(pattern)` (its `data`); raises `re.error` as it does."""
    try:
        return FastParser(pattern).parse()
    except Unsupported:
        return list(sre_parser.parse(pattern).data)


class Unsupported(Exception):
    """The pattern uses syntax the fast parser leaves to `re._parser` (or is invalid)."""


class _Seq:
    """A parsed sequence: `re._parser.SubPattern` as far as the derivation reads it (its `data`)."""

    __slots__ = ("data",)

    def __init__(self, data: list[tuple[Any, Any]]) -> None:
        self.data = data


_SPECIAL = frozenset(".\\[{()*+?^$|")
_PLAIN_RUN = re.compile(r"[^.\\\[{()*+?^$|]+")
# Alternatives that are all plain text ("(won|win|prize)"), the commonest group: read in one match.
_PLAIN_ALTERNATIVES = re.compile(r"[^.\\\[{()*+?^$|]*(?:\|[^.\\\[{()*+?^$|]*)+(?=\)|\Z)")
_BRACES = re.compile(r"\{([0-9]*)(?:(,)([0-9]*))?\}")
_ESCAPES = {"\\a": 7, "\\f": 12, "\\n": 10, "\\r": 13, "\\t": 9, "\\v": 11, "\\\\": ord("\\")}
_CATEGORIES = {
    "\\d": sre_constants.CATEGORY_DIGIT,
    "\\D": sre_constants.CATEGORY_NOT_DIGIT,
    "\\s": sre_constants.CATEGORY_SPACE,
    "\\S": sre_constants.CATEGORY_NOT_SPACE,
    "\\w": sre_constants.CATEGORY_WORD,
    "\\W": sre_constants.CATEGORY_NOT_WORD,
}
_AT_ESCAPES = {
    "\\A": sre_constants.AT_BEGINNING_STRING,
    "\\b": sre_constants.AT_BOUNDARY,
    "\\B": sre_constants.AT_NON_BOUNDARY,
    "\\Z": sre_constants.AT_END_STRING,
}
_ASSERTIONS = {"(?=": (sre_constants.ASSERT, 1), "(?!": (sre_constants.ASSERT_NOT, 1)}
_LOOKBEHINDS = {"(?<=": (sre_constants.ASSERT, -1), "(?<!": (sre_constants.ASSERT_NOT, -1)}


class FastParser:
    """`re._parser.parse` for the syntax library patterns use (literals, classes, groups, look-arounds,
    quantifiers), producing the same tree several times faster: plain runs are read by one C-level
    match. Anything else (flags, named groups, back-references, numeric escapes, errors) raises
    `Unsupported` so the caller asks `re._parser`."""

    __slots__ = ("groups", "pattern", "pos")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.pos = 0
        self.groups = 1

    def parse(self) -> list[tuple[Any, Any]]:
        data = self._alternation().data
        if self.pos != len(self.pattern):
            raise Unsupported  # an unbalanced ")"
        return data

    def _alternation(self) -> _Seq:
        """`re._parser._parse_sub`: common first items move out of the branch; single characters
        and sets become one set."""
        pattern = self.pattern
        plain = _PLAIN_ALTERNATIVES.match(pattern, self.pos)
        if plain is not None:
            self.pos = plain.end()
            items = [
                _Seq(list(zip(repeat(sre_constants.LITERAL), map(ord, word)))) for word in plain.group().split("|")
            ]
        else:
            items = [self._sequence()]
            while self.pos < len(pattern) and pattern[self.pos] == "|":
                self.pos += 1
                items.append(self._sequence())
        if len(items) == 1:
            return items[0]
        data: list[tuple[Any, Any]] = []
        while all(item.data for item in items) and all(item.data[0] == items[0].data[0] for item in items[1:]):
            prefix = items[0].data[0]
            for item in items:
                del item.data[0]
            data.append(prefix)
        members: list[tuple[Any, Any]] = []
        for item in items:
            if len(item.data) != 1:
                break
            op, value = item.data[0]
            if op is sre_constants.LITERAL:
                members.append((op, value))
            elif op is sre_constants.IN and value[0][0] is not sre_constants.NEGATE:
                members.extend(value)
            else:
                break
        else:
            data.append((sre_constants.IN, list(dict.fromkeys(members))))
            return _Seq(data)
        data.append((sre_constants.BRANCH, (None, items)))
        return _Seq(data)

    def _sequence(self) -> _Seq:
        """`re._parser._parse`: items up to the next "|" or ")"."""
        pattern = self.pattern
        length = len(pattern)
        data: list[tuple[Any, Any]] = []
        inline = False  # holds a non-capturing group
        while self.pos < length:
            char = pattern[self.pos]
            if char not in _SPECIAL:
                run = _PLAIN_RUN.match(pattern, self.pos)
                assert run is not None
                data.extend(zip(repeat(sre_constants.LITERAL), map(ord, run.group())))
                self.pos = run.end()
            elif char == "|" or char == ")":
                break
            elif char == "\\":
                data.append(self._escape())
            elif char == "[":
                data.append(self._set())
            elif char == "(":
                group = self._group()
                inline = inline or (group[0] is sre_constants.SUBPATTERN and group[1][0] is None)
                data.append(group)
            elif char == ".":
                data.append((sre_constants.ANY, None))
                self.pos += 1
            elif char == "^":
                data.append((sre_constants.AT, sre_constants.AT_BEGINNING))
                self.pos += 1
            elif char == "$":
                data.append((sre_constants.AT, sre_constants.AT_END))
                self.pos += 1
            else:
                self._repeat(data)
        if inline:
            for index in range(len(data) - 1, -1, -1):  # a non-capturing group not repeated is inlined
                op, value = data[index]
                if op is sre_constants.SUBPATTERN and value[0] is None:
                    data[index : index + 1] = value[3].data
        return _Seq(data)

    def _escape(self) -> tuple[Any, Any]:
        escape = self.pattern[self.pos : self.pos + 2]
        self.pos += 2
        if escape in _AT_ESCAPES:
            return sre_constants.AT, _AT_ESCAPES[escape]
        if escape in _CATEGORIES:
            return sre_constants.IN, [(sre_constants.CATEGORY, _CATEGORIES[escape])]
        return self._literal_escape(escape)

    @staticmethod
    def _literal_escape(escape: str) -> tuple[Any, Any]:
        """An escaped character standing for itself (`\\.`, `\\n`); numeric escapes, unknown letters and
        a trailing backslash are left to `re._parser`."""
        if escape in _ESCAPES:
            return sre_constants.LITERAL, _ESCAPES[escape]
        if len(escape) != 2 or (escape[1].isascii() and escape[1].isalnum()):
            raise Unsupported
        return sre_constants.LITERAL, ord(escape[1])

    def _set_item(self) -> tuple[Any, Any]:
        """One member of a set, as `re._parser` reads it (a class escape keeps its `IN` wrapper)."""
        pattern = self.pattern
        char = pattern[self.pos : self.pos + 1]
        if char == "\\":
            escape = pattern[self.pos : self.pos + 2]
            self.pos += 2
            if escape in _CATEGORIES:
                return sre_constants.IN, [(sre_constants.CATEGORY, _CATEGORIES[escape])]
            return self._literal_escape(escape)
        if not char or (char in "-&~|" and pattern.startswith(char, self.pos + 1)):
            raise Unsupported  # unterminated, or a set operation Python warns about
        self.pos += 1
        return sre_constants.LITERAL, ord(char)

    def _set(self) -> tuple[Any, Any]:
        """`[...]`: one literal alone is that literal; a range needs literals at both ends."""
        pattern = self.pattern
        self.pos += 1
        if pattern.startswith("[", self.pos):
            raise Unsupported  # a possible nested set: Python warns
        negate = pattern.startswith("^", self.pos)
        self.pos += negate
        members: list[tuple[Any, Any]] = []
        while True:
            if pattern.startswith("]", self.pos) and members:
                self.pos += 1
                break
            first = self._set_item()
            if not pattern.startswith("-", self.pos):
                members.append(first[1][0] if first[0] is sre_constants.IN else first)
                continue
            self.pos += 1
            if pattern.startswith("]", self.pos):
                self.pos += 1
                members += [first[1][0] if first[0] is sre_constants.IN else first, (sre_constants.LITERAL, ord("-"))]
                break
            last = self._set_item()
            if first[0] is not sre_constants.LITERAL or last[0] is not sre_constants.LITERAL or last[1] < first[1]:
                raise Unsupported  # a bad range
            members.append((sre_constants.RANGE, (first[1], last[1])))
        members = list(dict.fromkeys(members))
        if len(members) == 1 and members[0][0] is sre_constants.LITERAL:
            return (sre_constants.NOT_LITERAL, members[0][1]) if negate else members[0]
        return sre_constants.IN, [(sre_constants.NEGATE, None), *members] if negate else members

    def _group(self) -> tuple[Any, Any]:
        """A capturing or non-capturing group, or a look-around; other extensions are left to `re._parser`."""
        pattern = self.pattern
        group: int | None = None
        if pattern.startswith("(?:", self.pos):
            self.pos += 3
        elif pattern.startswith("(?", self.pos):
            opening = pattern[self.pos : self.pos + 3]
            kind = _ASSERTIONS.get(opening)
            if kind is None:
                opening = pattern[self.pos : self.pos + 4]
                kind = _LOOKBEHINDS.get(opening)
            if kind is None:
                raise Unsupported
            self.pos += len(opening)
            inner = self._alternation()
            self._close()
            return kind[0], (kind[1], inner)
        else:
            self.pos += 1
            group = self.groups
            self.groups += 1
        inner = self._alternation()
        self._close()
        return sre_constants.SUBPATTERN, (group, 0, 0, inner)

    def _close(self) -> None:
        if not self.pattern.startswith(")", self.pos):
            raise Unsupported  # unterminated
        self.pos += 1

    def _repeat(self, data: list[tuple[Any, Any]]) -> None:
        """`?`, `*`, `+` or `{m,n}` (lazy `?` or possessive `+` after it) on the item before; a `{`
        that is no repeat is a literal."""
        pattern = self.pattern
        char = pattern[self.pos]
        if char == "{":
            braces = _BRACES.match(pattern, self.pos)
            if braces is None or braces.group() == "{}":
                data.append((sre_constants.LITERAL, ord("{")))
                self.pos += 1
                return
            low, comma, high = braces.groups()
            if not comma:
                high = low
            least = int(low) if low else 0
            most = int(high) if high else sre_constants.MAXREPEAT
            if least >= sre_constants.MAXREPEAT or (high and most >= sre_constants.MAXREPEAT) or most < least:
                raise Unsupported
            self.pos = braces.end()
        else:
            least, most = {"?": (0, 1), "*": (0, sre_constants.MAXREPEAT), "+": (1, sre_constants.MAXREPEAT)}[char]
            self.pos += 1
        if not data or data[-1][0] is sre_constants.AT or data[-1][0] in REPEATS:
            raise Unsupported  # nothing to repeat
        op, value = data[-1]
        item = _Seq(data[-1:])
        if op is sre_constants.SUBPATTERN and value[0] is None and not value[1] and not value[2]:
            item = value[3]
        kind = sre_constants.MAX_REPEAT
        if pattern.startswith("?", self.pos):
            kind = sre_constants.MIN_REPEAT
            self.pos += 1
        elif pattern.startswith("+", self.pos):
            kind = sre_constants.POSSESSIVE_REPEAT
            self.pos += 1
        data[-1] = (kind, (least, most, item))
