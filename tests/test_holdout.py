"""A held-out set (tests/holdout/) written separately from the library and from tests/corpus,
and never tuned on: it measures how the engine generalises to messages nobody fitted it to.

If a change lowers these figures, the change is worse at generalising, whatever the tuned corpus
says. Do not add rules to make a row here pass; add the pattern it shows to tests/corpus and the
library, and write new held-out rows instead. The floors only go up.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine import Engine
from bot.evaluate import metrics, read_rows, run

HOLDOUT = Path(__file__).parent / "holdout"
FLOORS = {"scam_recall": 0.85, "type_accuracy": 0.85}
CEILINGS = {"false_positive_rate": 0.04}


@pytest.mark.parametrize("lang", ["zh", "en", None])
def test_held_out_floors(engine: Engine, lang: str | None) -> None:
    rows = [row for path in sorted(HOLDOUT.glob("*.jsonl")) for row in read_rows(path)]
    assert len(rows) >= 2400
    result = metrics(run(engine, [row for row in rows if lang is None or row.lang == lang]))
    for key, floor in FLOORS.items():
        assert result[key] >= floor, (key, result)
    for key, ceiling in CEILINGS.items():
        assert result[key] <= ceiling, (key, result)
