"""``hackjudge task create`` refuses a bad ground truth naming the file and the problem."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.helpers import HACKJUDGE, seed_env


def test_a_bad_truth_file_is_named_in_the_refusal(
    embedded_env: dict[str, str], tmp_path: Path
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    empty = tmp_path / "정답.csv"
    empty.write_bytes(b"")
    done = subprocess.run(
        [HACKJUDGE, "task", "create", contest.event, "second", "--metric", "rmse"]
        + ["--truth", str(empty)],
        env={**os.environ, **embedded_env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert f"Error: {empty}: The file is empty." in done.stderr
