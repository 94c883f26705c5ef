"""A text classifier that learns which value people choose (人机协同), kept as plain counts, never as code.

Words come from jieba (Chinese word segmentation) over a case's text fields, plus whole-value tokens
such as ``category=WFJS``; scikit-learn's hashing vectoriser and multinomial naive Bayes learn from
them incrementally (``partial_fit``). The state is the per-class token counts as JSON: a stolen or
edited database holds numbers, not a pickle that would run code when loaded. Both libraries are the
optional extra ``whistle[learning]``; :func:`available` says whether they are installed.
"""
from __future__ import annotations

import importlib.util
import logging
import math
import os
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

STATE_VERSION = 1
FEATURES = 2**15  # hashed token space: enough for a district's vocabulary, small enough to hold per model
ALPHA = 0.5  # additive smoothing: a token never seen with a class does not rule it out
MAX_CLASSES = 500
MAX_TEXT = 2000  # characters of each text field read
MAX_TOKENS = 400  # tokens of one example
MAX_CELLS = 400_000  # non-zero counts kept in a state (a JSON of a few megabytes at most)
_lock = threading.Lock()


class LearningUnavailable(RuntimeError):
    """The optional extra (jieba, scikit-learn) is not installed."""


@dataclass(frozen=True)
class Example:
    """What a model reads of one case: its text and its whole-value tokens; ``label`` is what people chose."""

    text: str
    tokens: tuple[str, ...]
    label: str = ""
    weight: float = 1.0


@lru_cache(maxsize=1)
def available() -> bool:
    """Whether jieba and scikit-learn can be imported (the ``learning`` extra); asked on every case action."""
    return all(importlib.util.find_spec(name) is not None for name in ("jieba", "sklearn"))


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    """One jieba tokenizer per process; its dictionary cache lives in a folder only this user may write."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    folder = os.path.join(tempfile.gettempdir(), f"whistle-jieba-{os.getuid()}")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    if os.stat(folder).st_uid != os.getuid():  # someone else's folder: keep no cache rather than trust it
        folder = tempfile.mkdtemp(prefix="whistle-jieba-")
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = folder
    return tokenizer


def words(example: Example) -> list[str]:
    """The tokens of an example: jieba words of its text (punctuation and spaces dropped) and its own tokens."""
    found = [w for w in _segmenter().lcut(example.text[:MAX_TEXT]) if w.strip() and any(c.isalnum() for c in w)]
    return [*(t.lower() for t in found), *example.tokens][:MAX_TOKENS]


@lru_cache(maxsize=1)
def _vectorizer() -> Any:
    from sklearn.feature_extraction.text import HashingVectorizer

    # Stateless: the same token always lands on the same column, so no vocabulary needs storing.
    return HashingVectorizer(analyzer=_identity, n_features=FEATURES, alternate_sign=False, norm=None)


def _identity(tokens: Sequence[str]) -> Sequence[str]:
    return tokens


class ChoiceModel:
    """Naive Bayes over hashed tokens; learns with :meth:`learn`, ranks with :meth:`rank`, saved with :meth:`state`."""

    def __init__(self, classes: Iterable[str]) -> None:
        if not available():
            raise LearningUnavailable("install whistle[learning] (jieba, scikit-learn) to learn from choices")
        from sklearn.naive_bayes import MultinomialNB

        self.classes = sorted(set(classes))[:MAX_CLASSES]
        self._nb = MultinomialNB(alpha=ALPHA)
        self.examples = 0

    def knows(self, labels: Iterable[str]) -> bool:
        """Whether every label is one of the model's classes (new classes need a fresh model)."""
        return set(labels) <= set(self.classes)

    def learn(self, examples: Sequence[Example]) -> None:
        """Add examples whose labels are known classes (others are skipped); a no-op for none."""
        kept = [e for e in examples if e.label in self.classes]
        if not kept:
            return
        with _lock:  # jieba's lazy initialisation is not thread-safe
            rows = [words(e) for e in kept]
        matrix = _vectorizer().transform(rows)
        self._nb.partial_fit(matrix, [e.label for e in kept], classes=self.classes,
                             sample_weight=[e.weight for e in kept])
        self.examples += len(kept)

    def rank(self, example: Example, top: int = 3) -> list[tuple[str, float]]:
        """The ``top`` most likely values with their probabilities, most likely first; [] before any learning."""
        if not self.examples:
            return []
        with _lock:
            row = words(example)
        joint = self._nb.predict_joint_log_proba(_vectorizer().transform([row]))[0]
        # Naive Bayes counts every token as independent evidence, so a dozen words make it sure of
        # anything; tempering by the square root of their number keeps its confidence comparable
        # with the rules' (the order of the values does not change).
        tempered = joint / math.sqrt(max(1, len(row)))
        exps = [math.exp(v - max(tempered)) for v in tempered]
        total = sum(exps)
        order = sorted(range(len(exps)), key=lambda i: -exps[i])[:top]
        return [(str(self._nb.classes_[i]), exps[i] / total) for i in order]

    def state(self) -> dict[str, Any]:
        """Plain JSON: the classes, each class's example weight and its non-zero token counts."""
        counts: list[list[float]] = []
        if self.examples:
            matrix = self._nb.feature_count_
            for index in range(len(self.classes)):
                row = matrix[index]
                counts.extend([index, int(col), float(row[col])] for col in row.nonzero()[0])
        counts.sort(key=lambda cell: -cell[2])  # the largest counts are kept when a state must be cut
        return {"version": STATE_VERSION, "features": FEATURES, "classes": self.classes,
                "examples": self.examples,
                "class_count": [float(c) for c in self._nb.class_count_] if self.examples else [],
                "counts": counts[:MAX_CELLS]}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> ChoiceModel:
        """A model from :meth:`state`'s JSON; ValueError when it is not one (another version, bad numbers)."""
        if state.get("version") != STATE_VERSION or state.get("features") != FEATURES:
            raise ValueError("the stored model is of another version; it is trained again")
        classes = state.get("classes")
        if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
            raise ValueError("the stored model's classes are not texts")
        model = cls(classes)
        if model.classes != classes:
            raise ValueError("the stored model's classes are not sorted and unique")
        weights = state.get("class_count") or []
        if not weights:
            return model
        if len(weights) != len(classes) or not all(isinstance(w, int | float) and w > 0 for w in weights):
            # every class of a saved model had examples: a fresh model only knows the labels it learned
            raise ValueError("the stored model's class counts do not fit its classes")
        from scipy.sparse import csr_matrix

        rows, cols, values = [], [], []
        for cell in state.get("counts") or []:
            index, col, value = cell
            if not (0 <= int(index) < len(classes) and 0 <= int(col) < FEATURES and value >= 0):
                raise ValueError("the stored model holds a count out of range")
            rows.append(int(index))
            cols.append(int(col))
            values.append(float(value) / weights[int(index)])
        # One row per class, weighted by the class's examples, rebuilds exactly the counts it was saved with.
        matrix = csr_matrix((values, (rows, cols)), shape=(len(classes), FEATURES))
        model._nb.partial_fit(matrix, classes, classes=classes, sample_weight=weights)
        model.examples = int(state.get("examples") or 0)
        return model
