"""The first process inside the sandbox (``judge.sandbox``): runs the team's program and reports
how it ended, its CPU time and its peak memory to the host on the descriptor named first on its
command line (the team's command follows).

Only ``os``, ``sys`` and ``time``: this process starts on every run, and its start is the bulk
of the sandbox's cost. The program never holds the report's descriptor (close-on-exec). Being
the same uid, it could still kill this process or write through /proc to the report: the host
then says "no report", or shows a made-up peak memory; nothing that decides a score comes from
here (the host keeps the wall clock, the kernel the CPU and file limits, the host reads the
output itself).
"""

from __future__ import annotations

import os
import sys
import time


def main() -> int:
    report = int(sys.argv[1])
    os.set_inheritable(report, False)
    started = time.monotonic()
    try:
        pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
    except OSError as exc:  # the runtime itself is broken: the host reports a sandbox fault
        os.write(report, b'{"error": %d}' % exc.errno)
        return 127
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.monotonic() - started
    cpu = usage.ru_utime + usage.ru_stime
    line = (
        f'{{"status": {status}, "elapsed_s": {elapsed:.6f}, "cpu_s": {cpu:.6f}, '
        f'"peak_memory_kb": {usage.ru_maxrss}}}'
    )
    os.write(report, line.encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
