"""Every problem a participant's file can have is told in Korean, and in English on request.

Each bad file below is scored for real; the message it gets must be a catalogue template with
a Korean translation that keeps every parameter (numbers, ids, column names) of the English.
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from app.messages import localize
from core.errors import ParticipantVisibleError, render
from core.locales import catalogue, in_every_locale
from judge.scoring import score
from tests.helpers import make_solution

N = 30
IDS = [f"{i:03d}" for i in range(N)]


def solution_for(tmp_path: Path, metric: str, target: list[object]):  # noqa: ANN201
    return make_solution(tmp_path, metric, pd.DataFrame({"id": IDS, "target": target}), 0.5)


def csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def values(column: str = "target", **changes: object) -> Callable[[list[object]], bytes]:
    """A file with every id and ``column`` set from the truth, with some rows changed."""

    def build(target: list[object]) -> bytes:
        frame = pd.DataFrame({"id": IDS, column: target}, dtype=object)
        for row, value in changes.items():
            frame.loc[int(row.lstrip("r")), column] = value
        return csv(frame)

    return build


def zipped(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "id,target\n")
    return buffer.getvalue()


REGRESSION = [float(i) for i in range(N)]
BINARY = [i % 2 for i in range(N)]
BAD_FILES: dict[str, tuple[str, list[object], Callable[[list[object]], bytes]]] = {
    "empty": ("rmse", REGRESSION, lambda t: b""),
    "binary": ("rmse", REGRESSION, lambda t: b"id,target\n\x00\x01"),
    "not text": (
        "rmse",
        REGRESSION,
        lambda t: "id,target\n001,\udcff".encode("utf-8", "surrogateescape"),
    ),
    "two files in a zip": ("rmse", REGRESSION, lambda t: zipped("a.csv", "b.csv")),
    "damaged gzip": ("rmse", REGRESSION, lambda t: gzip.compress(csv_of(t))[:-12] + b"xxxx"),
    "column missing, a near one found": (
        "rmse",
        REGRESSION,
        lambda t: csv(pd.DataFrame({"id": IDS, "targt": t})),
    ),
    "column missing": ("rmse", REGRESSION, lambda t: csv(pd.DataFrame({"id": IDS, "x": t}))),
    "header only": ("rmse", REGRESSION, lambda t: b"id,target\n"),
    "duplicate ids": ("rmse", REGRESSION, lambda t: csv_of(t) + b"001,1\n"),
    "unknown ids": ("rmse", REGRESSION, lambda t: csv_of(t).replace(b"001,", b"999,")),
    "missing ids": ("rmse", REGRESSION, lambda t: b"\n".join(csv_of(t).splitlines()[:-2]) + b"\n"),
    "not a number": ("rmse", REGRESSION, values(r3="abc")),
    "empty value": ("rmse", REGRESSION, values(r3="")),
    "probability out of range": ("log_loss", BINARY, values(r4=1.5)),
    "negative for rmsle": ("rmsle", REGRESSION, values(r5=-2.0)),
    "unknown class": ("accuracy", BINARY, values(r6="7")),
    "overflow": ("rmse", REGRESSION, values(r2=1e300)),
    "a quote never closed": ("rmse", REGRESSION, lambda t: csv_of(t) + b'"030,1\n'),
}


def csv_of(target: list[object]) -> bytes:
    return csv(pd.DataFrame({"id": IDS, "target": target}))


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_each_file_problem_is_told_in_korean_and_english(tmp_path: Path, case: str) -> None:
    metric, target, build = BAD_FILES[case]
    solution = solution_for(tmp_path, metric, target)
    with pytest.raises(ParticipantVisibleError) as caught:
        score(solution, build(target), "f.csv")
    error = caught.value
    korean = catalogue("ko").gettext(error.template)
    assert korean != error.template, f"not in the Korean catalogue: {error.template!r}"
    # What is stored with a submission survives JSON and renders in both languages.
    detail = json.loads(json.dumps(error.detail()))
    english, in_korean = localize(detail, "", "en"), localize(detail, "", "ko")
    assert english == error.english() == str(error)  # outside a request: English
    assert in_korean == render(error.template, error.params, catalogue("ko").gettext)
    assert any("\uac00" <= ch <= "\ud7a3" for ch in in_korean), in_korean
    for value in error.params.values():
        assert str(value) in english and str(value) in in_korean


def test_a_message_without_a_template_is_shown_as_it_was_stored() -> None:
    # Rows scored before messages were kept as templates, and platform faults, have none.
    assert localize(None, "old message", "ko") == "old message"
    assert in_every_locale({}, "old message") == {"ko": "old message", "en": "old message"}


def test_a_broken_translation_falls_back_to_english() -> None:
    # A translator dropping a placeholder must never hide the message.
    broken = {"Line %(line)d: bad.": "%(row)d행: 잘못됨."}
    assert render("Line %(line)d: bad.", {"line": 3}, lambda t: broken.get(t, t)) == "Line 3: bad."


def test_row_numbers_count_lines_as_an_editor_shows_them(tmp_path: Path) -> None:
    solution = solution_for(tmp_path, "rmse", REGRESSION)
    body = csv_of(REGRESSION).replace(b"\n", b"\n\n", 3).replace(b"003,3.0", b"003,abc")
    with pytest.raises(ParticipantVisibleError) as caught:
        score(solution, body, "f.csv")
    line = caught.value.params["line"]
    assert body.splitlines()[line - 1].startswith(b"003,abc")
    assert localize(caught.value.detail(), "", "ko").startswith(f"{line}행:")


def test_the_bad_files_meet_distinct_messages(tmp_path: Path) -> None:
    templates = set()
    for i, (metric, target, build) in enumerate(BAD_FILES.values()):
        (tmp_path / str(i)).mkdir()
        with pytest.raises(ParticipantVisibleError) as caught:
            score(solution_for(tmp_path / str(i), metric, target), build(target), "f.csv")
        templates.add(caught.value.template)
    assert len(templates) == len(BAD_FILES)


def test_custom_metric_messages_take_any_arguments() -> None:
    # Custom metrics raise it like any exception: free text, several parts, or nothing.
    assert ParticipantVisibleError("a", 2).english() == "a 2"
    assert ParticipantVisibleError("not in the catalogue").detail() == {
        "template": "not in the catalogue",
        "params": {},
    }
    silent = ParticipantVisibleError()
    assert silent.detail() is None and localize(silent.detail(), "", "ko") == ""
    # An empty template never renders the catalogue's header.
    assert render("", {}, catalogue("ko").gettext) == ""


def test_a_row_with_a_field_too_many_is_named_in_korean() -> None:
    # Whole-table reads (ground truth, custom metrics) meet the parser's field count.
    from judge.reader import read_table

    with pytest.raises(ParticipantVisibleError) as caught:
        read_table(b"id,target\n001,1\n002,1,2\n")
    assert caught.value.params == {"line": 3, "found": 3, "expected": 2}
    assert localize(caught.value.detail(), "", "ko").startswith("3행의 필드가 3개인데")
