"""Code tasks through the API, embedded (issue 16): a program uploaded, run in the real
sandbox on the hidden inputs, its output scored exactly as the same file uploaded would be;
its failures in the team's words; the dry run on the sample; who sees which log."""

from __future__ import annotations

import io
import os
import signal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from config import Settings
from core.models import Event, Submission, Task, Team
from organize.code_tasks import CodeSettings
from organize.tasks import create_task, update_task
from tests.actions import Api, bearer
from tests.helpers import Contest, prediction_csv, wait_for

pytestmark = pytest.mark.slow

# A program a team writes: reads the hidden inputs, writes its predictions. The answers are
# planted in its own source (what a team "knows"), so the test compares like with like.
PROGRAM = """\
import csv, sys
answers = {answers!r}
with open("/input/test.csv", newline="") as f:
    rows = list(csv.DictReader(f))
print("rows read:", len(rows), "first id:", rows[0]["id"], file=sys.stderr)
with open("/output/submission.csv", "w", newline="") as out:
    out.write("id,target\\n")
    for row in rows:
        out.write(f"{{row['id']}},{{answers[row['id']]}}\\n")
"""


def code_task(
    settings: Settings,
    contest: Contest,
    tmp_path: Path,
    total_limit: int | None = None,
    **limits: int,
) -> str:
    """A code task beside the contest's: the same truth and split, its features as the
    hidden inputs."""
    inputs = tmp_path / "test.csv"
    frame = contest.truth[["id"]].copy()
    frame["feature"] = range(len(frame))
    frame.to_csv(inputs, index=False)
    with db.begin() as session:
        event = session.scalars(select(Event)).one()
        create_task(
            session,
            event,
            "code1",
            metric=contest.metric,
            truth=contest.truth_path,  # as stored: with its Usage column
            usage_column="Usage",
            total_limit=total_limit,
            storage_dir=settings.storage_dir,
            code=CodeSettings(inputs, None, **limits),
        )
    return "code1"


def answers_of(csv_bytes: bytes) -> dict[str, str]:
    lines = csv_bytes.decode().strip().splitlines()[1:]
    return dict(line.split(",", 1) for line in lines)


def test_program_scores_what_its_output_would_score_uploaded(
    app: Flask, client: FlaskClient, settings: Settings, contest: Contest, tmp_path: Path, api: Api
) -> None:
    task = code_task(settings, contest, tmp_path)
    predictions = prediction_csv(contest.truth, noise=0.4, seed=3)
    # The same file, uploaded to the predictions task of the same truth.
    uploaded = api.finished(api.submit("팀0", predictions))
    program = PROGRAM.format(answers=answers_of(predictions)).encode()
    ran = api.finished(api.submit("팀1", program, "main.py", task=task), timeout=120)
    assert ran["status"] == "scored", ran
    assert ran["public_score"] == uploaded["public_score"]
    assert ran["private_score"] == uploaded["private_score"]
    assert ran["run"]["outcome"] == "exited" and ran["run"]["exit_code"] == 0
    assert ran["run"]["elapsed_s"] > 0 and ran["run"]["peak_memory_bytes"] > 0
    assert "rows read" in ran["run"]["log"]  # staff see the hidden run's output
    team_view = api.submission(ran["public_id"], token=contest.tokens["팀1"])
    assert team_view["run"]["exit_code"] == 0 and "log" not in team_view["run"]
    assert "private_score" not in team_view
    # The judges' page shows the head of what was scored: the output, not the program.
    with db.begin() as session:
        team_id = session.scalars(select(Team.id).where(Team.name == "팀1")).one()
    api.sign_in("organizer@test.kr")
    page = client.get(f"/events/{contest.event}/review/teams/{team_id}").get_data(as_text=True)
    first_id = str(contest.truth["id"].iloc[0])  # the program writes the inputs' order
    first_row = f"{first_id},{answers_of(predictions)[first_id]}"
    assert first_row in page and "answers = " not in page


@pytest.mark.parametrize(
    ("source", "status_words"),
    [
        ("import time\nwhile True: pass\n", "time limit of 2 s"),
        ("import sys\nsys.exit(3)\n", "exited with status 3"),
        ("print('nothing written')\n", "without writing /output/submission.csv"),
        ("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n", "killed by signal 11"),
        ("x = bytearray(600 * 1024 * 1024)\n", "ran out of memory (the limit is 256 MB)"),
    ],
)
def test_failing_programs_are_told_why_and_count(
    app: Flask,
    settings: Settings,
    contest: Contest,
    tmp_path: Path,
    api: Api,
    source: str,
    status_words: str,
) -> None:
    task = code_task(settings, contest, tmp_path, total_limit=1, time_limit_s=2, memory_mb=256)
    sent = api.submit("팀1", source.encode(), "main.py", task=task)
    ran = api.finished(sent, timeout=120, lang="en")
    assert ran["status"] == "invalid"
    assert status_words in ran["error"]
    assert ran["run"]["outcome"] in ("time_limit", "exited", "crashed", "memory_limit")
    # Every run on the hidden inputs counts against the quota, whatever became of it: a
    # program could otherwise read the hidden inputs a few bits a crash, for free.
    again = api.upload("팀1", source.encode(), "main.py", task=task)
    assert again.status_code == 429 and again.json["error"]["code"] == "total_quota"


def test_dry_run_shows_the_team_its_output_and_counts_nothing(
    app: Flask, client: FlaskClient, settings: Settings, contest: Contest, tmp_path: Path, api: Api
) -> None:
    task = code_task(settings, contest, tmp_path)
    predictions = prediction_csv(contest.truth, noise=0.4, seed=3)
    program = PROGRAM.format(answers=answers_of(predictions)).encode()
    token = contest.tokens["팀1"]
    reply = client.post(
        api.submissions_path(task) + "?dry_run=1",
        headers=bearer(token),
        data={"file": (io.BytesIO(program), "main.py")},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 202, reply.json
    run_id = reply.json["id"]
    api.settle()
    run = wait_for(
        lambda: (
            (r := client.get(f"/api/v1/runs/{run_id}", headers=bearer(token)).json)["status"]
            == "done"
            and r
        ),
        60,
    )
    assert run["outcome"] == "exited" and run["message"] == ""
    assert "rows read: 10" in run["log"]  # the sample: the inputs' first 10 rows
    with db.begin() as session:  # no submission, so no quota used, no board row
        code = session.scalars(select(Task).where(Task.slug == task)).one()
        assert session.scalars(select(Submission).where(Submission.task_id == code.id)).all() == []
    other = client.get(f"/api/v1/runs/{run_id}", headers=bearer(contest.tokens["팀0"]))
    assert other.status_code == 404


def test_an_invalid_hidden_output_tells_the_team_nothing_of_the_inputs(
    app: Flask, settings: Settings, contest: Contest, tmp_path: Path, api: Api
) -> None:
    """A program that writes the hidden inputs into its output's cells, hoping the validator
    quotes them back: the team reads that the output is not valid, staff read why."""
    task = code_task(settings, contest, tmp_path)
    leak = (
        "import csv\n"
        "rows = list(csv.DictReader(open('/input/test.csv')))\n"
        "with open('/output/submission.csv', 'w') as out:\n"
        "    out.write('id,target\\n')\n"
        "    for row in rows:\n"
        "        out.write(f\"{row['id']},SECRET{row['feature']}\\n\")\n"
    )
    sent = api.submit("팀1", leak.encode(), "leak.py", task=task)
    team = api.finished(sent, timeout=120, token=contest.tokens["팀1"], lang="en")
    assert team["status"] == "invalid" and "dry run" in team["error"]
    assert "SECRET" not in str(team)
    staff = api.submission(sent)
    assert "SECRET" in staff["staff_error"]


# Writes a valid output (a constant guess for every id of the hidden inputs) after ``attack``.
AFTER = """\
import csv, os, signal
{attack}
rows = list(csv.DictReader(open("/input/test.csv")))
with open("/output/submission.csv", "w") as out:
    out.write("id,target\\n" + "".join(f"{{row['id']}},0.5\\n" for row in rows))
"""


@pytest.mark.parametrize(
    "attack",
    [
        "os.kill(os.getppid(), signal.SIGKILL)",
        "try:\n    os.kill(-1, signal.SIGKILL)\nexcept ProcessLookupError:\n    pass",
    ],
    ids=["kills its parent", "kill -9 -1"],
)
def test_a_program_that_kills_its_starter_is_scored_and_counts(
    app: Flask, settings: Settings, contest: Contest, tmp_path: Path, api: Api, attack: str
) -> None:
    """Killing the sandbox's starter took the run's report with it: the run was called the
    sandbox's fault, retried, then ``failed``, which the quota does not count, so a program
    could choose between that and a score, a bit about the hidden inputs per upload, for free.
    The starter is now out of the program's reach: the run goes on, is scored and counts."""
    task = code_task(settings, contest, tmp_path, total_limit=1)
    source = AFTER.format(attack=attack).encode()
    ran = api.finished(api.submit("팀1", source, "main.py", task=task), timeout=120)
    assert ran["status"] == "scored", ran
    assert ran["run"]["outcome"] == "exited" and ran["run"]["exit_code"] == 0
    again = api.upload("팀1", source, "main.py", task=task)
    assert again.status_code == 429 and again.json["error"]["code"] == "total_quota"


def test_a_run_that_loses_its_report_is_the_programs_and_counts(
    app: Flask, settings: Settings, contest: Contest, tmp_path: Path, api: Api
) -> None:
    """Should the starter die anyway once the program runs (the host kills it here: nothing
    inside can), the run is the program's: ``invalid`` with its own message, counted, never the
    sandbox's fault (``failed``, retried, not counted)."""
    task = code_task(settings, contest, tmp_path, total_limit=1)
    token = f"lost-report-{os.getpid()}-{id(tmp_path)}"
    source = f"import select\n# {token}\nselect.select([], [], [])\n".encode()
    sent = api.submit("팀1", source, "main.py", task=task)
    program = wait_for(lambda: _process_running(token), 60, "the program to start")
    os.kill(_parent_of(program), signal.SIGKILL)  # its starter
    ran = api.finished(sent, timeout=120, lang="en")
    assert ran["status"] == "invalid", ran
    assert ran["run"]["outcome"] == "no_report"
    assert "stopped the process that started it" in ran["error"]
    again = api.upload("팀1", source, "main.py", task=task)
    assert again.status_code == 429 and again.json["error"]["code"] == "total_quota"


def _process_running(token: str) -> int | None:
    """The host's pid of the sandboxed program whose source holds ``token``."""
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if token in Path(f"/proc/{name}/root/code/main.py").read_text():
                    cmdline = Path(f"/proc/{name}/cmdline").read_bytes()
                    if b"/sandbox/init.py" not in cmdline:
                        return int(name)
            except (OSError, UnicodeDecodeError):
                continue
    return None


def _parent_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    return int(next(line for line in status if line.startswith("PPid:")).split()[1])


def test_a_rescore_tells_the_team_nothing_of_the_inputs_either(
    app: Flask, client: FlaskClient, settings: Settings, contest: Contest, tmp_path: Path, api: Api
) -> None:
    """A program's output valid under the task's metric (its cells: the hidden inputs' feature,
    a number) becomes invalid when the organizer changes the metric (log loss wants
    probabilities) and rescores: the validator's words quote those cells, so the team reads only
    that the output is not valid; staff read why, as after a hidden run."""
    task = code_task(settings, contest, tmp_path)
    leak = (
        "import csv\n"
        "rows = list(csv.DictReader(open('/input/test.csv')))\n"
        "with open('/output/submission.csv', 'w') as out:\n"
        "    out.write('id,target\\n')\n"
        "    for row in rows:\n"
        "        out.write(f\"{row['id']},{70000 + int(row['feature'])}\\n\")\n"
    )
    sent = api.submit("팀1", leak.encode(), "leak.py", task=task)
    assert api.finished(sent, timeout=120)["status"] == "scored"
    with db.begin() as session:
        code = session.scalars(select(Task).where(Task.slug == task)).one()
        update_task(session, code, storage_dir=settings.storage_dir, metric="log_loss")
    reply = client.post(
        f"/api/v1/events/{contest.event}/tasks/{task}/rescore",
        headers=bearer(contest.staff_tokens["organizer"]),
    )
    assert reply.status_code == 202, reply.json
    api.settle()
    team = api.submission(sent, token=contest.tokens["팀1"], lang="en")
    assert team["status"] == "invalid" and "dry run" in team["error"], team
    assert "7000" not in str(team) and "outside" not in str(team)
    staff = api.submission(sent)
    assert "outside [0, 1]" in staff["staff_error"] and "7000" in staff["staff_error"]
