"""Validate a submission against a solution and compute public and private scores (pure)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.errors import N_, Param, ParticipantVisibleError, clip, quoted
from judge.metrics import Shape
from judge.reader import physical_line, read_submission, read_submission_table
from judge.sniff import check_columns
from judge.truth import Solution, ranked

MAX_EXAMPLES = 5
TOO_MANY_ROWS = N_(
    "The file has more than %(limit)d rows; the test set has %(rows)d ids, one row each."
)


def row_limit(ids: int) -> int:
    """The most rows a file for ``ids`` test ids is read to: room for every duplicate and
    unknown id the messages count in a file of about the right length, and no further, so a
    file that expands to a billion short rows costs what the test set's size allows."""
    return 2 * ids + 100


@dataclass
class ScoreResult:
    public_score: float
    private_score: float | None
    public_ci: tuple[float, float] | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    # Computes the public score's bootstrap CI on demand (None for custom metrics).
    ci_later: Callable[[], tuple[float, float] | None] | None = field(default=None, repr=False)

    def compute_ci(self) -> tuple[float, float] | None:
        """Fill ``public_ci`` (once) and return it."""
        if self.public_ci is None and self.ci_later is not None:
            start = time.perf_counter()
            self.public_ci = self.ci_later()
            self.timings_ms["ci"] = (time.perf_counter() - start) * 1000
            self.ci_later = None
        return self.public_ci


def _examples(values: Any) -> str:
    values = list(values)
    shown = ", ".join(quoted(v) for v in values[:MAX_EXAMPLES])
    return shown + (", …" if len(values) > MAX_EXAMPLES else "")


class RowError(ParticipantVisibleError):
    """A problem on one data row; ``%(line)d`` names its line once the file is at hand."""

    def __init__(self, row: int, template: str, **params: Param) -> None:
        super().__init__(template, line=int(row) + 2, **params)
        self.row = int(row)

    def on_line(self, line: int) -> ParticipantVisibleError:
        """The same message naming the file's physical line."""
        return ParticipantVisibleError(self.template, **{**self.params, "line": line})


def align(solution: Solution, ids: pd.Series) -> np.ndarray:
    """For each truth row, the file row holding its id; refuses missing/extra/duplicate ids."""
    if len(ids) == 0:
        raise ParticipantVisibleError("The file has a header but no rows.")
    raw = ids.to_numpy(dtype=object)
    n = len(solution.index)
    if len(raw) == n and np.array_equal(raw, solution.sample_ids):
        return solution.sample_rows  # the sample submission's order: no hashing needed
    positions = solution.index.get_indexer(raw)
    if len(raw) == n and (positions >= 0).all():
        order = np.full(n, -1, dtype=np.intp)
        order[positions] = np.arange(n)
        if (order >= 0).all():  # n distinct hits among n rows: no duplicates (fast path)
            return order
    # Slow path, only for files with a problem: find it and say it precisely.
    stripped = ids.str.strip()
    duplicated = stripped[stripped.duplicated()]
    if len(duplicated):
        raise ParticipantVisibleError(
            "%(count)d duplicate ids, e.g. %(examples)s. Each id must appear exactly once.",
            count=len(duplicated),
            examples=_examples(pd.unique(duplicated)),
        )
    positions = solution.index.get_indexer(stripped.to_numpy(dtype=object))
    unknown = stripped[positions < 0]
    if len(unknown):
        raise ParticipantVisibleError(
            "%(count)d ids are not in the test set, e.g. %(examples)s.",
            count=len(unknown),
            examples=_examples(unknown),
        )
    present = np.zeros(n, dtype=bool)
    present[positions] = True
    if not present.all():
        missing = solution.index[~present]
        raise ParticipantVisibleError(
            "%(count)d ids are missing, e.g. %(examples)s. "
            "Download the sample submission for the full list.",
            count=len(missing),
            examples=_examples(missing),
        )
    order = np.empty(n, dtype=np.intp)
    order[positions] = np.arange(len(positions))
    return order


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A numeric column as floats, or an error naming the first offending line."""
    series = frame[column]
    if series.dtype.kind in "fiu":
        values = series.to_numpy(dtype=float)
    else:
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raw = series.iloc[first]
        count = int(bad.sum())
        if raw is None or (isinstance(raw, float) and np.isnan(raw)):
            raise RowError(
                first,
                "Line %(line)d: the value in column %(column)s is empty or not a number (NaN) "
                "(%(count)d such values in all).",
                column=quoted(column),
                count=count,
            )
        raise RowError(
            first,
            "Line %(line)d: the value in column %(column)s %(value)s is not a finite number "
            "(%(count)d such values in all).",
            column=quoted(column),
            value=quoted(raw),
            count=count,
        )
    return values


def _outside(mask: np.ndarray, values: np.ndarray, template: str, **params: Param) -> None:
    """Refuse the first row in ``mask``; the template gets ``line``, ``value`` and ``count``."""
    if mask.any():
        first = int(np.flatnonzero(mask)[0])
        value = float(values[first])
        raise RowError(first, template, value=repr(value), count=int(mask.sum()), **params)


def _class_indices(text: pd.Series, solution: Solution) -> np.ndarray:
    codes = pd.Index(solution.classes).get_indexer(text.to_numpy(dtype=object)).astype(np.intp)
    unknown = codes < 0
    if unknown.any() and solution.class_values is not None:
        # "1.0" for the class "1": compare by value when every class is a number.
        numbers = pd.to_numeric(text[unknown], errors="coerce").to_numpy(dtype=float)
        lookup = {v: i for i, v in enumerate(solution.class_values)}
        codes[unknown] = [lookup.get(v, -1) for v in numbers]
        unknown = codes < 0
    if unknown.any():
        first = int(np.flatnonzero(unknown)[0])
        shown = quoted(text.iloc[first])
        count = int(unknown.sum())
        if solution.metric.ordinal:
            # The scale is the task's published rating range, never the hidden set's labels.
            raise RowError(
                first,
                "Line %(line)d: %(value)s is not a whole-number rating from %(low)s to %(high)s; "
                "%(count)d such values in all.",
                value=shown,
                low=solution.classes[0],
                high=solution.classes[-1],
                count=count,
            )
        if len(solution.classes) > 20:
            raise RowError(
                first,
                "Line %(line)d: %(value)s is not a known class (see the rules); "
                "%(count)d such values in all.",
                value=shown,
                count=count,
            )
        raise RowError(
            first,
            "Line %(line)d: %(value)s is not a known class (%(known)s); "
            "%(count)d such values in all.",
            value=shown,
            known=", ".join(clip(c) for c in solution.classes),
            count=count,
        )
    return codes


def predictions(solution: Solution, frame: pd.DataFrame) -> Any:
    """The prediction column(s) converted for the metric's shape, in file order."""
    shape = solution.shape
    column = solution.target_column
    if shape is Shape.LABEL:
        return _class_indices(frame[column].str.strip(), solution)
    if shape is Shape.RANKED:
        return ranked(frame[column].fillna(""))
    if shape is Shape.CLASS_PROBABILITIES:
        matrix = np.column_stack([_numbers(frame, c) for c in solution.classes])
        row_bad = ((matrix < 0) | (matrix > 1)).any(axis=1)
        _outside(
            row_bad,
            matrix.max(axis=1),
            N_("Line %(line)d: a probability is outside [0, 1] (%(count)d such values in all)."),
        )
        sums = matrix.sum(axis=1)
        _outside(
            sums == 0,
            sums,
            N_(
                "Line %(line)d: the class probabilities sum to %(value)s "
                "(%(count)d such values in all)."
            ),
        )
        return matrix / sums[:, None]  # rows rescaled to sum to 1, as Kaggle does
    values = _numbers(frame, column)
    if shape is Shape.PROBABILITY:
        _outside(
            (values < 0) | (values > 1),
            values,
            N_(
                "Line %(line)d: probability %(value)s is outside [0, 1] "
                "(%(count)d such values in all)."
            ),
        )
    if solution.metric.above_minus_one:
        _outside(
            values <= -1,
            values,
            N_(
                "Line %(line)d: %(metric)s needs values greater than -1, not %(value)s "
                "(%(count)d such values in all)."
            ),
            metric=solution.metric.name,
        )
    return values


def _custom(solution: Solution, frame: pd.DataFrame, order: np.ndarray, mask: np.ndarray) -> float:
    truth = solution.frame[mask].reset_index(drop=True)
    submission = frame.iloc[order[mask]].reset_index(drop=True)
    return float(solution.metric.fn(truth, submission, solution.id_column))


def _finite(value: float) -> float:
    """A score must be a number. An overflow comes from the file's values: the team is told.

    NaN means the metric is undefined on the split (task creation refuses such splits), so it
    is a platform fault for staff, never blamed on the team.
    """
    if np.isnan(value):
        raise ValueError("the metric is undefined (NaN) on this split; check the task's truth")
    if np.isinf(value):
        raise ParticipantVisibleError(
            "The score overflows to infinity: some predictions are far too large."
        )
    return value


def _read(solution: Solution, data: bytes, filename: str) -> pd.DataFrame:
    limit = row_limit(len(solution.index))
    if solution.shape is Shape.CUSTOM:
        # A custom metric reads every column itself, as text.
        frame = read_submission_table(data, max_rows=limit)
        check_columns(list(frame.columns), [solution.id_column])
    else:
        text = [solution.target_column] if solution.shape in (Shape.LABEL, Shape.RANKED) else []
        numeric = [c for c in solution.prediction_columns() if c not in text]
        frame = read_submission(
            data,
            id_column=solution.id_column,
            text_columns=text,
            numeric_columns=numeric,
            max_rows=limit,
        )
    if len(frame) > limit:
        raise ParticipantVisibleError(TOO_MANY_ROWS, limit=limit, rows=len(solution.index))
    return frame


def _score_custom(solution: Solution, data: bytes, filename: str) -> ScoreResult:
    t0 = time.perf_counter()
    frame = _read(solution, data, filename)
    order = align(solution, frame[solution.id_column])
    t1 = time.perf_counter()
    public_score = _custom(solution, frame, order, solution.public)
    private = ~solution.public
    private_score = _custom(solution, frame, order, private) if private.any() else None
    return ScoreResult(public_score, private_score, None, _timings(t0, t1, time.perf_counter()))


def read_predictions(solution: Solution, data: bytes, filename: str) -> Any:
    """The file's predictions converted for the metric, in the truth's row order.

    The parsed table (its id strings are the bulk of the memory) is dropped on return, before
    any metric runs, which keeps the peak near the parser's own.
    """
    frame = _read(solution, data, filename)
    order = align(solution, frame[solution.id_column])
    try:
        return predictions(solution, frame)[order]
    except RowError as exc:
        line = physical_line(data, exc.row)
        raise exc.on_line(line) from None


def parts(solution: Solution) -> dict[str, np.ndarray]:
    """The split's parts as row masks, the empty ones left out."""
    masks = {"public": solution.public, "private": ~solution.public}
    return {name: mask for name, mask in masks.items() if mask.any()}


def part_scores(solution: Solution, data: bytes, filename: str = "") -> dict[str, float]:
    """The metric on each part of the split, unchecked: NaN where it is undefined or refuses.

    Task creation scores the perfect and the sample submission this way (``judge.prepare``).
    """
    if solution.shape is Shape.CUSTOM:
        frame = _read(solution, data, filename)
        order = align(solution, frame[solution.id_column])

        def on(mask: np.ndarray) -> float:
            return _custom(solution, frame, order, mask)
    else:
        y_pred = read_predictions(solution, data, filename)

        def on(mask: np.ndarray) -> float:
            return solution.metric(solution.y_true[mask], y_pred[mask], len(solution.classes))

    scores = {}
    for name, mask in parts(solution).items():
        try:
            scores[name] = float(on(mask))
        except (ValueError, ZeroDivisionError, FloatingPointError):
            if solution.shape is Shape.CUSTOM:
                raise  # a custom metric's own complaint, not a verdict on the split
            scores[name] = math.nan  # scikit-learn refuses the part (one class, too few rows)
    return scores


def score(
    solution: Solution, data: bytes, filename: str = "", *, with_ci: bool = True
) -> ScoreResult:
    """Read, validate, align and score one submission file."""
    if solution.shape is Shape.CUSTOM:
        return _score_custom(solution, data, filename)
    metric = solution.metric
    t0 = time.perf_counter()
    y_pred = read_predictions(solution, data, filename)
    t1 = time.perf_counter()
    k = len(solution.classes)
    y_true = solution.y_true
    public, private = solution.public, ~solution.public
    public_score = _finite(metric(y_true[public], y_pred[public], k))
    private_score = _finite(metric(y_true[private], y_pred[private], k)) if private.any() else None
    t2 = time.perf_counter()

    def ci_later() -> tuple[float, float] | None:
        from judge.bootstrap import confidence_interval

        return confidence_interval(
            metric, y_true[public], y_pred[public], k, seed=solution.seed, estimate=public_score
        )

    result = ScoreResult(public_score, private_score, None, _timings(t0, t1, t2), ci_later)
    if with_ci:
        result.compute_ci()
    return result


def _timings(*marks: float) -> dict[str, float]:
    """Milliseconds of read+validate, metric and CI (the phases present)."""
    now = time.perf_counter()
    ends = [*marks[1:], now]
    names = ("read_validate", "metric", "ci")
    return {
        name: (end - start) * 1000 for name, start, end in zip(names, marks, ends, strict=False)
    }
