"""The vectorised bootstrap against scikit-learn on the same resamples, and its intervals."""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np
import pytest

from judge import bootstrap
from judge.bootstrap import (
    confidence_interval,
    index_resampler,
    label_values,
    multinomial_confusions,
    supported,
)
from judge.metrics import METRICS, Metric, Shape

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning"),
    pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true"),
]

BUILTIN = [m for m in METRICS.values() if not m.custom]
LABELS = list("abcdefghij")


def fits(metric: Metric, k: int) -> bool:
    return metric.min_classes <= max(k, 1) and (
        metric.max_classes is None or k <= metric.max_classes
    )


def class_weights(k: int, kind: str) -> np.ndarray:
    # Imbalanced: one dominant class, the last ones rare.
    weights = 0.2 ** np.arange(k, dtype=float) if kind == "imbalanced" else np.ones(k)
    return weights / weights.sum()


def make_data(
    metric: Metric, k: int, n: int, kind: str, rng: np.random.Generator
) -> tuple[Any, Any]:
    """Data already converted for ``metric.shape_for(k)``, as the scorer hands it over."""
    shape = metric.shape_for(k)
    if shape is Shape.VALUE:
        if kind == "imbalanced":  # skewed, with exact zeros in truth and prediction
            t = np.where(rng.random(n) < 0.15, 0.0, rng.exponential(5.0, n))
            p = np.where(t == 0, np.where(rng.random(n) < 0.5, 0.0, rng.random(n)), t)
            return t, np.abs(p + rng.normal(0, 1.0, n) * (p > 0))
        t = rng.normal(50, 10, n)
        return t, t + rng.normal(0, 4, n)
    if shape is Shape.RANKED:
        actual = np.empty(n, dtype=object)
        predicted = np.empty(n, dtype=object)
        most = 1 if kind == "imbalanced" else 3
        actual[:] = [tuple(rng.choice(LABELS[:6], rng.integers(0, most + 1), replace=False))
                     for _ in range(n)]  # fmt: skip
        predicted[:] = [tuple(rng.choice(LABELS[:8], rng.integers(0, 8))) for _ in range(n)]
        return actual, predicted
    t = rng.choice(k, size=n, p=class_weights(k, kind))
    if shape is Shape.LABEL:
        noise = rng.choice(k, size=n, p=class_weights(k, kind))
        return t, np.where(rng.random(n) < 0.65, t, noise)
    if shape in (Shape.SCORE, Shape.PROBABILITY):
        p = np.clip(0.35 * t + rng.random(n) * 0.65, 0.0, 1.0)
        if kind == "ties":
            p = np.round(p, 1)
        if shape is Shape.PROBABILITY and kind == "imbalanced":
            p[:3] = [0.0, 1.0, 1.0]  # exact 0 and 1 exercise log_loss's clipping
        return t, p
    assert shape is Shape.CLASS_PROBABILITIES
    scores = rng.random((n, k))
    scores[np.arange(n), t] += 0.6
    if kind == "imbalanced":
        scores = np.round(scores, 1)  # ties
    return t, scores / scores.sum(axis=1, keepdims=True)


def cases() -> list[Any]:
    out = []
    for metric in BUILTIN:
        shape = metric.shape
        if shape is Shape.LABEL:
            options = [("balanced", 2), ("imbalanced", 2), ("balanced", 3), ("imbalanced", 5)]
        elif shape is Shape.SCORE:
            options = [("balanced", 2), ("imbalanced", 2), ("ties", 2)]
        elif metric.multiclass_shape is not None or shape is Shape.CLASS_PROBABILITIES:
            options = [("balanced", 2), ("imbalanced", 2), ("balanced", 3), ("imbalanced", 4),
                       ("imbalanced", 5)]  # fmt: skip
        else:
            options = [("balanced", 0), ("imbalanced", 0)]
        for kind, k in options:
            if fits(metric, k):
                out.append(pytest.param(metric, kind, k, id=f"{metric.name}-{kind}-K{k}"))
    return out


def reference(metric: Metric, t: Any, p: Any, k: int, indices: np.ndarray) -> np.ndarray:
    """The slow way: the scikit-learn-backed metric on each resample's rows."""
    return np.array([metric(t[rows], p[rows], k) for rows in indices])


def test_every_builtin_metric_is_supported() -> None:
    assert BUILTIN, "the registry is empty"
    assert [m.name for m in BUILTIN if not supported(m)] == []


@pytest.mark.parametrize(("metric", "kind", "k"), cases())
def test_core_matches_scikit_learn_on_the_same_resamples(metric: Metric, kind: str, k: int) -> None:
    rng = np.random.default_rng(
        zlib.crc32(f"{metric.name}-{kind}-{k}".encode())
    )  # not hash(): salted
    n = 70
    t, p = make_data(metric, k, n, kind, rng)
    indices = rng.integers(0, n, size=(30, n))
    expected = reference(metric, t, p, k, indices)
    got = index_resampler(metric, t, p, k)(indices)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12, equal_nan=True)
    # And on the rows as given (the estimate the large-n path centres on).
    whole = index_resampler(metric, t, p, k)(np.arange(n)[None, :])[0]
    np.testing.assert_allclose(whole, metric(t, p, k), rtol=1e-9, atol=1e-12, equal_nan=True)


def test_undefined_auc_resamples_are_nan_like_scikit_learn() -> None:
    metric = METRICS["roc_auc"]
    rng = np.random.default_rng(3)
    t = np.zeros(40, dtype=int)
    t[[5, 17]] = 1
    p = rng.random(40)
    indices = rng.integers(0, 40, size=(60, 40))
    expected = reference(metric, t, p, 2, indices)
    assert np.isnan(expected).any() and not np.isnan(expected).all()
    np.testing.assert_allclose(index_resampler(metric, t, p, 2)(indices), expected, equal_nan=True)


@pytest.mark.parametrize("name", ["accuracy", "f1_macro", "mcc", "qwk", "balanced_accuracy"])
def test_multinomial_draws_match_the_index_bootstrap(name: str) -> None:
    metric = METRICS[name]
    k, n, draws = 3, 1500, 4000
    rng = np.random.default_rng(11)
    t, p = make_data(metric, k, n, "imbalanced", rng)
    confusion = np.bincount(t * k + p, minlength=k * k).reshape(k, k)
    via_multinomial = label_values(name, multinomial_confusions(confusion, draws, rng))
    core = index_resampler(metric, t, p, k)
    via_indices = np.concatenate(
        [core(rng.integers(0, n, size=(500, n))) for _ in range(draws // 500)]
    )
    sd = via_indices.std()
    assert abs(via_multinomial.mean() - via_indices.mean()) < 0.1 * sd
    assert via_multinomial.std() == pytest.approx(sd, rel=0.04)


@pytest.mark.parametrize("metric", BUILTIN, ids=lambda m: m.name)
def test_reproducible_and_seed_dependent(metric: Metric) -> None:
    k = 2 if fits(metric, 2) else 3
    t, p = make_data(metric, k, 300, "balanced", np.random.default_rng(5))
    first = confidence_interval(metric, t, p, k, seed=1, resamples=200)
    assert first is not None
    assert confidence_interval(metric, t, p, k, seed=1, resamples=200) == first
    assert confidence_interval(metric, t, p, k, seed=2, resamples=200) != first


@pytest.mark.parametrize("metric", BUILTIN, ids=lambda m: m.name)
def test_interval_contains_the_estimate(metric: Metric) -> None:
    for k in (2, 4):
        if not fits(metric, k):
            continue
        t, p = make_data(metric, k, 500, "balanced", np.random.default_rng(k))
        interval = confidence_interval(metric, t, p, k, seed=7, resamples=500)
        assert interval is not None
        lo, hi = interval
        assert lo <= metric(t, p, k) <= hi
        assert lo < hi


WIDTH_CASES = [
    ("rmse", 0), ("roc_auc", 2), ("accuracy", 3), ("f1_macro", 4), ("log_loss", 2),
    ("log_loss", 3), ("roc_auc_ovr", 3), ("r2", 0), ("mcc", 3), ("map_at_k", 0),
]  # fmt: skip


@pytest.mark.parametrize(("name", "k"), WIDTH_CASES)
def test_width_shrinks_like_one_over_sqrt_n(name: str, k: int) -> None:
    metric = METRICS[name]
    widths = []
    for n in (1000, 4000):
        t, p = make_data(metric, k, n, "balanced", np.random.default_rng(n))
        lo, hi = confidence_interval(metric, t, p, k, seed=3)
        widths.append(hi - lo)
    assert 0.35 < widths[1] / widths[0] < 0.65


def test_width_scaling_holds_across_the_subsampling_threshold() -> None:
    metric = METRICS["rmse"]
    small, large = bootstrap.EXACT_MAX_ROWS // 2, bootstrap.EXACT_MAX_ROWS * 2
    widths = []
    for n in (small, large):
        t, p = make_data(metric, 0, n, "balanced", np.random.default_rng(n))
        lo, hi = confidence_interval(metric, t, p, 0, seed=3)
        widths.append(hi - lo)
    assert 0.35 < widths[1] / widths[0] < 0.65


def exact_bootstrap_interval(
    metric: Metric, t: Any, p: Any, k: int, resamples: int
) -> tuple[float, float]:
    """Exact index bootstrap on all rows, a few resamples at a time to bound memory."""
    rng = np.random.default_rng(99)
    n = len(t)
    core = index_resampler(metric, t, p, k)
    values = np.concatenate(
        [core(rng.integers(0, n, size=(10, n))) for _ in range(resamples // 10)]
    )
    lo, hi = np.quantile(values, [0.025, 0.975])
    return float(lo), float(hi)


@pytest.mark.parametrize(("name", "k"), [("rmse", 0), ("roc_auc", 2)])
def test_m_out_of_n_width_matches_the_exact_bootstrap(name: str, k: int) -> None:
    metric = METRICS[name]
    n = 200_000
    assert n > bootstrap.EXACT_MAX_ROWS
    t, p = make_data(metric, k, n, "balanced", np.random.default_rng(21))
    estimate = metric(t, p, k)
    interval = confidence_interval(metric, t, p, k, seed=4, estimate=estimate)
    assert interval is not None
    lo, hi = interval
    assert lo < estimate < hi
    exact_lo, exact_hi = exact_bootstrap_interval(metric, t, p, k, 300)
    assert (hi - lo) == pytest.approx(exact_hi - exact_lo, rel=0.2)
    # Centred like the exact interval: a shift would show beside the width.
    assert abs((lo + hi) / 2 - (exact_lo + exact_hi) / 2) < 0.1 * (exact_hi - exact_lo)
    # The scorer's estimate and the metric computed here give the same interval.
    assert confidence_interval(metric, t, p, k, seed=4) == pytest.approx(interval, rel=1e-12)


# Degenerate inputs: never raise.


def constant_prediction(metric: Metric, k: int, n: int) -> tuple[Any, Any]:
    t, p = make_data(metric, k, n, "balanced", np.random.default_rng(8))
    shape = metric.shape_for(k)
    if shape is Shape.LABEL:
        return t, np.zeros(n, dtype=int)
    if shape is Shape.CLASS_PROBABILITIES:
        return t, np.full((n, k), 1.0 / k)
    if shape is Shape.RANKED:
        same = np.empty(n, dtype=object)
        same[:] = [("a",)] * n
        return t, same
    return t, np.full(n, 0.5)


@pytest.mark.parametrize("metric", BUILTIN, ids=lambda m: m.name)
def test_all_same_predictions(metric: Metric) -> None:
    k = 2 if fits(metric, 2) else 3
    t, p = constant_prediction(metric, k, 200)
    interval = confidence_interval(metric, t, p, k, seed=1, resamples=200)
    assert interval is not None
    assert interval[0] <= interval[1]
    if metric.name in ("roc_auc", "roc_auc_ovr"):
        assert interval == (0.5, 0.5)  # every pair tied
    if metric.name == "mcc":
        assert interval == (0.0, 0.0)


@pytest.mark.parametrize("metric", BUILTIN, ids=lambda m: m.name)
def test_fewer_than_two_rows(metric: Metric) -> None:
    k = 2 if fits(metric, 2) else 3
    t, p = make_data(metric, k, 1, "balanced", np.random.default_rng(0))
    assert confidence_interval(metric, t, p, k, seed=0) is None
    assert confidence_interval(metric, t[:0], p[:0], k, seed=0) is None


def test_custom_metric_has_no_interval() -> None:
    custom = Metric("mine", True, Shape.CUSTOM, lambda *a: 0.0, custom=True)
    assert confidence_interval(custom, np.arange(10), np.arange(10), 0, seed=0) is None


@pytest.mark.parametrize("n", [300, bootstrap.EXACT_MAX_ROWS + 10_000])
def test_auc_with_one_class_has_no_interval(n: int) -> None:
    t = np.zeros(n, dtype=int)
    p = np.random.default_rng(0).random(n)
    assert confidence_interval(METRICS["roc_auc"], t, p, 2, seed=0, resamples=50) is None


def test_ovr_auc_with_an_absent_class_has_no_interval() -> None:
    metric = METRICS["roc_auc_ovr"]
    t, p = make_data(metric, 3, 300, "balanced", np.random.default_rng(0))
    t = np.where(t == 2, 1, t)
    assert math.isnan(metric(t, p, 3))
    assert confidence_interval(metric, t, p, 3, seed=0, resamples=50) is None


def test_kappa_without_disagreement_is_undefined_like_scikit_learn() -> None:
    metric = METRICS["qwk"]
    t = np.zeros(50, dtype=int)
    assert math.isnan(metric(t, t, 3))
    assert confidence_interval(metric, t, t, 3, seed=0) is None


def test_r2_with_constant_truth_follows_scikit_learn() -> None:
    metric = METRICS["r2"]
    t = np.full(100, 3.0)
    p = t + np.random.default_rng(0).normal(0, 1, 100)
    indices = np.random.default_rng(1).integers(0, 100, size=(20, 100))
    np.testing.assert_array_equal(
        index_resampler(metric, t, p, 0)(indices), reference(metric, t, p, 0, indices)
    )
    assert confidence_interval(metric, t, p, 0, seed=0) == (0.0, 0.0)
