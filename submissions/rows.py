"""An upload's row in SQL: one INSERT that checks the membership and the quota and takes the
team's next number (on PostgreSQL it also counts the attempt and notes the token's use)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, bindparam, column, exists, func, insert, select, text, update
from sqlalchemy.orm import Session, make_transient_to_detached

from core.db import UTCDateTime
from core.models import ApiToken, Submission, Team, TeamMember
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


# What the database gives the row: its id and number. The statement returns only these (and
# what the count on the boards reads, ``counting_upload``), and the session's object is made of
# them and the values sent: the whole row came back before, 30 columns each upload made psycopg
# and SQLAlchemy set up and read (issue 14).
_MADE = ("id", "number")
_RETURNED = (*_MADE, "task_id", "team_id", "created_at")


def _empty_columns() -> tuple[str, ...]:
    """The rest of the columns: NULL in a new row. A column the database gives a value of its
    own (a server default) would be missing from the object: it belongs in ``_RETURNED``."""
    names = tuple(
        column.name
        for column in Submission.__table__.c
        if column.name not in (*_GIVEN, *_DEFAULTED, *_MADE)
    )
    for name in names:
        column = Submission.__table__.c[name]
        if not column.nullable or column.server_default is not None:
            raise TypeError(f"submissions.{name} is not NULL in a new row: return it")
    return names


_EMPTY = _empty_columns()


def defaults() -> dict[str, Any]:
    """The values of ``_DEFAULTED`` for a new row (a callable's called: ``public_id``)."""
    values = {}
    for name in _DEFAULTED:
        default = Submission.__table__.c[name].default
        values[name] = default.arg(None) if default.is_callable else default.arg
    return values


@dataclass
class TokenUse:
    """An API token's last use, to be written with the upload's row (``app.web.auth``);
    ``written`` once committed (with the row; on PostgreSQL by its statement, row or not)."""

    token_id: int
    used_at: datetime
    written: bool = False


# The uploader is still a member of the team the row is for, and it is not disqualified: the
# team may have been read before the body streamed in (with the token, ``app.lookup``).
_STILL_MEMBER = exists(
    select(TeamMember.id)
    .join(Team, Team.id == TeamMember.team_id)
    .where(
        TeamMember.user_id == bindparam("user_id"),
        TeamMember.event_id == bindparam("event_id"),
        TeamMember.team_id == bindparam("team_id"),
        Team.disqualified.is_(False),
    )
)

# Built once. An upload's row goes in by this one statement (SQLite: under the team's lock;
# PostgreSQL: alone, ``submissions.intake._record_at_once``): the quota check (``check_quota``'s
# rule, which explains a refusal) and the team's next number ride in it, so an upload makes one
# round trip where it made two, the count and the insert (issue 14).
# Its row becomes the session's object as though loaded (``inserted``): the ORM's flush of a new
# object cost ~0.58 ms of CPU above a bare commit, this ~0.29 ms. No row: the uploader is no
# longer in the team (or it is disqualified), or the quota is used up.
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
        ).where(and_(_STILL_MEMBER, WITHIN_QUOTA)),
    )
    .returning(*(Submission.__table__.c[name] for name in _RETURNED))
)
_TOUCH_TOKEN = (
    update(ApiToken.__table__)
    .where(ApiToken.__table__.c.id == bindparam("token_id"))
    .values(last_used_at=bindparam("token_used_at", type_=UTCDateTime()))
)
# PostgreSQL: the row's attempt on the boards rides in the same statement (``count_upload``),
# and so does the token's last use, when due (no token: ``token_id`` NULL, nothing updated):
# its UPDATE had been a round trip of its own on the first upload of each token each minute.
# As text: an UPDATE built by SQLAlchemy inside the INSERT would set every api_tokens column
# the INSERT's parameters name (``user_id``, ``created_at``) too.
_TOUCHED = (
    text("UPDATE api_tokens SET last_used_at = :token_used_at WHERE id = :token_id RETURNING id")
    .bindparams(
        bindparam("token_used_at", type_=UTCDateTime()), bindparam("token_id", type_=Integer())
    )
    .columns(column("id", Integer()))
    .cte("touched")
)
_INSERT_AND_COUNT = counting_upload(_INSERT_SUBMISSION).add_cte(_TOUCHED)


def touch_token(session: Session, use: TokenUse) -> None:
    """Write a token's last use (SQLite's intake, in the row's transaction)."""
    session.execute(_TOUCH_TOKEN, {"token_id": use.token_id, "token_used_at": use.used_at})


def inserted(
    session: Session, team: Team, values: dict[str, Any], token_use: TokenUse | None = None
) -> Submission | None:
    """A new submission row of ``values`` (``event_id`` included, for the membership), as a
    persistent object of ``session``; None if the membership or the task's quota refused it.
    On PostgreSQL counted on the boards too, and ``token_use`` written (row or not) unless it
    was already: there the caller runs it in autocommit, so that its end commits the use it
    marks written. The caller writes the use on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        due = token_use if token_use is not None and not token_use.written else None
        params = {
            **values,
            "token_id": due.token_id if due else None,
            "token_used_at": due.used_at if due else None,
        }
        row = session.execute(_INSERT_AND_COUNT, params).first()
        if due is not None:
            due.written = True  # autocommit: the statement's end committed it, row or not
    else:
        row = session.execute(_INSERT_SUBMISSION, values).first()
    if row is None:
        return None
    # Held by the row, the team stays in the session's identity map (which holds rows
    # weakly): the caller's reply reads it without another query.
    sub = Submission(
        **{name: values[name] for name in (*_GIVEN, *_DEFAULTED)},
        **dict.fromkeys(_EMPTY),
        id=row.id,
        number=row.number,
        team=team,
    )
    make_transient_to_detached(sub)
    session.add(sub)
    return sub
