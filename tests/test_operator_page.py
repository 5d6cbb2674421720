"""The operator's insights page in a real browser (Debian's Chromium, driven by Playwright): the token
typed in, the charts drawn under the page's strict CSP, the CSV export downloaded, the masked review
queue shown as text. Screenshots go to tests/artifacts/ for a human to look at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.channels.web.settings import Settings
from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    NEEDS_CHROMIUM,
    LiveServer,
    make_app,
)

pytestmark = NEEDS_CHROMIUM
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TOKEN = "operator-browser-token"
MESSAGES = [
    ("/api/check", {"text": "我是公安局的民警，你的银行卡涉嫌洗钱，请把钱转到安全账户，不要告诉家人"}),
    ("/api/check", {"text": "您好，我是快递客服，您的包裹丢了，我们给您退款理赔，请加一下QQ，共享屏幕"}),
    ("/api/chat", {"message": "Hello, this is the police. Transfer your savings to a safe account now."}),
    ("/api/check", {"text": "恭喜您中了一等奖，请先缴纳手续费和保证金才能领奖"}),
    ("/api/check", {"text": "明天下午三点开会，电话 13812345678，<b>带材料</b>"}),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("operator")
    settings = Settings(operator_token=TOKEN, review_queue=True, state_dir=str(folder))
    live = LiveServer(make_app(settings)).start()
    yield live
    live.stop()


def test_the_operator_sees_charts_exports_and_the_masked_queue(server: LiveServer, tmp_path: Path) -> None:
    import httpx

    for path, body in MESSAGES:
        assert httpx.post(server.origin + path, json=body, timeout=10).status_code == 200
    errors: list[str] = []
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
            page: Any = context.new_page()
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.goto(server.origin + "/operator")
            expect(page.locator("#report")).to_be_hidden()
            page.fill("#token", "wrong")
            page.click("button[type=submit]")
            expect(page.locator("#status")).to_contain_text("not accepted")
            expect(page.locator("#report")).to_be_hidden()
            errors.clear()  # the 401 above is logged by the browser as a failed resource
            page.fill("#token", TOKEN)
            page.click("button[type=submit]")
            expect(page.locator("#report")).to_be_visible()
            expect(page.locator("#total")).to_have_text(str(len(MESSAGES)))
            assert page.locator("#chart-types svg rect").count() >= 2, "types over time drawn"
            expect(page.locator("#legend-types li")).to_contain_text(["fake_authority"])
            assert page.locator("#chart-channels svg rect").count() == 2  # api and web
            assert page.locator("#chart-signs svg rect").count() >= 3
            queue = page.locator("#review li")
            expect(queue).to_have_count(1)
            expect(queue.first).to_contain_text("[number]")
            expect(queue.first).to_contain_text("<b>带材料</b>")  # shown as text, never as markup
            assert "13812345678" not in page.content()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "operator.png"), full_page=True)
            with page.expect_download() as download_info:
                page.click("#export-csv")
            target = tmp_path / "export.csv"
            download_info.value.save_as(target)
            lines = target.read_text(encoding="utf-8").splitlines()
            assert lines[0] == "day,channel,scam_type,risk,lang,region,count" and len(lines) >= 4
            with page.expect_download() as download_info:
                page.click("#export-json")
            assert b'"rows"' in Path(download_info.value.path()).read_bytes()
            page.set_viewport_size({"width": 390, "height": 844})
            page.screenshot(path=str(ARTIFACTS / "operator-mobile.png"), full_page=True)
        finally:
            browser.close()
    assert errors == [], errors
