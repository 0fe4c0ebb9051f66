"""A team's program unpacked for the sandbox: .py, .zip with main.py, notebooks; and the
archives that try to climb out, link out or blow up (issue 16)."""

from __future__ import annotations

import io
import json
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from core.errors import ParticipantVisibleError
from judge import bundles, sandbox


def zipped(files: dict[str, bytes], modes: dict[str, int] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (modes or {}).get(name, stat.S_IFREG | 0o644) << 16
            archive.writestr(info, body)
    return buffer.getvalue()


def folders(base: Path, *names: str) -> list[Path]:
    made = [base / name for name in names]
    for folder in made:
        folder.mkdir()
    return made


def notebook(*cells: str) -> bytes:
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {},
            "cells": [
                {
                    "cell_type": "code",
                    "id": f"c{i}",
                    "metadata": {},
                    "outputs": [],
                    "execution_count": None,
                    "source": source,
                }
                for i, source in enumerate(cells)
            ]
            + [{"cell_type": "markdown", "id": "m", "metadata": {}, "source": "# 설명"}],
        }
    ).encode()


def test_a_script_a_project_folder_and_a_notebook(tmp_path: Path) -> None:
    script_dir, project, book = folders(tmp_path, "a", "b", "c")
    bundles.unpack(b"print('hi')\n", "solve.py", script_dir)
    assert (script_dir / "main.py").read_text() == "print('hi')\n"

    bundles.unpack(
        zipped({"team/main.py": b"import helper\n", "team/helper.py": b"X = 1\n"}),
        "team.zip",
        project,
    )
    assert sorted(p.name for p in project.iterdir()) == ["helper.py", "main.py"]

    bundles.unpack(
        notebook("%matplotlib inline\nimport math", "print(math.pi)"), "풀이.ipynb", book
    )
    script = (book / "main.py").read_text()
    assert "# %matplotlib inline" in script and "print(math.pi)" in script


def forged_count(headers: int) -> bytes:
    """A table of contents of ``headers`` entry headers whose end record claims one entry."""
    table = bundles.ENTRY_HEADER * headers
    return table + bundles.END_RECORD + struct.pack("<HHHHIIH", 0, 0, 1, 1, len(table), 0, 0)


@pytest.mark.parametrize(
    ("name", "body", "says"),
    [
        ("a.zip", zipped({"../../etc/cron.d/x": b"x", "main.py": b""}), "outside its own folder"),
        ("a.zip", zipped({"/abs/main.py": b""}), "outside its own folder"),
        (
            "a.zip",
            zipped({"main.py": b"", "link": b"/etc/passwd"}, {"link": stat.S_IFLNK | 0o777}),
            "a link or special file",
        ),
        ("a.zip", zipped({"src/run.py": b""}), "no main.py"),
        ("a.zip", b"PK\x03\x04 not really", "could not be read"),
        ("a.zip", zipped({f"f{i}.py": b"" for i in range(bundles.MAX_FILES + 1)}), "more than"),
        # Its end record says how many entries before the table of contents is listed (seconds
        # for a crafted one): refused on that alone, whatever follows.
        (
            "a.zip",
            b"junk" + bundles.END_RECORD + struct.pack("<HHHHIIH", 0, 0, 9, 60000, 0, 0, 0),
            "more than",
        ),
        # ... and a forged count does not hide them: the entry headers of its table of
        # contents are counted too, still without listing it (this table would not list).
        ("a.zip", forged_count(2001), "more than"),
        ("a.py", "print('é')".encode("cp949", "replace") + b"\xff\xfe", "not UTF-8"),
        ("a.ipynb", b"{not json", "could not be read"),
        ("a.exe", b"MZ", "Send the program as"),
    ],
)
def test_archives_that_break_out_are_refused(
    tmp_path: Path, name: str, body: bytes, says: str
) -> None:
    with pytest.raises(ParticipantVisibleError) as refused:
        bundles.unpack(body, name, tmp_path)
    assert says in refused.value.english()
    assert not (tmp_path.parent / "etc").exists()
    # The upload's quick look refuses it already, with the same words.
    with pytest.raises(ParticipantVisibleError) as at_upload:
        bundles.check_program(body, name)
    assert says in at_upload.value.english()


@pytest.mark.parametrize(
    "external_attr",
    [0o600 << 16, 0, (stat.S_IFREG | 0o755) << 16],  # Python's writestr, Windows tools, zip -r
)
def test_zips_without_a_file_type_are_plain_files(tmp_path: Path, external_attr: int) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("main.py")
        info.external_attr = external_attr
        archive.writestr(info, b"print(1)\n")
    bundles.check_program(buffer.getvalue(), "team.zip")
    bundles.unpack(buffer.getvalue(), "team.zip", tmp_path)
    assert (tmp_path / "main.py").read_bytes() == b"print(1)\n"


def test_a_zip_bomb_stops_at_the_cap_even_when_it_lies_about_its_size(tmp_path: Path) -> None:
    bomb = zipped({"main.py": b"", "zeros.bin": b"\0" * (8 * 2**20)})
    with pytest.raises(ParticipantVisibleError, match="unpacks to more than"):
        bundles.unpack(bomb, "bomb.zip", tmp_path, max_bytes=2**20)
    # Its sizes rewritten to look small (10 bytes): the bytes that come out are counted.
    small = (10).to_bytes(4, "little")
    lying = bomb.replace((8 * 2**20).to_bytes(4, "little"), small)
    assert lying != bomb
    (target,) = folders(tmp_path, "lying")
    with pytest.raises(ParticipantVisibleError):
        bundles.unpack(lying, "bomb.zip", target, max_bytes=2**20)
    assert sum(p.stat().st_size for p in target.rglob("*") if p.is_file()) <= 2**20


@pytest.mark.slow
def test_a_notebook_runs_in_the_sandbox_as_a_script() -> None:
    with sandbox.workspace() as (code, inputs, output):
        (inputs / "features.csv").write_text("id,x\n1,2\n")
        bundles.unpack(
            notebook(
                "import pandas as pd\nframe = pd.read_csv('/input/features.csv')",
                "!pip install nothing\nframe.to_csv('/output/submission.csv', index=False)",
            ),
            "solution.ipynb",
            code,
        )
        sandbox.readable(code)
        sandbox.readable(inputs)
        result = sandbox.run(code, inputs, output, ["python", "/code/main.py"])
        assert result.succeeded, result.log
        assert sandbox.read_output(output, "submission.csv", 100) == b"id,x\n1,2\n"
