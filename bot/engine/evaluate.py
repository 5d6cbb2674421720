"""The evaluation metrics of shared/eval/README.md, for any JSONL file of that format."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.engine.disguises import DISGUISES, disguised
from bot.engine.pipeline import Engine


class EvalFileError(ValueError):
    """A row of the evaluation file is unreadable; the message names the line."""


@dataclass(frozen=True, slots=True)
class Row:
    id: str
    text: str
    label: str  # scam | benign | spam
    types: tuple[str, ...]
    source: str
    lang: str
    channel: str = "unknown"  # sms | ad | chat | call | post | email, where the file says
    obfuscated: bool = False  # the writer disguised its words (our own sets say so)


@dataclass(frozen=True, slots=True)
class Outcome:
    row: Row
    flagged: bool
    top_type: str | None
    score: float = 0.0


def read_rows(path: Path) -> Iterator[Row]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                label = str(data["label"])
                if label not in ("scam", "benign", "spam"):
                    raise ValueError(f"label {label!r} is not scam, benign or spam")
                yield Row(
                    id=str(data.get("id", f"line:{number}")),
                    text=str(data["text"]),
                    label=label,
                    types=tuple(data.get("types") or ()),
                    source=str(data.get("source", "unknown")),
                    lang=str(data.get("lang", "unknown")),
                    channel=str(data.get("channel") or "unknown"),
                    obfuscated=bool(data.get("obfuscated", False)),
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise EvalFileError(f"{path}:{number}: {type(exc).__name__}: {exc}") from exc


def run(engine: Engine, rows: Iterable[Row]) -> list[Outcome]:
    outcomes = []
    for row in rows:
        verdict = engine.analyse(row.text)
        outcomes.append(Outcome(row, verdict.risk.flagged, verdict.scam_type, verdict.score))
    return outcomes


def fixed_sample(rows: list[Row], size: int | None) -> list[Row]:
    """`size` rows chosen by the lowest hash of their id: the same rows on every run, whatever the order."""
    if size is None or size >= len(rows):
        return rows
    return sorted(rows, key=lambda row: hashlib.blake2b(row.id.encode(), digest_size=8).digest())[:size]


DisguisedCounts = Counter[tuple[str, str, str, str]]


def disguised_flags(engine: Engine, rows: Iterable[Row]) -> DisguisedCounts:
    """(language, disguise or "as written", "scam"|"benign", "n"|"flagged") -> count: every row as written
    and with each disguise of its language (bot/engine/disguises.py); spam rows are left out."""
    counts: DisguisedCounts = Counter()
    for row in rows:
        if row.label == "spam":
            continue
        kind = "scam" if row.label == "scam" else "benign"
        variants = [
            ("as written", row.text),
            *((d.__name__, disguised(row.text, d, row.id)) for d in DISGUISES.get(row.lang, ())),
        ]
        for name, text in variants:
            counts[(row.lang, name, kind, "n")] += 1
            counts[(row.lang, name, kind, "flagged")] += engine.analyse(text).risk.flagged
    return counts


def flagged_share(counts: DisguisedCounts, lang: str, name: str, kind: str) -> float:
    total = counts[(lang, name, kind, "n")]
    return counts[(lang, name, kind, "flagged")] / total if total else 0.0


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def metrics(outcomes: list[Outcome]) -> dict[str, Any]:
    scams = [o for o in outcomes if o.row.label == "scam"]
    benign = [o for o in outcomes if o.row.label == "benign"]
    spam = [o for o in outcomes if o.row.label == "spam"]
    typed = [o for o in scams if o.flagged and o.row.types]
    return {
        "rows": len(outcomes),
        "scam_recall": _ratio(sum(o.flagged for o in scams), len(scams)),
        "false_positive_rate": _ratio(sum(o.flagged for o in benign), len(benign)),
        "type_accuracy": _ratio(sum(o.top_type in o.row.types for o in typed), len(typed)),
        "spam_flagged": _ratio(sum(o.flagged for o in spam), len(spam)),
    }


def recall_at_false_positive_rate(outcomes: list[Outcome], rate: float) -> dict[str, float] | None:
    """Scam recall if the score threshold were set so that at most `rate` of the harmless rows
    are flagged: how good the ranking is, whatever the library's own thresholds."""
    benign = sorted((o.score for o in outcomes if o.row.label == "benign"), reverse=True)
    scams = [o.score for o in outcomes if o.row.label == "scam"]
    if not benign or not scams:
        return None
    allowed = int(rate * len(benign))
    threshold = benign[allowed] + 1e-9 if allowed < len(benign) else 0.0
    return {
        "threshold": round(threshold, 4),
        "scam_recall": round(sum(score >= threshold for score in scams) / len(scams), 4),
        "false_positive_rate": round(sum(score >= threshold for score in benign) / len(benign), 4),
    }


def report(outcomes: list[Outcome]) -> dict[str, Any]:
    """Overall metrics plus the same four metrics per source, language and channel, and recall at
    fixed false-positive rates."""
    result = metrics(outcomes)
    result["at_false_positive_rate"] = {
        str(rate): recall_at_false_positive_rate(outcomes, rate) for rate in (0.01, 0.02)
    }
    for key, attribute in (("by_source", "source"), ("by_lang", "lang"), ("by_channel", "channel")):
        groups: dict[str, list[Outcome]] = {}
        for outcome in outcomes:
            groups.setdefault(getattr(outcome.row, attribute), []).append(outcome)
        result[key] = {name: metrics(group) for name, group in sorted(groups.items())}
    return result


def format_table(result: dict[str, Any]) -> str:
    def cell(value: float | None) -> str:
        return "   -  " if value is None else f"{value:6.3f}"

    header = f"{'':<22}{'rows':>6}  {'recall':>6}  {'FP rate':>7}  {'type acc':>8}  {'spam':>6}"
    lines = [header, "-" * len(header)]

    def row(name: str, m: dict[str, Any]) -> str:
        return (
            f"{name:<22}{m['rows']:>6}  {cell(m['scam_recall'])}  {cell(m['false_positive_rate']):>7}  "
            f"{cell(m['type_accuracy']):>8}  {cell(m['spam_flagged'])}"
        )

    lines.append(row("all", result))
    for key in ("by_source", "by_lang", "by_channel"):
        groups = result[key]
        if key == "by_channel" and list(groups) == ["unknown"]:
            continue  # the file says nothing of channels
        for name, m in groups.items():
            lines.append(row(f"{key[3:]}: {name}", m))
    for rate, figures in result["at_false_positive_rate"].items():
        if figures is not None:
            lines.append(
                f"recall at FP rate <= {rate}: {figures['scam_recall']:.3f} (score threshold {figures['threshold']})"
            )
    return "\n".join(lines)
