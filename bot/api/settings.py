"""Service settings from the environment (prefix ANTIFRAUD_), with defaults that work as is."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANTIFRAUD_", env_file=None, extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    region: str = "cn"  # hotlines and official channels: cn, hk, tw, sg, intl (scripts_library/regions.yaml)
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
    # may wait for one, and beyond that the API answers 503 with Retry-After (bot/api/pool.py).
    engine_workers: int = Field(default=2, ge=1, le=64)
    engine_queue: int = Field(default=64, ge=0, le=10_000)
    # Time one message may take in the engine; past it the verdict is partial (and says so).
    engine_budget_ms: int = Field(default=100, ge=1, le=60_000)
    access_log: bool = False  # uvicorn's per-request access log: off by default, it costs ~10% of throughput
