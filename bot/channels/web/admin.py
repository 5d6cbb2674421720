"""Reloading the library without a restart, and the operator's insights page: both behind tokens.

A reload (SIGHUP, or POST /admin/reload with `Authorization: Bearer $ANTIFRAUD_ADMIN_TOKEN`) reads
and validates the knowledge files; a broken set is refused with every problem logged, and the last
good library keeps serving. Only the engine is swapped: sessions, opt-outs and counters carry on.
With Redis, the endpoint also bumps a generation number that every other process polls, so one call
reloads the whole service. The last good library is also kept under the state folder, so a process
started (or restarted by `kill -HUP` of a multi-worker master) on broken files serves it rather than
nothing.

The operator page (/operator) shows counts of verdicts (no text, no numbers) as charts and exports
them as CSV or JSON; its data needs `Authorization: Bearer $ANTIFRAUD_OPERATOR_TOKEN`.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import logging
import os
import pickle
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import SecretStr

from bot.channels.store import redis_error
from bot.channels.web import metrics
from bot.channels.web.errors import ApiError
from bot.channels.web.models import SIGNED_RESPONSES
from bot.channels.web.pages import static_url, templates
from bot.channels.web.services import Services, build_services
from bot.channels.web.settings import Settings
from bot.channels.web.state import SharedState
from bot.library.cache import fingerprint, load_library_cached
from bot.library.loader import Library, LibraryError

log = logging.getLogger(__name__)
router = APIRouter()
_reload_lock = threading.Lock()


# --- tokens ------------------------------------------------------------------------------------------


def require_token(request: Request, secret: SecretStr, setting: str) -> None:
    """401 unless `Authorization: Bearer <token>` matches; 503 while no token is configured."""
    expected = secret.get_secret_value()
    if not expected:
        raise ApiError(503, "not_configured", f"Set {setting} to use this endpoint.")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        raise ApiError(401, "unauthorized", "A valid bearer token is required.", headers={"WWW-Authenticate": "Bearer"})


# --- the last good library ----------------------------------------------------------------------------


def _last_good_paths(folder: Path, settings: Settings) -> tuple[Path, Path]:
    where = f"{settings.library_path}|{settings.faq_path}"
    name = hashlib.sha256(where.encode()).hexdigest()[:16]
    return folder / f"last-good-{name}.pickle", folder / f"last-good-{name}.key"


def remember_good(state: SharedState, settings: Settings, library: Library) -> None:
    """Keeps a copy of a library that loaded, unless the copy kept is already of these files."""
    if state.state_dir is None:
        return
    data, key_file = _last_good_paths(state.state_dir, settings)
    try:
        key = fingerprint(settings.library_path, settings.faq_path)
        if key_file.is_file() and key_file.read_text() == key and data.is_file():
            return
        temporary = data.with_suffix(f".{os.getpid()}.tmp")  # several workers may write at once
        with temporary.open("wb") as out:
            pickle.dump(library, out, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(data)
        key_file.write_text(key)
    except Exception as exc:  # a read-only folder costs only the fallback
        log.info("last good library not kept (%s)", exc)


def last_good(state: SharedState, settings: Settings) -> Library | None:
    """The library kept by `remember_good`, if any (the state folder is private: 0700)."""
    if state.state_dir is None:
        return None
    data, _ = _last_good_paths(state.state_dir, settings)
    try:
        with data.open("rb") as handle:
            library = pickle.load(handle)
    except Exception:
        return None
    return library if isinstance(library, Library) else None


# --- reloading -----------------------------------------------------------------------------------------


def reload_library(app: FastAPI) -> tuple[bool, str]:
    """Reads the files again and swaps the engine; a broken set is refused and the current one kept."""
    settings: Settings = app.state.settings
    state: SharedState = app.state.shared
    with _reload_lock:
        started = time.perf_counter()
        try:
            library = load_library_cached(settings.library_path, settings.faq_path)
            services = build_services(settings, library, state)
        except LibraryError as exc:
            metrics.RELOADS.labels("refused").inc()
            log.error("reload refused: the knowledge files are broken; the last good library keeps serving:\n%s", exc)
            return False, str(exc)
        app.state.services = services
        app.state.library = library
        app.state.engine = services.engine
        app.state.library_source = "files"
        metrics.RELOADS.labels("ok").inc()
        log.info("library reloaded in %.2f s: %d scam types", time.perf_counter() - started, len(library.types))
    refreeze()
    remember_good(state, settings, library)
    return True, f"{len(library.types)} scam types, {len(library.faq)} FAQ entries"


def refreeze() -> None:
    """After a swap, when the serving process keeps its long-lived objects out of the garbage collector
    (bot/channels/web/app.py `_lifespan`): the old library is collected and the new one frozen in its place. One
    full collection, once per reload."""
    if gc.get_freeze_count():
        gc.unfreeze()
        gc.collect()
        gc.freeze()


def generation_key(settings: Settings) -> str:
    return f"{settings.redis_namespace}:library:generation"


def current_generation(state: SharedState) -> int:
    if state.redis is None:
        return 0
    try:
        return int(state.redis.get(generation_key(state.settings)) or 0)
    except (redis_error(), ValueError):
        return -1


@router.post(
    "/admin/reload",
    tags=["admin"],
    responses=SIGNED_RESPONSES,
    summary="Reload the knowledge files (bearer token)",
)
async def admin_reload(request: Request) -> JSONResponse:
    """Reloads this process now and, with Redis, every other process within a few seconds."""
    settings: Settings = request.app.state.settings
    require_token(request, settings.admin_token, "ANTIFRAUD_ADMIN_TOKEN")
    ok, detail = await anyio.to_thread.run_sync(reload_library, request.app)
    if not ok:
        return JSONResponse(
            {
                "error": {"code": "library_invalid", "message": "The knowledge files are broken; nothing changed."},
                "problems": detail.splitlines(),
            },
            status_code=422,
        )
    state: SharedState = request.app.state.shared
    if state.redis is not None:
        try:
            request.app.state.generation = await anyio.to_thread.run_sync(state.redis.incr, generation_key(settings))
        except redis_error():
            metrics.redis_error("reload.publish")
            return JSONResponse({"status": "reloaded", "detail": detail, "others": "not told: Redis unreachable"})
    return JSONResponse({"status": "reloaded", "detail": detail})


# --- the operator page ---------------------------------------------------------------------------------


def _insights_of(request: Request) -> Any:
    settings: Settings = request.app.state.settings
    require_token(request, settings.operator_token, "ANTIFRAUD_OPERATOR_TOKEN")
    services = request.app.state.services
    insights = services.state.insights if isinstance(services, Services) else None
    if insights is None:
        raise ApiError(
            503, "insights_off", "Insights are off: set ANTIFRAUD_INSIGHTS=true and a state folder or Redis."
        )
    return insights


Days = Annotated[int, Query(ge=1, le=400)]


@router.get("/operator", response_class=HTMLResponse, include_in_schema=False)
def operator_page(request: Request) -> Response:
    """The page itself holds no data; its script asks for it with the token the operator types."""
    base = request.scope.get("root_path", "").rstrip("/")
    context = {
        "css_url": static_url(base, "operator.css"),
        "js_url": static_url(base, "operator.js"),
        "api_base": f"{base}/operator/api",
    }
    headers = {
        "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data: blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
    }
    return templates.TemplateResponse(request, "operator.html", context, headers=headers)


@router.get(
    "/operator/api/insights", tags=["operator"], responses=SIGNED_RESPONSES, summary="Verdict counts (bearer token)"
)
async def insights_json(request: Request, days: Days = 30) -> JSONResponse:
    insights = _insights_of(request)
    summary = await anyio.to_thread.run_sync(insights.summary, days)
    return JSONResponse({"days": days, **summary.to_json()}, headers={"Cache-Control": "no-store"})


@router.get(
    "/operator/api/insights.csv",
    tags=["operator"],
    responses=SIGNED_RESPONSES,
    summary="Verdict counts as CSV (bearer token)",
)
async def insights_csv(request: Request, days: Days = 30) -> Response:
    from bot.channels.insights import csv_rows

    insights = _insights_of(request)
    summary = await anyio.to_thread.run_sync(insights.summary, days)
    return Response(
        csv_rows(summary),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="antifraud-insights.csv"', "Cache-Control": "no-store"},
    )


@router.get(
    "/operator/api/review",
    tags=["operator"],
    responses=SIGNED_RESPONSES,
    summary="Masked messages the engine could not judge",
)
async def review_queue(request: Request) -> JSONResponse:
    insights = _insights_of(request)
    entries = await anyio.to_thread.run_sync(insights.reviews)
    return JSONResponse({"enabled": insights.review_enabled, "entries": entries}, headers={"Cache-Control": "no-store"})
