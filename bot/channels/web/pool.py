"""Engine work runs on a small pool of worker threads, never on the event loop, behind a bounded queue.

Recognising a message is CPU work (about half a millisecond, up to the engine's time budget for a
long one). Run inside an async handler it would stop the event loop: nothing else, not even
/healthz, is answered meanwhile. So every route that calls the engine or the dialogue hands the
call to `EnginePool.run`, which runs it on one of the pool's own `workers` threads. Requests beyond
the workers wait, up to `queue` of them; past that the service is overloaded, and a quick 503 with
Retry-After is kinder than a reply that comes after the citizen's gateway has given up.

Worker threads still share the GIL with the event loop, but CPython hands it over every switch
interval (5 ms), so the loop keeps answering while workers run.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from bot.channels.web.errors import ApiError

T = TypeVar("T")

RETRY_AFTER_SECONDS = 1


class EnginePool:
    """At most `workers` engine calls at once and `queue` more waiting; beyond that, 503 busy.

    The calls go to this pool's own threads through the event loop's `run_in_executor`, in a copy of
    the request's context (its request id for the log): anyio's `to_thread.run_sync` did the same with
    a capacity limiter and cancel scopes around it, about twice the event loop's time per call."""

    def __init__(self, workers: int, queue: int) -> None:
        self.workers = workers
        self.queue = queue
        # Threads start on first use; they end when the pool is collected (ThreadPoolExecutor's own rule).
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="engine")
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
        call = functools.partial(contextvars.copy_context().run, function, *args)
        future = asyncio.get_running_loop().run_in_executor(self._executor, call)
        self.in_flight += 1
        future.add_done_callback(self._done)
        # Shielded: a request given up on still holds its place until its work has finished.
        return await asyncio.shield(future)

    def _done(self, _: object) -> None:
        self.in_flight -= 1
