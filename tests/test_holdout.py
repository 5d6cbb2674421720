"""A held-out set (tests/holdout/) written separately from the library and from tests/corpus,
and never tuned on: it measures how the engine generalises to messages nobody fitted it to.

If a change lowers these figures, the change is worse at generalising, whatever the tuned corpus
says. Do not add rules to make a row here pass; add the pattern it shows to tests/corpus and the
library, and write new held-out rows instead. The floors only go up.
"""

from __future__ import annotations

from pathlib import Path

from bot.engine import Engine
from bot.evaluate import metrics, read_rows, run

HOLDOUT = Path(__file__).parent / "holdout"
FLOORS = {"scam_recall": 0.76, "type_accuracy": 0.93}
CEILINGS = {"false_positive_rate": 0.04}


def test_held_out_floors(engine: Engine) -> None:
    rows = [row for path in sorted(HOLDOUT.glob("*.jsonl")) for row in read_rows(path)]
    assert len(rows) >= 290
    result = metrics(run(engine, rows))
    for key, floor in FLOORS.items():
        assert result[key] >= floor, (key, result)
    for key, ceiling in CEILINGS.items():
        assert result[key] <= ceiling, (key, result)
