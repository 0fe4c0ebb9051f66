"""Turning uploaded bytes into a table, as participants really make files (SPEC §4).

UTF-8 (with or without BOM) or CP949, LF or CRLF, trailing blank lines, quoted fields,
``.csv.gz`` or a ``.zip`` holding one CSV. The bytes are parsed in place (no decoded copy),
and only the columns the task needs are read.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import gzip
import io
import re
import zipfile

import pandas as pd

from judge.errors import N_, ParticipantVisibleError

# Korean Excel saves CP949; everything else we meet is UTF-8 (with or without a BOM).
ENCODINGS = ("utf-8-sig", "cp949")
MAX_EXPANDED_BYTES = 1 << 30  # a compressed upload may not expand past 1 GiB
CHUNK = 1 << 20
NA_TEXT = ["", "NA", "N/A", "NaN", "nan", "NAN", "null", "NULL", "None", "-nan", "#N/A"]

BINARY = N_("The file is not a CSV text file (it contains binary data).")
NOT_TEXT = N_("The file is not a CSV text file: it is neither UTF-8 nor CP949 (EUC-KR) text.")
EMPTY = N_("The file is empty.")
TOO_MANY_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
UNCLOSED_QUOTE = re.compile(r"EOF inside string")
ZIP_TOO_BIG = N_("The zipped file expands to more than 1 GiB.")
GZ_TOO_BIG = N_("The compressed file expands to more than 1 GiB.")


ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header, or an empty archive


def _read_capped(stream: io.BufferedIOBase, too_big: str) -> bytes:
    out = stream.read(MAX_EXPANDED_BYTES + 1)
    if len(out) > MAX_EXPANDED_BYTES:
        raise ParticipantVisibleError(too_big)
    return out


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
        with zf.open(files[0]) as member:
            return _read_capped(member, ZIP_TOO_BIG)


def decompress(data: bytes) -> bytes:
    """The CSV bytes of a plain, gzip or single-file zip upload (expanded size capped)."""
    if data[:2] == b"\x1f\x8b":
        kind = ".gz"
    elif data[:4] in ZIP_MAGIC:
        kind = ".zip"
    else:
        return data
    try:
        if kind == ".zip":
            return _unzip(data)
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            return _read_capped(gz, GZ_TOO_BIG)
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
    if not data.strip():
        raise ParticipantVisibleError(EMPTY)
    if b"\x00" in data[:65536]:
        raise ParticipantVisibleError(BINARY)
    for encoding in ENCODINGS:
        if _decodes(data, encoding):
            return encoding
    raise ParticipantVisibleError(NOT_TEXT)


def closest(name: str, options: list[str]) -> str | None:
    """The found column name closest to an expected one, if any is close."""
    found = difflib.get_close_matches(name, options, n=1, cutoff=0.5)
    if found:
        return found[0]
    lowered = {o.lower(): o for o in options}
    return lowered.get(name.lower())


def check_columns(header: list[str], required: list[str]) -> None:
    """Raise a participant-visible error naming a missing column and the nearest found one."""
    header = [h.strip() for h in header]
    for column in required:
        if column not in header:
            extra = [h for h in header if h not in required]
            near = closest(column, extra)
            shown = ", ".join(required[:8]) + (", …" if len(required) > 8 else "")
            if near:
                raise ParticipantVisibleError(
                    "Missing column %(column)s. Expected columns: %(expected)s. "
                    "Found %(found)s — did you mean %(column)s?",
                    column=repr(column),
                    expected=shown,
                    found=repr(near),
                )
            raise ParticipantVisibleError(
                "Missing column %(column)s. Expected columns: %(expected)s.",
                column=repr(column),
                expected=shown,
            )


def header_of(data: bytes, encoding: str) -> list[str]:
    """The column names, parsed as pandas will (quotes, CR/LF/CRLF line ends)."""
    frame = _parse(data, encoding, nrows=0, dtype=str)
    return [str(c) for c in frame.columns]


def sniff_header(head: bytes, filename: str, required: list[str]) -> None:
    """Cheap check at upload time on the first bytes: text, non-empty, right columns."""
    if head[:2] == b"\x1f\x8b" or head[:4] in ZIP_MAGIC:
        return  # compressed: the scorer checks it in full
    if not head.strip():
        raise ParticipantVisibleError(EMPTY)
    if b"\x00" in head:
        raise ParticipantVisibleError(BINARY)
    # The first line only: a cut multi-byte character at the end of ``head`` must not matter.
    first = re.split(rb"\r\n|\n|\r", head, maxsplit=1)[0]
    for encoding in ENCODINGS:
        try:
            first.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ParticipantVisibleError(NOT_TEXT)
    check_columns(header_of(first + b"\n", encoding), required)


def _parse(data: bytes, encoding: str, **options: object) -> pd.DataFrame:
    try:
        return pd.read_csv(io.BytesIO(data), encoding=encoding, skip_blank_lines=True, **options)
    except pd.errors.EmptyDataError as exc:
        raise ParticipantVisibleError(EMPTY) from exc
    except (pd.errors.ParserError, csv.Error, UnicodeDecodeError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[-1][:300]
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
        raise ParticipantVisibleError(
            "The file could not be parsed as CSV: %(reason)s", reason=reason
        ) from exc


def read_submission(
    data: bytes, *, id_column: str, text_columns: list[str], numeric_columns: list[str]
) -> pd.DataFrame:
    """Read the id column and the prediction columns the task needs, nothing else.

    Ids and text columns stay text (leading zeros kept); numeric columns are parsed by
    pandas' C parser, and anything that is not a number is left for the validator to name.
    """
    data = decompress(data)
    encoding = detect_encoding(data)
    header = header_of(data, encoding)
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
    )
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def physical_line(data: bytes, row: int) -> int:
    """The 1-based line of the file where data row ``row`` (0-based, as pandas counts) ends.

    Only for error messages: blank lines, which pandas skips, and quoted line breaks are
    counted as a text editor shows them.
    """
    data = decompress(data)
    reader = csv.reader(io.StringIO(data.decode(detect_encoding(data)), newline=""))
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
    """Parse a whole CSV as stripped text (ground truth, team rosters)."""
    data = decompress(data)
    frame = _parse(data, detect_encoding(data), dtype=str, keep_default_na=False)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame
