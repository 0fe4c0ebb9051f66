"""Turning uploaded bytes into a table of text, as participants really make files (SPEC §4)."""

from __future__ import annotations

import csv
import difflib
import gzip
import io
import zipfile

import pandas as pd

from judge.errors import ParticipantVisibleError

# Korean Excel saves CP949; everything else we meet is UTF-8 (with or without a BOM).
ENCODINGS = ("utf-8-sig", "cp949")
MAX_EXPANDED_BYTES = 1 << 30  # a compressed upload may not expand past 1 GiB


def _decompress(data: bytes, filename: str) -> bytes:
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
                out = gz.read(MAX_EXPANDED_BYTES + 1)
        except (OSError, EOFError) as exc:
            raise ParticipantVisibleError("The .gz file is damaged and cannot be read.") from exc
        if len(out) > MAX_EXPANDED_BYTES:
            raise ParticipantVisibleError("The compressed file expands to more than 1 GiB.")
        return out
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = [i for i in zf.infolist() if not i.is_dir()]
                if len(names) != 1:
                    raise ParticipantVisibleError(
                        f"The .zip file must hold exactly one CSV file; it holds {len(names)}."
                    )
                info = names[0]
                if info.file_size > MAX_EXPANDED_BYTES:
                    raise ParticipantVisibleError("The zipped file expands to more than 1 GiB.")
                with zf.open(info) as member:
                    return member.read(MAX_EXPANDED_BYTES + 1)
        except zipfile.BadZipFile as exc:
            raise ParticipantVisibleError("The .zip file is damaged and cannot be read.") from exc
    return data


def decode_text(data: bytes, filename: str = "") -> str:
    """Decompress if needed and decode as UTF-8 or CP949; refuse empty and binary files."""
    data = _decompress(data, filename)
    if not data.strip():
        raise ParticipantVisibleError("The file is empty.")
    if b"\x00" in data[:65536]:
        raise ParticipantVisibleError("The file is not a CSV text file (it contains binary data).")
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ParticipantVisibleError(
        "The file is not a CSV text file: it is neither UTF-8 nor CP949 (EUC-KR) text."
    )


def closest(name: str, options: list[str]) -> str | None:
    """The expected column name closest to ``name``, if any is close."""
    found = difflib.get_close_matches(name, options, n=1, cutoff=0.5)
    return found[0] if found else None


def check_columns(header: list[str], required: list[str]) -> None:
    """Raise a participant-visible error naming a missing column and the nearest found one."""
    header = [h.strip() for h in header]
    for column in required:
        if column not in header:
            extra = [h for h in header if h not in required]
            near = closest(column, extra)
            hint = f" Found {near!r} — did you mean {column!r}?" if near else ""
            raise ParticipantVisibleError(
                f"Missing column {column!r}. Expected columns: {', '.join(required)}.{hint}"
            )


def sniff_header(head: bytes, filename: str, required: list[str]) -> None:
    """Cheap check at upload time on the first bytes: text, non-empty, right columns."""
    if head[:2] == b"\x1f\x8b" or head[:4] == b"PK\x03\x04":
        return  # compressed: the scorer checks it in full
    if not head.strip():
        raise ParticipantVisibleError("The file is empty.")
    if b"\x00" in head:
        raise ParticipantVisibleError("The file is not a CSV text file (it contains binary data).")
    line = head.split(b"\n", 1)[0].rstrip(b"\r")
    for encoding in ENCODINGS:
        try:
            text = line.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ParticipantVisibleError(
            "The file is not a CSV text file: it is neither UTF-8 nor CP949 (EUC-KR) text."
        )
    check_columns(next(csv.reader([text]), []), required)


def read_table(data: bytes, filename: str = "") -> pd.DataFrame:
    """Parse an upload into a DataFrame of stripped strings (ids keep leading zeros)."""
    text = decode_text(data, filename)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
        )
    except (pd.errors.ParserError, csv.Error) as exc:
        raise ParticipantVisibleError(f"The file could not be parsed as CSV: {exc}") from exc
    except pd.errors.EmptyDataError as exc:
        raise ParticipantVisibleError("The file is empty.") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame
