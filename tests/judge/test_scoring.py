"""Scoring against scikit-learn, and the participant-visible errors of SPEC §4."""

from __future__ import annotations

import gzip
import io
import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from core.errors import ParticipantVisibleError
from judge.prepare import prepare_truth
from judge.scoring import score
from judge.truth import load_solution, sample_submission
from tests.helpers import make_solution

N = 400


@pytest.fixture
def binary_truth() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({"id": [f"{i:05d}" for i in range(N)], "target": rng.integers(0, 2, N)})


@pytest.fixture
def numeric_truth() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    return pd.DataFrame({"id": [f"{i:05d}" for i in range(N)], "target": rng.normal(10, 3, N)})


def reference(metric: str, y: np.ndarray, p: np.ndarray) -> float:
    return {
        "accuracy": lambda: skm.accuracy_score(y, p),
        "f1_macro": lambda: skm.f1_score(y, p, average="macro"),
        "roc_auc": lambda: skm.roc_auc_score(y, p),
        "log_loss": lambda: skm.log_loss(y, p),
        "rmse": lambda: math.sqrt(skm.mean_squared_error(y, p)),
        "mae": lambda: skm.mean_absolute_error(y, p),
    }[metric]()


@pytest.mark.parametrize(
    ("metric", "kind"),
    [
        ("accuracy", "label"),
        ("f1_macro", "label"),
        ("roc_auc", "prob"),
        ("log_loss", "prob"),
        ("rmse", "value"),
        ("mae", "value"),
    ],
)
def test_public_and_private_scores_match_scikit_learn(
    tmp_path: Path, binary_truth: pd.DataFrame, numeric_truth: pd.DataFrame, metric: str, kind: str
) -> None:
    rng = np.random.default_rng(3)
    truth = numeric_truth if kind == "value" else binary_truth
    y = truth["target"].to_numpy()
    if kind == "label":
        pred = np.where(rng.random(N) < 0.8, y, 1 - y)
    elif kind == "prob":
        pred = np.clip(y * 0.5 + rng.random(N) * 0.5, 0.001, 0.999)
    else:
        pred = y + rng.normal(0, 2, N)
    solution = make_solution(tmp_path, metric, truth)
    body = pd.DataFrame({"id": truth["id"], "target": pred}).sample(frac=1, random_state=4)
    result = score(solution, body.to_csv(index=False).encode(), "p.csv", with_ci=False)
    public = solution.public
    assert public.sum() == round(N * 0.3)
    assert result.public_score == pytest.approx(
        reference(metric, y[public], pred[public]), rel=1e-12
    )
    assert result.private_score == pytest.approx(
        reference(metric, y[~public], pred[~public]), rel=1e-12
    )


def csv_bytes(frame: pd.DataFrame, **kw: object) -> bytes:
    return frame.to_csv(index=False, **kw).encode("utf-8")  # type: ignore[call-overload]


def test_korean_ids_in_cp949_with_bom_crlf_and_blank_lines(tmp_path: Path) -> None:
    truth = pd.DataFrame(
        {"id": ["가001", "나002", "다003", "라004"], "target": [1.0, 2.0, 3.0, 4.0]}
    )
    solution = make_solution(tmp_path, "mae", truth)
    pred = pd.DataFrame({"id": ["라004", "가001", "나002", "다003"], "target": [4, 1, 2, 3]})
    text = pred.to_csv(index=False, lineterminator="\r\n") + "\r\n\r\n"
    for body in (text.encode("cp949"), b"\xef\xbb\xbf" + text.encode("utf-8")):
        assert score(solution, body, "p.csv", with_ci=False).public_score == 0.0


def test_gzip_and_single_file_zip_are_read(tmp_path: Path, numeric_truth: pd.DataFrame) -> None:
    solution = make_solution(tmp_path, "rmse", numeric_truth)
    raw = csv_bytes(numeric_truth)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("pred.csv", raw)
    for body, name in ((gzip.compress(raw), "p.csv.gz"), (buffer.getvalue(), "p.zip")):
        assert score(solution, body, name, with_ci=False).public_score == 0.0


def test_ids_keep_leading_zeros(tmp_path: Path, numeric_truth: pd.DataFrame) -> None:
    solution = make_solution(tmp_path, "rmse", numeric_truth)
    stripped = numeric_truth.assign(id=numeric_truth["id"].str.lstrip("0").replace("", "0"))
    with pytest.raises(ParticipantVisibleError, match="not in the test set"):
        score(solution, csv_bytes(stripped), "p.csv", with_ci=False)


def error_for(tmp_path: Path, truth: pd.DataFrame, body: bytes, metric: str = "rmse") -> str:
    solution = make_solution(tmp_path, metric, truth)
    with pytest.raises(ParticipantVisibleError) as info:
        score(solution, body, "p.csv", with_ci=False)
    return str(info.value)


def test_missing_ids_give_count_and_examples(tmp_path: Path, numeric_truth: pd.DataFrame) -> None:
    message = error_for(tmp_path, numeric_truth, csv_bytes(numeric_truth.iloc[7:]))
    assert message.startswith("7 ids are missing")
    assert "'00000', '00001', '00002', '00003', '00004', …" in message


def test_duplicate_and_unknown_ids(tmp_path: Path, numeric_truth: pd.DataFrame) -> None:
    dup = pd.concat([numeric_truth, numeric_truth.iloc[:2]])
    assert "2 duplicate ids" in error_for(tmp_path, numeric_truth, csv_bytes(dup))
    unknown = numeric_truth.assign(id=numeric_truth["id"].replace("00003", "99999"))
    assert "'99999'" in error_for(tmp_path, numeric_truth, csv_bytes(unknown))


def test_misnamed_column_suggests_the_expected_name(
    tmp_path: Path, numeric_truth: pd.DataFrame
) -> None:
    body = csv_bytes(numeric_truth.rename(columns={"target": "Target "}))
    assert error_for(tmp_path, numeric_truth, body).startswith("Missing column 'target'")
    assert "did you mean 'target'" in error_for(
        tmp_path, numeric_truth, csv_bytes(numeric_truth.rename(columns={"target": "targt"}))
    )


def test_non_numeric_and_nan_values_name_the_line(
    tmp_path: Path, numeric_truth: pd.DataFrame
) -> None:
    bad = numeric_truth.astype({"target": object})
    bad.loc[5, "target"] = "abc"
    assert error_for(tmp_path, numeric_truth, csv_bytes(bad)).startswith("Line 7: ")
    for missing in ("nan", "", "NA"):
        bad.loc[5, "target"] = missing
        message = error_for(tmp_path, numeric_truth, csv_bytes(bad))
        assert message.startswith("Line 7: the value in column 'target' is empty or not a number")
    bad.loc[5, "target"] = "inf"
    assert "'inf' is not a finite number" in error_for(tmp_path, numeric_truth, csv_bytes(bad))


def test_probability_outside_unit_interval(tmp_path: Path, binary_truth: pd.DataFrame) -> None:
    bad = binary_truth.astype({"target": float})
    bad.loc[0, "target"] = 1.5
    assert "outside [0, 1]" in error_for(tmp_path, binary_truth, csv_bytes(bad), "log_loss")


def test_label_outside_known_classes(tmp_path: Path, binary_truth: pd.DataFrame) -> None:
    bad = binary_truth.copy()
    bad.loc[3, "target"] = 7
    assert "'7' is not a known class" in error_for(
        tmp_path, binary_truth, csv_bytes(bad), "accuracy"
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", "The file is empty."),
        (b"   \n\n", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary data"),
        (bytes(range(256)) * 4, "binary data"),
        (b"id,target\n", "header but no rows"),
    ],
)
def test_empty_and_binary_files(
    tmp_path: Path, numeric_truth: pd.DataFrame, body: bytes, expected: str
) -> None:
    assert expected in error_for(tmp_path, numeric_truth, body)


def test_errors_never_show_ground_truth_values(tmp_path: Path, numeric_truth: pd.DataFrame) -> None:
    secret_values = {f"{v}" for v in numeric_truth["target"]}
    bodies = [csv_bytes(numeric_truth.iloc[3:]), csv_bytes(numeric_truth.assign(target="x"))]
    for body in bodies:
        message = error_for(tmp_path, numeric_truth, body)
        assert not any(value in message for value in secret_values)


def test_sample_submission_is_valid_and_holds_no_truth(
    tmp_path: Path, binary_truth: pd.DataFrame
) -> None:
    solution = make_solution(tmp_path, "roc_auc", binary_truth)
    sample = sample_submission(solution)
    frame = pd.read_csv(io.StringIO(sample), dtype=str)
    assert list(frame["id"]) == list(binary_truth["id"])
    assert set(frame["target"]) == {"0.5"}
    assert score(solution, sample.encode(), "s.csv", with_ci=False).public_score == 0.5


def test_usage_column_fixes_the_split(tmp_path: Path, numeric_truth: pd.DataFrame) -> None:
    usage = np.where(np.arange(N) % 4 == 0, "Public", "Private")
    source = tmp_path / "t.csv"
    numeric_truth.assign(Usage=usage).to_csv(source, index=False)
    prepared = prepare_truth(
        source,
        tmp_path / "s",
        id_column="id",
        target_column="target",
        metric="rmse",
        usage_column="Usage",
    )
    solution = load_solution(prepared.path, "id", "target", "rmse")
    assert prepared.public_rows == N // 4
    assert (solution.public == (usage == "Public")).all()
