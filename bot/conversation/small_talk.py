"""Greetings and thanks said with a few courtesy words: "good morning, how are you today", "thanks for the help!",
"你好，在吗". A citizen who greets or thanks the bot gets the introduction or the closing rule, not "I can't tell
whether it is a scam"."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

_GREETING = 1
_THANKS = 2
# Longer than this (punctuation and spaces dropped), a message says more than hello or thank you.
MAX_SMALL_TALK_CHARS = 40


class SmallTalk:
    """Built once from the dialogue file's lists (each phrase already folded and bare: no punctuation or spaces);
    `kind` is then a pure function."""

    def __init__(self, greetings: Iterable[str], thanks: Iterable[str], courtesy: Iterable[str]) -> None:
        phrases: dict[str, int] = {}
        for bit, items in ((_GREETING, greetings), (_THANKS, thanks), (0, courtesy)):
            for phrase in items:
                if phrase:
                    phrases[phrase] = phrases.get(phrase, 0) | bit
        self._phrases = phrases
        self._lengths = sorted({len(phrase) for phrase in phrases}, reverse=True)

    def kind(self, bare: str) -> Literal["greeting", "thanks"] | None:
        """ "thanks" when the whole of `bare` is a run of listed phrases holding a thanks, "greeting" when it holds a
        greeting (and no thanks); None otherwise, or when it is long."""
        if not bare or len(bare) > MAX_SMALL_TALK_CHARS:
            return None
        # Every way of cutting the message into listed phrases, by where it has got to: the kinds of phrase used.
        reached: list[set[int]] = [set() for _ in range(len(bare) + 1)]
        reached[0].add(0)
        for start in range(len(bare)):
            if not reached[start]:
                continue
            for length in self._lengths:
                bit = self._phrases.get(bare[start : start + length]) if start + length <= len(bare) else None
                if bit is not None:
                    reached[start + length].update(used | bit for used in reached[start])
        ways = reached[len(bare)]
        if any(used & _THANKS for used in ways):
            return "thanks"
        if any(used & _GREETING for used in ways):
            return "greeting"
        return None
