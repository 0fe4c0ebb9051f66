"""Ground truth: prepared once at task creation (split fixed), loaded and cached for scoring."""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from judge.errors import ParticipantVisibleError
from judge.metrics import Input, get_metric
from judge.reader import read_table

USAGE = "Usage"


@dataclass(frozen=True)
class PreparedTruth:
    path: Path
    sha256: str
    rows: int
    public_rows: int


@dataclass(frozen=True)
class Solution:
    """The truth of one task, ready to score against: ids in file order, typed target, split."""

    id_column: str
    target_column: str
    index: pd.Index  # truth ids as text
    target: np.ndarray
    public: np.ndarray  # bool mask
    classes: tuple[str, ...]  # text of the known labels (label-type metrics)
    numeric_labels: bool


def _as_float_or_none(values: pd.Series) -> np.ndarray | None:
    parsed = pd.to_numeric(values, errors="coerce")
    return None if parsed.isna().any() else parsed.to_numpy(dtype=float)


def prepare_truth(
    source: Path,
    dest_dir: Path,
    *,
    id_column: str,
    target_column: str,
    metric: str,
    public_fraction: float = 0.3,
    usage_column: str | None = None,
) -> PreparedTruth:
    """Validate a ground-truth CSV and store it with a fixed ``Usage`` split (SPEC §4)."""
    try:
        frame = read_table(source.read_bytes(), source.name)
    except ParticipantVisibleError as exc:
        raise ValueError(f"ground truth: {exc}") from exc
    for column in (id_column, target_column):
        if column not in frame.columns:
            raise ValueError(f"ground truth has no column {column!r}: {list(frame.columns)}")
    if frame.empty:
        raise ValueError("ground truth has no rows")
    ids = frame[id_column].str.strip()
    if ids.duplicated().any():
        raise ValueError(f"ground truth has {int(ids.duplicated().sum())} duplicate ids")
    kind = get_metric(metric).input
    if kind is Input.VALUE and _as_float_or_none(frame[target_column]) is None:
        raise ValueError(f"ground truth column {target_column!r} must be numeric for {metric}")
    if kind in (Input.SCORE, Input.PROBABILITY) and frame[target_column].nunique() != 2:
        raise ValueError(f"{metric} needs exactly two classes in {target_column!r}")

    if usage_column:
        if usage_column not in frame.columns:
            raise ValueError(f"ground truth has no usage column {usage_column!r}")
        usage = frame[usage_column].str.strip().str.capitalize()
        if not usage.isin(["Public", "Private"]).all():
            raise ValueError(f"{usage_column!r} must hold only Public or Private")
    else:
        if not 0 < public_fraction <= 1:
            raise ValueError("public fraction must be in (0, 1]")
        # A secret seed: participants cannot reproduce the split; the stored file fixes it.
        rng = np.random.default_rng(secrets.randbits(64))
        n_public = max(1, round(len(frame) * public_fraction))
        mask = np.zeros(len(frame), dtype=bool)
        mask[rng.choice(len(frame), size=n_public, replace=False)] = True
        usage = pd.Series(np.where(mask, "Public", "Private"), index=frame.index)

    stored = pd.DataFrame({id_column: ids, target_column: frame[target_column].str.strip()})
    stored[USAGE] = usage.to_numpy()
    dest_dir.mkdir(parents=True, exist_ok=True)
    body = stored.to_csv(index=False).encode("utf-8")
    path = dest_dir / f"{secrets.token_hex(16)}.csv"
    path.write_bytes(body)
    return PreparedTruth(
        path=path,
        sha256=hashlib.sha256(body).hexdigest(),
        rows=len(stored),
        public_rows=int((stored[USAGE] == "Public").sum()),
    )


def load_solution(path: Path, id_column: str, target_column: str, metric: str) -> Solution:
    """Read a prepared truth file into a :class:`Solution`."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    labels = frame[target_column]
    numeric = _as_float_or_none(labels)
    kind = get_metric(metric).input
    target = numeric if (numeric is not None and kind is not Input.LABEL) else None
    if kind is Input.LABEL:
        target = numeric if numeric is not None else labels.to_numpy(dtype=object)
    elif target is None:
        target = labels.to_numpy(dtype=object)
    return Solution(
        id_column=id_column,
        target_column=target_column,
        index=pd.Index(frame[id_column]),
        target=target,
        public=(frame[USAGE] == "Public").to_numpy(),
        classes=tuple(sorted(labels.unique())),
        numeric_labels=numeric is not None,
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


def sample_submission(solution: Solution, metric: str) -> str:
    """A valid-shaped submission: every id and a placeholder prediction, no truth values."""
    kind = get_metric(metric).input
    placeholder: object = {Input.LABEL: solution.classes[0], Input.VALUE: 0}.get(kind, 0.5)
    frame = pd.DataFrame({solution.id_column: solution.index, solution.target_column: placeholder})
    return frame.to_csv(index=False)
