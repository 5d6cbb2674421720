"""FAQ search: the citizen's question -> the one FAQ entry that answers it, or none and the nearest topics.

Both languages are searched at once, over each entry's question and every wording. A plain
rapidfuzz partial_ratio or WRatio is not enough on its own: stock phrases ("怎么办", "what should
I do") appear in most wordings and lift any question to 80-90 against all of them. So matching
counts shared *content* units, weighted by how rare they are across the FAQ (IDF): Chinese
character pairs inside runs of content characters, and English words, where rapidfuzz's ratio lets
"caller" meet "call" and a typo meet its word. One shared unit alone is accepted only when it
belongs to a single entry and is the whole question ("96110?"). Below `min_score` the answer is
None, never a guess; the nearest topics are still offered.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain

import ahocorasick
from rapidfuzz import fuzz, process

from bot.engine.normalise import Normaliser
from bot.engine.verdict import Localiser
from bot.library.loader import Library
from bot.library.regions import region_text
from bot.library.schema import FaqEntry, Region

MIN_SCORE = 0.3  # weighted F1 of shared content; paraphrases score 0.3-1.0, unrelated questions below 0.2
SOFT_WORD_MATCH = 80  # rapidfuzz ratio at which two English words count as one ("caller" ~ "call")
MAX_RELATED = 3
SOFTENED_MAX = 20_000  # unknown English words remembered with the FAQ word they are read as

_UNIT = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+|[a-z0-9]+")
# Function characters: a run of Chinese is cut at these, so "我的猫生病了怎么办" keeps only 猫生病 / 办.
_CJK_STOP = re.compile("[的了吗呢吧啊呀哦嗯么怎什是我你您他她它们在有会要能就都也还被把给让说这那个一不没和跟很太可以]")
_STOP_WORDS = (
    "a an the i im me my mine you your yours is are was were be been am do does did done what whats how why when "
    "where who which can could should would will to of in on at for with it its this that these those and or if so "
    "there they them their he she him her his we us our please just s t re ve ll d m don didn doesn isn aren wasn "
    "won haven hasn about from into than then also some any have has had by as up out very really here now"
)
_LATIN_STOP = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True, slots=True)
class FaqResult:
    best: FaqEntry | None  # None: nothing matched well enough to answer
    score: float  # 0-1, the best entry's score (also when it was not good enough)
    related: tuple[FaqEntry, ...]  # up to three other close topics, best first


@dataclass(frozen=True, slots=True)
class FaqAnswer:
    """An entry rendered in one language with the region's numbers filled in."""

    id: str
    question: str
    answer: str


@dataclass(frozen=True, slots=True)
class _Text:
    entry: int
    lang: str
    folded: str
    units: frozenset[str]
    words: tuple[str, ...]  # English units long enough to compare by spelling
    weight: float


class FaqIndex:
    """Built once from the library; `search` is then a pure function, safe from many threads."""

    def __init__(
        self,
        library: Library,
        normaliser: Normaliser,
        min_score: float = MIN_SCORE,
        entries: Sequence[FaqEntry] | None = None,
    ) -> None:
        """`entries`: other entries to search than the library's FAQ (`scam_type_entries`: the scam types)."""
        self._normaliser = normaliser
        self._min_score = min_score
        self._default_language = library.settings.default_language
        self.entries: tuple[FaqEntry, ...] = library.faq if entries is None else tuple(entries)
        raw: list[tuple[int, str, str, frozenset[str]]] = []
        for index, entry in enumerate(self.entries):
            for lang in entry.question:
                for text in (entry.question[lang], *entry.wordings.get(lang, [])):
                    folded = normaliser.fold_pattern(text)
                    raw.append((index, lang, folded, self._units_of(folded)))
        holders: dict[str, set[int]] = defaultdict(set)
        for index, _, _, units in raw:
            for unit in units:
                holders[unit].add(index)
        count = len(self.entries)
        self._idf = {unit: math.log((count + 1) / (len(owners) + 0.5)) for unit, owners in holders.items()}
        self._owners = {unit: len(owners) for unit, owners in holders.items()}
        self._unknown_weight = math.log((count + 1) / 0.5)  # a word the FAQ never uses: as rare as can be
        self._texts = tuple(
            _Text(index, lang, folded, units, _words(units), sum(self._weight(u) for u in units))
            for index, lang, folded, units in raw
            if units
        )
        postings: dict[str, list[int]] = defaultdict(list)
        for position, indexed in enumerate(self._texts):
            for unit in indexed.units:
                postings[unit].append(position)
        self._postings = {unit: tuple(positions) for unit, positions in postings.items()}
        self._vocabulary = _words(frozenset(postings))
        # Every FAQ word with the others spelled like it ("caller": "call"), with their rapidfuzz ratios:
        # worked out here once, not against every wording's words in every search (that was most of a
        # chat turn's FAQ time). After `_soften` every question word is a FAQ word or has none alike.
        self._alike = self._alike_words()
        self._softened: dict[str, str] = {}
        # Nearest by spelling, for topics to offer when nothing shared content: character pairs of
        # every wording in an inverted index, so a question costs its own pairs' postings instead of
        # a fuzzy comparison against all ~1,000 wordings (that scan was 40% of a chat turn).
        spelling: dict[str, list[int]] = defaultdict(list)
        self._spelling_sizes: list[int] = []
        for position, indexed in enumerate(self._texts):
            pairs = _pairs(indexed.folded)
            self._spelling_sizes.append(len(pairs))
            for pair in pairs:
                spelling[pair].append(position)
        self._spelling = {pair: tuple(positions) for pair, positions in spelling.items()}

    def units(self, text: str) -> frozenset[str]:
        """The content units of a text: Chinese character pairs and English words, stop words dropped."""
        return self._units_of(self._normaliser.fold_pattern(text))

    @staticmethod
    def _units_of(folded: str) -> frozenset[str]:
        units: set[str] = set()
        for run in _UNIT.findall(folded):
            if run.isascii():
                if run not in _LATIN_STOP:
                    units.add(run)
                continue
            for segment in _CJK_STOP.split(run):
                if len(segment) == 1:
                    units.add(segment)
                units.update(segment[i : i + 2] for i in range(len(segment) - 1))
        return frozenset(units)

    def _weight(self, unit: str) -> float:
        return self._idf.get(unit, self._unknown_weight)

    def search(self, question: str, lang: str | None = None) -> FaqResult:
        """The entry that answers `question`, if one does well enough; `lang` (the asker's) breaks ties."""
        folded = self._normaliser.fold_pattern(question)
        query = self._soften(self._units_of(folded))
        scores: dict[int, tuple[float, bool, float]] = {}
        for position, score in self._scores(query).items():
            text = self._texts[position]
            key = (score, text.lang == lang, fuzz.ratio(folded, text.folded, processor=None))
            if key > scores.get(text.entry, (0.0, False, 0.0)):
                scores[text.entry] = key
        ranked = sorted(scores, key=lambda index: scores[index], reverse=True)
        best_score = scores[ranked[0]][0] if ranked else 0.0
        best = self.entries[ranked[0]] if ranked and best_score >= self._min_score else None
        others = [index for index in ranked if best is None or index != ranked[0]]
        if len(others) < MAX_RELATED:
            others += [
                index for index in self._nearest_by_spelling(folded) if index not in others and index not in ranked[:1]
            ]
        related = tuple(self.entries[index] for index in others[:MAX_RELATED])
        return FaqResult(best, round(best_score, 3), related)

    def _scores(self, query: frozenset[str]) -> dict[int, float]:
        """Each wording's score above 0: the weighted F1 of the content it shares with the question.

        Added up along the postings of the question's units (a unit's weight to every wording holding it),
        not worked out wording by wording: a long question shares a unit or two with dozens of wordings."""
        units_in_order = sorted(query)  # one order for every sum: the same scores whatever the set's order
        shared: dict[int, list[str]] = defaultdict(list)  # wording -> the question's units it holds
        for unit in units_in_order:
            for position in self._postings.get(unit, ()):
                shared[position].append(unit)
        # "call" in the question, "caller" in a wording: a word the wording lacks counts for as much as it
        # is spelled like one of the wording's (only words have alike ones; never so in Chinese).
        near: dict[int, list[tuple[str, float]]] = defaultdict(list)
        for unit in units_in_order:
            alike = self._alike.get(unit)
            if not alike:
                continue
            holders = set(self._postings.get(unit, ()))
            closest: dict[int, float] = {}
            for word, ratio in alike:
                for position in self._postings.get(word, ()):
                    if position in shared and position not in holders and ratio > closest.get(position, 0.0):
                        closest[position] = ratio
            for position, ratio in closest.items():
                near[position].append((unit, ratio))
        query_weight = sum(self._weight(unit) for unit in units_in_order)
        scores: dict[int, float] = {}
        for position, units in shared.items():
            text = self._texts[position]
            if len(units) == len(query) == len(text.units):
                scores[position] = 1.0  # the very same content
                continue
            close = near.get(position, ())
            if len(units) == 1 and not close and (len(query) > 1 or self._owners.get(units[0], 0) > 1):
                continue  # one common word in common is a topic, not an answer
            shared_weight = sum(self._weight(unit) for unit in units)
            shared_weight += sum(self._weight(unit) * ratio / 100 for unit, ratio in close)
            if not shared_weight:
                continue
            recall = min(shared_weight / query_weight, 1.0)
            precision = min(shared_weight / text.weight, 1.0)
            scores[position] = 2 * recall * precision / (recall + precision)
        return scores

    def _soften(self, query: frozenset[str]) -> frozenset[str]:
        """Map an English word the FAQ never uses to a close one it does ("recieve" -> "receive")."""
        softened = set()
        for unit in query:
            if unit in self._postings or not _is_word(unit):
                softened.add(unit)
                continue
            found = self._softened.get(unit)
            if found is None:  # a search of the whole vocabulary: remembered (a pure function of the word)
                match = process.extractOne(
                    unit, self._vocabulary, scorer=fuzz.ratio, processor=None, score_cutoff=SOFT_WORD_MATCH
                )
                found = match[0] if match else unit
                if len(self._softened) < SOFTENED_MAX:
                    self._softened[unit] = found
            softened.add(found)
        return frozenset(softened)

    def _alike_words(self) -> dict[str, tuple[tuple[str, float], ...]]:
        """Each FAQ word with the other FAQ words whose ratio to it is at least SOFT_WORD_MATCH, closest
        first (ties in vocabulary order, as rapidfuzz's extract gives them). The ratio is symmetric, so
        each word is compared only with the words after it: half the comparisons of a start."""
        words = self._vocabulary
        found: dict[int, list[tuple[int, float]]] = {}
        for index, word in enumerate(words):
            later = words[index + 1 :]
            matches = process.extract(
                word, later, scorer=fuzz.ratio, processor=None, score_cutoff=SOFT_WORD_MATCH, limit=None
            )
            for _, score, offset in matches:
                found.setdefault(index, []).append((index + 1 + offset, score))
                found.setdefault(index + 1 + offset, []).append((index, score))
        return {
            words[index]: tuple((words[other], score) for other, score in sorted(pairs, key=lambda p: (-p[1], p[0])))
            for index, pairs in sorted(found.items())
        }

    def _nearest_by_spelling(self, folded: str) -> list[int]:
        """Entries ranked by surface similarity (Dice over character pairs, from the index), to offer
        topics when no content was shared; the first entries when not even a pair is shared."""
        if not folded.strip():
            return []
        pairs = _pairs(folded)
        shared = Counter(chain.from_iterable(self._spelling.get(pair, ()) for pair in pairs))
        # Each entry ranked by its closest wording (Dice, then the wording's place): the order in which
        # entries first come in the wordings' ranking, without sorting every wording.
        closest: dict[int, tuple[float, int]] = {}
        sizes, texts = self._spelling_sizes, self._texts
        for position, count in shared.items():
            key = (-2 * count / (len(pairs) + sizes[position]), position)
            entry = texts[position].entry
            if key < closest.get(entry, (1.0, 0)):
                closest[entry] = key
        ordered = sorted(closest, key=closest.__getitem__)[: 4 * MAX_RELATED]
        return ordered or list(range(min(MAX_RELATED, len(self.entries))))

    def render(self, entry: FaqEntry, lang: str, region: Region) -> FaqAnswer:
        """The answer with the region's facts (sentences needing one it lacks left out), in its script."""
        local = Localiser(lang, self._default_language)
        text = region_text(region, lang, self._default_language)
        return FaqAnswer(entry.id, text.script(local(entry.question)), text.fill(local(entry.answer)))


def scam_type_entries(library: Library) -> list[FaqEntry]:
    """Every scam type as an entry to search by its name, the names people call it and its summary: a question naming a
    kind of scam in words no rule counts ("what is a gambling rebate scam", "grandparent scam explained") still finds
    the scam it asks about. The answer is the summary."""
    return [
        FaqEntry(
            id=scam_type.id,
            types=[scam_type.id],
            question=scam_type.name,
            wordings={lang: [text, *scam_type.also_called.get(lang, ())] for lang, text in scam_type.summary.items()},
            answer=scam_type.summary,
        )
        for scam_type in library.types
    ]


class TypeNames:
    """The scam types by what people call them (each type's name and `also_called`, folded), to find the one a question
    names: the first name the folded question holds (the longest where two start together), a Latin one as whole words
    ("phishing", not "phish"). One Aho-Corasick pass: a regex of some 400 alternatives cost ~100 µs a question."""

    def __init__(self, library: Library, fold: Callable[[str], str]) -> None:
        owner: dict[str, str] = {}
        for scam_type in library.types:
            for name in (*scam_type.name.values(), *chain.from_iterable(scam_type.also_called.values())):
                folded = " ".join(fold(name).split())
                if folded and folded not in owner:
                    owner[folded] = scam_type.id
        self._automaton: ahocorasick.Automaton | None = None
        if owner:
            self._automaton = ahocorasick.Automaton()
            for name, type_id in owner.items():
                self._automaton.add_word(name, (len(name), type_id))
            self._automaton.make_automaton()

    def _found(self, squeezed: str) -> list[tuple[int, int, str]]:
        """(start, end, type id) of every name in `squeezed` standing as whole words, by start, longest first."""
        if self._automaton is None:
            return []
        found = []
        for last, (length, type_id) in self._automaton.iter(squeezed):
            start, end = last - length + 1, last + 1
            if not (_latin_word_char(squeezed, start - 1) or _latin_word_char(squeezed, end)):
                found.append((start, end, type_id))
        return sorted(found, key=lambda item: (item[0], item[0] - item[1]))

    def first(self, folded: str) -> str | None:
        """The type whose name occurs first in `folded` (the longest name there, on a tie); None without one."""
        found = self._found(" ".join(folded.split()))
        return found[0][2] if found else None

    def without(self, folded: str) -> str:
        """`folded` with every scam name in it blanked out (its spaces squeezed)."""
        squeezed = " ".join(folded.split())
        pieces, position = [], 0
        for start, end, _ in self._found(squeezed):
            if start >= position:
                pieces += [squeezed[position:start], " "]
                position = end
        return "".join(pieces) + squeezed[position:]


def _latin_word_char(text: str, index: int) -> bool:
    """Whether `text[index]` exists and is a Latin letter or digit (a name must not start or end inside a word)."""
    return 0 <= index < len(text) and text[index].isascii() and text[index].isalnum()


def _pairs(folded: str) -> frozenset[str]:
    """Character pairs of a folded text, spaces squeezed: its spelling, for the nearest-topic index."""
    squeezed = " ".join(folded.split())
    return frozenset(squeezed[i : i + 2] for i in range(len(squeezed) - 1)) or frozenset([squeezed])


def _is_word(unit: str) -> bool:
    return unit.isascii() and len(unit) >= 4 and not unit.isdigit()


def _words(units: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(unit for unit in units if _is_word(unit)))
