"""Service settings from the environment (prefix ANTIFRAUD_), with defaults that work as is."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANTIFRAUD_", env_file=None, extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    region: str = "cn"  # region pack: cn, hk, tw, sg, uk, us, intl (scripts_library/regions/)
    library_path: Path | None = None  # default: the bundled scripts_library/
    faq_path: Path | None = None  # default: the bundled faq/
    max_message_chars: int = Field(default=5000, ge=100, le=100_000)
    # Request bodies above this many bytes are refused (413) before they are parsed.
    max_body_bytes: int = Field(default=65_536, ge=1024, le=1_048_576)
    session_ttl_seconds: int = Field(default=1800, ge=60)
    session_max: int = Field(default=10_000, ge=10)
    # Sites allowed to embed the chat widget (CSP frame-ancestors of the embedded page), e.g.
    # "https://police.example https://bank.example". "*" allows any site.
    frame_ancestors: str = "'self'"
    public_url: str = ""  # e.g. https://antifraud.example; used for widget links and SMS signatures
    # SMS gateways (README "SMS gateways"). Secrets are SecretStr so they never show in a repr or a log.
    sms_twilio_auth_token: SecretStr = SecretStr("")  # without it POST /sms/twilio answers 503
    sms_twilio_verify: bool = True  # check X-Twilio-Signature; false only for local tests (a warning is logged)
    sms_inbound_secret: SecretStr = SecretStr("")  # HMAC key of POST /sms/inbound; without it 503
    sms_salt: SecretStr = SecretStr("")  # numbers are keyed by HMAC(salt, number); random per start when unset
    sms_session_ttl_seconds: int = Field(default=1800, ge=60)  # SMS conversations, apart from the web chat's
    sms_session_max: int = Field(default=10_000, ge=10)
    sms_log_text: bool = False  # log message texts: for debugging only, they can hold personal details
    # Engine work runs on this many worker threads, never on the event loop; this many more requests
    # may wait for one, and beyond that the API answers 503 with Retry-After (bot/channels/web/pool.py).
    engine_workers: int = Field(default=2, ge=1, le=64)
    engine_queue: int = Field(default=64, ge=0, le=10_000)
    # Time one message may take in the engine; past it the verdict is partial (and says so).
    engine_budget_ms: int = Field(default=100, ge=1, le=60_000)
    # One JSON line per request (method, route, status, time, request id; never the client's address):
    # off by default, it costs about a tenth of the throughput.
    access_log: bool = False
    log_format: Literal["json", "text"] = "json"  # the service's own log lines (stderr)
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    # --- running several processes and machines (docs/operations.md) ---------------------------
    # Shared state: sessions, SMS opt-outs, the retry cache, rate-limit counters, insights and the
    # review queue live in Redis when this is set (redis://[:password@]host:port/db), so any number of
    # workers and machines act as one service. Unset: one process, state in its memory and a SQLite
    # file under state_dir.
    redis_url: SecretStr = SecretStr("")
    redis_namespace: str = Field(default="antifraud", pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    redis_timeout_ms: int = Field(default=500, ge=10, le=10_000)  # per Redis call; past it the call fails
    # Where the embedded default keeps what must survive a restart (opt-outs, a generated SMS salt,
    # insights, the review queue, the last good library): a folder; "off" keeps everything in memory.
    state_dir: str = ""  # default $XDG_STATE_HOME/antifraud or ~/.local/state/antifraud
    workers: int = Field(default=1, ge=1, le=256)  # `antifraud serve` processes; more than 1 needs Redis

    # --- rate limits (`limits` notation: "60/minute", "10/minute;100/day"; "off" disables one) --
    rate_limit_web: str = "60/minute;1000/day"  # /api/check and /api/chat, per client address
    rate_limit_site: str = "600/minute"  # chats from the widget, per embedding site
    rate_limit_sms: str = "10/minute;100/day"  # per (hashed) phone number; then one notice, then silence
    # Proxies whose X-Forwarded-For is believed (IPs or CIDRs, comma or space separated), e.g. the
    # load balancer's. Others' headers are ignored: the client is the peer address.
    trusted_proxies: str = ""
    session_max_per_client: int = Field(default=20, ge=1)  # web sessions one address may hold at once

    # --- operators ------------------------------------------------------------------------------
    admin_token: SecretStr = SecretStr("")  # POST /admin/reload; without it the endpoint answers 503
    operator_token: SecretStr = SecretStr("")  # /operator insights page and exports; without it 503
    insights: bool = True  # count verdicts by type, risk, channel, language, region and day (no text)
    insights_days: int = Field(default=400, ge=1)
    # Opt-in: keep messages the engine could not judge, masked (numbers, cards, ids, links, emails),
    # for the library's authors, for this many days.
    review_queue: bool = False
    review_days: int = Field(default=14, ge=1, le=365)
    review_max: int = Field(default=2000, ge=10, le=100_000)
    reload_poll_seconds: float = Field(default=2.0, gt=0)  # how often a process checks for a reload elsewhere
