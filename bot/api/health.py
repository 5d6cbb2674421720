"""Liveness and readiness for orchestrators: /healthz answers while the process runs, /readyz once
the knowledge files are loaded."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from bot.api.errors import error_response
from bot.api.services import Services

router = APIRouter(tags=["health"])


_OK = b'{"status":"ok"}'  # pre-serialised: liveness does no work at all


@router.get("/healthz", summary="Liveness")
async def healthz() -> Response:
    """Answered on the event loop itself (async, no thread hop), which engine work never blocks."""
    return Response(_OK, media_type="application/json")


@router.get("/readyz", summary="Readiness: the knowledge files are loaded")
def readyz(request: Request) -> JSONResponse:
    services = getattr(request.app.state, "services", None)
    if not isinstance(services, Services):
        return error_response(503, "not_ready", "The knowledge files are not loaded; see the service log.")
    return JSONResponse(
        {"status": "ready", "scam_types": len(services.library.types), "faq_entries": len(services.library.faq)}
    )
