"""Every registered metric against scikit-learn, through the real pipeline (SPEC §4).

Each case writes a ground truth the way an organiser would and a submission the way a
participant would (text ids with leading zeros, shuffled rows, columns by name), runs it
through ``prepare_truth`` → ``load_solution`` → ``score`` and compares the public and private
scores with a reference computed here, directly with scikit-learn (or, for SMAPE and MAP@k,
from the published definition) on the rows of each split as stored in the truth file.

The parametrisation iterates ``METRICS``: a new metric without a reference fails
``test_every_metric_has_a_reference_and_cases``.
"""

from __future__ import annotations

import io
import math
import warnings
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from core.errors import ParticipantVisibleError
from judge.metrics import METRICS, Metric, Shape
from judge.prepare import prepare_truth
from judge.scoring import ScoreResult, score
from judge.truth import (
    LABEL_SHAPES,
    Solution,
    TruthError,
    load_solution,
    perfect_submission,
    sample_submission,
)
from tests.metric_references import REFERENCES, reference

N = 400
IDS = np.array([f"{i:05d}" for i in range(N)], dtype=object)
TOLERANCE: dict[str, float] = {"rel": 1e-9, "abs": 1e-12}

# --------------------------------------------------------------------------------------------
# Cases: a ground truth (and maybe a forced split), and how predictions are made for it.


@dataclass(frozen=True)
class Case:
    name: str
    task: str  # "label" (classes), "value" or "ranked"
    make: Callable[[np.random.Generator], tuple[np.ndarray, np.ndarray | None]]  # truth, usage
    classes: tuple[Any, ...] = ()  # sorted as scikit-learn sorts them
    shapes: tuple[Shape, ...] | None = None  # only for metrics reading these shapes
    negative: bool = False  # targets below 0: not for rmsle
    float_text: bool = False  # labels written as "1.0" for the class 1
    ties: bool = False
    unnormalised: bool = False  # class probabilities whose rows do not sum to 1
    noise_within_split: bool = False  # a wrong label is one present in the same split
    ratings: bool = False  # whole-number ratings with a gap: for ordinal metrics only
    near_zero: bool = False  # targets and predictions in (-1, 3): log1p is defined there


def _choice(rng: np.random.Generator, labels: Sequence[Any], n: int) -> np.ndarray:
    out = np.empty(n, dtype=object)
    out[:] = [labels[i] for i in rng.integers(0, len(labels), n)]
    return out


def _ints(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def binary_int(rng: np.random.Generator) -> tuple[np.ndarray, None]:
    return _ints(rng.integers(0, 2, N)), None


def binary_str(rng: np.random.Generator) -> tuple[np.ndarray, None]:
    return _choice(rng, ["cat", "dog"], N), None


MIXED = ("Banana", "apple", "가", "나", "다")  # sorted: upper case, lower case, Hangul


def multiclass_mixed(rng: np.random.Generator) -> tuple[np.ndarray, None]:
    return _choice(rng, MIXED, N), None


def multiclass_int(rng: np.random.Generator) -> tuple[np.ndarray, None]:
    return _ints(rng.integers(0, 5, N)), None


def imbalanced(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """5% positives; a fixed split so that each part surely holds some."""
    y = np.zeros(N, dtype=np.int64)
    y[rng.choice(N, size=N // 20, replace=False)] = 1
    usage = np.where(np.arange(N) % 10 < 3, "Public", "Private")
    assert {0, 1} <= set(y[usage == "Public"]) and {0, 1} <= set(y[usage == "Private"])
    return y, usage


def absent_binary(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The public part holds only the class 0."""
    y = _ints(rng.integers(0, 2, N))
    usage = np.where((np.arange(N) % 3 == 0) & (y == 0), "Public", "Private")
    return y, usage


def absent_multiclass(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Classes 0..4; the class 2 is in the private part only."""
    y = _ints(rng.integers(0, 5, N))
    usage = np.where((np.arange(N) % 3 == 0) & (y != 2), "Public", "Private")
    return y, usage


def ratings_with_gap(rng: np.random.Generator) -> tuple[np.ndarray, None]:
    """Ratings 1, 2, 3 and 5: the hidden set holds no 4, which teams may still predict."""
    return _ints(rng.choice([1, 2, 3, 5], N)), None


def near_zero(rng: np.random.Generator) -> tuple[np.ndarray, None]:
    """Targets in (-1, 3), some of them negative (rmsle scores those, as scikit-learn)."""
    return rng.uniform(-0.9, 3, N), None


def regression(rng: np.random.Generator) -> tuple[np.ndarray, None]:
    return np.abs(rng.normal(50, 20, N)) + 0.5, None


def with_zeros(rng: np.random.Generator) -> tuple[np.ndarray, None]:
    y = np.round(np.abs(rng.normal(5, 3, N)), 3)
    y[rng.random(N) < 0.25] = 0.0
    return y, None


def signed(rng: np.random.Generator) -> tuple[np.ndarray, None]:
    return rng.normal(0, 5, N), None


VOCAB = tuple(f"L{i:02d}" for i in range(10)) + ("가나", "x-1")


def ranked_truth(rng: np.random.Generator) -> tuple[np.ndarray, None]:
    """1..7 distinct relevant labels per row (more than k on some rows)."""
    out = np.empty(N, dtype=object)
    sizes = rng.choice([1, 1, 2, 3, 6, 7], N)
    out[:] = [tuple(rng.choice(VOCAB, size=s, replace=False).tolist()) for s in sizes]
    return out, None


CASES: dict[str, Case] = {
    c.name: c
    for c in [
        Case("binary_int", "label", binary_int, (0, 1)),
        Case("binary_str", "label", binary_str, ("cat", "dog")),
        Case("multiclass_korean", "label", multiclass_mixed, MIXED),
        Case("multiclass_int", "label", multiclass_int, (0, 1, 2, 3, 4)),
        Case("imbalanced", "label", imbalanced, (0, 1)),
        Case("absent_public_binary", "label", absent_binary, (0, 1)),
        Case(
            "absent_public_multiclass",
            "label",
            absent_multiclass,
            (0, 1, 2, 3, 4),
            noise_within_split=True,
        ),
        Case("float_text_binary", "label", binary_int, (0, 1), (Shape.LABEL,), float_text=True),
        Case(
            "float_text_multiclass",
            "label",
            multiclass_int,
            (0, 1, 2, 3, 4),
            (Shape.LABEL,),
            float_text=True,
        ),
        Case("ties", "label", binary_int, (0, 1), (Shape.SCORE, Shape.PROBABILITY), ties=True),
        Case(
            "rows_not_summing_to_1",
            "label",
            multiclass_mixed,
            MIXED,
            (Shape.CLASS_PROBABILITIES,),
            unnormalised=True,
        ),
        Case("ratings_with_gap", "label", ratings_with_gap, (1, 2, 3, 4, 5), ratings=True),
        Case("regression", "value", regression),
        Case("values_near_zero", "value", near_zero, near_zero=True),
        Case("zeros_in_targets", "value", with_zeros),
        Case("negative_targets", "value", signed, negative=True),
        Case("ranked", "ranked", ranked_truth),
    ]
}


def applicable(metric: Metric, case: Case) -> bool:
    if case.task == "label":
        if case.ratings != metric.ordinal and (case.ratings or not _whole(case.classes)):
            return False  # gapped ratings are for qwk; qwk reads whole-number ratings only
        k = len(case.classes)
        if metric.shape not in LABEL_SHAPES or k < metric.min_classes:
            return False
        if metric.max_classes is not None and k > metric.max_classes:
            return False
        return case.shapes is None or metric.shape_for(k) in case.shapes
    if case.task == "value":
        return metric.shape is Shape.VALUE and not (metric.above_minus_one and case.negative)
    return case.task == "ranked" and metric.shape is Shape.RANKED


def _whole(classes: Sequence[Any]) -> bool:
    return all(isinstance(c, int) for c in classes)


def cases_for(name: str) -> list[str]:
    return [c for c, case in CASES.items() if applicable(METRICS[name], case)]


def first_case(name: str) -> Case:
    names = cases_for(name)
    assert names, f"no conformance case applies to the metric {name!r}: add one"
    return CASES[names[0]]


def seed_of(*parts: str) -> int:
    return zlib.crc32("/".join(parts).encode())


# --------------------------------------------------------------------------------------------
# Predictions: the submission's columns (as text or numbers) and what they mean.


@dataclass
class Prediction:
    columns: dict[str, Any]  # submission column → values in truth order
    meant: Any  # the predictions as the reference reads them, in truth order


def _positive(y: np.ndarray, classes: Sequence[Any]) -> np.ndarray:
    return (y == classes[-1]).astype(float)


def label_prediction(
    case: Case, y: np.ndarray, usage: np.ndarray | None, rng: np.random.Generator, perfect: bool
) -> np.ndarray:
    p = y.copy()
    if perfect:
        return p
    wrong = rng.random(N) < 0.3
    p[wrong] = _choice(rng, case.classes, int(wrong.sum()))
    if case.noise_within_split and usage is not None:
        for part in ("Public", "Private"):
            rows = usage == part
            present = sorted(set(y[rows].tolist()))
            redo = wrong & rows
            p[redo] = _choice(rng, present, int(redo.sum()))
    return p.astype(y.dtype)


def make_prediction(
    metric: Metric,
    case: Case,
    y: np.ndarray,
    usage: np.ndarray | None,
    rng: np.random.Generator,
    *,
    perfect: bool = False,
) -> Prediction:
    classes = list(case.classes)
    shape = metric.shape_for(len(classes))
    if shape is Shape.LABEL:
        p = label_prediction(case, y, usage, rng, perfect)
        text = [f"{float(v):.1f}" for v in p] if case.float_text else list(p)
        return Prediction({"target": text}, p)
    if shape is Shape.SCORE:
        s = _positive(y, classes) if perfect else _positive(y, classes) + rng.normal(0, 1, N)
        if case.ties:
            s = np.round(s * 2) / 2  # few distinct values: many tied scores
        return Prediction({"target": s}, s)
    if shape is Shape.PROBABILITY:
        pos = _positive(y, classes)
        p = pos if perfect else np.clip(0.6 * pos + 0.4 * rng.random(N), 0.001, 0.999)
        if case.ties:
            p = np.round(p, 1)
        return Prediction({"target": p}, p)
    if shape is Shape.CLASS_PROBABILITIES:
        onehot = (y[:, None] == np.array(classes, dtype=object)[None, :]).astype(float)
        # Each probability in [0, 1]; rows summing to anything in (0, 3.5).
        raw = onehot if perfect else 0.6 * rng.random((N, len(classes))) + 0.4 * onehot
        if not case.unnormalised:
            raw = raw / raw.sum(axis=1, keepdims=True)
        else:
            assert not np.allclose(raw.sum(axis=1), 1.0)
        columns = {str(c): raw[:, j] for j, c in enumerate(classes)}
        # Column order is not the class order: the platform must read them by name.
        columns = dict(reversed(list(columns.items())))
        return Prediction(columns, raw / raw.sum(axis=1, keepdims=True))
    if shape is Shape.VALUE:
        if perfect:
            return Prediction({"target": y.copy()}, y.copy())
        v = y + rng.normal(0, 2, N)
        if case.near_zero:
            v = np.clip(y + rng.normal(0, 0.5, N), -0.95, None)  # some in (-1, 0)
        elif not case.negative:
            v = np.abs(v)
        zeros = (y == 0) & (rng.random(N) < 0.5)
        v[zeros] = 0.0  # 0/0 rows for smape, log1p(0) for rmsle
        return Prediction({"target": v}, v)
    if shape is Shape.RANKED:
        lists = np.empty(N, dtype=object)
        if perfect:
            lists[:] = [tuple(t) for t in y]
        else:
            made = []
            for truth in y:
                size = int(rng.integers(0, 8))
                guess = list(rng.choice(VOCAB, size=size, replace=True))  # repeats on purpose
                if truth and rng.random() < 0.7:
                    guess.insert(int(rng.integers(0, size + 1)), truth[0])
                made.append(tuple(guess))
            lists[:] = made
        return Prediction({"target": [" ".join(t) for t in lists]}, lists)
    raise AssertionError(f"no predictions for the shape {shape}")


# --------------------------------------------------------------------------------------------
# The pipeline.


@dataclass
class Task:
    solution: Solution
    y: np.ndarray  # truth in the organiser's order, as written
    public: np.ndarray  # bool mask in the same order, read from the stored truth file
    classes: list[Any]


def truth_text(case: Case, y: np.ndarray) -> list[Any]:
    if case.task == "ranked":
        return [" ".join(t) for t in y]
    return list(y)


def build_task(tmp_path: Path, name: str, case: Case, y: np.ndarray, usage: Any) -> Task:
    frame = pd.DataFrame({"id": IDS, "target": truth_text(case, y)})
    if usage is not None:
        frame["Usage"] = usage
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "truth.csv"
    source.write_bytes(frame.to_csv(index=False).encode("utf-8"))
    prepared = prepare_truth(
        source,
        tmp_path / "store",
        id_column="id",
        target_column="target",
        metric=name,
        public_fraction=0.3,
        usage_column="Usage" if usage is not None else None,
    )
    stored = pd.read_csv(prepared.path, dtype=str, keep_default_na=False)
    split = stored.set_index("id")["Usage"].reindex(IDS)
    assert split.notna().all() and split.isin(["Public", "Private"]).all()
    public = (split == "Public").to_numpy()
    if usage is not None:
        assert (public == (usage == "Public")).all()
    solution = load_solution(prepared.path, "id", "target", name)
    return Task(solution, y, public, list(case.classes))


def submission_bytes(prediction: Prediction, seed: int) -> bytes:
    frame = pd.DataFrame({**prediction.columns, "id": IDS})  # id last: found by name
    frame = frame.sample(frac=1, random_state=seed % (2**32))
    return frame.to_csv(index=False).encode("utf-8")


def run(task: Task, body: bytes) -> ScoreResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return score(task.solution, body, "submission.csv", with_ci=False)


def setup(tmp_path: Path, name: str, case: Case, *, perfect: bool = False) -> tuple[Task, Any]:
    rng = np.random.default_rng(seed_of(name, case.name))
    y, usage = case.make(np.random.default_rng(seed_of(case.name)))
    task = build_task(tmp_path, name, case, y, usage)
    prediction = make_prediction(METRICS[name], case, y, usage, rng, perfect=perfect)
    return task, prediction


# --------------------------------------------------------------------------------------------
# Tests.


def _params() -> list[Any]:
    return [
        pytest.param(name, case, id=f"{name}-{case}")
        for name in METRICS
        for case in cases_for(name)
    ]


def test_every_metric_has_a_reference_and_cases() -> None:
    assert set(REFERENCES) >= set(METRICS), "a metric without a reference here"
    for name in METRICS:
        assert cases_for(name), f"no conformance case applies to the metric {name!r}"


PROBABILITY_SHAPES = (Shape.PROBABILITY, Shape.SCORE, Shape.CLASS_PROBABILITIES)


def expected_refusal(metric: Metric, case: Case) -> str | None:
    """The part task creation must refuse for this case by the published rule, or None.

    Label metrics need two classes in each part (kappa and MCC are undefined on one, and a
    board on one class cannot tell teams apart); probability metrics need every class in each.
    Only cases with a fixed Usage column can break the rule (a drawn split of 400 rows won't).
    """
    y, usage = case.make(np.random.default_rng(seed_of(case.name)))
    if usage is None:
        return None
    shape = metric.shape_for(len(case.classes))
    for part in ("Public", "Private"):
        present = set(y[usage == part].tolist())
        if shape is Shape.LABEL and len(present) == 1:
            return part.lower()
        if shape in PROBABILITY_SHAPES and present != set(case.classes):
            return part.lower()
    return None


def assert_refused(tmp_path: Path, name: str, case: Case, part: str) -> None:
    """Task creation refuses the truth, telling the organizer which part is the problem."""
    with pytest.raises(TruthError, match=f"The {part} split"):
        setup(tmp_path, name, case)


@pytest.mark.parametrize(("name", "case_name"), _params())
def test_scores_match_the_reference_on_each_split(
    tmp_path: Path, name: str, case_name: str
) -> None:
    case = CASES[case_name]
    part = expected_refusal(METRICS[name], case)
    if part is not None:
        assert_refused(tmp_path, name, case, part)
        return
    task, prediction = setup(tmp_path, name, case)
    assert task.public.any() and (~task.public).any()
    parts = {"public": task.public, "private": ~task.public}
    expected = {
        part: reference(name, task.y[mask], prediction.meant[mask], task.classes)
        for part, mask in parts.items()
    }
    assert None not in expected.values(), "created, yet scikit-learn gives no number"
    result = run(task, submission_bytes(prediction, seed_of("shuffle", name, case_name)))
    assert result.public_score == pytest.approx(expected["public"], **TOLERANCE)
    assert result.private_score == pytest.approx(expected["private"], **TOLERANCE)


@pytest.mark.parametrize(
    ("name", "case_name"),
    [
        pytest.param(name, case, id=f"{name}-{case}")
        for name in METRICS
        for case in ("binary_int", "multiclass_int")
        if METRICS[name].shape is Shape.LABEL and applicable(METRICS[name], CASES[case])
    ],
)
def test_numeric_class_written_as_float_text_scores_as_the_integer(
    tmp_path: Path, name: str, case_name: str
) -> None:
    case = CASES[case_name]
    task, prediction = setup(tmp_path, name, case)
    as_int = submission_bytes(prediction, 1)
    as_float = submission_bytes(
        Prediction({"target": [f"{v}.0" for v in prediction.meant]}, prediction.meant), 1
    )
    assert b"1.0" in as_float
    plain, floats = run(task, as_int), run(task, as_float)
    assert floats.public_score == plain.public_score
    assert floats.private_score == plain.private_score


@pytest.mark.parametrize("name", list(METRICS))
def test_sample_submission_is_complete_and_scores(tmp_path: Path, name: str) -> None:
    case = first_case(name)
    task, _prediction = setup(tmp_path, name, case)
    solution = task.solution
    text = sample_submission(solution)
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert list(frame.columns) == [solution.id_column, *solution.prediction_columns()]
    assert list(frame[solution.id_column]) == list(IDS)  # every id, in truth order
    if solution.shape is Shape.CLASS_PROBABILITIES:
        assert list(frame.columns[1:]) == [str(c) for c in task.classes]
    result = run(task, text.encode("utf-8"))  # a ParticipantVisibleError fails the test
    assert math.isfinite(result.public_score)
    assert result.private_score is not None and math.isfinite(result.private_score)
    if solution.shape is Shape.RANKED:
        assert result.public_score == 0.0 == result.private_score  # empty lists


def assert_scores_finite(task: Task, body: bytes) -> None:
    """A finite score on both parts, never a refusal: the file is fine."""
    result = run(task, body)  # a ParticipantVisibleError fails the test
    assert math.isfinite(result.public_score), result
    assert result.private_score is not None and math.isfinite(result.private_score), result


def _label_metrics(case: str | None = None) -> list[str]:
    """Label-task metrics (those ``case`` applies to)."""
    return [
        name
        for name in METRICS
        if METRICS[name].shape in LABEL_SHAPES
        and (case is None or applicable(METRICS[name], CASES[case]))
    ]


@pytest.mark.parametrize("name", _label_metrics())
def test_sample_submission_of_every_label_case_scores(tmp_path: Path, name: str) -> None:
    """Korean class names as columns, string and integer labels: the sample still scores."""
    for case_name in cases_for(name):
        case = CASES[case_name]
        if case.task != "label" or case.float_text or case.ties or case.unnormalised:
            continue
        part = expected_refusal(METRICS[name], case)
        if part is not None:
            assert_refused(tmp_path / case_name, name, case, part)
            continue
        task, _prediction = setup(tmp_path / case_name, name, case)
        assert_scores_finite(task, sample_submission(task.solution).encode("utf-8"))


@pytest.mark.parametrize("name", _label_metrics("absent_public_binary"))
def test_a_one_class_public_part_is_refused_at_creation(tmp_path: Path, name: str) -> None:
    """The public part holds only the class 0: no board could tell teams apart on it (and
    kappa, MCC and AUC give no number), so the organizer is told at task creation."""
    case = CASES["absent_public_binary"]
    assert expected_refusal(METRICS[name], case) == "public"
    assert_refused(tmp_path, name, case, "public")


@pytest.mark.parametrize("name", sorted(METRICS))
def test_a_split_on_which_the_metric_gives_no_number_is_refused(tmp_path: Path, name: str) -> None:
    """One public row (r2 has no number for it; nor has AUC, kappa...): refused at creation
    with a message naming the part, or, where the metric is defined, the perfect and the
    sample submission both get a number on both parts."""
    case = first_case(name)
    y, _usage = case.make(np.random.default_rng(seed_of(case.name)))
    usage = np.where(np.arange(N) == 0, "Public", "Private")
    try:
        solution = build_task(tmp_path, name, case, y, usage).solution
    except TruthError as exc:
        assert "public" in exc.english(), exc.english()
        assert name not in ("mae", "rmse", "smape"), f"{name} is defined on one row"
        return
    assert name != "r2", "r2 has no number on one row, yet the task was created"
    for body in (sample_submission(solution), perfect_submission(solution)):
        result = score(solution, body.encode("utf-8"), with_ci=False)
        assert math.isfinite(result.public_score), (name, result)
        assert result.private_score is not None and math.isfinite(result.private_score)


@pytest.mark.parametrize("name", list(METRICS))
def test_direction_perfect_beats_noisy(tmp_path: Path, name: str) -> None:
    metric = METRICS[name]
    case = first_case(name)
    task, noisy = setup(tmp_path, name, case)
    y, usage = case.make(np.random.default_rng(seed_of(case.name)))  # the same truth
    perfect = make_prediction(metric, case, y, usage, np.random.default_rng(0), perfect=True)
    good = run(task, submission_bytes(perfect, 5))
    bad = run(task, submission_bytes(noisy, 5))
    for g, b in ((good.public_score, bad.public_score), (good.private_score, bad.private_score)):
        assert g is not None and b is not None
        assert g != b
        assert (g > b) if metric.higher_is_better else (g < b), (name, g, b)


PERFECT_LABELS = 1.0  # what every label metric gives right answers (all are "higher is better")


@pytest.mark.parametrize(
    "name",
    [
        name
        for name in METRICS
        if applicable(METRICS[name], CASES["absent_public_multiclass"])
        and METRICS[name].shape is Shape.LABEL
    ],
)
def test_perfect_submission_scores_the_ideal_on_a_split_missing_a_class(
    tmp_path: Path, name: str
) -> None:
    """Perfect labels, while the class 2 is in the private part only."""
    case = CASES["absent_public_multiclass"]
    task, perfect = setup(tmp_path, name, case, perfect=True)
    result = run(task, submission_bytes(perfect, 3))
    assert result.public_score == pytest.approx(PERFECT_LABELS, **TOLERANCE)
    assert result.private_score == pytest.approx(PERFECT_LABELS, **TOLERANCE)


@pytest.mark.parametrize("name", [n for n in METRICS if METRICS[n].shape is Shape.LABEL])
def test_perfect_submission_scores_the_ideal(tmp_path: Path, name: str) -> None:
    task, perfect = setup(tmp_path, name, first_case(name), perfect=True)
    result = run(task, submission_bytes(perfect, 3))
    assert result.public_score == pytest.approx(PERFECT_LABELS, **TOLERANCE)
    assert result.private_score == pytest.approx(PERFECT_LABELS, **TOLERANCE)


@pytest.mark.parametrize("value", [1e200, 1.7e308, -1.7e308])
@pytest.mark.parametrize("name", [n for n in METRICS if METRICS[n].shape is Shape.VALUE])
def test_huge_finite_predictions_give_a_finite_score_or_a_visible_error(
    tmp_path: Path, name: str, value: float
) -> None:
    """Overflow in the metric must not put inf (or nan) on the board."""
    task, _prediction = setup(tmp_path, name, CASES["regression"])
    huge = Prediction({"target": np.full(N, value)}, np.full(N, value))
    try:
        result = run(task, submission_bytes(huge, 0))
    except ParticipantVisibleError as exc:
        # Told why: the overflow, or (rmsle) a value log1p cannot take.
        assert any(why in exc.english() for why in ("overflows", "greater than -1")), exc
        return
    assert math.isfinite(result.public_score), result
    assert result.private_score is not None and math.isfinite(result.private_score), result


def test_smape_of_huge_predictions_is_200(tmp_path: Path) -> None:
    """SMAPE is bounded by 200 (F ≫ A): 2·|F − A| must not overflow for F = 1.7e308."""
    task, _prediction = setup(tmp_path, "smape", CASES["regression"])
    huge = Prediction({"target": np.full(N, 1.7e308)}, np.full(N, 1.7e308))
    result = run(task, submission_bytes(huge, 0))
    assert result.public_score == pytest.approx(200.0, rel=1e-9)
    assert result.private_score == pytest.approx(200.0, rel=1e-9)
