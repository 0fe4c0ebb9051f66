"""An upload's row in SQL: one INSERT that checks the quota and takes the team's next number."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import Session, make_transient_to_detached

from core.models import Submission, Team
from judge.standings import counting_upload
from submissions.usage import TEAMS_ROWS, WITHIN_QUOTA

# The columns an upload's row is given; the rest take their defaults.
_GIVEN = (
    "task_id",
    "team_id",
    "user_id",
    "filename",
    "stored_path",
    "sha256",
    "size",
    "note",
    "created_at",
    "status",
    "idempotency_key",
)
# And every column with a Python-side default, given its value by ``defaults``: SQLAlchemy
# fills in the defaults of one INSERT a statement, and PostgreSQL's holds two (the standing's).
_DEFAULTED = tuple(
    column.name
    for column in Submission.__table__.c
    if column.default is not None and column.name not in (*_GIVEN, "number")
)


def defaults() -> dict[str, Any]:
    """The values of ``_DEFAULTED`` for a new row (a callable's called: ``public_id``)."""
    values = {}
    for name in _DEFAULTED:
        default = Submission.__table__.c[name].default
        values[name] = default.arg(None) if default.is_callable else default.arg
    return values


# Built once. An upload's row goes in by this one statement (SQLite: under the team's lock;
# PostgreSQL: alone, ``submissions.intake._record_at_once``): the quota check (``check_quota``'s
# rule, which explains a refusal) and the team's next number ride in it, so an upload makes one
# round trip where it made two, the count and the insert (issue 14).
# It returns the whole row (the columns' defaults included), which becomes the session's object
# as though loaded: the ORM's flush of a new object cost ~0.58 ms of CPU above a bare commit,
# this ~0.29 ms. No row: the quota is used up.
_INSERT_SUBMISSION = (
    insert(Submission.__table__)
    .from_select(
        [*_GIVEN, *_DEFAULTED, "number"],
        select(
            *(
                bindparam(name, type_=Submission.__table__.c[name].type)
                for name in (*_GIVEN, *_DEFAULTED)
            ),
            select(func.coalesce(func.max(Submission.number), 0) + 1)  # 1, 2, 3, …
            .where(TEAMS_ROWS)
            .scalar_subquery(),
        ).where(WITHIN_QUOTA),
    )
    .returning(*Submission.__table__.c)
)
# PostgreSQL: the row's attempt on the boards rides in the same statement (``count_upload``).
_INSERT_AND_COUNT = counting_upload(_INSERT_SUBMISSION)


def inserted(session: Session, team: Team, values: dict[str, Any]) -> Submission | None:
    """A new submission row of ``values`` (on PostgreSQL counted on the boards too), as a
    persistent object of ``session``; None if the task's quota refused it."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    row = session.execute(_INSERT_AND_COUNT if postgresql else _INSERT_SUBMISSION, values).first()
    if row is None:
        return None
    # Held by the row, the team stays in the session's identity map (which holds rows
    # weakly): the caller's reply reads it without another query.
    sub = Submission(**row._mapping, team=team)
    make_transient_to_detached(sub)
    session.add(sub)
    return sub
