"""Pure functions of the knowledge remembered, in the process and across starts (issue 13).

Building an engine repeats the same pure work at every start: deriving ~650 regex prefilters,
folding ~13,000 library keywords, lines and terms, and folding the whole CJK range through OpenCC
for the normaliser's table; together most of a second. Each such function keeps its results in a
`Memo` keyed by its inputs (a pattern's source, a text and the normaliser's settings), so a second
engine in the same process reuses them, and `bot.library.cache` stores the entries one engine
build used beside the compiled library (`recording`) and loads them back at the next start
(`preload`). A result is always what the function would compute: a key holds every input, and the
cache's key holds the code that computes them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

V = TypeVar("V")

_MAX_ENTRIES = 500_000  # per memo: past this (many different libraries in one process), start again
_MEMOS: dict[str, Memo[Any]] = {}
_recording: dict[str, dict[Hashable, Any]] | None = None
# Only the thread that records: a request served meanwhile (a reload while serving) folds a citizen's message
# through the same memo, and that must never reach the cache file.
_recording_thread: int | None = None
_recording_lock = threading.Lock()


class Memo(Generic[V]):
    """One pure function's results by key. Safe across threads: two computing the same key at once
    both store the same value."""

    __slots__ = ("_values", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._values: dict[Hashable, V] = {}
        _MEMOS[name] = self  # a module imported again (reloaded) replaces its memo

    def get(self, key: Hashable, compute: Callable[[], V], keep: bool = True) -> V:
        """The remembered value, else `compute()`, remembered unless `keep` is false (and no engine
        build is being recorded): a function also called on citizens' messages keeps only the
        library's own texts."""
        values = self._values
        try:
            value = values[key]
        except KeyError:
            value = compute()
            if keep or (_recording is not None and _recording_thread == threading.get_ident()):
                if len(values) >= _MAX_ENTRIES:
                    values.clear()
                values[key] = value
        if _recording is not None and _recording_thread == threading.get_ident():
            _recording.setdefault(self.name, {})[key] = value
        return value

    def put(self, key: Hashable, value: V) -> None:
        """Remember a value worked out elsewhere (by a helper process), as `get` would have."""
        self.get(key, lambda: value)

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._values


@contextmanager
def recording() -> Iterator[dict[str, dict[Hashable, Any]]]:
    """Collect every entry read or computed inside the block by this thread (one engine build), by memo name."""
    global _recording, _recording_thread
    with _recording_lock:
        entries: dict[str, dict[Hashable, Any]] = {}
        _recording, _recording_thread = entries, threading.get_ident()
        try:
            yield entries
        finally:
            _recording, _recording_thread = None, None


def preload(entries: dict[str, dict[Hashable, Any]]) -> None:
    """Entries recorded by an earlier start; those of memos this code no longer has are ignored."""
    for name, values in entries.items():
        memo = _MEMOS.get(name)
        if memo is not None:
            memo._values.update(values)
