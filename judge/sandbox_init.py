"""The first process inside the sandbox (``judge.sandbox``): PID 1 of its PID namespace
(bubblewrap's ``--as-pid-1``). It runs the team's program, reaps every process the program
leaves behind, and reports how the program ended, the CPU time of it and everything it started,
and its peak memory to the host on the descriptor named first on its command line (the team's
command follows).

The report is two lines: ``{"starting": true}`` before the program is started, then either how
it ended or why it could not start (``{"error": errno}``). The host judges by them whose fault a
run without a report is: no first line, or a start that failed, is the sandbox's; a program that
started and left no report ended its run itself.

The program cannot stop this process: the kernel ignores, from inside the namespace, every
signal to its first process that it has no handler for, SIGKILL and SIGSTOP included (``kill -9
-1`` passes it over); and this process is not dumpable, so the program (the same uid) can
neither trace it nor reach its memory or its descriptors through ``/proc``. Its exit ends every
process of the namespace. It runs under the same limits as the program (``prlimit`` before
bubblewrap).

Only the standard library's cheapest modules: this process starts on every run, and its start is
the bulk of the sandbox's cost (``ctypes`` adds about 2 ms).
"""

from __future__ import annotations

import os
import sys
import time

PR_SET_DUMPABLE = 4


def protect() -> None:
    """Leave the program no way to stop or tamper with this process."""
    import _signal  # the C module: ``signal`` would import ``enum``

    # Python catches SIGINT; a first process ignores only the signals it does not catch.
    _signal.signal(_signal.SIGINT, _signal.SIG_DFL)
    import ctypes

    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE)")


def main() -> int:
    report = int(sys.argv[1])
    os.set_inheritable(report, False)
    protect()
    os.write(report, b'{"starting": true}\n')
    started = time.monotonic()
    try:
        pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
    except OSError as exc:  # the runtime itself is broken: the host reports a sandbox fault
        os.write(report, b'{"error": %d}\n' % exc.errno)
        return 127
    while True:  # orphans come to the first process: reaped, or they would count as processes
        reaped, status, usage = os.wait4(-1, 0)
        if reaped == pid:
            break
    elapsed = time.monotonic() - started
    children = os.times()  # the program and every orphan reaped here
    cpu = children.children_user + children.children_system
    line = (
        f'{{"status": {status}, "elapsed_s": {elapsed:.6f}, "cpu_s": {cpu:.6f}, '
        f'"peak_memory_kb": {usage.ru_maxrss}}}\n'
    )
    os.write(report, line.encode())
    return 0  # the kernel ends whatever the program left running


if __name__ == "__main__":
    sys.exit(main())
