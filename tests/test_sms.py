"""The SMS channel as a gateway and a citizen on a basic phone see it: signed webhooks only, every
reply within three segments with the verdict, one action and the hotline in the first, no links,
STOP / START / HELP / reset, and a gateway's retry answered once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from twilio.twiml.messaging_response import MessagingResponse

from bot.channels.sms import (
    GSM_BASIC,
    GSM_EXTENSION,
    LIMITS,
    SmsChannel,
    SmsReply,
    count_segments,
    is_gsm,
    load_sms_texts,
    units,
)
from bot.channels.web.app import create_app
from bot.channels.web.services import Services, build_sms
from bot.channels.web.settings import Settings
from bot.channels.web.sms import twiml
from bot.conversation.dialogue import Dialogue
from bot.conversation.faq import FaqIndex
from bot.engine.pipeline import Engine
from bot.engine.verdict import Localiser
from bot.library.loader import Library, LibraryError
from bot.library.regions import region_text

REPO = Path(__file__).resolve().parents[1]
TOKEN = "test-twilio-auth-token"
SECRET = "test-inbound-secret"
PUBLIC_URL = "https://antifraud.example"
SETTINGS = Settings(public_url=PUBLIC_URL, sms_twilio_auth_token=TOKEN, sms_inbound_secret=SECRET, sms_salt="test-salt")
# A link in any form a phone might make tappable, checked independently of bot/channels/sms.py's own pattern.
LINKISH = re.compile(
    r"(?i)https?://|hxxp|www\.|\[\.\]|\b[a-z0-9-]+\.(com|cn|top|net|xyz|vip|cc|info|ly)\b|\d+\.\d+\.\d+\.\d+"
)
CLAIMS_OF_SAFETY = re.compile(r"(it|this|that) (is|'s|looks) (safe|fine|legit)|you are safe|是安全的|可以放心|没有风险")

SCAM_ZH = "有人自称公安局的警察，说我的身份证涉嫌洗钱，让我把钱转到安全账户"
SCAM_EN = (
    "A man said he was from the police, my bank account is involved in a money laundering case, "
    "move it to a safe account"
)


@pytest.fixture(scope="module")
def app(library: Library) -> FastAPI:
    return create_app(SETTINGS, library=library)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def dialogue(library: Library, engine: Engine) -> Dialogue:
    return Dialogue(engine, FaqIndex(library, engine.normaliser), "cn")


@pytest.fixture()
def channel(library: Library, engine: Engine, dialogue: Dialogue) -> SmsChannel:
    """A channel of its own per test: fresh sessions, opt-outs and retry cache."""
    return build_sms(Settings(sms_salt="test-salt"), library, engine, dialogue)


def new_number() -> str:
    return "+86138" + str(uuid.uuid4().int)[:8]


def services_of(app: FastAPI) -> Services:
    services = app.state.services
    assert isinstance(services, Services)
    return services


# --- Twilio ----------------------------------------------------------------------------------------


def twilio_signature(url: str, params: dict[str, str], token: str = TOKEN) -> str:
    """Twilio's documented scheme: base64(HMAC-SHA1(token, url + each name+value, sorted by name))."""
    signed = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def twilio_form(body: str, sender: str | None = None, sid: str | None = None) -> dict[str, str]:
    """A webhook as Twilio posts it, with the fields we do not use as well."""
    return {
        "ToCountry": "CN",
        "SmsMessageSid": sid or "SM" + uuid.uuid4().hex,
        "NumMedia": "0",
        "From": sender or new_number(),
        "To": "+8610690000000",
        "Body": body,
        "MessageSid": sid or "SM" + uuid.uuid4().hex,
        "AccountSid": "AC" + "0" * 32,
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }


def post_twilio(client: TestClient, form: dict[str, str], signature: str | None = "", path: str = "/sms/twilio") -> Any:
    """`signature=""`: sign correctly; None: send no signature header."""
    if signature == "":
        signature = twilio_signature(PUBLIC_URL + path, form)
    headers = {"X-Twilio-Signature": signature} if signature is not None else {}
    return client.post(path, data=form, headers=headers)


def messages(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "Response"
    assert all(child.tag == "Message" for child in root)
    return [child.text or "" for child in root]


def test_a_signed_twilio_webhook_gets_the_reply_as_twiml(client: TestClient) -> None:
    parts = messages(post_twilio(client, twilio_form(SCAM_ZH)))
    assert 1 <= len(parts) <= 3
    assert "高风险" in parts[0] and "110" in parts[0] and "96110" in parts[0]
    assert all(count_segments(part).segments == 1 for part in parts)


@pytest.mark.parametrize(
    "case", ["wrong token", "body changed after signing", "signed for another url", "missing", "garbage"]
)
def test_a_badly_signed_or_unsigned_twilio_post_is_refused(client: TestClient, case: str) -> None:
    form = twilio_form(SCAM_ZH)
    signature: str | None = {
        "wrong token": twilio_signature(PUBLIC_URL + "/sms/twilio", form, token="not-the-token"),
        "body changed after signing": twilio_signature(PUBLIC_URL + "/sms/twilio", {**form, "Body": "hello"}),
        "signed for another url": twilio_signature("http://testserver/sms/twilio", form),
        "missing": None,
        "garbage": "bm90IGEgc2lnbmF0dXJl",
    }[case]
    response = post_twilio(client, form, signature)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_signature"


def test_the_query_string_is_part_of_the_signed_url(client: TestClient) -> None:
    form = twilio_form("你好")
    assert messages(post_twilio(client, form, path="/sms/twilio?campaign=a%20b"))
    unsigned_query = twilio_signature(PUBLIC_URL + "/sms/twilio", form)
    assert post_twilio(client, form, unsigned_query, path="/sms/twilio?campaign=x").status_code == 403


@pytest.mark.parametrize(
    "settings",
    [Settings(public_url=PUBLIC_URL), Settings(sms_twilio_auth_token=TOKEN)],
    ids=["no auth token", "no public url"],
)
def test_twilio_without_its_settings_answers_503_rather_than_trusting_posts(
    library: Library, settings: Settings
) -> None:
    client = TestClient(create_app(settings, library=library), raise_server_exceptions=False)
    form = twilio_form(SCAM_ZH)
    response = client.post("/sms/twilio", data=form, headers={"X-Twilio-Signature": twilio_signature("", form)})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "sms_not_configured"
    assert "ANTIFRAUD_SMS_TWILIO_AUTH_TOKEN" in response.json()["error"]["message"]


def test_turning_verification_off_is_explicit_and_logged_loudly(
    library: Library, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        app = create_app(Settings(sms_twilio_verify=False), library=library)
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert any("ANTIFRAUD_SMS_TWILIO_VERIFY" in record.getMessage() for record in warnings)
    client = TestClient(app, raise_server_exceptions=False)
    assert messages(post_twilio(client, twilio_form("你好"), signature=None))


def test_verification_is_on_unless_switched_off() -> None:
    assert Settings().sms_twilio_verify is True


def test_twiml_is_well_formed_and_a_citizens_markup_stays_text(client: TestClient) -> None:
    hostile = '<script>alert("x")</script> & <Message>free</Message> ]]> 让我把钱转到安全账户'
    response = post_twilio(client, twilio_form(hostile))
    parts = messages(response)
    assert b"<script" not in response.content and b"<Message>free" not in response.content
    assert all("<script" not in part for part in parts)


def test_twiml_escapes_whatever_a_reply_contains(
    client: TestClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = 'Tom & Jerry <b>bold</b> "quoted" 安全账户'

    def reply_with_markup(number: str, body: str, message_id: str | None = None) -> SmsReply:
        return SmsReply((text, "second & last"), "verdict", "en")

    monkeypatch.setattr(services_of(app).sms, "handle", reply_with_markup)
    response = post_twilio(client, twilio_form("hi"))
    assert messages(response) == [text, "second & last"]
    assert b"&amp;" in response.content and b"&lt;b&gt;" in response.content


def test_a_twilio_post_without_a_sender_is_refused(client: TestClient) -> None:
    form = twilio_form("hello")
    del form["From"]
    assert post_twilio(client, form).status_code == 422


# --- the JSON webhook for any gateway --------------------------------------------------------------


def signed(body: bytes, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Antifraud-Timestamp": stamp, "X-Antifraud-Signature": signature}


def inbound(text: str, sender: str | None = None, message_id: str | None = None) -> bytes:
    message = {
        "from": sender or new_number(),
        "to": "+8610690000000",
        "text": text,
        "id": message_id or uuid.uuid4().hex,
    }
    return json.dumps(message, ensure_ascii=False).encode()


def post_inbound(client: TestClient, body: bytes, headers: dict[str, str] | None = None) -> Any:
    return client.post("/sms/inbound", content=body, headers=signed(body) if headers is None else headers)


def assert_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_a_signed_json_webhook_gets_the_reply_and_its_parts(client: TestClient) -> None:
    sender = new_number()
    response = post_inbound(client, inbound(SCAM_EN, sender))
    assert response.status_code == 200, response.text
    data = response.json()
    assert set(data) == {"to", "text", "parts"}
    assert data["to"] == sender
    assert data["text"] == "\n".join(data["parts"])
    assert count_segments(data["text"]).segments <= 3
    assert "HIGH RISK" in data["parts"][0] and "110" in data["parts"][0]


def test_unknown_fields_from_a_gateway_are_ignored(client: TestClient) -> None:
    body = json.dumps({"from": new_number(), "to": "1", "text": "hello", "id": "m1", "carrier": "x"}).encode()
    assert post_inbound(client, body).status_code == 200


@pytest.mark.parametrize("case", ["another secret", "body changed", "not hex", "timestamp swapped"])
def test_a_badly_signed_json_webhook_is_refused(client: TestClient, case: str) -> None:
    body = inbound("hello")
    headers = {
        "another secret": signed(body, secret="guess"),
        "body changed": signed(body.replace(b"hello", b"HELLO")),
        "not hex": {**signed(body), "X-Antifraud-Signature": "zz" * 32},
        "timestamp swapped": {**signed(body), "X-Antifraud-Timestamp": str(int(time.time()) - 1)},
    }[case]
    assert_error(post_inbound(client, body, headers), 403, "bad_signature")


@pytest.mark.parametrize("offset", [-301, -3600, 301, 86_400])
def test_an_old_or_future_timestamp_is_refused_even_when_signed(client: TestClient, offset: int) -> None:
    body = inbound("hello")
    assert_error(post_inbound(client, body, signed(body, int(time.time()) + offset)), 401, "stale_timestamp")


def test_a_timestamp_that_is_not_unix_seconds_is_refused(client: TestClient) -> None:
    body = inbound("hello")
    assert_error(post_inbound(client, body, {**signed(body), "X-Antifraud-Timestamp": "soon"}), 401, "stale_timestamp")


@pytest.mark.parametrize("missing", ["X-Antifraud-Timestamp", "X-Antifraud-Signature"])
def test_an_unsigned_json_webhook_is_refused(client: TestClient, missing: str) -> None:
    body = inbound("hello")
    headers = {name: value for name, value in signed(body).items() if name != missing}
    assert_error(post_inbound(client, body, headers), 401, "signature_missing")


def test_malformed_json_with_a_good_signature_is_a_400(client: TestClient) -> None:
    assert_error(post_inbound(client, b'{"from": "+1", "text": '), 400, "malformed_json")


@pytest.mark.parametrize("field", ["from", "text", "id"])
def test_a_missing_field_is_a_422_that_names_it(client: TestClient, field: str) -> None:
    message = {"from": new_number(), "to": "+1", "text": "hello", "id": "m-1"}
    del message[field]
    response = post_inbound(client, json.dumps(message).encode())
    assert_error(response, 422, "invalid_request")
    assert field in [item["field"] for item in response.json()["error"]["fields"]]


def test_a_text_over_the_service_limit_is_a_422(client: TestClient) -> None:
    assert_error(post_inbound(client, inbound("啊" * 5001)), 422, "invalid_request")


def test_the_json_webhook_wants_json(client: TestClient) -> None:
    body = inbound("hello")
    assert_error(
        post_inbound(client, body, {**signed(body), "Content-Type": "text/plain"}), 415, "unsupported_media_type"
    )


def test_the_json_webhook_without_a_secret_answers_503(library: Library) -> None:
    client = TestClient(create_app(Settings(), library=library), raise_server_exceptions=False)
    body = inbound("hello")
    assert_error(client.post("/sms/inbound", content=body, headers=signed(body)), 503, "sms_not_configured")


# --- counting segments -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("Call 110 now.", "GSM-7", 13, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà\n", "GSM-7", 63, 1),
        ("^{}\\[~]|€", "GSM-7", 18, 1),  # the extension table: two septets each
        ("€" * 80, "GSM-7", 160, 1),
        ("€" * 81, "GSM-7", 162, 2),
        ("a" * 159 + "^", "GSM-7", 161, 2),
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3),  # the escape pair is never split between segments
        ("ç", "UCS-2", 1, 1),  # only the capital Ç is in GSM-7
        ("`", "UCS-2", 1, 1),
        ("你" * 70, "UCS-2", 70, 1),
        ("你" * 71, "UCS-2", 71, 2),
        ("你" * 134, "UCS-2", 134, 2),
        ("你" * 135, "UCS-2", 135, 3),
        ("a" * 100 + "你", "UCS-2", 101, 2),  # one Chinese character makes the whole message UCS-2
        ("😀", "UCS-2", 2, 1),  # outside the BMP: two UTF-16 units
        ("😀" * 35, "UCS-2", 70, 1),
        ("😀" * 36, "UCS-2", 72, 2),
        ("a" * 66 + "😀" + "a" * 66, "UCS-2", 134, 3),  # nor is a surrogate pair
    ],
)
def test_segments_are_counted_as_a_handset_sends_them(text: str, encoding: str, units: int, segments: int) -> None:
    count = count_segments(text)
    assert (count.encoding, count.units, count.segments) == (encoding, units, segments)


# --- the reply: budget, first segment, no links ----------------------------------------------------


def corpus(name: str) -> list[str]:
    with (REPO / "tests" / "corpus" / f"{name}.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line)["text"] for line in lines if line.strip()]


def assert_within_budget(reply: SmsReply) -> None:
    assert len(reply.parts) <= 3, reply.parts
    assert all(count_segments(part).segments == 1 for part in reply.parts), reply.parts
    assert count_segments(reply.text).segments <= 3, reply.text
    own_words = re.sub(r"「[^」]*」|\"[^\"]*\"", "", reply.text)  # the citizen's quoted words may say anything
    assert not CLAIMS_OF_SAFETY.search(own_words.lower()), reply.text


@pytest.mark.parametrize("name", ["scams_zh", "scams_en", "benign_zh", "benign_en"])
def test_every_reply_to_the_corpus_fits_three_segments(channel: SmsChannel, name: str) -> None:
    for text in corpus(name):
        reply = channel.handle(new_number(), text)
        assert_within_budget(reply)
        assert reply.parts, text


@pytest.mark.parametrize("name", ["scams_zh", "scams_en"])
def test_long_stories_told_over_many_texts_still_fit(channel: SmsChannel, name: str) -> None:
    texts = corpus(name)
    number = new_number()
    for start in range(0, 60, 6):
        long_text = "\n".join(texts[start : start + 6])  # one long forwarded text...
        assert_within_budget(channel.handle(number, long_text))
        for text in texts[start : start + 6]:  # ...and a story in many texts on one number
            assert_within_budget(channel.handle(number, text))


def first_part_options(channel: SmsChannel, library: Library, reply_lang: str) -> tuple[str, list[str]]:
    local = Localiser(reply_lang, library.settings.default_language)
    text = region_text(channel.region, reply_lang, library.settings.default_language)
    return text.fill(local(channel.sms.texts.hotline)), [
        text.fill(local(action))
        for action in [
            *channel.sms.actions.values(),
            channel.sms.texts.default_action,
            channel.sms.texts.minimal_action,
        ]
    ]


@pytest.mark.parametrize("region", ["cn", "hk", "tw", "sg", "uk", "us", "intl"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_first_segment_holds_the_verdict_an_action_and_the_hotline(
    library: Library, engine: Engine, region: str, lang: str
) -> None:
    dialogue = Dialogue(engine, FaqIndex(library, engine.normaliser), region)
    channel = build_sms(Settings(region=region, sms_salt="s"), library, engine, dialogue)
    hotline, short_actions = first_part_options(channel, library, lang)
    script = region_text(channel.region, lang, library.settings.default_language).script
    risk_words = [script(value[lang]) for value in (channel.sms.texts.risk.high, channel.sms.texts.risk.medium)]
    seen_types = set()
    for scam_type in library.types:
        for said in (text for line in scam_type.lines for text in line.text.get(lang, [])):
            reply = channel.handle(new_number(), said)
            assert_within_budget(reply)
            if reply.kind != "verdict" or not any(word in reply.parts[0] for word in risk_words):
                continue
            seen_types.add(scam_type.id)
            first = reply.parts[0]
            assert count_segments(first).segments == 1
            assert hotline in first, first
            advice = engine.analyse(said, lang=lang, region=region).advice.before
            assert any(action in first for action in [*short_actions, *advice[:1]]), first
            break
    assert seen_types == {scam_type.id for scam_type in library.types}  # every type, region and language


@pytest.mark.parametrize(
    "text",
    [
        "【招商银行】您的积分即将清零，请登录 http://cmb-jf.top/x?id=1 兑换礼品",
        "您的快递异常，点击cmb-kd.vip/a9领取理赔",
        "Your parcel is held: pay the fee at https://royalmail-fees.co/uk/pay now",
        "Verify your account at www.secure-hsbc-login.com or it will be closed",
        "Your refund is ready, see hxxp://refnd-now[.]info/r and 203.0.113.9/login",
        "Click bit.ly/3xYz to unlock your account",
    ],
)
def test_no_reply_ever_contains_a_link_even_one_the_citizen_sent(channel: SmsChannel, text: str) -> None:
    number = new_number()
    for message in (text, "1", "no", "I already paid"):
        reply = channel.handle(number, message)
        assert not LINKISH.search(reply.text), reply.text
        for fragment in ("cmb-jf", "cmb-kd", "royalmail-fees", "secure-hsbc", "refnd-now", "203.0.113", "3xYz"):
            assert fragment not in reply.text


def test_typographic_punctuation_does_not_force_an_english_reply_into_ucs2(channel: SmsChannel) -> None:
    reply = channel.handle(new_number(), "They said “don’t tell anyone” — just move the money to a safe account")
    assert count_segments(reply.text).encoding == "GSM-7", reply.text


# --- keywords --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stop", "start", "lang"), [("STOP", "START", "en"), ("退订", "开始", "zh"), ("td", "Start.", "zh")]
)
def test_stop_confirms_once_then_silence_until_start(
    client: TestClient, app: FastAPI, stop: str, start: str, lang: str
) -> None:
    number = new_number()
    sms = services_of(app).sms
    confirmation = messages(post_twilio(client, twilio_form(stop, number)))
    assert len(confirmation) == 1
    assert ("START" in confirmation[0]) if lang == "en" else ("开始" in confirmation[0])
    assert sms.opt_outs.get(sms.sender_key(number)) is True
    assert sms.opt_outs.get(number) is None  # stored by the salted hash, never the number
    for text in (SCAM_ZH, "HELP", "1", stop):
        assert messages(post_twilio(client, twilio_form(text, number))) == []
    body = inbound(SCAM_ZH, number)
    assert post_inbound(client, body).json() == {"to": number, "text": "", "parts": []}
    assert len(messages(post_twilio(client, twilio_form(start, number)))) >= 1
    assert "高风险" in messages(post_twilio(client, twilio_form(SCAM_ZH, number)))[0]


@pytest.mark.parametrize(
    ("word", "lang", "mentions"), [("HELP", "en", "STOP"), ("帮助", "zh", "退订"), ("help!", "en", "RESET")]
)
def test_help_explains_the_service_and_leaves_the_story_alone(
    channel: SmsChannel, word: str, lang: str, mentions: str
) -> None:
    number = new_number()
    channel.handle(number, SCAM_ZH)
    before = channel.sessions.get(channel.sender_key(number))
    reply = channel.handle(number, word)
    assert (reply.kind, reply.lang) == ("help", lang)
    assert mentions in reply.text and "110" in reply.text
    assert_within_budget(reply)
    assert channel.sessions.get(channel.sender_key(number)) == before


@pytest.mark.parametrize("word", ["RESET", "重新开始", "reset."])
def test_reset_ends_the_session(channel: SmsChannel, word: str) -> None:
    number = new_number()
    channel.handle(number, "有个自称警察的人打电话给我")
    assert channel.sessions.get(channel.sender_key(number)) is not None
    assert channel.handle(number, word).kind == "reset"
    assert channel.sessions.get(channel.sender_key(number)) is None
    channel.handle(number, "他说我的身份证涉嫌洗钱")
    state = channel.sessions.get(channel.sender_key(number))
    assert state is not None and state.dialogue.turns == ("他说我的身份证涉嫌洗钱",)


def test_a_digit_sends_the_details_it_offers(channel: SmsChannel) -> None:
    number = new_number()
    channel.handle(number, SCAM_ZH)
    signs = channel.handle(number, "1")
    assert signs.kind == "details" and signs.parts[0].startswith("警示信号")
    state = channel.sessions.get(channel.sender_key(number))
    assert state is not None and state.warning_signs[0] in signs.text  # this scam's own signs
    paid = channel.handle(number, "２").text  # what to do if already paid (a full-width digit too)
    assert "向警方报案（110）" in paid
    assert "12321" in channel.handle(number, "3").text  # where to forward a scam text in cn
    fresh = channel.handle(new_number(), "1")  # no verdict yet: the general signs
    assert fresh.kind == "details" and len(fresh.parts) >= 1
    for reply in (signs, fresh):
        assert_within_budget(reply)


# --- retries ---------------------------------------------------------------------------------------


def test_a_retried_twilio_message_gets_the_same_reply_and_counts_once(client: TestClient, app: FastAPI) -> None:
    sms = services_of(app).sms
    number = new_number()
    form = twilio_form("有个自称警察的人打电话给我", number)
    first = post_twilio(client, form)
    retry = post_twilio(client, form)
    assert first.content == retry.content
    state = sms.sessions.get(sms.sender_key(number))
    assert state is not None and state.dialogue.turns == ("有个自称警察的人打电话给我",)
    # A retry of the first message after the story moved on still gets the first answer.
    post_twilio(client, twilio_form("他说我的身份证涉嫌洗钱", number))
    assert post_twilio(client, form).content == first.content
    state = sms.sessions.get(sms.sender_key(number))
    assert state is not None and len(state.dialogue.turns) == 2


def test_a_retried_json_message_gets_the_same_reply_and_counts_once(client: TestClient, app: FastAPI) -> None:
    sms = services_of(app).sms
    number = new_number()
    body = inbound("有个自称警察的人打电话给我", number, "gw-42")
    first = post_inbound(client, body)
    time.sleep(1.1)  # a later retry, signed again with a new timestamp
    retry = post_inbound(client, body)
    assert first.status_code == retry.status_code == 200
    assert first.json() == retry.json()
    state = sms.sessions.get(sms.sender_key(number))
    assert state is not None and len(state.dialogue.turns) == 1
    post_inbound(client, inbound("有个自称警察的人打电话给我", number, "gw-43"))  # a new message, said again
    state = sms.sessions.get(sms.sender_key(number))
    assert state is not None and len(state.dialogue.turns) == 2


def test_concurrent_retries_are_answered_once(channel: SmsChannel) -> None:
    number = new_number()
    replies: list[SmsReply] = []
    threads = [
        threading.Thread(target=lambda: replies.append(channel.handle(number, SCAM_EN, "SMx"))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(replies) == 8 and len(set(replies)) == 1
    state = channel.sessions.get(channel.sender_key(number))
    assert state is not None and len(state.dialogue.turns) == 1


# --- privacy ---------------------------------------------------------------------------------------


def test_numbers_and_texts_stay_out_of_the_log(channel: SmsChannel, caplog: pytest.LogCaptureFixture) -> None:
    number = "+8613912345678"
    with caplog.at_level(logging.DEBUG):
        channel.handle(number, SCAM_ZH, "SM1")
        channel.handle(number, "STOP", "SM2")
    assert caplog.records, "each message is logged, without what identifies the citizen"
    assert "13912345678" not in caplog.text and "安全账户" not in caplog.text
    assert channel.sender_key(number)[:12] in caplog.text


def test_texts_are_logged_only_when_asked(
    library: Library, engine: Engine, dialogue: Dialogue, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        channel = build_sms(Settings(sms_log_text=True, sms_salt="s"), library, engine, dialogue)
        channel.handle("+8613912345678", "有个自称警察的人打电话给我")
    assert "ANTIFRAUD_SMS_LOG_TEXT" in caplog.text and "自称警察" in caplog.text
    assert "13912345678" not in caplog.text


def test_the_sender_key_is_a_salted_hash(library: Library, engine: Engine, dialogue: Dialogue) -> None:
    one = build_sms(Settings(sms_salt="one"), library, engine, dialogue)
    two = build_sms(Settings(sms_salt="two"), library, engine, dialogue)
    number = "+86 139-1234-5678"
    assert one.sender_key(number) == one.sender_key("+8613912345678")
    assert one.sender_key(number) != two.sender_key(number)
    assert re.fullmatch(r"[0-9a-f]{64}", one.sender_key(number))
    assert one.sender_key(number) != hashlib.sha256(b"+8613912345678").hexdigest()  # not a bare, guessable hash


def test_without_a_salt_a_random_one_is_used_and_that_is_said(
    library: Library, engine: Engine, dialogue: Dialogue, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        one = build_sms(Settings(), library, engine, dialogue)
        two = build_sms(Settings(), library, engine, dialogue)
    assert "ANTIFRAUD_SMS_SALT" in caplog.text and "restart" in caplog.text
    assert one.sender_key("+8613912345678") != two.sender_key("+8613912345678")


def test_sms_sessions_are_apart_from_the_web_chat_and_short(app: FastAPI) -> None:
    services = services_of(app)
    assert id(services.sms.sessions) != id(services.sessions)
    assert Settings().sms_session_ttl_seconds <= 1800


# --- whole conversations ---------------------------------------------------------------------------


def test_a_conversation_in_chinese(client: TestClient) -> None:
    number = new_number()

    def say(text: str) -> list[str]:
        parts = messages(post_twilio(client, twilio_form(text, number)))
        assert 1 <= len(parts) <= 3 and count_segments("\n".join(parts)).segments <= 3
        return parts

    first = say("有个自称警察的人打电话给我")
    assert "他们有没有让你转账" in "\n".join(first)  # one follow-up question, answered in a word
    second = say("他说我的身份证涉嫌洗钱，要我把钱转到安全账户")
    assert second[0].startswith("高风险") and "冒充公检法" in second[0] and "96110" in second[0]
    assert "你有没有已经转账" in "\n".join(second)
    answered = "\n".join(say("没有"))
    assert "还来得及" in answered and "高风险" in answered
    urgent = say("我已经转了")
    assert "马上联系警方（110）" in urgent[0] and "冻结" in urgent[0]
    assert "高风险" not in urgent[0]


def test_a_conversation_in_english(client: TestClient) -> None:
    number = new_number()

    def say(text: str) -> list[str]:
        body = inbound(text, number)
        response = post_inbound(client, body)
        assert response.status_code == 200, response.text
        parts: list[str] = response.json()["parts"]
        assert 1 <= len(parts) <= 3 and count_segments(response.json()["text"]).segments <= 3
        return parts

    first = say("I got a call from someone saying he is from the police")
    assert "Did they ask you to move money" in "\n".join(first)
    second = say("he said my bank account is involved in a money laundering case")
    assert second[0].startswith("HIGH RISK") and "96110" in second[0]
    assert "Have you already sent money" in "\n".join(second)
    answered = "\n".join(say("no"))
    assert "there is still time" in answered and "HIGH RISK" in answered
    urgent = say("I already paid")
    assert "contact the police on 110 now" in urgent[0] and "freeze" in urgent[0]


def test_a_yes_to_the_follow_up_raises_the_verdict(channel: SmsChannel) -> None:
    number = new_number()
    first = channel.handle(number, "有个自称警察的人打电话给我")
    assert first.parts[0].startswith("低风险")
    reply = channel.handle(number, "是的")
    assert reply.kind == "verdict" and not reply.parts[0].startswith("低风险")


def test_what_now_after_money_has_gone_gets_the_short_urgent_steps(channel: SmsChannel) -> None:
    """The chat's full urgent list does not fit three texts; cut, it ended at "1." with no step."""
    number = new_number()
    channel.handle(number, "A man from my bank said my account is hacked and I must move my money to a safe account")
    urgent = channel.handle(number, "i already moved £3000")
    again = channel.handle(number, "what should i do now")
    assert urgent.kind == "urgent"
    assert again.parts == urgent.parts
    assert not again.parts[-1].rstrip().endswith(("1.", "1"))


# --- the texts file --------------------------------------------------------------------------------


def test_a_broken_sms_file_names_the_problem(library_copy: Path) -> None:
    from bot.library.loader import load_library

    path = library_copy / "sms.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        .replace("    en: If unsure, call {antifraud}. If you paid, contact {after_loss} now.\n", "")
        .replace("回复1看警示信号，2已付款怎么办，3怎么举报。\n", "回复1看警示信号。{hotline}\n", 1),
        encoding="utf-8",
    )
    with pytest.raises(LibraryError) as caught:
        load_sms_texts(load_library(library_copy))
    problems = "\n".join(str(problem) for problem in caught.value.problems)
    assert "texts.hotline" in problems and "missing language(s) ['en']" in problems
    assert "unknown placeholder(s) ['hotline']" in problems
    assert "does not offer detail 2" in problems


# --- the demo gateway against a live server --------------------------------------------------------


@pytest.fixture()
def live_server(library: Library) -> Iterator[str]:
    """The service under uvicorn on a free local port, in this process, stopped after the test."""
    app = create_app(Settings(sms_inbound_secret=SECRET, sms_salt="live"), library=library)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def run_demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / "sms_gateway_demo.py"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_demo_gateway_talks_to_a_live_server(live_server: str) -> None:
    done = run_demo("--url", live_server, "--secret", SECRET, "--from", "+8613800000099", "--id", "demo-1", SCAM_ZH)
    assert done.returncode == 0, done.stderr
    assert "--- SMS 1/" in done.stdout and "高风险" in done.stdout and "110" in done.stdout
    again = run_demo("--url", live_server, "--secret", SECRET, "--from", "+8613800000099", "--id", "demo-1", SCAM_ZH)
    assert again.stdout == done.stdout  # the gateway's retry
    refused = run_demo("--url", live_server, "--secret", "wrong", SCAM_ZH)
    assert refused.returncode == 1 and "bad_signature" in refused.stderr


def test_start_from_a_number_that_never_left_explains_the_service(channel: SmsChannel) -> None:
    assert channel.handle(new_number(), "START").kind == "help"


def test_an_empty_text_gets_the_help(client: TestClient) -> None:
    parts = messages(post_twilio(client, twilio_form("")))
    assert parts and "退订" in "".join(parts)  # the region's language (cn: Chinese)


# --- the fast paths of laying out and sending a reply ---------------------------------------------


@pytest.mark.parametrize(
    "parts",
    [
        (),
        ("",),
        ("plain", "中文回复"),
        ("a & b < c > d \"quoted\" 'single' ]]> &amp;",),
        ("line\nbreak\r\n\ttab", "", "\x00\x1f control", "emoji 😀 and € ^{}[~]|\\"),
    ],
)
def test_twiml_is_written_exactly_as_twilios_own_builder_writes_it(parts: tuple[str, ...]) -> None:
    expected = MessagingResponse()
    for part in parts:
        expected.message(part)
    assert twiml(parts) == str(expected)


@pytest.mark.parametrize(
    "text",
    ["", "plain GSM text @£$", "brackets [x] {y} ~ | ^ € \\", "中文，全角", "emoji 😀😀 and a lone \ud800", "é’\u00a0"],
)
def test_units_and_gsm_agree_with_counting_each_character(text: str) -> None:
    assert is_gsm(text) == all(char in GSM_BASIC or char in GSM_EXTENSION for char in text)
    assert units(text, "GSM-7") == sum(2 if char in GSM_EXTENSION else 1 for char in text)
    assert units(text, "UCS-2") == sum(2 if ord(char) > 0xFFFF else 1 for char in text)


@pytest.mark.parametrize(
    "text",
    ["a" * 400, "€" * 100 + "a" * 200, "a" * 306 + "€", "中" * 200, "😀" * 80 + "中" * 10, "[x]" * 90, "é" * 161],
)
def test_segment_count_agrees_with_filling_segments_character_by_character(text: str) -> None:
    """Counted in one step when every character costs one unit; an escape or a surrogate pair never split."""
    count = count_segments(text)
    single, per_part = LIMITS[count.encoding]
    segments, used = 1, 0
    for char in text:
        cost = 2 if (char in GSM_EXTENSION if count.encoding == "GSM-7" else ord(char) > 0xFFFF) else 1
        if used + cost > per_part:
            segments, used = segments + 1, 0
        used += cost
    assert count.segments == (segments if count.units > single else 1)


def test_someone_who_says_they_want_to_die_gets_the_crisis_line_first_by_sms(channel: SmsChannel) -> None:
    """The SMS's own short care text, with the region's 24-hour line, before the short urgent steps."""
    reply = channel.handle(new_number(), "被骗了20万 全是养老钱 我真的不想活了")
    assert "12356" in reply.parts[0]
    assert reply.kind == "urgent"
    assert all(count_segments(part).segments <= 1 for part in reply.parts)
