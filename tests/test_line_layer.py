"""The line layer names the scammer line or rebuttal a message retells in other words, as evidence that
quotes the citizen's own sentence and says it is a learned reading. A retelling it is sure of counts as
much as the line said word for word; ordinary messages are left as they were."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from bot.engine.pipeline import Engine
from bot.engine.training import line_rows
from bot.engine.types import Risk
from bot.library.lint import library_warnings
from bot.library.loader import load_library

# Retellings written for this test (not from tests/paraphrases, the blind set): entry, language, text.
RETOLD = [
    (
        "card_renting.lines.idle_card_for_cash",
        "en",
        "a man on facebook said since I never use my savings account he would borrow it for seven days and hand"
        " me 300 dollars",
    ),
    (
        "fake_authority.rebuttals.foreign_number",
        "en",
        "when I asked why the caller ID showed a foreign number he said it was just the code their computer system"
        " displays",
    ),
    ("fake_authority.lines.id_card_involved", "zh", "对方说我的身份证被人拿去办了银行卡，牵扯到一起洗钱大案"),
    ("overseas_job.lines.passport_for_visa", "zh", "中介说到了那边护照要交给公司保管，工作签证公司统一帮我们办"),
]
ORDINARY = [
    "See you at 7 for dinner, I'll bring the kids",
    "周末一起去爬山吗？天气预报说是晴天",
    "Your Royal Mail parcel was delivered to your safe place at 14:02. Track it in the app.",
    "【工商银行】您尾号1234的账户于12月3日支出人民币58.00元，余额2,301.55元。",
    "Police warning: officers will never ask you to move money to a safe account. Hang up and call 159 if in doubt.",
    # Short everyday texts that look like a line's words ("I'm in a meeting, can't talk") but say nothing more.
    "call me when ur free",
    "sorry cant talk in a meeting, text u after",
    "Send a pic",
]


@pytest.mark.parametrize(("entry", "lang", "text"), RETOLD)
def test_a_line_retold_in_other_words_is_named_with_the_citizens_sentence(
    engine: Engine, entry: str, lang: str, text: str
) -> None:
    verdict = engine.analyse(text)
    named = [item for item in verdict.evidence if item.entry == entry]
    assert named, [item.entry for item in verdict.evidence]
    learned = engine.library.settings.templates.learned_line_why[lang].split("{")[0]
    for item in named:
        # The citizen's sentence, less any words rules or lines already quote (test below); the learned scam
        # layer's word hints are weighed after it and never shorten it.
        others = [o for o in verdict.evidence if o is not item and o.weight > 0 and o.kind != "model"]
        assert text[item.span[0] : item.span[1]] == item.text and (len(item.text) >= len(text) // 2 or others)
        assert item.why.startswith(learned)


@pytest.mark.parametrize(("entry", "lang", "text"), [row for row in RETOLD if row[1] == "en"])
def test_a_retelling_the_layer_is_sure_of_counts_like_the_line_itself(
    engine: Engine, entry: str, lang: str, text: str
) -> None:
    rules_only = Engine(dataclasses.replace(engine.library, line_model=None, model=None))
    assert not rules_only.analyse(text).risk.flagged  # no rule word says it: only the learned layers find it
    without = Engine(dataclasses.replace(engine.library, line_model=None))
    verdict = engine.analyse(text)
    assert verdict.risk.flagged
    assert verdict.score > without.analyse(text).score  # the named line adds its points to the scam layer's
    assert sum(item.weight for item in verdict.evidence if item.entry == entry) == pytest.approx(
        engine.library.settings.fuzzy.line_points
    )


def test_a_retold_isolation_line_is_shown_but_never_decides_alone(engine: Engine) -> None:
    """Every script isolates its victim; "stay on the line, tell no one" retold names no scam type by itself."""
    learned = engine.library.settings.learned
    assert learned is not None and "isolation" in learned.line_shown_only_stages
    verdict = engine.analyse("he told me not to tell my family and to stay on the line")
    assert not verdict.risk.flagged
    assert not any(item.kind in ("script_line", "rebuttal") and item.weight > 0 for item in verdict.evidence)


def test_a_retold_line_quotes_words_no_other_evidence_quotes(engine: Engine) -> None:
    """The page merges overlapping quotes: a learned reading of a whole sentence must not swallow the citizen's
    exact words that rules already quote ("money laundering", "safe account")."""
    text = (
        "Hello, this is the police. Your bank account is linked to money laundering. Transfer your savings to a"
        " safe account now and do not tell your family"
    )
    verdict = engine.analyse(text)
    learned = engine.library.settings.templates.learned_line_why["en"].split("{")[0]
    retold = [item for item in verdict.evidence if item.why.startswith(learned)]
    # (the learned scam layer's word hints are weighed after, and may share words with anything)
    others = [
        item
        for item in verdict.evidence
        if not item.why.startswith(learned) and item.weight > 0 and item.kind != "model"
    ]
    assert any(item.text == "money laundering" for item in others)
    for item in retold:
        assert item.text.strip()
        assert not any(o.span[0] < item.span[1] and item.span[0] < o.span[1] for o in others), (item, others)


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_messages_and_reminders_are_left_as_they_were(engine: Engine, text: str) -> None:
    without = Engine(dataclasses.replace(engine.library, line_model=None))
    on, off = engine.analyse(text), without.analyse(text)
    assert (on.risk, on.score, on.scam_type, on.evidence) == (off.risk, off.score, off.scam_type, off.evidence)


def test_a_message_with_nothing_risky_gets_no_line_named(engine: Engine) -> None:
    for text in ("See you at 7 for dinner, I'll bring the kids", "周末一起去爬山吗？天气预报说是晴天"):
        verdict = engine.analyse(text)
        assert verdict.risk is Risk.NONE
        assert not any(item.kind in ("script_line", "rebuttal") for item in verdict.evidence)


def test_a_line_layer_out_of_step_with_the_library_is_a_strict_validation_failure(library_copy: Path) -> None:
    """A removed line is never named (the engine skips it) and the service still starts, but `antifraud
    validate --strict` (in CI) asks for the layer to be retrained."""
    from bot.cli import main

    path = library_copy / "types" / "fake_authority.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("  - id: id_card_involved"))
    lines[start] = lines[start].replace("id_card_involved", "id_card_named")
    path.write_text("".join(lines), encoding="utf-8")
    copy = load_library(library_copy, library_copy.parent / "faq")
    warnings = library_warnings(copy)
    assert any(
        "names entries the library does not have (1: fake_authority.lines.id_card_involved)" in w for w in warnings
    )
    assert any("does not know (1: fake_authority.lines.id_card_named)" in w for w in warnings)
    verdict = Engine(copy).analyse(RETOLD[2][2])
    assert "fake_authority.lines.id_card_involved" not in {item.entry for item in verdict.evidence}
    assert main(["validate", str(library_copy), "--strict", "--pump-size", "0"]) == 1


def test_a_retelling_of_an_unknown_entry_is_refused_with_its_file_and_line(tmp_path: Path) -> None:
    retellings = tmp_path / "retold.jsonl"
    retellings.write_text(
        json.dumps({"entry": "a.lines.b", "text": "ok"})
        + "\n"
        + json.dumps({"entry": "x.lines.y", "text": "t"})
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"retold\.jsonl:2"):
        line_rows([("a.lines.b", ["wording"])], [retellings], str.lower)


def test_the_shipped_line_layer_ranks_library_entries_never_the_ordinary_class(engine: Engine) -> None:
    line_model = engine.library.line_model
    assert line_model is not None
    folded = engine.normaliser.normalise(RETOLD[0][2]).text
    ranking = line_model.ranked(folded, 5)
    ranked = ranking.best
    assert ranked[0][0] == RETOLD[0][0]
    assert all(entry in engine.fuzzy.entries for entry, _ in ranked)
    probabilities = [probability for _, probability in ranked]
    assert probabilities == sorted(probabilities, reverse=True) and sum(probabilities) + ranking.benign <= 1.0 + 1e-9
