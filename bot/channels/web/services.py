"""What the routers share: everything loaded once at start-up, and the checks every route makes."""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from email.message import Message
from typing import Annotated

from fastapi import Depends, Request

from bot.channels.sessions import InMemorySessionStore, SessionStore
from bot.channels.sms import SmsChannel, SmsReply, SmsState, load_sms_texts
from bot.channels.web import metrics
from bot.channels.web.errors import ApiError, invalid
from bot.channels.web.pool import EnginePool
from bot.channels.web.ratelimit import web_limits
from bot.channels.web.settings import Settings
from bot.channels.web.state import (
    SMS_OPT_OUT_MAX,
    SMS_OPT_OUT_SECONDS,
    SMS_REPLY_CACHE_MAX,
    SMS_REPLY_CACHE_SECONDS,
    SharedState,
    build_state,
)
from bot.conversation.dialogue import Dialogue, SessionState
from bot.conversation.faq import FaqIndex
from bot.conversation.phrases import load_phrases
from bot.engine.pipeline import Engine, collection_paused
from bot.library.cache import load_engine_cached, pieces_cached
from bot.library.loader import Library

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    """What one loaded library serves with; rebuilt on a reload, around the same SharedState."""

    settings: Settings
    library: Library
    engine: Engine
    faq: FaqIndex
    dialogue: Dialogue
    sessions: SessionStore[SessionState]
    sms: SmsChannel
    pool: EnginePool  # where engine work runs: worker threads, never the event loop
    state: SharedState

    def observe(
        self,
        channel: str,
        text: str,
        scam_type: str | None,
        risk: str | None,
        lang: str,
        region: str,
        signs: tuple[str, ...] = (),
        unjudged: bool = False,
    ) -> None:
        """A verdict given: counted in metrics and insights; an unjudged message offered to the review queue."""
        metrics.verdict(channel, scam_type, risk, lang)
        insights = self.state.insights
        if insights is None:
            return
        if self.settings.insights:
            insights.record(channel, scam_type, risk, lang, region, signs)
        if unjudged:
            insights.queue_for_review(text, channel, lang, region)


def build_services(settings: Settings, library: Library | None = None, state: SharedState | None = None) -> Services:
    """Load the library (unless given), build the indexes once; raises LibraryError on broken files."""
    # The FAQ index and the rest too, not only the engine; no collection after: the lifespan freezes them.
    with collection_paused():
        return _build_services(settings, library, state)


def _build_services(settings: Settings, library: Library | None, state: SharedState | None) -> Services:
    from_files = library is None
    if library is None:  # the files named by the settings: the engine built from them comes from the cache too
        engine = load_engine_cached(settings.library_path, settings.faq_path)
        library = engine.library
    else:
        engine = Engine(library)
    if settings.region not in {region.id for region in library.regions.regions}:
        log.warning("region %r is not in regions.yaml; using %r for hotlines", settings.region, library.regions.default)
    state = state or build_state(settings)
    # Built from the files: the words they fold come from the cache too (a library given here may be anyone's).
    pieces: AbstractContextManager[None] = (
        pieces_cached("conversation", settings.library_path, settings.faq_path) if from_files else nullcontext()
    )
    with pieces:
        faq = FaqIndex(library, engine.normaliser)
        dialogue = Dialogue(
            engine, faq, settings.region, load_phrases(library), max_message_chars=settings.max_message_chars
        )
    services: list[Services] = []

    def observe_sms(reply: SmsReply, text: str) -> None:
        if services and reply.risk is not None:
            services[0].observe(
                "sms", text, reply.scam_type, reply.risk, reply.lang, sms.region.id, unjudged=reply.risk == "none"
            )

    sms = build_sms(settings, library, engine, dialogue, state, observe_sms)
    services.append(Services(settings, library, engine, faq, dialogue, state.sessions, sms, state.pool, state))
    # What the engine builds on first use is built beside the first requests, not before them; started
    # last, so that it does not compete for the interpreter with the rest of this build.
    threading.Thread(target=engine.warm_up, name="engine-warm-up", daemon=True).start()
    return services[0]


def build_sms(
    settings: Settings,
    library: Library,
    engine: Engine,
    dialogue: Dialogue,
    state: SharedState | None = None,
    observer: Callable[[SmsReply, str], None] | None = None,
) -> SmsChannel:
    """The SMS channel: the chat's dialogue with its own short-lived sessions, opt-outs and retry cache
    (fresh in-memory ones unless the service's shared state is given)."""
    if not settings.sms_twilio_verify:
        log.warning(
            "ANTIFRAUD_SMS_TWILIO_VERIFY is false: POST /sms/twilio accepts UNSIGNED requests, so anyone who can "
            "reach it can post as any phone number. Never run like this in production."
        )
    if settings.sms_log_text:
        log.warning("ANTIFRAUD_SMS_LOG_TEXT is on: SMS texts, which can hold personal details, go to the log")
    salt = state.salt if state is not None else settings.sms_salt.get_secret_value().encode("utf-8")
    if not salt:
        salt = secrets.token_bytes(32)
        if state is None or state.redis is None:
            log.warning(
                "ANTIFRAUD_SMS_SALT is not set: a random salt is used, so SMS sessions and opt-outs end at restart"
            )
    if state is None:
        return SmsChannel(
            dialogue,
            library,
            engine.region(settings.region),
            load_sms_texts(library),
            salt=salt,
            sessions=InMemorySessionStore[SmsState](settings.sms_session_ttl_seconds, settings.sms_session_max),
            opt_outs=InMemorySessionStore[bool](SMS_OPT_OUT_SECONDS, SMS_OPT_OUT_MAX),
            replies=InMemorySessionStore[SmsReply](SMS_REPLY_CACHE_SECONDS, SMS_REPLY_CACHE_MAX),
            log_text=settings.sms_log_text,
        )
    return SmsChannel(
        dialogue,
        library,
        engine.region(settings.region),
        load_sms_texts(library),
        salt=salt,
        sessions=state.sms_sessions,
        opt_outs=state.opt_outs,
        replies=state.replies,
        log_text=settings.sms_log_text,
        locks=state.locks,
        budget=state.limits.sms_budget if state.limits.sms else None,
        observer=observer,
    )


def sms_ready(services: Services) -> None:
    """503 when SMS cannot be keyed the same way in every process (Redis without a configured salt)."""
    if services.state.redis is not None and services.state.salt is None:
        raise ApiError(503, "sms_not_configured", "Set ANTIFRAUD_SMS_SALT: it is required with ANTIFRAUD_REDIS_URL.")


def state_unavailable() -> ApiError:
    """What a request that needs shared state gets while Redis cannot be reached."""
    return ApiError(
        503,
        "state_unavailable",
        "Conversation memory is unavailable for a moment. Please try again shortly; /api/check still works.",
        headers={"Retry-After": "5"},
    )


async def get_services(request: Request) -> Services:
    """The loaded services, or 503 while the knowledge files could not be loaded."""
    services = getattr(request.app.state, "services", None)
    if not isinstance(services, Services):
        raise ApiError(503, "not_ready", "The knowledge files are not loaded; see the service log.")
    return services


# What every JSON client sends, accepted without parsing the header (the parse below is the rule).
_PLAIN_JSON = frozenset({"application/json", "application/json; charset=utf-8", "application/json;charset=utf-8"})


async def require_json(request: Request) -> None:
    """415 unless the body is declared as JSON (application/json, or a +json type), in UTF-8."""
    header = request.headers.get("content-type", "")
    if header.lower() in _PLAIN_JSON:
        return
    parsed = Message()
    parsed["content-type"] = header
    media_type = parsed.get_content_type()
    charset = (parsed.get_param("charset") or "utf-8") if header else ""
    is_json = media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )
    if not header or not is_json or str(charset).lower() not in ("utf-8", "utf8"):
        raise ApiError(415, "unsupported_media_type", "Send the request body as JSON (Content-Type: application/json).")


async def json_api(request: Request) -> Services:
    """What a JSON API route checks before its body is validated, in this order: the body is declared
    as JSON (415), the knowledge files are loaded (503), the client is within its rate limits (429).
    One dependency rather than three: FastAPI's bookkeeping per dependency cost more than the checks."""
    await require_json(request)
    services = await get_services(request)
    await web_limits(request)
    return services


# The loaded services of a JSON API route, after the checks of `json_api`.
JsonApi = Annotated[Services, Depends(json_api)]


def check_text(value: str, field: str, limit: int) -> None:
    """The service's one length limit (Settings.max_message_chars, the same for the page, the API and
    the dialogue): a longer message is refused whole with a clear reason, never cut and judged in part."""
    if len(value) > limit:
        raise invalid(
            field,
            f"String should have at most {limit} characters; this one has {len(value)}. "
            "Nothing was checked: send the most suspicious part, or send it in pieces.",
        )


def check_lang(value: str | None, library: Library) -> str | None:
    if value is not None and value not in library.languages:
        raise invalid("lang", f"Unknown language; use one of: {', '.join(library.languages)}")
    return value


def check_region(value: str | None, library: Library) -> str | None:
    regions = [region.id for region in library.regions.regions]
    if value is not None and value not in regions:
        raise invalid("region", f"Unknown region; use one of: {', '.join(regions)}")
    return value
