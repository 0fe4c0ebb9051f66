"""What a code task's teams download (issue 16): the starter kit and the sandbox's packages."""

from __future__ import annotations

from pathlib import Path

from flask import Response, abort, jsonify
from flask_babel import gettext as _

from app.api import bp, download
from app.api.leaderboard import _samples
from app.lookup import event_or_404, task_or_404
from judge.code_runs import limits_of
from judge.starter import runtime_packages, runtime_requirements, starter_kit


@bp.get("/events/<event_slug>/tasks/<task_slug>/starter.zip")
def starter(event_slug: str, task_slug: str) -> Response:
    """A code task's starter kit: a program, the public sample inputs, the package list."""
    event = event_or_404(event_slug)
    task = task_or_404(event, task_slug)
    if not task.is_code or task.sample_inputs_path is None:
        abort(404, description=_("This task takes prediction files, not programs."))
    limits = limits_of(task)
    body = starter_kit(
        title=task.title or task.slug,
        solution=_samples.of(task),
        sample_inputs=Path(task.sample_inputs_path),
        inputs_name=task.inputs_name or "test.csv",
        seconds=int(limits.wall_s),
        mb=limits.memory_bytes // 2**20,
    )
    return download(body, f"{event.slug}-{task.slug}-starter.zip", "application/zip")


@bp.get("/runtime")
def runtime_list() -> Response:
    """The packages teams' programs run with in the sandbox (pinned)."""
    return jsonify(
        {"packages": [{"name": name, "version": version} for name, version in runtime_packages()]}
    )


@bp.get("/runtime/requirements.txt")
def runtime_file() -> Response:
    """The same list as ``pip install -r`` reads it."""
    return Response(runtime_requirements(), mimetype="text/plain")
