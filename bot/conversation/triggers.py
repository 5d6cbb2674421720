"""Which of a few dozen regexes could match a message, found in one pass instead of a search each.

The dialogue tries its intent, harm and question patterns (some 150) on every message, and most
match nothing: a Python call and a regex search per pattern was a fifth of a chat turn's own time.
Every match of a pattern contains one literal of its anchor set (bot/engine/prefilter.py, the
engine's own prefilter); one Aho-Corasick pass over the message finds the anchors present, and
only their patterns are searched. A pattern without an anchor is always searched.
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick

from bot.engine.patterns import LazyPattern
from bot.engine.prefilter import required_literal_sets


class Triggers:
    """Built once from the patterns' sources; `possible` is then a pure function, safe from many threads."""

    def __init__(self, sources: Iterable[str]) -> None:
        owners: dict[str, list[int]] = {}
        always: list[int] = []
        for index, source in enumerate(sources):
            sets = required_literal_sets(source)
            if sets is None:
                always.append(index)
                continue
            for literal in sets[0]:
                owners.setdefault(literal, []).append(index)
        self._always = frozenset(always)
        self._automaton: ahocorasick.Automaton | None = None
        if owners:
            self._automaton = ahocorasick.Automaton()
            for literal, indices in owners.items():
                self._automaton.add_word(literal, tuple(indices))
            self._automaton.make_automaton()

    def possible(self, text: str) -> frozenset[int]:
        """The indices of the patterns that may match `text`; every other one cannot."""
        if self._automaton is None:
            return self._always
        found = {index for _, indices in self._automaton.iter(text) for index in indices}
        return self._always.union(found) if found else self._always


class Markers:
    """Cue patterns of which any one match is enough ("is it a question?"), compiled when first used and searched
    only where their anchor occurs; empty: nothing matches."""

    def __init__(self, sources: Iterable[str]) -> None:
        self._patterns = [LazyPattern(source) for source in sources]
        self._triggers = Triggers(pattern.source for pattern in self._patterns)

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def search(self, text: str) -> bool:
        """Whether any of the patterns matches `text`."""
        return any(self._patterns[index].search(text) for index in sorted(self._triggers.possible(text)))
