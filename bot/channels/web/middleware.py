"""Two small ASGI middlewares: a body size limit enforced before parsing, and security headers.

Both are plain ASGI rather than Starlette's BaseHTTPMiddleware, so they add no task per request
and see the raw byte stream: a body is counted as it arrives and refused the moment it passes
the limit, whether or not the client declared its length.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.channels.web.errors import SECURITY_HEADERS, error_response


class BodyLimitMiddleware:
    """Reads the body up to `max_bytes` (413 beyond), then hands it to the app unchanged."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()  # only a disconnect can come now
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, "body_too_large", f"The request body is larger than {self.max_bytes} bytes.")
        await response(scope, receive, send)


_SECURITY = tuple((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in SECURITY_HEADERS.items())
_API = (*_SECURITY, (b"cache-control", b"no-store"))


class SecurityHeadersMiddleware:
    """nosniff and no-referrer on every response; API answers are never stored by caches. A header the
    route set itself is kept (pages set their own Cache-Control)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = _API if str(scope.get("path", "")).startswith("/api/") else _SECURITY

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {item[0].lower() for item in headers}
                headers.extend(item for item in added if item[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
