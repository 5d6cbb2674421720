"""Engine speed: mean and p99 per message with the bundled library and with one ten times larger.

Run `make bench` (or `python bench/bench_engine.py`). Results go in docs/benchmarks.md; there are
no timing assertions in the tests because shared machines are noisy. Messages come from our own
corpus (tests/corpus) and, when present beside the checkout, the shared evaluation set's texts
(used only as input to time, never as knowledge).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bot.engine import Engine
from bot.library.loader import Library, load_library
from bot.library.schema import ScamType

REPO = Path(__file__).resolve().parents[1]


def messages(limit: int) -> list[str]:
    texts = []
    paths = sorted((REPO / "tests" / "corpus").glob("*.jsonl"))
    shared = REPO.parent / "shared" / "eval" / "dev.jsonl"
    if shared.exists():
        paths.append(shared)
    for path in paths:
        with path.open(encoding="utf-8") as handle:
            texts.extend(json.loads(line)["text"] for line in handle if line.strip())
    return texts[:limit]


def _other(value: Any, marker: str) -> Any:
    """Stand-in for other knowledge: texts reversed (new n-grams, new words), regexes made unmatchable."""
    if isinstance(value, str):
        return value[::-1]
    if isinstance(value, list):
        return [_other(item, marker) for item in value]
    if isinstance(value, dict):
        return {key: _other(item, marker) for key, item in value.items()}
    return value


def enlarged(library: Library, factor: int) -> Library:
    """The library plus `factor - 1` copies of every scam type holding OTHER content of the same size.

    Copies reverse every keyword, marker and script line (so the indexes grow as with new scripts,
    but messages do not match them more often) and pin every regex to a literal no message holds.
    This measures how the cost grows with the library, not with the number of matches.
    """
    copies = list(library.types)
    for n in range(1, factor):
        marker = f"zqx{n}qz"
        for scam_type in library.types:
            data = scam_type.model_dump()
            data["id"] = f"{scam_type.id}_copy{n}"
            for line in data["lines"]:
                line["text"] = _other(line["text"], marker)
            for rebuttal in data["rebuttals"]:
                rebuttal["answer"] = _other(rebuttal["answer"], marker)
                rebuttal["markers"] = _other(rebuttal["markers"], marker)
            for rule in data["rules"]:
                rule["keywords"] = _other(rule["keywords"], marker)
                rule["regex"] = {
                    lang: [f"{marker}(?:{pattern})" for pattern in patterns] for lang, patterns in rule["regex"].items()
                }
            copies.append(ScamType.model_validate(data))
    return dataclasses.replace(library, types=tuple(copies))


def measure(engine: Engine, texts: list[str], rounds: int) -> dict[str, float]:
    for text in texts[:200]:  # warm up
        engine.analyse(text)
    timings = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter_ns()
            engine.analyse(text)
            timings.append(time.perf_counter_ns() - start)
    timings.sort()
    return {
        "messages": len(timings),
        "mean_us": statistics.fmean(timings) / 1000,
        "p50_us": timings[len(timings) // 2] / 1000,
        "p99_us": timings[int(len(timings) * 0.99)] / 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=5000, help="messages per round")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    texts = messages(args.limit)
    library = load_library()
    tracemalloc.start()
    engine = Engine(library)
    engine_bytes = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    rows = [("bundled library", len(library.types), measure(engine, texts, args.rounds))]
    big = enlarged(library, 10)
    rows.append(("10x library", len(big.types), measure(Engine(big), texts, args.rounds)))
    mean_length = statistics.fmean(map(len, texts))
    print(f"engine indexes: {engine_bytes / 1e6:.1f} MB; mean message length {mean_length:.0f} chars")
    print(f"{'library':<18}{'types':>6}{'messages':>10}{'mean µs':>10}{'p50 µs':>9}{'p99 µs':>9}")
    for name, types, result in rows:
        print(
            f"{name:<18}{types:>6}{result['messages']:>10}{result['mean_us']:>10.1f}"
            f"{result['p50_us']:>9.1f}{result['p99_us']:>9.1f}"
        )
    ratio = rows[1][2]["mean_us"] / rows[0][2]["mean_us"]
    print(f"10x library / bundled mean: {ratio:.2f}")


if __name__ == "__main__":
    main()
