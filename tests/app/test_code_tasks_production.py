"""Code tasks in production, as an organizer and a team use them (issue 16): the task made
with the CLI, a program sent with ``hackjudge submit`` to ``hackjudge serve``, run by a real
``hackjudge worker --queue code`` in the sandbox; a code worker whose sandbox fails runs
nothing, and programs are refused until one that works starts."""

from __future__ import annotations

import io
import os
import signal
import zipfile
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
import requests
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy import select

from core.models import CodeRun, Submission, Task
from judge.code_runs import LOST_AFTER_LIMIT
from judge.runner import code_queue_name
from tests.actions import Api
from tests.helpers import (
    Contest,
    cli,
    end_event_now,
    env_session,
    prediction_csv,
    run_cli,
    seed_env,
    server_in,
    wait_for,
    worker_in,
)

pytestmark = pytest.mark.slow

PROGRAM = """\
import pandas as pd
answers = pd.read_csv("answers.csv", dtype=str)  # what the team brought in its .zip
features = pd.read_csv("/input/test_features.csv", dtype={"id": str})
print("hidden rows:", len(features))
answers.set_index("id").loc[features["id"]].reset_index().to_csv(
    "/output/submission.csv", index=False
)
"""


def make_code_task(env: dict[str, str], contest: Contest, tmp_path: Path) -> str:
    inputs = tmp_path / "test_features.csv"
    features = contest.truth[["id"]].assign(x1=range(len(contest.truth)))
    features.to_csv(inputs, index=False)
    out = cli(
        env,
        "task", "create", contest.event, "code1",
        "--metric", contest.metric,
        "--truth", str(contest.truth_path),  # as stored: its Usage column, the same split
        "--usage-column", "Usage",
        "--kind", "code",
        "--inputs", str(inputs),
        "--time-limit", "60",
        "--memory", "1G",
    )  # fmt: skip
    assert "programs read /input/test_features.csv, 60 s, 1024 MB" in out
    return "code1"


def with_hidden_inputs(env: dict[str, str], contest: Contest, tmp_path: Path) -> str:
    """The scoring task given hidden inputs (the winners' code is verified on them) with the
    CLI; what it printed."""
    inputs = tmp_path / "test_features.csv"
    contest.truth[["id"]].assign(x1=1).to_csv(inputs, index=False)
    return cli(env, "task", "update", contest.event, contest.task, "--inputs", str(inputs))


def bundle(predictions: bytes, program: str = PROGRAM) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("solution/main.py", program)
        archive.writestr("solution/answers.csv", predictions)
    return buffer.getvalue()


def test_a_program_sent_with_the_cli_scores_as_its_output_would(
    production_env: dict[str, str], spawned: list, tmp_path: Path
) -> None:
    env = production_env
    contest = seed_env(env, tmp_path)
    task = make_code_task(env, contest, tmp_path)
    server = server_in(env, spawned, tmp_path, "web")
    worker_in(env, spawned, tmp_path, "worker")
    worker_in(env, spawned, tmp_path, "code-worker", queue="code")
    api = Api(server, contest)
    predictions = prediction_csv(contest.truth, noise=0.3, seed=5)
    uploaded = api.finished(api.submit("팀0", predictions), timeout=60)

    program = tmp_path / "solution.zip"
    program.write_bytes(bundle(predictions))
    team = {"HACKJUDGE_SERVER": server.url, "HACKJUDGE_TOKEN": contest.tokens["팀1"]}
    done = run_cli({**env, **team}, "submit", contest.event, task, str(program), "--wait")
    assert done.returncode == 0, done.stderr
    assert f"public score {uploaded['public_score']!r}" in done.stdout

    # Staff see how it ran and what it printed; the team sees how it ran, not its output.
    with env_session(env) as session:
        ran = session.scalars(select(Submission.id).join(Task).where(Task.slug == task)).one()
    full = api.submission(ran)
    assert full["private_score"] == uploaded["private_score"]
    assert full["run"]["outcome"] == "exited" and "hidden rows: 200" in full["run"]["log"]
    mine = api.submission(full["public_id"], token=contest.tokens["팀1"])
    assert mine["run"]["elapsed_s"] > 0 and "log" not in mine["run"]

    # The starter kit: a program that runs as is, the sample inputs, the package list.
    kit = requests.get(
        f"{server.url}/api/v1/events/{contest.event}/tasks/{task}/starter.zip", timeout=30
    )
    names = zipfile.ZipFile(io.BytesIO(kit.content)).namelist()
    assert sorted(names) == ["README.txt", "input/test_features.csv", "main.py", "requirements.txt"]
    starter = zipfile.ZipFile(io.BytesIO(kit.content)).read("main.py")
    sample = zipfile.ZipFile(io.BytesIO(kit.content)).read("input/test_features.csv")
    assert len(pd.read_csv(io.BytesIO(sample))) == 10
    started = api.finished(api.submit("팀2", starter, "main.py", task=task), timeout=120)
    assert started["status"] == "scored", started


def test_a_code_worker_without_its_sandbox_runs_nothing(
    production_env: dict[str, str], spawned: list, tmp_path: Path
) -> None:
    env = production_env
    contest = seed_env(env, tmp_path)
    task = make_code_task(env, contest, tmp_path)
    server = server_in(env, spawned, tmp_path, "web")
    api = Api(server, contest)
    # A machine without bubblewrap: the worker says why and stops before taking a job.
    broken = run_cli({**env, "PATH": str(tmp_path / "empty")}, "worker", "--queue", "code")
    assert broken.returncode != 0
    assert "code tasks refused" in broken.stderr and "bwrap" in broken.stderr
    refused = api.upload("팀1", b"print(1)\n", "main.py", task=task)
    assert refused.status_code == 503 and refused.headers["Retry-After"]
    assert refused.json()["error"]["code"] == "sandbox_unavailable"
    assert "bwrap" not in refused.text  # the reason is the organizers', not the teams'

    # The organizers' dashboard says why until a working code worker starts (polling it, not
    # the upload: every refused upload counts against the hourly upload limit).
    dashboard = f"{server.url}/api/v1/events/{contest.event}/dashboard"
    organizer = {"Authorization": f"Bearer {contest.staff_tokens['organizer']}"}
    said = requests.get(dashboard, headers=organizer, timeout=10).json()["sandbox_refused"]
    assert "bwrap" in said
    worker_in(env, spawned, tmp_path, "code-worker", queue="code")
    wait_for(
        lambda: (
            requests.get(dashboard, headers=organizer, timeout=10).json()["sandbox_refused"] is None
        ),
        120,
        "a working code worker to clear the refusal",
    )
    accepted = api.upload("팀1", b"print(1)\n", "main.py", task=task)
    assert accepted.status_code == 202, accepted.text
    result = api.finished(accepted.json()["id"], timeout=60, token=contest.tokens["팀1"])
    assert result["status"] == "invalid" and "쓰지 않고 끝났습니다" in result["error"]


def test_the_organizer_verifies_the_winners_code_from_the_cli(
    production_env: dict[str, str], spawned: list, tmp_path: Path
) -> None:
    env = production_env
    contest = seed_env(env, tmp_path)
    out = with_hidden_inputs(env, contest, tmp_path)
    assert "winners' code verified on test_features.csv" in out
    server = server_in(env, spawned, tmp_path, "web")
    worker_in(env, spawned, tmp_path, "worker")
    worker_in(env, spawned, tmp_path, "code-worker", queue="code")
    api = Api(server, contest)
    for team, noise, forged in (("팀0", 0.2, False), ("팀1", 0.3, True)):
        token = contest.tokens[team]
        predictions = prediction_csv(contest.truth, noise=noise, seed=1)
        sub = api.finished(api.submit(team, predictions), token=token)
        auth = {"Authorization": f"Bearer {token}"}
        picked = requests.post(f"{server.url}/api/v1/submissions/{sub['id']}/final", headers=auth)
        assert picked.status_code == 200
        # 팀1's code is not what made its pick: a better file, by hand, than its code writes.
        code = prediction_csv(contest.truth, noise=0.9, seed=2) if forged else predictions
        attached = requests.post(
            f"{server.url}/api/v1/submissions/{sub['id']}/code",
            headers=auth,
            files={"file": ("solution.zip", bundle(code), "application/zip")},
            timeout=30,
        )
        assert attached.status_code == 201, attached.text
    end_event_now(env)
    done = run_cli(env, "verify", contest.event, "--top", "2")
    assert done.returncode == 1, done.stderr  # not every pick was reproduced
    lines = {line.split()[1]: line for line in done.stdout.splitlines()}
    assert " reproduced " in lines["팀0"] and "0/200 rows differ" in lines["팀0"]
    assert " differs " in lines["팀1"] and "reproduced 0." in lines["팀1"]
    assert "not every pick was reproduced" in done.stderr
    # Again, once every pick has its verdict: nothing runs again, and the verdicts are shown.
    again = run_cli(env, "verify", contest.event, "--top", "2")
    assert again.returncode == 1, again.stderr
    assert "verifying 0 final picks (2 already verified or on their way)" in again.stderr
    assert {line.split()[1]: line for line in again.stdout.splitlines()} == lines


def test_a_lost_dry_run_never_locks_the_team_out(
    production_env: dict[str, str], spawned: list, tmp_path: Path
) -> None:
    """No code worker yet: the team's dry run waits, and its next one replaces it. A worker
    killed mid-run leaves its run ``running``: the team waits while the run could still be
    alive, and goes again once it has outlived the time limit."""
    env = production_env
    contest = seed_env(env, tmp_path)
    task = make_code_task(env, contest, tmp_path)  # a time limit of 60 s
    server = server_in(env, spawned, tmp_path, "web")
    team = {"Authorization": f"Bearer {contest.tokens['팀1']}", "Accept-Language": "en"}
    runs = f"{server.url}/api/v1/runs"

    def dry_run(source: str) -> requests.Response:
        return requests.post(
            f"{server.url}/api/v1/events/{contest.event}/tasks/{task}/submissions?dry_run=1",
            headers=team,
            files={"file": ("main.py", source.encode(), "text/x-python")},
            timeout=30,
        )

    def run(run_id: str) -> dict:
        return requests.get(f"{runs}/{run_id}", headers=team, timeout=10).json()

    first = dry_run("print('first')\n")
    assert first.status_code == 202, first.text
    second = dry_run("print('second')\n")
    assert second.status_code == 202, second.text  # not 409 behind a run nobody takes
    replaced = run(first.json()["id"])
    assert replaced["status"] == "failed"
    assert replaced["message"] == "Replaced by a newer dry run before it started."

    worker = worker_in(env, spawned, tmp_path, "code-worker", queue="code")
    done = wait_for(lambda: (r := run(second.json()["id"]))["status"] == "done" and r, 120)
    assert "second" in done["log"]
    assert run(first.json()["id"])["status"] == "failed"  # its job found it ended: skipped

    sleeper = dry_run("import time\nprint('sleeping', flush=True)\ntime.sleep(600)\n")
    assert sleeper.status_code == 202, sleeper.text
    sleeper_id = sleeper.json()["id"]
    wait_for(lambda: run(sleeper_id)["status"] == "running", 60, "the dry run to start")
    os.killpg(worker.popen.pid, signal.SIGKILL)  # the worker, its job and sandbox go; the row stays
    worker.popen.wait(10)
    busy = dry_run("print('third')\n")
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "dry_run_busy"

    # The clock moves on past the time limit and the margin (the row ages, nothing else).
    with env_session(env) as session:
        row = session.scalars(select(CodeRun).where(CodeRun.public_id == sleeper_id)).one()
        row.started_at = row.started_at - timedelta(seconds=60) - LOST_AFTER_LIMIT
    third = dry_run("print('third')\n")
    assert third.status_code == 202, third.text
    lost = run(sleeper_id)
    assert lost["status"] == "failed" and "worker stopped" in lost["message"]
    worker_in(env, spawned, tmp_path, "code-worker-2", queue="code")
    again = wait_for(lambda: (r := run(third.json()["id"]))["status"] == "done" and r, 120)
    assert "third" in again["log"]


def test_verification_jobs_lost_or_doubled_give_one_verdict_each(
    production_env: dict[str, str], spawned: list, tmp_path: Path
) -> None:
    """The organizer verifies before any code worker runs; Redis then loses the jobs (a
    restart): verifying again queues the pick again, not "already on its way" forever. Asked
    twice more, the pick gets one run and one verdict; and the team cannot swap its code
    once verification started."""
    env = production_env
    contest = seed_env(env, tmp_path)
    with_hidden_inputs(env, contest, tmp_path)
    server = server_in(env, spawned, tmp_path, "web")
    worker_in(env, spawned, tmp_path, "worker")
    api = Api(server, contest)
    token = contest.tokens["팀0"]
    auth = {"Authorization": f"Bearer {token}"}
    predictions = prediction_csv(contest.truth, noise=0.2, seed=1)
    sub = api.finished(api.submit("팀0", predictions), token=token)
    assert requests.post(f"{server.url}/api/v1/submissions/{sub['id']}/final", headers=auth).ok

    def attach() -> requests.Response:
        return requests.post(
            f"{server.url}/api/v1/submissions/{sub['id']}/code",
            headers=auth,
            files={"file": ("solution.zip", bundle(predictions), "application/zip")},
            timeout=30,
        )

    assert attach().status_code == 201
    end_event_now(env)
    organizer = {"Authorization": f"Bearer {contest.staff_tokens['organizer']}"}
    verifications = f"{server.url}/api/v1/events/{contest.event}/verifications"

    def verify() -> list[dict]:
        reply = requests.post(verifications, headers=organizer, json={"top": 1}, timeout=30)
        assert reply.status_code == 202, reply.text
        return reply.json()["verifications"]

    assert [v["status"] for v in verify()] == ["queued"]
    code_queue = Queue(
        code_queue_name(env["HACKJUDGE_QUEUE"]),
        connection=Redis.from_url(env["HACKJUDGE_REDIS_URL"]),
    )
    assert code_queue.count == 1
    code_queue.empty()  # what a Redis restart does to jobs no worker took yet
    verify()
    verify()  # a second organizer, or a double click
    jobs = code_queue.job_ids
    assert len(jobs) == 2
    swapped = attach()
    assert swapped.status_code == 409 and swapped.json()["error"]["code"] == "code_verified"

    worker_in(env, spawned, tmp_path, "code-worker", queue="code")

    def results() -> list | None:
        fetched = [Job.fetch(j, connection=code_queue.connection) for j in jobs]
        done = all(j.get_status() == JobStatus.FINISHED for j in fetched)
        return sorted(str(j.return_value()) for j in fetched) if done else None

    assert wait_for(results, 120, "both jobs to finish") == ["reproduced", "skipped"]
    rows = requests.get(verifications, headers=organizer, timeout=10).json()["verifications"]
    assert [r["status"] for r in rows] == ["reproduced"]
    audit = requests.get(
        f"{server.url}/api/v1/events/{contest.event}/audit", headers=organizer, timeout=10
    ).json()["entries"]
    assert [e["action"] for e in audit].count("verification.verdict") == 1
    assert attach().json()["error"]["code"] == "code_verified"  # the verdict stands


def test_a_check_judged_lost_while_still_running_gives_one_verdict(
    production_env: dict[str, str], spawned: list, tmp_path: Path
) -> None:
    """A pick's run outlives its time limit by the margin (the clock moved on) though its
    worker is alive; the organizer verifies again and a second code worker runs it anew. The
    first run, finishing after the second began, must not write over it: one verdict."""
    env = production_env
    contest = seed_env(env, tmp_path)
    with_hidden_inputs(env, contest, tmp_path)
    with env_session(env) as session:
        session.scalars(select(Task)).one().time_limit_s = 60
    server = server_in(env, spawned, tmp_path, "web")
    worker_in(env, spawned, tmp_path, "worker")
    for name in ("code-a", "code-b"):
        worker_in(env, spawned, tmp_path, name, queue="code")
    api = Api(server, contest)
    token = contest.tokens["팀0"]
    auth = {"Authorization": f"Bearer {token}"}
    predictions = prediction_csv(contest.truth, noise=0.2, seed=1)
    sub = api.finished(api.submit("팀0", predictions), token=token)
    assert requests.post(f"{server.url}/api/v1/submissions/{sub['id']}/final", headers=auth).ok
    slow = "import time\ntime.sleep(20)\n" + PROGRAM  # long enough for the second run to start
    attached = requests.post(
        f"{server.url}/api/v1/submissions/{sub['id']}/code",
        headers=auth,
        files={"file": ("solution.zip", bundle(predictions, slow), "application/zip")},
        timeout=30,
    )
    assert attached.status_code == 201, attached.text
    end_event_now(env)
    organizer = {"Authorization": f"Bearer {contest.staff_tokens['organizer']}"}
    verifications = f"{server.url}/api/v1/events/{contest.event}/verifications"
    code_queue = Queue(
        code_queue_name(env["HACKJUDGE_QUEUE"]),
        connection=Redis.from_url(env["HACKJUDGE_REDIS_URL"]),
    )

    def status() -> str:
        return requests.get(verifications, headers=organizer, timeout=10).json()["verifications"][
            0
        ]["status"]

    def verify() -> None:
        reply = requests.post(verifications, headers=organizer, json={"top": 1}, timeout=30)
        assert reply.status_code == 202, reply.text

    verify()
    wait_for(lambda: status() == "running", 60, "the first run to start")
    first = code_queue.started_job_registry.get_job_ids()
    with env_session(env) as session:  # the clock moves past the limit and the margin
        for run in session.scalars(select(CodeRun)):
            run.started_at = run.started_at - timedelta(seconds=60) - LOST_AFTER_LIMIT
    verify()
    wait_for(lambda: len(code_queue.started_job_registry.get_job_ids()) == 2, 30, "both runs")
    jobs = [*first, *(j for j in code_queue.started_job_registry.get_job_ids() if j not in first)]

    def results() -> list | None:
        fetched = [Job.fetch(j, connection=code_queue.connection) for j in jobs]
        done = all(j.get_status() == JobStatus.FINISHED for j in fetched)
        return [str(j.return_value()) for j in fetched] if done else None

    assert wait_for(results, 120, "both runs to end") == ["superseded", "reproduced"]
    assert status() == "reproduced"
    audit = requests.get(
        f"{server.url}/api/v1/events/{contest.event}/audit", headers=organizer, timeout=10
    ).json()["entries"]
    assert [e["action"] for e in audit].count("verification.verdict") == 1
