"""POST /api/chat: one turn of a conversation; the session id carries the story between turns."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from bot.api.models import ERROR_RESPONSES, ChatRequest, ChatResponse, reply_json
from bot.api.services import Services, check_lang, check_text, get_services, require_json
from bot.sessions import new_session_id

router = APIRouter(tags=["chat"])


@router.post(
    "/api/chat",
    response_model=ChatResponse,
    responses=ERROR_RESPONSES,
    dependencies=[Depends(require_json)],
    summary="Send one chat message",
)
async def chat(payload: ChatRequest, services: Annotated[Services, Depends(get_services)]) -> JSONResponse:
    """The bot's reply. Keep `session_id` and send it with the next message to continue the story."""
    check_text(payload.message, "message", services.settings.max_message_chars)
    lang = check_lang(payload.lang, services.library)
    state = services.sessions.get(payload.session_id) if payload.session_id else None
    # An unknown or expired id is never adopted: the server alone chooses session ids.
    session_id = payload.session_id if state is not None and payload.session_id else new_session_id()
    new_state, reply = await services.pool.run(services.dialogue.handle, state, payload.message, lang)
    services.sessions.put(session_id, new_state)
    return JSONResponse({"session_id": session_id, "reply": reply_json(reply)})
