"""HTTP throughput of POST /api/check against a bare FastAPI endpoint, in one run, as a ratio.

Both servers run here on 127.0.0.1 (uvicorn, one worker each, started by this script) and are
loaded in turn by the same asyncio client for a fixed time, so the client's own cost is the same
on both sides. Run `python bench/bench_http.py`; results go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

from bot.api.app import create_app

REPO = Path(__file__).resolve().parents[1]


class Text(BaseModel):
    text: str


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.post("/api/check")
    def check(body: Text) -> dict[str, int]:
        return {"length": len(body.text)}

    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def load(base: str, texts: list[str], seconds: float, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    stop = time.monotonic() + seconds

    async def worker(offset: int) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            index = offset
            while time.monotonic() < stop:
                start = time.perf_counter()
                response = await client.post("/api/check", json={"text": texts[index % len(texts)]})
                response.raise_for_status()
                latencies.append(time.perf_counter() - start)
                index += concurrency

    began = time.monotonic()
    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    elapsed = time.monotonic() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "per_second": len(latencies) / elapsed,
        "mean_ms": statistics.fmean(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    texts = [
        json.loads(line)["text"]
        for path in sorted((REPO / "tests" / "corpus").glob("*.jsonl"))
        for line in path.open(encoding="utf-8")
        if line.strip()
    ]
    results = {}
    for name, app in (("bare endpoint", bare_app()), ("POST /api/check", create_app())):
        with serving(app) as base:
            results[name] = asyncio.run(load(base, texts, args.seconds, args.concurrency))
    print(f"{'server':<18}{'requests':>10}{'req/s':>9}{'mean ms':>9}{'p99 ms':>8}")
    for name, result in results.items():
        print(
            f"{name:<18}{result['requests']:>10.0f}{result['per_second']:>9.0f}"
            f"{result['mean_ms']:>9.2f}{result['p99_ms']:>8.2f}"
        )
    ratio = results["POST /api/check"]["per_second"] / results["bare endpoint"]["per_second"]
    print(f"/api/check throughput / bare endpoint: {ratio:.2f}")


if __name__ == "__main__":
    main()
