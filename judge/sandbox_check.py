"""Is this machine fit to run teams' code (``judge.sandbox``)? Its self-test, run before any
team's program (worker start, ``hackjudge sandbox-check``), and the limits in force here."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from judge.sandbox import SANDBOX_UID, Limits, readable, run, workspace
from judge.sandbox_host import HOST_UIDS, RUNTIME, SandboxUnavailable, staged


def describe(limits: Limits = Limits()) -> list[str]:  # noqa: B008 (frozen)
    """What an organizer checks before trusting a worker with teams' code: the tools, the
    runtime's packages, and which limits are in force on this machine."""
    from importlib import metadata

    bwrap = shutil.which("bwrap")
    version = (
        subprocess.run([bwrap, "--version"], capture_output=True, text=True, check=False).stdout
        if bwrap
        else ""
    )
    packages = sorted(
        f"{dist.metadata['Name']} {dist.version}"
        for dist in metadata.distributions(
            path=[str(p) for p in RUNTIME.glob("lib/python*/site-packages")]
        )
    )
    controllers = Path("/sys/fs/cgroup/cgroup.controllers")
    cgroup2 = controllers.exists() and "memory" in controllers.read_text().split()
    root = os.geteuid() == 0
    mb = limits.memory_bytes // 2**20
    return [
        f"bubblewrap: {version.strip() or 'missing'}",
        f"runtime: {RUNTIME} ({', '.join(packages) or 'missing'})",
        f"wall clock {limits.wall_s:g} s (the host), CPU {limits.cpu_s} s, "
        f"{limits.processes} processes "
        + ("per run" if root else "for all the runs of this user together (not root)")
        + f", {limits.file_bytes // 2**20} MB per file, "
        f"/output {limits.output_bytes // 2**20} MB, /tmp {limits.tmp_bytes // 2**20} MB",
        f"memory: {mb} MB of address space per process (prlimit), {mb} MB resident for the "
        "whole run (the host counts it every 50 ms)"
        + (
            "; cgroup v2's memory controller is available but not used yet"
            if cgroup2
            else "; no cgroup v2 memory controller here"
        ),
        f"runs as: uid {SANDBOX_UID} inside; on the host "
        + (
            f"a uid of its own per run ({HOST_UIDS.start}-{HOST_UIDS.stop - 1}; root drops to it)"
            if root
            else f"this user (uid {os.geteuid()}), whose processes the process limit counts too"
        ),
        "the starter: PID 1 of the run's PID namespace, out of the program's reach",
    ]


SELF_TEST = """
import os, socket, sys
problems = []
if os.getuid() != 65534: problems.append(f"uid {os.getuid()}")
for port in (5432, 6379, 80):
    s = socket.socket(); s.settimeout(1)
    try:
        if s.connect_ex(("127.0.0.1", port)) == 0: problems.append(f"port {port} reachable")
    except OSError:
        pass
for path in ("/work", "/root", "/home", "/etc/passwd", "/var"):
    if os.path.exists(path): problems.append(f"{path} visible")
try:
    open("/code/x", "w")
    problems.append("/code writable")
except OSError:
    pass
open("/output/ok", "w").write("ok")
print("; ".join(problems) or "sandbox ok")
sys.exit(1 if problems else 0)
"""


def self_test() -> str | None:
    """None if the sandbox works as promised here, else why not (checked at worker start)."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    if shutil.which("prlimit") is None:
        return "prlimit (util-linux) is not installed"
    if not (RUNTIME / "bin" / "python").exists():
        return f"the runtime environment is missing ({RUNTIME}; `make setup` builds it)"
    try:
        staged()
    except (OSError, SandboxUnavailable) as exc:
        return f"the runtime could not be made reachable for the sandbox: {exc}"
    with workspace() as (code, inputs, output):
        (code / "main.py").write_text(SELF_TEST)
        readable(code)
        result = run(code, inputs, output, ["python", "/code/main.py"], Limits(wall_s=30))
        if not result.succeeded or (output / "ok").read_text() != "ok":
            return f"the self-test failed ({result.outcome}): {result.log.strip()[-300:]}"
    return None
