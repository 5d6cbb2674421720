"""What the engine returns: a verdict whose every piece of evidence points at the citizen's words."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

EvidenceKind = Literal["rule", "script_line", "rebuttal", "indicator", "signal", "model"]


class Risk(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NONE = "none"

    @property
    def flagged(self) -> bool:
        return self in (Risk.HIGH, Risk.MEDIUM)


@dataclass(frozen=True, slots=True)
class Evidence:
    kind: EvidenceKind
    span: tuple[int, int]  # [start, end) in the ORIGINAL text
    text: str  # the citizen's own characters at that span
    entry: str  # library id: "fake_authority.rules.safe_account", "signal.asks_code"...
    why: str  # one sentence, in the message's language
    weight: float  # points this piece contributed
    scam_type: str | None = None
    stage: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON shape the check and chat APIs share."""
        return {
            "kind": self.kind,
            "span": [self.span[0], self.span[1]],
            "text": self.text,
            "entry": self.entry,
            "why": self.why,
            "weight": round(self.weight, 2),
            "scam_type": self.scam_type,
            "stage": self.stage,
        }


@dataclass(frozen=True, slots=True)
class Indicator:
    kind: str  # url | foreign_phone | virtual_carrier | phone | bank_card | amount
    text: str
    span: tuple[int, int]
    defanged: str  # safe to show: never clickable

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "span": [self.span[0], self.span[1]], "defanged": self.defanged}


@dataclass(frozen=True, slots=True)
class Candidate:
    scam_type: str
    subtype: str
    score: float


@dataclass(frozen=True, slots=True)
class Advice:
    before: tuple[str, ...]
    after: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Verdict:
    risk: Risk
    score: float
    scam_type: str | None
    subtype: str | None
    candidates: tuple[Candidate, ...]
    lang: str
    evidence: tuple[Evidence, ...]
    warning_signs: tuple[str, ...]
    advice: Advice
    next_step: str | None
    indicators: tuple[Indicator, ...]
    stage: str | None = None  # furthest script stage the evidence reached
    awareness: bool = False  # the message reads like an official reminder, not a report
    notes: tuple[str, ...] = field(default_factory=tuple)  # what could not be told
    partial: bool = False  # the time budget ran out: only part of the message was checked (a note says so)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form; built field by field because dataclasses.asdict deep-copies (slow on a hot path)."""
        return {
            "risk": str(self.risk),
            "score": round(self.score, 3),
            "scam_type": self.scam_type,
            "subtype": self.subtype,
            "candidates": [
                {"scam_type": c.scam_type, "subtype": c.subtype, "score": round(c.score, 3)} for c in self.candidates
            ],
            "lang": self.lang,
            "evidence": [e.to_json() for e in self.evidence],
            "warning_signs": list(self.warning_signs),
            "advice": {"before": list(self.advice.before), "after": list(self.advice.after)},
            "next_step": self.next_step,
            "indicators": [i.to_json() for i in self.indicators],
            "stage": self.stage,
            "awareness": self.awareness,
            "notes": list(self.notes),
            "partial": self.partial,
        }
