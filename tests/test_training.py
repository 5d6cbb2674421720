"""The learned layer: trained only on the project's own corpus, deterministically, with bands fitted
to a false-positive target; prediction needs no scikit-learn and explains itself with spans."""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.cli import main
from bot.engine.model import MAX_N, LearnedModel, NGramText, length_scale, ngrams, prepare
from bot.engine.pipeline import Engine
from bot.engine.training import TrainingSettings, batch_fold, fit_bands, read_training_rows, train
from bot.library.loader import DEFAULT_LIBRARY

CORPUS = Path(__file__).parent / "corpus"
SMALL = TrainingSettings(regularisation=4.0, min_df=1, max_grams=5000, max_n=4)


def _sample(engine: Engine, per_file: int = 25) -> list:  # type: ignore[type-arg]
    rows = read_training_rows(sorted(CORPUS.glob("*.jsonl")), engine.normaliser.fold_pattern)
    by_file: dict[str, list] = {}  # type: ignore[type-arg]
    for row in rows:
        by_file.setdefault(row.id.split(":")[1], []).append(row)
    return [row for file_rows in by_file.values() for row in file_rows[:per_file]]


def test_training_twice_on_the_same_rows_gives_the_same_model(engine: Engine) -> None:
    rows = _sample(engine, per_file=10)  # determinism needs no more: a tenth of the suite's time went here
    first, second = train(rows, SMALL), train(rows, SMALL)
    assert first.size == second.size and first.size > 0
    text = engine.normaliser.fold_pattern("兼职刷单，日结佣金，先垫付再返现")
    assert first.predict(text) == second.predict(text)
    assert first.meta["corpus_hash"] == second.meta["corpus_hash"]


def test_leaving_batches_out_keeps_each_corpus_file_whole(engine: Engine) -> None:
    """The settings are chosen on files the layer never saw: every row of a file falls in the same fold,
    and the files spread over all the folds."""
    rows = _sample(engine, per_file=5)
    folds_of_file: dict[str, set[int]] = {}
    for row in rows:
        folds_of_file.setdefault(row.id.split(":")[1], set()).add(batch_fold(row, 5))
    assert all(len(folds) == 1 for folds in folds_of_file.values())
    assert set().union(*folds_of_file.values()) == set(range(5))


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


def test_a_model_file_names_the_ngram_lengths_it_reads(tmp_path: Path, engine: Engine) -> None:
    """Layers may read different lengths (the scam layer up to 5 characters, the others 4); a file asking
    for lengths this code cannot read is refused when loaded, naming them."""
    rows = _sample(engine, per_file=3)
    longer = train(rows, TrainingSettings(regularisation=4.0, min_df=1, max_grams=5000, max_n=5))
    assert longer.max_n == 5 and longer.meta["ngram_range"] == [1, 5]
    assert max(len(gram) for gram in longer.grams) == 5
    assert train(rows, SMALL).max_n == 4
    path = tmp_path / "model.npz"
    longer.save(path)
    with np.load(path) as data:
        arrays = {name: data[name] for name in data.files}
    arrays["meta"] = np.array(json.dumps({**longer.meta, "ngram_range": [1, 9]}))
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=r"ngram_range \[1, 9\]"):
        LearnedModel.load(path)


def test_prediction_finds_exactly_the_models_ngrams(engine: Engine) -> None:
    model = engine.library.model
    assert model is not None
    vocabulary = {gram: index for index, gram in enumerate(model.grams)}
    for text in ("进群领福利 稳赚不赔 加V", "Hi Mum, this is my new number, can you send £200?", "", "a"):
        prepared = prepare(engine.normaliser.fold_pattern(text))
        expected = {vocabulary[g] for g in ngrams(prepared, model.max_n) if g in vocabulary}
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


# --- prediction is exactly the model's n-grams, computed cheaply (issue 13) -----------------------


@functools.cache
def _vocabulary(model: LearnedModel) -> dict[str, int]:
    """Each n-gram of the model's vocabulary and its row (built once per model: 150,000 n-grams)."""
    return {gram: index for index, gram in enumerate(model.grams)}


def _exact_known(model: LearnedModel, text: str) -> tuple[list[int], list[int], list[int]]:
    """(row, start, length) of every n-gram of the vocabulary in the prepared text, 1-grams first:
    the training analyzer's own n-grams looked up by string, no hashing."""
    vocabulary = _vocabulary(model)
    found: tuple[list[int], list[int], list[int]] = ([], [], [])
    for length in range(1, model.max_n + 1):
        for start in range(len(text) - length + 1):
            row = vocabulary.get(text[start : start + length])
            if row is not None:
                found[0].append(row)
                found[1].append(start)
                found[2].append(length)
    return found


def _reference_prediction(model: LearnedModel, folded: str) -> tuple[float, str | None]:
    """The probabilities as first written: np.unique of the rows, then the same row sum."""
    text = prepare(folded)
    if not text:
        return 0.0, None
    rows = np.array(_exact_known(model, text)[0], dtype=np.intp)
    logits = model._intercept.astype(np.float64)
    if len(rows):
        present = np.unique(rows)
        logits = logits + np.add.reduce(model._weights.take(present, axis=0), axis=0) * length_scale(text)
    logits -= logits.max()
    probabilities = np.exp(logits)
    probabilities /= probabilities.sum()
    benign = float(probabilities[model._benign])
    probabilities[model._benign] = -1.0
    return 1.0 - benign, model.classes[int(probabilities.argmax())]


def _reference_spans(model: LearnedModel, folded: str, scam_type: str) -> list[tuple[int, int, float]]:
    """The spans' n-grams chosen as first written (np.unique with return_index, numpy scalars); how
    the chosen pieces are merged and shown is the model's own `_shown_spans`."""
    from bot.engine.model import _shown_spans

    text = prepare(folded)
    rows, starts, lengths = (np.array(part, dtype=np.intp) for part in _exact_known(model, text))
    if not text or not len(rows):
        return []
    _, first = np.unique(rows, return_index=True)
    rows, starts, lengths = rows[first], starts[first], lengths[first]
    weights, benign = model._weights, model.classes.index("benign")
    lift = weights[rows, model.classes.index(scam_type)] - weights[rows, benign]
    lift[lengths < 2] = 0.0  # single characters are never shown, so they never take a candidate's place
    order = np.argsort(-lift)[:18]
    pieces = sorted(
        (int(starts[i]), int(starts[i] + lengths[i]), float(lift[i]))
        for i in order
        if lift[i] > 0 and text[starts[i] : starts[i] + lengths[i]].strip()
    )
    return [(span.start, span.end, span.weight) for span in _shown_spans(folded, text, pieces, 3)]


def _sample_texts(engine: Engine) -> list[str]:
    texts = [
        json.loads(line)["text"]
        for path in sorted(CORPUS.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()[:12]
        if line.strip()
    ]
    joined = "\n".join(texts)
    # Short and long (more rows than the sorting path takes, and past the model's reading limit).
    texts += [joined[:600], joined[:2500], joined[:9000], "", " ", "a", "ab", "  x  "]
    return [engine.normaliser.normalise(text).text for text in texts]


def test_prediction_equals_the_reference_computation_bit_for_bit(engine: Engine) -> None:
    model = engine.library.model
    assert model is not None
    for folded in _sample_texts(engine):
        prediction = model.predict(folded)
        expected = _reference_prediction(model, folded)
        assert (prediction.scam_probability, prediction.top_type) == expected, folded[:80]
        rows, starts, lengths = model._known(prepare(folded))
        assert (rows.tolist(), starts.tolist(), lengths.tolist()) == _exact_known(model, prepare(folded))


def test_every_layer_reads_the_same_through_the_shared_index_as_through_its_own_table(engine: Engine) -> None:
    """The engine finds a message's n-grams once for all three layers (the library's `NGramIndex`);
    each layer's probabilities and spans are bit for bit what its own table gives."""
    library = engine.library
    index = library.ngram_index
    layers = [layer for layer in (library.model, library.report_model, library.line_model) if layer is not None]
    assert index is not None and len(layers) == 3
    for folded in _sample_texts(engine):
        shared = NGramText.of(folded, MAX_N, index)
        for layer in layers:
            if shared.found is not None:  # the layer really reads through the index, not its own table
                assert index.rows_of(layer, shared.found[1], shared.found[2]) is not None
            layer._last = None
            through_index = layer.ranked(shared, count=3)
            spans_through_index = layer.spans(shared, layer.classes[-1])
            layer._last = None
            assert layer.ranked(folded, count=3) == through_index, folded[:80]
            assert layer.spans(folded, layer.classes[-1]) == spans_through_index, folded[:80]
        if folded.strip():
            assert shared.found is not None and len(shared.found[1]) > 0
    # A layer the index was not built over (a library whose layer was replaced) reads with its own table.
    other = library.model.with_meta(note="replaced")  # type: ignore[union-attr]
    text = _sample_texts(engine)[0]
    assert other.predict(NGramText.of(text, MAX_N, index)) == other.predict(text)


def test_model_spans_equal_the_reference_computation(engine: Engine) -> None:
    model = engine.library.model
    assert model is not None
    for folded in _sample_texts(engine):
        for scam_type in model.classes:
            model.predict(folded)  # as the engine calls it: the lookup is remembered for the spans
            found = [(span.start, span.end, span.weight) for span in model.spans(folded, scam_type)]
            assert found == _reference_spans(model, folded, scam_type), (scam_type, folded[:80])
            model._last = None  # and without the remembered lookup
            again = [(span.start, span.end, span.weight) for span in model.spans(folded, scam_type)]
            assert again == found


def test_the_hash_table_finds_exactly_the_stored_hashes_even_where_unused_slots_could_match() -> None:
    from bot.engine.model import _FIBONACCI, _HashTable

    # Hashes whose rest (hash x _FIBONACCI below the bucket bits) is 0 compare equal to unused slots.
    inverse = pow(int(_FIBONACCI), -1, 2**64)
    rng = np.random.default_rng(7)
    stored = [int(x) for x in rng.integers(0, 2**63, size=1000, dtype=np.uint64)]
    bits = 10  # the table's bucket bits for 1000 hashes
    zero_rest = [((bucket << (64 - bits)) * inverse) % 2**64 for bucket in range(12)]
    stored += zero_rest[:6]  # some stored, some not
    table = _HashTable(np.array(stored, dtype=np.uint64))
    assert table._shift == np.uint64(64 - bits)
    queries = [*stored[::7], *zero_rest, 0, 1, 2**64 - 1, *(int(x) for x in rng.integers(0, 2**63, 50, np.uint64))]
    positions, rows = table.find(np.array(queries, dtype=np.uint64))
    row_of = {value: row for row, value in enumerate(stored)}
    expected = [(index, row_of[query]) for index, query in enumerate(queries) if query in row_of]
    assert list(zip(positions.tolist(), rows.tolist(), strict=True)) == expected


def test_vocabulary_hashes_are_the_rolling_hashes() -> None:
    from bot.engine.model import _vocabulary_hashes, gram_hash

    grams = ["a", "ab", "abc", "abcd", "安全", "安全账户", "£20", "\U0001f4b0x", ""]
    assert _vocabulary_hashes(grams).tolist() == [gram_hash(gram) for gram in grams]


def test_a_pickled_model_keeps_no_message_and_predicts_the_same(engine: Engine) -> None:
    import pickle

    model = engine.library.model
    assert model is not None
    text = engine.normaliser.fold_pattern("兼职刷单，日结佣金，先垫付再返现")
    expected = model.predict(text), model.spans(text, "click_farming")
    copy = pickle.loads(pickle.dumps(model))
    assert copy._last is None
    assert (copy.predict(text), copy.spans(text, "click_farming")) == expected
    assert np.array_equal(copy._weights, model._weights)


def test_the_report_layers_cut_offs_keep_scams_read_as_reports_within_the_budget() -> None:
    from bot.engine.training import fit_report_cut_offs

    rng = np.random.default_rng(1)
    is_scam = np.array([True] * 900 + [False] * 300)
    p_report = np.concatenate([rng.beta(1, 8, 900), rng.beta(6, 2, 300)])
    has_cue = np.concatenate([rng.random(900) < 0.1, rng.random(300) < 0.6])
    alone, with_cue = fit_report_cut_offs(p_report, is_scam, has_cue, allowed=5)
    assert with_cue <= alone
    reads = (p_report >= alone) | (has_cue & (p_report >= with_cue))
    assert int(reads[is_scam].sum()) <= 5
    # a cue lets the lower cut-off read more of the harmless rows than the single cut-off could
    single = min(c for c in np.round(np.arange(0.5, 0.995, 0.01), 2) if int((p_report[is_scam] >= c).sum()) <= 5)
    assert int(reads[~is_scam].sum()) >= int((p_report[~is_scam] >= single).sum())


def test_a_citizens_story_cut_off_is_the_lowest_that_keeps_its_scams_within_the_budget() -> None:
    from bot.engine.training import fit_story_cut_off

    p_report = np.array([0.97, 0.93, 0.91, 0.72, 0.55, 0.99, 0.95, 0.90, 0.86, 0.60])
    is_scam = np.array([True] * 5 + [False] * 5)
    assert fit_story_cut_off(p_report, is_scam, allowed=0) == 0.98  # above every scam's reading
    assert fit_story_cut_off(p_report, is_scam, allowed=2) == 0.92  # two scams (0.97, 0.93) may be read so
    assert fit_story_cut_off(np.array([0.999]), np.array([True]), allowed=0) == 1.0  # none low enough: never


def test_the_shipped_report_layer_has_fitted_cut_offs_and_two_classes(engine: Engine) -> None:
    about = engine.library.report_model
    assert about is not None and about.cut_offs is not None
    alone, with_cue = about.cut_offs
    assert 0.5 <= with_cue <= alone < 1.0
    assert set(about.classes) == {"benign", "scam"}
    # A citizen's own story has its cut-off too (library.yaml's report_story_scam_loss is above 0).
    assert about.story_cut_off is not None and 0.5 <= about.story_cut_off <= 1.0


def test_report_rows_keep_only_messages_with_scam_words_and_relabel_them(engine: Engine) -> None:
    from bot.engine.training import SCAM_ITSELF, report_rows

    rows = _sample(engine, 5)
    points = np.array([float(i % 3) for i in range(len(rows))])
    kept = report_rows(rows, points, 1.0)
    assert len(kept) == int((points >= 1.0).sum())
    assert {row.label for row in kept} <= {"benign", SCAM_ITSELF}


def test_only_retellings_in_the_scammers_voice_are_learned_as_the_scam_itself(tmp_path: Path) -> None:
    from bot.engine.training import SCAM_ITSELF, retold_scam_rows

    retellings = tmp_path / "retold.jsonl"
    rows = [
        {"entry": "a.lines.b", "voice": "call", "text": "Sir, your account is frozen, move the money now"},
        {"entry": "a.lines.b", "voice": "police_statement", "text": "The caller told the victim to move money"},
        {"entry": "a.lines.b", "text": "no voice named"},
        {"entry": "a.lines.b", "voice": "pasted", "text": "您的账户已冻结，请立即转账"},
    ]
    retellings.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    learned = retold_scam_rows([("a.lines.b", ["wording"])], [retellings], ["call", "pasted"], str.lower)
    assert [row.text for row in learned] == [rows[0]["text"].lower(), rows[3]["text"]]
    assert {row.label for row in learned} == {SCAM_ITSELF}
    assert [row.id for row in learned] == ["retold:1", "retold:4"]
    retellings.write_text(json.dumps({"entry": "x.lines.y", "voice": "call", "text": "t"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"retold\.jsonl:1"):
        retold_scam_rows([("a.lines.b", ["wording"])], [retellings], ["call"], str.lower)


def test_a_harmless_question_beside_the_retellings_is_learned_as_harmless_never_as_a_line(tmp_path: Path) -> None:
    from bot.engine.training import line_rows, retold_scam_rows

    retellings = tmp_path / "questions.jsonl"
    rows = [
        {"entry": "a.lines.b", "voice": "call", "text": "Sir, move the money now"},
        {"entry": "benign", "voice": "call", "text": "what is a safe account"},
    ]
    retellings.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    read = line_rows([("a.lines.b", ["wording"])], [retellings], str.lower)
    assert [(row.text, row.label) for row in read if row.channel == "retelling"] == [
        ("sir, move the money now", "a.lines.b"),
        ("what is a safe account", "benign"),
    ]
    # Even in a voice the report layer learns as the scam talking, a harmless question is not the scam.
    learned = retold_scam_rows([("a.lines.b", ["wording"])], [retellings], ["call"], str.lower)
    assert [row.text for row in learned] == ["sir, move the money now"]


def test_a_message_hashed_once_reads_the_same_in_every_model(engine: Engine) -> None:
    """The engine hashes a message's n-grams once for its three learned models (NGramText)."""
    from bot.engine.model import NGramText

    library = engine.library
    text = engine.normaliser.fold_pattern("你好，我是公安局的，你的身份证涉嫌洗钱，请把钱转到安全账户配合调查")
    for model in (library.model, library.report_model, library.line_model):
        assert model is not None
        model._last = None
        alone = model.predict(text), model.ranked(text, 3), model.spans(text, model.predict(text).top_type)
        model._last = None
        read = NGramText.of(text)
        assert (model.predict(read), model.ranked(read, 3), model.spans(read, model.predict(read).top_type)) == alone


def test_training_with_keep_lines_refits_the_scam_and_report_layers_and_leaves_the_line_layer(tmp_path: Path) -> None:
    """`antifraud train --keep-lines`: the line layer (the slowest to train) stays byte for byte as it was."""
    library = tmp_path / "library"
    shutil.copytree(DEFAULT_LIBRARY, library)
    corpus = tmp_path / "corpus.jsonl"
    lines = []
    for name in ("scams_fake_authority.jsonl", "lookalike_warning_posts.jsonl", "ordinary_en.jsonl"):
        lines += (CORPUS / name).read_text(encoding="utf-8").splitlines()[:40]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = library / "model"
    before = {name: (model / name).read_bytes() for name in ("line_model.npz", "scam_model.npz", "report_model.npz")}

    assert main(["train", "--library", str(library), "--no-report", "--keep-lines", str(corpus)]) == 0

    assert (model / "line_model.npz").read_bytes() == before["line_model.npz"]
    assert (model / "scam_model.npz").read_bytes() != before["scam_model.npz"]
    assert (model / "report_model.npz").read_bytes() != before["report_model.npz"]
    retrained = LearnedModel.load(model / "scam_model.npz")
    assert retrained.bands  # fitted to the library's false-positive target, as a full training does


def test_a_many_class_layer_reads_no_more_ngrams_than_the_optimiser_can_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """SciPy's L-BFGS-B indexes its workspace with 32-bit integers: a fit with too many parameters (classes x
    n-grams) crashed `antifraud train` with a segmentation fault. The n-grams a many-class layer reads are capped
    (the ones in the most messages stay)."""
    from bot.engine import training

    texts = [f"message number {i} about topic {i % 3} and more words {i * 7}" for i in range(60)]
    labels = [f"class{i % 3}" for i in range(60)]
    settings = TrainingSettings(min_df=1, max_n=3)
    monkeypatch.setattr(training, "LBFGS_MAX_PARAMETERS", 10**9)
    _, everything = training._fit(texts, labels, settings)
    monkeypatch.setattr(training, "LBFGS_MAX_PARAMETERS", 3 * 200)
    _, capped = training._fit(texts, labels, settings)
    assert len(everything) > 200 and len(capped) == 200 - 1
    assert set(capped) <= set(everything)
