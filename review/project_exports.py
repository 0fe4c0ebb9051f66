"""Projects in the organizers' exports (issue 17): a sheet of the XLSX, and every project with
its files in one zip. Both read the version judges read (as of the project deadline). The zip
is written by ``archive`` from plain values: CPU and disk work the web runs off its event loop.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import iso
from core.models import Event, Team
from review import awards, gallery, projects

COLUMNS = [
    "rank", "team", "title", "summary", "description", "repo_url", "video_url", "tags",
    "version", "saved_at", "files", "awards",
]  # fmt: skip


def _teams(session: Session, event: Event) -> list[Team]:
    return list(
        session.scalars(
            select(Team)
            .where(Team.event_id == event.id, Team.hidden.is_(False))
            .order_by(Team.name)
        )
    )


def projects_table(session: Session, event: Event) -> pd.DataFrame:
    """A row per visible team with a saved project (its rank once the ranking is published)."""
    ranks, given = gallery.ranks(event), awards.by_team(session, event)
    rows = []
    for team in _teams(session, event):
        view = projects.shown(session, event, team, staff=True)
        if view is None or view.version is None:
            continue
        v = view.version
        rows.append(
            {
                "rank": ranks.get(team.name),
                "team": team.name,
                "title": v.title,
                "summary": v.summary,
                "description": v.description,
                "repo_url": v.repo_url,
                "video_url": v.video_url,
                "tags": ", ".join(v.tags),
                "version": v.number,
                "saved_at": iso(v.saved_at),
                "files": ", ".join(f.filename for f in view.files),
                "awards": ", ".join(given.get(team.id, [])),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def _safe(name: str) -> str:
    """A file name as a zip member: no folders, no control characters, bounded."""
    cleaned = re.sub(r"[\x00-\x1f/\\:]+", "_", name).strip(" .") or "file"
    return cleaned[-120:]


def archive_entries(session: Session, event: Event) -> list[tuple[str, str | Path]]:
    """(member name, text or a stored file's path) for every visible team's project."""
    entries: list[tuple[str, str | Path]] = []
    for team in _teams(session, event):
        view = projects.shown(session, event, team, staff=True)
        if view is None or view.version is None:
            continue
        v, folder = view.version, f"team-{team.id}"
        text = (
            f"# {v.title}\n\n{team.name} · version {v.number} · {iso(v.saved_at)}\n\n"
            f"{v.summary}\n\n{v.description}\n\n"
            f"- repository: {v.repo_url}\n- video: {v.video_url}\n- tags: {', '.join(v.tags)}\n"
        )
        entries.append((f"{folder}/project.md", text))
        for f in view.files:
            entries.append((f"{folder}/{f.id}-{_safe(f.filename)}", Path(f.stored_path)))
    return entries


def archive(entries: list[tuple[str, str | Path]], storage: Path) -> bytes:
    """The zip of ``archive_entries``; stored paths are under ``storage``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        for name, body in entries:
            if isinstance(body, Path):
                book.write(storage / body, name)
            else:
                book.writestr(name, body)
    return buffer.getvalue()
