"""Ground truth: prepared once at task creation (split fixed), loaded and cached for scoring."""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from judge.errors import ParticipantVisibleError, TranslatableError
from judge.metrics import Metric, Shape, get_metric
from judge.reader import read_table

USAGE = "Usage"
LABEL_SHAPES = (Shape.LABEL, Shape.PROBABILITY, Shape.SCORE, Shape.CLASS_PROBABILITIES)


class TruthError(TranslatableError, ValueError):
    """A ground-truth file refused at task creation; the message is for the organizer."""


@dataclass(frozen=True)
class PreparedTruth:
    path: Path
    sha256: str
    rows: int
    public_rows: int
    classes: tuple[str, ...]


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


@dataclass(frozen=True)
class Solution:
    """The truth of one task, ready to score against."""

    id_column: str
    target_column: str
    metric: Metric
    index: pd.Index  # truth ids as text, in file order
    public: np.ndarray  # bool mask
    classes: tuple[str, ...]  # label tasks: the known labels in metric order
    class_values: np.ndarray | None  # their numeric values, when all labels are numbers
    y_true: Any  # per shape: class indices, floats or tuples (see judge.metrics)
    frame: pd.DataFrame  # id + target as text, for custom metrics
    seed: int  # bootstrap seed, fixed by the truth file

    @property
    def shape(self) -> Shape:
        return self.metric.shape_for(len(self.classes))

    def prediction_columns(self) -> list[str]:
        """The submission columns besides the id."""
        if self.shape is Shape.CLASS_PROBABILITIES:
            return list(self.classes)
        if self.shape is Shape.CUSTOM:
            return []
        return [self.target_column]


def _check_truth_for(metric: Metric, target: pd.Series) -> tuple[str, ...]:
    shape = metric.shape
    if shape in LABEL_SHAPES:
        classes, _values = sorted_classes(target)
        if len(classes) < metric.min_classes:
            raise TruthError(
                "%(metric)s needs at least %(count)d classes.",
                metric=metric.name,
                count=metric.min_classes,
            )
        if metric.max_classes is not None and len(classes) > metric.max_classes:
            raise TruthError(
                "%(metric)s takes %(allowed)d classes, found %(count)d.",
                metric=metric.name,
                allowed=metric.max_classes,
                count=len(classes),
            )
        return classes
    if shape is Shape.VALUE:
        values = pd.to_numeric(target, errors="coerce")
        if values.isna().any() or not np.isfinite(values).all():
            raise TruthError("The target must be numeric for %(metric)s.", metric=metric.name)
        if metric.needs_positive and (values < 0).any():
            raise TruthError("%(metric)s needs non-negative targets.", metric=metric.name)
    if shape is Shape.RANKED and (target.str.strip() == "").any():
        raise TruthError(
            "Every row needs at least one relevant label for %(metric)s.", metric=metric.name
        )
    return ()


def _check_splits(
    metric: Metric, target: pd.Series, usage: np.ndarray, classes: tuple[str, ...]
) -> None:
    """Refuse now a split on which the metric would be undefined.

    Probability and ranking metrics need every class in each split; label metrics need two
    (kappa and MCC are undefined on a single class).
    """
    if metric.shape is Shape.LABEL and len(classes) >= 2:
        for split in ("Public", "Private"):
            part = set(target[usage == split])
            if len(part) == 1 and split == "Public":
                raise TruthError(
                    "The public split holds only the class %(label)s; "
                    "use a larger public fraction or a Usage column.",
                    label=str(part.pop()),
                )
            if len(part) == 1:
                raise TruthError(
                    "The private split holds only the class %(label)s; "
                    "use a larger public fraction or a Usage column.",
                    label=str(part.pop()),
                )
    if metric.shape not in (Shape.PROBABILITY, Shape.SCORE, Shape.CLASS_PROBABILITIES):
        return
    for split in ("Public", "Private"):
        part = set(target[usage == split])
        if part and part != set(classes):
            missing = ", ".join(sorted(set(classes) - part))
            if split == "Public":
                raise TruthError(
                    "The public split has no row of class(es) %(classes)s; %(metric)s needs "
                    "every class in both splits (use a larger public fraction or a Usage column).",
                    classes=missing,
                    metric=metric.name,
                )
            raise TruthError(
                "The private split has no row of class(es) %(classes)s; %(metric)s needs "
                "every class in both splits (use a larger public fraction or a Usage column).",
                classes=missing,
                metric=metric.name,
            )


def prepare_truth(
    source: Path,
    dest_dir: Path,
    *,
    id_column: str,
    target_column: str,
    metric: str,
    public_fraction: float = 0.3,
    usage_column: str | None = None,
    keep_split_of: Path | None = None,
) -> PreparedTruth:
    """Validate a ground-truth CSV and store it with a fixed ``Usage`` split (SPEC §4).

    ``keep_split_of`` (a replaced truth of the same task) carries the old split over: the new
    file must hold exactly the same ids.
    """
    try:
        frame = read_table(source.read_bytes(), source.name)
    except ParticipantVisibleError as exc:
        # The reader's message names the file; on the task form that file is the truth.
        raise TruthError(exc.template, **exc.params) from exc
    for column in (id_column, target_column):
        if column not in frame.columns:
            raise TruthError(
                "The ground truth has no column %(column)s: %(columns)s.",
                column=repr(column),
                columns=str(list(frame.columns)),
            )
    if frame.empty:
        raise TruthError("The ground truth has no rows.")
    ids = frame[id_column].str.strip()
    if ids.duplicated().any():
        raise TruthError(
            "The ground truth has %(count)d duplicate ids.", count=int(ids.duplicated().sum())
        )
    target = frame[target_column].str.strip()
    classes = _check_truth_for(get_metric(metric), target)

    if keep_split_of is not None:
        old = pd.read_csv(keep_split_of, dtype=str, keep_default_na=False).set_index(id_column)
        if len(old) != len(ids) or not ids.isin(old.index).all():
            raise TruthError("The new ground truth must hold exactly the ids of the old one.")
        usage = old.loc[ids.to_numpy(), USAGE].reset_index(drop=True)
    elif usage_column:
        if usage_column not in frame.columns:
            raise TruthError(
                "The ground truth has no usage column %(column)s.", column=repr(usage_column)
            )
        usage = frame[usage_column].str.strip().str.capitalize()
        if not usage.isin(["Public", "Private"]).all():
            raise TruthError(
                "%(column)s must hold only Public or Private.", column=repr(usage_column)
            )
        if not (usage == "Public").any():
            raise TruthError("%(column)s marks no row Public.", column=repr(usage_column))
    else:
        if not 0 < public_fraction <= 1:
            raise TruthError("The public fraction must be in (0, 1].")
        # A secret seed: participants cannot reproduce the split; the stored file fixes it.
        rng = np.random.default_rng(secrets.randbits(64))
        n_public = max(1, round(len(frame) * public_fraction))
        mask = np.zeros(len(frame), dtype=bool)
        mask[rng.choice(len(frame), size=n_public, replace=False)] = True
        usage = pd.Series(np.where(mask, "Public", "Private"), index=frame.index)

    _check_splits(get_metric(metric), target, usage.to_numpy(), classes)
    stored = pd.DataFrame({id_column: ids, target_column: target, USAGE: usage.to_numpy()})
    dest_dir.mkdir(parents=True, exist_ok=True)
    body = stored.to_csv(index=False).encode("utf-8")
    path = dest_dir / f"{secrets.token_hex(16)}.csv"
    path.write_bytes(body)
    return PreparedTruth(
        path=path,
        sha256=hashlib.sha256(body).hexdigest(),
        rows=len(stored),
        public_rows=int((stored[USAGE] == "Public").sum()),
        classes=classes,
    )


def load_solution(path: Path, id_column: str, target_column: str, metric_name: str) -> Solution:
    """Read a prepared truth file into a :class:`Solution`."""
    body = path.read_bytes()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    metric = get_metric(metric_name)
    target = frame[target_column]
    classes: tuple[str, ...] = ()
    class_values = None
    y_true: Any
    if metric.shape in LABEL_SHAPES:
        classes, class_values = sorted_classes(target)
        y_true = pd.Index(classes).get_indexer(target.to_numpy(dtype=object)).astype(np.intp)
    elif metric.shape is Shape.VALUE:
        y_true = target.astype(float).to_numpy()
    elif metric.shape is Shape.RANKED:
        y_true = ranked(target)
    else:
        y_true = None
    return Solution(
        id_column=id_column,
        target_column=target_column,
        metric=metric,
        index=pd.Index(frame[id_column].to_numpy(dtype=object)),
        public=(frame[USAGE] == "Public").to_numpy(),
        classes=classes,
        class_values=class_values,
        y_true=y_true,
        frame=frame[[id_column, target_column]],
        seed=int(hashlib.sha256(body).hexdigest()[:8], 16),
    )


class SolutionCache:
    """Keeps recently used solutions in memory; keyed by file hash so a new truth reloads."""

    def __init__(self, size: int = 8) -> None:
        self._size = size
        self._items: dict[tuple[str, str, str, str], Solution] = {}
        self._lock = threading.Lock()

    def get(self, path: Path, sha256: str, id_column: str, target: str, metric: str) -> Solution:
        key = (sha256, id_column, target, metric)
        with self._lock:
            if key in self._items:
                return self._items[key]
        solution = load_solution(path, id_column, target, metric)
        with self._lock:
            if len(self._items) >= self._size:
                self._items.pop(next(iter(self._items)))
            self._items[key] = solution
        return solution


def sample_submission(solution: Solution) -> str:
    """A valid-shaped submission: every id and a placeholder prediction, no truth values."""
    columns: dict[str, object] = {solution.id_column: solution.index}
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
    return pd.DataFrame(columns).to_csv(index=False)
