"""The sample submission's row order carries nothing of the truth (SPEC §4, issue 12 item 14).

A truth file sorted by label (or by Usage, then label) used to come back as a sample in the
same order, so ``target = row index`` scored AUC 1.0 on both boards. The sample is served
sorted by id (numbers by value): filling it with the row index then scores what any
prediction unrelated to the labels scores, about 0.5.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests

from judge.truth import natural_order
from tests.actions import bearer
from tests.helpers import Proc, cli, seed_env, server_in, wait_for

ROWS = 2_000


def sorted_truth(path: Path, by: str) -> pd.DataFrame:
    """Labels with numeric ids in random order, the file sorted ``by`` label or Usage+label."""
    rng = np.random.default_rng(12)
    truth = pd.DataFrame(
        {
            "id": rng.permutation(np.arange(1, ROWS + 1)),  # 1..2000: text order ≠ value order
            "target": rng.integers(0, 2, ROWS),
            "Usage": np.where(rng.random(ROWS) < 0.3, "Public", "Private"),
        }
    )
    keys = ["target"] if by == "label" else ["Usage", "target"]
    truth = truth.sort_values(keys, kind="stable")
    if by == "label":
        truth = truth.drop(columns="Usage")  # the split is drawn at creation instead
    truth.to_csv(path, index=False)
    return truth


@pytest.mark.parametrize("by", ["label", "usage"])
def test_row_index_of_the_sample_scores_like_chance(
    by: str, embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    truth = sorted_truth(tmp_path / "sorted.csv", by)
    split = ["--usage-column", "Usage"] if by == "usage" else ["--public-fraction", "0.3"]
    cli(
        embedded_env, "task", "create", contest.event, "sorted", "--metric", "roc_auc",
        "--truth", str(tmp_path / "sorted.csv"), *split,
    )  # fmt: skip
    server = server_in(embedded_env, spawned, tmp_path, "web")
    base = f"{server.url}/api/v1/events/{contest.event}/tasks/sorted"
    participant = bearer(contest.tokens["팀0"])

    reply = requests.get(f"{base}/sample-submission", headers=participant, timeout=30)
    assert reply.status_code == 200
    sample = pd.read_csv(io.StringIO(reply.text), dtype=str)
    # Every id once, sorted by value (text order would put "10" before "9").
    assert list(sample["id"]) == [str(i) for i in range(1, ROWS + 1)]
    assert sorted(sample["id"]) != list(sample["id"])  # (so the order above is by value)

    # The leak tried: the row index as the prediction.
    sample["target"] = np.arange(len(sample))
    upload = requests.post(
        f"{base}/submissions",
        headers=participant,
        files={"file": ("row_index.csv", sample.to_csv(index=False), "text/csv")},
        timeout=30,
    )
    assert upload.status_code == 202, upload.text
    staff = bearer(contest.staff_tokens["organizer"])
    url = f"{server.url}/api/v1/submissions/{upload.json()['id']}"

    def scored() -> dict | None:
        body = requests.get(url, headers=staff, timeout=10).json()
        return body if body["status"] == "scored" else None

    result = wait_for(scored, 60, "the row-index submission to be scored")
    # Sorted ids are independent of the labels here, so each AUC is that of a random order:
    # 0.5 give or take 0.016 (private, 1,400 rows) to 0.024 (public, 600 rows) for one
    # standard deviation. 0.3-0.7 is over eight of them: only a leak of the truth's order
    # (1.0 before the fix) lands outside.
    assert 0.3 < result["public_score"] < 0.7
    assert 0.3 < result["private_score"] < 0.7
    assert len(truth) == ROWS


def sorted_ids(ids: list[str]) -> list[str]:
    array = np.array(ids, dtype=object)
    return list(array[natural_order(array)])


def test_ids_sort_by_value_when_all_are_numbers_else_as_text() -> None:
    assert sorted_ids(["10", "9", "007", "7", "-1", "2.5"]) == ["-1", "2.5", "007", "7", "9", "10"]
    assert sorted_ids(["b", "a10", "a9", "10", "nan"]) == ["10", "a10", "a9", "b", "nan"]
    # Whatever order the file had, the same ids come out the same (ties by value included).
    ids = ["3", "03", "003", "12", "1e1"]
    rng = np.random.default_rng(0)
    assert {tuple(sorted_ids(list(rng.permutation(ids)))) for _ in range(30)} == {
        ("003", "03", "3", "1e1", "12")
    }
