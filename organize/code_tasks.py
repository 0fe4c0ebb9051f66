"""A code task's inputs and limits (issue 16): what its teams' programs read and within what.

The hidden inputs are the truth's rows without their labels: one row per id of the truth and
no other, and never the target column. A few public rows (the organizer's, or the inputs' first
``SAMPLE_ROWS``, as Kaggle's code competitions publish a few rows of their test set) go with
the task's download and feed the dry run.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core.errors import ParticipantVisibleError
from core.models import DEFAULT_MEMORY_MB, DEFAULT_TIME_LIMIT_S, Task, TaskKind
from judge.reader import read_table
from organize import SetupError

SAMPLE_ROWS = 10
TIME_LIMIT_RANGE = (1, 6 * 3600)  # seconds
MEMORY_RANGE = (64, 64 * 1024)  # MB
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.csv$")


def parse_memory(text: str) -> int:
    """``2G``, ``512M``, ``1.5GiB`` or a bare number of MB → MB."""
    match = _SIZE.match(text)
    if match is None:
        raise SetupError("Write the memory limit like 2G or 512M, not %(text)s.", text=repr(text))
    scale = {"": 1, "k": 1 / 1024, "m": 1, "g": 1024, "t": 1024 * 1024}[match[2].lower()]
    return int(float(match[1]) * scale)


@dataclass(frozen=True)
class CodeSettings:
    """What ``task create --kind code`` was given (or, for a predictions task, ``--inputs``:
    what its winners' code is verified on)."""

    inputs: Path
    sample_inputs: Path | None = None
    time_limit_s: int = DEFAULT_TIME_LIMIT_S
    memory_mb: int = DEFAULT_MEMORY_MB
    kind: TaskKind = TaskKind.CODE


def _check_range(name: str, value: int, bounds: tuple[int, int]) -> None:
    low, high = bounds
    if not low <= value <= high:
        raise SetupError(
            "%(field)s must be between %(low)d and %(high)d.", field=name, low=low, high=high
        )


def _read(path: Path) -> pd.DataFrame:
    try:
        return read_table(path.read_bytes(), path.name)
    except ParticipantVisibleError as exc:
        why = str(exc)
        raise SetupError("%(file)s could not be read: %(why)s", file=path.name, why=why) from None


def _store(frame: pd.DataFrame, folder: Path, suffix: str) -> Path:
    data = frame.to_csv(index=False).encode("utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()}{suffix}.csv"
    path.write_bytes(data)
    return path.resolve()


def make_code_task(task: Task, settings: CodeSettings, truth_ids: pd.Series, storage: Path) -> None:
    """Check and store a task's hidden inputs and sample, and set its kind and limits."""
    _check_range("time_limit", settings.time_limit_s, TIME_LIMIT_RANGE)
    _check_range("memory", settings.memory_mb, MEMORY_RANGE)
    inputs = _read(settings.inputs)
    if task.id_column not in inputs.columns:
        raise SetupError("The inputs have no id column %(column)s.", column=repr(task.id_column))
    if task.target_column in inputs.columns:
        raise SetupError(
            "The inputs hold the target column %(column)s: the programs would read the answers.",
            column=repr(task.target_column),
        )
    ids = inputs[task.id_column].astype(str)
    if ids.duplicated().any():
        raise SetupError("The inputs repeat an id: %(id)s.", id=repr(ids[ids.duplicated()].iloc[0]))
    expected = set(truth_ids.astype(str))
    if set(ids) != expected:
        missing, extra = expected - set(ids), set(ids) - expected
        raise SetupError(
            "The inputs must hold one row per id of the truth and no other "
            "(%(missing)d missing, %(extra)d not in the truth).",
            missing=len(missing),
            extra=len(extra),
        )
    if settings.sample_inputs is not None:
        sample = _read(settings.sample_inputs)
        if list(sample.columns) != list(inputs.columns):
            raise SetupError("The sample inputs must have the inputs' columns, in their order.")
    else:
        sample = inputs.head(SAMPLE_ROWS)
    folder = storage / "inputs"
    task.kind = settings.kind
    task.inputs_path = str(_store(inputs, folder, ""))
    task.sample_inputs_path = str(_store(sample, folder, "-sample"))
    name = settings.inputs.name
    task.inputs_name = name if _SAFE_NAME.match(name) else "test.csv"
    task.time_limit_s = settings.time_limit_s
    task.memory_mb = settings.memory_mb
