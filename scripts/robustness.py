"""Recall and false positives with every message disguised as scam senders disguise them (bot/engine/disguises.py).

    .venv/bin/python scripts/robustness.py tests/holdout             # every row not already obfuscated
    .venv/bin/python scripts/robustness.py tests/holdout --sample 3000

For each language and each disguise it prints the share of scams flagged and of harmless messages
flagged, on the rows as written and disguised, so a gap in the normaliser shows as a drop in recall
(a disguise that hides a scam word) or a rise in false positives (one that makes a harmless word look
like a scam's). Rows the writers already obfuscated are left out: they are disguised once already.
Aggregates only; no row is printed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.engine.disguises import DISGUISES
from bot.engine.evaluate import DisguisedCounts, Row, disguised_flags, fixed_sample, flagged_share, read_rows
from bot.engine.pipeline import Engine
from bot.library.cache import load_library_cached


def rows_of(path: Path) -> list[Row]:
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    return [row for file in files for row in read_rows(file) if row.label != "spam"]


def table(counts: DisguisedCounts) -> str:
    lines = [
        "| language | disguise | scams | recall | change | harmless | FP rate | change |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for lang in sorted({key[0] for key in counts}):
        base_recall = flagged_share(counts, lang, "as written", "scam")
        base_fp = flagged_share(counts, lang, "as written", "benign")
        for name in ["as written", *(d.__name__ for d in DISGUISES.get(lang, ()))]:
            recall, fp = flagged_share(counts, lang, name, "scam"), flagged_share(counts, lang, name, "benign")
            scams, harmless = counts[(lang, name, "scam", "n")], counts[(lang, name, "benign", "n")]
            lines.append(
                f"| {lang} | {name.replace('_', ' ')} | {scams} | {recall:.3f} | {recall - base_recall:+.3f} | "
                f"{harmless} | {fp:.3f} | {fp - base_fp:+.3f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="a JSONL file or a folder of them (e.g. tests/holdout)")
    parser.add_argument("--sample", type=int, default=None, help="measure this many rows (a fixed sample)")
    args = parser.parse_args(argv)
    engine = Engine(load_library_cached())
    rows = [row for row in rows_of(args.path) if row.lang in DISGUISES]
    rows = fixed_sample([row for row in rows if not row.obfuscated], args.sample)
    print(table(disguised_flags(engine, rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
