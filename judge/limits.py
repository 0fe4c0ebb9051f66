"""The caps on an upload, in one home (issue 12): each lies far beyond any real submission and
bounds what a small hostile file can make a process do.

The web node's header check (``judge.sniff.sniff_header``) and the worker's full read
(``judge.reader``) hold a file to the same caps, and the messages that refuse one name it.
"""

from __future__ import annotations

import numpy as np

from core.errors import N_, ParticipantVisibleError

MAX_EXPANDED_BYTES = 1 << 30  # what a .gz or .zip may expand to
MAX_HEADER_BYTES = 64 << 10  # the header (first line); the web node sees the first 64 KiB
MAX_COLUMNS = 5_000  # columns in the header
MAX_LINE_BYTES = 1 << 20  # any line

# These two say the cap's size in words the Korean catalogue already has: keep them in step.
ZIP_TOO_BIG = N_("The zipped file expands to more than 1 GiB.")
GZ_TOO_BIG = N_("The compressed file expands to more than 1 GiB.")
HEADER_TOO_LONG = N_("The header (the file's first line) is longer than %(limit)s.")
TOO_MANY_COLUMNS = N_("The header has %(count)d columns; at most %(limit)d are allowed.")
LINE_TOO_LONG = N_("Line %(line)d is longer than %(limit)s, the most a line may hold.")


def size_text(size: int) -> str:
    """A cap as people read it: ``1 GiB``, ``64 KiB``."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size:,} bytes"


def header_too_long() -> ParticipantVisibleError:
    return ParticipantVisibleError(HEADER_TOO_LONG, limit=size_text(MAX_HEADER_BYTES))


def check_column_count(count: int) -> None:
    if count > MAX_COLUMNS:
        raise ParticipantVisibleError(TOO_MANY_COLUMNS, count=count, limit=MAX_COLUMNS)


def check_lines(data: bytes) -> None:
    """Refuse a line longer than ``MAX_LINE_BYTES``, without splitting the file into lines.

    A line is a CSV record: a line end inside a quoted value (an odd number of ``"`` since the
    file began; an escaped ``""`` counts twice) does not end it, or one value could spread a
    gigabyte over short physical lines.
    """
    if data.find(b'"') < 0:
        _check_unquoted_lines(data)
    else:
        _check_records(data)


def _too_long(data: bytes, start: int) -> ParticipantVisibleError:
    # The line's number as an editor shows it (LF and CRLF files, or CR-only ones).
    line = (data.count(b"\n", 0, start) or data.count(b"\r", 0, start)) + 1
    return ParticipantVisibleError(LINE_TOO_LONG, line=line, limit=size_text(MAX_LINE_BYTES))


def _check_unquoted_lines(data: bytes) -> None:
    """No quotes: from each line start, the last line end within the next ``MAX_LINE_BYTES``
    is found (``rfind``, at memory speed) and the search goes on after it: about one search
    per ``MAX_LINE_BYTES`` of file, whatever its lines."""
    start = 0
    while len(data) - start > MAX_LINE_BYTES:
        end = start + MAX_LINE_BYTES + 1
        last = max(data.rfind(b"\n", start, end), data.rfind(b"\r", start, end))
        if last < 0:
            raise _too_long(data, start)
        start = last + 1


RECORD_CHUNK = 4 << 20  # bytes scanned at once for record ends (numpy arrays of this length)


def _check_records(data: bytes) -> None:
    """With quotes: one pass in chunks, with numpy, keeping the quote parity across chunks;
    a record end is a line end at even parity. Linear, whatever a hostile file puts where."""
    view = np.frombuffer(data, dtype=np.uint8)
    parity = 0  # of the quotes before the chunk
    start = 0  # where the current record began
    for offset in range(0, len(view), RECORD_CHUNK):
        chunk = view[offset : offset + RECORD_CHUNK]
        quotes = np.cumsum(chunk == ord('"'), dtype=np.int64) + parity
        ends = np.flatnonzero(((chunk == ord("\n")) | (chunk == ord("\r"))) & (quotes % 2 == 0))
        if len(ends):
            starts = np.concatenate(([start], offset + ends[:-1] + 1))
            long = np.flatnonzero(offset + ends - starts > MAX_LINE_BYTES)
            if len(long):
                raise _too_long(data, int(starts[long[0]]))
            start = offset + int(ends[-1]) + 1
        parity = int(quotes[-1]) % 2
        if offset + len(chunk) - start > MAX_LINE_BYTES:
            raise _too_long(data, start)
