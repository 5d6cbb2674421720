"""POST /api/chat: one turn of a conversation; the session id carries the story between turns.

The whole turn (read the session, run the dialogue, write the session back) runs on an engine worker
thread: with Redis the session is a network call, which must never hold up the event loop. A session
belongs to its client's (hashed) address, so one client flooding the service only evicts its own
oldest conversations (bot/channels/sessions.py, bot/channels/store.py).
"""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bot.channels.sessions import new_session_id
from bot.channels.store import StateUnavailable
from bot.channels.web.models import ERROR_RESPONSES, ChatRequest, ChatResponse, reply_json
from bot.channels.web.quiet import quiet_reply
from bot.channels.web.ratelimit import request_site
from bot.channels.web.services import JsonApi, Services, check_lang, check_region, check_text, state_unavailable
from bot.conversation.reply import Reply, ReplyKind

router = APIRouter(tags=["chat"])


@router.post(
    "/api/chat",
    response_model=ChatResponse,
    responses=ERROR_RESPONSES,
    summary="Send one chat message",
)
async def chat(payload: ChatRequest, request: Request, services: JsonApi) -> JSONResponse:
    """The bot's reply. Keep `session_id` and send it with the next message to continue the story;
    `region` sets the hotlines and reporting channels the replies name (the page and widget send theirs)."""
    check_text(payload.message, "message", services.settings.max_message_chars)
    lang = check_lang(payload.lang, services.library)
    region = check_region(payload.region, services.library)
    address = getattr(request.state, "client_address", None) or (request.client.host if request.client else "")
    owner = hashlib.sha256(address.encode()).hexdigest()[:32]
    channel = "widget" if request_site(request) else "web"
    try:
        session_id, reply = await services.pool.run(
            _turn, services, payload.session_id, payload.message, lang, region, owner, channel
        )
    except StateUnavailable:
        raise state_unavailable() from None
    body = reply_json(reply)
    return JSONResponse({"session_id": session_id, "reply": quiet_reply(body) if payload.quiet else body})


def _turn(
    services: Services,
    session_id: str | None,
    message: str,
    lang: str | None,
    region: str | None,
    owner: str,
    channel: str,
) -> tuple[str, Reply]:
    """Runs on a worker thread: session in, dialogue, session out, the verdict counted."""
    state = services.sessions.get(session_id) if session_id else None
    # An unknown or expired id is never adopted: the server alone chooses session ids.
    chosen = session_id if state is not None and session_id else new_session_id()
    new_state, reply = services.dialogue.handle(state, message, lang, region)
    services.sessions.put(chosen, new_state, owner=owner)
    if reply.risk is not None:
        services.observe(
            channel,
            message,
            reply.scam_type,
            str(reply.risk),
            reply.lang,
            new_state.region or services.settings.region,
            reply.warning_signs,
            unjudged=reply.kind is ReplyKind.CANT_TELL,
        )
    return chosen, reply
