"""The recogniser: normalise -> rules -> fuzzy -> score -> verdict, as one pure function.

`Engine` is built once from an immutable `Library` and holds only read-only indexes, so
`analyse` is deterministic and safe to call from many threads at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import re
from collections.abc import Iterator
from pathlib import Path

import phonenumbers

from bot.engine.budget import Budget, partial_note
from bot.engine.fuzzy import FuzzyMatcher
from bot.engine.model import ModelSpan, NGramText
from bot.engine.normalise import LibraryFolding, NormalisedText, Normaliser
from bot.engine.quotes import sentence_around
from bot.engine.rules import RegexView, RuleMatcher, is_local_number, without_local_numbers
from bot.engine.scoring import ComboRef, RetoldLine, Scores, member_entry, score_message
from bot.engine.types import Risk, Verdict
from bot.engine.verdict import VerdictBuilder
from bot.library.loader import Library, load_library
from bot.library.schema import Region


@contextlib.contextmanager
def collection_paused(collect_after: bool = False) -> Iterator[None]:
    """No automatic cyclic garbage collection inside the block; back as it was after.

    Building an engine (and the services around it) makes millions of objects that live as long as the
    engine, and each full collection the allocations set off walks all of them and frees nothing (three
    in a 100x library's build, a third of a service's start). Reference counting still frees what dies
    meanwhile. Left young, those objects would be walked again by the first collections after the
    build, so the outermost block either ends with one full collection (`collect_after`: one walk
    instead of three) or is followed by `gc.freeze()`, as the service's start is (app.py's lifespan).
    The switch is process-wide: other threads (requests served during a reload) also go without
    cyclic collection for the build's few hundred milliseconds."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
            if collect_after:
                gc.collect()


_LATIN_WORD = re.compile(r"[a-z]{2,}")


def knowledge_words(library: Library) -> frozenset[str]:
    """Every Latin word of the library's keywords, lines, rebuttals and concept terms, lower case: the
    words a look-alike spelling is read into ("c1ick" -> "click")."""
    texts: list[str] = []
    for scam_type in library.types:
        for rule in scam_type.rules:
            texts.extend(word for words in rule.keywords.values() for word in words)
        for line in scam_type.lines:
            texts.extend(text for texts_ in line.text.values() for text in texts_)
        for rebuttal in scam_type.rebuttals:
            texts.extend(text for texts_ in rebuttal.answer.values() for text in texts_)
            texts.extend(text for texts_ in rebuttal.markers.values() for text in texts_)
    for signal in library.signals.signals:
        texts.extend(word for words in signal.keywords.values() for word in words)
    for concept in library.concepts:
        texts.extend(term for terms in concept.terms.values() for term in terms)
    return frozenset(_LATIN_WORD.findall(" ".join(texts).lower()))


class Engine:
    def __init__(self, library: Library) -> None:
        with collection_paused(collect_after=True):
            self._build(library)

    def _build(self, library: Library) -> None:
        self.library = library
        self.normaliser = Normaliser(library.normalise, knowledge_words(library))
        folding = LibraryFolding(self.normaliser)
        self.rules = RuleMatcher(library, folding)
        self.fuzzy = FuzzyMatcher(library, folding)
        self.verdicts = VerdictBuilder(library)
        self._type_rank = {scam_type.id: rank for rank, scam_type in enumerate(library.types)}
        layers = (library.model, library.report_model, library.line_model)
        # A message's n-grams are hashed once, as long as the longest any learned layer reads.
        self._ngram_length = max((layer.max_n for layer in layers if layer is not None), default=1)
        combos: dict[str, list[ComboRef]] = {}
        for scam_type in library.types:
            for combo in scam_type.combos:
                members = tuple(member_entry(scam_type.id, name) for name in combo.all)
                combos.setdefault(members[0], []).append(ComboRef(scam_type.id, combo, members))
        self._combos = {first: tuple(refs) for first, refs in combos.items()}
        self._regions = {region.id: region for region in library.regions.regions}
        # Each region's own dialling code ("852" in Hong Kong): its numbers are not "foreign" there.
        self._home_codes = {
            region.id: str(code)
            for region in library.regions.regions
            if region.country and (code := phonenumbers.country_code_for_region(region.country))
        }
        self._languages = frozenset(library.languages)
        # What the layers' files say, read once here rather than from their metadata for every message.
        self._bands = library.model.bands if library.model is not None else ()
        report_model = library.report_model
        self._report_cut_offs = report_model.cut_offs if report_model is not None else None
        self._story_cut_off = report_model.story_cut_off if report_model is not None else None
        languages = library.settings.languages
        self._han_language = next(
            (lang.id for lang in languages if lang.script == "han"), library.settings.default_language
        )
        self._latin_language = next(
            (lang.id for lang in languages if lang.script == "latin"), library.settings.default_language
        )

    def warm_up(self) -> None:
        """Compile what is compiled on first use (the regexes common messages trigger) before a
        citizen's message needs it: a service calls this beside its first requests, not before them."""
        for text in (
            "您的ETC已失效，请点击 https://etc-example.top 认证",
            "Your parcel is held, pay at https://example.com",
        ):
            self.analyse(text, budget=Budget(seconds=None))

    @classmethod
    def from_path(cls, root: Path | None = None) -> Engine:
        return cls(load_library(root))

    def region(self, region_id: str | None) -> Region:
        """The deployment region, falling back to the library default for an unknown id."""
        return self._regions.get(region_id or "", self._regions[self.library.regions.default])

    def detect_language(self, normalised: NormalisedText) -> str:
        """Chinese when a fifth of the visible characters are Han, otherwise the Latin-script language."""
        return self._han_language if normalised.cjk_share >= 0.2 else self._latin_language

    def _score(
        self,
        normalised: NormalisedText,
        lang: str,
        budget: Budget,
        explain: bool,
        view: RegexView | None = None,
        going_on: bool = False,
        home: str | None = None,
    ) -> Scores:
        """`home`: the region's own dialling code, whose numbers are not foreign."""
        rule_matches = self.rules.match(normalised, lang, budget=budget, view=view)
        if home:
            rule_matches = without_local_numbers(rule_matches, normalised.text, home)
        line_matches = self.fuzzy.match(normalised) if budget.allows("fuzzy") else []
        model = self.library.model
        library = self.library
        learned_layers = library.model or library.report_model or library.line_model
        # Prepared and hashed once for the learned layers below; a library without any needs neither.
        index = library.ngram_index
        read: str | NGramText = (
            NGramText.of(normalised.text, self._ngram_length, index) if learned_layers else normalised.text
        )
        # A chat app's safety banner pasted with the message is not the message: the layers judge what is left
        # (their evidence still points into the whole text).
        judged = read
        if learned_layers and rule_matches.banner is not None:
            start, end = rule_matches.banner
            rest = normalised.original[:start] + normalised.original[end:]
            judged = NGramText.of(self.normaliser.normalise(rest).text, self._ngram_length, index)
        prediction = model.predict(judged) if model is not None and budget.allows("model") else None
        spans = None
        if explain and model is not None:

            def spans(scam_type: str | None) -> tuple[ModelSpan, ...]:
                return model.spans(read, scam_type)

        retold = None
        learned = self.library.settings.learned
        if self.library.line_model is not None and learned is not None and budget.allows("model"):
            some_sign = bool(rule_matches.fired) or (
                prediction is not None and prediction.scam_probability >= learned.line_needs_scam_probability
            )
            retold = self._retold(read, normalised.text, judged) if some_sign else None
        report_model = self.library.report_model
        report_probability = None
        if report_model is not None and budget.allows("model"):
            asked: list[float] = []  # the answer, once asked (a plain list: `functools.cache` costs µs per message)

            def report_probability() -> float:
                """Asked only when scoring needs it, and worked out once for the message."""
                if not asked:
                    asked.append(1.0 - report_model.predict(judged).scam_probability)
                return asked[0]

        return score_message(
            self.library.settings,
            self._type_rank,
            self._combos,
            rule_matches,
            line_matches,
            prediction,
            self._bands,
            spans,
            report_probability,
            self._report_cut_offs,
            retold,
            self._story_cut_off if not going_on else None,
        )

    def _retold(self, read: str | NGramText, folded: str, judged: str | NGramText) -> RetoldLine | None:
        """The line layer's reading of the message (`judged`: without a pasted banner): the library line or
        rebuttal it most likely retells, how sure the layer is, and (asked only when shown or scored) the
        words of `read`, the whole message, that say it."""
        line_model = self.library.line_model
        assert line_model is not None
        ranking = line_model.ranked(judged)
        ranked = ranking.best
        if not ranked or ranked[0][0] not in self.fuzzy.entries:
            return None
        entry, probability = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        benign = ranking.benign

        def spans() -> tuple[ModelSpan, ...]:
            """The sentence holding the words that read most like the entry: its meaning, not a word."""
            found = line_model.spans(read, entry)
            if not found:
                return ()
            start, end = sentence_around(folded, found[0].start, found[0].end)
            return (ModelSpan(start, end, found[0].weight),)

        return RetoldLine(self.fuzzy.entries[entry], probability, runner_up, benign, spans, folded)

    def points(self, text: str) -> float:
        """The points behind the risk (after the awareness discount): what `antifraud train` fits
        the learned layer's bands against."""
        normalised = self.normaliser.normalise(text)
        return self._score(normalised, self.detect_language(normalised), Budget(), explain=False).total

    def context_cues(self, text: str) -> tuple[int, bool, bool]:
        """How many distinct awareness cues the message has, whether a citizen tells what is happening
        (or happened) to them or asks about it, and whether they ask: what `antifraud train` fits the report
        layer's cut-offs by."""
        normalised = self.normaliser.normalise(text)
        matches = self.rules.match(normalised, self.detect_language(normalised), budget=Budget())
        return matches.awareness_cues, matches.citizen_report, matches.citizen_question

    def analyse(
        self,
        text: str,
        lang: str | None = None,
        region: str | None = None,
        budget: Budget | None = None,
        going_on: bool = False,
    ) -> Verdict:
        """The verdict on one message. `budget` bounds its time (default: `Budget()`, 100 ms): steps it
        leaves no time for are skipped and the verdict is marked partial, so no message can hang.
        `going_on`: the caller knows the story is happening now (a citizen has just answered questions about
        it), so it is never read as a story told afterwards, however it is worded ("I got a call...")."""
        budget = budget or Budget()
        normalised = self.normaliser.normalise(text)
        if lang not in self._languages:
            lang = self.detect_language(normalised)
        view = self.rules.view(normalised)  # what the regexes of both steps below need to know
        place = self.region(region)
        home = self._home_codes.get(place.id)
        scores = self._score(normalised, lang, budget, explain=True, view=view, going_on=going_on, home=home)
        indicators = scores.indicator_hits
        if scores.risk is not Risk.NONE and budget.allows("indicators"):
            shown = [
                hit
                for hit in self.rules.display_indicators(normalised, budget, view)
                if not (home and is_local_number(hit, normalised.text, home))
            ]
            indicators = tuple(sorted([*indicators, *shown], key=lambda h: h.start))
        verdict = self.verdicts.build(normalised, scores, lang, place, indicators)
        if budget.exhausted:
            verdict = dataclasses.replace(verdict, partial=True, notes=(*verdict.notes, partial_note(lang)))
        return verdict
