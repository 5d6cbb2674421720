"""Quiet mode for embedding (issue 14): the bot speaks only when the risk is high or medium.

A bank's payment page or a community forum hands the widget text to check (a payment reference, a
post); nearly all of it is harmless, and a bot that answers every time becomes noise people learn to
click away. With `quiet: true` a low- or no-risk answer is cut to what the host's verdict event needs
(risk and type) and `speak: false`, and the widget stays a small launcher; a high or medium risk, or
money already gone, is answered in full with `speak: true`.
"""

from __future__ import annotations

from typing import Any

SPEAKING_RISKS = frozenset({"high", "medium"})


def speaks(risk: str | None, urgent: bool = False) -> bool:
    """Whether a quiet embed should open and show this answer."""
    return urgent or risk in SPEAKING_RISKS


def quiet_verdict(body: dict[str, Any]) -> dict[str, Any]:
    """/api/check's verdict in quiet mode: in full when it speaks, else only risk and type."""
    if speaks(body.get("risk")):
        return {**body, "speak": True}
    return {"risk": body.get("risk"), "scam_type": body.get("scam_type"), "lang": body.get("lang"), "speak": False}


def quiet_reply(reply: dict[str, Any]) -> dict[str, Any]:
    """/api/chat's reply in quiet mode: in full when it speaks, else a silent reply of kind "quiet"."""
    if speaks(reply.get("risk"), bool(reply.get("urgent"))):
        return {**reply, "speak": True}
    return {
        "kind": "quiet",
        "risk": reply.get("risk"),
        "scam_type": reply.get("scam_type"),
        "lang": reply.get("lang"),
        "speak": False,
    }
