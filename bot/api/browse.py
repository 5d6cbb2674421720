"""Pages to browse and a question the widget asks (issue 10).

- `/faq`: every awareness question and its answer, by topic, in the page's language and the region's
  facts and script; a citizen can read without having to guess how to ask.
- `/embed/allowed?origin=...`: whether a site may frame the chat (Settings.frame_ancestors), so the
  widget can say plainly "this site is not set up to show the chat" and offer a link instead of
  opening a grey, broken frame when an operator forgot to list the site.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from bot.api.pages import (
    LANG_TAGS,
    LANGUAGES,
    UI_STRINGS,
    choose_lang,
    choose_region,
    content_security_policy,
    frame_ancestors,
    page_library,
    page_settings,
    static_url,
    templates,
)
from bot.regions import region_text

router = APIRouter(include_in_schema=False)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_FAQ_TEXT = {
    "zh": {"heading": "常见问题", "intro": "关于常见骗局、怎样核实和怎样举报的问答。", "back": "回到对话"},
    "en": {
        "heading": "Questions and answers",
        "intro": "About common scams, how to check, and how to report.",
        "back": "Back to the chat",
    },
}


def origin_allowed(origin: str, sources: str, own_origin: str) -> bool:
    """Whether a page at `origin` (scheme://host[:port]) may frame us under the CSP frame-ancestors
    source list `sources` (already cleaned by pages.frame_ancestors)."""
    parts = urlsplit(origin)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return False
    host = parts.hostname.lower()
    port = parts.port or _DEFAULT_PORTS[parts.scheme]
    for token in sources.split():
        lowered = token.lower()
        if lowered == "'none'":
            return False
        if lowered == "'self'":
            if origin.rstrip("/").lower() == own_origin.rstrip("/").lower():
                return True
            continue
        if lowered == "*":
            return True
        if re.fullmatch(r"[a-z][a-z0-9+.-]*:", lowered):
            if lowered[:-1] == parts.scheme:
                return True
            continue
        match = re.fullmatch(r"(?:([a-z][a-z0-9+.-]*)://)?(\*\.)?([a-z0-9.-]+)(?::(\d+|\*))?(?:/.*)?", lowered)
        if match is None:
            continue
        scheme, wildcard, source_host, source_port = match.groups()
        if scheme is not None and scheme != parts.scheme and not (scheme == "http" and parts.scheme == "https"):
            continue
        if wildcard:
            if not host.endswith("." + source_host):
                continue
        elif host != source_host:
            continue
        wanted = _DEFAULT_PORTS.get(scheme or parts.scheme, port) if source_port is None else source_port
        if source_port == "*" or int(wanted) == port:
            return True
    return False


@router.get("/embed/allowed")
def embed_allowed(request: Request, origin: str = "") -> JSONResponse:
    """{"allowed": bool}: may a page at `origin` show the chat in a frame? Readable by any site (CORS)."""
    settings = page_settings(request)
    own = f"{request.url.scheme}://{request.url.netloc}"
    allowed = bool(origin) and origin_allowed(origin, frame_ancestors(settings.frame_ancestors), own)
    return JSONResponse(
        {"allowed": allowed},
        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store", "Vary": "Origin"},
    )


@router.api_route("/faq", methods=["GET", "HEAD"], response_class=HTMLResponse)
def faq_page(request: Request) -> Response:
    """Every FAQ entry by topic, with the region's facts, in the page's language."""
    settings = page_settings(request)
    library = page_library(request, settings)
    query = request.query_params
    region = choose_region(library, settings, query.get("region")) if library else None
    fallback = region.default_language if region else LANGUAGES[0]
    lang = choose_lang(query.get("lang"), request.headers.get("accept-language"), fallback)
    base = request.scope.get("root_path", "").rstrip("/")
    topics: list[dict[str, Any]] = []
    if library is not None and region is not None:
        default = library.settings.default_language
        text = region_text(region, lang, default)
        for topic_id, faq_file in library.faq_topics:
            entries = [
                {
                    "id": entry.id,
                    "question": text.script(entry.question.get(lang) or entry.question.get(default, "")),
                    "answer": text.fill(entry.answer.get(lang) or entry.answer.get(default, "")),
                }
                for entry in faq_file.entries
            ]
            name = faq_file.topic.get(lang) or faq_file.topic.get(default, topic_id)
            topics.append({"id": topic_id, "name": text.script(name), "entries": entries})
    back = f"{base}/?lang={lang}" + (f"&region={region.id}" if region else "")
    context = {
        "lang": lang,
        "lang_tag": LANG_TAGS[lang],
        "t": UI_STRINGS[lang],
        "faq": _FAQ_TEXT[lang],
        "topics": topics,
        "back_url": back,
        "embed": False,
        "css_url": static_url(base, "chat.css"),
        "js_url": static_url(base, "prefs.js"),
        "prefs_url": static_url(base, "prefs.js"),
        "icon_url": static_url(base, "icon.svg"),
    }
    headers = {
        "Content-Security-Policy": content_security_policy("'self'"),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
        "Vary": "Accept-Language",
    }
    return templates.TemplateResponse(request, "faq.html", context, headers=headers)
