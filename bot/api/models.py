"""Request and response bodies of the JSON API, as pydantic models (they also make the /docs page).

Requests are strict: unknown fields, wrong types and blank or oversized text are refused with a
422 that names the field. The schema's length ceiling is the largest the service may be set to;
the configured limit (Settings.max_message_chars) is checked by the routes.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from bot.reply import Reply

TEXT_CEILING = 100_000
LANG_PATTERN = r"^[a-z]{2,8}$"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or only whitespace")
    return value


NotBlank = Annotated[str, AfterValidator(_not_blank)]


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: NotBlank = Field(
        min_length=1, max_length=TEXT_CEILING, description="The message to check, as the citizen received it."
    )
    lang: str | None = Field(
        default=None, pattern=LANG_PATTERN, description="Reply language (zh, en); default: the text's."
    )
    region: str | None = Field(
        default=None, pattern=r"^[a-z][a-z0-9_]{0,31}$", description="Region for hotlines (cn, hk...)."
    )


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: NotBlank = Field(min_length=1, max_length=TEXT_CEILING, description="What the citizen wrote.")
    session_id: str | None = Field(
        default=None,
        min_length=16,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="From the previous reply; omit to start a conversation. An unknown or expired id starts a new one.",
    )
    lang: str | None = Field(default=None, pattern=LANG_PATTERN, description="Reply language; default: the message's.")


class EvidenceOut(BaseModel):
    kind: str
    span: list[int] = Field(description="[start, end) in the text that was sent")
    text: str
    entry: str
    why: str
    weight: float
    scam_type: str | None
    stage: str | None


class IndicatorOut(BaseModel):
    kind: str
    text: str
    span: list[int]
    defanged: str


class CandidateOut(BaseModel):
    scam_type: str
    subtype: str
    score: float


class AdviceOut(BaseModel):
    before: list[str] = Field(description="Nothing has been paid or shared yet")
    after: list[str] = Field(description="Money moved, or a code or access was given")


class VerdictOut(BaseModel):
    risk: str = Field(description="high | medium | low | none")
    score: float
    scam_type: str | None
    subtype: str | None
    candidates: list[CandidateOut]
    lang: str
    evidence: list[EvidenceOut]
    warning_signs: list[str]
    advice: AdviceOut
    next_step: str | None
    indicators: list[IndicatorOut]
    stage: str | None
    awareness: bool
    notes: list[str]
    partial: bool = Field(description="The time budget ran out and only part of the message was checked")


class FaqOut(BaseModel):
    id: str
    question: str
    answer: str


class TopicOut(BaseModel):
    id: str
    question: str


class ReplyOut(BaseModel):
    kind: str = Field(description="intro | thanks | verdict | faq | cant_tell | urgent")
    text: str = Field(description="The whole reply as plain text, for any channel")
    lang: str
    risk: str | None = Field(description="high | medium | low | none; null when nothing was assessed")
    scam_type: str | None
    scam_type_name: str | None
    evidence: list[EvidenceOut] = Field(description="Spans of THIS message")
    warning_signs: list[str]
    advice: AdviceOut
    next_step: str | None
    question: str | None = Field(description="A follow-up question, answered with yes or no")
    faq: FaqOut | None
    related: list[TopicOut]
    indicators: list[IndicatorOut]
    urgent: bool = Field(description="Money or a code has gone: show the urgent steps prominently")


class ChatResponse(BaseModel):
    session_id: str
    reply: ReplyOut


class FieldError(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: list[FieldError] | None = None


class ErrorOut(BaseModel):
    error: ErrorBody


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in (
        (400, "Malformed JSON"),
        (413, "Body too large"),
        (415, "Body is not JSON"),
        (422, "Invalid field"),
        (503, "Knowledge files not loaded"),
    )
}


def reply_json(reply: Reply) -> dict[str, Any]:
    """A Reply as the JSON the chat API returns (ReplyOut)."""
    data = asdict(reply)
    data["kind"] = str(reply.kind)
    data["risk"] = str(reply.risk) if reply.risk is not None else None
    for item in (*data["evidence"], *data["indicators"]):
        item["span"] = list(item["span"])
    for item in data["evidence"]:
        item["weight"] = round(item["weight"], 2)
    data["advice"] = {"before": list(reply.advice.before), "after": list(reply.advice.after)}
    return data
