"""A conversation that answers (issue 10): questions after a verdict get answers, every way of saying
"I already gave it away" opens the urgent path with the steps for that harm, long pastes are read
whole or refused, and the citizen's region and script are kept. zh, en and Cantonese throughout."""

from __future__ import annotations

import re

import pytest

from bot.conversation.dialogue import Dialogue, Phase, SessionState
from bot.conversation.faq import FaqIndex
from bot.conversation.phrases import load_phrases
from bot.conversation.reply import Reply, ReplyKind
from bot.engine.pipeline import Engine
from bot.engine.quotes import tidy_span
from bot.engine.types import Risk
from bot.library.loader import Library
from bot.library.script import written_in

LOAN = "网上有个客服说可以帮我办无抵押贷款，秒到账，但是要先交手续费和保证金"
TASKS = "Someone offered me a job liking videos for money, then asked me to pay a deposit to unlock tasks"
ROMANCE = "网上认识一个男的，说带我投资，平台稳赚不赔，让我先充值"
POLICE_HK = "有個自稱警察嘅人打電話話我張卡涉嫌洗黑錢，要我轉錢去安全戶口"
POLICE_ZH = "他说他是公安局的，我的身份证涉嫌洗钱，让我把钱转到安全账户，不要告诉家人"
POLICE_EN = (
    "He said he is from the police, my account is linked to money laundering "
    "and I must move my savings to a safe account"
)
# Never said to a citizen about a number, link, account or job.
SAYS_REAL = re.compile(
    r"(it|this|that) (is|'s) (real|genuine|legit)|(这|它|那)(个号码|个链接|份工作)?(就)?是真的|是正规的|可以相信"
)
CLAIMS_OF_SAFETY = re.compile(r"(it|this|that) (is|'s|looks) (safe|fine|legit)|you are safe|没有风险|是安全的|可以放心")


@pytest.fixture(scope="module")
def dialogue(library: Library, engine: Engine) -> Dialogue:
    return Dialogue(engine, FaqIndex(library, engine.normaliser), "cn")


def talk(
    dialogue: Dialogue, *messages: str, region: str | None = None, lang: str | None = None
) -> tuple[SessionState, list[Reply]]:
    state: SessionState | None = None
    replies = []
    for message in messages:
        state, reply = dialogue.handle(state, message, lang, region)
        replies.append(reply)
        assert not CLAIMS_OF_SAFETY.search(reply.text), reply.text
    assert state is not None
    return state, replies


# --- questions after a verdict are answered -----------------------------------------------------


@pytest.mark.parametrize(
    ("story", "question"),
    [
        (LOAN, "我该怎么办"),
        (LOAN, "那现在怎么办？"),
        (POLICE_HK, "咁我而家點算？"),
        (TASKS, "What should I do now?"),
        (LOAN, "我该打哪个电话"),
        (POLICE_HK, "我應該打俾邊個？"),
        (TASKS, "Which number should I call?"),
        (TASKS, "who do I call"),
    ],
)
def test_what_to_do_now_gets_the_actions_not_the_verdict_again(dialogue: Dialogue, story: str, question: str) -> None:
    state, (verdict, answer) = talk(dialogue, story, question)
    assert verdict.kind is ReplyKind.VERDICT
    assert answer.kind is ReplyKind.ANSWER and answer.intent == "what_now"
    assert answer.text != verdict.text
    assert re.search(r"^1\. ", answer.text, re.MULTILINE)  # numbered actions
    assert state.turns == (story,)  # the question is not taken for more of the story


@pytest.mark.parametrize(
    ("region", "lang", "question", "expected", "absent"),
    [
        ("cn", "zh", "怎么举报", ["12321", "110"], ["18222"]),
        ("hk", "zh", "點樣舉報？", ["防騙視伏", "18222"], ["96110", "12321"]),
        ("hk", "zh", "我想報警", ["18222"], ["96110", "12321"]),
        ("cn", "zh", "我打算报案", ["110"], ["18222"]),
        ("cn", "en", "How do I report this?", ["12321", "110"], ["18222"]),
        ("hk", "en", "Where can I report it?", ["Scameter", "18222"], ["96110", "12321"]),
    ],
)
def test_how_to_report_names_the_regions_own_channels(
    dialogue: Dialogue, region: str, lang: str, question: str, expected: list[str], absent: list[str]
) -> None:
    story = POLICE_ZH if lang == "zh" else POLICE_EN
    _, (_, answer) = talk(dialogue, story, question, region=region)
    assert answer.kind is ReplyKind.ANSWER and answer.intent == "report"
    for words in expected:
        assert words in answer.text, answer.text
    for words in absent:
        assert words not in answer.text, answer.text


@pytest.mark.parametrize(
    ("story", "question"),
    [
        (LOAN, "这个电话号码是真的吗"),
        (POLICE_HK, "呢個警察係咪真嘅？"),
        (TASKS, "Is this a real job?"),
        (POLICE_EN, "How can I check the number is genuine?"),
    ],
)
def test_is_it_real_gets_how_to_check_and_never_yes(dialogue: Dialogue, story: str, question: str) -> None:
    _, (_, answer) = talk(dialogue, story, question)
    assert answer.kind is ReplyKind.ANSWER and answer.intent == "verify"
    assert not SAYS_REAL.search(answer.text), answer.text
    assert re.search(r"官方|official", answer.text, re.IGNORECASE)


def test_how_to_check_after_a_relatives_call_adds_that_scams_own_check(dialogue: Dialogue) -> None:
    story = "my grandson called crying he is in jail and needs 5000 for bail, he said dont tell his parents"
    _, (_, answer) = talk(dialogue, story, "how do i check")
    assert answer.intent == "verify"
    assert "number you already have" in answer.text  # call the relative back, not only "look up an official number"


@pytest.mark.parametrize(
    ("story", "doubt", "truth"),
    [
        (
            "my grandson called crying he is in jail and needs 5000 for bail, he said dont tell his parents",
            "but he sounded just like him",
            "no longer proof",
        ),
        (
            "我孙子打电话来哭着说撞了人，被警察扣着，要我马上转5万块保释金，还说别告诉他爸妈",
            "声音就是我孙子的声音啊",
            "AI",
        ),
    ],
)
def test_it_sounded_just_like_them_is_answered_with_voice_cloning(
    dialogue: Dialogue, story: str, doubt: str, truth: str
) -> None:
    _, (_, answer) = talk(dialogue, story, doubt)
    assert answer.kind is ReplyKind.ANSWER and answer.intent == "doubt"
    assert truth in answer.text


GIFT_CARD_FINE = "a man from the sheriffs office says i must pay a fine with gift cards or be arrested today"
SOCIAL_SECURITY_ATM = "我妈收到电话说社保卡要升级，让她去ATM机上操作"


@pytest.mark.parametrize(
    ("story", "now"),
    [
        (GIFT_CARD_FINE, "im driving to walmart to buy the gift cards now"),
        (POLICE_EN, "I'm at the bank now about to withdraw it, the cashier is asking me why"),
        (TASKS, "i am at the atm now going to transfer"),
        (SOCIAL_SECURITY_ATM, "她六十八了现在正往银行走"),
        (POLICE_HK, "佢而家仲喺度同我講緊電話"),
        (ROMANCE, "我现在人在ATM前面了"),
        (SOCIAL_SECURITY_ATM, "我马上去取钱"),
        (SOCIAL_SECURITY_ATM, "我在银行柜台排队呢"),
        (POLICE_HK, "專員等一下就要來我家拿了"),
        (GIFT_CARD_FINE, "the courier is at my door now to pick up the money"),
        (GIFT_CARD_FINE, "buying the cards now"),
    ],
)
def test_paying_or_still_on_the_call_right_now_gets_stop_first(dialogue: Dialogue, story: str, now: str) -> None:
    """Someone on the way to pay needs "stop" before anything else, not the verdict again or "no new sign"."""
    state, (verdict, reply) = talk(dialogue, story, now)
    assert verdict.kind is ReplyKind.VERDICT
    assert reply.kind is ReplyKind.ANSWER and reply.intent == "stop_now"
    assert reply.text.startswith(("Stop now", "先停下", "先停"))
    assert state.turns[-1] == now  # part of the story


def test_a_first_message_told_while_still_on_the_video_call_starts_with_stop(dialogue: Dialogue) -> None:
    message = (
        "喂我跟你说啊今天上午我在家接到一个电话那个人说他是什么检察院的说我的医保卡在外地被人盗刷了还涉及一个什么案子"
        "要我下载一个叫什么警务通的APP跟他视频做笔录我现在还在跟他视频呢"
    )
    state, (reply,) = talk(dialogue, message)
    assert reply.kind is ReplyKind.VERDICT and reply.scam_type == "fake_authority"
    assert reply.text.startswith("先停下") and not state.harms  # a video 笔录 is no private video given away


@pytest.mark.parametrize(
    ("story", "question"),
    [
        (GIFT_CARD_FINE, "should i just pay so it goes away"),
        (TASKS, "so its ok to send the 2300?"),
        (TASKS, "should i put in more?"),
        (SOCIAL_SECURITY_ATM, "要不要给他验证码"),
        (LOAN, "我还要交吗"),
        (SOCIAL_SECURITY_ATM, "验证码要给他吗"),
        (LOAN, "交不交"),
    ],
)
def test_should_i_pay_or_give_the_code_gets_a_plain_no(dialogue: Dialogue, story: str, question: str) -> None:
    _, (_, reply) = talk(dialogue, story, question)
    assert reply.kind is ReplyKind.ANSWER and reply.intent == "should_not"
    assert reply.text.startswith(("No.", "不要。"))


@pytest.mark.parametrize(
    "question", ["should we call 999", "should i call the police", "can i ring my bank", "should i call the irs"]
)
def test_should_i_call_the_police_or_my_bank_is_not_told_no(dialogue: Dialogue, question: str) -> None:
    _, (_, reply) = talk(dialogue, POLICE_EN, question)
    assert reply.intent != "should_not"


@pytest.mark.parametrize(
    ("story", "update"),
    [
        (GIFT_CARD_FINE, "ok i hung up"),
        (SOCIAL_SECURITY_ATM, "我把他拉黑了"),
        (TASKS, "I blocked them"),
        ("my grandson called crying he is in jail and needs 5000 for bail", "i called him on his old number"),
        ("my grandson called crying he is in jail and needs 5000 for bail", "ok i called my real son he is fine"),
        (TASKS, "ok i unplugged the computer"),
        (POLICE_HK, "我把他封鎖了 沒匯款"),
    ],
)
def test_doing_the_safe_thing_is_praised_with_what_next(dialogue: Dialogue, story: str, update: str) -> None:
    _, (_, reply) = talk(dialogue, story, update)
    assert reply.kind is ReplyKind.ANSWER and reply.intent == "did_right"
    assert reply.text.startswith(("Well done", "做得对", "做得對"))


def test_the_scammer_hanging_up_is_not_the_citizens_safe_deed(dialogue: Dialogue) -> None:
    _, (_, reply) = talk(dialogue, "我爸视频打给我 说急需用钱让我转5万", "但是视频只有几秒钟就挂了说信号不好")
    assert reply.intent != "did_right"


@pytest.mark.parametrize(
    ("story", "question"), [(TASKS, "what do we do"), (TASKS, "who do we call"), (POLICE_HK, "要打哪支電話")]
)
def test_what_to_do_asked_for_others_or_in_taiwan_words_gets_the_steps(
    dialogue: Dialogue, story: str, question: str
) -> None:
    _, (_, answer) = talk(dialogue, story, question)
    assert answer.intent == "what_now"


@pytest.mark.parametrize(
    ("message", "kind"), [("are you a real person", ReplyKind.INTRO), ("lovely thank you", ReplyKind.THANKS)]
)
def test_asking_if_the_bot_is_a_person_or_a_warm_thanks_is_small_talk(
    dialogue: Dialogue, message: str, kind: ReplyKind
) -> None:
    _, (_, reply) = talk(dialogue, TASKS, message)
    assert reply.kind is kind


def test_no_i_didnt_pay_said_unprompted_is_heard_as_nothing_paid(dialogue: Dialogue) -> None:
    _, (_, _, reply) = talk(dialogue, GIFT_CARD_FINE, "ok", "no i didnt pay")
    assert reply.text.startswith("Good: there is still time")


def test_hung_up_but_the_story_goes_on_is_still_the_story(dialogue: Dialogue) -> None:
    _, (_, reply) = talk(
        dialogue, GIFT_CARD_FINE, "I hung up but he called back and now says I must pay a $500 fee or be arrested"
    )
    assert reply.intent != "did_right"


@pytest.mark.parametrize(
    ("region", "question", "expected"),
    [
        ("uk", "is 159 a real number?", "159 is an official"),
        ("sg", "is 1799 real", "1799 is an official"),
        ("cn", "96110是真的吗", "96110 是"),
    ],
)
def test_is_this_hotline_real_says_what_the_regions_number_is(
    dialogue: Dialogue, region: str, question: str, expected: str
) -> None:
    """The bot stands behind the numbers it gives, instead of "I cannot confirm"; in the middle of a scam the caution
    that callers fake them comes first (the number is likely on the citizen's screen)."""
    _, (_, answer) = talk(dialogue, LOAN if region == "cn" else TASKS, question, region=region)
    assert answer.kind is ReplyKind.ANSWER and expected in answer.text
    assert answer.text.startswith(("Caller ID", "来电显示", "來電顯示"))


@pytest.mark.parametrize(
    ("region", "question", "expected"),
    [
        ("uk", "whats the number for action fraud", "0300 123 2040"),
        ("us", "whats the ftc number", "ReportFraud"),
        ("cn", "有什么电话可以问的", "96110"),
    ],
)
def test_a_reporting_channel_asked_for_by_name_gets_the_regions_channels(
    dialogue: Dialogue, region: str, question: str, expected: str
) -> None:
    _, (_, answer) = talk(dialogue, LOAN if region == "cn" else TASKS, question, region=region)
    assert answer.intent == "report" and expected in answer.text


def test_another_message_pasted_in_starts_a_new_story(dialogue: Dialogue) -> None:
    state, (_, reply) = talk(dialogue, LOAN, "再贴一条消息")
    assert reply.kind is ReplyKind.INTRO and state.turns == ()


@pytest.mark.parametrize(
    ("region", "story", "worry"),
    [
        ("hk", POLICE_HK, "我媽唔信我話佢係呃人"),
        ("us", TASKS, "he gets angry when we say its a scam"),
        ("cn", ROMANCE, "有没有什么办法劝他"),
    ],
)
def test_a_relative_who_wont_believe_it_gets_how_to_help_them(
    dialogue: Dialogue, region: str, story: str, worry: str
) -> None:
    """The FAQ entry on helping a relative who will not hear it, in the region's numbers, not the verdict again."""
    _, (_, answer) = talk(dialogue, story, worry, region=region)
    assert answer.kind is ReplyKind.ANSWER and answer.intent == "persuade"
    assert {"hk": "18222", "us": "911", "cn": "96110"}[region] in answer.text


def test_a_doubt_is_answered_with_what_is_true(dialogue: Dialogue) -> None:
    _, (_, answer) = talk(dialogue, ROMANCE, "他人真的很好，应该不会骗我吧")
    assert answer.kind is ReplyKind.ANSWER and answer.intent == "doubt"
    assert "骗子对你好" in answer.text  # the known doubt's truth, not the verdict again
    _, (_, answer) = talk(dialogue, TASKS, "he says it is legal, can I try?")
    assert answer.intent == "doubt"
    assert "only their own words" in answer.text or "is true" in answer.text


def test_a_doubt_retelling_the_scammers_answer_gets_that_rebuttals_truth(dialogue: Dialogue, library: Library) -> None:
    romance = library.scam_type("investment_romance")
    rebuttal = next(r for r in romance.rebuttals if r.id == "unknown_platform")
    _, (_, answer) = talk(dialogue, ROMANCE, "他说这是国外持牌的平台，国内查不到很正常，应该不会骗我吧？")
    assert answer.intent == "doubt"
    assert rebuttal.truth["zh"] in answer.text


@pytest.mark.parametrize(("story", "question"), [(LOAN, "详细说说"), (TASKS, "tell me more"), (POLICE_HK, "講多啲")])
def test_tell_me_more_lists_the_warning_signs_and_what_comes_next(
    dialogue: Dialogue, story: str, question: str
) -> None:
    _, (verdict, answer) = talk(dialogue, story, question)
    assert answer.intent == "more"
    assert all(sign in answer.text for sign in verdict.warning_signs)
    assert verdict.next_step and verdict.next_step in answer.text


@pytest.mark.parametrize(("story", "thanks"), [(LOAN, "谢谢"), (TASKS, "thanks"), (POLICE_HK, "多謝")])
def test_thanks_after_a_verdict_closes_politely(dialogue: Dialogue, story: str, thanks: str) -> None:
    _, (_, reply) = talk(dialogue, story, thanks)
    assert reply.kind is ReplyKind.THANKS


@pytest.mark.parametrize(
    ("opening", "new"),
    [(LOAN, "还有一条短信"), (TASKS, "I have another message"), (POLICE_HK, "仲有一條短訊")],
)
def test_a_new_story_starts_over(dialogue: Dialogue, opening: str, new: str) -> None:
    state, (_, reply) = talk(dialogue, opening, new)
    assert state.turns == () and state.phase is Phase.IDLE
    assert reply.kind is ReplyKind.INTRO


def test_a_new_story_that_comes_with_its_message_is_judged_alone(dialogue: Dialogue) -> None:
    state, (_, reply) = talk(dialogue, LOAN, "还有一条短信：【快递】您的包裹丢失，我们给您退款理赔，请加QQ联系客服")
    assert reply.kind is ReplyKind.VERDICT
    assert reply.scam_type != "fake_loan_credit"
    assert len(state.turns) == 1 and "包裹" in state.turns[0]


def test_a_question_before_any_story_still_gets_the_regions_channels(dialogue: Dialogue) -> None:
    _, (reply,) = talk(dialogue, "怎么举报诈骗电话？", region="hk")
    assert reply.kind in (ReplyKind.FAQ, ReplyKind.ANSWER)
    assert "96110" not in reply.text


def test_the_follow_up_question_is_only_about_the_types_in_play(dialogue: Dialogue) -> None:
    phrases = load_phrases(dialogue._engine.library)
    for story in (LOAN, TASKS, ROMANCE, POLICE_ZH, POLICE_HK):
        state, _ = talk(dialogue, story)
        verdict = dialogue._engine.analyse(story)
        in_play = {verdict.scam_type, verdict.subtype} | {c.subtype for c in verdict.candidates}
        for question_id in state.asked:
            question = phrases.question(question_id)
            assert question is not None
            assert not question.types or in_play & set(question.types), (story, question_id)


# --- what was given away ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "harms", "steps"),
    [
        ("我已经转了5000块", {"paid"}, ["冻结"]),
        ("我已經轉咗錢", {"paid"}, ["凍結"]),
        ("俾咗錢佢", {"paid"}, ["凍結"]),
        ("I already sent them $2000", {"paid"}, ["freeze"]),
        ("我把验证码告诉他了", {"code"}, ["密码"]),
        ("I gave them the code from the text", {"code"}, ["password"]),
        ("我点了链接，输入了卡号和验证码", {"card_data", "code"}, ["卡"]),
        ("I clicked the link and typed my card number and the code", {"card_data", "code"}, ["card"]),
        ("我已经下载了他发的软件", {"remote_app"}, ["卸载", "飞行模式"]),
        ("I installed the app they sent me", {"remote_app"}, ["uninstall", "flight mode"]),
        ("我开了屏幕共享", {"screen_share"}, ["屏幕共享"]),
        ("I shared my screen with him", {"screen_share"}, ["sharing"]),
        ("我把银行卡借给了他", {"lent_card"}, ["挂失", "警方"]),
        ("I lent my bank card to a friend of a friend", {"lent_card"}, ["block", "police"]),
        ("我发了裸照给她，现在她要钱", {"photos"}, ["不要付钱", "截图"]),
        ("I sent her intimate photos and now she wants money", {"photos"}, ["Do not pay", "screenshot"]),
    ],
)
def test_what_was_given_opens_the_urgent_path_with_its_steps(
    dialogue: Dialogue, message: str, harms: set[str], steps: list[str]
) -> None:
    state, (reply,) = talk(dialogue, message)
    assert reply.kind is ReplyKind.URGENT and reply.urgent
    assert set(reply.harms) == harms and state.phase is Phase.URGENT
    for words in steps:
        assert words.lower() in reply.text.lower(), reply.text
    assert reply.advice.after, "the page shows the harm's steps first"


def test_sextortion_steps_never_tell_to_freeze_a_card_or_pay(dialogue: Dialogue) -> None:
    _, (reply,) = talk(dialogue, "I sent her intimate photos and now she wants money")
    assert "back of your card" not in reply.text


@pytest.mark.parametrize(
    "message",
    ["我还没转钱", "我没有给验证码", "I did not send any money", "I haven't installed the app", "我差点就装了软件"],
)
def test_a_negation_is_not_a_harm(dialogue: Dialogue, message: str) -> None:
    _, (reply,) = talk(dialogue, message)
    assert reply.kind is not ReplyKind.URGENT


def test_what_now_after_a_harm_repeats_that_harms_steps(dialogue: Dialogue) -> None:
    _, (_, _, answer) = talk(dialogue, LOAN, "我已经下载了他发的软件", "现在怎么办")
    assert answer.intent == "what_now" and answer.urgent
    assert "卸载" in answer.text


# --- whole messages -----------------------------------------------------------------------------


def test_a_long_chat_log_is_judged_whole(dialogue: Dialogue) -> None:
    chatter = "".join(f"{hour}点：今天天气不错，我们晚上吃什么？孩子的作业写完了吗？\n" for hour in range(150))
    paste = chatter + "对方：你的账户涉嫌洗钱，马上把钱转到安全账户，不要告诉任何人。"
    assert 4000 < len(paste) <= dialogue.max_message_chars
    _, (reply,) = talk(dialogue, paste)
    assert reply.kind is ReplyKind.VERDICT and reply.risk is Risk.HIGH
    assert any("安全账户" in item.text for item in reply.evidence)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_message_over_the_limit_is_refused_whole(dialogue: Dialogue, lang: str) -> None:
    paste = ("转到安全账户" if lang == "zh" else "move money to a safe account ") * 2000
    state, (reply,) = talk(dialogue, paste)
    assert reply.kind is ReplyKind.TOO_LONG and reply.risk is None
    assert f"{dialogue.max_message_chars:,}" in reply.text and f"{len(paste):,}" in reply.text
    assert state.turns == ()  # nothing of it is kept as a story


# --- region and script --------------------------------------------------------------------------


@pytest.mark.parametrize(("region", "hotline", "foreign"), [("hk", "18222", "96110"), ("cn", "96110", "18222")])
def test_the_region_sets_every_reply_and_is_kept(dialogue: Dialogue, region: str, hotline: str, foreign: str) -> None:
    state, replies = talk(dialogue, POLICE_ZH, "我已经转了钱", region=region)
    assert state.region == region
    for reply in replies:
        assert foreign not in reply.text
    assert hotline in replies[0].text
    # A later turn without a region keeps the conversation's.
    state, reply = dialogue.handle(state, "谢谢")
    assert foreign not in reply.text


def test_traditional_input_gets_traditional_replies_in_any_region(dialogue: Dialogue) -> None:
    state, (verdict, urgent) = talk(dialogue, POLICE_HK, "我已經轉咗錢", region="cn")
    assert state.script == "hant-hk"
    for reply in (verdict, urgent):
        assert written_in(reply.text) in ("hant-hk", "hant-tw"), reply.text
    assert all(written_in(sign) != "hans" for sign in verdict.warning_signs)
    assert "96110" in verdict.text  # the region's hotline still, in the citizen's script


def test_a_hong_kong_conversation_is_traditional_even_when_typed_simplified(dialogue: Dialogue) -> None:
    _, (reply,) = talk(dialogue, POLICE_ZH, region="hk")
    assert (written_in(reply.text) or "").startswith("hant")
    assert "18222" in reply.text


def test_simplified_input_stays_simplified(dialogue: Dialogue) -> None:
    _, (reply,) = talk(dialogue, POLICE_ZH)
    assert written_in(reply.text) == "hans"


# --- quotes -------------------------------------------------------------------------------------


def test_quotes_stay_inside_one_message_and_on_word_boundaries(dialogue: Dialogue, engine: Engine) -> None:
    _, replies = talk(dialogue, "有个人打电话给我", "他说我的银行卡涉嫌洗钱\n让我把钱转到安全账户")
    for reply in replies:
        for item in reply.evidence:
            assert "\n" not in item.text
    verdict = engine.analyse(POLICE_EN)
    for item in verdict.evidence:
        start, end = item.span
        assert start == 0 or not POLICE_EN[start - 1].isalnum(), item.text
        assert end == len(POLICE_EN) or not POLICE_EN[end].isalnum(), item.text


@pytest.mark.parametrize(
    ("text", "piece", "expected"),
    [
        ("linked to money laundering. Transfer", "ney laund", "money laundering"),
        ("急需要錢，唔好話俾爸爸媽媽知", "唔好話俾爸", "唔好話俾爸爸媽媽知"),
        ("您好，我是市公安局民警", "，我是", "我是"),
        ("请马上把钱转到安全账户配合调查", "安全账户配合调", "安全账户配合调查"),
    ],
)
def test_tidy_span(text: str, piece: str, expected: str) -> None:
    start = text.index(piece)
    new_start, new_end = tidy_span(text, (start, start + len(piece)))
    assert text[new_start:new_end] == expected
