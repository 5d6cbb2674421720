"""Helpers for the page and browser tests: the app under test, a stand-in /api/chat, live servers.

Until `bot.api.app.create_app` exists, `make_app()` builds a small app that mounts the pages router
and a stand-in POST /api/chat answering in the API contract's shape from the real engine, so the
page is tested against real verdicts. Once the real app exists, it is used instead.
"""

from __future__ import annotations

import importlib
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from bot.api import pages
from bot.engine import Engine

CHROMIUM = "/usr/bin/chromium"
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

_QUESTION = {
    "zh": "对方有没有让您转账，或者问您要验证码？",
    "en": "Did they ask you to send money or give them a code?",
}
_YES = {"是", "是的", "对", "yes", "y"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def real_create_app() -> Callable[[], FastAPI] | None:
    """The API engineer's `create_app`, when it exists."""
    try:
        module = importlib.import_module("bot.api.app")
    except ImportError:
        return None
    factory = getattr(module, "create_app", None)
    return factory if callable(factory) else None


class _ChatRequest(BaseModel):
    message: str = Field(min_length=1, max_length=5000)
    session_id: str | None = None
    lang: str | None = None


def fake_app(engine: Engine | None = None) -> FastAPI:
    """Pages router + a stand-in /api/chat with the contract's reply shape, backed by the real engine.

    Answering "yes" to the follow-up question marks the reply urgent, so the urgent path can be seen."""
    engine = engine or Engine.from_path()
    app = FastAPI()
    app.include_router(pages.router)
    last_verdict: dict[str, dict[str, Any]] = {}

    @app.post("/api/chat", response_model=None)
    def chat(body: _ChatRequest) -> dict[str, Any] | JSONResponse:
        if not body.message.strip():
            return JSONResponse({"error": {"code": "empty", "message": "empty message"}}, status_code=400)
        session_id = body.session_id or uuid.uuid4().hex
        lang = body.lang if body.lang in ("zh", "en") else None
        if body.message.strip().lower() in _YES and session_id in last_verdict:
            reply = dict(last_verdict[session_id], evidence=[], indicators=[], urgent=True, question=None)
            reply["text"] = reply["advice"]["after"][0] if reply["advice"]["after"] else ""
            return {"session_id": session_id, "reply": reply}
        verdict = engine.analyse(body.message, lang).to_dict()
        flagged = verdict["risk"] in ("high", "medium")
        reply = {
            "text": " ".join(verdict["notes"]) or verdict["risk"],
            "risk": verdict["risk"],
            "scam_type": verdict["scam_type"],
            "evidence": [
                {key: item[key] for key in ("kind", "span", "text", "entry", "why")} for item in verdict["evidence"]
            ],
            "warning_signs": verdict["warning_signs"],
            "advice": verdict["advice"],
            "next_step": verdict["next_step"],
            "question": _QUESTION[verdict["lang"]] if flagged else None,
            "faq": None,
            "indicators": verdict["indicators"],
            "urgent": False,
            "lang": verdict["lang"],
        }
        if flagged:
            last_verdict[session_id] = reply
        return {"session_id": session_id, "reply": reply}

    return app


def make_app() -> FastAPI:
    factory = real_create_app()
    return factory() if factory is not None else fake_app()


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

    @app.get("/")
    def index() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": csp})

    @app.get("/host.css")
    def host_css() -> Response:
        return Response(css, media_type="text/css")

    @app.get("/host.js")
    def host_js() -> Response:
        return Response(script, media_type="text/javascript")

    return app
