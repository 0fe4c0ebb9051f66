"""The first look at an upload's bytes: compressed or not, text or not, and its header.

The header is read with the csv module (quotes and all, as pandas reads it), within
``MAX_HEADER_BYTES`` and held to the column cap, and names no column twice: no pandas, and
bounded work, so the check never holds the web node's event loop (issue 12). The worker
reads the header of the whole file the same way (``header_of``).
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
from collections import Counter
from collections.abc import Iterator

from core.errors import N_, ParticipantVisibleError, clip, quoted
from judge.limits import MAX_HEADER_BYTES, check_column_count, header_too_long

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header, or an empty archive
REASON_CHARS = 200  # of the parser's own words, which may echo a field of the file

BINARY = N_("The file is not a CSV text file (it contains binary data).")
NOT_TEXT = N_("The file is not a CSV text file: it is neither UTF-8 nor CP949 (EUC-KR) text.")
EMPTY = N_("The file is empty.")
PARSE_FAILED = N_("The file could not be parsed as CSV: %(reason)s")
DUPLICATE_COLUMN = N_(
    "Column %(column)s appears %(count)d times in the header; "
    "each column name may appear only once."
)


def compressed(head: bytes) -> bool:
    return head[:2] == GZIP_MAGIC or head[:4] in ZIP_MAGIC


def _blank(record: list[str]) -> bool:
    """A line pandas skips (``skip_blank_lines``): empty, or whitespace without a comma."""
    return not record or (len(record) == 1 and not record[0].strip())


def _first_record(text: str, ends_here: bool) -> list[str] | None:
    """The first non-blank CSV record of ``text``, read as pandas reads it (quotes and all).

    None when the record may go on past ``text``: it ends without a line end, or inside a
    quoted value, and ``ends_here`` does not say that ``text`` is the whole file.
    """
    state = {"last": "", "exhausted": False}

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            state["last"] = line
            yield line
        state["exhausted"] = True  # the reader asked for more than ``text`` holds

    try:
        for record in csv.reader(lines()):
            if _blank(record):
                continue
            if ends_here or (not state["exhausted"] and state["last"].endswith(("\n", "\r"))):
                return record
            return None
    except csv.Error as exc:
        raise ParticipantVisibleError(PARSE_FAILED, reason=clip(str(exc), REASON_CHARS)) from exc
    return [] if ends_here else None


def checked_header(header: list[str]) -> list[str]:
    """The header, refused over the column cap or with a name twice (pandas would rename it)."""
    check_column_count(len(header))
    names = [name.strip() for name in header]
    # Unnamed columns (a spreadsheet's trailing commas) become pandas' distinct "Unnamed: i".
    counts = Counter(name for name in names if name)
    for name in names:
        if counts[name] > 1:
            raise ParticipantVisibleError(DUPLICATE_COLUMN, column=quoted(name), count=counts[name])
    return header


def header_of(data: bytes, encoding: str) -> list[str]:
    """The column names of a whole (decoded-checked) file, read within ``MAX_HEADER_BYTES``."""
    whole = len(data) <= MAX_HEADER_BYTES
    # A character cut at the window's end waits in the decoder: it is past the header anyway.
    text = codecs.getincrementaldecoder(encoding)().decode(data[:MAX_HEADER_BYTES], final=whole)
    header = _first_record(text, whole)
    if header is None:
        raise header_too_long()
    return checked_header(header)


def _decodable(data: bytes, encoding: str, final: bool) -> tuple[str, bool]:
    """The text of ``data``'s longest prefix valid in ``encoding``, and whether that is all."""
    try:
        return codecs.getincrementaldecoder(encoding)().decode(data, final=final), True
    except UnicodeDecodeError as exc:
        return data[: exc.start].decode(encoding), False


def _sniffed_header(window: bytes, whole: bool) -> list[str] | None:
    """The header at the start of ``window`` in the first encoding it decodes in.

    Only the header must decode here (the worker checks the whole file): a row further on may
    be cut mid-character by the window's end. None: it goes on past a window under the cap.
    """
    if window.startswith(codecs.BOM_UTF8):
        window, encodings = window[len(codecs.BOM_UTF8) :], ("utf-8",)
    else:
        encodings = ("utf-8", "cp949")
    decodes = False
    for encoding in encodings:
        text, decoded_all = _decodable(window, encoding, whole)
        header = _first_record(text, whole and decoded_all)
        if header is not None:
            return header
        decodes = decodes or decoded_all
    if not decodes:
        raise ParticipantVisibleError(NOT_TEXT)  # the header itself is not text
    if len(window) >= MAX_HEADER_BYTES:
        raise header_too_long()
    return None


def sniff_header(
    head: bytes, filename: str, required: list[str], *, whole_file: bool = False
) -> None:
    """Cheap check at upload time on the file's first bytes: text, non-empty, right columns.

    The work is bounded (at most ``MAX_HEADER_BYTES`` decoded and read by the csv module, no
    pandas), so it never holds the web node's event loop. ``whole_file``: ``head`` is all of
    the file, so a header without a line end is complete.
    """
    if compressed(head):
        return  # the scorer checks it in full
    if not head.strip():
        raise ParticipantVisibleError(EMPTY)
    if b"\x00" in head:
        raise ParticipantVisibleError(BINARY)
    window = head[:MAX_HEADER_BYTES]
    header = _sniffed_header(window, whole_file and len(window) == len(head))
    if header is not None:  # None: cannot tell from these bytes; the worker will
        check_columns(checked_header(header), required)


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
    present = set(header)
    for column in required:
        if column not in present:
            extra = [h for h in header if h not in required]
            near = closest(column, extra)
            shown = ", ".join(clip(c) for c in required[:8]) + (", …" if len(required) > 8 else "")
            if near:
                raise ParticipantVisibleError(
                    "Missing column %(column)s. Expected columns: %(expected)s. "
                    "Found %(found)s — did you mean %(column)s?",
                    column=quoted(column),
                    expected=shown,
                    found=quoted(near),
                )
            raise ParticipantVisibleError(
                "Missing column %(column)s. Expected columns: %(expected)s.",
                column=quoted(column),
                expected=shown,
            )
