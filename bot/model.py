"""The learned layer: a character n-gram linear model, one more weighted and explained piece of
evidence among the hand-written rules (SpamAssassin's BAYES rules play the same part there).

Training (`bot.training`, scikit-learn) fits a multinomial logistic regression over the presence of
character 1-4-grams of the folded text, scaled by 1/sqrt(length); only the n-grams whose weights
matter are kept. Prediction needs no scikit-learn and no Python loop over characters: every n-gram
of the message gets a 64-bit rolling hash in a few numpy operations, a binary search in the sorted
hashes of the kept n-grams finds the known ones (exactly: a hash is compared with the n-gram's own),
and a row sum gives the class scores. The n-grams that pushed hardest towards the predicted type
are the spans shown to the citizen.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

BENIGN = "benign"
MIN_N, MAX_N = 1, 4
# The model reads at most this many folded characters (the head and the tail of a long paste):
# a 64 KB log costs the same as a 6 KB one, and the rules still read everything.
MAX_CHARS = 6000
_SPACE_RUN = re.compile(r"\s+")


def prepare(folded: str) -> str:
    """The exact text both training and prediction take n-grams from."""
    text = _SPACE_RUN.sub(" ", folded).strip()
    if len(text) > MAX_CHARS:
        head = MAX_CHARS * 3 // 4
        text = text[:head] + " " + text[-(MAX_CHARS - head - 1) :]
    return text


def length_scale(text: str) -> float:
    """Presence features are divided by sqrt(length): a long text is not evidence by itself."""
    return 1.0 / math.sqrt(max(len(text), 16))


_MULTIPLIER_INT = 0x100000001B3  # FNV-1a's 64-bit prime; arithmetic wraps modulo 2**64
_HASH_MULTIPLIER = np.uint64(_MULTIPLIER_INT)


def _codes(text: str) -> npt.NDArray[np.uint64]:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)


def _all_hashes(
    codes: npt.NDArray[np.uint64],
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """The hash, start and length of every 1- to 4-gram of `codes`: each length's hashes extend the
    previous length's by one character, so the whole message takes a handful of array operations."""
    levels = [codes]
    for n in range(2, min(MAX_N, len(codes)) + 1):
        previous = levels[-1]
        levels.append((previous[:-1] * _HASH_MULTIPLIER) ^ codes[n - 1 :])
    hashes = np.concatenate(levels) if levels else codes
    starts = np.concatenate([np.arange(len(level), dtype=np.intp) for level in levels])
    lengths = np.concatenate([np.full(len(level), n, dtype=np.intp) for n, level in enumerate(levels, start=1)])
    return hashes, starts, lengths


def gram_hash(gram: str) -> int:
    """The same hash for one n-gram of the vocabulary (Python integers, wrapped as numpy wraps)."""
    value = 0
    for position, char in enumerate(gram):
        value = ord(char) if position == 0 else ((value * _MULTIPLIER_INT) % 2**64) ^ ord(char)
    return value


def ngrams(text: str) -> list[str]:
    """Every character n-gram of the prepared text (the training analyzer)."""
    return [text[i : i + n] for n in range(MIN_N, MAX_N + 1) for i in range(len(text) - n + 1)]


@dataclass(frozen=True, slots=True)
class ModelSpan:
    """A stretch of the folded text whose wording pushed the model towards `scam_type`."""

    start: int
    end: int
    weight: float


@dataclass(frozen=True, slots=True)
class Prediction:
    scam_probability: float  # 1 - P(benign)
    top_type: str | None  # the most probable scam type


class ModelError(ValueError):
    """The model file is missing, unreadable or does not fit the library; the message says which."""


class LearnedModel:
    """Read-only after construction; `predict` is a pure function of the folded text."""

    def __init__(
        self,
        grams: list[str],
        weights: npt.NDArray[np.float32],
        intercept: npt.NDArray[np.float32],
        classes: list[str],
        meta: dict[str, Any],
    ) -> None:
        if weights.shape != (len(grams), len(classes)) or intercept.shape != (len(classes),):
            raise ModelError(f"weights {weights.shape} / intercept {intercept.shape} do not fit {len(grams)} n-grams")
        if BENIGN not in classes:
            raise ModelError(f"the classes {classes} have no {BENIGN!r}")
        self.classes = tuple(classes)
        self.meta = meta
        self._weights = weights
        self._intercept = intercept
        self._benign = classes.index(BENIGN)
        # How much each n-gram pushes towards each class rather than towards "benign": the
        # contribution used to pick the spans to show.
        self._lift = weights - weights[:, [self._benign]]
        hashes = np.array([gram_hash(gram) for gram in grams], dtype=np.uint64)
        order = np.argsort(hashes, kind="stable")
        self._sorted_hashes = hashes[order]
        self._row_of = order.astype(np.intp)  # sorted position -> weight row
        if len(set(hashes.tolist())) != len(grams):
            raise ModelError("two n-grams of the model share a hash")
        self._grams = tuple(grams)

    def _known(self, text: str) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """(weight row, start, length) of every occurrence of a known n-gram in the prepared text.

        Known = its 64-bit hash is among the model's; two different n-grams sharing a 64-bit hash
        is too unlikely to matter (and the model's own n-grams are checked to be distinct)."""
        hashes, starts, lengths = _all_hashes(_codes(text))
        found = np.searchsorted(self._sorted_hashes, hashes)
        found[found == len(self._sorted_hashes)] = 0
        positions = np.flatnonzero(self._sorted_hashes[found] == hashes)
        return self._row_of[found[positions]], starts[positions], lengths[positions]

    @classmethod
    def load(cls, path: Path) -> LearnedModel:
        try:
            with np.load(path, allow_pickle=False) as data:
                grams = [str(g) for g in data["ngrams"]]
                weights = data["weights"].astype(np.float32)
                intercept = data["intercept"].astype(np.float32)
                classes = [str(c) for c in data["classes"]]
                meta = json.loads(str(data["meta"]))
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(f"{path}: cannot read the model: {exc}") from exc
        return cls(grams, weights, intercept, classes, meta)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez_compressed(
                handle,
                ngrams=np.array(self._grams, dtype=str),
                weights=self._weights.astype(np.float16).astype(np.float32),
                intercept=self._intercept,
                classes=np.array(self.classes, dtype=str),
                meta=np.array(json.dumps(self.meta, ensure_ascii=False, sort_keys=True)),
            )

    @property
    def size(self) -> int:
        return len(self._grams)

    @property
    def bands(self) -> tuple[tuple[float, float], ...]:
        """(min probability, points) fitted by training, lowest first; empty if never fitted."""
        return tuple((float(band[0]), float(band[1])) for band in self.meta.get("bands", ()))

    def with_meta(self, **meta: Any) -> LearnedModel:
        """The same weights with more training facts recorded (corpus hash, fitted bands...)."""
        return LearnedModel(
            list(self._grams), self._weights, self._intercept, list(self.classes), {**self.meta, **meta}
        )

    def predict(self, folded: str) -> Prediction:
        """Class probabilities from the known n-grams of the message (tens of µs)."""
        text = prepare(folded)
        if not text or not self._grams:
            return Prediction(0.0, None)
        rows, _, _ = self._known(text)
        logits = self._intercept.astype(np.float64)
        if len(rows):
            present = np.unique(rows)  # presence, not counts
            logits = logits + np.add.reduce(self._weights.take(present, axis=0), axis=0) * length_scale(text)
        logits -= logits.max()
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum()
        benign = float(probabilities[self._benign])
        probabilities[self._benign] = -1.0
        top = int(probabilities.argmax())
        return Prediction(1.0 - benign, self.classes[top])

    def spans(self, folded: str, scam_type: str | None, max_spans: int = 3) -> tuple[ModelSpan, ...]:
        """The stretches of the folded text whose n-grams pushed hardest towards `scam_type`,
        merged where they overlap, strongest first: the words shown as this layer's evidence.
        Computed only for verdicts worth explaining."""
        text = prepare(folded)
        if scam_type not in self.classes or not text:
            return ()
        rows, starts, lengths = self._known(text)
        if not len(rows):
            return ()
        # Each known n-gram once, at its first occurrence.
        _, first = np.unique(rows, return_index=True)
        rows, starts, lengths = rows[first], starts[first], lengths[first]
        lift = self._lift[rows, self.classes.index(scam_type)]
        order = np.argsort(-lift)[: max_spans * 6]
        pieces = sorted(
            (int(starts[i]), int(starts[i] + lengths[i]), float(lift[i]))
            for i in order
            if lift[i] > 0 and lengths[i] >= 2 and text[starts[i] : starts[i] + lengths[i]].strip()
        )
        merged: list[tuple[int, int, float]] = []
        for start, end, weight in pieces:
            if merged and start <= merged[-1][1]:
                last = merged[-1]
                merged[-1] = (last[0], max(last[1], end), last[2] + weight)
            else:
                merged.append((start, end, weight))
        merged.sort(key=lambda m: -m[2])
        # `text` differs from `folded` only where whitespace runs were collapsed or a long paste
        # was cut, so each span is found back in `folded` by its words.
        result: list[ModelSpan] = []
        for start, end, weight in merged:
            words = text[start:end].strip()
            located = folded.find(words) if words else -1
            if located < 0:
                continue
            span_start, span_end = _whole_words(folded, located, located + len(words))
            if _says_something(folded[span_start:span_end]) and not any(
                span_start < other.end and other.start < span_end for other in result
            ):
                result.append(ModelSpan(span_start, span_end, weight))
            if len(result) == max_spans:
                break
        return tuple(result)


def _is_word_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "'")


_FUNCTION_WORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "i",
        "i'm",
        "im",
        "we",
        "we're",
        "you",
        "your",
        "our",
        "my",
        "me",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "from",
        "and",
        "or",
        "is",
        "are",
        "be",
        "this",
        "that",
        "it",
        "with",
        "by",
        "as",
        "was",
        "were",
        "will",
        "can",
        "m",
        "s",
    }
)
_HAN_FUNCTION_WORDS = frozenset(
    {
        "你的",
        "我的",
        "您的",
        "他的",
        "她的",
        "我们",
        "你们",
        "他们",
        "这个",
        "那个",
        "一个",
        "的是",
        "是的",
        "了吗",
        "一下",
        "的话",
    }
)
_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[a-z']+")


def _says_something(words: str) -> bool:
    """A span worth showing: two Chinese characters, or a Latin content word of four letters or
    more (not "our", "from", "m calling" cut out of "I'm calling" is fine once widened)."""
    han = "".join(_HAN.findall(words))
    if len(han) >= 2 and han not in _HAN_FUNCTION_WORDS:
        return True
    content = [w for w in _LATIN_WORD.findall(words) if w not in _FUNCTION_WORDS]
    return any(len(w) >= 4 for w in content)


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span so it neither starts nor ends inside a Latin word ("of[[fice]]" -> "office")."""
    while start > 0 and _is_word_char(text[start - 1]) and _is_word_char(text[start]):
        start -= 1
    while end < len(text) and _is_word_char(text[end]) and _is_word_char(text[end - 1]):
        end += 1
    return start, end
