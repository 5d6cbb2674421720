"""Sentences filled with one region's verified facts, in one language and the region's own script.

Advice is written per fact, not per country (issue 11): "Report it to the police[ ({report_loss})]"
says what to do everywhere and names the channel only where the region pack has verified one. The
rules, applied to every text that may hold a placeholder:

- `{fact}` needs that fact: a sentence with a fact the region lacks is LEFT OUT, never filled with
  another fact (a voice helpline is never offered for forwarding texts, the police never stand in
  for a missing anti-fraud line).
- `[...{fact}...]` is an optional part: kept with the fact, dropped without it.
- `(bank) ` / `(police) ` at the start of a sentence or list item marks an urgent step; the marked
  steps are put in the order the region's own guidance gives (`after_loss.first`: the bank first
  in Singapore, the UK and the US, the police first in mainland China and Taiwan).
- zh text for a region written in traditional characters (hk, tw) is converted with OpenCC.

Other placeholders ({name}, {action}, {quote}...) are filled by the caller after the region's.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from typing import get_args

from bot.library.schema import FactId, Region
from bot.library.script import convert

FACT_IDS: frozenset[str] = frozenset(get_args(FactId))
STEP_TAGS = ("bank", "police")

_OPTIONAL = re.compile(r"\[([^\[\]]*\{[a-z_]+\}[^\[\]]*)\]")
_TAG = re.compile(r"^\((bank|police)\)\s*")
# A sentence ends after Chinese end punctuation, or after . ! ? followed by a space.
_SENTENCE = re.compile(r"(?<=[。！？；])|(?<=[.!?])\s+(?=\S)")


def placeholders(text: str) -> set[str]:
    """The {names} a text uses; raises ValueError on unbalanced braces."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def required_facts(sentence: str) -> set[str]:
    """Facts a sentence cannot do without (those outside its optional [...] parts)."""
    return placeholders(_OPTIONAL.sub("", sentence)) & FACT_IDS


def split_sentences(text: str) -> list[str]:
    """Sentences, never cut inside an optional [...] part ("...they show you[. You can also check it with {x}].")."""
    parts: list[str] = []
    start = depth = scanned = 0
    for match in _SENTENCE.finditer(text):
        depth += text.count("[", scanned, match.start()) - text.count("]", scanned, match.start())
        scanned = match.start()
        if depth > 0 or match.end() == 0:
            continue
        parts.append(text[start : match.start()])
        start = match.end()
    parts.append(text[start:])
    return [part for part in parts if part.strip()]


class RegionText:
    """One region in one language: fills, drops and orders sentences; converts the script."""

    def __init__(self, region: Region, lang: str, default_language: str) -> None:
        self.region = region
        self.lang = lang
        self.values: dict[str, str] = {}
        for fact_id in region.facts:
            text = region.fact_text(fact_id, lang, default_language)
            if text is not None:
                self.values[fact_id] = text
        first = region.facts["after_loss"].first if "after_loss" in region.facts else None
        self.order: tuple[str, ...] = (first, *(tag for tag in STEP_TAGS if tag != first)) if first else ()
        self._script = region.script.get(lang, "")
        words = region.vocabulary.get(lang, {})
        self._vocabulary = words
        self._words = (
            re.compile("|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))) if words else None
        )

    def script(self, text: str) -> str:
        """`text` in the region's script for this language (traditional zh in hk and tw), in the region's own words."""
        return self.own_words(convert(text, self._script))

    def own_words(self, text: str) -> str:
        """`text`, already in the region's script, with the region's `vocabulary` (Taiwan: 軟件 -> 軟體)."""
        if self._words is None:
            return text
        return self._words.sub(lambda match: self._vocabulary[match.group()], text)

    def sentence(self, sentence: str) -> str | None:
        """One sentence with the region's facts, or None when it needs a fact the region lacks."""
        if required_facts(sentence) - self.values.keys():
            return None

        def optional(match: re.Match[str]) -> str:
            return match.group(1) if placeholders(match.group(1)) & FACT_IDS <= self.values.keys() else ""

        filled = _OPTIONAL.sub(optional, sentence)
        return fill_placeholders(filled, self.values)

    def fill(self, text: str, **extra: str) -> str:
        """A text of one or more sentences: facts filled, unmet sentences left out, steps ordered.

        `extra` fills the caller's own placeholders ({name}, {quote}...) after the script is
        converted, so a citizen's quoted words are never rewritten."""
        kept = [s for s in (self.sentence(part) for part in split_sentences(text)) if s is not None]
        joined = _join(self._ordered(kept), self.lang)
        return fill_placeholders(self.script(joined), extra) if extra else self.script(joined)

    def fill_all(self, texts: Iterable[str]) -> tuple[str, ...]:
        """A list (advice, steps): each item filled, items left empty dropped, steps ordered."""
        items: list[str] = []
        for text in texts:
            kept = [s for s in (self.sentence(part) for part in split_sentences(text)) if s is not None]
            if kept:
                items.append(_join(kept, self.lang))
        return tuple(self.script(_untag(item)) for item in self._ordered(items))

    def _ordered(self, items: Sequence[str]) -> list[str]:
        """Tagged steps put in the region's order in the slots they held; tags removed."""
        slots = [index for index, item in enumerate(items) if _TAG.match(item)]
        result = list(items)
        if self.order and slots:
            tagged = sorted((items[index] for index in slots), key=lambda item: self.order.index(_tag(item)))
            for index, item in zip(slots, tagged, strict=True):
                result[index] = item
        return [_untag(item) for item in result]


def _tag(item: str) -> str:
    match = _TAG.match(item)
    return match.group(1) if match else ""


def _untag(item: str) -> str:
    return _TAG.sub("", item)


def _join(sentences: Sequence[str], lang: str) -> str:
    """Sentences back into one text; a tag stays on the first so the whole item can be ordered."""
    text = ""
    for index, sentence in enumerate(sentences):
        part = (_untag(sentence) if index else sentence).strip()
        if text and not text.endswith(_HAN_ENDS):
            text += " "
        text += part
    return text


_HAN_ENDS = ("。", "！", "？", "；", "”", "」", "）")


def fill_placeholders(text: str, values: Mapping[str, str]) -> str:
    """str.format for the placeholders present in `values`; any other {name} is kept for later."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


_CACHE: dict[tuple[int, str, str], tuple[Region, RegionText]] = {}


def region_text(region: Region, lang: str, default_language: str) -> RegionText:
    """A shared RegionText per (region, language): they are read-only once built."""
    key = (id(region), lang, default_language)
    cached = _CACHE.get(key)
    if cached is not None and cached[0] is region:
        return cached[1]
    if len(_CACHE) > 512:  # many libraries loaded (tests): start again rather than grow
        _CACHE.clear()
    built = RegionText(region, lang, default_language)
    _CACHE[key] = (region, built)
    return built
