"""Fold what a citizen wrote into one canonical view, keeping a map back to their own characters.

Rules and fuzzy lines match on the folded view (NFKC, lower case, simplified Chinese, no
decoration or separators inside Chinese words, evasion spellings mapped), while every piece of
evidence is reported as a span of the original text, as spaCy's matchers do.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import ahocorasick
import opencc

from bot.engine.memo import Memo
from bot.library.schema import AppBanner, MailHeader, NormaliseFile

# Sentence ends: when one is removed between two Chinese characters, the clause break is kept.
_SENTENCE_ENDS = frozenset("。！？；!?;\n")
# Ordinary punctuation of Chinese prose is not decoration: leaving it in place keeps clauses
# apart and keeps the common case free of edits.
_PROSE_PUNCTUATION = frozenset(",。!?;:、\n")
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "@": "a", "$": "s"}
_SPACES = (" ", "\n", "\t", "\r", "\u3000")
# Blocks folded by table at start-up; anything else is folded one character at a time.
_TABLE_RANGES = (
    (0x00, 0x530),  # ASCII, Latin, IPA, Greek, Cyrillic
    (0x1D00, 0x1D80),  # phonetic extensions: the small capitals of "ᴀᴍᴀᴢᴏɴ" (normalise.yaml variants)
    (0x2000, 0x2C00),  # punctuation, zero-width characters, letter-like and enclosed forms, symbols
    (0x3000, 0xA000),  # CJK punctuation, enclosed CJK, extension A, unified ideographs
    (0xA720, 0xA800),  # Latin extended-D: small capitals ꜰ and ꜱ
    (0xF900, 0xFB00),  # CJK compatibility ideographs
    (0xFE00, 0xFFF0),  # variation selectors, small and full-width forms
)


# Folding the table's ~35,000 characters (one OpenCC pass) and the library's ~13,000 keywords, lines
# and terms takes about half a second per start: both are remembered (bot/engine/memo.py), keyed by the
# normalise settings they depend on.
_TABLES: Memo[tuple[dict[int, str], str, frozenset[str]]] = Memo("normalise.table")
_FOLDED: Memo[str] = Memo("normalise.fold_pattern")


class PatternFolder(Protocol):
    """What building the matchers needs of a normaliser: folding the library's own texts."""

    def fold_pattern(self, text: str) -> str: ...


class LibraryFolding:
    """`Normaliser.fold_pattern` for one engine build, each distinct text folded once: a library repeats
    its texts (a keyword in several rules, a line in the rules' and the fuzzy index), and folding them is
    much of a large library's build. Dropped with the build, so it never holds a citizen's message."""

    __slots__ = ("_folded", "_normaliser")

    def __init__(self, normaliser: Normaliser) -> None:
        self._normaliser = normaliser
        self._folded: dict[str, str] = {}

    def fold_pattern(self, text: str) -> str:
        folded = self._folded.get(text)
        if folded is None:
            folded = self._folded[text] = self._normaliser.fold_pattern(text)
        return folded


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    """The traditional -> simplified converter, loaded once and only when needed (~60 ms)."""
    return opencc.OpenCC("t2s")


def is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


@dataclass(frozen=True, slots=True)
class NormalisedText:
    """The folded `text`, and for each of its characters the span it came from in `original`.

    `starts` is None when folding changed no character's position (the common case), so building
    the map costs nothing until a piece of evidence needs it. A folded character spans one original
    character, except those `ends` lists (an evasion spelling's replacement spans all it replaced):
    only those few are stored, not an end for each of a 64 KB paste's characters.
    """

    original: str
    text: str
    starts: list[int] | None
    ends: dict[int, int]  # folded position -> end in `original`, for a replacement's characters
    clause_breaks: frozenset[int]  # folded positions where a removed sentence end stood
    cjk_share: float  # share of the visible characters that are Chinese (or other wide script)
    # Stretches of `original` set aside as not the message's words (a forwarded mail's header), in order.
    aside: tuple[tuple[int, int], ...] = ()

    def as_written(self) -> str:
        """`original` with what was set aside blanked out, every character where it was: where the
        message's own lines are, as the citizen wrote them."""
        if not self.aside:
            return self.original
        pieces, last = [], 0
        for start, end in self.aside:
            pieces.append(self.original[last:start])
            pieces.append(" " * (end - start))
            last = end
        pieces.append(self.original[last:])
        return "".join(pieces)

    def origin(self, position: int) -> tuple[int, int]:
        """The span of the original text that folded character `position` came from."""
        start = self.starts[position] if self.starts is not None else position
        return start, self.ends.get(position, start + 1) if self.ends else start + 1

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the folded text to the citizen's own characters."""
        if not self.text or end <= start:
            return (0, 0)
        start = min(max(start, 0), len(self.text) - 1)
        end = min(max(end, start + 1), len(self.text))
        return (self.origin(start)[0], self.origin(end - 1)[1])


class Normaliser:
    """Built once from the library's normalise.yaml; `normalise` is then a pure function.

    The common case costs a `str.translate` and two regex scans: characters are folded through a
    table built at start-up, and only a message holding a character that folds to more or fewer
    than one character (a ligature, a zero-width space) takes the slower per-character path.
    """

    def __init__(self, config: NormaliseFile, words: Iterable[str] = ()) -> None:
        """`words`: the Latin words the knowledge is written in, to read an ambiguous look-alike by
        ("c1ick" is "click", "pr1ze" is "prize", "$uspended" is "suspended", while "$ETH" stays a ticker)."""
        self._words = frozenset(word for word in words if word.isascii() and word.isalpha())
        self._variants: Mapping[str, str] = dict(config.variants)
        variants_key = repr(sorted(self._variants.items()))
        self._translate, irregular_class, symbols = _TABLES.get(variants_key, self._build_translate)
        # Everything `fold_pattern` depends on, as one string (a key hashed once).
        self._key = hashlib.sha256(
            repr(
                (
                    variants_key,
                    sorted(config.evasions.items()),
                    sorted(config.dialect_words.items()),
                    config.separators,
                    config.dotted_words_at_least,
                    sorted(config.link_endings),
                    config.one_letter_words,
                    sorted(self._words),
                    config.mail_header.model_dump_json() if config.mail_header is not None else None,
                    config.app_banner.model_dump_json() if config.app_banner is not None else None,
                )
            ).encode()
        ).hexdigest()
        # Both patterns start with the class of the character they match first, so a search skips
        # to the next such character in C instead of trying the alternatives at every position; the
        # look-behinds then check what precedes it. Same matches as the plainer spellings:
        # (?<=[a-z])[0134@$!](?=[a-z])|(?<![a-z0-9$])[01@$](?=[a-z]{2})|(?<=[a-z])11?(?![a-z0-9]) and
        # (?<=CJK)[SEP]+(?=CJK)|[^\S\n]{2,}|[^\S \n] (separators inside a Chinese word, whitespace runs, tabs).
        # An "@" before a domain ("service@paypal.co.uk") is an e-mail address's, never a letter: read
        # as "a" it would make "serviceapaypal.co.uk" a link borrowing the brand's name.
        self._leet_re = re.compile(
            r"[0134@$!](?:(?<=[a-z].)(?=[a-z])|(?<=[01@$])(?<![a-z0-9$].)(?=[a-z]{2})"
            r"|(?<=[a-z]1)(?=1?(?![a-z0-9]))|(?<=[a-z]11)(?![a-z0-9]))(?<!@(?=[a-z0-9-]+\.[a-z]{2}))"
        )
        self._irregular_re = re.compile(irregular_class)
        self._mail_header = MailHeaderReader(config.mail_header) if config.mail_header is not None else None
        self._app_banner = AppBannerReader(config.app_banner) if config.app_banner is not None else None
        separators = set(config.separators) | symbols
        separator_class = "".join(re.escape(c) for c in sorted(separators - _PROSE_PUNCTUATION) if len(c) == 1)
        cjk = r"[\u3400-\u4dbf\u4e00-\u9fff]"
        sep = rf"[{separator_class}\s{_PICTOGRAPHS}]"  # holds every whitespace character
        # The last branch: a run of emoji and pictographs, with the spaces after it, between Latin words
        # ("you🎁won", "prize 🎁🎁 claim") is a word break, as it is removed between Chinese characters.
        self._fold_re = re.compile(
            rf"{sep}(?:(?<={cjk}{sep}){sep}*(?={cjk})|(?<=[^\S\n])[^\S\n]+|(?<=[^\S \n])"
            rf"|(?<=[{_PICTOGRAPHS}])[{_PICTOGRAPHS}\ufe0f\u200d]*[^\S\n]*)"
        )
        # Letters split by one repeated mark to slip past filters ("h.m.r.c", "c-o-s-t-c-o", "f*r*e*e",
        # "Y o u r  p a r c e l"): three letters or more, each alone between the marks. A space counts
        # as the mark only alone: this runs before whitespace folds, so the wider gaps a sender puts
        # between spaced-out words still part them ("w o n  a  c a r" -> "won a car").
        self._split_letters_re = re.compile(r"[a-z](?<![a-z0-9][a-z])([.\-*_~^ ])[a-z](?:\1[a-z])+(?![a-z0-9])")
        # Words broken by one dot ("pay.ment"): letters only on both sides, no digit, path, "@" or
        # second dot around (so "r7j2j.com/x", "a.b.c" and e-mail addresses are not words).
        self._dotted_word_re = re.compile(r"[a-z](?<![a-z0-9.@/_-][a-z])[a-z]*\.([a-z]+)(?![a-z0-9@/_-]|\.[a-z0-9])")
        self._one_letter_words = frozenset(config.one_letter_words)
        self._dotted_words_at_least = config.dotted_words_at_least
        self._link_endings = frozenset(config.link_endings)
        # Look-alike letters in a number ("$3O4.OO", "1-8O0-2I4"): a number-like token that starts
        # with a digit or holds two, made only of digits, o/i/l and number punctuation.
        self._letter_digits_re = re.compile(r"[0-9oil](?<![a-z0-9][0-9oil])[0-9oil.,\-]*(?<![.,\-])(?![a-z0-9])")
        # Evasion spellings and dialect words are both whole words read as other words: one automaton.
        replaced = {**config.evasions, **config.dialect_words}
        evasions = {self._fold_plain(key): self._fold_plain(value) for key, value in replaced.items()}
        self._evasions = {key: value for key, value in evasions.items() if key}
        self._evasion_automaton = ahocorasick.Automaton()
        for key in self._evasions:
            self._evasion_automaton.add_word(key, key)
        self._evasion_automaton.make_automaton()

    def _build_translate(self) -> tuple[dict[int, str], str, frozenset[str]]:
        """The folding table (code point -> folded text), the character class of the characters
        that fold to more or fewer than one character (and of those outside the table), and the
        folded texts that start with punctuation or a symbol."""
        chars = [chr(code) for low, high in _TABLE_RANGES for code in range(low, high)]
        folded = [_fold_unicode(char) for char in chars]
        # One opencc call for all characters; the newline keeps each conversion on its own.
        converted = _t2s().convert("\n".join(folded)).split("\n")
        if len(converted) != len(folded):  # the converter merged lines: fall back to one by one
            converted = [_t2s().convert(item) for item in folded]
        table = {
            char: "".join(self._variants.get(part, part) for part in item)
            for char, item in zip(chars, converted, strict=True)
        }
        table["\r"] = "\n"
        table["\n"] = "\n"
        table["\t"] = " "
        irregular = sorted(char for char, folded in table.items() if len(folded) != 1)
        irregular_class = "[" + "".join(re.escape(c) for c in irregular) + r"\U00010000-\U0010FFFF]"
        symbols = frozenset(
            folded for folded in set(table.values()) if folded and unicodedata.category(folded[0])[0] in "PS"
        )
        return {ord(char): folded for char, folded in table.items()}, irregular_class, symbols

    def _fold_char(self, char: str) -> str:
        folded = self._translate.get(ord(char))
        if folded is not None:
            return folded
        folded = _fold_unicode(char)
        if any(is_cjk(c) for c in folded):
            folded = _t2s().convert(folded)
        return "".join(self._variants.get(part, part) for part in folded)

    def _fold_plain(self, text: str) -> str:
        return "".join(self._fold_char(char) for char in text)

    def normalise(self, original: str) -> NormalisedText:
        # 1. Character folding (NFKC, case, traditional -> simplified, variants, zero-width dropped).
        starts: list[int] | None = None  # None: folded character i came from original character i
        ends: dict[int, int] = {}  # see NormalisedText.ends
        if self._irregular_re.search(original):
            # Only the few characters that fold to more or fewer than one character are handled
            # one by one; the stretches between them are still translated in one call.
            pieces: list[str] = []
            starts = []
            last = 0
            for match in self._irregular_re.finditer(original):
                position = match.start()
                pieces.append(original[last:position].translate(self._translate))
                starts.extend(range(last, position))
                folded = self._fold_char(match.group(0))
                pieces.append(folded)
                starts.extend([position] * len(folded))
                last = position + 1
            pieces.append(original[last:].translate(self._translate))
            starts.extend(range(last, len(original)))
            text = "".join(pieces)
        else:
            text = original.translate(self._translate)

        # A mail client's header above a forwarded message ("From: ... Date: ... Subject:"): who and when,
        # not what; the subject's value stays. An app's safety banner above or below it: the app's words.
        aside = self._mail_header.spans(original) if self._mail_header is not None else []
        if self._app_banner is not None:
            aside = self._app_banner.with_banner(original, aside)
        if aside:
            dropped = {position for start, end in aside for position in range(start, end)}
            origins = starts if starts is not None else range(len(text))
            text, starts = _without(text, starts, [i for i, origin in enumerate(origins) if origin in dropped])

        # A chat export's stamps at the start of a line ("[12/03/2025, 10:15:32] ", "12/03/25, 10:15 - ",
        # "2025-03-12 10:15:32 "): they say when, not what, and put distance between words said together.
        if ":" in text and _CHAT_STAMP.search(text):
            stamps = [position for match in _CHAT_STAMP.finditer(text) for position in range(*match.span())]
            if stamps:
                text, starts = _without(text, starts, stamps)

        # Marks between split letters go ("h.m.r.c" -> "hmrc").
        if self._split_letters_re.search(text):
            marks = [
                mark
                for match in self._split_letters_re.finditer(text)
                if match.group(1) != " " or not self._one_letter_words.issuperset(match.group(0)[::2])
                for mark in range(match.start() + 1, match.end(), 2)
            ]
            if marks:
                text, starts = _without(text, starts, marks)

        # Dots inside words go when a message is written that way throughout ("You.r pay.ment").
        if "." in text:
            dots = self._dotted_word_dots(text)
            if dots:
                text, starts = _without(text, starts, dots)

        # 2. Evasion spellings ("v信" -> "微信") and dialect words ("冇" -> "没有"); each replacement spans the
        # characters it replaced.
        evasions = self._find_evasions(text)
        if evasions:
            starts = starts if starts is not None else list(range(len(text)))
            text, starts, ends = self._replace_evasions(text, evasions, starts)

        # Look-alike digits and symbols inside Latin words ("acc0unt", "wh@tsapp", "w1n") become
        # letters; one character for one, so no offset moves.
        if self._leet_re.search(text):
            text = self._leet_re.sub(self._leet_reader(), text)

        if self._letter_digits_re.search(text):
            text = self._letter_digits_re.sub(_as_digits, text)

        # 3. Separators inside Chinese words go ("安 全-账*户"); whitespace runs become one space.
        breaks: set[int] = set()
        if self._fold_re.search(text):
            out: list[str] = []
            # Where each kept character stood in `text` (needed for `ends`, and it is `starts` when there
            # is none yet), and where it came from in the original: copied a stretch at a time, in C.
            source = starts
            kept: list[int] | None = [] if source is None or ends else None
            moved: list[int] = []
            size = 0  # characters kept so far
            last = 0
            for match in self._fold_re.finditer(text):
                start, end = match.span()
                out.append(text[last:start])
                if kept is not None:
                    kept.extend(range(last, start))
                if source is not None:
                    moved.extend(source[last:start])
                size += start - last
                last = end
                if start and is_cjk(text[start - 1]) and end < len(text) and is_cjk(text[end]):
                    if any(piece in _SENTENCE_ENDS for piece in match.group(0)):
                        breaks.add(size)
                    continue
                if _is_pictograph(text[start]) and (
                    not start or text[start - 1].isspace() or end == len(text) or text[end] == "\n"
                ):
                    continue  # a space is there already, or nothing follows: the emoji just go
                out.append(" ")
                if kept is not None:
                    kept.append(start)
                if source is not None:
                    moved.append(source[start])
                size += 1
            out.append(text[last:])
            if kept is not None:
                kept.extend(range(last, len(text)))
            if source is not None:
                moved.extend(source[last:])
            text = "".join(out)
            starts = moved if source is not None else kept
            ends = _kept_ends(ends, kept) if ends and kept is not None else {}

        # The share of Chinese (or Japanese, Korean) characters and punctuation among the visible
        # ones, counted in C by two scans. Not by UTF-8 width: small capitals, math letters, emoji,
        # key-cap digits and zero-width spaces are as wide, and an English text written in them read
        # as Chinese.
        counted = "".join(original[start:end] for start, end in _between(aside, len(original))) if aside else original
        if counted.isascii():  # no wide character at all (most English messages): nothing to count
            share = 0.0
        else:
            visible = len(counted) - sum(map(counted.count, _SPACES)) - len(_INVISIBLE.findall(counted))
            share = min(len(_WIDE_SCRIPT.findall(counted)) / visible, 1.0) if visible > 0 else 0.0
        return NormalisedText(original, text, starts, ends, frozenset(breaks), share, tuple(aside))

    def _dotted_word_dots(self, text: str) -> tuple[int, ...]:
        """The positions of the dots to drop, in order: one per dotted word whose ending is not a
        link's, and none unless the message holds `dotted_words_at_least` of them."""
        dots = tuple(
            match.start(1) - 1
            for match in self._dotted_word_re.finditer(text)
            if match.group(1) not in self._link_endings
        )
        return dots if len(dots) >= self._dotted_words_at_least else ()

    def _find_evasions(self, text: str) -> list[tuple[int, int]]:
        """Leftmost-longest evasion spellings; Latin edges need a non-letter neighbour ("tg", not "tight")."""
        if not self._evasions:
            return []
        found: list[tuple[int, int]] = []
        for end_index, key in self._evasion_automaton.iter(text):
            start = end_index - len(key) + 1
            if _latin_edge_inside_word(text, start, end_index + 1):
                continue
            found.append((start, end_index + 1))
        found.sort(key=lambda span: (span[0], -span[1]))
        chosen: list[tuple[int, int]] = []
        for start, end in found:
            if not chosen or start >= chosen[-1][1]:
                chosen.append((start, end))
        return chosen

    def _replace_evasions(
        self, text: str, spans: list[tuple[int, int]], starts: list[int]
    ) -> tuple[str, list[int], dict[int, int]]:
        """The text with the spelling at each span replaced, its starts, and the ends of the
        replacements' characters (NormalisedText.ends; the others end one character after their start)."""
        out: list[str] = []
        new_starts: list[int] = []
        ends: dict[int, int] = {}
        last = 0
        for match_start, match_end in spans:
            out.append(text[last:match_start])
            new_starts.extend(starts[last:match_start])
            replacement = self._evasions[text[match_start:match_end]]
            out.append(replacement)
            end = starts[match_end - 1] + 1
            for _ in replacement:
                ends[len(new_starts)] = end
                new_starts.append(starts[match_start])
            last = match_end
        out.append(text[last:])
        new_starts.extend(starts[last:])
        return "".join(out), new_starts, ends

    def _leet_reader(self) -> Callable[[re.Match[str]], str]:
        """For one text: the letter each look-alike digit or symbol stands for. "1" is an "i" or an "l"
        and "$" an "s" or a ticker's sign: the word they make with the knowledge's words decides; at a
        word's edge only such a word does ("1st", "$ETH" stay as written). "!" is an "i" only where it
        makes a knowledge word ("p!cks"), never between two words typed without a space ("ok!see")."""
        read: list[tuple[int, int, str | None]] = []  # the last word read: its span and its reading

        def letter(match: re.Match[str]) -> str:
            char = match.group(0)
            if char not in _AMBIGUOUS:
                return _LEET[char]
            start = match.start()
            text = match.string
            inside = (
                start > 0 and "a" <= text[start - 1] <= "z" and start + 1 < len(text) and "a" <= text[start + 1] <= "z"
            )
            if read and read[0][0] <= start < read[0][1]:  # in the word just read ("bi11"; "a1a1..." once)
                word_start, _, reading = read[0]
            else:
                # The word around it, looked at no further than the longest word read, by two bounded
                # matches in C: a 64 KB run of "a1a1..." is not walked again for each of its digits.
                before = _WORD_BEFORE.search(text, max(0, start - _LONGEST_READ), start)
                after = _WORD_AFTER.match(text, start + 1, start + 1 + _LONGEST_READ)
                word_start = before.start() if before is not None else start
                word_end = after.end() if after is not None else start + 1
                word = text[word_start:word_end]
                # Between two letters ("c1ick", "ca$h") it was always read as a letter; at a word's edge
                # ("1ogin", "emai1", "bi11", "$uspended") only as a knowledge word of four letters or more.
                reading = _reading(word, self._words) if self._words and (inside or len(word) >= 4) else None
                read[:] = [(word_start, word_end, reading)]
            if reading is not None:
                return reading[start - word_start]
            return _LEET[char] if inside and char not in _KNOWN_WORDS_ONLY else char

        return letter

    def fold_pattern(self, text: str) -> str:
        """Fold a library keyword or line exactly as a message would be folded."""
        # Remembered only while an engine build is recorded (the library's own texts, never a message).
        return _FOLDED.get((self._key, text), lambda: self.normalise(text).text, keep=False)


# Look-alikes read by the word they make: "1" an "i" or an "l", "$" an "s" (or a ticker's sign), "!" an "i"
# (or the end of a sentence typed without a space), "@" an "a" (or a handle's sign: "@dan_chainfix", never
# "adan_chainfix"). Between two letters all but "!" are letters anyway; "!" only where it makes a knowledge word.
_AMBIGUOUS = {"1": "il", "$": "s", "!": "i", "@": "a"}
_KNOWN_WORDS_ONLY = frozenset("!")
_LONGEST_READ = 24  # characters: a longer run is no word to read (and is never looked at further)
_WORD_BEFORE = re.compile(r"[a-z0134@$]+$")
_WORD_AFTER = re.compile(r"[a-z0134@$]*")


def _reading(word: str, words: frozenset[str]) -> str | None:
    """`word` with every look-alike read as a letter, the ambiguous ones ("1": i or l) as they make one
    of `words`; None when no reading is one of them."""
    choices = [_AMBIGUOUS.get(char) or _LEET.get(char) or char for char in word]
    if len(word) > _LONGEST_READ or sum(len(c) > 1 for c in choices) > 4:
        return None
    for letters in itertools.product(*choices):
        candidate = "".join(letters)
        if candidate in words:
            return candidate
    return None


_AS_DIGITS = str.maketrans("oil", "011")


def _as_digits(match: re.Match[str]) -> str:
    """A number written with look-alike letters, as digits; other words that only look numeric
    ("oil", "i", "lol", "10") stay as they are. One character for one: no offset moves."""
    token = match.group(0)
    digits = sum(char.isdigit() for char in token)
    return token.translate(_AS_DIGITS) if digits >= 2 or token[0].isdigit() else token


def _between(spans: Sequence[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """The stretches of a text of `length` characters outside `spans` (in order, not overlapping)."""
    edges = [0, *itertools.chain.from_iterable(spans), length]
    return [(edges[i], edges[i + 1]) for i in range(0, len(edges), 2) if edges[i] < edges[i + 1]]


class MailHeaderReader:
    """Finds the header block a mail client puts above a forwarded or quoted message (normalise.yaml's
    `mail_header`): a sender line ("From:", "发件人：") and at least one more field line in a row, with the
    marker line above them ("---------- Forwarded message ---------"). Two field lines and a sender are what
    tell a header from a notice that happens to say "Date: Friday"."""

    def __init__(self, header: MailHeader) -> None:
        def alternatives(words: Iterable[str]) -> str:
            return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)) or "(?!)"

        colon = "[ \t]*[:：][ \t]*"
        self._senders = tuple(field.lower() for field in header.sender_fields)  # looked for in C before any regex
        self._hint = re.compile(f"(?:{alternatives(header.sender_fields)}){colon}", re.IGNORECASE)
        self._field = re.compile(
            f"[ \t>]*(?:(?P<sender>{alternatives(header.sender_fields)})|(?P<content>"
            f"{alternatives(header.content_fields)})|{alternatives(header.fields)}){colon}"
            f"(?:(?:{alternatives(header.content_prefixes)}){colon})*",
            re.IGNORECASE,
        )
        self._marker = re.compile(f"[ \t>*_=-]*(?:{alternatives(header.markers)})[ \t:：*_=-]*$", re.IGNORECASE)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The stretches of `text` that are a header's, in order: whole field and marker lines, and of a
        subject line its name and "Fwd:"-style prefixes (its value too when the message repeats it, as a
        forwarded mail's first line often does: said twice, it only dilutes what the learned layers read)."""
        if "\n" not in text:
            return []
        lowered = text.lower()
        if not any(field in lowered for field in self._senders) or not self._hint.search(text):
            return []
        found: list[tuple[int, int]] = []
        block: list[tuple[int, int]] = []
        subject: tuple[int, int, int] | None = None  # a subject line's start, where its value starts, its end
        fields, sender = 0, False
        marker: tuple[int, int] | None = None
        start = 0
        for line in text.splitlines(keepends=True):
            end = start + len(line)
            match = self._field.match(line)
            if match is not None:
                fields, sender = fields + 1, sender or match.group("sender") is not None
                if match.group("content"):
                    subject = (start, start + match.end(), end)
                else:
                    block.append((start, end))
            elif not line.strip() and not fields and marker is not None:
                block.append((start, end))  # a blank line between the marker and the fields
            else:
                if sender and fields >= 2:
                    found.extend(self._with_subject(text, block, subject, start))
                block, subject, fields, sender = [], None, 0, False
                marker = (start, end) if self._marker.match(line.rstrip("\r\n")) else None
                if marker is not None:
                    block.append(marker)
            start = end
        if sender and fields >= 2:
            found.extend(self._with_subject(text, block, subject, start))
        return found

    @staticmethod
    def _with_subject(
        text: str, block: list[tuple[int, int]], subject: tuple[int, int, int] | None, body: int
    ) -> list[tuple[int, int]]:
        """The block's lines, with what of its subject line is set aside: the whole line when the message
        after the header says its value again near its start, else its name and prefixes."""
        if subject is None:
            return block
        line_start, value_start, line_end = subject
        value = "".join(text[value_start:line_end].split()).lower()
        head = "".join(text[body : body + 4 * len(value) + 200].split()).lower()
        aside = (line_start, line_end) if len(value) >= 4 and value in head else (line_start, value_start)
        return sorted([*block, aside])


class AppBannerReader:
    """Finds an app's safety banner copied with a message (normalise.yaml's `app_banner`): the first or the last
    of several lines that say something, short, holding one of the phrases only apps use."""

    def __init__(self, banner: AppBanner) -> None:
        self._max_chars = banner.max_chars
        self._phrases = ahocorasick.Automaton()  # one pass over a line, in C, however many phrases
        for phrase in banner.phrases:
            self._phrases.add_word(phrase.lower(), phrase)
        self._phrases.make_automaton()

    def with_banner(self, text: str, aside: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """`aside` (what is set aside already, in order) with the banner's line added, when there is one. Only
        the first and last lines are searched: a long message costs no more than a short one."""
        if "\n" not in text:
            return aside
        first = _first_said_line(text, aside)
        last = _last_said_line(text, aside)
        if first is None or last is None or last == first:  # a banner stands above or below something
            return aside
        for start, end in (first, last):
            line = text[start:end].strip()
            if len(line) <= self._max_chars and next(self._phrases.iter(line.lower()), None) is not None:
                return sorted([*aside, (start, end)])
        return aside


def _last_said_line(text: str, aside: list[tuple[int, int]]) -> tuple[int, int] | None:
    """(start, end) of the last line of `text` that says something and is not set aside already."""
    end = len(text)
    while end > 0:
        start = text.rfind("\n", 0, end - 1) + 1 if end > 1 else 0
        if text[start:end].strip() and not _inside(aside, start, end):
            return start, end
        end = start
    return None


def _first_said_line(text: str, aside: list[tuple[int, int]]) -> tuple[int, int] | None:
    """(start, end) of the first line of `text` (ended by "\n", which it holds) that says something and is not
    set aside already."""
    start = 0
    while start < len(text):
        end = text.find("\n", start) + 1 or len(text)
        if text[start:end].strip() and not _inside(aside, start, end):
            return start, end
        start = end
    return None


def _span_start(span: tuple[int, int]) -> int:
    return span[0]


def _inside(aside: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) lies within one of `aside`'s spans (in order, not overlapping): a binary search, so
    that a message of thousands of header lines costs no more per line than a short one."""
    index = bisect.bisect_right(aside, start, key=_span_start) - 1
    return index >= 0 and aside[index][0] <= start and end <= aside[index][1]


def _without(text: str, starts: list[int] | None, dropped: Sequence[int]) -> tuple[str, list[int]]:
    """`text` without the characters at `dropped` (increasing positions), and where each kept character
    came from in the original (`starts`, or its own position when there is none yet): the stretches
    between them copied a stretch at a time."""
    stretches = list(zip((0, *(position + 1 for position in dropped)), (*dropped, len(text)), strict=True))
    kept_text = "".join(text[start:end] for start, end in stretches)
    if starts is None:
        return kept_text, list(itertools.chain.from_iterable(range(start, end) for start, end in stretches))
    return kept_text, list(itertools.chain.from_iterable(starts[start:end] for start, end in stretches))


def _kept_ends(ends: dict[int, int], kept: list[int]) -> dict[int, int]:
    """`ends` after only the `kept` positions (strictly increasing) are kept: few are looked up,
    each by a binary search, rather than every kept position."""
    moved = {}
    for position, end in ends.items():
        index = bisect.bisect_left(kept, position)
        if index < len(kept) and kept[index] == position:
            moved[index] = end
    return moved


# A time at the start of a line, with the date and brackets of a chat app's export before it and the dash or
# space after it, when words follow: WhatsApp ("[12/03/2025, 10:15:32] ", "12/03/25, 10:15 pm - "), WeChat and
# QQ ("2025-03-12 10:15:32 ", "2025年3月12日 10:15"), a bare "[10:15] ". Text is lower case here.
_CHAT_STAMP = re.compile(
    r"^[ \t]*+\[?(?:\d{1,4}[/.\-年]\d{1,2}[/.\-月]\d{1,4}日?,?[ \t]*+)?\d{1,2}:\d{2}(?::\d{2})?"
    r"(?:[ \t]?[ap]\.?m\.?)?\]?(?:[ \t]*+-)?[ \t]*+(?=\S)",
    re.MULTILINE,
)
_DROPPED_CATEGORIES = frozenset({"Cf", "Cc", "Mn", "Me", "Cs", "Co", "Cn"})
# Emoji and pictographs (a character class body): decoration between words, never a word of their own
# once the evasions that use them ("微♥" for 微信, the QQ penguin) have been read.
_PICTOGRAPHS = "\u2600-\u27bf\U0001f000-\U0001faff"


_PICTOGRAPH = re.compile(f"[{_PICTOGRAPHS}]")


def _is_pictograph(char: str) -> bool:
    return _PICTOGRAPH.match(char) is not None


# Han, kana, bopomofo, hangul and their punctuation (the ideographic space is one of _SPACES).
_WIDE_SCRIPT = re.compile(
    "[\u3001-\u303f\u3040-\u30ff\u3100-\u312f\u31a0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
    "\uf900-\ufaff\ufe30-\ufe4f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\U00020000-\U0002ffff]"
)
# Characters that show nothing: zero-width spaces and joiners, direction marks, word joiners, byte-order
# marks, variation selectors and the key-cap mark of "1️⃣".
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufe00-\ufe0f\u20d0-\u20ff]")


def _fold_unicode(char: str) -> str:
    """NFKC and lower case; zero-width, control and combining characters vanish."""
    if unicodedata.category(char) in _DROPPED_CATEGORIES and char not in "\n\t\r":
        return ""
    return "".join(
        c for c in unicodedata.normalize("NFKC", char).lower() if unicodedata.category(c) not in _DROPPED_CATEGORIES
    )


def _is_latin(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _latin_edge_inside_word(text: str, start: int, end: int) -> bool:
    """True when a match's Latin first or last letter continues a longer Latin word ("vx123" still maps)."""
    if _is_latin(text[start]) and start > 0 and _is_latin(text[start - 1]):
        return True
    return _is_latin(text[end - 1]) and end < len(text) and _is_latin(text[end])
