"""Test helpers: seeding a contest, waiting on conditions, running hackjudge processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.security import new_token
from config import Settings
from core.db import Database, utcnow
from core.models import Role, User
from organize.accounts import create_user
from organize.events import create_event
from organize.tasks import create_task
from organize.teams import import_teams
from tests.services import free_port

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]  # the checkout
TRANSLATIONS = ROOT / "app" / "translations"
HACKJUDGE = str(Path(sys.executable).with_name("hackjudge"))


def wait_for(condition: Callable[[], T], timeout: float = 30.0, what: str = "condition") -> T:
    """Poll ``condition`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def truth_frame(rows: int, seed: int = 0, kind: str = "binary") -> pd.DataFrame:
    """A ground truth with text ids (leading zeros) and a binary or numeric target."""
    rng = np.random.default_rng(seed)
    ids = [f"{i:06d}" for i in range(rows)]
    target = rng.integers(0, 2, rows) if kind == "binary" else rng.normal(50, 10, rows).round(3)
    return pd.DataFrame({"id": ids, "target": target})


def make_solution(tmp_path: Path, metric: str, truth: pd.DataFrame, public_fraction: float = 0.3):  # noqa: ANN201
    """A prepared and loaded ground truth (columns ``id``, ``target``) for scoring tests."""
    from judge.prepare import prepare_truth
    from judge.truth import load_solution

    source = tmp_path / f"{metric}_truth.csv"
    truth.to_csv(source, index=False)
    prepared = prepare_truth(
        source,
        tmp_path / "store",
        id_column="id",
        target_column="target",
        metric=metric,
        public_fraction=public_fraction,
    )
    return load_solution(prepared.path, "id", "target", metric)


def prediction_csv(truth: pd.DataFrame, noise: float, seed: int) -> bytes:
    """A plausible submission: the truth blurred by ``noise``, rows shuffled."""
    rng = np.random.default_rng(seed)
    pred = truth["target"].to_numpy(dtype=float) + rng.normal(0, noise, len(truth))
    frame = pd.DataFrame({"id": truth["id"], "target": pred}).sample(frac=1, random_state=seed)
    return frame.to_csv(index=False).encode()


@dataclass
class Contest:
    """One seeded event: a task, teams with a member and a token each, staff with tokens."""

    event: str
    task: str
    metric: str
    truth: pd.DataFrame
    truth_path: Path
    tokens: dict[str, str] = field(default_factory=dict)  # team name -> participant token
    staff_tokens: dict[str, str] = field(default_factory=dict)  # role -> token
    passwords: dict[str, str] = field(default_factory=dict)  # email -> password

    def public_mask(self) -> np.ndarray:
        stored = pd.read_csv(self.truth_path, dtype=str)
        order = stored.set_index("id").loc[self.truth["id"], "Usage"]
        return (order == "Public").to_numpy()


def seed_contest(
    db: Database,
    storage_dir: Path,
    tmp: Path,
    *,
    teams: int = 3,
    rows: int = 200,
    metric: str = "roc_auc",
    start_offset: timedelta = timedelta(hours=-1),
    end_offset: timedelta = timedelta(hours=2),
    freeze_offset: timedelta | None = None,
    daily_limit: int | None = 20,
    max_file_mb: float | None = None,
) -> Contest:
    kind = "binary" if metric in ("roc_auc", "accuracy", "log_loss", "f1_macro") else "numeric"
    truth = truth_frame(rows, seed=rows, kind=kind)
    truth_file = tmp / "truth.csv"
    truth.to_csv(truth_file, index=False)
    now = utcnow()
    with db.begin() as session:
        event = create_event(
            session,
            "test-event",
            "테스트 대회",
            (now + start_offset).isoformat(),
            (now + end_offset).isoformat(),
            (now + freeze_offset).isoformat() if freeze_offset is not None else None,
        )
        task = create_task(
            session,
            event,
            "t1",
            metric=metric,
            truth=truth_file,
            storage_dir=storage_dir,
            daily_limit=daily_limit,
            max_file_mb=max_file_mb,
        )
        roster = pd.DataFrame(
            [(f"팀{i}", f"소속{i}", f"참가자{i}", f"p{i}@test.kr") for i in range(teams)],
            columns=["team", "affiliation", "name", "email"],
        )
        contest = Contest(event.slug, task.slug, metric, truth, Path(task.truth_path))
        for cred in import_teams(session, event, roster):
            user = session.scalars(select(User).where(User.email == cred.email)).one()
            contest.tokens[cred.team] = new_token(session, user)
            contest.passwords[cred.email] = cred.password
        for role in (Role.ORGANIZER, Role.JUDGE):
            user, password = create_user(session, f"{role.value}@test.kr", role)
            contest.staff_tokens[role.value] = new_token(session, user)
            contest.passwords[user.email] = password
    return contest


@dataclass
class Proc:
    """A hackjudge subprocess with its log, stopped by the fixture that started it."""

    popen: subprocess.Popen
    log: Path
    url: str = ""

    def stop(self) -> None:
        """Stop the process and its children (an RQ worker forks a scheduler)."""
        if self.popen.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.popen.wait(5)
        # Children outlive a parent killed by a test (SIGKILL mid-job): end them too.
        self._signal_group(signal.SIGKILL)

    def _signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def spawn(args: list[str], env: dict[str, str], log: Path) -> Proc:
    full_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
    handle = log.open("wb")
    popen = subprocess.Popen(
        [HACKJUDGE, *args],
        env=full_env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so stop() reaches its children
    )
    return Proc(popen, log)


def start_server(env: dict[str, str], log: Path, port: int) -> Proc:
    proc = spawn(["serve", "--port", str(port)], env, log)
    proc.url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if proc.popen.poll() is not None:
            raise AssertionError(f"server exited:\n{proc.output()}")
        try:
            return requests.get(proc.url + "/api/v1/openapi.json", timeout=2).ok
        except requests.ConnectionError:
            return False

    wait_for(up, 60, "the server to answer")
    return proc


def server_in(env: dict[str, str], spawned: list[Proc], tmp_path: Path, name: str) -> Proc:
    """``hackjudge serve`` on a free port, stopped with the test's other ``spawned`` ones."""
    proc = start_server(env, tmp_path / f"{name}.log", free_port())
    spawned.append(proc)
    return proc


def worker_in(
    env: dict[str, str], spawned: list[Proc], tmp_path: Path, name: str, queue: str | None = None
) -> Proc:
    """``hackjudge worker`` (``--queue queue``), stopped with the test's other ``spawned``
    ones."""
    proc = spawn(["worker", *(["--queue", queue] if queue else [])], env, tmp_path / f"{name}.log")
    spawned.append(proc)
    return proc


def settings_from_env(env: dict[str, str]) -> Settings:
    """The settings a process started with ``env`` runs with."""
    return Settings(
        instance_dir=Path(env["HACKJUDGE_INSTANCE_DIR"]),
        database_url=env["HACKJUDGE_DATABASE_URL"],
        redis_url=env.get("HACKJUDGE_REDIS_URL") or None,
        storage_dir=Path(env["HACKJUDGE_STORAGE_DIR"]),
        secret_key="test",
    )


def settle(app: Any) -> None:
    """Wait for the embedded app's scoring jobs and trailing board pushes to finish."""
    runtime = app.extensions["hackjudge"]
    assert runtime.dispatcher.drain(60), "scoring jobs still running after 60 s"
    assert runtime.publisher.wait_idle(10), "board pushes still pending after 10 s"


def move_event(**changes: object) -> None:
    """Change the seeded event (``end_at``, ``freeze_at``…) in the in-process app's database."""
    from app.extensions import db
    from core.models import Event

    with db.begin() as session:
        event = session.scalars(select(Event)).one()
        for name, value in changes.items():
            setattr(event, name, value)


def seed_env(env: dict[str, str], tmp: Path, **options: Any) -> Contest:
    """Seed a contest into the database and storage a spawned server will use."""
    database = Database()
    database.configure(env["HACKJUDGE_DATABASE_URL"])
    try:
        return seed_contest(database, Path(env["HACKJUDGE_STORAGE_DIR"]), tmp, **options)
    finally:
        assert database.engine is not None
        database.engine.dispose()


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """A ``hackjudge`` command as typed in a terminal; its result, whatever it is."""
    return subprocess.run(
        [HACKJUDGE, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120
    )


def cli(env: dict[str, str], *args: str) -> str:
    """Run a ``hackjudge`` command as an organizer would; its stdout, or fail with stderr."""
    done = run_cli(env, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


@contextlib.contextmanager
def env_session(env: dict[str, str]) -> Iterator[Session]:
    """One transaction in the database a spawned server of ``env`` uses (committed on exit)."""
    database = Database()
    database.configure(env["HACKJUDGE_DATABASE_URL"])
    try:
        with database.begin() as session:
            yield session
    finally:
        assert database.engine is not None
        database.engine.dispose()


def event_row(env: dict[str, str], slug: str) -> Any:
    """The event ``slug`` as stored in ``env``'s database now."""
    from core.models import Event

    with env_session(env) as session:
        return session.scalars(select(Event).where(Event.slug == slug)).one()


def end_event_now(env: dict[str, str]) -> None:
    """The deadline of the seeded event passes (as the clock would), in ``env``'s database."""
    from core.models import Event

    with env_session(env) as session:
        session.scalars(select(Event)).one().end_at = utcnow() - timedelta(seconds=1)


def browser_sign_in(browser: Any, server: Proc, email: str, password: str, **page: Any) -> Any:
    """A new Chromium page signed in as ``email`` (``browser``: a browser or a context of one;
    ``page``: new_page options)."""
    tab = browser.new_page(**page)
    tab.goto(f"{server.url}/login")
    tab.fill('input[name="email"]', email)
    tab.fill('input[name="password"]', password)
    tab.click('button[type="submit"]')
    tab.wait_for_load_state()
    return tab


# A custom metric as a package author ships it: a module with ``score`` and its direction.
CUSTOM_METRIC = "max_abs_error"
CUSTOM_PACKAGE = '''
from core.errors import ParticipantVisibleError

higher_is_better = False


def score(solution, submission, id_column):
    """The largest absolute error; negative predictions are refused."""
    merged = solution.merge(submission, on=id_column, suffixes=("", "_pred"))
    pred = merged["target_pred"].astype(float)
    if (pred < 0).any():
        raise ParticipantVisibleError("Predictions must not be negative.")
    return float((merged["target"].astype(float) - pred).abs().max())
'''


def install_custom_metric(site: Path) -> Path:
    """Lay out a distribution declaring the ``max_abs_error`` entry point in ``site``, as pip
    would; put ``site`` on ``sys.path`` (or ``PYTHONPATH`` for a process) to install it."""
    site.mkdir(parents=True, exist_ok=True)
    (site / "hj_maxerr.py").write_text(CUSTOM_PACKAGE)
    info = site / "hj_maxerr-0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hj-maxerr\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[hackjudge.metrics]\n{CUSTOM_METRIC} = hj_maxerr\n")
    return site


@contextlib.contextmanager
def each_statement_sent(
    db: Database, note: Callable[..., None], when: str = "before_cursor_execute"
) -> Iterator[None]:
    """``note(connection, cursor, statement, …)`` called for every statement ``db`` sends while
    inside (SQLAlchemy's ``before_cursor_execute``, or ``when``): for tests that count round
    trips, or act between them."""
    from sqlalchemy import event as sa_event

    assert db.engine is not None
    sa_event.listen(db.engine, when, note)
    try:
        yield
    finally:
        sa_event.remove(db.engine, when, note)
