"""Keyword and regex rules, cross-type signals and context cues, matched on the folded text.

All keywords of the whole library go into one Aho-Corasick automaton (pyahocorasick matches
Chinese character by character, unlike flashtext), so the cost of a message does not grow with
the number of keywords. Regexes run only for the scripts the message is written in.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

import ahocorasick

from bot.engine.budget import Budget
from bot.engine.concepts import ConceptIndex, ConceptOccurrence
from bot.engine.links import LinkAssessment, LinkChecker
from bot.engine.normalise import NormalisedText, PatternFolder
from bot.engine.patterns import LazyPattern, windows_around
from bot.engine.prefilter import LiteralSet, derive_ahead, required_literal_sets
from bot.library.loader import Library
from bot.library.schema import Rebuttal, Rule, ScriptLine, Signal

CueKind = Literal["negation", "awareness", "genuine_contact", "citizen_report", "citizen_question"]
_CUE_KINDS: tuple[CueKind, ...] = ("negation", "awareness", "genuine_contact", "citizen_report", "citizen_question")
# Link checks that say the sender is not who it claims: the real organisation's words beside such a link ("if
# this was you, no action is required") are its template's, not a sign of a genuine contact.
_IMPOSTOR_LINK_CHECKS = frozenset({"lookalike_host", "brand_mismatch"})
_AWARENESS_CUES_NEEDED = 2


@dataclass(frozen=True, slots=True)
class RuleRef:
    """One rule or signal of the library, as the matcher knows it."""

    index: int
    owner: str  # a scam type id, or "signal"
    rule: Rule
    entry: str  # "fake_authority.rules.safe_account" or "signal.asks_code"
    kind: str  # rule | rebuttal | script_line | signal | indicator
    scope: str  # where its regexes look: text | numbers | links
    rebuttal: Rebuttal | None = None  # set for a rebuttal's markers and concepts
    line: ScriptLine | None = None  # set for a scammer line matched through its concepts

    @property
    def display_only(self) -> bool:
        """An indicator worth no points (a phone number, an amount): it changes no verdict, so its regexes run
        only for messages worth showing it on, never through the prefilter."""
        return self.kind == "indicator" and self.rule.points == 0


def _ref(
    index: int,
    owner: str,
    rule: Rule,
    entry: str,
    rebuttal: Rebuttal | None = None,
    line: ScriptLine | None = None,
) -> RuleRef:
    if line is not None:
        return RuleRef(index, owner, rule, entry, "script_line", "text", None, line)
    if rebuttal is not None:
        kind, scope = "rebuttal", "text"
    elif isinstance(rule, Signal):
        kind, scope = rule.kind, rule.scope
    else:
        kind, scope = "rule", "text"
    return RuleRef(index, owner, rule, entry, kind, scope, rebuttal)


@dataclass(frozen=True, slots=True)
class _Regex:
    ref: RuleRef
    pattern: LazyPattern  # compiled on first use
    script: str  # han | latin: run only when the message has characters of that script


@dataclass(frozen=True, slots=True)
class Hit:
    ref: RuleRef
    start: int  # folded-text span
    end: int
    concepts: tuple[ConceptOccurrence, ...] = ()  # set when the rule fired through a concept set


@dataclass(frozen=True, slots=True)
class RuleMatches:
    fired: dict[int, Hit]  # first hit of each rule that fired, by RuleRef.index
    negated: tuple[Hit, ...]  # hits cancelled by a negation ("will never ask...")
    awareness: bool  # reads like an official reminder (two or more awareness cues)
    citizen_report: bool  # a citizen telling what happened to them (not as a warning) or asking about it
    indicators: tuple[Hit, ...]  # every indicator occurrence (URLs, numbers...)
    awareness_cues: int = 0  # how many different awareness cues the message has
    quoted_share: float = 0.0  # share of the fired rules' words inside quotation marks (see below)
    banner: tuple[int, int] | None = None  # a safety banner's line in the ORIGINAL text (see _cue_count)
    citizen_question: bool = False  # a citizen asking about it ("is this a scam?"): part of `citizen_report`


def is_local_number(hit: Hit, text: str, home: str) -> bool:
    """A number a `local_exempt` signal found that carries the region's own dialling code `home`: "+852 2860 2000"
    read in Hong Kong is no foreign number."""
    if not (isinstance(hit.ref.rule, Signal) and hit.ref.rule.local_exempt):
        return False
    digits = _NOT_DIGIT.sub("", text[hit.start : hit.end])
    return (digits[2:] if digits.startswith("00") else digits).startswith(home)


def without_local_numbers(matches: RuleMatches, text: str, home: str) -> RuleMatches:
    """`matches` less the region's own numbers (`is_local_number`); another number of the same signal still counts."""
    if not any(is_local_number(hit, text, home) for hit in (*matches.fired.values(), *matches.indicators)):
        return matches
    indicators = tuple(hit for hit in matches.indicators if not is_local_number(hit, text, home))
    fired = dict(matches.fired)
    for index, hit in matches.fired.items():
        if is_local_number(hit, text, home):
            others = [other for other in indicators if other.ref.index == index]
            if others:
                fired[index] = others[0]
            else:
                del fired[index]
    return replace(matches, fired=fired, indicators=indicators)


_NOT_DIGIT = re.compile(r"\D")
_LATIN_LETTER = re.compile("[a-z]")
# The sender's name a text opens with ("Lululemon: ...", "[Ninja Van] ...", "【FairPrice】").
_SENDER_TAG = re.compile(r"\s*[\[【(（]?\s*([a-z0-9][a-z0-9 &'._-]{1,30}?)\s*[\]】)）:：]")
_NOT_ALNUM = re.compile("[^a-z0-9]+")
# An e-mail address in the folded text (lower case): the brand-in-an-address check reads its two halves.
_MAIL_ADDRESS = re.compile(r"(?<![a-z0-9._%+-])[a-z0-9][a-z0-9._%+-]{0,63}@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_LINK_HINT = re.compile(r"\.[a-z]{2}|://|www")
# A run of digits, with a "+" or "(" just before it: `[+(]?\d[\d ,.\-()]*`, spelled to start with the
# class of its first character so a search skips to the next such character in C.
_NUMBER_RUN = re.compile(r"[+(\d](?:(?<=\d)[\d ,.\-()]*|(?<=[+(])\d[\d ,.\-()]*)")


def _windows(hint: re.Pattern[str], text: str, margin: int) -> list[tuple[int, int]]:
    """Stretches around each hint (a run of digits, a dot before letters), merged: scoped
    patterns only look inside these, so a message with no number costs no number pattern."""
    windows: list[tuple[int, int]] = []
    for match in hint.finditer(text):
        start, end = max(0, match.start() - margin), min(len(text), match.end() + margin)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


_SENTENCE_END = re.compile(r"[。!?;\n]")


def _negated_positions(normalised: NormalisedText, negations: list[tuple[int, int]], window: int) -> bytearray:
    """1 at each position of the folded text that a negation cue negates: what starts shortly after
    a cue, in the same sentence ("will never ask you to..."). Each cue marks its stretch at once,
    so a long text full of cues and hits stays linear and each hit is one look-up."""
    text = normalised.text
    marks = bytearray(len(text) + 1)
    breaks = sorted(normalised.clause_breaks)
    for start, end in negations:
        # up to `window` characters after the cue, and not past its sentence's end (a sentence end or a break)
        stop = min(end + window + 1, len(text) + 1)
        sentence_end = _SENTENCE_END.search(text, start)
        if sentence_end is not None:
            stop = min(stop, sentence_end.end())
        following = bisect.bisect_right(breaks, start)
        if following < len(breaks):
            stop = min(stop, breaks[following])
        if stop > start + 1:
            marks[start + 1 : stop] = b"\x01" * (stop - start - 1)
    return marks


_SPEAKER = re.compile(r"\s*([^:：\n]{1,16}?)\s*[:：]")
_BANNER_CHARS = 120  # the longest line read as an app's banner (they are one or two short sentences)


def _cue_count(normalised: NormalisedText, cues: list[tuple[int, int]]) -> tuple[int, tuple[int, int] | None]:
    """How many awareness cues (in order, not overlapping) the message has, and the line of a banner (in the
    original text) when the cues are a banner's. All of them on the first or the last of several lines, as the
    citizen wrote them, is a chat app's safety banner above or below what was pasted ("对方不是你的好友，请核实
    身份，谨防诈骗"): it counts as one cue. A reminder or a report says such words throughout."""
    original = normalised.as_written()  # a forwarded mail's header is not one of the message's lines
    lead = len(original) - len(original.lstrip())  # blank lines before the first one say nothing
    first_line_end = original.find("\n", lead, len(original.rstrip()))
    if first_line_end > 0:
        last_line_start = original.rfind("\n", 0, len(original.rstrip())) + 1
        if normalised.original_span(*cues[-1])[1] <= first_line_end:
            span = (0, first_line_end + 1)
        elif normalised.original_span(*cues[0])[0] >= last_line_start:
            span = (last_line_start - 1, len(original))
        else:
            return len(cues), None
        line = original[span[0] : span[1]].strip()
        # ... unless that line is longer than a banner, or one more turn of a transcript ("客服：那个电话是诈骗
        # 电话"): its speaker speaks on another line too.
        speaker = _SPEAKER.match(line)
        rest = original[: span[0]] + original[span[1] :]
        if len(line) <= _BANNER_CHARS and (
            speaker is None or not re.search(rf"(?m)^\s*{re.escape(speaker.group(1))}\s*[:：]", rest)
        ):
            return 1, span
    return len(cues), None


_QUOTE_MARKS = re.compile('["“”「」『』]')


def _quoted_share(normalised: NormalisedText, hits: Iterable[Hit]) -> float:
    """The share of these hits that sit inside quotation marks on their line of the citizen's text:
    a story or a reminder quotes the scammer ('说是"京东客服"', 'a "legal officer"'); a scammer
    writes the words as his own."""
    original = normalised.original
    inside = total = 0
    for hit in hits:
        start, _ = normalised.original_span(hit.start, hit.end)
        line_start = original.rfind("\n", 0, start) + 1
        total += 1
        inside += len(_QUOTE_MARKS.findall(original, line_start, start)) % 2
    return inside / total if total else 0.0


def _distinct_cues(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The cues that do not overlap an earlier, longer one, each wording once: the same words said again (a
    forwarded mail's subject repeats its first line, a reply quotes the message) are not a second cue."""
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda span: (span[0], -span[1])):
        if not kept or start >= kept[-1][1]:
            kept.append((start, end))
    said: set[str] = set()
    distinct = []
    for start, end in kept:
        if text[start:end] not in said:
            said.add(text[start:end])
            distinct.append((start, end))
    return distinct


def _scoped_hits(
    ref: RuleRef, pattern: re.Pattern[str], text: str, windows: list[tuple[int, int]], budget: Budget | None
) -> list[Hit]:
    found = []
    for start, end in windows:
        for match in pattern.finditer(text, start, end):
            if match.end() > match.start():
                found.append(Hit(ref, match.start(), match.end()))
    if budget is not None:
        budget.count(sum(end - start for start, end in windows), len(windows))
    return found


@dataclass(frozen=True, slots=True)
class RegexView:
    """What the regexes need to know of one message, found once for it."""

    scripts: frozenset[str]  # han | latin: the scripts it has characters of
    windows: dict[str, list[tuple[int, int]]]  # by scope (numbers, links): where scoped patterns look


def _whole_host(original: str, start: int, end: int) -> str:
    """A link with the host labels the `url` pattern left out in front ("chase." of
    "chase.secure-verify.com": a bare domain is found from its last two labels), without the invisible
    characters a sender can slip into it ("pay\u200bpal-login.com" is shown as "paypal-login.com")."""
    while start > 0 and (
        (original[start - 1].isascii() and (original[start - 1].isalnum() or original[start - 1] in ".-!"))
        or _invisible(original[start - 1])
    ):
        start -= 1
    link = original[start:end]
    return "".join(char for char in link if not _invisible(char)) if not link.isascii() else link


def _invisible(char: str) -> bool:
    """Zero-width spaces and joiners, soft hyphens, word joiners, byte-order marks: format characters."""
    return not char.isascii() and unicodedata.category(char) == "Cf"


def _is_word_char(char: str) -> bool:
    return char.isascii() and char.isalnum()


_FREQUENT = 300  # characters: about 95% of those in the library's lines are among them
_COMMON_SAMPLE = 2000  # library lines a literal's commonness is judged on (the first ones: a bounded cost)
_COMMON_SHARE = 0.01  # share of those lines a common literal is in


def _library_lines(library: Library, normaliser: PatternFolder) -> list[str]:
    """The library's scammer lines and rebuttals, folded as messages are: a stand-in for the messages
    the engine reads."""
    return [
        normaliser.fold_pattern(text)
        for scam_type in library.types
        for texts in (*(line.text for line in scam_type.lines), *(rebuttal.answer for rebuttal in scam_type.rebuttals))
        for text in itertools.chain.from_iterable(texts.values())
    ]


def _frequent_characters(lines: list[str]) -> list[str]:
    """The characters of the library's lines, most used first."""
    counts = Counter("".join(lines))  # one count in C, not one call per line (a 100x library has 100,000 lines)
    return sorted(counts, key=lambda char: (-counts[char], char))[:_FREQUENT]


def _common_literals(literals: Iterable[str], lines: list[str]) -> set[str]:
    """The literals said at least once per hundred of the library's lines ("的", "you", "in")."""
    automaton = ahocorasick.Automaton()
    for literal in literals:
        automaton.add_word(literal, literal)
    sample = lines[:_COMMON_SAMPLE]
    if not len(automaton) or not sample:
        return set()
    automaton.make_automaton()
    counts = Counter(map(operator.itemgetter(1), automaton.iter("\n".join(sample))))
    needed = max(1.0, _COMMON_SHARE * len(sample))
    return {literal for literal, count in counts.items() if count >= needed}


def _said(set_id: int, text: str, searched: dict[int, tuple[str, ...]], seen: dict[tuple[str, ...], bool]) -> bool:
    """Whether `text` holds one of a literal set's literals that are searched for rather than in the
    automaton; remembered for the message by the literals themselves, since a large library has many
    sets with the same ones (each text searched once, not once per set)."""
    literals = searched.get(set_id)
    if not literals:
        return False
    found = seen.get(literals)
    if found is None:
        found = seen[literals] = any(literal in text for literal in literals)
    return found


class RuleMatcher:
    def __init__(self, library: Library, normaliser: PatternFolder) -> None:
        self.refs: list[RuleRef] = []
        for signal in library.signals.signals:
            self.refs.append(_ref(len(self.refs), "signal", signal, f"signal.{signal.id}"))
        for scam_type in library.types:
            for rule in scam_type.rules:
                self.refs.append(_ref(len(self.refs), scam_type.id, rule, f"{scam_type.id}.rules.{rule.id}"))
            for rebuttal in scam_type.rebuttals:
                if rebuttal.markers or rebuttal.concepts:
                    marker_rule = Rule(
                        id=rebuttal.id,
                        points=library.settings.fuzzy.rebuttal_points,
                        keywords=rebuttal.markers,
                        concepts=rebuttal.concepts,
                        within=rebuttal.within,
                        stage=rebuttal.stage,
                        explain=rebuttal.truth,
                    )
                    entry = f"{scam_type.id}.rebuttals.{rebuttal.id}"
                    self.refs.append(_ref(len(self.refs), scam_type.id, marker_rule, entry, rebuttal))
            for line in scam_type.lines:
                if line.concepts:
                    line_rule = Rule(
                        id=line.id,
                        points=library.settings.fuzzy.line_points,
                        concepts=line.concepts,
                        within=line.within,
                        stage=line.stage,
                        explain=scam_type.summary,
                    )
                    entry = f"{scam_type.id}.lines.{line.id}"
                    self.refs.append(_ref(len(self.refs), scam_type.id, line_rule, entry, line=line))
        self.by_entry = {ref.entry: ref for ref in self.refs}
        self._windows = dict(library.settings.negation_window)
        self._han_languages = {lang.id for lang in library.settings.languages if lang.script == "han"}

        entries: dict[str, list[tuple[str, int]]] = {}
        for ref in self.refs:
            for keywords in ref.rule.keywords.values():
                for keyword in keywords:
                    folded = normaliser.fold_pattern(keyword)
                    if folded:
                        entries.setdefault(folded, []).append(("rule", ref.index))
        cues = library.signals.context
        # A genuine service contact ("returning your call", "call the number on the back of your
        # card") counts as awareness: two such signs and a caller reads as the real organisation,
        # unless the message's own link or address borrows the organisation's name.
        cue_words = {
            "negation": cues.negations,
            "awareness": cues.awareness,
            "genuine_contact": cues.genuine_contact,
            "citizen_report": cues.citizen_report,
            "citizen_question": cues.citizen_question,
        }
        for kind in _CUE_KINDS:
            for words in cue_words[kind].values():
                for word in words:
                    folded = normaliser.fold_pattern(word)
                    if folded:
                        entries.setdefault(folded, []).append((kind, 0))
        # Concepts: every way of saying each one rides in the same automaton; rules, lines and
        # rebuttals written over concepts are then checked for their concepts said close together.
        self.concepts = ConceptIndex(library, normaliser, [(ref.index, ref.rule) for ref in self.refs])
        for folded, concept_index in self.concepts.terms():
            entries.setdefault(folded, []).append(("concept", concept_index))
        # Brand names ride in the automaton too: a link is judged against the brands the message names.
        self.links = LinkChecker(library.links) if library.links is not None else None
        self._link_signals: dict[str, RuleRef] = {
            ref.rule.link_check: ref for ref in self.refs if isinstance(ref.rule, Signal) and ref.rule.link_check
        }
        self._cleared_by_official_links = frozenset(
            self.concepts.index_of(concept_id) for concept_id in (self.links.official_link_clears if self.links else ())
        )
        self._signals_cleared_by_official_links = frozenset(
            f"signal.{signal_id}" for signal_id in (self.links.official_link_clears_signals if self.links else ())
        )
        if self.links is not None and self._link_signals:
            for name in self.links.names():
                folded = normaliser.fold_pattern(name)
                if folded:
                    entries.setdefault(folded, []).append(("brand", 0))
        # Regexes with a literal prefilter are compiled and run only when each of their literal sets
        # (bot/engine/prefilter.py) has a literal in the message, and then only near their anchor
        # set's literals. The literals ride in the same automaton as the keywords (kind "trigger"),
        # each standing for the sets it is in: regexes sharing a set (the same words in several rules,
        # a library's copies) share its entries, so a literal's hit costs one step, not one per regex.
        self._regexes: list[_Regex] = []
        self._always: set[int] = set()  # regexes with no usable literal
        self._display_only: list[int] = []  # extracted only for messages worth showing them on (`display_indicators`)
        derive_ahead(
            pattern
            for ref in self.refs
            if ref.scope == "text" and not ref.display_only
            for patterns in ref.rule.regex.values()
            for pattern in patterns
        )
        set_ids: dict[LiteralSet, int] = {}
        by_anchor: dict[int, dict[tuple[int, ...], list[int]]] = {}  # anchor set -> other sets -> regexes
        for ref in self.refs:
            for lang, patterns in ref.rule.regex.items():
                script = "han" if lang in self._han_languages else "latin"
                for pattern in patterns:
                    index = len(self._regexes)
                    self._regexes.append(_Regex(ref, LazyPattern(pattern), script))
                    if ref.display_only:
                        self._display_only.append(index)
                        continue
                    sets = required_literal_sets(pattern) if ref.scope == "text" else None
                    if sets is None:
                        self._always.add(index)
                        continue
                    ids = []
                    for literals in sets:
                        set_id = set_ids.get(literals)
                        if set_id is None:
                            set_id = set_ids[literals] = len(set_ids)
                            for literal in literals:
                                entries.setdefault(literal, []).append(("trigger", set_id))
                        ids.append(set_id)
                    by_anchor.setdefault(ids[0], {}).setdefault(tuple(ids[1:]), []).append(index)
        # For each anchor set: the regexes it anchors, grouped by the other sets they need.
        self._by_anchor: dict[int, tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]] = {
            anchor: tuple((others, tuple(indexes)) for others, indexes in groups.items())
            for anchor, groups in by_anchor.items()
        }
        # Each entry's value in the automaton is a number: entries that say something as a whole word
        # (a keyword, concept term, cue or brand) come first and carry, in `_word_entries`, their
        # length and whether their edges are Latin letters or digits (so the word-boundary check looks
        # at the text only when it has to); every entry also has the literal sets it is in (wherever it
        # occurs). A literal only, most of a long message's hits, then costs one append per hit: its
        # sets and spans are worked out once per message from where it occurred.
        whole_words: dict[str, tuple[tuple[str, int], ...]] = {}
        literal_sets: dict[str, tuple[int, ...]] = {}
        for folded, values in entries.items():
            literal_sets[folded] = tuple(index for kind, index in values if kind == "trigger")
            said = tuple((kind, index) for kind, index in values if kind != "trigger")
            if said:
                whole_words[folded] = said
        # A set that anchors no regex only has to be said somewhere. Its common literals ("in", "you",
        # "的": most of a long message's hits) are left out of the automaton and searched for (in C)
        # when a regex needs the set, each once per message: the first occurrence ends the search.
        lines = _library_lines(library, normaliser)
        anchor_sets = self._by_anchor.keys()
        only_said = (
            folded
            for folded, sets in literal_sets.items()
            if folded not in whole_words and anchor_sets.isdisjoint(sets)
        )
        self._searched: dict[int, tuple[str, ...]] = {}
        for literal in sorted(_common_literals(only_said, lines)):
            for set_id in literal_sets.pop(literal):
                self._searched[set_id] = (*self._searched.get(set_id, ()), literal)
        by_number = [*whole_words, *(folded for folded in literal_sets if folded not in whole_words)]
        number_of = {folded: number for number, folded in enumerate(by_number)}
        self._first_literal = len(whole_words)  # entries numbered from here are literals only
        self._word_entries: tuple[tuple[int, bool, bool, bool, tuple[tuple[str, int], ...]], ...] = tuple(
            (len(folded), _is_word_char(folded[0]), _is_word_char(folded[-1]), bool(literal_sets[folded]), said)
            for folded, said in whole_words.items()
        )
        # (and one more entry, in no set, for the frequent characters below)
        self._entry_sizes = (*(len(folded) for folded in by_number), 2)
        self._entry_sets = (*(literal_sets[folded] for folded in by_number), ())
        # ... and of those, the sets that anchor a regex: only their entries' positions are ever read.
        self._entry_anchors = tuple(tuple(s for s in sets if s in self._by_anchor) for sets in self._entry_sets)
        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        # pyahocorasick finds a character's transition by comparing it with a node's children in
        # the order they were added: at the root, with ~900 of them, a character no entry starts
        # with is compared with all. The characters the library's lines use most are added first,
        # each as the start of an entry no folded text holds (folding drops NUL), so a message's
        # common characters are found in a few comparisons: a quarter off the automaton's time.
        for char in _frequent_characters(lines):
            self._automaton.add_word(char + "\0", len(by_number))
        for folded in literal_sets:
            self._automaton.add_word(folded, number_of[folded])
        self._automaton.make_automaton()

    @property
    def regex_count(self) -> int:
        return len(self._regexes)

    def match(
        self,
        normalised: NormalisedText,
        lang: str,
        force_regexes: list[int] | None = None,
        budget: Budget | None = None,
        view: RegexView | None = None,
    ) -> RuleMatches:
        """All rules, signals and cues that fire; `force_regexes` bypasses the prefilter (for tests);
        `budget` stops running regexes once the message's time is spent; `view` is `self.view(normalised)`
        when the caller already has it."""
        text = normalised.text
        hits: list[Hit] = []
        negations: list[tuple[int, int]] = []
        citizen_report = False
        citizen_question = False
        awareness_spans: list[tuple[int, int]] = []
        genuine_spans: list[tuple[int, int]] = []  # genuine-contact cues: awareness, unless a link is an impostor
        impostor_link = False
        concept_hits: list[ConceptOccurrence] = []
        brands: list[tuple[int, int]] = []  # where a brand is named
        refs = self.refs
        length = len(text)
        first_literal, word_entries = self._first_literal, self._word_entries
        occurred: defaultdict[int, list[int]] = defaultdict(list)  # entry -> where it ends, for its sets
        for end_index, entry in self._automaton.iter(text):
            if entry >= first_literal:
                occurred[entry].append(end_index)
                continue
            size, word_start, word_end, in_sets, words = word_entries[entry]
            if in_sets:  # a literal counts for its sets even inside a word
                occurred[entry].append(end_index)
            start = end_index - size + 1
            end = end_index + 1
            if word_start and start > 0:
                before = text[start - 1]
                if before.isascii() and before.isalnum():
                    continue
            if word_end and end < length:
                after = text[end]
                if after.isascii() and after.isalnum():
                    continue
            for kind, index in words:
                if kind == "concept":
                    concept_hits.append(ConceptOccurrence(index, start, end))
                elif kind == "rule":
                    hits.append(Hit(refs[index], start, end))
                elif kind == "negation":
                    negations.append((start, end))
                elif kind == "awareness":
                    awareness_spans.append((start, end))
                elif kind == "genuine_contact":
                    genuine_spans.append((start, end))
                elif kind == "brand":
                    brands.append((start, end))
                elif kind == "citizen_question":
                    citizen_question = True
                else:
                    citizen_report = True
        # Every literal set said (built in C), and for the sets that anchor a regex, their entries that occurred.
        triggered = set(itertools.chain.from_iterable(map(self._entry_sets.__getitem__, occurred)))
        anchored: dict[int, list[int]] = {}
        entry_anchors = self._entry_anchors
        for entry in occurred:
            for set_id in entry_anchors[entry]:
                found = anchored.get(set_id)
                if found is None:
                    anchored[set_id] = [entry]
                else:
                    found.append(entry)
        anchors: dict[int, list[tuple[int, int]]] = {}  # regex to run -> where its anchor's literals occur
        sizes, searched, by_anchor = self._entry_sizes, self._searched, self._by_anchor
        seen: dict[tuple[str, ...], bool] = {}
        for set_id, set_entries in anchored.items():
            groups = by_anchor[set_id]
            spans: list[tuple[int, int]] | None = None
            for others, indexes in groups:
                # (most regexes need their anchor only: no generator for them)
                if not others or all(other in triggered or _said(other, text, searched, seen) for other in others):
                    if spans is None:
                        spans = [
                            (end_index - sizes[entry] + 1, end_index + 1)
                            for entry in set_entries
                            for end_index in occurred[entry]
                        ]
                    for index in indexes:
                        anchors[index] = spans
        run = anchors.keys() | self._always
        if force_regexes:
            run |= set(force_regexes).difference(self._display_only)
        hits.extend(self._regex_hits(normalised, view or self.view(normalised), sorted(run), anchors, budget))

        if self.links is not None and self._link_signals:
            assessment = self._assess_links(normalised, hits, brands)
            if assessment is not None:
                if assessment.official:  # the brand's own site is not "a link" to warn about
                    official = set(assessment.official)
                    hits = [h for h in hits if not (h.ref.kind == "indicator" and (h.start, h.end) in official)]
                    if assessment.all_official:
                        concept_hits = [c for c in concept_hits if c.concept not in self._cleared_by_official_links]
                        cleared = self._signals_cleared_by_official_links
                        hits = [h for h in hits if h.ref.entry not in cleared]
                hits.extend(Hit(self._link_signals[f.check], f.start, f.end) for f in assessment.findings)
                impostor_link = any(f.check in _IMPOSTOR_LINK_CHECKS for f in assessment.findings)
            mail = self._link_signals.get("brand_mail")
            if mail is not None and "@" in normalised.text:
                addresses = [(m.start(), m.end(), m.group()) for m in _MAIL_ADDRESS.finditer(normalised.text)]
                mail_findings = self.links.mail_findings(addresses)
                hits.extend(Hit(mail, f.start, f.end) for f in mail_findings)
                impostor_link = impostor_link or bool(mail_findings)

        negated_at = _negated_positions(normalised, negations, self._windows.get(lang, 8)) if negations else None
        bridged = self.concepts.by_signal
        if bridged:
            for hit in hits:
                for concept_index in bridged.get(hit.ref.entry, ()):
                    concept_hits.append(ConceptOccurrence(concept_index, hit.start, hit.end))
        if concept_hits:
            if negated_at is not None:  # "police will never ask you to move money": the moving is not said
                concept_hits = [c for c in concept_hits if not negated_at[c.start]]
            for ref_index, start, end, occurrences in self.concepts.find(concept_hits, lang):
                hits.append(Hit(refs[ref_index], start, end, occurrences))
        fired: dict[int, Hit] = {}
        negated: list[Hit] = []
        indicators: list[Hit] = []
        for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
            if hit.ref.kind == "indicator":
                indicators.append(hit)
            elif negated_at is not None and negated_at[hit.start] and not hit.ref.rule.speaks_warning_words:
                negated.append(hit)
                continue
            current = fired.get(hit.ref.index)
            # The first hit of each rule, but the citizen's exact words over a concept set.
            if current is None or (current.concepts and not hit.concepts):
                fired[hit.ref.index] = hit
        # One cue alone ("谨防诈骗") is often a chat app's own banner pasted with a real scam; an
        # official reminder or a news report says more than one such thing. Cues that overlap
        # ("国家反诈中心提醒" holds "反诈") are one cue.
        if genuine_spans and not impostor_link:
            awareness_spans.extend(genuine_spans)
        awareness_cues = _distinct_cues(text, awareness_spans)
        cue_count, banner = _cue_count(normalised, awareness_cues) if awareness_cues else (0, None)
        awareness = cue_count >= _AWARENESS_CUES_NEEDED
        # Someone telling what happened to them is not reading a reminder, unless they tell it as
        # a warning ("提醒大家…都是骗子", "PSA: … it's a scam"). Someone asking whether it is a scam
        # needs the verdict however many warning words they quote.
        if citizen_report and awareness and not citizen_question:
            citizen_report = False
        citizen_report = citizen_report or citizen_question
        quoted = 0.0
        if awareness_cues and not awareness and not citizen_report:
            quoted = _quoted_share(normalised, (hit for hit in fired.values() if hit.ref.rule.points > 0))
        return RuleMatches(
            fired,
            tuple(negated),
            awareness,
            citizen_report,
            tuple(indicators),
            cue_count,
            quoted,
            banner,
            citizen_question,
        )

    def _assess_links(
        self, normalised: NormalisedText, hits: list[Hit], brands: list[tuple[int, int]]
    ) -> LinkAssessment | None:
        """The link checks, on the links the `url` indicator found: judged on the citizen's own
        characters (folding turns "paypa1" into "paypal"), against brands named outside links."""
        assert self.links is not None
        links = [
            (hit.start, hit.end, _whole_host(normalised.original, *normalised.original_span(hit.start, hit.end)))
            for hit in hits
            if hit.ref.entry == "signal.url"
        ]
        if not links:
            return None
        names_a_brand = any(not any(s <= start and end <= e for s, e, _ in links) for start, end in brands)
        sender = _SENDER_TAG.match(normalised.text)
        own_name = _NOT_ALNUM.sub("", sender.group(1)) if sender else ""
        return self.links.assess(links, names_a_brand, frozenset(self._link_signals), own_name, normalised.text)

    def _regex_hits(
        self,
        normalised: NormalisedText,
        view: RegexView,
        indexes: Iterable[int],
        anchors: dict[int, list[tuple[int, int]]] | None = None,
        budget: Budget | None = None,
    ) -> list[Hit]:
        """Run the given regexes: a triggered one only near its anchor's literals (`anchors`), a scoped one
        only around numbers or links, the rest over the whole text; stop when the budget is spent."""
        text = normalised.text
        length = len(text)
        scripts, windows = view.scripts, view.windows
        regexes = self._regexes
        hits: list[Hit] = []
        # Regexes sharing an anchor set and a reach (most reaches are the cap) look in the same windows.
        around: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for index in indexes:
            regex = regexes[index]
            if regex.script not in scripts:
                continue
            if budget is not None and not budget.allows("regexes"):
                break
            ref, pattern = regex.ref, regex.pattern
            if budget is not None and not pattern.ready:
                with budget.not_counting():
                    pattern.prepare()
            if ref.scope != "text":
                scoped = windows[ref.scope]
                if scoped:
                    hits.extend(_scoped_hits(ref, pattern.compiled, text, scoped, budget))
                continue
            spans = anchors.get(index) if anchors else None
            if spans:
                reach = pattern.reach
                # A text no longer than the reach is one window, whatever the spans.
                if length <= reach:
                    near = [(0, length)]
                else:
                    key = (id(spans), reach)  # `anchors` holds each spans list for the whole call
                    if key not in around:
                        around[key] = windows_around(spans, reach, length)
                    near = around[key]
            else:
                near = [(0, length)]
            if ref.kind == "indicator":
                hits.extend(_scoped_hits(ref, pattern.compiled, text, near, budget))
                continue
            search = pattern.first
            runs = chars = 0
            for start, end in near:  # the first match, as a search of the whole text finds it
                runs += 1
                chars += end - start
                found = search(text, start, end)
                if found and found.end() > found.start():
                    hits.append(Hit(ref, found.start(), found.end()))
                    break
            if budget is not None:
                budget.count(chars, runs)
        return hits

    def view(self, normalised: NormalisedText) -> RegexView:
        """The message's scripts and scoped windows: worked out once by a caller that runs both
        `match` and `display_indicators` on it."""
        text = normalised.text
        scripts = set()
        if normalised.cjk_share > 0:
            scripts.add("han")
        if _LATIN_LETTER.search(text):
            scripts.add("latin")
        return RegexView(
            frozenset(scripts), {"numbers": _windows(_NUMBER_RUN, text, 6), "links": _windows(_LINK_HINT, text, 60)}
        )

    def display_indicators(
        self, normalised: NormalisedText, budget: Budget | None = None, view: RegexView | None = None
    ) -> list[Hit]:
        """Phone numbers and amounts: shown to the citizen, worth no points, so found only when needed."""
        return self._regex_hits(normalised, view or self.view(normalised), self._display_only, budget=budget)

    def fires(self, entry: str, normalised: NormalisedText, lang: str) -> bool:
        """Whether one rule fires on a message: used to run each rule's own examples."""
        ref = self.by_entry[entry]
        if ref.index in self.match(normalised, lang).fired:
            return True
        return any(hit.ref.index == ref.index for hit in self.display_indicators(normalised))
