"""Starting fast without changing a verdict (issue 13): what building an engine derives from the
library's files is cached beside the compiled library and loaded back; verdict texts are rendered
when first needed. No timing assertions: only that the shortcuts give the same results."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest

from bot.channels.web.services import build_services
from bot.channels.web.settings import Settings
from bot.engine import memo
from bot.engine.budget import Budget
from bot.engine.pipeline import Engine
from bot.library.cache import load_engine_cached, load_library_cached
from bot.library.loader import Library

MESSAGES = [
    "公安局说你涉嫌洗钱，把钱转到安全账户",
    "Hi Mum, this is my new number, can you send £200?",
    "💰兼职刷单💰 手机就能做，一单佣金5元，日结，先垫付后返还，加V：ab12345",
    "明天下午三点开会，记得带电脑",
    "Your parcel is on hold, pay the redelivery fee at usps-help.top",
]


def _forget_everything() -> None:
    for remembered in memo._MEMOS.values():
        remembered._values.clear()


def _verdicts(engine: Engine) -> list[str]:
    regions = [region.id for region in engine.library.regions.regions]
    # No time budget: a first use (a regex compiled, a table loaded) on a busy machine must not cut one short.
    return [repr(engine.analyse(text, region=region, budget=Budget(None))) for text in MESSAGES for region in regions]


def test_engine_pieces_come_back_from_the_cache_with_the_same_verdicts(
    library_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: Engine
) -> None:
    monkeypatch.setenv("ANTIFRAUD_CACHE_DIR", str(tmp_path / "cache"))
    load_library_cached(library_copy)  # written: the library and what an engine build derived from it
    _forget_everything()
    library = load_library_cached(library_copy)  # read back
    sizes = {name: len(remembered) for name, remembered in memo._MEMOS.items()}
    assert sizes["prefilter.required_literals"] > 100
    assert sizes["normalise.table"] == 1
    assert sizes["normalise.fold_pattern"] > 1000
    assert sizes["links.public_suffixes"] == 1
    from_cache = Engine(library)
    _forget_everything()
    from_files = Engine(dataclasses.replace(library))  # everything computed again
    assert _verdicts(from_cache) == _verdicts(from_files)


def test_messages_are_never_remembered(engine: Engine) -> None:
    folded = memo._MEMOS["normalise.fold_pattern"]
    before = len(folded)
    engine.normaliser.fold_pattern("a citizen's own words, 13800138000, not the library's")
    engine.analyse("another message the service was sent")
    assert len(folded) == before


def test_a_built_engine_comes_back_from_the_cache_until_the_files_change(
    library_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service and the CLI unpickle the engine built at an earlier start; a changed knowledge file (or
    code) is a different key, so an edit is never answered by a stale engine."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("ANTIFRAUD_CACHE_DIR", str(cache))
    built = load_engine_cached(library_copy)  # built, and written beside the library
    assert len(list(cache.glob("engine-*.pickle"))) == 1
    loaded = load_engine_cached(library_copy)
    assert loaded is not built and loaded.library is not built.library
    assert _verdicts(loaded) == _verdicts(built)  # the first call built it from the files
    signals = library_copy / "signals.yaml"
    signals.write_text(signals.read_text(encoding="utf-8").replace("安全账户", "安全帐目"), encoding="utf-8")
    edited = load_engine_cached(library_copy)  # a new key: built again from the edited files
    assert "安全帐目" in repr(edited.library.signals) and "安全帐目" not in repr(loaded.library.signals)
    assert len(list(cache.glob("engine-*.pickle"))) == 1  # only the current entry is kept


def test_a_recorded_build_keeps_what_it_used(library: Library) -> None:
    _forget_everything()
    with memo.recording() as entries:
        Engine(library)
    assert set(entries) == {
        "prefilter.required_literals",
        "normalise.table",
        "normalise.fold_pattern",
        "links.public_suffixes",
    }
    assert len(memo._MEMOS["normalise.fold_pattern"]) == len(entries["normalise.fold_pattern"])


def test_a_recording_keeps_only_the_recording_threads_work(library: Library) -> None:
    """A reload records while requests are served: a citizen's message folded by another thread meanwhile must
    never reach the cache file."""
    engine = Engine(library)
    citizen = "my own words, 13800138000, written to the service during a reload"
    with memo.recording() as entries:
        other = threading.Thread(target=engine.normaliser.fold_pattern, args=(citizen,))
        other.start()
        other.join()
        engine.normaliser.fold_pattern("安全账户")
    recorded = entries["normalise.fold_pattern"]
    assert any(text == "安全账户" for _, text in recorded)
    assert not any(text == citizen for _, text in recorded)


def test_the_conversations_words_come_back_from_the_cache(
    library_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The FAQ index and the dialogue fold some 3,000 words of the files at every start: the first start records
    them beside the engine, later ones read them back, and the replies are the same."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("ANTIFRAUD_CACHE_DIR", str(cache))
    settings = Settings(library_path=library_copy, state_dir="off", sms_salt="s")
    first = build_services(settings)
    (entry,) = cache.glob("pieces-conversation-*.pickle")
    _forget_everything()
    second = build_services(settings)
    assert len(memo._MEMOS["normalise.fold_pattern"]) > 1000  # read back, not folded again
    for message in ("公安局说你涉嫌洗钱，把钱转到安全账户", "what is a safe account?", "我已经转了两万"):
        assert first.dialogue.handle(None, message)[1] == second.dialogue.handle(None, message)[1]
    assert list(cache.glob("pieces-conversation-*.pickle")) == [entry]  # the same key: not written again


def test_verdict_texts_are_rendered_when_first_needed(library: Library) -> None:
    engine = Engine(library)
    assert not engine.verdicts._rendered  # nothing rendered at start-up
    verdict = engine.analyse(MESSAGES[0], region=library.regions.default)
    assert verdict.subtype is not None and verdict.advice.before
    assert set(engine.verdicts._rendered) == {(verdict.subtype, verdict.lang, library.regions.default)}
    with pytest.raises(KeyError):
        engine.verdicts.rendered(None, "xx", library.regions.default)


def test_side_files_come_back_from_the_cache_until_they_change(
    library_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.conversation.phrases import QuestionsFile
    from bot.library.loader import Problem, load_library, load_side_file

    monkeypatch.setenv("ANTIFRAUD_CACHE_DIR", str(tmp_path / "cache"))
    library = load_library(library_copy)
    problems: list[Problem] = []
    first = load_side_file(library, "questions.yaml", QuestionsFile, problems)
    assert first is not None and not problems
    (entry,) = (tmp_path / "cache").glob("side-questions-*.pickle")
    again = load_side_file(library, "questions.yaml", QuestionsFile, problems)
    assert again == first and again is not first  # read back from the pickle
    path = library_copy / "questions.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert load_side_file(library, "questions.yaml", QuestionsFile, problems) == first
    assert [p.name for p in (tmp_path / "cache").glob("side-questions-*.pickle")] != [entry.name]
    path.write_text("entries: [", encoding="utf-8")  # broken: named, never cached
    assert load_side_file(library, "questions.yaml", QuestionsFile, problems) is None
    assert problems and "questions.yaml" in problems[0].file


def test_a_service_without_redis_never_imports_it() -> None:
    """redis-py costs ~85 ms of every start; a deployment with no Redis URL must not pay it."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from bot.channels.web.app import create_app\n"
        "from bot.channels.web.settings import Settings\n"
        "create_app(Settings(redis_url=''))\n"
        "assert 'redis' not in sys.modules, sorted(m for m in sys.modules if m.startswith('redis'))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_warming_up_changes_no_verdict() -> None:
    """`Engine.warm_up` (run beside a service's first requests) only builds what is built on first use."""
    library = load_library_cached()
    fresh, warmed = Engine(library), Engine(library)
    warmed.warm_up()
    for text in MESSAGES:
        first = fresh.analyse(text, budget=Budget(seconds=None))
        second = warmed.analyse(text, budget=Budget(seconds=None))
        assert [(e.kind, e.entry, e.span) for e in first.evidence] == [
            (e.kind, e.entry, e.span) for e in second.evidence
        ]
        assert (first.risk, first.score) == (second.risk, second.score)
