"""Fuzzy matching of the message against scammer lines and manual rebuttals.

A character-bigram (Chinese) and word (English) inverted index picks the few library lines that
share enough of the message's vocabulary; only those are scored with rapidfuzz, so the cost per
message stays nearly flat as the library grows. Scores use `partial_ratio` on the folded text
with `processor=None` (NFKC and case folding are already done, see DESIGN.md).
"""

from __future__ import annotations

import operator
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain, filterfalse
from typing import Literal

from rapidfuzz import fuzz

from bot.engine.normalise import NormalisedText, PatternFolder
from bot.library.loader import Library
from bot.library.schema import FuzzySettings, Rebuttal, ScriptLine, Stage

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]{2,}")
_WORD = re.compile(r"[a-z][a-z']{2,}")
# Words too common to tell lines apart; they are not indexed.
_STOPWORDS = frozenset(
    [
        "the",
        "and",
        "you",
        "your",
        "for",
        "are",
        "this",
        "that",
        "with",
        "have",
        "has",
        "will",
        "can",
        "not",
        "from",
        "our",
        "was",
        "were",
        "been",
        "they",
        "them",
        "their",
        "there",
        "what",
        "when",
        "which",
        "who",
        "would",
        "could",
        "should",
        "about",
        "into",
        "just",
        "only",
        "also",
        "then",
        "than",
        "its",
        "it's",
        "please",
        "we'll",
        "you're",
        "i'm",
        "don't",
        "let",
    ]
)
# Long messages are scored window by window so rapidfuzz never aligns against megabytes.
_WINDOW = 400
_STEP = 300


def grams(text: str) -> set[str]:
    """Chinese character bigrams and English content words of a folded text."""
    found: set[str] = set()
    for run in _CJK_RUN.findall(text):
        found.update(map(operator.add, run, run[1:]))
    found.update(filterfalse(_STOPWORDS.__contains__, _WORD.findall(text)))
    return found


@dataclass(frozen=True, slots=True)
class LibraryLine:
    type_id: str
    kind: Literal["script_line", "rebuttal"]
    entry: str  # "fake_authority.rebuttals.foreign_number"
    lang: str
    text: str  # folded
    stage: Stage
    grams: frozenset[str]
    rebuttal: Rebuttal | None
    retold_needs_company: bool = False  # the line layer's reading counts only beside another sign (ScriptLine)


@dataclass(frozen=True, slots=True)
class LineMatch:
    line: LibraryLine
    score: float  # 0-100
    start: int  # folded-text span of the message
    end: int


class FuzzyMatcher:
    def __init__(self, library: Library, normaliser: PatternFolder) -> None:
        self.settings: FuzzySettings = library.settings.fuzzy
        lines: list[LibraryLine] = []
        grams_of: dict[str, frozenset[str]] = {}  # one set per distinct text: lines repeat across types
        for scam_type in library.types:
            sources: list[tuple[Literal["script_line", "rebuttal"], str, ScriptLine | Rebuttal, dict[str, list[str]]]]
            sources = [("script_line", f"lines.{x.id}", x, x.text) for x in scam_type.lines]
            sources += [("rebuttal", f"rebuttals.{x.id}", x, x.answer) for x in scam_type.rebuttals]
            for kind, entry, source, texts_by_lang in sources:
                rebuttal = source if isinstance(source, Rebuttal) else None
                needs_company = isinstance(source, ScriptLine) and source.retold_needs_company
                for lang, texts in texts_by_lang.items():
                    for text in texts:
                        folded = normaliser.fold_pattern(text)
                        line_grams = grams_of.get(folded)
                        if line_grams is None:
                            line_grams = grams_of[folded] = frozenset(grams(folded))
                        lines.append(
                            LibraryLine(
                                scam_type.id,
                                kind,
                                f"{scam_type.id}.{entry}",
                                lang,
                                folded,
                                source.stage,
                                line_grams,
                                rebuttal,
                                needs_company,
                            )
                        )
        # Each entry's first wording, whatever its length: what the line layer's evidence refers to.
        self.entries: dict[str, LibraryLine] = {}
        for library_line in lines:
            self.entries.setdefault(library_line.entry, library_line)
        self.lines = tuple(line for line in lines if len(line.grams) >= self.settings.min_shared_grams)
        self._sizes = [len(line.grams) for line in self.lines]  # read for every line a message shares a gram with
        document_frequency: Counter[str] = Counter(gram for line in self.lines for gram in line.grams)
        # A gram in more than 2.5% of lines (and in more than a handful) tells little: leave it out.
        limit = max(8, len(self.lines) // 40)
        self._postings: dict[str, list[int]] = {}
        for index, library_line in enumerate(self.lines):
            for gram in library_line.grams:
                if document_frequency[gram] <= limit:
                    self._postings.setdefault(gram, []).append(index)

    def _windows(self, text: str) -> Iterable[tuple[int, str]]:
        if len(text) <= _WINDOW + _STEP:
            yield 0, text
            return
        for start in range(0, len(text) - _STEP, _STEP):
            yield start, text[start : start + _WINDOW]

    def match(self, normalised: NormalisedText) -> list[LineMatch]:
        """The best match of each library entry whose lines clear the score cut-off."""
        settings = self.settings
        min_shared, sizes, postings = settings.min_shared_grams, self._sizes, self._postings
        best: dict[str, LineMatch] = {}
        for offset, window in self._windows(normalised.text):
            said = [posting for posting in map(postings.get, grams(window)) if posting]  # (none is empty)
            if len(said) < min_shared:
                continue  # a line is in a gram's postings once: no line can share `min_shared` of fewer grams
            shared = Counter(chain.from_iterable(said))
            candidates = [index for index, count in shared.items() if count >= min_shared and count * 4 >= sizes[index]]
            # Ties by the line's place in the library: `grams` is a set, whose order (and so the
            # counter's) changes with the process's string hashing, and a verdict must not.
            candidates.sort(key=lambda index: (-shared[index] / sizes[index], index))
            for index in candidates[: settings.max_candidates]:
                line = self.lines[index]
                found = self._align(line, window, settings.min_score, shared[index])
                if found is None:
                    continue
                score, start, end = found
                current = best.get(line.entry)
                if current is None or score > current.score:
                    best[line.entry] = LineMatch(line, score, offset + start, offset + end)
        return sorted(best.values(), key=lambda match: (-match.score, match.line.entry))

    @staticmethod
    def _align(line: LibraryLine, window: str, cutoff: float, shared: int) -> tuple[float, int, int] | None:
        if len(window) * 10 < len(line.text) * 8:
            # The message is much shorter than the line: partial_ratio would find the message
            # inside the line and score it 100, so compare the whole of both instead.
            score = fuzz.ratio(line.text, window, processor=None, score_cutoff=cutoff)
            return (score, 0, len(window)) if score else None
        alignment = fuzz.partial_ratio_alignment(line.text, window, processor=None, score_cutoff=cutoff)
        if alignment is not None and alignment.score >= cutoff:
            return alignment.score, *_whole_words(window, alignment.dest_start, alignment.dest_end)
        # Citizens retell a line in another order ("the number is the serial number, not a phone
        # number"): when most of the line's n-grams sit close together, that is a match too.
        coverage = 100.0 * shared / len(line.grams)
        if coverage < cutoff or len(window) > 3 * len(line.text):
            return None
        positions = [i for i in range(len(window) - 1) if window[i : i + 2] in line.grams]
        positions += [m.start() for m in _WORD.finditer(window) if m.group(0) in line.grams]
        start, end = min(positions, default=0), max(positions, default=len(window) - 2) + 2
        return coverage, *_whole_words(window, start, end)


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span so it neither starts nor ends inside an English word."""
    while start > 0 and text[start - 1].isascii() and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end].isascii() and text[end].isalnum() and text[end - 1].isalnum():
        end += 1
    while start < end and text[start] == " ":
        start += 1
    while end > start and text[end - 1] == " ":
        end -= 1
    return start, end
