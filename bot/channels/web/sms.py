"""SMS gateway webhooks: Twilio's form posts, and a signed JSON format any other gateway can be bridged to.

Only the gateways' formats and signatures live here; what to answer is bot/channels/sms.py's. A webhook
that accepted unsigned posts would let anyone write as any phone number, so an unconfigured
endpoint answers 503 rather than trusting what it gets.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator

from bot.channels.sms import SmsReply
from bot.channels.store import StateUnavailable
from bot.channels.web.errors import ApiError, invalid
from bot.channels.web.models import SIGNED_RESPONSES, TEXT_CEILING
from bot.channels.web.services import Services, check_text, get_services, require_json, sms_ready, state_unavailable
from bot.channels.web.settings import Settings

router = APIRouter(tags=["sms"])

TIMESTAMP_HEADER = "X-Antifraud-Timestamp"
SIGNATURE_HEADER = "X-Antifraud-Signature"
REPLAY_WINDOW_SECONDS = 300


class InboundSms(BaseModel):
    """What a gateway bridge posts to /sms/inbound; fields it adds beyond these are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    sender: str = Field(alias="from", min_length=1, max_length=64, description="The citizen's number.")
    to: str = Field(default="", max_length=64, description="The service's number the text was sent to.")
    text: str = Field(max_length=TEXT_CEILING, description="The message as received.")
    id: str = Field(min_length=1, max_length=128, description="The gateway's message id: a retry repeats it.")


class SmsOut(BaseModel):
    to: str = Field(description="Where to send the reply: the sender of the message.")
    text: str = Field(description="The whole reply, at most 3 SMS segments as one message; empty: send nothing.")
    parts: list[str] = Field(description="The same reply as separate texts of one segment each, in order.")


def check_inbound_signature(secret: bytes, timestamp: str | None, signature: str | None, body: bytes) -> None:
    """hex HMAC-SHA256(secret, timestamp + "." + body), with the timestamp within five minutes of now."""
    if not timestamp or not signature:
        raise ApiError(401, "signature_missing", f"Sign the request: {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}.")
    if not (timestamp.isascii() and timestamp.isdigit()) or abs(time.time() - int(timestamp)) > REPLAY_WINDOW_SECONDS:
        raise ApiError(
            401, "stale_timestamp", f"{TIMESTAMP_HEADER} must be the current unix time in seconds (within 5 minutes)."
        )
    expected = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), signature.strip().lower().encode("utf-8")):
        raise ApiError(403, "bad_signature", f"{SIGNATURE_HEADER} does not match the request body.")


def check_twilio_signature(request: Request, form: FormData, settings: Settings) -> None:
    """Twilio signs the URL it called plus the sorted form fields; behind a proxy, that URL is the
    public one, so it is rebuilt from ANTIFRAUD_PUBLIC_URL rather than from what the proxy forwarded."""
    token = settings.sms_twilio_auth_token.get_secret_value()
    if not token or not settings.public_url:
        raise ApiError(
            503,
            "sms_not_configured",
            "Twilio SMS is not configured: set ANTIFRAUD_SMS_TWILIO_AUTH_TOKEN and ANTIFRAUD_PUBLIC_URL.",
        )
    url = settings.public_url.rstrip("/") + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    signature = request.headers.get("x-twilio-signature", "")
    if not signature or not RequestValidator(token).validate(url, form, signature):
        raise ApiError(403, "bad_signature", "The X-Twilio-Signature header is missing or does not match.")


_TWIML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def twiml(parts: tuple[str, ...]) -> str:
    """One <Message> per part, exactly as twilio's MessagingResponse writes it (the same escapes and
    empty elements), without building an ElementTree for every reply."""
    if not parts:
        return '<?xml version="1.0" encoding="UTF-8"?><Response />'
    messages = "".join(
        f"<Message>{part.translate(_TWIML_ESCAPES)}</Message>" if part else "<Message />" for part in parts
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{messages}</Response>'


_TWILIO_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["From", "Body"],
                    "properties": {name: {"type": "string"} for name in ("From", "To", "Body", "MessageSid")},
                    "additionalProperties": {"type": "string"},
                }
            }
        },
    }
}
_INBOUND_BODY: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": InboundSms.model_json_schema()}}}
}


async def _handle(services: Services, sender: str, text: str, message_id: str | None) -> SmsReply:
    """The channel's reply, on a worker thread; 503 (the gateway retries) while shared state is down."""
    sms_ready(services)
    try:
        return await services.pool.run(services.sms.handle, sender, text, message_id)
    except StateUnavailable:
        raise state_unavailable() from None


@router.post(
    "/sms/twilio",
    response_class=Response,
    responses={200: {"content": {"text/xml": {}}, "description": "TwiML: one <Message> per SMS"}, **SIGNED_RESPONSES},
    openapi_extra=_TWILIO_FORM,
    summary="Twilio Messaging webhook",
)
async def twilio_webhook(request: Request) -> Response:
    """Set as the Messaging webhook (HTTP POST) of a Twilio number; the reply is TwiML."""
    settings: Settings = request.app.state.settings
    form = await request.form()
    if any(not isinstance(value, str) for _, value in form.multi_items()):
        raise ApiError(400, "bad_request", "Send the webhook as a form of text fields, as Twilio does.")
    if settings.sms_twilio_verify:
        check_twilio_signature(request, form, settings)
    services = await get_services(request)
    fields = {name: str(value) for name, value in form.items()}
    sender = fields.get("From", "")
    if not sender.strip():
        raise invalid("From", "Field required")
    text = fields.get("Body", "")  # never cut: over the limit, the dialogue says so in its reply
    message_id = fields.get("MessageSid") or fields.get("SmsSid") or None
    reply = await _handle(services, sender, text, message_id)
    return Response(twiml(reply.parts), media_type="text/xml")


@router.post(
    "/sms/inbound",
    response_model=SmsOut,
    responses=SIGNED_RESPONSES,
    openapi_extra=_INBOUND_BODY,
    summary="Signed JSON webhook for any SMS gateway",
)
async def inbound(request: Request) -> JSONResponse:
    """`{"from", "to", "text", "id"}` signed with the shared secret; answers `{"to", "text", "parts"}`."""
    settings: Settings = request.app.state.settings
    secret = settings.sms_inbound_secret.get_secret_value()
    if not secret:
        raise ApiError(503, "sms_not_configured", "SMS webhook not configured: set ANTIFRAUD_SMS_INBOUND_SECRET.")
    body = await request.body()
    check_inbound_signature(
        secret.encode("utf-8"), request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER), body
    )
    await require_json(request)
    try:
        payload = InboundSms.model_validate_json(body)
    except ValidationError as exc:  # shaped like every other 400 / 422 of the API
        raise RequestValidationError(exc.errors(include_url=False, include_input=False)) from None
    services = await get_services(request)
    check_text(payload.text, "text", services.settings.max_message_chars)
    reply = await _handle(services, payload.sender, payload.text, payload.id)
    return JSONResponse({"to": payload.sender, "text": reply.text, "parts": list(reply.parts)})
