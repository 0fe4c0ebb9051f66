"""The sandbox against programs that go after the run itself (issue 16's review): its starter
(the namespace's PID 1) which reports how the program ended, other teams' runs on the same
machine, the worker's memory, and the worker's death. Real bubblewrap, real programs; the tests
wait on FIFOs in /output and on pidfds, never on the clock."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from judge import sandbox, sandbox_check
from judge.sandbox import Limits, Outcome, Run
from judge.sandbox_host import ROOT

pytestmark = pytest.mark.slow  # a process tree per test

COMMAND = ["python", "/code/main.py"]


@pytest.fixture(scope="module", autouse=True)
def sandbox_works() -> None:
    assert sandbox_check.self_test() is None


@contextmanager
def running(
    source: str,
    limits: Limits = Limits(wall_s=60),  # noqa: B008 (frozen)
    fifos: tuple[str, ...] = ("ready",),
) -> Iterator[tuple[Path, Callable[[], Run]]]:
    """A program run in a thread; its /output (with ``fifos`` in it, for the program to talk
    to the test) and a call that waits for its result."""
    with sandbox.workspace() as (code, inputs, output):
        (code / "main.py").write_text(source)
        sandbox.readable(code)
        for name in fifos:
            os.mkfifo(output / name)
            (output / name).chmod(0o666)
        result: list[Run] = []
        thread = threading.Thread(
            target=lambda: result.append(sandbox.run(code, inputs, output, COMMAND, limits))
        )
        thread.start()

        def finish() -> Run:
            thread.join()
            return result[0]

        try:
            yield output, finish
        finally:
            thread.join()


def hear(fifo: Path, deadline_s: float = 60) -> str:
    """What the program writes on ``fifo`` (it opens it when it is ready)."""
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        ready, _, _ = select.select([fd], [], [], deadline_s)
        assert ready, f"the program never wrote on {fifo.name}"
        return os.read(fd, 100).decode()
    finally:
        os.close(fd)


def tell(fifo: Path) -> None:
    with open(fifo, "w") as channel:  # until the program opens it to read
        channel.write("go")


def in_sandbox(output: Path) -> list[int]:
    """The host's pids of the processes whose /output is ``output``: the program's (our
    starter's too when the test is root: it alone may look into an undumpable process)."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.path.samefile(f"/proc/{name}/root/output", output):
                    found.append(int(name))
            except OSError:
                continue
    return found


def parent_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("PPid:")).split()[1])


def starter_of(output: Path) -> int:
    """The host's pid of the sandbox's first process: the parent of the program's."""
    program = min(
        pid
        for pid in in_sandbox(output)
        if b"/sandbox/init.py" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    )
    return parent_of(program)


def wait_gone(pids: list[int], deadline_s: float = 60) -> list[int]:
    """Wait (on pidfds) for ``pids`` to end; those still running after ``deadline_s``."""
    fds = {}
    for pid in pids:
        try:
            fds[os.pidfd_open(pid)] = pid
        except ProcessLookupError:
            continue
    try:
        waiting = set(fds)
        while waiting:
            ended, _, _ = select.select(list(waiting), [], [], deadline_s)
            if not ended:
                break
            waiting -= set(ended)
        return sorted(fds[fd] for fd in waiting)
    finally:
        for fd in fds:
            os.close(fd)


@pytest.mark.parametrize(
    "attack",
    [
        "os.kill(os.getppid(), signal.SIGKILL)",  # its starter
        # kill -9 -1: everything it can see but itself (nothing, once its starter is spared)
        "try:\n    os.kill(-1, signal.SIGKILL)\nexcept ProcessLookupError:\n    pass",
        "[os.kill(1, s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGSTOP, signal.SIGHUP)]",
    ],
    ids=["its parent", "kill -9 -1", "other signals"],
)
def test_the_program_cannot_kill_its_starter(attack: str) -> None:
    """Killing the starter took its report with it: the run was our fault (``failed``, retried,
    not counted), and a program could choose between that and a score: a bit about the hidden
    inputs per upload, for free. The starter is the namespace's PID 1 now: the kernel ignores
    those signals from inside, and the report comes back."""
    with sandbox.workspace() as (code, inputs, output):
        (code / "main.py").write_text(
            "import os, signal\n"
            f"{attack}\n"
            "open('/output/submission.csv', 'w').write('id,target\\n1,0\\n')\n"
            "print('still here, parent', os.getppid())\n"
        )
        sandbox.readable(code)
        result = sandbox.run(code, inputs, output, COMMAND, Limits(wall_s=30))
        assert result.outcome is Outcome.EXITED and result.exit_code == 0, result
        assert result.log.strip() == "still here, parent 1"
        assert result.cpu_s is not None  # the starter's report, intact
        assert sandbox.read_output(output, "submission.csv", 100) == b"id,target\n1,0\n"


def test_the_program_cannot_trace_or_rewrite_its_starter() -> None:
    """The same uid could ptrace the starter, or write its memory through /proc, and make it
    report anything or nothing: it is not dumpable, so neither is allowed."""
    result = run_program(
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "print('ptrace', libc.ptrace(16, 1, 0, 0), ctypes.get_errno())\n"  # PTRACE_ATTACH
        "for path in ('/proc/1/mem', '/proc/1/fd/3', '/proc/1/environ'):\n"
        "    try:\n"
        "        os.close(os.open(path, os.O_RDWR)); print(path, 'OPEN')\n"
        "    except OSError as exc:\n"
        "        print(path, 'refused', exc.errno)\n"
    )
    assert result.succeeded, result.log
    assert "ptrace -1 1" in result.log  # EPERM
    assert "OPEN" not in result.log and result.log.count("refused") == 3, result.log


def test_the_starter_reaps_the_orphans_the_program_leaves() -> None:
    """Orphans come to the namespace's first process, bwrap's reaper once, our starter now: a
    zombie it left would count as a process, and a program that leaves 200 in turn (past the
    limit of 64) could then fork no more."""
    result = run_program(
        "import os\n"
        "for _ in range(200):\n"
        "    child = os.fork()\n"
        "    if child == 0:\n"
        "        os.fork()\n"  # the grandchild, orphaned at once, ends as a zombie of PID 1
        "        os._exit(0)\n"
        "    os.waitpid(child, 0)\n"
        "print('forked 400')\n",
        Limits(wall_s=60, processes=64),
    )
    assert result.succeeded, result
    assert result.log.strip() == "forked 400"


def run_program(source: str, limits: Limits = Limits(wall_s=30)) -> Run:  # noqa: B008 (frozen)
    with sandbox.workspace() as (code, inputs, output):
        (code / "main.py").write_text(source)
        sandbox.readable(code)
        return sandbox.run(code, inputs, output, COMMAND, limits)


def test_a_run_whose_starter_dies_after_the_program_started_is_the_programs_doing() -> None:
    """Should the starter die anyway once the program runs (here the host kills it, as nothing
    inside can), no report comes back: the program's run, counted like a crash (``no_report``),
    never a fault of the sandbox's (``sandbox_failed``, which the worker retries and which does
    not count)."""
    program = (
        "import select\nopen('/output/ready', 'w').write('ready')\nselect.select([], [], [])\n"
    )
    with running(program) as (output, finish):
        assert hear(output / "ready") == "ready"
        os.kill(starter_of(output), signal.SIGKILL)
        result = finish()
    assert result.outcome is Outcome.NO_REPORT, result


def test_a_broken_sandbox_is_still_ours() -> None:
    """Nothing of the program ran: bubblewrap refused to start (a bind of a folder that is not
    there), so the fault is the sandbox's."""
    with sandbox.workspace() as (code, inputs, output):
        result = sandbox.run(code / "missing", inputs, output, COMMAND, Limits(wall_s=30))
    assert result.outcome is Outcome.SANDBOX_FAILED, result
    assert "bwrap" in result.log


@pytest.mark.skipif(
    os.geteuid() != 0, reason="a worker that is not root runs every sandbox as its own user"
)
def test_a_fork_bomb_leaves_another_teams_run_its_processes() -> None:
    """RLIMIT_NPROC counts a uid's processes: with every run as nobody, one team's fork bomb
    used up the processes of every run beside it. Each run has a host uid of its own now."""
    bomb = (
        "import os, select\n"
        "children = 0\n"
        "while True:\n"
        "    try:\n"
        "        pid = os.fork()\n"
        "    except OSError:\n"
        "        break\n"
        "    if pid == 0:\n"
        "        select.select([], [], [])\n"
        "    children += 1\n"
        "open('/output/ready', 'w').write(str(children))\n"
        "open('/output/done').read()\n"
    )
    with running(bomb, fifos=("ready", "done")) as (output, finish):
        children = int(hear(output / "ready"))  # every process its uid may have: in use
        assert 50 <= children < Limits.processes
        neighbour = run_program(
            "import os\n"
            "pids = [os.fork() or os._exit(0) for _ in range(8)]\n"
            "print(sorted(os.waitpid(pid, 0)[1] for pid in pids))\n"
        )
        tell(output / "done")
        bombed = finish()
    assert neighbour.succeeded, neighbour
    assert neighbour.log.strip() == str([0] * 8)
    assert bombed.succeeded, bombed  # the bomb's own run ends as it chose


def test_processes_of_a_run_together_meet_the_memory_limit() -> None:
    """The address space limit is per process: 64 processes of 2 GB each could take the host's
    memory and get the worker OOM-killed. The host counts the whole run's memory."""
    result = run_program(
        "import os, select\n"
        "for _ in range(4):\n"
        "    if os.fork() == 0:\n"
        "        hold = b'x' * (150 * 2**20)\n"  # each under the limit, together past it
        "        select.select([], [], [])\n"
        "os.wait()\n",
        Limits(wall_s=30, memory_bytes=256 * 2**20),
    )
    assert result.outcome is Outcome.MEMORY_LIMIT, result


def test_memory_shared_after_a_fork_counts_once() -> None:
    """A program that loads its data and then forks workers (multiprocessing's way) shares those
    pages: counted once, it stays within the limit that counting them per process would break."""
    program = (
        "import os\n"
        "data = b'x' * (100 * 2**20)\n"
        "r, w = os.pipe()\n"
        "pids = []\n"
        "for _ in range(3):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        os.close(w)\n"
        "        os.read(r, 1)\n"  # until the program lets them go
        "        os._exit(len(data) != 100 * 2**20)\n"
        "    pids.append(pid)\n"
        "open('/output/ready', 'w').write('ready')\n"
        "open('/output/done').read()\n"
        "os.close(w)\n"
        "print(sorted(os.waitpid(pid, 0)[1] for pid in pids))\n"
    )
    limit = 256 * 2**20
    with running(program, Limits(wall_s=60, memory_bytes=limit), ("ready", "done")) as (
        output,
        finish,
    ):
        hear(output / "ready")
        pids = in_sandbox(output)
        namespace = int(os.readlink(f"/proc/{pids[0]}/ns/pid")[5:-1])
        per_process = sum(
            (int(f.split()[1]) - int(f.split()[2])) * sandbox.PAGE
            for f in (Path(f"/proc/{pid}/statm").read_text() for pid in pids)
        )
        assert per_process > limit  # counted per process, the run would be over
        assert not sandbox._over_memory(namespace, limit)
        tell(output / "done")
        result = finish()
    assert result.succeeded, result
    assert result.log.strip() == "[0, 0, 0]"


WORKER = """
import sys
from pathlib import Path
from judge import sandbox
code, inputs, output = map(Path, sys.argv[1:])
sandbox.run(code, inputs, output, ["python", "/code/main.py"], sandbox.Limits(wall_s=300))
"""


def test_everything_in_the_sandbox_dies_with_its_worker() -> None:
    """The starter as PID 1 changes who is whose parent: a worker killed mid-run (SIGKILL, OOM)
    still takes every process of its sandbox with it (bwrap's --die-with-parent)."""
    with sandbox.workspace() as (code, inputs, output):
        (code / "main.py").write_text(
            "import os, select\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"  # a child that walks away from the program's session
            "    select.select([], [], [])\n"
            "open('/output/ready', 'w').write('ready')\n"
            "select.select([], [], [])\n"
        )
        sandbox.readable(code)
        os.mkfifo(output / "ready")
        (output / "ready").chmod(0o666)
        worker = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(code), str(inputs), str(output)], cwd=ROOT
        )
        try:
            assert hear(output / "ready") == "ready"
            starter = starter_of(output)
            bwrap = parent_of(starter)  # on the host's side, the worker's child
            assert parent_of(bwrap) == worker.pid
            processes = sorted({*in_sandbox(output), starter, bwrap})
            assert len(processes) == 4  # with the program and its child
        finally:
            worker.kill()
            worker.wait()
        assert wait_gone(processes) == []
