"""Liveness and readiness for orchestrators: /healthz answers while the process runs, /readyz once
the knowledge files are loaded."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bot.api.errors import error_response
from bot.api.services import Services

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: the knowledge files are loaded")
def readyz(request: Request) -> JSONResponse:
    services = getattr(request.app.state, "services", None)
    if not isinstance(services, Services):
        return error_response(503, "not_ready", "The knowledge files are not loaded; see the service log.")
    return JSONResponse(
        {"status": "ready", "scam_types": len(services.library.types), "faq_entries": len(services.library.faq)}
    )
