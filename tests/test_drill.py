"""The awareness drill (issue 14): every path over the API, every type to its debrief in both
languages, the safety rules (practice markers, no links or foreign numbers, never a verdict, only
library text, no drill over SMS), the content check of `antifraud validate`, and quiet mode."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.channels.web.app import create_app
from bot.channels.web.drill import drill_for
from bot.channels.web.settings import Settings
from bot.conversation.drill import (
    MIN_REBUTTALS,
    Drill,
    DrillError,
    DrillTurn,
    Script,
    drill_problems,
    fold,
    load_drill_texts,
    parse_token,
)
from bot.library.loader import Library, LibraryError, load_library

SETTINGS = Settings(max_message_chars=5000, max_body_bytes=65_536)
PREFIX = {"zh": "【防骗演练·", "zh-hant": "【防騙演練·", "en": "[PRACTICE DRILL · "}
LINK = re.compile(r"(?i)https?://|www\.|\b[a-z0-9-]+\.(?:com|net|org|cn|hk|top|xyz)\b|@[a-z0-9-]+\.")
LONG_NUMBER = re.compile(r"\+?\d[\d \-]{3,}\d")


@pytest.fixture(scope="module")
def app(library: Library) -> FastAPI:
    return create_app(SETTINGS, library=library)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def drill(library: Library) -> Drill:
    return Drill(library)


def post(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/api/drill", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    data: dict[str, Any] = response.json()
    assert_practice(data)
    return data


def assert_practice(data: dict[str, Any]) -> None:
    """Every answer is marked practice and can never be read as a verdict."""
    assert data["kind"] == "drill" and data["practice"] is True
    assert "risk" not in data and "evidence" not in data
    assert data["banner"]
    key = "zh-hant" if data["lang"] == "zh" and data["script"] == "hant" else data["lang"]
    for message in data["messages"]:
        assert message["text"].startswith(PREFIX[key]), message["text"]
    if data["debrief"]:
        assert data["debrief"]["text"].startswith(PREFIX[key])


def official_digits(library: Library, region_id: str) -> set[str]:
    region = next(region for region in library.regions.regions if region.id == region_id)
    found: set[str] = set()
    for fact in region.facts.values():
        values = [fact.value] if isinstance(fact.value, str) else list(fact.value.values())
        for value in [*values, fact.dial or ""]:
            found |= set(re.findall(r"\d{3,}", value))
            found.add(re.sub(r"\D", "", value))
    return found


def all_texts(data: dict[str, Any]) -> list[str]:
    """Every string anywhere in an answer."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key != "state":
                    walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(data)
    return found


def assert_no_foreign_links_or_numbers(data: dict[str, Any], library: Library) -> None:
    allowed = official_digits(library, data["region"])
    for text in all_texts(data):
        assert not LINK.search(text), text
        for match in LONG_NUMBER.finditer(text):
            digits = re.sub(r"\D", "", match.group(0))
            assert len(digits) < 5 or digits in allowed, text


# --- every path over the API -------------------------------------------------------------------


def test_spot_early_scores_full_marks(client: TestClient, library: Library) -> None:
    first = post(client, action="start", scam_type="fake_authority", lang="zh", region="cn")
    assert first["done"] is False and first["state"] and first["turn"] == 1 and first["stage"] == "hook"
    assert [m["speaker"] for m in first["messages"]] == ["coach", "scammer"]
    assert first["scam_type"] == "fake_authority"
    done = post(client, action="say", state=first["state"], message="你是骗子吧，我挂了")
    assert done["done"] is True and done["state"] is None
    debrief = done["debrief"]
    assert debrief["outcome"] == "spotted" and debrief["score"] == 100
    assert debrief["stage"] == "hook" and debrief["stage_index"] == 1
    assert debrief["signs"] and debrief["signs"][0]["turn"] == 1 and debrief["signs"][0]["why"]
    assert {line["number"] for line in debrief["hotlines"]} >= {"110", "96110"}
    assert debrief["advice"] and debrief["after"] == []
    assert_no_foreign_links_or_numbers(done, library)


def test_spot_late_after_doubts_names_each_sign_and_the_truth(client: TestClient, library: Library) -> None:
    turn = post(client, action="start", scam_type="fake_authority", lang="en", region="cn")
    doubted = 0
    while turn["stage"] != "payment":
        if turn["doubts"] and doubted < 2:
            doubt = turn["doubts"][0]
            turn = post(client, action="doubt", state=turn["state"], doubt=doubt["id"])
            doubted += 1
            continue
        turn = post(client, action="go_along", state=turn["state"])
    assert doubted == 2
    done = post(client, action="hang_up", state=turn["state"])
    debrief = done["debrief"]
    stages = [step.id for step in library.scam_type("fake_authority").stages]
    assert debrief["outcome"] == "spotted" and debrief["stage"] == "payment"
    assert debrief["stage_index"] == debrief["stages"] == stages.index("payment") + 1
    assert debrief["score"] == round(100 / debrief["stages"])
    # Each stage's line is named with when it came, and each rebuttal heard with the truth.
    assert [sign["stage"] for sign in debrief["signs"]] == stages[: debrief["stages"]]
    turns = [sign["turn"] for sign in debrief["signs"]] + [item["turn"] for item in debrief["rebuttals"]]
    assert sorted(turns) == list(range(1, done["turn"] + 1))
    assert len(debrief["rebuttals"]) == 2
    truths = {next(iter(r.truth.values())) for r in library.scam_type("fake_authority").rebuttals}
    en_truths = {r.truth["en"] for r in library.scam_type("fake_authority").rebuttals}
    assert truths and all(item["truth"] in en_truths for item in debrief["rebuttals"])
    assert "Step 1" in debrief["text"] and "The truth" in debrief["text"]
    assert_no_foreign_links_or_numbers(done, library)


def test_comply_stops_at_once_with_a_kind_debrief(client: TestClient, library: Library) -> None:
    first = post(client, action="start", scam_type="fake_customer_service", lang="en", region="sg")
    done = post(client, action="say", state=first["state"], message="OK, I'll transfer the money now")
    debrief = done["debrief"]
    assert done["done"] is True and done["state"] is None and done["doubts"] == []
    assert debrief["outcome"] == "complied" and debrief["score"] == 0
    assert debrief["after"], "going along gets what to do if it had been real"
    assert "practice" in debrief["summary"][0].lower()
    assert {line["number"] for line in debrief["hotlines"]} == {"999", "1799"}
    assert_no_foreign_links_or_numbers(done, library)


def test_reading_out_a_code_stops_at_once(client: TestClient) -> None:
    first = post(client, action="start", scam_type="phishing_link", lang="zh")
    done = post(client, action="say", state=first["state"], message="验证码是 482913")
    assert done["debrief"]["outcome"] == "complied"
    assert any("验证码" in line for line in done["debrief"]["summary"])
    assert "482913" not in str(done)  # the citizen's code is never repeated


def test_going_along_to_the_end_is_complying(client: TestClient) -> None:
    turn = post(client, action="start", scam_type="investment_romance", lang="zh")
    for _ in range(10):
        if turn["done"]:
            break
        turn = post(client, action="go_along", state=turn["state"])
    assert turn["done"] and turn["debrief"]["outcome"] == "complied"
    assert turn["debrief"]["stage"] == "payment"


def test_abandon_gives_a_debrief_without_a_score(client: TestClient) -> None:
    first = post(client, action="start", scam_type="click_farming", lang="en")
    second = post(client, action="go_along", state=first["state"])
    done = post(client, action="abandon", state=second["state"])
    assert done["debrief"]["outcome"] == "abandoned" and done["debrief"]["score"] is None
    assert done["debrief"]["stage_index"] == 2
    assert len(done["debrief"]["signs"]) == 2


def test_surprise_hides_the_type_until_the_debrief(client: TestClient) -> None:
    first = post(client, action="start", scam_type="surprise", lang="en")
    assert first["scam_type"] is None and first["scam_type_name"] is None
    assert "a surprise scam" in first["messages"][0]["text"]
    done = post(client, action="hang_up", state=first["state"])
    assert done["scam_type"] and done["debrief"]["scam_type_name"]


def test_a_taiwan_drill_speaks_taiwans_words(drill: Drill, library: Library) -> None:
    """The drill's lines go through the region's vocabulary too: 軟體 and 簡訊, not the converter's 軟件 and 短信."""
    taiwan = next(region for region in library.regions.regions if region.id == "tw")
    said: list[str] = []
    for scam_type in library.types:
        turn = drill.start(scam_type.id, "zh", "hant", region="tw", seed=7)
        while not turn.done:
            said += [message.text for message in turn.messages]
            turn = drill.step(_state(turn), "go_along")
    assert said
    for word in taiwan.vocabulary["zh"]:
        assert not any(word in text for text in said), word


def test_traditional_chinese_from_the_region_or_asked_for(client: TestClient) -> None:
    hk = post(client, action="start", scam_type="fake_authority", lang="zh", region="hk")
    assert hk["script"] == "hant" and "防騙演練" in hk["messages"][0]["text"]
    done = post(client, action="say", state=hk["state"], message="這是詐騙，我要報警")  # traditional input
    assert done["debrief"]["outcome"] == "spotted" and "18222" in done["debrief"]["text"]
    asked = post(client, action="start", scam_type="fake_authority", lang="zh", region="cn", script="hant")
    assert asked["script"] == "hant" and "騙" in asked["messages"][0]["text"]
    plain = post(client, action="start", scam_type="fake_authority", lang="zh", region="hk", script="hans")
    assert plain["script"] == "hans" and "防骗演练" in plain["messages"][0]["text"]


def test_free_text_doubt_is_answered_with_a_scripted_rebuttal(client: TestClient, library: Library) -> None:
    turn = post(client, action="start", scam_type="fake_authority", lang="zh")
    turn = post(client, action="go_along", state=turn["state"])  # isolation: "tell no one"
    answer = post(client, action="say", state=turn["state"], message="我想先跟家人商量一下可以吗？")
    said = answer["messages"][0]["text"].split("】", 1)[1].rstrip("。")
    answers = library.scam_type("fake_authority").rebuttals
    assert any(said in rebuttal.answer["zh"] for rebuttal in answers if rebuttal.id == "tell_family")


@pytest.mark.parametrize(("lang", "question"), [("en", "who is this?"), ("zh", "你是谁啊？")])
def test_a_question_no_rebuttal_answers_moves_the_script_on(client: TestClient, lang: str, question: str) -> None:
    """A caller who ignores a question presses on with the script's next step; another opener from a different story
    at the same step would make the practice call incoherent."""
    turn = post(client, action="start", scam_type="fake_authority", lang=lang, region="uk" if lang == "en" else "cn")
    assert turn["stage"] == "hook"
    turn = post(client, action="say", state=turn["state"], message=question)
    assert turn["done"] is False and [m["speaker"] for m in turn["messages"]] == ["scammer"]
    assert turn["stage"] == "isolation"


def test_the_coach_introduces_the_drill_as_the_coach(client: TestClient) -> None:
    first = post(client, action="start", scam_type="fake_authority", lang="en")
    assert first["messages"][0]["text"].startswith("[PRACTICE DRILL · coach]")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "start", "scam_type": "no_such_type", "lang": "zh"}, "scam_type"),
        ({"action": "start", "lang": "xx"}, "lang"),
        ({"action": "say", "message": "hi"}, "state"),
        ({"action": "say", "state": "bm90IGEgc3RhdGU", "message": "hi"}, "state"),
        ({"action": "start", "lang": "zh", "extra": 1}, "extra"),
    ],
)
def test_bad_requests_are_422_naming_the_field(client: TestClient, body: dict[str, Any], field: str) -> None:
    response = client.post("/api/drill", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"][0]["field"] == field


def test_an_unknown_doubt_or_start_twice_is_refused(client: TestClient) -> None:
    first = post(client, action="start", scam_type="fake_authority", lang="zh")
    response = client.post("/api/drill", json={"action": "doubt", "state": first["state"], "doubt": "nope"})
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "doubt"


def test_types_listed_in_both_scripts(client: TestClient, library: Library) -> None:
    response = client.get("/api/drill/types", params={"lang": "zh", "script": "hant"})
    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == [t.id for t in library.types]
    assert any("詐騙" in item["name"] for item in response.json())


# --- every type to its debrief, both languages --------------------------------------------------


@pytest.mark.parametrize(("lang", "script"), [("zh", "hans"), ("zh", "hant"), ("en", "hans")])
def test_every_type_plays_to_its_debrief(drill: Drill, library: Library, lang: str, script: Script) -> None:
    """Each type: every stage's line, a doubt answered, then hung up at the payment stage (or, where a line asks for
    a code before it, going along there ends the drill as the code given)."""
    for scam_type in library.types:
        turn = drill.start(scam_type.id, lang, script, region="cn", seed=11)
        seen_stages = [turn.stage]
        asked = False
        while turn.stage != "payment" and not turn.done:
            if turn.doubts and not asked:
                turn = drill.step(_state(turn), "doubt", doubt=turn.doubts[0].id)
                asked = True
            else:
                turn = drill.step(_state(turn), "go_along")
                if not turn.done:
                    seen_stages.append(turn.stage)
            data = turn.to_dict()
            assert_practice(data)
            assert_no_foreign_links_or_numbers(data, library)
        expected = [step.id for step in scam_type.stages]
        expected = expected[: expected.index("payment") + 1]
        if turn.done:  # went along with "read me the code you got": that is giving it
            assert turn.debrief is not None and turn.debrief.outcome == "complied", scam_type.id
            assert seen_stages == expected[: len(seen_stages)], scam_type.id
            continue
        done = drill.step(_state(turn), "hang_up")
        assert done.done and done.debrief is not None, scam_type.id
        debrief = done.debrief
        assert seen_stages == expected, scam_type.id
        assert [sign.stage for sign in debrief.signs] == expected
        assert all(sign.why for sign in debrief.signs), scam_type.id
        assert debrief.advice and debrief.type_signs and debrief.hotlines
        assert_practice(done.to_dict())
        assert_no_foreign_links_or_numbers(done.to_dict(), library)


def _state(turn: DrillTurn) -> str:
    assert turn.state is not None
    return turn.state


# --- safety -------------------------------------------------------------------------------------


def test_drill_text_comes_only_from_the_library(drill: Drill, library: Library) -> None:
    """Every scammer message is one of the type's own lines or scripted answers, as written."""
    for scam_type in library.types:
        said = {fold(text) for line in scam_type.lines for text in line.text["zh"]}
        said |= {fold(text) for rebuttal in scam_type.rebuttals for text in rebuttal.answer["zh"]}
        turn = drill.start(scam_type.id, "zh", seed=5)
        for _ in range(6):
            for message in turn.messages:
                if message.speaker == "scammer":
                    body = fold(message.text.split("】", 1)[1]).rstrip("。")
                    assert body in said, (scam_type.id, message.text)
            if turn.done:
                break
            turn = (
                drill.step(_state(turn), "doubt", doubt=turn.doubts[0].id)
                if turn.doubts
                else drill.step(_state(turn), "go_along")
            )


def test_links_numbers_and_placeholders_a_writer_adds_are_never_said(library_copy: Path) -> None:
    """A script writer puts a link, a phone and an account number and {AMOUNT}/{URL} into a line:
    the drill says obviously fake practice values and masks the rest; the region's numbers stay."""
    path = library_copy / "types" / "fake_authority.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "      zh: [你的身份证涉嫌一起洗钱案件, ",
        "      zh: ['马上打 +86 138 0013 8000 或登录 http://police-check.example.com 转 {AMOUNT} "
        "到 6222 0212 3456 7890 并打开 {URL}，不信你打 110 问', ",
    )
    path.write_text(text, encoding="utf-8")
    copy = load_library(library_copy)
    drill = Drill(copy)
    scam_type = copy.scam_type("fake_authority")
    index = next(i for i, line in enumerate(scam_type.lines) if line.id == "id_card_involved")
    for seed in range(60):
        turn = drill.start("fake_authority", "zh", region="cn", seed=seed)
        state = parse_token(_state(turn))
        if state.said[0][2] == index and state.said[0][3] == 0:
            break
    else:
        pytest.fail("no seed says the edited line")
    said = turn.messages[1].text
    assert "138" not in said and "6222" not in said and "example.com" not in said and "http" not in said
    assert "练习金额" in said and "练习用假链接" in said and "号码已隐去" in said and "链接已隐去" in said
    assert "110" in said  # the region's own police number is kept


def test_the_state_token_holds_nothing_the_citizen_wrote(drill: Drill) -> None:
    turn = drill.start("fake_authority", "zh", seed=3)
    turn = drill.step(_state(turn), "say", "我叫张三，住在幸福路八号，你说的我不太明白？")
    state = parse_token(_state(turn))
    raw = _state(turn)
    assert "张三" not in str(state) and len(raw) < 400


def test_a_tampered_token_is_refused_not_obeyed(drill: Drill) -> None:
    turn = drill.start("fake_authority", "zh", seed=3)
    state = parse_token(_state(turn))
    from dataclasses import replace

    for broken in (replace(state, type_id="nope"), replace(state, stage=99), replace(state, said=((1, 0, 999, 0),))):
        with pytest.raises(DrillError):
            drill.step(broken.token(), "go_along")


def test_the_page_and_the_api_keep_their_own_default_region(library: Library) -> None:
    """The page builds its drill without a region; the API's (an operator's region) must not be
    handed that one, or a Singapore service would play the library default's facts."""
    assert drill_for(library).default_region == library.regions.default
    assert drill_for(library, "sg").default_region == "sg"
    assert drill_for(library, "sg") is drill_for(library, "sg")


def test_no_drill_over_sms(client: TestClient) -> None:
    """The SMS channel never imports the drill, and asking for one there gets no practice text."""
    sms_source = (Path(__file__).resolve().parents[1] / "bot" / "channels" / "sms.py").read_text(encoding="utf-8")
    assert "drill" not in sms_source.lower()
    from bot.channels.web.services import build_services

    services = build_services(SETTINGS, client.app.state.library)  # type: ignore[attr-defined]
    for text in ("防骗演练", "drill", "practise a scam call"):
        reply = services.sms.handle("+8613800000000", text, "msg-" + text)
        assert "演练" not in reply.text.replace(text, "") and "PRACTICE" not in reply.text


# --- the content check ----------------------------------------------------------------------------


def test_every_bundled_type_can_be_drilled(library: Library) -> None:
    assert drill_problems(library) == []
    for scam_type in library.types:
        for lang in library.languages:
            assert sum(1 for r in scam_type.rebuttals if r.answer.get(lang)) >= MIN_REBUTTALS


def test_validate_fails_on_a_type_missing_a_stage_line_or_rebuttals(library_copy: Path) -> None:
    from bot.cli import main

    path = library_copy / "types" / "fake_authority.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("  - id: remote_statement"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("  - id:"))
    del lines[start:end]  # the only `tool` line
    path.write_text("".join(lines), encoding="utf-8")
    copy = load_library(library_copy)
    problems = drill_problems(copy)
    assert "type fake_authority (zh): no scammer line for stage tool" in problems
    assert "fake_authority" not in {t.id for t in Drill(copy).types}  # the service just doesn't offer it
    assert main(["validate", str(library_copy), "--pump-size", "0"]) == 1


def test_drill_yaml_is_checked(library_copy: Path) -> None:
    path = library_copy / "drill.yaml"
    text = path.read_text(encoding="utf-8").replace('  title: {zh: 防骗演练, en: "Scam drill"}\n', "")
    text = text.replace('  URL: {zh: "【练习用假链接，不存在】"', '  URL: {zh: "http://real.example.com"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LibraryError) as caught:
        load_drill_texts(load_library(library_copy))
    message = str(caught.value)
    assert "title" in message and "URL.zh" in message


def test_the_bundled_drill_yaml_loads(library: Library) -> None:
    texts = load_drill_texts(library)
    assert texts.texts["banner"]["zh"] and texts.texts["banner"]["en"]


# --- quiet mode -----------------------------------------------------------------------------------


def test_quiet_check_speaks_only_at_high_or_medium_risk(client: TestClient) -> None:
    calm = client.post("/api/check", json={"text": "Dinner is at seven, see you there", "quiet": True}).json()
    assert calm == {"risk": calm["risk"], "scam_type": None, "lang": "en", "speak": False}
    assert calm["risk"] in ("none", "low")
    loud = client.post(
        "/api/check", json={"text": "我是公安局的，你的银行卡涉嫌洗钱，把钱转到安全账户", "quiet": True}
    ).json()
    assert loud["speak"] is True and loud["risk"] == "high" and loud["evidence"] and loud["advice"]
    normal = client.post("/api/check", json={"text": "Dinner is at seven, see you there"}).json()
    assert "speak" not in normal and "advice" in normal


def test_quiet_chat_keeps_silent_unless_it_matters(client: TestClient) -> None:
    calm = client.post("/api/chat", json={"message": "Dinner is at seven, see you there", "quiet": True}).json()
    assert calm["reply"]["speak"] is False and calm["reply"]["kind"] == "quiet" and "text" not in calm["reply"]
    loud = client.post(
        "/api/chat",
        json={"message": "I'm the police, your account is linked to money laundering, move it to a safe account",
              "quiet": True},
    ).json()  # fmt: skip
    assert loud["reply"]["speak"] is True and loud["reply"]["risk"] in ("high", "medium") and loud["reply"]["text"]


# --- the page's side ------------------------------------------------------------------------------


def test_page_and_embed_offer_the_drill(client: TestClient) -> None:
    page = client.get("/?lang=zh")
    assert page.status_code == 200 and 'id="drill-open"' in page.text and "/static/drill.js?v=" in page.text
    assert 'id="drill-banner"' in page.text
    embed = client.get("/embed?lang=en&drill=1&quiet=1&origin=http://localhost:1")
    assert 'id="drill-open"' in embed.text and 'data-quiet="true"' in embed.text
    assert "data-quiet" not in client.get("/?quiet=1").text  # quiet is for embedding only


def test_certificate_page_is_printable_and_strict(client: TestClient) -> None:
    page = client.get("/drill/certificate?lang=zh&script=hant")
    assert page.status_code == 200
    assert "防騙演練證書" in page.text and "/static/drill.js?v=" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text  # no inline script
    english = client.get("/drill/certificate?lang=en")
    assert "Scam Drill Certificate" in english.text


@pytest.mark.parametrize(
    ("lang", "message", "reading"),
    [
        ("zh", "呢個係騙案", "spot"),
        ("zh", "你哋係騙徒", "spot"),
        ("zh", "呃人嚟㗎，我唔信你", "spot"),
        ("en", "i'll just check on the usps website myself", "spot"),
        ("en", "im not clicking that, deleting this text", "spot"),
        ("en", "let me call your mother first", "spot"),
        ("en", "ok what do you need me to do", "comply"),
        ("en", "ok how much do you need?", "comply"),
        ("zh", "要转到哪个账户？", "comply"),
        ("en", "why do you need my address?", "doubt"),
    ],
)
def test_free_answers_are_read_as_people_say_them(drill: Drill, lang: str, message: str, reading: str) -> None:
    """Cantonese "this is a scam", checking for oneself, calling the real person are spotting it; "what do you need me
    to do" is going along, though asked as a question."""
    assert drill.read(message, lang) == reading


def test_going_along_when_asked_for_a_code_is_reading_it_out(drill: Drill, library: Library) -> None:
    """Pressing "go on" at "read me the code you got" ends the drill as a code given, not one step further."""
    asked_seen = 0
    for scam_type in library.types:
        for lang in ("zh", "en"):
            for seed in range(1, 6):
                turn = drill.start(scam_type.id, lang, None, None, seed=seed)
                for _ in range(12):
                    if turn.done or turn.state is None:
                        break
                    asked = any(
                        re.search(r"验证码|\b(the|your) (code|passcode|pin|password)\b|密码", message.text, re.I)
                        for message in turn.messages
                        if message.speaker == "scammer"
                    )
                    turn = drill.step(turn.state, "go_along")
                    if asked:
                        asked_seen += 1
                        assert turn.done and turn.debrief is not None and turn.debrief.outcome == "complied"
                        break
    assert asked_seen, "some drill line asks for a code"


@pytest.mark.parametrize(("region", "lang"), [("hk", "zh"), ("tw", "zh"), ("us", "en"), ("uk", "en")])
def test_a_drill_plays_the_regions_own_lines_and_doubts_where_it_has_them(
    drill: Drill, library: Library, region: str, lang: str
) -> None:
    """Hong Kong hears 入境處 or 內地公安, Taiwan 健保卡, the US the SSA: a stage's lines written for the region come
    first, and the doubts offered are the region's own; a mainland drill keeps the mainland's."""
    for type_id in ("fake_authority", "fake_customer_service", "impersonate_acquaintance"):
        scam_type = next(t for t in library.types if t.id == type_id)
        texts = {drill_text for line in scam_type.lines if region in line.regions for drill_text in line.text[lang]}
        assert texts, type_id
        for seed in (1, 2, 3):
            turn = drill.start(type_id, lang, None, region, seed=seed)
            said = turn.messages[-1].text
            assert any(_bare(text) in _bare(said) for text in _in_script(texts, turn.script)), (type_id, said)
            offered = {doubt.id for doubt in turn.doubts}
            own = {rebuttal.id for rebuttal in scam_type.rebuttals if region in rebuttal.regions}
            assert not offered or offered <= own | {r.id for r in scam_type.rebuttals if not r.regions}


def _bare(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).casefold()


def _in_script(texts: set[str], script: str) -> set[str]:
    if script != "hant":
        return texts
    from bot.library.script import convert

    return {convert(text, "hant-hk") for text in texts} | {convert(text, "hant-tw") for text in texts}
