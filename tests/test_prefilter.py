"""The regex prefilter only skips regexes that could not have matched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.pipeline import Engine
from bot.engine.prefilter import required_literals

CORPUS = Path(__file__).parent / "corpus"


@pytest.mark.parametrize(
    ("pattern", "literals"),
    [
        ("资金(进行|做)?(清查|核查)", {"资金"}),
        (r"(让|要)(我|你)转", {"让我转", "让你转", "要我转", "要你转"}),
        (r"\b(read|tell)\b[^.]{0,20}\bcode\b", {"code"}),  # the most selective required part
        (r"(https?://|www\.)\S+", {"http", "www."}),
        (r"\d{16}", None),  # nothing literal: always run
        (r"abc|\d+", None),  # one alternative has no literal: always run
        (r"x?转账", {"转账"}),  # an optional part is not required
        (r"a\d+b", None),  # single Latin letters are in most messages: not worth a trigger
    ],
)
def test_required_literals(pattern: str, literals: set[str] | None) -> None:
    found = required_literals(pattern)
    assert (set(found) if found is not None else None) == literals


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("让要我你转账钱 abcreadtlcod资金清查核")), max_size=30))
def test_a_match_always_contains_a_required_literal(text: str) -> None:
    import re

    for pattern in ("资金(进行|做)?(清查|核查)", r"(让|要)(我|你)转(账|钱)?", r"\b(read|tell)\b[^.]{0,20}\bcode\b"):
        literals = required_literals(pattern)
        assert literals is not None
        if re.search(pattern, text):
            assert any(literal in text for literal in literals)


def test_prefiltered_matching_equals_running_every_regex(engine: Engine) -> None:
    texts = [json.loads(line)["text"] for path in CORPUS.glob("*.jsonl") for line in path.open(encoding="utf-8")]
    texts += [text for ref in engine.rules.refs for text in (*ref.rule.examples.match, *ref.rule.examples.no_match)]
    everything = list(range(engine.rules.regex_count))
    for text in texts:
        normalised = engine.normaliser.normalise(text)
        lang = engine.detect_language(normalised)
        filtered = sorted(engine.rules.match(normalised, lang).fired)
        assert filtered == sorted(engine.rules.match(normalised, lang, force_regexes=everything).fired), text
