"""Schemas of the knowledge files: what a scam type, a signal, an FAQ entry and a region may hold.

Every model forbids unknown fields and is frozen, so a typo in a data file is a load error
rather than a silently ignored key, and a loaded library cannot be changed by accident.
Cross-file checks (categories, references between entries, languages) live in `lint.py`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]

# Text keyed by language code ("zh", "en", ...). Which languages are required is a library
# setting (library.yaml), checked by lint, so adding a language needs no code change.
Localised = dict[Identifier, NonEmpty]
LocalisedList = dict[Identifier, list[NonEmpty]]

Stage = Literal["hook", "isolation", "authority", "tool", "payment", "aftermath"]


class Model(BaseModel):
    # Validators are built on first validation: a start from the library cache unpickles checked models and
    # never validates one, so building them at import was ~45 ms of every start for nothing.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Examples(Model):
    """Messages a rule must and must not fire on; the test suite runs every one."""

    match: list[NonEmpty] = Field(default_factory=list)
    no_match: list[NonEmpty] = Field(default_factory=list)


# A concept pattern: the concepts (concepts.yaml ids) that must all be said close together, in
# any order and any wording: [authority, accusation] matches "公安说你涉嫌洗钱" and "the officer said
# my account was linked to a crime".
ConceptSet = Annotated[list[Identifier], Field(min_length=1, max_length=6)]


class Rule(Model):
    """A keyword, regex or concept rule with its points and a one-line reason shown to the citizen."""

    id: Identifier
    points: float = Field(ge=0, le=20)
    keywords: LocalisedList = Field(default_factory=dict)
    regex: LocalisedList = Field(default_factory=dict)
    # Any of these concept sets fires the rule (each set: all its concepts within `within` folded
    # characters, or the library's concept_window for the message's script).
    concepts: list[ConceptSet] = Field(default_factory=list)
    within: int | None = Field(default=None, ge=4, le=2000)
    # Generic words (客服, 公安, "boss") say little alone: such a rule counts only when another
    # rule, line or signal of the message fired too.
    needs_company: bool = False
    # A scam that speaks warning words itself: "recovery" offers to victims ("被骗了别慌，帮您追回损失",
    # "don't let the scammers win"), a caller quoting the bank's "never share this code" to wave it
    # away. Where such a rule fires, warning cues do not lower the verdict and a negation before its
    # words does not cancel them.
    speaks_warning_words: bool = False
    stage: Stage | None = None
    explain: Localised
    examples: Examples = Field(default_factory=Examples)

    @field_validator("regex")
    @classmethod
    def _regexes_compile_and_are_safe(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for lang, patterns in value.items():
            for pattern in patterns:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"regex {pattern!r} ({lang}) does not compile: {exc}") from exc
                if _NESTED_QUANTIFIER.search(pattern):
                    raise ValueError(f"regex {pattern!r} ({lang}) nests quantifiers (catastrophic backtracking risk)")
        return value

    @model_validator(mode="after")
    def _has_something_to_match(self) -> Rule:
        _require_something_to_match(self)
        return self


def _require_something_to_match(rule: Rule) -> None:
    if not any(rule.keywords.values()) and not any(rule.regex.values()) and not rule.concepts:
        raise ValueError("a rule needs at least one keyword, regex or concept set")


# A group repeated without bound that itself holds an unbounded quantifier: (a+)+, (\w*)*, (x+){2,}.
# Bounded repeats such as (\.\d{1,3}){3} cannot blow up and are allowed.
_UNBOUNDED = r"(?:[+*]|\{\d+,\})"
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*" + _UNBOUNDED + r"(?:[^()\\]|\\.)*\)" + _UNBOUNDED)


class Combo(Model):
    """A SpamAssassin-style meta rule: fires when all the named rules or signals fired."""

    id: Identifier
    all: list[NonEmpty] = Field(min_length=2)
    points: float = Field(ge=0, le=20)
    explain: Localised


class ScriptLine(Model):
    """Something the scammer says at one stage of the script; matched fuzzily."""

    id: Identifier
    stage: Stage
    text: LocalisedList
    # The line's meaning as concept sets: a retelling in other words, order or script still matches.
    concepts: list[ConceptSet] = Field(default_factory=list)
    # How far apart (folded characters) the concepts of a set may be said; None: the library's window.
    # Wider for a line said across a letter's paragraphs (the hacker's "I recorded you ... pay in bitcoin").
    within: int | None = Field(default=None, ge=4, le=2000)
    # A line whose gist is said every day ("sorry, wrong number"): the line layer's reading of it counts only
    # beside another sign, as a rule's generic word does (its tell, "but you seem nice", is then another sign).
    retold_needs_company: bool = False
    # The regions whose scams say it this way (their institutions, apps and numbers: 公安局 and 支付宝 in the mainland,
    # 入境處 in Hong Kong, 健保卡 and ATM 解除分期 in Taiwan): where the drill plays it. Empty: everywhere. The
    # recogniser reads every line in every region (a mainland script reaches Hong Kong too).
    regions: list[Identifier] = Field(default_factory=list)


class Rebuttal(Model):
    """A victim's doubt, the fraud centre's canned answer to it, and what is really true."""

    id: Identifier
    stage: Stage
    doubt: Localised
    answer: LocalisedList
    truth: Localised
    # Short phrases only this answer uses ("终端序列号", "telecom legal department"): a citizen
    # retelling the answer in their own words still quotes these.
    markers: LocalisedList = Field(default_factory=dict)
    # The answer's meaning as concept sets ([foreign_number, system_code]), for retellings.
    concepts: list[ConceptSet] = Field(default_factory=list)
    within: int | None = Field(default=None, ge=4, le=2000)  # as ScriptLine.within
    regions: list[Identifier] = Field(default_factory=list)  # as ScriptLine.regions: where the drill offers the doubt


class StageStep(Model):
    id: Stage
    next: Localised  # what the script usually asks for once it has reached this stage


class Advice(Model):
    before: LocalisedList  # nothing has been paid or shared yet
    after: LocalisedList  # money moved, or a code / card number / remote access was given


class ScamType(Model):
    """One scam script, one file under scripts_library/types/."""

    id: Identifier
    category: Identifier
    status: Literal["draft", "reviewed"]
    name: Localised
    summary: Localised
    # What people call it ("pig butchering", "杀猪盘", "grandparent scam"): a citizen asking about it by name finds it.
    also_called: LocalisedList = Field(default_factory=dict)
    references: list[NonEmpty] = Field(default_factory=list)
    legal_warning: Localised | None = None  # for scripts that recruit the citizen as an accomplice
    stages: list[StageStep] = Field(min_length=1)
    lines: list[ScriptLine] = Field(default_factory=list)
    rebuttals: list[Rebuttal] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    combos: list[Combo] = Field(default_factory=list)
    warning_signs: LocalisedList
    advice: Advice


class Signal(Rule):
    """A cross-type warning sign (asks for money, secrecy, remote control...)."""

    kind: Literal["signal", "indicator"] = "signal"
    # Where the regexes look: the whole text, only around runs of digits (phone and card
    # numbers, amounts), or only when the text has something link-like. Scoping keeps
    # digit-scanning patterns from costing every message.
    scope: Literal["text", "numbers", "links"] = "text"
    # Which scam types this sign is typical of, and how much: used only to NAME the type when
    # no type has enough points of its own ("account anomaly" + "give me your card number"
    # reads as fake customer service). It adds nothing to the risk.
    suggests: dict[Identifier, float] = Field(default_factory=dict)
    # Fired by looking at where the message's links really go (links.yaml), not by words: the
    # link borrows a brand's name, the message names a brand its link does not belong to, or the
    # link sits on a name ending that scam sites favour.
    link_check: Literal["brand_mismatch", "lookalike_host", "risky_suffix", "bare_lure", "brand_mail"] | None = None
    # A number it finds that carries the citizen's own region's dialling code (+852 in Hong Kong, +886 in Taiwan, the
    # region's `country`) is not what it says: "a foreign number" is foreign to the region, not to the library.
    local_exempt: bool = False

    @model_validator(mode="after")
    def _has_something_to_match(self) -> Signal:
        if self.link_check is None:
            _require_something_to_match(self)
        return self


DomainName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+(\.[a-z0-9-]+)+$", max_length=253)]
HostWord = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{3,}$", max_length=63)]


class Brand(Model):
    """A company or office scam links pose as, and the sites that are really its own."""

    id: Identifier
    names: LocalisedList  # how a message names it ("Chase Bank", "中华电信"), folded when matched
    domains: list[DomainName] = Field(min_length=1)  # its own registrable domains
    # Pieces of a host name that borrow the brand: `host_words` anywhere ("usps" in
    # "wausps-track.com"), `host_parts` only as a whole dot- or hyphen-separated part ("chase" in
    # "chase-alert.top" but not in "purchase.com").
    host_words: list[HostWord] = Field(default_factory=list)
    host_parts: list[HostWord] = Field(default_factory=list)
    source: NonEmpty  # where the domains were checked, and when


class LinksFile(Model):
    """What a link tells about a message: whose name it borrows and where it really goes."""

    brands: list[Brand] = Field(min_length=1)
    # Name endings (public suffixes) where most sites are throwaway: a link there is a sign.
    risky_suffixes: list[DomainName | Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+$")]]
    # Link hosts that lead everywhere and prove nothing (URL shorteners, e-mail and file hosts):
    # a brand named beside them is judged by the other signs, not as a mismatch.
    neutral_domains: list[DomainName] = Field(default_factory=list)
    # URL shorteners: neutral for the brand checks (they lead anywhere), but where they lead is unknown,
    # so a message that is little more than one is a bare lure.
    shorteners: list[DomainName] = Field(default_factory=list)
    # A message with at most this many words besides its links, whose link goes to a site it does not
    # name and that is neither a brand's, a government's nor a neutral one, is a bare lure ("hi <link>").
    bare_lure_max_words: int = Field(default=12, ge=1, le=60)
    # A link whose domain's name part (this many letters or more) is a name the message itself says ("Your
    # sign-in link for Medium: medium.com/...", "British Gas ... britishgas.co.uk") goes to the writer's own
    # site: it counts as official (not a risky suffix, a look-alike or a shortener). 0: never.
    named_site_min_letters: int = Field(default=0, ge=0, le=30)
    # Words by which a message says the link is its writer's own ("my blog is at ..."): not a bare lure.
    # Written folded (lower case, simplified Chinese), as the message is when they are looked for.
    own_site_words: LocalisedList = Field(default_factory=dict)
    # Suffixes only accredited schools and universities can register (edu.cn, ac.uk): a link there is not
    # a bare lure (it may still be a hacked page: the other signs judge that).
    institution_suffixes: list[DomainName | Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+$")]] = Field(
        default_factory=list
    )
    # Suffixes only governments can register (gov.uk, gov.hk): never a mismatch.
    official_suffixes: list[DomainName | Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+$")]] = Field(
        default_factory=list
    )
    # Concepts that a link to the brand's own site does not say: "sign in at chase.com" is not the
    # warning sign "asks you to open a link" when every link in the message is an official one.
    official_link_clears: list[Identifier] = Field(default_factory=list)
    # Signals (signals.yaml ids) that such a message does not give either: "sign in to your account at
    # gov.uk" is how a genuine notice points to the official site.
    official_link_clears_signals: list[Identifier] = Field(default_factory=list)
    source: NonEmpty


class Concept(Model):
    """One thing scammers say, and the many ways to say it (both languages, slang, obfuscations)."""

    id: Identifier
    name: Localised  # shown in the evidence: "自称警方" / "claims to be police"
    terms: LocalisedList
    # Signals (signals.yaml ids) whose hits also count as saying this concept: a bare link found
    # by the `url` indicator is as much "asks you to open a link" as the word 点击.
    signals: list[Identifier] = Field(default_factory=list)
    examples: Examples = Field(default_factory=Examples)  # texts that do / do not mention it


class ConceptsFile(Model):
    concepts: list[Concept] = Field(min_length=1)


class LearnedSettings(Model):
    """The learned layer (a character n-gram model trained on tests/corpus by `antifraud train`).

    Its probability of "scam" is worth `band_points[i]` points from the i-th probability cut-off
    on; the cut-offs are fitted by `antifraud train` (on out-of-fold predictions of the project's
    own corpus, never on ../shared/eval) so that rules and model together flag at most
    `false_positive_target` of the harmless messages, and are stored in the model file.
    """

    model: NonEmpty  # path of the .npz file, relative to the library folder
    band_points: list[float] = Field(min_length=1, max_length=7)
    false_positive_target: float = Field(gt=0, lt=0.2)
    type_share: float = Field(ge=0, le=1)  # share of its points that also name its type
    # A second, small layer that tells a message ABOUT a scam (a warning, a news report, a story told
    # afterwards) from the scam itself. `antifraud train` fits it on the corpus rows to which the rules
    # alone give `report_min_points` or more, and sets its cut-off so that, out of fold, at most
    # `report_scam_loss` of the corpus's scams would read as reports. No file named: the layer is off.
    report_model: NonEmpty | None = None
    report_min_points: float = Field(default=1.2, ge=0)
    report_scam_loss: float = Field(default=0.002, gt=0, lt=0.05)
    # A citizen telling their own story (not asking) is read by the same layer against a cut-off of its own,
    # fitted on those rows alone so that at most `report_story_scam_loss` of the corpus's scams would read as
    # a story told afterwards; such a message is kept at "low" at most (never discounted to nothing: if it is
    # still going on, the dialogue's follow-up question needs it). 0: never read so.
    report_story_scam_loss: float = Field(default=0.0, ge=0, lt=0.05)
    # The retellings of lines (`antifraud train --retellings`) written in these voices are the scam itself (a
    # scammer's call, a pasted text): the report layer learns them as scams beside the library's own lines.
    report_scam_voices: list[NonEmpty] = Field(default_factory=list)
    # Warning words a scammer says too ("you will be arrested", "I'm calling because", "step by step") make
    # a live scam look like a reminder. When the scam layer is at least this sure it is a scam and the report
    # layer reads it as no report (below `awareness_overruled_report_below`), its awareness cues count for
    # nothing. None: the cues always count.
    awareness_overruled_scam_from: float | None = Field(default=None, gt=0, le=1)
    awareness_overruled_report_below: float = Field(default=0.2, gt=0, le=1)
    # A third layer that names the scammer line or manual rebuttal a message retells in other words:
    # trained by `antifraud train` on every line's and rebuttal's own wording and the retellings in
    # tests/paraphrase_training (never the blind tests/paraphrases). Its best entry counts only when it
    # is at least `line_ratio` times as probable as the next one. It is then worth `line_points` when
    # the layer is sure (P >= `line_points_from`, and P(an ordinary message) < `line_benign_below`);
    # otherwise it is shown without points, for a message at "low" or above whose type has points.
    line_model: NonEmpty | None = None
    line_ratio: float = Field(default=3.0, gt=1)
    line_points: float = Field(default=0.0, ge=0)
    line_points_from: float = Field(default=0.15, gt=0, le=1)
    line_benign_below: float = Field(default=0.5, gt=0, le=1)
    # Lines of these stages are only shown, never counted: what every script says at that stage ("tell no
    # one", "stay on the line") names no scam type when retold.
    line_shown_only_stages: list[Stage] = Field(default_factory=list)
    # It reads only a message with some sign of a scam: a rule fired, or the learned layer gives it at
    # least this (an ordinary "see you at 7" costs nothing).
    line_needs_scam_probability: float = Field(default=0.05, ge=0, le=1)

    @field_validator("band_points")
    @classmethod
    def _ascending(cls, value: list[float]) -> list[float]:
        if value != sorted(value) or value[-1] <= 0:
            raise ValueError("band_points must be ascending and end above zero")
        return value


class ContextCues(Model):
    """Words that turn a hit around: "police will NEVER ask...", "anti-fraud reminder"."""

    negations: LocalisedList
    awareness: LocalisedList
    citizen_report: LocalisedList = Field(default_factory=dict)
    # A citizen asking ("is this a scam?") needs the warning however many awareness words they quote.
    citizen_question: LocalisedList = Field(default_factory=dict)
    # Signs of a genuine service contact: the citizen started it, or the caller points to the official channel.
    genuine_contact: LocalisedList = Field(default_factory=dict)


class SignalsFile(Model):
    signals: list[Signal]
    context: ContextCues
    general_advice: Advice  # when no scam type can be named
    general_signs: LocalisedList


class MailHeader(Model):
    """The header block a mail client puts above a forwarded or quoted message ("From: ... Date: ...
    Subject: ..."): who sent it and when, not what it says. Field names are matched case-insensitively at
    the start of a line, before a colon; list traditional and simplified forms both."""

    sender_fields: list[NonEmpty] = Field(min_length=1)  # "From", "发件人": a block has one
    fields: list[NonEmpty] = Field(default_factory=list)  # "To", "Date", "收件人"...
    content_fields: list[NonEmpty] = Field(default_factory=list)  # "Subject": its value is the message's words
    content_prefixes: list[NonEmpty] = Field(default_factory=list)  # "Fwd", "RE", "转发" before the subject
    markers: list[NonEmpty] = Field(default_factory=list)  # "Forwarded message", "原始邮件": a line of its own


class AppBanner(Model):
    """What a chat or SMS app shows above or below a stranger's message ("This sender is not in your contacts",
    "对方不是你的微信好友"), copied with it: the first or last of several lines, short, holding one of `phrases`
    (matched case-insensitively in the text as written; list traditional and simplified forms both)."""

    max_chars: int = Field(ge=20, le=400)
    phrases: list[NonEmpty] = Field(min_length=1)


class NormaliseFile(Model):
    """Evasion spellings and character variants, applied after NFKC and traditional -> simplified."""

    # "v信" -> "微信" (keys are matched case-insensitively, spaces kept: " dot com" -> ".com" joins
    # a link a sender broke with a space)
    evasions: dict[Annotated[str, StringConstraints(min_length=1)], NonEmpty]
    variants: dict[NonEmpty, NonEmpty]  # single characters: "帐" -> "账"
    # Words of a written dialect and the standard Chinese words they mean (Cantonese "冇" -> "没有",
    # "户口" -> "账户"): a concept written once in standard Chinese then also reads the dialect. A key
    # mapped to itself protects a longer standard word from a shorter dialect key inside it ("户口本").
    dialect_words: dict[Annotated[str, StringConstraints(min_length=1)], NonEmpty] = {}
    separators: NonEmpty  # characters dropped between two CJK characters ("安 全-账*户")
    # A message of words broken by dots ("You.r pay.ment was rec.eived") has them joined back, except
    # words ending in one of these (a bare link such as "shop.com" stays a link).
    dotted_words_at_least: Annotated[int, Field(ge=2)]
    link_endings: list[NonEmpty]
    # Letters spaced out one by one ("Y o u r  p a r c e l") are joined back, unless every one of
    # them is a word of its own in text-speak ("u r a winner", "c u"): these letters.
    one_letter_words: Annotated[str, StringConstraints(pattern=r"^[a-z]+$")]
    # A mail header above a forwarded message is set aside: its English field names and addresses made a
    # forwarded Chinese message read as English, and the learned layers read them as the message's words.
    mail_header: MailHeader | None = None
    # An app's safety banner copied with the message is set aside too: its warning words are the app's, not
    # the writer's, and read as the writer's they made a scam look like a reminder.
    app_banner: AppBanner | None = None

    @field_validator("variants")
    @classmethod
    def _single_characters(cls, value: dict[str, str]) -> dict[str, str]:
        for key, target in value.items():
            if len(key) != 1 or len(target) != 1:
                raise ValueError(f"variant {key!r} -> {target!r} must map one character to one")
        return value

    @model_validator(mode="after")
    def _dialect_words_apart(self) -> NormaliseFile:
        both = sorted(set(self.dialect_words) & set(self.evasions))
        if both:
            raise ValueError(f"dialect_words and evasions both map {both}: keep each spelling in one of them")
        return self


class RiskThresholds(Model):
    high: float = Field(gt=0, lt=1)
    medium: float = Field(gt=0, lt=1)
    low: float = Field(gt=0, lt=1)

    @model_validator(mode="after")
    def _ordered(self) -> RiskThresholds:
        if not self.high > self.medium > self.low:
            raise ValueError("thresholds must satisfy high > medium > low")
        return self


class FuzzySettings(Model):
    min_score: float = Field(ge=50, le=100)  # rapidfuzz partial_ratio, 0-100
    line_points: float = Field(ge=0)
    rebuttal_points: float = Field(ge=0)
    min_chars: dict[Identifier, int]  # shorter library lines are rejected: they match anything
    max_candidates: int = Field(ge=1, le=50)
    min_shared_grams: int = Field(ge=1)


class Language(Model):
    id: Identifier
    name: NonEmpty
    script: Literal["han", "latin"]


class Templates(Model):
    """Sentences the engine fills in; placeholders are named in each field's comment."""

    line_why: Localised  # {type} {stage}: a scammer line was matched
    rebuttal_why: Localised  # {type} {doubt} {truth}: a manual rebuttal was matched
    stage_names: dict[Stage, Localised]
    combo_why: Localised  # {explain}: several signs fired together
    concept_why: Localised  # {concepts} {explain}: a rule matched through concepts said in the citizen's words
    model_why: Localised  # {type}: the learned layer found wording typical of a scam type
    learned_line_why: Localised  # {type} {stage}: the line layer read a scammer line retold in other words
    awareness_note: Localised  # the message reads like an official reminder
    story_note: Localised | None = None  # a citizen's own story that reads as over (kept at "low")
    no_type_note: Localised  # warning signs found, but no script recognised
    nothing_found_note: Localised  # nothing recognised: never "safe"


class LibrarySettings(Model):
    """library.yaml: languages, scoring thresholds and weights (the reasons are comments there)."""

    languages: list[Language] = Field(min_length=1)
    default_language: Identifier
    categories: dict[Identifier, Localised]  # the shared TAXONOMY ids every scam type maps to
    saturation: float = Field(gt=0)  # score = 1 - exp(-points / saturation)
    thresholds: RiskThresholds
    signal_cap: float = Field(ge=0)  # cross-type signals alone cannot exceed this many points
    type_needs: float = Field(ge=0)  # a type is named only with this many own points
    runner_up_ratio: float = Field(gt=0, le=1)
    awareness_factor: float = Field(ge=0, le=1)
    # With a single awareness cue, the learned layer's P(scam) below this also makes a reminder.
    awareness_model_below: float = Field(default=0.0, ge=0, le=1)
    # With this many distinct awareness cues (and no first-hand report), a message stays below medium.
    awareness_cap_cues: int = Field(default=99, ge=2)
    # With a single awareness cue and no first-hand report or question, a message that puts at least
    # this share of the scam's words inside quotation marks is telling about a scam, not running one.
    quoted_story_share: float = Field(default=1.01, ge=0, le=1.01)
    negation_window: dict[Identifier, int]
    fuzzy: FuzzySettings
    # How close (folded characters) the concepts of one concept set must be, per script language.
    concept_window: dict[Identifier, int]
    # Points from several types that describe one scam add up: the runner-up types' points count
    # this much towards the risk (not towards naming the type).
    other_types_share: float = Field(ge=0, le=1)
    learned: LearnedSettings | None = None
    templates: Templates


class FaqEntry(Model):
    id: Identifier
    types: list[Identifier] = Field(default_factory=list)
    question: Localised
    wordings: LocalisedList
    answer: Localised


class FaqFile(Model):
    topic: Localised
    entries: list[FaqEntry] = Field(min_length=1)


class Hotline(Model):
    id: Identifier
    number: NonEmpty
    name: Localised


# The facts a region pack may hold, and so the placeholders advice may use (issue 11). Each names
# ONE thing; a sentence that needs a fact the region lacks is left out, never filled with another.
FactId = Literal[
    "police",  # emergency police number (phone)
    "antifraud",  # anti-fraud helpline for advice (phone)
    "report_loss",  # where to report a fraud loss to the police (text: numbers, sites, stations)
    "after_loss",  # who to contact first once money has gone (text), with `first` and `dial`
    "bank_line",  # a number that puts you through to your own bank (phone)
    "sms_report",  # a number to FORWARD scam texts to (sms, never a voice line)
    "report_scam",  # where to report a scam number, message, website or account (app / web)
    "report_email",  # where to forward scam e-mails (web)
    "check_tool",  # where to check a number, link or account before paying (app / web)
    "app",  # the official anti-fraud app (app)
    "official_sms",  # how genuine official texts look (text: a clause)
    "warning_sms",  # the sender of official fraud-warning texts (sms: a sender, not a number to call)
    "consular",  # consular emergency line for citizens abroad (phone)
    "gambling_help",  # problem-gambling helpline (phone)
    # Where mainland China's criminal law applies (text: the place's name): a legal warning's sentence quoting that law
    # (帮信罪, 开设赌场罪) needs it, so it is said only in a region where it holds.
    "mainland_law",
    # What to do first when a scammer has one's identity number or a photo of one's ID (text: a clause, "report it at
    # ..."): the place that flags, checks or restores an identity in this region.
    "identity_theft",
    # Where a child's sexual images or sexual extortion are reported, beside the worldwide Take It Down (text: a name).
    "child_protection",
    # A 24-hour line for someone in despair or thinking of suicide (text: its name and number): a citizen who says
    # they want to die is answered with it before anything else.
    "crisis_line",
    # What the region's rules give a victim back, and how to ask (text: a clause; UK APP reimbursement, US chargebacks).
    "refund_rights",
]
FactKind = Literal["phone", "sms", "app", "web", "text"]
# What kind each fact must be: a voice line is never offered for forwarding texts, and so on.
FACT_KINDS: dict[str, frozenset[str]] = {
    "police": frozenset({"phone"}),
    "antifraud": frozenset({"phone"}),
    "report_loss": frozenset({"phone", "web", "text"}),
    "after_loss": frozenset({"text"}),
    "bank_line": frozenset({"phone"}),
    "sms_report": frozenset({"sms"}),
    "report_scam": frozenset({"app", "web"}),
    "report_email": frozenset({"web"}),
    "check_tool": frozenset({"app", "web", "phone"}),
    "app": frozenset({"app"}),
    "official_sms": frozenset({"text"}),
    "warning_sms": frozenset({"sms"}),
    "consular": frozenset({"phone"}),
    "gambling_help": frozenset({"phone"}),
    "mainland_law": frozenset({"text"}),
    "identity_theft": frozenset({"text"}),
    "child_protection": frozenset({"text"}),
    "crisis_line": frozenset({"text"}),
    "refund_rights": frozenset({"text"}),
}
Url = Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$", max_length=500)]


class Fact(Model):
    """One verified fact of a region: what sentences say, and where and when it was checked."""

    value: NonEmpty | Localised  # a number, or text per language ("the ScamShield app")
    kind: FactKind
    source: Url  # the official page it was checked against
    checked: date  # when; `antifraud validate` warns once this is more than a year ago
    label: Localised | None = None  # set: listed on the page footer under this name
    dial: NonEmpty | None = None  # the number a tel: link calls, when the value is more than one
    first: Literal["bank", "police"] | None = None  # after_loss only: who comes first in urgent steps
    note: NonEmpty | None = None  # for editors: what the source says, caveats

    @model_validator(mode="after")
    def _dial_is_a_number(self) -> Fact:
        if self.dial is not None and not re.fullmatch(r"\+?[0-9][0-9 -]{1,20}", self.dial):
            raise ValueError(f"dial {self.dial!r} is not a phone number")
        return self


class Region(Model):
    """One region pack, scripts_library/regions/<id>.yaml: its name, script and verified facts."""

    id: Identifier
    name: Localised  # as the region's own authorities write it
    default_language: Identifier
    # ISO 3166-1 alpha-2 code whose numbering plan the region's phone numbers follow ("GB" for uk): how an SMS
    # sender's number written locally or internationally becomes one key. None where there is no single plan.
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None
    # Per language, how the region writes it: zh in hk and tw is shown in traditional characters.
    script: dict[Identifier, Literal["hans", "hant-hk", "hant-tw"]] = Field(default_factory=dict)
    # Per language, the region's own words for what the script converter leaves in another region's usage, as the
    # converter writes them -> as the region does (Taiwan: 軟件 -> 軟體, 短信 -> 簡訊): applied to every library and
    # dialogue text shown in the region, never to the citizen's quoted words.
    vocabulary: dict[Identifier, dict[NonEmpty, NonEmpty]] = Field(default_factory=dict)
    facts: dict[FactId, Fact] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _kinds_and_order(self) -> Region:
        for fact_id, fact in self.facts.items():
            if fact.kind not in FACT_KINDS[fact_id]:
                allowed = ", ".join(sorted(FACT_KINDS[fact_id]))
                raise ValueError(f"fact {fact_id!r} is a {fact.kind}; it must be one of: {allowed}")
            if (fact.first is not None) != (fact_id == "after_loss"):
                raise ValueError(f"fact {fact_id!r}: `first` belongs to after_loss, and after_loss needs it")
        return self

    def fact_text(self, fact_id: str, lang: str, default: str) -> str | None:
        """A fact's value in `lang` (else the default language), or None when the region lacks it."""
        fact = next((fact for key, fact in self.facts.items() if key == fact_id), None)
        if fact is None:
            return None
        if isinstance(fact.value, str):
            return fact.value
        value: str = fact.value.get(lang) or fact.value.get(default) or next(iter(fact.value.values()))
        return value


class RegionsFile(Model):
    """scripts_library/regions.yaml: which pack a deployment uses unless told otherwise."""

    default: Identifier
    regions: list[Region] = Field(default_factory=list)  # filled from scripts_library/regions/*.yaml
