"""Rescoring a task after its truth or metric changed: background run, history, boards."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sklearn.metrics import log_loss, roc_auc_score
from sqlalchemy import select

from app.extensions import db
from config import Settings
from core.models import RescoreRun, ScoreHistory, Submission, Task
from organize.tasks import start_rescore, update_task
from tests.actions import Api, bearer
from tests.helpers import Contest, prediction_csv, settle


def submit_all(app: Flask, client: FlaskClient, contest: Contest) -> list[int]:
    api = Api(client, contest, app)
    ids = [
        api.submit(team, prediction_csv(contest.truth, 0.3 + 0.2 * i, i))
        for i, team in enumerate(contest.tokens)
    ]
    api.settle()
    with db.begin() as session:  # the teams' opaque ids → the global ids staff go by
        rows = session.execute(select(Submission.public_id, Submission.id))
        global_ids = {public_id: global_id for public_id, global_id in rows}
    return [global_ids[i] for i in ids]


def expected(contest: Contest, truth: pd.DataFrame, i: int, metric: str) -> float:
    """The public score of team i's file against ``truth``, computed with scikit-learn."""
    usage = pd.read_csv(contest.truth_path, dtype={"id": str}).set_index("id")["Usage"]
    pred = pd.read_csv(
        io.BytesIO(prediction_csv(contest.truth, 0.3 + 0.2 * i, i)), dtype={"id": str}
    )
    truth_part = truth.set_index("id").rename(columns={"target": "target_true"})
    merged = pred.set_index("id").join(truth_part).join(usage)
    public = merged[merged["Usage"] == "Public"]
    if metric == "roc_auc":
        return roc_auc_score(public["target_true"], public["target"])
    return log_loss(public["target_true"], public["target"].clip(0, 1), labels=[0, 1])


def test_new_truth_then_rescore_keeps_history_and_updates_boards(
    app: Flask, client: FlaskClient, settings: Settings, contest: Contest, tmp_path: Path
) -> None:
    ids = submit_all(app, client, contest)
    old = {s.id: s.public_score for s in _subs()}
    # The organizer fixes the labels of a third of the rows.
    fixed = contest.truth.copy()
    fixed.loc[fixed.index % 3 == 0, "target"] = 1 - fixed["target"]
    fixed.sample(frac=1, random_state=3).to_csv(tmp_path / "fixed.csv", index=False)
    with db.begin() as session:
        task = session.scalars(select(Task)).one()
        old_usage = pd.read_csv(task.truth_path, dtype=str).set_index("id")["Usage"]
        update_task(session, task, storage_dir=settings.storage_dir, truth=tmp_path / "fixed.csv")
        new_usage = pd.read_csv(task.truth_path, dtype=str).set_index("id")["Usage"]
    assert new_usage.sort_index().equals(old_usage.sort_index())  # the split is kept

    reply = client.post(
        f"/api/v1/events/{contest.event}/tasks/{contest.task}/rescore",
        headers=bearer(contest.staff_tokens["organizer"]),
    )
    assert reply.status_code == 202 and reply.json["status"] == "queued"
    settle(app)
    run = client.get(
        f"/api/v1/rescore-runs/{reply.json['id']}", headers=bearer(contest.staff_tokens["judge"])
    ).json
    assert (run["status"], run["done"], run["total"], run["changed"]) == ("done", 3, 3, 3)

    subs = _subs()
    for i, sub in enumerate(subs):
        assert sub.public_score == pytest.approx(expected(contest, fixed, i, "roc_auc"), rel=1e-12)
    with db.begin() as session:
        history = session.scalars(select(ScoreHistory).order_by(ScoreHistory.submission_id)).all()
        assert [(h.submission_id, h.public_score) for h in history] == [(i, old[i]) for i in ids]
    board = client.get(f"/api/v1/events/{contest.event}/leaderboard").json
    best = max(s.public_score for s in subs)
    assert board["rows"][0]["score"] == best


def test_metric_change_rescore_from_the_cli(
    app: Flask, client: FlaskClient, settings: Settings, contest: Contest, monkeypatch
) -> None:
    submit_all(app, client, contest)
    monkeypatch.setenv("HACKJUDGE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HACKJUDGE_STORAGE_DIR", str(settings.storage_dir))
    monkeypatch.setenv("HACKJUDGE_INSTANCE_DIR", str(settings.instance_dir))
    monkeypatch.delenv("HACKJUDGE_REDIS_URL", raising=False)
    from app.cli import main

    runner = CliRunner()
    changed = runner.invoke(
        main, ["task", "update", contest.event, contest.task, "--metric", "log_loss"]
    )
    assert changed.exit_code == 0, changed.output
    # Predictions outside [0, 1] become invalid under log_loss: the rescore says so.
    done = runner.invoke(main, ["rescore", contest.event, contest.task])
    assert done.exit_code == 0, done.output
    assert "rescored 3 of 3 submissions" in done.output
    from app.extensions import db as cli_db

    cli_db.configure(settings.database_url)
    for i, sub in enumerate(_subs()):
        if sub.status == "scored":
            assert sub.public_score == pytest.approx(
                expected(contest, contest.truth, i, "log_loss")
            )
        else:
            assert sub.status == "invalid" and "outside [0, 1]" in sub.error
        assert sub.scored_metric == "log_loss"


def test_rescore_refused_while_one_runs_and_for_non_organizers(
    client: FlaskClient, contest: Contest
) -> None:
    with db.begin() as session:
        task = session.scalars(select(Task)).one()
        start_rescore(session, task, None)
    url = f"/api/v1/events/{contest.event}/tasks/{contest.task}/rescore"
    busy = client.post(f"{url}?lang=en", headers=bearer(contest.staff_tokens["organizer"]))
    assert busy.status_code == 409 and "still queued" in busy.json["error"]["message"]
    assert client.post(url, headers=bearer(contest.staff_tokens["judge"])).status_code == 403
    assert client.post(url, headers=bearer(contest.tokens["팀0"])).status_code == 403
    with db.begin() as session:
        assert len(session.scalars(select(RescoreRun)).all()) == 1


def _subs() -> list[Submission]:
    with db.begin() as session:
        return list(session.scalars(select(Submission).order_by(Submission.id)))
