"""Print the markdown tables of docs/evaluation.md: every labelled set, per source, language and
channel, with the learned layer on and off.

    .venv/bin/python scripts/evaluation_tables.py [--dev ../shared/eval/dev.jsonl] > /tmp/tables.md

The dev set is only measured here, never fitted: nothing in this script changes the library.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from bot.engine.evaluate import Outcome, read_rows, report, run
from bot.engine.pipeline import Engine
from bot.library.loader import load_library

ROOT = Path(__file__).resolve().parents[1]


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _table(title: str, on: dict[str, Any], off: dict[str, Any]) -> str:
    lines = [
        f"#### {title}",
        "",
        "| slice | rows | recall | FP rate | type acc | recall, model off | FP rate, model off |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]

    def row(name: str, a: dict[str, Any], b: dict[str, Any]) -> str:
        return (
            f"| {name} | {a['rows']} | {_cell(a['scam_recall'])} | {_cell(a['false_positive_rate'])} | "
            f"{_cell(a['type_accuracy'])} | {_cell(b['scam_recall'])} | {_cell(b['false_positive_rate'])} |"
        )

    lines.append(row("**all**", on, off))
    for key in ("by_source", "by_lang", "by_channel"):
        for name, figures in on[key].items():
            if key == "by_channel" and name == "unknown":
                continue
            if key == "by_source" and len(on[key]) == 1:
                continue
            lines.append(row(f"{key[3:]} {name}", figures, off[key][name]))
    for rate, figures in on["at_false_positive_rate"].items():
        other = off["at_false_positive_rate"][rate]
        if figures and other:
            lines.append(
                f"| recall at FP <= {rate} (any threshold) | | {_cell(figures['scam_recall'])} | | | "
                f"{_cell(other['scam_recall'])} | |"
            )
    return "\n".join(lines) + "\n"


def _outcomes(engine: Engine, files: list[Path]) -> list[Outcome]:
    return run(engine, [row for file in files for row in read_rows(file)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dev", default=str(ROOT.parent / "shared" / "eval" / "dev.jsonl"))
    args = parser.parse_args()
    library = load_library()
    with_model = Engine(library)
    without_model = Engine(dataclasses.replace(library, model=None, report_model=None, line_model=None))
    sets = {
        "shared/eval/dev.jsonl (measured only)": [Path(args.dev)] if Path(args.dev).exists() else [],
        "tests/holdout (written apart, never tuned on)": sorted((ROOT / "tests" / "holdout").glob("*.jsonl")),
        "tests/corpus (tuned on; the learned layer is trained on it)": sorted(
            (ROOT / "tests" / "corpus").glob("*.jsonl")
        ),
    }
    for title, files in sets.items():
        if not files:
            continue
        on = report(_outcomes(with_model, files))
        off = report(_outcomes(without_model, files))
        print(_table(title, on, off))


if __name__ == "__main__":
    main()
