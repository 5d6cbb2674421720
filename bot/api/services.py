"""What the routers share: everything loaded once at start-up, and the checks every route makes."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from email.message import Message

from fastapi import Request

from bot.api.errors import ApiError, invalid
from bot.api.pool import EnginePool
from bot.api.settings import Settings
from bot.dialogue import Dialogue, SessionState
from bot.engine import Engine
from bot.faq import FaqIndex
from bot.library.cache import load_library_cached
from bot.library.loader import Library
from bot.phrases import load_phrases
from bot.sessions import InMemorySessionStore, SessionStore
from bot.sms import SmsChannel, SmsReply, SmsState, load_sms_texts

log = logging.getLogger(__name__)

# A gateway retries a message within minutes; a day covers any retry policy.
SMS_REPLY_CACHE_SECONDS, SMS_REPLY_CACHE_MAX = 86_400, 20_000
# Opt-outs last a year after the number last wrote (bounded, like every store here).
SMS_OPT_OUT_SECONDS, SMS_OPT_OUT_MAX = 365 * 86_400, 100_000


@dataclass(frozen=True)
class Services:
    settings: Settings
    library: Library
    engine: Engine
    faq: FaqIndex
    dialogue: Dialogue
    sessions: SessionStore[SessionState]
    sms: SmsChannel
    pool: EnginePool  # where engine work runs: worker threads, never the event loop


def build_services(settings: Settings, library: Library | None = None) -> Services:
    """Load the library (unless given), build the indexes once; raises LibraryError on broken files."""
    library = library or load_library_cached(settings.library_path, settings.faq_path)
    if settings.region not in {region.id for region in library.regions.regions}:
        log.warning("region %r is not in regions.yaml; using %r for hotlines", settings.region, library.regions.default)
    engine = Engine(library)
    faq = FaqIndex(library, engine.normaliser)
    dialogue = Dialogue(engine, faq, settings.region, load_phrases(library))
    sessions: InMemorySessionStore[SessionState] = InMemorySessionStore(
        settings.session_ttl_seconds, settings.session_max
    )
    pool = EnginePool(settings.engine_workers, settings.engine_queue)
    sms = build_sms(settings, library, engine, dialogue)
    return Services(settings, library, engine, faq, dialogue, sessions, sms, pool)


def build_sms(settings: Settings, library: Library, engine: Engine, dialogue: Dialogue) -> SmsChannel:
    """The SMS channel: the chat's dialogue with its own short-lived sessions, opt-outs and retry cache."""
    if not settings.sms_twilio_verify:
        log.warning(
            "ANTIFRAUD_SMS_TWILIO_VERIFY is false: POST /sms/twilio accepts UNSIGNED requests, so anyone who can "
            "reach it can post as any phone number. Never run like this in production."
        )
    if settings.sms_log_text:
        log.warning("ANTIFRAUD_SMS_LOG_TEXT is on: SMS texts, which can hold personal details, go to the log")
    salt = settings.sms_salt.get_secret_value().encode("utf-8")
    if not salt:
        salt = secrets.token_bytes(32)
        log.warning("ANTIFRAUD_SMS_SALT is not set: a random salt is used, so SMS sessions and opt-outs end at restart")
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


async def get_services(request: Request) -> Services:
    """The loaded services, or 503 while the knowledge files could not be loaded."""
    services = getattr(request.app.state, "services", None)
    if not isinstance(services, Services):
        raise ApiError(503, "not_ready", "The knowledge files are not loaded; see the service log.")
    return services


async def require_json(request: Request) -> None:
    """415 unless the body is declared as JSON (application/json, or a +json type), in UTF-8."""
    header = request.headers.get("content-type", "")
    parsed = Message()
    parsed["content-type"] = header
    media_type = parsed.get_content_type()
    charset = (parsed.get_param("charset") or "utf-8") if header else ""
    is_json = media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )
    if not header or not is_json or str(charset).lower() not in ("utf-8", "utf8"):
        raise ApiError(415, "unsupported_media_type", "Send the request body as JSON (Content-Type: application/json).")


def check_text(value: str, field: str, limit: int) -> None:
    """The service's own limit, which can be lower than the schema's hard ceiling."""
    if len(value) > limit:
        raise invalid(field, f"String should have at most {limit} characters")


def check_lang(value: str | None, library: Library) -> str | None:
    if value is not None and value not in library.languages:
        raise invalid("lang", f"Unknown language; use one of: {', '.join(library.languages)}")
    return value


def check_region(value: str | None, library: Library) -> str | None:
    regions = [region.id for region in library.regions.regions]
    if value is not None and value not in regions:
        raise invalid("region", f"Unknown region; use one of: {', '.join(regions)}")
    return value
