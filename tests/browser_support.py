"""Helpers for the browser tests: the real app and a third-party host page on live local servers."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response

from bot.channels.web.app import create_app
from bot.channels.web.settings import Settings

CHROMIUM = "/usr/bin/chromium"
# Every browser test module's `pytestmark`: skipped, with the reason, where Chromium is missing.
NEEDS_CHROMIUM = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"browser tests need Debian's Chromium at {CHROMIUM} (CI installs it)"
)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def make_app(settings: Settings | None = None) -> FastAPI:
    """The real service, as `antifraud serve` runs it."""
    return create_app(settings or Settings())


class LiveServer:
    """uvicorn serving an ASGI app on 127.0.0.1 in a background thread."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def host_page_app(chat_origin: str, lang: str = "zh", position: str = "right") -> FastAPI:
    """A third-party site (another origin) embedding the widget with the documented one-line snippet.

    It runs under a strict CSP of its own, as a police or bank site might, so the widget is shown to
    work without inline styles on the host."""
    app = FastAPI()
    page = f"""<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Riverside Police Community Page</title>
<link rel="stylesheet" href="/host.css">
<script src="/host.js"></script>
</head>
<body>
<header><h1>Riverside Police · Community</h1></header>
<main>
<h2>Protect yourself from scams</h2>
<p>Received a strange message? Use our scam checker: press the button in the corner.</p>
<p>Never give anyone your bank password or a verification code.</p>
</main>
<script src="{chat_origin}/widget.js" async data-lang="{lang}" data-region="cn" data-position="{position}"></script>
</body>
</html>"""
    css = (
        "body{margin:0;font:18px/1.6 'DejaVu Sans',sans-serif;color:#222;background:#f7f7f2}"
        "header{background:#2b4a2f;color:#fff;padding:16px 24px}main{padding:8px 24px;max-width:720px}"
        # Hostile-ish host styles the widget must shrug off.
        "button{background:hotpink!important;font-size:8px}iframe{border:10px solid red}"
    )
    # Records what the widget tells the host page, for the test to read.
    script = (
        "window.verdicts=[];window.widgetEvents=[];"
        "window.addEventListener('antifraud-widget:ready',function(){"
        "AntifraudWidget.on('verdict',function(v){window.verdicts.push(v)});"
        "AntifraudWidget.on('open',function(){window.widgetEvents.push('open')});"
        "AntifraudWidget.on('close',function(){window.widgetEvents.push('close')});});"
    )
    csp = (
        f"default-src 'self'; script-src 'self' {chat_origin}; frame-src {chat_origin}; "
        "style-src 'self'; img-src 'self' data:; connect-src 'self'"
    )
    return serve_host(app, page, css, script, csp)


def serve_host(app: FastAPI, page: str, css: str, script: str, csp: str) -> FastAPI:
    """A host site's routes: the page under its own CSP, its stylesheet and script, no favicon."""

    @app.get("/")
    def index() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": csp})

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/host.css")
    def host_css() -> Response:
        return Response(css, media_type="text/css")

    @app.get("/host.js")
    def host_js() -> Response:
        return Response(script, media_type="text/javascript")

    return app


ARTIFACTS = Path(__file__).resolve().parent / "artifacts"  # screenshots to look at (git-ignored)


def new_page(
    browser: Any, viewport: dict[str, int], locale: str = "zh-CN", scale: int = 1
) -> tuple[Any, Any, list[str]]:
    """A fresh browser context and page that records console errors and uncaught page errors."""
    context = browser.new_context(viewport=viewport, locale=locale, device_scale_factor=scale, reduced_motion="reduce")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


def shot(page: Any, name: str, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)


def send(page: Any, text: str) -> Any:
    """Type into the box, press Enter, and return the reply card that comes back."""
    from playwright.sync_api import expect

    before = page.locator(".reply").count()
    page.fill("#message", text)
    page.press("#message", "Enter")
    expect(page.locator(".reply")).to_have_count(before + 1, timeout=15000)
    return page.locator(".reply").nth(before)
