"""`/faq`: every awareness question and its answer, by topic, in the page's language with the
region's facts and script, so a citizen can read without having to guess how to ask (issue 10)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bot.channels.web.pages import (
    LANGUAGES,
    PAGE_WORDS,
    UI_STRINGS,
    choose_lang,
    choose_region,
    content_security_policy,
    in_region_script,
    lang_tag,
    page_library,
    page_settings,
    static_url,
    templates,
)
from bot.library.regions import region_text

router = APIRouter(include_in_schema=False)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_FAQ_TEXT = PAGE_WORDS.by_language(PAGE_WORDS.faq_page)  # the FAQ page's own words


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
        "lang_tag": lang_tag(lang, region),
        "t": in_region_script(UI_STRINGS, region, library)[lang],
        "faq": in_region_script(_FAQ_TEXT, region, library)[lang],
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
