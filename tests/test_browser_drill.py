"""The awareness drill and quiet mode in a real browser (Debian's Chromium, driven by Playwright):
the page at phone and desktop sizes, the widget on another site in drill mode and in quiet mode, and
the printable certificate. Screenshots go to tests/artifacts/ (git-ignored) for a human to look at."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from bot.channels.web.settings import Settings
from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    NEEDS_CHROMIUM,
    PHONE,
    LiveServer,
    free_port,
    make_app,
    new_page,
    serve_host,
    shot,
)

pytestmark = NEEDS_CHROMIUM

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

OPEN_SHADOW = """
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) { return attach.call(this, Object.assign({}, init, {mode: "open"})); };
"""
SCAM = "我是公安局的民警，你的银行卡涉嫌洗钱，请马上把钱转到安全账户，不要告诉家人。"


def host_app(chat_origin: str, attributes: str) -> FastAPI:
    """A bank-like site on another origin with a strict CSP, embedding the widget with `attributes`."""
    app = FastAPI()
    page = f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Riverside Bank · Pay</title><link rel="stylesheet" href="/host.css"><script src="/host.js"></script></head>
<body><header><h1>Riverside Bank · Pay someone</h1></header>
<main><label for="ref">Payment reference</label><input id="ref" value=""></main>
<script src="{chat_origin}/widget.js" async {attributes}></script></body></html>"""
    css = (
        "body{margin:0;font:18px/1.6 'DejaVu Sans',sans-serif;color:#222;background:#f4f6f4}"
        "header{background:#1d4d3a;color:#fff;padding:16px 24px}main{padding:16px 24px}"
        "input{display:block;font-size:18px;padding:8px;width:90%;max-width:420px}"
    )
    script = (
        "window.verdicts=[];window.rawMessages=[];"
        "addEventListener('message',function(e){window.rawMessages.push(JSON.stringify(e.data))});"
        "window.addEventListener('antifraud-widget:ready',function(){"
        "AntifraudWidget.on('verdict',function(v){window.verdicts.push(v)});});"
    )
    csp = (
        f"default-src 'self'; script-src 'self' {chat_origin}; frame-src {chat_origin}; "
        f"style-src 'self'; img-src 'self' data:; connect-src 'self' {chat_origin}"
    )

    return serve_host(app, page, css, script, csp)


@pytest.fixture(scope="module")
def ports() -> tuple[int, int, int]:
    return free_port(), free_port(), free_port()


@pytest.fixture(scope="module")
def chat_server(ports: tuple[int, int, int]) -> Iterator[LiveServer]:
    chat_port, drill_host, quiet_host = ports
    ancestors = f"'self' http://localhost:{drill_host} http://localhost:{quiet_host}"
    server = LiveServer(make_app(Settings(frame_ancestors=ancestors)), chat_port).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def drill_host(ports: tuple[int, int, int], chat_server: LiveServer) -> Iterator[str]:
    attributes = 'data-lang="zh" data-region="hk" data-drill="true"'
    server = LiveServer(host_app(chat_server.origin, attributes), ports[1]).start()
    yield f"http://localhost:{ports[1]}"
    server.stop()


@pytest.fixture(scope="module")
def quiet_host(ports: tuple[int, int, int], chat_server: LiveServer) -> Iterator[str]:
    attributes = 'data-lang="zh" data-region="cn" data-quiet="true"'
    server = LiveServer(host_app(chat_server.origin, attributes), ports[2]).start()
    yield f"http://localhost:{ports[2]}"
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_page_drill_in_chinese_on_a_phone(browser: Any, chat_server: LiveServer) -> None:
    context, page, errors = new_page(browser, PHONE, "zh-CN", scale=2)
    try:
        page.goto(chat_server.origin + "/?lang=zh")
        page.click("#drill-open")
        banner = page.locator("#drill-banner")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("练习模式")
        expect(page.locator("#composer")).to_be_hidden()  # the checker is out of the way: never confused
        expect(page.locator(".drill-type")).to_have_count(15)  # 14 types and "surprise me"
        shot(page, "drill_phone_picker.png", full_page=False)

        page.click(".drill-type[data-type='fake_authority']")
        scammer = page.locator(".drill-scammer")
        expect(scammer).to_have_count(1, timeout=15000)
        expect(scammer.first).to_contain_text("【防骗演练·假骗子】")
        expect(page.locator(".drill-coach").first).to_contain_text("【防骗演练·教练】")
        page.click("#drill-along")
        expect(scammer).to_have_count(2, timeout=15000)
        doubts = page.locator(".drill-doubt")
        if doubts.count():
            doubts.first.click()
            expect(scammer).to_have_count(3, timeout=15000)
        shot(page, "drill_phone_playing.png", full_page=False)

        page.fill("#drill-input", "你是骗子，我要挂电话了")
        page.press("#drill-input", "Enter")
        debrief = page.locator(".drill-debrief")
        expect(debrief).to_be_visible(timeout=15000)
        expect(debrief).to_contain_text("识破")
        expect(debrief).to_contain_text("出现过的警示信号")
        expect(debrief.locator(".drill-signs li")).to_have_count(2)
        expect(debrief.locator("a.drill-hotline")).to_have_count(2)  # 110 and 96110, callable
        expect(banner).to_be_visible()
        assert page.locator(".risk-banner, .reply").count() == 0  # nothing looks like a verdict
        shot(page, "drill_phone_debrief.png", full_page=False)  # the debrief's top, under the practice strip
        page.locator(".drill-debrief .drill-hotlines").scroll_into_view_if_needed()
        shot(page, "drill_phone_debrief_end.png", full_page=False)

        # The score is kept in this browser only, and the certificate page prints it.
        results = page.evaluate("JSON.parse(localStorage.getItem('antifraud.drillResults'))")
        assert len(results) == 1 and results[0]["type"] == "fake_authority" and results[0]["outcome"] == "spotted"
        page.goto(chat_server.origin + "/drill/certificate?lang=zh")
        expect(page.locator(".certificate-table tbody tr")).to_have_count(1)
        expect(page.locator(".certificate-table")).to_contain_text("冒充公检法诈骗")
        shot(page, "drill_certificate_phone.png")
        assert not errors, errors
    finally:
        context.close()


def test_page_drill_in_english_on_a_desktop(browser: Any, chat_server: LiveServer) -> None:
    context, page, errors = new_page(browser, DESKTOP, "en-GB", scale=2)
    try:
        page.goto(chat_server.origin + "/?lang=en")
        page.click("#drill-open")
        expect(page.locator("#drill-banner")).to_contain_text("Practice mode")
        shot(page, "drill_desktop_picker.png", full_page=False)
        page.click(".drill-type[data-type='fake_customer_service']")
        expect(page.locator(".drill-scammer")).to_have_count(1, timeout=15000)
        expect(page.locator(".drill-scammer").first).to_contain_text("[PRACTICE DRILL · pretend scammer]")
        page.fill("#drill-input", "OK, I'll transfer the money now")
        page.press("#drill-input", "Enter")
        debrief = page.locator(".drill-debrief")
        expect(debrief).to_be_visible(timeout=15000)
        expect(debrief).to_contain_text("Went along (practice)")
        expect(debrief).to_contain_text("If it happens for real")
        expect(page.locator("#drill-controls")).to_be_hidden()  # never a step further
        shot(page, "drill_desktop_debrief.png", full_page=False)

        # Practise again: surprise me, abandoned halfway; the record lists both.
        page.click("#drill-again")
        page.click(".drill-surprise")
        expect(page.locator(".drill-scammer")).to_have_count(1, timeout=15000)
        page.click("#drill-stop")
        expect(page.locator(".drill-debrief")).to_contain_text("Ended early", timeout=15000)
        page.click("#drill-again")
        assert len(page.evaluate("JSON.parse(localStorage.getItem('antifraud.drillResults'))")) == 2
        expect(page.locator(".drill-progress-list li").first).to_be_visible()  # best result per type
        page.click("#drill-exit")
        expect(page.locator("#composer")).to_be_visible()
        assert not errors, errors
    finally:
        context.close()


def test_widget_in_drill_mode_phone_and_desktop(browser: Any, drill_host: str) -> None:
    for viewport, name in ((PHONE, "widget_drill_phone.png"), (DESKTOP, "widget_drill_desktop.png")):
        context, page, errors = new_page(browser, viewport, "zh-HK", scale=2)
        try:
            page.add_init_script(OPEN_SHADOW)
            page.goto(drill_host)
            page.get_by_role("button", name="防骗演练").click()
            frame = page.frame_locator("iframe")
            expect(frame.locator("#drill-banner")).to_be_visible(timeout=15000)
            expect(frame.locator("#drill-banner")).to_contain_text("練習模式")  # Hong Kong: traditional
            frame.locator(".drill-type[data-type='impersonate_acquaintance']").click()
            expect(frame.locator(".drill-scammer")).to_have_count(1, timeout=15000)
            expect(frame.locator(".drill-scammer").first).to_contain_text("【防騙演練·假騙子】")
            frame.locator("#drill-hangup").click()
            debrief = frame.locator(".drill-debrief")
            expect(debrief).to_be_visible(timeout=15000)
            expect(debrief).to_contain_text("18222")
            shot(page, name, full_page=False)
            # A drill is never a verdict: the host page hears nothing from it.
            page.wait_for_timeout(300)
            assert page.evaluate("window.verdicts") == []
            assert not [m for m in page.evaluate("window.rawMessages") if "verdict" in m]
            assert not errors, errors
        finally:
            context.close()


def test_widget_quiet_mode_speaks_only_at_high_or_medium_risk(browser: Any, quiet_host: str) -> None:
    context, page, errors = new_page(browser, PHONE, "zh-CN", scale=2)
    try:
        page.add_init_script(OPEN_SHADOW)
        page.goto(quiet_host)
        launcher = page.get_by_role("button", name="防骗助手")
        expect(launcher).to_be_visible()
        box = launcher.bounding_box()
        assert box is not None and box["width"] <= 60  # a small launcher
        page.wait_for_function("() => !!window.AntifraudWidget")
        page.evaluate("AntifraudWidget.check('房租三月份的，谢谢')")
        page.wait_for_function("() => window.verdicts.length === 1", timeout=15000)
        assert page.evaluate("window.verdicts[0].risk") in ("none", "low")
        expect(page.locator("iframe")).to_be_hidden()  # stays a small launcher
        expect(launcher).to_have_attribute("aria-expanded", "false")
        shot(page, "widget_quiet_silent.png", full_page=False)

        page.evaluate(f"AntifraudWidget.check({SCAM!r})")
        page.wait_for_function("() => window.verdicts.length === 2", timeout=15000)
        assert page.evaluate("window.verdicts[1]") == {"scam_type": "fake_authority", "risk": "high"}
        expect(page.locator("iframe")).to_be_visible()  # it speaks
        frame = page.frame_locator("iframe")
        expect(frame.locator(".reply .risk-banner")).to_contain_text("高风险")
        expect(frame.locator(".msg-user")).to_have_count(1)  # the calm text left no trace
        shot(page, "widget_quiet_speaks.png", full_page=False)
        assert not [m for m in page.evaluate("window.rawMessages") if "安全账户" in m]
        assert not errors, errors
    finally:
        context.close()
