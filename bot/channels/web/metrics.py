"""Prometheus metrics (`prometheus-client`), safe with several worker processes.

With `antifraud serve --workers N` each process writes its samples to files under
PROMETHEUS_MULTIPROC_DIR (set by the CLI before the workers start) and /metrics adds them up, so
whichever worker answers the scrape reports the whole service. One process: the default registry.

Labels are bounded sets (route templates, scam types, risks, channels, languages), never anything a
client typed: a label per message would be a memory leak and a privacy leak at once.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter("antifraud_http_requests", "HTTP requests answered", ["route", "method", "status"])
LATENCY = Histogram(
    "antifraud_http_request_duration_seconds",
    "Time to answer, by route",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
VERDICTS = Counter("antifraud_verdicts", "Verdicts given", ["channel", "scam_type", "risk", "lang"])
RATE_LIMITED = Counter("antifraud_rate_limited", "Requests refused by a rate limit", ["scope"])
REDIS_ERRORS = Counter("antifraud_redis_errors", "Calls to Redis that failed", ["operation"])
RELOADS = Counter("antifraud_library_reloads", "Library reloads", ["result"])

CONTENT_TYPE = CONTENT_TYPE_LATEST

# Every request and verdict is counted: `labels()` (validation and a lock each time) is looked up once
# per label set and kept. The sets are small and fixed, but a client chooses its method: past this many
# the children are no longer kept, only looked up.
_MAX_KEPT = 1024
_requests: dict[tuple[str, str, str], Any] = {}
_latencies: dict[str, Any] = {}
_verdicts: dict[tuple[str, str, str, str], Any] = {}


def _child(metric: Any, kept: dict[Any, Any], key: Any) -> Any:
    child = kept.get(key)
    if child is None:
        child = metric.labels(*key) if isinstance(key, tuple) else metric.labels(key)
        if len(kept) < _MAX_KEPT:
            kept[key] = child
    return child


def request(route: str, method: str, status: str, seconds: float) -> None:
    """One HTTP request answered: counted, and its time observed, by route template."""
    _child(REQUESTS, _requests, (route, method, status)).inc()
    _child(LATENCY, _latencies, route).observe(seconds)


def redis_error(operation: str) -> None:
    REDIS_ERRORS.labels(operation).inc()


def verdict(channel: str, scam_type: str | None, risk: str | None, lang: str) -> None:
    _child(VERDICTS, _verdicts, (channel, scam_type or "none", risk or "none", lang)).inc()


def exposition() -> bytes:
    """The text format, summed over every worker process when there are several."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)
