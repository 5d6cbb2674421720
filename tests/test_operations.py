"""Running the service for a city, in one process: rate limits (429 + Retry-After, trusted proxies,
per site, per number with one notice), fair session eviction, one key per phone number however it is
written, opt-outs kept in SQLite, reload (token, broken library refused, last good kept), readiness,
request ids, JSON logs, /metrics, insights and the masked review queue. The same against a real Redis
and several processes: tests/test_shared_state.py."""

from __future__ import annotations

import gc
import io
import json
import logging
import logging.config
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.channels.insights import Insights, SqliteBackend, csv_rows, mask
from bot.channels.phone import normalise_number
from bot.channels.sessions import InMemorySessionStore
from bot.channels.web.app import create_app
from bot.channels.web.observability import log_config
from bot.channels.web.ratelimit import client_address, parse_networks
from bot.channels.web.services import Services, build_sms
from bot.channels.web.settings import Settings
from bot.channels.web.state import build_state
from bot.conversation.dialogue import Dialogue
from bot.conversation.faq import FaqIndex
from bot.engine.pipeline import Engine
from bot.library.loader import Library

SCAM = "我是公安局的民警，你的银行卡涉嫌洗钱，请把钱转到安全账户，不要告诉家人"
SECRET = "ops-test-secret"


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(state_dir=str(tmp_path / "state"), sms_salt="ops-salt", **values)  # type: ignore[arg-type]


# --- phone numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["+8613855556666", "008613855556666", "13855556666", "+86 138-5555-6666"])
def test_every_written_form_of_a_number_is_one_key(written: str) -> None:
    assert normalise_number(written, "CN") == "+8613855556666"


@pytest.mark.parametrize(
    ("region", "written", "key"),
    [
        ("uk", "07700 900123", "+447700900123"),
        ("uk", "0044 7700 900123", "+447700900123"),
        ("hk", "9123 4567", "+85291234567"),
        ("sg", "+65 8123 4567", "+6581234567"),
        ("us", "(202) 555-0143", "+12025550143"),
        ("tw", "0912-345-678", "+886912345678"),
    ],
)
def test_each_region_pack_reads_its_own_numbering_plan(engine: Engine, region: str, written: str, key: str) -> None:
    """The region pack's `country` (data, not code) decides how a local number is read: a STOP sent as
    07700 900123 holds for +447700900123 in a UK deployment."""
    assert normalise_number(written, engine.region(region).country) == key


def test_without_a_numbering_plan_a_number_keeps_its_digits(engine: Engine) -> None:
    assert engine.region("intl").country is None
    assert normalise_number("07700 900123", None) == "07700900123"
    assert normalise_number("+44 7700 900123", None) == "+447700900123"


def test_stop_from_one_form_of_a_number_holds_for_the_others(library: Library, engine: Engine) -> None:
    dialogue = Dialogue(engine, FaqIndex(library, engine.normaliser), "cn")
    channel = build_sms(Settings(sms_salt="s"), library, engine, dialogue)
    assert channel.handle("+8613855556666", "STOP").text
    assert channel.handle("008613855556666", SCAM).text == ""
    assert channel.handle("13855556666", SCAM).text == ""


# --- fair eviction ------------------------------------------------------------------------------------


def test_a_flood_from_one_client_cannot_evict_other_citizens_sessions() -> None:
    store: InMemorySessionStore[int] = InMemorySessionStore(ttl_seconds=600, max_sessions=100, per_owner=20)
    for citizen in range(50):
        store.put(f"citizen-{citizen:04d}-session", citizen, owner=f"address-{citizen}")
    for flood in range(10_000):
        store.put(f"flood-{flood:06d}-session", flood, owner="one-address")
    assert all(store.get(f"citizen-{citizen:04d}-session") == citizen for citizen in range(50))
    assert len(store) <= 100


def test_at_the_global_cap_the_largest_holder_pays() -> None:
    store: InMemorySessionStore[int] = InMemorySessionStore(ttl_seconds=600, max_sessions=10)
    store.put("quiet-citizen-0001", 1, owner="quiet")
    for index in range(30):
        store.put(f"busy-session-{index:04d}", index, owner="busy")
    assert store.get("quiet-citizen-0001") == 1 and len(store) == 10


# --- rate limits --------------------------------------------------------------------------------------


def test_the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy() -> None:
    trusted = parse_networks("10.0.0.0/8, 127.0.0.1")
    assert client_address("198.51.100.7", "1.2.3.4", trusted) == "198.51.100.7"  # untrusted peer: header ignored
    assert client_address("10.0.0.2", "1.2.3.4, 203.0.113.9", trusted) == "203.0.113.9"  # spoofed hop skipped
    assert client_address("10.0.0.2", "203.0.113.9, 10.0.0.5", trusted) == "203.0.113.9"  # two proxies
    assert client_address("10.0.0.2", None, trusted) == "10.0.0.2"
    assert client_address("10.0.0.2", "1.2.3.4", ()) == "10.0.0.2"  # nothing trusted


def test_over_the_limit_the_api_answers_429_with_retry_after(tmp_path: Path) -> None:
    app = create_app(settings(tmp_path, rate_limit_web="3/minute"))
    with TestClient(app) as client:
        assert [client.post("/api/check", json={"text": "你好"}).status_code for _ in range(3)] == [200] * 3
        refused = client.post("/api/chat", json={"message": "你好"})
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert client.get("/healthz").status_code == 200  # health and pages are never limited
        metrics = client.get("/metrics").text
    assert 'antifraud_rate_limited_total{scope="web"}' in metrics


def test_the_api_checks_the_body_type_and_the_limit_before_the_fields(tmp_path: Path) -> None:
    """A body that is not JSON (400 malformed, 415 not declared) is refused before the limit counts it;
    a request within the limit is counted even when a field is wrong (422); past the limit, 429 comes
    before the fields are looked at."""
    with TestClient(create_app(settings(tmp_path, rate_limit_web="2/minute"))) as client:
        assert [client.post("/api/check", json={"text": ""}).status_code for _ in range(2)] == [422, 422]
        malformed = client.post("/api/check", content=b'{"text": ', headers={"content-type": "application/json"})
        assert malformed.status_code == 400
        plain = client.post("/api/check", content=b'{"text": "hi"}', headers={"content-type": "text/plain"})
        assert plain.status_code == 415
        assert client.post("/api/check", json={"text": ""}).status_code == 429
        assert client.post("/api/chat", json={"message": "你好"}).status_code == 429


def test_the_widget_counts_against_its_site(tmp_path: Path) -> None:
    app = create_app(settings(tmp_path, rate_limit_web="100/minute", rate_limit_site="2/minute"))
    site = "/api/chat?site=https://police.example"
    with TestClient(app) as client:
        for _ in range(2):
            assert client.post(site, json={"message": "你好"}).status_code == 200
        refused = client.post(site, json={"message": "你好"})
        assert refused.status_code == 429
        other = client.post("/api/chat?site=https://bank.example", json={"message": "你好"})
        assert other.status_code == 200
    embed = TestClient(create_app(settings(tmp_path))).get("/embed?origin=https://police.example")
    assert "/api/chat?site=https://police.example" in embed.text


def test_an_sms_number_over_budget_gets_one_notice_then_silence_but_stop_still_works(
    library: Library, tmp_path: Path
) -> None:
    services = create_app(settings(tmp_path, rate_limit_sms="2/minute"), library=library).state.services
    assert isinstance(services, Services)
    number = "+8613911112222"
    assert services.sms.handle(number, "有人打电话说我中奖了").text
    assert services.sms.handle(number, "他让我先交手续费").text
    notice = services.sms.handle(number, "还有")
    assert notice.kind == "limited" and notice.text and "110" in notice.text
    assert services.sms.handle(number, "再来").text == ""
    assert services.sms.handle(number, "STOP").kind == "stop"  # carriers require it, whatever the budget


# --- opt-outs, salt and state across restarts (embedded default) ----------------------------------------


def test_opt_outs_and_the_generated_salt_survive_a_restart(library: Library, tmp_path: Path) -> None:
    folder = str(tmp_path / "state")
    first = create_app(Settings(state_dir=folder), library=library).state.services
    assert isinstance(first, Services)
    first.sms.handle("+8613955556666", "退订")
    second = create_app(Settings(state_dir=folder), library=library).state.services
    assert isinstance(second, Services)
    assert second.sms.handle("13955556666", SCAM).kind == "silent"
    assert oct((tmp_path / "state").stat().st_mode & 0o777) == "0o700"


def test_state_can_be_kept_in_memory_only(tmp_path: Path) -> None:
    state = build_state(Settings(state_dir="off"))
    assert state.state_dir is None and state.insights is None and state.redis is None


# --- reload and readiness -------------------------------------------------------------------------------


def test_reload_needs_the_admin_token(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path))) as client:
        assert client.post("/admin/reload").status_code == 503  # no token configured: nobody may
    with TestClient(create_app(settings(tmp_path, admin_token="right"))) as client:
        assert client.post("/admin/reload").status_code == 401
        assert client.post("/admin/reload", headers={"Authorization": "Bearer wrong"}).status_code == 401
        answer = client.post("/admin/reload", headers={"Authorization": "Bearer right"})
        assert answer.status_code == 200 and answer.json()["status"] == "reloaded"


def test_a_served_app_keeps_what_it_built_at_start_out_of_the_garbage_collector(tmp_path: Path) -> None:
    """Frozen while it serves (a full collection then skips the library and the model), frozen again after
    a reload (the old library collected first), and collectable again once it stops."""
    with TestClient(create_app(settings(tmp_path, admin_token="t"))) as client:
        assert gc.get_freeze_count() > 0
        assert client.post("/admin/reload", headers={"Authorization": "Bearer t"}).status_code == 200
        assert gc.get_freeze_count() > 0
        assert client.post("/api/check", json={"text": SCAM}).json()["risk"] == "high"
    assert gc.get_freeze_count() == 0


def test_a_service_started_with_collection_off_turns_it_back_on(tmp_path: Path) -> None:
    """`antifraud serve` starts with automatic collection off (the start only makes objects that live as long
    as the process); the lifespan freezes them and turns collection on again for the requests."""
    gc.disable()
    try:
        app = create_app(settings(tmp_path))
        assert not gc.isenabled()
        with TestClient(app) as client:
            assert gc.isenabled() and gc.get_freeze_count() > 0
            assert client.get("/healthz").status_code == 200
    finally:
        gc.enable()


def test_a_broken_library_is_refused_and_the_last_good_keeps_serving(
    library_copy: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    values = {"library_path": library_copy, "faq_path": library_copy.parent / "faq", "admin_token": "t"}
    app = create_app(settings(tmp_path, **values))
    with TestClient(app) as client:
        before = client.post("/api/check", json={"text": SCAM}).json()
        (library_copy / "library.yaml").write_text("settings: [this is: not valid\n", encoding="utf-8")
        with caplog.at_level(logging.ERROR):
            answer = client.post("/admin/reload", headers={"Authorization": "Bearer t"})
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "library_invalid"
        assert "reload refused" in caplog.text
        assert client.post("/api/check", json={"text": SCAM}).json()["risk"] == before["risk"]
        assert client.get("/readyz").status_code == 200
    # A process started on the broken files serves the last good library kept under the state folder.
    restarted = create_app(settings(tmp_path, **values))
    with TestClient(restarted) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["library"] == "last_good"
        assert client.post("/api/check", json={"text": SCAM}).json()["risk"] == before["risk"]
    shutil.rmtree(tmp_path / "state")
    with TestClient(create_app(settings(tmp_path, **values))) as client:  # nothing kept: not ready
        assert client.get("/readyz").status_code == 503


# --- logs, request ids and metrics -------------------------------------------------------------------------


def test_each_response_carries_a_request_id_and_a_good_one_is_kept(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path))) as client:
        made = client.get("/healthz").headers["x-request-id"]
        assert len(made) == 32
        assert client.get("/healthz", headers={"X-Request-ID": "proxy-42"}).headers["x-request-id"] == "proxy-42"
        bad = client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["x-request-id"]
        assert bad != "<script>"


def test_logs_are_json_with_the_request_id_and_the_access_log_has_no_address(tmp_path: Path) -> None:
    stream = io.StringIO()
    config = log_config(Settings())
    config["handlers"]["stderr"]["stream"] = stream
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    logging.config.dictConfig(config)
    try:
        with TestClient(create_app(settings(tmp_path, access_log=True))) as client:
            client.post("/api/check", json={"text": SCAM}, headers={"X-Request-ID": "req-123"})
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("logger") == "antifraud.access"]
    assert access and access[-1]["request_id"] == "req-123" and access[-1]["status"] == 200
    assert access[-1]["path"] == "/api/check" and access[-1]["level"] == "INFO"
    assert "testclient" not in stream.getvalue() and "安全账户" not in stream.getvalue()


def test_metrics_count_requests_verdicts_and_latency(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path))) as client:
        client.post("/api/check", json={"text": SCAM})
        text = client.get("/metrics").text
    assert 'antifraud_http_requests_total{method="POST",route="/api/check",status="200"}' in text
    assert 'antifraud_verdicts_total{channel="api",lang="zh",risk="high",scam_type="fake_authority"}' in text
    assert "antifraud_http_request_duration_seconds_bucket" in text


# --- insights and the review queue ----------------------------------------------------------------------------


def test_masking_removes_numbers_cards_ids_links_and_accounts() -> None:
    text = (
        "快递员 13812345678 说包裹丢了，银行卡 6222 0212 3456 7890，身份证 11010519491231002X，"
        "点 http://refund-parcel.example/x 或 www.bad.cn，邮箱 a.b@mail.example，"
        "加微信 scam_helper88，验证码 482913，赔 3 倍"
    )
    masked = mask(text)
    for secret in (
        "13812345678",
        "6222",
        "11010519491231002X",
        "refund-parcel",
        "bad.cn",
        "a.b@",
        "scam_helper88",
        "482913",
    ):
        assert secret not in masked, secret
    assert "快递员" in masked and "赔 3 倍" in masked


def test_insights_count_without_text_and_export(tmp_path: Path) -> None:
    insights = Insights(SqliteBackend(tmp_path / "i.sqlite3"))
    insights.record("sms", "fake_authority", "high", "zh", "cn", ["sign one"])
    insights.record("sms", "fake_authority", "high", "zh", "cn", ["sign one"])
    insights.record("web", None, "none", "en", "hk")
    summary = insights.summary(7)
    assert sorted(row["count"] for row in summary.rows) == [1, 2]
    assert summary.signs == [{"sign": "sign one", "count": 2}]
    csv = csv_rows(summary)
    assert (
        csv.splitlines()[0] == "day,channel,scam_type,risk,lang,region,count"
        and ",sms,fake_authority,high,zh,cn,2" in csv
    )


def test_the_operator_api_needs_its_token_and_the_review_queue_is_opt_in(tmp_path: Path) -> None:
    unjudged = "明天下午三点在 A 座开会，电话 13812345678"
    with TestClient(create_app(settings(tmp_path, operator_token="op"))) as client:
        client.post("/api/check", json={"text": unjudged})
        assert client.get("/operator/api/insights").status_code == 401
        assert client.get("/operator/api/review", headers={"Authorization": "Bearer op"}).json()["entries"] == []
    with TestClient(create_app(settings(tmp_path, operator_token="op", review_queue=True, review_days=1))) as client:
        client.post("/api/check", json={"text": unjudged})
        auth = {"Authorization": "Bearer op"}
        entries = client.get("/operator/api/review", headers=auth).json()["entries"]
        assert entries and entries[0]["text"] == "明天下午三点在 A 座开会，电话 [number]"
        data = client.get("/operator/api/insights?days=7", headers=auth).json()
        assert any(row["channel"] == "api" and row["risk"] == "none" for row in data["rows"])
        exported = client.get("/operator/api/insights.csv", headers=auth)
        assert (
            exported.headers["content-type"].startswith("text/csv")
            and "attachment" in exported.headers["content-disposition"]
        )
        assert "13812345678" not in exported.text + json.dumps(data)
