"""Property tests of reading uploads (SPEC §4): whatever the bytes, a score or a visible error.

Two small tasks are built once per module (hypothesis reruns each test body, so no
function-scoped ``tmp_path``): ``rmse`` on distinctive numeric targets and ``accuracy`` on
distinctive string labels, both with ids that keep leading zeros or are Korean.

``REGRESSIONS`` keeps the uploads these properties found escaping as platform faults
(damaged archives, CR-only line ends, a quoted line break in the header, …), fixed since.
"""

from __future__ import annotations

import atexit
import bz2
import contextlib
import csv
import functools
import gzip
import io
import lzma
import math
import os
import re
import shutil
import struct
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

import judge.reader
from core.errors import ParticipantVisibleError
from judge.prepare import prepare_truth
from judge.scoring import ScoreResult, score
from judge.truth import Solution, load_solution

pytestmark = pytest.mark.slow  # generated files: seconds per property

# No example database: nothing is written into the working tree, and runs stay independent.
FUZZ = settings(
    deadline=None,
    max_examples=300,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FORMAT = settings(FUZZ, max_examples=150)


IDS = [f"{i:05d}" for i in range(10)] + [f"학생{i:03d}" for i in range(10)]
# Truth values no submission here ever contains: finding one in a message is a leak.
SECRET_VALUES = [f"{123456.789 + 1000.001 * i:.3f}" for i in range(len(IDS))]
SECRET_LABELS = ["secretlabelXYZ", "secretlabelABC", "비밀라벨QRS"]
TRUTH_LABELS = [SECRET_LABELS[i % 3] for i in range(len(IDS))]
GUESSES = [1.5 + 0.25 * i for i in range(len(IDS))]  # exact in binary: the text round-trips
GUESSED_LABELS = [SECRET_LABELS[(i * 7) % 3] for i in range(len(IDS))]


@dataclass(frozen=True)
class Task:
    name: str
    solution: Solution
    rows: list[list[str]]  # a valid submission: id, target
    secrets: tuple[str, ...]  # truth values that must never be shown
    labels: bool  # label task: the known classes are public (sample submission, rules)


@functools.cache
def _store() -> Path:
    path = Path(tempfile.mkdtemp(prefix="hackjudge-reader-props-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


# Hypothesis caches the constants of local modules under ./.hypothesis at collection time,
# database or not; that directory is not git-ignored, so keep it out of the working tree.
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(_store() / "hypothesis")


@functools.cache
def task(name: str) -> Task:
    """The module's task ``rmse`` or ``accuracy``, prepared once."""
    targets = SECRET_VALUES if name == "rmse" else TRUTH_LABELS
    guesses = [repr(g) for g in GUESSES] if name == "rmse" else GUESSED_LABELS
    directory = _store() / name
    directory.mkdir()
    source = directory / "truth.csv"
    # A fixed split (rows 0, 4, 8, …): every class in both parts, whatever the secret seed.
    usage = ["Public" if i % 4 == 0 else "Private" for i in range(len(IDS))]
    pd.DataFrame({"id": IDS, "target": targets, "Usage": usage}).to_csv(source, index=False)
    prepared = prepare_truth(
        source,
        directory / "store",
        id_column="id",
        target_column="target",
        metric=name,
        usage_column="Usage",
    )
    solution = load_solution(prepared.path, "id", "target", name)
    rows = [[i, g] for i, g in zip(IDS, guesses, strict=True)]
    return Task(name, solution, rows, tuple(sorted(set(targets))), name == "accuracy")


TASKS = ("rmse", "accuracy")


def to_csv(
    header: list[str], rows: list[list[str]], *, newline: str = "\n", quoting: int = 0
) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline, quoting=quoting)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@functools.cache
def plain(name: str) -> bytes:
    return to_csv(["id", "target"], task(name).rows).encode("utf-8")


@functools.cache
def plain_score(name: str) -> ScoreResult:
    return run(task(name), plain(name))


def run(t: Task, data: bytes) -> ScoreResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return score(t.solution, data, "submission.csv", with_ci=False)


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def zipped(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as zf:
        for member, body in members.items():
            zf.writestr(member, body)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# Uploads that once escaped as platform faults (found by the properties below).


def _encrypted_zip() -> bytes:
    """A valid zip whose member claims to be encrypted (general-purpose flag bit 0)."""
    data = bytearray(zipped({"p.csv": plain("rmse")}, zipfile.ZIP_STORED))
    data[6] |= 1  # local header flags
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 1  # central directory flags
    return bytes(data)


def zipped_info(info: zipfile.ZipInfo, body: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(info, body)
    return buffer.getvalue()


def _flip(data: bytes, at: int) -> bytes:
    out = bytearray(data)
    out[at] ^= 0xFF
    return bytes(out)


# name → (what escaped, a reproduction against the rmse task)
REGRESSIONS: dict[str, tuple[str, Callable[[], bytes]]] = {
    "cr_line_endings": (
        "_csv.Error 'new-line character seen in unquoted field' from header_of()",
        lambda: plain("rmse").replace(b"\n", b"\r"),
    ),
    "quoted_newline_in_header": (
        "ValueError 'Usecols do not match columns': header_of() cut the header inside quotes",
        lambda: b'id,"target\nx",other\n00000,1.5,2\n',
    ),
    "corrupt_gzip_stream": (
        "zlib.error from a .gz with one byte of its deflate data flipped",
        lambda: _flip(gz(plain("rmse")), 15),
    ),
    "corrupt_zip_deflate": (
        "zlib.error from a .zip with one byte of its deflated member flipped",
        lambda: _flip(zipped({"p.csv": plain("rmse")}), 40),
    ),
    "corrupt_zip_bzip2": (
        "OSError 'Invalid data stream' from a damaged bzip2 member",
        lambda: _flip(zipped({"p.csv": plain("rmse")}, zipfile.ZIP_BZIP2), 45),
    ),
    "corrupt_zip_lzma": (
        "lzma.LZMAError from a damaged LZMA member",
        lambda: _flip(zipped({"p.csv": plain("rmse")}, zipfile.ZIP_LZMA), 45),
    ),
    "zip_offsets_shifted": (
        "ValueError 'negative seek value -1' from a .zip missing one byte (zip[:20] + zip[21:])",
        lambda: (lambda z: z[:20] + z[21:])(zipped({"p.csv": plain("rmse")})),
    ),
    "zip_member_without_name": (
        "IndexError from ZipInfo.is_dir() on a member with an empty file name",
        lambda: zipped_info(zipfile.ZipInfo(""), plain("rmse")),
    ),
    "encrypted_zip": (
        "RuntimeError 'File ... is encrypted, password required' from zf.open()",
        _encrypted_zip,
    ),
    "huge_finite_predictions": (
        "no exception, but rmse = inf for predictions of 1e200 (stored as a SCORED score)",
        lambda: to_csv(["id", "target"], [[i, "1e200"] for i in IDS]).encode("utf-8"),
    ),
}


@pytest.mark.parametrize("key", list(REGRESSIONS))
def test_once_escaping_uploads_give_a_score_or_a_visible_error(key: str) -> None:
    check(task("rmse"), REGRESSIONS[key][1]())


# --------------------------------------------------------------------------------------------
# The property every upload must have.


def public_part(message: str, t: Task) -> str:
    """The message without the list of known classes, which is public for a label task."""
    if t.labels:
        message = message.replace(", ".join(t.solution.classes), "")
    return message


def expanded(data: bytes) -> bytes:
    """The upload and, best effort, what it decompresses to (for telling echoes from leaks)."""
    out = data
    with contextlib.suppress(Exception):
        out += gzip.decompress(data)
    with contextlib.suppress(Exception), zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            out += zf.read(info)
    return out


def check(t: Task, data: bytes) -> ScoreResult | None:
    """A finite public score, or a ParticipantVisibleError that shows no truth value."""
    try:
        result = run(t, data)
    except ParticipantVisibleError as exc:
        message = public_part(str(exc), t)
        sent = expanded(data)
        for secret in t.secrets:
            # A label task's file may hold class names itself: echoing them is no leak.
            if t.labels and any(secret.encode(e) in sent for e in ("utf-8", "cp949")):
                continue
            assert secret not in message, f"truth value {secret!r} shown in: {exc}"
        return None
    assert isinstance(result.public_score, float)
    assert math.isfinite(result.public_score), result
    return result


tasks = st.sampled_from(TASKS)


@FUZZ
@given(name=tasks, data=st.binary(max_size=3000))
@example(name="rmse", data=b"")
@example(name="rmse", data=b"\x1f\x8b")
@example(name="rmse", data=b"PK\x03\x04")
@example(name="accuracy", data=b"\xef\xbb\xbf")
@example(name="accuracy", data=b"id,target\n\xff\xfe\n")
def test_any_bytes_give_a_score_or_a_visible_error(name: str, data: bytes) -> None:
    check(task(name), data)


SPECIALS = [
    b"\r",
    b"\n",
    b"\r\n",
    b'"',
    b",",
    b";",
    b"\t",
    b"\x00",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\x1f\x8b",
    b"PK\x03\x04",
    b"\xb0\xa1",  # CP949 '가'
    b"\x80",
    b"e999",
    b"-",
    b"nan",
    b" ",
]


@st.composite
def mutations(draw: st.DrawFn, base: bytes) -> bytes:
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["truncate", "flip", "insert", "delete", "special", "nul"]))
        at = draw(st.integers(0, len(data)))
        if op == "truncate":
            del data[at:]
        elif op == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 24))]
        elif op == "special":
            data[at:at] = draw(st.sampled_from(SPECIALS))
        elif op == "nul":
            data[at:at] = b"\x00"
    return bytes(data)


@functools.cache
def variants(name: str) -> dict[str, bytes]:
    """Valid uploads of the module's task in the forms participants send."""
    text = plain(name).decode("utf-8")
    crlf = text.replace("\n", "\r\n")
    return {
        "plain": plain(name),
        "crlf_bom": b"\xef\xbb\xbf" + crlf.encode("utf-8"),
        "cr": text.replace("\n", "\r").encode("utf-8"),
        "cp949": crlf.encode("cp949"),
        "gzip": gz(plain(name)),
        "zip": zipped({"p.csv": plain(name)}),
    }


@st.composite
def mutated_upload(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(tasks)
    form = draw(st.sampled_from(["plain", "crlf_bom", "cp949", "cr"]))
    return name, draw(mutations(variants(name)[form]))


@FUZZ
@given(case=mutated_upload())
def test_mutated_valid_files_give_a_score_or_a_visible_error(case: tuple[str, bytes]) -> None:
    name, data = case
    check(task(name), data)


@st.composite
def mutated_archive(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(tasks)
    form = draw(st.sampled_from(["gzip", "zip"]))
    return name, draw(mutations(variants(name)[form]))


@FUZZ
@given(case=mutated_archive())
def test_damaged_archives_give_a_score_or_a_visible_error(case: tuple[str, bytes]) -> None:
    name, data = case
    check(task(name), data)


WRAPPERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gz,
    "zip": lambda b: zipped({"p.csv": b}),
    "zip_stored": lambda b: zipped({"p.csv": b}, zipfile.ZIP_STORED),
    "zip_bzip2": lambda b: zipped({"p.csv": b}, zipfile.ZIP_BZIP2),
    "zip_lzma": lambda b: zipped({"p.csv": b}, zipfile.ZIP_LZMA),
    "gzip_in_zip": lambda b: zipped({"p.csv.gz": gz(b)}),
    "gzip_twice": lambda b: gz(gz(b)),
}


@FUZZ
@given(
    name=tasks,
    wrapper=st.sampled_from(sorted(WRAPPERS)),
    data=st.one_of(st.binary(max_size=2000), mutations(b"id,target\n00000,1.5\n")),
)
def test_archives_of_random_bytes_give_a_score_or_a_visible_error(
    name: str, wrapper: str, data: bytes
) -> None:
    check(task(name), WRAPPERS[wrapper](data))


ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp949", "euc-kr", "latin-1"]
ENCODINGS += ["cp1252", "shift_jis", "utf-7", "utf-8-sig", "cp437", "iso2022_kr"]


@FUZZ
@given(
    name=tasks,
    encoding=st.sampled_from(ENCODINGS),
    crlf=st.booleans(),
    then=st.sampled_from([None, "gzip", "zip"]),
)
def test_valid_text_in_any_encoding_gives_a_score_or_a_visible_error(
    name: str, encoding: str, crlf: bool, then: str | None
) -> None:
    text = plain(name).decode("utf-8")
    if crlf:
        text = text.replace("\n", "\r\n")
    data = text.encode(encoding, errors="replace")
    if then is not None:
        data = WRAPPERS[then](data)
    result = check(task(name), data)
    if encoding in ("cp949", "euc-kr", "utf-8-sig"):  # the encodings the platform reads
        assert result is not None and result.public_score == plain_score(name).public_score


# --------------------------------------------------------------------------------------------
# Never a truth value in a message, whatever is wrong with the file.

BAD_VALUES = ["abc", "", "NaN", "nan", "inf", "-inf", "1e999", "0x10", "1,5", "  ", "None"]
BAD_VALUES += ["１２", "+", "--1", "1.2.3", "secret", "비밀", "#N/A", "TRUE", "-1", "2", "0"]


@st.composite
def broken_submission(draw: st.DrawFn) -> tuple[str, bytes]:
    """A well-formed CSV with wrong ids, values, rows or columns."""
    name = draw(tasks)
    rows = [list(r) for r in task(name).rows]
    for _ in range(draw(st.integers(0, 6))):
        i = draw(st.integers(0, len(rows) - 1))
        edit = draw(st.sampled_from(["value", "id", "drop", "duplicate", "unknown"]))
        if edit == "value":
            rows[i][1] = draw(st.sampled_from(BAD_VALUES))
        elif edit == "id":
            rows[i][0] = rows[i][0].lstrip("0") or "0"
        elif edit == "drop" and len(rows) > 1:
            rows.pop(i)
        elif edit == "duplicate":
            rows.append(list(rows[i]))
        elif edit == "unknown":
            rows[i][0] = draw(st.sampled_from(["99999", "학생999", "", "x", "00000 0"]))
    header = draw(st.sampled_from([["id", "target"], ["id", "Target"], ["ID", "target"]]))
    order = draw(st.permutations(range(len(rows))))
    return name, to_csv(header, [rows[i] for i in order]).encode("utf-8")


@FUZZ
@given(case=broken_submission())
def test_errors_never_show_a_truth_value(case: tuple[str, bytes]) -> None:
    name, data = case
    check(task(name), data)


def test_secrets_are_distinctive() -> None:
    """The leak checks above mean something only if valid files never hold truth values."""
    assert not any(s.encode() in plain("rmse") for s in SECRET_VALUES)
    assert set(task("rmse").solution.y_true.tolist()) == {float(v) for v in SECRET_VALUES}
    assert set(task("accuracy").solution.classes) == set(SECRET_LABELS)


# --------------------------------------------------------------------------------------------
# Valid files survive the ways participants save them.


@st.composite
def reformatted(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(tasks)
    rows = task(name).rows
    extras = draw(st.integers(0, 3))
    header = ["id", "target"] + [f"note{j}" for j in range(extras)]
    filler = st.sampled_from(["", "x", "a,b", 'say "hi"', "메모", "1.5", "NA", "secret?"])
    body = [[*row, *(draw(filler) for _ in range(extras))] for row in rows]
    columns = draw(st.permutations(range(len(header))))
    header = [header[c] for c in columns]
    body = [[line[c] for c in columns] for line in body]
    order = draw(st.permutations(range(len(body))))
    body = [body[i] for i in order]
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]))
    if quoting == csv.QUOTE_NONNUMERIC and name == "rmse":
        body = [
            [float(v) if h == "target" else v for h, v in zip(header, line, strict=True)]
            for line in body
        ]
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = to_csv(header, body, newline=newline, quoting=quoting)
    text += newline * draw(st.integers(0, 3))  # trailing blank lines
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp949"]))
    data = text.encode(encoding)
    wrapper = draw(st.sampled_from([None, "gzip", "zip", "zip_stored"]))
    return name, WRAPPERS[wrapper](data) if wrapper else data


@FORMAT
@given(case=reformatted())
def test_reformatted_valid_files_score_as_the_plain_file(case: tuple[str, bytes]) -> None:
    name, data = case
    expected = plain_score(name)
    result = run(task(name), data)
    assert result.public_score == expected.public_score
    assert result.private_score == expected.private_score


@pytest.mark.parametrize("name", TASKS)
def test_each_form_scores_as_the_plain_file(name: str) -> None:
    for form, data in variants(name).items():
        assert run(task(name), data).public_score == plain_score(name).public_score, form


def test_plain_scores_are_what_they_should_be() -> None:
    rmse = plain_score("rmse")
    accuracy = plain_score("accuracy")
    assert rmse.public_score > 100_000  # guesses ~1.5–6.25 against targets ≥ 123456.789
    assert 0 <= accuracy.public_score <= 1


# --------------------------------------------------------------------------------------------
# Archives: exactly one member, and a cap on what they expand to.


@pytest.mark.parametrize("name", TASKS)
def test_zip_with_two_members_is_refused(name: str) -> None:
    data = zipped({"a.csv": plain(name), "b.csv": plain(name)})
    with pytest.raises(ParticipantVisibleError, match="exactly one"):
        run(task(name), data)


def test_zip_with_only_a_folder_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.mkdir("predictions")
    with pytest.raises(ParticipantVisibleError, match="exactly one"):
        run(task("rmse"), buffer.getvalue())


def test_empty_zip_is_refused_as_holding_no_file() -> None:
    with pytest.raises(ParticipantVisibleError, match="exactly one"):
        run(task("rmse"), zipped({}))


def test_zip_with_a_folder_and_one_file_is_read() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.mkdir("predictions")
        zf.writestr("predictions/p.csv", plain("rmse"))
    assert run(task("rmse"), buffer.getvalue()).public_score == plain_score("rmse").public_score


CAP = 10_000


def bomb_text() -> bytes:
    """About 1 MB of a valid-looking CSV that compresses to a few kB."""
    return b"id,target\n" + b"00000,1.5\n" * 100_000


@pytest.fixture
def small_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(judge.reader, "MAX_EXPANDED_BYTES", CAP)


CAP_MESSAGE = re.compile(r"1 GiB|10[ ,_]?000")


@pytest.mark.usefixtures("small_cap")
@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_zip_bomb_is_refused(method: int) -> None:
    data = zipped({"p.csv": bomb_text()}, method)
    assert len(data) < 50_000
    with pytest.raises(ParticipantVisibleError, match=CAP_MESSAGE):
        run(task("rmse"), data)


@pytest.mark.usefixtures("small_cap")
def test_zip_bomb_that_lies_about_its_size_is_refused() -> None:
    """The declared size says 100 bytes; the member really expands to 1 MB."""
    data = bytearray(zipped({"p.csv": bomb_text()}))
    local_size = 22  # offsets of the uncompressed size in the local and central headers
    struct.pack_into("<I", data, local_size, 100)
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 100)
    with pytest.raises(ParticipantVisibleError):
        run(task("rmse"), bytes(data))


@pytest.mark.usefixtures("small_cap")
def test_gzip_bomb_is_refused() -> None:
    data = gz(bomb_text())
    assert len(data) < 50_000
    with pytest.raises(ParticipantVisibleError, match=CAP_MESSAGE):
        run(task("rmse"), data)


@pytest.mark.usefixtures("small_cap")
def test_archives_under_the_cap_are_still_read() -> None:
    data = plain("rmse")
    assert len(data) < CAP
    for wrapper in ("gzip", "zip", "zip_bzip2", "zip_lzma"):
        result = run(task("rmse"), WRAPPERS[wrapper](data))
        assert result.public_score == plain_score("rmse").public_score, wrapper


def test_bz2_and_lzma_modules_are_present() -> None:
    """The zip variants above need them (a Python built without them would skip silently)."""
    assert bz2.compress(b"x") and lzma.compress(b"x")


# --------------------------------------------------------------------------------------------
# Messages name the line a participant will find the problem on.


@dataclass(frozen=True)
class BadFile:
    data: bytes
    first: int  # 1-based physical lines the bad record spans
    last: int


@st.composite
def bad_value_files(draw: st.DrawFn) -> tuple[str, BadFile]:
    """A valid file with one bad value, blank lines, maybe quoted line breaks in a note."""
    name = draw(tasks)
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    notes = draw(st.booleans())
    bad = draw(st.integers(0, len(IDS) - 1))
    value = draw(st.sampled_from(["oops", "", "inf", "1e999", "-", "NaN"]))
    if name == "accuracy":
        value = draw(st.sampled_from(["oops", "", "secretlabel", "SECRETLABELXYZ"]))
    out = io.StringIO()
    # QUOTE_MINIMAL quotes only the line terminator's characters: "\n" in a CR-only file not.
    quoting = csv.QUOTE_ALL if notes else csv.QUOTE_MINIMAL
    writer = csv.writer(out, lineterminator=newline, quoting=quoting)
    writer.writerow(["id", "target", "note"] if notes else ["id", "target"])
    line = 2  # the next physical line
    first = last = 0
    for i, (id_, target) in enumerate(task(name).rows):
        for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
            out.write(newline)  # a blank line: pandas skips it, an editor shows it
            line += 1
        record = [id_, value if i == bad else target]
        breaks = 0
        if notes:
            breaks = draw(st.integers(0, 2))
            record.append("note" + "\n" * breaks + "end")  # quoted by the writer
        writer.writerow(record)
        if i == bad:
            first, last = line, line + breaks
        line += 1 + breaks
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp949"]))
    return name, BadFile(out.getvalue().encode(encoding), first, last)


def line_named(message: str) -> int:
    found = re.match(r"Line (\d+):", message)
    assert found, message
    return int(found.group(1))


@FORMAT
@given(case=bad_value_files())
def test_the_line_named_is_where_the_bad_value_is(case: tuple[str, BadFile]) -> None:
    name, bad = case
    with pytest.raises(ParticipantVisibleError) as info:
        run(task(name), bad.data)
    line = line_named(str(info.value))
    assert bad.first <= line <= bad.last, (line, bad.first, bad.last, str(info.value))


def test_the_line_named_after_a_blank_line() -> None:
    rows = [",".join(r) for r in task("rmse").rows]
    rows[3] = "00003,oops"
    data = ("id,target\n" + "\n".join(rows[:2]) + "\n\n" + "\n".join(rows[2:]) + "\n").encode()
    with pytest.raises(ParticipantVisibleError, match="^Line 6: "):  # 1 header, 1 blank line
        run(task("rmse"), data)
