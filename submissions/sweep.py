"""Files no submission names, left by a crash between storing an upload and its row."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from core.db import Database
from core.models import CodeCheck, CodeRun, Submission
from submissions import storage

SWEEP_BATCH = 500  # stored paths looked up per query
log = logging.getLogger(__name__)


def sweep_orphans(db: Database, storage_dir: Path, grace: timedelta) -> int:
    """Remove stale ``.part`` files and uploads no row names; how many were removed.

    Only files untouched for ``grace`` (``HACKJUDGE_ORPHAN_GRACE_SECONDS``; a stalled upload's
    ``.part`` included): an upload is renamed and its row committed within moments of its
    last write, so a younger file may still be on its way to a row.
    """
    found = storage.orphans(storage_dir, grace.total_seconds())
    removed = 0
    for part in found.parts:
        part.unlink(missing_ok=True)
        removed += 1
    for start in range(0, len(found.uploads), SWEEP_BATCH):
        batch = found.uploads[start : start + SWEEP_BATCH]
        with db.begin() as session:
            named = (
                set(
                    session.scalars(
                        select(Submission.stored_path).where(Submission.stored_path.in_(batch))
                    )
                )
                | set(  # a dry run's program and a pick's code (issue 16), stored like uploads
                    session.scalars(
                        select(CodeRun.bundle_path).where(CodeRun.bundle_path.in_(batch))
                    )
                )
                | set(
                    session.scalars(
                        select(CodeCheck.bundle_path).where(CodeCheck.bundle_path.in_(batch))
                    )
                )
            )
        for relative in batch:
            if relative not in named:
                (storage_dir / relative).unlink(missing_ok=True)
                removed += 1
    if removed:
        log.warning("swept %d files no submission names (left by a crash)", removed)
    return removed
