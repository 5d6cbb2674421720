"""POST /api/check: one message in, the recogniser's verdict out. Stateless."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from bot.channels.web.errors import invalid
from bot.channels.web.models import ERROR_RESPONSES, CheckRequest, QuietVerdictOut, VerdictOut
from bot.channels.web.quiet import quiet_verdict
from bot.channels.web.services import JsonApi, Services, check_lang, check_region, check_text
from bot.engine.budget import Budget
from bot.engine.types import Risk, Verdict

router = APIRouter(tags=["check"])


@router.post(
    "/api/check",
    response_model=VerdictOut | QuietVerdictOut,
    responses=ERROR_RESPONSES,
    summary="Check one message for scam scripts",
)
async def check(payload: CheckRequest, services: JsonApi) -> JSONResponse:
    """The verdict exactly as `antifraud check --json` prints it: risk, type, evidence spans, advice.
    Send the message in `message` (`text`, its old name, is still accepted but deprecated)."""
    words, field = (payload.message, "message") if payload.message is not None else (payload.text, "text")
    if words is None or (payload.message is not None and payload.text is not None):
        raise invalid("message", "Field required: send the message in `message` (or its old name `text`), once")
    check_text(words, field, services.settings.max_message_chars)
    lang = check_lang(payload.lang, services.library)
    region = check_region(payload.region, services.library) or services.settings.region
    budget_seconds = services.settings.engine_budget_ms / 1000
    verdict = await services.pool.run(_analyse, services, words, lang, region, budget_seconds)
    return JSONResponse(quiet_verdict(verdict.to_dict()) if payload.quiet else verdict.to_dict())


def _analyse(services: Services, text: str, lang: str | None, region: str, budget_seconds: float) -> Verdict:
    """Runs on a worker thread; the budget starts when the work does, not while it queues."""
    verdict = services.engine.analyse(text, lang=lang, region=region, budget=Budget(budget_seconds))
    services.observe(
        "api",
        text,
        verdict.scam_type,
        str(verdict.risk),
        verdict.lang,
        region,
        verdict.warning_signs,
        unjudged=verdict.risk is Risk.NONE,
    )
    return verdict
