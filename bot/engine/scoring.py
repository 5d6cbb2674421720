"""Points -> per-type scores -> risk, SpamAssassin style: each rule counts once, combos add
points when signs co-occur, cross-type signals are capped, and the thresholds live in data."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.engine.fuzzy import LibraryLine, LineMatch
from bot.engine.model import ModelSpan, Prediction
from bot.engine.rules import Hit, RuleMatches
from bot.engine.types import EvidenceKind, Risk
from bot.library.schema import Combo, LibrarySettings, Signal, Stage


@dataclass(frozen=True, slots=True)
class Contribution:
    """One piece of evidence before it is rendered: folded span, what fired, how many points."""

    kind: EvidenceKind
    start: int
    end: int
    entry: str
    type_id: str | None
    points: float
    stage: Stage | None
    hit: Hit | None = None
    line: LineMatch | None = None
    combo: Combo | None = None
    model: ModelSpan | None = None  # wording the learned layer weighed


@dataclass(frozen=True, slots=True)
class ComboRef:
    type_id: str
    combo: Combo
    members: tuple[str, ...]  # rule entries ("type.rules.id") or "signal.id"


@dataclass(frozen=True, slots=True)
class Scores:
    by_type: dict[str, float]  # a type's own points (rules, combos, lines, rebuttals), in library order
    signal_points: float  # capped cross-type points
    contributions: tuple[Contribution, ...]
    top_type: str | None
    total: float  # points behind the risk, after the awareness discount
    score: float
    risk: Risk
    awareness: bool  # discounted as an official reminder
    indicator_hits: tuple[Hit, ...]
    model_points: float = 0.0  # from the learned layer
    best_type: str | None = None  # most own points (the library's first type when none has any)
    told_afterwards: bool = False  # a citizen's own story that reads as over: kept at "low" at most


@dataclass(frozen=True, slots=True)
class RetoldLine:
    """The line layer's reading: the library line or rebuttal a message most likely retells."""

    line: LibraryLine
    probability: float
    runner_up: float  # the next entry's probability
    benign: float  # the layer's P(an ordinary message)
    spans: Callable[[], tuple[ModelSpan, ...]]  # the words that read like it, strongest first
    folded: str  # the message as the spans count it


def _retold_contribution(retold: RetoldLine, points: float, quoted: list[Contribution]) -> Contribution | None:
    """The line layer's reading as evidence on the citizen's sentence that reads most like it; None without
    one. Words of that sentence other evidence already quotes are left to it: the reading quotes the longest
    stretch between them (the page merges overlapping quotes, and a whole-sentence quote would swallow the
    citizen's exact words). When nothing is left, a reading worth points is not counted (those words count
    once), and one only shown quotes the whole sentence: the rules found the words, the reading says which
    line of the script they retell."""
    spans = retold.spans()
    if not spans:
        return None
    span, line = spans[0], retold.line
    start, end = _longest_unquoted(span.start, span.end, [(c.start, c.end) for c in quoted if c.points > 0])
    if sum(char.isalnum() for char in retold.folded[start:end]) < _MIN_RETOLD_QUOTE:
        if points or sum(char.isalnum() for char in retold.folded[span.start : span.end]) < _MIN_RETOLD_QUOTE:
            return None
        start, end = span.start, span.end
    span = ModelSpan(start, end, span.weight)
    match = LineMatch(line, retold.probability * 100, span.start, span.end)
    return Contribution(
        line.kind, span.start, span.end, line.entry, line.type_id, points, line.stage, line=match, model=span
    )


_MIN_RETOLD_QUOTE = 2  # letters or digits: a shorter leftover is punctuation between two quotes


def _longest_unquoted(start: int, end: int, quoted: list[tuple[int, int]]) -> tuple[int, int]:
    """The longest part of [start, end) outside every span in `quoted`."""
    best, position = (start, start), start
    for quote_start, quote_end in sorted(span for span in quoted if span[0] < end and start < span[1]):
        if quote_start > position and quote_start - position > best[1] - best[0]:
            best = (position, quote_start)
        position = max(position, quote_end)
    if end > position and end - position > best[1] - best[0]:
        best = (position, end)
    return best


# The first scammer line of a type counts fully, the second half, more add nothing (the script is
# already recognised); a second canned rebuttal adds a quarter.
_LINE_DECAY = {"script_line": (1.0, 0.5, 0.0), "rebuttal": (1.0, 0.25, 0.25)}


def _first_best(points: Mapping[str, float], type_rank: Mapping[str, int]) -> str | None:
    """The type with the most points, the library's first on a tie; when none has more than zero,
    the library's first type (what a max over every type, the untouched ones at zero, gives)."""
    best = max(points.values(), default=0.0)
    if best <= 0.0:
        return next(iter(type_rank), None)
    return min((type_id for type_id, value in points.items() if value == best), key=type_rank.__getitem__)


def to_score(points: float, settings: LibrarySettings) -> float:
    return 1.0 - math.exp(-max(points, 0.0) / settings.saturation)


def to_risk(score: float, settings: LibrarySettings) -> Risk:
    thresholds = settings.thresholds
    if score >= thresholds.high:
        return Risk.HIGH
    if score >= thresholds.medium:
        return Risk.MEDIUM
    if score >= thresholds.low:
        return Risk.LOW
    return Risk.NONE


def learned_points(probability: float, bands: tuple[tuple[float, float], ...]) -> float:
    """The points of the highest band (min probability, points) that the probability reaches."""
    points = 0.0
    for minimum, band_points in bands:
        if probability >= minimum:
            points = band_points
    return points


def score_message(
    settings: LibrarySettings,
    type_rank: Mapping[str, int],  # every type id -> its place in the library (ties go to the first)
    combos: dict[str, tuple[ComboRef, ...]],  # by the entry of their first member
    rules: RuleMatches,
    lines: list[LineMatch],
    prediction: Prediction | None = None,
    bands: tuple[tuple[float, float], ...] = (),
    model_spans: Callable[[str | None], tuple[ModelSpan, ...]] | None = None,
    report_probability: Callable[[], float] | None = None,
    report_cut_offs: tuple[float, float] | None = None,  # alone, and with an awareness cue
    retold: RetoldLine | None = None,
    story_cut_off: float | None = None,  # the same layer's, for a citizen telling their own story
) -> Scores:
    contributions: list[Contribution] = []
    # Only the types that get points are kept: a library of 1,400 types costs what one of 14 does.
    by_type: defaultdict[str, float] = defaultdict(float)
    signal_points = 0.0
    fired_entries: dict[str, Hit] = {}
    naming: defaultdict[str, float] = defaultdict(float)  # points used only to name the type
    type_spans = [(hit.start, hit.end) for hit in rules.fired.values() if hit.ref.owner != "signal"]
    taken: dict[str, list[tuple[int, int]]] = {}  # per type, the words already counted
    # A generic word ("客服", "police") counts only beside another sign of any kind.
    # Alone, such a word still counts (the citizen who says "a 'policeman' called me" gets a follow-up
    # question), but cannot lift the message past "low".
    model_points = learned_points(prediction.scam_probability, bands) if prediction is not None else 0.0
    company = sum(1 for hit in rules.fired.values() if hit.ref.rule.points > 0 and not hit.ref.rule.needs_company)
    company += len(lines)
    lonely_points = 0.0  # generic words with no other sign: worth at most "low"
    counted_entries: set[str] = set()  # rules, lines and rebuttals that added points
    counted: dict[tuple[str, str], int] = {}  # lines and rebuttals counted so far, per type and kind
    fuzzy = settings.fuzzy

    def count_line(type_id: str, kind: str, base: float) -> float:
        """The first line (rebuttal) of a type counts fully, the next ones less."""
        rank = counted.get((type_id, kind), 0)
        counted[(type_id, kind)] = rank + 1
        return base * _LINE_DECAY[kind][min(rank, 2)]

    def count_hit(hit: Hit) -> None:
        rule = hit.ref.rule
        if rule.needs_company and company == 0:
            nonlocal lonely_points
            lonely_points += rule.points
        fired_entries[hit.ref.entry] = hit
        if hit.ref.owner == "signal":
            kind: EvidenceKind = "indicator" if hit.ref.kind == "indicator" else "signal"
            if kind == "signal" and any(start <= hit.start and hit.end <= end for start, end in type_spans):
                return  # the same words already count through a type's own rule
            nonlocal signal_points
            signal_points += rule.points
            if isinstance(rule, Signal):
                for type_id, share in rule.suggests.items():
                    if type_id in type_rank:
                        naming[type_id] += rule.points * share
            if rule.points > 0:
                contributions.append(
                    Contribution(kind, hit.start, hit.end, hit.ref.entry, None, rule.points, rule.stage, hit=hit)
                )
            return
        if hit.ref.entry in counted_entries:
            return  # the line already counted word for word
        spans = taken.setdefault(hit.ref.owner, [])
        pieces = [(o.start, o.end) for o in hit.concepts] or [(hit.start, hit.end)]
        fresh = [(a, b) for a, b in pieces if not any(start <= a and b <= end for start, end in spans)]
        if not fresh:
            return  # these words already count for this type through a stronger rule
        spans.extend(pieces)
        # A concept set's evidence quotes the citizen's words it added (its reason names every
        # concept), not the whole stretch between its first and last concept.
        span_start, span_end = fresh[-1] if hit.concepts else (hit.start, hit.end)
        kind = "rebuttal" if hit.ref.rebuttal is not None else "script_line" if hit.ref.line else "rule"
        points = rule.points if kind == "rule" else count_line(hit.ref.owner, kind, rule.points)
        if points <= 0:
            return
        by_type[hit.ref.owner] += points
        if kind != "rule" and not hit.concepts:  # a scammer's own words: the surest sign of the script
            naming[hit.ref.owner] += points
        counted_entries.add(hit.ref.entry)
        contributions.append(
            Contribution(kind, span_start, span_end, hit.ref.entry, hit.ref.owner, points, rule.stage, hit=hit)
        )

    # 1. Word rules, strongest first, so when two rules of one type fire on the same words only the
    # stronger counts. 2. Scammer lines and rebuttals said (nearly) word for word. 3. Concept sets,
    # which count only where they reach words nothing of their type counted yet (a scam retold in
    # other words), so the same words never count twice.
    by_strength = sorted(rules.fired.values(), key=lambda h: -h.ref.rule.points)
    for hit in by_strength:
        if not hit.concepts:
            count_hit(hit)
    for match in lines:  # best first
        line = match.line
        if line.entry in counted_entries:  # the same rebuttal already counted through its markers
            continue
        strength = 0.5 + 0.5 * (match.score - fuzzy.min_score) / max(100.0 - fuzzy.min_score, 1.0)
        base = fuzzy.rebuttal_points if line.kind == "rebuttal" else fuzzy.line_points
        points = count_line(line.type_id, line.kind, base * strength)
        if points <= 0:
            continue
        by_type[line.type_id] += points
        naming[line.type_id] += points
        counted_entries.add(line.entry)
        taken.setdefault(line.type_id, []).append((match.start, match.end))
        contributions.append(
            Contribution(line.kind, match.start, match.end, line.entry, line.type_id, points, line.stage, line=match)
        )
    for hit in by_strength:
        if hit.concepts:
            count_hit(hit)
    # The line layer: a retelling it is sure of counts like a line (once per entry); one it is less
    # sure of is only shown, below, when the message reaches "low" on other signs of its type.
    learned = settings.learned
    shown_retold: RetoldLine | None = None
    if (
        retold is not None
        and learned is not None
        and retold.line.entry not in counted_entries
        and retold.probability >= learned.line_ratio * retold.runner_up
    ):
        sure = (
            retold.probability >= learned.line_points_from
            and retold.benign < learned.line_benign_below
            # "don't tell your family, stay on the line" is in every script: shown, never deciding alone
            and retold.line.stage not in learned.line_shown_only_stages
            # "sorry, wrong number" is said every day: the opener only beside another sign
            and not (retold.line.retold_needs_company and company == 0)
        )
        retold_contribution = (
            _retold_contribution(retold, learned.line_points, contributions) if sure and learned.line_points else None
        )
        if retold_contribution is not None:
            type_id = retold.line.type_id
            by_type[type_id] += learned.line_points
            naming[type_id] += learned.line_points
            counted_entries.add(retold.line.entry)
            contributions.append(retold_contribution)
        else:
            shown_retold = retold

    for entry in list(fired_entries):
        for ref in combos.get(entry, ()):
            members = [fired_entries.get(member) for member in ref.members]
            if all(members):
                last = max((m for m in members if m is not None), key=lambda m: m.start)
                combo = ref.combo
                by_type[ref.type_id] += combo.points
                contributions.append(
                    Contribution(
                        "rule",
                        last.start,
                        last.end,
                        f"{ref.type_id}.combos.{combo.id}",
                        ref.type_id,
                        combo.points,
                        None,
                        combo=combo,
                    )
                )

    if prediction is not None and model_points > 0 and settings.learned is not None:
        predicted = prediction.top_type
        if predicted is not None and predicted in type_rank:
            naming[predicted] += model_points * settings.learned.type_share
        explained = model_spans(prediction.top_type) if model_spans is not None else ()
        total_weight = sum(span.weight for span in explained) or 1.0
        for span in explained:
            if span.end > span.start:
                contributions.append(
                    Contribution(
                        "model",
                        span.start,
                        span.end,
                        "model",
                        prediction.top_type if prediction.top_type in type_rank else None,
                        model_points * span.weight / total_weight,
                        None,
                        model=span,
                    )
                )

    signal_points = min(signal_points, settings.signal_cap)
    own_points = dict(sorted(by_type.items(), key=lambda item: type_rank[item[0]]))  # in library order
    for type_id, points in own_points.items():
        naming[type_id] += points
    top_type = _first_best(naming, type_rank)
    if top_type is not None and naming.get(top_type, 0.0) < settings.type_needs:
        top_type = None
    best_type = _first_best(own_points, type_rank)
    leader = top_type or best_type
    # Several types' rules describing one scam (a "customer service" refund that needs a "loan"
    # to verify) add up: the others count in part.
    others = sum(points for type_id, points in own_points.items() if type_id != leader)
    total = (
        signal_points
        + (own_points.get(leader, 0.0) if leader else 0.0)
        + settings.other_types_share * others
        + model_points
    )
    # An official reminder or news report says two things only reminders say; with one such cue,
    # the learned layer's confident "this reads like an ordinary message" settles it.
    confident_harmless = (
        prediction is not None
        and rules.awareness_cues >= 1
        and prediction.scam_probability < settings.awareness_model_below
    )
    # ... or the scam's words are mostly in quotation marks: a story or reminder quoting the scammer.
    quoting_a_scam = rules.awareness_cues >= 1 and rules.quoted_share >= settings.quoted_story_share
    below_medium = -settings.saturation * math.log(1.0 - settings.thresholds.medium) * 0.9
    if lonely_points:  # generic words with no other sign name a type but stay at "low" at most
        total = max(total - lonely_points, min(total, below_medium))
    # A "recovery" offer to scam victims talks like a warning ("被骗了别慌", "don't let the scammers
    # win"): its warning words are part of the pitch, not a reminder.
    pitch_in_warning_words = any(hit.ref.rule.speaks_warning_words for hit in rules.fired.values())
    # The layer that tells a message about a scam from the scam itself (a warning, a news report) is
    # asked only when the rules find enough scam words to need it; a recovery pitch is never a report. A
    # citizen asking about it ("is this a scam?") is never read: they need the verdict. A citizen telling
    # their own story ("a 'policeman' called me...") is read against a cut-off of its own, and one it reads
    # as over ("she had already paid when we found out") stays at "low" at most: not discounted away, since
    # if it is still going on the dialogue's follow-up question is what they need.
    if rules.citizen_question:
        cut_off = None
    elif rules.citizen_report:
        cut_off = story_cut_off
    else:
        cut_off = report_cut_offs[1 if rules.awareness_cues else 0] if report_cut_offs is not None else None
    reads_as_told = (
        report_probability is not None
        and cut_off is not None
        and settings.learned is not None
        and total - model_points >= settings.learned.report_min_points
        and not pitch_in_warning_words
        and report_probability() >= cut_off
    )
    reads_as_report = reads_as_told and not rules.citizen_report
    told_afterwards = reads_as_told and rules.citizen_report
    # ... unless both learned layers say otherwise: sure it is a scam, and no report (a scammer's "you will be
    # arrested" and "I'm calling because" are warning words too).
    learned = settings.learned
    cues_overruled = (
        (rules.awareness or quoting_a_scam)
        and learned is not None
        and learned.awareness_overruled_scam_from is not None
        and prediction is not None
        and prediction.scam_probability >= learned.awareness_overruled_scam_from
        and report_probability is not None
        and report_probability() < learned.awareness_overruled_report_below
    )
    awareness = (
        ((rules.awareness or confident_harmless or quoting_a_scam) and not rules.citizen_report and not cues_overruled)
        or reads_as_report
    ) and not pitch_in_warning_words
    if told_afterwards:
        total = min(total, below_medium)
    if awareness:
        total *= settings.awareness_factor
        # A news report or a reminder full of scam words ("破获…抓获犯罪嫌疑人…警方提醒") stays
        # below a verdict however many scam words it quotes.
        if rules.awareness_cues >= settings.awareness_cap_cues or quoting_a_scam or reads_as_report:
            total = min(total, below_medium)
    score = to_score(total, settings)
    risk = to_risk(score, settings)
    if shown_retold is not None and risk is not Risk.NONE and own_points.get(shown_retold.line.type_id):
        shown = _retold_contribution(shown_retold, 0.0, contributions)
        if shown is not None:
            contributions.append(shown)
    return Scores(
        own_points,
        signal_points,
        tuple(contributions),
        top_type,
        total,
        score,
        risk,
        awareness,
        rules.indicators,
        model_points,
        best_type,
        told_afterwards,
    )


def member_entry(type_id: str, name: str) -> str:
    """A combo names its own type's rules by id and cross-type signals as "signal.<id>"."""
    return name if name.startswith("signal.") else f"{type_id}.rules.{name}"
