"""How many paraphrases of the library's lines and rebuttals are recognised as their own entry.

    .venv/bin/python scripts/paraphrase_coverage.py tests/paraphrase_training/paraphrases_en.jsonl
    .venv/bin/python scripts/paraphrase_coverage.py FILE --misses   # also list every missed row
    .venv/bin/python scripts/paraphrase_coverage.py FILE --without-fuzzy   # concept sets only

Each row of FILE is {"entry": "<type>.lines.<id>" | "<type>.rebuttals.<id>", "text": "..."}. A row
counts as recognised when its own entry is among the verdict's evidence (a concept set or a fuzzy
match of that line or rebuttal). The report gives the overall share, the share per scam type and
per kind (lines, rebuttals), and the entries none of whose rows were recognised.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bot.engine.budget import Budget
from bot.engine.fuzzy import FuzzyMatcher, LineMatch
from bot.engine.normalise import NormalisedText
from bot.engine.pipeline import Engine
from bot.library.cache import load_library_cached


class _NoFuzzy(FuzzyMatcher):
    """The fuzzy matcher switched off: only concept sets and rules can cite a line."""

    def match(self, normalised: NormalisedText) -> list[LineMatch]:
        return []


@dataclass(frozen=True, slots=True)
class Row:
    entry: str
    text: str


@dataclass(frozen=True, slots=True)
class Result:
    row: Row
    recognised: bool
    found: tuple[str, ...]  # the library entries (lines, rebuttals) the verdict cites


def read_rows(path: Path) -> list[Row]:
    rows: list[Row] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                rows.append(Row(entry=str(data["entry"]), text=str(data["text"])))
            except (ValueError, KeyError, TypeError) as exc:
                raise SystemExit(f"{path}:{number}: {type(exc).__name__}: {exc}") from exc
    return rows


def check(engine: Engine, rows: list[Row], lang: str | None) -> list[Result]:
    results: list[Result] = []
    for row in rows:
        # No time limit: a slow machine must not change what is recognised.
        verdict = engine.analyse(row.text, lang=lang, budget=Budget(None))
        found = tuple(
            dict.fromkeys(e.entry for e in verdict.evidence if ".lines." in e.entry or ".rebuttals." in e.entry)
        )
        results.append(Result(row, row.entry in found, found))
    return results


def _share(hits: int, total: int) -> str:
    return f"{hits}/{total} ({hits / total:.1%})" if total else "0/0"


def report(results: list[Result], known: set[str], show_misses: bool) -> str:
    out: list[str] = []
    total = len(results)
    hits = sum(r.recognised for r in results)
    out.append(f"recognised as their own entry: {_share(hits, total)}")
    by_type: dict[str, list[Result]] = defaultdict(list)
    by_kind: dict[str, list[Result]] = defaultdict(list)
    by_entry: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        scam_type, kind, _ = [*result.row.entry.split(".", 2), "", ""][:3]
        by_type[scam_type].append(result)
        by_kind[kind].append(result)
        by_entry[result.row.entry].append(result)
    out.append("")
    out.append("by kind:")
    for kind, group in sorted(by_kind.items()):
        out.append(f"  {kind:<28} {_share(sum(r.recognised for r in group), len(group))}")
    out.append("")
    out.append("by type:")
    for scam_type, group in sorted(by_type.items()):
        out.append(f"  {scam_type:<28} {_share(sum(r.recognised for r in group), len(group))}")
    unknown = sorted(entry for entry in by_entry if entry not in known)
    if unknown:
        out.append("")
        out.append(f"entries not in the library ({len(unknown)}): " + ", ".join(unknown))
    never = sorted(
        entry for entry, group in by_entry.items() if entry in known and not any(r.recognised for r in group)
    )
    out.append("")
    out.append(f"entries never recognised ({len(never)} of {len(by_entry)}):")
    out.extend(f"  {entry}" for entry in never)
    if show_misses:
        out.append("")
        out.append("missed rows:")
        for result in results:
            if not result.recognised:
                cited = ", ".join(result.found) or "-"
                out.append(f"  {result.row.entry}: {result.row.text}  [found: {cited}]")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("file", type=Path, help="paraphrase JSONL: {entry, text} per line")
    parser.add_argument("--misses", action="store_true", help="list every row not recognised as its own entry")
    parser.add_argument("--lang", default=None, help="force the message language (default: detected)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead")
    parser.add_argument(
        "--without-fuzzy",
        action="store_true",
        help="turn the fuzzy line matcher off: count only concept-set matches (near-copies of a line no longer count)",
    )
    args = parser.parse_args(argv)
    library = load_library_cached()
    engine = Engine(library)
    if args.without_fuzzy:
        engine.fuzzy = _NoFuzzy(library, engine.normaliser)
    known = {
        f"{scam_type.id}.{kind}.{item.id}"
        for scam_type in library.types
        for kind, items in (("lines", scam_type.lines), ("rebuttals", scam_type.rebuttals))
        for item in items
    }
    results = check(engine, read_rows(args.file), args.lang)
    if args.json:
        payload = [
            {"entry": r.row.entry, "text": r.row.text, "recognised": r.recognised, "found": list(r.found)}
            for r in results
        ]
        print(json.dumps(payload, ensure_ascii=False, indent=1))
    else:
        print(report(results, known, args.misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
