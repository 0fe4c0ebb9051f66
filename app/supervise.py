"""``hackjudge supervise``: the web node and N workers as child processes, each started again
when it dies, so a crashed (or OOM-killed) worker or web node comes back without a human.

For hosts without systemd; ``docs/deploy/`` has the systemd units that do the same. Restarts
back off (1, 2, 4 … 30 s) while a child keeps dying at once, and start from 1 s again once
it has run a minute. Each child runs in a process group of its own: when it dies, whatever
it left behind (RQ's scheduler process) is ended with it. SIGTERM or SIGINT stops every child
(SIGTERM to each group; a worker first finishes the job in hand) and then the supervisor.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from types import FrameType

log = logging.getLogger(__name__)
FIRST_DELAY_S = 1.0
MAX_DELAY_S = 30.0
STEADY_S = 60.0  # a child that ran this long had recovered: its next restart is quick again
STOP_GRACE_S = 30.0  # SIGTERM, then SIGKILL what still runs after this
TICK_S = 0.2


def hackjudge_command(*args: str) -> list[str]:
    """``hackjudge ARGS`` in this interpreter, through the launcher that patches for gevent."""
    return [sys.executable, "-m", "hackjudge_launch", *args]


def next_delay(delay: float, ran_for: float) -> float:
    """The wait before the restart after this one."""
    if ran_for >= STEADY_S:
        return FIRST_DELAY_S
    return min(delay * 2, MAX_DELAY_S)


@dataclass
class Child:
    name: str
    command: list[str]
    popen: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    delay: float = FIRST_DELAY_S
    due: float = 0.0  # when to start it (again)
    restarts: int = field(default=0)

    def start(self, now: float) -> None:
        self.popen = subprocess.Popen(self.command, start_new_session=True)
        self.started_at = now
        log.info("started %s (pid %d)", self.name, self.popen.pid)

    def reap(self, now: float) -> bool:
        """If it died: clean its group up and schedule its restart; whether it died."""
        if self.popen is None or self.popen.poll() is None:
            return False
        code = self.popen.returncode
        self.signal_group(signal.SIGKILL)  # what it left behind (RQ's scheduler process)
        ran_for = now - self.started_at
        wait = FIRST_DELAY_S if ran_for >= STEADY_S else self.delay
        self.delay = next_delay(self.delay, ran_for)
        self.due = now + wait
        self.restarts += 1
        log.warning(
            "%s (pid %d) exited with %s after %.0f s; restarting in %.0f s",
            self.name,
            self.popen.pid,
            code,
            ran_for,
            wait,
        )
        self.popen = None
        return True

    def signal_group(self, sig: int) -> None:
        if self.popen is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, sig)


class Supervisor:
    def __init__(self, commands: dict[str, list[str]]) -> None:
        self.children = [Child(name, command) for name, command in commands.items()]
        self.stop_signal: int | None = None

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.stop_signal = signum

    def run(self) -> int:
        """Keep every child running until SIGTERM or SIGINT; then stop them. The exit code."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        while self.stop_signal is None:
            now = time.monotonic()
            for child in self.children:
                child.reap(now)
                if child.popen is None and now >= child.due and self.stop_signal is None:
                    try:
                        child.start(now)
                    except OSError as exc:  # cannot even start: try again later
                        log.error("cannot start %s: %s", child.name, exc)
                        child.due, child.delay = now + child.delay, next_delay(child.delay, 0)
            time.sleep(TICK_S)
        log.info("signal %d: stopping every child", self.stop_signal)
        self.stop()
        return 0

    def stop(self) -> None:
        running = [child for child in self.children if child.popen is not None]
        for child in running:
            child.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for child in running:
            assert child.popen is not None
            try:
                child.popen.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0f s: killing it", child.name, STOP_GRACE_S)
            child.signal_group(signal.SIGKILL)  # the child, if it lingers, and its strays
            child.popen.wait()
