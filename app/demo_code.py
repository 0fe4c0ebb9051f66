"""The demo's code task (issue 16): teams upload a program that runs in the sandbox on the
hidden wine measurements; the bots send a .zip of their training data and a main.py, as a team
would, so the demo shows programs running, scored and on the board like any file."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import datasets

from organize.code_tasks import CodeSettings

SLUG = "wine"
TITLE = "와인 품종 분류 (코드 제출)"
METRIC = "accuracy"
TIME_LIMIT_S = 60
MEMORY_MB = 1024
INPUTS = "test.csv"
EVERY_N_BOT_TURNS = 6  # a program run costs a second or two: one bot turn in six

BOT_PROGRAM = """\
# A bot team's program: trains on the data it brought, predicts the hidden inputs.
import pandas as pd
from sklearn.neighbors import KNeighborsClassifier

train = pd.read_csv("train.csv")
features = pd.read_csv("/input/test.csv", dtype={{"id": str}})
columns = {columns!r}
model = KNeighborsClassifier(n_neighbors={k}).fit(train[columns], train["target"])
print("trained on", len(train), "rows with", len(columns), "columns")
pd.DataFrame({{"id": features["id"], "target": model.predict(features[columns])}}).to_csv(
    "/output/submission.csv", index=False
)
"""


def _data() -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    wine = datasets.load_wine()
    names = [name.replace("/", "_") for name in wine.feature_names]
    return pd.DataFrame(wine.data, columns=names), wine.target, names


def split() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training rows with their target, the hidden test rows with ids and their target)."""
    frame, target, _names = _data()
    frame["target"] = target
    frame["id"] = [f"WI{i:04d}" for i in range(len(frame))]
    shuffled = frame.sample(frac=1.0, random_state=11)
    cut = int(len(frame) * 0.6)
    return shuffled.iloc[:cut], shuffled.iloc[cut:]


def task_files(folder: Path) -> tuple[Path, CodeSettings]:
    """The truth and the hidden inputs of the demo's code task."""
    _train, test = split()
    truth = folder / f"{SLUG}_truth.csv"
    test[["id", "target"]].to_csv(truth, index=False)
    inputs = folder / INPUTS
    test.drop(columns=["target"]).to_csv(inputs, index=False)
    return truth, CodeSettings(inputs, None, TIME_LIMIT_S, MEMORY_MB)


def bot_bundle(skill: float, rng: random.Random) -> bytes:
    """A bot's .zip: its training data and a main.py using a share of the columns."""
    train, _test = split()
    _frame, _target, names = _data()
    columns = rng.sample(names, max(1, min(len(names), round(len(names) * skill))))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("main.py", BOT_PROGRAM.format(columns=columns, k=rng.choice([3, 5, 9])))
        archive.writestr("train.csv", train[[*names, "target"]].to_csv(index=False))
    return buffer.getvalue()


def program_to_try(folder: Path) -> Path:
    """A program for the person trying the demo (every column: a good score)."""
    path = folder / "wine_program.zip"
    path.write_bytes(bot_bundle(1.0, random.Random(0)))
    return path
