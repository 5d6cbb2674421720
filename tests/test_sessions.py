"""Sessions: they expire after a quiet period, the least recently used go first at the cap, and
ids are random and checked before use."""

from __future__ import annotations

import random
import threading

import pytest

from bot.channels.sessions import InMemorySessionStore, is_valid_session_id, new_session_id


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()


def test_a_session_lives_until_its_ttl_passes_without_use(clock: FakeClock) -> None:
    store: InMemorySessionStore[str] = InMemorySessionStore(ttl_seconds=60, max_sessions=10, clock=clock)
    store.put("a" * 32, "state")
    clock.advance(59)
    assert store.get("a" * 32) == "state"
    clock.advance(60)
    assert store.get("a" * 32) is None


def test_every_use_starts_the_ttl_again(clock: FakeClock) -> None:
    store: InMemorySessionStore[str] = InMemorySessionStore(ttl_seconds=60, max_sessions=10, clock=clock)
    store.put("s" * 32, "state")
    for _ in range(5):
        clock.advance(50)
        assert store.get("s" * 32) == "state"


def test_expired_sessions_are_dropped_when_others_are_stored(clock: FakeClock) -> None:
    store: InMemorySessionStore[int] = InMemorySessionStore(ttl_seconds=60, max_sessions=10, clock=clock)
    for number in range(5):
        store.put(f"old-session-{number:08d}", number)
    clock.advance(61)
    store.put("new-session-00000000", 99)
    assert len(store) == 1


def test_beyond_the_cap_the_least_recently_used_session_goes(clock: FakeClock) -> None:
    store: InMemorySessionStore[str] = InMemorySessionStore(ttl_seconds=600, max_sessions=3, clock=clock)
    for name in ("first", "second", "third"):
        store.put(name * 4, name)
        clock.advance(1)
    assert store.get("first" * 4) == "first"  # now the most recently used
    store.put("fourth" * 4, "fourth")
    assert store.get("second" * 4) is None
    assert {store.get(name * 4) for name in ("first", "third", "fourth")} == {"first", "third", "fourth"}
    assert len(store) == 3


def test_delete_forgets_a_session_and_ignores_unknown_ids(clock: FakeClock) -> None:
    store: InMemorySessionStore[str] = InMemorySessionStore(ttl_seconds=60, max_sessions=10, clock=clock)
    store.put("x" * 32, "state")
    store.delete("x" * 32)
    store.delete("never-stored-0000")
    assert store.get("x" * 32) is None


@pytest.mark.parametrize(("ttl", "cap"), [(0, 10), (-1, 10), (60, 0)])
def test_a_store_needs_a_positive_ttl_and_cap(ttl: float, cap: int) -> None:
    with pytest.raises(ValueError):
        InMemorySessionStore(ttl_seconds=ttl, max_sessions=cap)


def test_many_threads_can_use_one_store_at_once() -> None:
    store: InMemorySessionStore[int] = InMemorySessionStore(ttl_seconds=60, max_sessions=50)
    ids = [new_session_id() for _ in range(200)]
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        chooser = random.Random(seed)
        try:
            for step in range(2000):
                session_id = chooser.choice(ids)
                action = chooser.random()
                if action < 0.5:
                    store.put(session_id, step)
                elif action < 0.9:
                    store.get(session_id)
                else:
                    store.delete(session_id)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(store) <= 50


def test_new_session_ids_are_random_url_safe_and_valid() -> None:
    ids = {new_session_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(is_valid_session_id(session_id) and len(session_id) >= 32 for session_id in ids)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "short",
        "a" * 65,
        "../../etc/passwd-xxxxxxxx",
        "has spaces in it 1234",
        "semi;colon;0123456789",
        "é" * 20,
        "x" * 15,
    ],
)
def test_malformed_session_ids_are_refused(value: str) -> None:
    assert not is_valid_session_id(value)
