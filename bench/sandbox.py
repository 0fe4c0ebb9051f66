"""The sandbox's own cost (issue 16): start to exit of a team's program in bubblewrap
(``judge.sandbox.run``: prlimit, bwrap with its namespaces and mounts, the reporting init)
against the same program run bare by the same runtime Python, in one run, interleaved.

Two programs: an empty one, and ``import pandas, sklearn`` (what most teams' code starts with).
Reports each one's p50 / p90 in milliseconds and the overhead (sandbox p50 - bare p50); the
target is at most 50 ms. No database, no Redis.

    python bench/sandbox.py [--runs 30] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from judge import sandbox, sandbox_check  # noqa: E402

PROGRAMS = {"empty": "", "import pandas, sklearn": "import pandas, sklearn\n"}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def time_sandboxed(source: str) -> float:
    with sandbox.workspace() as (code, inputs, output):
        (code / "main.py").write_text(source)
        sandbox.readable(code)
        started = time.perf_counter()
        result = sandbox.run(code, inputs, output, ["python", "/code/main.py"])
        took = time.perf_counter() - started
    assert result.succeeded, result.log
    return took


def time_bare(source: str) -> float:
    with sandbox.workspace() as (code, _inputs, _output):
        (code / "main.py").write_text(source)
        started = time.perf_counter()
        subprocess.run([str(sandbox.RUNTIME / "bin" / "python"), str(code / "main.py")], check=True)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    problem = sandbox_check.self_test()
    if problem:
        sys.exit(f"the sandbox does not work here: {problem}")
    figures: dict[str, dict[str, float]] = {}
    for name, source in PROGRAMS.items():
        time_sandboxed(source), time_bare(source)  # warm the page cache for both
        boxed: list[float] = []
        bare: list[float] = []
        for _ in range(args.runs):  # interleaved: a slow moment costs both alike
            boxed.append(time_sandboxed(source) * 1000)
            bare.append(time_bare(source) * 1000)
        figures[name] = {
            "sandbox_p50_ms": statistics.median(boxed),
            "sandbox_p90_ms": percentile(boxed, 0.9),
            "bare_p50_ms": statistics.median(bare),
            "bare_p90_ms": percentile(bare, 0.9),
            "overhead_p50_ms": statistics.median(boxed) - statistics.median(bare),
        }
        f = figures[name]
        print(
            f"{name:24} sandbox p50 {f['sandbox_p50_ms']:7.1f} p90 {f['sandbox_p90_ms']:7.1f} ms"
            f" | bare p50 {f['bare_p50_ms']:7.1f} p90 {f['bare_p90_ms']:7.1f} ms"
            f" | overhead {f['overhead_p50_ms']:6.1f} ms (target <= 50)"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
