"""Web chat page, embeddable widget loader and the page the widget frames.

Everything the browser needs is served by this router, so `app.include_router(pages.router)` is all
an app has to do: the pages (`/`, `/embed`), the loader (`/widget.js`) and the files of web/static/
(`/static/<name>`). Pages carry a strict Content-Security-Policy: no inline script or style, nothing
from another origin. The chat page may only be framed by ourselves; `/embed` by the sites listed in
`Settings.frame_ancestors`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio.to_thread
import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from bot.channels.web import drill
from bot.channels.web.settings import Settings
from bot.channels.web.words import load_page_words
from bot.library.loader import Library, LibraryError, load_library
from bot.library.regions import region_text
from bot.library.schema import Region

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parents[3] / "web"
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

# Every word of the page's own interface, in every page language (web/page_words.yaml, checked at
# import so a broken file stops the start). The template renders the current language; chat.js gets
# all of them (data-i18n) so switching language needs no reload and keeps the chat.
PAGE_WORDS = load_page_words()
LANGUAGES = tuple(PAGE_WORDS.languages)  # languages the page's own words are written in
LANG_TAGS = dict(PAGE_WORDS.languages)  # BCP 47 tags for <html lang>: picks CJK glyphs and voices
UI_STRINGS = PAGE_WORDS.by_language(PAGE_WORDS.interface)


def lang_tag(lang: str, region: Region | None) -> str:
    """The page's BCP 47 tag: the region's script when it has one ("zh-Hant-TW" in Taiwan), which
    picks the right CJK glyphs and voice."""
    script = region.script.get(lang, "") if region else ""
    if not script:
        return LANG_TAGS[lang]
    parts = script.split("-")
    return "-".join([lang, parts[0].title(), *(part.upper() for part in parts[1:])])


def in_region_script(
    words: dict[str, dict[str, str]], region: Region | None, library: Library | None
) -> dict[str, dict[str, str]]:
    """{language: {key: words}} in the region's script: a Taiwan or Hong Kong page reads in
    traditional characters, like the advice it shows."""
    if region is None or not region.script:
        return words
    default = library.settings.default_language if library else LANGUAGES[0]
    converted: dict[str, dict[str, str]] = {}
    for lang, texts in words.items():
        script = region_text(region, lang, default).script
        converted[lang] = {key: script(text) for key, text in texts.items()}
    return converted


# What a page may load: only our own files. No inline script or style, no plugins, no <base>.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-src 'self'"
)
# One source of a CSP source list, e.g. 'self', *, https:, https://police.example, https://*.bank.example:443
_FRAME_SOURCE = re.compile(
    r"^(?:'self'|'none'|\*|[a-z][a-z0-9+.-]*:|(?:[a-z][a-z0-9+.-]*://)?(?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*"
    r"(?::(?:[0-9]{1,5}|\*))?(?:/[A-Za-z0-9._~%!$&()*+=:@/-]*)?)$",
    re.IGNORECASE,
)
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?$|^https?://\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?$")
_REGION_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_STATIC_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*\.(?:css|js|svg|png|ico|txt)$")
_MEDIA_TYPES = {
    "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "svg": "image/svg+xml",
    "png": "image/png",
    "ico": "image/x-icon",
    "txt": "text/plain; charset=utf-8",
}
_TEL = re.compile(r"^\+?[0-9][0-9 -]{1,20}$")

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,  # every template, whatever its extension
    undefined=jinja2.StrictUndefined,  # a misspelt variable is an error, not an empty string
    trim_blocks=True,
    lstrip_blocks=True,
)
templates = Jinja2Templates(env=_environment)

router = APIRouter()


# --- settings and library -------------------------------------------------------------------


def page_settings(request: Request) -> Settings:
    """The app's Settings (app.state.settings) when it keeps one, else read from the environment."""
    found = getattr(request.app.state, "settings", None)
    return found if isinstance(found, Settings) else Settings()


def _app_library(request: Request) -> tuple[bool, Library | None]:
    """Whether the app keeps its library (app.state.library or app.state.engine.library), and which."""
    state = request.app.state
    for candidate in (getattr(state, "library", None), getattr(getattr(state, "engine", None), "library", None)):
        if isinstance(candidate, Library):
            return True, candidate
    # An app that tried to load it and failed keeps None: do not retry on every page view.
    return hasattr(state, "library"), None


def page_library(request: Request, settings: Settings) -> Library | None:
    """The app's loaded Library; loaded here once when the app keeps none. None when the knowledge
    files are broken: the page still renders, without hotlines, and the API explains itself with its
    own 503."""
    kept, library = _app_library(request)
    if kept:
        return library
    try:
        return _load_library(settings.library_path, settings.faq_path)
    except LibraryError as exc:
        log.error("pages: the knowledge files could not be loaded:\n%s", exc)
        return None


@lru_cache(maxsize=4)
def _load_library(root: Path | None, faq_root: Path | None) -> Library:
    return load_library(root, faq_root)


def choose_region(library: Library, settings: Settings, requested: str | None) -> Region:
    """The requested region (widget's data-region) if the library has it, else the deployment's."""
    regions = {region.id: region for region in library.regions.regions}
    for region_id in (requested, settings.region, library.regions.default):
        if region_id and _REGION_ID.match(region_id) and region_id in regions:
            return regions[region_id]
    return library.regions.regions[0]


def choose_lang(requested: str | None, accept_language: str | None, fallback: str) -> str:
    """?lang= first, then the browser's Accept-Language (highest q wins), then the region's language."""
    if requested:
        primary = requested.strip().lower().replace("_", "-").split("-")[0]
        if primary in LANGUAGES:
            return primary
    best: tuple[float, int, str] | None = None
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        quality = 1.0
        match = re.search(r"q\s*=\s*([0-9.]+)", params)
        if match:
            try:
                quality = float(match.group(1))
            except ValueError:
                continue
        if quality <= 0:
            continue
        key = (quality, -position, primary)
        if best is None or key > best:
            best = key
    if best is not None:
        return best[2]
    return fallback if fallback in LANGUAGES else LANGUAGES[0]


def frame_ancestors(value: str) -> str:
    """Settings.frame_ancestors as a safe CSP source list: unknown tokens are dropped (and logged), so
    a typo cannot inject another directive; nothing valid left means only ourselves."""
    tokens = value.split()
    kept = [token for token in tokens if _FRAME_SOURCE.match(token)]
    for token in tokens:
        if token not in kept:
            log.warning("frame_ancestors: ignoring invalid source %r", token)
    if len(kept) > 1:  # 'none' only means something alone
        kept = [token for token in kept if token.lower() != "'none'"]
    return " ".join(kept) or "'self'"


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_I18N_JSON = _json(UI_STRINGS)  # the same on every page view: serialised once


def content_security_policy(ancestors: str) -> str:
    return f"{_CSP}; frame-ancestors {ancestors}"


def _localised(value: str | dict[str, str], lang: str) -> str:
    if isinstance(value, str):
        return value
    return value.get(lang) or next(iter(value.values()), "")


@dataclass(frozen=True)
class Hotline:
    names: dict[str, str]  # per UI language
    numbers: dict[str, str]  # per UI language: a number, or an app's or site's name
    tel: str | None  # tel: target when the "number" really is one (not "the app")


def _hotlines(region: Region) -> list[Hotline]:
    """The region's facts that carry a label (its footer), each with its verified value."""
    lines: list[Hotline] = []
    for fact_id, fact in region.facts.items():
        if fact.label is None:
            continue
        numbers = {lang: region.fact_text(fact_id, lang, lang) or "" for lang in LANGUAGES}
        first = next(iter(numbers.values()))
        dial = fact.dial or (first if _TEL.match(first) else None)
        tel = dial.replace(" ", "").replace("-", "") if dial else None
        lines.append(Hotline({lang: _localised(fact.label, lang) for lang in LANGUAGES}, numbers, tel))
    return lines


# --- static files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _StaticFile:
    body: bytes
    etag: str  # short content hash; also the ?v= cache-buster in page links
    stamp: tuple[int, int]
    checked: float  # time.monotonic() of the last look at the file


_static_cache: dict[str, _StaticFile] = {}
# How long a file is served without looking at it again: a change shows within a second, and a page
# view (six links) or a static request costs no system call.
STATIC_RECHECK_SECONDS = 1.0


def _static_file(name: str) -> _StaticFile | None:
    """A file directly inside web/static/ (no sub-folders, no dot-files), re-read when it changes."""
    now = time.monotonic()
    cached = _static_cache.get(name)  # only names that passed the checks below are kept
    if cached is not None and now - cached.checked < STATIC_RECHECK_SECONDS:
        return cached
    if not _STATIC_NAME.match(name):
        return None
    path = STATIC_DIR / name
    try:
        stat = path.stat()
    except OSError:
        return None
    if not path.is_file():
        return None
    stamp = (stat.st_mtime_ns, stat.st_size)
    if cached is not None and cached.stamp == stamp:
        entry = replace(cached, checked=now)
    else:
        body = path.read_bytes()
        entry = _StaticFile(body, hashlib.sha256(body).hexdigest()[:16], stamp, now)
    _static_cache[name] = entry
    return entry


def static_url(base: str, name: str) -> str:
    """/static/name?v=<hash>: the hash lets browsers cache the file for a year and still see changes."""
    found = _static_file(name)
    version = f"?v={found.etag}" if found else ""
    return f"{base}/static/{name}{version}"


def _file_response(request: Request, name: str, cache_control: str, extra: dict[str, str] | None = None) -> Response:
    found = _static_file(name)
    if found is None:
        return Response(status_code=404, content="Not found", media_type="text/plain")
    etag = f'"{found.etag}"'
    headers = {"ETag": etag, "Cache-Control": cache_control, "X-Content-Type-Options": "nosniff", **(extra or {})}
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    media_type = _MEDIA_TYPES[name.rsplit(".", 1)[1]]
    body = b"" if request.method == "HEAD" else found.body
    response = Response(content=body, media_type=media_type, headers=headers)
    if request.method == "HEAD":
        response.headers["Content-Length"] = str(len(found.body))
    return response


@router.api_route("/static/{name}", methods=["GET", "HEAD"], include_in_schema=False)
def static_file(request: Request, name: str) -> Response:
    found = _static_file(name)
    # A link carrying the current hash never changes; anything else is revalidated every few minutes.
    versioned = found is not None and request.query_params.get("v") == found.etag
    cache = "public, max-age=31536000, immutable" if versioned else "public, max-age=300"
    return _file_response(request, name, cache)


@router.api_route("/widget.js", methods=["GET", "HEAD"], include_in_schema=False)
def widget_js(request: Request) -> Response:
    # Other sites link this URL without a version, so it is cached briefly and revalidated by ETag.
    # CORP lets pages that require it (COEP) load it; CORS lets a site pin it with integrity= (SRI).
    return _file_response(
        request,
        "widget.js",
        "public, max-age=3600, must-revalidate",
        {"Cross-Origin-Resource-Policy": "cross-origin", "Access-Control-Allow-Origin": "*"},
    )


@router.api_route("/favicon.ico", methods=["GET", "HEAD"], include_in_schema=False)
def favicon(request: Request) -> Response:
    response = _file_response(request, "icon.svg", "public, max-age=86400")
    if response.status_code == 200:
        response.headers["Content-Type"] = "image/svg+xml"
    return response


# --- pages ----------------------------------------------------------------------------------


def _etag(name: str) -> str:
    found = _static_file(name)
    return found.etag if found else ""


@dataclass(frozen=True)
class _Page:
    """A rendered chat page: the same inputs give the same bytes."""

    static: tuple[tuple[str, str], ...]  # (name, etag) of every static file it links
    body: bytes
    headers: dict[str, str]

    def current(self) -> bool:
        """Its links still carry the files' hashes (a changed file makes a new page)."""
        return all(_etag(name) == etag for name, etag in self.static)


class _PageCache:
    """Rendered pages by everything a page depends on besides the app's settings and library (its
    region, language, base path, and for /embed the parent's origin and quiet mode), for one settings
    and library at a time: a reload (or another app in the process) starts afresh and keeps no old
    library alive. Only the event loop reads and writes it."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._source: tuple[Settings, Library | None] | None = None
        self._pages: OrderedDict[tuple[object, ...], _Page] = OrderedDict()

    def get(self, settings: Settings, library: Library | None, key: tuple[object, ...]) -> _Page | None:
        if self._source is None or self._source[0] is not settings or self._source[1] is not library:
            return None
        page = self._pages.get(key)
        if page is None or not page.current():
            return None
        self._pages.move_to_end(key)
        return page

    def put(self, settings: Settings, library: Library | None, key: tuple[object, ...], page: _Page) -> None:
        if self._source is None or self._source[0] is not settings or self._source[1] is not library:
            self._source = (settings, library)
            self._pages.clear()
        self._pages[key] = page
        while len(self._pages) > self._size:
            self._pages.popitem(last=False)


# Rendering is about a millisecond of template work; a page view from the cache costs none. A few
# origins per embedding site, so the bound is generous.
_pages = _PageCache(256)


async def _page(request: Request, *, embed: bool) -> Response:
    settings = page_settings(request)
    kept, library = _app_library(request)
    if not kept:  # an app that keeps no library (a bare router): loaded once, off the event loop
        library = await anyio.to_thread.run_sync(page_library, request, settings)
    query = request.query_params
    region = choose_region(library, settings, query.get("region")) if library else None
    fallback_lang = region.default_language if region else LANGUAGES[0]
    lang = choose_lang(query.get("lang"), request.headers.get("accept-language"), fallback_lang)
    base = request.scope.get("root_path", "").rstrip("/")
    parent_origin = query.get("origin", "") if embed else ""
    if not _ORIGIN.match(parent_origin):
        parent_origin = ""  # the embed page then never posts to its parent
    quiet = embed and query.get("quiet") == "1"
    key = (embed, lang, region.id if region else "", base, parent_origin, quiet)
    page = _pages.get(settings, library, key)
    if page is None:
        page = await anyio.to_thread.run_sync(
            _render, settings, library, region, lang, base, embed, parent_origin, quiet
        )
        _pages.put(settings, library, key, page)
    return HTMLResponse(page.body, headers=page.headers)


def _render(
    settings: Settings,
    library: Library | None,
    region: Region | None,
    lang: str,
    base: str,
    embed: bool,
    parent_origin: str,
    quiet: bool,
) -> _Page:
    """The chat page (index.html) for these inputs, on a worker thread."""
    linked: dict[str, str] = {}

    def versioned(base: str, name: str) -> str:  # static_url, noting which files the page links
        linked[name] = _etag(name)
        return static_url(base, name)

    other_lang = next(code for code in LANGUAGES if code != lang)
    words = in_region_script(UI_STRINGS, region, library)
    types = library.types if library else ()
    scam_names = {t.id: {code: _localised(t.name, code) for code in LANGUAGES} for t in types}
    # Only the region's own verified facts: no number stands in for one the region lacks.
    police = {code: region.fact_text("police", code, code) for code in LANGUAGES} if region else {}
    call_first = {code: region.fact_text("after_loss", code, code) for code in LANGUAGES} if region else {}
    after_loss = region.facts.get("after_loss") if region else None
    call_tel = after_loss.dial.replace(" ", "").replace("-", "") if after_loss and after_loss.dial else ""
    context: dict[str, Any] = {
        "lang": lang,
        "lang_tag": lang_tag(lang, region),
        "other_lang": other_lang,
        "other_lang_tag": lang_tag(other_lang, region),
        "t": words[lang],
        "i18n_json": _I18N_JSON if words is UI_STRINGS else _json(words),
        "scam_names_json": _json(scam_names),
        "police_json": _json({code: value for code, value in police.items() if value}),
        "call_first_json": _json({code: value for code, value in call_first.items() if value}),
        "call_tel": call_tel,
        "region_id": region.id if region else "",
        "region_names": {code: _localised(region.name, code) for code in LANGUAGES} if region else None,
        "hotlines": _hotlines(region) if region else [],
        "embed": embed,
        "parent_origin": parent_origin,
        # The widget's chats name their site, which has a rate limit of its own (bot/channels/web/ratelimit.py).
        "api_url": f"{base}/api/chat" + (f"?site={quote(parent_origin, safe=':/')}" if parent_origin else ""),
        "max_chars": settings.max_message_chars,
        "faq_url": f"{base}/faq?lang={lang}" + (f"&region={region.id}" if region else ""),
        "css_url": versioned(base, "chat.css"),
        "js_url": versioned(base, "chat.js"),
        "prefs_url": versioned(base, "prefs.js"),
        "icon_url": versioned(base, "icon.svg"),
        # Quiet mode (widget data-quiet): the frame answers host checks only at high or medium risk.
        "quiet": quiet,
        **drill.page_context(library, region, base, versioned),  # the awareness drill (issue 14)
    }
    ancestors = frame_ancestors(settings.frame_ancestors) if embed else "'self'"
    headers = {
        "Content-Security-Policy": content_security_policy(ancestors),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        "Cache-Control": "no-cache",
        "Vary": "Accept-Language",
    }
    if embed:
        headers["Cross-Origin-Resource-Policy"] = "cross-origin"  # framable by sites that set COEP
    else:
        headers["X-Frame-Options"] = "SAMEORIGIN"  # for browsers older than CSP frame-ancestors
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
    body = templates.get_template("index.html").render(context).encode("utf-8")
    return _Page(tuple(linked.items()), body, headers)


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
async def chat_page(request: Request) -> Response:
    return await _page(request, embed=False)


@router.api_route("/embed", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
async def embed_page(request: Request) -> Response:
    return await _page(request, embed=True)
