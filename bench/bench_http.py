"""HTTP throughput of every channel against a bare FastAPI endpoint, in one run, as ratios.

Two uvicorn servers run here on 127.0.0.1 (one worker each, started by this script, access log
off as in production): a bare FastAPI app (parses the same JSON body, returns its length) and
ours. `wrk` (Debian package `wrk`, a separate process, so the load generator does not share the
server's interpreter; `make bench` installs it when missing) loads each endpoint in turn for a
fixed time, posting the corpus messages:

    POST /api/check               one message, stateless
    POST /api/chat (new)          a first message: a new session each time
    POST /api/chat (continuing)   every message added to one open conversation
    GET  /                        the chat page
    POST /sms/twilio              Twilio's form post (signature check off for the benchmark)
    GET  /healthz                 alone; and its latency while /api/check is loaded, asked every 20 ms
                                  on a new connection from another process (as a load balancer would)
    POST /api/chat, Redis         new and continuing chats with sessions and counters in Redis
                                  (Debian's redis-server started here on a free port, when installed)

Run `python bench/bench_http.py`; results go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

from bot.channels.web.app import create_app
from bot.channels.web.settings import Settings

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


def lua_script(path: Path, method: str, target: str, content_type: str | None, bodies: list[str]) -> None:
    """A wrk script that sends `bodies` in turn (or none, for a GET)."""
    quoted = ",\n".join("[==[" + body + "]==]" for body in bodies) or "[==[]==]"
    header = f"wrk.headers['Content-Type'] = '{content_type}'\n" if content_type else ""
    path.write_text(
        f"wrk.method = '{method}'\n{header}"
        f"local bodies = {{\n{quoted}\n}}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #bodies + 1\n"
        f"  return wrk.format(nil, '{target}', nil, {'bodies[i]' if bodies else 'nil'})\n"
        "end\n",
        encoding="utf-8",
    )


def load(base: str, script: Path, seconds: int, connections: int) -> dict[str, float]:
    """wrk's throughput, p99 and errors; and the server's CPU time per request: the servers run in this
    process (wrk and redis-server do not, and this thread only waits), so on a machine shared with other
    work, where the CPU share the server gets moves the req/s, its CPU cost per request still compares."""
    cpu = time.process_time()
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    cpu = time.process_time() - cpu
    per_second = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    requests = re.search(r"(\d+) requests in", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "per_second": per_second,
        "cpu_us": cpu / int(requests.group(1)) * 1e6 if requests and int(requests.group(1)) else float("nan"),
        "p99_ms": float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan"),
        "errors": float(errors.group(1)) if errors else 0.0,
    }


# A load balancer's health check, from its own interpreter (the server's GIL is not shared with it).
_PROBE = """
import http.client, json, sys, time
host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
times = []
end = time.monotonic() + seconds
while time.monotonic() < end:
    started = time.perf_counter()
    connection = http.client.HTTPConnection(host, port, timeout=30)
    connection.request("GET", "/healthz")
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status == 200:
        times.append((time.perf_counter() - started) * 1000)
    time.sleep(0.02)
print(json.dumps(times))
"""


def start_probe(base: str, seconds: float) -> subprocess.Popen[str]:
    """/healthz asked every 20 ms for `seconds`, from another process; finish_probe collects the times."""
    address = urllib.parse.urlsplit(base)
    return subprocess.Popen(
        [sys.executable, "-c", _PROBE, str(address.hostname), str(address.port), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )


def finish_probe(process: subprocess.Popen[str], seconds: float) -> dict[str, float]:
    output, _ = process.communicate(timeout=seconds + 60)
    times = sorted(json.loads(output or "[]"))
    if not times:
        return {"probes": 0.0, "p50_ms": float("nan"), "p99_ms": float("nan"), "max_ms": float("nan")}
    return {
        "probes": float(len(times)),
        "p50_ms": times[len(times) // 2],
        "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))],
        "max_ms": times[-1],
    }


def continuing(base: str, texts: list[str]) -> list[str]:
    """Every message added to one conversation, opened just before its run: opened earlier, the
    thousands of new chats of the run before (all from 127.0.0.1, which may hold only a few open
    conversations) close it, and every "continuing" request would really start a new chat."""
    body = json.dumps({"message": "有个自称公安局的人打电话给我"}).encode()
    request = urllib.request.Request(f"{base}/api/chat", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        session = str(json.load(response)["session_id"])
    return [json.dumps({"message": text, "session_id": session}, ensure_ascii=False) for text in texts]


def corpus(limit: int | None) -> list[str]:
    texts = [
        json.loads(line)["text"]
        for path in sorted((REPO / "tests" / "corpus").glob("*.jsonl"))
        for line in path.open(encoding="utf-8")
        if line.strip()
    ]
    return texts[:limit] if limit else texts


def run(seconds: int, connections: int, limit: int | None) -> dict[str, dict[str, float]]:
    texts = corpus(limit)
    dump = json.dumps
    checks = [dump({"text": text}, ensure_ascii=False) for text in texts]
    chats = [dump({"message": text}, ensure_ascii=False) for text in texts]
    sms = [urllib.parse.urlencode({"From": "+8613800000000", "To": "+8610690000", "Body": text}) for text in texts]
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "script.lua"
        with serving(bare_app()) as base:
            lua_script(script, "POST", "/api/check", "application/json", checks)
            results["bare endpoint"] = load(base, script, seconds, connections)
        # Rate limits off (wrk is one client sending thousands a second); state in a throwaway folder.
        quiet = {"rate_limit_web": "off", "rate_limit_sms": "off", "state_dir": str(Path(folder) / "state")}
        app = create_app(Settings(sms_twilio_verify=False, **quiet))  # type: ignore[arg-type]
        with serving(app) as base:
            for name, method, target, content_type, bodies in (
                ("POST /api/check", "POST", "/api/check", "application/json", checks),
                ("POST /api/chat (new)", "POST", "/api/chat", "application/json", chats),
                ("POST /api/chat (continuing)", "POST", "/api/chat", "application/json", None),
                ("GET /", "GET", "/", None, []),
                ("POST /sms/twilio", "POST", "/sms/twilio", "application/x-www-form-urlencoded", sms),
                ("GET /healthz", "GET", "/healthz", None, []),
            ):
                time.sleep(1)  # let the previous run's queued requests drain: they would be 503s here
                sent = continuing(base, texts) if bodies is None else bodies
                lua_script(script, method, target, content_type, sent)
                probe = start_probe(base, seconds) if target == "/api/check" else None
                results[name] = load(base, script, seconds, connections)
                if probe is not None:
                    results[HEALTH_UNDER_LOAD] = finish_probe(probe, seconds)
        # The same chat with its sessions in Redis (Debian's redis-server on a free local port), in the
        # same run, so the cost of shared state reads as a ratio to the in-memory figures above.
        redis_server = shutil.which("redis-server")
        if redis_server is None:
            print("redis-server not installed: skipping the Redis figures (scripts/ensure-redis.sh installs it)")
            return results
        port = free_port()
        process = subprocess.Popen(
            [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(0.5)
            shared = create_app(
                Settings(redis_url=f"redis://127.0.0.1:{port}/0", sms_salt="bench", **quiet)  # type: ignore[arg-type]
            )
            with serving(shared) as base:
                for name, bodies in (
                    ("POST /api/chat (new), Redis", chats),
                    ("POST /api/chat (continuing), Redis", None),
                ):
                    time.sleep(1)
                    sent = continuing(base, texts) if bodies is None else bodies
                    lua_script(script, "POST", "/api/chat", "application/json", sent)
                    results[name] = load(base, script, seconds, connections)
        finally:
            process.terminate()
            process.wait(timeout=10)
    return results


HEALTH_UNDER_LOAD = "GET /healthz during POST /api/check load"


def report(results: dict[str, dict[str, float]]) -> str:
    """req/s and its ratio to the bare endpoint's; the server's CPU µs per request and the bare one's
    as a ratio of it (what the req/s ratio would be if the server had a core to itself)."""
    bare = results["bare endpoint"]
    lines = [f"{'endpoint':<36}{'req/s':>7}{'ratio':>7}{'cpu µs':>8}{'cpu ratio':>10}{'p99 ms':>9}{'non-2xx':>8}"]
    for name, result in results.items():
        if name == HEALTH_UNDER_LOAD:
            continue
        lines.append(
            f"{name:<36}{result['per_second']:>7.0f}{result['per_second'] / bare['per_second']:>7.2f}"
            f"{result['cpu_us']:>8.0f}{bare['cpu_us'] / result['cpu_us']:>10.2f}"
            f"{result['p99_ms']:>9.2f}{result['errors']:>8.0f}"
        )
    health = results.get(HEALTH_UNDER_LOAD)
    if health is not None:
        lines.append(
            f"{HEALTH_UNDER_LOAD}: {health['probes']:.0f} probes, p50 {health['p50_ms']:.1f} ms, "
            f"p99 {health['p99_ms']:.1f} ms, max {health['max_ms']:.1f} ms"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--limit", type=int, default=None, help="corpus messages to send (default: all)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (make bench installs it)")
    print(report(run(args.seconds, args.connections, args.limit)))


if __name__ == "__main__":
    main()
