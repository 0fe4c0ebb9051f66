"""Accepting an upload: who, when, how big, how many — then the row, then the job (SPEC §3, §9).

Every refusal is an :class:`IntakeError` with the HTTP status of SPEC §9 and a message for
the participant; a refused upload leaves no row and no file behind.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from core.db import utcnow
from core.errors import ParticipantVisibleError
from core.models import (
    Event,
    Role,
    Status,
    Submission,
    Task,
    Team,
    User,
)
from core.offload import Pool
from judge.bundles import check_program
from judge.sniff import sniff_header
from judge.standings import count_upload
from judge.truth import required_columns
from submissions.errors import IntakeError
from submissions.locks import members_team, members_team_locked
from submissions.rows import TokenUse, defaults, inserted, touch_token
from submissions.storage import (
    StorageFull,
    StoredFile,
    TooLarge,
    discard,
    hash_stream,
    store_stream,
)
from submissions.usage import check_quota, quota_params

log = logging.getLogger(__name__)
MAX_KEY_LENGTH = 200  # the Idempotency-Key column's width
STORAGE_FULL_RETRY_S = 60
# A deadlock (40P01) or a serialization failure (40001): PostgreSQL's word to run it again.
TRANSIENT_SQLSTATES = ("40P01", "40001")
# Uploads of one team that raced for its next number (``_record_at_once``): each pass, one wins.
NUMBER_RETRIES = 100
# A refused insert whose quota, counted again, allows it (a counted row turned malformed).
QUOTA_RECHECKS = 3
TEAM_NUMBER = "uq_submissions_team_number"
# Programs' quick checks (a .zip's contents, a notebook's JSON), one at a time per process.
PROGRAM_CHECKS = Pool("program-checks", 1)


def team_of(session: Session, user: User, event: Event) -> Team | None:
    return members_team(session, user.id, event.id)


def check_participant(user: User) -> None:
    if user.role != Role.PARTICIPANT:
        raise IntakeError(403, "not_participant", "Only participants can submit.")


def check_team(team: Team | None, team_id: int | None) -> Team:
    """The team the user submits for (``team``, theirs); refuses outsiders and other teams."""
    if team is None:
        raise IntakeError(403, "no_team", "You are not in a team of this event.")
    if team_id is not None and team_id != team.id:
        raise IntakeError(403, "other_team", "You can only submit for your own team.")
    if team.disqualified:
        raise IntakeError(403, "disqualified", "Your team is disqualified.")
    return team


def check_submitter(session: Session, user: User, event: Event, team_id: int | None) -> Team:
    """The team the user submits for; refuses staff, outsiders and other teams."""
    check_participant(user)
    return check_team(team_of(session, user, event), team_id)


def check_open(event: Event, now: datetime) -> None:
    if now < event.start_at:
        raise IntakeError(409, "not_started", "The event has not started yet.")
    if now >= event.end_at:
        raise IntakeError(409, "closed", "The submission deadline has passed.")


@dataclass(frozen=True)
class Accepted:
    """The submission an upload made, or, for a retry of one (same Idempotency-Key, same
    request), the one it made the first time: ``replayed``."""

    submission: Submission
    replayed: bool = False


class _Replay(Exception):
    """Raised where the key is found just before the row would go in, to leave at once."""

    def __init__(self, original: Submission) -> None:
        self.original = original


def idempotency_key(raw: str | None) -> str | None:
    """The ``Idempotency-Key`` header checked: 1 to 200 printable ASCII characters, or None."""
    if raw is None:
        return None
    if not 0 < len(raw) <= MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in raw):
        raise IntakeError(
            400,
            "bad_idempotency_key",
            "The Idempotency-Key header must be 1 to %(max)d printable ASCII characters.",
            max=MAX_KEY_LENGTH,
        )
    return raw


def keyed(session: Session, user: User, key: str) -> Submission | None:
    return session.scalars(
        select(Submission).where(Submission.user_id == user.id, Submission.idempotency_key == key)
    ).first()


def same_request(
    original: Submission, task: Task, sha256: str, filename: str, note: str
) -> Submission:
    """``original`` if this upload repeats it; a key reused for another upload is refused
    (422, as the IETF idempotency-key draft answers a key reused with another payload)."""
    if (original.task_id, original.sha256, original.filename, original.note) != (
        task.id,
        sha256,
        stored_name(filename),
        note[:2000],
    ):
        raise IntakeError(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different upload; "
            "send a new key with a new upload.",
        )
    return original


def stored_name(filename: str) -> str:
    return Path(filename or "submission.csv").name[:300]


def storage_refusal(exc: TooLarge | StorageFull, max_bytes: int) -> IntakeError:
    """An upload the storage could not keep: too large, or no room left."""
    if isinstance(exc, TooLarge):
        limit = f"{max_bytes / 1e6:g}"
        return IntakeError(
            413, "too_large", "The file is larger than the %(mb)s MB limit.", mb=limit
        )
    return IntakeError(
        507,
        "storage_full",
        "The server has no room left to store the file; the organizers have been "
        "alerted. Try again later.",
        retry_after=STORAGE_FULL_RETRY_S,
    )


def _check_stored_program(path: Path, filename: str) -> None:
    check_program(path.read_bytes(), filename)


def check_file(
    task: Task, stored: StoredFile, filename: str, storage_dir: Path, *, program: bool = False
) -> None:
    """The quick look at an upload before its row: a prediction file's header, or a program
    (a code task's upload, or ``program``: a pick's code), its kind and a .zip's table of
    contents; the worker reads the rest."""
    if task.is_code or program:
        # Reading a .zip's table of contents or a notebook's JSON takes a CPU second or more
        # for a crafted one: never on the web node's event loop.
        PROGRAM_CHECKS.run(_check_stored_program, storage_dir / stored.relative_path, filename)
        return
    whole = stored.size == len(stored.head)
    sniff_header(stored.head, filename, required_columns(task), whole_file=whole)


def accept(session: Session, **upload: Any) -> Submission:
    """``accept_upload``'s submission, for callers that send no key (the demo's bots)."""
    return accept_upload(session, **upload).submission


def accept_upload(
    session: Session,
    *,
    user: User,
    event: Event,
    task: Task,
    stream: BinaryIO,
    filename: str,
    note: str,
    storage_dir: Path,
    max_bytes: int,
    team_id: int | None = None,
    key: str | None = None,
    team: Team | None = None,
    token_use: TokenUse | None = None,
) -> Accepted:
    """Check, store and commit one upload; the caller then dispatches its job (not a replay's).

    The row is committed only once its file is complete and on disk (``store_stream``). With
    ``key``, the first upload under it comes back for a retry, whatever happened since (the
    deadline, the quota): the client may never have seen the first reply. The team is found
    once the file is stored (``_record``): an upload from outside the teams is refused then,
    its file discarded. ``team``: the user's team as the caller found it (with its token: one
    query fewer); the row goes in only if the user is still its member and it is not
    disqualified. ``token_use``: the caller's token's last use, written with the row.
    """
    check_participant(user)
    try:
        if key is not None and (original := keyed(session, user, key)) is not None:
            digest = hash_stream(stream, max_bytes)
            return Accepted(same_request(original, task, digest, filename, note), replayed=True)
        check_open(event, utcnow())
        stored = store_stream(stream, storage_dir, max_bytes)
    except (TooLarge, StorageFull) as exc:
        raise storage_refusal(exc, max_bytes) from None
    try:
        check_file(task, stored, filename, storage_dir)
        # The deadline holds for the moment the upload completed, not when it began.
        now = utcnow()
        check_open(event, now)
        upload = Upload(user, team_id, stored, filename, note, now, key, team, token_use)
        return Accepted(_record(session, event, task, upload))
    except ParticipantVisibleError as exc:
        discard(storage_dir, stored)
        raise IntakeError(422, "invalid_file", exc.template, **exc.params) from None
    except (_Replay, IntegrityError) as exc:
        # The key's first upload is in (found just before the insert; or committed by a
        # concurrent retry first): this copy of the file is not needed.
        session.rollback()
        discard(storage_dir, stored)
        original = exc.original if isinstance(exc, _Replay) else keyed(session, user, key or "")
        if original is None:
            raise
        return Accepted(same_request(original, task, stored.sha256, filename, note), True)
    except DBAPIError:
        # The database went away, perhaps during the commit, whose outcome is then unknown:
        # the file stays, as a row may name it. The sweep removes it if none does.
        raise
    except Exception:
        discard(storage_dir, stored)
        raise
    # Anything else (GreenletExit, SystemExit: the process is going) may come during the
    # commit, whose outcome is then unknown: the file stays for the sweep, as above.


@dataclass(frozen=True)
class Upload:
    """A stored upload on its way to its row: who sent it, for which team, what it holds."""

    user: User
    team_id: int | None  # the team the request names, if it names one
    stored: StoredFile
    filename: str
    note: str
    at: datetime
    key: str | None
    known_team: Team | None = None  # the user's team, as the request found it
    # Marked once written (mutable: not part of the upload's identity).
    token_use: TokenUse | None = field(default=None, compare=False)


def _record(session: Session, event: Event, task: Task, upload: Upload) -> Submission:
    """The upload's row, committed, or an :class:`IntakeError` (or ``_Replay``)."""
    if session.get_bind().dialect.name == "postgresql":
        return _record_at_once(session, event, task, upload)
    # SQLite: the team's lock (this process's) serialises its uploads (double clicks at the
    # quota's edge) and their numbers; the row and its count on the boards, one transaction.
    with members_team_locked(session, upload.user.id, event.id) as mine:
        team = check_team(mine, upload.team_id)
        sub = _insert_row(session, event, task, team, upload)
        count_upload(session, task, sub.team_id, upload.at)  # the team may have changed
        if upload.token_use is not None:
            touch_token(session, upload.token_use)
    if upload.token_use is not None:
        upload.token_use.written = True  # committed with the row, as the block ended
    return sub


def _record_at_once(session: Session, event: Event, task: Task, upload: Upload) -> Submission:
    """PostgreSQL: the row, its membership, quota, number and count on the boards in one
    statement, committed by itself (autocommit): one round trip after the body, where a locked
    transaction took five (issue 14).

    No lock: two uploads of a team racing read the same last number, and the unique index on
    the team's numbers stops the second until the first commits, then refuses it; it counts
    again, its quota and number now seeing the first. Each pass waits only on a commit made
    meanwhile, so the loop ends. The team the request found with its token saves the first
    pass its read: the row requires the membership (``_insert_row``).
    """
    session.commit()  # a key's lookup may have opened a transaction: autocommit from here
    known = upload.known_team
    for attempt in range(NUMBER_RETRIES + 1):
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        team = _uploaders_team(session, event, upload, known)
        known = None  # a pass after this one reads it again
        try:
            sub = _insert_row(session, event, task, team, upload)
        except IntegrityError as exc:
            if _constraint(exc) != TEAM_NUMBER or attempt == NUMBER_RETRIES:
                raise
        except DBAPIError as exc:
            if _sqlstate(exc) not in TRANSIENT_SQLSTATES or attempt == NUMBER_RETRIES:
                raise
            log.warning("upload of %s retried after %s", upload.user.id, _sqlstate(exc))
        else:
            session.commit()  # nothing left to send: the statement committed itself
            return sub
        session.rollback()
    raise AssertionError("unreachable")


def _uploaders_team(session: Session, event: Event, upload: Upload, known: Team | None) -> Team:
    """The team the upload's row is for: ``known`` (read before the body) if it passes, else
    as the database has it now, which decides (a team reinstated, a member moved to the team
    the upload names, while the body streamed in)."""
    if known is not None:
        try:
            return check_team(known, upload.team_id)
        except IntakeError:
            pass  # refused as read before the body: the database's team decides, not this
    return _team_now(session, event, upload)


def _team_now(session: Session, event: Event, upload: Upload) -> Team:
    """The uploader's team as the database has it now (not as the session may hold it), if
    it may take the upload."""
    return check_team(members_team(session, upload.user.id, event.id, fresh=True), upload.team_id)


def _insert_row(
    session: Session, event: Event, task: Task, team: Team, upload: Upload
) -> Submission:
    """The upload's row for ``team``, if its key is new and the task's quota allows."""
    user, stored, key = upload.user, upload.stored, upload.key
    # Before the quota: a retry at the quota's edge is its first upload.
    if key is not None and (original := keyed(session, user, key)) is not None:
        raise _Replay(original)
    values = {
        "task_id": task.id,
        "team_id": team.id,
        "user_id": user.id,
        "filename": stored_name(upload.filename),
        "stored_path": stored.relative_path,
        "sha256": stored.sha256,
        "size": stored.size,
        "note": upload.note[:2000],
        "created_at": upload.at,
        "status": Status.QUEUED,
        "idempotency_key": key,
        "event_id": event.id,  # the membership's, not a column
        **defaults(),
        **quota_params(event, task, upload.at),
    }
    for _pass in range(QUOTA_RECHECKS):
        sub = inserted(session, team, values, upload.token_use)
        if sub is not None:
            return sub
        # No row: the user left the team (or it was disqualified) since it was read, or a
        # quota is used up (which one, and until when). Unless a counted row left the quota
        # between the two statements (a worker found it malformed): then the row goes in.
        now_in = _team_now(session, event, upload)
        if now_in.id != team.id:
            team = now_in  # moved to another team meanwhile: theirs now
            values["team_id"] = team.id
            continue
        check_quota(session, event, task, team, upload.at)
    raise AssertionError("no row for an upload its team and usage allow, again and again")


def _constraint(exc: IntegrityError) -> str | None:
    diag = getattr(exc.orig, "diag", None)
    return getattr(diag, "constraint_name", None)


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)
