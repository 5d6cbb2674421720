"""A message ABOUT a scam (a police warning, a news report, a story told afterwards) is not the scam:
the report layer keeps it below a verdict, with a note saying it reads like a warning, while the scam's
own words, and a citizen asking about them, still get the verdict."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.channels.sms import MAX_SEGMENTS, SmsChannel, count_segments
from bot.channels.web.services import build_sms
from bot.channels.web.settings import Settings
from bot.conversation.dialogue import Dialogue
from bot.conversation.faq import FaqIndex
from bot.engine.pipeline import Engine
from bot.engine.types import Risk
from bot.library.loader import LibraryError, load_library

REPORTS = [
    (
        "en",
        "Police arrested two men on Tuesday over a grandparent scam. Officers said the suspects phoned elderly"
        " victims pretending to be their grandsons, claimed they had been arrested after a crash and needed bail,"
        " and sent a courier to collect the cash. Anyone who gets such a call should hang up and ring the family"
        " member directly.",
    ),
    (
        "zh",
        "【以案说法】某高校男生在社交软件上与“美女”视频聊天，对方诱导其下载一款“直播插件”，随后以通讯录和视频"
        "相要挟，索要3万元。警方提醒：遇到裸聊敲诈不要转账，立即报警，并保留聊天记录。",
    ),
]
SCAMS = [
    (
        "en",
        "Grandma it's me, I crashed the car and I'm in jail. I need $5,000 for bail right now, please don't tell mom.",
    ),
    ("zh", "你的裸聊视频我已经录下来了，不想让你家人看到就马上转三万块，给你一个小时考虑。"),
]


@pytest.mark.parametrize(("lang", "text"), REPORTS)
def test_a_report_about_a_scam_stays_below_a_verdict_and_says_why(engine: Engine, lang: str, text: str) -> None:
    verdict = engine.analyse(text)
    assert not verdict.risk.flagged
    assert verdict.awareness
    assert verdict.evidence  # the scam's words are still shown, as what the report quotes


@pytest.mark.parametrize(("lang", "text"), SCAMS)
def test_the_scam_itself_keeps_its_verdict(engine: Engine, lang: str, text: str) -> None:
    verdict = engine.analyse(text)
    assert verdict.risk in (Risk.HIGH, Risk.MEDIUM)
    assert not verdict.awareness


def test_a_citizen_telling_what_is_happening_is_never_read_as_a_report(engine: Engine) -> None:
    """The dialogue's follow-up question needs the signal: "a 'policeman' called me" is not a warning."""
    verdict = engine.analyse("I got a call from someone saying he is from the police")
    assert verdict.risk is not Risk.NONE and not verdict.awareness


STORIES_TOLD_AFTERWARDS = [
    (
        "en",
        "Update for everyone who asked: in the end my grandmother lost $8,000 to the 'Amazon refund' callers last"
        " month. They said she had been overcharged and got her to install AnyDesk. The bank refunded half of it."
        " Thanks for all the kind messages.",
    ),
    (
        "zh",
        "去年我妈接到一个电话，对方说她的医保卡被冻结了，要转到安全账户配合调查，她转了两万块，第二天才知道被骗了，报警后钱也没追回来。",
    ),
]
STILL_GOING_ON = [
    (
        "en",
        "My mum is on the phone right now with a man who said he is from the police and she must move her savings"
        " to a safe account today",
    ),
    ("zh", "对方说我的快递丢了要给我理赔，现在让我下载一个会议软件共享屏幕"),
]


@pytest.mark.parametrize(("lang", "text"), STORIES_TOLD_AFTERWARDS)
def test_a_citizens_story_told_afterwards_stays_at_low_and_says_to_act_if_it_is_still_going_on(
    engine: Engine, lang: str, text: str
) -> None:
    """The report layer reads a citizen's own story against a cut-off of its own: read as over, it is kept
    at "low" (not discounted to nothing: the evidence and the dialogue's follow-up stay), with a note."""
    verdict = engine.analyse(text, lang=lang)
    assert verdict.risk is Risk.LOW and not verdict.awareness
    assert verdict.evidence
    story_note = engine.library.settings.templates.story_note
    assert story_note is not None and story_note[lang] in verdict.notes


@pytest.mark.parametrize(("lang", "text"), STORIES_TOLD_AFTERWARDS)
def test_a_story_the_caller_knows_is_going_on_is_never_read_as_told_afterwards(
    engine: Engine, lang: str, text: str
) -> None:
    """The dialogue knows: a citizen who has just answered its questions about the story is living it now."""
    verdict = engine.analyse(text, lang=lang, going_on=True)
    story_note = engine.library.settings.templates.story_note
    assert story_note is not None and story_note[lang] not in verdict.notes
    assert verdict.risk.flagged


@pytest.mark.parametrize(("lang", "text"), STILL_GOING_ON)
def test_a_citizen_telling_a_scam_that_is_still_going_on_gets_the_verdict(engine: Engine, lang: str, text: str) -> None:
    verdict = engine.analyse(text, lang=lang)
    assert verdict.risk.flagged
    story_note = engine.library.settings.templates.story_note
    assert story_note is not None and story_note[lang] not in verdict.notes


def test_a_citizen_asking_about_the_scam_still_gets_the_verdict(engine: Engine) -> None:
    verdict = engine.analyse(
        "Is this a scam? Someone says he is my grandson, he crashed the car and needs $5,000 bail today and"
        " says not to tell his mom"
    )
    assert verdict.risk.flagged


def test_the_report_layer_keeps_a_warning_the_cue_words_miss_below_a_verdict(engine: Engine) -> None:
    """A building's notice retelling a refund scam has no cue word of the lists ("提醒" alone is a chat
    app's banner too): without the report layer its quoted scam words decide; with it, it reads as a report."""
    notice = (
        "物业提醒：近期有人冒充快递客服，以“快递丢失要理赔”为由让业主添加微信、下载会议软件共享屏幕，"
        "再诱导在借款平台借钱“验证”。真正的理赔不会让你借钱。"
    )
    without = Engine(dataclasses.replace(engine.library, report_model=None))
    assert without.analyse(notice).risk.flagged
    verdict = engine.analyse(notice)
    assert not verdict.risk.flagged and verdict.awareness


SCAMMERS_WARNING_WORDS = [
    (
        "en",
        "Good afternoon, this is Agent Morris with the enforcement unit of the tax office. I'm calling because your"
        " file shows unpaid taxes of $3,200 and a warrant has been prepared in your name. If this is not settled"
        " today you will be arrested at your home this evening. I will guide you step by step: go to the nearest"
        " store, buy gift cards for the full amount and read me the numbers on the back. Do not hang up and do not"
        " tell anyone at the store what they are for.",
    ),
]


@pytest.mark.parametrize(("lang", "text"), SCAMMERS_WARNING_WORDS)
def test_warning_words_in_a_scammers_mouth_do_not_discount_the_scam(engine: Engine, lang: str, text: str) -> None:
    """Warning words ("you will be arrested", "I'm calling because", "step by step") are cues of a report or a call,
    and a scammer's words too: when both learned layers read the scam itself, the cues count for nothing."""
    verdict = engine.analyse(text, lang=lang)
    assert verdict.risk.flagged and not verdict.awareness
    learned = engine.library.settings.learned
    assert learned is not None
    never_overruled = learned.model_copy(update={"awareness_overruled_scam_from": None})
    settings = engine.library.settings.model_copy(update={"learned": never_overruled})
    cues_always_count = Engine(dataclasses.replace(engine.library, settings=settings))
    assert not cues_always_count.analyse(text, lang=lang).risk.flagged  # what the cues alone did


def test_a_named_report_layer_that_is_missing_fails_loudly(tmp_path: Path, engine: Engine) -> None:
    import shutil

    library = tmp_path / "library"
    shutil.copytree(engine.library.root, library)
    (library / "model" / "report_model.npz").unlink()
    with pytest.raises(LibraryError, match=r"report_model\.npz"):
        load_library(library, Path(__file__).parents[1] / "faq")


@pytest.mark.parametrize(("lang", "text"), REPORTS)
def test_an_sms_reply_to_a_pasted_report_says_it_reads_like_one(engine: Engine, lang: str, text: str) -> None:
    """SMS replies are built from the verdict's fields to fit three texts: the awareness is one of them."""
    channel = _sms_channel(engine)
    reply = channel.handle("+8613800000001", text)
    said = channel.sms.texts.awareness[lang]
    assert said in reply.text and count_segments(reply.text).segments <= MAX_SEGMENTS
    assert said not in channel.handle("+8613800000002", dict(SCAMS)[lang]).text


def _sms_channel(engine: Engine) -> SmsChannel:
    dialogue = Dialogue(engine, FaqIndex(engine.library, engine.normaliser), "cn")
    return build_sms(Settings(sms_salt="test-salt"), engine.library, engine, dialogue)
