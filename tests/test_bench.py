"""The benchmark at a tiny size, so it never rots. No timing assertions: only that every part runs
and reports what docs/benchmarks.md quotes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_the_engine_benchmark_runs_every_part() -> None:
    output = subprocess.run(
        [sys.executable, str(REPO / "bench" / "bench_engine.py"), "--smoke", "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        timeout=300,
    ).stdout
    results = json.loads(output)
    assert {"mix", "growth", "library", "worst", "rss_mb", "build"} <= set(results)
    assert results["mix"]["all"]["n"] > 0 and results["growth"][0]["chars"] == 100
    assert [row["factor"] for row in results["library"]] == [1, 2]
    assert results["worst"]["strings"] > 0


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (make bench installs it)")
def test_the_http_benchmark_runs_every_endpoint() -> None:
    output = subprocess.run(
        [sys.executable, str(REPO / "bench" / "bench_http.py"), "--seconds", "1", "--connections", "2", "--limit", "5"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        timeout=300,
    ).stdout
    for name in ("bare endpoint", "POST /api/check", "POST /api/chat (continuing)", "GET /", "POST /sms/twilio"):
        assert name in output
