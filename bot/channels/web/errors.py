"""Every error is JSON `{"error": {"code", "message"}}` with the right status.

Messages are ours, never the text of an exception or the client's input echoed back: a parser's
complaint can quote the body, and a stack trace tells an attacker what runs here. Unexpected
errors are logged with their traceback and answered with a generic 500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

# Set on every response by SecurityHeadersMiddleware; repeated here for the 500 answer, which is
# produced outside the middleware stack.
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

_BY_STATUS = {
    400: ("bad_request", "The request body could not be read."),
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not accept that method."),
    413: ("body_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Send the request body as JSON (Content-Type: application/json)."),
    422: ("invalid_request", "The request is not valid."),
    503: ("not_ready", "The service is not ready yet."),
}


class ApiError(Exception):
    """An error we mean to return, with its status, a stable code and a message for people."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers  # e.g. Retry-After on a 503 busy


def error_response(
    status: int,
    code: str,
    message: str,
    fields: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def invalid(field: str, message: str) -> ApiError:
    """A 422 about one field, shaped like pydantic's own."""
    return ApiError(422, "invalid_request", f"{field}: {message}", [{"field": field, "message": message}])


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, message = _BY_STATUS.get(exc.status_code, ("error", "The request failed."))
    headers = {"Allow": exc.headers["Allow"]} if exc.headers and "Allow" in exc.headers else None
    return error_response(exc.status_code, code, message, headers=headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(error.get("type") == "json_invalid" for error in errors):
        return error_response(400, "malformed_json", "The request body is not valid JSON.")
    fields = [{"field": _field(error.get("loc", ())), "message": _message(error)} for error in errors]
    summary = "; ".join(f"{item['field']}: {item['message']}" for item in fields)
    return error_response(422, "invalid_request", summary or "The request is not valid.", fields)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        500, "internal_error", "Something went wrong on our side. Please try again.", headers=SECURITY_HEADERS
    )


def _field(loc: Any) -> str:
    """("body", "message") -> "message"; the body itself -> "body"."""
    parts = [str(part) for part in loc if part != "body"] if isinstance(loc, list | tuple) else []
    return ".".join(parts) or "body"


def _message(error: dict[str, Any]) -> str:
    """pydantic's sentence ("String should have at most 5000 characters"), without the input."""
    message = str(error.get("msg", "is not valid"))
    return message.removeprefix("Value error, ")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
