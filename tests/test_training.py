"""The learned layer: trained only on the project's own corpus, deterministically, with bands fitted
to a false-positive target; prediction needs no scikit-learn and explains itself with spans."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.engine import Engine
from bot.model import LearnedModel, ngrams, prepare
from bot.training import TrainingSettings, fit_bands, read_training_rows, train

CORPUS = Path(__file__).parent / "corpus"
SMALL = TrainingSettings(regularisation=4.0, min_df=1, max_grams=5000)


def _sample(engine: Engine, per_file: int = 25) -> list:  # type: ignore[type-arg]
    rows = read_training_rows(sorted(CORPUS.glob("*.jsonl")), engine.normaliser.fold_pattern)
    by_file: dict[str, list] = {}  # type: ignore[type-arg]
    for row in rows:
        by_file.setdefault(row.id.split(":")[1], []).append(row)
    return [row for file_rows in by_file.values() for row in file_rows[:per_file]]


def test_training_twice_on_the_same_rows_gives_the_same_model(engine: Engine) -> None:
    rows = _sample(engine)
    first, second = train(rows, SMALL), train(rows, SMALL)
    assert first.size == second.size and first.size > 0
    text = engine.normaliser.fold_pattern("兼职刷单，日结佣金，先垫付再返现")
    assert first.predict(text) == second.predict(text)
    assert first.meta["corpus_hash"] == second.meta["corpus_hash"]


def test_only_the_projects_own_rows_train(tmp_path: Path, engine: Engine) -> None:
    foreign = tmp_path / "borrowed.jsonl"
    foreign.write_text(
        json.dumps({"id": "x:1", "text": "hello", "label": "benign", "types": [], "source": "dev", "lang": "en"})
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="only the project's own corpus trains"):
        read_training_rows([foreign], engine.normaliser.fold_pattern)


def test_a_saved_model_predicts_the_same_after_loading(tmp_path: Path, engine: Engine) -> None:
    model = train(_sample(engine, 15), SMALL).with_meta(bands=[[0.5, 1.0]])
    model.save(tmp_path / "m.npz")
    loaded = LearnedModel.load(tmp_path / "m.npz")
    text = engine.normaliser.fold_pattern("Your parcel is on hold, pay the redelivery fee at usps-help.top")
    assert abs(loaded.predict(text).scam_probability - model.predict(text).scam_probability) < 1e-2
    assert loaded.bands == ((0.5, 1.0),)


def test_a_broken_model_file_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "m.npz"
    broken.write_bytes(b"not a model")
    with pytest.raises(ValueError, match="cannot read the model"):
        LearnedModel.load(broken)


def test_prediction_finds_exactly_the_models_ngrams(engine: Engine) -> None:
    model = engine.library.model
    assert model is not None
    vocabulary = {gram: index for index, gram in enumerate(model._grams)}
    for text in ("进群领福利 稳赚不赔 加V", "Hi Mum, this is my new number, can you send £200?", "", "a"):
        prepared = prepare(engine.normaliser.fold_pattern(text))
        expected = {vocabulary[g] for g in ngrams(prepared) if g in vocabulary}
        rows, _, _ = model._known(prepared)
        assert set(rows.tolist()) == expected


def test_the_bands_keep_false_positives_within_the_target() -> None:
    rng = np.random.default_rng(0)
    is_scam = np.array([True] * 500 + [False] * 500)
    probabilities = np.concatenate([rng.uniform(0.3, 1.0, 500), rng.uniform(0.0, 0.7, 500)])
    rule_points = np.where(is_scam, rng.uniform(0, 3, 1000), rng.uniform(0, 1, 1000))
    bands = fit_bands(rule_points, probabilities, is_scam, [1.0, 2.0, 3.0], 2.4, 0.01)
    added = np.zeros(1000)
    for cutoff, points in bands:
        added[probabilities >= cutoff] = points
    flagged = rule_points + added >= 2.4
    rules_alone = (rule_points[~is_scam] >= 2.4).mean()
    assert flagged[~is_scam].mean() <= rules_alone + 0.01
    assert flagged[is_scam].mean() > (rule_points[is_scam] >= 2.4).mean()  # the layer adds recall


def test_the_shipped_model_is_calibrated_and_names_library_types(engine: Engine) -> None:
    model = engine.library.model
    assert model is not None and model.bands
    type_ids = {scam_type.id for scam_type in engine.library.types}
    assert set(model.classes) - {"benign"} <= type_ids


def test_model_evidence_points_at_the_citizens_words(engine: Engine) -> None:
    text = "💰兼职刷单💰 手机就能做，一单佣金5元，日结，先垫付后返还，加V：ab12345"
    verdict = engine.analyse(text)
    model_evidence = [item for item in verdict.evidence if item.kind == "model"]
    assert model_evidence, verdict.evidence
    for item in model_evidence:
        start, end = item.span
        assert text[start:end] == item.text and item.text.strip()
        assert "刷单" in item.why or "click" in item.why.lower() or "兼职" in item.why
