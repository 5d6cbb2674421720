"""Which Chinese script a citizen writes, so the bot answers in it (issue 10).

A citizen who types traditional characters (Hong Kong, Taiwan, Macau, many overseas Chinese) should
not get simplified replies, whatever region the service runs in. OpenCC, the converter the
normaliser already uses, tells the scripts apart: a character that t2s changes is traditional-only,
one that s2t changes is simplified-only. Cantonese words (咗, 嘅, 唔, 係...) mark Hong Kong usage,
so such a message gets Hong Kong forms (s2hk), other traditional text Taiwan forms (s2tw).

Only library and dialogue texts are ever converted, never the citizen's own quoted words.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from typing import Literal

import opencc

from bot.engine.types import Evidence, Verdict

Script = Literal["hans", "hant-hk", "hant-tw"]
_CONFIGS: dict[str, str] = {"hant-hk": "s2hk", "hant-tw": "s2tw"}
# Written Cantonese: characters and words standard written Chinese does not use.
_CANTONESE = re.compile(r"[咗嘅唔佢喺冇嗰啲嘢噉咁哋乜嚟囉喇嘞啱]|係咪|點樣|點算|邊度|畀|俾|睇|揾|搵|戶口")
_HAN = re.compile(r"[\u3400-\u9fff]")


@lru_cache(maxsize=4)
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


@lru_cache(maxsize=65536)
def _convert(config: str, text: str) -> str:
    return str(_converter(config).convert(text))


def written_in(text: str) -> Script | None:
    """The script of a message: "hant-hk" / "hant-tw" when it is in traditional characters (more
    traditional-only than simplified-only characters), "hans" when simplified, None when it has no
    character telling them apart (English, or characters both scripts share)."""
    han = "".join(_HAN.findall(text[:2000]))
    if not han:
        return None
    simplified = _convert("t2s", han)
    traditional = _convert("s2t", han)
    trad_only = sum(1 for a, b in zip(han, simplified, strict=False) if a != b)
    simp_only = sum(1 for a, b in zip(han, traditional, strict=False) if a != b)
    if trad_only > simp_only:
        return "hant-hk" if _CANTONESE.search(text) else "hant-tw"
    if simp_only > trad_only:
        return "hans"
    return "hant-hk" if _CANTONESE.search(text) else None


def convert(text: str, script: str | None) -> str:
    """Library text (written in simplified characters) in `script`; unchanged for hans or None."""
    config = _CONFIGS.get(script or "")
    return _convert(config, text) if config and text else text


def convert_verdict(verdict: Verdict, script: str | None) -> Verdict:
    """The verdict's own texts (reasons, signs, advice, next step, notes) in `script`; the citizen's
    quoted words (evidence and indicator text) are left exactly as they wrote them."""
    if _CONFIGS.get(script or "") is None:
        return verdict

    def one(item: Evidence) -> Evidence:
        return replace(item, why=convert(item.why, script))

    return replace(
        verdict,
        evidence=tuple(one(item) for item in verdict.evidence),
        warning_signs=tuple(convert(sign, script) for sign in verdict.warning_signs),
        advice=replace(
            verdict.advice,
            before=tuple(convert(item, script) for item in verdict.advice.before),
            after=tuple(convert(item, script) for item in verdict.advice.after),
        ),
        next_step=convert(verdict.next_step, script) if verdict.next_step else None,
        notes=tuple(convert(note, script) for note in verdict.notes),
    )
