"""The demo's bot teams: they train real models on a growing share of the features and submit
through the same intake as everyone else, so the boards keep moving (the code task's bots send
a .zip of their training data and a main.py, ``app.demo_code``)."""

from __future__ import annotations

import io
import logging
import random

import pandas as pd
from flask import Flask
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sqlalchemy import select

from app import demo_code
from app.demo import BOT_TEAMS, SLUG, TASKS, DemoTask, Split, load_split
from app.extensions import db, socketio
from config import Settings
from core.models import Event, Task, Team, TeamMember, User
from judge.code_runs import sandbox_problem
from submissions.intake import IntakeError, accept

log = logging.getLogger(__name__)


def _bot_prediction(task: DemoTask, split: Split, skill: float, rng: random.Random) -> bytes:
    n_features = split.x_train.shape[1]
    k = max(1, min(n_features, int(round(n_features * skill))))
    cols = rng.sample(range(n_features), k)
    x_train, x_test = split.x_train[:, cols], split.x_test[:, cols]
    if task.classifier:
        model = rng.choice(
            [
                LogisticRegression(max_iter=2000),
                KNeighborsClassifier(),
                DecisionTreeClassifier(max_depth=5),
            ]
        ).fit(x_train, split.y_train)
        pred = (
            model.predict_proba(x_test)[:, 1] if task.metric == "roc_auc" else model.predict(x_test)
        )
    else:
        model = rng.choice([Ridge(), KNeighborsRegressor(), DecisionTreeRegressor(max_depth=4)])
        pred = model.fit(x_train, split.y_train).predict(x_test)
    return pd.DataFrame({"id": split.ids, "target": pred}).to_csv(index=False).encode()


def start_bots(app: Flask, settings: Settings, interval: tuple[float, float] = (1.5, 4.0)) -> None:
    """Bot teams submit in the background, getting better over time."""
    splits = {t.slug: load_split(t) for t in TASKS}

    programs_run = sandbox_problem() is None

    def loop() -> None:
        rng = random.Random(42)
        skills = {name: rng.uniform(0.05, 0.25) for name, _aff in BOT_TEAMS}
        turn = 0
        while True:
            socketio.sleep(rng.uniform(*interval))
            turn += 1
            name = rng.choice(list(skills))
            skills[name] = min(1.0, skills[name] + rng.uniform(0.0, 0.08))
            try:
                if programs_run and turn % demo_code.EVERY_N_BOT_TURNS == 0:
                    slug, filename = demo_code.SLUG, "bot.zip"
                    body = demo_code.bot_bundle(skills[name], rng)
                else:
                    task_def = rng.choice(TASKS)
                    slug, filename = task_def.slug, f"{task_def.slug}.csv"
                    body = _bot_prediction(task_def, splits[slug], skills[name], rng)
                _bot_submit(app, settings, name, slug, body, filename, skills[name])
            except Exception:
                log.exception("demo bot %s failed", name)

    socketio.start_background_task(loop)


def _bot_submit(
    app: Flask,
    settings: Settings,
    team_name: str,
    task_slug: str,
    body: bytes,
    filename: str,
    skill: float,
) -> None:
    with app.app_context(), db.session_factory() as session:
        event = session.scalars(select(Event).where(Event.slug == SLUG)).one()
        task = session.scalars(
            select(Task).where(Task.event_id == event.id, Task.slug == task_slug)
        ).one()
        user = session.scalars(
            select(User)
            .join(TeamMember, TeamMember.user_id == User.id)
            .join(Team, Team.id == TeamMember.team_id)
            .where(Team.name == team_name)
        ).first()
        try:
            sub = accept(
                session,
                user=user,
                event=event,
                task=task,
                stream=io.BytesIO(body),
                filename=filename,
                note=f"bot skill {skill:.2f}",
                storage_dir=settings.storage_dir,
                max_bytes=50_000_000,
            )
        except IntakeError as exc:
            log.info("demo bot %s: %s", team_name, exc)
            return
        app.extensions["hackjudge"].dispatcher.enqueue(sub.id, code=task.is_code)
        app.extensions["hackjudge"].publisher.task_changed(task.id)
