"""Several processes as one service, proved against a real Redis (Debian's redis-server, started here
on a free port of 127.0.0.1) and real `antifraud serve` processes: a chat and an SMS conversation
alternating between two processes, opt-outs surviving restarts (with Redis, and with the embedded
SQLite default), one message id retried concurrently across processes answered once, rate limits
counted across processes, and Redis stopped mid-run (clear 503s, no crash, no hang; normal again
when it returns)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from bot.channels.phone import normalise_number
from bot.channels.store import SMS_STATE_CODEC, hashed
from tests.redis_support import REDIS_SERVER, App, RedisServer, signed_sms

if not Path(REDIS_SERVER).exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI runs the shared-state tests against a real Redis: scripts/ensure-redis.sh installs it")
    pytest.skip("needs Debian's redis-server (make test installs it)", allow_module_level=True)

SALT = "shared-state-test-salt"
SECRET = "shared-state-test-secret"
ADMIN = "admin-test-token"
SCAM = "有人自称公安局的警察，说我的身份证涉嫌洗钱，让我把钱转到安全账户"
_addresses = itertools.count(1)


def client_ip() -> dict[str, str]:
    """A client address of its own per test, as the trusted proxy (127.0.0.1) appends it after whatever
    the client itself claimed; only the proxy's word counts, so limits are per test."""
    n = next(_addresses)
    return {"X-Forwarded-For": f"10.9.9.9, 203.0.113.{n}"}


def new_number() -> str:
    return "+86138" + str(uuid.uuid4().int)[:8]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("shared")


@pytest.fixture(scope="module")
def redis_server(folder: Path) -> Iterator[RedisServer]:
    server = RedisServer(folder).start()
    yield server
    server.stop()


def app_env(redis_url: str, folder: Path, **extra: str) -> dict[str, str]:
    return {
        "ANTIFRAUD_REDIS_URL": redis_url,
        "ANTIFRAUD_REDIS_NAMESPACE": "test",
        "ANTIFRAUD_SMS_SALT": SALT,
        "ANTIFRAUD_SMS_INBOUND_SECRET": SECRET,
        "ANTIFRAUD_TRUSTED_PROXIES": "127.0.0.1",
        "ANTIFRAUD_RATE_LIMIT_WEB": "12/minute",
        "ANTIFRAUD_RATE_LIMIT_SMS": "5/minute",
        "ANTIFRAUD_ADMIN_TOKEN": ADMIN,
        "ANTIFRAUD_STATE_DIR": str(folder / "state"),
        "ANTIFRAUD_ENGINE_WORKERS": "2",
        **extra,
    }


@pytest.fixture(scope="module")
def apps(redis_server: RedisServer, folder: Path) -> Iterator[tuple[App, App]]:
    env = app_env(redis_server.url, folder)
    first = App(env, folder / "a.log")
    second = App(env, folder / "b.log")
    first.process, second.process = None, None
    threads = [threading.Thread(target=app.start) for app in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    yield first, second
    first.stop()
    second.stop()


def sms(app: App, sender: str, text: str, message_id: str | None = None) -> tuple[int, Any]:
    body, headers = signed_sms(SECRET, sender, text, message_id or uuid.uuid4().hex)
    status, _, data = app.request("POST", "/sms/inbound", body, headers)
    return status, data


def sms_session(client: redis.Redis, number: str) -> Any:
    sender = hmac.new(SALT.encode(), normalise_number(number, "CN").encode(), hashlib.sha256).hexdigest()
    raw = client.get(f"test:sms-session:{hashed(sender)}")
    return None if raw is None else SMS_STATE_CODEC.decode(raw.decode())


# --- one service across processes ------------------------------------------------------------------


def test_a_chat_alternating_between_two_processes_keeps_its_story(apps: tuple[App, App]) -> None:
    headers = client_ip()
    messages = [
        "有个自称公安局的人打电话给我",
        "他说我的银行卡涉嫌洗钱",
        "让我把钱转到安全账户配合调查",
        "还不让我告诉家人",
    ]
    session_id = None
    replies = []
    for turn, message in enumerate(messages):
        app = apps[turn % 2]
        body: dict[str, Any] = {"message": message}
        if session_id:
            body["session_id"] = session_id
        status, _, data = app.request("POST", "/api/chat", body, headers)
        assert status == 200, data
        if session_id is not None:
            assert data["session_id"] == session_id, f"turn {turn} on the other process lost the session"
        session_id = data["session_id"]
        replies.append(data["reply"])
    assert replies[-1]["risk"] == "high" and replies[-1]["scam_type"] == "fake_authority"


def test_an_sms_conversation_alternating_between_processes(apps: tuple[App, App], redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url)
    number = new_number()
    status, first = sms(apps[0], number, "有个自称警察的人打电话给我")
    assert status == 200 and first["text"]
    status, second = sms(apps[1], "0086" + number[3:], "他说我的银行卡涉嫌洗钱，让我转到安全账户")  # another form
    assert status == 200 and second["text"]
    state = sms_session(client, number)
    assert state is not None and len(state.dialogue.turns) == 2, "both texts are one story, whichever process"
    status, details = sms(apps[0], number[3:], "1")  # the warning signs of the scam just found
    assert status == 200 and details["text"]


def test_stop_on_one_process_holds_on_the_other_and_after_a_restart(
    apps: tuple[App, App], redis_server: RedisServer, folder: Path
) -> None:
    number = new_number()
    assert sms(apps[0], number, "STOP")[1]["text"], "one confirmation"
    assert sms(apps[1], number, SCAM)[1]["text"] == "", "silence on the other process"
    restarted = App(app_env(redis_server.url, folder), folder / "c.log").start()
    try:
        assert sms(restarted, "0086" + number[3:], SCAM)[1]["text"] == "", "and after a restart"
        assert sms(restarted, number, "START")[1]["text"]
        assert sms(apps[1], number, SCAM)[1]["text"]
    finally:
        restarted.stop()


def test_one_message_id_retried_concurrently_across_processes_is_answered_once(
    apps: tuple[App, App], redis_server: RedisServer
) -> None:
    client = redis.Redis.from_url(redis_server.url)
    number = new_number()
    message_id = "retry-" + uuid.uuid4().hex
    answers: list[tuple[int, Any]] = []
    barrier = threading.Barrier(6)

    def post(app: App) -> None:
        barrier.wait()
        answers.append(sms(app, number, SCAM, message_id))

    threads = [threading.Thread(target=post, args=(apps[index % 2],)) for index in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 6 and all(status == 200 for status, _ in answers), answers
    assert len({data["text"] for _, data in answers}) == 1, "every retry gets the very same reply"
    state = sms_session(client, number)
    assert state is not None and len(state.dialogue.turns) == 1, "and the text counts once in the story"


def test_rate_limits_are_counted_across_processes(apps: tuple[App, App]) -> None:
    headers = client_ip()
    statuses = [apps[index % 2].request("POST", "/api/check", {"text": "你好"}, headers)[0] for index in range(12)]
    assert statuses == [200] * 12
    status, response_headers, data = apps[0].request("POST", "/api/check", {"text": "你好"}, headers)
    assert status == 429 and data["error"]["code"] == "rate_limited"
    assert 1 <= int(response_headers["retry-after"]) <= 60
    assert apps[1].request("POST", "/api/check", {"text": "你好"}, client_ip())[0] == 200, "others are not limited"


def test_an_sms_number_over_its_budget_gets_one_notice_then_silence(apps: tuple[App, App]) -> None:
    number = new_number()
    texts = [sms(apps[index % 2], number, f"有人打电话说我中奖了 {index}")[1]["text"] for index in range(5)]
    assert all(texts)
    notice = sms(apps[1], number, "还有一条")[1]["text"]
    assert notice and ("太快" in notice or "wait" in notice.lower())
    assert [sms(apps[index % 2], number, "再发一条")[1]["text"] for index in range(3)] == ["", "", ""]


def test_a_reload_on_one_process_reaches_the_others(apps: tuple[App, App]) -> None:
    before = apps[1].request("GET", "/metrics")[2]
    status, _, data = apps[0].request("POST", "/admin/reload", b"", {"Authorization": f"Bearer {ADMIN}"})
    assert status == 200 and data["status"] == "reloaded"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        text = apps[1].request("GET", "/metrics")[2]
        if 'antifraud_library_reloads_total{result="ok"}' in text:
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"the other process did not reload; metrics before:\n{before[:300]}")
    assert apps[1].status("/readyz") == 200


# --- Redis goes away, and comes back ---------------------------------------------------------------


def test_redis_stopped_mid_run_degrades_clearly_and_recovers(apps: tuple[App, App], redis_server: RedisServer) -> None:
    first, second = apps
    headers = client_ip()
    status, _, data = first.request("POST", "/api/chat", {"message": "有个自称警察的人打电话给我"}, headers)
    assert status == 200
    session_id = data["session_id"]
    redis_server.stop()
    try:
        started = time.monotonic()
        assert first.status("/healthz") == 200, "alive"
        status, _, data = first.request("GET", "/readyz")
        assert status == 503 and data["error"]["code"] == "redis_unreachable", "not ready: out of the load balancer"
        status, _, data = second.request(
            "POST", "/api/chat", {"message": "他让我转账", "session_id": session_id}, headers
        )
        assert status == 503 and data["error"]["code"] == "state_unavailable"
        status, response_headers, data = first.request("POST", "/api/check", {"text": SCAM}, headers)
        assert status == 200 and data["risk"] == "high", "a stateless check still works (limits fail open)"
        status, response_headers, data = second.request(
            "POST", "/sms/inbound", *signed_sms(SECRET, new_number(), SCAM, "down-1")
        )
        assert status == 503 and response_headers.get("retry-after"), "the gateway is told to retry later"
        assert time.monotonic() - started < 10, "no request hung"
    finally:
        redis_server.start()
    deadline = time.monotonic() + 15
    while first.status("/readyz") != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert first.status("/readyz") == 200
    status, _, data = second.request("POST", "/api/chat", {"message": "有个自称警察的人打电话给我"}, headers)
    assert status == 200, "back to normal (the old session was in the Redis that restarted empty)"
    status, _, data = first.request(
        "POST", "/api/chat", {"message": "他让我转账", "session_id": data["session_id"]}, headers
    )
    assert status == 200
    for app in apps:
        assert app.process is not None and app.process.poll() is None, "no process crashed"


# --- the embedded default: one process, opt-outs in SQLite -----------------------------------------


def test_without_redis_opt_outs_survive_a_restart_and_sighup_reloads(folder: Path) -> None:
    env = {
        "ANTIFRAUD_SMS_INBOUND_SECRET": SECRET,
        "ANTIFRAUD_STATE_DIR": str(folder / "embedded"),  # no salt set: one is generated and kept there
    }
    app = App(env, folder / "embedded.log").start()
    number = new_number()
    try:
        assert sms(app, number, "退订")[1]["text"]
        app.signal(signal.SIGHUP)  # reload the library: the process must stay up and ready
        time.sleep(0.5)
        assert app.status("/readyz") == 200
        app.stop()
        app.start()
        assert sms(app, number[3:], SCAM)[1]["text"] == "", "STOP from +86... holds for 138... after a restart"
        assert "SIGHUP" in (folder / "embedded.log").read_text()
    finally:
        app.stop()


def test_several_workers_without_redis_are_refused(folder: Path) -> None:
    import subprocess

    from tests.redis_support import ANTIFRAUD

    environment = {key: value for key, value in os.environ.items() if not key.startswith("ANTIFRAUD_")}
    result = subprocess.run(
        [ANTIFRAUD, "serve", "--workers", "2"], env=environment, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2 and "ANTIFRAUD_REDIS_URL" in result.stderr
