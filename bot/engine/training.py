"""Train the learned layer on the project's own corpus (tests/corpus), deterministically.

Never on ../shared/eval: that set only measures. The command refuses rows whose source is not the
project's own. The report (written beside the model) gives cross-validated figures, including
leave-one-channel-out ones, so that what the layer adds is measured on messages it was not fitted to.
scikit-learn is needed only here (the `train` extra); prediction uses `bot.engine.model` alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.engine.model import BENIGN, DEFAULT_N, MIN_N, LearnedModel, length_scale, ngrams, prepare
from bot.library.schema import LearnedSettings

OWN_SOURCES = frozenset({"own"})


@dataclass(frozen=True, slots=True)
class TrainingRow:
    id: str
    text: str  # already folded by the library's normaliser
    label: str  # "benign" or a scam type id
    lang: str
    channel: str


@dataclass(frozen=True, slots=True)
class TrainingSettings:
    """The scam layer's defaults were chosen (2026-12-05, eleventh session) by leaving whole corpus files out
    (`batch_fold`), never by the held-out or dev sets: C 4 -> 16, 60,000 -> 150,000 n-grams kept and
    n-grams of up to 5 characters instead of 4 took the layer's recall at 1% / 2% false positives on batches it
    never saw from 0.695 / 0.793 to 0.716 / 0.823 (English 0.793 -> 0.826 at 2%); C 16 and 150,000 alone gave
    0.711 / 0.807, C 1 0.670 / 0.775, English word pairs beside the characters 0.698 / 0.800. The report and
    line layers keep 1- to 4-grams (DEFAULT_N): not re-chosen."""

    regularisation: float = 16.0  # scikit-learn's C
    min_df: int = 2  # an n-gram must occur in this many messages
    max_grams: int = 150000  # kept in the shipped model (the largest weights)
    max_n: int = 5  # the longest character n-grams read (at most model.MAX_N)
    folds: int = 5


def read_training_rows(paths: Sequence[Path], fold: Callable[[str], str]) -> list[TrainingRow]:
    """Labelled rows of the project's own corpus (files, or folders of *.jsonl), folded.

    Rows of any other source are refused: the learned layer is never fitted to evaluation data.
    """
    from bot.engine.evaluate import read_rows

    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.jsonl")) if path.is_dir() else [path])
    rows: list[TrainingRow] = []
    for file in files:
        channels = _channels(file)
        for row in read_rows(file):
            if row.source not in OWN_SOURCES:
                raise ValueError(
                    f"{file}: row {row.id} has source {row.source!r}: only the project's own corpus trains"
                )
            if row.label == "spam":
                continue
            label = BENIGN if row.label == "benign" else (row.types[0] if row.types else "")
            if not label:
                raise ValueError(f"{file}: scam row {row.id} names no type")
            rows.append(TrainingRow(row.id, fold(row.text), label, row.lang, channels.get(row.id, "unknown")))
    rows.sort(key=lambda row: row.id)
    return rows


def _channels(file: Path) -> dict[str, str]:
    result: dict[str, str] = {}
    with file.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                data = json.loads(line)
                result[str(data.get("id"))] = str(data.get("channel") or "unknown")
    return result


def corpus_hash(rows: Sequence[TrainingRow]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(f"{row.id}\t{row.label}\t{row.text}\n".encode())
    return digest.hexdigest()[:16]


# scikit-learn fits the multinomial model with SciPy's L-BFGS-B, whose workspace (about 25 numbers per parameter)
# is indexed with 32-bit integers: past about 86 million parameters (classes x n-grams) the fit crashes the process
# (a segmentation fault, seen with SciPy 1.17.1 when the line layer's 217 classes met 2,592 more retellings). The
# n-grams read are capped below that, keeping the ones in the most messages (the rarest go first; only the
# `max_grams` largest weights are kept in the end anyway). The scam and report layers, with few classes, stay far below.
LBFGS_MAX_PARAMETERS = 80_000_000


def _matrix(
    texts: Sequence[str], min_df: int, max_n: int, max_features: int | None = None
) -> tuple[Any, dict[str, int]]:
    """Presence of each n-gram (seen in at least `min_df` texts; the `max_features` seen in most, if given),
    scaled by 1/sqrt(length)."""
    from scipy.sparse import diags
    from sklearn.feature_extraction.text import CountVectorizer

    analyzer = partial(ngrams, max_n=max_n)
    vectorizer = CountVectorizer(
        analyzer=analyzer, binary=True, min_df=min_df, max_features=max_features, dtype=np.float32
    )
    matrix = vectorizer.fit_transform(texts)
    scales = np.array([length_scale(text) for text in texts], dtype=np.float32)
    return diags(scales) @ matrix, dict(vectorizer.vocabulary_)


def _fit(texts: Sequence[str], labels: Sequence[str], settings: TrainingSettings) -> tuple[Any, dict[str, int]]:
    from sklearn.linear_model import LogisticRegression

    classes = len(set(labels))
    max_features = LBFGS_MAX_PARAMETERS // classes - 1 if classes > 2 else None  # two classes: one weight each
    matrix, vocabulary = _matrix(texts, settings.min_df, settings.max_n, max_features)
    benign = sum(1 for label in labels if label == BENIGN)
    scams = len(labels) - benign
    # Scam and harmless messages weigh the same in total, whatever their counts.
    scam_weight = benign / scams if scams and benign else 1.0
    weights = np.array([1.0 if label == BENIGN else scam_weight for label in labels])
    model = LogisticRegression(C=settings.regularisation, max_iter=3000, tol=1e-5)
    model.fit(matrix, labels, sample_weight=weights)
    return model, vocabulary


def _prune(model: Any, vocabulary: dict[str, int], max_grams: int, meta: dict[str, Any]) -> LearnedModel:
    """Keep the `max_grams` n-grams with the largest weights, in a fixed order (deterministic)."""
    coef = np.asarray(model.coef_, dtype=np.float32).T  # (n_grams, classes)
    classes = [str(c) for c in model.classes_]
    if coef.shape[1] == 1:  # two classes: scikit-learn keeps one column
        coef = np.hstack([-coef / 2, coef / 2])
    intercept = np.asarray(model.intercept_, dtype=np.float32)
    if intercept.shape[0] == 1:
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2], dtype=np.float32)
    strength = np.abs(coef).max(axis=1)
    keep = np.argsort(-strength, kind="stable")[:max_grams]
    keep = keep[strength[keep] > 1e-3]
    by_index = {index: gram for gram, index in vocabulary.items()}
    keep = np.array(sorted(keep, key=lambda i: by_index[int(i)]), dtype=np.intp)
    grams = [by_index[int(i)] for i in keep]
    return LearnedModel(grams, coef[keep], intercept, classes, meta)


def train(rows: Sequence[TrainingRow], settings: TrainingSettings | None = None) -> LearnedModel:
    """Fit on every row; the model's meta records what it was trained on."""
    settings = settings or TrainingSettings()
    texts = [prepare(row.text) for row in rows]
    model, vocabulary = _fit(texts, [row.label for row in rows], settings)
    meta = {
        "corpus_hash": corpus_hash(rows),
        "rows": len(rows),
        "ngram_range": [MIN_N, settings.max_n],
        "settings": {k: getattr(settings, k) for k in ("regularisation", "min_df", "max_grams", "max_n")},
    }
    return _prune(model, vocabulary, settings.max_grams, meta)


def out_of_fold(
    rows: Sequence[TrainingRow],
    settings: TrainingSettings,
    group_of: Callable[[TrainingRow], str] | None = None,
) -> npt.NDArray[np.float64]:
    """P(scam) for every row from a model that never saw it: k-fold by a stable hash of the id,
    or leave-one-group-out when `group_of` is given (e.g. the channel)."""
    if group_of is None:
        groups = [int(hashlib.md5(row.id.encode()).hexdigest(), 16) % settings.folds for row in rows]
    else:
        names = sorted({group_of(row) for row in rows})
        groups = [names.index(group_of(row)) for row in rows]
    result = np.zeros(len(rows))
    for fold in sorted(set(groups)):
        train_rows = [row for row, g in zip(rows, groups, strict=True) if g != fold]
        test_index = [i for i, g in enumerate(groups) if g == fold]
        if not train_rows or not test_index:
            continue
        model = train(train_rows, settings)
        for i in test_index:
            result[i] = model.predict(rows[i].text).scam_probability
    return result


SCAM_ITSELF = "scam"  # the report layer's other class: the message is the scam itself, not a report about one


def report_rows(
    rows: Sequence[TrainingRow], rule_points: npt.NDArray[np.float64], min_points: float
) -> list[TrainingRow]:
    """The rows the report layer learns from: those to which the rules alone give `min_points` or
    more (a warning quotes a scam's words; the layer tells it from the scam), labelled harmless or
    scam whatever their type."""
    return [
        TrainingRow(row.id, row.text, BENIGN if row.label == BENIGN else SCAM_ITSELF, row.lang, row.channel)
        for row, points in zip(rows, rule_points, strict=True)
        if points >= min_points
    ]


_CUT_OFF_GRID = np.round(np.arange(0.50, 0.995, 0.01), 2)  # where the report layer's cut-offs are looked for


def fit_report_cut_offs(
    p_report: npt.NDArray[np.float64],
    is_scam: npt.NDArray[np.bool_],
    has_cue: npt.NDArray[np.bool_],
    allowed: int,
) -> tuple[float, float]:
    """The pair of cut-offs (alone, and with an awareness cue; the second never above the first) on a
    fine grid that reads the most harmless rows (out of fold) as reports while at most `allowed` scam
    rows would be; ties go to the higher cut-offs."""
    grid = _CUT_OFF_GRID
    best: tuple[int, float, float, float] | None = None
    for alone in grid:
        reads_alone = p_report >= alone
        for with_cue in grid[grid <= alone]:
            reads = reads_alone | (has_cue & (p_report >= with_cue))
            if int(reads[is_scam].sum()) > allowed:
                continue
            key = (int(reads[~is_scam].sum()), float(alone + with_cue), float(alone), float(with_cue))
            if best is None or key[:2] > best[:2]:
                best = key
    return (best[2], best[3]) if best is not None else (0.99, 0.99)


def fit_story_cut_off(p_report: npt.NDArray[np.float64], is_scam: npt.NDArray[np.bool_], allowed: int) -> float:
    """The lowest cut-off on the same grid at which at most `allowed` of these citizens' stories that are
    scams (out of fold) would read as told afterwards; 1.0 (never) when none is low enough."""
    grid = _CUT_OFF_GRID
    fitting = [float(cut) for cut in grid if int((p_report[is_scam] >= cut).sum()) <= allowed]
    return min(fitting) if fitting else 1.0


def _wording_rows(
    entries: Sequence[tuple[str, Sequence[str]]], fold: Callable[[str], str], label: str | None
) -> list[TrainingRow]:
    """Each line's and rebuttal's own wordings (`Library.line_wordings`), folded, labelled `label` (None: by
    the entry's own id)."""
    return [
        TrainingRow(f"{entry}#{index}", fold(text), entry if label is None else label, "", "library")
        for entry, texts in entries
        for index, text in enumerate(texts)
    ]


def library_line_rows(entries: Sequence[tuple[str, Sequence[str]]], fold: Callable[[str], str]) -> list[TrainingRow]:
    """The library's own scammer lines and rebuttals as scam rows of the report layer: a news item quotes such
    lines, and the layer must learn that the lines themselves, an explaining rebuttal among them, are the scam
    talking."""
    return _wording_rows(entries, fold, SCAM_ITSELF)


def train_report_layer(
    rows: Sequence[TrainingRow],
    cues: Sequence[tuple[int, bool, bool]],
    corpus_scams: int,
    learned: LearnedSettings,
    lines: Sequence[TrainingRow] = (),
) -> tuple[LearnedModel, dict[str, Any]]:
    """The layer that tells a message about a scam (warning, news, a story told afterwards) from the
    scam itself, and its cut-offs fitted so that out of fold at most `learned.report_scam_loss` of all
    the corpus's scams (`corpus_scams`) would read as reports. `cues` gives each row's awareness cue
    count, whether a citizen tells or asks, and whether they ask: a citizen's row is left out of that fit;
    a citizen telling (not asking) has a cut-off of its own, fitted on those rows with
    `learned.report_story_scam_loss` (none when it is 0). `lines` (`library_line_rows`) are learned as
    scams too, but the cut-offs are fitted on the corpus's rows alone."""
    settings = TrainingSettings(regularisation=4.0, max_grams=30000, max_n=DEFAULT_N)
    learned_rows = [*rows, *lines]
    model = train(learned_rows, settings)
    p_all = 1.0 - out_of_fold(learned_rows, settings)
    p_report = p_all[: len(rows)]
    asked = np.array([not citizen for _, citizen, _ in cues])
    story = np.array([citizen and not question for _, citizen, question in cues])
    has_cue = np.array([count > 0 for count, _, _ in cues])
    is_scam = np.array([row.label != BENIGN for row in rows])
    allowed = int(np.floor(learned.report_scam_loss * corpus_scams))
    alone, with_cue = fit_report_cut_offs(p_report[asked], is_scam[asked], has_cue[asked], allowed)
    reads = asked & ((p_report >= alone) | (has_cue & (p_report >= with_cue)))
    result: dict[str, Any] = {
        "rows": len(rows),
        "scam_rows": int(is_scam.sum()),
        "harmless_rows": int((~is_scam).sum()),
        "citizen_rows_never_asked": int((~asked).sum()),
        "library_lines_learned_as_scams": len(lines),
        "library_lines_read_as_reports": int((p_all[len(rows) :] >= alone).sum()),
        "cut_off": alone,
        "cut_off_with_awareness_cue": with_cue,
        "out_of_fold": {
            "scams_read_as_reports": int(reads[is_scam].sum()),
            "scams_allowed": allowed,
            "harmless_read_as_reports": int(reads[~is_scam].sum()),
        },
    }
    meta: dict[str, Any] = {"report_cut_off": alone, "report_cut_off_with_cue": with_cue}
    if learned.report_story_scam_loss > 0:
        story_allowed = int(np.floor(learned.report_story_scam_loss * corpus_scams))
        cut = fit_story_cut_off(p_report[story], is_scam[story], story_allowed)
        told = story & (p_report >= cut)
        result["story_cut_off"] = cut
        result["stories"] = {
            "rows": int(story.sum()),
            "scam_rows": int((story & is_scam).sum()),
            "scams_read_as_told_afterwards": int((told & is_scam).sum()),
            "scams_allowed": story_allowed,
            "harmless_read_as_told_afterwards": int((told & ~is_scam).sum()),
        }
        meta["report_cut_off_story"] = cut
    return model.with_meta(**meta), result


LINE_BENIGN_ROWS = 1500  # ordinary messages beside the lines: n-grams every message has stop counting


def _retellings(retelling_paths: Sequence[Path], known: set[str]) -> Iterator[tuple[str, str, str, str | None]]:
    """(row id, entry, text, voice) of each retelling in `retelling_paths` (JSONL files or folders of them,
    {"entry", "text", "voice"?}; never the blind tests/paraphrases). Entry "benign" marks a message in a
    retelling's shape that retells nothing (a general question about scams: "what is a safe account?"), so
    the layer learns that asking about a scam is not the scam's line. A retelling of an entry not in `known`
    is refused, naming the file and line."""
    files: list[Path] = []
    for path in retelling_paths:
        files.extend(sorted(path.glob("*.jsonl")) if path.is_dir() else [path])
    for file in files:
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            data = json.loads(line)
            entry, text, voice = data.get("entry"), data.get("text"), data.get("voice")
            if (entry not in known and entry != BENIGN) or not isinstance(text, str) or not text.strip():
                raise ValueError(f"{file}:{number}: a retelling needs a known 'entry' and a 'text' (got {entry!r})")
            yield f"{file.stem}:{number}", entry, text, voice if isinstance(voice, str) else None


def line_rows(
    entries: Sequence[tuple[str, Sequence[str]]], retelling_paths: Sequence[Path], fold: Callable[[str], str]
) -> list[TrainingRow]:
    """The line layer's rows, labelled by entry: each entry's own wordings (`entries`: entry id and
    its texts, every language) and the retellings in `retelling_paths` (see `_retellings`; the harmless
    ones labelled "benign")."""
    rows = _wording_rows(entries, fold, None)
    known = {entry for entry, _ in entries}
    for row_id, entry, text, _ in _retellings(retelling_paths, known):
        rows.append(TrainingRow(row_id, fold(text), entry, "", "retelling"))
    return rows


def retold_scam_rows(
    entries: Sequence[tuple[str, Sequence[str]]],
    retelling_paths: Sequence[Path],
    voices: Sequence[str],
    fold: Callable[[str], str],
) -> list[TrainingRow]:
    """The retellings written in one of `voices` (the scammer's own: a call, a pasted text) as scam rows of the
    report layer, like `library_line_rows`: the scam in other words is still the scam talking."""
    wanted = set(voices)
    known = {entry for entry, _ in entries}
    return [
        TrainingRow(row_id, fold(text), SCAM_ITSELF, "", "retelling")
        for row_id, entry, text, voice in _retellings(retelling_paths, known)
        if voice in wanted and entry != BENIGN
    ]


def train_line_layer(lines: Sequence[TrainingRow], corpus: Sequence[TrainingRow]) -> LearnedModel:
    """The layer that names the line or rebuttal a message retells: `lines` (from `line_rows`) and,
    as "benign", the `LINE_BENIGN_ROWS` harmless corpus rows whose ids hash lowest. Chosen by a hash of
    the id, not every k-th row in file order: a new corpus batch then swaps in only its own share of the
    sample instead of reshuffling all of it (the thirteenth session's 870 new rows, taken every k-th,
    moved the calibration set by 2 points through the sample alone)."""
    harmless = sorted(
        (row for row in corpus if row.label == BENIGN),
        key=lambda row: hashlib.blake2b(row.id.encode(), digest_size=8).digest(),
    )
    rows = [*lines, *harmless[:LINE_BENIGN_ROWS]]
    model = train(rows, TrainingSettings(regularisation=30.0, min_df=1, max_grams=12000, max_n=DEFAULT_N))
    retellings = sum(1 for row in lines if row.channel == "retelling" and row.label != BENIGN)
    return model.with_meta(
        entries=len({row.label for row in lines if row.label != BENIGN}),
        retellings=retellings,
        harmless_retellings=sum(1 for row in lines if row.label == BENIGN),
    )


CUTOFF_GRID = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99)


def fit_bands(
    rule_points: npt.NDArray[np.float64],
    probabilities: npt.NDArray[np.float64],
    is_scam: npt.NDArray[np.bool_],
    band_points: Sequence[float],
    flag_points: float,
    false_positive_target: float,
) -> tuple[tuple[float, float], ...]:
    """Probability cut-offs for the bands, fitted as SpamAssassin re-fits its BAYES_* scores: of
    all increasing cut-offs on a fixed grid, those that flag the most scams while the model adds
    at most `false_positive_target` to the share of harmless rows the rules alone flag (if none
    can, the fewest). `rule_points` are the engine's points without the model (after the
    awareness discount); a row is flagged at `flag_points`."""
    from itertools import combinations

    benign = ~is_scam
    rules_alone = float((rule_points[benign] >= flag_points).mean()) if benign.any() else 0.0
    false_positive_target += rules_alone
    best: tuple[float, float, float, tuple[float, ...]] | None = None
    for cutoffs in combinations(CUTOFF_GRID, len(band_points)):
        added = np.zeros_like(probabilities)
        for cutoff, points in zip(cutoffs, band_points, strict=True):
            added[probabilities >= cutoff] = points
        flagged = rule_points + added >= flag_points
        false_positives = float(flagged[benign].mean()) if benign.any() else 0.0
        recall = float(flagged[is_scam].mean()) if is_scam.any() else 0.0
        within = false_positives <= false_positive_target
        # Within the target: most recall; otherwise: fewest false positives. Ties go to the
        # higher cut-offs (the fewer points the model hands out, the better).
        key = (1.0 if within else 0.0, recall if within else -false_positives, sum(cutoffs))
        if best is None or key > best[:3]:
            best = (*key, cutoffs)
    assert best is not None
    return tuple((float(c), float(p)) for c, p in zip(best[3], band_points, strict=True))


def recall_at_fpr(
    probabilities: npt.NDArray[np.float64], is_scam: npt.NDArray[np.bool_], fpr: float
) -> dict[str, float]:
    """The threshold that flags at most `fpr` of the harmless rows, and the recall it gives."""
    benign = np.sort(probabilities[~is_scam])[::-1]
    allowed = int(np.floor(fpr * len(benign)))
    threshold = float(benign[allowed]) + 1e-9 if allowed < len(benign) else 0.0
    flagged = probabilities >= threshold
    return {
        "threshold": round(threshold, 4),
        "recall": round(float(flagged[is_scam].mean()) if is_scam.any() else 0.0, 4),
        "false_positive_rate": round(float(flagged[~is_scam].mean()) if (~is_scam).any() else 0.0, 4),
    }


def report(
    rows: Sequence[TrainingRow],
    settings: TrainingSettings,
    kfold: npt.NDArray[np.float64] | None = None,
) -> dict[str, Any]:
    """Cross-validated figures of the layer alone: k-fold (`kfold`, if already computed),
    leave-one-channel-out (trained without a channel, measured on it) and leave-batches-out (whole corpus
    files held out together, `batch_fold`)."""
    is_scam = np.array([row.label != BENIGN for row in rows])
    result: dict[str, Any] = {"rows": len(rows), "scams": int(is_scam.sum()), "corpus_hash": corpus_hash(rows)}
    if kfold is None:
        kfold = out_of_fold(rows, settings)
    result["kfold"] = {f"at_fpr_{p}": recall_at_fpr(kfold, is_scam, p) for p in (0.01, 0.02)}
    # Each channel's rows predicted by a model trained without that channel: how the layer does
    # on a kind of message it has never seen, at the threshold that keeps 2% false positives overall.
    by_channel = out_of_fold(rows, settings, group_of=lambda row: row.channel)
    overall = recall_at_fpr(by_channel, is_scam, 0.02)
    threshold = overall["threshold"]
    channels: dict[str, dict[str, float]] = {}
    for channel in sorted({row.channel for row in rows}):
        mask = np.array([row.channel == channel for row in rows])
        scams, harmless = mask & is_scam, mask & ~is_scam
        channels[channel] = {
            "rows": int(mask.sum()),
            "recall": round(float((by_channel[scams] >= threshold).mean()), 4) if scams.any() else -1.0,
            "false_positive_rate": round(float((by_channel[harmless] >= threshold).mean()), 4)
            if harmless.any()
            else -1.0,
        }
    result["leave_one_channel_out"] = {"at_fpr_0.02": overall, "by_channel": channels}
    # Whole corpus files (each one helper's batch, one style) left out together: the nearest the corpus
    # comes to messages from a source never seen, and what the settings above were chosen by.
    by_batch = out_of_fold(rows, settings, group_of=lambda row: str(batch_fold(row, settings.folds)))
    result["leave_batches_out"] = {f"at_fpr_{p}": recall_at_fpr(by_batch, is_scam, p) for p in (0.01, 0.02)}
    return result


def batch_fold(row: TrainingRow, folds: int) -> int:
    """The fold of the corpus file a row comes from (its id is "own:<file>:<n>"), by a stable hash."""
    parts = row.id.split(":")
    batch = parts[1] if len(parts) > 2 else row.id
    return int(hashlib.md5(batch.encode()).hexdigest(), 16) % folds


def dump_report(result: dict[str, Any]) -> str:
    return json.dumps(result, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
