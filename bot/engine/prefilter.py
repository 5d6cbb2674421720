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

import contextlib
import json
import os
import re
import re._constants as sre_constants  # type: ignore[import-not-found]
import subprocess
import sys
import threading
from collections.abc import Collection, Iterable
from typing import Any

from bot.engine.memo import Memo
from bot.engine.regex_tree import REPEATS, parse

# Parsing ~650 library patterns takes about a third of a second: remembered across starts (bot/engine/memo.py).
# A set is a sorted tuple: one key for equal sets, and tuples of strings drop out of the garbage
# collector's tracking, where a 100x library's ~150,000 frozensets would be walked by every full collection.
LiteralSet = tuple[str, ...]
_LITERALS: Memo[tuple[LiteralSet, ...] | None] = Memo("prefilter.required_literals")
_PARALLEL_FROM = 5_000  # patterns never seen: fewer are worked out faster than worker processes start


def required_literal_sets(pattern: str) -> tuple[LiteralSet, ...] | None:
    """Sets of literals (sorted) every match contains one of each, the anchor (most selective) first;
    None when no anchor can be derived (the regex is then always run)."""
    return _LITERALS.get(pattern, lambda: _required_literal_sets(pattern))


def derive_ahead(patterns: Iterable[str], workers: int | None = None, parallel_from: int = _PARALLEL_FROM) -> None:
    """Work out the literal sets of the patterns never seen before on every processor, when there are
    enough of them to pay for starting a process: a large library's first build (100x: 84,000 patterns,
    most of the build when worked out one by one). Helper processes run this module on their share
    (not `multiprocessing`, which imports the caller's main script again in each). Otherwise, or when
    a helper cannot be started or fails, `required_literal_sets` works each one out when asked."""
    missing = [pattern for pattern in dict.fromkeys(patterns) if pattern not in _LITERALS]
    workers = workers or _available_cpus()
    if len(missing) < parallel_from or workers < 2:
        return
    shares = [missing[index::workers] for index in range(workers)]
    helpers = []
    for share in shares[1:]:
        try:
            helper = subprocess.Popen(
                [sys.executable, "-m", __name__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            continue  # this share is worked out when asked
        helpers.append((share, helper, threading.Thread(target=_send, args=(helper, share), daemon=True)))
        helpers[-1][2].start()
    for pattern in shares[0]:
        required_literal_sets(pattern)
    for share, helper, sender in helpers:
        sender.join()
        assert helper.stdout is not None
        output = helper.stdout.read()
        if helper.wait() != 0:
            continue
        try:
            found = json.loads(output)
        except ValueError:
            continue
        if not isinstance(found, list) or len(found) != len(share):
            continue
        for pattern, sets in zip(share, found, strict=True):
            value = None if sets is None else tuple(tuple(literals) for literals in sets)
            _LITERALS.put(pattern, value)


def _send(helper: subprocess.Popen[bytes], share: list[str]) -> None:
    """Its share to a helper, then end of input whatever happened: a helper left waiting for more would never answer."""
    assert helper.stdin is not None
    try:
        helper.stdin.write(json.dumps(share).encode())
    except OSError:
        pass  # a helper that died: its exit status says so
    finally:
        with contextlib.suppress(OSError):
            helper.stdin.close()


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _serve() -> None:
    """A helper of `derive_ahead`: patterns (a JSON list) in, their literal sets (a JSON list) out."""
    patterns = json.load(sys.stdin)
    json.dump([_required_literal_sets(pattern) for pattern in patterns], sys.stdout)


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


def _exact(items: list[tuple[Any, Any]], known: dict[int, set[str] | None]) -> set[str] | None:
    """Every string a piece of pattern can match, when it is only literals and alternatives (at most
    `_MAX_PRODUCT` of them), else None."""
    strings = {""}
    pending = ""  # literal characters still to append to every string: a run costs one step, not one each
    for op, value in items:
        if op is sre_constants.LITERAL:
            pending += chr(value)
            continue
        options = _item_strings(op, value, known)
        if options is None:
            return None
        strings = {prefix + pending + option for prefix in strings for option in options}
        pending = ""
        if len(strings) > _MAX_PRODUCT:
            return None
    return {prefix + pending for prefix in strings} if pending else strings


def _item_strings(op: Any, value: Any, known: dict[int, set[str] | None]) -> set[str] | None:
    """`_exact` of one item. A group's strings are worked out once per pattern (`known`, by the group's
    identity): `_sequence` asks again for every group inside one that is not exact."""
    if op is sre_constants.LITERAL:
        return {chr(value)}
    if op is sre_constants.IN:
        if not all(kind is sre_constants.LITERAL for kind, _ in value):
            return None
        options = {chr(code) for _, code in value}
        return options if len(options) <= _MAX_PRODUCT else None
    if op is sre_constants.SUBPATTERN:
        return _group_strings(value[-1], known)
    if op is sre_constants.BRANCH:
        options = set()
        for branch in value[1]:
            inner = _group_strings(branch, known)
            if inner is None:
                return None
            options |= inner
        return options if len(options) <= _MAX_PRODUCT else None
    return None


def _group_strings(group: Any, known: dict[int, set[str] | None]) -> set[str] | None:
    key = id(group)
    if key in known:
        return known[key]
    found = known[key] = _exact(group.data, known)
    return found


def _sequence(items: list[tuple[Any, Any]], known: dict[int, set[str] | None]) -> list[set[str]]:
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
        exact = _item_strings(op, value, known)
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


if __name__ == "__main__":
    _serve()
