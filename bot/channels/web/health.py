"""Liveness and readiness for orchestrators and load balancers.

/healthz: the process answers (nothing else is checked, so a slow dependency never gets a healthy
process killed). /readyz: it can serve, which means the knowledge files are loaded and, when Redis is
configured, Redis answers; a load balancer sends traffic only to ready processes, and the Docker
HEALTHCHECK probes readiness.
"""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from bot.channels.web.errors import error_response
from bot.channels.web.services import Services

router = APIRouter(tags=["health"])


_OK = b'{"status":"ok"}'  # pre-serialised: liveness does no work at all


@router.get("/healthz", summary="Liveness")
async def healthz() -> Response:
    """Answered on the event loop itself (async, no thread hop), which engine work never blocks."""
    return Response(_OK, media_type="application/json")


@router.get("/readyz", summary="Readiness: the knowledge files are loaded and Redis (if configured) answers")
async def readyz(request: Request) -> JSONResponse:
    services = getattr(request.app.state, "services", None)
    if not isinstance(services, Services):
        return error_response(503, "not_ready", "The knowledge files are not loaded; see the service log.")
    redis = "off"
    if services.state.redis is not None:
        problem = await anyio.to_thread.run_sync(services.state.redis_problem)
        if problem is not None:
            return error_response(
                503, "redis_unreachable", f"Redis does not answer ({problem}); shared state is unavailable."
            )
        redis = "ok"
    return JSONResponse(
        {
            "status": "ready",
            "scam_types": len(services.library.types),
            "faq_entries": len(services.library.faq),
            "redis": redis,
            "library": getattr(request.app.state, "library_source", "files"),
        }
    )
