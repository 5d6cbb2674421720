"""Concept-level matching: rules, scammer lines and rebuttals written as sets of concepts.

A concept (scripts_library/concepts.yaml) is one thing scammers say and every way of saying it:
*terminal code* = 终端序列号 / 系统编号 / 内网号码 / "the system's code". A concept set such as
[foreign_number, system_code] matches when each of its concepts is said within a window of the
message, in any order and any wording, so a line retold in the citizen's own words still matches,
and the evidence is the citizen's words for each concept (spaCy's Matcher over a custom attribute,
SpamAssassin's meta rules over sub-rules).

The terms ride in the rule matcher's Aho-Corasick automaton; this module only checks proximity,
and only for the concept sets whose rarest concept was said at all.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from bot.engine.normalise import PatternFolder
from bot.library.loader import Library
from bot.library.schema import Concept, Rule


class ConceptOccurrence(NamedTuple):
    """A concept said in the message (a tuple: a long paste says thousands, each made in C)."""

    concept: int  # index into ConceptIndex.concepts
    start: int  # folded-text span
    end: int


@dataclass(frozen=True, slots=True)
class _Pattern:
    ref_index: int  # the RuleRef this set belongs to
    concepts: tuple[int, ...]
    within: int | None  # None: the library's window for the message's language
    needs: frozenset[int]  # `concepts` as a set: checked against those said in one operation


class ConceptIndex:
    """Built once from the library; `find` is a pure function of the concept occurrences."""

    def __init__(self, library: Library, normaliser: PatternFolder, rules: Iterable[tuple[int, Rule]]) -> None:
        self.concepts: tuple[Concept, ...] = library.concepts
        self._ids = {concept.id: index for index, concept in enumerate(self.concepts)}
        self._terms: list[tuple[str, int]] = []
        for index, concept in enumerate(self.concepts):
            for terms in concept.terms.values():
                for term in terms:
                    folded = normaliser.fold_pattern(term)
                    if folded:
                        self._terms.append((folded, index))
        # "signal.url" -> the concepts a hit of that signal also says
        self.by_signal: dict[str, tuple[int, ...]] = {}
        for index, concept in enumerate(self.concepts):
            for signal_id in concept.signals:
                entry = f"signal.{signal_id}"
                self.by_signal[entry] = (*self.by_signal.get(entry, ()), index)
        self._windows = dict(library.settings.concept_window)
        self._default_window = max(self._windows.values(), default=40)
        # Each pattern is filed under its first concept: only patterns whose first concept was
        # said are looked at.
        self._by_first: dict[int, list[_Pattern]] = {}
        for ref_index, rule in rules:
            for concept_set in rule.concepts:
                indexes = tuple(dict.fromkeys(self._ids[c] for c in concept_set if c in self._ids))
                if len(indexes) != len(concept_set):
                    continue  # an unknown concept: lint reports it, the pattern never fires
                pattern = _Pattern(ref_index, indexes, rule.within, frozenset(indexes))
                self._by_first.setdefault(indexes[0], []).append(pattern)

    def index_of(self, concept_id: str) -> int:
        """The index of a concept by its id (the lint has checked every reference)."""
        return self._ids[concept_id]

    def terms(self) -> list[tuple[str, int]]:
        """(folded term, concept index) pairs for the matcher's automaton."""
        return list(self._terms)

    def concept_id(self, index: int) -> str:
        return self.concepts[index].id

    def find(
        self, occurrences: list[ConceptOccurrence], lang: str
    ) -> Iterator[tuple[int, int, int, tuple[ConceptOccurrence, ...]]]:
        """(ref index, start, end, the occurrences used) for every concept set said close together;
        at most one match per rule."""
        by_concept: dict[int, list[ConceptOccurrence]] = {}
        for occurrence in sorted(occurrences, key=lambda o: o.start):
            by_concept.setdefault(occurrence.concept, []).append(occurrence)
        starts = {concept: [o.start for o in found] for concept, found in by_concept.items()}
        fired: set[int] = set()
        said = frozenset(by_concept)
        default_window = self._windows.get(lang, self._default_window)
        # Rules, lines and rebuttals often share a concept set: each set and window is looked for once.
        closest: dict[tuple[tuple[int, ...], int], tuple[ConceptOccurrence, ...] | None] = {}
        for first in by_concept:
            for pattern in self._by_first.get(first, ()):
                if pattern.ref_index in fired or not pattern.needs <= said:
                    continue
                key = (pattern.concepts, pattern.within or default_window)
                if key in closest:
                    found = closest[key]
                else:
                    found = closest[key] = _closest_set(pattern.concepts, by_concept, starts, key[1])
                if found is not None:
                    fired.add(pattern.ref_index)
                    yield pattern.ref_index, min(o.start for o in found), max(o.end for o in found), found


def _closest_set(
    concepts: tuple[int, ...],
    by_concept: dict[int, list[ConceptOccurrence]],
    starts: dict[int, list[int]],
    window: int,
) -> tuple[ConceptOccurrence, ...] | None:
    """One occurrence of every concept, all within `window` characters, anchored on the rarest; the others
    are placed rarest first, each at its occurrence nearest the anchor. Each is said in words of its own:
    one phrase does not say two concepts ("group chat" is a chat app, not also a "group" of investors)."""
    ordered = sorted(concepts, key=lambda c: len(by_concept[c]))
    anchor_concept = ordered[0]
    for anchor in by_concept[anchor_concept]:
        chosen = [anchor]
        for concept in ordered[1:]:
            found = by_concept[concept]
            i = bisect.bisect_left(starts[concept], anchor.start)
            best: ConceptOccurrence | None = None
            for j, step in ((i - 1, -1), (i, 1)):  # the nearest on each side that overlaps none chosen
                while 0 <= j < len(found) and _overlaps(found[j], chosen):
                    j += step
                if 0 <= j < len(found):
                    candidate = found[j]
                    if best is None or abs(candidate.start - anchor.start) < abs(best.start - anchor.start):
                        best = candidate
            if best is None:
                break
            chosen.append(best)
        else:
            if max(o.end for o in chosen) - min(o.start for o in chosen) <= window:
                return tuple(sorted(chosen, key=lambda o: o.start))
    return None


def _overlaps(occurrence: ConceptOccurrence, chosen: list[ConceptOccurrence]) -> bool:
    return any(occurrence.start < other.end and other.start < occurrence.end for other in chosen)
