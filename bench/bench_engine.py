"""Engine speed, start-up and memory: the figures of docs/benchmarks.md (issue 13).

Run `make bench` (or `python bench/bench_engine.py`); `--smoke` runs every part at a tiny size and is
part of the tests so the benchmark never rots (there are no timing assertions anywhere: shared
machines are noisy, so read the ratios within one run). Parts:

- mix: mean / p50 / p99 / max per message over our own corpus (tests/corpus, both languages), also
  split into short (< 200 characters) and long messages;
- growth: one text of real messages cut to 100 B ... 64 KB, time per message and per KB;
- library: the bundled library and 10x / 100x copies holding other content (build time, mean, p99);
- worst: the engine on every pump string (bot/library/pump.py) at the message size limit;
- build: building the engine from the cached library, with the pieces the cache keeps (bot/engine/memo.py)
  and with all of them computed again;
- start: cold start of the service to its first 200, `antifraud check`, both with a warm library cache;
- rss: resident memory after analysing the mix.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from bot.engine import memo
from bot.engine.budget import Budget
from bot.engine.pipeline import Engine, collection_paused
from bot.library.cache import load_library_cached
from bot.library.loader import Library
from bot.library.pump import GENERIC_PIECES, library_patterns, pump_pieces, pump_string
from bot.library.schema import ScamType

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
SHORT = 200  # characters: a text message or a chat line; longer ones are pasted emails and stories


def corpus_texts(limit: int | None = None) -> list[str]:
    """Our own corpus (both languages, scams and harmless messages), in a fixed order."""
    texts = []
    for path in sorted((REPO / "tests" / "corpus").glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            texts.extend(json.loads(line)["text"] for line in handle if line.strip())
    return texts[:limit] if limit else texts


def _other(value: Any) -> Any:
    """Stand-in for other knowledge: texts reversed (new n-grams, new words)."""
    if isinstance(value, str):
        return value[::-1]
    if isinstance(value, list):
        return [_other(item) for item in value]
    if isinstance(value, dict):
        return {key: _other(item) for key, item in value.items()}
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
                line["text"] = _other(line["text"])
            for rebuttal in data["rebuttals"]:
                rebuttal["answer"] = _other(rebuttal["answer"])
                rebuttal["markers"] = _other(rebuttal["markers"])
            for rule in data["rules"]:
                rule["keywords"] = _other(rule["keywords"])
                rule["regex"] = {
                    lang: [f"{marker}(?:{pattern})" for pattern in patterns] for lang, patterns in rule["regex"].items()
                }
            copies.append(ScamType.model_validate(data))
    return dataclasses.replace(library, types=tuple(copies))


def timings_us(engine: Engine, texts: list[str], rounds: int) -> list[float]:
    for text in texts[:200]:  # warm up: lazily compiled regexes, caches
        engine.analyse(text)
    found = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter_ns()
            engine.analyse(text, budget=Budget(None))
            found.append((time.perf_counter_ns() - start) / 1000)
    return found


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {"n": 0, "mean": 0.0, "p50": 0.0, "p99": 0.0, "max": 0.0}
    return {
        "n": len(ordered),
        "mean": statistics.fmean(ordered),
        "p50": ordered[len(ordered) // 2],
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "max": ordered[-1],
    }


def mix(engine: Engine, texts: list[str], rounds: int) -> dict[str, dict[str, float]]:
    short = [text for text in texts if len(text) < SHORT]
    long = [text for text in texts if len(text) >= SHORT]
    return {
        "all": summary(timings_us(engine, texts, rounds)),
        f"short (< {SHORT} chars)": summary(timings_us(engine, short, rounds)),
        f"long (>= {SHORT} chars)": summary(timings_us(engine, long, rounds)),
    }


def growth(engine: Engine, texts: list[str], sizes: list[int], repeats: int) -> list[dict[str, float]]:
    """One long text of real messages, cut to each size; the fastest of `repeats` runs."""
    joined = "\n".join(texts)
    while len(joined) < max(sizes):
        joined += "\n" + joined
    rows = []
    for size in sizes:
        text = joined[:size]
        best = min(_once(engine, text) for _ in range(repeats))
        rows.append({"chars": size, "ms": best * 1000, "us_per_kb": best * 1e6 / (size / 1024)})
    return rows


def _once(engine: Engine, text: str) -> float:
    start = time.perf_counter()
    engine.analyse(text, budget=Budget(None))
    return time.perf_counter() - start


def engine_build(library: Library, repeats: int) -> dict[str, float]:
    """Seconds to build the engine: with the pieces the library cache loaded (bot/engine/memo.py), and with
    every one of them computed again (a library the cache has never seen); fastest of `repeats`."""
    warm = min(_build(library) for _ in range(repeats))
    saved = {name: dict(remembered._values) for name, remembered in memo._MEMOS.items()}
    cold = float("inf")
    for _ in range(repeats):
        for remembered in memo._MEMOS.values():
            remembered._values.clear()
        cold = min(cold, _build(library))
    memo.preload(saved)
    return {"cached_s": warm, "computed_s": cold}


def _build(library: Library) -> float:
    start = time.perf_counter()
    Engine(library)
    return time.perf_counter() - start


def library_scaling(library: Library, texts: list[str], factors: list[int], rounds: int) -> list[dict[str, float]]:
    """Per library size: the build as the service and the CLI do it (collection paused; they then freeze what was
    built out of the collector instead of walking it: bot/channels/web/app.py, bot/cli.py), and apart the one full
    collection that `Engine()` alone adds at its end (a reload pays it, in a thread, while the old engine serves);
    then the per-message cost."""
    rows = []
    for factor in factors:
        big = enlarged(library, factor) if factor > 1 else library
        start = time.perf_counter()
        with collection_paused():
            engine = Engine(big)
        built = time.perf_counter() - start
        start = time.perf_counter()
        gc.collect()
        collected = time.perf_counter() - start
        result = summary(timings_us(engine, texts, rounds))
        rows.append({"factor": factor, "types": len(big.types), "build_s": built, "collect_s": collected, **result})
    return rows


def worst_case(engine: Engine, size: int, limit: int | None = None) -> dict[str, Any]:
    """The engine on pump strings at `size` characters: the generic pieces and, for every library
    regex, its longest literal alone and with digits; the slowest one, and how many ran out of budget."""
    pieces: set[str] = set(GENERIC_PIECES)
    for _, _, pattern in library_patterns(engine.library):
        pieces.update(pump_pieces(pattern, limit=1))
    chosen = sorted(pieces)[:limit] if limit else sorted(pieces)
    worst: dict[str, Any] = {"ms": 0.0, "piece": "", "strings": len(chosen), "partial": 0}
    for piece in chosen:
        budget = Budget()  # the default budget: a partial verdict is counted, never a hang
        start = time.perf_counter()
        engine.analyse(pump_string(piece, size), budget=budget)
        elapsed = (time.perf_counter() - start) * 1000
        worst["partial"] += int(budget.exhausted)
        if elapsed > worst["ms"]:
            worst.update(ms=elapsed, piece=piece)
    if worst["piece"]:  # the slowest string again, fastest of three: one run can catch a busy moment
        worst["ms"] = min(_once(engine, pump_string(worst["piece"], size)) for _ in range(3)) * 1000
    return worst


def cli_start(repeats: int) -> float:
    """Seconds for `antifraud check` end to end (a fresh process; the library cache warm)."""
    command = [str(VENV_BIN / "antifraud"), "check", "公安局说你涉嫌洗钱，把钱转到安全账户"]
    subprocess.run(command, capture_output=True, check=True)  # warms the cache
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        best = min(best, time.perf_counter() - start)
    return best


def cold_start(repeats: int) -> float:
    """Seconds from starting `antifraud serve` to its first 200 on POST /api/check (cache warm)."""
    import socket

    best = float("inf")
    for _ in range(repeats):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {**os.environ, "ANTIFRAUD_PORT": str(port)}
        start = time.perf_counter()
        process = subprocess.Popen(
            [str(VENV_BIN / "antifraud"), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            body = json.dumps({"text": "公安局说你涉嫌洗钱"}).encode()
            while time.perf_counter() - start < 60:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/check", data=body, headers={"Content-Type": "application/json"}
                )
                try:
                    with urllib.request.urlopen(request, timeout=5) as response:
                        if response.status == 200:
                            break
                except OSError:
                    time.sleep(0.01)
            best = min(best, time.perf_counter() - start)
        finally:
            process.terminate()
            process.wait(timeout=10)
    return best


def run(smoke: bool) -> dict[str, Any]:
    texts = corpus_texts(60 if smoke else None)
    library = load_library_cached()
    engine = Engine(library)
    # As the service does once it has started (app.py's lifespan): the library, its indexes and the models are
    # millions of objects that a full collection would scan again and again, pausing one message in thousands
    # for ~100 ms. Without this the worst case measured those pauses, not the engine.
    gc.collect()
    gc.freeze()
    results: dict[str, Any] = {"messages": len(texts), "mean_chars": statistics.fmean(map(len, texts))}
    results["build"] = engine_build(library, 1 if smoke else 3)
    results["mix"] = mix(engine, texts, 1 if smoke else 3)
    sizes = [100, 1024] if smoke else [100, 1024, 4096, 16384, 65536]
    results["growth"] = growth(engine, texts, sizes, 1 if smoke else 3)
    results["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # one engine, the whole mix
    results["library"] = library_scaling(
        library, texts[:20] if smoke else texts[:1000], [1, 2] if smoke else [1, 10, 100], 1
    )
    results["worst"] = worst_case(engine, 200 if smoke else 5000, 40 if smoke else None)
    if not smoke:
        # As `make run` and the Dockerfile leave it: bot/ byte-compiled (PYTHONDONTWRITEBYTECODE would otherwise
        # compile it from source at every start).
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "bot")], check=True)
        results["cli_check_s"] = cli_start(3)
        results["cold_start_s"] = cold_start(3)
    return results


def report(results: dict[str, Any]) -> str:
    lines = [
        f"{results['messages']} corpus messages, mean {results['mean_chars']:.0f} chars",
        "",
        "engine per message (µs):",
    ]
    lines.append(f"  {'set':<24}{'n':>7}{'mean':>9}{'p50':>9}{'p99':>9}{'max':>10}")
    for name, row in results["mix"].items():
        lines.append(
            f"  {name:<24}{row['n']:>7}{row['mean']:>9.0f}{row['p50']:>9.0f}{row['p99']:>9.0f}{row['max']:>10.0f}"
        )
    build = results["build"]
    lines += [
        "",
        f"engine build: {build['cached_s']:.3f} s with the cached pieces, {build['computed_s']:.3f} s computing them",
    ]
    lines += ["", "growth with length:"]
    lines += [
        f"  {row['chars']:>7} chars {row['ms']:>9.2f} ms {row['us_per_kb']:>9.0f} µs/KB" for row in results["growth"]
    ]
    lines += ["", "library size:"]
    base = results["library"][0]["mean"]
    for row in results["library"]:
        lines.append(
            f"  {row['factor']:>4}x {row['types']:>5} types  build {row['build_s']:>6.2f} s"
            f" (+{row['collect_s']:.2f} s collection)"
            f"  mean {row['mean']:>7.0f} µs  p99 {row['p99']:>7.0f} µs  ({row['mean'] / base:.2f}x)"
        )
    worst = results["worst"]
    lines += [
        "",
        f"worst case over {worst['strings']} pump strings: {worst['ms']:.1f} ms on {worst['piece']!r} repeated "
        f"({worst['partial']} partial under the default budget)",
        f"RSS: {results['rss_mb']:.0f} MB",
    ]
    if "cli_check_s" in results:
        lines.append(
            f"antifraud check: {results['cli_check_s']:.2f} s; cold start to first 200: {results['cold_start_s']:.2f} s"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="every part at a tiny size (for the tests)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = run(args.smoke)
    print(json.dumps(results, ensure_ascii=False, indent=2) if args.json else report(results))


if __name__ == "__main__":
    main()
