#!/usr/bin/env python3
"""Play an SMS gateway: post one text to POST /sms/inbound, signed as a bridge must sign it, and print the reply.

    python scripts/sms_gateway_demo.py --secret "$ANTIFRAUD_SMS_INBOUND_SECRET" --from +8613800000000 \
        "有人自称警察，说我涉嫌洗钱，让我把钱转到安全账户"

Standard library only, so it doubles as the reference for a bridge from any gateway (README "SMS
gateways"). Send the same --id twice to see a gateway retry answered with the same reply.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """hex HMAC-SHA256 over `timestamp + "." + body`, keyed with the shared secret."""
    return hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def post(url: str, secret: str, message: dict[str, str], timeout: float) -> dict[str, object]:
    body = json.dumps(message, ensure_ascii=False).encode("utf-8")
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        url.rstrip("/") + "/sms/inbound",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Antifraud-Timestamp": timestamp,
            "X-Antifraud-Signature": sign(secret, timestamp, body),
        },
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        reply: dict[str, object] = json.load(response)
        return reply


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Post one text to /sms/inbound as a gateway would; print the reply.")
    parser.add_argument("text", help="the citizen's message")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the service (default: %(default)s)")
    parser.add_argument(
        "--secret",
        default=os.environ.get("ANTIFRAUD_SMS_INBOUND_SECRET"),
        help="the shared secret (default: $ANTIFRAUD_SMS_INBOUND_SECRET)",
    )
    parser.add_argument("--from", dest="sender", default="+8613800000000", help="the citizen's number")
    parser.add_argument("--to", default="+8610690000000", help="the service's number")
    parser.add_argument("--id", default=None, help="the gateway's message id (default: a new one)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait (default: %(default)s)")
    args = parser.parse_args(argv)
    if not args.secret:
        parser.error("give --secret or set ANTIFRAUD_SMS_INBOUND_SECRET")
    message = {"from": args.sender, "to": args.to, "text": args.text, "id": args.id or uuid.uuid4().hex}
    try:
        reply = post(args.url, args.secret, message, args.timeout)
    except urllib.error.HTTPError as exc:
        error = json.loads(exc.read() or b"{}").get("error", {})
        print(f"error {exc.code}: {error.get('code')}: {error.get('message')}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, TimeoutError) as exc:
        print(f"cannot reach {args.url}: {exc}", file=sys.stderr)
        return 2
    parts = reply.get("parts")
    if not isinstance(parts, list) or not parts:
        print(f"(no reply to {reply.get('to')}: the number has opted out)")
        return 0
    for number, part in enumerate(parts, 1):
        print(f"--- SMS {number}/{len(parts)} to {reply.get('to')} ---")
        print(part)
    return 0


if __name__ == "__main__":
    sys.exit(main())
