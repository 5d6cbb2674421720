"""Literal prefilters for regexes, so a message only pays for the regexes that could match it.

From a pattern's parse tree we derive a set of literal strings at least one of which must occur
in any match (the idea behind RE2's prefilter). All of them go into the same Aho-Corasick pass
as the keywords; a regex whose literals are absent from the message is never run. A pattern
with no usable literal (e.g. only digit classes) is simply always run.
"""

from __future__ import annotations

import re
import re._constants as sre_constants  # type: ignore[import-not-found]
import re._parser as sre_parser  # type: ignore[import-not-found]
from typing import Any

_REPEATS = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT)


def required_literals(pattern: str) -> frozenset[str] | None:
    """Literals one of which every match contains, or None when no such set can be derived."""
    try:
        parsed = sre_parser.parse(pattern)
    except re.error:
        return None
    found = _sequence(list(parsed))
    if not found or any(len(literal) == 1 and literal.isascii() for literal in found):
        return None  # a single Latin letter or digit is in most messages: running the regex is cheaper
    return frozenset(found)


_MAX_PRODUCT = 64  # adjacent alternatives are combined ("(让|要)(我|你)" -> 让我, 让你, 要我, 要你) up to this many


def _exact(items: list[tuple[Any, Any]]) -> set[str] | None:
    """Every string a piece of pattern can match, when it is only literals and alternatives."""
    strings = {""}
    for op, value in items:
        if op is sre_constants.LITERAL:
            options = {chr(value)}
        elif op is sre_constants.SUBPATTERN:
            inner = _exact(list(value[-1]))
            if inner is None:
                return None
            options = inner
        elif op is sre_constants.BRANCH:
            options = set()
            for branch in value[1]:
                inner = _exact(list(branch))
                if inner is None:
                    return None
                options |= inner
        elif op is sre_constants.IN and all(kind is sre_constants.LITERAL for kind, _ in value):
            options = {chr(code) for _, code in value}
        else:
            return None
        strings = {prefix + option for prefix in strings for option in options}
        if len(strings) > _MAX_PRODUCT:
            return None
    return strings


def _sequence(items: list[tuple[Any, Any]]) -> set[str] | None:
    candidates: list[set[str]] = []
    run: set[str] = {""}
    for op, value in items:
        exact = _exact([(op, value)])
        if exact is not None and "" not in exact:
            combined = {prefix + option for prefix in run for option in exact}
            if len(combined) <= _MAX_PRODUCT:
                run = combined
                continue
            candidates.append(run)
            run = exact
            continue
        if run != {""}:
            candidates.append(run)
        run = {""}
        if op is sre_constants.SUBPATTERN:
            inner = _sequence(list(value[-1]))
            if inner:
                candidates.append(inner)
        elif op is sre_constants.BRANCH:
            alternatives = [_sequence(list(branch)) for branch in value[1]]
            if alternatives and all(alternatives):
                candidates.append(set().union(*(alt for alt in alternatives if alt)))
        elif op in _REPEATS and value[0] >= 1:
            inner = _sequence(list(value[2]))
            if inner:
                candidates.append(inner)
    if run != {""}:
        candidates.append(run)
    if not candidates:
        return None
    # The most selective choice: the set whose shortest literal is longest, then the smallest set.
    return max(candidates, key=lambda literals: (min(map(len, literals)), -len(literals)))
