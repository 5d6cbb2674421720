"""POST /api/drill, GET /api/drill/types and the printable drill summary page (/drill/certificate).

A drill is a different thing from a check: its answers have `kind: "drill"` and `practice: true`,
never a risk, and every text starts with the practice prefix (bot/conversation/drill.py). Nothing is stored on
the server: the drill's state travels with the client as a token, and scores live only in the
browser's localStorage (web/static/drill.js), which the certificate page reads.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from bot.channels.web.errors import ApiError, invalid
from bot.channels.web.models import ERROR_RESPONSES, LANG_PATTERN
from bot.channels.web.services import JsonApi, Services, check_lang, check_region, get_services
from bot.conversation.drill import SURPRISE, Drill, DrillError, DrillTurn, Script, load_drill_texts
from bot.library.loader import Library, LibraryError
from bot.library.schema import Region

router = APIRouter(tags=["drill"])

MAX_DRILL_MESSAGE = 500  # an answer to a pretend scammer, not a message to check
TOKEN_PATTERN = r"^[A-Za-z0-9_-]+$"


class DrillRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["start", "say", "doubt", "go_along", "hang_up", "abandon"] = Field(
        description="start a drill; then say (free text), doubt (one of the offered doubts), go_along, "
        'hang_up ("this is a scam") or abandon (end without deciding)'
    )
    scam_type: str | None = Field(
        default=None, pattern=r"^[a-z][a-z0-9_]{0,63}$", description='start only: a type id, or "surprise"'
    )
    lang: str | None = Field(default=None, pattern=LANG_PATTERN, description="start only: zh or en")
    script: Literal["hans", "hant"] | None = Field(
        default=None, description="start only, for zh: simplified or traditional (default: the region's)"
    )
    region: str | None = Field(
        default=None, pattern=r"^[a-z][a-z0-9_]{0,31}$", description="start only: whose numbers the debrief gives"
    )
    state: str | None = Field(
        default=None, max_length=4000, pattern=TOKEN_PATTERN, description="from the previous answer (not start)"
    )
    message: str | None = Field(default=None, max_length=MAX_DRILL_MESSAGE, description="say only: the answer")
    doubt: str | None = Field(
        default=None, pattern=r"^[a-z][a-z0-9_]{0,63}$", description="doubt only: an id the last turn offered"
    )


class DrillTypeOut(BaseModel):
    id: str
    name: str


class DrillMessageOut(BaseModel):
    speaker: Literal["scammer", "coach"]
    text: str = Field(description="Starts with the practice prefix")
    stage: str | None


class DoubtOut(BaseModel):
    id: str = Field(description='Send back as `doubt` with action "doubt"')
    text: str


class SignOut(BaseModel):
    turn: int = Field(description="When: the scammer's turn, from 1")
    stage: str
    stage_name: str
    said: str
    why: list[str]


class HeardOut(BaseModel):
    turn: int
    doubt: str
    answer: str
    truth: str


class HotlineOut(BaseModel):
    name: str
    number: str


class DebriefOut(BaseModel):
    outcome: Literal["spotted", "complied", "abandoned"]
    summary: list[str]
    stage: str
    stage_name: str
    stage_index: int = Field(description="The stage reached, from 1")
    stages: int
    score: int | None = Field(description="100 when spotted at the first stage, less the later; 0 when going along")
    signs: list[SignOut]
    rebuttals: list[HeardOut]
    type_signs: list[str]
    advice: list[str]
    after: list[str] = Field(description="Only after going along: what to do if it had been real")
    next_step: str | None
    hotlines: list[HotlineOut] = Field(description="The region's official numbers")
    scam_type: str
    scam_type_name: str
    scam_type_summary: str
    text: str = Field(description="The whole debrief as plain text, starting with the practice prefix")


class DrillTurnOut(BaseModel):
    kind: Literal["drill"] = Field(description='Always "drill": practice, never a verdict (there is no risk)')
    practice: Literal[True]
    state: str | None = Field(description="Send back with the next turn; null once the drill is over")
    done: bool
    lang: str
    script: Literal["hans", "hant"]
    region: str
    banner: str
    turn: int
    stage: str
    messages: list[DrillMessageOut]
    doubts: list[DoubtOut] = Field(description="Doubts the citizen may raise now (scripted answers follow)")
    scam_type: str | None = Field(description='Hidden (null) while a "surprise" drill runs')
    scam_type_name: str | None
    debrief: DebriefOut | None


_lock = threading.Lock()
_drills: dict[tuple[int, str | None], tuple[Library, Drill]] = {}


def drill_for(library: Library, region: str | None = None) -> Drill:
    """One Drill per loaded library and default region (rebuilt after a reload), shared by every
    request: the page's drill and the API's must not swap default regions."""
    key = (id(library), region)
    with _lock:
        cached = _drills.get(key)
        if cached is not None and cached[0] is library:
            return cached[1]
        if len(_drills) > 8:  # many libraries (tests, reloads): start again rather than grow
            _drills.clear()
        drill = Drill(library, load_drill_texts(library), region)
        _drills[key] = (library, drill)
        return drill


def _drill(services: Services) -> Drill:
    try:
        return drill_for(services.library, services.settings.region)
    except LibraryError as exc:
        raise ApiError(503, "not_ready", "The drill texts (drill.yaml) are not loaded; see the service log.") from exc


def _play(drill: Drill, payload: DrillRequest, lang: str, region: str | None) -> DrillTurn:
    if payload.action == "start":
        return drill.start(payload.scam_type or SURPRISE, lang, payload.script, region)
    if not payload.state:
        raise DrillError("state", "Send the state of the previous answer, or start a new drill.")
    return drill.step(payload.state, payload.action, payload.message, payload.doubt)


@router.post(
    "/api/drill",
    response_model=DrillTurnOut,
    responses=ERROR_RESPONSES,
    summary="Play one turn of a scam drill (practice, never a verdict)",
)
async def drill_turn(payload: DrillRequest, services: JsonApi) -> JSONResponse:
    """Start a drill, then send each answer with the `state` of the previous turn until `done`.

    The answer's `messages` start with the practice prefix; `debrief` comes with `done`."""
    lang = check_lang(payload.lang, services.library) or services.library.settings.default_language
    region = check_region(payload.region, services.library) or services.settings.region
    drill = _drill(services)
    try:
        turn = await services.pool.run(_play, drill, payload, lang, region)
    except DrillError as exc:
        raise invalid(exc.field, str(exc)) from None
    return JSONResponse(turn.to_dict(), headers={"Cache-Control": "no-store"})


@router.get("/api/drill/types", response_model=list[DrillTypeOut], summary="The scam types a drill can play")
async def drill_types(
    services: Annotated[Services, Depends(get_services)],
    lang: Annotated[str | None, Query(pattern=LANG_PATTERN)] = None,
    script: Literal["hans", "hant"] = "hans",
) -> JSONResponse:
    chosen = check_lang(lang, services.library) or services.library.settings.default_language
    return JSONResponse(_drill(services).type_names(chosen, script))


# --- the page's side: what drill.js needs, and the printable summary -----------------------------


def page_context(
    library: Library | None, region: Region | None, base: str, static_url: Callable[[str, str], str]
) -> dict[str, Any]:
    """What index.html needs for the drill: its words in zh (simplified and traditional) and en, the
    types it can play, and the script's URL. `drill_enabled` is false when drill.yaml cannot be loaded."""
    words: dict[str, dict[str, str]] = {}
    types: dict[str, list[dict[str, str]]] = {}
    if library is not None:
        try:
            drill: Drill | None = drill_for(library)
        except LibraryError:
            drill = None
        if drill is not None:
            for code in library.languages:
                scripts: tuple[Script, ...] = ("hans", "hant") if code == "zh" else ("hans",)
                for script in scripts:
                    key = code if script == "hans" else f"{code}-hant"
                    words[key] = drill.words(code, script)
                    types[key] = drill.type_names(code, script)
    # zh in the region's own script by default: traditional for hk and tw.
    hant = bool(region and region.script.get("zh", "").startswith("hant"))
    config = {
        "words": words,
        "types": types,
        "script": "hant" if hant else "hans",
        "api": f"{base}/api/drill",
        "certificate": f"{base}/drill/certificate",
    }
    return {
        "drill_enabled": bool(words),
        "drill_words": words,
        "drill_json": json.dumps(config, ensure_ascii=False, separators=(",", ":")),
        "drill_js_url": static_url(base, "drill.js"),
        "drill_css_url": static_url(base, "drill.css"),
    }


@router.api_route("/drill/certificate", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
def certificate(request: Request) -> Response:
    """A printable summary of the drills done in this browser (read from localStorage by drill.js)."""
    from bot.channels.web import pages  # the page helpers: settings, library, language, CSP, templates

    settings = pages.page_settings(request)
    library = pages.page_library(request, settings)
    query = request.query_params
    region = pages.choose_region(library, settings, query.get("region")) if library else None
    lang = pages.choose_lang(
        query.get("lang"), request.headers.get("accept-language"), region.default_language if region else "zh"
    )
    base = request.scope.get("root_path", "").rstrip("/")
    hant = query.get("script") == "hant" or bool(region and region.script.get("zh", "").startswith("hant"))
    context = page_context(library, region, base, pages.static_url)
    key = f"{lang}-hant" if lang == "zh" and hant and f"{lang}-hant" in context["drill_words"] else lang
    words = context["drill_words"].get(key, {})
    if not words:
        return Response("The drill is not available.", status_code=503, media_type="text/plain")
    context.update(
        {
            "lang": lang,
            "lang_tag": {"zh": "zh-Hant" if key.endswith("hant") else "zh-Hans"}.get(lang, lang),
            "words": words,
            "words_key": key,
            "css_url": pages.static_url(base, "chat.css"),
            "prefs_url": pages.static_url(base, "prefs.js"),
            "icon_url": pages.static_url(base, "icon.svg"),
            "home_url": f"{base}/?lang={lang}",
        }
    )
    headers = {
        "Content-Security-Policy": pages.content_security_policy("'self'"),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "SAMEORIGIN",
        "Cache-Control": "no-cache",
    }
    return pages.templates.TemplateResponse(request, "drill_certificate.html", context, headers=headers)
