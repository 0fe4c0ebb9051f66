"""Metric registry (SPEC §4): name → direction, the submission shape it reads, the function.

Every built-in metric is scikit-learn's where scikit-learn has one. The scorer hands each
function arrays already converted for its shape:

- label shapes: ``y_true``/``y_pred`` are class indices 0..K-1 into the task's sorted classes;
  for an ordinal metric (qwk) the classes are every whole rating of the task's scale, so an
  index difference is a rating difference;
- ``PROBABILITY``/``SCORE``: ``y_true`` class indices (0/1), ``y_pred`` floats, class 1 being
  the greater label (scikit-learn's convention for the positive class);
- ``CLASS_PROBABILITIES``: ``y_pred`` is an n×K matrix, rows rescaled to sum to 1 (Kaggle);
- ``VALUE``: floats; ``RANKED``: tuples of labels.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib.metadata import entry_points
from typing import Any

import numpy as np
from sklearn import metrics as skm

from core.errors import ParticipantVisibleError


class Shape(StrEnum):
    """What the submission's prediction column(s) hold."""

    LABEL = "label"  # one column: a class label
    PROBABILITY = "probability"  # one column: P(greater label), in [0, 1]
    SCORE = "score"  # one column: any finite number, higher = more likely the greater label
    CLASS_PROBABILITIES = "class_probabilities"  # one column per class, named by the class
    VALUE = "value"  # one column: a number
    RANKED = "ranked"  # one column: space-separated labels, best first
    CUSTOM = "custom"  # the custom metric reads the submission frame itself


@dataclass(frozen=True)
class Metric:
    name: str
    higher_is_better: bool
    shape: Shape
    fn: Callable[..., float]
    # log_loss reads one probability column for two classes, one column per class beyond.
    multiclass_shape: Shape | None = None
    # rmsle: targets and predictions must be > -1 (log1p), as scikit-learn requires.
    above_minus_one: bool = False
    min_classes: int = 1
    max_classes: int | None = None
    k: int | None = None  # map_at_k cut-off
    custom: bool = False
    # qwk: labels are whole-number ratings on a scale (lowest..highest), distance by value.
    ordinal: bool = False
    # A custom metric's sample submission: the target column filled with this placeholder.
    sample_value: object = 0

    def shape_for(self, n_classes: int) -> Shape:
        if self.multiclass_shape is not None and n_classes > 2:
            return self.multiclass_shape
        return self.shape

    def __call__(self, y_true: Any, y_pred: Any, n_classes: int = 0) -> float:
        """Built-in metrics: arrays converted for the shape, and the number of classes."""
        return float(self.fn(y_true, y_pred, n_classes))


def _labels(n_classes: int) -> np.ndarray:
    return np.arange(n_classes)


def _f1_binary(t: np.ndarray, p: np.ndarray, k: int) -> float:
    # The greater label is the positive class, as in roc_auc.
    return skm.f1_score(t, p, labels=_labels(k), pos_label=k - 1, average="binary", zero_division=0)


def _average(fn: Callable[..., float], average: str) -> Callable[..., float]:
    # scikit-learn's default: average over the classes present in truth or predictions, so a
    # class absent from a split does not count as a zero.
    def metric(t: np.ndarray, p: np.ndarray, k: int) -> float:
        return fn(t, p, average=average, zero_division=0)

    return metric


def _log_loss(t: np.ndarray, p: np.ndarray, k: int) -> float:
    if p.ndim == 1:  # binary: probability of class 1
        return skm.log_loss(t, p, labels=[0, 1])
    return skm.log_loss(t, p, labels=_labels(k))


def _roc_auc_ovr(t: np.ndarray, p: np.ndarray, k: int) -> float:
    return skm.roc_auc_score(t, p, multi_class="ovr", average="macro", labels=_labels(k))


def smape(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Symmetric MAPE on the 0–200 scale; a row where both are 0 counts 0.

    SMAPE = 100/n · Σ 2|F − A| / (|A| + |F|), the definition used by Kaggle's "Web Traffic
    Time Series Forecasting" competition (after Makridakis 1993), with 0/0 := 0.
    """
    # Halved operands (exact in binary) keep |F − A| and |A| + |F| finite near 1.8e308.
    half_t, half_p = np.asarray(y_true, dtype=float) / 2, np.asarray(y_pred, dtype=float) / 2
    denominator = np.abs(half_t) + np.abs(half_p)
    ratio = np.divide(
        2.0 * np.abs(half_p - half_t),
        denominator,
        out=np.zeros_like(denominator, dtype=float),
        where=denominator != 0,
    )
    return 100.0 * float(np.mean(ratio))


def average_precision_at_k(actual: Sequence[str], predicted: Sequence[str], k: int) -> float:
    """AP@k exactly as Kaggle's ml_metrics (Ben Hamner, ``average_precision.apk``).

    Precision is counted at each rank that hits a relevant label not already predicted, and
    the sum is divided by min(len(actual), k); an empty ``actual`` scores 0.
    """
    if not actual:
        return 0.0
    relevant = set(actual)
    hits = 0
    total = 0.0
    seen: set[str] = set()
    for rank, label in enumerate(predicted[:k], start=1):
        if label in relevant and label not in seen:
            hits += 1
            total += hits / rank
        seen.add(label)
    return total / min(len(actual), k)


def map_at_k(k: int) -> Callable[[Sequence, Sequence, int], float]:
    def metric(y_true: Sequence[Sequence[str]], y_pred: Sequence[Sequence[str]], _k: int) -> float:
        pairs = zip(y_true, y_pred, strict=True)
        return float(np.mean([average_precision_at_k(a, p, k) for a, p in pairs]))

    return metric


def _values(fn: Callable[[np.ndarray, np.ndarray], float]) -> Callable[..., float]:
    """A regression metric: the class count does not apply."""
    return lambda t, p, _k: fn(t, p)


def _rmse(t: np.ndarray, p: np.ndarray) -> float:
    return math.sqrt(skm.mean_squared_error(t, p))


def _rmsle(t: np.ndarray, p: np.ndarray) -> float:
    # sklearn's root_mean_squared_log_error: log1p is defined above -1, so values in (-1, 0)
    # score; the scorer refuses values <= -1 as scikit-learn does.
    return math.sqrt(skm.mean_squared_error(np.log1p(t), np.log1p(p)))


_BUILTIN: list[Metric] = [
    Metric("accuracy", True, Shape.LABEL, lambda t, p, k: skm.accuracy_score(t, p)),
    Metric(
        "balanced_accuracy", True, Shape.LABEL, lambda t, p, k: skm.balanced_accuracy_score(t, p)
    ),
    Metric("f1", True, Shape.LABEL, _f1_binary, min_classes=2, max_classes=2),
    Metric("f1_macro", True, Shape.LABEL, _average(skm.f1_score, "macro")),
    Metric("f1_micro", True, Shape.LABEL, _average(skm.f1_score, "micro")),
    Metric("f1_weighted", True, Shape.LABEL, _average(skm.f1_score, "weighted")),
    Metric("precision_macro", True, Shape.LABEL, _average(skm.precision_score, "macro")),
    Metric("recall_macro", True, Shape.LABEL, _average(skm.recall_score, "macro")),
    Metric("mcc", True, Shape.LABEL, lambda t, p, k: skm.matthews_corrcoef(t, p)),
    Metric(
        "qwk",
        True,
        Shape.LABEL,
        lambda t, p, k: skm.cohen_kappa_score(t, p, labels=_labels(k), weights="quadratic"),
        ordinal=True,
    ),
    Metric(
        "roc_auc",
        True,
        Shape.SCORE,
        lambda t, p, k: skm.roc_auc_score(t, p),
        min_classes=2,
        max_classes=2,
    ),
    Metric("roc_auc_ovr", True, Shape.CLASS_PROBABILITIES, _roc_auc_ovr, min_classes=3),
    Metric(
        "log_loss",
        False,
        Shape.PROBABILITY,
        _log_loss,
        multiclass_shape=Shape.CLASS_PROBABILITIES,
        min_classes=2,
    ),
    Metric("rmse", False, Shape.VALUE, _values(_rmse)),
    Metric("mse", False, Shape.VALUE, _values(skm.mean_squared_error)),
    Metric("mae", False, Shape.VALUE, _values(skm.mean_absolute_error)),
    Metric("r2", True, Shape.VALUE, _values(skm.r2_score)),
    Metric("mape", False, Shape.VALUE, _values(skm.mean_absolute_percentage_error)),
    Metric("smape", False, Shape.VALUE, _values(smape)),
    Metric("rmsle", False, Shape.VALUE, _values(_rmsle), above_minus_one=True),
    Metric("map_at_k", True, Shape.RANKED, map_at_k(5), k=5),
]
METRICS: dict[str, Metric] = {m.name: m for m in _BUILTIN}
ENTRY_POINT_GROUP = "hackjudge.metrics"


def _custom_metric(name: str) -> Metric | None:
    """A metric from an installed package's ``hackjudge.metrics`` entry point.

    The entry point names a module or object with ``score(solution, submission, id_column)``
    and ``higher_is_better`` (default True); ``sample_value`` (default 0) fills the target
    column of the task's sample submission, which must score as it is.
    """
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            target = ep.load()
            fn = getattr(target, "score", target)
            higher = bool(
                getattr(target, "higher_is_better", getattr(fn, "higher_is_better", True))
            )
            sample = getattr(target, "sample_value", 0)
            return Metric(name, higher, Shape.CUSTOM, fn, custom=True, sample_value=sample)
    return None


def available() -> list[str]:
    """Built-in and installed custom metric names."""
    names = set(METRICS) | {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(names)


# Custom metrics once found: scanning the installed distributions costs milliseconds, and the
# upload path asks for the task's metric on every request.
_FOUND: dict[str, Metric] = {}


def get_metric(name: str) -> Metric:
    """The metric called ``name``; ``KeyError`` names the known ones."""
    if name in METRICS:
        return METRICS[name]
    if name in _FOUND:
        return _FOUND[name]
    custom = _custom_metric(name)
    if custom is None:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(available())}")
    _FOUND[name] = custom
    return custom


__all__ = ["Metric", "Shape", "METRICS", "get_metric", "available", "ParticipantVisibleError"]
