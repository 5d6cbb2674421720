"""Normalisation: every way citizens and scammers write a word folds to one form, and every
folded character still points at the citizen's own characters."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.normalise import NormalisedText
from bot.engine.pipeline import Engine
from bot.engine.types import Risk
from tests.test_library import edit_yaml, load_errors


def fold(engine: Engine, text: str) -> NormalisedText:
    return engine.normaliser.normalise(text)


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("ＶＸ１２３", "微信123"),  # full-width letters and digits
        ("請轉賬到安全帳戶", "请转账到安全账户"),  # traditional characters and the 帳 variant
        ("安 全 账 户", "安全账户"),  # spaces inside a Chinese word
        ("安-全*账.户", "安全账户"),  # decoration inside a Chinese word
        ("安\u200b全\u200d账户", "安全账户"),  # zero-width characters
        ("加V信聊", "加微信聊"),  # evasion spelling
        ("加薇信", "加微信"),
        ("加q详谈", "加qq详谈"),
        ("加徽信聊", "加微信聊"),  # homophones of 微信, the longer spelling first
        ("溦信号 葳信号", "微信号微信号"),  # (a space between Chinese words goes)
        ("加电报详谈", "加telegram详谈"),  # Telegram's own Chinese name
        ("玩菠菜", "玩博彩"),
        ("收yhk 高价收zfb 加🐧", "收银行卡高价收支付宝加qq"),  # pinyin initials and QQ's penguin
        ("憑身分證即可", "凭身份证即可"),  # Taiwan's 身分證
        ("SAFE  Account", "safe account"),  # case and repeated spaces
        ("𝐒𝐚𝐟𝐞 account", "safe account"),  # mathematical bold letters
        ("safe acc0unt, m0ney, wh@tsapp", "safe account, money, whatsapp"),  # look-alike digits
        ("call 110 or 96110", "call 110 or 96110"),  # real numbers stay numbers
        ("H.M.R.C F.I.N.A.L notice", "hmrc final notice"),  # letters split by a repeated mark
        ("C-o-s-t-c-o f*r*e*e gift", "costco free gift"),
        ("e.g. U.S. a-b", "e.g. u.s. a-b"),  # two letters, or a mark that changes, are not a split word
        ("Y o u  h a v e  w o n, verify K Y C", "you have won, verify kyc"),  # spaced letters; wider gaps part words
        ("u r a winner, c u l8r, i n a", "u r a winner, c u l8r, i n a"),  # text-speak one-letter words stay
        ("You.r pay.ment for Aug.ust was rec.eived: xq7.com/a", "your payment for august was received: xq7.com/a"),
        ("Y.our in.voice is p.aid, see sh.op.com or shop.com", "your invoice is paid, see sh.op.com or shop.com"),
        ("Done.Thanks.See you at home.ok", "done.thanks.see you at home.ok"),  # a few dotted words: left
        ("$3O4.OO, call 1-8O0-2I4-0O91", "$304.00, call 1-800-214-0091"),  # look-alike letters in numbers
        ("oil, lol, 10am, I", "oil, lol, 10am, i"),  # words that only look numeric stay words
        ("ǫᴜɪᴄᴋ ᴊᴏʙ, ɢᴇᴛ ᴘᴀɪᴅ", "quick job, get paid"),  # small capitals
        ("P\u0430yP\u0430l \u0441ode, \u03a1ay", "paypal code, pay"),  # Cyrillic and Greek look-alikes
        # "1" is an "i" or an "l" and "$" an "s", as the word it makes is one the knowledge uses; a ticker,
        # an ordinal or a word that makes no known word keeps its digit or sign
        ("c1ick to c1aim your pr1ze, 1ogin", "click to claim your prize, login"),
        ("bi11 0verdue, ca11 us, emai1", "bill overdue, call us, email"),
        ("acc0unt $uspended, ca$h", "account suspended, cash"),
        ("st0ck p!cks, b!tcoin! Wow, ok!see u", "stock picks, bitcoin! wow, ok!see u"),  # "!" as "i" in known words
        ("1st prize in $ETH, $btc", "1st prize in $eth, $btc"),
        # "@" is an "a" inside a word or where it makes a known one; before a handle it is the handle's sign
        (
            "wh@tsapp, @ccount, DM @dan_chainfix, thanks @CyberTraceUnit",
            "whatsapp, account, dm @dan_chainfix, thanks @cybertraceunit",
        ),
        # emoji between Latin words are a word break, and go where a space is already
        ("you🎁won🎁a prize🎉🎉 claim 👉 now", "you won a prize claim now"),
        ("恭喜🎉您中奖了", "恭喜您中奖了"),
        ("加Q ❶❷❸❹, call ➀➁➂", "加qq 1234, call 123"),  # dingbat digits are digits, not emoji
        # a chat export's date and time before each line: they say when, not what
        ("[12/03/2025, 10:15:32] Mike: hi\n12/03/25, 10:16 pm - Mike: send the code", "mike: hi\nmike: send the code"),
        ("2025-03-12 10:15:32 对方：转账\n2025年3月12日 10:16 对方：安全账户", "对方:转账对方:安全账户"),
        ("10:30 meeting, ratio 1:1, 10:30", "meeting, ratio 1:1, 10:30"),
        # HTML entities left by copying from a web page or a feed
        ("don&#x27;t share &quot;codes&quot; &amp; PINs", 'don\'t share "codes" & pins'),
    ],
)
def test_spellings_fold_to_one_form(engine: Engine, written: str, folded: str) -> None:
    assert fold(engine, written).text == folded


def test_latin_evasions_need_a_word_boundary(engine: Engine) -> None:
    assert fold(engine, "tight budget").text == "tight budget"
    assert fold(engine, "add me on tg").text == "add me on telegram"


def test_a_negation_does_not_reach_past_the_end_of_its_sentence(engine: Engine) -> None:
    verdict = engine.analyse("警察不会打电话。请把钱转到安全账户")
    assert any(item.text == "安全账户" for item in verdict.evidence)
    verdict = engine.analyse("警察不会让你把钱转到安全账户")
    assert not any(item.text == "安全账户" for item in verdict.evidence)


def test_spans_map_back_to_the_original_characters(engine: Engine) -> None:
    original = "他让我把钱转到 安 全 帳 戶 里"
    normalised = fold(engine, original)
    start = normalised.text.index("安全账户")
    span = normalised.original_span(start, start + 4)
    assert original[span[0] : span[1]] == "安 全 帳 戶"


def test_a_split_word_maps_back_to_what_was_written(engine: Engine) -> None:
    original = "H.M.R.C: pay now"
    normalised = fold(engine, original)
    assert normalised.text.startswith("hmrc")
    assert normalised.original_span(0, 4) == (0, 7)


@pytest.mark.parametrize(
    ("original", "folded", "word", "written"),
    [
        ("Y.our bill was p.aid, her.e is a gi.ft", "your bill was paid, here is a gift", "gift", "gi.ft"),
        ("Y o u r  p a r c e l is held", "your parcel is held", "parcel", "p a r c e l"),
    ],
)
def test_a_dotted_or_spaced_word_maps_back_to_what_was_written(
    engine: Engine, original: str, folded: str, word: str, written: str
) -> None:
    normalised = fold(engine, original)
    assert normalised.text == folded
    start = normalised.text.index(word)
    assert original[slice(*normalised.original_span(start, start + len(word)))] == written


def test_an_evasion_maps_back_to_what_was_written(engine: Engine) -> None:
    original = "请加ｖ信 abc"
    normalised = fold(engine, original)
    start = normalised.text.index("微信")
    span = normalised.original_span(start, start + 2)
    assert original[span[0] : span[1]] == "ｖ信"


def test_written_cantonese_is_read_as_standard_chinese_and_quoted_as_written(engine: Engine) -> None:
    """Hong Kong citizens write Cantonese: the rules, lines and concepts written once in standard Chinese
    read it too (normalise.yaml dialect_words), and the evidence still points at the Cantonese words."""
    original = "佢叫我將啲錢轉去安全戶口，冇人會知"
    normalised = fold(engine, original)
    assert normalised.text == "他叫我将些钱转去安全账户,没有人会知"
    start = normalised.text.index("账户")
    span = normalised.original_span(start, start + 2)
    assert original[span[0] : span[1]] == "戶口"


def test_standard_words_holding_a_cantonese_spelling_stay_as_they_are(engine: Engine) -> None:
    """A household register ("户口本") is not an account; "但系统" is "but the system", not "but is"."""
    assert fold(engine, "带上户口本和身份证").text == "带上户口本和身份证"
    assert fold(engine, "但系统显示您的订单异常").text == "但系统显示您的订单异常"
    assert fold(engine, "但系佢话要先俾钱").text == "但是他话要先给钱"


def test_a_cantonese_retelling_of_a_scam_is_recognised(engine: Engine) -> None:
    verdict = engine.analyse("有個自稱公安嘅人打嚟，話我個戶口涉及洗黑錢，叫我即刻將啲錢轉去佢哋嘅安全戶口")
    assert verdict.risk is Risk.HIGH and verdict.scam_type == "fake_authority"
    assert any(item.text == "安全戶口" for item in verdict.evidence)


def test_empty_and_control_only_text(engine: Engine) -> None:
    assert fold(engine, "").text == ""
    assert fold(engine, "\x00\x01\x02").text == ""
    assert fold(engine, "").original_span(0, 0) == (0, 0)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_offsets_stay_in_bounds_and_ordered(engine: Engine, text: str) -> None:
    normalised = fold(engine, text)
    origins = [normalised.origin(position) for position in range(len(normalised.text))]
    for start, end in origins:
        assert 0 <= start < end <= len(text)
    assert origins == sorted(origins)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("安全账户帳戶轉賬 VvＶ信x-*。abc\u200b1２")), max_size=40))
def test_normalising_twice_changes_nothing(engine: Engine, text: str) -> None:
    once = fold(engine, text).text
    assert fold(engine, once).text == once


@pytest.mark.parametrize(
    "text",
    [
        "Y\u200bour P\u200bayPal acc\u200bount is l\u200bimited",  # zero-width spaces
        "ʏᴏᴜʀ ᴘᴀʏᴘᴀʟ ᴀᴄᴄᴏᴜɴᴛ ɪꜱ ʟɪᴍɪᴛᴇᴅ",  # small capitals
        "𝗬𝗼𝘂𝗿 𝗣𝗮𝘆𝗣𝗮𝗹 𝗮𝗰𝗰𝗼𝘂𝗻𝘁 𝗶𝘀 𝗹𝗶𝗺𝗶𝘁𝗲𝗱",  # math letters
        "🔥🔥💰 Your PayPal account 💰 is limited 🔥🔥✅✅",  # emoji
        "Call 1️⃣8️⃣0️⃣0️⃣ now: your PayPal account is limited",  # key-cap digits
    ],
)
def test_english_in_look_alike_characters_is_read_as_english(engine: Engine, text: str) -> None:
    """Characters that take three or four bytes are not Chinese: the language is read from the letters."""
    assert engine.analyse(text).lang == "en"


def test_a_warning_without_apostrophes_still_negates(engine: Engine) -> None:
    """Text-speak drops apostrophes: "wont" negates what follows as "won't" does (the rule is cancelled;
    the learned layers, which read the wording, may still weigh the two spellings differently)."""
    written = "The police won't ask you to move your savings into a safe account."
    for text in (written, written.replace("'", "")):
        assert "fake_authority.rules.safe_account" not in {item.entry for item in engine.analyse(text).evidence}
    assert "fake_authority.rules.safe_account" in {
        item.entry for item in engine.analyse("The police ask you to move your savings into a safe account.").evidence
    }


FORWARDED_ZH_SCAM = (
    "---------- Forwarded message ---------\n"
    "From: Li Ming <liming88@163.com>\n"
    "Date: Tue, 11 Mar 2025 at 10:15\n"
    "Subject: Fwd: 紧急通知\n"
    "To: <mary.lee@gmail.com>\n"
    "\n"
    "您好，您名下的银行卡涉嫌洗钱，请立即将资金转入安全账户配合调查，否则将冻结您的全部账户。"
)


def test_a_forwarded_mails_header_is_set_aside_and_its_subject_kept(engine: Engine) -> None:
    """A mail client's header (who, when, to whom) is not the message: an English header above a Chinese
    message made it read as English, judged with the English rules and answered in English."""
    normalised = fold(engine, FORWARDED_ZH_SCAM)
    assert normalised.cjk_share > 0.9
    assert "from" not in normalised.text and "liming88" not in normalised.text and "2025" not in normalised.text
    assert normalised.text.startswith("紧急通知")  # the subject's value is the message's own words
    verdict = engine.analyse(FORWARDED_ZH_SCAM)
    assert verdict.lang == "zh" and verdict.risk.flagged
    for item in verdict.evidence:  # the evidence still points at the citizen's own characters
        assert FORWARDED_ZH_SCAM[slice(*item.span)] == item.text


@pytest.mark.parametrize(
    "header",
    [
        "-----Original Message-----\nFrom: Chen Wei [mailto:chenwei@qq.com]\nSent: Monday, March 10, 2025 9:41 AM\n"
        "To: Mary Lee\nSubject: RE: parcel\n\n",
        '------------------ 原始邮件 ------------------\n发件人: "陈伟"<chenwei@qq.com>;\n'
        '发送时间: 2025年3月10日(星期一) 上午9:41\n收件人: "Mary"<mary@qq.com>;\n主题: 包裹\n\n',
        "Begin forwarded message:\n\nFrom: Chen Wei <chenwei@qq.com>\nSubject: parcel\nDate: 10 March 2025\n\n",
        "寄件者: 陳偉 <chenwei@gmail.com>\n寄件日期: 2025年3月10日 上午 09:41\n收件者: Mary\n主旨: 包裹\n\n",
    ],
)
def test_every_mail_clients_header_is_set_aside(engine: Engine, header: str) -> None:
    text = header + "Your parcel is held at customs, pay the £2.99 fee at royalmail-fees.top today"
    folded = fold(engine, text).text
    assert "chenwei" not in folded and "2025" not in folded
    assert folded.rstrip().endswith("royalmail-fees.top today")


def test_a_notice_that_says_date_and_time_keeps_them(engine: Engine) -> None:
    """Field lines without a sender, or a single one, are a notice's, not a mail header."""
    notice = "Residents' meeting\nDate: Friday 14 March\nTo: all flats\nBring your questions about the new bins."
    assert "friday 14 march" in fold(engine, notice).text
    one = "From: the school office\nThe trip is on Friday."
    assert "the school office" in fold(engine, one).text


@pytest.mark.parametrize(
    "text",
    [
        "[WhatsApp: This number is not in your contacts. Be careful with messages asking for money.]\n"
        "Hi mum, I dropped my phone in the toilet, this is my new number. Can you pay a bill for me today?",
        "妈，我手机掉水里了，这是我新号，先帮我转5000块给房东，晚点还你\n温馨提示：对方不是你的微信好友，请注意核实对方身份，谨防诈骗。",
    ],
)
def test_an_apps_safety_banner_copied_with_the_message_is_set_aside(engine: Engine, text: str) -> None:
    """The app's warning words are not the writer's: read as the writer's, they made a scam look like a reminder."""
    normalised = fold(engine, text)
    assert len(normalised.aside) == 1
    assert "contacts" not in normalised.text and "好友" not in normalised.text
    verdict = engine.analyse(text)
    assert verdict.risk.flagged and not verdict.awareness
    for item in verdict.evidence:
        assert text[slice(*item.span)] == item.text


def test_a_reminders_own_title_is_not_an_apps_banner(engine: Engine) -> None:
    reminder = "防骗提醒：\n凡是自称公安要求把钱转到安全账户的都是诈骗，公安机关不会电话办案，请拨打96110核实。"
    assert fold(engine, reminder).aside == ()
    assert not engine.analyse(reminder).risk.flagged


@pytest.mark.parametrize(("section", "words"), [("mail_header", "sender_fields"), ("app_banner", "phrases")])
def test_what_is_set_aside_without_its_words_fails_at_load(library_copy: Path, section: str, words: str) -> None:
    def emptied(data: dict[str, dict[str, object]]) -> None:
        data[section][words] = []

    edit_yaml(library_copy, "normalise.yaml", emptied)
    errors = load_errors(library_copy)
    assert "normalise.yaml" in errors and words in errors
