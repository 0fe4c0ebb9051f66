"""The first lines of a stored submission, for judges (plain, .gz or .zip; UTF-8 or CP949)."""

from __future__ import annotations

from pathlib import Path

from judge.errors import ParticipantVisibleError
from judge.reader import decompress

PREVIEW_BYTES = 16_384


def first_lines(path: Path, lines: int = 6) -> list[str]:
    """Up to ``lines`` lines of the file's text; a short note when it cannot be read."""
    try:
        data = decompress(path.read_bytes())
    except (OSError, ParticipantVisibleError) as exc:
        return [f"({exc})"]
    head = data[:PREVIEW_BYTES]
    for encoding in ("utf-8-sig", "cp949"):
        try:
            text = head.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = head.decode("utf-8", errors="replace")
    return text.splitlines()[:lines]
