"""Request and response bodies of the JSON API, as pydantic models (they also make the /docs page).

Requests are strict: unknown fields, wrong types and blank or oversized text are refused with a
422 that names the field. The models' length ceiling is the largest the service may be set to; the
configured limit (Settings.max_message_chars) is checked by the routes and is the one the published
OpenAPI document states (bot/channels/web/openapi.py), with the library's languages and regions as enums.
Both endpoints take the citizen's words in `message`; /api/check still accepts its old name `text`
(deprecated).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StringConstraints, field_validator

from bot.conversation.reply import Reply

TEXT_CEILING = 100_000
LANG_PATTERN = r"^[a-z]{2,8}$"
REGION_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
# Quiet mode for embedding (bot/channels/web/quiet.py).
QUIET_HELP = "Quiet mode: answer in full only at high or medium risk; otherwise only risk, type and speak=false."


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or only whitespace")
    return value


NotBlank = Annotated[str, AfterValidator(_not_blank)]
Message = Annotated[str, StringConstraints(min_length=1, max_length=TEXT_CEILING), AfterValidator(_not_blank)]


class CheckRequest(BaseModel):
    # Exactly one of `message` and `text` (stated as oneOf in the OpenAPI document; the route checks it).
    model_config = ConfigDict(extra="forbid", strict=True)  # JSON types as declared: "true" is not a bool

    message: Message | None = Field(default=None, description="The message to check, as the citizen received it.")
    text: Message | None = Field(
        default=None,
        description="Deprecated: the old name of `message`, still accepted. Send one of the two.",
        json_schema_extra={"deprecated": True},
    )
    lang: str | None = Field(
        default=None, pattern=LANG_PATTERN, description="Reply language (zh, en); default: the message's."
    )
    region: str | None = Field(
        default=None, pattern=REGION_PATTERN, description="Region for hotlines and channels (cn, hk...)."
    )

    @field_validator("message", "text", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:  # absent is fine (the other name may be used); an explicit null is not
            raise ValueError("must be a string")
        return value

    @property
    def words(self) -> str | None:
        """The citizen's words, under whichever name they came."""
        return self.message if self.message is not None else self.text

    quiet: StrictBool = Field(default=False, description=QUIET_HELP)


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # JSON types as declared: "true" is not a bool

    message: NotBlank = Field(min_length=1, max_length=TEXT_CEILING, description="What the citizen wrote.")
    session_id: str | None = Field(
        default=None,
        min_length=16,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="From the previous reply; omit to start a conversation. An unknown or expired id starts a new one.",
    )
    lang: str | None = Field(default=None, pattern=LANG_PATTERN, description="Reply language; default: the message's.")
    quiet: StrictBool = Field(default=False, description=QUIET_HELP)
    region: str | None = Field(
        default=None,
        pattern=REGION_PATTERN,
        description="Region for hotlines and channels (cn, hk...); default: the conversation's, else the service's.",
    )


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
    kind: str = Field(description="intro | thanks | verdict | faq | cant_tell | urgent | answer | too_long")
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
    intent: str | None = Field(
        default=None, description="For kind=answer, the question answered: what_now | report | verify | doubt | more"
    )
    harms: list[str] = Field(
        default_factory=list,
        description="What the citizen said was given away: paid | code | card_data | remote_app | screen_share | "
        "lent_card | photos",
    )


class QuietReplyOut(BaseModel):
    """/api/chat with `quiet: true` when the bot stays silent (low or no risk): no text to show."""

    kind: str = Field(description="quiet")
    risk: str | None
    scam_type: str | None
    lang: str
    speak: bool = Field(description="false: keep the widget closed")


class QuietVerdictOut(BaseModel):
    """/api/check with `quiet: true` when the risk is low or none: only what a host's event needs."""

    risk: str
    scam_type: str | None
    lang: str
    speak: bool = Field(description="false: nothing to show")


class ChatResponse(BaseModel):
    session_id: str
    reply: ReplyOut | QuietReplyOut = Field(description="The reply; with `quiet: true` and low risk, a silent one")


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
        (422, "Invalid field, or a message over the length limit"),
        (429, "Too many requests from this client or site"),
        (503, "Knowledge files not loaded, shared state unreachable, or busy (see Retry-After)"),
    )
}
# Routes that check a signature or a bearer token (SMS webhooks, admin and operator endpoints).
SIGNED_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    401: {"model": ErrorOut, "description": "Signature or token missing, or a stale timestamp"},
    403: {"model": ErrorOut, "description": "Wrong signature or token"},
}


def reply_json(reply: Reply) -> dict[str, Any]:
    """A Reply as the JSON the chat API returns (ReplyOut), in its fields' order. Built field by field:
    dataclasses.asdict deep-copies every piece of evidence (a tenth of a chat turn)."""
    return {
        "kind": str(reply.kind),
        "text": reply.text,
        "lang": reply.lang,
        "risk": str(reply.risk) if reply.risk is not None else None,
        "scam_type": reply.scam_type,
        "scam_type_name": reply.scam_type_name,
        "evidence": [e.to_json() for e in reply.evidence],
        "warning_signs": list(reply.warning_signs),
        "advice": {"before": list(reply.advice.before), "after": list(reply.advice.after)},
        "next_step": reply.next_step,
        "indicators": [i.to_json() for i in reply.indicators],
        "urgent": reply.urgent,
        "question": reply.question,
        "faq": {"id": reply.faq.id, "question": reply.faq.question, "answer": reply.faq.answer} if reply.faq else None,
        "related": [{"id": topic.id, "question": topic.question} for topic in reply.related],
        "intent": reply.intent,
        "harms": list(reply.harms),
    }
