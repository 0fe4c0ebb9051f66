"""Metric registry: name → direction, the input it expects, and the function (SPEC §4)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from sklearn import metrics as skm


class Input(StrEnum):
    """What the prediction column holds."""

    LABEL = "label"  # a class label, compared with the truth's classes
    PROBABILITY = "probability"  # a number in [0, 1]: probability of the positive class
    SCORE = "score"  # any finite number ranking the positive class
    VALUE = "value"  # a regression estimate


@dataclass(frozen=True)
class Metric:
    name: str
    higher_is_better: bool
    input: Input
    fn: Callable[[np.ndarray, np.ndarray], float]

    def __call__(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        return float(self.fn(y_true, y_pred))


def _rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return math.sqrt(skm.mean_squared_error(y_true, y_pred))


def _binary_log_loss(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    # The prediction is the probability of the greater label, as scikit-learn orders classes.
    return skm.log_loss(y_true, y_pred, labels=np.unique(y_true))


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("accuracy", True, Input.LABEL, skm.accuracy_score),
        Metric(
            "f1_macro",
            True,
            Input.LABEL,
            lambda t, p: skm.f1_score(t, p, average="macro", zero_division=0),
        ),
        Metric("roc_auc", True, Input.SCORE, skm.roc_auc_score),
        Metric("log_loss", False, Input.PROBABILITY, _binary_log_loss),
        Metric("rmse", False, Input.VALUE, _rmse),
        Metric("mae", False, Input.VALUE, skm.mean_absolute_error),
    )
}


def get_metric(name: str) -> Metric:
    """The metric called ``name``; ``KeyError`` names the known ones."""
    try:
        return METRICS[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(sorted(METRICS))}") from None
