"""The regex prefilter only skips regexes that could not have matched, and runs a regex only when
each of its required literal sets is in the message."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine import prefilter
from bot.engine.normalise import LibraryFolding
from bot.engine.pipeline import Engine
from bot.engine.prefilter import derive_ahead, required_literal_sets
from bot.engine.rules import RuleMatcher
from bot.library.pump import library_patterns

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
def test_the_anchor_is_the_most_selective_set(pattern: str, literals: set[str] | None) -> None:
    found = required_literal_sets(pattern)
    assert (set(found[0]) if found is not None else None) == literals


@pytest.mark.parametrize(
    ("pattern", "sets"),
    [
        ("(转账|汇款)[^。]{0,10}安全账户", [{"安全账户"}, {"转账", "汇款"}]),
        # A copy pinned to its marker needs the marker as well as the original's words.
        (r"zqx1qz(?:\b(read|tell)\b[^.]{0,20}\bcode\b)", [{"zqx1qz"}, {"code"}, {"read", "tell"}]),
        (r"(?:pay|send)\s\d+ to (?:me|us)", [{" to me", " to us"}, {"pay", "send"}]),
        (r"资金.{0,4}资金", [{"资金"}]),  # the same set once
        (r"a\d+转账", [{"转账"}]),  # a single Latin letter is not worth checking
    ],
)
def test_every_required_set_is_found_the_likeliest_absent_first(pattern: str, sets: list[set[str]]) -> None:
    found = required_literal_sets(pattern)
    assert found is not None and [set(literals) for literals in found] == sets


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("让要我你转账钱 abcreadtlcod资金清查核")), max_size=30))
def test_a_match_always_contains_a_required_literal(text: str) -> None:
    import re

    for pattern in (
        "资金(进行|做)?(清查|核查)",
        r"(让|要)(我|你)转(账|钱)?",
        r"\b(read|tell)\b[^.]{0,20}\bcode\b",
        r"(让|要)[^。]{0,6}(转账|清查)",
    ):
        sets = required_literal_sets(pattern)
        assert sets is not None
        if re.search(pattern, text):
            assert all(any(literal in text for literal in literals) for literals in sets)


def test_prefiltered_matching_equals_running_every_regex(engine: Engine) -> None:
    # Every second corpus message (the corpus doubled to 29,000; every regex on each took a minute of the suite's
    # ten) and every rule's own examples.
    texts = [
        json.loads(line)["text"] for path in sorted(CORPUS.glob("*.jsonl")) for line in path.open(encoding="utf-8")
    ][::2]
    texts += [text for ref in engine.rules.refs for text in (*ref.rule.examples.match, *ref.rule.examples.no_match)]
    everything = list(range(engine.rules.regex_count))
    for text in texts:
        normalised = engine.normaliser.normalise(text)
        lang = engine.detect_language(normalised)
        filtered = sorted(engine.rules.match(normalised, lang).fired)
        assert filtered == sorted(engine.rules.match(normalised, lang, force_regexes=everything).fired), text


def test_a_regex_is_compiled_only_when_every_required_set_is_present(engine: Engine) -> None:
    matcher = RuleMatcher(engine.library, LibraryFolding(engine.normaliser))  # nothing compiled yet
    chosen = None
    for index, regex in enumerate(matcher._regexes):
        sets = required_literal_sets(regex.pattern.source) if regex.ref.scope == "text" else None
        if regex.script == "han" and sets is not None and len(sets) > 1 and index not in matcher._always:
            chosen = index, sets
            break
    assert chosen is not None
    index, sets = chosen
    lang = engine.library.settings.default_language
    anchor_only = engine.normaliser.normalise("。".join(["我们", sets[0][0], "好的"]))
    matcher.match(anchor_only, lang)
    assert matcher._regexes[index].pattern._compiled is None
    every_set = engine.normaliser.normalise("。".join(["我们", *(literals[0] for literals in sets), "好的"]))
    matcher.match(every_set, lang)
    assert matcher._regexes[index].pattern._compiled is not None


def test_a_common_literal_left_out_of_the_automaton_still_counts_for_its_set(engine: Engine) -> None:
    matcher = RuleMatcher(engine.library, LibraryFolding(engine.normaliser))  # nothing compiled yet
    searched = {literal for literals in matcher._searched.values() for literal in literals}
    assert searched, "the library's common literals are searched for, not in the automaton"
    lang = {"han": "zh", "latin": "en"}
    for index, regex in enumerate(matcher._regexes):
        sets = required_literal_sets(regex.pattern.source) if regex.ref.scope == "text" else None
        if sets is None or len(sets) < 2 or index in matcher._always or regex.script not in lang:
            continue
        common = next((literals for literals in sets[1:] if set(literals) <= searched), None)
        if common is None:
            continue
        others = [sets[0][0], *(literals[0] for literals in sets[1:] if literals != common)]
        without = engine.normaliser.normalise(" | ".join(others))
        if any(literal in without.text for literal in common):
            continue
        matcher.match(without, lang[regex.script])
        assert matcher._regexes[index].pattern._compiled is None
        matcher.match(engine.normaliser.normalise(" | ".join([*others, common[0]])), lang[regex.script])
        assert matcher._regexes[index].pattern._compiled is not None
        return
    pytest.fail("no regex needs a set of common literals only")


def _never_seen(engine: Engine) -> list[str]:
    """The library's regexes, each inside a group after a marker no earlier test used: new to the memo."""
    marker = f"zq{uuid.uuid4().hex}"
    return list(dict.fromkeys(f"{marker}(?:{pattern})" for _, _, pattern in library_patterns(engine.library)))


def test_a_large_librarys_sets_worked_out_by_helper_processes_are_those_worked_out_here(engine: Engine) -> None:
    patterns = _never_seen(engine)
    derive_ahead(patterns, workers=2, parallel_from=0)
    assert all(pattern in prefilter._LITERALS for pattern in patterns), "nothing is left to work out when asked"
    assert [required_literal_sets(pattern) for pattern in patterns] == [
        prefilter._required_literal_sets(pattern) for pattern in patterns
    ]


def test_a_helper_process_answers_its_share_in_order(engine: Engine) -> None:
    patterns = [*_never_seen(engine)[:50], r"\d{16}", "((unbalanced"]
    answer = subprocess.run(
        [sys.executable, "-m", "bot.engine.prefilter"],
        input=json.dumps(patterns).encode(),
        capture_output=True,
        check=True,
        timeout=60,
    )
    found = [None if sets is None else tuple(map(tuple, sets)) for sets in json.loads(answer.stdout)]
    assert found == [prefilter._required_literal_sets(pattern) for pattern in patterns]
    assert found[-2:] == [None, None], "no literal, and a pattern that does not compile: always run"


def test_a_small_library_starts_no_helper_process(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a helper process was started")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    patterns = _never_seen(engine)
    derive_ahead(patterns, workers=2)  # fewer than the default threshold
    assert not any(pattern in prefilter._LITERALS for pattern in patterns), "left to be worked out when asked"


def test_a_helper_that_cannot_start_leaves_its_share_to_be_worked_out_when_asked(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise OSError("no processes here")

    monkeypatch.setattr(subprocess, "Popen", fail)
    patterns = _never_seen(engine)
    derive_ahead(patterns, workers=2, parallel_from=0)
    worked_out_here = patterns[::2]
    assert all(pattern in prefilter._LITERALS for pattern in worked_out_here)
    assert not any(pattern in prefilter._LITERALS for pattern in patterns[1::2])
    assert required_literal_sets(patterns[1]) == prefilter._required_literal_sets(patterns[1])


@pytest.mark.parametrize("helper", ["/bin/false", "/bin/echo"])
def test_a_helper_that_fails_or_answers_nonsense_leaves_its_share_to_be_worked_out_when_asked(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, helper: str
) -> None:
    """A helper that exits at once without reading (`false`) or prints something that is no answer (`echo`): the
    build neither hangs nor takes its output; the share is worked out here when asked, the same as ever."""
    monkeypatch.setattr(sys, "executable", helper)
    patterns = _never_seen(engine)
    derive_ahead(patterns, workers=2, parallel_from=0)
    assert all(pattern in prefilter._LITERALS for pattern in patterns[::2])
    assert not any(pattern in prefilter._LITERALS for pattern in patterns[1::2])
    assert required_literal_sets(patterns[1]) == prefilter._required_literal_sets(patterns[1])
