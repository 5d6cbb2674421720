"""Structured logs with a request id, an access log that never records who asked, and request metrics.

Every log line of the service is one JSON object (python-json-logger) on stderr carrying the id of
the request it belongs to; the id comes from a well-formed X-Request-ID (so a proxy's id links its
log to ours) or is made here, and is sent back in the response. The access log, off by default,
records method, path, status and time: never the client's address, which in this service would say
who asked about which scam.
"""

from __future__ import annotations

import logging
import os
import random
import re
import time
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.channels.web import metrics
from bot.channels.web.settings import Settings

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")
_GOOD_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_ID_HEADER = b"x-request-id"
access_log = logging.getLogger("antifraud.access")
# Request ids only link log lines: they need to be unique, not secret. 128 bits from a generator seeded
# by the system (again in every forked worker) cost no system call: os.urandom on the event loop gives
# up the GIL, and under load the engine's threads then keep it for a switch interval (5 ms).
_ids = random.Random()
os.register_at_fork(after_in_child=_ids.seed)


def new_request_id() -> str:
    """32 hex characters."""
    return f"{_ids.getrandbits(128):032x}"


class RequestIdFilter(logging.Filter):
    """Adds the current request's id to every record (worker threads inherit it with the context)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


def log_config(settings: Settings) -> dict[str, Any]:
    """A logging.dictConfig for the service and uvicorn (applied in every worker process by uvicorn)."""
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
        if settings.log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "bot.channels.web.observability.RequestIdFilter"}},
        "formatters": {"main": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "main",
                "filters": ["request_id"],
            }
        },
        "root": {"level": settings.log_level.upper(), "handlers": ["stderr"]},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "CRITICAL"},  # ours replaces it
        },
    }


class ObservabilityMiddleware:
    """Request id in and out, metrics by route, and (when on) one access line per request."""

    def __init__(self, app: ASGIApp, access: bool = False) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if _GOOD_ID.match(incoming) else new_request_id()
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [item for item in message.get("headers", ()) if item[0].lower() != _ID_HEADER]
                headers.append((_ID_HEADER, request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = str(getattr(route, "path", "")) or "unmatched"
            metrics.request(template, scope.get("method", ""), str(status), elapsed)
            if self.access:
                access_log.info(
                    "request",
                    extra={
                        "method": scope.get("method", ""),
                        "path": scope.get("path", ""),
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            REQUEST_ID.reset(token)
