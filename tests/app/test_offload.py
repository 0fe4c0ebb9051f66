"""CPU-heavy work on a gevent web node runs off its event loop (issue 12, item 1): while a
pool job computes, the loop's other greenlets (every other request and websocket) go on.

Each case runs in a fresh process patched the way ``hackjudge serve`` patches itself. The job
computes in pure Python (the worst case: it holds the GIL except for the interpreter's
switches) until it sees the loop's ticker move, or gives up after a bound; run on the loop
itself, as the statistics and the XLSX export used to be, the ticker cannot move until the
job ends, so the job reports a starved loop. No clock is read.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
from gevent import monkey
monkey.patch_all()
import gevent
from organize import passwords
from core import offload

ticks = [0]
def ticker():
    while True:
        ticks[0] += 1
        gevent.sleep(0)

def job(bound):
    x = 0
    for i in range(bound):
        x += i * i
        if ticks[0] > 3:
            return "loop ran"
    return "loop starved"

gevent.spawn(ticker)
gevent.sleep(0)
ticks[0] = 0
BOUND = 200_000_000
if MODE == "heavy":
    print(offload.heavy.run(job, BOUND))
elif MODE == "hashing":
    print(passwords.off_loop(job, BOUND))
else:
    print(job(20_000_000))
"""


def _run(mode: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", f"MODE = {mode!r}\n" + SCRIPT],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize("pool", ["heavy", "hashing"])
def test_pool_work_leaves_the_loop_running(pool: str) -> None:
    assert _run(pool) == "loop ran"


def test_the_same_work_on_the_loop_starves_it() -> None:
    # The control: the probe does tell a blocked loop from a free one.
    assert _run("loop") == "loop starved"
