"""The sandbox for teams' code, for real (Debian's bubblewrap, the runtime environment): what a
program may do, and every way out we know of, each refused and reported (issue 16)."""

from __future__ import annotations

import http.server
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from judge import sandbox, sandbox_check, sandbox_host
from judge.sandbox import Limits, Outcome, Run
from tests.helpers import run_cli

pytestmark = pytest.mark.slow  # a process tree per test


@pytest.fixture(scope="module", autouse=True)
def sandbox_works() -> None:
    """Never skipped: CI installs bubblewrap (`make sandbox`) and the runtime (`make setup`)."""
    assert sandbox_check.self_test() is None


def run_program(source: str, limits: Limits = Limits(wall_s=30), inputs: dict | None = None) -> Run:  # noqa: B008
    with sandbox.workspace() as (code, input_dir, output):
        (code / "main.py").write_text(source)
        for name, body in (inputs or {}).items():
            (input_dir / name).write_bytes(body)
        sandbox.readable(code)
        sandbox.readable(input_dir)
        return sandbox.run(code, input_dir, output, ["python", "/code/main.py"], limits)


@pytest.fixture
def secrets() -> Iterator[dict[str, Path]]:
    """What a worker's machine holds: a truth file, the storage folder, a database file,
    readable by everyone on the host (as they often are)."""
    base = Path("/tmp") / f"hackjudge-secrets-{os.getpid()}"
    storage = base / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    truth = storage / "truth.csv"
    truth.write_text("id,target\n1,0.123\n")
    database = base / "hackjudge.db"
    sqlite3.connect(database).close()
    for path in (base, storage):
        path.chmod(0o755)
    for path in (truth, database):
        path.chmod(0o644)
    yield {"truth": truth, "storage": storage, "database": database}
    shutil.rmtree(base, ignore_errors=True)


def test_a_program_reads_its_inputs_and_writes_its_output() -> None:
    result = run_program(
        "import pandas as pd, sklearn\n"
        "frame = pd.read_csv('/input/features.csv')\n"
        "frame.assign(target=frame['x'] * 2)[['id', 'target']].to_csv('/output/submission.csv', "
        "index=False)\n"
        "print('rows', len(frame))\n",
        inputs={"features.csv": b"id,x\n1,1.5\n2,2.5\n"},
    )
    assert result.succeeded, result.log
    assert result.log.strip() == "rows 2"
    assert result.peak_memory_bytes is not None and result.peak_memory_bytes > 20 * 2**20
    assert result.cpu_s is not None and result.cpu_s > 0


def test_the_output_is_read_back_as_a_regular_file_only(secrets: dict[str, Path]) -> None:
    with sandbox.workspace() as (code, input_dir, output):
        (code / "main.py").write_text(
            "import os\n"
            "open('/output/submission.csv', 'w').write('id,target\\n1,1\\n')\n"
            f"os.symlink('{secrets['truth']}', '/output/stolen.csv')\n"
            "os.mkfifo('/output/pipe.csv')\n"
        )
        sandbox.readable(code)
        result = sandbox.run(code, input_dir, output, ["python", "/code/main.py"])
        assert result.succeeded, result.log
        assert sandbox.read_output(output, "submission.csv", 1000) == b"id,target\n1,1\n"
        # A link to the truth (a host path) is refused; so is a FIFO that would block.
        assert sandbox.read_output(output, "stolen.csv", 1000) is None
        assert sandbox.read_output(output, "pipe.csv", 1000) is None
        assert sandbox.read_output(output, "submission.csv", 5) is None  # past the cap


def test_no_network_at_all() -> None:
    """PostgreSQL, Redis and a web server listening on the host's loopback: none reachable."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        result = run_program(
            "import socket\n"
            f"for host, port in (('127.0.0.1', 5432), ('127.0.0.1', 6379), ('127.0.0.1', {port}),"
            " ('1.1.1.1', 53)):\n"
            "    s = socket.socket(); s.settimeout(2)\n"
            "    try:\n"
            "        print(port, s.connect_ex((host, port)))\n"
            "    except OSError as exc:\n"
            "        print(port, 'refused', exc.errno)\n"
        )
    finally:
        server.shutdown()
    lines = dict(line.split(" ", 1) for line in result.log.splitlines())
    assert set(lines) == {"5432", "6379", str(port), "53"}
    assert all(answer != "0" for answer in lines.values()), lines  # never connected


def test_host_files_are_not_there(secrets: dict[str, Path]) -> None:
    paths = [*map(str, secrets.values()), "/work", "/root", "/etc/passwd", "/home", "/var"]
    result = run_program(
        "import os\n"
        f"for path in {paths!r}:\n"
        "    print(path, os.path.exists(path))\n"
        "for pid in sorted(p for p in os.listdir('/proc') if p.isdigit()):\n"
        "    try:\n"
        "        print('environ', pid, open(f'/proc/{pid}/environ', 'rb').read())\n"
        "    except OSError:\n"
        "        print('environ', pid, 'refused')\n"
        "print('uid', os.getuid())\n"
    )
    assert result.succeeded, result.log
    assert all(line.endswith(" False") for line in result.log.splitlines()[: len(paths)])
    # No process the program can see holds a secret of the worker's (the database address) in
    # its environment; the first, our starter, does not even show its own.
    environs = [line for line in result.log.splitlines() if line.startswith("environ")]
    assert "environ 1 refused" in environs and len(environs) >= 2
    for environ in environs:
        assert "DATABASE" not in environ and "REDIS" not in environ and "HACKJUDGE" not in environ
    assert "uid 65534" in result.log


def test_nothing_outside_output_is_writable() -> None:
    result = run_program(
        "import os\n"
        "for path in ('/code/x', '/input/x', '/usr/x', '/runtime/x', '/x', '/sandbox/x',"
        " '/proc/x', '/dev/x', '/bin/x'):\n"
        "    try:\n"
        "        open(path, 'w').write('x'); print(path, 'WRITTEN')\n"
        "    except OSError as exc:\n"
        "        print(path, 'refused')\n"
        "open('/tmp/scratch', 'w').write('x'); open('/dev/shm/x', 'w').write('x')\n"
        "open('/output/ok', 'w').write('x'); print('ok')\n"
    )
    assert result.succeeded, result.log
    assert "WRITTEN" not in result.log and result.log.count("refused") == 9
    assert result.log.strip().endswith("ok")


def test_another_runs_output_is_out_of_reach() -> None:
    with sandbox.workspace() as (code_a, input_a, output_a):
        (code_a / "main.py").write_text("open('/output/secret.csv', 'w').write('A')\n")
        sandbox.readable(code_a)
        assert sandbox.run(code_a, input_a, output_a, ["python", "/code/main.py"]).succeeded
        result = run_program(
            "import os\n"
            f"print(os.path.exists({str(output_a / 'secret.csv')!r}), os.listdir('/output'))\n"
        )
    assert result.log.strip() == "False []"


def test_a_fork_bomb_is_contained() -> None:
    result = run_program(
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
        Limits(wall_s=5, processes=32),
    )
    assert result.outcome is Outcome.TIME_LIMIT
    assert result.elapsed_s < 15


def test_a_memory_bomb_meets_the_memory_limit() -> None:
    result = run_program("x = bytearray(8 * 2**30)\n", Limits(wall_s=30, memory_bytes=2**30))
    assert result.outcome is Outcome.MEMORY_LIMIT, result


def test_an_endless_loop_meets_the_cpu_limit() -> None:
    result = run_program("while True:\n    pass\n", Limits(wall_s=30, cpu_s=2))
    assert result.outcome is Outcome.TIME_LIMIT and result.elapsed_s < 10, result


def test_a_sleeper_meets_the_wall_clock() -> None:
    result = run_program("import time\ntime.sleep(600)\n", Limits(wall_s=2))
    assert result.outcome is Outcome.TIME_LIMIT and result.elapsed_s < 5, result


def test_a_10_gb_output_is_stopped_at_the_file_cap() -> None:
    result = run_program(
        "block = b'0' * 2**20\nwith open('/output/submission.csv', 'wb') as f:\n"
        "    for _ in range(10 * 1024):\n        f.write(block)\n",
        Limits(wall_s=60, file_bytes=64 * 2**20),
    )
    assert result.outcome is Outcome.OUTPUT_LIMIT, result


def test_many_files_are_stopped_at_the_output_cap() -> None:
    result = run_program(
        "import time\nblock = b'0' * 2**20\nfor i in range(10_000):\n"
        "    with open(f'/output/part{i}.csv', 'wb') as f:\n"
        "        for _ in range(16):\n            f.write(block)\n",
        Limits(wall_s=60, file_bytes=32 * 2**20, output_bytes=128 * 2**20),
    )
    assert result.outcome is Outcome.OUTPUT_LIMIT, result


def test_a_crash_and_a_flood_of_output_are_reported_not_kept() -> None:
    result = run_program("import os\nprint('x' * 10**6)\nos.abort()\n", Limits(log_bytes=1000))
    assert result.outcome is Outcome.CRASHED and result.signal == 6
    assert len(result.log) == 1000 and result.log_truncated


def test_a_checkout_in_a_private_folder_is_staged_for_the_sandbox(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A CI clone lives under a 0700 folder, out of the sandbox user's reach: the runtime and
    the init are staged where it can reach them, once, owned by us and writable by no one else."""
    private = Path(tempfile.mkdtemp(prefix="hackjudge-private-"))  # 0700, as mktemp -d makes
    try:
        runtime = private / "checkout" / ".venv-runtime"
        shutil.copytree(sandbox.RUNTIME, runtime, symlinks=True, copy_function=os.link)
        monkeypatch.setattr(sandbox_host, "RUNTIME", runtime)  # its own path: its own stage
        staged_runtime, staged_init = sandbox_host.staged()
        assert private not in staged_runtime.parents
        stage = staged_runtime.parent
        assert stage.stat().st_mode & 0o777 == 0o755 and stage.stat().st_uid == os.geteuid()
        result = run_program("import sklearn, sys\nprint(sys.prefix)\n")
        assert result.succeeded and result.log.strip() == "/runtime", result.log
        assert sandbox_host.staged() == (staged_runtime, staged_init)  # made once
    finally:
        shutil.rmtree(private, ignore_errors=True)
        if "stage" in locals():
            shutil.rmtree(stage, ignore_errors=True)


def test_an_organizer_checks_a_worker_machine_from_the_command_line() -> None:
    """`hackjudge sandbox-check`: the tools, the runtime's packages, the limits in force."""
    done = run_cli({}, "sandbox-check")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "sandbox ok"
    assert lines[0].startswith("bubblewrap: bubblewrap ")
    runtime = next(line for line in lines if line.startswith("runtime: "))
    for package in ("numpy", "pandas", "scikit-learn", "scipy", "lightgbm"):
        assert f"{package} " in runtime, package
    assert any("address space per process" in line for line in lines)
    # Without bubblewrap on the PATH: refused, and nothing would run.
    broken = run_cli({"PATH": "/nonexistent"}, "sandbox-check")
    assert broken.returncode != 0 and "bubblewrap (bwrap) is not installed" in broken.stderr
