"""Floors on our own labelled corpus (tests/corpus/, docs/corpus.md): scam messages of every type
in both languages and every channel, harmless look-alikes and ordinary messages. The library is
tuned on it and the learned layer trained on it, so these floors guard against regressions; the
honest estimate is tests/holdout. The floors go up, and down only for a stated trade (below)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.evaluate import Outcome, metrics, read_rows, run
from bot.engine.pipeline import Engine

CORPUS = Path(__file__).parent / "corpus"

# Raise these when the engine improves; never lower them to make a change pass. Lowered once, for a trade
# measured on the held-out and dev sets and stated in docs/evaluation.md: 0.98 -> 0.975 when the learned
# layer was retrained on the whole corpus (2026-12-05, ninth session; 0.976 after it, and recall at a fixed
# false-positive rate up on both honest sets).
FLOORS = {"scam_recall": 0.975, "type_accuracy": 0.90}
# 0.03 until 2026-12-04 evening, when 454 posts about scams (warnings, news, victims' stories) that had
# been filed as scams moved to the harmless side: the engine flags about a third of them.
CEILINGS = {"false_positive_rate": 0.035}  # 0.045 until the report layer (2026-12-05, eighth session)
# Written 2026-12-05 (eighth session) in the genres outside detectors miss most (obfuscated posts, fake
# base-station ads, pasted chat records, scam tweets, short unbranded lures, awareness posts on the
# harmless side), by helpers who saw neither the library nor the evaluation sets. Held to their own
# floors, measured after the session's rules (before them: en 0.856 / 20.4%, zh 0.947 / 8.7%).
LATER_BATCHES = {
    "scams_world5_en.jsonl": {"scam_recall": 0.93},
    "lookalike_world5_en.jsonl": {"false_positive_rate": 0.09},
    "scams_world5_zh.jsonl": {"scam_recall": 0.97},
    "lookalike_world5_zh.jsonl": {"false_positive_rate": 0.035},
    # A second round the same day, asked for the hardest real forms (chat fragments caught mid-scam, very
    # short texts, pinyin inside Chinese words, Cantonese); before this session's rules for them: en 0.873 /
    # 14.6%, zh 0.813 / 7.7%.
    "scams_world6_en.jsonl": {"scam_recall": 0.93},
    "lookalike_world6_en.jsonl": {"false_positive_rate": 0.12},
    "scams_world6_zh.jsonl": {"scam_recall": 0.88},
    "lookalike_world6_zh.jsonl": {"false_positive_rate": 0.05},
    # Phone calls written down (tenth session), genuine calls on the same topics on the harmless side; before
    # the session's rules and retraining: en 0.892 / 8.7%, zh 0.933 / 5.3%.
    "scams_world7_en.jsonl": {"scam_recall": 0.95},
    "lookalike_world7_en.jsonl": {"false_positive_rate": 0.065},
    "scams_world7_zh.jsonl": {"scam_recall": 0.97},
    "lookalike_world7_zh.jsonl": {"false_positive_rate": 0.045},
    # Posts, e-mails and letters, chat records and genuine calls (twelfth session); on arrival, before the
    # layers were retrained with them: en 0.950 / 15.6%, zh 0.946 / 12.8%. Most false alarms left are rules
    # alone (warnings and stories that quote a scam, genuine mail about refunds, prizes and parcels).
    "scams_world8_en.jsonl": {"scam_recall": 0.97},
    "lookalike_world8_en.jsonl": {"false_positive_rate": 0.105},
    "scams_world8_zh.jsonl": {"scam_recall": 0.98},
    "lookalike_world8_zh.jsonl": {"false_positive_rate": 0.105},
    # The weakest scam types (fake shopping, investment and romance, sextortion) in chats, posts and mail, and
    # harmless messages on their topics (sixteenth session). On arrival: en 0.883 / 9.7%, zh 0.925 / 14.0%; after
    # the session's rules and the scam and report layers retrained with them: en 0.996 / 6.3%, zh 0.992 / 10.7%.
    "scams_world10_en.jsonl": {"scam_recall": 0.98},
    "lookalike_world10_en.jsonl": {"false_positive_rate": 0.08},
    "scams_world10_zh.jsonl": {"scam_recall": 0.98},
    "lookalike_world10_zh.jsonl": {"false_positive_rate": 0.12},
    # Posts, news, releases and notices about scams written without the usual warning words (sixteenth session):
    # flagged 46% (en) / 44% (zh) on arrival, 41% / 41% after the session's reporting cues; 26.5% / 21.5% since the
    # seventeenth session's report layer learned from them, world12 and the relabelled rows. The hardest harmless
    # messages we have: a bound, not a goal.
    "lookalike_world11_en.jsonl": {"false_positive_rate": 0.27},
    "lookalike_world11_zh.jsonl": {"false_positive_rate": 0.22},
    # 300 harmless posts, newsletters and group messages about scams and 150 live scams (the citizen's voice, the
    # scammer's public posts) per language (seventeenth session). On arrival: en 0.967 / 49.0%, zh 0.960 / 48.0%;
    # after the report layer learned from them (and a citizen's own story got a cut-off of its own): en 0.967 /
    # 23.3%, zh 0.960 / 30.3%.
    "world12_en.jsonl": {"scam_recall": 0.96, "false_positive_rate": 0.24},
    "world12_zh.jsonl": {"scam_recall": 0.96, "false_positive_rate": 0.31},
    # Fake shopping and investment/romance scams with look-alikes on their topics (seventeenth session): on arrival
    # en 0.887 / 10.0%, zh 0.838 / 5.0%; after the session's terms, the overpayment rule and a seller's invented fee
    # (asked for by a payment) en 0.931, zh 0.894. No learned layer has learned from them yet.
    "world13_en.jsonl": {"scam_recall": 0.93, "false_positive_rate": 0.10},
    "world13_zh.jsonl": {"scam_recall": 0.89, "false_positive_rate": 0.05},
    # The caller's turns of phone calls as machine-written call datasets give them (eighteenth session): 300
    # genuine calls on the topics scams use and 150 scams in the same polite register. On arrival 0.980 / 1.7%;
    # 1.000 once a scammer's warning words ("you will be arrested", "I'm calling because") stopped counting where
    # both learned layers read the scam itself.
    "world14_calls_en.jsonl": {"scam_recall": 1.0, "false_positive_rate": 0.017},
    # E-mails as pasted (eighteenth session): 130 genuine and 70 scam mails per language. On arrival 0.993 / 13.5%;
    # 11.2% once a link to the site the message names counts as the writer's own; 10.0% with a genuine notice's
    # own words as cues ("no action is needed", 请忽略本邮件), never beside an impostor's link.
    "world15_email.jsonl": {"scam_recall": 0.99, "false_positive_rate": 0.10},
}


@pytest.fixture(scope="module")
def all_outcomes(engine: Engine) -> dict[str, list[Outcome]]:
    return {path.name: run(engine, read_rows(path)) for path in sorted(CORPUS.glob("*.jsonl"))}


@pytest.fixture(scope="module")
def outcomes(all_outcomes: dict[str, list[Outcome]]) -> list[Outcome]:
    return [outcome for name, batch in all_outcomes.items() if name not in LATER_BATCHES for outcome in batch]


def test_the_corpus_covers_every_type_in_both_languages(all_outcomes: dict[str, list[Outcome]], engine: Engine) -> None:
    outcomes = [outcome for batch in all_outcomes.values() for outcome in batch]
    for category in engine.library.settings.categories:
        for lang in engine.library.languages:
            count = sum(1 for o in outcomes if category in o.row.types and o.row.lang == lang)
            assert count >= 100, f"{category} ({lang}): {count} messages"
    assert sum(1 for o in outcomes if o.row.label == "benign") >= 8000
    channels = {o.row.channel for o in outcomes if o.row.label == "scam"}
    assert {"sms", "ad", "chat", "call", "post", "email"} <= channels


@pytest.mark.parametrize("lang", ["zh", "en", None])
def test_floors_hold(outcomes: list[Outcome], lang: str | None) -> None:
    selected = [o for o in outcomes if lang is None or o.row.lang == lang]
    result = metrics(selected)
    misses = [
        f"{o.row.id}: {o.row.text[:60]} -> {o.top_type}" for o in selected if o.row.label == "scam" and not o.flagged
    ]
    false_alarms = [f"{o.row.id}: {o.row.text[:60]}" for o in selected if o.row.label == "benign" and o.flagged]
    for key, floor in FLOORS.items():
        assert result[key] >= floor, f"{key} {result[key]} < {floor}; missed:\n" + "\n".join(misses)
    for key, ceiling in CEILINGS.items():
        assert result[key] <= ceiling, f"{key} {result[key]} > {ceiling}; false alarms:\n" + "\n".join(false_alarms)


@pytest.mark.parametrize("name", sorted(LATER_BATCHES))
def test_later_batches_hold_their_own_floors(all_outcomes: dict[str, list[Outcome]], name: str) -> None:
    result = metrics(all_outcomes[name])
    for key, bound in LATER_BATCHES[name].items():
        if key == "false_positive_rate":
            assert result[key] <= bound, (name, key, result[key])
        else:
            assert result[key] >= bound, (name, key, result[key])
