"""The SMS channel: the chat's dialogue, answered in at most three text messages.

Many of the people most exposed to phone fraud have a basic phone and only SMS. A long reply costs
them (and the service) per segment and reads badly on a small screen, so every reply here is laid
out for a budget of three segments, and the first always carries the verdict, the one action that
matters and the hotline: if only one message arrives, it is the one that protects.

Pure logic, no HTTP: the gateway routes (bot/channels/web/sms.py) check signatures and hand over
(number, text, message id). Numbers become a salted HMAC the moment they arrive, so sessions,
opt-outs and logs never hold one in clear. Replies never contain a link, not even one the citizen
sent: a link in a text from an anti-fraud number is exactly what scammers imitate.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from bot.channels.phone import normalise_number
from bot.channels.sessions import LocalLocks, Locks, SessionStore
from bot.conversation.dialogue import Dialogue, SessionState
from bot.conversation.phrases import Question
from bot.conversation.reply import RegionTexts, Reply, ReplyKind
from bot.engine.verdict import Localiser
from bot.library.lint import PLACEHOLDERS, text_problems
from bot.library.loader import Library, LibraryError, Problem, load_side_file
from bot.library.regions import RegionText, region_text
from bot.library.schema import Localised, LocalisedList, Model, Region

log = logging.getLogger(__name__)

MAX_SEGMENTS = 3
MAX_EVIDENCE = 2  # quotes of the citizen's own words, when there is room

# --- counting segments ---------------------------------------------------------------------------

Encoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38: the default alphabet (one septet each; ESC itself is not a character) and the extension
# table, whose characters are sent as ESC + code and so cost two septets.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")
# (one segment alone, each segment of a multipart message): a multipart header takes 6 or 7 units.
LIMITS: dict[Encoding, tuple[int, int]] = {"GSM-7": (160, 153), "UCS-2": (70, 67)}

# Typographic punctuation that would force a whole English reply into UCS-2 (70 characters a segment).
_GSM_FRIENDLY = str.maketrans(
    {"‘": "'", "’": "'", "‚": "'", "′": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "–": "-", "—": "-"}
    | {"…": "...", "\u00a0": " ", "\u2009": " ", "\u202f": " "}
)


@dataclass(frozen=True, slots=True)
class SegmentCount:
    encoding: Encoding
    units: int  # GSM septets, or UTF-16 code units
    segments: int


GSM_CHARACTERS = GSM_BASIC | GSM_EXTENSION


def is_gsm(text: str) -> bool:
    return GSM_CHARACTERS.issuperset(text)


def _costs(text: str, encoding: Encoding) -> Iterator[int]:
    if encoding == "GSM-7":
        return (2 if char in GSM_EXTENSION else 1 for char in text)
    return (2 if ord(char) > 0xFFFF else 1 for char in text)  # outside the BMP: a surrogate pair


def units(text: str, encoding: Encoding) -> int:
    """What `_costs` adds up, counted in C: laying a reply out measures every candidate part, and a
    generator over each character was most of an SMS reply's own time."""
    if encoding == "GSM-7":  # the extension's characters count twice (most texts have none)
        if GSM_EXTENSION.isdisjoint(text):
            return len(text)
        return len(text) + sum(text.count(char) for char in GSM_EXTENSION)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2  # UTF-16 code units: 2 outside the BMP


def count_segments(text: str) -> SegmentCount:
    """How a handset sends `text`: GSM-7 if every character allows it, else UCS-2; multipart
    segments never split an escape sequence or a surrogate pair."""
    encoding: Encoding = "GSM-7" if is_gsm(text) else "UCS-2"
    single, per_part = LIMITS[encoding]
    total = units(text, encoding)
    if total <= single:
        return SegmentCount(encoding, total, 1 if total else 0)
    if total == len(text):  # every character one unit: nothing to keep whole across a segment break
        return SegmentCount(encoding, total, -(-total // per_part))
    segments, used = 1, 0
    for cost in _costs(text, encoding):
        if used + cost > per_part:
            segments, used = segments + 1, 0
        used += cost
    return SegmentCount(encoding, total, segments)


# --- laying a reply out in parts -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Line:
    """A piece of a reply; when the budget is short, lines with the highest `rank` go first."""

    text: str
    rank: int = 0  # 0: never dropped
    glue: str = "\n"  # what joins it to the line before when both share a part


_SENTENCE_BREAKS = frozenset("。！？；.!?;")
_OTHER_BREAKS = frozenset(" ,:，：、")


def _joined(lines: Sequence[Line]) -> str:
    return "".join(line.glue + line.text if index else line.text for index, line in enumerate(lines))


def _encoding(text: str) -> Encoding:
    return "GSM-7" if is_gsm(text) else "UCS-2"


def _layout(lines: Sequence[Line]) -> tuple[tuple[str, ...], Encoding]:
    """Lines packed greedily into parts; each part plus the newline that joins it to the next fits
    one segment of a multipart message, so the joined text needs no more segments than parts.
    A text's units are the sum of its pieces' units, so each piece is measured once, not every
    candidate part it grows."""
    whole = _joined(lines)
    encoding = _encoding(whole)
    single, per_part = LIMITS[encoding]
    if units(whole, encoding) <= single:
        return ((whole,) if whole else ()), encoding
    room = per_part - 1
    parts: list[str] = []
    current, used = "", 0
    for line in lines:
        glue = units(line.glue, encoding)
        for piece in _pieces(line.text, room, encoding):
            size = units(piece, encoding)
            grown = used + glue + size if current else size
            if grown <= room:
                current, used = (current + line.glue + piece if current else piece), grown
            else:
                parts.append(current)
                current, used = piece, size
    if current:
        parts.append(current)
    return tuple(parts), encoding


def _pieces(text: str, room: int, encoding: Encoding) -> list[str]:
    """A line too long for one part, cut after a sentence, else a clause or a word, where possible."""
    pieces = []
    rest = text
    while units(rest, encoding) > room:
        fits, used = 0, 0
        for cost in _costs(rest, encoding):
            if used + cost > room:
                break
            fits, used = fits + 1, used + cost
        cut = fits
        for breaks in (_SENTENCE_BREAKS, _OTHER_BREAKS):
            after = [index + 1 for index in range(fits // 2, fits) if rest[index] in breaks]
            if after:
                cut = after[-1]
                break
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    pieces.append(rest)
    return [piece for piece in pieces if piece]


def _truncate(parts: tuple[str, ...], budget: int, encoding: Encoding) -> tuple[str, ...]:
    """The last resort when even the lines that are never dropped are too long: cut, and say so."""
    kept = list(parts[:budget])
    ellipsis = "..." if encoding == "GSM-7" else "…"
    room = LIMITS[encoding][1] - 1
    last = kept[-1]
    while last and units(last + ellipsis, encoding) > room:
        last = last[:-1]
    kept[-1] = last.rstrip() + ellipsis
    return tuple(kept)


def fit(head: Sequence[str], body: Sequence[Line], budget: int = MAX_SEGMENTS) -> tuple[str, ...] | None:
    """`head` whole at the start of the first part, then as much of `body` as the budget allows;
    None when the head cannot share a segment with the body lines that are never dropped."""
    head_lines = [Line(text) for text in head if text]
    head_text = "\n".join(line.text for line in head_lines)
    kept = [line for line in body if line.text]
    encoding = _encoding(_joined([*head_lines, *(line for line in kept if line.rank == 0)]))
    if units(head_text, encoding) > LIMITS[encoding][1] - 1:
        return None
    while True:
        parts, encoding = _layout([*head_lines, *kept])
        # An optional line can force UCS-2 and push the head apart: dropping lines undoes that too.
        intact = not head_text or (bool(parts) and parts[0].startswith(head_text))
        if intact and len(parts) <= budget:
            return parts
        droppable = [index for index, line in enumerate(kept) if line.rank > 0]
        if not droppable:  # only what is never dropped is left: the head fits beside it (checked above)
            return parts if len(parts) <= budget else _truncate(parts, budget, encoding)
        del kept[max(droppable, key=lambda index: (kept[index].rank, index))]


def compose(heads: Sequence[Sequence[str]], body: Sequence[Line], budget: int = MAX_SEGMENTS) -> tuple[str, ...]:
    """The first head (most complete first) that fits the first segment, and the body after it.

    Empty texts (a sentence left out because the region lacks its fact) take no room."""
    heads = [[text for text in head if text] for head in heads]
    body = [line for line in body if line.text]
    for head in heads:
        parts = fit(head, body, budget)
        if parts is not None:
            return parts
    fallback = [Line(text) for text in (heads[-1] if heads else ())]
    parts = fit((), [*fallback, *body], budget)
    assert parts is not None  # without a head, fit() always answers
    return parts


def paragraph(text: str, keep: int | None = None) -> list[Line]:
    """A paragraph as one line per sentence, glued back with a space (nothing after CJK punctuation),
    so a part can end between sentences; sentences after the first `keep` may be dropped, last first."""
    lines: list[Line] = []
    for index, sentence in enumerate(sentences(text)):
        glue = "\n" if not lines else (" " if lines[-1].text[-1].isascii() else "")
        rank = 0 if keep is None or index < keep else 3 + index
        lines.append(Line(sentence, rank, glue))
    return lines


# --- links ---------------------------------------------------------------------------------------

# Anything a phone could turn into a tap: a scheme (also defanged hxxp), www., a bare domain (also
# with [.]), or an IP address. ASCII look-behinds, since \b sees no boundary between 录 and "h".
_URL_CHARS = r"[A-Za-z0-9._~:/?#\[\]@!$&()*+,;=%-]"
LINK = re.compile(
    rf"(?i)(?<![a-z0-9])(?:(?:https?|hxxps?|ftp)://|www\.){_URL_CHARS}+"
    r"|(?<![a-z0-9.@-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.|\[\.\]))+[a-z]{2,24}(?![a-z0-9-])"
    rf"(?:[/?#]{_URL_CHARS}*)?"
    rf"|(?<![0-9.])\d{{1,3}}(?:\.\d{{1,3}}){{3}}(?::\d+)?(?:/{_URL_CHARS}*)?"
)


def strip_links(text: str, placeholder: str) -> str:
    return LINK.sub(placeholder, text)


def gsm_friendly(text: str) -> str:
    """Typographic quotes and dashes made plain, when that lets the text go as GSM-7."""
    plain = text.translate(_GSM_FRIENDLY)
    return plain if is_gsm(plain) else text


_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])\s*|(?<=\.)\s+")


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(" ".join(text.split())) if part.strip()]


# --- the texts (scripts_library/sms.yaml) --------------------------------------------------------

# Placeholders sms.yaml may use: the region's numbers, and what a reply fills in.
SMS_PLACEHOLDERS = PLACEHOLDERS | {"risk", "name", "quote", "why"}


class Keywords(Model):
    help: LocalisedList
    stop: LocalisedList
    start: LocalisedList
    reset: LocalisedList


class RiskWords(Model):
    high: Localised
    medium: Localised
    low: Localised


class SmsTexts(Model):
    help: Localised
    stopped: Localised
    started: Localised
    reset: Localised
    risk: RiskWords
    named: Localised
    unnamed: Localised
    default_action: Localised
    minimal_action: Localised
    hotline: Localised
    urgent_hotline: Localised
    cant_tell: Localised
    tell_more: Localised
    # Said when the text reads like a warning, news or a report about a scam (the verdict's awareness).
    awareness: Localised
    slow_down: Localised  # the one notice to a number over its rate limit; silence after it
    evidence: Localised
    menu: Localised
    link: Localised
    urgent: LocalisedList
    # Someone who says they want to die: care and the region's crisis line, first, in a few words.
    distress: Localised


class Detail(Model):
    """What a one-digit reply sends: a title and lines, or the last verdict's own list."""

    key: str = Field(pattern=r"^[0-9]$")
    title: Localised
    lines: LocalisedList
    from_verdict: Literal["warning_signs"] | None = None


class SmsFile(Model):
    keywords: Keywords
    texts: SmsTexts
    actions: dict[str, Localised]  # scam type -> its most important action, short enough for one SMS
    details: list[Detail] = Field(min_length=1)

    @field_validator("details")
    @classmethod
    def _unique_keys(cls, value: list[Detail]) -> list[Detail]:
        keys = [detail.key for detail in value]
        if len(keys) != len(set(keys)):
            raise ValueError(f"duplicate detail key(s) in {keys}")
        return value


def load_sms_texts(library: Library) -> SmsFile:
    """Read sms.yaml beside the library's other files; raises LibraryError listing every problem."""
    display = "scripts_library/sms.yaml"
    problems: list[Problem] = []
    sms = load_side_file(library, "sms.yaml", SmsFile, problems)
    if sms is None:
        raise LibraryError(problems)
    languages = set(library.languages)
    for name, value in _localised(sms):
        if missing := languages - set(value):
            problems.append(Problem(display, "", name, f"missing language(s) {sorted(missing)}"))
        for text in itertools.chain.from_iterable([item] if isinstance(item, str) else item for item in value.values()):
            problems.extend(text_problems(display, "", name, text, SMS_PLACEHOLDERS))
    known_types = {t.id for t in library.types} | {t.category for t in library.types}
    for type_id in sorted(set(sms.actions) - known_types):
        problems.append(Problem(display, f"actions ({type_id})", "", "not a scam type of the library"))
    for lang, menu in sms.texts.menu.items():
        for detail in sms.details:
            if detail.key not in menu:
                problems.append(Problem(display, "texts", "menu", f"({lang}) does not offer detail {detail.key}"))
    seen: dict[str, str] = {}
    for group, words in sms.keywords:
        for word in itertools.chain.from_iterable(words.values()):
            folded = fold_keyword(word)
            if (folded in seen and seen[folded] != group) or folded.isdigit() or not folded:
                problems.append(Problem(display, "keywords", group, f"{word!r} is empty, a digit or in two groups"))
            seen[folded] = group
    if problems:
        raise LibraryError(problems)
    return sms


def _localised(value: object, label: str = "") -> Iterator[tuple[str, dict[str, str] | dict[str, list[str]]]]:
    """Every text-by-language of a model (a dict of strings or of lists), wherever it is nested."""
    if isinstance(value, BaseModel):
        for name, item in value:
            yield from _localised(item, f"{label}.{name}" if label else name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _localised(item, f"{label}[{index}]")
    elif isinstance(value, dict) and value:
        if all(isinstance(item, str | list) for item in value.values()):
            yield label, value
        else:
            for key, item in value.items():
                yield from _localised(item, f"{label}.{key}")


_NOT_WORD = re.compile(r"[\W_]+")


def fold_keyword(text: str) -> str:
    """One keyword however it is typed ("Stop.", "ＳＴＯＰ", " stop "): NFKC, case folded, no punctuation."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())


# --- the channel ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SmsState:
    """A number's conversation: the dialogue's own state, plus what a digit reply needs."""

    dialogue: SessionState
    lang: str
    warning_signs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SmsReply:
    parts: tuple[str, ...]  # each one SMS segment; joined by newlines they fit the budget as one message
    kind: str  # a ReplyKind, or help | stop | start | reset | details | silent | limited
    lang: str
    risk: str | None = None  # the verdict's, when the reply carries one (for the operator's counts)
    scam_type: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.parts)


# What a rate limit says about a number's next text: answer it, send the one "slow down" notice, or
# stay silent until the window has passed (bot/channels/web/ratelimit.py).
Budget = Literal["ok", "notice", "silent"]


class SmsChannel:
    """Built once per service; the stores are its only state, each bounded and safe across threads
    (and, given Redis stores and locks, across processes)."""

    def __init__(
        self,
        dialogue: Dialogue,
        library: Library,
        region: Region,
        sms: SmsFile,
        *,
        salt: bytes,
        sessions: SessionStore[SmsState],
        opt_outs: SessionStore[bool],
        replies: SessionStore[SmsReply],
        log_text: bool = False,
        locks: Locks | None = None,
        budget: Callable[[str], Budget] | None = None,
        observer: Callable[[SmsReply, str], None] | None = None,
    ) -> None:
        self.dialogue = dialogue
        self.region = region
        self.sms = sms
        self.sessions = sessions
        self.opt_outs = opt_outs
        self.replies = replies  # by sender and gateway message id: a retry gets the same answer
        self._salt = salt
        self._log_text = log_text
        self._default_language = library.settings.default_language
        # One sender's messages are handled one at a time (a retry waits for the first answer);
        # different senders mostly take different locks.
        self._locks: Locks = locks or LocalLocks()
        self._budget = budget  # per hashed number; None: no limit
        self._observer = observer  # told of each fresh reply (never a retry): metrics and insights
        self._keywords = {
            fold_keyword(word): (group, lang)
            for group, words in sms.keywords
            for lang, items in words.items()
            for word in items
        }
        self._details = {detail.key: detail for detail in sms.details}
        # sms.yaml's texts as sent, by language: only the library's own, so bounded by it.
        self._filled = RegionTexts(region, self._default_language)
        self._said: dict[tuple[str, str], str] = {}

    def sender_key(self, number: str) -> str:
        """HMAC-SHA256(salt, number in E.164): every written form of one number is one key (bot/channels/phone.py),
        stable while the salt is, and useless without it."""
        plain = normalise_number(number, self.region.country)
        return hmac.new(self._salt, plain.encode("utf-8"), hashlib.sha256).hexdigest()

    def handle(self, number: str, text: str, message_id: str | None = None) -> SmsReply:
        """The reply to one incoming text; a retry of a message already answered gets that answer."""
        sender = self.sender_key(number)
        key = f"{sender}:{message_id}" if message_id else None
        with self._locks.hold(sender):
            cached = self.replies.get(key) if key else None
            reply = cached or self._budgeted(sender, text)
            if key and cached is None:
                self.replies.put(key, reply)
        if cached is None and self._observer is not None:
            self._observer(reply, text)
        log.info(
            "sms %s from %s: %s%s, %d part(s), %d segment(s)",
            message_id or "-",
            sender[:12],
            reply.kind,
            " (retry)" if cached else "",
            len(reply.parts),
            count_segments(reply.text).segments,
        )
        if self._log_text:
            log.info("sms %s text %r -> %r", message_id or "-", text, reply.text)
        return reply

    # --- what a message asks for -----------------------------------------------------------------

    def _budgeted(self, sender: str, text: str) -> SmsReply:
        """Within the number's budget, the reply; beyond it one short notice, then silence. STOP and
        START are always honoured (carriers require it), and cost nothing."""
        keyword = fold_keyword(text)  # folded once: a keyword, a detail's digit, or neither
        group, keyword_lang = self._keywords.get(keyword, ("", ""))
        if self._budget is None or group in ("stop", "start"):
            return self._respond(sender, text, keyword)
        budget = self._budget(sender)
        if budget == "ok":
            return self._respond(sender, text, keyword)
        lang = keyword_lang or self.region.default_language
        if budget == "silent" or self.opt_outs.get(sender):
            return SmsReply((), "limited", lang)
        state = self.sessions.get(sender)
        return self._plain("limited", self.sms.texts.slow_down, keyword_lang or (state.lang if state else lang))

    def _respond(self, sender: str, text: str, keyword: str) -> SmsReply:
        """The reply to `text`, whose folded form (`fold_keyword`) is `keyword`."""
        group, keyword_lang = self._keywords.get(keyword, ("", ""))
        opted_out = bool(self.opt_outs.get(sender))
        if group == "start" and opted_out:
            self.opt_outs.delete(sender)
            return self._plain("start", self.sms.texts.started, keyword_lang)
        if opted_out:
            return SmsReply((), "silent", keyword_lang or self.region.default_language)
        if group == "stop":  # one confirmation, as carriers require; then silence until START
            self.opt_outs.put(sender, True)
            self.sessions.delete(sender)
            return self._plain("stop", self.sms.texts.stopped, keyword_lang)
        if group in ("help", "start"):  # START from a number that never left asks how this works
            return self._plain("help", self.sms.texts.help, keyword_lang)
        if group == "reset":
            self.sessions.delete(sender)
            return self._plain("reset", self.sms.texts.reset, keyword_lang)
        state = self.sessions.get(sender)
        lang = state.lang if state else self.region.default_language
        detail = self._details.get(keyword)
        if detail is not None:
            return self._detail(detail, state, lang)
        if not text.strip():
            return self._plain("help", self.sms.texts.help, lang)
        previous = state.dialogue if state else None
        answered = self.dialogue.answers_pending(previous, text)
        dialogue_state, reply = self.dialogue.handle(previous, text, region=self.region.id)  # the configured region
        signs = reply.warning_signs or (state.warning_signs if state else ())
        self.sessions.put(sender, SmsState(dialogue_state, reply.lang, signs))
        risk = str(reply.risk) if reply.risk is not None else None
        return SmsReply(self._from_dialogue(reply, answered), str(reply.kind), reply.lang, risk, reply.scam_type)

    # --- writing replies -------------------------------------------------------------------------

    def _local(self, lang: str) -> Localiser:
        return Localiser(lang, self._default_language)

    def _clean(self, text: str, lang: str) -> str:
        """Any text on its way out: one line, no links, plain punctuation where that keeps GSM-7."""
        return gsm_friendly(strip_links(" ".join(text.split()), self._local(lang)(self.sms.texts.link)))

    def _region(self, lang: str) -> RegionText:
        return region_text(self.region, lang, self._default_language)

    def _say(self, value: dict[str, str], lang: str, **extra: str) -> str:
        """A text of sms.yaml in `lang` with the region's facts (a sentence needing one the region
        lacks is left out) and `extra` filled in; one without `extra` is worked out once."""
        text = self._local(lang)(value)
        if extra:
            return self._clean(self._filled.fill(text, lang, **extra), lang)
        key = (lang, text)
        said = self._said.get(key)
        if said is None:
            said = self._said[key] = self._clean(self._filled.fill(text, lang), lang)
        return said

    def _say_all(self, values: dict[str, list[str]], lang: str) -> list[str]:
        return [self._clean(item, lang) for item in self._region(lang).fill_all(self._local(lang).many(values))]

    def _plain(self, kind: str, value: dict[str, str], lang: str) -> SmsReply:
        return SmsReply(compose([()], paragraph(self._say(value, lang))), kind, lang)

    def _detail(self, detail: Detail, state: SmsState | None, lang: str) -> SmsReply:
        verdict_lines = state.warning_signs if state and detail.from_verdict == "warning_signs" else ()
        lines = [self._clean(text, lang) for text in verdict_lines] or self._say_all(detail.lines, lang)
        body = [Line(text, rank) for rank, text in enumerate(lines, 1)]
        return SmsReply(compose([[self._say(detail.title, lang)]], body), "details", lang)

    def _from_dialogue(self, reply: Reply, answered: tuple[Question, bool] | None) -> tuple[str, ...]:
        lang = reply.lang
        texts = self.sms.texts
        hotline = self._say(texts.urgent_hotline if reply.urgent else texts.hotline, lang)
        menu = Line(self._say(texts.menu, lang), 2)
        if reply.care is not None:  # said they want to die: care and a crisis line first, then any urgent steps
            care = self._say(texts.distress, lang)
            steps = self._say_all(texts.urgent, lang) if reply.kind is ReplyKind.URGENT else []
            return compose([[care]], [Line(text, rank) for rank, text in enumerate(steps, 3)])
        # "what do I do now?" once something has gone: the same short urgent steps (the chat's full list does not fit)
        if reply.kind is ReplyKind.URGENT or (reply.urgent and reply.intent == "what_now"):
            first, *rest = self._say_all(texts.urgent, lang)
            return compose([[first]], [*(Line(text, rank) for rank, text in enumerate(rest, 3)), menu])
        if reply.kind is ReplyKind.INTRO:
            return compose([()], paragraph(self._say(texts.help, lang)))
        if reply.kind in (ReplyKind.THANKS, ReplyKind.FAQ, ReplyKind.ANSWER, ReplyKind.TOO_LONG):
            body = paragraph(self._clean(reply.faq.answer if reply.faq else reply.text, lang), keep=1)
            if reply.kind in (ReplyKind.FAQ, ReplyKind.ANSWER):
                body = [Line(hotline), *body] if reply.urgent else [*body, Line(hotline, 2)]
            return compose([()], body)
        actions = self._actions(reply, lang)
        risk = getattr(texts.risk, str(reply.risk), None) if reply.kind is ReplyKind.VERDICT else None
        # Kept before the quotes: a pasted warning's scam words are quoted as signs, and the citizen
        # should read first that the text itself looks like a warning.
        awareness = [Line(self._say(texts.awareness, lang), 1)] if reply.awareness else []
        if risk is None:  # nothing recognised: honest about it, and never "safe"
            verdict = self._say(texts.cant_tell, lang)
            heads = [[verdict, action, hotline] for action in actions] + [[verdict, hotline]]
            return compose(heads, [*awareness, Line(self._say(texts.tell_more, lang)), menu])
        words = self._say(risk, lang)
        named = self._say(texts.named, lang, risk=words, name=reply.scam_type_name) if reply.scam_type_name else None
        headlines = [line for line in (named, self._say(texts.unnamed, lang, risk=words)) if line]
        heads = [[headline, action, hotline] for headline in headlines for action in actions]
        heads.append([headlines[-1], hotline])
        body = list(awareness)
        if answered is not None and not answered[1] and answered[0].no_reply:
            body.append(Line(self._say(answered[0].no_reply, lang), 1))
        quotes: dict[str, str] = {}
        for item in reply.evidence:
            quotes.setdefault(item.text.strip(), item.why)
        quotes.pop("", None)
        body += [
            Line(self._say(texts.evidence, lang, quote=quote, why=why), 3 + index)
            for index, (quote, why) in enumerate(list(quotes.items())[:MAX_EVIDENCE])
        ]
        if reply.question:  # never dropped: the citizen's next "yes" or "no" answers it
            body.append(Line(self._clean(reply.question, lang)))
        return compose(heads, [*body, menu])

    def _actions(self, reply: Reply, lang: str) -> list[str]:
        """The most important action, longest first: the library's own advice, then shorter forms."""
        said = [self._clean(reply.advice.before[0], lang)] if reply.advice.before else []
        short = self.sms.actions.get(reply.scam_type or "")
        fallbacks = (short, self.sms.texts.default_action, self.sms.texts.minimal_action)
        said += [self._say(value, lang) for value in fallbacks if value]
        return list(dict.fromkeys(said))
