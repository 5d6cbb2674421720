"""Rate limits with the `limits` library: per client address, per embedding site, per phone number.

One client could otherwise take the whole service (95,630 chat requests in 180 s were all answered)
and one number could cost the operator hundreds of SMS parts in seconds. Counters live in this
process's memory, or in Redis when `ANTIFRAUD_REDIS_URL` is set, so every worker and machine counts
against the same budget. Keys are hashed before they are stored: no address or number in clear.

The web API answers 429 with Retry-After. The client address is the peer's, unless the peer is a
configured trusted proxy: then X-Forwarded-For is read from the right, skipping trusted proxies, so
a client cannot dodge its limit by sending the header itself. A widget's chats also count against
their embedding site (the `site` the embed page names), so one busy site cannot starve the others.

If Redis cannot be reached, limits fail open (the request is served, the error counted and logged):
a citizen should not be refused help because a counter is unavailable.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import re
import time
from collections.abc import Callable

import anyio.to_thread
from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import SlidingWindowCounterRateLimiter

from bot.channels.sms import Budget
from bot.channels.store import fail_fast
from bot.channels.web import metrics
from bot.channels.web.errors import ApiError
from bot.channels.web.settings import Settings

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_SITE = re.compile(r"^https?://[A-Za-z0-9.-]+(?::\d{1,5})?$")


def parse_limits(value: str) -> list[RateLimitItem]:
    """`"10/minute;100/day"` -> its items; `"off"` or empty -> no limit."""
    if value.strip().lower() in ("", "off", "none", "0"):
        return []
    return list(parse_many(value))


def parse_networks(value: str) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in re.split(r"[,\s]+", value.strip()) if item)


def _in(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str:
    """The client's address: the peer, or behind trusted proxies the first untrusted hop from the right."""
    if not trusted or not forwarded_for or not _in(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _in(hop, trusted):
            return hop
    return hops[0] if hops else peer


def _key(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


def _redis_storage(settings: Settings, url: str) -> Storage:
    """Limits shared by every process through Redis (redis imported only then: 85 ms of start-up)."""
    return RedisStorage(url, key_prefix=f"{settings.redis_namespace}:limits", **fail_fast(settings.redis_timeout_ms))


class RateLimits:
    """Every limit of the service over one storage (memory, or Redis shared by all processes)."""

    def __init__(self, settings: Settings, on_error: Callable[[str], None] = metrics.redis_error) -> None:
        url = settings.redis_url.get_secret_value()
        self.shared = bool(url)
        self.storage: Storage = _redis_storage(settings, url) if url else MemoryStorage()
        self.limiter = SlidingWindowCounterRateLimiter(self.storage)
        self.web = parse_limits(settings.rate_limit_web)
        self.site = parse_limits(settings.rate_limit_site)
        self.sms = parse_limits(settings.rate_limit_sms)
        self.trusted = parse_networks(settings.trusted_proxies)
        self._on_error = on_error
        self._last_warning = 0.0

    def hit(self, scope: str, items: list[RateLimitItem], key: str) -> int | None:
        """Counts one request; seconds until it would be allowed when over a limit, else None."""
        if not items:
            return None
        hashed = _key(key)
        try:
            for item in items:
                if not self.limiter.hit(item, scope, hashed):
                    reset = self.limiter.get_window_stats(item, scope, hashed).reset_time
                    metrics.RATE_LIMITED.labels(scope).inc()
                    return max(1, math.ceil(reset - time.time()))
        except Exception as exc:  # Redis down or slow: serve the request, say so in the log (not every time)
            self._on_error("ratelimit")
            now = time.monotonic()
            if now - self._last_warning > 10:
                self._last_warning = now
                log.warning("rate limits are not enforced: their storage failed (%s)", type(exc).__name__)
        return None

    def web_request(self, address: str, site: str | None) -> int | None:
        """The web API's limits: the address's, then the embedding site's."""
        retry = self.hit("web", self.web, address)
        if retry is None and site:
            retry = self.hit("site", self.site, site)
        return retry

    def sms_budget(self, sender: str) -> Budget:
        """A number's next text: within budget, the one notice of this window, or silence."""
        retry = self.hit("sms", self.sms, sender)
        if retry is None:
            return "ok"
        try:
            first = self.storage.incr(f"sms-notice/{_key(sender)}", max(1, retry)) == 1
        except Exception:
            self._on_error("ratelimit")
            return "silent"
        return "notice" if first else "silent"

    async def check_web(self, request: Request) -> None:
        """Raises 429 with Retry-After when the request's address or site is over its limit."""
        peer = request.client.host if request.client else ""
        address = client_address(peer, request.headers.get("x-forwarded-for"), self.trusted)
        request.state.client_address = address
        site = request_site(request)
        if not self.web and not (site and self.site):
            return
        if self.shared:  # a network call: never on the event loop
            retry = await anyio.to_thread.run_sync(self.web_request, address, site)
        else:
            retry = self.web_request(address, site)
        if retry is not None:
            raise ApiError(
                429,
                "rate_limited",
                "Too many messages in a short time. Please wait a moment and try again.",
                headers={"Retry-After": str(retry)},
            )


def request_site(request: Request) -> str | None:
    """The embedding site a widget's chat names (`?site=https://police.example`), when well formed."""
    site = request.query_params.get("site")
    return site if site and _SITE.match(site) else None


async def web_limits(request: Request) -> None:
    """The web API's limits for one request (/api/check, /api/chat, /api/drill: services.py json_api)."""
    limits = getattr(request.app.state, "limits", None)
    if isinstance(limits, RateLimits):
        await limits.check_web(request)
