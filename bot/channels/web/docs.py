"""The API's documentation: /openapi.json stating the service's real limits, and /docs (Swagger UI)
served from this machine, so it works without internet (issue 10).

The published document is FastAPI's, with what only the running service knows put in: the
configured message length limit (Settings.max_message_chars) instead of the models' hard ceiling,
and the library's languages and regions as enums instead of loose patterns. /api/check states that
it takes exactly one of `message` and its deprecated old name `text`. Schemathesis runs against this
document in CI (tests/test_openapi.py), so a response or a limit that disagrees with it fails there.

Swagger UI's files come from the `fastapi-offline` package, which ships them (MIT licence, Swagger
UI under Apache-2.0) and is kept up to date with Swagger UI's releases.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, Response

from bot.channels.web.settings import Settings
from bot.library.loader import Library

router = APIRouter(include_in_schema=False)

_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}


def _asset(name: str) -> bytes | None:
    try:
        return (files("fastapi_offline") / "static" / name).read_bytes()
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        return None


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI over /openapi.json, every file from this service."""
    base = request.scope.get("root_path", "").rstrip("/")
    return get_swagger_ui_html(
        openapi_url=f"{base}/openapi.json",
        title="Anti-fraud chatbot API",
        swagger_js_url=f"{base}/docs/assets/swagger-ui-bundle.js",
        swagger_css_url=f"{base}/docs/assets/swagger-ui.css",
        swagger_favicon_url=f"{base}/docs/assets/favicon.png",
    )


@router.get("/docs/assets/{name}")
def swagger_asset(name: str) -> Response:
    media_type = _ASSETS.get(name)
    body = _asset(name) if media_type else None
    if media_type is None or body is None:
        return Response(status_code=404, content="Not found", media_type="text/plain")
    return Response(body, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})


def published_schema(app: FastAPI, settings: Settings, library: Library | None) -> dict[str, Any]:
    """FastAPI's OpenAPI document with the running service's own limits and choices filled in."""
    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    components = schema.get("components", {}).get("schemas", {})
    languages = list(library.languages) if library is not None else None
    regions = [region.id for region in library.regions.regions] if library is not None else None
    for name in ("CheckRequest", "ChatRequest"):
        properties = components.get(name, {}).get("properties", {})
        for field in ("message", "text"):
            if field in properties:
                properties[field] = _string(properties[field], settings.max_message_chars)
    choices = {"lang": languages, "region": regions}
    # Every request field and query parameter called lang or region takes exactly the library's.
    for model in components.values():
        properties = model.get("properties", {})
        for field, values in choices.items():
            if values is not None and field in properties and _is_pattern(properties[field]):
                properties[field] = _choice(properties[field], values)
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            # Inline request bodies (the SMS webhook's) state the same length limit.
            for content in operation.get("requestBody", {}).get("content", {}).values():
                for field, prop in content.get("schema", {}).get("properties", {}).items():
                    if field in ("message", "text") and prop.get("maxLength", 0) > settings.max_message_chars:
                        prop["maxLength"] = settings.max_message_chars
            for parameter in operation.get("parameters", []):
                values = choices.get(parameter.get("name", ""))
                if values is not None and _is_pattern(parameter.get("schema", {})):
                    parameter["schema"] = _choice(parameter["schema"], values)
    check = components.get("CheckRequest")
    if check is not None:
        check["oneOf"] = [{"required": ["message"]}, {"required": ["text"]}]
    return schema


def _string(prop: dict[str, Any], limit: int) -> dict[str, Any]:
    """A non-null string of 1..limit characters (the `| None` default only means "may be absent")."""
    kept = {key: value for key, value in prop.items() if key in ("title", "description", "deprecated")}
    return {**kept, "type": "string", "minLength": 1, "maxLength": limit, "pattern": r"\S"}


def _is_pattern(prop: dict[str, Any]) -> bool:
    """A free string field (maybe nullable) constrained only by a pattern: the loose form replaced."""
    options = prop.get("anyOf", [prop])
    return any("pattern" in option for option in options)


def _choice(prop: dict[str, Any], values: list[str]) -> dict[str, Any]:
    """An optional field whose value must be one of `values` (or null)."""
    kept = {key: value for key, value in prop.items() if key in ("title", "description", "default")}
    return {**kept, "anyOf": [{"type": "string", "enum": values}, {"type": "null"}]}


def install(app: FastAPI, settings: Settings) -> None:
    """/docs and its files, and the published /openapi.json (built once, from the library loaded then)."""
    app.include_router(router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            library = getattr(app.state, "library", None)
            app.openapi_schema = published_schema(app, settings, library if isinstance(library, Library) else None)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
