"""The multipart parser (``app.web.multipart``) reads every body as Werkzeug's own parser does:
the same fields, files, file names and refusals, for well-formed and malformed bodies; and a
Korean file name and a note survive a real upload."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import requests
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

from app.web.multipart import FastFormDataParser
from tests.actions import Api
from tests.helpers import Proc, prediction_csv, seed_env, server_in

B = "----hj7MA4YWxkTrZu0gW"
CSV = b"id,target\r\n000001,0.25\r\n000002,0.75\r\n"


def part(headers: str, body: bytes, boundary: str = B) -> bytes:
    return f"--{boundary}\r\n{headers}\r\n\r\n".encode() + body + b"\r\n"


def closing(boundary: str = B) -> bytes:
    return f"--{boundary}--\r\n".encode()


FILE = 'Content-Disposition: form-data; name="file"; filename="p.csv"\r\nContent-Type: text/csv'
BODIES: dict[str, bytes] = {
    "a file and a note": part(FILE, CSV)
    + part('Content-Disposition: form-data; name="note"', "첫 제출".encode())
    + closing(),
    "a Korean file name in UTF-8": part(
        'Content-Disposition: form-data; name="file"; filename="예측 결과.csv"', CSV
    )
    + closing(),
    "an RFC 2231 file name": part(
        "Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''%EC%98%88%EC%B8%A1.csv",
        CSV,
    )
    + closing(),
    "a field in ISO-8859-1": part(
        'Content-Disposition: form-data; name="note"\r\n'
        "Content-Type: text/plain; charset=iso-8859-1",
        "café".encode("latin-1"),
    )
    + closing(),
    "an undeclared charset": part(
        'Content-Disposition: form-data; name="note"\r\nContent-Type: text/plain; charset=cp949',
        "메모".encode(),
    )
    + closing(),
    "an empty file": part(FILE, b"") + closing(),
    "an empty part without its CRLF": f"\r\n--{B}\r\n{FILE}\r\n\r\n".encode() + closing(),
    "two files under one name": part(FILE, CSV) + part(FILE, CSV[:12]) + closing(),
    "a boundary inside the data": part(FILE, CSV + f"\r\n--{B}x".encode()) + closing(),
    "a preamble and an epilogue": b"preamble\r\n" + part(FILE, CSV) + closing() + b"epilogue",
    "no closing boundary": part(FILE, CSV),
    "no Content-Disposition": part("Content-Type: text/csv", CSV) + closing(),
    "nothing": b"",
    "garbage": b"\x00\xff" * 500,
    "a non-UTF-8 header": part(
        'Content-Disposition: form-data; name="file"; filename="x.csv"', CSV
    ).replace(b"x.csv", "예측.csv".encode("cp949"))
    + closing(),
    "too many parts": b"".join(
        part(f'Content-Disposition: form-data; name="f{i}"', b"v") for i in range(6)
    )
    + closing(),
    "a field over the memory cap": part('Content-Disposition: form-data; name="note"', b"x" * 600)
    + closing(),
}


def parsed(parser_class: type[FormDataParser], body: bytes, boundary: str = B) -> Any:
    """What a view would see (fields, files with their names and bytes), or the refusal."""
    parser = parser_class(max_form_memory_size=500, max_form_parts=5, silent=False)
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": f"multipart/form-data; boundary={boundary}",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    try:
        _stream, form, files = parser.parse_from_environ(environ)
    except RequestEntityTooLarge:
        return "413"
    except ValueError:
        return "refused"
    return (
        sorted(form.items(multi=True)),
        [
            (name, f.filename, f.content_type, f.read())
            for name, f in sorted(files.items(multi=True), key=lambda item: item[0])
        ],
    )


@pytest.mark.parametrize("case", BODIES)
def test_a_body_reads_as_werkzeug_reads_it(case: str) -> None:
    ours, theirs = parsed(FastFormDataParser, BODIES[case]), parsed(FormDataParser, BODIES[case])
    assert ours == theirs
    if case in ("a file and a note", "a Korean file name in UTF-8", "an RFC 2231 file name"):
        assert ours[1] and ours[1][0][3] == CSV  # the file came through whole


def test_a_body_without_a_boundary_is_refused() -> None:
    assert parsed(FastFormDataParser, BODIES["a file and a note"], boundary="") == "refused"


def test_an_upload_keeps_its_korean_file_name_and_note(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    """A browser's upload (UTF-8 file name, a note) through a real server, as the team sees it."""
    contest = seed_env(embedded_env, tmp_path)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    data = prediction_csv(contest.truth, 0.3, 1)
    reply = Api(server, contest).upload("팀0", data, "예측 결과.csv", note="첫 제출 🚀")
    assert reply.status_code == 202, reply.text
    sub = reply.json()
    assert sub["filename"] == "예측 결과.csv" and sub["note"] == "첫 제출 🚀"
    shown = requests.get(
        f"{server.url}/api/v1/submissions/{sub['id']}",
        headers={"Authorization": f"Bearer {contest.tokens['팀0']}"},
        timeout=30,
    )
    assert shown.json()["filename"] == "예측 결과.csv"
