"""``hackjudge demo``: an embedded event from scikit-learn's bundled data sets, with bot teams.

The bots train real models on a growing share of the features, so their scores improve over
time and the board moves; they submit through the same intake as everyone else.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import time
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sqlalchemy import select

from app import demo_code
from app.demo_projects import fill_projects
from app.extensions import db, socketio
from config import DEFAULT_INSTANCE, Settings
from core.db import utcnow
from core.models import Role, TaskKind, User
from judge.code_runs import sandbox_problem
from organize.accounts import create_user
from organize.code_tasks import CodeSettings
from organize.events import create_event
from organize.tasks import create_task
from organize.teams import import_teams
from review.reviews import add_criterion, assign_judges
from scoreboard.ceremony import announce

log = logging.getLogger(__name__)
SLUG = "demo"
LOGINS_FILE = "logins.txt"  # in the demo folder, beside the database it belongs to
# What Werkzeug's and Flask-SocketIO's development server say at every start: true of a
# production deployment, noise in a demo on the organizer's laptop (and the two contradict
# each other: "development server" vs "used in a production deployment").
DEV_SERVER_NOTICES = (
    "This is a development server",
    "appears to be used in a production deployment",
    "Press CTRL+C to quit",  # the demo's own block says so, last
)
BOT_TEAMS = [
    ("알파코더즈", "서울캠퍼스"),
    ("딥러닝 탐험대", "부산캠퍼스"),
    ("그래디언트", "대전캠퍼스"),
    ("오버피팅 방지단", "광주캠퍼스"),
    ("랜덤포레스트", "서울캠퍼스"),
    ("배치노멀", "대구캠퍼스"),
    ("하이퍼파라미터", "부산캠퍼스"),
    ("텐서플로우즈", "대전캠퍼스"),
]


@dataclass(frozen=True)
class DemoTask:
    slug: str
    title: str
    metric: str
    loader: str
    classifier: bool


TASKS = [
    DemoTask("cancer", "유방암 진단 (breast cancer)", "roc_auc", "load_breast_cancer", True),
    DemoTask("diabetes", "당뇨 진행도 예측 (diabetes)", "rmse", "load_diabetes", False),
    DemoTask("digits", "손글씨 숫자 분류 (digits)", "accuracy", "load_digits", True),
]


@dataclass
class Split:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    ids: list[str]


@dataclass
class Credentials:
    lines: list[tuple[str, str, str]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # said before the logins

    def logins(self) -> list[str]:
        return [f"{role:<12} {email:<28} {password}" for role, email, password in self.lines]

    def describe(self, host: str, port: int, logins_file: Path) -> str:
        """The console's block: the logins come last, so they stay on screen."""
        url = f"http://{host}:{port}"
        out = [
            "",
            "hackjudge demo — 끝장개발대회 데모",
            # prepare_demo wiped the last run: whoever kept its passwords must know.
            "  실행할 때마다 새로 시작합니다: 이전 데모의 데이터와 비밀번호는 새로 바뀌었습니다.",
            "  Each run starts afresh: the previous demo's data and passwords have been replaced.",
            f"  public board : {url}/events/{SLUG}",
            f"  team page    : {url}/events/{SLUG}/team",
            f"  projector    : {url}/events/{SLUG}/projector",
            f"  API document : {url}/api/v1/openapi.json",
            "  files to try on the team page:",
        ]
        out += [f"    {path}" for path in self.files]
        out += [f"  {note}" for note in self.notes]
        out += [
            "  Ctrl+C로 끝냅니다 · Ctrl+C stops the demo; --verbose prints every request.",
            f"  로그인 · sign in with (also in {logins_file}):",
        ]
        out += [f"    {line}" for line in self.logins()]
        return "\n".join(out) + "\n"

    def write_logins(self, folder: Path, host: str, port: int) -> Path:
        """The logins in ``folder``/logins.txt, readable by the owner alone (they are passwords)."""
        path = folder / LOGINS_FILE
        text = "\n".join(
            [
                "# hackjudge demo: replaced with new passwords on every run",
                f"# http://{host}:{port}/login",
                *self.logins(),
            ]
        )
        # Created 0600 rather than chmod-ed after: never readable by others, even for a moment.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        return path


class _DemoConsole(logging.Filter):
    """The web server's records a demo's console shows: errors always, the access log only
    when asked for (``--verbose``), the development-server notices never."""

    def __init__(self, verbose: bool) -> None:
        super().__init__()
        self.verbose = verbose

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            return True
        text = record.getMessage()
        if any(notice in text for notice in DEV_SERVER_NOTICES):
            return False
        # Werkzeug's other INFO records are the access log: one line per request.
        return self.verbose or record.levelno >= logging.WARNING


def quiet_console(verbose: bool) -> None:
    """Keep the demo's console to its own block, warnings and errors.

    Call it after the app is built: create_app sets the root logger to INFO.
    """
    # Bots fitting logistic regressions on raw, unscaled features hit max_iter now and then:
    # a worse bot is what the demo wants, the warning is noise. Only this category goes.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    level = logging.INFO if verbose else logging.WARNING
    logging.getLogger().setLevel(level)  # the bots' notes (e.g. a daily limit reached): INFO
    # Werkzeug sets its logger to INFO on first use unless a level is there already, and
    # propagated records ignore the root's level: the access log is stopped here.
    server = logging.getLogger("werkzeug")
    server.setLevel(level)
    for old in [f for f in server.filters if isinstance(f, _DemoConsole)]:
        server.removeFilter(old)
    server.addFilter(_DemoConsole(verbose))


def port_taken(host: str, port: int) -> bool:
    """Whether the web server could not listen on ``host:port`` (checked before the wipe)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as Werkzeug chooses
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As Werkzeug binds: a port held only by closed connections (TIME_WAIT) is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def when_listening(host: str, port: int, then: Callable[[], None], wait: float = 60.0) -> None:
    """Call ``then`` in the background once ``host:port`` accepts connections (or after
    ``wait`` seconds, so what it prints is never lost): after the server's start-up lines."""
    target = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)

    def watch() -> None:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                # A bare connection and close: the server logs no request for it.
                with socket.create_connection((target, port), timeout=1):
                    break
            except OSError:
                socketio.sleep(0.05)
        then()

    socketio.start_background_task(watch)


def prepare_demo() -> Settings:
    """Fresh embedded settings under <instance>/demo (wiped each run, never Redis)."""
    base = Path(os.environ.get("HACKJUDGE_INSTANCE_DIR") or DEFAULT_INSTANCE) / "demo"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    return Settings(
        instance_dir=base,
        database_url=f"sqlite:///{base / 'demo.sqlite'}",
        redis_url=None,
        storage_dir=base / "storage",
    )


def load_split(task: DemoTask) -> Split:
    data = getattr(datasets, task.loader)()
    x_train, x_test, y_train, _y_test, _i, idx_test = train_test_split(
        data.data, data.target, np.arange(len(data.target)), test_size=0.4, random_state=7
    )
    ids = [f"{task.slug[:2].upper()}{i:04d}" for i in idx_test]
    return Split(x_train, y_train, x_test, ids)


def _truth_file(task: DemoTask, folder: Path) -> Path:
    data = getattr(datasets, task.loader)()
    split = load_split(task)
    index = {f"{task.slug[:2].upper()}{i:04d}": i for i in range(len(data.target))}
    target = [data.target[index[i]] for i in split.ids]
    path = folder / f"{task.slug}_truth.csv"
    pd.DataFrame({"id": split.ids, "target": target}).to_csv(path, index=False)
    return path


def seed_demo(settings: Settings) -> Credentials:
    """Users, the event, three tasks, bot teams and one team for the person trying the demo."""
    creds = Credentials()
    work = settings.instance_dir / "seed"
    work.mkdir(exist_ok=True)
    with db.begin() as session:
        staff = (
            (Role.ORGANIZER, "organizer@demo.kr", "김운영"),
            (Role.JUDGE, "judge@demo.kr", "이심사"),
        )
        for role, email, name in staff:
            _user, password = create_user(session, email, role, name=name)
            creds.lines.append((role.value, email, password))
        now = utcnow()
        event = create_event(
            session,
            SLUG,
            "끝장개발대회 데모",
            (now - timedelta(hours=1)).isoformat(),
            (now + timedelta(days=2)).isoformat(),
        )
        for t in TASKS:
            create_task(
                session,
                event,
                t.slug,
                metric=t.metric,
                truth=_truth_file(t, work),
                storage_dir=settings.storage_dir,
                title=t.title,
                daily_limit=200,
                decimals=4,
                # The test rows' features: what a final pick's code is verified on.
                code=CodeSettings(_inputs_file(t, work), kind=TaskKind.PREDICTIONS),
            )
        truth, code = demo_code.task_files(work)
        create_task(
            session,
            event,
            demo_code.SLUG,
            metric=demo_code.METRIC,
            truth=truth,
            storage_dir=settings.storage_dir,
            title=demo_code.TITLE,
            daily_limit=200,
            decimals=4,
            code=code,
        )
        roster = pd.DataFrame(
            [
                (name, aff, f"{name} 팀원", f"bot{i}@demo.kr")
                for i, (name, aff) in enumerate(BOT_TEAMS)
            ]
            + [("우리팀", "데모캠퍼스", "참가자", "team@demo.kr")],
            columns=["team", "affiliation", "name", "email"],
        )
        for cred in import_teams(session, event, roster):
            if cred.email == "team@demo.kr":
                creds.lines.append(("participant", cred.email, cred.password))
        welcome = "끝장개발대회 데모에 오신 것을 환영합니다! 봇 팀들이 제출 중입니다."
        announce(session, event, welcome, None, now)
        # A rubric and an assignment, so the judge account has teams to review at once; two
        # criteria name the part they judge, so the judge's page links them to it.
        organizer = session.scalars(select(User).where(User.email == "organizer@demo.kr")).one()
        for name, weight, part in (
            ("기술성: 코드와 모델", 40, "code"),
            ("창의성", 30, ""),
            ("완성도: 데모", 30, "demo"),
        ):
            add_criterion(session, event, organizer, name, weight, 10, judges=part)
        assign_judges(session, event, organizer, per_team=1, top_n=None)
    # The bot teams' projects (issue 17), for the judge's pages, the gallery and the exports.
    fill_projects(SLUG, [name for name, _aff in BOT_TEAMS], Path(settings.storage_dir))
    creds.files = _files_to_try(settings.instance_dir)
    if (problem := sandbox_problem()) is not None:
        creds.notes.append(f"코드 과제는 실행되지 않습니다 · programs cannot run here: {problem}")
    return creds


def _inputs_file(task: DemoTask, folder: Path) -> Path:
    """The test rows' features under their ids (``f0``, ``f1``, …), as teams would get them."""
    split = load_split(task)
    columns = {f"f{i}": split.x_test[:, i] for i in range(split.x_test.shape[1])}
    path = folder / f"{task.slug}_test.csv"
    pd.DataFrame({"id": split.ids, **columns}).to_csv(path, index=False)
    return path


CANCER_PROGRAM = """\
# The code behind cancer_good.csv: attach it to that file's final pick, then verify.
import pandas as pd
from sklearn.linear_model import LogisticRegression

train = pd.read_csv("train.csv")
test = pd.read_csv("/input/cancer_test.csv", dtype={"id": str})
columns = [c for c in test.columns if c != "id"]
model = LogisticRegression(max_iter=5000).fit(train[columns], train["target"])
pd.DataFrame({"id": test["id"], "target": model.predict_proba(test[columns])[:, 1]}).to_csv(
    "/output/submission.csv", index=False
)
"""


def _code_of_good_file(split: Split, path: Path) -> Path:
    """A .zip that reproduces cancer_good.csv in the sandbox (its training data inside)."""
    train = pd.DataFrame({f"f{i}": split.x_train[:, i] for i in range(split.x_train.shape[1])})
    train["target"] = split.y_train
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("main.py", CANCER_PROGRAM)
        archive.writestr("train.csv", train.to_csv(index=False))
    return path


def _files_to_try(folder: Path) -> list[Path]:
    target = folder / "try"
    target.mkdir(exist_ok=True)
    split = load_split(TASKS[0])
    model = LogisticRegression(max_iter=5000).fit(split.x_train, split.y_train)
    good = pd.DataFrame({"id": split.ids, "target": model.predict_proba(split.x_test)[:, 1]})
    paths = [target / "cancer_good.csv", target / "cancer_missing_ids.csv"]
    # CP949, as Korean Excel saves it: the reader copes.
    good.to_csv(paths[0], index=False, encoding="cp949")
    good.iloc[:-10].to_csv(paths[1], index=False)
    code = _code_of_good_file(split, target / "cancer_code.zip")
    return [*paths, code, demo_code.program_to_try(target)]
