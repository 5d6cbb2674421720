"""Web chat page, embeddable widget loader and the page the widget frames."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
