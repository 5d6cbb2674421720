"""The learned layer: a character n-gram linear model, one more weighted and explained piece of
evidence among the hand-written rules (SpamAssassin's BAYES rules play the same part there).

Training (`bot.engine.training`, scikit-learn) fits a multinomial logistic regression over the presence of
character n-grams of the folded text (1 to 5 characters for the scam layer, 1 to 4 for the others, as each
model file says), scaled by 1/sqrt(length); only the n-grams whose weights matter are kept. Prediction needs
no scikit-learn and no Python loop over characters: every n-gram of the message gets a 64-bit rolling hash in
a few numpy operations (written straight into one array), a binary search in the sorted hashes of the kept
n-grams finds the known ones (exactly: a hash is compared with the n-gram's own), and a row sum gives the
class scores. The n-grams that pushed hardest towards the predicted type are the spans shown to the citizen;
the lookup done for the prediction is reused for them (the model remembers the last message it read).

Cost (issue 13): what used to dominate was numpy's general-purpose `np.unique` (its hash-table path
costs ~25 µs even for a few hundred values) and hashing each message twice, so both are avoided: the
few rows found are sorted and de-duplicated directly, and for many rows a presence mask over the
vocabulary does it without sorting. Then the binary search itself (~35 µs for the ~400 n-grams of a
100-character message: 16 dependent cache misses each in 480 KB of hashes) gave way to a direct-
addressed table (`_HashTable`): one gather of a 64-byte bucket per n-gram. The results are the same
arrays, so the probabilities are bit for bit the same.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

BENIGN = "benign"
MIN_N = 1
# The longest n-gram any layer reads: a message is hashed once to this length for all of them, and each
# layer looks up only the lengths it was trained on (`LearnedModel.max_n`, from its file): the hashes
# of n-grams up to any length are a prefix of the hashes up to a longer one.
MAX_N = 5
DEFAULT_N = 4  # a model file that does not say (trained before layers differed) read 1- to 4-grams
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


def _prefix_size(length: int, max_n: int) -> int:
    """How many of `_hashes`' values for a text of `length` characters are its 1- to `max_n`-grams."""
    top = min(max_n, length)
    return top * length - top * (top - 1) // 2


def _hashes(text: str, max_n: int) -> npt.NDArray[np.uint64]:
    """The hash of every 1- to `max_n`-gram of `text`, all 1-grams first, then all 2-grams...: each
    length's hashes extend the previous length's by one character, written in place into one array."""
    length = len(text)
    top = min(max_n, length)
    hashes = np.empty(_prefix_size(length, max_n), dtype=np.uint64)
    codes = hashes[:length]  # the 1-grams are the characters, widened once
    codes[:] = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    previous, offset = codes, length
    for n in range(2, top + 1):
        level = hashes[offset : offset + length - n + 1]
        np.multiply(previous[:-1], _HASH_MULTIPLIER, out=level)
        np.bitwise_xor(level, codes[n - 1 :], out=level)
        previous, offset = level, offset + len(level)
    return hashes


def _level_offsets(length: int, max_n: int) -> npt.NDArray[np.intp]:
    """Where each n-gram length up to `max_n` starts in `_hashes`' output for a text of `length` characters."""
    sizes = [length - n + 1 for n in range(1, min(max_n, length) + 1)]
    return np.cumsum([0, *sizes[:-1]], dtype=np.intp) if sizes else np.zeros(0, dtype=np.intp)


def _vocabulary_hashes(grams: list[str]) -> npt.NDArray[np.uint64]:
    """`gram_hash` of every n-gram of the vocabulary, in a few array operations (60,000 n-grams
    in milliseconds instead of a tenth of a second of Python)."""
    if not grams:
        return np.zeros(0, dtype=np.uint64)
    padded = np.array(grams, dtype=str)  # "<U{longest}", padded with NULs
    width = padded.dtype.itemsize // 4
    points = padded.view(np.uint32).reshape(len(grams), width).astype(np.uint64)
    lengths = np.fromiter(map(len, grams), dtype=np.intp, count=len(grams))
    hashes = points[:, 0].copy()
    for position in range(1, width):
        extended = (hashes * _HASH_MULTIPLIER) ^ points[:, position]
        hashes = np.where(lengths > position, extended, hashes)
    return hashes


def _starts_and_lengths(
    positions: npt.NDArray[np.intp], length: int, max_n: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Start and length of the n-grams at `positions` of `_hashes`' output for a text of `length`."""
    offsets = _level_offsets(length, max_n)
    level = offsets.searchsorted(positions, side="right") - 1
    return (positions - offsets.take(level)).astype(np.intp), (level + 1).astype(np.intp)


@dataclass(frozen=True, slots=True, eq=False)
class NGramText:
    """A folded message as every learned model reads it, prepared and its n-grams hashed once: the
    engine's three models read the same message, and hashing it is a fifth of what one model costs."""

    folded: str
    text: str  # `prepare(folded)`
    hashes: npt.NDArray[np.uint64]  # `_hashes(text, max_n)`
    max_n: int  # the longest n-grams hashed: the longest any of the models reading it needs
    # The known n-grams of all the models reading it, found once: (the index, position in `hashes`,
    # row in the index's vocabulary) of each, by position; None without an index.
    found: tuple[NGramIndex, npt.NDArray[np.intp], npt.NDArray[np.intp]] | None = None

    @classmethod
    def of(cls, folded: str, max_n: int = MAX_N, index: NGramIndex | None = None) -> NGramText:
        text = prepare(folded)
        hashes = _hashes(text, max_n) if text else np.zeros(0, dtype=np.uint64)
        found = (index, *index.find(hashes)) if index is not None and text else None
        return cls(folded, text, hashes, max_n, found)


_BUCKET_SLOTS = 8  # n-gram hashes per bucket: 8 x 8 bytes, one cache line
_FIBONACCI = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio: spreads any bits into the top ones


class _HashTable:
    """The vocabulary's hashes in buckets of `_BUCKET_SLOTS`, addressed by the top `bits` bits of
    hash x `_FIBONACCI`: finding a message's known n-grams is one gather and one comparison per
    n-gram instead of a binary search.

    A slot holds the rest of hash x `_FIBONACCI` (its low 64 - `bits` bits; the top ones are the
    bucket's number) above the n-gram's row, so the gather that compares also brings the row: a
    second table of rows would cost a cache miss per n-gram found, and cache misses are most of the
    cost. Exact: multiplying by an odd number is a bijection on 64-bit integers, so bucket and rest
    together are the hash. An unused slot holds the row `_empty` (past the last row) and a rest of 0;
    a hash whose rest is 0 matches it, and is dropped by its row."""

    __slots__ = ("_bits", "_buckets", "_empty", "_rest_mask", "_row_mask", "_shift")

    def __init__(self, hashes: npt.NDArray[np.uint64]) -> None:
        bits = max(1, len(hashes).bit_length())  # about one hash per bucket, and a row id to spare
        mixed = hashes * _FIBONACCI
        while True:
            shift = np.uint64(64 - bits)
            bucket = (mixed >> shift).astype(np.intp)
            if not len(hashes) or np.bincount(bucket).max() <= _BUCKET_SLOTS:
                break
            bits += 1
        self._shift = shift
        self._bits = np.uint64(bits)
        self._empty = (1 << bits) - 1
        self._row_mask = np.uint64(self._empty)
        self._rest_mask = ~self._row_mask
        table = np.full((1 << bits, _BUCKET_SLOTS), self._empty, dtype=np.uint64)
        if len(hashes):
            order = np.argsort(bucket, kind="stable")
            ordered = bucket[order]
            first_of_bucket = np.searchsorted(ordered, ordered)  # where each one's bucket starts
            slot = np.arange(len(ordered)) - first_of_bucket
            table[ordered, slot] = (mixed[order] << self._bits) | order.astype(np.uint64)
        # One 64-byte item per bucket, so the gather copies whole buckets.
        self._buckets = table.view(np.dtype((np.void, 8 * _BUCKET_SLOTS))).reshape(-1)

    def find(self, hashes: npt.NDArray[np.uint64]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """(index into `hashes`, row in the hashes the table was built from) of each hash found,
        by index."""
        mixed = hashes * _FIBONACCI
        slots = self._buckets.take((mixed >> self._shift).view(np.intp)).view(np.uint64)  # bucket < 2**63
        rest = mixed << self._bits
        equal = (slots.reshape(-1, _BUCKET_SLOTS) & self._rest_mask) == rest[:, None]
        found = equal.reshape(-1).nonzero()[0]  # at most one used slot of a bucket holds a given hash
        positions = found // _BUCKET_SLOTS
        rows = (slots.take(found) & self._row_mask).view(np.intp)
        if len(rows) and rows.max() == self._empty:  # a rest of 0 matched unused slots
            used = rows != self._empty
            positions, rows = positions[used], rows[used]
        return positions, rows


_MASK_FROM = 512  # rows found: from this many, a presence mask over the vocabulary can beat sorting...
_MASK_SHARE = 20  # ... once they are at least 1/20 of the vocabulary: clearing and scanning a mask of 150,000
# rows costs more than sorting a few thousand (measured: 1,200 rows, sort ~15-40 µs, a 150,000-row mask ~70 µs)


def _sorted_unique(rows: npt.NDArray[np.intp], vocabulary: int) -> npt.NDArray[np.intp]:
    """`np.unique(rows)`, without its general machinery: sorted, each row once."""
    if len(rows) >= max(_MASK_FROM, vocabulary // _MASK_SHARE):
        mask = np.zeros(vocabulary, dtype=bool)
        mask[rows] = True
        return mask.nonzero()[0]
    ordered = rows.copy()
    ordered.sort()  # the method: np.sort's Python wrapper costs more than sorting a few hundred rows
    keep = np.empty(len(ordered), dtype=bool)
    keep[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


class NGramIndex:
    """One hash table over the n-grams of several learned layers: the engine's three layers read the same
    message, and finding its n-grams in a table is most of what each one costs, so they are found once,
    in the union of the vocabularies, and each layer maps the rows found to its own (a gather). The same
    positions and rows, in the same order, as each layer's own table finds: the same probabilities."""

    __slots__ = ("_rows", "_table")

    def __init__(self, models: tuple[LearnedModel, ...]) -> None:
        union = np.unique(np.concatenate([model.vocabulary_hashes for model in models]))
        self._table = _HashTable(union)
        rows = []
        for model in models:
            own = np.full(len(union), -1, dtype=np.intp)  # union row -> the model's weight row, or -1
            own[union.searchsorted(model.vocabulary_hashes)] = np.arange(len(model.vocabulary_hashes))
            rows.append((model, own))
        self._rows = tuple(rows)

    def find(self, hashes: npt.NDArray[np.uint64]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """(index into `hashes`, row in the union) of each hash known to any of the models, by index."""
        return self._table.find(hashes)

    def rows_of(
        self, model: LearnedModel, positions: npt.NDArray[np.intp], rows: npt.NDArray[np.intp]
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]] | None:
        """`find`'s answer as `model`'s own table gives it: the n-grams it knows, its weight rows; None
        for a model the index was not built over (a library whose layers were replaced)."""
        for known, own in self._rows:
            if known is model:
                mine = own.take(rows)
                kept = mine >= 0
                return positions[kept], mine[kept]
        return None


def gram_hash(gram: str) -> int:
    """The same hash for one n-gram of the vocabulary (Python integers, wrapped as numpy wraps)."""
    value = 0
    for position, char in enumerate(gram):
        value = ord(char) if position == 0 else ((value * _MULTIPLIER_INT) % 2**64) ^ ord(char)
    return value


def ngrams(text: str, max_n: int = DEFAULT_N) -> list[str]:
    """Every character 1- to `max_n`-gram of the prepared text (the training analyzer)."""
    return [text[i : i + n] for n in range(MIN_N, max_n + 1) for i in range(len(text) - n + 1)]


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


@dataclass(frozen=True, slots=True)
class Ranking:
    best: tuple[tuple[str, float], ...]  # (class, probability), most probable first; never "benign"
    benign: float  # P(benign)


class ModelError(ValueError):
    """The model file is missing, unreadable or does not fit the library; the message says which."""


_NOTHING = np.zeros(0, dtype=np.intp)
# A message as the model read it: the prepared text, the position (in `_hashes`' order) and weight
# row of each known n-gram occurrence, and those rows each once, sorted.
_Reading = tuple[str, npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]


class LearnedModel:
    """Read-only after construction; `predict` is a pure function of the folded text (the one
    thing it remembers, the last message's known n-grams, only saves `spans` looking them up again)."""

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
        lengths = meta.get("ngram_range", [MIN_N, DEFAULT_N])
        longest = lengths[1] if isinstance(lengths, list) and len(lengths) == 2 and lengths[0] == MIN_N else None
        if not isinstance(longest, int) or not MIN_N <= longest <= MAX_N:
            raise ModelError(f"ngram_range {lengths!r}: this code reads n-grams of 1 to at most {MAX_N} characters")
        self.classes = tuple(classes)
        self.meta = meta
        self.max_n = longest  # the longest n-grams this model was trained on
        self._weights = weights
        self._intercept = intercept
        self._intercept64 = intercept.astype(np.float64)  # where every message's logits start
        self._benign = classes.index(BENIGN)
        hashes = _vocabulary_hashes(grams)
        ordered = np.sort(hashes)
        if np.any(ordered[1:] == ordered[:-1]):
            raise ModelError("two n-grams of the model share a hash")
        self.vocabulary_hashes = hashes  # by weight row: what an `NGramIndex` over several models is built from
        # hash -> weight row, built when first needed: an engine finds its models' n-grams through the
        # library's `NGramIndex`, so the service never builds it (16 MB for the scam layer).
        self._table: _HashTable | None = None
        # The n-grams themselves are only saved or counted (lookups go by hash): kept as one string, NUL
        # between them (folded text holds no NUL), not 190,000 strings to unpickle at every start.
        self._gram_count = len(grams)
        # Each n-gram's length, by weight row: a single character is never shown as evidence, so
        # `spans` picks its candidates among the longer ones.
        self._lengths = np.fromiter(map(len, grams), dtype=np.uint8, count=len(grams))
        self._gram_text = "\0".join(grams)
        if self._gram_text.count("\0") != max(self._gram_count - 1, 0) or (grams and not all(grams)):
            raise ModelError("an n-gram of the model is empty or holds a NUL character")
        # (folded text, `_read`'s answer) of the last message read: `spans` is asked about the
        # message `predict` just read. One tuple, replaced whole: safe across threads.
        self._last: tuple[str, _Reading] | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_last"] = None  # a cached library holds no message
        state["_table"] = None  # the library's `NGramIndex` is cached instead; this one is built if ever needed
        return state

    def _lift(self, rows: npt.NDArray[np.intp], class_index: int) -> npt.NDArray[np.float32]:
        """How much each of these n-grams pushes towards the class rather than towards "benign": what
        picks the spans to show. Worked out for the message's own n-grams only (a table of it for the
        whole vocabulary would double the model's memory: 10 MB for the line layer's 217 classes), and only
        the two columns compared are gathered, not every class of those rows."""
        weights = self._weights
        lift: npt.NDArray[np.float32] = weights[rows, class_index] - weights[rows, self._benign]
        return lift

    def _lookup(
        self, text: str, hashes: npt.NDArray[np.uint64] | None = None
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """(position in `_hashes`' order, weight row) of every occurrence of a known n-gram in the
        prepared text, by position.

        Known = its 64-bit hash is among the model's; two different n-grams sharing a 64-bit hash
        is too unlikely to matter (and the model's own n-grams are checked to be distinct)."""
        if not text or not self._gram_count:
            return _NOTHING, _NOTHING
        mine = _hashes(text, self.max_n) if hashes is None else hashes[: _prefix_size(len(text), self.max_n)]
        table = self._table
        if table is None:
            table = self._table = _HashTable(self.vocabulary_hashes)  # threads racing here build the same
        return table.find(mine)

    def _read(self, message: str | NGramText) -> _Reading:
        """The prepared text, its known n-grams (`_lookup`) and their rows each once, sorted:
        remembered for the last message, as `predict` and `spans` both need them. `message` is the
        folded text, or an `NGramText` of it that other models read too."""
        folded = message if isinstance(message, str) else message.folded
        last = self._last
        if last is not None and last[0] == folded:
            return last[1]
        shared = None
        if isinstance(message, str) or message.max_n < self.max_n:
            text, hashes = prepare(folded), None
        else:
            text, hashes = message.text, message.hashes
            if message.found is not None:
                index, positions, rows = message.found
                shared = index.rows_of(self, positions, rows)
        positions, rows = shared if shared is not None else self._lookup(text, hashes)
        present = _sorted_unique(rows, self._gram_count) if len(rows) else _NOTHING
        found = (text, positions, rows, present)
        self._last = (folded, found)
        return found

    def _known(self, text: str) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """(weight row, start, length) of every occurrence of a known n-gram in the prepared text,
        1-grams first, then 2-grams..., each by start."""
        positions, rows = self._lookup(text)
        starts, lengths = _starts_and_lengths(positions, len(text), self.max_n)
        return rows, starts, lengths

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
                ngrams=np.array(self.grams, dtype=str),
                weights=self._weights.astype(np.float16).astype(np.float32),
                intercept=self._intercept,
                classes=np.array(self.classes, dtype=str),
                meta=np.array(json.dumps(self.meta, ensure_ascii=False, sort_keys=True)),
            )

    @property
    def size(self) -> int:
        return self._gram_count

    @property
    def grams(self) -> list[str]:
        """The n-grams, by weight row."""
        return self._gram_text.split("\0") if self._gram_count else []

    @property
    def bands(self) -> tuple[tuple[float, float], ...]:
        """(min probability, points) fitted by training, lowest first; empty if never fitted."""
        return tuple((float(band[0]), float(band[1])) for band in self.meta.get("bands", ()))

    @property
    def cut_offs(self) -> tuple[float, float] | None:
        """For the layer that tells reports from scams: P(report) from which a message reads as one,
        and the lower one that suffices when it also has an awareness cue (both fitted by training);
        None for the scam layer."""
        alone, with_cue = self.meta.get("report_cut_off"), self.meta.get("report_cut_off_with_cue")
        return None if alone is None or with_cue is None else (float(alone), float(with_cue))

    @property
    def story_cut_off(self) -> float | None:
        """For the layer that tells reports from scams: P(report) from which a citizen's own story (not a
        question) reads as told afterwards (fitted by training); None when not fitted."""
        cut = self.meta.get("report_cut_off_story")
        return None if cut is None else float(cut)

    def with_meta(self, **meta: Any) -> LearnedModel:
        """The same weights with more training facts recorded (corpus hash, fitted bands...)."""
        return LearnedModel(self.grams, self._weights, self._intercept, list(self.classes), {**self.meta, **meta})

    def _probabilities(self, folded: str | NGramText) -> npt.NDArray[np.float64] | None:
        """Class probabilities from the known n-grams of the message; None for an empty one."""
        text, _, rows, present = self._read(folded)
        if not text or not self._gram_count:
            return None
        if len(rows):  # presence, not counts
            logits = self._intercept64 + np.add.reduce(self._weights.take(present, axis=0), axis=0) * length_scale(text)
        else:
            logits = self._intercept64.copy()
        # The ufuncs themselves: `ndarray.max()` and `.sum()` reach the same reductions through Python.
        logits -= np.maximum.reduce(logits)
        probabilities: npt.NDArray[np.float64] = np.exp(logits)
        probabilities /= np.add.reduce(probabilities)
        return probabilities

    def predict(self, folded: str | NGramText) -> Prediction:
        """P(scam) and the most probable scam type (tens of µs)."""
        probabilities = self._probabilities(folded)
        if probabilities is None:
            return Prediction(0.0, None)
        benign = float(probabilities[self._benign])
        probabilities[self._benign] = -1.0
        top = int(probabilities.argmax())
        return Prediction(1.0 - benign, self.classes[top])

    def ranked(self, folded: str | NGramText, count: int = 2) -> Ranking:
        """The `count` most probable classes other than "benign", most probable first, and P(benign):
        the line layer compares its best entry with the next one and with an ordinary message."""
        probabilities = self._probabilities(folded)
        if probabilities is None:
            return Ranking((), 1.0)
        benign = float(probabilities[self._benign])
        probabilities[self._benign] = -1.0
        best = []
        for _ in range(min(count, len(self.classes) - 1)):  # a few argmax passes: cheaper than sorting
            index = int(probabilities.argmax())
            best.append((self.classes[index], float(probabilities[index])))
            probabilities[index] = -1.0
        return Ranking(tuple(best), benign)

    def spans(self, folded: str | NGramText, scam_type: str | None, max_spans: int = 3) -> tuple[ModelSpan, ...]:
        """The stretches of the folded text whose n-grams pushed hardest towards `scam_type`,
        merged where they overlap, strongest first: the words shown as this layer's evidence.
        Computed only for verdicts worth explaining."""
        if scam_type not in self.classes:
            return ()
        text, positions, rows, present = self._read(folded)
        if not text or not len(rows):
            return ()
        # The strongest known n-grams, each once (`present`: sorted, as `np.unique` gives them), then
        # where each first occurs: looked up for these few only, not for every n-gram of the message.
        lift = self._lift(present, self.classes.index(scam_type))
        lift[self._lengths.take(present) < 2] = 0.0  # never shown: taking their places would leave nothing to show
        order = (-lift).argsort()[: max_spans * 6]
        weights = lift.take(order).tolist()  # strongest first: only the positive ones can be shown
        shown = next((count for count, weight in enumerate(weights) if not weight > 0), len(weights))
        if not shown:
            return ()
        first = (rows == present.take(order[:shown])[:, None]).argmax(axis=1)
        offsets = list(itertools.accumulate(len(text) - n for n in range(min(self.max_n, len(text)) - 1)))
        offsets.insert(0, 0)  # where each n-gram length starts, as `_level_offsets`
        # Python numbers from here on: a numpy scalar costs far more per operation.
        pieces = []
        for position, weight in zip(positions.take(first).tolist(), weights[:shown], strict=True):
            level = bisect.bisect_right(offsets, position) - 1  # n-gram length - 1
            start = position - offsets[level]
            if text[start : start + level + 1].strip():  # single characters never reach here: their lift is 0
                pieces.append((start, start + level + 1, weight))
        pieces.sort()
        return _shown_spans(folded if isinstance(folded, str) else folded.folded, text, pieces, max_spans)


def _shown_spans(folded: str, text: str, pieces: list[tuple[int, int, float]], max_spans: int) -> tuple[ModelSpan, ...]:
    """The strongest `pieces` (start, end, weight in the prepared `text`, by start) as shown: merged
    where they overlap, strongest first, found back in `folded` on whole words, each saying something."""
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
