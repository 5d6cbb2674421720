"""Literal prefilters for regexes, so a message only pays for the regexes that could match it.

From a pattern's parse tree we derive a set of literal strings at least one of which must occur
in any match (the idea behind RE2's prefilter). All of them go into the same Aho-Corasick pass
as the keywords; a regex whose literals are absent from the message is never run. A pattern
with no usable literal (e.g. only digit classes) is simply always run.
"""

from __future__ import annotations

import re
import re._constants as sre_constants  # type: ignore[import-not-found]
from typing import Any

from bot.engine.memo import Memo
from bot.engine.regex_tree import REPEATS, parse

# Parsing ~650 library patterns takes about a third of a second: remembered across starts (bot/engine/memo.py).
_LITERALS: Memo[frozenset[str] | None] = Memo("prefilter.required_literals")


def required_literals(pattern: str) -> frozenset[str] | None:
    """Literals one of which every match contains, or None when no such set can be derived."""
    return _LITERALS.get(pattern, lambda: _required_literals(pattern))


def _required_literals(pattern: str) -> frozenset[str] | None:
    try:
        data = parse(pattern)
    except re.error:
        return None
    found = _sequence(data, {})
    if not found or any(len(literal) == 1 and literal.isascii() for literal in found):
        return None  # a single Latin letter or digit is in most messages: running the regex is cheaper
    return frozenset(found)


_MAX_PRODUCT = 64  # adjacent alternatives are combined ("(让|要)(我|你)" -> 让我, 让你, 要我, 要你) up to this many


def _exact(items: list[tuple[Any, Any]]) -> set[str] | None:
    """Every string a piece of pattern can match, when it is only literals and alternatives."""
    strings = {""}
    pending = ""  # literal characters still to append to every string: a run costs one step, not one each
    for op, value in items:
        if op is sre_constants.LITERAL:
            pending += chr(value)
            continue
        if op is sre_constants.SUBPATTERN:
            inner = _exact(value[-1].data)
            if inner is None:
                return None
            options = inner
        elif op is sre_constants.BRANCH:
            options = set()
            for branch in value[1]:
                inner = _exact(branch.data)
                if inner is None:
                    return None
                options |= inner
        elif op is sre_constants.IN and all(kind is sre_constants.LITERAL for kind, _ in value):
            options = {chr(code) for _, code in value}
        else:
            return None
        strings = {prefix + pending + option for prefix in strings for option in options}
        pending = ""
        if len(strings) > _MAX_PRODUCT:
            return None
    return {prefix + pending for prefix in strings} if pending else strings


def _literal_only(op: Any, value: Any, known: dict[int, bool]) -> bool:
    """Whether a piece holds only literals and alternatives (else `_exact` gives None): checked once
    per group (`known`, by the group's identity during one pattern), before any string is built."""
    if op is sre_constants.LITERAL:
        return True
    if op is sre_constants.IN:
        return all(kind is sre_constants.LITERAL for kind, _ in value)
    if op is sre_constants.SUBPATTERN:
        groups = [value[-1]]
    elif op is sre_constants.BRANCH:
        groups = value[1]
    else:
        return False
    for group in groups:
        result = known.get(id(group))
        if result is None:
            result = known[id(group)] = all(
                inner is sre_constants.LITERAL or _literal_only(inner, item, known) for inner, item in group.data
            )
        if not result:
            return False
    return True


def _sequence(items: list[tuple[Any, Any]], known: dict[int, bool]) -> set[str] | None:
    candidates: list[set[str]] = []
    run: set[str] = {""}
    pending = ""  # literal characters still to append to every string of `run` (as in `_exact`)
    for op, value in items:
        if op is sre_constants.LITERAL:
            pending += chr(value)
            continue
        if pending:
            run = {prefix + pending for prefix in run}
            pending = ""
        exact = _exact([(op, value)]) if _literal_only(op, value, known) else None
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
            inner = _sequence(value[-1].data, known)
            if inner:
                candidates.append(inner)
        elif op is sre_constants.BRANCH:
            alternatives = [_sequence(branch.data, known) for branch in value[1]]
            if alternatives and all(alternatives):
                candidates.append(set().union(*(alt for alt in alternatives if alt)))
        elif op in REPEATS and value[0] >= 1:
            inner = _sequence(value[2].data, known)
            if inner:
                candidates.append(inner)
    if pending:
        run = {prefix + pending for prefix in run}
    if run != {""}:
        candidates.append(run)
    if not candidates:
        return None
    # The most selective choice: the set whose shortest literal is longest, then the smallest set.
    return max(candidates, key=lambda literals: (min(map(len, literals)), -len(literals)))
