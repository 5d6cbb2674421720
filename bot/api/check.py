"""POST /api/check: one message in, the recogniser's verdict out. Stateless."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from bot.api.models import ERROR_RESPONSES, CheckRequest, VerdictOut
from bot.api.services import Services, check_lang, check_region, check_text, get_services, require_json

router = APIRouter(tags=["check"])


@router.post(
    "/api/check",
    response_model=VerdictOut,
    responses=ERROR_RESPONSES,
    dependencies=[Depends(require_json)],
    summary="Check one message for scam scripts",
)
async def check(payload: CheckRequest, services: Annotated[Services, Depends(get_services)]) -> JSONResponse:
    """The verdict exactly as `antifraud check --json` prints it: risk, type, evidence spans, advice."""
    check_text(payload.text, "text", services.settings.max_message_chars)
    lang = check_lang(payload.lang, services.library)
    region = check_region(payload.region, services.library) or services.settings.region
    verdict = services.engine.analyse(payload.text, lang=lang, region=region)
    return JSONResponse(verdict.to_dict())
