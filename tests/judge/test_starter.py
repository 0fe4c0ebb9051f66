"""The starter kit's program runs as is (issue 16), whatever the organizer called the task."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from judge import sandbox, sandbox_check
from judge.starter import starter_kit
from judge.truth import load_solution

pytestmark = pytest.mark.slow  # the sandbox

# A docstring's end, escapes a string literal refuses (\x, \N), a line break, a NUL byte, and an
# encoding declaration Python would read in the file's first two lines.
TITLE = "Churn \"\"\" C:\\x41\\new \\N{oops} \\\nline two\r\x00 -*- coding: nope -*- ''' \\"


def test_the_starter_program_compiles_and_runs_whatever_the_title(tmp_path: Path) -> None:
    truth = tmp_path / "truth.csv"
    truth.write_text("id,target,Usage\n001,1,Public\n002,0,Private\n003,1,Public\n")
    sample = tmp_path / "sample.csv"
    sample.write_text("id,feature\n001,0.5\n002,1.5\n003,2.5\n")
    kit = starter_kit(
        title=TITLE,
        solution=load_solution(truth, "id", "target", "roc_auc"),
        sample_inputs=sample,
        inputs_name="test.csv",
        seconds=60,
        mb=1024,
    )
    program = zipfile.ZipFile(io.BytesIO(kit)).read("main.py")
    compile(program, "main.py", "exec")
    assert '# Churn """ C:\\x41\\new \\N{oops} \\ line two -*- coding: nope' in program.decode()
    assert sandbox_check.self_test() is None
    with sandbox.workspace() as (code, inputs, output):
        (code / "main.py").write_bytes(program)
        (inputs / "test.csv").write_bytes(sample.read_bytes())
        sandbox.readable(code)
        sandbox.readable(inputs)
        result = sandbox.run(code, inputs, output, ["python", "/code/main.py"])
        assert result.succeeded, result.log
        written = sandbox.read_output(output, "submission.csv", 10_000)
    assert written is not None and written.decode().splitlines() == [
        "id,target",
        "001,0.5",
        "002,0.5",
        "003,0.5",
    ]


@pytest.mark.parametrize("value", ["0.5", "-2e-3", "inf", "nan", "1_0", " 5", "cat", 'a"b'])
def test_a_placeholder_writes_back_as_the_sample_has_it(value: str) -> None:
    """What ``main.py`` puts in the prediction column prints as the sample's cell: a label
    like ``inf`` or ``1_0`` must not become a name or another number in the source."""
    from judge.starter import _literal

    namespace: dict[str, object] = {}
    exec(compile(f"cell = {_literal(value)}", "main.py", "exec"), namespace)  # noqa: S102
    cell = namespace["cell"]
    assert cell == value if isinstance(cell, str) else float(cell) == float(value)
