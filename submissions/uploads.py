"""A program kept while it is checked (a dry run's, a final pick's code): stored, and gone
again if anything refuses it, as intake does for prediction files."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session

from core.errors import ParticipantVisibleError
from submissions.intake import IntakeError, storage_refusal
from submissions.storage import StorageFull, StoredFile, TooLarge, discard, store_stream


def store(stream: BinaryIO, storage_dir: Path, max_bytes: int) -> StoredFile:
    """The upload on disk; a 413 or 507 refusal when it cannot be."""
    try:
        return store_stream(stream, storage_dir, max_bytes)
    except (TooLarge, StorageFull) as exc:
        raise storage_refusal(exc, max_bytes) from None


@contextmanager
def kept_unless_refused(session: Session, storage_dir: Path, stored: StoredFile) -> Iterator[None]:
    """Run the block's checks and writes; any refusal removes the file (a problem the team can
    fix is a 422 in its words) and rolls the session back."""
    try:
        yield
    except ParticipantVisibleError as exc:
        session.rollback()
        discard(storage_dir, stored)
        raise IntakeError(422, "invalid_file", exc.template, **exc.params) from None
    except Exception:
        session.rollback()
        discard(storage_dir, stored)
        raise
