"""The chat page and the widget in a real browser (Debian's Chromium, driven by Playwright).

Screenshots go to tests/artifacts/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.channels.web.settings import Settings
from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    NEEDS_CHROMIUM,
    LiveServer,
    free_port,
    host_page_app,
    make_app,
    send,
    shot,
)

pytestmark = NEEDS_CHROMIUM

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

ZH_SCAM = "【紧急通知】😀您好，我是市公安局民警，你的银行卡涉嫌洗钱，请马上把资金转到安全账户配合调查，不要告诉家人。"
EN_SCAM = (
    "Hello, this is the police. Your bank account is linked to money laundering. "
    "Transfer your savings to a safe account now and do not tell your family."
)
URL_SCAM = "您的包裹异常，请点击 http://parcel-refund.example.com/claim 办理退款，客服电话 +85212345678"
HOSTILE = "<img src=x onerror=alert(1)> <script>alert(2)</script> 请转到安全账户"

# Test-only: the widget's shadow root is closed, which hides it from tests as well as from the host
# page; forcing it open lets Playwright look inside. A separate test checks it really is closed.
OPEN_SHADOW = """
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) { return attach.call(this, Object.assign({}, init, {mode: "open"})); };
"""


@pytest.fixture(scope="session")
def ports() -> tuple[int, int]:
    return free_port(), free_port()


@pytest.fixture(scope="session")
def chat_server(ports: tuple[int, int]) -> Iterator[LiveServer]:
    chat_port, host_port = ports
    # The host page (another origin) must be allowed to frame /embed.
    settings = Settings(frame_ancestors=f"'self' http://localhost:{host_port}")
    server = LiveServer(make_app(settings), chat_port).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def host_server(ports: tuple[int, int], chat_server: LiveServer) -> Iterator[str]:
    _, host_port = ports
    server = LiveServer(host_page_app(chat_server.origin), host_port).start()
    yield f"http://localhost:{host_port}"  # "localhost" vs "127.0.0.1": a different site altogether
    server.stop()


# Module scope: Playwright's sync API allows one running instance, and other browser test modules
# (test_browser_drill.py, test_operator_page.py) start their own after this one has closed.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Watch:
    """Dialogs and console errors of one page: a CSP violation shows up as a console error."""

    def __init__(self, page: Any) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "response",
            lambda response: (
                self.errors.append(f"{response.status} {response.url}") if response.status >= 400 else None
            ),
        )

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.errors.append(f"{response.status} {response.url}")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture()
def mobile(browser: Any) -> Iterator[tuple[Any, Watch]]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=2, reduced_motion="reduce"
    )
    page = context.new_page()
    watch = Watch(page)
    yield page, watch
    context.close()


@pytest.fixture()
def desktop(browser: Any) -> Iterator[tuple[Any, Watch]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    watch = Watch(page)
    yield page, watch
    context.close()


def mark_texts(page: Any) -> list[str]:
    """The citizen's words inside each highlight, without the number badge."""
    texts: list[str] = page.eval_on_selector_all(
        ".msg-user .evidence-mark",
        "marks => marks.map(m => { const c = m.cloneNode(true); c.querySelector('.mark-number').remove(); "
        "return c.textContent; })",
    )
    return texts


def test_chinese_scam_shows_verdict_and_highlights(mobile: tuple[Any, Watch], chat_server: LiveServer) -> None:
    page, watch = mobile
    page.goto(chat_server.origin + "/?lang=zh")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    reply = send(page, ZH_SCAM)
    expect(reply.locator(".risk-banner")).to_contain_text("高风险")
    expect(reply.locator(".scam-type")).to_contain_text("冒充公检法")
    texts = mark_texts(page)
    assert len(texts) >= 2
    # The emoji before them would shift every highlight by one if spans were used as UTF-16 indices: every mark
    # is the citizen's own words (overlapping evidence is one mark), and the key words are marked.
    assert all(text in ZH_SCAM for text in texts)
    assert any("涉嫌洗钱" in text for text in texts)
    assert any("安全账户" in text for text in texts)
    numbers = page.locator(".msg-user .mark-number").all_inner_texts()
    assert numbers == [str(n) for n in range(1, len(texts) + 1)]
    assert reply.locator("ol.reasons > li").count() == len(texts)
    expect(page.locator("#announcer")).to_contain_text("高风险")
    expect(page.locator("#message")).to_be_focused()  # ready for the next message
    expect(reply.locator(".advice-before li").first).to_be_visible()  # what to do: first, not folded away
    expect(reply.locator(".warning-signs li").first).to_be_hidden()  # the rest waits behind one expander
    reply.locator("details.more > summary").click()
    expect(reply.locator(".warning-signs li").first).to_be_visible()
    assert not watch.errors, watch.errors
    shot(page, "chat_zh_mobile.png")


def test_english_scam_shows_verdict_and_highlights(desktop: tuple[Any, Watch], chat_server: LiveServer) -> None:
    page, watch = desktop
    page.goto(chat_server.origin + "/?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    reply = send(page, EN_SCAM)
    expect(reply.locator(".risk-banner")).to_contain_text("High risk")
    expect(reply).to_have_attribute("lang", "en")
    texts = mark_texts(page)
    assert any("safe account" in text for text in texts)
    assert "money laundering" in texts
    reply.locator("details.more > summary").click()
    expect(reply.locator(".evidence h3")).to_have_text("The words that give it away")
    assert not watch.errors, watch.errors
    shot(page, "chat_en_desktop.png")


def test_follow_up_question_and_urgent_path(mobile: tuple[Any, Watch], chat_server: LiveServer) -> None:
    page, watch = mobile
    page.goto(chat_server.origin + "/?lang=zh")
    reply = send(page, ZH_SCAM)
    quick = reply.locator(".quick-reply")
    expect(quick).to_have_text(["是", "不是"])
    expect(reply.locator(".quick-replies")).to_have_attribute("role", "group")
    quick.first.click()  # "yes, I already paid"
    expect(page.locator(".reply")).to_have_count(2, timeout=15000)
    expect(quick.first).to_be_disabled()  # an answered question cannot be answered twice
    answer = page.locator(".reply").nth(1)
    expect(answer).to_be_focused()  # the button is gone: focus moves to the answer
    expect(answer.locator(".urgent")).to_be_visible()
    expect(answer.locator(".urgent-call")).to_have_attribute("href", "tel:110")
    expect(answer.locator(".urgent-call")).to_contain_text("110")
    expect(answer.locator(".urgent-steps li").first).to_be_visible()
    assert not watch.errors, watch.errors
    answer.scroll_into_view_if_needed()
    shot(page, "chat_urgent_mobile.png", full_page=False)


def test_faq_answer_and_nothing_recognised(mobile: tuple[Any, Watch], chat_server: LiveServer) -> None:
    page, watch = mobile
    page.goto(chat_server.origin + "/?lang=zh")
    faq = send(page, "什么是安全账户？")
    expect(faq.locator(".faq .faq-answer")).to_contain_text("安全账户")
    expect(faq.locator(".risk-banner")).to_have_count(0)  # a question answered is not a verdict
    nothing = send(page, "今天天气不错，晚上一起吃饭吧")
    expect(nothing.locator(".risk-banner")).to_contain_text("没有发现已知的骗局")
    expect(nothing.locator(".reply-text")).to_be_visible()  # says why "nothing found" is not "safe"
    expect(nothing.locator("details.check-yourself")).to_be_visible()
    assert not watch.errors, watch.errors
    shot(page, "chat_faq_and_nothing_found_mobile.png")


def test_language_switch_keeps_the_conversation(mobile: tuple[Any, Watch], chat_server: LiveServer) -> None:
    page, _ = mobile
    page.goto(chat_server.origin + "/?lang=zh")
    send(page, ZH_SCAM)
    button = page.locator("#lang-switch")
    expect(button).to_have_text("English")
    expect(button).to_have_attribute("aria-label", "Switch to English")
    button.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_title("Scam Check")
    expect(page.locator("label[for=message]")).to_have_text(
        "Paste the suspicious message here, or tell me what they said"
    )
    expect(page.locator("#send")).to_have_text("Check")
    expect(page.locator(".hotline-name").first).to_have_text("Police emergency")
    expect(button).to_have_text("中文")
    expect(button).to_have_attribute("lang", "zh-Hans")
    expect(page.locator(".reply")).to_have_count(1)  # switching does not reload the page
    assert "lang=en" in page.url
    # The choice is remembered for a visit without ?lang=, even though the browser prefers Chinese.
    page.goto(chat_server.origin + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("#lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator("#send")).to_have_text("检查")


def test_larger_text_toggle_is_remembered(mobile: tuple[Any, Watch], chat_server: LiveServer) -> None:
    page, watch = mobile
    page.goto(chat_server.origin + "/?lang=zh")
    size = "() => getComputedStyle(document.documentElement).fontSize"
    assert page.evaluate(size) == "20px"
    toggle = page.locator("#text-size")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert page.evaluate(size) == "24px"
    page.reload()
    assert page.evaluate(size) == "24px"
    expect(page.locator("#text-size")).to_have_attribute("aria-pressed", "true")
    send(page, ZH_SCAM)
    assert not watch.errors, watch.errors
    shot(page, "chat_zh_large_text.png")
    page.locator("#text-size").click()
    assert page.evaluate(size) == "20px"


def test_markup_in_a_message_is_shown_as_text(mobile: tuple[Any, Watch], chat_server: LiveServer) -> None:
    page, watch = mobile
    page.goto(chat_server.origin + "/?lang=zh")
    send(page, HOSTILE)
    page.wait_for_timeout(500)  # time for an onerror handler to fire, were the markup ever parsed
    assert watch.dialogs == []
    bubble = page.locator(".msg-user .user-text").last
    assert bubble.evaluate("node => node.textContent").startswith("<img src=x onerror=alert(1)>")
    assert page.locator("#log img, #log script").count() == 0
    assert not watch.errors, watch.errors


def test_links_and_numbers_from_a_message_are_defanged_text(mobile: tuple[Any, Watch], chat_server: LiveServer) -> None:
    page, watch = mobile
    page.goto(chat_server.origin + "/?lang=zh")
    reply = send(page, URL_SCAM)
    defanged = page.locator(".msg-user .defanged").all_inner_texts()
    assert any("hxxp://parcel-refund[.]example[.]com/claim" in text for text in defanged)
    expect(reply.locator(".indicators")).to_contain_text("hxxp://parcel-refund[.]example[.]com/claim")
    links = page.eval_on_selector_all("#log a", "links => links.map(a => a.getAttribute('href'))")
    assert all(href.startswith("tel:110") for href in links), links  # only our own hotline, if any
    assert "http://parcel-refund.example.com" not in page.locator("#log").inner_text()
    assert not watch.errors, watch.errors
    shot(page, "chat_defanged_mobile.png")


def test_empty_message_is_not_sent(mobile: tuple[Any, Watch], chat_server: LiveServer) -> None:
    page, _ = mobile
    page.goto(chat_server.origin + "/?lang=en")
    page.fill("#message", "   ")
    page.press("#message", "Enter")
    expect(page.locator("#status")).to_have_text("Please type or paste something to check first.")
    assert page.locator(".msg-user").count() == 0
    page.fill("#message", "line one")
    page.press("#message", "Shift+Enter")  # a new line, not a send
    assert page.locator(".msg-user").count() == 0


def test_keyboard_skip_link(desktop: tuple[Any, Watch], chat_server: LiveServer) -> None:
    page, _ = desktop
    page.goto(chat_server.origin + "/?lang=en")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#message")).to_be_focused()


def test_widget_on_another_site(browser: Any, chat_server: LiveServer, host_server: str) -> None:
    # Reduced motion: scrolling is instant, so the screenshots show where it ends.
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN", reduced_motion="reduce")
    try:
        page = context.new_page()
        watch = Watch(page)
        page.add_init_script(OPEN_SHADOW)
        page.add_init_script(
            "window.rawMessages=[];addEventListener('message',e=>rawMessages.push(JSON.stringify(e.data)))"
        )
        page.goto(host_server)
        launcher = page.get_by_role("button", name="防骗助手")
        expect(launcher).to_be_visible()
        shot(page, "widget_closed.png", full_page=False)

        page.keyboard.press("Tab")  # the launcher is the page's only control
        expect(launcher).to_be_focused()
        page.keyboard.press("Enter")
        expect(launcher).to_have_attribute("aria-expanded", "true")
        frame = page.frame_locator("iframe[title='防骗助手对话窗口']")
        box = frame.locator("#message")
        expect(box).to_be_focused()  # opening moves focus into the chat
        shot(page, "widget_open.png", full_page=False)

        box.fill(ZH_SCAM)
        box.press("Enter")
        expect(frame.locator(".reply .risk-banner")).to_contain_text("高风险", timeout=15000)
        page.wait_for_function("window.verdicts.length > 0")
        assert page.evaluate("window.verdicts") == [{"scam_type": "fake_authority", "risk": "high"}]
        # Nothing the citizen wrote ever reaches the host page, in any message.
        raw = page.evaluate("window.rawMessages")
        assert raw and not [message for message in raw if "安全账户" in message or "洗钱" in message]
        shot(page, "widget_open_verdict.png", full_page=False)

        # A message that does not come from the chat frame is ignored.
        page.evaluate("window.postMessage({type: 'antifraud:verdict', risk: 'low', scam_type: 'spoof'}, '*')")
        page.wait_for_timeout(300)
        assert page.evaluate("window.verdicts") == [{"scam_type": "fake_authority", "risk": "high"}]

        # Escape inside the chat closes it and gives focus back to the launcher.
        box.press("Escape")
        expect(page.locator("iframe")).to_be_hidden()
        expect(launcher).to_be_focused()
        expect(launcher).to_have_attribute("aria-expanded", "false")

        # Reopening keeps the conversation; the close button closes it too.
        page.evaluate("AntifraudWidget.open()")
        expect(frame.locator(".reply")).to_have_count(1)
        page.get_by_role("button", name="关闭").click()
        expect(page.locator("iframe")).to_be_hidden()
        expect(launcher).to_be_focused()
        assert page.evaluate("window.widgetEvents") == ["open", "close", "open", "close"]
        assert not watch.errors, watch.errors
    finally:
        context.close()


def test_widget_shadow_root_is_closed_and_styles_stay_inside(browser: Any, host_server: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    try:
        page = context.new_page()
        watch = Watch(page)
        page.goto(host_server)
        page.wait_for_function("!!window.AntifraudWidget && !!document.querySelector('[data-antifraud-widget]')")
        assert page.evaluate("document.querySelector('[data-antifraud-widget]').shadowRoot") is None
        # The host page's own buttons are not restyled by the widget (and vice versa).
        assert page.evaluate("document.styleSheets.length") == 1
        assert not watch.errors, watch.errors  # no CSP violation under the host's strict policy
    finally:
        context.close()


def test_widget_full_screen_on_a_phone(browser: Any, chat_server: LiveServer, host_server: str) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=2, reduced_motion="reduce"
    )
    try:
        page = context.new_page()
        page.add_init_script(OPEN_SHADOW)
        page.goto(host_server)
        page.get_by_role("button", name="防骗助手").click()
        frame_box = page.locator("iframe").bounding_box()
        assert frame_box is not None and frame_box["width"] == 390
        frame = page.frame_locator("iframe")
        frame.locator("#message").fill(URL_SCAM)
        frame.locator("#message").press("Enter")
        expect(frame.locator(".reply")).to_have_count(1, timeout=15000)
        shot(page, "widget_phone.png", full_page=False)
    finally:
        context.close()
