"""Reference scores for every built-in metric, computed with scikit-learn or from the
published definition, never with the platform's own code (SPEC §4)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn import metrics as skm

K_AT = 5  # map_at_k cut-off


def smape_reference(actual: np.ndarray, forecast: np.ndarray) -> float:
    """100/n · Σ 2|F − A| / (|A| + |F|), a term with 0/0 counting 0 (Kaggle web traffic)."""
    total = 0.0
    for a, f in zip(actual.tolist(), forecast.tolist(), strict=True):
        denominator = abs(a) + abs(f)
        total += 0.0 if denominator == 0 else 2.0 * abs(f - a) / denominator
    return 100.0 * total / len(actual)


def apk(actual: Sequence[str], predicted: Sequence[str], k: int) -> float:
    """Kaggle ml_metrics ``average_precision.apk`` (Ben Hamner), as published."""
    if len(predicted) > k:
        predicted = predicted[:k]
    score_ = 0.0
    num_hits = 0.0
    for i, p in enumerate(predicted):
        if p in actual and p not in predicted[:i]:
            num_hits += 1.0
            score_ += num_hits / (i + 1.0)
    if not actual:
        return 0.0
    return score_ / min(len(actual), k)


def mapk(actual: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], k: int) -> float:
    """Kaggle ml_metrics ``average_precision.mapk``."""
    return float(
        np.mean([apk(list(a), list(p), k) for a, p in zip(actual, predicted, strict=True)])
    )


Reference = Callable[[np.ndarray, Any, list[Any]], float]

# y: truth as the organiser wrote it (ints or strings); p: predictions as the participant
# meant them (labels, scores, an n×K matrix in ``classes`` order, floats or label lists);
# c: the task's classes in scikit-learn's sorted order.
REFERENCES: dict[str, Reference] = {
    "accuracy": lambda y, p, c: skm.accuracy_score(y, p),
    "balanced_accuracy": lambda y, p, c: skm.balanced_accuracy_score(y, p),
    "f1": lambda y, p, c: skm.f1_score(y, p, pos_label=c[-1], zero_division=0),
    "f1_macro": lambda y, p, c: skm.f1_score(y, p, average="macro", zero_division=0),
    "f1_micro": lambda y, p, c: skm.f1_score(y, p, average="micro", zero_division=0),
    "f1_weighted": lambda y, p, c: skm.f1_score(y, p, average="weighted", zero_division=0),
    "precision_macro": lambda y, p, c: skm.precision_score(y, p, average="macro", zero_division=0),
    "recall_macro": lambda y, p, c: skm.recall_score(y, p, average="macro", zero_division=0),
    "mcc": lambda y, p, c: skm.matthews_corrcoef(y, p),
    # Ordinal: the distance between two ratings is their difference in value (the scale runs
    # over every whole rating from the lowest to the highest, a gap in the truth included).
    "qwk": lambda y, p, c: skm.cohen_kappa_score(
        y, p, labels=list(range(min(c), max(c) + 1)), weights="quadratic"
    ),
    "roc_auc": lambda y, p, c: skm.roc_auc_score(y, p),
    "roc_auc_ovr": lambda y, p, c: skm.roc_auc_score(y, p, multi_class="ovr", labels=c),
    "log_loss": lambda y, p, c: skm.log_loss(y, p, labels=c),
    "rmse": lambda y, p, c: skm.root_mean_squared_error(y, p),
    "mse": lambda y, p, c: skm.mean_squared_error(y, p),
    "mae": lambda y, p, c: skm.mean_absolute_error(y, p),
    "r2": lambda y, p, c: skm.r2_score(y, p),
    "mape": lambda y, p, c: skm.mean_absolute_percentage_error(y, p),
    "smape": lambda y, p, c: smape_reference(y, p),
    "rmsle": lambda y, p, c: skm.root_mean_squared_log_error(y, p),
    "map_at_k": lambda y, p, c: mapk(y, p, K_AT),
}


def reference(metric: str, y: np.ndarray, p: Any, classes: list[Any]) -> float | None:
    """The reference score, or None where scikit-learn refuses or calls it undefined."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            value = float(REFERENCES[metric](y, p, classes))
        except ValueError:
            return None
    return value if math.isfinite(value) else None
