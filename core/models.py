"""The data model (SPEC §2). Every table is created by Alembic migrations."""

from __future__ import annotations

import base64
import enum
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    literal_column,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Real, UTCDateTime, utcnow


class Role(enum.StrEnum):
    ORGANIZER = "organizer"
    JUDGE = "judge"
    PARTICIPANT = "participant"


class Status(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"  # a code task's program in the sandbox (issue 16)
    SCORING = "scoring"
    SCORED = "scored"
    INVALID = "invalid"
    FAILED = "failed"


# The groups of statuses the rules speak of, each defined once.
PENDING = (Status.QUEUED, Status.RUNNING, Status.SCORING)  # waiting for, or in, a worker
IN_A_WORKER = (Status.RUNNING, Status.SCORING)  # a worker took it: its heartbeat holds it
FINISHED = (Status.SCORED, Status.INVALID, Status.FAILED)  # a job never runs again on these
JUDGED = (Status.SCORED, Status.INVALID)  # the file was read: a rescore reads it again
# Attempts on the boards: everything but a platform fault (``failed``), SPEC §3.
COUNTED = (*PENDING, *JUDGED)
# What the upload quota counts: a file found invalid gives its place back (docs/participants.md,
# "File rules").
USES_QUOTA = (*PENDING, Status.SCORED)
# On a code task every run on the hidden inputs counts, whatever became of it: a program that
# crashes on purpose would otherwise read the hidden inputs for free, a few bits a run (its
# exit status, its time), as often as it liked.
CODE_USES_QUOTA = (*PENDING, *JUDGED)


def status_in(statuses: tuple[str, ...]) -> ColumnElement[bool]:
    """``Submission.status IN (...)`` with the values written into the statement as constants,
    not sent as parameters (issue 14): a partial index on the statuses serves a prepared
    statement's generic plan only if its predicate names constants (with parameters PostgreSQL
    planned a landing's recount afresh each time, 0.8 ms of planning to 0.1 ms of work), and an
    expanding parameter made every upload's INSERT a new text to render, too long for psycopg's
    cache of parsed statements."""
    return Submission.status.in_([literal_column(f"'{status}'", String) for status in statuses])


class RunStatus(enum.StrEnum):
    """A rescoring run's state (``RescoreRun.status``)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


RUN_BUSY = (RunStatus.QUEUED, RunStatus.RUNNING)  # a task has at most one such run


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default=Role.PARTICIPANT)
    affiliation: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of every session and remember cookie (``get_id``): raising it on sign-out or a
    # password change makes all of them worthless, wherever their copies are (app.web.auth).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.ORGANIZER, Role.JUDGE)

    # What Flask-Login asks of a user (its ``UserMixin``, written here so that the tables
    # import no Flask): a stored user is a signed-in, active one.
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember cookie: id and epoch."""
        return f"{self.id}:{self.session_epoch or 0}"


class TokenScope(enum.StrEnum):
    FULL = "full"  # whatever the user's role allows
    SUBMIT = "submit"  # a team's uploads, its submissions and the public boards only


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    scope: Mapped[str] = mapped_column(String(20), default=TokenScope.FULL, server_default="full")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


DEFAULT_PRIZE_PLACES = 3  # 대상, 최우수상, 우수상: the board's prize zone
DEFAULT_CODE_GRACE = timedelta(hours=24)  # after the end: code attached to final picks
DEFAULT_VERIFY_TOLERANCE = 1e-6  # of the private score, reproduced by a pick's code


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Seoul")
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The freeze in force: from this moment on, public views stop (None: no freeze).
    freeze_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The freeze the organizers scheduled; ``unfreeze`` before it comes back to it.
    freeze_scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Human review (SPEC §5), set by organizers.
    judges_per_team: Mapped[int] = mapped_column(Integer, default=3)
    review_top_n: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: all teams
    w_auto: Mapped[float] = mapped_column(Float, default=0.7)
    w_review: Mapped[float] = mapped_column(Float, default=0.3)
    review_locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    final_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The published final ranking as served (JSON): a snapshot, not recomputed on each read.
    final_board: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The board marks the first ``prize_places`` ranks as the prize zone (0: no zone).
    prize_places: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_PRIZE_PLACES, server_default=str(DEFAULT_PRIZE_PLACES)
    )
    # Winners' code verification (issue 16): teams attach code to their final picks until
    # this moment (None: the end + ``DEFAULT_CODE_GRACE``); a pick is reproduced when its
    # code's output scores within ``verify_tolerance`` of the pick's private score.
    code_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    verify_tolerance: Mapped[float] = mapped_column(
        Float, default=DEFAULT_VERIFY_TOLERANCE, server_default=str(DEFAULT_VERIFY_TOLERANCE)
    )
    # Teams' projects (issue 17) are edited until this moment (None: the end of the event).
    project_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The final ranking leaves out a team with no project as of the project deadline (issue
    # 17): an event judged on what teams built, not only on their scores, may require one.
    require_project: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    tasks: Mapped[list[Task]] = relationship(back_populates="event", order_by="Task.id")

    def is_frozen(self, now: datetime) -> bool:
        return self.freeze_at is not None and now >= self.freeze_at

    @property
    def code_deadline(self) -> datetime:
        """Until when teams attach code to their final picks."""
        return self.code_deadline_at or self.end_at + DEFAULT_CODE_GRACE

    @property
    def project_deadline(self) -> datetime:
        """Until when teams edit their projects; judges see each project as of this moment."""
        return self.project_deadline_at or self.end_at


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("event_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    affiliation: Mapped[str] = mapped_column(String(200), default="")
    invite_code: Mapped[str] = mapped_column(String(32), unique=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    disqualified: Mapped[bool] = mapped_column(Boolean, default=False)
    disqualified_reason: Mapped[str] = mapped_column(Text, default="")

    members: Mapped[list[TeamMember]] = relationship(back_populates="team")


class TeamMember(Base):
    __tablename__ = "team_members"
    # One team per participant per event (SPEC §1).
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    team: Mapped[Team] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


# A new task's settings unless its organizer chooses (CLI, console and API alike).
DEFAULT_PUBLIC_FRACTION = 0.3  # of the truth's rows on the public board
DEFAULT_DAILY_LIMIT = 5  # uploads per team and day (None: no limit)
DEFAULT_FINAL_PICKS = 2
DEFAULT_DECIMALS = 5  # shown on the boards
DEFAULT_TIME_LIMIT_S = 300  # a code task's program, wall clock (issue 16)
DEFAULT_MEMORY_MB = 2048


PROGRAM_OUTPUT = "submission.csv"  # what a code task's program writes in /output


class TaskKind(enum.StrEnum):
    PREDICTIONS = "predictions"  # teams upload their predictions
    CODE = "code"  # teams upload a program, run in the sandbox on the hidden inputs


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("event_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300), default="")
    metric: Mapped[str] = mapped_column(String(64))
    id_column: Mapped[str] = mapped_column(String(200), default="id")
    target_column: Mapped[str] = mapped_column(String(200), default="target")
    # The stored truth always carries a Usage column: the split is fixed at creation.
    truth_path: Mapped[str] = mapped_column(String(500))
    truth_sha256: Mapped[str] = mapped_column(String(64))
    truth_rows: Mapped[int] = mapped_column(Integer, default=0)
    public_rows: Mapped[int] = mapped_column(Integer, default=0)
    daily_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: no limit
    total_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_file_mb: Mapped[float | None] = mapped_column(Float, nullable=True)
    final_picks: Mapped[int] = mapped_column(Integer, default=DEFAULT_FINAL_PICKS)
    decimals: Mapped[int] = mapped_column(Integer, default=DEFAULT_DECIMALS)
    # The scorer's classes, fixed with the truth: a class-probability task's file needs one
    # column per class (None for tasks made before they were kept: the upload checks the id).
    classes: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    # An ordinal metric's (qwk) published scale: every whole rating in it is accepted.
    rating_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rating_max: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the reveal of this task ends: the freeze is over, the private board is public.
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A code task (issue 16): the hidden inputs (features without labels) its programs read at
    # /input/<inputs_name>, never served; a few public rows for the dry run and the download.
    kind: Mapped[str] = mapped_column(
        String(16), default=TaskKind.PREDICTIONS, server_default=TaskKind.PREDICTIONS
    )
    inputs_path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    inputs_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    sample_inputs_path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    time_limit_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    memory_mb: Mapped[int | None] = mapped_column(Integer, nullable=True)

    event: Mapped[Event] = relationship(back_populates="tasks")

    @property
    def is_code(self) -> bool:
        return self.kind == TaskKind.CODE


def quota_statuses(task: Task) -> tuple[str, ...]:
    """The statuses a task's upload quota counts (rule 3; a code task's, ``CODE_USES_QUOTA``)."""
    return CODE_USES_QUOTA if task.is_code else USES_QUOTA


def new_public_id() -> str:
    """A submission's id as its team sees it: 16 random base-32 characters (80 bits), never
    all digits, which is how the API tells it from a global id (``app.serialize``)."""
    while True:
        candidate = base64.b32encode(secrets.token_bytes(10)).decode().lower()
        if not candidate.isdigit():
            return candidate


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_task_status", "task_id", "status"),
        Index("ix_submissions_team_task_created", "team_id", "task_id", "created_at"),
        # A client's retry with the same Idempotency-Key finds its first upload (issue 12).
        Index("uq_submissions_user_idempotency_key", "user_id", "idempotency_key", unique=True),
        Index("uq_submissions_public_id", "public_id", unique=True),
        Index("uq_submissions_team_number", "team_id", "number", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(300))
    stored_path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=Status.QUEUED)
    error: Mapped[str] = mapped_column(Text, default="")  # participant-visible, in English
    # The same message as a catalogue template and its parameters, shown in the reader's
    # language (app.messages.localize); None for platform faults and older rows.
    error_detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    staff_error: Mapped[str] = mapped_column(Text, default="")  # platform faults, staff only
    public_score: Mapped[float | None] = mapped_column(Real, nullable=True)
    private_score: Mapped[float | None] = mapped_column(Real, nullable=True)
    public_ci_low: Mapped[float | None] = mapped_column(Real, nullable=True)
    public_ci_high: Mapped[float | None] = mapped_column(Real, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    scoring_ms: Mapped[float | None] = mapped_column(Real, nullable=True)
    scored_metric: Mapped[str] = mapped_column(String(64), default="")
    scored_truth_sha256: Mapped[str] = mapped_column(String(64), default="")
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    # The uploader's Idempotency-Key header, if sent: unique per user (NULLs never collide).
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # What the team sees (issue 12): its number within the team (1, 2, 3, … given at intake
    # in its INSERT; None only for rows made outside intake) and an opaque id for the
    # API. The global ``id`` counts every team's uploads: during the freeze its jumps told a
    # team how busy the others were, so only staff see it.
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    public_id: Mapped[str] = mapped_column(String(16), default=new_public_id)
    # A code task's submission is a program; what is scored is its output, kept here.
    output_path: Mapped[str | None] = mapped_column(String(500), nullable=True)

    task: Mapped[Task] = relationship()
    team: Mapped[Team] = relationship()

    @property
    def scored_path(self) -> str:
        """The file the scorer reads: the upload, or a program's output."""
        return self.output_path or self.stored_path

    @property
    def scored_filename(self) -> str:
        return PROGRAM_OUTPUT if self.output_path else self.filename


def team_names(sub: Submission) -> dict[str, Any]:
    """How the team names and numbers its submission, on every path it reads (never the
    global id, which counts every team's uploads)."""
    return {"id": sub.public_id, "number": sub.number}


def staff_names(sub: Submission) -> dict[str, Any]:
    return {"id": sub.id, "number": sub.number, "public_id": sub.public_id}


class BoardState(Base):
    """The last published version of each board, so ``version`` grows by one per change."""

    __tablename__ = "board_states"

    task_id: Mapped[int] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    board: Mapped[str] = mapped_column(String(16), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    rows_hash: Mapped[str] = mapped_column(String(64), default="")


# A board's best submission per team is one probe of these (scoreboard.queries): rule 1's
# order (score, earlier time, lower id) for metrics where higher is better, and where lower is.
for _name, _score in (
    ("ix_submissions_best_high", Submission.public_score.desc()),
    ("ix_submissions_best_low", Submission.public_score.asc()),
):
    Index(
        _name,
        Submission.task_id,
        Submission.team_id,
        _score,
        Submission.created_at,
        Submission.id,
        postgresql_where=Submission.status == Status.SCORED,
        sqlite_where=Submission.status == Status.SCORED,
    )
# The final picks (about one submission in a hundred), for the private board.
Index(
    "ix_submissions_final_picks",
    Submission.task_id,
    Submission.team_id,
    Submission.id,
    postgresql_where=(Submission.final.is_(True)) & (Submission.status == Status.SCORED),
    sqlite_where=(Submission.final.is_(True)) & (Submission.status == Status.SCORED),
)
# A board's attempt count and last time per team, read from the index alone (PostgreSQL).
Index(
    "ix_submissions_counted",
    Submission.task_id,
    Submission.team_id,
    Submission.created_at,
    postgresql_where=Submission.status.in_(["queued", "running", "scoring", "scored", "invalid"]),
)


class Standing(Base):
    """A team's aggregates on a task, kept by ``judge.standings`` in the same transaction as
    every change of the team's submissions: what the live boards read (a board read is a read,
    whatever the number of submissions; issue 14)."""

    __tablename__ = "standings"

    task_id: Mapped[int] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # submissions in COUNTED
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The best submission by public score under rule 1 (score, earlier, lower id); None: none.
    best_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    best_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    best_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The same counting only the submissions made before ``frozen_as_of``, the event's freeze
    # when they were counted: what the public board shows while frozen. A row counted for no
    # freeze, or for another than the event's now, is not read (the board computes instead).
    frozen_as_of: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    frozen_attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    frozen_last_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    frozen_best_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    frozen_best_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    frozen_best_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The team's pick for the private board (rule 2), counted for ``picks_k`` picks (the
    # task's K; NULL: never counted, and then not read): its best by private score among its
    # first K scored finals if it has any (``picks_final``), else among its best K by public
    # score, which count only once the event has ended.
    picks_k: Mapped[int | None] = mapped_column(Integer, nullable=True)
    picks_final: Mapped[bool] = mapped_column(Boolean, server_default=false())
    pick_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pick_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    pick_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ScoreHistory(Base):
    """A submission's scores before a rescore replaced them."""

    __tablename__ = "score_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    rescore_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("rescore_runs.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str] = mapped_column(Text, default="")
    error_detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    public_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    private_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    public_ci_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    public_ci_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    metric: Mapped[str] = mapped_column(String(64))
    truth_sha256: Mapped[str] = mapped_column(String(64))
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RescoreRun(Base):
    """A background rescoring of every submission of a task; the row mirrors its progress."""

    __tablename__ = "rescore_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    requested_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.QUEUED)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Reveal(Base):
    """A task's reveal: its plan is fixed when it starts; ``step`` counts revealed teams."""

    __tablename__ = "reveals"

    task_id: Mapped[int] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    plan: Mapped[str] = mapped_column(Text)  # JSON, see scoreboard.resolver.dump
    step: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    started_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Announcement(Base):
    """A message organizers push to every page and projector of an event."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Criterion(Base):
    """A rubric criterion of an event, e.g. 기술성 (weight 40, scored 0–10)."""

    __tablename__ = "criteria"
    __table_args__ = (UniqueConstraint("event_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    weight: Mapped[float] = mapped_column(Float)
    scale: Mapped[float] = mapped_column(Float, default=10)
    description: Mapped[str] = mapped_column(Text, default="")
    # The part of the team's work it judges (``review.reviews.JUDGED_PARTS``: the judge's page
    # links the criterion to it), or "" for the team as a whole.
    judges: Mapped[str] = mapped_column(String(20), default="", server_default="")


class Assignment(Base):
    """A judge assigned to review a team."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("team_id", "judge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Conflict(Base):
    """A conflict of interest a judge declared with a team."""

    __tablename__ = "conflicts"
    __table_args__ = (UniqueConstraint("team_id", "judge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")


class RubricScore(Base):
    """One judge's score of one team on one criterion."""

    __tablename__ = "rubric_scores"
    __table_args__ = (UniqueConstraint("judge_id", "team_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """What an organizer (or judge) changed, with before → after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), nullable=True, index=True
    )
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    # Who acted when no account did: the command line's OS user (``cli:alice``).
    actor_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200), default="")
    before: Mapped[str] = mapped_column(Text, default="")  # JSON
    after: Mapped[str] = mapped_column(Text, default="")  # JSON
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Comment(Base):
    """A judge's comment on a team (organizers and, after the lock, judges read them)."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Flag(Base):
    """A judge's flag on a submission: leakage, late, cheating or other, with a note."""

    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RunPurpose(enum.StrEnum):
    DRY_RUN = "dry_run"  # on the public sample inputs: the team sees its program's output
    HIDDEN = "hidden"  # a submission's run on the hidden inputs: its output is staff-only
    VERIFY = "verify"  # a final pick's attached code, reproducing the pick (staff-only)


class CodeRun(Base):
    """One run of a team's program in the sandbox (issue 16): what it was, what became of it.

    A hidden run belongs to its submission (one row, updated by each attempt); a dry run
    stands alone and never touches the quota, the boards or the submissions.
    """

    __tablename__ = "code_runs"
    __table_args__ = (
        Index("ix_code_runs_team_task", "team_id", "task_id", "created_at"),
        Index("uq_code_runs_public_id", "public_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), default=new_public_id)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), nullable=True, unique=True
    )
    purpose: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(300))
    bundle_path: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.QUEUED)
    outcome: Mapped[str] = mapped_column(String(16), default="")  # judge.sandbox.Outcome
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    signal: Mapped[int | None] = mapped_column(Integer, nullable=True)
    elapsed_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    cpu_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    peak_memory_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    log: Mapped[str] = mapped_column(Text, default="")  # the program's stdout and stderr
    log_truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the team is told (English; ``message_detail`` in the reader's language).
    message: Mapped[str] = mapped_column(Text, default="")
    message_detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    staff_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CheckStatus(enum.StrEnum):
    """A final pick's code verification (``CodeCheck.status``)."""

    ATTACHED = "attached"  # code attached, not verified yet
    QUEUED = "queued"
    RUNNING = "running"
    REPRODUCED = "reproduced"  # same ids, the private score within the event's tolerance
    DIFFERS = "differs"  # ran, but its output is not the pick's
    FAILED = "failed"  # did not run to an output that could be scored (or no code at all)


VERDICTS = (CheckStatus.REPRODUCED, CheckStatus.DIFFERS, CheckStatus.FAILED)


class CodeCheck(Base):
    """The code a team attached to one of its final picks, and what verifying it found: its
    program run on the task's hidden inputs, its output compared with the picked file."""

    __tablename__ = "code_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), unique=True
    )
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    # No code attached (a top team that attached none): the row holds the verdict alone.
    filename: Mapped[str] = mapped_column(String(300), default="")
    bundle_path: Mapped[str] = mapped_column(String(500), default="")
    bundle_sha256: Mapped[str] = mapped_column(String(64), default="")
    attached_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attached_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(16), default=CheckStatus.ATTACHED)
    picked_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    reproduced_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    rows: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rows_differing: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The largest difference between a row's predictions (numeric ones): how far apart they are.
    max_difference: Mapped[float | None] = mapped_column(Float, nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")  # English; the detail translates
    message_detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("code_runs.id", ondelete="SET NULL"), nullable=True
    )
    requested_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Project(Base):
    """A team's project in an event (issue 17): what it built, beside its scores. Its content
    lives in versions, one per save, so judges read the version as of the deadline."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProjectVersion(Base):
    """One save of a project: its text and the files it held at that moment."""

    __tablename__ = "project_versions"
    __table_args__ = (UniqueConstraint("project_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown, rendered sanitised
    repo_url: Mapped[str] = mapped_column(String(500), default="")
    video_url: Mapped[str] = mapped_column(String(500), default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    file_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # ProjectFile ids, in order
    saved_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProjectFileKind(enum.StrEnum):
    SLIDES = "slides"  # a PDF: slides or a report
    SCREENSHOT = "screenshot"


class ProjectFile(Base):
    """A file a team gave its project: kept (re-encoded, for images) with its thumbnail. Never
    deleted while a version names it: removing it from the project makes a new version."""

    __tablename__ = "project_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(300))
    stored_path: Mapped[str] = mapped_column(String(500))  # under the storage folder
    thumb_path: Mapped[str] = mapped_column(String(500))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Award(Base):
    """A prize an organizer gives (issue 17): 대상, 최우수상, 우수상, a special prize. One row a
    team that receives it (two 우수상 are two rows); defined before it is given (no team yet).
    ``rank`` is the final rank it was given for, when given by the ranking (giving by the
    ranking again replaces those), None when given by hand."""

    __tablename__ = "awards"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    place: Mapped[int] = mapped_column(Integer, default=0)  # the order awards are listed in
    rank: Mapped[int | None] = mapped_column(Integer, nullable=True)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), nullable=True, index=True
    )
    given_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    given_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
