"""The web service: `create_app` loads everything once and wires thin routers around it.

`antifraud serve` runs it through uvicorn as a factory; tests call it with their own Settings or
Library. A library that fails to load does not stop the process: /healthz still answers, /readyz
and the API say 503, and the log names every broken file, so an operator sees why.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI

from bot.api import chat, check, health, pages, sms
from bot.api.errors import install_error_handlers
from bot.api.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware
from bot.api.services import Services, build_services
from bot.api.settings import Settings
from bot.library.loader import Library, LibraryError

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, library: Library | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="Anti-fraud chatbot",
        summary="Recognises scam scripts in what citizens paste, explains why, and says what to do.",
        version="0.1.0",
        docs_url="/docs",
        redoc_url=None,
    )
    services: Services | None = None
    try:
        services = build_services(settings, library)
    except LibraryError as exc:
        log.error("the knowledge files could not be loaded; the API answers 503 until they are fixed:\n%s", exc)
    app.state.settings = settings
    app.state.services = services
    app.state.library = services.library if services else None
    app.state.engine = services.engine if services else None

    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware)  # added last: outermost, so it sees every response
    app.include_router(health.router)
    app.include_router(check.router)
    app.include_router(chat.router)
    app.include_router(pages.router)
    app.include_router(sms.router)
    return app
