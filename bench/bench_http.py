"""HTTP throughput of POST /api/check against a bare FastAPI endpoint, in one run, as a ratio.

Both servers run here on 127.0.0.1 (uvicorn, one worker each, started by this script) and are
loaded in turn by `wrk` (Debian package `wrk`, a separate process, so the load generator does not
share the server's interpreter) for a fixed time with the same messages. Run
`python bench/bench_http.py`; results go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
    async def check(body: Text) -> dict[str, int]:
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


def lua_script(texts: list[str], path: Path) -> None:
    """A wrk script that posts our corpus messages in turn."""
    bodies = ",\n".join("[==[" + json.dumps({"text": text}, ensure_ascii=False) + "]==]" for text in texts)
    path.write_text(
        "wrk.method = 'POST'\n"
        "wrk.headers['Content-Type'] = 'application/json'\n"
        f"local bodies = {{\n{bodies}\n}}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #bodies + 1\n"
        "  return wrk.format(nil, '/api/check', nil, bodies[i])\n"
        "end\n",
        encoding="utf-8",
    )


def load(base: str, script: Path, seconds: int, connections: int) -> dict[str, float]:
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    per_second = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "per_second": per_second,
        "p99_ms": float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan"),
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    texts = [
        json.loads(line)["text"]
        for path in sorted((REPO / "tests" / "corpus").glob("*.jsonl"))
        for line in path.open(encoding="utf-8")
        if line.strip()
    ]
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "post.lua"
        lua_script(texts, script)
        for name, app in (("bare endpoint", bare_app()), ("POST /api/check", create_app())):
            with serving(app) as base:
                results[name] = load(base, script, args.seconds, args.connections)
    print(f"{'server':<18}{'req/s':>9}{'p99 ms':>9}{'errors':>8}")
    for name, result in results.items():
        print(f"{name:<18}{result['per_second']:>9.0f}{result['p99_ms']:>9.2f}{result['errors']:>8.0f}")
    ratio = results["POST /api/check"]["per_second"] / results["bare endpoint"]["per_second"]
    print(f"/api/check throughput / bare endpoint: {ratio:.2f}")


if __name__ == "__main__":
    main()
