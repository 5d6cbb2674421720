"""The fast parse tree is `re._parser`'s tree, item for item, so prefilters and reaches are unchanged."""

from __future__ import annotations

import re._parser as sre_parser  # type: ignore[import-not-found]
import warnings
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.patterns import MAX_REACH, WHOLE_TEXT, _reach_width, reach_of
from bot.engine.pipeline import Engine
from bot.engine.regex_tree import FastParser, Unsupported

# Pieces random patterns are made of: the syntax the fast parser reads, its edge cases (a "{" that is
# no repeat, "]" first in a set, ranges, common branch prefixes) and syntax it leaves to re._parser.
PIECES = [
    *"ab中文.^$|()[]{}*+?-,\\",
    *(r"\b", r"\d", r"\w", r"\S", r"\n", r"\.", r"\-", r"\]", r"\1", r"\x41", "\\中"),
    *("(?:", "(?=", "(?!", "(?<=", "(?<!", "(?P<n>", "(?i)", "(?>", "[^", "[]", "[-a]", "[a-]", "[a-c]"),
    *("{0,3}", "{2}", "{,4}", "{3,1}", "{}", "{1,}", "{1,2,3}", "*?", "++", "??"),
    *("(ab|ac)", "(a|b)", "(x|[yz])", r"(\d|\d)", "(|a)", "(?:ab|ab)", "[ab]", "[a]", r"[\d,]"),
]


def _shape(node: Any) -> Any:
    """A parse tree as plain values (SubPattern and the fast parser's sequence alike)."""
    if hasattr(node, "data"):
        return ("sequence", [_shape(item) for item in node.data])
    if isinstance(node, tuple | list):
        return type(node)(_shape(item) for item in node)
    return int(node) if isinstance(node, int) else node


def _same_tree(pattern: str) -> bool:
    """True when the fast parser reads the pattern (it must then give re._parser's tree), False when
    it leaves the pattern to re._parser."""
    try:
        fast = FastParser(pattern).parse()
    except Unsupported:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = sre_parser.parse(pattern)
    assert _shape(fast) == _shape(expected.data), pattern
    assert _reach_width(fast) == min(expected.getwidth()[1], MAX_REACH), pattern
    return True


def test_every_library_pattern_is_read_fast_and_identically(engine: Engine) -> None:
    patterns = {regex.pattern.source for regex in engine.rules._regexes}
    assert len(patterns) > 500
    assert all(_same_tree(pattern) for pattern in patterns)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=14))
def test_random_patterns_give_the_same_tree_or_are_left_to_re(pieces: list[str]) -> None:
    _same_tree("".join(pieces))  # a pattern re._parser rejects must be left to it: its error fails the test


@pytest.mark.parametrize(
    ("pattern", "reach"),
    [(r"^\d+", WHOLE_TEXT), (r"x(a|\b$)", WHOLE_TEXT), (r"a{2,}b", 288), (r"(a|bc)?d", 35), (r"x(?=y)", 33)],
)
def test_reach(pattern: str, reach: int) -> None:
    assert reach_of(pattern) == reach
