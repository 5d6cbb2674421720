"""Where conversations live between messages: a store keyed by random, unguessable session ids.

The in-memory store suits one process; the `SessionStore` protocol is what a shared store
(Redis, a database) would implement for several. Sessions expire after a quiet period and the
least recently used go first when the cap is reached, so memory stays bounded whatever clients do.
"""

from __future__ import annotations

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
    def get(self, session_id: str) -> T | None: ...

    def put(self, session_id: str, state: T) -> None: ...

    def delete(self, session_id: str) -> None: ...


class InMemorySessionStore(SessionStore[T]):
    """A thread-safe LRU map whose entries expire `ttl_seconds` after their last use."""

    def __init__(self, ttl_seconds: float, max_sessions: int, clock: Callable[[], float] = time.monotonic) -> None:
        if ttl_seconds <= 0 or max_sessions < 1:
            raise ValueError("ttl_seconds must be positive and max_sessions at least 1")
        self._ttl = ttl_seconds
        self._max = max_sessions
        self._clock = clock
        self._lock = threading.Lock()
        self._items: OrderedDict[str, tuple[float, T]] = OrderedDict()  # oldest use first

    def get(self, session_id: str) -> T | None:
        with self._lock:
            now = self._clock()
            item = self._items.get(session_id)
            if item is None:
                return None
            if now - item[0] >= self._ttl:
                del self._items[session_id]
                return None
            self._items[session_id] = (now, item[1])
            self._items.move_to_end(session_id)
            return item[1]

    def put(self, session_id: str, state: T) -> None:
        with self._lock:
            now = self._clock()
            self._items[session_id] = (now, state)
            self._items.move_to_end(session_id)
            self._evict(now)

    def delete(self, session_id: str) -> None:
        with self._lock:
            self._items.pop(session_id, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def _evict(self, now: float) -> None:
        """Drop expired sessions (they are at the front, oldest use first), then any beyond the cap."""
        while self._items:
            oldest_id, (used, _) = next(iter(self._items.items()))
            if now - used < self._ttl and len(self._items) <= self._max:
                break
            del self._items[oldest_id]
