"""What a code task's teams download to start (issue 16): a program that runs as it will on
the platform, the public sample inputs, and the sandbox's package list to reproduce it locally.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pandas as pd

from judge.sandbox_host import ROOT
from judge.truth import Solution, sample_submission

RUNTIME_REQUIREMENTS = ROOT / "requirements" / "runtime.txt"
_PINNED = re.compile(r"^([A-Za-z0-9._-]+)==([^\s\\;]+)", re.MULTILINE)

TEMPLATE = '''\
"""A starter program: read the inputs, write the predictions.

On the platform this file runs as `python main.py` in a sandbox: no network, the inputs
read-only in /input, the predictions to /output/submission.csv, within {seconds} s and {mb} MB.
Here it reads ./input and writes ./output, so you can try it first:
    pip install -r requirements.txt && python main.py
"""

# {title}

from pathlib import Path

import pandas as pd

ON_PLATFORM = Path("/input").is_dir()
INPUT = Path("/input") if ON_PLATFORM else Path("input")
OUTPUT = Path("/output") if ON_PLATFORM else Path("output")

features = pd.read_csv(INPUT / {inputs_name!r}, dtype={{{id_column!r}: str}})
print("rows:", len(features), "columns:", list(features.columns))

# Your model here. A placeholder prediction for each row:
predictions = pd.DataFrame({{{id_column!r}: features[{id_column!r}]}})
{placeholders}
OUTPUT.mkdir(exist_ok=True)
predictions.to_csv(OUTPUT / "submission.csv", index=False)
'''

README = """\
{title}

main.py            a program that runs as it will on the platform (a placeholder model)
input/{inputs_name}  the public sample inputs: the hidden inputs' columns, a few rows
requirements.txt   the sandbox's packages, pinned: install them to reproduce locally

Upload main.py (or a .zip with main.py at its top, or a notebook .ipynb). A dry run runs it
on these sample inputs and shows you its output; a submission runs it on the hidden inputs,
within {seconds} s and {mb} MB, without network, and scores /output/submission.csv.
"""


def runtime_packages() -> list[tuple[str, str]]:
    """The sandbox's packages and their pinned versions (``requirements/runtime.txt``)."""
    return _PINNED.findall(RUNTIME_REQUIREMENTS.read_text(encoding="utf-8"))


def runtime_requirements() -> str:
    """The package list as ``pip install -r`` reads it (versions only, no hashes)."""
    return "".join(f"{name}=={version}\n" for name, version in runtime_packages())


def starter_kit(
    *,
    title: str,
    solution: Solution,
    sample_inputs: Path,
    inputs_name: str,
    seconds: int,
    mb: int,
) -> bytes:
    """The starter zip of a code task."""
    sample = pd.read_csv(io.StringIO(sample_submission(solution, rows=1)), dtype=str)
    placeholders = "".join(
        f"predictions[{column!r}] = {_literal(sample[column].iloc[0])}\n"
        for column in sample.columns[1:]
    )
    program = TEMPLATE.format(
        title=_comment(title),
        seconds=seconds,
        mb=mb,
        inputs_name=inputs_name,
        id_column=solution.id_column,
        placeholders=placeholders,
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("main.py", program)
        archive.writestr(f"input/{inputs_name}", sample_inputs.read_bytes())
        archive.writestr("requirements.txt", runtime_requirements())
        archive.writestr(
            "README.txt",
            README.format(title=title, inputs_name=inputs_name, seconds=seconds, mb=mb),
        )
    return buffer.getvalue()


def _comment(text: str) -> str:
    """``text`` fit for a comment line of the program: on one line, printable characters only
    (a line break would end the comment, a NUL byte would make the file unreadable to Python).
    The comment comes after the docstring, past the two lines where Python reads an encoding
    declaration (``coding: …`` in a title)."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


# A number as Python writes one back: float() also takes "inf", "nan", "1_0" and " 5", which
# as source would be a name, another number or an indentation.
_PLAIN_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _literal(value: object) -> str:
    """A placeholder as Python source: a plain number stays a number, anything else a str."""
    text = "" if pd.isna(value) else str(value)
    return text if _PLAIN_NUMBER.fullmatch(text) else repr(text)
