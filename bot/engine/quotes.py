"""Evidence quotes a citizen can read: inside one message, on word boundaries (issue 10).

A pasted chat log or a story told in turns is one text with newlines; a quote that runs across a
newline mixes two messages, and one that starts or stops in the middle of a word ("ney laund")
reads as a mistake. A span from the recogniser is tidied before it is shown:

- cut to the part of it on one line (the longest, when it crosses several);
- punctuation and spaces at either end dropped;
- in Latin script, widened to whole words;
- in Han script, widened to the clause's end when a doubled character was cut ("唔好話俾爸" ->
  "唔好話俾爸爸媽媽知") or one character is left, never past punctuation.
"""

from __future__ import annotations

import unicodedata

_HAN_REACH = 4  # characters a Han quote may grow to reach its clause's end, past a doubled character
_HAN_NEAR = 1  # ... or otherwise


def _is_word(char: str) -> bool:
    return char.isalnum() or char in "'’-"


def _is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def _is_any_edge(char: str) -> bool:
    return char.isspace() or unicodedata.category(char).startswith(("P", "S", "Z"))


# The ASCII answers, worked out once: most quoted characters are ASCII, and a set look-up costs less than
# asking for the category.
_ASCII_EDGES = frozenset(char for char in map(chr, range(128)) if _is_any_edge(char))


def _is_edge(char: str) -> bool:
    """Punctuation or space: what a quote should neither start nor end with."""
    return char in _ASCII_EDGES if char.isascii() else _is_any_edge(char)


def tidy_span(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """`span` of `text` inside one line and on word boundaries; unchanged when nothing would be left."""
    start, end = span
    if not 0 <= start < end <= len(text):
        return span
    # One line: the longest piece between newlines.
    if "\n" in text[start:end]:
        best = (start, start)
        position = start
        for piece in text[start:end].split("\n"):
            if len(piece.strip()) > best[1] - best[0]:
                best = (position, position + len(piece))
            position += len(piece) + 1
        start, end = best
    while start < end and _is_edge(text[start]):
        start += 1
    while end > start and _is_edge(text[end - 1]):
        end -= 1
    if start >= end:
        return span
    # Latin words are never cut.
    if text[start].isascii() and _is_word(text[start]):
        while start > 0 and text[start - 1].isascii() and _is_word(text[start - 1]):
            start -= 1
    if text[end - 1].isascii() and _is_word(text[end - 1]):
        while end < len(text) and text[end].isascii() and _is_word(text[end]):
            end += 1
    # Han: a word cut in two ("俾爸|爸媽媽知") reaches its clause's end when that is close; a quote
    # is never widened over other words, which may be another piece of evidence.
    if _is_han(text[end - 1]):
        reach = end
        while reach < len(text) and reach - end < _HAN_REACH and _is_han(text[reach]):
            reach += 1
        at_clause_end = reach == len(text) or not _is_han(text[reach])
        doubled = end < len(text) and text[end] == text[end - 1]
        if at_clause_end and (reach - end <= _HAN_NEAR or doubled):
            end = reach
    return start, end


_SENTENCE_ENDS = frozenset("。！？；!?;\n")
SENTENCE_LIMIT = 160  # longer sentences are not quoted whole


def sentence_around(text: str, start: int, end: int, limit: int = SENTENCE_LIMIT) -> tuple[int, int]:
    """The sentence holding [start, end) (between sentence-ending marks or newlines), when it is at most
    `limit` characters; else the span unchanged. A retold line is a sentence's meaning, not its words."""
    if not 0 <= start < end <= len(text):
        return start, end
    first = start
    while first > 0 and text[first - 1] not in _SENTENCE_ENDS and start - first <= limit:
        first -= 1
    last = end
    while last < len(text) and text[last] not in _SENTENCE_ENDS and last - end <= limit:
        last += 1
    if last - first > limit:
        return start, end
    return first, last
