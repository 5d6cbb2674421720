"""Where conversations live between messages: a store keyed by random, unguessable session ids.

The in-memory store suits one process; bot/channels/store.py implements the `SessionStore` protocol in Redis
for several. Sessions expire after a quiet period, and eviction is fair: an owner (a client address)
holds at most `per_owner` sessions (its own oldest go first), and at the global cap the owner holding
the most loses its oldest, so a flood from one client cannot push out everyone else's conversation.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol, TypeVar

T = TypeVar("T")

# token_urlsafe(24) gives 32 characters; accept a little either side, nothing else.
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_session_id() -> str:
    """192 random bits, URL-safe: never derived from anything a client sent."""
    return secrets.token_urlsafe(24)


def is_valid_session_id(value: str) -> bool:
    return _SESSION_ID.fullmatch(value) is not None


class SessionStore(Protocol[T]):
    """What the channels need of a store; `owner` (e.g. a hashed client address) bounds how many
    entries one client may hold. Shared stores raise bot.channels.store.StateUnavailable when unreachable."""

    def get(self, session_id: str) -> T | None: ...

    def put(self, session_id: str, state: T, owner: str | None = None) -> None: ...

    def delete(self, session_id: str) -> None: ...


class InMemorySessionStore(SessionStore[T]):
    """A thread-safe LRU map whose entries expire `ttl_seconds` after their last use, evicted fairly."""

    def __init__(
        self,
        ttl_seconds: float,
        max_sessions: int,
        clock: Callable[[], float] = time.monotonic,
        per_owner: int | None = None,
    ) -> None:
        if ttl_seconds <= 0 or max_sessions < 1 or (per_owner is not None and per_owner < 1):
            raise ValueError("ttl_seconds must be positive, max_sessions and per_owner at least 1")
        self._ttl = ttl_seconds
        self._max = max_sessions
        self._per_owner = per_owner
        self._clock = clock
        self._lock = threading.Lock()
        self._items: OrderedDict[str, tuple[float, T]] = OrderedDict()  # oldest use first
        self._owner_of: dict[str, str] = {}
        self._owned: dict[str, OrderedDict[str, None]] = {}  # owner -> its sessions, oldest put first

    def get(self, session_id: str) -> T | None:
        with self._lock:
            now = self._clock()
            item = self._items.get(session_id)
            if item is None:
                return None
            if now - item[0] >= self._ttl:
                self._drop(session_id)
                return None
            self._items[session_id] = (now, item[1])
            self._items.move_to_end(session_id)
            return item[1]

    def put(self, session_id: str, state: T, owner: str | None = None) -> None:
        with self._lock:
            now = self._clock()
            self._items[session_id] = (now, state)
            self._items.move_to_end(session_id)
            if owner is not None and self._owner_of.get(session_id) != owner:
                self._disown(session_id)
                self._owner_of[session_id] = owner
                owned = self._owned.setdefault(owner, OrderedDict())
                owned[session_id] = None
                while self._per_owner is not None and len(owned) > self._per_owner:
                    self._drop(next(iter(owned)))
            self._evict(now)

    def delete(self, session_id: str) -> None:
        with self._lock:
            self._drop(session_id)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def _drop(self, session_id: str) -> None:
        self._items.pop(session_id, None)
        self._disown(session_id)

    def _disown(self, session_id: str) -> None:
        owner = self._owner_of.pop(session_id, None)
        if owner is None:
            return
        owned = self._owned[owner]
        owned.pop(session_id, None)
        if not owned:
            del self._owned[owner]

    def _evict(self, now: float) -> None:
        """Drop expired sessions (they are at the front, oldest use first); then, beyond the cap, the
        oldest of whichever owner holds the most, or the least recently used when no owner stands out."""
        while self._items:
            oldest_id, (used, _) = next(iter(self._items.items()))
            if now - used < self._ttl:
                break
            self._drop(oldest_id)
        while len(self._items) > self._max:
            victim = next(iter(self._items))
            if self._owned:
                largest = max(self._owned.values(), key=len)
                if len(largest) > 1 and len(largest) * len(self._owned) > len(self._items):
                    victim = next(iter(largest))  # holds more than an equal share: pays for the space
            self._drop(victim)


class Locks(Protocol):
    """One key's work at a time (a gateway's retry waits for the first answer), across whatever
    processes share the lock (bot/channels/store.py's RedisLocks for several)."""

    def hold(self, key: str) -> contextlib.AbstractContextManager[object]: ...


class LocalLocks:
    """Striped thread locks: enough for one process; different keys mostly take different locks."""

    def __init__(self, stripes: int = 64) -> None:
        self._locks = tuple(threading.Lock() for _ in range(stripes))

    def hold(self, key: str) -> contextlib.AbstractContextManager[object]:
        index = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big") % len(self._locks)
        return self._locks[index]
