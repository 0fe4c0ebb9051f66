"""Custom metrics from an installed package's ``hackjudge.metrics`` entry point (SPEC §4)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from core.errors import ParticipantVisibleError
from judge.metrics import available, get_metric
from judge.prepare import prepare_truth
from judge.scoring import score
from judge.truth import load_solution
from tests.helpers import HACKJUDGE, install_custom_metric


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A distribution on sys.path declaring the entry point, as pip would lay it out."""
    site = install_custom_metric(tmp_path_factory.mktemp("site"))
    sys.path.insert(0, str(site))
    yield site
    sys.path.remove(str(site))
    sys.modules.pop("hj_maxerr", None)


def solution_for(tmp_path: Path):  # noqa: ANN201
    truth = pd.DataFrame({"id": [f"{i:03d}" for i in range(40)], "target": range(40)})
    truth.to_csv(tmp_path / "t.csv", index=False)
    prepared = prepare_truth(
        tmp_path / "t.csv",
        tmp_path / "s",
        id_column="id",
        target_column="target",
        metric="max_abs_error",
    )
    return load_solution(prepared.path, "id", "target", "max_abs_error"), truth


def test_entry_point_metric_is_listed_and_scores(installed: Path, tmp_path: Path) -> None:
    assert "max_abs_error" in available()
    metric = get_metric("max_abs_error")
    assert metric.custom and metric.higher_is_better is False
    solution, truth = solution_for(tmp_path)
    sub = truth.assign(target=truth["target"] + 0.5)
    sub.loc[7, "target"] = 10  # error 3 on a row
    result = score(solution, sub.to_csv(index=False).encode(), "p.csv")
    errors = (sub["target"] - truth["target"]).abs()
    public = solution.public
    assert result.public_score == errors[public].max()
    assert result.private_score == errors[~public].max()
    assert result.public_ci is None


def test_participant_visible_error_reaches_the_team(installed: Path, tmp_path: Path) -> None:
    solution, truth = solution_for(tmp_path)
    with pytest.raises(ParticipantVisibleError, match="must not be negative"):
        score(solution, truth.assign(target=-1).to_csv(index=False).encode(), "p.csv")


def test_other_exceptions_are_platform_faults(installed: Path, tmp_path: Path) -> None:
    solution, truth = solution_for(tmp_path)
    body = truth.rename(columns={"target": "prediction"}).to_csv(index=False).encode()
    with pytest.raises(KeyError):  # not a ParticipantVisibleError: staff see it, teams do not
        score(solution, body, "p.csv")


@pytest.mark.slow  # runs the CLI
def test_cli_offers_the_installed_metric(installed: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(installed),
        "HACKJUDGE_INSTANCE_DIR": str(tmp_path),
        "HACKJUDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
    }
    env.pop("HACKJUDGE_REDIS_URL", None)
    shown = subprocess.run(
        [HACKJUDGE, "task", "create", "--help"], env=env, capture_output=True, text=True, check=True
    )
    assert "max_abs_error" in shown.stdout
    without = subprocess.run(
        [HACKJUDGE, "task", "create", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**env, "PYTHONPATH": ""},
    )
    assert "max_abs_error" not in without.stdout
