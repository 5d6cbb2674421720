"""What operators may know, privacy first: counts of verdicts, and (opt-in) masked unjudged messages.

Counts are by day, channel, scam type, risk, language and region, plus the warning signs most seen
(the library's own sentences): never a message, a number or an address. They are added up in this
process and flushed every few seconds to SQLite (one process) or Redis (several), so recording a
verdict costs a dictionary update, and a Redis outage delays counts rather than requests.

The review queue is off unless `ANTIFRAUD_REVIEW_QUEUE=true`: it keeps messages the engine could not
judge, so the library's authors see what scams it is missing. Before anything is kept, numbers
(phones, cards, ids, codes, amounts of four digits or more), links and email addresses are masked;
each entry expires after `review_days`.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bot.channels.sms import LINK
from bot.channels.store import open_sqlite, redis_error

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

FLUSH_SECONDS = 5.0
MAX_PENDING = 50_000  # distinct rows kept while the backend is unreachable; beyond that counts are dropped
SIGN_CHARS = 160
REVIEW_CHARS = 1000
_SEP = "\x1f"
DIMENSIONS = ("day", "channel", "scam_type", "risk", "lang", "region")

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Four or more digits, however they are spaced or dashed (phones, cards, ids, codes, amounts);
# an id card's final X goes with it. Shorter runs (a "2", a "110") stay readable.
_DIGITS = re.compile(r"(?<!\d)\d(?:[\s\-.]?\d){3,}[Xx]?")
_HANDLE = re.compile(r"(?i)(?:qq|wechat|微信|vx|v信|whatsapp|telegram|line)[\s:：号]*[A-Za-z][\w-]{4,}")


def mask(text: str) -> str:
    """The message with everything that could identify someone replaced by a placeholder."""
    text = _EMAIL.sub("[email]", text[:REVIEW_CHARS])
    text = LINK.sub("[link]", text)
    text = _HANDLE.sub("[account]", text)
    return _DIGITS.sub("[number]", text)


def today(now: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if now is None else now, UTC).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class Summary:
    """Counts over a span of days, ready for the operator page and the exports."""

    rows: list[dict[str, Any]]  # one per (day, channel, scam_type, risk, lang, region) with its count
    signs: list[dict[str, Any]]  # {sign, count}, most seen first

    def to_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "signs": self.signs}


class Backend(Protocol):
    def add(self, counts: Counter[tuple[str, ...]], signs: Counter[tuple[str, str]]) -> None: ...

    def summary(self, since: str) -> Summary: ...

    def push_review(self, entry: dict[str, Any], expires: float, max_entries: int) -> None: ...

    def reviews(self, now: float) -> list[dict[str, Any]]: ...

    def purge(self, before_day: str) -> None: ...


class SqliteBackend:
    def __init__(self, path: Path) -> None:
        self._db = open_sqlite(path)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS verdicts (day TEXT, channel TEXT, scam_type TEXT, risk TEXT, lang TEXT,"
                " region TEXT, count INTEGER NOT NULL, PRIMARY KEY (day, channel, scam_type, risk, lang, region))"
            )
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS signs"
                " (day TEXT, sign TEXT, count INTEGER NOT NULL, PRIMARY KEY (day, sign))"
            )
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS review (id TEXT PRIMARY KEY, expires REAL NOT NULL, entry TEXT NOT NULL)"
            )

    def add(self, counts: Counter[tuple[str, ...]], signs: Counter[tuple[str, str]]) -> None:
        with self._lock, self._db:
            self._db.executemany(
                "INSERT INTO verdicts VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT DO UPDATE SET count = count + excluded.count",
                [(*key, count) for key, count in counts.items()],
            )
            self._db.executemany(
                "INSERT INTO signs VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET count = count + excluded.count",
                [(*key, count) for key, count in signs.items()],
            )

    def summary(self, since: str) -> Summary:
        with self._lock:
            rows = self._db.execute(
                "SELECT day, channel, scam_type, risk, lang, region, count FROM verdicts WHERE day >= ? ORDER BY day",
                (since,),
            ).fetchall()
            signs = self._db.execute(
                "SELECT sign, SUM(count) AS total FROM signs WHERE day >= ? GROUP BY sign ORDER BY total DESC LIMIT 20",
                (since,),
            ).fetchall()
        return Summary(
            [dict(zip((*DIMENSIONS, "count"), row, strict=True)) for row in rows],
            [{"sign": sign, "count": int(count)} for sign, count in signs],
        )

    def push_review(self, entry: dict[str, Any], expires: float, max_entries: int) -> None:
        with self._lock, self._db:
            self._db.execute("INSERT INTO review VALUES (?, ?, ?)", (entry["id"], expires, json.dumps(entry)))
            self._db.execute(
                "DELETE FROM review WHERE id NOT IN (SELECT id FROM review ORDER BY expires DESC LIMIT ?)",
                (max_entries,),
            )

    def reviews(self, now: float) -> list[dict[str, Any]]:
        with self._lock, self._db:
            self._db.execute("DELETE FROM review WHERE expires <= ?", (now,))
            rows = self._db.execute("SELECT entry FROM review ORDER BY expires DESC").fetchall()
        return [json.loads(row[0]) for row in rows]

    def purge(self, before_day: str) -> None:
        with self._lock, self._db:
            self._db.execute("DELETE FROM verdicts WHERE day < ?", (before_day,))
            self._db.execute("DELETE FROM signs WHERE day < ?", (before_day,))


class RedisBackend:
    """A hash per day for verdict counts and one for signs (HINCRBY), a sorted set for the review queue."""

    def __init__(self, client: redis.Redis, namespace: str, keep_days: int) -> None:
        self._client = client
        self._ns = namespace
        self._keep = keep_days * 86_400

    def add(self, counts: Counter[tuple[str, ...]], signs: Counter[tuple[str, str]]) -> None:
        pipe = self._client.pipeline(transaction=False)
        for (day, *rest), count in counts.items():
            pipe.hincrby(f"{self._ns}:insights:{day}", _SEP.join(rest), count)
            pipe.expire(f"{self._ns}:insights:{day}", self._keep)
        for (day, sign), count in signs.items():
            pipe.hincrby(f"{self._ns}:signs:{day}", sign, count)
            pipe.expire(f"{self._ns}:signs:{day}", self._keep)
        pipe.execute()

    def summary(self, since: str) -> Summary:
        days = _days_since(since)
        pipe = self._client.pipeline(transaction=False)
        for day in days:
            pipe.hgetall(f"{self._ns}:insights:{day}")
            pipe.hgetall(f"{self._ns}:signs:{day}")
        results = pipe.execute()
        rows: list[dict[str, Any]] = []
        signs: Counter[str] = Counter()
        for day, counts, day_signs in zip(days, results[0::2], results[1::2], strict=True):
            for field, count in counts.items():
                values = str(field).split(_SEP)
                if len(values) == len(DIMENSIONS) - 1:
                    rows.append(dict(zip(DIMENSIONS, (day, *values), strict=True)) | {"count": int(count)})
            for sign, count in day_signs.items():
                signs[str(sign)] += int(count)
        return Summary(rows, [{"sign": sign, "count": count} for sign, count in signs.most_common(20)])

    def push_review(self, entry: dict[str, Any], expires: float, max_entries: int) -> None:
        key = f"{self._ns}:review"
        pipe = self._client.pipeline(transaction=False)
        pipe.zadd(key, {json.dumps(entry, ensure_ascii=False): expires})
        pipe.zremrangebyrank(key, 0, -max_entries - 1)
        pipe.expire(key, int(max(1, expires - time.time())))
        pipe.execute()

    def reviews(self, now: float) -> list[dict[str, Any]]:
        key = f"{self._ns}:review"
        self._client.zremrangebyscore(key, "-inf", now)
        return [json.loads(str(raw)) for raw in self._client.zrevrange(key, 0, -1)]

    def purge(self, before_day: str) -> None:
        return None  # every day's hash expires by itself


def _days_since(since: str) -> list[str]:
    start = datetime.strptime(since, "%Y-%m-%d").replace(tzinfo=UTC)
    end = datetime.now(UTC)
    days = []
    while start.date() <= end.date():
        days.append(start.strftime("%Y-%m-%d"))
        start += timedelta(days=1)
    return days


class Insights:
    """Buffers counts in memory and flushes them now and then; thread-safe."""

    def __init__(
        self,
        backend: Backend,
        keep_days: int = 400,
        review: bool = False,
        review_days: int = 14,
        review_max: int = 2000,
        on_error: Callable[[str], None] = lambda _: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.backend = backend
        self.review_enabled = review
        self._keep_days = keep_days
        self._review_seconds = review_days * 86_400
        self._review_max = review_max
        self._on_error = on_error
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, ...]] = Counter()
        self._signs: Counter[tuple[str, str]] = Counter()
        self._last_flush = clock()
        self._purged = ""

    def record(
        self, channel: str, scam_type: str | None, risk: str | None, lang: str, region: str, signs: Iterable[str] = ()
    ) -> None:
        """One verdict: a counter update here; written out at most every few seconds."""
        now = self._clock()
        day = today(now)
        with self._lock:
            if len(self._counts) < MAX_PENDING:
                self._counts[(day, channel, scam_type or "none", risk or "none", lang, region)] += 1
                for sign in signs:
                    self._signs[(day, sign[:SIGN_CHARS])] += 1
            due = now - self._last_flush >= FLUSH_SECONDS
        if due:
            self.flush()

    def flush(self) -> bool:
        """Writes what was counted since the last flush; on failure keeps it for the next try."""
        with self._lock:
            counts, signs = self._counts, self._signs
            self._counts, self._signs = Counter(), Counter()
            self._last_flush = self._clock()
        if not counts and not signs:
            return True
        try:
            self.backend.add(counts, signs)
            day = today(self._clock())
            if day != self._purged:
                self._purged = day
                self.backend.purge(today(self._clock() - self._keep_days * 86_400))
        except (redis_error(), sqlite3.Error, OSError) as exc:
            self._on_error("insights.flush")
            log.warning("insights not written yet (%s); kept for the next try", type(exc).__name__)
            with self._lock:
                self._counts.update(counts)
                self._signs.update(signs)
            return False
        return True

    def summary(self, days: int) -> Summary:
        self.flush()
        return self.backend.summary(today(self._clock() - (days - 1) * 86_400))

    def queue_for_review(self, text: str, channel: str, lang: str, region: str) -> None:
        """Keeps a masked copy of a message the engine could not judge (only when the operator opted in)."""
        if not self.review_enabled or not text.strip():
            return
        now = self._clock()
        entry = {
            "id": secrets.token_hex(8),
            "day": today(now),
            "channel": channel,
            "lang": lang,
            "region": region,
            "text": mask(text),
        }
        try:
            self.backend.push_review(entry, now + self._review_seconds, self._review_max)
        except (redis_error(), sqlite3.Error, OSError) as exc:
            self._on_error("review.push")
            log.warning("review queue not written (%s)", type(exc).__name__)

    def reviews(self) -> list[dict[str, Any]]:
        return self.backend.reviews(self._clock())


def csv_rows(summary: Summary) -> str:
    """The counts as CSV (a header line, then one line per row)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*DIMENSIONS, "count"])
    for row in summary.rows:
        writer.writerow([row[name] for name in (*DIMENSIONS, "count")])
    return out.getvalue()
