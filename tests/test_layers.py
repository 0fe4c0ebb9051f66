"""The layers hold (pyproject ``[tool.importlinter]``): the engines load no Flask, and the
import contracts pass on this tree and fail on a tree that breaks them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each test runs Python or lint-imports in a process of its own

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("app", "organize", "review", "scoreboard", "submissions", "judge", "core")
PACKAGES = (*PRODUCT, "tests", "bench")  # what the contracts look at
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def _loaded(modules: str, watched: set[str]) -> list[str]:
    """Which of the ``watched`` top-level packages importing ``modules`` loads, in a fresh
    interpreter."""
    probe = (
        f"import sys, {modules}\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {watched!r}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return eval(done.stdout)  # noqa: S307  (a list of names printed just above)


def test_the_engines_load_no_flask() -> None:
    engines = (
        "judge.jobs, judge.worker, judge.reconciler, scoreboard.publish, scoreboard.live_cache, "
        "scoreboard.ceremony, submissions.intake, submissions.sweep, review.results, "
        "review.exports, review.notes, core.models"
    )
    watched = {"flask", "flask_login", "flask_babel", "flask_socketio", "werkzeug", "app"}
    assert _loaded(engines, watched) == []


def test_the_set_up_loads_no_flask() -> None:
    """The organizer's services (events, tasks, teams, accounts, dashboard) run in the CLI and
    the web alike; they hash passwords with werkzeug.security but load nothing of Flask."""
    setup = "organize.events, organize.tasks, organize.teams, organize.accounts, organize.dashboard"
    assert _loaded(setup, {"flask", "flask_login", "flask_babel", "flask_socketio", "app"}) == []


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"],
        cwd=tree,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the packages and the contracts, to break."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "results"),
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copy(ROOT / "config.py", tmp_path / "config.py")
    return tmp_path


def test_the_contracts_pass_here_and_fail_when_broken(tree: Path) -> None:
    kept = _lint(tree)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "0 broken" in kept.stdout

    broken = {
        "core/db.py": "import flask  # noqa\n",  # Flask at the bottom
        "judge/metrics.py": "import scoreboard.boards  # noqa\n",  # the judge reaching up
        "submissions/storage.py": "import scoreboard.boards  # noqa\n",  # side by side
        "scoreboard/boards.py": "import review.results  # noqa\n",  # the boards reaching up
        "review/notes.py": "import organize.events  # noqa\n",  # side by side
        "organize/tasks.py": "import app.lookup  # noqa\n",  # the set-up reaching up
        "judge/jobs.py": "import werkzeug  # noqa\n",  # an HTTP toolkit in a worker
        "tests/app/test_join.py": "import tests.app.test_i18n  # noqa\n",  # a test on a test
        "tests/judge/test_rescore.py": "import tests.scoreboard.test_reveal  # noqa\n",
        "bench/latency.py": "import tests.helpers  # noqa\n",  # a bench on test code
    }
    for path, line in broken.items():
        original = (tree / path).read_text()
        (tree / path).write_text(original + line)
        refused = _lint(tree)
        (tree / path).write_text(original)
        assert refused.returncode != 0, path
        assert "BROKEN" in refused.stdout, path


def test_every_module_imports() -> None:
    """A name moved or renamed fails here, not in the first request that reaches it."""
    probe = (
        "import importlib, pkgutil\n"
        f"for name in {PRODUCT!r}:\n"
        "    package = importlib.import_module(name)\n"
        "    for found in pkgutil.walk_packages(package.__path__, name + '.'):\n"
        "        importlib.import_module(found.name)\n"
        "print('ok')"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
