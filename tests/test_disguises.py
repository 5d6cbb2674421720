"""Disguised the way scam senders disguise them, messages keep their verdicts (bot/engine/disguises.py).

Measured on a fixed sample of our own corpus (the tuned-on set; `scripts/robustness.py` reports the same
on the held-out set): a disguise the normaliser does not undo shows as scams missed or harmless
messages flagged.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.disguises import DISGUISES, disguised
from bot.engine.evaluate import DisguisedCounts, disguised_flags, fixed_sample, flagged_share, read_rows
from bot.engine.pipeline import Engine

CORPUS = Path(__file__).parent / "corpus"
SAMPLE = 1200  # rows as written (not obfuscated by their writer): about 8 s for every disguise
MAX_RECALL_DROP = 0.02
MAX_FALSE_POSITIVE_RISE = 0.01


@pytest.fixture(scope="module")
def flagged(engine: Engine) -> DisguisedCounts:
    """Every row of a fixed sample as written and with each disguise of its language."""
    rows = [
        row
        for file in sorted(CORPUS.glob("*.jsonl"))
        for row in read_rows(file)
        if row.label != "spam" and not row.obfuscated and row.lang in DISGUISES
    ]
    return disguised_flags(engine, fixed_sample(rows, SAMPLE))


@pytest.mark.parametrize(("lang", "name"), [(lang, d.__name__) for lang, ds in DISGUISES.items() for d in ds])
def test_a_disguise_hides_no_scam_and_makes_no_harmless_message_look_like_one(
    flagged: DisguisedCounts, lang: str, name: str
) -> None:
    assert flagged[(lang, name, "scam", "n")] > 100 and flagged[(lang, name, "benign", "n")] > 100
    recall_drop = flagged_share(flagged, lang, "as written", "scam") - flagged_share(flagged, lang, name, "scam")
    fp_rise = flagged_share(flagged, lang, name, "benign") - flagged_share(flagged, lang, "as written", "benign")
    assert recall_drop <= MAX_RECALL_DROP, f"{name}: {recall_drop:.3f} of the scams no longer flagged"
    assert fp_rise <= MAX_FALSE_POSITIVE_RISE, f"{name}: {fp_rise:.3f} more harmless messages flagged"


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Your PayPal account was limited, don't wait: log in at https://paypal-secure.com and pay the $35 fee"),
        ("zh", "加微信群刷单返利，先充值3000元转账到银行卡，验证码发我，网址 http://shua-dan.top 详询"),
    ],
)
def test_every_disguise_changes_the_text_and_the_same_seed_gives_the_same_text(lang: str, text: str) -> None:
    for disguise in DISGUISES[lang]:
        once = {disguised(text, disguise, f"seed{n}") for n in range(8)}
        assert once - {text}, f"{disguise.__name__} left the text as it was"
        assert disguised(text, disguise, "seed0") == disguised(text, disguise, "seed0")
