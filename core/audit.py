"""The audit log: what organizers (and judges) changed, with before → after."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import iso
from core.models import AuditEntry, Event, User


def audit(
    session: Session,
    event: Event | None,
    actor: User | str | None,
    action: str,
    target: str,
    before: Any = None,
    after: Any = None,
) -> None:
    """Record one change; ``before``/``after`` are stored as JSON.

    ``actor`` is the account that acted, or a name when none did (the command line's OS user,
    see ``app.cli.cli_actor``).
    """
    named = isinstance(actor, str)
    session.add(
        AuditEntry(
            event_id=event.id if event else None,
            actor_id=None if named or actor is None else actor.id,
            actor_name=actor[:200] if named else "",
            action=action,
            target=target,
            before=json.dumps(before, ensure_ascii=False, default=str)
            if before is not None
            else "",
            after=json.dumps(after, ensure_ascii=False, default=str) if after is not None else "",
        )
    )


def audit_log(session: Session, event: Event) -> list[dict[str, Any]]:
    """The event's entries, newest first, with the actor's e-mail."""
    rows = session.execute(
        select(AuditEntry, User.email)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.event_id == event.id)
        .order_by(AuditEntry.id.desc())
    )
    return [
        {
            "id": a.id,
            "at": iso(a.created_at),
            "actor": email or a.actor_name or None,
            "action": a.action,
            "target": a.target,
            "before": json.loads(a.before) if a.before else None,
            "after": json.loads(a.after) if a.after else None,
        }
        for a, email in rows
    ]
