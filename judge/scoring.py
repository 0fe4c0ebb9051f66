"""Validate a submission against a solution and compute public and private scores (pure)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from judge.errors import ParticipantVisibleError
from judge.metrics import Input, Metric, get_metric
from judge.reader import check_columns, read_table
from judge.truth import Solution

MAX_EXAMPLES = 5


@dataclass
class ScoreResult:
    public_score: float
    private_score: float | None
    timings_ms: dict[str, float] = field(default_factory=dict)


def _examples(values: pd.Series | pd.Index) -> str:
    shown = ", ".join(repr(str(v)) for v in list(values[:MAX_EXAMPLES]))
    return shown + (", …" if len(values) > MAX_EXAMPLES else "")


def _row(position: int) -> int:
    """1-based line number in the file (the header is line 1)."""
    return position + 2


def align(solution: Solution, frame: pd.DataFrame) -> pd.Series:
    """Check ids and return the prediction column in the solution's row order."""
    check_columns(list(frame.columns), [solution.id_column, solution.target_column])
    if frame.empty:
        raise ParticipantVisibleError("The file has a header but no rows.")
    ids = frame[solution.id_column].str.strip()
    duplicated = ids[ids.duplicated()]
    if len(duplicated):
        raise ParticipantVisibleError(
            f"{len(duplicated)} duplicate ids, e.g. {_examples(duplicated.unique())}. "
            "Each id must appear exactly once."
        )
    positions = solution.index.get_indexer(ids)
    unknown = ids[positions < 0]
    if len(unknown):
        raise ParticipantVisibleError(
            f"{len(unknown)} ids are not in the test set, e.g. {_examples(unknown)}."
        )
    if len(ids) < len(solution.index):
        present = np.zeros(len(solution.index), dtype=bool)
        present[positions] = True
        missing = solution.index[~present]
        raise ParticipantVisibleError(
            f"{len(missing)} ids are missing, e.g. {_examples(missing)}. "
            "Download the sample submission for the full list."
        )
    predictions = frame[solution.target_column].str.strip()
    ordered = np.empty(len(solution.index), dtype=object)
    ordered[positions] = predictions.to_numpy()
    file_rows = np.empty(len(solution.index), dtype=np.int64)
    file_rows[positions] = np.arange(len(ids))
    return pd.Series(ordered, index=file_rows)


def _numeric(values: pd.Series, column: str) -> np.ndarray:
    parsed = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(parsed)
    if bad.any():
        at = int(np.flatnonzero(bad)[np.argmin(values.index.to_numpy()[bad])])
        raw = values.iloc[at]
        why = "is empty" if raw == "" else f"{raw!r} is not a finite number"
        raise ParticipantVisibleError(
            f"Line {_row(int(values.index[at]))}: the value in column {column!r} {why} "
            f"({int(bad.sum())} such values in all)."
        )
    return parsed


def _labels(values: pd.Series, solution: Solution) -> np.ndarray:
    if solution.numeric_labels:
        parsed = _numeric(values, solution.target_column)
        known = np.array([float(c) for c in solution.classes])
        outside = ~np.isin(parsed, known)
    else:
        parsed = values.to_numpy(dtype=object)
        outside = ~np.isin(parsed, np.array(solution.classes, dtype=object))
    if outside.any():
        at = int(np.flatnonzero(outside)[np.argmin(values.index.to_numpy()[outside])])
        shown = ", ".join(solution.classes) if len(solution.classes) <= 20 else "see the rules"
        raise ParticipantVisibleError(
            f"Line {_row(int(values.index[at]))}: {values.iloc[at]!r} is not a known class "
            f"({shown}); {int(outside.sum())} such values in all."
        )
    return parsed


def predictions_for(metric: Metric, values: pd.Series, solution: Solution) -> np.ndarray:
    """Convert the aligned prediction text to what the metric takes, with row-level errors."""
    if metric.input is Input.LABEL:
        return _labels(values, solution)
    parsed = _numeric(values, solution.target_column)
    if metric.input is Input.PROBABILITY:
        outside = (parsed < 0) | (parsed > 1)
        if outside.any():
            at = int(np.flatnonzero(outside)[np.argmin(values.index.to_numpy()[outside])])
            raise ParticipantVisibleError(
                f"Line {_row(int(values.index[at]))}: probability {values.iloc[at]!r} is "
                f"outside [0, 1]; {int(outside.sum())} such values in all."
            )
    return parsed


def score(solution: Solution, data: bytes, filename: str, metric_name: str) -> ScoreResult:
    """Read, validate, align and score one submission file."""
    metric = get_metric(metric_name)
    t0 = time.perf_counter()
    frame = read_table(data, filename)
    t1 = time.perf_counter()
    values = align(solution, frame)
    predictions = predictions_for(metric, values, solution)
    t2 = time.perf_counter()
    public = solution.public
    public_score = metric(solution.target[public], predictions[public])
    private_score = (
        metric(solution.target[~public], predictions[~public]) if (~public).any() else None
    )
    t3 = time.perf_counter()
    return ScoreResult(
        public_score=public_score,
        private_score=private_score,
        timings_ms={
            "read": (t1 - t0) * 1000,
            "validate": (t2 - t1) * 1000,
            "metric": (t3 - t2) * 1000,
        },
    )
