"""Cost of ``judge.bootstrap.confidence_interval`` (1,000 resamples) by metric and row count.

The scorer passes the score it already computed as ``estimate``; so does this script, so the
figures are the bootstrap's own cost. Medians of ``--runs`` calls, time.perf_counter.

    python bench/bootstrap_cost.py --rows 10000 100000 1000000 --runs 5
    python bench/bootstrap_cost.py --max-rows 5000   # try another EXACT_MAX_ROWS
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from judge import bootstrap  # noqa: E402
from judge.metrics import METRICS  # noqa: E402

CASES = {  # metric → number of classes
    "rmse": 0,
    "roc_auc": 2,
    "accuracy": 5,
    "f1_macro": 5,
    "log_loss": 2,
}


def data(name: str, k: int, n: int, rng: np.random.Generator) -> tuple[Any, Any]:
    if name == "rmse":
        t = rng.normal(100, 15, n)
        return t, t + rng.normal(0, 5, n)
    t = rng.integers(0, max(k, 2), n)
    if name in ("accuracy", "f1_macro"):
        return t, np.where(rng.random(n) < 0.7, t, rng.integers(0, k, n))
    return t, np.clip(t * 0.3 + rng.random(n) * 0.7, 0, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--max-rows", type=int, default=bootstrap.EXACT_MAX_ROWS)
    args = parser.parse_args()
    bootstrap.EXACT_MAX_ROWS = args.max_rows
    print(f"EXACT_MAX_ROWS={args.max_rows}, {args.resamples} resamples, median of {args.runs}")
    print(f"{'metric':10s}" + "".join(f"{n:>12,d}" for n in args.rows) + "  (ms)")
    rng = np.random.default_rng(0)
    for name, k in CASES.items():
        metric = METRICS[name]
        cells = []
        for n in args.rows:
            t, p = data(name, k, n, rng)
            estimate = metric(t, p, k)
            times = []
            for run in range(args.runs):
                start = time.perf_counter()
                bootstrap.confidence_interval(
                    metric, t, p, k, seed=run, resamples=args.resamples, estimate=estimate
                )
                times.append((time.perf_counter() - start) * 1000)
            cells.append(statistics.median(times))
        print(f"{name:10s}" + "".join(f"{ms:12.1f}" for ms in cells))


if __name__ == "__main__":
    main()
