"""The published OpenAPI document is the truth about the API: Schemathesis generates valid and
invalid requests from it, in process, and every response must match it (every check it has, no
failure). Also the seams around it: one field name for the message, the documented length limit,
Swagger UI without internet."""

from __future__ import annotations

import re
from typing import Any

import hypothesis
import hypothesis.strategies as st
import pytest
import schemathesis
import schemathesis.specs.openapi.checks  # registers the OpenAPI checks
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from schemathesis.checks import CHECKS
from schemathesis.generation import GenerationMode

from bot.channels.web.app import create_app
from bot.channels.web.settings import Settings
from bot.library.cache import load_library_cached
from bot.library.loader import Library

# Limits off (Schemathesis sends hundreds of requests), a small message limit (so "over the limit"
# is reached), and everything else as deployed.
SETTINGS = Settings(
    max_message_chars=500,
    rate_limit_web="off",
    rate_limit_site="off",
    rate_limit_sms="off",
    state_dir="off",
    insights=False,
    # Every channel configured, so each answers as deployed (401 / 403 to a stranger, never 503).
    public_url="https://antifraud.example",
    sms_twilio_auth_token=SecretStr("twilio-token"),
    sms_inbound_secret=SecretStr("inbound-secret"),
    sms_salt=SecretStr("salt"),
    admin_token=SecretStr("admin-token"),
    operator_token=SecretStr("operator-token"),
)


@pytest.fixture(scope="module")
def app(library: Library) -> FastAPI:
    return create_app(SETTINGS, library=library)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


# --- the document says what the service does ------------------------------------------------------


def test_the_document_states_the_configured_length_limit(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for model, field in (("ChatRequest", "message"), ("CheckRequest", "message"), ("CheckRequest", "text")):
        assert schemas[model]["properties"][field]["maxLength"] == SETTINGS.max_message_chars
    assert schemas["CheckRequest"]["properties"]["text"]["deprecated"] is True
    assert schemas["CheckRequest"]["oneOf"] == [{"required": ["message"]}, {"required": ["text"]}]


def test_languages_and_regions_are_the_librarys(document: dict[str, Any], library: Library) -> None:
    chat = document["components"]["schemas"]["ChatRequest"]["properties"]
    assert chat["lang"]["anyOf"][0]["enum"] == list(library.languages)
    assert chat["region"]["anyOf"][0]["enum"] == [region.id for region in library.regions.regions]


def test_check_takes_message_and_still_accepts_text(client: TestClient) -> None:
    story = "他说我的身份证涉嫌洗钱，让我把钱转到安全账户"
    new = client.post("/api/check", json={"message": story}).json()
    old = client.post("/api/check", json={"text": story}).json()
    assert new == old and new["risk"] == "high"
    both = client.post("/api/check", json={"message": story, "text": story})
    assert both.status_code == 422 and both.json()["error"]["fields"][0]["field"] == "message"
    assert client.post("/api/check", json={}).status_code == 422


@pytest.mark.parametrize("path", ["/api/check", "/api/chat"])
def test_a_message_over_the_limit_is_refused_whole_with_a_clear_reason(client: TestClient, path: str) -> None:
    response = client.post(path, json={"message": "骗" * (SETTINGS.max_message_chars + 1)})
    assert response.status_code == 422
    error = response.json()["error"]
    assert f"at most {SETTINGS.max_message_chars}" in error["message"]
    assert f"has {SETTINGS.max_message_chars + 1}" in error["message"]  # says how long it was
    assert "Nothing was checked" in error["message"]


def test_the_longest_message_of_emoji_fits_in_a_body(client: TestClient) -> None:
    """The byte limit never refuses a message the document allows (12 bytes per escaped emoji)."""
    import json

    body = json.dumps({"message": "😀" * SETTINGS.max_message_chars}).encode()
    response = client.post("/api/check", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200


def test_swagger_ui_is_served_from_this_service(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page.text)
    assert sources and all(source.startswith("/") for source in sources), sources  # nothing from a CDN
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200 and len(asset.content) > 1000, source
    assert client.get("/docs/assets/nothing.js").status_code == 404


# --- Schemathesis, every check ------------------------------------------------------------------

# Built at collection time, one test per operation of the document. Parametrised here rather than by
# `schema.parametrize()`, whose per-operation items share one node id: the suite runs on two pytest-xdist
# workers, which address tests by node id and would keep only one of them.
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(SETTINGS, library=load_library_cached()))
OPERATIONS = {operation.label: operation for operation in (result.ok() for result in schema.get_all_operations())}


@pytest.mark.parametrize("label", list(OPERATIONS))
def test_every_operation_matches_the_document(label: str) -> None:
    operation = OPERATIONS[label]
    # Valid requests and invalid ones (Schemathesis's positive and negative generation), 50 per operation.
    requests = st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in GenerationMode))
    checks = CHECKS.get_all()
    if label == "POST /api/drill":
        # Every check but one: the drill answers 422 to a `state` it did not sign, which a schema cannot say
        # (any string of the token's pattern is schema-valid, few are states it issued).
        checks = [check for check in checks if check.__name__ != "positive_data_acceptance"]

    @hypothesis.settings(
        max_examples=50,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(hypothesis.HealthCheck),
        database=None,
    )
    @hypothesis.given(requests)
    def matches(case: Any) -> None:
        case.call_and_validate(checks=checks)

    matches()
