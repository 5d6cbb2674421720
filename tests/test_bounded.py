"""Fast and bounded (issue 13): linear regexes, a per-message budget, engine work off the event loop,
one analysis per chat turn, the compiled-library cache. No wall-clock thresholds: the assertions are on
the engine's own budget flag, its work counters, growth ratios and the order things happen in."""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import gc
import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import anyio
import anyio.to_thread
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.web.app import create_app
from bot.channels.web.errors import ApiError
from bot.channels.web.pool import EnginePool
from bot.channels.web.services import build_services
from bot.channels.web.settings import Settings
from bot.conversation.dialogue import Dialogue
from bot.conversation.faq import FaqIndex
from bot.engine import patterns
from bot.engine.budget import PARTIAL_NOTE, Budget
from bot.engine.patterns import WHOLE_TEXT, LazyPattern, reach_of, windows_around
from bot.engine.pipeline import Engine
from bot.library.cache import fingerprint, load_library_cached
from bot.library.loader import Library
from bot.library.pump import pump

SIZE_LIMIT = Settings().max_message_chars

# --- every regex linear ------------------------------------------------------------------------


def test_the_pump_catches_a_quadratic_number_pattern_and_passes_its_linear_rewrite() -> None:
    slow = pump(r"\d[\d,]*(\.\d+)?\s?(万元|元)", size=4000)
    assert slow is not None and slow.growth > 8 and slow.piece.startswith("1")
    assert pump(r"(?<![\d,])\d[\d,]*+(\.\d++)?\s?(万元|元)", size=4000) is None


def test_windows_reach_as_far_as_a_match_can_and_anchored_patterns_see_everything() -> None:
    assert reach_of("安全账户") < 64
    assert reach_of(r"(转账|汇款)[^。]{0,10}安全账户") >= 10 + 4
    assert reach_of(r"^(?=.*钱).*视频") == WHOLE_TEXT
    assert windows_around([(100, 104), (120, 124), (900, 904)], 50, 1000) == [(50, 174), (850, 954)]
    assert windows_around([(10, 12)], WHOLE_TEXT, 30) == [(0, 30)]


@given(
    st.lists(st.tuples(st.integers(0, 199), st.integers(1, 12)), max_size=12),
    st.sampled_from([0, 1, 5, 40, 300, WHOLE_TEXT]),
)
def test_windows_around_covers_exactly_the_reach_of_each_span(spans: list[tuple[int, int]], reach: int) -> None:
    length = 200
    spans = [(start, min(start + size, length)) for start, size in spans]
    windows = windows_around(spans, reach, length)
    covered = set(range(length)) if reach == WHOLE_TEXT or not spans else set()
    if reach != WHOLE_TEXT:
        for start, end in spans:
            covered.update(range(max(0, start - reach), min(length, end + reach)))
    if reach != WHOLE_TEXT and not spans:
        assert windows == []
        return
    assert set().union(*(range(start, end) for start, end in windows)) == covered
    # merged: in order, neither overlapping nor touching
    assert all(end < next_start for (_, end), (next_start, _) in itertools.pairwise(windows))


@given(st.text(alphabet="ab- ,.x", max_size=40), st.integers(0, 40), st.integers(0, 40))
def test_a_pattern_starting_with_a_word_boundary_finds_what_search_finds(text: str, pos: int, endpos: int) -> None:
    with mock.patch.object(patterns, "SCAN_FROM", 0):  # the scan, however short the text
        for source in (r"\b(ab|b-?a)+\b", r"\ba ?b", r"\b(?<!x)b[a ]*", r"\b|x", r"a\b"):
            pattern = LazyPattern(source)
            expected = pattern.compiled.search(text, pos, endpos)
            found = pattern.first(text, pos, endpos)
            assert (found and found.span()) == (expected and expected.span())


_PIECES = st.sampled_from(
    [
        "1",
        "1,",
        "1.",
        "9 ",
        "元",
        "万",
        "%",
        "返水",
        "安全账户",
        "转账",
        "视频",
        "公安",
        "验证码",
        "police ",
        "safe account ",
        "bitcoin ",
        "dollars ",
        "$1,",
        "www.",
        # what the normaliser sets aside (a mail's header, an app's banner) and the address and lure checks read
        "From: a\nTo: b\n",
        "发件人：甲\n主题：乙\n",
        "not in your contacts\n",
        "amazon.help@gmail.com ",
        "hi https://ab-cd.com/x ",
        "a-",
        ".com",
        "http://",
        "。",
        "\n",
        " ",
        "a",
    ]
)


@st.composite
def adversarial_texts(draw: st.DrawFn) -> str:
    """Runs of the pieces that make backtracking patterns slow, up to the message size limit."""
    parts = draw(st.lists(st.tuples(_PIECES, st.integers(1, 2500)), min_size=1, max_size=6))
    return "".join(piece * count for piece, count in parts)[:SIZE_LIMIT]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=adversarial_texts())
def test_no_message_up_to_the_size_limit_exhausts_the_budget(engine: Engine, text: str) -> None:
    """Hypothesis searches for slow inputs; the engine's own flag says whether the budget ran out.
    A generous budget: only super-linear work can spend it. Regexes never scan a character twice."""
    budget = Budget(5.0)
    verdict = engine.analyse(text, budget=budget)
    assert not budget.exhausted and not verdict.partial, budget.skipped
    folded = len(engine.normaliser.normalise(text).text)
    assert budget.regex_chars <= engine.rules.regex_count * max(folded, 1)


class _Clock:
    """A clock that moves only when told: the budget runs out exactly where a test says."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_spent_budget_gives_a_partial_verdict_that_says_so(engine: Engine) -> None:
    clock = _Clock()
    budget = Budget(1.0, clock=clock)
    clock.now = 2.0  # the time is already gone: no regex, no fuzzy matching, no learned layer
    verdict = engine.analyse("公安局说你涉嫌洗钱，把钱转到安全账户，不要告诉家人", budget=budget)
    assert verdict.partial and budget.exhausted
    assert "regexes" in budget.skipped and "fuzzy" in budget.skipped
    assert verdict.notes[-1] == PARTIAL_NOTE["zh"]
    assert verdict.to_dict()["partial"] is True
    assert verdict.risk.value != "none" or verdict.notes  # never "safe" silently


def test_compiling_a_regex_the_first_time_is_not_the_messages_time() -> None:
    """The first messages after a start compile the regexes they need; that once-only work moves the deadline."""
    clock = _Clock()
    budget = Budget(1.0, clock=clock)
    with budget.not_counting():
        clock.now = 5.0  # compiling took five seconds of this thread's time
    assert not budget.spent()
    clock.now = 6.5
    assert budget.spent()


def test_the_budget_counts_work_not_waiting() -> None:
    """The budget is the thread's CPU time: a message that waits for the processor on a busy machine
    is not cut short (its verdict does not depend on the load), one that keeps it busy is."""
    waiting = Budget(0.02)
    time.sleep(0.05)
    assert not waiting.spent() and waiting.allows("model")
    working = Budget(0.02)
    start = time.thread_time()
    while time.thread_time() - start < 0.03:
        pass
    assert working.spent() and not working.allows("model") and working.skipped == ["model"]


def test_an_ordinary_message_is_not_partial(engine: Engine) -> None:
    verdict = engine.analyse("明天下午三点开会，记得带上周的报表。")
    assert not verdict.partial and verdict.to_dict()["partial"] is False


# --- a chat turn as cheap as a check -------------------------------------------------------------


class _CountingEngine:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def analyse(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self._engine.analyse(*args, **kwargs)


def test_a_chat_turn_analyses_once(engine: Engine, library: Library) -> None:
    counting = _CountingEngine(engine)
    dialogue = Dialogue(counting, FaqIndex(library, engine.normaliser))  # type: ignore[arg-type]
    state, reply = dialogue.handle(None, "有个自称公安局的人打电话给我")
    assert counting.calls == 1
    counting.calls = 0
    state, reply = dialogue.handle(state, "他说我涉嫌洗钱，要我把钱转到安全账户")
    assert counting.calls == 1
    # the evidence still points at the message just sent
    message = "他说我涉嫌洗钱，要我把钱转到安全账户"
    assert reply.evidence and all(message[e.span[0] : e.span[1]] == e.text for e in reply.evidence)


# --- the event loop never waits on the engine --------------------------------------------------


class _GatedEngine:
    """The real engine, except that analyse waits until the test opens the gate."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.gate = threading.Event()
        self.entered = threading.Semaphore(0)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def analyse(self, *args: Any, **kwargs: Any) -> Any:
        self.entered.release()
        assert self.gate.wait(timeout=30)
        return self._engine.analyse(*args, **kwargs)


@pytest.fixture()
def gated(library: Library) -> Iterator[tuple[Any, _GatedEngine]]:
    app = create_app(Settings(), library)
    services = app.state.services
    gated_engine = _GatedEngine(services.engine)
    app.state.services = dataclasses.replace(services, engine=gated_engine, pool=EnginePool(workers=2, queue=1))
    yield app, gated_engine
    gated_engine.gate.set()


def test_health_answers_while_the_engine_is_busy_and_a_full_queue_gets_503(gated: tuple[Any, _GatedEngine]) -> None:
    app, gated_engine = gated

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            body = {"text": "公安局说你涉嫌洗钱，把钱转到安全账户"}
            checks = [asyncio.create_task(client.post("/api/check", json=body)) for _ in range(3)]
            for _ in range(2):  # both workers are inside the engine, the third request waits
                await asyncio.to_thread(gated_engine.entered.acquire, True, 30)
            health = await client.get("/healthz")
            assert health.status_code == 200 and health.json() == {"status": "ok"}
            assert not any(task.done() for task in checks)  # answered before any check finished
            busy = await client.post("/api/check", json=body)  # 2 running + 1 queued: full
            assert busy.status_code == 503
            assert busy.json()["error"]["code"] == "busy" and busy.headers["retry-after"] == "1"
            gated_engine.gate.set()
            responses = await asyncio.gather(*checks)
            assert [response.status_code for response in responses] == [200, 200, 200]
            assert all(response.json()["risk"] == "high" for response in responses)

    asyncio.run(scenario())


# --- start fast: the compiled library cache ------------------------------------------------------


def _same(one: Library, other: Library) -> bool:
    """Equal knowledge; the learned model (no __eq__) is compared by what it predicts."""
    if (one.model is None) != (other.model is None):
        return False
    if one.model is not None and other.model is not None:
        sample = "公安局说你涉嫌洗钱，把钱转到安全账户"
        if one.model.predict(sample) != other.model.predict(sample):
            return False
    return dataclasses.replace(one, model=None, report_model=None, line_model=None) == dataclasses.replace(
        other, model=None, report_model=None, line_model=None
    )


def test_the_library_cache_is_reused_until_a_file_changes(
    library_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTIFRAUD_CACHE_DIR", str(tmp_path / "cache"))
    first = load_library_cached(library_copy)
    entries = list((tmp_path / "cache").glob("library-*.pickle"))
    assert len(entries) == 1
    again = load_library_cached(library_copy)
    assert _same(again, first) and again is not first  # read back from the pickle
    key = fingerprint(library_copy)
    regions = library_copy / "regions.yaml"
    regions.write_text(regions.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert fingerprint(library_copy) != key
    load_library_cached(library_copy)
    assert [p.name for p in (tmp_path / "cache").glob("library-*.pickle")] != [p.name for p in entries]


def test_the_cache_can_be_turned_off(library_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTIFRAUD_CACHE_DIR", "off")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    load_library_cached(library_copy)
    assert not (tmp_path / ".cache").exists()


def test_a_broken_cache_entry_is_rebuilt(library_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTIFRAUD_CACHE_DIR", str(tmp_path / "cache"))
    expected = load_library_cached(library_copy)
    (entry,) = (tmp_path / "cache").glob("library-*.pickle")
    entry.write_bytes(b"not a pickle")
    assert _same(load_library_cached(library_copy), expected)


def test_engine_work_runs_off_the_event_loop_in_the_requests_context() -> None:
    """The request id (a context variable) reaches the worker thread, and the pool is empty afterwards."""
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
    pool = EnginePool(workers=2, queue=4)

    def seen() -> tuple[str, int]:
        return request_id.get(), threading.get_ident()

    async def scenario() -> list[tuple[str, int]]:
        request_id.set("abc")
        return list(await asyncio.gather(*(pool.run(seen) for _ in range(5))))

    results = asyncio.run(scenario())
    assert {value for value, _ in results} == {"abc"}
    assert threading.get_ident() not in {thread for _, thread in results}
    assert pool.in_flight == 0


def test_a_request_that_hangs_up_keeps_its_place_until_its_work_has_ended() -> None:
    """A client that goes away (Starlette cancels its handler's anyio scope) does not free a worker still busy
    with its message: the thread call is not abandoned, so abandoned long messages cannot let more past the bound."""
    pool = EnginePool(workers=1, queue=0)
    started, release = threading.Event(), threading.Event()

    def long_message() -> str:
        started.set()
        assert release.wait(timeout=30)
        return "done"

    async def scenario() -> None:
        scope = anyio.CancelScope()

        async def request() -> None:
            with scope:
                await pool.run(long_message)

        async with anyio.create_task_group() as group:
            group.start_soon(request)
            await anyio.to_thread.run_sync(started.wait, 30)
            scope.cancel()  # the citizen's connection dropped
            await anyio.sleep(0.05)
            assert pool.in_flight == 1  # the worker is still inside the engine
            with pytest.raises(ApiError) as busy:
                await pool.run(long_message)
            assert busy.value.status == 503
            release.set()
        assert pool.in_flight == 0
        assert await pool.run(lambda: "next") == "next"

    asyncio.run(scenario())


@pytest.mark.parametrize("build", ["engine", "services"])
def test_building_leaves_garbage_collection_as_it_was(library: Library, build: str) -> None:
    """The build pauses automatic collection (bot/engine/pipeline.py `collection_paused`) and gives it back."""

    def run() -> None:
        if build == "engine":
            Engine(library)
        else:
            build_services(Settings(state_dir="off"), library)

    assert gc.isenabled()
    run()
    assert gc.isenabled()
    gc.disable()
    try:
        run()
        assert not gc.isenabled()
    finally:
        gc.enable()
