"""A per-message time budget, passed down the pipeline, so no message can hold a worker for long.

Python's `re` cannot be interrupted, so the budget is enforced *between* units of work: every
regex is linear (`antifraud validate` pumps them) and runs only in a window around the literal
that triggered it, so one unit is short; the matcher checks the budget before each regex, and the
engine before each later step (fuzzy lines, the learned layer, shown indicators). When it is
spent, the remaining steps are skipped and the verdict says so (`Verdict.partial` and a note):
what was found still counts, and the citizen is told the check was cut short, never that the
message is fine.

The budget is the thread's CPU time, not the wall clock: on a busy machine (a burst of requests,
another process on the same cores) a message waits for the processor without doing more work, and a
wall-clock budget would then cut ordinary messages short at random, so the same message could get a
different verdict under load. The CPU clock is slow to read (a system call), so the cheap wall clock
is read first: CPU time cannot pass faster than wall time, so until the wall clock reaches the
deadline the CPU clock need not be read.

The budget also counts the work done (regex runs and the characters they scanned), which lets
tests bound the work per message without timing anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

DEFAULT_SECONDS = 0.1  # far above a normal message (well under 1 ms) and a 64 KB one (tens of ms)

# Said when the budget ran out; per language, English when the language has no text.
PARTIAL_NOTE = {
    "zh": "这条消息太长或太复杂，只检查了一部分，结果可能漏掉了危险信号。请只发来最可疑的那一段再查一次。",
    "en": "This message was too long or complex to check in full in time: only part of it was checked, so "
    "warning signs may have been missed. Send just the most suspicious part to check it again.",
}


class Budget:
    """Time allowed for one message, and the work done so far. Not shared between threads."""

    __slots__ = ("_clock", "_wall_deadline", "deadline", "exhausted", "regex_chars", "regex_runs", "skipped")

    def __init__(self, seconds: float | None = DEFAULT_SECONDS, clock: Callable[[], float] = time.thread_time) -> None:
        self._clock = clock
        self.deadline = clock() + seconds if seconds is not None else float("inf")
        # Before this wall-clock time the CPU clock cannot have reached `deadline` (only for the real
        # CPU clock: a test's own clock is always read).
        if seconds is None:
            self._wall_deadline = float("inf")
        elif clock is time.thread_time:
            self._wall_deadline = time.perf_counter() + seconds
        else:
            self._wall_deadline = float("-inf")
        self.exhausted = False  # a step was skipped because the time ran out
        self.skipped: list[str] = []  # which steps
        self.regex_runs = 0  # regex searches run for this message
        self.regex_chars = 0  # characters those searches were given

    def spent(self) -> bool:
        """Whether the CPU time has run out (cheap: one wall-clock read until the deadline could have passed)."""
        now = time.perf_counter()
        if now < self._wall_deadline:
            return False
        used = self._clock()
        if used >= self.deadline:
            return True
        if self._clock is time.thread_time:  # time is left: the wall clock cannot use it up before this
            self._wall_deadline = now + (self.deadline - used)
        return False

    def allows(self, step: str) -> bool:
        """True when `step` may run; otherwise records that it was skipped, once."""
        if not self.exhausted and not self.spent():
            return True
        self.exhausted = True
        if step not in self.skipped:
            self.skipped.append(step)
        return False

    @contextmanager
    def not_counting(self) -> Iterator[None]:
        """Work done once for all messages (compiling a regex the first message that needs it meets) is not
        this message's: the time it takes moves the deadline, so the first messages after a start are not
        cut short for it."""
        start = self._clock()
        try:
            yield
        finally:
            taken = self._clock() - start
            self.deadline += taken
            self._wall_deadline += taken

    def count(self, chars: int, runs: int = 1) -> None:
        """`runs` regex searches over `chars` characters in all (a regex's windows are counted at once)."""
        self.regex_runs += runs
        self.regex_chars += chars


def partial_note(lang: str) -> str:
    return PARTIAL_NOTE.get(lang, PARTIAL_NOTE["en"])
