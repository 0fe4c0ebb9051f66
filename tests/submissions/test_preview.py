"""Judges' previews read only the head of plain, gzip and zip files, in either encoding."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

from submissions.preview import first_lines

BODY = "id,target\n" + "".join(f"{i:06d},{i % 2}\n" for i in range(200_000))


def test_plain_gzip_zip_and_cp949(tmp_path: Path) -> None:
    plain = tmp_path / "p.csv"
    plain.write_text(BODY)
    packed = tmp_path / "p.csv.gz"
    packed.write_bytes(gzip.compress(BODY.encode()))
    zipped = tmp_path / "p.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("p.csv", BODY)
    expected = ["id,target", "000000,0", "000001,1"]
    for path in (plain, packed, zipped):
        assert first_lines(path, 3) == expected
    korean = tmp_path / "k.csv"
    korean.write_bytes("아이디,정답\n가,1\n".encode("cp949"))
    assert first_lines(korean) == ["아이디,정답", "가,1"]
    # UTF-8 Korean cut in the middle of a character by the 16 KB head stays UTF-8.
    long = tmp_path / "long.csv"
    long.write_text("아이디\n" + "가나다\n" * 20_000, encoding="utf-8")
    assert first_lines(long, 2) == ["아이디", "가나다"]
    broken = tmp_path / "b.csv.gz"
    broken.write_bytes(b"\x1f\x8b" + b"not gzip at all")
    assert first_lines(broken)[0].startswith("(")
