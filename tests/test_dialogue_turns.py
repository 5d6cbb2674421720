"""Citizens' own short replies are understood: a yes or a no to the follow-up question, and "it has gone" (money,
a code, card details, an app, an account, photos) in whatever words they use.

tests/dialogue_turns/ was written by a helper who never saw the dialogue's word lists (its README). Rows with odd
ids are the development half: the dialogue's authors read its misses and widened dialogue.yaml from them. Rows with
even ids are held out: measured here only as shares, never read. Both halves are held to floors that only go up;
the gap between them is how far the word lists still fit the rows they were written from (docs/evaluation.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.conversation.dialogue import Dialogue, Phase, SessionState
from bot.conversation.faq import FaqIndex
from bot.conversation.reply import ReplyKind
from bot.engine.pipeline import Engine

TURNS = Path(__file__).parent / "dialogue_turns"
REGION = {
    "mandarin": "cn",
    "taiwan": "tw",
    "cantonese": "hk",
    "en-us": "us",
    "en-uk": "uk",
    "en-sg": "sg",
    "en-au": "au",
    "en-in": "intl",
}
HARMS = {
    "money": {"paid", "gift_cards", "crypto_sent", "cash_sent", "transfer_service"},  # however it went
    # a chat app's code passed on and the account taken has a harm of its own (thirty-second session)
    "code": {"code", "chat_account"},
    # an identity number or an ID's photo has a harm of its own (thirty-second session); the helpers filed it under
    # card details and photos
    "card_or_password": {"card_data", "identity"},
    "app_or_screen": {"remote_app", "screen_share"},
    "lent_account": {"lent_card"},
    "photos": {"photos", "identity"},
}
# Measured 2026-12-06 (twentieth session). At the session's start: answers 0.567 / 0.567 (development / held
# out), things gone 19 / 75 and 19 / 75 (0.25). After Cantonese answers, particles, spaces as clause breaks and the
# wider harm patterns: answers 0.933 / 0.867, things gone 0.96 / 0.41; then with acts read clause by clause
# (bot/conversation/harms.py) and a second development file (harms_dev2.jsonl, 300 rows by another helper, read
# only once the first reader was written): answers 0.983 / 0.892 (a paid answer as the first clause, "俾咗喇";
# a topic before a denied act, "验证码没给"; English "I did", "not at all"), things gone 0.947 / 0.68, and 0.85 of
# harms_dev2's (an English act must be the citizen's own and its object near its verb, so a news report's "...and
# sent a courier to collect the bail money" and "I sent her photos and now she wants money" are not heard as money
# gone: 0.733 / 0.885 before). One held-out message that has not gone starts the urgent steps (one of 45).
# Twenty-first session: a third development file (harms_dev3.jsonl, 400 rows by a third helper, written to be hard:
# the object left to the question, the scammer's side, bare verbs, amounts with no verb) was read on arrival at 0.52
# of its gone rows; from its misses the acts took bare verbs said as done ("top up 3 times already"), several acts a
# language, the scammer's side ("卡里少了三万", "they took $2,300 out"), an amount and how it went ("600 via
# zelle"), and what the other side holds ("佢而家有我啲相"): things gone 0.96 / 0.77 (held out, from 0.68), 0.87 of
# harms_dev2's and 0.77 of harms_dev3's; its 140 near misses start the urgent steps five times (six on arrival:
# "他说交了保证金马上放款" is read as the citizen's act). Then a second development file of answers (answers_dev2.jsonl,
# 300 rows by a fourth helper): 0.853 on arrival, 0.997 after more answer words (都冇, 那倒没有, 欸, haan ji, nahi,
# "not a penny") and each question's own readings (questions.yaml `yes_patterns` / `no_patterns`: "he told me to
# download one app" answers "did they ask you to pay or install an app?"); held-out answers 0.892 -> 0.933.
# Twenty-second session: a short clause beside an act's clause is its topic ("验证码，我已经给他了", "I sent it
# already, the 2000"), and an act turned towards the citizen ("银行发了验证码给我", "他转了两万给我") or told as a
# condition ("交了保证金就能提现") is not heard as gone: things gone 0.96 -> 0.97, held out 0.77 -> 0.83, 0.87 -> 0.92
# of harms_dev2's and 0.77 -> 0.83 of harms_dev3's, its near misses starting the urgent steps 5 -> 2 times.
FLOORS = {
    ("development", "answers"): 0.98,
    ("held out", "answers"): 0.93,
    ("development 2", "answers"): 0.99,
    ("development", "gone"): 0.96,
    ("held out", "gone"): 0.82,
    ("development 2", "gone"): 0.91,
    ("development 3", "gone"): 0.82,
}
# Near misses ("差一点就汇了", "I was about to send the code") that may start the urgent steps, at most.
NOT_GONE_URGENT = {"development": 1, "development 2": 1, "development 3": 2, "held out": 1}


def _rows(name: str) -> list[dict[str, str]]:
    with (TURNS / name).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _half(row: dict[str, str]) -> str:
    if row["id"].startswith(("d2-", "ad2-")):
        return "development 2"
    if row["id"].startswith("d3-"):
        return "development 3"
    return "held out" if int(row["id"].split("-")[1]) % 2 == 0 else "development"


@pytest.fixture(scope="module")
def dialogues(engine: Engine) -> Callable[[str], Dialogue]:
    faq = FaqIndex(engine.library, engine.normaliser)
    made: dict[str, Dialogue] = {}

    def of(variety: str) -> Dialogue:
        region = REGION[variety]
        if region not in made:
            made[region] = Dialogue(engine, faq, region)
        return made[region]

    return of


def _read_as(dialogue: Dialogue, question: str, text: str) -> str:
    """How the dialogue takes `text` as the reply to `question`: yes, no or neither. To "have you already
    paid?", anything that starts the urgent steps is a yes."""
    waiting = SessionState(phase=Phase.AWAITING_ANSWER, pending=question)
    answer = dialogue.answers_pending(waiting, text)
    if question == "already_paid":
        _, reply = dialogue.handle(waiting, text)
        if reply.kind is ReplyKind.URGENT:
            return "yes"
    return "neither" if answer is None else ("yes" if answer[1] else "no")


@pytest.fixture(scope="module")
def answers(dialogues: Callable[[str], Dialogue]) -> list[tuple[str, str, str]]:
    """(half, expected, read) for every row of answers.jsonl."""
    return [
        (_half(row), row["expect"], _read_as(dialogues(row["variety"]), row["question"], row["text"]))
        for row in [*_rows("answers.jsonl"), *_rows("answers_dev2.jsonl")]
    ]


@pytest.fixture(scope="module")
def harms(dialogues: Callable[[str], Dialogue]) -> list[tuple[str, str, bool, bool]]:
    """(half, expected, urgent, the right harm named) for every row of harms.jsonl, told after its story."""
    found = []
    for row in [*_rows("harms.jsonl"), *_rows("harms_dev2.jsonl"), *_rows("harms_dev3.jsonl")]:
        dialogue = dialogues(row["variety"])
        state, _ = dialogue.handle(None, row["story"])
        state, reply = dialogue.handle(state, row["text"])
        named = row["harm"] is not None and bool(set(state.harms) & HARMS[row["harm"]])
        found.append((_half(row), row["expect"], reply.kind is ReplyKind.URGENT, named))
    return found


@pytest.mark.parametrize("half", ["development", "development 2", "held out"])
def test_a_yes_or_a_no_in_the_citizens_own_words_is_read_as_one(answers: list[tuple[str, str, str]], half: str) -> None:
    rows = [(expected, read) for in_half, expected, read in answers if in_half == half]
    share = sum(expected == read for expected, read in rows) / len(rows)
    assert share >= FLOORS[(half, "answers")], share
    # A question back, "I don't know" or an unrelated detail is never taken for an answer.
    assert all(read == "neither" for expected, read in rows if expected == "neither")


@pytest.mark.parametrize("half", ["development", "development 2", "development 3", "held out"])
def test_what_has_gone_is_heard_and_nothing_else_starts_the_urgent_steps(
    harms: list[tuple[str, str, bool, bool]], half: str
) -> None:
    gone = [(urgent, named) for in_half, expected, urgent, named in harms if in_half == half and expected == "gone"]
    share = sum(urgent and named for urgent, named in gone) / len(gone)
    assert share >= FLOORS[(half, "gone")], share
    not_gone = [urgent for in_half, expected, urgent, _ in harms if in_half == half and expected == "not_gone"]
    assert sum(not_gone) <= NOT_GONE_URGENT[half], sum(not_gone)  # "I just paid them last week" reads as gone
