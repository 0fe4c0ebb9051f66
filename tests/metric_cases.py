"""One task per metric, the way an organizer and a team would meet it (tests of the user's
path): a ground truth, the form that creates the task, and a team's real attempt with the
score scikit-learn gives it (``tests.metric_references``)."""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from judge.metrics import Shape, available, get_metric
from tests.helpers import CUSTOM_METRIC
from tests.metric_references import REFERENCES

ROWS = 300
IDS = [f"r{i:04d}" for i in range(ROWS)]
BINARY = ("no", "yes")  # "yes", the greater label, is the positive class
MULTICLASS = ("a", "b", "c")  # the example: a sample with columns id,a,b,c
RATINGS = (1, 2, 3, 5)  # a hidden set without a 4 ...
SCALE = (1, 5)  # ... on the scale the organizer declares
VOCAB = ("L1", "L2", "L3", "L4", "L5", "L6", "가")


@dataclass
class MetricCase:
    """A metric on one kind of truth (log_loss has a binary and a multi-class case)."""

    metric: str
    kind: str  # binary, multiclass, ratings, values, ranked
    form: dict[str, str] = field(default_factory=dict)  # extra task form fields

    @property
    def slug(self) -> str:
        return f"{self.metric}-{self.kind}".replace("_", "-")

    @property
    def id(self) -> str:
        return f"{self.metric}-{self.kind}"

    def seed(self, *more: str) -> int:
        return zlib.crc32("/".join([self.metric, self.kind, *more]).encode())


def _kinds(name: str) -> list[str]:
    if name == CUSTOM_METRIC:
        return ["values"]
    metric = get_metric(name)
    if metric.shape is Shape.VALUE:
        return ["values"]
    if metric.shape is Shape.RANKED:
        return ["ranked"]
    if metric.ordinal:
        return ["ratings"]
    if metric.max_classes == 2:
        return ["binary"]
    if metric.multiclass_shape is not None:
        return ["binary", "multiclass"]
    return ["multiclass"]


def metric_cases() -> list[MetricCase]:
    """A case for every metric ``judge.metrics.available()`` lists, and for the custom metric
    of ``tests.helpers.install_custom_metric`` (installed by the tests that use it)."""
    cases = []
    for name in sorted(set(available()) | {CUSTOM_METRIC}):
        for kind in _kinds(name):
            form = {"rating_range": f"{SCALE[0]}..{SCALE[1]}"} if kind == "ratings" else {}
            cases.append(MetricCase(name, kind, form))
    return cases


def truth(case: MetricCase) -> pd.DataFrame:
    """The organizer's ground-truth file for the case (ids with leading letters and zeros)."""
    rng = np.random.default_rng(case.seed("truth"))
    if case.kind == "binary":
        target: Any = rng.choice(BINARY, ROWS)
    elif case.kind == "multiclass":
        target = rng.choice(MULTICLASS, ROWS)
    elif case.kind == "ratings":
        target = rng.choice(RATINGS, ROWS)
    elif case.kind == "ranked":
        target = [" ".join(rng.choice(VOCAB, int(rng.integers(1, 4)), replace=False)) for _ in IDS]
    else:
        target = np.round(np.abs(rng.normal(20, 8, ROWS)) + 0.5, 3)
    return pd.DataFrame({"id": IDS, "target": target})


@dataclass
class Attempt:
    body: bytes  # the file the team uploads
    meant: Any  # its predictions as the reference reads them, in truth order


def attempt(case: MetricCase, frame: pd.DataFrame) -> Attempt:
    """A team's honest, imperfect submission (rows shuffled, columns by name)."""
    rng = np.random.default_rng(case.seed("attempt"))
    metric = get_metric(case.metric)
    y = frame["target"].to_numpy()
    classes = classes_of(case)
    shape = metric.shape_for(len(classes))
    columns: dict[str, Any]
    if shape is Shape.LABEL:
        choices = range(SCALE[0], SCALE[1] + 1) if case.kind == "ratings" else classes
        meant = y.copy()
        wrong = rng.random(ROWS) < 0.3
        meant[wrong] = rng.choice(list(choices), int(wrong.sum()))  # 4s included for ratings
        columns = {"target": meant}
    elif shape in (Shape.SCORE, Shape.PROBABILITY):
        positive = (y == classes[-1]).astype(float)
        meant = np.clip(0.6 * positive + 0.4 * rng.random(ROWS), 0.001, 0.999)
        columns = {"target": meant}
    elif shape is Shape.CLASS_PROBABILITIES:
        onehot = (y[:, None] == np.array(classes)[None, :]).astype(float)
        raw = 0.5 * rng.random((ROWS, len(classes))) + 0.5 * onehot
        meant = raw / raw.sum(axis=1, keepdims=True)
        columns = {c: meant[:, j] for j, c in enumerate(classes)}
    elif shape is Shape.RANKED:
        lists = [
            tuple([t.split()[0], *rng.choice(VOCAB, 2)]) if rng.random() < 0.6 else ("L9",)
            for t in y
        ]
        meant = np.empty(ROWS, dtype=object)
        meant[:] = lists
        columns = {"target": [" ".join(t) for t in lists]}
    else:  # values and the custom metric
        meant = np.abs(y.astype(float) + rng.normal(0, 3, ROWS))
        columns = {"target": meant}
    out = pd.DataFrame({"id": frame["id"], **columns}).sample(frac=1, random_state=7)
    return Attempt(out.to_csv(index=False).encode("utf-8"), meant)


def classes_of(case: MetricCase) -> list[Any]:
    return {"binary": list(BINARY), "multiclass": list(MULTICLASS)}.get(case.kind, [])


def expected(case: MetricCase, frame: pd.DataFrame, usage: pd.Series, meant: Any) -> dict:
    """The public and private scores scikit-learn (or the published definition) gives."""
    y = frame["target"].to_numpy()
    if case.kind == "ranked":
        y = np.array([tuple(t.split()) for t in y], dtype=object)
    if case.kind == "values":
        y = y.astype(float)
    out = {}
    for part in ("Public", "Private"):
        mask = (usage.reindex(frame["id"]) == part).to_numpy()
        if case.metric == CUSTOM_METRIC:
            out[part] = float(np.abs(y[mask] - meant[mask]).max())
        else:
            scale = list(range(SCALE[0], SCALE[1] + 1)) if case.kind == "ratings" else None
            classes = scale or classes_of(case)
            out[part] = float(REFERENCES[case.metric](y[mask], meant[mask], classes))
    return out


def stored_usage(truth_path: str) -> pd.Series:
    """The split as the platform stored it (read by the test only, to compute references)."""
    stored = pd.read_csv(truth_path, dtype=str, keep_default_na=False)
    return stored.set_index("id")["Usage"]


def csv_bytes(frame: pd.DataFrame) -> io.BytesIO:
    return io.BytesIO(frame.to_csv(index=False).encode("utf-8"))
