"""Engine work runs on a small pool of worker threads, never on the event loop, behind a bounded queue.

Recognising a message is CPU work (about half a millisecond, up to the engine's time budget for a
long one). Run inside an async handler it would stop the event loop: nothing else, not even
/healthz, is answered meanwhile. So every route that calls the engine or the dialogue hands the
call to `EnginePool.run`, which runs it on one of `workers` threads. Requests beyond the workers
wait, up to `queue` of them; past that the service is overloaded, and a quick 503 with Retry-After
is kinder than a reply that comes after the citizen's gateway has given up.

A plain `concurrent.futures` executor, not anyio's `to_thread`: the hand-over is the cost of every
check, and anyio's (a capacity limiter, a cancel scope, its own worker queue) cost about twice the
executor's on this machine (docs/benchmarks.md). The request's context variables (its request id)
go with the call. A call counts against the bound until its work has really ended: a client that
hangs up does not free a worker that is still busy with its message.

Worker threads still share the GIL with the event loop, but CPython hands it over every switch
interval (5 ms), so the loop keeps answering while workers run.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from bot.channels.web.errors import ApiError

T = TypeVar("T")

RETRY_AFTER_SECONDS = 1


class EnginePool:
    """At most `workers` engine calls at once and `queue` more waiting; beyond that, 503 busy."""

    def __init__(self, workers: int, queue: int) -> None:
        self.workers = workers
        self.queue = queue
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="engine")
        self._lock = threading.Lock()  # `in_flight` goes up on the event loop and down on a worker
        self.in_flight = 0  # running + waiting

    async def run(self, function: Callable[..., T], *args: object) -> T:
        """`function(*args)` on a worker thread; ApiError 503 when the pool and its queue are full."""
        with self._lock:
            if self.in_flight >= self.workers + self.queue:
                raise ApiError(
                    503,
                    "busy",
                    "Too many messages are being checked right now. Please try again in a moment.",
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                )
            self.in_flight += 1
        try:
            future = self._executor.submit(contextvars.copy_context().run, function, *args)
        except BaseException:
            self._finished(None)
            raise
        # Registered before asyncio's own callback, so the count is down when the caller resumes.
        future.add_done_callback(self._finished)
        return await asyncio.wrap_future(future)

    def _finished(self, _: Future[T] | None) -> None:
        with self._lock:
            self.in_flight -= 1
