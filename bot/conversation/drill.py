"""The awareness drill (issue 14): the bot plays a scammer from the library's own scripts.

A citizen rehearses a scam call safely: the drill says a type's `lines:` stage by stage, answers the
citizen's doubts with the type's scripted `rebuttals:`, and stops at "this is a scam" (or hanging up),
at going along with the payment, or at a code read out, with a debrief built from the library: the
stage reached, each warning sign and when it came, the rebuttals heard and the truth, and what to do
for real with the region's official numbers.

Why its own module, apart from the dialogue: a drill must never be taken for a verdict. It has no
risk, never runs the recogniser on the citizen's words, and every sentence it says comes from the
library (the frame around the lines from scripts_library/drill.yaml), so a script writer cannot make
it say anything else; links, e-mail addresses and long numbers in a line are masked unless they are
the region's official ones, and {AMOUNT}-style placeholders become obviously fake practice values.

The server keeps nothing: the whole state travels with the client as an opaque token of library ids
and indices (never the citizen's words), so any worker can answer the next turn and there is no
record to store, leak or delete. The SMS channel has no drill (bot/channels/sms.py never imports this).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any, Literal

import opencc
from pydantic import Field, field_validator
from rapidfuzz import fuzz

from bot.library.lint import check_languages
from bot.library.loader import Library, LibraryError, Problem, load_side_file
from bot.library.regions import FACT_IDS, RegionText, region_text
from bot.library.schema import Identifier, Localised, LocalisedList, Model, NonEmpty, Region, Rule, ScamType

Action = Literal["start", "say", "doubt", "go_along", "hang_up", "abandon"]
Outcome = Literal["spotted", "complied", "abandoned"]
Script = Literal["hans", "hant"]
Reading = Literal["spot", "comply", "code", "doubt", "go_along"]

SURPRISE = "surprise"
MIN_REBUTTALS = 3  # a drill needs doubts to answer: the floor per type and language
MAX_TURNS = 30  # a drill that goes on this long stops with a debrief
MAX_TOKEN_CHARS = 4000
END_STAGE = "payment"  # the drill never plays past the payment ask: going along there is complying
FILE = "scripts_library/drill.yaml"

# Every frame text the drill needs; drill.yaml must hold each one in every language.
TEXT_KEYS = (
    "banner", "banner_short", "title", "intro", "surprise_name", "spotted", "spotted_early", "complied",
    "complied_code", "abandoned", "too_long", "stage_reached", "score", "no_score", "step", "signs_heading",
    "said_label",
    "rebuttals_heading", "you_asked", "they_said", "truth_label", "type_signs_heading", "advice_heading",
    "after_heading", "next_heading", "hotlines_heading", "type_heading", "start", "start_hint", "pick_type",
    "surprise", "begin", "hang_up", "go_along", "doubts_label", "input_label", "send", "stop", "exit", "again",
    "progress_heading", "progress_empty", "best", "certificate", "clear", "certificate_title",
    "certificate_body", "certificate_name", "certificate_date", "certificate_note", "print", "outcome_spotted",
    "outcome_complied", "outcome_abandoned", "thinking", "quiet_label",
)  # fmt: skip
# Phone facts named in the debrief's "who to call", in this order.
HOTLINE_FACTS = ("police", "antifraud")


class DrillError(ValueError):
    """A request the drill cannot serve (unknown type, broken state token): the API's 422."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# --- drill.yaml ------------------------------------------------------------------------------


class Prefixes(Model):
    scammer: Localised
    coach: Localised


class Cues(Model):
    spot: LocalisedList
    comply: LocalisedList
    # Questions that go along ("ok what do you need me to do", "要转到哪个账户"): complying, though asked
    comply_question: LocalisedList = Field(default_factory=dict)
    code: NonEmpty
    doubt: LocalisedList

    @field_validator("code")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"regex {value!r} does not compile: {exc}") from exc
        return value


class DrillFile(Model):
    prefix: Prefixes
    texts: dict[Identifier, Localised]
    cues: Cues
    practice_values: dict[str, Localised] = Field(default_factory=dict)


def load_drill_texts(library: Library) -> DrillFile:
    """drill.yaml beside the library's other files, checked like them; raises LibraryError naming every problem."""
    problems: list[Problem] = []
    drill = load_side_file(library, "drill.yaml", DrillFile, problems)
    if drill is None:
        raise LibraryError(problems)
    languages = set(library.languages)
    for key in TEXT_KEYS:
        if key not in drill.texts:
            problems.append(Problem(FILE, "texts", key, "missing"))
    for key, value in drill.texts.items():
        problems.extend(check_languages(FILE, "texts", key, value, languages))
    for part in ("scammer", "coach"):
        problems.extend(check_languages(FILE, "prefix", part, getattr(drill.prefix, part), languages))
    for part in ("spot", "comply", "comply_question", "doubt"):
        problems.extend(check_languages(FILE, "cues", part, getattr(drill.cues, part), languages))
    for key, value in drill.practice_values.items():
        if not re.fullmatch(r"[A-Z][A-Z_]*|unknown|masked_link|masked_number", key):
            problems.append(Problem(FILE, "practice_values", key, "must be UPPER_CASE (or unknown / masked_*)"))
        problems.extend(check_languages(FILE, "practice_values", key, value, languages))
        for lang, text in value.items():
            if _LINK.search(text) or _long_digits(text):
                problems.append(
                    Problem(FILE, "practice_values", f"{key}.{lang}", "must not look like a link or number")
                )
    for key in ("unknown", "masked_link", "masked_number"):
        if key not in drill.practice_values:
            problems.append(Problem(FILE, "practice_values", key, "missing"))
    if problems:
        raise LibraryError(problems)
    return drill


def drill_problems(library: Library) -> list[str]:
    """Types that cannot be drilled: `antifraud validate` fails on these (the service skips such a type).

    A drill needs, in every language, at least one scammer line for every stage the type lists and
    at least three rebuttals (doubt, answer and truth)."""
    problems = []
    for scam_type in library.types:
        for lang in library.languages:
            for step in scam_type.stages:
                if not any(line.stage == step.id and line.text.get(lang) for line in scam_type.lines):
                    problems.append(f"type {scam_type.id} ({lang}): no scammer line for stage {step.id}")
            have = sum(1 for rebuttal in scam_type.rebuttals if rebuttal.answer.get(lang))
            if have < MIN_REBUTTALS:
                problems.append(
                    f"type {scam_type.id} ({lang}): {have} rebuttal(s), a drill needs at least {MIN_REBUTTALS}"
                )
    return problems


# --- what travels with the client --------------------------------------------------------------


@dataclass(frozen=True)
class DrillState:
    """Where a drill stands: library ids and indices only, never the citizen's words."""

    type_id: str
    lang: str
    script: Script
    region: str
    surprise: bool
    seed: int
    stage: int = 0  # index into the type's playable stages
    turn: int = 0  # scammer turns so far
    said: tuple[tuple[int, int, int, int], ...] = ()  # (turn, stage index, line index, variant)
    heard: tuple[tuple[int, int, int], ...] = ()  # (turn, rebuttal index, variant)

    def token(self) -> str:
        data = [1, self.type_id, self.lang, self.script, self.region, int(self.surprise), self.seed]
        data += [self.stage, self.turn, [list(item) for item in self.said], [list(item) for item in self.heard]]
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _ints(value: Any, size: int) -> tuple[int, ...]:
    if not isinstance(value, list) or len(value) != size or not all(type(item) is int and item >= 0 for item in value):
        raise DrillError("state", "The drill state is not valid; start a new drill.")
    return tuple(value)


def parse_token(token: str) -> DrillState:
    """A token back into a state; any damage is a DrillError (the client starts again)."""
    bad = DrillError("state", "The drill state is not valid; start a new drill.")
    if not token or len(token) > MAX_TOKEN_CHARS or not re.fullmatch(r"[A-Za-z0-9_-]+", token):
        raise bad
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(data, list) or len(data) != 11 or data[0] != 1:
        raise bad
    _, type_id, lang, script, region, surprise, seed, stage, turn, said, heard = data
    if not all(isinstance(item, str) for item in (type_id, lang, script, region)) or script not in ("hans", "hant"):
        raise bad
    if surprise not in (0, 1) or not all(type(item) is int and item >= 0 for item in (seed, stage, turn)):
        raise bad
    if not isinstance(said, list) or not isinstance(heard, list) or len(said) + len(heard) > MAX_TURNS + 2:
        raise bad
    return DrillState(
        type_id,
        lang,
        script,
        region,
        bool(surprise),
        seed,
        stage,
        turn,
        tuple(_ints(item, 4) for item in said),  # type: ignore[misc]
        tuple(_ints(item, 3) for item in heard),  # type: ignore[misc]
    )


# --- what the drill says ---------------------------------------------------------------------


@dataclass(frozen=True)
class DrillMessage:
    speaker: Literal["scammer", "coach"]
    text: str  # starts with the practice prefix
    stage: str | None = None


@dataclass(frozen=True)
class Sign:
    turn: int
    stage: str
    stage_name: str
    said: str  # the scammer's line, as the drill said it
    why: tuple[str, ...]


@dataclass(frozen=True)
class HeardRebuttal:
    turn: int
    doubt: str
    answer: str
    truth: str


@dataclass(frozen=True)
class Hotline:
    name: str
    number: str


@dataclass(frozen=True)
class Debrief:
    outcome: Outcome
    summary: tuple[str, ...]
    stage: str
    stage_name: str
    stage_index: int  # 1-based
    stages: int
    score: int | None  # spotted: 100 at the first stage, less the later; complied 0; abandoned None
    signs: tuple[Sign, ...]
    rebuttals: tuple[HeardRebuttal, ...]
    type_signs: tuple[str, ...]
    advice: tuple[str, ...]
    after: tuple[str, ...]  # only when the citizen went along: what to do if it were real
    next_step: str | None
    hotlines: tuple[Hotline, ...]
    scam_type: str
    scam_type_name: str
    scam_type_summary: str
    text: str  # the whole debrief as plain text, starting with the practice prefix


@dataclass(frozen=True)
class Doubt:
    id: str
    text: str


@dataclass(frozen=True)
class DrillTurn:
    """One answer of /api/drill. `kind` is always "drill" and there is never a risk: not a verdict."""

    state: str | None  # send back with the next turn; None once the drill is over
    done: bool
    lang: str
    script: Script
    region: str
    banner: str
    turn: int
    stage: str
    messages: tuple[DrillMessage, ...]
    doubts: tuple[Doubt, ...]
    scam_type: str | None  # hidden while a "surprise me" drill is running
    scam_type_name: str | None
    debrief: Debrief | None = None
    practice: bool = field(default=True)
    kind: str = field(default="drill")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- text helpers ----------------------------------------------------------------------------

_LINK = re.compile(
    r"(?i)\b(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|"
    r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|cn|hk|tw|sg|uk|us|io|top|xyz|info|me|cc|vip|app|link|site|"
    r"online|shop|co|gov|edu|ly|gl)\b(?:/[^\s，。,]*)?"
)
_NUMBER = re.compile(r"\+?\d[\d \-]{3,}\d")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_]+)\}")
_NEGATION_ZH = re.compile(r"[不没沒别別未]")
_NEGATION_EN = re.compile(r"\b(?:not|never|no|don't|dont|won't|wont|can't|cannot)\b")
_QUESTION = re.compile(r"[?？]|吗|嗎|为什么|為什麼|怎么|\bwhy\b|\bhow\b")
_FOLD = opencc.OpenCC("t2s")


def _long_digits(text: str) -> bool:
    return any(len(re.sub(r"\D", "", match.group(0))) >= 5 for match in _NUMBER.finditer(text))


@lru_cache(maxsize=8)
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


# A scammer line asking for a one-time code or a password (read on folded text)
_ASKS_FOR_CODE = re.compile(r"验证码|动态码|认证码|\botp\b|\b(the|your) (code|passcode|pin|password)\b|密码")


def fold(text: str) -> str:
    """The citizen's answer as cues are matched: NFKC, simplified characters, lower case."""
    return str(_FOLD.convert(unicodedata.normalize("NFKC", text))).casefold()


def _as_sentence(text: str, lang: str) -> str:
    """Library lines are stored bare ("your card is involved in a case"); said aloud they are sentences."""
    text = text.strip()
    if not text:
        return text
    han = bool(re.search(r"[\u4e00-\u9fff]", text))
    if not han and text[0].islower():
        text = text[0].upper() + text[1:]
    if text[-1] not in ".!?。！？…”\"'":
        text += "。" if han else "."
    return text


class _Voice:
    """Says library text for one drill: region facts filled, practice values in, links and long
    numbers masked (the region's official ones kept), and in the chosen script."""

    def __init__(self, drill: Drill, lang: str, script: Script, region: Region) -> None:
        self.drill = drill
        self.lang = lang
        self.script = script
        self.region = region
        self.default = drill.library.settings.default_language
        self.region_text: RegionText = region_text(region, lang, self.default)
        official: set[str] = set()
        for fact_id, fact in region.facts.items():
            for value in [fact.value] if isinstance(fact.value, str) else list(fact.value.values()):
                if fact.kind in ("phone", "sms", "web", "app") or fact_id in ("after_loss", "report_loss"):
                    official.add(value)
            if fact.dial:
                official.add(fact.dial)
        self.official_digits = {re.sub(r"\D", "", value) for value in official if re.search(r"\d{3}", value)}
        self.official_digits |= {digits for value in official for digits in re.findall(r"\d{3,}", value)}
        self.official_links = {match.group(0) for value in official for match in _LINK.finditer(value)}

    def local(self, value: dict[str, str]) -> str:
        return value.get(self.lang) or value.get(self.default) or next(iter(value.values()))

    def local_list(self, value: dict[str, list[str]]) -> list[str]:
        return list(value.get(self.lang) or value.get(self.default) or [])

    def frame(self, key: str, **values: str | int) -> str:
        """A text of drill.yaml with its {names} filled, in the drill's script."""
        text = self.local(self.drill.texts.texts[key])
        for name, value in values.items():
            text = text.replace("{" + name + "}", str(value))
        return self.in_script(text)

    def practice(self, key: str) -> str:
        values = self.drill.texts.practice_values
        return self.local(values.get(key) or values["unknown"])

    def placeholders(self, text: str) -> str:
        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in FACT_IDS and name in self.region_text.values:
                return self.region_text.values[name]
            return self.practice(name if name in self.drill.texts.practice_values else "unknown")

        return _PLACEHOLDER.sub(fill, text)

    def mask(self, text: str) -> str:
        def link(match: re.Match[str]) -> str:
            found = match.group(0)
            return found if found in self.official_links else self.practice("masked_link")

        def number(match: re.Match[str]) -> str:
            found = match.group(0)
            digits = re.sub(r"\D", "", found)
            if len(digits) < 5 or digits in self.official_digits:
                return found
            return self.practice("masked_number")

        return _NUMBER.sub(number, _LINK.sub(link, text))

    def in_script(self, text: str) -> str:
        if self.lang != "zh" or not text:
            return text
        if self.script == "hant":
            own = self.region.script.get(self.lang, "")
            converted = str(_converter("s2hk" if own == "hant-hk" else "s2tw").convert(text))
            return self.region_text.own_words(converted)  # Taiwan's 軟體 and 簡訊, not the converter's 軟件 and 短信
        return str(_FOLD.convert(text))  # simplified, even for a region written in traditional

    def library(self, text: str, sentence: bool = False) -> str:
        """A library text made safe to say in a drill."""
        said = self.mask(self.placeholders(text))
        return self.in_script(_as_sentence(said, self.lang) if sentence else said)

    def prefixed(self, speaker: Literal["scammer", "coach"], text: str) -> str:
        prefix = self.in_script(self.local(getattr(self.drill.texts.prefix, speaker)))
        joiner = "" if prefix.endswith(("】", "」", "：")) else " "
        return prefix + joiner + text


# --- the drill -------------------------------------------------------------------------------


class Drill:
    """Plays drills over one loaded library; read-only once built, safe to share between threads."""

    def __init__(self, library: Library, texts: DrillFile | None = None, region: str | None = None) -> None:
        self.library = library
        self.texts = texts or load_drill_texts(library)
        self.default_region = region or library.regions.default
        self._regions = {item.id: item for item in library.regions.regions}
        broken = {problem.split(" ", 2)[1] for problem in drill_problems(library)}
        # Types that cannot be drilled (validate fails on them) are simply not offered.
        self.types: tuple[ScamType, ...] = tuple(t for t in library.types if t.id not in broken)
        self._types = {scam_type.id: scam_type for scam_type in self.types}
        self._cues = {
            part: {lang: tuple(fold(cue) for cue in cues) for lang, cues in getattr(self.texts.cues, part).items()}
            for part in ("spot", "comply", "comply_question", "doubt")
        }
        self._code = re.compile(self.texts.cues.code)

    # public ----------------------------------------------------------------------------------

    @functools.cache  # noqa: B019 - one Drill per library, kept for the process: the page asks on every view
    def type_names(self, lang: str, script: Script = "hans") -> list[dict[str, str]]:
        """The types a citizen can pick, as [{id, name}], in the library's order."""
        voice = self._voice(lang, script, self.default_region)
        return [{"id": scam_type.id, "name": voice.in_script(voice.local(scam_type.name))} for scam_type in self.types]

    @functools.cache  # noqa: B019 - as above: converting every frame text to a script is not free
    def words(self, lang: str, script: Script = "hans") -> dict[str, str]:
        """drill.yaml's frame texts in one language and script, for the page's script (drill.js)."""
        voice = self._voice(lang, script, self.default_region)
        words = {name: voice.frame(name) for name in self.texts.texts}
        words["prefix_scammer"] = voice.in_script(voice.local(self.texts.prefix.scammer))
        words["prefix_coach"] = voice.in_script(voice.local(self.texts.prefix.coach))
        return words

    def region(self, region_id: str | None) -> Region:
        return (
            self._regions.get(region_id or "")
            or self._regions.get(self.default_region)
            or self._regions[self.library.regions.default]
        )

    def start(
        self,
        scam_type: str | None,
        lang: str,
        script: Script | None = None,
        region: str | None = None,
        seed: int | None = None,
    ) -> DrillTurn:
        """A new drill: the coach's introduction and the scammer's opening line."""
        if not self.types:
            raise DrillError("scam_type", "No scam type in the library can be drilled.")
        rng = random.Random(seed)
        seed = seed if seed is not None else rng.randrange(1, 2**31)
        surprise = scam_type in (None, "", SURPRISE)
        if surprise:
            chosen = random.Random(f"type:{seed}").choice(self.types)
        elif scam_type in self._types:
            chosen = self._types[scam_type]
        else:
            raise DrillError("scam_type", f"Unknown scam type; use one of: {', '.join(self._types)}, {SURPRISE}")
        if lang not in self.library.languages:
            raise DrillError("lang", f"Unknown language; use one of: {', '.join(self.library.languages)}")
        place = self.region(region)
        script = script or ("hant" if place.script.get(lang, "hans").startswith("hant") else "hans")
        state = DrillState(chosen.id, lang, script, place.id, surprise, seed)
        voice = self._voice(lang, script, place.id)
        name = voice.frame("surprise_name") if surprise else voice.in_script(voice.local(chosen.name))
        intro = DrillMessage("coach", voice.prefixed("coach", voice.frame("intro", name=name)))
        state, line = self._scammer_line(state, chosen, voice)
        return self._turn(state, chosen, voice, (intro, line))

    def step(
        self,
        token: str,
        action: Action,
        message: str | None = None,
        doubt: str | None = None,
    ) -> DrillTurn:
        """The next turn: the citizen's answer (free text, a doubt, going along, hanging up, or ending)."""
        state = parse_token(token)
        scam_type = self._types.get(state.type_id)
        if scam_type is None or state.lang not in self.library.languages or state.region not in self._regions:
            raise DrillError("state", "The drill state is not valid; start a new drill.")
        stages = self._stages(scam_type)
        if (
            state.stage >= len(stages)
            or any(not self._said_ok(scam_type, stages, item) for item in state.said)
            or any(not self._heard_ok(scam_type, item) for item in state.heard)
        ):
            raise DrillError("state", "The drill state is not valid; start a new drill.")
        voice = self._voice(state.lang, state.script, state.region)

        chosen_doubt: int | None = None
        reading: Reading
        if action == "abandon":
            return self._debrief(state, scam_type, voice, "abandoned")
        if action == "hang_up":
            reading = "spot"
        elif action == "go_along":
            reading = "go_along"
        elif action == "doubt":
            ids = [rebuttal.id for rebuttal in scam_type.rebuttals]
            if doubt not in ids:
                raise DrillError("doubt", "Unknown doubt for this drill; use one the last turn offered.")
            reading, chosen_doubt = "doubt", ids.index(doubt)
        elif action == "say":
            if not message or not message.strip():
                raise DrillError("message", "Say something, or use hang_up, go_along or abandon.")
            reading = self.read(message, state.lang, voice)
        else:
            raise DrillError("action", "A drill has started already; use say, doubt, go_along, hang_up or abandon.")

        if reading == "spot":
            return self._debrief(state, scam_type, voice, "spotted")
        if reading in ("comply", "code"):
            return self._debrief(state, scam_type, voice, "complied", code=reading == "code")
        if state.turn >= MAX_TURNS:
            return self._debrief(state, scam_type, voice, "abandoned", too_long=True)
        if reading == "go_along":
            if self._asked_for_a_code(state, scam_type):
                # Going along with "read me the code" is reading it out: the drill stops there.
                return self._debrief(state, scam_type, voice, "complied", code=True)
            if state.stage + 1 >= len(stages):
                # Going along with the payment ask is complying: the drill stops, never a step further.
                return self._debrief(state, scam_type, voice, "complied")
            state = DrillState(**{**_fields(state), "stage": state.stage + 1})
            state, line = self._scammer_line(state, scam_type, voice)
            return self._turn(state, scam_type, voice, (line,))
        # A doubt: the scripted answer, as fraud call centres' manuals have it.
        if chosen_doubt is None:
            chosen_doubt = self._pick_rebuttal(state, scam_type, stages, message or "")
        if chosen_doubt is None:
            # Nothing scripted fits ("who is this?"): the scammer presses on with the script's next step, as a caller
            # who ignores a question does, not with another opener from a different story at the same step.
            if state.stage + 1 < len(stages):
                state = DrillState(**{**_fields(state), "stage": state.stage + 1})
            state, line = self._scammer_line(state, scam_type, voice)
            return self._turn(state, scam_type, voice, (line,))
        state, answer = self._rebuttal(state, scam_type, voice, chosen_doubt)
        return self._turn(state, scam_type, voice, (answer,))

    def read(self, message: str, lang: str, voice: _Voice | None = None) -> Reading:
        """What the citizen's free-text answer means for the drill."""
        text = fold(message)[:2000]
        digits_in = set(re.findall(r"\d{3,}", re.sub(r"[\s-]", "", text)))
        if voice is not None and digits_in & voice.official_digits:
            return "spot"  # they mean to call the real police or helpline
        if self._has(text, "spot", lang):
            return "spot"
        question = bool(_QUESTION.search(text))
        if self._has(text, "comply_question", lang, negatable=True):
            return "code" if re.search(r"验证码|code|密码|password", text) else "comply"
        if not question and self._has(text, "comply", lang, negatable=True):
            return "code" if re.search(r"验证码|code|密码|password", text) else "comply"
        if not question and self._code.search(text):
            return "code"
        return "doubt" if self._has(text, "doubt", lang) else "go_along"

    # internals -------------------------------------------------------------------------------

    def _voice(self, lang: str, script: Script, region: str) -> _Voice:
        return _Voice(self, lang, script, self.region(region))

    def _has(self, text: str, part: str, lang: str, negatable: bool = False) -> bool:
        cues = self._cues[part]
        for cue_lang in (lang, *(other for other in cues if other != lang)):
            for cue in cues.get(cue_lang, ()):
                for match in _cue_matches(text, cue):
                    if negatable and _negated(text, match):
                        continue
                    return True
        return False

    def _stages(self, scam_type: ScamType) -> list[str]:
        """The stages a drill plays: the type's own, up to and including the payment ask."""
        stages = _all_stages(scam_type)
        return stages[: stages.index(END_STAGE) + 1] if END_STAGE in stages else stages

    def _said_ok(self, scam_type: ScamType, stages: list[str], item: tuple[int, ...]) -> bool:
        _, stage, line, _variant = item
        if stage >= len(stages) or line >= len(scam_type.lines):
            return False
        return scam_type.lines[line].stage == stages[stage]

    def _heard_ok(self, scam_type: ScamType, item: tuple[int, ...]) -> bool:
        return item[1] < len(scam_type.rebuttals)

    def _asked_for_a_code(self, state: DrillState, scam_type: ScamType) -> bool:
        """Whether the scammer's last line asked for a code or password ("把支付宝收到的验证码告诉我")."""
        if not state.said:
            return False
        _, _, index, variant = state.said[-1]
        variants = scam_type.lines[index].text.get(state.lang, ())
        text = fold(variants[variant]) if variant < len(variants) else ""
        return bool(_ASKS_FOR_CODE.search(text))

    def _scammer_line(self, state: DrillState, scam_type: ScamType, voice: _Voice) -> tuple[DrillState, DrillMessage]:
        stage = self._stages(scam_type)[state.stage]
        candidates = _in_region(
            [i for i, line in enumerate(scam_type.lines) if line.stage == stage and line.text.get(state.lang)],
            [line.regions for line in scam_type.lines],
            state.region,
        )
        used = {item[2] for item in state.said}
        fresh = [i for i in candidates if i not in used] or candidates
        rng = random.Random(f"{state.seed}:{state.turn}:line")
        index = rng.choice(fresh)
        variants = scam_type.lines[index].text[state.lang]
        variant = rng.randrange(len(variants))
        turn = state.turn + 1
        state = DrillState(
            **{**_fields(state), "turn": turn, "said": (*state.said, (turn, state.stage, index, variant))}
        )
        text = voice.library(variants[variant], sentence=True)
        return state, DrillMessage("scammer", voice.prefixed("scammer", text), stage)

    def _rebuttal(
        self, state: DrillState, scam_type: ScamType, voice: _Voice, index: int
    ) -> tuple[DrillState, DrillMessage]:
        rebuttal = scam_type.rebuttals[index]
        answers = rebuttal.answer.get(state.lang) or voice.local_list(rebuttal.answer)
        heard = [item[2] for item in state.heard if item[1] == index]
        rng = random.Random(f"{state.seed}:{state.turn}:answer")
        fresh = [i for i in range(len(answers)) if i not in heard] or list(range(len(answers)))
        variant = rng.choice(fresh)
        turn = state.turn + 1
        state = DrillState(**{**_fields(state), "turn": turn, "heard": (*state.heard, (turn, index, variant))})
        text = voice.library(answers[variant], sentence=True)
        stage = self._stages(scam_type)[state.stage]
        return state, DrillMessage("scammer", voice.prefixed("scammer", text), stage)

    def _order(self, scam_type: ScamType, stages: list[str], state: DrillState) -> list[int]:
        """Rebuttals not heard yet, the current stage's first, then earlier stages' (latest first)."""
        heard = {item[1] for item in state.heard}
        now = state.stage
        all_stages = _all_stages(scam_type)

        def rank(index: int) -> tuple[int, int]:
            stage = scam_type.rebuttals[index].stage
            position = stages.index(stage) if stage in stages else all_stages.index(stage)
            return (0 if position == now else 1 if position < now else 2, abs(position - now))

        fresh = [i for i, rebuttal in enumerate(scam_type.rebuttals) if i not in heard and rebuttal.answer]
        return sorted(fresh, key=rank)

    def _offered(self, scam_type: ScamType, state: DrillState) -> list[int]:
        stages = self._stages(scam_type)
        order = self._order(scam_type, stages, state)
        all_stages = _all_stages(scam_type)
        order = _in_region(order, [rebuttal.regions for rebuttal in scam_type.rebuttals], state.region)
        reached = [
            i for i in order if all_stages.index(scam_type.rebuttals[i].stage) <= all_stages.index(stages[state.stage])
        ]
        return (reached or order)[:3]

    def _pick_rebuttal(self, state: DrillState, scam_type: ScamType, stages: list[str], message: str) -> int | None:
        """The rebuttal whose doubt the citizen's words are closest to; else the stage's next one."""
        text = fold(message)
        best: tuple[float, int] | None = None
        regions = [rebuttal.regions for rebuttal in scam_type.rebuttals]
        playable = set(_in_region(list(range(len(scam_type.rebuttals))), regions, state.region))
        for index, rebuttal in enumerate(scam_type.rebuttals):
            if index not in playable:
                continue
            doubt = fold(rebuttal.doubt.get(state.lang, ""))
            if not doubt:
                continue
            score = fuzz.token_set_ratio(text, doubt) if state.lang != "zh" else fuzz.partial_ratio(text, doubt)
            if score >= 70 and (best is None or score > best[0]):
                best = (score, index)
        if best is not None:
            return best[1]
        order = self._order(scam_type, stages, state)
        all_stages = _all_stages(scam_type)
        now = all_stages.index(stages[state.stage])
        reached = [i for i in order if i in playable and all_stages.index(scam_type.rebuttals[i].stage) <= now]
        return reached[0] if reached else None

    def _turn(
        self, state: DrillState, scam_type: ScamType, voice: _Voice, messages: Sequence[DrillMessage]
    ) -> DrillTurn:
        doubts = tuple(
            Doubt(scam_type.rebuttals[i].id, voice.library(voice.local(scam_type.rebuttals[i].doubt)))
            for i in self._offered(scam_type, state)
        )
        hidden = state.surprise
        return DrillTurn(
            state=state.token(),
            done=False,
            lang=state.lang,
            script=state.script,
            region=state.region,
            banner=voice.frame("banner"),
            turn=state.turn,
            stage=self._stages(scam_type)[state.stage],
            messages=tuple(messages),
            doubts=doubts,
            scam_type=None if hidden else scam_type.id,
            scam_type_name=None if hidden else voice.in_script(voice.local(scam_type.name)),
        )

    def _debrief(
        self,
        state: DrillState,
        scam_type: ScamType,
        voice: _Voice,
        outcome: Outcome,
        code: bool = False,
        too_long: bool = False,
    ) -> DrillTurn:
        stages = self._stages(scam_type)
        stage_id = stages[state.stage]
        stage_names = self.library.settings.templates.stage_names
        name_of: dict[str, str] = {
            str(stage): voice.in_script(voice.local(name)) for stage, name in stage_names.items()
        }
        rt = voice.region_text
        signs = tuple(
            Sign(
                turn,
                stages[stage],
                name_of[stages[stage]],
                voice.library(scam_type.lines[line].text[state.lang][variant], sentence=True),
                self._why(scam_type, stages[stage], scam_type.lines[line].text[state.lang][variant], voice),
            )
            for turn, stage, line, variant in state.said
        )
        rebuttals = tuple(
            HeardRebuttal(
                turn,
                voice.library(voice.local(scam_type.rebuttals[index].doubt)),
                voice.library(scam_type.rebuttals[index].answer[state.lang][variant], sentence=True),
                voice.library(voice.local(scam_type.rebuttals[index].truth)),
            )
            for turn, index, variant in state.heard
        )
        scored = state.turn  # the step the citizen reached
        total = len(stages)
        score: int | None = None
        summary: list[str] = []
        step_name = name_of[stage_id]
        if outcome == "spotted":
            score = round(100 * (total - state.stage) / total)
            summary.append(voice.frame("spotted", turn=max(scored, 1), stage=step_name))
            if state.stage == 0:
                summary.append(voice.frame("spotted_early"))
        elif outcome == "complied":
            score = 0
            summary.append(voice.frame("complied"))
            if code:
                summary.append(voice.frame("complied_code"))
        else:
            summary.append(voice.frame("too_long" if too_long else "abandoned"))
        step = next(item for item in scam_type.stages if item.id == stage_id)
        next_step = voice.in_script(voice.local(step.next)) if outcome != "spotted" or state.stage < total - 1 else None
        hotlines = []
        for fact_id in HOTLINE_FACTS:
            fact = voice.region.facts.get(fact_id)  # type: ignore[call-overload]
            number = voice.region.fact_text(fact_id, state.lang, voice.default)
            if fact is not None and number and fact.label is not None:
                hotlines.append(Hotline(voice.in_script(voice.local(fact.label)), number))
        advice = tuple(
            voice.in_script(voice.mask(item)) for item in rt.fill_all(voice.local_list(scam_type.advice.before))
        )
        after = (
            tuple(voice.in_script(voice.mask(item)) for item in rt.fill_all(voice.local_list(scam_type.advice.after)))
            if outcome == "complied"
            else ()
        )
        type_signs = tuple(
            voice.in_script(voice.mask(item)) for item in rt.fill_all(voice.local_list(scam_type.warning_signs))
        )
        type_name = voice.in_script(voice.local(scam_type.name))
        debrief = Debrief(
            outcome=outcome,
            summary=tuple(summary),
            stage=stage_id,
            stage_name=step_name,
            stage_index=state.stage + 1,
            stages=total,
            score=score,
            signs=signs,
            rebuttals=rebuttals,
            type_signs=type_signs,
            advice=advice,
            after=after,
            next_step=next_step,
            hotlines=tuple(hotlines),
            scam_type=scam_type.id,
            scam_type_name=type_name,
            scam_type_summary=voice.in_script(voice.mask(voice.local(scam_type.summary))),
            text="",
        )
        text = voice.prefixed("coach", self._plain(debrief, voice))
        debrief = Debrief(**{**{f: getattr(debrief, f) for f in debrief.__dataclass_fields__}, "text": text})
        message = DrillMessage("coach", voice.prefixed("coach", " ".join(summary)))
        return DrillTurn(
            state=None,
            done=True,
            lang=state.lang,
            script=state.script,
            region=state.region,
            banner=voice.frame("banner"),
            turn=state.turn,
            stage=stage_id,
            messages=(message,),
            doubts=(),
            scam_type=scam_type.id,
            scam_type_name=type_name,
            debrief=debrief,
        )

    def _why(self, scam_type: ScamType, stage: str, said: str, voice: _Voice) -> tuple[str, ...]:
        """Why a line is a warning sign: the type's rules of that stage whose words it uses, else the
        stage's first plain rule, else what the script's previous stage said would come next."""
        text = fold(said)
        rules = [rule for rule in scam_type.rules if rule.stage == stage]
        hits = [rule for rule in rules if _rule_hits(rule, text, voice.lang)]
        if not hits:
            hits = [rule for rule in rules if not rule.needs_company and not rule.concepts][:1] or rules[:1]
        if hits:
            seen: list[str] = []
            for rule in hits:
                explain = voice.in_script(voice.mask(voice.local(rule.explain)))
                if explain not in seen:
                    seen.append(explain)
            return tuple(seen[:2])
        stages = _all_stages(scam_type)
        position = stages.index(stage)
        if position > 0:
            return (voice.in_script(voice.local(scam_type.stages[position - 1].next)),)
        signs = voice.local_list(scam_type.warning_signs)
        return (voice.in_script(voice.mask(voice.region_text.fill(signs[0]))),) if signs else ()

    def _plain(self, debrief: Debrief, voice: _Voice) -> str:
        """The debrief as one plain text, for API clients and screen readers."""
        parts = [*debrief.summary]
        parts.append(
            voice.frame("stage_reached", stage=debrief.stage_name, index=debrief.stage_index, total=debrief.stages)
        )
        parts.append(
            voice.frame("score", score=debrief.score) if debrief.score is not None else voice.frame("no_score")
        )
        parts.append(voice.frame("type_heading") + ": " + debrief.scam_type_name)
        if debrief.signs:
            parts.append(voice.frame("signs_heading") + ":")
            for sign in debrief.signs:
                parts.append(
                    f"{voice.frame('step', turn=sign.turn, stage=sign.stage_name)}: {sign.said} {' '.join(sign.why)}"
                )
        if debrief.rebuttals:
            parts.append(voice.frame("rebuttals_heading") + ":")
            for item in debrief.rebuttals:
                parts.append(
                    f"{voice.frame('you_asked')}: {item.doubt} {voice.frame('they_said')}: {item.answer} "
                    f"{voice.frame('truth_label')}: {item.truth}"
                )
        if debrief.next_step:
            parts.append(voice.frame("next_heading") + ": " + debrief.next_step)
        parts.append(voice.frame("advice_heading") + ": " + " ".join(debrief.advice))
        if debrief.after:
            parts.append(voice.frame("after_heading") + ": " + " ".join(debrief.after))
        if debrief.hotlines:
            parts.append(
                voice.frame("hotlines_heading")
                + ": "
                + ", ".join(f"{line.name} {line.number}" for line in debrief.hotlines)
            )
        return "\n".join(parts)


def _in_region(indices: list[int], regions: Sequence[list[str]], region: str) -> list[int]:
    """Of the lines (or doubts) at `indices`, those written for `region` when there are any, else those written for
    every region; all of them when neither (a stage with mainland lines only still plays in Hong Kong)."""
    own = [i for i in indices if region in regions[i]]
    everywhere = [i for i in indices if not regions[i]]
    return own or everywhere or indices


def _all_stages(scam_type: ScamType) -> list[str]:
    return [str(step.id) for step in scam_type.stages]


def _fields(state: DrillState) -> dict[str, Any]:
    return {name: getattr(state, name) for name in state.__dataclass_fields__}


def _cue_matches(text: str, cue: str) -> list[int]:
    """Where a cue occurs: anywhere for Chinese, as whole words for Latin script."""
    if not cue:
        return []
    if re.search(r"[\u4e00-\u9fff？]", cue) or not re.search(r"\w", cue):
        return [match.start() for match in re.finditer(re.escape(cue), text)]
    pattern = (r"\b" if cue[0].isalnum() else "") + re.escape(cue) + (r"\b" if cue[-1].isalnum() else "")
    return [match.start() for match in re.finditer(pattern, text)]


def _negated(text: str, at: int) -> bool:
    """A negation just before a cue ("我不会转", "I will not send") or right after it ("我转不了")."""
    before = text[max(0, at - 3) : at]
    after = text[at : at + 6]
    if _NEGATION_ZH.search(before) or re.search(r"[不没沒]了?", after[2:5]):
        return True
    return bool(_NEGATION_EN.search(text[max(0, at - 14) : at]))


def _rule_hits(rule: Rule, text: str, lang: str) -> bool:
    for keyword in rule.keywords.get(lang, []):
        if fold(keyword) in text:
            return True
    for pattern in rule.regex.get(lang, []):
        try:
            if re.search(pattern, text, re.IGNORECASE):
                return True
        except re.error:
            continue
    return False
