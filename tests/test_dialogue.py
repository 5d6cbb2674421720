"""The conversation, as a citizen lives it: a story told in pieces, one follow-up question answered
with a word, the switch to urgent help the moment money has gone, FAQ answers, and an honest
"I can't tell" that never calls anything safe."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from bot.conversation.dialogue import MAX_MESSAGE_CHARS, Dialogue, Phase, SessionState
from bot.conversation.faq import FaqIndex
from bot.conversation.phrases import Question, load_phrases
from bot.conversation.reply import Reply, ReplyKind
from bot.engine.pipeline import Engine
from bot.engine.types import Candidate, Risk
from bot.library.loader import Library, LibraryError, load_library
from bot.library.script import convert, written_in

_LIBRARY = load_library()
_PHRASES = load_phrases(_LIBRARY)
_CATEGORIES = {scam_type.category for scam_type in _LIBRARY.types}

# Never said to a citizen: the bot only knows common scams.
CLAIMS_OF_SAFETY = re.compile(
    r"(it|this|that) (is|'s|looks) (safe|fine|legit)|you are safe|没有风险|是安全的|可以放心|(?<!是)不是诈骗"
)


@pytest.fixture(scope="module")
def faq(library: Library, engine: Engine) -> FaqIndex:
    return FaqIndex(library, engine.normaliser)


@pytest.fixture(scope="module")
def dialogue(engine: Engine, faq: FaqIndex) -> Dialogue:
    return Dialogue(engine, faq, "cn")


def in_region(engine: Engine, region: str) -> Dialogue:
    """A fresh conversation service for one region."""
    return Dialogue(engine, FaqIndex(engine.library, engine.normaliser), region, _PHRASES)


def talk(dialogue: Dialogue, *messages: str, lang: str | None = None) -> tuple[SessionState, list[Reply]]:
    state: SessionState | None = None
    replies = []
    for message in messages:
        state, reply = dialogue.handle(state, message, lang)
        replies.append(reply)
    assert state is not None
    return state, replies


def assert_spans_point_into(message: str, reply: Reply) -> None:
    spans = [(item.span, item.text) for item in reply.evidence] + [(item.span, item.text) for item in reply.indicators]
    for (start, end), text in spans:
        assert message[start:end] == text


@pytest.mark.parametrize(
    "message",
    [
        "他说是公安局的，说我涉嫌洗钱，让我把钱转到安全账户 http://safe-account.top",
        "Pay the toll now at https://toll-pay.top",
    ],
)
def test_a_first_message_quotes_what_the_engine_finds_in_it(dialogue: Dialogue, engine: Engine, message: str) -> None:
    """A one-message story is the message: its evidence and indicators are the engine's, spans and all."""
    _, (reply,) = talk(dialogue, message)
    verdict = engine.analyse(message, lang=reply.lang, region="cn")
    assert reply.evidence == verdict.evidence and reply.indicators == verdict.indicators
    assert reply.evidence
    assert_spans_point_into(message, reply)


# --- greetings, help, thanks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "lang"),
    [
        ("你好", "zh"),
        ("您好！", "zh"),
        ("帮助", "zh"),
        ("哈囉", "zh"),
        ("有冇人？", "zh"),
        ("hello", "en"),
        ("Help", "en"),
        ("hi there!", "en"),
    ],
)
def test_a_greeting_or_help_explains_what_the_bot_does(dialogue: Dialogue, message: str, lang: str) -> None:
    state, (reply,) = talk(dialogue, message)
    assert reply.kind is ReplyKind.INTRO
    assert reply.lang == lang
    assert reply.risk is None and not reply.evidence
    assert "110" in reply.text  # what to do if money has already gone
    assert state.phase is Phase.IDLE


def test_a_greeting_inside_a_message_does_not_hide_the_story(dialogue: Dialogue) -> None:
    _, (reply,) = talk(dialogue, "你好，有人打电话说我的身份证涉嫌洗钱，让我把钱转到安全账户")
    assert reply.kind is ReplyKind.VERDICT
    assert reply.risk is Risk.HIGH


@pytest.mark.parametrize("message", ["谢谢", "唔該晒", "多謝晒！", "thank you!"])
def test_thanks_gets_a_polite_close_with_the_one_rule(dialogue: Dialogue, message: str) -> None:
    _, (reply,) = talk(dialogue, message)
    assert reply.kind is ReplyKind.THANKS
    assert "96110" in reply.text


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("good morning, how are you today", ReplyKind.INTRO),
        ("Hi there bot, what can you help me with?", ReplyKind.INTRO),
        ("你好，在吗？", ReplyKind.INTRO),
        ("請問這個聊天機器人可以幫忙做什麼", ReplyKind.INTRO),
        ("thanks so much for the help!", ReplyKind.THANKS),
        ("ok thank you, very helpful", ReplyKind.THANKS),
        ("好的，谢谢你的提醒", ReplyKind.THANKS),
        ("唔該晒你呀", ReplyKind.THANKS),
        ("thank you dear", ReplyKind.THANKS),
        ("ta", ReplyKind.THANKS),
        ("thank you i will not pay", ReplyKind.THANKS),
        ("ok deleting it", ReplyKind.THANKS),
        ("好彩我冇俾錢 多謝晒", ReplyKind.THANKS),
        ("谢谢，我不转了", ReplyKind.THANKS),
    ],
)
def test_a_greeting_or_thanks_with_a_few_courtesy_words_is_still_small_talk(
    dialogue: Dialogue, message: str, kind: ReplyKind
) -> None:
    _, (reply,) = talk(dialogue, message)
    assert reply.kind is kind
    assert reply.risk is None and not reply.evidence


@pytest.mark.parametrize(
    "message",
    [
        "hi mum",  # a scam's opener, pasted: not a greeting to the bot
        "hello dear",
        "thanks, but now he says I must pay a 500 release fee first",
        "谢谢，但是他又让我交保证金",
        "history",  # starts with "hi"
    ],
)
def test_a_greeting_or_thanks_followed_by_anything_else_is_not_small_talk(dialogue: Dialogue, message: str) -> None:
    _, (reply,) = talk(dialogue, message)
    assert reply.kind not in (ReplyKind.INTRO, ReplyKind.THANKS)


# --- a story told in pieces ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("有个自称警察的人打电话给我", "他让我不要告诉家人，还不能挂电话"),
        (
            "I got a call from someone saying he is from the police",
            "he told me not to tell my family and to stay on the line",
        ),
    ],
)
def test_a_story_told_in_two_messages_reaches_the_verdict_of_the_whole(
    dialogue: Dialogue, engine: Engine, first: str, second: str
) -> None:
    assert engine.analyse(second).risk is not Risk.HIGH  # the second message alone is not enough
    state, replies = talk(dialogue, first, second)
    reply = replies[-1]
    assert reply.kind is ReplyKind.VERDICT
    assert reply.risk is Risk.HIGH
    assert reply.scam_type == "fake_authority"
    assert reply.scam_type_name and reply.scam_type_name in reply.text
    assert reply.evidence, "the new message's own warning signs are shown"
    assert_spans_point_into(second, reply)
    assert state.turns == (first, second)


@pytest.mark.parametrize(
    ("story", "aside", "lang"),
    [
        ("我妈接到电话，说她的医保卡被冒用涉嫌洗钱，要把钱转到公安的安全账户", "是工商银行的卡", "zh"),
        (
            "Someone called saying my account is compromised and I must move my savings to a safe account",
            "they said they are from Barclays",
            "en",
        ),
    ],
)
def test_a_later_message_with_no_sign_of_its_own_gets_the_verdict_without_the_signs_again(
    dialogue: Dialogue, story: str, aside: str, lang: str
) -> None:
    """An elderly reader should not scroll through the same list of signs after every aside: the whole story's risk,
    type and one action, said to be unchanged by what was added."""
    _, (first, reply) = talk(dialogue, story, aside, lang=lang)
    phrases = _PHRASES.dialogue.texts
    assert first.kind is ReplyKind.VERDICT and first.risk is Risk.HIGH
    assert phrases.evidence_header[lang] in first.text
    assert reply.kind is ReplyKind.VERDICT
    assert (reply.risk, reply.scam_type) == (first.risk, first.scam_type)
    assert reply.text.startswith(phrases.nothing_new[lang])
    assert reply.scam_type_name and reply.scam_type_name in reply.text
    assert phrases.evidence_header[lang] not in reply.text
    assert not any(item.kind != "model" for item in reply.evidence)


@pytest.mark.parametrize(
    ("story", "aside", "denial", "lang"),
    [
        (
            "有人打電話話係入境處，話我有份包裹寄去內地有違禁品，要轉駁去內地公安",
            "佢叫我唔好話俾屋企人知",
            "我冇俾錢",
            "zh",
        ),
        ("有个自称警察的人说我涉嫌洗钱，要我把钱转到安全账户", "他说是北京的", "我没转钱", "zh"),
        (
            "Someone called saying my account is compromised and I must move my savings to a safe account",
            "they said they are from Barclays",
            "I haven't paid them anything",
            "en",
        ),
    ],
)
def test_saying_unprompted_that_nothing_was_paid_is_heard_as_that(
    dialogue: Dialogue, story: str, aside: str, denial: str, lang: str
) -> None:
    """Once the "have you paid?" question has lapsed, "我冇俾錢" still answers it: the reassurance and the steps, and
    its "give money" is not quoted back as the scammer's demand."""
    state, (_, _, reply) = talk(dialogue, story, aside, denial, lang=lang)
    paid = _PHRASES.question("already_paid")
    assert paid is not None and paid.no_reply is not None
    assert reply.kind is ReplyKind.VERDICT and not reply.urgent and reply.risk is Risk.HIGH
    assert reply.text.startswith(convert(paid.no_reply[lang], state.script))
    assert convert(_PHRASES.dialogue.texts.evidence_header[lang], state.script) not in reply.text
    assert state.phase is Phase.ASSESSING and not state.harms


def test_a_denial_followed_by_more_of_the_story_quotes_what_it_adds(dialogue: Dialogue) -> None:
    story = "Someone called saying my account is compromised and I must move my savings to a safe account"
    _, (_, _, reply) = talk(
        dialogue,
        story,
        "they said they are from Barclays",
        "I haven't paid them anything, but they want me to install AnyDesk",
    )
    assert reply.text.startswith("Good: there is still time")
    assert any(item.text == "AnyDesk" for item in reply.evidence)


@pytest.mark.parametrize("message", ["不是，他说他是北京的警察", "No, he said he was from the bank"])
def test_a_bare_no_without_a_question_waiting_is_not_taken_for_nothing_paid(dialogue: Dialogue, message: str) -> None:
    _, (_, _, reply) = talk(dialogue, "有个自称警察的人说我涉嫌洗钱，要我把钱转到安全账户", "他说是北京的", message)
    paid = _PHRASES.question("already_paid")
    assert paid is not None and paid.no_reply is not None
    assert not reply.text.startswith(paid.no_reply["zh"]) and not reply.text.startswith(paid.no_reply["en"])


def test_a_later_message_with_a_sign_of_its_own_gets_the_whole_verdict_quoting_it(dialogue: Dialogue) -> None:
    _, (_, reply) = talk(dialogue, "有个自称警察的人打电话给我", "他让我把钱转到安全账户")
    assert reply.kind is ReplyKind.VERDICT and reply.risk is Risk.HIGH
    assert not reply.text.startswith(_PHRASES.dialogue.texts.nothing_new["zh"])
    assert any(item.text == "安全账户" for item in reply.evidence)


def test_the_story_kept_is_bounded(dialogue: Dialogue) -> None:
    messages = [f"第{number}条：对方又打来电话，说的还是那些话。" + "啊" * 900 for number in range(10)]
    state, _ = talk(dialogue, *messages)
    assert 1 <= len(state.turns) <= 6
    assert sum(len(turn) + 1 for turn in state.turns) <= MAX_MESSAGE_CHARS
    assert state.turns[-1] == messages[-1]


# --- one follow-up question, answered in a word --------------------------------------------------


@pytest.mark.parametrize(
    ("opening", "words"),
    [("有个自称警察的人打电话给我", "转账"), ("I got a call from someone saying he is from the police", "move money")],
)
def test_an_unclear_story_gets_one_follow_up_question(dialogue: Dialogue, opening: str, words: str) -> None:
    state, (reply,) = talk(dialogue, opening)
    assert reply.risk in (Risk.LOW, Risk.MEDIUM)
    assert reply.question is not None and words in reply.question
    assert reply.text.endswith(reply.question)
    assert state.phase is Phase.AWAITING_ANSWER and state.pending == "money_or_app"


@pytest.mark.parametrize(
    "answer",
    # Mandarin, with and without a sentence-final particle; Cantonese (係 / 啱 / 有㗎); English.
    [
        "是",
        "是的",
        "对",
        "有",
        "嗯",
        "对，他让我转账",
        "是呀",
        "对呀！",
        "係",
        "係呀",
        "啱",
        "有㗎",
        "yes",
        "Yeah",
        "yes they did",
    ],
)
def test_yes_raises_the_risk_and_asks_whether_money_has_gone(dialogue: Dialogue, answer: str) -> None:
    opening = (
        "I got a call from someone saying he is from the police" if answer.isascii() else "有个自称警察的人打电话给我"
    )
    state, (first, reply) = talk(dialogue, opening, answer)
    assert first.risk is not Risk.HIGH
    assert reply.kind is ReplyKind.VERDICT
    assert reply.risk is Risk.HIGH
    assert reply.scam_type == "fake_authority"
    assert state.pending == "already_paid" and reply.question is not None
    assert len(state.confirmed) == 1


@pytest.mark.parametrize(
    "answer",
    # Mandarin; Cantonese (冇 / 唔係 / 未 / 仲未); Taiwanese 無; English.
    [
        "没有",
        "没",
        "不是",
        "还没有",
        "没有，他只说我涉嫌洗钱",
        "没有呀",
        "冇",
        "冇喎",
        "唔係",
        "未",
        "仲未",
        "無",
        "no",
        "Nope",
        "not yet",
    ],
)
def test_no_is_acknowledged_and_never_raises_the_alarm(dialogue: Dialogue, answer: str) -> None:
    opening = (
        "I got a call from someone saying he is from the police" if answer.isascii() else "有个自称警察的人打电话给我"
    )
    state, (_, reply) = talk(dialogue, opening, answer)
    assert reply.kind is not ReplyKind.URGENT and not reply.urgent
    assert state.confirmed == ()
    assert state.phase is Phase.ASSESSING and state.pending is None
    no_reply = _PHRASES.question("money_or_app")
    assert no_reply is not None and no_reply.no_reply is not None
    # (in the citizen's script: a Cantonese or Taiwanese "no" turns the replies traditional)
    assert reply.text.startswith(convert(no_reply.no_reply[reply.lang], state.script))


def test_a_word_that_only_starts_like_an_answer_is_a_new_message(dialogue: Dialogue) -> None:
    state, _ = talk(dialogue, "有个自称警察的人打电话给我", "对方让我找个没人的地方接电话")
    assert state.confirmed == ()  # "对方" is not "对"
    assert len(state.turns) == 2


@pytest.mark.parametrize("message", ["有吗？", "是吧？", "系统提示我的账户异常", "未知号码又打来了"])
def test_a_question_back_or_a_word_starting_like_an_answer_is_no_answer(dialogue: Dialogue, message: str) -> None:
    """Only sentence-final particles that close a statement extend an answer; a question particle does not."""
    state, _ = talk(dialogue, "有个自称警察的人打电话给我", message)
    assert state.confirmed == ()
    assert len(state.turns) == 2


@pytest.mark.parametrize("answer", ["係", "係呀", "有㗎"])
def test_a_cantonese_yes_to_have_you_already_paid_is_urgent(dialogue: Dialogue, answer: str) -> None:
    state, replies = talk(dialogue, "有人打電話話係入境處，話我有份包裹入面有假護照，要我將錢轉去安全賬戶", answer)
    assert replies[0].question is not None and state.phase is Phase.URGENT
    assert replies[-1].kind is ReplyKind.URGENT


def test_a_question_is_never_asked_twice(dialogue: Dialogue) -> None:
    state, replies = talk(dialogue, "有个自称警察的人打电话给我", "没有", "他又打来了", "还是那个警察")
    asked = [reply.question for reply in replies if reply.question]
    assert len(asked) == len(set(asked))
    assert len(state.asked) <= _PHRASES.dialogue.max_questions


def test_when_two_scam_types_score_close_the_question_tells_them_apart(dialogue: Dialogue, engine: Engine) -> None:
    story = engine.analyse("有个自称警察的人打电话给我")
    close = replace(story, candidates=(Candidate("fake_customer_service", "fake_customer_service", 0.5),))
    question = dialogue.choose_question(close, asked=())
    assert question is not None and question.purpose == "separate"
    assert "fake_customer_service" in question.types


def test_a_high_risk_story_asks_whether_money_has_already_gone(dialogue: Dialogue) -> None:
    _, (reply,) = talk(dialogue, "他说我的身份证涉嫌洗钱，让我把存款转到安全账户配合调查")
    assert reply.risk is Risk.HIGH
    assert reply.question is not None and "转账" in reply.question


@pytest.mark.parametrize(
    "question",
    [
        pytest.param(q, id=q.id)
        for q in _PHRASES.questions
        if q.yes_means is not None and (not q.types or set(q.types) & _CATEGORIES)
    ],
)
def test_every_yes_means_what_the_question_asks(engine: Engine, question: Question) -> None:
    """A "yes" is added to the story as words the recogniser reads: they must fire the question's own type."""
    assert question.yes_means is not None
    for lang, statement in question.yes_means.items():
        verdict = engine.analyse(statement, lang=lang)
        assert verdict.evidence, f"{question.id} ({lang}): {statement!r} fires nothing"
        if question.types:
            found = {item.scam_type for item in verdict.evidence}
            assert found & set(question.types), f"{question.id} ({lang}): {statement!r} gives {found}"


# --- money has gone: the urgent path -------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ("我已经转了5000", ("110", "冻结", "不要")),
        ("刚刚给了验证码", ("110", "冻结", "追回")),
        ("转了", ("110", "冻结")),
        ("I already sent the money", ("110", "freeze", "NOT")),
        ("I gave them the code from my bank text", ("110", "freeze", "recover")),
    ],
)
def test_saying_money_or_a_code_has_gone_switches_to_the_urgent_path_at_once(
    dialogue: Dialogue, message: str, words: tuple[str, ...]
) -> None:
    state, (reply,) = talk(dialogue, message)
    assert reply.kind is ReplyKind.URGENT and reply.urgent
    assert all(word in reply.text for word in words)
    assert state.phase is Phase.URGENT


def test_after_a_story_i_already_paid_is_urgent_and_names_the_scam(dialogue: Dialogue) -> None:
    _, replies = talk(dialogue, "有个自称警察的人打电话给我", "他说我的身份证涉嫌洗钱", "我已经转了5000")
    reply = replies[-1]
    assert reply.kind is ReplyKind.URGENT
    assert reply.scam_type == "fake_authority"
    assert reply.advice.after  # what to do after paying, for a page to show in full
    assert "不要相信" in reply.text  # no paying "recovery" people


def test_yes_to_have_you_already_paid_is_urgent(dialogue: Dialogue) -> None:
    state, replies = talk(dialogue, "他说我的身份证涉嫌洗钱，让我把存款转到安全账户配合调查", "是")
    assert replies[0].question is not None
    assert replies[-1].kind is ReplyKind.URGENT
    assert state.phase is Phase.URGENT


@pytest.mark.parametrize(
    ("given", "harm", "step"),
    [
        ("i put 30000 in the bitcoin atm yesterday", "crypto_sent", "company you used to send it"),
        ("I already put $8,000 in a box and fedex picked it up an hour ago", "cash_sent", "delivery company"),
        ("I paid $200 via western union", "transfer_service", "transfer company"),
        ("我买了USDT转给他了", "crypto_sent", "交易所"),
    ],
)
def test_how_the_money_went_decides_who_to_call_first(dialogue: Dialogue, given: str, harm: str, step: str) -> None:
    """Crypto through the company used to send it, cash through the courier, a transfer through its company (FTC)."""
    story = "my grandson called from jail and needs bail money" if given.isascii() else "网上认识的老师带我投资，说稳赚"
    _, (_, reply) = talk(dialogue, story, given)
    assert reply.kind is ReplyKind.URGENT and harm in reply.harms
    assert step in reply.text


def test_a_teenager_sextorted_gets_the_image_takedown_service(dialogue: Dialogue) -> None:
    """Take It Down works from any country for images taken under 18 (takeitdown.ncmec.org)."""
    _, (reply,) = talk(
        dialogue,
        "my 14 year old son sent nude pics to a girl online and now she wants $500 or she sends them to his friends",
    )
    assert reply.kind is ReplyKind.URGENT and "photos" in reply.harms
    assert "Take It Down" in reply.text


def test_gift_cards_handed_over_get_the_card_companys_step_not_the_banks(dialogue: Dialogue) -> None:
    _, (_, reply) = talk(
        dialogue, "my grandson called from jail and needs bail money", "i bought gift cards and read him the numbers"
    )
    assert reply.kind is ReplyKind.URGENT and reply.harms == ("gift_cards",)
    assert "company that issued the gift card" in reply.text
    assert "Change the password of the account that code belongs to" not in reply.text


@pytest.mark.parametrize(
    ("region", "story", "given", "harm"),
    [
        ("cn", "我在网上认识一个人，他带我投资一个平台，赚了钱现在提不出来，说要交保证金", "交了两万", "paid"),
        ("tw", "接到電話說我網購的訂單被設定成分期付款，要我去ATM解除", "我已經去ATM操作了", "paid"),
        ("hk", "收到短訊話我有包裹未派，要俾$12運費，有條link", "㩒咗條link，入咗信用卡資料", "card_data"),
        ("hk", "有個自稱滙豐銀行職員打嚟，話我張信用卡被盜用，叫我講個驗證碼俾佢", "我已經講咗俾佢聽", "code"),
        (
            "us",
            "A man called, said he is from Medicare, and asked for my social security number",
            "I gave it to him",
            None,
        ),
        ("tw", "阿嬤接到電話 對方說你猜我是誰 過兩天他說要借錢 要阿嬤匯十萬", "阿嬤已經去郵局匯了", "paid"),
        (
            "sg",
            "my boyfriend online said his parcel stuck at customs need to pay clearance fee",
            "i paid already 2 times",
            "paid",
        ),
        (
            "sg",
            "got sms singpost parcel cannot deliver pay $2 at link",
            "aiyo i clicked already and key in card",
            "card_data",
        ),
        ("us", "a lady from medicare called about a new card", "i gave her my medicare number", "identity"),
        ("uk", "a man from my bank called and sent me a code to stop a payment", "i read the code out to him", "code"),
        (
            "us",
            "my grandson called from jail and needs bail money",
            "i bought gift cards and read him the numbers",
            "gift_cards",
        ),
        ("cn", "对方说我涉嫌洗钱要交保证金", "我买了京东卡把卡密发给他了", "gift_cards"),
    ],
)
def test_what_has_gone_said_in_a_citizens_own_words_is_urgent(
    engine: Engine, region: str, story: str, given: str, harm: str | None
) -> None:
    """Mandarin with no subject, Taiwan's ATM steps, Cantonese, and a bare "I gave it to him" after the story."""
    dialogue = in_region(engine, region)
    state, replies = talk(dialogue, story, given)
    assert replies[-1].kind is ReplyKind.URGENT and state.phase is Phase.URGENT
    assert state.harms == ((harm,) if harm else ())


@pytest.mark.parametrize(
    ("region", "story", "message"),
    [
        ("cn", None, "有个电话95588打过来说我卡有异常 让我提供验证码"),
        (
            "uk",
            None,
            "he said i must move my savings to a safe account he gave me sort code and account number",
        ),
        ("us", "I found a puppy for sale online, the seller wants a deposit by zelle", "he sent photos of the puppy"),
        ("sg", None, "the sms says i need to key in my bank card details"),
    ],
)
def test_what_the_scammer_asked_for_or_gave_is_not_taken_for_what_the_citizen_gave(
    engine: Engine, region: str, story: str | None, message: str
) -> None:
    """A request ("让我提供验证码"), an obligation ("i must"), someone else's deed ("he gave me", "he sent photos")."""
    dialogue = in_region(engine, region)
    state, replies = talk(dialogue, *([story] if story else []), message)
    assert replies[-1].kind is not ReplyKind.URGENT and not state.harms


@pytest.mark.parametrize(
    ("region", "message"),
    [
        ("cn", "我好像被骗了"),
        ("cn", "我被骗了怎么办"),
        ("cn", "我上当了"),
        ("hk", "俾人呃咗錢點算？"),
        ("tw", "我被詐騙了"),
        ("us", "I got scammed"),
        ("uk", "I think I've been scammed"),
        ("sg", "I have been scammed, who do I contact"),
        ("au", "my mum was scammed by a fake tradie"),
        ("us", "They scammed me out of $2000"),
    ],
)
def test_saying_you_were_scammed_gets_the_urgent_steps_and_is_asked_what_went(
    engine: Engine, region: str, message: str
) -> None:
    dialogue = in_region(engine, region)
    state, (reply,) = talk(dialogue, message)
    assert reply.kind is ReplyKind.URGENT and state.harms == ("scammed",)
    # Once they say what went, that harm's steps replace the question.
    state, (_, then) = talk(dialogue, message, "验证码已经给了他" if reply.lang == "zh" else "I gave them the code")
    assert state.harms == ("code",) and then.kind is ReplyKind.URGENT


@pytest.mark.parametrize(
    ("message", "harm"),
    [
        ("验证码我给他了", "code"),  # the object first
        ("OTP都畀埋佢喇", "code"),  # Latin letters beside Chinese
        ("我有装他给的那个app", "remote_app"),  # Taiwan's 有 + verb: done
        ("垫了800 又垫了3000", "paid"),  # an amount is the object
        ("he's been using my bank login for two weeks", "lent_card"),
    ],
)
def test_an_act_said_in_any_order_in_one_clause_is_heard(dialogue: Dialogue, message: str, harm: str) -> None:
    state, (reply,) = talk(dialogue, message)
    assert reply.kind is ReplyKind.URGENT and harm in state.harms


@pytest.mark.parametrize(
    ("message", "harm"),
    [
        ("top up 3 times already, 500 then 2000", "paid"),  # a bare verb said as done (Singlish)
        ("paynow 380 to him liao then he block me", "paid"),
        ("600 via zelle, then another 350 for pet insurance", "paid"),  # an amount and how it went, no verb
        ("卡里少了三万多", "paid"),  # the balance's side
        ("佢哋已經攞咗我啲錢", "paid"),  # the scammer's side
        ("they took $2,300 out of my checking", "paid"),
        ("card details all give already, even the expiry date also", "card_data"),  # the object first
        ("my dad already paid the $1.99 with his card on that site", "card_data"),  # paid by card: card taken
        ("我妈用信用卡付了两块钱运费", "card_data"),
        ("sold him 2 sims registered in my name", "lent_card"),
        ("他叫我下載AnyDesk，已經連進來了", "remote_app"),  # the scammer already inside
        ("he's on my computer now through AnyDesk", "remote_app"),
        ("佢而家有我啲相，話要放上網", "photos"),  # what the other side holds
        ("she has my pics now and a screen recording", "photos"),
    ],
)
def test_what_went_told_from_either_side_or_without_a_verb_is_heard(
    dialogue: Dialogue, message: str, harm: str
) -> None:
    state, (reply,) = talk(dialogue, message)
    assert reply.kind is ReplyKind.URGENT and harm in state.harms


@pytest.mark.parametrize(
    "message",
    [
        "差一點就匯了，還好銀行行員把我攔下來",  # almost
        "差啲就過咗數，好彩冇",
        "Your new debit card has been posted. Activate it in the app.",  # a bank's notice, not a lent card
        "HDFC Bank: INR 799.00 debited from A/c XX2281 for NETFLIX. Not you? Call the number on your card.",
        "She took off 4 inches when I said 1",  # "took" is not money taken
        "The gate agent made me put my bag in the hold",  # made to, but no app
    ],
)
def test_near_misses_and_notices_in_the_same_words_are_not_urgent(dialogue: Dialogue, message: str) -> None:
    state, (reply,) = talk(dialogue, message)
    assert reply.kind is not ReplyKind.URGENT and state.harms == ()


@pytest.mark.parametrize("answer", ["俾咗喇", "唉 转过去了", "轉咗喇 三萬蚊", "done it already, unfortunately"])
def test_a_paid_answer_opening_the_message_is_urgent_whatever_follows(dialogue: Dialogue, answer: str) -> None:
    state, replies = talk(dialogue, "他说我的身份证涉嫌洗钱，让我把存款转到安全账户配合调查", answer)
    assert replies[-1].kind is ReplyKind.URGENT and state.phase is Phase.URGENT


@pytest.mark.parametrize("answer", ["验证码没给 钱也还没转", "钱还没转，验证码也没说"])
def test_a_denied_act_after_its_topic_is_a_no(dialogue: Dialogue, answer: str) -> None:
    _, (_, reply) = talk(dialogue, "他说我的身份证涉嫌洗钱，让我把存款转到安全账户配合调查", answer)
    assert reply.kind is not ReplyKind.URGENT and not reply.urgent


@pytest.mark.parametrize(
    "message",
    [
        "他叫我把验证码给他",
        "我要不要给他验证码？",
        "他让我下载一个app",
        "He asked me to send the code",
        "I nearly sent him $500",
    ],
)
def test_an_act_only_asked_for_questioned_or_nearly_done_is_not_heard(dialogue: Dialogue, message: str) -> None:
    state, (reply,) = talk(dialogue, message)
    assert reply.kind is not ReplyKind.URGENT and state.harms == ()


@pytest.mark.parametrize(
    ("message", "lang"),
    [
        ("what is a money mule", "en"),
        ("is being a money mule illegal", "en"),
        ("什么是帮信罪", "zh"),
        ("帮信罪判几年", "zh"),
    ],
)
def test_a_question_naming_a_consequence_is_answered_not_taken_for_money_gone(
    dialogue: Dialogue, message: str, lang: str
) -> None:
    """One word of a scam's aftermath (帮信罪, "money mule") names it; it does not tell that money has gone."""
    state, (reply,) = talk(dialogue, message, lang=lang)
    assert reply.kind is ReplyKind.FAQ and not reply.urgent and state.phase is not Phase.URGENT
    assert _LIBRARY.scam_type("card_renting").name[lang] in reply.text


@pytest.mark.parametrize(
    "message",
    [
        "我是不是被骗了？",
        "我被骗了吗",
        "差点被骗了",
        "Did I get scammed?",
        "Have I been scammed?",
        "I was nearly scammed",
    ],
)
def test_asking_whether_you_were_scammed_or_a_near_miss_is_not_urgent(dialogue: Dialogue, message: str) -> None:
    _, (reply,) = talk(dialogue, message)
    assert reply.kind is not ReplyKind.URGENT and not reply.urgent


@pytest.mark.parametrize(
    "message", ["有人冒充客服打电话，打了三次，我没理他", "他转了两次车才到", "他说要交了保证金才能提现"]
)
def test_a_story_that_only_mentions_paying_or_calls_is_not_urgent(dialogue: Dialogue, message: str) -> None:
    _, (reply,) = talk(dialogue, message)
    assert reply.kind is not ReplyKind.URGENT and not reply.urgent


@pytest.mark.parametrize(
    "message",
    [
        "他说交了保证金就能提现",
        "客服说我转了钱就可以退款",
        "交了两万块才能解冻",
        "佢话俾咗手续费先至可以攞钱",
        "他说交了保证金马上放款，我还在考虑",
    ],
)
def test_an_act_told_as_a_condition_is_not_done(dialogue: Dialogue, message: str) -> None:
    """ "Pay the deposit and you can withdraw" is what the scammer promises, not something the citizen has done."""
    state, (reply,) = talk(dialogue, message)
    assert reply.kind is not ReplyKind.URGENT and state.harms == ()


@pytest.mark.parametrize(
    "message",
    [
        "验证码，我已经给他了",
        "那五万块，已经转过去了",
        "The code, I already gave it to him",
        "I sent it already, the 2000",
    ],
)
def test_a_thing_named_in_its_own_short_clause_is_what_the_act_gave(dialogue: Dialogue, message: str) -> None:
    _, (reply,) = talk(dialogue, message)
    assert reply.kind is ReplyKind.URGENT


@pytest.mark.parametrize(
    "message", ["银行发了验证码给我", "他已经把验证码发给我了", "他转了两万给我", "验证码，银行已经发给我了"]
)
def test_what_came_to_the_citizen_has_not_gone(dialogue: Dialogue, message: str) -> None:
    """A code the bank sent them, money someone sent them: nothing of theirs has gone (yet)."""
    state, (reply,) = talk(dialogue, message)
    assert reply.kind is not ReplyKind.URGENT and state.harms == ()


@pytest.mark.parametrize("message", ["我交了保证金，他说还要交", "转了两万块，现在说要交税就能提现"])
def test_an_act_done_before_a_promised_condition_is_still_heard(dialogue: Dialogue, message: str) -> None:
    _, (reply,) = talk(dialogue, message)
    assert reply.kind is ReplyKind.URGENT


@pytest.mark.parametrize(
    "message", ["我还没转账", "我没有给验证码", "I haven't sent any money", "I did not transfer the money yet"]
)
def test_saying_nothing_has_gone_is_not_urgent(dialogue: Dialogue, message: str) -> None:
    _, (reply,) = talk(dialogue, message)
    assert reply.kind is not ReplyKind.URGENT and not reply.urgent


def test_the_urgent_path_stays_in_view_for_the_rest_of_the_conversation(dialogue: Dialogue) -> None:
    state, replies = talk(dialogue, "我已经转了5000", "钱能追回来吗？")
    reply = replies[-1]
    assert reply.kind is ReplyKind.FAQ and reply.urgent
    assert reply.text.startswith("现在最要紧的一步：马上向警方报案")  # what went's first step (cn: the police first)
    assert state.phase is Phase.URGENT


# --- questions answered from the FAQ -------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "entry_id"),
    [("什么是安全账户？", "scam_safe_account"), ("What is a safe account?", "scam_safe_account")],
)
def test_a_question_gets_its_faq_answer_with_the_regions_numbers(
    dialogue: Dialogue, message: str, entry_id: str
) -> None:
    state, (reply,) = talk(dialogue, message)
    assert reply.kind is ReplyKind.FAQ
    assert reply.faq is not None and reply.faq.id == entry_id
    assert reply.faq.answer in reply.text
    assert "{" not in reply.text and "[" not in reply.text and "(police)" not in reply.text
    assert state.turns == ()  # a question about the world is not part of a story


@pytest.mark.parametrize(
    ("message", "type_id"),
    [
        ("what's a middleman scam in game trading", "game_trading"),  # rules score it: not judged as the scam
        ("what is a gambling rebate scam", "gambling"),  # no rule: the type found by its name and summary
        ("冒充公检法诈骗一般是怎么操作的", "fake_authority"),
        ("假冒客服退款嘅騙案係點運作", "fake_customer_service"),
    ],
)
def test_a_question_asking_what_a_scam_is_is_explained_from_that_scam_when_the_faq_has_no_answer(
    dialogue: Dialogue, engine: Engine, message: str, type_id: str
) -> None:
    state, (reply,) = talk(dialogue, message)
    assert reply.kind is ReplyKind.FAQ and reply.faq is not None and reply.faq.id == f"type:{type_id}"
    scam_type = engine.library.scam_type(type_id)
    script = written_in(message)  # a traditional-script question is answered in that script
    assert convert(scam_type.name[reply.lang], script) in reply.faq.question
    # What the scam is (its own summary), then its warning signs and what to do now.
    assert reply.faq.answer.startswith(convert(scam_type.summary[reply.lang], script)[:10])
    assert len(reply.faq.answer.splitlines()) >= 6
    assert "{" not in reply.faq.answer
    assert state.turns == ()  # a question about the world is not part of a story


@pytest.mark.parametrize(
    ("message", "type_id"),
    [
        ("loan scam warning signs", "fake_loan_credit"),
        ("how to spot a fake online shop", "fake_shopping"),
        ("how does the hi mum scam work", "impersonate_acquaintance"),  # "mum" in a scam's name tells no story
        ("nigerian prince email meaning", "prize_lottery"),
        ("怎么识别假冒购物网站", "fake_shopping"),
        ("猜猜我是誰騙案係點", "impersonate_acquaintance"),
        ("什么是钓鱼网站", "phishing_link"),
        ("咩叫傀儡戶口", "card_renting"),
        ("假投資詐騙的常見話術", "investment_romance"),
        ("中奖骗局是怎么回事", "prize_lottery"),
    ],
)
def test_a_question_calling_a_scam_by_one_of_its_names_is_explained_from_that_scam(
    dialogue: Dialogue, message: str, type_id: str
) -> None:
    state, (reply,) = talk(dialogue, message)
    assert reply.kind is ReplyKind.FAQ and reply.faq is not None and reply.faq.id == f"type:{type_id}"
    assert state.turns == ()


@pytest.mark.parametrize(
    "message", ["lottery win notification scam", "sextortion definition pls", "reward points expiring redeem now scam"]
)
def test_a_search_box_fragment_naming_a_kind_of_scam_is_answered(dialogue: Dialogue, message: str) -> None:
    state, (reply,) = talk(dialogue, message)
    assert reply.kind is ReplyKind.FAQ and reply.faq is not None
    assert state.turns == ()


def test_a_story_that_ends_in_the_word_scam_is_still_a_story(dialogue: Dialogue) -> None:
    _, (reply,) = talk(dialogue, "my mom got a call from a bank scam")
    assert reply.kind is not ReplyKind.FAQ


def test_a_question_naming_a_scam_keeps_an_faq_entry_that_matches_it_well(dialogue: Dialogue) -> None:
    _, (reply,) = talk(dialogue, "how do I protect my parents from the grandparent scam")
    assert reply.kind is ReplyKind.FAQ and reply.faq is not None and reply.faq.id == "family_elderly_parents"


@pytest.mark.parametrize(
    ("message", "says"),
    [
        ("how do I freeze my lost debit card", "I can't answer that one"),
        ("how do I make my social media profile private", "I can't answer that one"),
        ("快递可以改地址吗", "这个问题我答不上来"),
        ("點樣申請信用卡", "這個問題我答不上來"),
    ],
)
def test_an_everyday_question_with_nothing_about_a_scam_is_not_answered_from_a_loosely_matching_faq_entry(
    dialogue: Dialogue, message: str, says: str
) -> None:
    """Honest that it is outside what the bot knows, and what to send if a message is why they ask; never "I can't
    tell whether it is a scam", which they did not ask, nor an entry about something else."""
    state, (reply,) = talk(dialogue, message)
    assert reply.kind is ReplyKind.CANT_TELL and reply.faq is None
    assert reply.text.startswith(says)
    assert state.phase is Phase.IDLE


@pytest.mark.parametrize(
    "message",
    ["反诈专线是多少", "香港有冇防騙熱線", "what's the anti-fraud hotline number?", "is there a scam helpline"],
)
def test_asking_for_the_anti_fraud_helpline_gets_the_regions_helpline(dialogue: Dialogue, message: str) -> None:
    _, (reply,) = talk(dialogue, message)
    assert reply.kind in (ReplyKind.ANSWER, ReplyKind.FAQ)  # the reporting channels, or the FAQ's "who can I ask"
    assert "96110" in reply.text  # the deployment's (here mainland China's) helpline
    assert reply.risk is None


def test_a_question_asking_what_a_scam_is_gets_the_faq_answer_even_when_its_words_score_high(
    dialogue: Dialogue,
) -> None:
    _, (reply,) = talk(dialogue, "what is a loan unfreezing fee")
    assert reply.kind is ReplyKind.FAQ and reply.faq is not None and not reply.faq.id.startswith("type:")


@pytest.mark.parametrize(
    ("general", "told"),
    [
        (
            "Do real police ever ask people to move their savings into a safe account?",
            "The police told me to move my savings into a safe account, should I?",
        ),
        ("公安机关会通过视频给人做笔录吗", "对方说他是公安，要通过视频给我做笔录，是真的吗"),
    ],
)
def test_a_question_about_the_world_is_answered_and_the_same_question_about_ones_own_story_is_judged(
    dialogue: Dialogue, general: str, told: str
) -> None:
    _, (answered,) = talk(dialogue, general)
    assert answered.kind is ReplyKind.FAQ and answered.faq is not None
    _, (judged,) = talk(dialogue, told)
    assert judged.kind is ReplyKind.VERDICT and judged.risk is Risk.HIGH


@pytest.mark.parametrize(
    "message",
    [
        "What's this? Your parcel is held, pay the fee at http://bit.ly/x3 to release it",
        "什么意思？您的快递丢失，请点击 http://kd-pei.cc 办理理赔",
    ],
)
def test_a_pasted_message_asked_about_is_judged_not_explained(dialogue: Dialogue, message: str) -> None:
    _, (reply,) = talk(dialogue, message)
    assert reply.kind is ReplyKind.VERDICT and reply.risk is not None and reply.risk.flagged


def test_a_story_that_begins_with_when_is_judged_not_answered_from_the_faq(dialogue: Dialogue) -> None:
    """ "When I asked..., he said..." tells what a caller said ("when will...?" would ask)."""
    _, (reply,) = talk(
        dialogue,
        "When I asked why the caller ID showed a foreign number he said it was just the code their computer"
        " system displays",
    )
    assert reply.kind is ReplyKind.VERDICT and reply.risk is not None and reply.risk.flagged
    assert "fake_authority.rebuttals.foreign_number" in {item.entry for item in reply.evidence}


# --- what it cannot judge ------------------------------------------------------------------------


@pytest.mark.parametrize("message", ["今天天气不错，晚上一起吃饭吧", "See you at 7 tonight at the usual place", "5000"])
def test_what_it_cannot_judge_gets_an_honest_i_cannot_tell(dialogue: Dialogue, message: str) -> None:
    _, (reply,) = talk(dialogue, message)
    assert reply.kind is ReplyKind.CANT_TELL
    assert reply.risk is Risk.NONE
    assert not CLAIMS_OF_SAFETY.search(reply.text.lower())
    assert "96110" in reply.text and reply.advice.before


def test_an_unknown_question_offers_the_nearest_topics(dialogue: Dialogue) -> None:
    _, (reply,) = talk(dialogue, "我的猫生病了怎么办？")
    assert reply.kind is ReplyKind.CANT_TELL
    assert 1 <= len(reply.related) <= 3
    assert all(topic.question in reply.text for topic in reply.related)


def test_no_reply_text_in_the_data_claims_anything_is_safe() -> None:
    texts = _PHRASES.dialogue.texts
    for _, value in texts:
        items = value.values() if isinstance(value, dict) else []
        for item in items:
            for text in [item] if isinstance(item, str) else item:
                assert not CLAIMS_OF_SAFETY.search(text.lower()), text


# --- language and region -------------------------------------------------------------------------


def test_the_reply_follows_the_language_of_each_message(dialogue: Dialogue) -> None:
    state, replies = talk(dialogue, "你好", "hello", "5000")
    assert [reply.lang for reply in replies] == ["zh", "en", "en"]
    assert state.lang == "en"


def test_an_explicit_language_wins(dialogue: Dialogue) -> None:
    _, (reply,) = talk(dialogue, "他让我把钱转到安全账户", lang="en")
    assert reply.lang == "en"
    assert "risk" in reply.text.lower()


def test_hotlines_come_from_the_region(engine: Engine, faq: FaqIndex) -> None:
    hong_kong = Dialogue(engine, faq, "hk")
    _, reply = hong_kong.handle(None, "I already sent the money")
    assert "999" in reply.text and "110" not in reply.text


# --- the data files ------------------------------------------------------------------------------


def test_a_broken_dialogue_file_is_reported_with_file_and_field(library_copy: Path) -> None:
    questions = library_copy / "questions.yaml"
    questions.write_text(
        questions.read_text(encoding="utf-8").replace("      en: Have you already sent money", "      fr: Avez-vous"),
        encoding="utf-8",
    )
    dialogue_file = library_copy / "dialogue.yaml"
    dialogue_file.write_text(
        dialogue_file.read_text(encoding="utf-8").replace("马上联系{after_loss}。", "马上联系{polise}。", 1),
        encoding="utf-8",
    )
    with pytest.raises(LibraryError) as caught:
        load_phrases(load_library(library_copy))
    message = str(caught.value)
    assert "questions.yaml" in message and "already_paid" in message and "missing language(s) ['en']" in message
    assert "dialogue.yaml" in message and "polise" in message


def test_an_answer_particle_longer_than_one_character_is_refused_with_its_field(library_copy: Path) -> None:
    dialogue_file = library_copy / "dialogue.yaml"
    text = dialogue_file.read_text(encoding="utf-8")
    assert "  particles: [呀, " in text
    dialogue_file.write_text(text.replace("  particles: [呀, ", "  particles: [呀呀, ", 1), encoding="utf-8")
    with pytest.raises(LibraryError) as caught:
        load_phrases(load_library(library_copy))
    message = str(caught.value)
    assert "dialogue.yaml" in message and "answers.particles" in message and "呀呀" in message


@pytest.mark.parametrize(
    "warning",
    [
        "物业提醒：近期有人冒充快递客服，以“快递丢失要理赔”为由让业主添加微信、下载会议软件共享屏幕，"
        "再诱导在借款平台借钱“验证”。真正的理赔不会让你借钱。",
        "Police arrested two men on Tuesday over a grandparent scam. Officers said the suspects phoned elderly"
        " victims pretending to be their grandsons and sent a courier to collect the bail money.",
    ],
)
def test_a_warning_pasted_into_the_chat_is_called_a_warning(dialogue: Dialogue, engine: Engine, warning: str) -> None:
    """The verdict's notes reach the citizen: a pasted warning or news report is said to read like one,
    next to the signs it describes, instead of a bare "low risk"."""
    _, replies = talk(dialogue, warning)
    verdict = engine.analyse(warning)
    assert verdict.awareness and verdict.notes
    assert all(note in replies[-1].text for note in verdict.notes)


# --- a region's own numbers, asked about ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "question", "number", "label"),
    [
        ("hk", "18222係咩號碼？", "18222", "防騙易熱線"),  # Cantonese, no question mark needed either
        ("hk", "1834 633 係咩電話", "1834 633", "戒賭"),  # written with its space
        ("tw", "165是什麼？", "165", "165反詐騙諮詢專線"),
        ("sg", "what is 1799", "1799", "ScamShield Helpline"),
        ("uk", "What is 7726?", "7726", "Forward scam texts"),
    ],
)
def test_a_number_the_region_pack_lists_is_explained_from_its_verified_fact(
    engine: Engine, faq: FaqIndex, region: str, question: str, number: str, label: str
) -> None:
    _, (reply,) = talk(Dialogue(engine, faq, region), question)
    assert reply.kind is ReplyKind.ANSWER and reply.risk is None
    assert number in reply.text and label in reply.text
    assert "2026-" in reply.text  # when the fact was checked
    # and that a caller or sender can show the number falsely
    assert any(word in reply.text for word in ("偽造", "伪造", "faked"))


def test_a_number_other_regions_list_is_explained_for_each_of_them(dialogue: Dialogue) -> None:
    _, (reply,) = talk(dialogue, "999是什么号码")  # not a mainland number: Hong Kong's, Singapore's and the UK's
    assert reply.kind is ReplyKind.ANSWER
    assert all(place in reply.text for place in ("香港", "新加坡", "英国"))


def test_an_official_number_inside_a_scam_is_judged_not_explained(engine: Engine, faq: FaqIndex) -> None:
    _, (reply,) = talk(Dialogue(engine, faq, "hk"), "有個18222打嚟話我涉嫌洗黑錢，要我轉錢去安全戶口，係咪真㗎？")
    assert reply.kind is ReplyKind.VERDICT and reply.risk is Risk.HIGH


def test_a_number_no_region_lists_gets_no_such_answer(dialogue: Dialogue) -> None:
    _, (reply,) = talk(dialogue, "12345678是什么号码？")
    assert reply.kind is not ReplyKind.ANSWER


# --- answers in other words than yes or no --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "reply", "said_yes"),
    [
        ("money_or_app", "有叫我裝 一個叫AnyDesk的東西", True),  # what they asked for, named
        ("money_or_app", "he told me to download one app", True),
        ("money_or_app", "too right he did, wanted it in bitcoin", True),
        ("money_or_app", "他只问了我的地址", False),  # only something else
        ("money_or_app", "nahi, he was only asking Aadhaar details", False),
        ("money_or_app", "沒欸 就說我的包裹卡在海關", False),  # Taiwan's 欸
        ("money_or_app", "都冇 佢問咗我全名就收線", False),
        ("already_paid", "I transferred it yesterday", True),
        ("already_paid", "匯了兩次 一次三萬一次五萬", True),
        ("already_paid", "I've not given him any code", False),
        ("already_paid", "not a penny", False),
    ],
)
def test_a_reply_that_answers_the_question_in_other_words_is_read(
    dialogue: Dialogue, question: str, reply: str, said_yes: bool
) -> None:
    waiting = SessionState(phase=Phase.AWAITING_ANSWER, pending=question)
    answered = dialogue.answers_pending(waiting, reply)
    assert answered is not None and answered[1] is said_yes


@pytest.mark.parametrize("reply", ["他没叫我转钱，就问了地址？", "what do you mean screen?", "he didn't ask me to pay"])
def test_a_denied_or_questioning_reply_is_never_read_as_a_yes(dialogue: Dialogue, reply: str) -> None:
    waiting = SessionState(phase=Phase.AWAITING_ANSWER, pending="money_or_app")
    answered = dialogue.answers_pending(waiting, reply)
    assert answered is None or answered[1] is False


@pytest.mark.parametrize(
    ("region", "story", "given", "protection"),
    [
        ("us", "a man from the irs called about unpaid tax", "i read out my ssn to him", "IdentityTheft.gov"),
        ("uk", "someone from HMRC rang about a tax refund", "i told him my national insurance number", "Cifas"),
        ("cn", "网上贷款客服让我验证身份", "手持身份证照和正反面都发过去了", "一证通查"),
        ("sg", "job agent on telegram asked for my details", "i sent a photo of my nric already", "6335 3533"),
        ("hk", "有人話我中咗獎，要核對身份", "我已經俾咗身份證號碼佢", None),
        ("tw", "網路上認識的人說要幫我辦貸款", "我已經把身分證正反面拍照傳給他了", None),
    ],
)
def test_an_identity_number_or_id_photo_given_away_gets_identity_theft_steps(
    engine: Engine, region: str, story: str, given: str, protection: str | None
) -> None:
    """Not the card's "block it" nor sextortion's "don't pay": the region's own identity protection where it has one
    (checked on an official page), then the bank, what to watch for, and a police report."""
    dialogue = in_region(engine, region)
    state, replies = talk(dialogue, story, given)
    reply = replies[-1]
    assert reply.kind is ReplyKind.URGENT and state.harms == ("identity",)
    assert "{" not in reply.text and "[" not in reply.text
    if protection is not None:
        assert protection in reply.text
    assert re.search(r"police|警方|報案|报案", reply.text)
    assert not re.search(r"Take It Down|do not pay: paying only|不要付钱：付了钱", reply.text)


@pytest.mark.parametrize(
    ("region", "story", "given", "harms"),
    [
        ("cn", "有人说我的快递丢了要理赔", "我把身份证号和银行卡号都发给他了", ("card_data", "identity")),
        ("sg", "a girl on a video call", "i sent her nudes and now she wants money", ("photos",)),
        ("cn", "裸聊以后对方说要把视频发给我家人", "我发了几张照片给她", ("photos",)),
    ],
)
def test_an_id_is_told_apart_from_card_details_and_private_photos(
    engine: Engine, region: str, story: str, given: str, harms: tuple[str, ...]
) -> None:
    """An ID card's photo is not a private photo; card details and an ID number given together are both named."""
    dialogue = in_region(engine, region)
    state, _ = talk(dialogue, story, given)
    assert state.harms == harms


@pytest.mark.parametrize(
    ("region", "line"),
    [("uk", "Report Remove"), ("us", "CyberTipline"), ("sg", None), ("cn", None)],
)
def test_private_photos_gone_name_the_regions_own_child_protection_line_where_it_has_one(
    engine: Engine, region: str, line: str | None
) -> None:
    """Take It Down works from anywhere; the UK's Report Remove and the US CyberTipline are added where they apply,
    and no region is told of another's."""
    dialogue = in_region(engine, region)
    story = "a girl on a video call recorded me" if region != "cn" else "裸聊以后对方说要把视频发给我家人"
    given = "i sent her nudes and now she wants money" if region != "cn" else "我发了几张照片给她"
    state, replies = talk(dialogue, story, given)
    assert state.harms == ("photos",)
    text = replies[-1].text
    assert "Take It Down" in text
    for other in ("Report Remove", "CyberTipline"):
        assert (other in text) == (other == line)


@pytest.mark.parametrize(
    ("region", "story", "message"),
    [
        ("cn", "有个自称公安的人说我涉嫌洗钱", "他发了逮捕令给我看，上面有我照片"),
        (
            "us",
            "a man said he is a deputy and i missed jury duty",
            "he sent me a photo of the arrest warrant with my name on it",
        ),
    ],
)
def test_a_fake_warrant_with_the_citizens_photo_is_the_scammers_prop_not_private_photos_gone(
    engine: Engine, region: str, story: str, message: str
) -> None:
    """The scammer showed a "warrant" with the citizen's photo: nothing of theirs has gone, so no urgent steps for
    private photos (don't pay, Take It Down)."""
    dialogue = in_region(engine, region)
    state, replies = talk(dialogue, story, message)
    assert "photos" not in state.harms and replies[-1].kind is not ReplyKind.URGENT


@pytest.mark.parametrize(
    ("region", "message", "line", "urgent"),
    [
        ("cn", "家里人都在骂我 我不想活了", "12356", False),
        ("cn", "被骗了20万 全是养老钱 我真的不想活了", "12356", True),
        ("hk", "我想死", "2389 2222", False),
        ("tw", "被騙光所有積蓄 我想自殺", "1925", True),
        ("uk", "i lost all my savings to a scammer and i want to end it all", "116 123", True),
        ("us", "i cant go on, they took everything", "988", False),
        ("sg", "i dont want to live anymore", "1767", False),
    ],
)
def test_someone_who_says_they_want_to_die_is_answered_with_care_and_a_crisis_line_first(
    engine: Engine, region: str, message: str, line: str, urgent: bool
) -> None:
    """Never "I can't tell whether it is a scam": care, the region's 24-hour line, someone near, the emergency number;
    and when money has gone, the urgent steps still follow."""
    dialogue = in_region(engine, region)
    _, (reply,) = talk(dialogue, message)
    assert reply.care is not None and reply.text.startswith(reply.care)
    assert line in reply.care
    assert (reply.kind is ReplyKind.URGENT) == urgent
    assert not CLAIMS_OF_SAFETY.search(reply.text)


@pytest.mark.parametrize(
    "message",
    [
        "想死你了，下周回家吃饭",
        "笑死我了哈哈",
        "我今天不想活动，太累了",
        "i'm dying to see you",
        "this suicide prevention hotline text looks odd",
    ],
)
def test_fond_and_joking_words_are_not_taken_for_despair(engine: Engine, message: str) -> None:
    dialogue = in_region(engine, "cn")
    _, (reply,) = talk(dialogue, message)
    assert reply.care is None


@pytest.mark.parametrize(
    ("region", "story", "question"),
    [
        (
            "cn",
            "他说他是公安局的，我的身份证涉嫌洗钱，让我把钱转到安全账户。他还让我转了2万到安全账户",
            "要不要告诉银行",
        ),
        ("hk", "有人話我個戶口涉及洗黑錢", "要唔要同銀行講"),
        ("tw", "有人說是博客來客服，說我被設定成分期付款", "要不要跟銀行說"),
        ("us", "a man from the irs says i owe taxes and must pay in gift cards", "should i tell my bank"),
        ("uk", None, "should i call the police"),
    ],
)
def test_should_i_tell_my_bank_the_police_or_family_is_always_a_yes(
    engine: Engine, region: str, story: str | None, question: str
) -> None:
    """Never "No. Don't pay...": telling the bank, the police or the family is what helps; before any story too."""
    dialogue = in_region(engine, region)
    _, replies = talk(dialogue, *([story] if story else []), question)
    reply = replies[-1]
    assert reply.intent == "tell_them"
    assert re.search(r"^(Yes|要)", reply.text.split("\n\n")[-1])
    assert not re.search(r"^(No\.|不要。)", reply.text, re.M)


@pytest.mark.parametrize("question", ["卡密还能要回来吗", "钱还能要回来吗"])
def test_asking_to_get_something_back_is_not_told_no(engine: Engine, question: str) -> None:
    dialogue = in_region(engine, "cn")
    _, replies = talk(dialogue, "对方说我涉嫌洗钱要交保证金，我买了京东卡把卡密发给他了", question)
    assert not replies[-1].text.startswith("不要。") and "\n不要。" not in replies[-1].text


@pytest.mark.parametrize(
    ("region", "story", "given", "harms"),
    [
        (
            "us",
            "a guy who said hes from bank of america fraud dept called",
            "i gave my online banking username and password to him",
            ("card_data",),
        ),
        (
            "us",
            "a man from my bank called",
            "i gave him my card number and my social security number",
            ("card_data", "identity"),
        ),
        (
            "sg",
            "someone ask me to rent my bank account for $500 a week",
            "i already lent my atm card and pin to him",
            ("lent_card",),
        ),
        ("hk", "有人話幫我申請政府津貼", "喺7-11買咗3000蚊嘅點數卡將卡號同密碼send咗俾佢", ("gift_cards",)),
    ],
)
def test_card_details_given_to_a_caller_are_not_an_account_lent(
    engine: Engine, region: str, story: str, given: str, harms: tuple[str, ...]
) -> None:
    """A card number or a banking password given to a "bank" caller gets the card's steps, never the money mule's
    "lending an account can be a crime"; an account really lent still does; Hong Kong's 點數卡 are gift cards."""
    dialogue = in_region(engine, region)
    state, replies = talk(dialogue, story, given)
    assert state.harms == harms
    assert ("can be a crime" in replies[-1].text) == ("lent_card" in harms)


def test_remote_access_is_cut_off_first_and_on_a_computer_too(engine: Engine) -> None:
    dialogue = in_region(engine, "us")
    state, replies = talk(
        dialogue, "he said my computer has a virus", "i installed anydesk and gave him my card number"
    )
    assert state.harms[0] == "remote_app"
    first = next(line for line in replies[-1].text.splitlines() if line.startswith("1. "))
    assert "Wi-Fi" in first and "uninstall" in first


@pytest.mark.parametrize(
    ("region", "story", "message"),
    [
        ("tw", "剛剛有人說是博客來客服，要我去ATM解除分期付款", "我還在ATM前面"),
        ("cn", "我妈接到电话说她涉嫌洗钱，让她取了8万现金，有个专员上门来拿走了", "那个人还说明天还要再来拿一次"),
    ],
)
def test_still_at_the_atm_or_a_collector_coming_again_is_told_to_stop(
    engine: Engine, region: str, story: str, message: str
) -> None:
    dialogue = in_region(engine, region)
    _, replies = talk(dialogue, story, message)
    assert replies[-1].intent == "stop_now"


def test_a_hacked_webcam_email_retold_is_a_bluff_not_private_photos_gone(engine: Engine) -> None:
    dialogue = in_region(engine, "uk")
    state, _ = talk(
        dialogue, "got an email saying they hacked my webcam and recorded me, it has an old password of mine"
    )
    assert "photos" not in state.harms


@pytest.mark.parametrize(
    ("region", "messages", "harm"),
    [
        (
            "uk",
            [
                "my dad 84 was told by a 'police officer' on the phone to withdraw 6k cash and hand it to a "
                "courier who came to the door. he did it yesterday"
            ],
            "paid",
        ),
        (
            "uk",
            [
                "my mum got a call from someone saying they were from her bank, they told her to move her savings to a "
                "safe account and she did, 12000 pounds"
            ],
            "paid",
        ),
        ("us", ["my dad met a woman online who got him into crypto", "he's sent about 15k so far"], "paid"),
    ],
)
def test_a_loss_told_by_a_relative_starts_the_urgent_steps(
    engine: Engine, region: str, messages: list[str], harm: str
) -> None:
    """Someone the citizen speaks for ("my dad", "my mum"): their deeds count as the citizen's own."""
    dialogue = in_region(engine, region)
    state, replies = talk(dialogue, *messages)
    assert replies[-1].kind is ReplyKind.URGENT and harm in state.harms


@pytest.mark.parametrize(
    ("region", "story", "message", "harms"),
    [
        ("uk", "my mum got a text from the bank", "he gave me the sort code and account number", ()),
        ("us", "my dad got a call from a man saying he was from the police", "he said he was sending a courier", ()),
        ("sg", "video call with girl from facebook", "she record me naked lor, now she want $3000", ("photos",)),
    ],
)
def test_in_a_relatives_story_the_scammers_deeds_are_still_the_scammers(
    engine: Engine, region: str, story: str, message: str, harms: tuple[str, ...]
) -> None:
    """ "He gave me the sort code" is given to the citizen; "she recorded me" is still private photos held."""
    dialogue = in_region(engine, region)
    state, _ = talk(dialogue, story, message)
    assert state.harms == harms


@pytest.mark.parametrize(
    ("region", "message", "kind"),
    [
        ("hk", "你係咪真人嚟㗎", ReplyKind.INTRO),
        ("cn", "你是真人吗", ReplyKind.INTRO),
        ("us", "can i speak to a human", ReplyKind.INTRO),
        ("cn", "谢谢你 你真好", ReplyKind.THANKS),
        ("tw", "好 謝謝", ReplyKind.THANKS),
    ],
)
def test_asked_whether_it_is_a_person_the_bot_says_it_is_a_program(
    engine: Engine, region: str, message: str, kind: ReplyKind
) -> None:
    dialogue = in_region(engine, region)
    _, (reply,) = talk(dialogue, message)
    assert reply.kind is kind
    if kind is ReplyKind.INTRO:
        assert re.search(r"not a person|不是真人", reply.text)


@pytest.mark.parametrize(
    ("region", "story", "given"),
    [
        (
            "uk",
            "someone texted pretending to be whatsapp support and asked for a code",
            "i sent back the 6 digit code and now im locked out of whatsapp and shes asking all my contacts for money",
        ),
        (
            "cn",
            "有人说是我朋友，让我把收到的验证码发给他",
            "我发给他了，现在我的微信登录不了，他用我的微信找我朋友借钱",
        ),
    ],
)
def test_a_chat_account_taken_over_gets_the_apps_steps_not_the_banks(
    engine: Engine, region: str, story: str, given: str
) -> None:
    """Sign in again with one's own number (WhatsApp logs the other person out), warn the contacts; no "start with
    your bank" when nothing of the bank's went."""
    dialogue = in_region(engine, region)
    state, replies = talk(dialogue, story, given)
    assert state.harms == ("chat_account",)
    first = replies[-1].text.splitlines()[0]
    assert "bank" not in first and "银行" not in first


@pytest.mark.parametrize(
    ("region", "first", "second", "second_type"),
    [
        (
            "us",
            "USPS: your package is on hold due to incomplete address, update at usps-redeliver.top",
            "hi mum my phone broke this is my new number, can you send me £200 for rent",
            "impersonate_acquaintance",
        ),
        (
            "uk",
            "Royal Mail: your parcel could not be delivered, pay the £1.45 fee at royalmail-redelivery.info",
            "Congratulations! You've won a $1000 Walmart gift card, claim now at wmrt-prize.info",
            "prize_lottery",
        ),
    ],
)
def test_a_second_scam_message_pasted_is_judged_on_its_own(
    engine: Engine, region: str, first: str, second: str, second_type: str
) -> None:
    """Not read into the first story (whose type and "don't open the link" would stick): checked alone, and said so."""
    dialogue = in_region(engine, region)
    state, replies = talk(dialogue, first, second)
    assert replies[-1].scam_type == second_type
    assert replies[-1].text.startswith("This looks like a different message")
    assert state.turns == (second,)


@pytest.mark.parametrize(
    "follow_up",
    ["then he said i must move my savings to a safe account", "he said he is from the police and i must pay a fine"],
)
def test_more_of_the_story_is_never_taken_for_another_message(engine: Engine, follow_up: str) -> None:
    dialogue = in_region(engine, "uk")
    state, replies = talk(dialogue, "a man called saying my bank account was hacked and i need to act now", follow_up)
    assert not replies[-1].text.startswith("This looks like a different message")
    assert len(state.turns) == 2


@pytest.mark.parametrize(
    ("region", "message", "official"),
    [
        ("cn", "【12381】您好，您可能正在遭遇电信网络诈骗，请立即停止转账，提高警惕。", "12381"),
        ("tw", "【165反詐騙】提醒您，您可能接觸投資詐騙，請勿匯款", "111"),
        ("hk", "警方提示：你可能正在與騙徒接觸，切勿轉賬", "#"),
        ("sg", "ScamShield alert: you may be in contact with a scammer. Do not transfer any money.", None),
    ],
)
def test_an_official_fraud_warning_is_explained_not_left_unjudged(
    engine: Engine, region: str, message: str, official: str | None
) -> None:
    """ "I can't tell whether it is a scam" helped no one: such a warning usually means they are being scammed now."""
    dialogue = in_region(engine, region)
    state, (reply,) = talk(dialogue, message)
    assert reply.intent == "warned" and reply.kind is ReplyKind.ANSWER
    assert official is None or official in reply.text
    assert state.turns == ()  # its warning words do not discount what the citizen tells next
    assert not CLAIMS_OF_SAFETY.search(reply.text)


def test_a_fake_warning_with_a_link_is_still_judged(engine: Engine) -> None:
    dialogue = in_region(engine, "cn")
    _, (reply,) = talk(dialogue, "【12381】您可能正在遭遇诈骗，请点击 http://12381-check.cn 核验身份")
    assert reply.kind is ReplyKind.VERDICT and reply.risk is not None and reply.risk.flagged


@pytest.mark.parametrize(
    ("region", "question", "expected", "absent"),
    [
        ("uk", "will i get my money back", "Financial Ombudsman", "chargeback"),
        ("us", "will i get my money back after a scam", "fraudulent charge", "Ombudsman"),
        ("cn", "报警了钱能追回来吗", "不能保证", "Ombudsman"),
    ],
)
def test_will_i_get_my_money_back_names_the_regions_own_rules(
    engine: Engine, region: str, question: str, expected: str, absent: str
) -> None:
    """The UK's reimbursement of bank-transfer scams and the US card dispute where they apply; never in another region;
    and "报警了…" asks about the money, not how to report."""
    dialogue = in_region(engine, region)
    _, (reply,) = talk(dialogue, question)
    assert reply.faq is not None and reply.faq.id == "after_get_money_back"
    assert expected in reply.text and absent not in reply.text


@pytest.mark.parametrize(
    ("region", "message", "urgent"),
    [
        (
            "us",
            "i lost 40k in a crypto investment last year. now a lawyer emailed saying he can get my money back but i "
            "need to pay a $2500 retainer fee first",
            False,
        ),
        ("us", "i read that recovery scams exist, what are they?", False),
        ("cn", "有个律师说能帮我追回被骗的钱 要先交5000手续费", False),
        ("hk", "有個追損團隊話可以幫我攞返啲錢，但要我先俾一萬蚊手續費", False),
        ("us", "a recovery company said they'd get my bitcoin back, i already paid them $800 fee", True),
    ],
)
def test_a_recovery_offer_is_named_as_the_second_scam(engine: Engine, region: str, message: str, urgent: bool) -> None:
    """Not the card's "stop the payment" for last year's loss: don't pay the "recoverer"; money just paid to one still
    gets the urgent steps after it."""
    dialogue = in_region(engine, region)
    _, (reply,) = talk(dialogue, message)
    assert reply.intent == "recovery"
    assert re.search(r"recovery scam|二次诈骗|二次詐騙", reply.text)
    assert (reply.kind is ReplyKind.URGENT) == urgent


@pytest.mark.parametrize(
    ("region", "story", "message", "intent"),
    [
        (
            "cn",
            "刚才有人打电话说是快递丢了要理赔，让我说了个验证码，我把验证码念给他了",
            "是不是我的错 我好蠢",
            "ashamed",
        ),
        (
            "uk",
            "my mum got a call yesterday from someone saying they were from her bank",
            "she's embarrassed and doesnt want to tell anyone",
            "ashamed",
        ),
        ("tw", "阿嬤接到電話，對方說你猜我是誰，過兩天他說要借錢", "要怎麼跟阿嬤講 她很自責", "ashamed"),
        ("us", "a man says he is from the irs and i owe taxes", "he is calling again", "calling_again"),
        ("cn", "他说他是公安局的，我的身份证涉嫌洗钱", "他又打来了", "calling_again"),
    ],
)
def test_shame_and_a_caller_calling_again_get_their_own_answers(
    engine: Engine, region: str, story: str, message: str, intent: str
) -> None:
    """ "It is not your fault" and who to tell; blocking the number: not "no new warning sign, hang up"."""
    dialogue = in_region(engine, region)
    _, replies = talk(dialogue, story, message)
    assert replies[-1].intent == intent


@pytest.mark.parametrize(
    ("region", "alert", "message"),
    [
        ("hk", "【滙豐】你的信用卡於12月7日簽賬HK$8,800，如非本人交易，請致電卡背電話", "我冇買過嘢喎 係咪騙案"),
        (
            "us",
            "Chase Fraud Alert: Did you attempt a $742.18 purchase at Best Buy? Reply YES or NO",
            "i didnt buy anything at best buy",
        ),
        ("tw", "國泰世華：您的信用卡刷卡消費NT$12,000", "我沒有刷卡 是被盜刷了嗎"),
    ],
)
def test_a_charge_they_did_not_make_gets_the_bank_now(engine: Engine, region: str, alert: str, message: str) -> None:
    """A genuine alert and "I didn't buy anything": freeze it with the bank now, on a number they already have."""
    dialogue = in_region(engine, region)
    _, replies = talk(dialogue, alert, message)
    assert replies[-1].intent == "not_mine"
    assert re.search(r"back of your card|卡背面", replies[-1].text)


@pytest.mark.parametrize(
    ("region", "story", "given", "harm"),
    [
        ("intl", "a man from the bank said my account will be blocked", "i have already done 50000 by RTGS", "paid"),
        (
            "sg",
            "i give them my bank account number and they ask for the otp",
            "now got 3 transaction i never make",
            "paid",
        ),
        (
            "uk",
            "found a flat on facebook, the landlord is abroad",
            "and i paid a £400 holding deposit by bank transfer",
            "paid",
        ),
        ("us", "the irs said i owe back taxes", "I ALREADY SENT 800 ON THE GREEN DOT CARD", "gift_cards"),
        (
            "us",
            "a girl on instagram is threatening my son, 15",
            "she got him to send nude pics and now she wants $500",
            "photos",
        ),
    ],
)
def test_losses_in_everyday_english_start_the_urgent_steps(
    engine: Engine, region: str, story: str, given: str, harm: str
) -> None:
    """Indian English's RTGS, Singlish, "a £400 deposit", a prepaid card, a child talked into sending photos."""
    dialogue = in_region(engine, region)
    state, replies = talk(dialogue, story, given)
    assert replies[-1].kind is ReplyKind.URGENT and harm in state.harms


@pytest.mark.parametrize("region", ["hk", "uk", "cn"])
def test_several_things_gone_get_one_bank_call_and_one_police_report_side_by_side(engine: Engine, region: str) -> None:
    """An ID photo, a code and money at once: the region's first call, then the other, before the rest."""
    dialogue = in_region(engine, region)
    message = (
        "俾咗身份證相 又講咗驗證碼 仲轉咗兩萬俾佢"
        if region != "uk"
        else ("i sent him a photo of my passport, gave him the code and transferred £2000")
    )
    state, (reply,) = talk(dialogue, message)
    assert {"paid", "code", "identity"} <= set(state.harms)
    steps = [line for line in reply.text.splitlines() if re.match(r"\d+\. ", line)]
    police = [i for i, line in enumerate(steps) if re.search(r"police|警方|报案|報案|Report Fraud", line)]
    bank = [i for i, line in enumerate(steps) if re.search(r"back of your card|银行卡背面|銀行卡背面", line)]
    assert len(bank) == 1 and len(police) == 1
    assert sorted(police + bank) == [0, 1]


@pytest.mark.parametrize(
    ("given", "bank_first"),
    [("I gave him my social security number", False), ("i already lent my atm card and pin to him", True)],
)
def test_the_urgent_header_starts_with_the_bank_only_where_the_bank_comes_first(
    engine: Engine, given: str, bank_first: bool
) -> None:
    """An ID given away starts with protecting the identity, not "if money or a code has gone, start with your bank"."""
    dialogue = in_region(engine, "us")
    _, (reply,) = talk(dialogue, given)
    header = reply.text.splitlines()[0]
    assert ("bank" in header or "money" in header) == bank_first


@pytest.mark.parametrize(
    ("region", "messages"),
    [
        ("us", ["a man from my bank called", "i gave him my card number and the cvv", "do i need a new card"]),
        ("cn", ["有人冒充客服，我把银行卡号和有效期都给他了", "要不要换卡"]),
        ("uk", ["do i need a new card"]),
    ],
)
def test_do_i_need_a_new_card_is_answered(engine: Engine, region: str, messages: list[str]) -> None:
    """Not the verdict again: yes when the card's details went, how, and when not."""
    dialogue = in_region(engine, region)
    _, replies = talk(dialogue, *messages)
    assert replies[-1].intent == "new_card"
    assert re.search(r"new number|新卡号", replies[-1].text)


@pytest.mark.parametrize(
    ("messages", "first"),
    [
        (
            [
                "my grandson called from jail and needs bail money",
                "i bought gift cards and read him the numbers",
                "is it my fault",
            ],
            "gift card",
        ),
        (
            [
                "he said my computer has a virus",
                "i installed anydesk and he is still on my laptop",
                "what is a safe account?",
            ],
            "Cut them off",
        ),
    ],
)
def test_later_replies_keep_the_first_step_for_what_went_in_view(
    dialogue: Dialogue, messages: list[str], first: str
) -> None:
    """Not "call the number on the back of your card" after gift cards went: the card company; after remote access,
    cutting them off."""
    _, replies = talk(dialogue, *messages)
    assert replies[-1].text.startswith("The most important step now:")
    assert first in replies[-1].text.split("\n")[0]
