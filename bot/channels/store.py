"""Where state lives between requests when there may be more than one process: Redis, or this process.

Every store here speaks the `SessionStore` protocol (bot/channels/sessions.py): get, put (with an optional
owner, for fair eviction) and delete, each entry expiring `ttl` seconds after its last use. The
embedded default is the in-memory LRU of bot/channels/sessions.py, plus `SqliteFlagStore` for what must
survive a restart of a single process (SMS opt-outs). With `ANTIFRAUD_REDIS_URL` set, `RedisStore`
keeps the same entries in Redis under `<namespace>:<kind>:<sha256 of the key>`, so a conversation
may hit a different worker or machine at every turn.

Values go to Redis as JSON through a `Codec`, never as pickles: a pickle from a shared store is code
whoever can write that store could make this process run. A Redis failure raises `StateUnavailable`
(after counting it): the routes turn that into a clear 503 rather than a hang or a crash, and the
next call simply tries again, so the service is back to normal as soon as Redis is.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from bot.channels.sms import SmsReply, SmsState
from bot.conversation.dialogue import Phase, SessionState

if TYPE_CHECKING:  # redis is imported when a Redis URL is set: 85 ms of start-up otherwise
    import redis

log = logging.getLogger(__name__)

T = TypeVar("T")


class StateUnavailable(Exception):
    """The shared store could not be reached; the request should fail clearly and be retried later."""


# Called with the operation's name whenever Redis fails (the metrics module counts them).
ErrorHook = Callable[[str], None]


def _no_hook(_: str) -> None:
    return None


# --- codecs ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Codec(Generic[T]):
    """How one kind of value is written to a shared store and read back."""

    encode: Callable[[T], str]
    decode: Callable[[str], T]


def _session_dict(state: SessionState) -> dict[str, Any]:
    return {
        "phase": str(state.phase),
        "lang": state.lang,
        "turns": list(state.turns),
        "confirmed": list(state.confirmed),
        "asked": list(state.asked),
        "pending": state.pending,
        "region": state.region,
        "script": state.script,
        "harms": list(state.harms),
    }


def _session_from(data: dict[str, Any]) -> SessionState:
    return SessionState(
        phase=Phase(data["phase"]),
        lang=data.get("lang"),
        turns=tuple(data.get("turns", ())),
        confirmed=tuple(data.get("confirmed", ())),
        asked=tuple(data.get("asked", ())),
        pending=data.get("pending"),
        region=data.get("region"),
        script=data.get("script"),
        harms=tuple(data.get("harms", ())),
    )


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _sms_state_json(state: SmsState) -> str:
    return _dumps({"dialogue": _session_dict(state.dialogue), "lang": state.lang, "signs": list(state.warning_signs)})


def _sms_state_from(raw: str) -> SmsState:
    data = json.loads(raw)
    return SmsState(_session_from(data["dialogue"]), data["lang"], tuple(data.get("signs", ())))


def _sms_reply_json(reply: SmsReply) -> str:
    return _dumps(
        {
            "parts": list(reply.parts),
            "kind": reply.kind,
            "lang": reply.lang,
            "risk": reply.risk,
            "type": reply.scam_type,
        }
    )


def _sms_reply_from(raw: str) -> SmsReply:
    data = json.loads(raw)
    return SmsReply(tuple(data["parts"]), data["kind"], data["lang"], data.get("risk"), data.get("type"))


SESSION_CODEC: Codec[SessionState] = Codec(
    lambda state: _dumps(_session_dict(state)), lambda raw: _session_from(json.loads(raw))
)
SMS_STATE_CODEC: Codec[SmsState] = Codec(_sms_state_json, _sms_state_from)
SMS_REPLY_CODEC: Codec[SmsReply] = Codec(_sms_reply_json, _sms_reply_from)
FLAG_CODEC: Codec[bool] = Codec(lambda value: "1" if value else "0", lambda raw: raw == "1")


# --- Redis -------------------------------------------------------------------------------------------


def redis_error() -> type[Exception]:
    """redis' base error, for `except` clauses that only Redis-backed code reaches."""
    import redis

    return redis.RedisError


def fail_fast(timeout_ms: int) -> dict[str, Any]:
    """Connection options under which every Redis call fails within `timeout_ms` and is never
    retried behind our back: a request that cannot reach Redis must say so quickly, not wait out a
    backoff. Shared by the session store and the rate limiter's storage."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    seconds = timeout_ms / 1000
    return {"socket_timeout": seconds, "socket_connect_timeout": seconds, "retry": Retry(NoBackoff(), 0)}


def redis_client(url: str, timeout_ms: int) -> redis.Redis:
    """A client with the `fail_fast` options."""
    import redis

    return redis.Redis.from_url(url, health_check_interval=30, decode_responses=True, **fail_fast(timeout_ms))


def hashed(key: str) -> str:
    """Keys go to Redis hashed: whoever reads Redis learns no session id or number key to reuse."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


class RedisStore(Generic[T]):
    """`SessionStore` in Redis: one key per entry with its TTL refreshed on use; with an owner, at
    most `per_owner` entries each (the owner's oldest go first), so one client cannot crowd out others."""

    def __init__(
        self,
        client: redis.Redis,
        namespace: str,
        kind: str,
        ttl_seconds: int,
        codec: Codec[T],
        per_owner: int | None = None,
        on_error: ErrorHook = _no_hook,
    ) -> None:
        self._client = client
        self._prefix = f"{namespace}:{kind}:"
        self._owners = f"{namespace}:{kind}-owner:"
        self._ttl = ttl_seconds
        self._codec = codec
        self._per_owner = per_owner
        self._on_error = on_error
        self.kind = kind

    def key(self, entry: str) -> str:
        return self._prefix + hashed(entry)

    def get(self, session_id: str) -> T | None:
        with self._failures("get"):
            raw = self._client.getex(self.key(session_id), ex=self._ttl)
        return None if raw is None else self._codec.decode(str(raw))

    def put(self, session_id: str, state: T, owner: str | None = None) -> None:
        key = self.key(session_id)
        with self._failures("put"):
            if owner is None or self._per_owner is None:
                self._client.set(key, self._codec.encode(state), ex=self._ttl)
                return
            owned = self._owners + hashed(owner)
            now = time.time()
            pipe = self._client.pipeline(transaction=False)
            pipe.set(key, self._codec.encode(state), ex=self._ttl)
            pipe.zadd(owned, {key: now})
            pipe.zremrangebyscore(owned, "-inf", now - self._ttl)
            pipe.expire(owned, self._ttl)
            pipe.zcard(owned)
            count = int(pipe.execute()[-1])
            if count > self._per_owner:
                oldest = cast(list[tuple[str, float]], self._client.zpopmin(owned, count - self._per_owner))
                stale = [str(member) for member, _ in oldest if member != key]
                if stale:
                    self._client.delete(*stale)

    def delete(self, session_id: str) -> None:
        with self._failures("delete"):
            self._client.delete(self.key(session_id))

    @contextlib.contextmanager
    def _failures(self, operation: str) -> Iterator[None]:
        try:
            yield
        except redis_error() as exc:
            self._on_error(f"{self.kind}.{operation}")
            log.warning("redis %s.%s failed: %s", self.kind, operation, type(exc).__name__)
            raise StateUnavailable(str(exc)) from exc


# --- serialising one sender's messages ----------------------------------------------------------------


class RedisLocks:
    """A Redis lock per key (expiring, so a crashed holder cannot block a number for long)."""

    def __init__(self, client: redis.Redis, namespace: str, hold_seconds: float = 30, wait_seconds: float = 10) -> None:
        self._client = client
        self._prefix = f"{namespace}:lock:"
        self._hold = hold_seconds
        self._wait = wait_seconds
        self.on_error: ErrorHook = _no_hook

    @contextlib.contextmanager
    def hold(self, key: str) -> Iterator[object]:
        lock = self._client.lock(
            self._prefix + hashed(key), timeout=self._hold, blocking_timeout=self._wait, sleep=0.02
        )
        try:
            acquired = lock.acquire()
        except redis_error() as exc:
            self.on_error("lock.acquire")
            raise StateUnavailable(str(exc)) from exc
        if not acquired:
            raise StateUnavailable("another process is still answering this number")
        try:
            yield None
        finally:
            with contextlib.suppress(redis_error()):
                lock.release()


# --- SQLite, for one process that must remember across restarts ----------------------------------------


class SqliteFlagStore:
    """`SessionStore[bool]` in a SQLite file: SMS opt-outs of a single process outlive a restart.

    An entry lasts `ttl_seconds` after its last use, as in memory; expired rows are purged now and then."""

    def __init__(self, path: Path, table: str, ttl_seconds: float, clock: Callable[[], float] = time.time) -> None:
        if not table.isidentifier():
            raise ValueError(f"bad table name {table!r}")
        self._db = open_sqlite(path)
        self._table = table
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._writes = 0
        with self._lock, self._db:
            self._db.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, expires REAL NOT NULL)")

    def get(self, session_id: str) -> bool | None:
        now = self._clock()
        with self._lock, self._db:
            row = self._db.execute(f"SELECT expires FROM {self._table} WHERE key = ?", (session_id,)).fetchone()
            if row is None:
                return None
            if row[0] <= now:
                self._db.execute(f"DELETE FROM {self._table} WHERE key = ?", (session_id,))
                return None
            self._db.execute(f"UPDATE {self._table} SET expires = ? WHERE key = ?", (now + self._ttl, session_id))
            return True

    def put(self, session_id: str, state: bool, owner: str | None = None) -> None:
        if not state:
            self.delete(session_id)
            return
        now = self._clock()
        with self._lock, self._db:
            self._db.execute(
                f"INSERT INTO {self._table} (key, expires) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET expires = excluded.expires",
                (session_id, now + self._ttl),
            )
            self._writes += 1
            if self._writes % 1000 == 0:
                self._db.execute(f"DELETE FROM {self._table} WHERE expires <= ?", (now,))

    def delete(self, session_id: str) -> None:
        with self._lock, self._db:
            self._db.execute(f"DELETE FROM {self._table} WHERE key = ?", (session_id,))


def open_sqlite(path: Path) -> sqlite3.Connection:
    """A connection shared by worker threads (callers lock), in WAL mode, in a private folder."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=False, timeout=5, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.isolation_level = "DEFERRED"  # back to implicit transactions, committed by `with db:`
    return db


def stored_secret(db_path: Path, name: str, make: Callable[[], bytes]) -> bytes:
    """A secret generated once and kept in the state file (e.g. the SMS salt when none is configured)."""
    db = open_sqlite(db_path)
    try:
        with db:
            db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL)")
            db.execute("INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)", (name, make()))
            row = db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return bytes(row[0])
    finally:
        db.close()
