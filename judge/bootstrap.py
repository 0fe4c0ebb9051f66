"""Percentile-bootstrap confidence intervals for the built-in metrics, vectorised in numpy.

Rows are resampled with replacement, each row keeping its truth with its prediction (the
paired bootstrap); the interval is the (1-level)/2 and 1-(1-level)/2 quantiles of the
resampled metric values. Resamples whose metric is undefined (AUC of a resample holding one
class, kappa with nothing to disagree about) are dropped, not fatal.

- Label metrics read only the confusion matrix C, and the row-resampled confusion matrix is
  exactly Multinomial(n, C/n) over the K² cells: ``resamples`` draws of K² counts, whatever n.
- Every other metric draws row indices from the seeded generator, a chunk of resamples at a
  time, and evaluates a vectorised core on them: per-row contributions averaged (mse, mae,
  log_loss, map_at_k, ...), sums (r2) or a weighted Mann-Whitney statistic (AUC). Above
  ``EXACT_MAX_ROWS`` rows it bootstraps a random subsample of that size and rescales.

The cores take the resample indices (``index_resampler``) or the resampled confusion
matrices (``label_values``) as arguments so that tests can check them, resample by resample,
against the scikit-learn metric on the same rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from judge.metrics import Metric, Shape, average_precision_at_k

# Above this many rows the interval comes from a subsample of this size (m-out-of-n, see
# confidence_interval): 1,000 exact resamples of 50,000 rows cost ~0.4 s (rmse) to ~1.1 s
# (AUC) here, more than scoring 100k rows; at 5,000 they cost ~35 ms / ~100 ms, and the widths
# stayed within ~10% of the exact bootstrap on 200k rows (tests/judge/test_bootstrap.py).
EXACT_MAX_ROWS = 5_000
# AUC resamples cost ~3× a mean's (bincount over score groups, cumulative sums): a smaller
# subsample keeps its CI below the cost of scoring 100k rows (~45 ms against ~75 ms here).
AUC_MAX_ROWS = 2_000
# Resamples × rows drawn per chunk: bounds the index and gather arrays to ~16 MB each.
CHUNK_CELLS = 250_000

# (resamples, rows) row indices → (resamples,) metric values
Resampler = Callable[[np.ndarray], np.ndarray]

_EPS = float(np.finfo(np.float64).eps)
_LABEL_METRICS = frozenset(
    {"accuracy", "balanced_accuracy", "f1", "f1_macro", "f1_micro", "f1_weighted",
     "precision_macro", "recall_macro", "mcc", "qwk"}
)  # fmt: skip
_MEAN_METRICS = frozenset({"mse", "rmse", "mae", "mape", "smape", "rmsle", "log_loss", "map_at_k"})
_SUPPORTED = _LABEL_METRICS | _MEAN_METRICS | {"r2", "roc_auc", "roc_auc_ovr"}


def supported(metric: Metric) -> bool:
    """Whether ``confidence_interval`` knows how to resample this metric."""
    return not metric.custom and metric.name in _SUPPORTED


def _ratio(num: np.ndarray, den: np.ndarray, undefined: float = 0.0) -> np.ndarray:
    """num / den, ``undefined`` where den == 0 (scikit-learn's zero_division=0 by default)."""
    num, den = np.broadcast_arrays(np.asarray(num, dtype=np.float64), den)
    out = np.full(num.shape, undefined, dtype=np.float64)
    return np.divide(num, den, out=out, where=den != 0)


def label_values(name: str, confusions: np.ndarray) -> np.ndarray:
    """A label metric on each of ``confusions`` (R×K×K counts, rows = truth, columns = prediction).

    Same formulas and undefined-case values as the scikit-learn calls in ``judge.metrics``.
    """
    c = np.asarray(confusions, dtype=np.float64)
    k = c.shape[-1]
    tp = np.diagonal(c, axis1=1, axis2=2)
    true_sum = c.sum(axis=2)
    pred_sum = c.sum(axis=1)
    n = true_sum.sum(axis=1)
    if name == "accuracy":
        return tp.sum(axis=1) / n
    if name == "balanced_accuracy":
        # Mean recall over the classes present in the truth (absent ones give nan, dropped).
        return _ratio(tp, true_sum).sum(axis=1) / (true_sum > 0).sum(axis=1)
    # Macro averages run over the classes present in truth or prediction (scikit-learn's
    # default labels), so a class absent from the resample does not count as a zero.
    present = (true_sum + pred_sum) > 0
    n_present = present.sum(axis=1)
    if name == "recall_macro":
        return (_ratio(tp, true_sum) * present).sum(axis=1) / n_present
    if name == "precision_macro":
        return (_ratio(tp, pred_sum) * present).sum(axis=1) / n_present
    # F = 2tp / (2tp + fp + fn) = 2tp / (true + predicted), as scikit-learn computes it.
    f1 = _ratio(2 * tp, true_sum + pred_sum)
    if name == "f1":
        return f1[:, k - 1]  # the greater label is the positive class
    if name == "f1_macro":
        return (f1 * present).sum(axis=1) / n_present
    if name == "f1_micro":
        return _ratio(2 * tp.sum(axis=1), (true_sum + pred_sum).sum(axis=1))
    if name == "f1_weighted":
        return _ratio((f1 * true_sum).sum(axis=1), true_sum.sum(axis=1))
    if name == "mcc":
        # sklearn.metrics.matthews_corrcoef, multiclass form; 0 when a marginal is constant.
        cov_tp = tp.sum(axis=1) * n - (true_sum * pred_sum).sum(axis=1)
        cov_pp = n**2 - (pred_sum**2).sum(axis=1)
        cov_tt = n**2 - (true_sum**2).sum(axis=1)
        product = cov_pp * cov_tt
        return _ratio(cov_tp, np.sqrt(product), undefined=0.0)
    if name == "qwk":
        # sklearn.metrics.cohen_kappa_score(weights="quadratic", labels=range(K)): nan (its
        # replace_undefined_by default) when the expected disagreement is 0.
        grid = np.arange(k, dtype=np.float64)
        weights = (grid[:, None] - grid[None, :]) ** 2
        expected = true_sum[:, :, None] * pred_sum[:, None, :] / n[:, None, None]
        observed = (weights * c).sum(axis=(1, 2))
        chance = (weights * expected).sum(axis=(1, 2))
        return 1.0 - _ratio(observed, chance, undefined=np.nan)
    raise KeyError(f"no confusion-matrix formula for {name!r}")


def confusions_from_indices(
    y_true: np.ndarray, y_pred: np.ndarray, n_classes: int, indices: np.ndarray
) -> np.ndarray:
    """The R×K×K confusion matrices of the rows ``indices`` (R×m) pick (the exact bootstrap)."""
    cells = n_classes * n_classes
    code = np.asarray(y_true, dtype=np.intp) * n_classes + np.asarray(y_pred, dtype=np.intp)
    r = indices.shape[0]
    keys = code[indices] + (np.arange(r, dtype=np.intp) * cells)[:, None]
    return np.bincount(keys.ravel(), minlength=r * cells).reshape(r, n_classes, n_classes)


def multinomial_confusions(
    confusion: np.ndarray, resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """Row-resampled confusion matrices, drawn directly: each is Multinomial(n, C/n)."""
    k = confusion.shape[0]
    counts = np.asarray(confusion, dtype=np.int64).ravel()
    n = int(counts.sum())
    draws = rng.multinomial(n, counts / n, size=resamples)
    return draws.reshape(resamples, k, k)


def _mean_contributions(
    metric: Metric, y_true: Any, y_pred: Any, n_classes: int
) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """Per-row values whose mean, then ``finish``, is the metric."""
    name = metric.name
    identity: Callable[[np.ndarray], np.ndarray] = lambda mean: mean  # noqa: E731
    if name == "map_at_k":
        k = int(metric.k or 0)
        ap = [average_precision_at_k(a, p, k) for a, p in zip(y_true, y_pred, strict=True)]
        return np.asarray(ap, dtype=np.float64), identity
    t = np.asarray(y_true)
    p = np.asarray(y_pred, dtype=np.float64)
    if name == "log_loss":
        # sklearn.metrics.log_loss (1.9): clip to [eps, 1-eps] with eps = finfo(float64).eps,
        # after forming [1-p, p] for one column; no renormalisation after clipping.
        rows = np.arange(len(t))
        q = np.where(t == 1, p, 1.0 - p) if p.ndim == 1 else p[rows, t.astype(np.intp)]
        return -np.log(np.clip(q, _EPS, 1.0 - _EPS)), identity
    t = t.astype(np.float64)
    if name in ("mse", "rmse"):
        return (t - p) ** 2, (np.sqrt if name == "rmse" else identity)
    if name == "mae":
        return np.abs(p - t), identity
    if name == "mape":  # sklearn's mean_absolute_percentage_error
        return np.abs(p - t) / np.maximum(np.abs(t), _EPS), identity
    if name == "smape":  # judge.metrics.smape: 0/0 := 0, on the 0-200 scale
        return _ratio(2.0 * np.abs(p - t), np.abs(t) + np.abs(p)), lambda mean: 100.0 * mean
    if name == "rmsle":
        return (np.log1p(t) - np.log1p(p)) ** 2, np.sqrt
    raise KeyError(f"{name!r} is not a mean of per-row values")


def _r2_resampler(y_true: Any, y_pred: Any) -> Resampler:
    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    # Centre y first: SS_tot = Σy² - (Σy)²/m then cancels little, so it matches the two-pass
    # sum of scikit-learn to ~1e-15.
    y = t - t.mean()
    stack = np.column_stack([(t - p) ** 2, y, y * y])

    def values(indices: np.ndarray) -> np.ndarray:
        sums = np.take(stack, indices, axis=0).sum(axis=1)
        ss_res = sums[:, 0]
        ss_tot = sums[:, 2] - sums[:, 1] ** 2 / indices.shape[1]
        # A resample whose y are all equal has SS_tot = 0 up to rounding: scikit-learn's
        # force_finite then gives 1 for a perfect fit, else 0.
        constant = ss_tot <= 1e-12 * sums[:, 2]
        r2 = 1.0 - _ratio(ss_res, np.where(constant, 0.0, ss_tot))
        r2[constant] = 0.0
        r2[ss_res == 0] = 1.0
        return r2

    return values


def _auc_resampler(positive: np.ndarray, scores: np.ndarray) -> Resampler:
    """ROC AUC of each resample: twice the Mann-Whitney U (ties count half) over 2·P·N.

    Sorting once maps each row to its group of equal scores; a resample's counts of
    negatives and positives per group come from one bincount, and a cumulative sum over the
    groups gives the negatives ranked below each positive. Integer arithmetic throughout.
    """
    order = np.argsort(scores, kind="stable")
    ranked = scores[order]
    group = np.empty(len(scores), dtype=np.intp)
    group[order] = np.concatenate(([0], np.cumsum(ranked[1:] != ranked[:-1])))
    n_groups = int(group.max()) + 1 if len(scores) else 1
    code = group + n_groups * positive.astype(np.intp)  # layout: [negatives | positives]

    def values(indices: np.ndarray) -> np.ndarray:
        r = indices.shape[0]
        keys = code[indices]
        keys += (np.arange(r, dtype=np.intp) * (2 * n_groups))[:, None]
        counts = np.bincount(keys.ravel(), minlength=r * 2 * n_groups).reshape(r, 2, n_groups)
        neg, pos = counts[:, 0], counts[:, 1]
        twice_below = np.cumsum(neg, axis=1)
        twice_below *= 2
        twice_below -= neg  # 2·(negatives strictly below) + (negatives tied)
        u2 = np.einsum("ij,ij->i", pos, twice_below)
        n_pos = pos.sum(axis=1)
        pairs = 2 * n_pos * (indices.shape[1] - n_pos)
        return _ratio(u2, pairs, undefined=np.nan)  # one class only: undefined, dropped

    return values


def index_resampler(metric: Metric, y_true: Any, y_pred: Any, n_classes: int) -> Resampler:
    """The vectorised exact-bootstrap core: resample row indices (R×m) → R metric values."""
    shape = metric.shape_for(n_classes)
    name = metric.name
    if not supported(metric):
        raise KeyError(f"no bootstrap for metric {name!r}")
    if shape is Shape.LABEL:
        t = np.asarray(y_true, dtype=np.intp)
        p = np.asarray(y_pred, dtype=np.intp)
        return lambda idx: label_values(name, confusions_from_indices(t, p, n_classes, idx))
    if name == "roc_auc":
        return _auc_resampler(np.asarray(y_true) == 1, np.asarray(y_pred, dtype=np.float64))
    if name == "roc_auc_ovr":
        t = np.asarray(y_true)
        p = np.asarray(y_pred, dtype=np.float64)
        per_class = [_auc_resampler(t == c, p[:, c]) for c in range(n_classes)]
        # Macro mean as scikit-learn: nan when any class is missing from the resample.
        return lambda idx: np.mean([auc(idx) for auc in per_class], axis=0)
    if name == "r2":
        return _r2_resampler(y_true, y_pred)
    contributions, finish = _mean_contributions(metric, y_true, y_pred, n_classes)
    return lambda idx: finish(np.take(contributions, idx).mean(axis=1))


def _index_bootstrap(
    resampler: Resampler, m: int, resamples: int, rng: np.random.Generator
) -> np.ndarray:
    per_chunk = max(1, min(resamples, CHUNK_CELLS // m))
    values = np.empty(resamples, dtype=np.float64)
    for start in range(0, resamples, per_chunk):
        r = min(per_chunk, resamples - start)
        # intp, not int32: fancy indexing would convert int32 indices in an extra pass.
        values[start : start + r] = resampler(rng.integers(0, m, size=(r, m), dtype=np.intp))
    return values


def _quantiles(values: np.ndarray, level: float) -> tuple[float, float] | None:
    defined = values[~np.isnan(values)]
    if defined.size == 0:
        return None
    tail = (1.0 - level) / 2.0
    lo, hi = np.quantile(defined, [tail, 1.0 - tail])
    return float(lo), float(hi)


def _rows(values: Any, rows: np.ndarray) -> Any:
    if isinstance(values, np.ndarray):
        return values[rows]
    if isinstance(values, Sequence) and not isinstance(values, str):
        return [values[i] for i in rows]
    return np.asarray(values)[rows]


def confidence_interval(
    metric: Metric,
    y_true: Any,
    y_pred: Any,
    n_classes: int,
    *,
    seed: int,
    resamples: int = 1000,
    level: float = 0.95,
    estimate: float | None = None,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of ``metric`` on these rows, reproducible for ``seed``.

    None for custom metrics, fewer than 2 rows, or when every resample is undefined.
    ``estimate`` is the metric on all rows, which the scorer has already computed; it is
    only read above ``EXACT_MAX_ROWS`` rows (computed with ``metric`` when not given).
    """
    if not 0.0 < level < 1.0 or resamples < 1:
        raise ValueError(f"need 0 < level < 1 and resamples >= 1, not {level}, {resamples}")
    if not supported(metric):
        return None
    n = len(y_true)
    if n < 2:
        return None
    rng = np.random.default_rng(seed)
    if metric.shape_for(n_classes) is Shape.LABEL:
        # Exact at any n: O(resamples·K²) from the confusion matrix.
        t = np.asarray(y_true, dtype=np.intp)
        p = np.asarray(y_pred, dtype=np.intp)
        confusion = np.bincount(t * n_classes + p, minlength=n_classes**2)
        confusion = confusion.reshape(n_classes, n_classes)
        draws = multinomial_confusions(confusion, resamples, rng)
        return _quantiles(label_values(metric.name, draws), level)
    exact_max = AUC_MAX_ROWS if metric.name.startswith("roc_auc") else EXACT_MAX_ROWS
    if n <= exact_max:
        resampler = index_resampler(metric, y_true, y_pred, n_classes)
        return _quantiles(_index_bootstrap(resampler, n, resamples, rng), level)
    # m-out-of-n bootstrap with √n rescaling (Bickel, Götze & van Zwet 1997, Statistica
    # Sinica 7:1-31; Politis & Romano 1994 for subsampling): for a √n-consistent statistic,
    # √m(θ*_m - θ_m) approximates the law of √n(θ_n - θ) when m → ∞ and m/n → 0. So a
    # subsample of m rows (without replacement) is bootstrapped and the quantiles' distances
    # to the subsample's own value are shrunk by √(m/n) around the full-data value. This
    # bounds the cost at O(resamples·m) whatever n.
    m = exact_max
    rows = np.sort(rng.choice(n, size=m, replace=False, shuffle=False))
    resampler = index_resampler(metric, _rows(y_true, rows), _rows(y_pred, rows), n_classes)
    at_subsample = float(resampler(np.arange(m, dtype=np.intp)[None, :])[0])
    bounds = _quantiles(_index_bootstrap(resampler, m, resamples, rng), level)
    full = float(metric(y_true, y_pred, n_classes)) if estimate is None else float(estimate)
    if bounds is None or not (math.isfinite(full) and math.isfinite(at_subsample)):
        return None
    shrink = math.sqrt(m / n)
    return full + (bounds[0] - at_subsample) * shrink, full + (bounds[1] - at_subsample) * shrink


__all__ = [
    "EXACT_MAX_ROWS",
    "AUC_MAX_ROWS",
    "confidence_interval",
    "confusions_from_indices",
    "index_resampler",
    "label_values",
    "multinomial_confusions",
    "supported",
]
