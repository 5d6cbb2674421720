"""Issue 10 in a real browser: a verdict that fits a phone, the region and the limit the page keeps,
answers to follow-up questions, the FAQ list, Swagger UI offline, and a widget that says plainly when
the host site is not allowed. Screenshots at phone and desktop sizes go to tests/artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.channels.web.settings import Settings
from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    NEEDS_CHROMIUM,
    PHONE,
    LiveServer,
    free_port,
    host_page_app,
    make_app,
    new_page,
    send,
    shot,
)

pytestmark = NEEDS_CHROMIUM
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

ZH_SCAM = "【紧急通知】您好，我是市公安局民警，你的银行卡涉嫌洗钱，请马上把资金转到安全账户配合调查，不要告诉家人。"
EN_SCAM = (
    "Hello, this is the police. Your bank account is linked to money laundering. "
    "Transfer your savings to a safe account now and do not tell your family."
)


@pytest.fixture(scope="module")
def chat_server() -> Iterator[LiveServer]:
    # Only the service itself may frame the chat: a host page elsewhere is not allowed.
    server = LiveServer(make_app(Settings(frame_ancestors="'self'", state_dir="off", max_message_chars=2000)))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_the_input_is_on_the_first_screen_of_a_phone(browser: Any, chat_server: LiveServer) -> None:
    context, page, errors = new_page(browser, PHONE)
    page.goto(chat_server.origin + "/?lang=zh")
    box = page.locator("#message").bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"], box
    shot(page, "issue10_phone_first_screen.png", full_page=False)
    assert not errors, errors
    context.close()


@pytest.mark.parametrize(("viewport", "name"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_a_verdict_fits_the_screen_with_risk_and_actions_first(
    browser: Any, chat_server: LiveServer, viewport: dict[str, int], name: str
) -> None:
    context, page, errors = new_page(browser, viewport)
    page.goto(chat_server.origin + "/?lang=zh")
    reply = send(page, ZH_SCAM)
    card = reply.bounding_box()
    assert card is not None and card["height"] <= viewport["height"], card  # was ~2,100 px on a phone
    actions = reply.locator(".advice-before li")
    assert 1 <= actions.count() <= 3
    expect(actions.first).to_be_visible()
    expect(reply.locator(".evidence")).to_be_hidden()  # behind the expander
    shot(page, f"issue10_verdict_{name}.png", full_page=False)
    reply.locator("details.more > summary").click()
    expect(reply.locator(".evidence .reason-quote").first).to_be_visible()
    shot(page, f"issue10_verdict_{name}_expanded.png", full_page=True)
    assert not errors, errors
    context.close()


def test_the_pages_region_reaches_the_reply(browser: Any, chat_server: LiveServer) -> None:
    context, page, errors = new_page(browser, PHONE)
    page.goto(chat_server.origin + "/?lang=zh&region=hk")
    reply = send(page, ZH_SCAM)
    expect(reply.locator(".risk-banner")).to_be_visible()
    answer = send(page, "点样举报？")
    expect(answer.locator(".reply-text")).to_contain_text("18222")
    expect(answer.locator(".reply-text")).not_to_contain_text("96110")
    shot(page, "issue10_region_hk_phone.png", full_page=False)
    assert not errors, errors
    context.close()


def test_follow_up_questions_get_answers(browser: Any, chat_server: LiveServer) -> None:
    context, page, errors = new_page(browser, DESKTOP, locale="en-GB")
    page.goto(chat_server.origin + "/?lang=en")
    send(page, EN_SCAM)
    answer = send(page, "What should I do now?")
    expect(answer).to_have_class(__import__("re").compile(r"kind-answer"))
    expect(answer.locator(".reply-text")).to_contain_text("1.")
    expect(answer.locator(".risk-banner")).to_have_count(0)
    urgent = send(page, "I clicked the link and typed my card number and the code")
    expect(urgent.locator(".urgent-steps li").first).to_be_visible()
    shot(page, "issue10_answers_desktop.png", full_page=True)
    assert not errors, errors
    context.close()


def test_a_question_about_a_kind_of_scam_is_answered_as_an_explanation(browser: Any, chat_server: LiveServer) -> None:
    context, page, errors = new_page(browser, PHONE)
    page.goto(chat_server.origin + "/?lang=en")
    reply = send(page, "what is a gambling rebate scam")
    expect(reply).to_have_class(__import__("re").compile(r"kind-faq"))
    expect(reply.locator(".risk-banner")).to_have_count(0)  # the question is answered, not rated
    expect(reply.locator(".faq-question")).to_contain_text("gambling")
    answer = reply.locator(".faq-answer")
    expect(answer).to_contain_text("Warning signs of this scam:")
    # One sign a line, as written: the answer keeps its line breaks.
    assert answer.evaluate("node => getComputedStyle(node).whiteSpace") == "pre-line"
    shot(page, "explained_scam_phone.png", full_page=True)
    assert not errors, errors
    context.close()


def test_small_talk_and_a_question_outside_scams_get_plain_replies(browser: Any, chat_server: LiveServer) -> None:
    """A greeting with courtesy words gets the introduction, an everyday question the honest "I can't answer that one"
    (not a risk rating, not an FAQ entry on something else), and thanks the closing rule."""
    context, page, errors = new_page(browser, PHONE)
    page.goto(chat_server.origin + "/?lang=en")
    greeting = send(page, "good morning, how are you today")
    expect(greeting).to_have_class(__import__("re").compile(r"kind-intro"))
    everyday = send(page, "how do I freeze my lost debit card")
    expect(everyday).to_have_class(__import__("re").compile(r"kind-cant_tell"))
    expect(everyday).to_contain_text("I can't answer that one")
    thanks = send(page, "thanks so much for the help!")
    expect(thanks).to_have_class(__import__("re").compile(r"kind-thanks"))
    shot(page, "small_talk_phone.png", full_page=True)
    assert not errors, errors
    context.close()


def test_a_paste_over_the_limit_stays_in_the_box_with_the_reason(browser: Any, chat_server: LiveServer) -> None:
    context, page, _ = new_page(browser, PHONE)
    page.goto(chat_server.origin + "/?lang=zh")
    paste = "今天天气不错。" * 400 + "把钱转到安全账户"  # 2,808 characters, over this server's 2,000
    page.fill("#message", paste)
    assert page.locator("#message").input_value() == paste  # no maxlength: nothing cut silently
    page.press("#message", "Enter")
    expect(page.locator("#status")).to_contain_text("2000")
    expect(page.locator("#status")).to_contain_text(str(len(paste)))
    expect(page.locator(".msg-user")).to_have_count(0)  # not sent
    shot(page, "issue10_too_long_phone.png", full_page=False)
    context.close()


def test_the_faq_list_page(browser: Any, chat_server: LiveServer) -> None:
    context, page, errors = new_page(browser, PHONE)
    page.goto(chat_server.origin + "/?lang=zh")
    page.locator(".faq-link a").first.click()
    expect(page).to_have_url(__import__("re").compile(r"/faq\?lang=zh"))
    entries = page.locator("details.faq-entry")
    assert entries.count() >= 20
    entries.first.locator("summary").click()
    expect(entries.first.locator(".faq-answer")).to_be_visible()
    shot(page, "issue10_faq_phone.png", full_page=False)
    assert not errors, errors
    context.close()


def test_swagger_ui_works_without_internet(browser: Any, chat_server: LiveServer) -> None:
    context, page, _ = new_page(browser, DESKTOP, locale="en-GB")
    outside: list[str] = []

    def only_ours(route: Any) -> None:
        if route.request.url.startswith(chat_server.origin):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_ours)
    page.goto(chat_server.origin + "/docs")
    expect(page.locator(".swagger-ui .information-container")).to_be_visible(timeout=15000)
    expect(page.locator(".opblock-summary-path", has_text="/api/chat").first).to_be_visible()
    assert not outside, outside
    shot(page, "issue10_docs_desktop.png", full_page=False)
    context.close()


def test_the_widget_says_plainly_when_the_site_is_not_allowed(browser: Any, chat_server: LiveServer) -> None:
    host = LiveServer(host_page_app(chat_server.origin), free_port()).start()
    try:
        context, page, _ = new_page(browser, PHONE)
        page.add_init_script(
            "const attach = Element.prototype.attachShadow;"
            "Element.prototype.attachShadow = function (init) {"
            " return attach.call(this, Object.assign({}, init, {mode: 'open'})); };"
        )
        page.goto(f"http://localhost:{host.port}/")
        page.locator("[data-antifraud-widget] >> .launcher").click()
        blocked = page.locator("[data-antifraud-widget] >> .blocked")
        expect(blocked).to_be_visible(timeout=15000)
        expect(blocked).to_contain_text("防骗助手")
        link = blocked.locator("a")
        assert (link.get_attribute("href") or "").startswith(chat_server.origin)
        expect(page.locator("[data-antifraud-widget] >> iframe")).to_have_count(0)
        shot(page, "issue10_widget_not_allowed_phone.png", full_page=False)
        context.close()
    finally:
        host.stop()
