"""Engine work runs on a small pool of worker threads, never on the event loop, behind a bounded queue.

Recognising a message is CPU work (about half a millisecond, up to the engine's time budget for a
long one). Run inside an async handler it would stop the event loop: nothing else, not even
/healthz, is answered meanwhile. So every route that calls the engine or the dialogue hands the
call to `EnginePool.run`, which runs it on a worker thread (anyio's thread pool, at most `workers`
at once). Requests beyond the workers wait, up to `queue` of them; past that the service is
overloaded, and a quick 503 with Retry-After is kinder than a reply that comes after the
citizen's gateway has given up. A call counts against the bound until its work has really ended:
anyio does not abandon a thread call when the request is cancelled, so a client that hangs up does not
free a worker still busy with its message.

Worker threads still share the GIL with the event loop, but CPython hands it over every switch
interval (5 ms), so the loop keeps answering while workers run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

from bot.channels.web.errors import ApiError

T = TypeVar("T")

RETRY_AFTER_SECONDS = 1


class EnginePool:
    """At most `workers` engine calls at once and `queue` more waiting; beyond that, 503 busy."""

    def __init__(self, workers: int, queue: int) -> None:
        self.workers = workers
        self.queue = queue
        self._limiter: anyio.CapacityLimiter | None = None  # made in the event loop, on first use
        self.in_flight = 0  # running + waiting; only touched on the event loop thread

    async def run(self, function: Callable[..., T], *args: object) -> T:
        """`function(*args)` on a worker thread; ApiError 503 when the pool and its queue are full."""
        if self.in_flight >= self.workers + self.queue:
            raise ApiError(
                503,
                "busy",
                "Too many messages are being checked right now. Please try again in a moment.",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.workers)
        self.in_flight += 1
        try:
            return await anyio.to_thread.run_sync(function, *args, limiter=self._limiter)
        finally:
            self.in_flight -= 1
