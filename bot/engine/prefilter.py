"""Literal prefilters for regexes, so a message only pays for the regexes that could match it.

From a pattern's parse tree we derive sets of literal strings such that every match contains at
least one literal of each set (the idea behind RE2's prefilter): "(转账|汇款).{0,10}安全账户" needs
one of {转账, 汇款} and {安全账户}. All of them go into the same Aho-Corasick pass as the keywords; a
regex is compiled and run only when each of its sets has a literal in the message. The most
selective set is the regex's anchor: it is run only near the anchor's occurrences (patterns.py).
Checking every set, not only the anchor, matters for the regexes that share a common anchor: a
library's copies all pinned to their own marker ("zqx1qz(?:...in your name...)") would otherwise all
run on every message saying "in your name". A pattern with no usable literal (e.g. only digit
classes) is simply always run.
"""

from __future__ import annotations

import re
import re._constants as sre_constants  # type: ignore[import-not-found]
from collections.abc import Collection
from typing import Any

from bot.engine.memo import Memo
from bot.engine.regex_tree import REPEATS, parse

# Parsing ~650 library patterns takes about a third of a second: remembered across starts (bot/engine/memo.py).
# A set is a sorted tuple: one key for equal sets, and tuples of strings drop out of the garbage
# collector's tracking, where a 100x library's ~150,000 frozensets would be walked by every full collection.
LiteralSet = tuple[str, ...]
_LITERALS: Memo[tuple[LiteralSet, ...] | None] = Memo("prefilter.required_literals")


def required_literal_sets(pattern: str) -> tuple[LiteralSet, ...] | None:
    """Sets of literals (sorted) every match contains one of each, the anchor (most selective) first;
    None when no anchor can be derived (the regex is then always run)."""
    return _LITERALS.get(pattern, lambda: _required_literal_sets(pattern))


def _selectivity(literals: Collection[str]) -> tuple[int, int]:
    """How rarely a set is expected in a message: its shortest literal is longer, it has fewer literals."""
    return min(map(len, literals)), -len(literals)


def _common(literals: Collection[str]) -> bool:
    """A single Latin letter or digit is in most messages: such a set rules out nothing worth its hits."""
    return any(len(literal) == 1 and literal.isascii() for literal in literals)


def _required_literal_sets(pattern: str) -> tuple[LiteralSet, ...] | None:
    try:
        data = parse(pattern)
    except re.error:
        return None
    found = _sequence(data, {})
    if not found:
        return None
    # The anchor is the first most selective set (`max` keeps the first of equals).
    anchor = max(found, key=_selectivity)
    if _common(anchor):
        return None  # running the regex is cheaper than triggering it
    if len(found) == 1:
        return (tuple(sorted(anchor)),)
    others = {tuple(sorted(literals)) for literals in found if literals != anchor and not _common(literals)}
    # The likeliest to be absent first: a regex's check stops at the first set missing.
    return (
        tuple(sorted(anchor)),
        *sorted(others, key=lambda literals: (_selectivity(literals), literals), reverse=True),
    )


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


def _sequence(items: list[tuple[Any, Any]], known: dict[int, bool]) -> list[set[str]]:
    """Every set of literals a match of the sequence holds one of, in the pattern's order."""
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
            candidates.extend(_sequence(value[-1].data, known))
        elif op is sre_constants.BRANCH:
            # One set for the whole choice: each alternative's most selective set, together.
            alternatives = [_sequence(branch.data, known) for branch in value[1]]
            if alternatives and all(alternatives):
                candidates.append(set().union(*(max(alt, key=_selectivity) for alt in alternatives)))
        elif op in REPEATS and value[0] >= 1:
            candidates.extend(_sequence(value[2].data, known))
    if pending:
        run = {prefix + pending for prefix in run}
    if run != {""}:
        candidates.append(run)
    return candidates
