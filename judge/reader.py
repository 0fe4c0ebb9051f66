"""Turning uploaded bytes into a table, as participants really make files (SPEC §4).

UTF-8 (with or without BOM) or CP949, LF or CRLF, trailing blank lines, quoted fields,
``.csv.gz`` or a ``.zip`` holding one CSV. The bytes are parsed in place (no decoded copy),
and only the columns the task needs are read. Every cap of ``judge.limits`` is checked before
pandas sees the bytes, and an archive is never expanded past its cap, even for a moment.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import IO

import pandas as pd

from core.errors import ParticipantVisibleError, clip
from judge.limits import GZ_TOO_BIG, MAX_EXPANDED_BYTES, ZIP_TOO_BIG, check_lines
from judge.sniff import (
    BINARY,
    EMPTY,
    GZIP_MAGIC,
    NOT_TEXT,
    PARSE_FAILED,
    REASON_CHARS,
    ZIP_MAGIC,
    check_columns,
    header_of,
)

# Korean Excel saves CP949; everything else we meet is UTF-8 (with or without a BOM).
ENCODINGS = ("utf-8-sig", "cp949")
CHUNK = 1 << 20
GZIP_INPUT = 1 << 16  # compressed bytes fed to zlib at a time
NA_TEXT = ["", "NA", "N/A", "NaN", "nan", "NAN", "null", "NULL", "None", "-nan", "#N/A"]
TOO_MANY_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
UNCLOSED_QUOTE = re.compile(r"EOF inside string")


# --- archives ----------------------------------------------------------------------------


def _expand(chunks: Callable[[], Iterator[bytes]], too_big: str) -> bytes:
    """An archive member's bytes, expanded in chunks against a running total, in two passes.

    The first pass keeps nothing: past the cap it refuses, so a bomb costs about a second of
    inflating and no memory. Only a member within the cap is expanded again, to keep.
    """
    total = 0
    for chunk in chunks():
        total += len(chunk)
        if total > MAX_EXPANDED_BYTES:
            raise ParticipantVisibleError(too_big)
    out = io.BytesIO()
    for chunk in chunks():
        if out.tell() + len(chunk) > MAX_EXPANDED_BYTES:  # the cap holds on this pass too
            raise ParticipantVisibleError(too_big)
        out.write(chunk)
    return out.getvalue()  # the buffer itself, not a copy


def _read_chunks(open_member: Callable[[], IO[bytes]]) -> Iterator[bytes]:
    with open_member() as stream:
        while chunk := stream.read(CHUNK):
            yield chunk


def _gunzip_chunks(data: bytes) -> Iterator[bytes]:
    """What a gzip file expands to, at most ``CHUNK`` at a time (zlib, a third faster than
    ``GzipFile``). Members in a row are one file (RFC 1952); zlib checks each one's CRC and
    length. The input is fed in slices, so no call copies the rest of the file."""
    view = memoryview(data)
    at = 0
    while at < len(data):
        member = zlib.decompressobj(16 + zlib.MAX_WBITS)  # expects a gzip header
        while not member.eof:
            piece = view[at : at + GZIP_INPUT]
            at += len(piece)
            out = member.decompress(piece, CHUNK)
            while out:
                yield out
                # At its end a member has given all it holds; zlib would take the tail again.
                out = b"" if member.eof else member.decompress(member.unconsumed_tail, CHUNK)
            if not piece and not member.eof:
                raise EOFError("the gzip stream ends inside a member")
        at -= len(member.unused_data)  # the next member starts where this one ended
        while at < len(data) and data[at] == 0:
            at += 1  # NUL padding between or after members, as GzipFile allows


def _unzip(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        files = [i for i in zf.infolist() if not i.filename.endswith("/")]
        if len(files) != 1:
            raise ParticipantVisibleError(
                "The .zip file must hold exactly one CSV file; it holds %(count)d.",
                count=len(files),
            )
        if files[0].flag_bits & 0x1:
            raise ParticipantVisibleError("The .zip file is password-protected; upload it without.")
        # The declared size can lie (zip bombs): the read itself is capped too.
        if files[0].file_size > MAX_EXPANDED_BYTES:
            raise ParticipantVisibleError(ZIP_TOO_BIG)
        return _expand(lambda: _read_chunks(lambda: zf.open(files[0])), ZIP_TOO_BIG)


def decompress(data: bytes) -> bytes:
    """The CSV bytes of a plain, gzip or single-file zip upload (expanded size capped)."""
    if data[:2] == GZIP_MAGIC:
        kind = ".gz"
    elif data[:4] in ZIP_MAGIC:
        kind = ".zip"
    else:
        return data
    try:
        if kind == ".zip":
            return _unzip(data)
        return _expand(lambda: _gunzip_chunks(data), GZ_TOO_BIG)
    except ParticipantVisibleError:
        raise
    except Exception as exc:
        # zlib, bz2, lzma, struct and seek errors all mean the same to the team: damaged.
        raise ParticipantVisibleError(
            "The %(kind)s file is damaged and cannot be read.", kind=kind
        ) from exc


def _decodes(data: bytes, encoding: str) -> bool:
    """Whether the whole of ``data`` is valid in ``encoding``, checked chunk by chunk."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for start in range(0, len(data), CHUNK):
            decoder.decode(data[start : start + CHUNK], final=False)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(data: bytes) -> str:
    """UTF-8 (BOM allowed) or CP949; refuses empty and binary files."""
    if not data or data.isspace():  # (``strip`` would copy the whole file to ask)
        raise ParticipantVisibleError(EMPTY)
    if b"\x00" in data[:65536]:
        raise ParticipantVisibleError(BINARY)
    for encoding in ENCODINGS:
        if _decodes(data, encoding):
            return encoding
    raise ParticipantVisibleError(NOT_TEXT)


# --- the parse ----------------------------------------------------------------------------


def _parse(data: bytes, encoding: str, **options: object) -> pd.DataFrame:
    try:
        return pd.read_csv(io.BytesIO(data), encoding=encoding, skip_blank_lines=True, **options)
    except pd.errors.EmptyDataError as exc:
        raise ParticipantVisibleError(EMPTY) from exc
    except (pd.errors.ParserError, csv.Error, UnicodeDecodeError, ValueError) as exc:
        lines = str(exc)[-4 * REASON_CHARS :].strip().splitlines()
        reason = clip(lines[-1] if lines else type(exc).__name__, REASON_CHARS)
        # The parser's two common complaints, in words the reader's language can carry.
        if fields := TOO_MANY_FIELDS.search(reason):
            expected, line, found = (int(n) for n in fields.groups())
            raise ParticipantVisibleError(
                "Line %(line)d has %(found)d fields; the header has %(expected)d. "
                "Check for an extra comma or an unquoted value that contains one.",
                line=line,
                found=found,
                expected=expected,
            ) from exc
        if UNCLOSED_QUOTE.search(reason):
            raise ParticipantVisibleError(
                'A quoted value is never closed: a " opens a value that runs to the end of the '
                "file."
            ) from exc
        raise ParticipantVisibleError(PARSE_FAILED, reason=reason) from exc


def _capped_text(data: bytes) -> tuple[bytes, str, list[str]]:
    """An upload's CSV bytes, encoding and header, every cap checked before pandas sees it."""
    data = decompress(data)
    encoding = detect_encoding(data)
    header = header_of(data, encoding)
    check_lines(data)
    return data, encoding, header


def _row_cap(max_rows: int | None) -> dict[str, int]:
    """pandas reads one row past ``max_rows``, so the caller sees that there are more."""
    return {} if max_rows is None else {"nrows": max_rows + 1}


def read_submission(
    data: bytes,
    *,
    id_column: str,
    text_columns: list[str],
    numeric_columns: list[str],
    max_rows: int | None = None,
) -> pd.DataFrame:
    """Read the id column and the prediction columns the task needs, nothing else.

    Ids and text columns stay text (leading zeros kept); numeric columns are parsed by
    pandas' C parser, and anything that is not a number is left for the validator to name.
    At most ``max_rows + 1`` rows are read: more than ``max_rows`` says the file is too long.
    """
    data, encoding, header = _capped_text(data)
    wanted = [id_column, *text_columns, *numeric_columns]
    check_columns(header, wanted)
    raw = {h.strip(): h for h in header}
    as_text = {raw[c]: str for c in (id_column, *text_columns)}
    frame = _parse(
        data,
        encoding,
        usecols=[raw[c] for c in wanted],
        dtype=as_text,
        keep_default_na=False,
        na_values={raw[c]: NA_TEXT for c in numeric_columns},
        **_row_cap(max_rows),
    )
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def read_submission_table(data: bytes, *, max_rows: int | None = None) -> pd.DataFrame:
    """Every column of an upload as stripped text (custom metrics), held to the caps."""
    data, encoding, _header = _capped_text(data)
    frame = _parse(data, encoding, dtype=str, keep_default_na=False, **_row_cap(max_rows))
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def physical_line(data: bytes, row: int) -> int:
    """The 1-based line of the file where data row ``row`` (0-based, as pandas counts) ends.

    Only for error messages: blank lines, which pandas skips, and quoted line breaks are
    counted as a text editor shows them. The file is decoded as it is read, never whole.
    """
    data = decompress(data)
    text = io.TextIOWrapper(io.BytesIO(data), encoding=detect_encoding(data), newline="")
    reader = csv.reader(text)
    index = -1  # the header
    try:
        for record in reader:
            if not record:
                continue
            if index == row:
                return reader.line_num
            index += 1
    except csv.Error:
        pass
    return row + 2


def read_table(data: bytes, filename: str = "") -> pd.DataFrame:
    """Parse a whole CSV as stripped text (the organizer's ground truth and rosters)."""
    data = decompress(data)
    frame = _parse(data, detect_encoding(data), dtype=str, keep_default_na=False)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame
