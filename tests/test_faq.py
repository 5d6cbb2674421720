"""FAQ search: every wording finds its own entry, paraphrases in either language find theirs, and a
question the FAQ does not cover gets no answer (only nearby topics) rather than a wrong one."""

from __future__ import annotations

import re

import pytest
from rapidfuzz import fuzz, process

from bot.conversation.faq import SOFT_WORD_MATCH, FaqIndex
from bot.engine.pipeline import Engine
from bot.library.loader import Library, load_library

_LIBRARY = load_library()
# (entry id, language, wording) for every question and wording in the FAQ files.
WORDINGS = [
    pytest.param(entry.id, lang, text, id=f"{entry.id}-{lang}-{number}")
    for entry in _LIBRARY.faq
    for lang in entry.question
    for number, text in enumerate((entry.question[lang], *entry.wordings.get(lang, [])))
]


@pytest.fixture(scope="module")
def faq(library: Library, engine: Engine) -> FaqIndex:
    return FaqIndex(library, engine.normaliser)


@pytest.mark.parametrize(("entry_id", "lang", "wording"), WORDINGS)
def test_every_wording_finds_its_own_entry(faq: FaqIndex, entry_id: str, lang: str, wording: str) -> None:
    result = faq.search(wording, lang)
    assert result.best is not None, f"{wording!r} found nothing (nearest: {[e.id for e in result.related]})"
    assert result.best.id == entry_id, f"{wording!r} found {result.best.id}"


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("什么是安全账户", "scam_safe_account"),
        ("What's a safe account?", "scam_safe_account"),
        ("杀猪盘是什么意思", "scam_pig_butchering"),
        ("what does pig butchering mean", "scam_pig_butchering"),
        ("验证码告诉别人了怎么办", "accounts_shared_code"),
        ("被骗了钱能追回来吗", "after_get_money_back"),
        ("can i get my money back after reporting it", "after_get_money_back"),
        ("怎么确认打电话的警察是真的", "verify_police_caller"),
        ("how can i tell if a police call is real", "verify_police_caller"),
        ("银行卡被盗刷了", "accounts_card_misused"),
    ],
)
def test_a_paraphrase_in_either_language_finds_the_entry(faq: FaqIndex, question: str, entry_id: str) -> None:
    result = faq.search(question)
    assert result.best is not None and result.best.id == entry_id


def test_typos_in_english_words_still_match(faq: FaqIndex) -> None:
    result = faq.search("what does pig butchring mean")
    assert result.best is not None and result.best.id == "scam_pig_butchering"


@pytest.mark.parametrize(
    "question",
    [
        "今天天气怎么样",
        "我的猫生病了怎么办",
        "附近有什么好吃的",
        "how do i cook rice",
        "who won the football match",
        "what time is it",
    ],
)
def test_an_unrelated_question_gets_no_answer_but_the_closest_topics(faq: FaqIndex, question: str) -> None:
    result = faq.search(question)
    assert result.best is None
    assert 1 <= len(result.related) <= 3
    assert len({entry.id for entry in result.related}) == len(result.related)


@pytest.mark.parametrize("question", ["怎么办", "what should I do?", "is it real?", "能信吗"])
def test_stock_phrases_alone_are_not_enough_to_answer(faq: FaqIndex, question: str) -> None:
    assert faq.search(question).best is None


@pytest.mark.parametrize("question", ["", "   ", "？？？", "!!!"])
def test_a_question_with_no_words_finds_nothing(faq: FaqIndex, question: str) -> None:
    result = faq.search(question)
    assert result.best is None and result.score == 0


def test_the_best_entry_is_never_also_listed_as_related(faq: FaqIndex) -> None:
    result = faq.search("什么是安全账户")
    assert result.best is not None
    assert result.best.id not in {entry.id for entry in result.related}


@pytest.mark.parametrize("region_id", [region.id for region in _LIBRARY.regions.regions])
@pytest.mark.parametrize("lang", _LIBRARY.languages)
def test_answers_are_rendered_with_the_regions_numbers(
    faq: FaqIndex, engine: Engine, region_id: str, lang: str
) -> None:
    region = engine.region(region_id)
    for entry in faq.entries:
        answer = faq.render(entry, lang, region)
        assert answer.id == entry.id and answer.question and answer.answer
        assert not re.search(r"\{\w+\}", answer.answer), f"{entry.id}: unfilled placeholder"
        police = region.fact_text("police", lang, lang)
        if "{police}" in entry.answer[lang] and police:
            assert police in answer.answer


def test_alike_words_are_what_comparing_every_word_with_every_other_gives(faq: FaqIndex) -> None:
    """Built with half the comparisons (the ratio is symmetric): the same words, scores and order."""
    expected = {}
    for word in faq._vocabulary:
        matches = process.extract(
            word, faq._vocabulary, scorer=fuzz.ratio, processor=None, score_cutoff=SOFT_WORD_MATCH, limit=None
        )
        others = tuple((match, score) for match, score, _ in matches if match != word)
        if others:
            expected[word] = others
    assert expected and faq._alike == expected
