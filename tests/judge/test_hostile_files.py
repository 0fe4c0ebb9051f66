"""Hostile uploads (issue 12, items 1, 2, 5, 6): every cap refuses clearly, and cheaply.

The web node's header check and the worker's read share the caps of ``judge.limits``: a
header of at most 64 KiB and a few thousand distinct column names, lines of at most 1 MiB,
1 GiB expanded, and no more rows than the test set could need. Every value a message echoes
is quoted short (``core.errors.quoted``), and every message is bounded even when a
parameter is not quoted. The same files are uploaded to real processes in
``test_hostile_uploads.py``.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from core.errors import ParticipantVisibleError
from judge.limits import GZ_TOO_BIG, MAX_EXPANDED_BYTES, ZIP_TOO_BIG, size_text
from judge.reader import decompress
from judge.scoring import score
from judge.sniff import sniff_header
from judge.truth import Solution
from tests.bombs import gzip_bomb, zip_bomb
from tests.helpers import make_solution

IDS = [f"{i:05d}" for i in range(40)]
REQUIRED = ["id", "target"]
MIB = 1 << 20
LONG = 100_000  # characters in an echoed value: under the line cap, far over any quote


@pytest.fixture(scope="module")
def rmse(tmp_path_factory: pytest.TempPathFactory) -> Solution:
    truth = pd.DataFrame({"id": IDS, "target": [i * 0.5 for i in range(len(IDS))]})
    return make_solution(tmp_path_factory.mktemp("rmse"), "rmse", truth, 0.5)


@pytest.fixture(scope="module")
def labels(tmp_path_factory: pytest.TempPathFactory) -> Solution:
    truth = pd.DataFrame({"id": IDS, "target": [("cat", "dog")[i % 2] for i in range(len(IDS))]})
    return make_solution(tmp_path_factory.mktemp("accuracy"), "accuracy", truth, 0.5)


def rows(value: str = "1.5") -> bytes:
    return "".join(f"{i},{value}\n" for i in IDS).encode()


def refusal(solution: Solution, data: bytes) -> ParticipantVisibleError:
    with pytest.raises(ParticipantVisibleError) as caught:
        score(solution, data, "pred.csv", with_ci=False)
    return caught.value


def duplicates(columns: int) -> bytes:
    return b",".join([b"a"] * columns) + b"\n"


# --- item 1: the header, at the web node and in the worker ----------------------------------


def test_a_header_of_32000_duplicate_names_is_refused_at_upload() -> None:
    """The issue's 64 KB header: pandas' duplicate-name mangling took 14 s of the web node."""
    head = (duplicates(32_000) + b"1\n")[: 1 << 16]  # the first 64 KiB, as the web node sees
    with pytest.raises(ParticipantVisibleError) as caught:
        sniff_header(head, "pred.csv", REQUIRED)
    assert re.search(r"32000 columns; at most \d+", caught.value.english()), caught.value


def test_a_header_over_the_column_cap_is_refused_in_the_worker(rmse: Solution) -> None:
    header = ",".join(["id", "target", *(f"c{j}" for j in range(6_000))]) + "\n"
    data = header.encode() + rows()
    error = refusal(rmse, gzip.compress(data))
    assert re.search(r"6002 columns; at most \d+", error.english()), error
    with pytest.raises(ParticipantVisibleError, match="6002 columns"):
        sniff_header(data[: 1 << 16], "pred.csv", REQUIRED)


def test_duplicate_column_names_are_refused_by_name(rmse: Solution) -> None:
    data = b"id,target,note, note\n" + rows("1.5,x,y")
    expected = "Column 'note' appears 2 times in the header"
    with pytest.raises(ParticipantVisibleError, match=expected):
        sniff_header(data, "pred.csv", REQUIRED, whole_file=True)
    assert expected in refusal(rmse, data).english()
    # Unnamed columns (a spreadsheet's trailing commas) are not duplicates of each other.
    spreadsheet = b"id,target,,\n" + rows("1.5,,")
    sniff_header(spreadsheet, "pred.csv", REQUIRED, whole_file=True)
    assert score(rmse, spreadsheet, "pred.csv", with_ci=False).public_score >= 0


def test_a_header_longer_than_the_cap_is_refused(rmse: Solution) -> None:
    """No line end in the first 64 KiB: refused without reading on, at the web node and after."""
    header = b"id,target," + b"n" * (100 * 1024) + b"\n"
    with pytest.raises(ParticipantVisibleError, match=r"first line\) is longer than 64 KiB"):
        sniff_header((header + rows())[: 1 << 16], "pred.csv", REQUIRED)
    error = refusal(rmse, gzip.compress(header + rows()))
    assert "longer than 64 KiB" in error.english()


def test_a_quoted_line_break_in_the_header_is_one_header(rmse: Solution) -> None:
    """The csv module reads the first record as pandas does, quotes and all."""
    data = b'id,"target",\r\n' + rows("1.5,").replace(b"\n", b"\r\n")
    sniff_header(data, "pred.csv", REQUIRED, whole_file=True)
    assert score(rmse, data, "pred.csv", with_ci=False).public_score >= 0
    split = b'id,"tar\nget"\n' + rows()
    with pytest.raises(ParticipantVisibleError, match="Missing column 'target'"):
        sniff_header(split, "pred.csv", REQUIRED, whole_file=True)


def test_a_cp949_file_is_checked_on_its_header_alone() -> None:
    """A Korean file's rows may cut a character at 64 KiB: only the header has to decode."""
    body = ("id,target,메모\n" + "".join(f"{i},1.5,가나다\n" for i in IDS) * 400).encode("cp949")
    assert len(body) > 1 << 16
    sniff_header(body[: (1 << 16) - 1], "pred.csv", REQUIRED)
    with pytest.raises(ParticipantVisibleError, match="Missing column 'target'"):
        sniff_header("id,예측\n1,2\n".encode("cp949"), "pred.csv", REQUIRED, whole_file=True)


# --- item 2: lines and rows in the worker ---------------------------------------------------


def test_a_line_longer_than_the_cap_is_refused_with_its_number(rmse: Solution) -> None:
    data = b"id,target\n" + rows() + b"x" * (2 * MIB) + b",1.5\n"
    error = refusal(rmse, gzip.compress(data))
    assert error.english() == f"Line {len(IDS) + 2} is longer than 1 MiB, the most a line may hold."


def test_a_quoted_value_spread_over_short_lines_is_one_long_line(rmse: Solution) -> None:
    """Line ends inside quotes do not end a record: a 3 MiB value in 100 KB lines is refused
    (a 190 MiB one cost a worker 733 MiB before), while quoted line breaks in short values
    pass the cap and reach the usual checks."""
    spread = b'"' + (b"z" * 100_000 + b"\n") * 30 + b'"'
    data = b"id,target\n" + rows() + spread + b",1.5\n"
    error = refusal(rmse, gzip.compress(data))
    assert error.english() == f"Line {len(IDS) + 2} is longer than 1 MiB, the most a line may hold."
    short = b"id,target\n" + rows() + b'"a\nb",1.5\n' * 50_000  # 0.5 MB, quoted breaks
    assert "longer than" not in refusal(rmse, gzip.compress(short)).english()


def test_more_rows_than_the_test_set_could_need_are_refused_unread(rmse: Solution) -> None:
    data = b"id,target\n" + b"00001,1.5\n" * 1_000_000
    error = refusal(rmse, gzip.compress(data))
    assert re.fullmatch(
        r"The file has more than (\d+) rows; the test set has 40 ids, one row each\.",
        error.english(),
    ), error


# --- item 5: messages stay short whatever the file echoes ----------------------------------


def long_text(char: str) -> bytes:
    return char.encode() * LONG


def with_row(solution_rows: bytes, row: bytes) -> bytes:
    return b"id,target\n" + solution_rows + row


ECHOES = {
    "unknown id": ("rmse", lambda: b"id,target\n" + rows().replace(b"00003", long_text("u"))),
    "duplicate id": ("rmse", lambda: with_row(rows(), (long_text("d") + b",1.5\n") * 2)),
    "not a number": (
        "rmse",
        lambda: b"id,target\n" + rows().replace(b"00003,1.5", b"00003," + long_text("v")),
    ),
    "unknown class": (
        "accuracy",
        lambda: b"id,target\n" + rows("cat").replace(b"00003,cat", b"00003," + long_text("w")),
    ),
}


@pytest.mark.parametrize("case", list(ECHOES))
def test_a_long_value_is_quoted_short(rmse: Solution, labels: Solution, case: str) -> None:
    task, build = ECHOES[case]
    error = refusal(rmse if task == "rmse" else labels, build())
    english = error.english()
    assert len(english) < 300, english[:300]
    assert re.search(r"'(\w)\1{58}…'", english), english  # 60 characters in all
    assert len(json.dumps(error.detail())) < 600


def test_every_message_is_bounded_even_if_a_parameter_is_not_quoted() -> None:
    """A new message that forgets ``quoted`` still stores and shows a bounded text."""
    error = ParticipantVisibleError("Line %(line)d: %(value)s is odd.", line=2, value="z" * 10**7)
    assert len(error.english()) <= 1000 and len(str(error)) <= 1000
    assert len(json.dumps(error.detail())) <= 2000
    assert error.english().startswith("Line 2: zzz")
    # A custom metric's free text, with the submission pasted in.
    free = ParticipantVisibleError("bad ids: " + "x" * 10**7, "and more")
    assert len(free.english()) <= 1000 and len(json.dumps(free.detail())) <= 2000


# --- item 6: archives expand in chunks against a running cap --------------------------------


def reset_peak() -> None:
    """Linux: writing 5 to clear_refs resets this process's peak resident size (VmHWM)."""
    Path("/proc/self/clear_refs").write_text("5")


def memory(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} in /proc/self/status")


def peak_growth_refusing(data: bytes) -> tuple[int, ParticipantVisibleError]:
    """How far the resident size rose above its level while ``decompress`` refused ``data``."""
    reset_peak()
    before = memory("VmRSS")
    with pytest.raises(ParticipantVisibleError) as caught:
        decompress(data)
    return memory("VmHWM") - before, caught.value


@pytest.mark.slow  # seconds of inflating
def test_a_gzip_bomb_is_refused_holding_none_of_what_it_expands_to() -> None:
    bomb = gzip_bomb()
    assert len(bomb) < 2 * MIB
    growth, error = peak_growth_refusing(bomb)
    assert error.english() == "The compressed file expands to more than 1 GiB."
    # The two messages carry the cap as words the Korean catalogue has: they say the constant.
    assert size_text(MAX_EXPANDED_BYTES) == "1 GiB"
    assert "1 GiB" in GZ_TOO_BIG and "1 GiB" in ZIP_TOO_BIG
    assert growth < 64 * MIB, f"peak rose {growth / MIB:.0f} MiB"


@pytest.mark.parametrize("declared", [None, 100], ids=["honest", "lying"])
def test_a_zip_bomb_is_refused_holding_none_of_what_it_expands_to(declared: int | None) -> None:
    bomb = zip_bomb(declared)
    assert len(bomb) < 2 * MIB
    growth, error = peak_growth_refusing(bomb)
    # A member that says 100 bytes and holds more fails its checksum once 100 are read.
    assert error.english() in (
        "The zipped file expands to more than 1 GiB.",
        "The .zip file is damaged and cannot be read.",
    )
    assert growth < 64 * MIB, f"peak rose {growth / MIB:.0f} MiB"
