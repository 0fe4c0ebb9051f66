"""Running a team's program on inputs it may not keep, in bubblewrap (issue 16).

Each run gets new user, PID, IPC, UTS, cgroup and network namespaces (no network at all, not
even loopback's services), a root of nothing but Debian's ``/usr`` read-only, a fresh ``/tmp``
(tmpfs, capped), the team's code read-only at ``/code``, the inputs read-only at ``/input``, a
writable ``/output`` (watched, capped), and the runtime environment read-only at ``/runtime``.
The program runs as uid 65534 inside; a root host drops, before bubblewrap starts, to a host uid
of the run's own (``HOST_UIDS``, held by no other run at the same time), so the process limit
counts this run's processes alone. Our starter (``sandbox_init.py``) is the namespace's PID 1,
which the program can neither kill nor trace; everything dies with the worker
(``--die-with-parent``). Per-process limits set by ``prlimit``: CPU time, address space,
processes, file size and open files. The host keeps the wall clock, the size of ``/output`` and
the memory the whole run holds (this machine has no cgroup v2 memory controller to do it).

Nothing here trusts the program: the host reads its output with ``O_NOFOLLOW`` and only as a
regular file, and caps everything it keeps (the log, the report).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from judge.sandbox_host import HOST_UIDS as HOST_UIDS
from judge.sandbox_host import RUNTIME as RUNTIME
from judge.sandbox_host import SandboxUnavailable as SandboxUnavailable
from judge.sandbox_host import drop_user, host_uid, staged

SANDBOX_UID = 65534  # nobody: the program's uid inside the namespaces
WATCH_EVERY_S = 0.05  # how often the host looks at /output's size and the wall clock
MAX_OUTPUT_FILES = 1000
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Limits:
    """A run's limits; the defaults are a code task's (``task create --time-limit --memory``)."""

    wall_s: float = 300.0
    cpu_s: int = 300
    memory_bytes: int = 2 * 1024**3  # address space of each process, and the whole run's
    processes: int = 64  # of the run's host uid: the run's own on a root host
    file_bytes: int = 256 * 1024**2  # any one file written
    output_bytes: int = 256 * 1024**2  # all of /output
    tmp_bytes: int = 256 * 1024**2  # the tmpfs /tmp
    log_bytes: int = 64 * 1024  # of the program's stdout and stderr, kept


class Outcome(StrEnum):
    EXITED = "exited"  # on its own; ``exit_code`` says how
    TIME_LIMIT = "time_limit"  # the wall clock or the CPU limit
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"  # a file or /output past its cap
    CRASHED = "crashed"  # killed by a signal of its own making
    # The program started and no report came back: it ended its run itself (counted, as a crash).
    NO_REPORT = "no_report"
    # Ours, not the program's: the sandbox failed before the program started.
    SANDBOX_FAILED = "sandbox_failed"


@dataclass(frozen=True)
class Run:
    outcome: Outcome
    exit_code: int | None
    signal: int | None
    elapsed_s: float
    cpu_s: float | None
    peak_memory_bytes: int | None
    log: str
    log_truncated: bool

    @property
    def succeeded(self) -> bool:
        return self.outcome is Outcome.EXITED and self.exit_code == 0


def _limits_args(limits: Limits) -> list[str]:
    return [
        "prlimit",
        f"--cpu={limits.cpu_s}",
        f"--as={limits.memory_bytes}",
        f"--nproc={limits.processes}",
        f"--fsize={limits.file_bytes}",
        "--nofile=256",
        "--core=0",
        "--",
    ]


def _bwrap_args(code: Path, inputs: Path, output: Path, limits: Limits, info: int) -> list[str]:
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    # Our starter is the PID namespace's first process (bwrap's own reaper otherwise), which
    # the program cannot kill; bwrap tells on ``info`` which host process it is.
    args += ["--as-pid-1", "--info-fd", str(info)]
    args += ["--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--hostname", "sandbox"]
    args += ["--ro-bind", "/usr", "/usr"]
    for link in ("bin", "lib", "lib64", "sbin"):
        args += ["--symlink", f"usr/{link}", f"/{link}"]
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp"]
    args += ["--size", str(limits.tmp_bytes), "--tmpfs", "/dev/shm"]  # multiprocessing's
    runtime, init = staged()
    args += ["--ro-bind", str(runtime), "/runtime", "--ro-bind", str(init), "/sandbox/init.py"]
    args += ["--ro-bind", str(code), "/code", "--ro-bind", str(inputs), "/input"]
    args += ["--bind", str(output), "/output", "--chdir", "/code", "--clearenv"]
    # bwrap builds the root on a tmpfs: made read-only once everything is mounted on it.
    args += ["--remount-ro", "/dev", "--remount-ro", "/"]
    environment = {
        "PATH": "/runtime/bin:/usr/bin",
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLCONFIGDIR": "/tmp",
        # One thread per numeric library: the address-space limit counts every thread's stack.
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    for key, value in environment.items():
        args += ["--setenv", key, value]
    return args


@contextmanager
def workspace(base: Path | None = None) -> Iterator[tuple[Path, Path, Path]]:
    """A run's folders (code, input, output) in a fresh folder the sandbox's user can reach
    (under ``base``, else the system's temporary folder), removed afterwards."""
    work = Path(tempfile.mkdtemp(prefix="hackjudge-run-", dir=base))
    try:
        yield prepare(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def prepare(workdir: Path) -> tuple[Path, Path, Path]:
    """A run's folders under ``workdir``: code and input (readable), output (the sandbox's)."""
    folders = tuple(workdir / name for name in ("code", "input", "output"))
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    workdir.chmod(0o755)
    folders[2].chmod(0o700)  # the run's uid's, once it has one (``run``)
    return folders  # type: ignore[return-value]


def readable(folder: Path) -> None:
    """Let the sandbox's user read what the host copied into ``folder``."""
    for path in [folder, *folder.rglob("*")]:
        if path.is_symlink():
            continue
        path.chmod(0o755 if path.is_dir() else 0o644)


class _Log:
    """The program's stdout and stderr: the first ``limit`` bytes kept, the rest counted."""

    def __init__(self, stream: object, limit: int) -> None:
        self.kept = bytearray()
        self.dropped = 0
        self.thread = threading.Thread(target=self._read, args=(stream, limit), daemon=True)
        self.thread.start()

    def _read(self, stream: object, limit: int) -> None:
        while chunk := stream.read(65536):  # type: ignore[attr-defined]
            room = limit - len(self.kept)
            self.kept += chunk[: max(room, 0)]
            self.dropped += max(len(chunk) - max(room, 0), 0)

    def text(self) -> str:
        return self.kept.decode("utf-8", "replace")


def _output_size(output: Path) -> tuple[int, int]:
    """Bytes and entries in ``output`` (never following a link)."""
    size = entries = 0
    stack = [output]
    while stack and entries <= MAX_OUTPUT_FILES:
        try:
            with os.scandir(stack.pop()) as scan:
                for entry in scan:
                    entries += 1
                    info = entry.stat(follow_symlinks=False)
                    size += info.st_size
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
        except OSError:
            continue
    return size, entries


def run(
    code: Path,
    inputs: Path,
    output: Path,
    command: list[str],
    limits: Limits = Limits(),  # noqa: B008 (frozen)
) -> Run:
    """Run ``command`` (paths as the sandbox sees them) and wait, within ``limits``."""
    with host_uid() as uid:
        if uid is not None:
            os.chown(output, uid, uid)
        return _run(uid, code, inputs, output, command, limits)


def _run(
    uid: int | None, code: Path, inputs: Path, output: Path, command: list[str], limits: Limits
) -> Run:
    report_read, report_write = os.pipe()
    info_read, info_write = os.pipe()
    argv = [*drop_user(uid), *_limits_args(limits)]
    argv += _bwrap_args(code, inputs, output, limits, info_write)
    argv += ["/runtime/bin/python", "-I", "-S", "/sandbox/init.py", str(report_write), *command]
    started = time.monotonic()
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        pass_fds=(report_write, info_write),
        start_new_session=True,
        # bwrap's environment holds no secret of the worker's (the database address) either.
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"},
    )
    os.close(report_write)  # bwrap keeps inherited descriptors as they are: same number inside
    os.close(info_write)
    log = _Log(process.stdout, limits.log_bytes)
    first = _first_process(info_read, limits.wall_s)
    killed_for: Outcome | None = None
    try:
        while process.poll() is None:
            if time.monotonic() - started > limits.wall_s:
                killed_for = Outcome.TIME_LIMIT
            else:
                size, entries = _output_size(output)
                if size > limits.output_bytes or entries > MAX_OUTPUT_FILES:
                    killed_for = Outcome.OUTPUT_LIMIT
                elif first is not None and _over_memory(first[1], limits.memory_bytes):
                    killed_for = Outcome.MEMORY_LIMIT
            if killed_for is not None:
                _kill(process, first)
                break
            with suppress(subprocess.TimeoutExpired):  # back at once when the run ends
                process.wait(timeout=WATCH_EVERY_S)
        process.wait()
        elapsed = time.monotonic() - started
        if first is not None:
            # Its end is every process of the namespace gone (the kernel waits for them): the
            # run's uid is free for the next run only then.
            select.select([first[0]], [], [], 10)
    finally:
        if first is not None:
            os.close(first[0])
    log.thread.join(timeout=5)
    with os.fdopen(report_read, "rb") as channel:
        raw = channel.read(4096)
    return _verdict(raw, killed_for, elapsed, log, limits)


def _first_process(info: int, seconds: float) -> tuple[int, int] | None:
    """The namespace's first process (our starter), from what bubblewrap writes on its
    ``--info-fd``: a pidfd of it and the PID namespace's inode; None if bwrap ended before."""
    data = b""
    deadline = time.monotonic() + seconds
    with os.fdopen(info, "rb", buffering=0) as stream:
        while select.select([stream], [], [], max(deadline - time.monotonic(), 0))[0]:
            chunk = stream.read(4096)
            if not chunk:
                break
            data += chunk
    try:
        facts = json.loads(data)
        return os.pidfd_open(int(facts["child-pid"])), int(facts["pid-namespace"])
    except (ValueError, TypeError, KeyError, OSError):
        return None


def _over_memory(namespace: int, limit: int) -> bool:
    """Do the run's processes (those of its PID namespace) hold more than ``limit`` bytes of
    memory: resident anonymous pages. A quick count each time (``statm``), which counts a page
    shared after a fork once in each process; past the limit, the proportional count decides
    (``smaps_rollup``'s ``Pss_Anon``: a page shared by n processes counts 1/n in each)."""
    link = f"pid:[{namespace}]"
    members = []
    with os.scandir("/proc") as scan:
        for entry in scan:
            if entry.name.isdigit():
                with suppress(OSError):  # gone, or not ours to see
                    if os.readlink(f"/proc/{entry.name}/ns/pid") == link:
                        members.append(entry.name)
    quick = 0
    for pid in members:
        with suppress(OSError, ValueError, IndexError), open(f"/proc/{pid}/statm", "rb") as f:
            fields = f.read().split()
            quick += (int(fields[1]) - int(fields[2])) * PAGE
    if quick <= limit:
        return False
    proportional = 0
    for pid in members:
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
                line = next(x for x in f if x.startswith(b"Pss_Anon:"))
            proportional += int(line.split()[1]) * 1024
        except (OSError, StopIteration, ValueError, IndexError):
            continue  # gone since
    return proportional > limit


def _kill(process: subprocess.Popen[bytes], first: tuple[int, int] | None) -> None:
    if first is not None:
        with suppress(OSError):  # our starter: the namespace's processes die with it
            signal.pidfd_send_signal(first[0], signal.SIGKILL)
    with suppress(ProcessLookupError):  # bwrap (it would take the namespace with it too)
        os.killpg(process.pid, signal.SIGKILL)


MEMORY_SIGNS = ("MemoryError", "Cannot allocate memory", "std::bad_alloc", "out of memory")
# Python ignores SIGXFSZ: a write past the file cap fails with EFBIG instead.
FILE_CAP_SIGNS = ("File too large", "[Errno 27]")


def _report(raw: bytes) -> tuple[bool, dict[str, Any]]:
    """What the starter said (``sandbox_init``): whether it got as far as starting the program
    (its first line), and its last word (how the program ended, or why it could not start)."""
    lines = []
    for line in raw.split(b"\n")[:2]:
        try:
            lines.append(json.loads(line))
        except ValueError:
            lines.append(None)
    started = bool(lines) and lines[0] == {"starting": True}
    last = lines[1] if len(lines) > 1 and isinstance(lines[1], dict) else {}
    return started, last


def _verdict(
    raw: bytes, killed_for: Outcome | None, elapsed: float, log: _Log, limits: Limits
) -> Run:
    started, report = _report(raw)
    status = report.get("status")
    cpu = report.get("cpu_s")
    peak_kb = report.get("peak_memory_kb")
    exit_code = signal_number = None
    if isinstance(status, int):
        if os.WIFSIGNALED(status):
            signal_number = os.WTERMSIG(status)
        elif os.WIFEXITED(status):
            exit_code = os.WEXITSTATUS(status)
    text = log.text()
    if killed_for is not None:
        outcome = killed_for
    elif not started or "error" in report:  # bwrap failed, or the runtime: nothing ran
        outcome = Outcome.SANDBOX_FAILED
    elif not isinstance(status, int):  # the program ran, and its starter never told how
        outcome = Outcome.NO_REPORT
    elif signal_number in (signal.SIGXCPU, signal.SIGKILL) and (cpu or 0) >= limits.cpu_s - 1:
        outcome = Outcome.TIME_LIMIT
    elif signal_number == signal.SIGXFSZ or (
        exit_code and any(sign in text[-4000:] for sign in FILE_CAP_SIGNS)
    ):
        outcome = Outcome.OUTPUT_LIMIT
    elif (exit_code or signal_number) and any(sign in text[-4000:] for sign in MEMORY_SIGNS):
        outcome = Outcome.MEMORY_LIMIT
    elif signal_number is not None:
        outcome = Outcome.CRASHED
    else:
        outcome = Outcome.EXITED
    return Run(
        outcome=outcome,
        exit_code=exit_code,
        signal=signal_number,
        elapsed_s=float(report.get("elapsed_s", elapsed)),
        cpu_s=float(cpu) if isinstance(cpu, int | float) else None,
        peak_memory_bytes=int(peak_kb) * 1024 if isinstance(peak_kb, int) else None,
        log=text,
        log_truncated=log.dropped > 0,
    )


def read_output(output: Path, name: str, max_bytes: int) -> bytes | None:
    """The program's ``name`` in ``output``: a regular file, never a link, at most ``max_bytes``."""
    try:
        fd = os.open(output / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if not os.path.isfile(f"/proc/self/fd/{fd}") or os.fstat(fd).st_size > max_bytes:
            return None
        return handle.read(max_bytes + 1)[:max_bytes]
