"""The recogniser from the outside: what a citizen gives it and what they must get back."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.engine.budget import Budget
from bot.engine.normalise import NormalisedText
from bot.engine.pipeline import Engine
from bot.engine.rules import _negated_positions
from bot.engine.types import Risk, Verdict

# The seed's two manual rebuttals, as citizens retell them.
SEED_REBUTTALS = [
    "他说来电显示是境外号码，是因为电脑上显示的是终端序列号，不是电话号码",
    "我说要打114核实，对方说不用打114，转接公安是电信法律部担保的",
    "He said the number looks foreign because the computer shows its terminal serial number, not a phone number",
    "When I said I would call 114 to check, he said don't call 114, the transfer to the police is "
    "guaranteed by the telecom legal department",
]


def flagged_verdict(engine: Engine, text: str, *, flagged: bool) -> Verdict:
    """The verdict on `text`, asserting it is flagged (medium or high) or not; a failure lists the evidence."""
    verdict = engine.analyse(text)
    assert verdict.risk.flagged is flagged, [(e.text, e.entry) for e in verdict.evidence]
    return verdict


def assert_spans_point_at_the_words(text: str, verdict: Verdict) -> None:
    for item in verdict.evidence:
        start, end = item.span
        assert 0 <= start < end <= len(text)
        assert text[start:end] == item.text
        assert item.why.strip()


@pytest.mark.parametrize("text", SEED_REBUTTALS)
def test_a_quoted_manual_rebuttal_is_high_risk_fake_authority(engine: Engine, text: str) -> None:
    verdict = engine.analyse(text)
    assert verdict.scam_type == "fake_authority"
    assert verdict.risk is Risk.HIGH
    assert any(item.kind == "rebuttal" for item in verdict.evidence)
    assert_spans_point_at_the_words(text, verdict)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("今天有个自称上海公安的人打电话，说我的身份证涉嫌洗钱，让我把存款转到安全账户配合资金清查", "zh"),
        (
            "Someone who said he was from the Shanghai police told me my ID card is involved in money laundering "
            "and I must move my savings to a safe account",
            "en",
        ),
    ],
)
def test_a_fake_police_story_is_recognised_in_both_languages(engine: Engine, text: str, lang: str) -> None:
    verdict = engine.analyse(text)
    assert verdict.risk is Risk.HIGH
    assert verdict.scam_type == "fake_authority"
    assert verdict.lang == lang
    assert verdict.warning_signs and verdict.advice.before and verdict.advice.after
    assert verdict.next_step
    assert_spans_point_at_the_words(text, verdict)
    assert any(item.text.lower() in ("安全账户", "safe account") for item in verdict.evidence)


@pytest.mark.parametrize(
    ("text", "scam_type"),
    [
        # Taiwan's fake prosecutor: 地檢署, "involved in" a case, savings handed to an officer for "supervision" (the
        # Criminal Investigation Bureau's keywords, 2025-08-16)
        (
            "有人打來說是台北地檢署 說我涉及詐騙集團人頭帳戶 要我去超商收傳真的公文 然後把存款領出來交給專員監管",
            "fake_authority",
        ),
        ("我是阿公 有人打電話說我中了彩券頭獎 要先匯手續費", "prize_lottery"),
        # Hong Kong, written Cantonese: a bank's "suspicious transaction" and a one-time password read back
        ("收到個電話話係中銀香港 話我張卡有可疑交易 要我講返個一次性密碼俾佢取消交易", "fake_customer_service"),
        ("我個仔話佢部電話壞咗 用朋友電話打俾我 叫我過三萬蚊俾佢朋友", "impersonate_acquaintance"),
        ("我媽喺網上識咗個外國軍醫 話寄咗禮物俾佢 要我媽俾清關費", "investment_romance"),
        ("我妈在直播间认识一个主播 是她干儿子 让她投钱搞养老项目 说一年回报30%", "investment_romance"),
        # slips of pinyin input: 升及 for 升级, 帐护 for 账户
        ("有个人说他是工商银行的 说我的卡要升及 让我把钱转到新的安全帐护", "fake_authority"),
        # a relative "arrested" is the grandparent scam's pretext, not a news report's word
        ("my grandson rang, arrested, needs bail money, someone will collect it", "impersonate_acquaintance"),
        # a fine and a threat is the fake official's, not a game trade's "breach of the rules"
        (
            "a man from the sheriffs office says i must pay a fine with gift cards or be arrested today",
            "fake_authority",
        ),
    ],
)
def test_classic_scams_told_in_taiwan_hong_kong_and_elderly_wording_are_flagged(
    engine: Engine, text: str, scam_type: str
) -> None:
    verdict = engine.analyse(text, budget=Budget(None))
    assert verdict.risk.flagged and verdict.scam_type == scam_type
    assert_spans_point_at_the_words(text, verdict)


@pytest.mark.parametrize(
    ("text", "home", "elsewhere"),
    [
        ("有個 +852 2860 2000 打嚟話係警察", "hk", "cn"),
        ("+886-2-2381-1234 說是健保署打來的", "tw", "cn"),
        ("A man called from +65 6123 4567 saying he is from the bank", "sg", "uk"),
    ],
)
def test_a_number_from_the_citizens_own_region_is_not_foreign(
    engine: Engine, text: str, home: str, elsewhere: str
) -> None:
    """ "A foreign number" is foreign to the citizen's region: +852 in Hong Kong is a local call."""

    def foreign(region: str) -> bool:
        verdict = engine.analyse(text, region=region, budget=Budget(None))
        return any(item.entry == "signal.foreign_phone" for item in verdict.evidence) or any(
            item.kind == "foreign_phone" for item in verdict.indicators
        )

    assert not foreign(home)
    assert foreign(elsewhere)


def test_a_foreign_number_beside_a_local_one_still_counts(engine: Engine) -> None:
    verdict = engine.analyse("來電 +852 2860 2000 同 +855 12 345 678 話係警察", region="hk", budget=Budget(None))
    assert [item.text for item in verdict.evidence if item.entry == "signal.foreign_phone"] == ["855 12 345 678"]


def test_evidence_spans_cover_the_characters_the_citizen_typed(engine: Engine) -> None:
    text = "對方讓我把錢轉到 安 全 帳 戶，說是資金清查"
    verdict = engine.analyse(text)
    assert verdict.risk.flagged
    assert "安 全 帳 戶" in [item.text for item in verdict.evidence]
    assert_spans_point_at_the_words(text, verdict)


def test_obfuscated_spellings_are_still_recognised(engine: Engine) -> None:
    verdict = engine.analyse("他说我涉嫌洗 钱，要把钱转到安＊全＊账＊户")
    assert verdict.scam_type == "fake_authority"
    assert verdict.risk.flagged


@pytest.mark.parametrize(
    "text",
    [
        "【某市公安局】反诈提醒：公检法机关不会通过电话办案，不存在所谓安全账户，切勿向陌生账户转账。",
        "Police reminder: the police will never ask you to transfer money to a safe account. Report scam calls.",
        "【某银行】验证码 482913，您正在进行转账操作，切勿告知他人。",
        "Your bank will never ask for this code. Do not share this code with anyone: 482913",
        "【顺丰速运】您的快件已到达小区驿站，取件码 5-2-1108，请及时领取。",
        "昨天吃饭的钱我转给你了，记得查收哈",
        "Thanks for dinner last night, I sent you my share",
        "您好，这里是社区派出所，提醒您本周六上午在社区广场有防诈骗讲座，欢迎参加。",
    ],
)
def test_awareness_and_ordinary_messages_are_not_flagged(engine: Engine, text: str) -> None:
    flagged_verdict(engine, text, flagged=False)


@pytest.mark.parametrize(
    "text",
    [
        "提醒大家，今天收到短信说我的快递地址不详，让我点链接补填地址再交两块钱改派费，这种全是骗子，千万别信！",
        "PSA: I got a call from 'HMRC' saying there's a warrant for my arrest unless I pay in gift cards today. "
        "It's a scam, they hung up when I said I'd ring HMRC back.",
    ],
)
def test_a_story_told_to_warn_others_is_not_flagged(engine: Engine, text: str) -> None:
    """First-hand ("I got a call") but told as a warning: two warning cues settle it."""
    flagged_verdict(engine, text, flagged=False)


@pytest.mark.parametrize(
    "text",
    [
        "我收到短信说我的快递地址不详，要点链接补填地址再交两块钱改派费，别人说这种都是骗子，是真的吗？",
        "Got a call saying there's a warrant for my arrest unless I pay HMRC in gift cards today. "
        "My friend says scammers do this, but is this a scam? What should I do?",
    ],
)
def test_a_citizen_asking_gets_the_verdict_whatever_warning_words_they_quote(engine: Engine, text: str) -> None:
    flagged_verdict(engine, text, flagged=True)


@pytest.mark.parametrize(
    "text",
    [
        "Hi, it's Maria from the bank returning your call about the card you reported lost. The new card is in "
        "the post; if anything looks wrong, call the number on the back of your card.",
        "您好，这里是某某宽带客服，您反馈的网速问题已经处理好了，这是满意度回访，请问现在网速正常吗？",
    ],
)
def test_a_genuine_service_contact_the_citizen_started_is_not_flagged(engine: Engine, text: str) -> None:
    flagged_verdict(engine, text, flagged=False)


@pytest.mark.parametrize(
    "text",
    [
        # "pay it back" is a family loan, not the task scam's "borrow and repay once you withdraw".
        "Hi Mum, it's Lucy. Can I borrow the deposit for my flat? It's £900, I'll pay it back over the next months.",
        # "we've got your" is a booking, not a relative held for ransom.
        "Hello, Lloyds Pharmacy, Jack speaking. Yes Rachel, we've got your booking for Thursday at 2pm, the payment "
        "was taken online so there is nothing to pay on the day.",
        # "on the line" is a phone call, not the LINE app.
        "Hi, it's Dr Patel's surgery, please hold the line while I find your appointment for Tuesday.",
        # A company's payment to a supplier, confirmed with its bank, is not money "passing through" a rented card.
        "工商银行：您刚才向恒信商贸的对公账户转账十五万，收款方首次收款，系统暂时挂起，请确认用途。"
        "客户：是我们公司的货款，新供应商，有合同。",
        # A customer telling the help desk about their own computer is asking for help.
        "Agent: IT service desk, this is Sam. Customer: hi, I think my laptop has a virus, it keeps freezing "
        "since this morning. Agent: OK, I'll log a ticket and a technician will come to your desk.",
        # "my voice" in "my voice message" is not an excuse for sounding different.
        "Did you listen to my voice message? The landlord is returning the deposit, £900 less cleaning.",
        # "come and visit" is not "visit this link", and "congrats" is not a prize.
        "Congrats on the new job!! We'll come and visit once you've settled in.",
        # A joke about being kidnapped is not a ransom call.
        "Me: where were you all day?? / Tom: phone died lol / Me: thought you'd been kidnapped",
        # 宅急便 is a courier's name: its 急 is not "hurry".
        "您好，我是宅急便的送货员，您的包裹是到付，一百二十元，大概下午三点送到，您在家吗？",
        # A caller who says there is nothing more to pay is not asking to "pay again".
        "Hi, it's the pharmacy. Half of your prescription is ready today and the rest comes Friday; you won't "
        "need to pay again, it's all one prescription.",
    ],
)
def test_everyday_words_inside_a_scam_concept_do_not_make_a_scam(engine: Engine, text: str) -> None:
    flagged_verdict(engine, text, flagged=False)


@pytest.mark.parametrize(
    "text",
    [
        "喂您好，我是顺丰的，您有个快递到网点了，但是要核对收件信息，我刚给您手机发了个验证码，您念给我一下，我好安排派送。",
        "哦，不好意思打错了。不过听你声音挺好听的，交个朋友吧，我加你微信，我平时做点数字货币，可以带带你。",
        "Hello aunty, I'm Vikram, Arjun's friend. Please don't panic, Arjun is fine, but the police have taken him "
        "to the station after a fight. The officer says if we pay 40,000 now they will let him go.",
        # The "guess who" opener as "you don't remember me?": the citizen is made to place an old classmate.
        "喂，老同学，是我啊，你不记得我啦？高中同桌那个，我这几天在你们那边出差。",
        # Pinyin slipped into the words a filter would look for.
        "您好，这里是社保中心，你的社bao卡被人冒yong了，要先下载认证ruan件做人lian识别。",
    ],
)
def test_a_phone_scam_whose_ask_comes_sentences_after_its_pretext_is_flagged(engine: Engine, text: str) -> None:
    flagged_verdict(engine, text, flagged=True)


def test_the_evidence_quotes_the_signs_of_every_type_that_added_points(engine: Engine) -> None:
    """Other types' points count towards the risk (in part), so their words are quoted too, not only the named
    type's and its runners-up: here the marketplace context (fake shopping) and the payment page (phishing)."""
    text = (
        "我在闲鱼卖东西，买家打电话说他已经付款了，但平台提示我没开通卖家担保，钱冻结了，"
        "要我打开支付宝的一个页面交一笔保证金，说会连同货款一起退回来。"
    )
    verdict = flagged_verdict(engine, text, flagged=True)
    owners = {item.entry.split(".")[0] for item in verdict.evidence if item.kind == "rule"}
    assert {"fake_shopping", "phishing_link", verdict.subtype} <= owners, owners
    assert_spans_point_at_the_words(text, verdict)


def test_the_learned_layers_points_show_words_even_when_its_strongest_ngrams_are_single_characters(
    engine: Engine,
) -> None:
    """The layer's strongest n-grams here are single characters and short function words ("彩", "/", "vip",
    "一个"), which are never shown; its evidence comes from the strongest n-grams of two characters or more, so
    the points it adds here are not invisible."""
    text = (
        "【福彩3D交流群】老师：今天推荐独胆6，组六1/2/6/8/9。"
        "今天起收VIP学员，每天发精准号码，一个月398元，中了再给老师发红包"
    )
    model = [item for item in engine.analyse(text).evidence if item.kind == "model"]
    assert model
    for item in model:
        start, end = item.span
        assert text[start:end] == item.text and len(item.text.strip()) >= 2


def test_one_phrase_says_one_concept(engine: Engine) -> None:
    """ "group chat" is a chat app; it is not also the investing "group" of the stock-tip scam's concept set."""
    said_twice = engine.analyse("BTC back above 70k and my group chat suddenly remembered they own crypto")
    assert "investment_romance.rules.c_invest_group" not in {item.entry for item in said_twice.evidence}
    said_apart = engine.analyse("Join our VIP group on WhatsApp for free stock picks from our analyst")
    assert "investment_romance.rules.c_invest_group" in {item.entry for item in said_apart.evidence}


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("We've got your son. Send $5,000 now and do not call the police.", "impersonate_acquaintance"),
        ("Borrow it from a loan app, you can pay it back as soon as you withdraw your commission.", "click_farming"),
        ("恭喜您抽中一等奖，请加官方LINE ID: win888 领取奖品", "prize_lottery"),
        (
            "This is Windows support, your computer has been infected and is sending errors to our servers.",
            "fake_customer_service",
        ),
    ],
)
def test_the_scam_senses_of_those_words_still_count(engine: Engine, text: str, entry: str) -> None:
    verdict = flagged_verdict(engine, text, flagged=True)
    assert any(item.entry.startswith(entry + ".") for item in verdict.evidence), [i.entry for i in verdict.evidence]


@pytest.mark.parametrize(
    ("scam", "genuine"),
    [
        (  # a parcel "pending": decided by a link that is not the courier's own site
            "Parcel notice: shipment 5521AX is pending, please verify the delivery location: fastloop-ship.com/8k",
            "UPS: your package 1Z999AA10123456784 could not be delivered today, we will try again tomorrow. "
            "Track at ups.com/track",
        ),
        (  # a charge "not you? call": decided by the message's own number
            "Alert: your debit card was used for $1,212.40 at Walmart. If this was not you, call us at 1-877-555-0142.",
            "Your card was used for $12.40 at Walmart. Not you? Call the number on the back of your card.",
        ),
        (  # a "little gift" for paying the bill, with a stranger's link
            "Thanks for paying your March bill! Here is a little gift for you: bright-orchard-gifts.com/claim",
            "Thanks for paying your March bill. Your next bill is due on 4 April.",
        ),
        (  # Taiwan's instalment-error script
            "蝦皮客服：系統錯誤把您設定成批發商，每月會自動扣款，等等銀行會打給您，請照指示去ATM操作解除。",
            "【凱基銀行】您的信貸第12期款項已自動扣款成功，感謝您的使用。",
        ),
        (  # payment in gift-card numbers
            "Hi, this is Principal Tan. Please buy 5 Apple gift cards and send me photos of the codes, I'll repay you.",
            "Thanks for the Amazon gift card you sent for my birthday!",
        ),
    ],
)
def test_a_text_scam_shape_decides_only_with_its_tell(engine: Engine, scam: str, genuine: str) -> None:
    """The FTC's text-scam shapes: the lure alone is common in genuine texts; the stranger's link,
    the message's own call-back number or the gift-card codes decide."""
    verdict = flagged_verdict(engine, scam, flagged=True)
    assert_spans_point_at_the_words(scam, verdict)
    flagged_verdict(engine, genuine, flagged=False)


@pytest.mark.parametrize(
    ("pitch", "warning"),
    [
        (
            "被骗了别慌！反诈律师团队帮您追回损失，网赌、杀猪盘被骗都能追回，先付10%服务费，联系微信 zhuihui888",
            "警方提醒：凡是说能帮你追回被骗的钱、先收手续费的，都是二次诈骗，不要相信。",
        ),
        (
            "Scammed? Don't let the scammers win! Our ethical hackers recover your funds in 48 hours."
            " WhatsApp us +44 7700 900123",
            "PSA: beware of 'recovery services' that promise to get your money back after a scam,"
            " they are scammers too.",
        ),
    ],
)
def test_a_recovery_offer_in_warning_words_is_not_a_warning(engine: Engine, pitch: str, warning: str) -> None:
    """A "recovery" advert to victims speaks like a reminder; its warning words must not lower it,
    while a real reminder about recovery scams stays unflagged."""
    verdict = flagged_verdict(engine, pitch, flagged=True)
    assert any(item.entry.endswith("c_recovery_pitch") for item in verdict.evidence)
    assert_spans_point_at_the_words(pitch, verdict)
    flagged_verdict(engine, warning, flagged=False)


@pytest.mark.parametrize(
    ("story", "scam", "question"),
    [
        (
            "朋友圈看到的：有人冒充“京东客服”，说“商品质量有问题要给您退款”，然后让下载“屏幕共享”软件，大家别上当。",
            "【京东客服】您购买的商品存在质量问题，我们将为您办理“双倍赔付”，请下载“屏幕共享”软件配合操作。",
            "我接到电话，对方说是“京东客服”，说要给我退款，让我下载“屏幕共享”软件，是不是骗子？",
        ),
        (
            'My aunt told us a man pretending to be from the "Mega Millions Prize Department" wanted "taxes" of'
            ' $5,000 before the "prize" could be released.',
            'Congratulations! You won $850,000 in the "Mega Millions" draw. Pay the "release tax" of $5,000 by'
            " Western Union today to receive your prize.",
            'A man from the "Mega Millions Prize Department" says I won and must pay "taxes" of $5,000 first.'
            " Is this a scam?",
        ),
    ],
)
def test_a_story_that_quotes_the_scammer_is_not_the_scam(engine: Engine, story: str, scam: str, question: str) -> None:
    """One warning cue and the scam's words in quotation marks: someone telling about a scam. The
    scammer's own message, quotes and all, and a citizen asking about the same words are flagged."""
    flagged_verdict(engine, story, flagged=False)
    assert_spans_point_at_the_words(scam, flagged_verdict(engine, scam, flagged=True))
    flagged_verdict(engine, question, flagged=True)


def test_split_letters_and_look_alike_digits_do_not_hide_a_scam(engine: Engine) -> None:
    text = "H.M.R.C F.I.N.A.L W.A.R.N.I.N.G: legal action against you. Pay the fine in gift cards, call 0203 1O4 5529."
    verdict = flagged_verdict(engine, text, flagged=True)
    assert_spans_point_at_the_words(text, verdict)
    assert any(item.text == "H.M.R.C" for item in verdict.evidence)  # quoted as the citizen wrote it


def test_one_genuine_sounding_phrase_does_not_clear_a_scam_script(engine: Engine) -> None:
    verdict = engine.analyse(
        "This is the fraud department returning your call. Your account is compromised: move your savings to "
        "a safe account today and don't tell the bank staff why."
    )
    assert verdict.risk.flagged


def test_a_negated_sign_is_not_evidence(engine: Engine) -> None:
    verdict = engine.analyse("Remember: real police will never ask you to move money to a safe account.")
    assert not any(item.text.lower() == "safe account" for item in verdict.evidence)


@given(
    st.text(alphabet="ab 。;\n", max_size=60),
    st.lists(st.tuples(st.integers(0, 59), st.integers(1, 4)), max_size=6),
    st.frozensets(st.integers(0, 60), max_size=4),
    st.integers(0, 12),
)
def test_a_negation_cue_negates_what_starts_shortly_after_it_in_its_sentence(
    text: str, cues: list[tuple[int, int]], breaks: frozenset[int], window: int
) -> None:
    negations = sorted((start, min(start + size, len(text))) for start, size in cues if start < len(text))
    normalised = NormalisedText(text, text, None, {}, breaks, 0.0)
    marks = _negated_positions(normalised, negations, window)
    sentence_starts = {0, *breaks, *(i + 1 for i, char in enumerate(text) if char in "。!?;\n")}
    for position in range(len(text) + 1):
        sentence = max(start for start in sentence_starts if start <= position)
        expected = any(sentence <= start < position and position - end <= window for start, end in negations)
        assert bool(marks[position]) is expected, position


def test_nothing_found_never_says_safe(engine: Engine) -> None:
    verdict = engine.analyse("明天下午三点开会，记得带电脑")
    assert verdict.risk is Risk.NONE
    assert verdict.scam_type is None
    assert verdict.notes, "the citizen must be told what could not be checked"
    text = " ".join(verdict.notes).lower()
    assert "不代表" in text
    assert verdict.advice.before, "general advice is always given"


def test_the_reply_language_follows_the_message(engine: Engine) -> None:
    assert engine.analyse("他说我的银行卡涉嫌洗钱").lang == "zh"
    assert engine.analyse("He said my bank account was used for money laundering").lang == "en"
    assert engine.analyse("他说我的银行卡涉嫌洗钱", lang="en").lang == "en"


def test_advice_uses_the_deployment_regions_hotlines(engine: Engine) -> None:
    text = "他说我的身份证涉嫌洗钱，让我转到安全账户"
    mainland = " ".join(engine.analyse(text).advice.after)
    hong_kong = " ".join(engine.analyse(text, region="hk", lang="en").advice.before)
    assert "110" in mainland
    assert "18222" in hong_kong and "110" not in hong_kong
    assert "{" not in mainland + hong_kong


def test_links_are_extracted_and_defanged(engine: Engine) -> None:
    verdict = engine.analyse("您的ETC已失效，请登录 http://etc-renew.example.top/x 重新认证")
    urls = [i for i in verdict.indicators if i.kind == "url"]
    assert urls and urls[0].defanged.startswith("hxxp://") and "[.]" in urls[0].defanged


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "\x00\x01\x02\xff\ufffd" * 50,
        "<img src=x onerror=alert(1)><script>alert(1)</script>",
        "安全账户" * 25_000,  # 100 000 characters
        "a" * 100_000,
        "🙂" * 1000 + "转到安全账户",
    ],
)
def test_nasty_input_gets_a_verdict_not_a_crash(engine: Engine, text: str) -> None:
    verdict = engine.analyse(text)
    assert isinstance(verdict.risk, Risk)
    json.dumps(verdict.to_dict(), ensure_ascii=False)
    assert_spans_point_at_the_words(text, verdict)


def test_verdict_json_has_the_documented_fields(engine: Engine) -> None:
    data = engine.analyse("他说我的身份证涉嫌洗钱，让我转到安全账户").to_dict()
    for key in ("risk", "score", "scam_type", "subtype", "candidates", "lang", "evidence", "warning_signs"):
        assert key in data
    for key in ("advice", "next_step", "indicators"):
        assert key in data
    assert set(data["advice"]) == {"before", "after"}
    assert 0.0 <= data["score"] <= 1.0
    item = data["evidence"][0]
    assert set(item) >= {"kind", "span", "text", "entry", "why"}
    assert item["kind"] in {"rule", "script_line", "rebuttal", "indicator", "signal"}


def test_analyse_is_deterministic_and_thread_safe(engine: Engine) -> None:
    # No time budget: eight threads share one interpreter, and a call that waits its turn past the default 100 ms
    # would be cut short (a partial verdict), which is the budget working, not the engine differing.
    texts = SEED_REBUTTALS + ["明天见", "Your parcel is waiting", "转到安全账户"] * 5
    serial = [engine.analyse(text, budget=Budget(None)).to_dict() for text in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(lambda text: engine.analyse(text, budget=Budget(None)).to_dict(), texts * 4))
    assert parallel == serial * 4


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        # The two rebuttals retold in other words than the library's (issue 9): concept sets.
        (
            "the number looks foreign because it is the system's terminal code",
            "fake_authority.rebuttals.foreign_number",
        ),
        (
            "no need to call 114, the telecom legal office guarantees the transfer to the police",
            "fake_authority.rebuttals.dont_call_114",
        ),
        ("他说号码显示境外，是因为那是系统的终端编号，不是电话号码", "fake_authority.rebuttals.foreign_number"),
        ("对方说不用打114核实，电信法务部会担保把电话转到公安", "fake_authority.rebuttals.dont_call_114"),
    ],
)
def test_a_rebuttal_retold_in_other_words_is_recognised(engine: Engine, text: str, entry: str) -> None:
    verdict = engine.analyse(text)
    assert verdict.risk is Risk.HIGH and verdict.scam_type == "fake_authority"
    found = [item for item in verdict.evidence if item.entry == entry]
    assert found and found[0].kind == "rebuttal"
    assert text[found[0].span[0] : found[0].span[1]] == found[0].text  # the citizen's own words


@pytest.mark.parametrize(
    "text",
    [
        "加我微信，刷单返利，先垫付500元就能拿佣金\n温馨提示：对方不是你的微信好友，请注意核实对方身份，谨防诈骗。",
        "USPS: your parcel is held, pay the $2.99 redelivery fee at usps-redeliver.top/pay today\n"
        "This sender is not in your contacts. Be careful: never share codes or send money to people you don't know.",
    ],
)
def test_a_chat_apps_safety_banner_pasted_with_a_scam_does_not_make_it_a_reminder(engine: Engine, text: str) -> None:
    """The banner is the app's, not the writer's: set aside when it uses an app's own phrases, and otherwise its
    warning words, all on one line above or below the message, count as one cue."""
    flagged_verdict(engine, text, flagged=True)


def test_a_reminder_that_says_its_warning_words_throughout_stays_a_reminder(engine: Engine) -> None:
    text = (
        "警方提醒：谨防冒充客服诈骗！\n骗子会说你的快递丢了要理赔，让你加微信、下载会议软件共享屏幕，"
        "然后骗走银行卡里的钱。大家千万别上当。"
    )
    flagged_verdict(engine, text, flagged=False)


@pytest.mark.parametrize(
    "text",
    [
        "我前天已经转了8000定金，现在卖家又要我再付3000验车押金，说是物流公司要的",
        "I already paid the deposit for the puppy and now the breeder wants another $400 crate fee",
    ],
)
def test_a_fee_asked_for_after_a_payment_already_made_is_a_sign_whatever_the_scam(engine: Engine, text: str) -> None:
    verdict = engine.analyse(text)
    assert verdict.risk is Risk.HIGH
    assert "signal.fee_after_fee" in {item.entry for item in verdict.evidence}


@pytest.mark.parametrize(
    "text", ["定金已付，尾款提车时再付", "We paid the deposit in March and the balance is due on the day"]
)
def test_a_deposit_and_its_balance_agreed_in_advance_is_not_a_second_fee(engine: Engine, text: str) -> None:
    assert "signal.fee_after_fee" not in {item.entry for item in engine.analyse(text).evidence}


@pytest.mark.parametrize(
    "text",
    [
        "Lost almost everything to a fake trading platform last year. Then a friend told me about @RecoverWithDan"
        " and he got back 4.3 BTC for me in 72 hours. If you've been scammed don't give up, reach out to him on"
        " Telegram @dan_fix",
        "【12306】您购买的车票因系统故障出票失败，请联系客服 028-6674-1192 办理退款，将退还双倍票款。",
        "收 人 頭 卡 💳 學生 主婦 都得 唔 使 做 嘢 坐 收 $$ 入 tg 問",
        "Hi, the florist deposit for the wedding is $600. Please transfer it to my personal account for now, our"
        " business account is under review this week.",
        "定金3000直接转我微信就行，我们公司账户在年审，这周收不了款",
        "李老师：明早开盘直接挂单，目标价12.8，这是内部消息请勿外传",
        "我叔叔那个平台这周有大行情，我全投进去了，你也投一点吧",
    ],
)
def test_a_pitch_in_a_victims_or_a_services_words_is_flagged(engine: Engine, text: str) -> None:
    """A recovery "testimonial" that sends victims to a handle ("don't give up" negates nothing), a refund at a
    multiple through a number the message gives, a card buyer's ad spaced out in Cantonese, a deposit to a person
    because the business's own account "is under review" (payment diversion's excuse), a stock "teacher" whose
    "直接挂单" (place the order) is no hang-up, a sweetheart's "you put some in too"."""
    assert_spans_point_at_the_words(text, flagged_verdict(engine, text, flagged=True))


@pytest.mark.parametrize(
    "text",
    [
        "提提大家，啲「恭喜閣下抽中iPhone」短訊全部都係假嘅，唔好俾運費！",
        "anyone wanna trade? got a spare huge cat in pet sim, looking for titanics. in-game trade only",
        "Credit repair myths: you can't pay anyone to remove accurate negative info from your credit report. Consumer"
        " tip from your local credit union.",
        "Amazon: Your refund of $34.99 for order 112-4837261-0048213 has been issued to your original payment method.",
        "上個月在 FB 社團看到有人賣演唱會的票，我轉了錢之後他又要驗證費，我才發現那個帳號是人頭帳戶，已經報案了。",
        "lmao someone on telegram offered me $5 per like and then wanted a $100 top up to unlock VIP tasks. nice try",
        "台股今天漲了，我每個月定期定額買0050和006208，不報明牌、不收會員費",
        "親愛的悠遊卡持卡人您好：您的悠遊卡已完成自動加值 NT$500，扣款信用卡：中國信託末四碼 6290。交易紀錄請至悠遊卡"
        "公司官網 www.easycard.com.tw 查詢。",
    ],
)
def test_warnings_games_and_genuine_notices_that_share_a_scams_words_are_not_flagged(engine: Engine, text: str) -> None:
    """A Cantonese reminder, a game's "sim", a consumer tip, an order number's last group (no dialling code), a
    victim naming the scammer's account as a mule's (人頭帳戶 names the result, not the offer to buy cards), a post
    mocking a task scam ("lmao", "nice try"), a fund code ("006208") that is no "00" dialling code beside a fee that is
    not charged, a card company's notice linking to its own site while naming the bank that paid."""
    verdict = flagged_verdict(engine, text, flagged=False)
    assert not {"signal.foreign_phone", "signal.brand_mismatch"} & {item.entry for item in verdict.evidence}


def test_a_genuine_wrong_number_is_not_the_romance_opener_which_needs_its_pivot(engine: Engine) -> None:
    """The line layer reads "wrong number, sorry" as the pig-butchering opener; that line's reading counts only beside
    another sign (`retold_needs_company`), and the opener's pivot ("you seem nice, can we be friends") is one."""
    genuine = engine.analyse("Crust Pizza? ... Oh. Wrong number, sorry.")
    assert not genuine.risk.flagged
    opener = "Hi is this Linda? Oh sorry, wrong number. You seem really nice though, maybe we can be friends?"
    verdict = flagged_verdict(engine, opener, flagged=True)
    assert "investment_romance.lines.wrong_number" in {item.entry for item in verdict.evidence if item.weight > 0}
