"""General questions about scams are answered, live reports are judged (tests/question_eval, written blind).

A citizen asking what a scam is should get an answer (an FAQ entry, or the scam it names explained from its own
texts), not a risk rating of their own question; a citizen telling what is happening to them now needs the verdict
and the follow-up questions, never a general explanation instead. Floors measured once, 2026-12-07, when the
explanation of a named scam was added (docs/evaluation.md); they only go up.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bot.conversation.dialogue import Dialogue
from bot.conversation.faq import FaqIndex
from bot.conversation.reply import ReplyKind
from bot.engine.pipeline import Engine

FOLDER = Path(__file__).parent / "question_eval"
# Measured: questions answered 0.475 (en) / 0.285 (zh) with the "what is" questions answered; 0.570 / 0.455 once a short
# question telling no story gets the FAQ's answer whatever the risk of its words, or its scam explained when its words
# point at one type alone (those cues chosen on other writers' questions and reports, then measured here); reports
# judged (a verdict or the urgent path) 0.87 / 0.96 each time, none answered in general. 2026-12-07, thirtieth session:
# 0.590 / 0.520 once a question naming a scam by one of its names (a type's `also_called`) gets it explained and the
# FAQ's loosest matches answer only a question about a scam at all (0.620 / 0.530 without that guard); reports 0.88 /
# 0.96, none explained. Then 0.655 (en) once a few words naming a kind of scam and ending in "scam" ("lottery win
# notification scam") read as a question typed into a search box.
ANSWERED_FLOOR = {"en": 0.65, "zh": 0.515}
JUDGED_FLOOR = {"en": 0.86, "zh": 0.95}


@pytest.fixture(scope="module")
def outcomes(engine: Engine) -> Counter[tuple[str, str, str]]:
    dialogue = Dialogue(engine, FaqIndex(engine.library, engine.normaliser), "cn")
    counts: Counter[tuple[str, str, str]] = Counter()
    for lang in ("en", "zh"):
        with (FOLDER / f"questions_{lang}.jsonl").open(encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                _, reply = dialogue.handle(None, row["text"], None)
                explained = reply.kind is ReplyKind.FAQ and reply.faq is not None and reply.faq.id.startswith("type:")
                outcome = "explained" if explained else reply.kind.value
                counts[(lang, row["kind"], outcome)] += 1
                counts[(lang, row["kind"], "rows")] += 1
    return counts


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_general_questions_are_answered(outcomes: Counter[tuple[str, str, str]], lang: str) -> None:
    answered = outcomes[(lang, "question", "faq")] + outcomes[(lang, "question", "explained")]
    share = answered / outcomes[(lang, "question", "rows")]
    assert share >= ANSWERED_FLOOR[lang], share


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_live_reports_are_judged_never_explained_in_general(outcomes: Counter[tuple[str, str, str]], lang: str) -> None:
    assert outcomes[(lang, "report", "explained")] == 0
    judged = outcomes[(lang, "report", "verdict")] + outcomes[(lang, "report", "urgent")]
    share = judged / outcomes[(lang, "report", "rows")]
    assert share >= JUDGED_FLOOR[lang], share
