"""The JSON API from the outside: every endpoint, and every way a request can be wrong. Errors are
always JSON {"error": {"code", "message"}} with the right status and never echo what was sent."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.channels.sessions import is_valid_session_id
from bot.channels.web.app import create_app
from bot.channels.web.settings import Settings
from bot.engine.pipeline import Engine
from bot.library.loader import Library

SETTINGS = Settings(max_message_chars=5000, max_body_bytes=65_536)
REPLY_KEYS = {
    "kind", "text", "lang", "risk", "scam_type", "scam_type_name", "evidence", "warning_signs",
    "advice", "next_step", "question", "faq", "related", "indicators", "urgent", "intent", "harms",
}  # fmt: skip


@pytest.fixture(scope="module")
def app(library: Library) -> FastAPI:
    return create_app(SETTINGS, library=library)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def chat(client: TestClient, message: str, session_id: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, **extra}
    if session_id:
        body["session_id"] = session_id
    response = client.post("/api/chat", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-content-type-options"] == "nosniff"
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    return error


# --- health --------------------------------------------------------------------------------------


def test_healthz_answers_while_the_process_runs(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_says_ready_once_the_library_is_loaded(client: TestClient, library: Library) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "scam_types": len(library.types),
        "faq_entries": len(library.faq),
        "redis": "off",
        "library": "files",
    }


def test_a_broken_library_keeps_the_process_alive_but_not_ready(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        broken = create_app(Settings(library_path=tmp_path / "missing"))
    assert "could not be loaded" in caplog.text
    client = TestClient(broken, raise_server_exceptions=False)
    assert client.get("/healthz").status_code == 200
    assert_error(client.get("/readyz"), 503, "not_ready")
    assert_error(client.post("/api/chat", json={"message": "你好"}), 503, "not_ready")
    assert_error(client.post("/api/check", json={"text": "你好"}), 503, "not_ready")


def test_the_api_is_documented(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/api/check", "/api/chat", "/healthz", "/readyz"} <= set(schema["paths"])
    assert client.get("/docs").status_code == 200


# --- /api/check ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "他说我的身份证涉嫌洗钱，让我把钱转到安全账户",
        "He said my bank account is involved in a case and I must move my savings to a safe account",
    ],
)
def test_check_returns_the_engines_verdict_unchanged(client: TestClient, engine: Engine, text: str) -> None:
    response = client.post("/api/check", json={"text": text})
    assert response.status_code == 200
    expected = json.loads(json.dumps(engine.analyse(text, region=SETTINGS.region).to_dict()))
    assert response.json() == expected
    for item in response.json()["evidence"]:
        start, end = item["span"]
        assert text[start:end] == item["text"]


def test_check_takes_the_reply_language_and_the_region(client: TestClient) -> None:
    text = "他说我的身份证涉嫌洗钱，让我把钱转到安全账户"
    data = client.post("/api/check", json={"text": text, "lang": "en", "region": "hk"}).json()
    assert data["lang"] == "en" and data["risk"] == "high"
    advice = " ".join(data["advice"]["before"] + data["advice"]["after"])
    assert "18222" in advice and "110" not in advice  # Hong Kong's own helpline, never the mainland's


# --- /api/chat -----------------------------------------------------------------------------------


def test_chat_starts_a_session_and_returns_a_whole_reply(client: TestClient) -> None:
    data = chat(client, "你好")
    assert is_valid_session_id(data["session_id"])
    assert set(data["reply"]) == REPLY_KEYS
    assert data["reply"]["kind"] == "intro" and data["reply"]["lang"] == "zh"
    assert data["reply"]["urgent"] is False


def test_the_session_carries_the_story_between_messages(client: TestClient) -> None:
    first = chat(client, "有个自称警察的人打电话给我")
    assert first["reply"]["question"]
    second = chat(client, "他说我的身份证涉嫌洗钱", first["session_id"])
    assert second["session_id"] == first["session_id"]
    reply = second["reply"]
    assert reply["risk"] == "high" and reply["scam_type"] == "fake_authority"
    for item in reply["evidence"]:
        start, end = item["span"]
        assert "他说我的身份证涉嫌洗钱"[start:end] == item["text"]
    paid = chat(client, "是", first["session_id"])["reply"]  # yes, I have already paid
    assert paid["kind"] == "urgent" and paid["urgent"] is True
    assert paid["advice"]["after"]


def test_an_unknown_session_id_starts_a_new_session_with_a_server_chosen_id(client: TestClient) -> None:
    made_up = "A" * 32
    data = chat(client, "hello", made_up)
    assert data["session_id"] != made_up and is_valid_session_id(data["session_id"])


def test_chat_answers_faq_questions(client: TestClient) -> None:
    reply = chat(client, "What is a safe account?")["reply"]
    assert reply["kind"] == "faq" and reply["lang"] == "en"
    assert reply["faq"]["id"] == "scam_safe_account" and "{" not in reply["faq"]["answer"]


def test_chat_takes_an_explicit_language(client: TestClient) -> None:
    reply = chat(client, "你好", lang="en")["reply"]
    assert reply["lang"] == "en" and reply["text"].startswith("Hi")


def test_hostile_html_stays_data(client: TestClient) -> None:
    message = '<script>alert(1)</script>他说我的身份证涉嫌洗钱<img src=x onerror="alert(2)">'
    response = client.post("/api/chat", json={"message": message})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-content-type-options"] == "nosniff"
    reply = response.json()["reply"]
    for item in reply["evidence"]:
        start, end = item["span"]
        assert message[start:end] == item["text"]  # spans still point at the citizen's own characters
    checked = client.post("/api/check", json={"text": message})
    assert checked.headers["content-type"].startswith("application/json")


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for response in (client.get("/healthz"), client.post("/api/chat", json={"message": "hi"}), client.get("/nowhere")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    assert client.post("/api/chat", json={"message": "hi"}).headers["cache-control"] == "no-store"


# --- every way a request can be wrong ------------------------------------------------------------


@pytest.mark.parametrize(("path", "field"), [("/api/chat", "message"), ("/api/check", "text")])
@pytest.mark.parametrize("value", ["", "   ", "\n\t"])
def test_an_empty_message_is_refused_naming_the_field(client: TestClient, path: str, field: str, value: str) -> None:
    error = assert_error(client.post(path, json={field: value}), 422, "invalid_request")
    assert error["fields"][0]["field"] == field


@pytest.mark.parametrize(("path", "field"), [("/api/chat", "message"), ("/api/check", "text")])
def test_a_message_over_the_configured_length_is_refused(client: TestClient, path: str, field: str) -> None:
    error = assert_error(
        client.post(path, json={field: "骗" * (SETTINGS.max_message_chars + 1)}), 422, "invalid_request"
    )
    assert str(SETTINGS.max_message_chars) in error["message"]
    assert "骗骗" not in error["message"]


def test_a_body_over_the_byte_limit_is_refused_before_parsing(client: TestClient) -> None:
    body = b'{"message": "' + b"a" * 100_000 + b'"}'
    assert_error(
        client.post("/api/chat", content=body, headers={"content-type": "application/json"}), 413, "body_too_large"
    )


def test_a_streamed_body_over_the_limit_is_refused_too(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"message": "'
        for _ in range(100):
            yield b"a" * 1024
        yield b'"}'

    response = client.post("/api/chat", content=chunks(), headers={"content-type": "application/json"})
    assert_error(response, 413, "body_too_large")


@pytest.mark.parametrize("body", [bytes(range(256)) * 4, b"\xff\xfe\xfa" * 100, b"\x89PNG\r\n\x1a\n" + bytes(64)])
def test_a_binary_body_is_a_bad_request(client: TestClient, body: bytes) -> None:
    response = client.post("/api/chat", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    error = assert_error(response, 400, response.json()["error"]["code"])
    assert error["code"] in ("bad_request", "malformed_json")
    assert "\\x" not in error["message"] and "PNG" not in error["message"]


@pytest.mark.parametrize("body", [b'{"message": "hi"', b"{'message': 'hi'}", b"message=hi", b'{"message": "hi"}}'])
def test_malformed_json_is_a_bad_request(client: TestClient, body: bytes) -> None:
    response = client.post("/api/chat", content=body, headers={"content-type": "application/json"})
    error = assert_error(response, 400, "malformed_json")
    assert "hi" not in error["message"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None]
)
def test_a_body_that_is_not_declared_as_json_is_unsupported(client: TestClient, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/api/chat", content=b'{"message": "hi"}', headers=headers)
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"message": 123}, "message"),
        ({"message": ["hi"]}, "message"),
        ({"message": None}, "message"),
        ({"message": "hi", "lang": 5}, "lang"),
        ({"message": "hi", "session_id": []}, "session_id"),
        ({"message": "hi", "session_id": "../../etc/passwd"}, "session_id"),
        ({"message": "hi", "surprise": True}, "surprise"),
        ({}, "message"),
        ([], "body"),
        ("just a string", "body"),
    ],
)
def test_wrong_types_and_unknown_fields_are_refused_naming_the_field(client: TestClient, body: Any, field: str) -> None:
    error = assert_error(client.post("/api/chat", json=body), 422, "invalid_request")
    assert field in [item["field"] for item in error["fields"]]


@pytest.mark.parametrize("lang", ["fr", "xx", "zh-CN", "EN"])
def test_an_unknown_language_is_refused_with_the_ones_that_exist(client: TestClient, lang: str) -> None:
    error = assert_error(client.post("/api/chat", json={"message": "hi", "lang": lang}), 422, "invalid_request")
    assert error["fields"][0]["field"] == "lang"


def test_an_unknown_region_is_refused(client: TestClient) -> None:
    error = assert_error(client.post("/api/check", json={"text": "hi", "region": "atlantis"}), 422, "invalid_request")
    assert "cn" in error["message"] and "atlantis" not in error["message"]


def test_unknown_addresses_and_methods_answer_in_json(client: TestClient) -> None:
    assert_error(client.get("/api/nothing-here"), 404, "not_found")
    error_response = client.get("/api/chat")
    assert_error(error_response, 405, "method_not_allowed")
    assert error_response.headers["allow"] == "POST"


def test_an_unexpected_failure_is_a_generic_500_and_logged(library: Library, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(SETTINGS, library=library)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals: /etc/shadow")

    client = TestClient(app, raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR):
        response = client.get("/boom")
    error = assert_error(response, 500, "internal_error")
    assert "secret" not in response.text and "shadow" not in error["message"]
    assert "secret internals" in caplog.text  # the operator sees it in the log


def test_the_faq_page_reads_in_the_regions_script(client: TestClient) -> None:
    faq = client.get("/faq?region=hk&lang=zh")
    assert faq.status_code == 200
    assert '<html lang="zh-Hant-HK">' in faq.text and "常見問題" in faq.text and "常见问题" not in faq.text
