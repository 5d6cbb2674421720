"""The web service: `create_app` loads everything once and wires thin routers around it.

`antifraud serve` runs it through uvicorn as a factory (one process, or `--workers N` with Redis);
tests call it with their own Settings or Library. The shared state (bot/channels/web/state.py) is built
first and outlives library reloads. A library that fails to load does not stop the process: the last
good one kept under the state folder serves if there is one; otherwise /healthz still answers,
/readyz and the API say 503, and the log names every broken file, so an operator sees why.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import AsyncIterator

import anyio.to_thread
from fastapi import FastAPI
from fastapi.responses import Response

from bot.channels.web import admin, browse, chat, check, docs, drill, health, metrics, pages, sms
from bot.channels.web.errors import install_error_handlers
from bot.channels.web.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware
from bot.channels.web.observability import ObservabilityMiddleware
from bot.channels.web.services import Services, build_services
from bot.channels.web.settings import Settings
from bot.channels.web.state import SharedState, build_state
from bot.library.loader import Library, LibraryError

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, library: Library | None = None) -> FastAPI:
    settings = settings or Settings()
    state = build_state(settings)
    services: Services | None = None
    source = "files"
    try:
        services = build_services(settings, library, state)
    except LibraryError as exc:
        kept = admin.last_good(state, settings)
        if kept is not None:
            log.error("the knowledge files are broken; serving the last good library kept earlier:\n%s", exc)
            services, source = build_services(settings, kept, state), "last_good"
        else:
            log.error("the knowledge files could not be loaded; the API answers 503 until they are fixed:\n%s", exc)
    app = FastAPI(
        title="Anti-fraud chatbot",
        summary="Recognises scam scripts in what citizens paste, explains why, and says what to do.",
        version="0.1.0",
        docs_url=None,  # bot/channels/web/docs.py serves Swagger UI from local files
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.shared = state
    app.state.limits = state.limits
    app.state.services = services
    app.state.library = services.library if services else None
    app.state.engine = services.engine if services else None
    app.state.library_source = source
    app.state.generation = 0
    if services is not None and library is None and source == "files":
        admin.remember_good(state, settings, services.library)

    install_error_handlers(app)
    # A body that holds a message of the longest allowed length always fits, even all emoji sent as JSON
    # escapes (12 bytes a character): the OpenAPI document promises that length (bot/channels/web/docs.py).
    body_bytes = max(settings.max_body_bytes, settings.max_message_chars * 12 + 4096)
    app.add_middleware(BodyLimitMiddleware, max_bytes=body_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(ObservabilityMiddleware, access=settings.access_log)  # outermost: sees every response
    app.include_router(health.router)
    app.include_router(check.router)
    app.include_router(chat.router)
    app.include_router(drill.router)  # the awareness drill: practice, never a verdict (issue 14)
    app.include_router(pages.router)
    app.include_router(browse.router)  # /faq, every question and answer
    app.include_router(sms.router)
    app.include_router(admin.router)
    docs.install(app, settings)

    @app.get("/metrics", include_in_schema=False)
    def prometheus() -> Response:
        """Prometheus text format, for every worker of this machine; keep it off the public proxy."""
        return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)

    return app


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """SIGHUP reloads the library; with Redis, a reload elsewhere is noticed; counts are flushed at exit.

    What was built at start (the library, the engine's indexes, the learned model: millions of objects
    that live as long as the process) is frozen out of the cyclic garbage collector: a full collection
    under load then pauses every request, /healthz too, for about a tenth of the time (~12 ms instead of
    ~120 ms here). A reload collects the old library and freezes the new one (admin.refreeze)."""
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()

    def on_hup() -> None:
        log.info("SIGHUP: reloading the knowledge files")
        task = loop.create_task(_reload_in_thread(app))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    hup = False
    try:
        loop.add_signal_handler(signal.SIGHUP, on_hup)
        hup = True
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread (tests), or no signals here
        pass
    state: SharedState = app.state.shared
    poller = None
    if state.redis is not None:
        app.state.generation = await anyio.to_thread.run_sync(admin.current_generation, state)
        poller = loop.create_task(_poll_reloads(app))
    gc.freeze()
    gc.enable()  # `antifraud serve` starts with collection off (bot/cli.py)
    try:
        yield
    finally:
        if hup:
            loop.remove_signal_handler(signal.SIGHUP)
        if poller is not None:
            poller.cancel()
        for task in list(tasks):
            task.cancel()
        if state.insights is not None:
            await anyio.to_thread.run_sync(state.insights.flush)
        gc.unfreeze()  # collectable again (a test process starts many apps)


async def _reload_in_thread(app: FastAPI) -> None:
    await anyio.to_thread.run_sync(admin.reload_library, app)


async def _poll_reloads(app: FastAPI) -> None:
    """Every few seconds: has another process reloaded (a new generation in Redis)? Then reload here."""
    state: SharedState = app.state.shared
    while True:
        await asyncio.sleep(state.settings.reload_poll_seconds)
        generation = await anyio.to_thread.run_sync(admin.current_generation, state)
        if generation > 0 and generation != app.state.generation:
            app.state.generation = generation
            log.info("another process reloaded the library (generation %d): reloading here", generation)
            await _reload_in_thread(app)
