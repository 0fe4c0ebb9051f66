"""Ground truth, loaded and cached for scoring; the sample and perfect submissions it implies.

A truth file is prepared once at task creation (``judge.prepare``): validated, split, stored
with a fixed ``Usage`` column. This module reads such a stored file.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from core.errors import TranslatableError
from judge.metrics import Metric, Shape, get_metric

USAGE = "Usage"
LABEL_SHAPES = (Shape.LABEL, Shape.PROBABILITY, Shape.SCORE, Shape.CLASS_PROBABILITIES)
RatingRange = tuple[int, int]


class TruthError(TranslatableError, ValueError):
    """A ground-truth file refused at task creation; the message is for the organizer."""


def ranked(text: pd.Series) -> np.ndarray:
    """Space-separated labels → an object array of tuples (best first)."""
    out = np.empty(len(text), dtype=object)
    out[:] = [tuple(v.split()) for v in text.to_numpy(dtype=object)]
    return out


def sorted_classes(labels: pd.Series) -> tuple[tuple[str, ...], np.ndarray | None]:
    """Distinct labels in scikit-learn's order: by value when all are numbers, else by text."""
    distinct = pd.unique(labels.to_numpy(dtype=object))
    numbers = pd.to_numeric(pd.Series(distinct), errors="coerce")
    if not numbers.isna().any():
        order = np.argsort(numbers.to_numpy(dtype=float), kind="stable")
        return tuple(str(distinct[i]) for i in order), numbers.to_numpy(dtype=float)[order]
    return tuple(sorted(str(v) for v in distinct)), None


def natural_order(ids: np.ndarray) -> np.ndarray:
    """Positions that sort ``ids`` as people sort them: by value when every id is a number,
    else as text.

    The order depends on the ids alone, never on where they stood in the file: a truth sorted
    by label or by Usage would otherwise hand its order to whoever reads the sample (SPEC §4).
    Equal values ("7" and "007") go by text, since the ids themselves are distinct.
    """
    numbers = _all_numbers(ids)
    if numbers is None:
        return np.argsort(ids.astype(str), kind="stable")
    order = np.argsort(numbers, kind="stable")
    if (np.diff(numbers[order]) == 0).any():  # a tie would keep the file's order: by text
        by_text = np.argsort(ids.astype(str), kind="stable")
        order = by_text[np.argsort(numbers[by_text], kind="stable")]
    return order


def _all_numbers(ids: np.ndarray) -> np.ndarray | None:
    """The ids' values when every one is a number, else None (text ids fail at the first)."""
    try:
        numbers = ids.astype(float)  # Python's float(): "007", " 5", "1e3", "-2.5"
    except (TypeError, ValueError):
        return None
    return None if np.isnan(numbers).any() else numbers  # "nan" is no number to sort by


def rating_classes(scale: RatingRange) -> tuple[str, ...]:
    """Every whole rating of a scale, as the class list of an ordinal metric (qwk)."""
    low, high = scale
    return tuple(str(v) for v in range(low, high + 1))


def submission_columns(metric: Metric, target_column: str, classes: Sequence[str]) -> list[str]:
    """The columns a submission needs besides the id: one per class, none, or the target."""
    shape = metric.shape_for(len(classes))
    if shape is Shape.CLASS_PROBABILITIES:
        return list(classes)
    if shape is Shape.CUSTOM:
        return []
    return [target_column]


@dataclass(frozen=True)
class Solution:
    """The truth of one task, ready to score against."""

    id_column: str
    target_column: str
    metric: Metric
    index: pd.Index  # truth ids as text, in file order
    public: np.ndarray  # bool mask
    # Label tasks: the known labels in metric order (qwk: every rating of the scale).
    classes: tuple[str, ...]
    class_values: np.ndarray | None  # their numeric values, when all labels are numbers
    y_true: Any  # per shape: class indices, floats or tuples (see judge.metrics)
    frame: pd.DataFrame  # id + target as text, for custom metrics
    seed: int  # bootstrap seed, fixed by the truth file
    # The sample submission's order (ids sorted, see natural_order): its ids, and for each
    # truth row its row in the sample, so a file in that order aligns without hashing.
    sample_ids: np.ndarray
    sample_rows: np.ndarray

    @property
    def shape(self) -> Shape:
        return self.metric.shape_for(len(self.classes))

    def prediction_columns(self) -> list[str]:
        """The submission columns besides the id."""
        return submission_columns(self.metric, self.target_column, self.classes)


def solution_from_frame(
    frame: pd.DataFrame,
    id_column: str,
    target_column: str,
    metric: Metric,
    *,
    seed: int,
    rating_range: RatingRange | None = None,
) -> Solution:
    """A :class:`Solution` from a stored truth's text columns (id, target, Usage)."""
    target = frame[target_column]
    classes: tuple[str, ...] = ()
    class_values = None
    y_true: Any
    numbers = pd.to_numeric(target, errors="coerce").to_numpy() if metric.ordinal else None
    if numbers is not None and not np.isnan(numbers).any():
        scale = rating_range or (int(numbers.min()), int(numbers.max()))
        classes = rating_classes(scale)
        class_values = np.arange(scale[0], scale[1] + 1, dtype=float)
        y_true = (numbers - scale[0]).astype(np.intp)
    elif metric.shape in LABEL_SHAPES:  # (qwk on text labels: tasks made before scales)
        classes, class_values = sorted_classes(target)
        y_true = pd.Index(classes).get_indexer(target.to_numpy(dtype=object)).astype(np.intp)
    elif metric.shape is Shape.VALUE:
        y_true = target.astype(float).to_numpy()
    elif metric.shape is Shape.RANKED:
        y_true = ranked(target)
    else:
        y_true = None
    ids = frame[id_column].to_numpy(dtype=object)
    sample_order = natural_order(ids)
    sample_rows = np.empty(len(ids), dtype=np.intp)
    sample_rows[sample_order] = np.arange(len(ids))
    sample_rows.setflags(write=False)  # handed out by judge.scoring.align, shared by all
    return Solution(
        id_column=id_column,
        target_column=target_column,
        metric=metric,
        index=pd.Index(ids),
        public=(frame[USAGE] == "Public").to_numpy(),
        classes=classes,
        class_values=class_values,
        y_true=y_true,
        frame=frame[[id_column, target_column]],
        seed=seed,
        sample_ids=ids[sample_order],
        sample_rows=sample_rows,
    )


def load_solution(
    path: Path,
    id_column: str,
    target_column: str,
    metric_name: str,
    rating_range: RatingRange | None = None,
) -> Solution:
    """Read a prepared truth file into a :class:`Solution`."""
    body = path.read_bytes()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return solution_from_frame(
        frame,
        id_column,
        target_column,
        get_metric(metric_name),
        seed=int(hashlib.sha256(body).hexdigest()[:8], 16),
        rating_range=rating_range,
    )


class TaskTruth(Protocol):
    """What a task row says about its truth (``core.models.Task`` has these)."""

    truth_path: str
    truth_sha256: str
    id_column: str
    target_column: str
    metric: str
    rating_min: int | None
    rating_max: int | None
    classes: list[str] | None


def rating_range_of(task: TaskTruth) -> RatingRange | None:
    """The task's rating scale (qwk), when it has one."""
    if task.rating_min is None or task.rating_max is None:
        return None
    return task.rating_min, task.rating_max


class SolutionCache:
    """Keeps recently used solutions in memory; keyed by file hash so a new truth reloads."""

    def __init__(self, size: int = 8) -> None:
        self._size = size
        self._items: dict[tuple[Any, ...], Solution] = {}
        self._lock = threading.Lock()

    def of(self, task: TaskTruth) -> Solution:
        """The solution a task's row describes."""
        return self.get(
            Path(task.truth_path),
            task.truth_sha256,
            task.id_column,
            task.target_column,
            task.metric,
            rating_range_of(task),
        )

    def get(
        self,
        path: Path,
        sha256: str,
        id_column: str,
        target: str,
        metric: str,
        rating_range: RatingRange | None = None,
    ) -> Solution:
        key = (sha256, id_column, target, metric, rating_range)
        with self._lock:
            if key in self._items:
                return self._items[key]
        solution = load_solution(path, id_column, target, metric, rating_range)
        with self._lock:
            if len(self._items) >= self._size:
                self._items.pop(next(iter(self._items)))
            self._items[key] = solution
        return solution


def sample_submission(solution: Solution, rows: int | None = None) -> str:
    """A valid-shaped submission: every id (or the first ``rows``), sorted
    (``natural_order``), and a placeholder prediction; neither its values nor its order say
    anything of the truth."""
    columns: dict[str, object] = {solution.id_column: solution.sample_ids[:rows]}
    shape = solution.shape
    if shape is Shape.CLASS_PROBABILITIES:
        for label in solution.classes:
            columns[label] = 1 / len(solution.classes)
    elif shape is Shape.LABEL:
        columns[solution.target_column] = solution.classes[0]
    elif shape in (Shape.PROBABILITY, Shape.SCORE):
        columns[solution.target_column] = 0.5
    elif shape is Shape.RANKED:
        columns[solution.target_column] = ""
    elif shape is Shape.VALUE:
        columns[solution.target_column] = 0
    elif shape is Shape.CUSTOM:
        # What most custom metrics read: the id and the target (the metric's placeholder).
        columns[solution.target_column] = solution.metric.sample_value
    return pd.DataFrame(columns).to_csv(index=False)


def perfect_submission(solution: Solution) -> str:
    """The truth written as a submission: what a team that knew every answer would upload.

    Task creation scores it (and the sample) on each part, so a metric that is undefined on
    the split is refused before any team submits.
    """
    frame = solution.frame
    columns: dict[str, object] = {solution.id_column: solution.index}
    shape = solution.shape
    if shape is Shape.CLASS_PROBABILITIES:
        for k, label in enumerate(solution.classes):
            columns[label] = (solution.y_true == k).astype(float)
    elif shape in (Shape.PROBABILITY, Shape.SCORE):
        # Class 1 is the greater label (scikit-learn's positive class).
        columns[solution.target_column] = (solution.y_true == 1).astype(float)
    elif shape is Shape.CUSTOM:
        return frame.to_csv(index=False)
    else:
        columns[solution.target_column] = frame[solution.target_column].to_numpy()
    return pd.DataFrame(columns).to_csv(index=False)


def required_columns(task: TaskTruth) -> list[str]:
    """The columns an upload's header must hold: the id and the task's prediction column(s).

    A class-probability task made before its classes were kept asks for the id only here;
    the scorer checks the rest.
    """
    metric = get_metric(task.metric)
    if task.classes is None and (
        metric.multiclass_shape is not None or metric.shape is Shape.CLASS_PROBABILITIES
    ):
        return [task.id_column]
    return [task.id_column, *submission_columns(metric, task.target_column, task.classes or [])]
