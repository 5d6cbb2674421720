"""Everything the service keeps between requests, built once per process and kept across reloads.

Two shapes, chosen by one setting:

- `ANTIFRAUD_REDIS_URL` set: sessions, SMS opt-outs and sessions, the retry cache, per-number locks,
  rate-limit counters, insights and the review queue are in Redis, so any number of workers and
  machines behind a load balancer act as one service.
- unset (the embedded default): one process; sessions and the retry cache in its memory, opt-outs,
  insights and the review queue in a SQLite file under `state_dir` so they survive a restart, and
  an SMS salt generated once and kept there when none is configured.

A library reload swaps the engine, never this: conversations and opt-outs carry on.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.channels.insights import Insights, RedisBackend, SqliteBackend
from bot.channels.sessions import InMemorySessionStore, LocalLocks, Locks, SessionStore
from bot.channels.sms import SmsReply, SmsState
from bot.channels.store import (
    FLAG_CODEC,
    SESSION_CODEC,
    SMS_REPLY_CODEC,
    SMS_STATE_CODEC,
    RedisLocks,
    RedisStore,
    SqliteFlagStore,
    redis_client,
    redis_error,
    stored_secret,
)
from bot.channels.web import metrics
from bot.channels.web.pool import EnginePool
from bot.channels.web.ratelimit import RateLimits

if TYPE_CHECKING:  # imported when a Redis URL is set
    import redis
from bot.channels.web.settings import Settings
from bot.conversation.dialogue import SessionState

log = logging.getLogger(__name__)

# A gateway retries a message within minutes; a day covers any retry policy.
SMS_REPLY_CACHE_SECONDS, SMS_REPLY_CACHE_MAX = 86_400, 20_000
# Opt-outs last a year after the number last wrote (bounded, like every store here).
SMS_OPT_OUT_SECONDS, SMS_OPT_OUT_MAX = 365 * 86_400, 100_000
STATE_FILE = "state.sqlite3"


@dataclass
class SharedState:
    settings: Settings
    redis: redis.Redis | None
    sessions: SessionStore[SessionState]
    sms_sessions: SessionStore[SmsState]
    opt_outs: SessionStore[bool]
    replies: SessionStore[SmsReply]
    locks: Locks
    salt: bytes | None  # None: Redis without ANTIFRAUD_SMS_SALT, so SMS cannot be keyed the same everywhere
    limits: RateLimits
    insights: Insights | None
    pool: EnginePool
    state_dir: Path | None

    def redis_problem(self) -> str | None:
        """None when Redis answers (or is not used); else what went wrong, for /readyz."""
        if self.redis is None:
            return None
        try:
            self.redis.ping()
        except redis_error() as exc:
            metrics.redis_error("ping")
            return type(exc).__name__
        return None


def state_dir(settings: Settings) -> Path | None:
    """The folder for SQLite state, created private; None when turned off or not writable."""
    configured = settings.state_dir.strip()
    if configured.lower() in ("off", "none", "memory"):
        return None
    if configured:
        folder = Path(configured)
    else:
        base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        folder = Path(base) / "antifraud"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("state folder %s cannot be created (%s): opt-outs and insights end at restart", folder, exc)
        return None
    return folder


def build_state(settings: Settings) -> SharedState:
    """The stores for this process: Redis-backed when configured, else memory and SQLite."""
    url = settings.redis_url.get_secret_value()
    folder = state_dir(settings)
    pool = EnginePool(settings.engine_workers, settings.engine_queue)
    limits = RateLimits(settings)
    configured_salt = settings.sms_salt.get_secret_value().encode("utf-8")
    if url:
        client = redis_client(url, settings.redis_timeout_ms)
        ns = settings.redis_namespace
        locks = RedisLocks(client, ns)
        locks.on_error = metrics.redis_error
        if not configured_salt:
            log.error(
                "ANTIFRAUD_REDIS_URL is set but ANTIFRAUD_SMS_SALT is not: every process must key numbers the same "
                "way, so the SMS webhooks answer 503 until the salt is set"
            )

        def store(kind: str, ttl: int, codec: object, per_owner: int | None = None) -> RedisStore[object]:
            return RedisStore(client, ns, kind, ttl, codec, per_owner, metrics.redis_error)  # type: ignore[arg-type]

        return SharedState(
            settings,
            client,
            store("session", settings.session_ttl_seconds, SESSION_CODEC, settings.session_max_per_client),  # type: ignore[arg-type]
            store("sms-session", settings.sms_session_ttl_seconds, SMS_STATE_CODEC),  # type: ignore[arg-type]
            store("opt-out", SMS_OPT_OUT_SECONDS, FLAG_CODEC),  # type: ignore[arg-type]
            store("sms-reply", SMS_REPLY_CACHE_SECONDS, SMS_REPLY_CODEC),  # type: ignore[arg-type]
            locks,
            configured_salt or None,
            limits,
            _insights(settings, RedisBackend(client, ns, settings.insights_days)),
            pool,
            folder,
        )
    salt = configured_salt
    opt_outs: SessionStore[bool]
    if folder is not None:
        opt_outs = SqliteFlagStore(folder / STATE_FILE, "opt_outs", SMS_OPT_OUT_SECONDS)
        if not salt:
            salt = stored_secret(folder / STATE_FILE, "sms_salt", lambda: secrets.token_bytes(32))
            log.warning(
                "ANTIFRAUD_SMS_SALT is not set: using a salt generated once and kept in %s; set the salt to "
                "move the service (or run several processes) without losing opt-outs",
                folder / STATE_FILE,
            )
    else:
        opt_outs = InMemorySessionStore[bool](SMS_OPT_OUT_SECONDS, SMS_OPT_OUT_MAX)
    return SharedState(
        settings,
        None,
        InMemorySessionStore[SessionState](
            settings.session_ttl_seconds, settings.session_max, per_owner=settings.session_max_per_client
        ),
        InMemorySessionStore[SmsState](settings.sms_session_ttl_seconds, settings.sms_session_max),
        opt_outs,
        InMemorySessionStore[SmsReply](SMS_REPLY_CACHE_SECONDS, SMS_REPLY_CACHE_MAX),
        LocalLocks(),
        salt or None,
        limits,
        _insights(settings, SqliteBackend(folder / STATE_FILE)) if folder is not None else None,
        pool,
        folder,
    )


def _insights(settings: Settings, backend: RedisBackend | SqliteBackend) -> Insights | None:
    if not settings.insights and not settings.review_queue:
        return None
    return Insights(
        backend,
        keep_days=settings.insights_days,
        review=settings.review_queue,
        review_days=settings.review_days,
        review_max=settings.review_max,
        on_error=metrics.redis_error,
    )
