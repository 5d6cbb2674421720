"""The dialogue's pattern prefilter: a pattern it rules out for a message never matches that message."""

from __future__ import annotations

import json
import re

from bot.conversation.dialogue import Dialogue
from bot.conversation.faq import FaqIndex
from bot.conversation.triggers import Triggers
from bot.engine.pipeline import Engine
from bot.library.loader import Library
from tests.conftest import REPO


def test_a_pattern_without_an_anchor_is_always_possible_and_anchored_ones_need_theirs() -> None:
    triggers = Triggers(["[吗么呢？?]", "怎么(办|样)", "(call|ring) me"])
    assert triggers.possible("你好") == {0}
    assert triggers.possible("我该怎么办") == {0, 1}
    assert triggers.possible("please ring me") == {0, 2}
    assert Triggers([]).possible("anything") == frozenset()


def test_the_dialogues_patterns_are_never_ruled_out_where_they_match(library: Library, engine: Engine) -> None:
    dialogue = Dialogue(engine, FaqIndex(library, engine.normaliser))
    cues = dialogue._phrases.dialogue
    groups = [
        [p for intent in cues.intents for items in intent.patterns.values() for p in items],
        [p for items in cues.question_markers.values() for p in items],
        [p for harm in cues.paid.harms for items in harm.patterns.values() for p in items],
    ]
    texts = [
        json.loads(line)["text"]
        for path in sorted((REPO / "tests" / "corpus").glob("*.jsonl"))
        for number, line in enumerate(path.open(encoding="utf-8"))
        if line.strip() and number % 5 == 0
    ]
    texts += ["我已经转账了", "I already paid him", "我还没转", "what should I do now?", "还有一条短信：", "怎么举报？"]
    for sources in groups:
        triggers = Triggers(sources)
        for text in texts:
            folded = engine.normaliser.fold_pattern(text)
            matching = {index for index, source in enumerate(sources) if re.search(source, folded)}
            assert matching <= triggers.possible(folded), text
