"""Scores -> the verdict a citizen reads: evidence as spans of their own words with a reason each,
the scam's warning signs, advice by stage with the region's hotlines, and what comes next."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.engine.normalise import NormalisedText
from bot.engine.quotes import tidy_span
from bot.engine.rules import Hit
from bot.engine.scoring import Contribution, Scores, to_score
from bot.engine.types import Advice, Candidate, Evidence, Indicator, Risk, Verdict
from bot.library.loader import Library
from bot.library.regions import region_text
from bot.library.schema import Region, ScamType


@dataclass(frozen=True, slots=True)
class Localiser:
    """Picks a language from text keyed by language, falling back to the library default."""

    lang: str
    default: str

    def __call__(self, value: dict[str, str]) -> str:
        return value.get(self.lang) or value.get(self.default) or next(iter(value.values()), "")

    def many(self, value: dict[str, list[str]]) -> tuple[str, ...]:
        return tuple(value.get(self.lang) or value.get(self.default) or next(iter(value.values()), []))


def _why(contribution: Contribution, library: Library, local: Localiser, types: dict[str, ScamType]) -> str:
    """The reason shown with a piece of evidence. `types` by id: `Library.scam_type` scans the list,
    which a large library pays on every piece of evidence."""
    templates = library.settings.templates
    if contribution.model is not None and contribution.line is not None:  # the line layer's reading
        line = contribution.line.line
        return local(templates.learned_line_why).format(
            type=local(types[line.type_id].name), stage=local(templates.stage_names.get(line.stage, {})) or line.stage
        )
    if contribution.model is not None:
        type_id = contribution.type_id
        name = local(types[type_id].name) if type_id else local(templates.stage_names["hook"])
        return local(templates.model_why).format(type=name)
    hit = contribution.hit
    if hit is not None:
        if hit.ref.rebuttal is not None:
            rebuttal = hit.ref.rebuttal
            why = local(templates.rebuttal_why).format(doubt=local(rebuttal.doubt), truth=local(rebuttal.truth))
        elif hit.ref.line is not None:
            type_name = local(types[hit.ref.owner].name)
            stage = hit.ref.line.stage
            why = local(templates.line_why).format(
                type=type_name, stage=local(templates.stage_names.get(stage, {})) or stage
            )
        else:
            why = local(hit.ref.rule.explain)
        if hit.concepts:
            said = " + ".join(local(library.concepts[o.concept].name) for o in hit.concepts)
            return local(templates.concept_why).format(concepts=said, explain=why)
        return why
    if contribution.combo is not None:
        return local(templates.combo_why).format(explain=local(contribution.combo.explain))
    assert contribution.line is not None
    line = contribution.line.line
    type_name = local(types[line.type_id].name)
    if line.rebuttal is not None:
        return local(templates.rebuttal_why).format(doubt=local(line.rebuttal.doubt), truth=local(line.rebuttal.truth))
    return local(templates.line_why).format(
        type=type_name, stage=local(templates.stage_names.get(line.stage, {})) or line.stage
    )


def _defang(kind: str, text: str) -> str:
    """Links are shown so they cannot be opened by a tap: hxxp://example[.]com (once, even when the
    citizen pasted an already defanged link)."""
    if kind not in ("url", "suspicious_link"):
        return text
    plain = re.sub(r"\[\.\]|\(\.\)|\[dot\]", ".", text, flags=re.IGNORECASE)
    plain = re.sub(r"^hxxp", "http", plain, flags=re.IGNORECASE)
    return re.sub(r"^http", "hxxp", plain, flags=re.IGNORECASE).replace(".", "[.]")


@dataclass(frozen=True, slots=True)
class _Rendered:
    """A type's (or the general) warning signs, advice and next steps in one language and region."""

    name: str
    warning_signs: tuple[str, ...]
    advice: Advice
    next_steps: dict[str, str]
    legal_warning: str | None


class VerdictBuilder:
    """Renders verdicts; every text that does not depend on the message is prepared once, the first
    time a verdict needs it (issue 13: rendering every type for every language and region up front
    took a sixth of a second of each start, and loaded OpenCC's Hong Kong and Taiwan converters)."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self._types = {scam_type.id: scam_type for scam_type in library.types}
        self._regions = {region.id: region for region in library.regions.regions}
        # (type or None, language, region) -> its texts; filled on first use. Two threads rendering
        # the same key at once store equal values, so no lock is needed.
        self._rendered: dict[tuple[str | None, str, str], _Rendered] = {}

    def rendered(self, type_id: str | None, lang: str, region_id: str) -> _Rendered:
        """A type's (None: the general) warning signs, advice and next steps in one language and region."""
        key = (type_id, lang, region_id)
        found = self._rendered.get(key)
        if found is None:
            if lang not in self.library.languages or region_id not in self._regions:
                raise KeyError(key)
            found = self._rendered[key] = self._render(type_id, lang, self._regions[region_id])
        return found

    def _render(self, type_id: str | None, lang: str, region: Region) -> _Rendered:
        library = self.library
        local = Localiser(lang, library.settings.default_language)
        # The region's facts filled in, sentences needing a fact it lacks left out, urgent steps in
        # its own order, zh in its script (issue 11).
        text = region_text(region, lang, library.settings.default_language)
        if type_id is None:
            general = library.signals
            return _Rendered(
                "",
                text.fill_all(local.many(general.general_signs)),
                Advice(
                    text.fill_all(local.many(general.general_advice.before)),
                    text.fill_all(local.many(general.general_advice.after)),
                ),
                {},
                None,
            )
        scam_type = self._types[type_id]
        return _Rendered(
            text.script(local(scam_type.name)),
            text.fill_all(local.many(scam_type.warning_signs)),
            Advice(
                text.fill_all(local.many(scam_type.advice.before)),
                text.fill_all(local.many(scam_type.advice.after)),
            ),
            {step.id: text.script(local(step.next)) for step in scam_type.stages},
            text.fill(local(scam_type.legal_warning)) if scam_type.legal_warning else None,
        )

    def build(
        self,
        normalised: NormalisedText,
        scores: Scores,
        lang: str,
        region: Region,
        indicator_hits: tuple[Hit, ...] | None = None,
    ) -> Verdict:
        """The verdict; `indicator_hits` are the indicators to show when the caller found more than
        the scores hold (a new `Scores` just to carry them cost more than the rest of this)."""
        library = self.library
        local = Localiser(lang, library.settings.default_language)
        script = region_text(region, lang, library.settings.default_language).script
        settings = library.settings
        top = scores.top_type
        top_points = scores.by_type.get(top, 0.0) if top else 0.0
        runner_ups = sorted(
            (
                type_id
                for type_id, points in scores.by_type.items()
                if type_id != top and points >= settings.type_needs and points >= top_points * settings.runner_up_ratio
            ),
            key=lambda type_id: scores.by_type[type_id],
            reverse=True,
        )
        best = scores.best_type
        # Every type's points count towards the risk (other types' in part), so every contribution is shown: a
        # verdict never rests on words it does not quote. Without that share, only the named types' words count.
        shown_types = None if settings.other_types_share > 0 else {top or best, *runner_ups}

        evidence: list[Evidence] = []
        for contribution in sorted(scores.contributions, key=lambda c: c.points, reverse=True):
            if shown_types is not None and contribution.type_id is not None and contribution.type_id not in shown_types:
                continue
            # Inside one line, on word boundaries: a quote the citizen can read (bot/engine/quotes.py).
            span = tidy_span(normalised.original, normalised.original_span(contribution.start, contribution.end))
            evidence.append(
                Evidence(
                    kind=contribution.kind,
                    span=span,
                    text=normalised.original[span[0] : span[1]],
                    entry=contribution.entry,
                    why=script(_why(contribution, library, local, self._types)),
                    weight=contribution.points,
                    scam_type=self._types[contribution.type_id].category if contribution.type_id else None,
                    stage=contribution.stage,
                )
            )

        indicators: list[Indicator] = []
        seen_spans: set[tuple[int, int]] = set()
        for hit in scores.indicator_hits if indicator_hits is None else indicator_hits:
            span = normalised.original_span(hit.start, hit.end)
            if span in seen_spans:
                continue
            seen_spans.add(span)
            text = normalised.original[span[0] : span[1]]
            indicators.append(Indicator(hit.ref.rule.id, text, span, _defang(hit.ref.rule.id, text)))

        scam_type = self._types[top] if top else None
        rendered = self.rendered(top, lang, region.id)
        notes: list[str] = []
        if scores.risk is Risk.NONE or (scam_type is None and not evidence):
            notes.append(script(local(settings.templates.nothing_found_note)))
        elif scam_type is None:
            notes.append(script(local(settings.templates.no_type_note)))
        if scores.awareness:
            notes.append(script(local(settings.templates.awareness_note)))
        if scores.told_afterwards and settings.templates.story_note is not None:
            notes.append(script(local(settings.templates.story_note)))
        if rendered.legal_warning:
            notes.append(rendered.legal_warning)

        stage = _furthest_stage(scam_type, scores.contributions) if scam_type else None
        next_step = None
        if scam_type is not None:
            next_step = rendered.next_steps.get(stage or "") or rendered.next_steps[scam_type.stages[0].id]
        candidates = tuple(
            Candidate(
                self._types[type_id].category,
                type_id,
                to_score(scores.by_type[type_id] + scores.signal_points, settings),
            )
            for type_id in runner_ups
        )
        return Verdict(
            risk=scores.risk,
            score=scores.score,
            scam_type=scam_type.category if scam_type else None,
            subtype=scam_type.id if scam_type else None,
            candidates=candidates,
            lang=lang,
            evidence=tuple(evidence),
            warning_signs=rendered.warning_signs,
            advice=rendered.advice,
            next_step=next_step,
            indicators=tuple(indicators),
            stage=stage,
            awareness=scores.awareness,
            notes=tuple(notes),
        )


def _furthest_stage(scam_type: ScamType, contributions: tuple[Contribution, ...]) -> str | None:
    order = [step.id for step in scam_type.stages]
    # "Money has already gone" (aftermath) is taken only from the citizen's own words, never from a
    # concept set's looser reading: it sends the conversation down the urgent path. The line layer's
    # reading (`model` set) explains only and moves no stage.
    reached = [
        c.stage
        for c in contributions
        if c.stage in order
        and c.type_id in (None, scam_type.id)
        and c.model is None
        and not (c.stage == "aftermath" and c.hit is not None and c.hit.concepts)
    ]
    return max(reached, key=order.index) if reached else None
