"""Scoring 1,000,000 rows: the platform against the floor, measured in the same run (SPEC §11).

(a) platform: ``judge.scoring.score`` — read (encoding check, header check), validate ids and
    values, align, public + private metric, bootstrap CI on the public score;
(b) floor: ``pandas.read_csv`` (ids as text) + align by id (``reindex``) + the scikit-learn
    metric on all rows.

Each run is a fresh subprocess; its peak memory is the peak resident size (VmHWM, reset just
before scoring) above the resident size at that moment, when the file's bytes, the solution
and the libraries are already in memory. Medians of ``--runs``.

    python bench/scoring.py --rows 1000000 --runs 5
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize()


def reset_peak() -> None:
    """Linux: writing 5 to clear_refs resets the peak resident size (VmHWM) to the current."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def peak_bytes() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def make_task(folder: Path, rows: int, metric: str, shuffle: bool) -> tuple[Path, Path]:
    import numpy as np
    import pandas as pd

    from judge.prepare import prepare_truth

    rng = np.random.default_rng(0)
    ids = [f"{i:08d}" for i in range(rows)]
    if metric == "roc_auc":
        target = rng.integers(0, 2, rows)
        pred = np.clip(target * 0.3 + rng.random(rows) * 0.7, 0, 1)
    else:
        target = rng.normal(100, 15, rows)
        pred = target + rng.normal(0, 5, rows)
    truth = pd.DataFrame({"id": ids, "target": target})
    truth.to_csv(folder / "truth.csv", index=False)
    prepared = prepare_truth(
        folder / "truth.csv",
        folder / "store",
        id_column="id",
        target_column="target",
        metric=metric,
        public_fraction=0.3,
    )
    submission = pd.DataFrame({"id": ids, "target": pred})
    if shuffle:
        submission = submission.sample(frac=1, random_state=1)
    path = folder / f"submission-{metric}.csv"
    submission.to_csv(path, index=False)
    return prepared.path, path


def child(mode: str, metric: str, truth: Path, submission: Path) -> dict:
    import numpy as np
    import pandas as pd
    from sklearn import metrics as skm

    from judge.scoring import score
    from judge.truth import load_solution

    solution = load_solution(truth, "id", "target", metric)
    # Steady state, as in a worker whose SolutionCache holds the task: the id index's hash
    # table is built (both modes align against solution.index).
    solution.index.get_indexer(solution.index[:1])
    data = submission.read_bytes()
    floor_metric = {
        "roc_auc": skm.roc_auc_score,
        "rmse": lambda t, p: float(np.sqrt(skm.mean_squared_error(t, p))),
    }[metric]
    y_true = solution.y_true
    reset_peak()
    before = rss_bytes()
    t0 = time.perf_counter()
    timings = {}
    if mode == "platform":
        result = score(solution, data, submission.name)
        timings = result.timings_ms
        value = result.public_score
    else:
        frame = pd.read_csv(io.BytesIO(data), dtype={"id": str})
        aligned = frame.set_index("id").reindex(solution.index)["target"].to_numpy()
        value = floor_metric(y_true, aligned)
    seconds = time.perf_counter() - t0
    peak = peak_bytes()
    return {
        "seconds": seconds,
        "peak_over_file": (peak - before) / len(data),
        "value": value,
        "timings_ms": timings,
        "file_bytes": len(data),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--metrics", default="rmse,roc_auc")
    parser.add_argument("--shuffle", action="store_true", help="rows in random order")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--child", nargs=4, metavar=("MODE", "METRIC", "TRUTH", "SUB"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        mode, metric, truth, sub = args.child
        print(json.dumps(child(mode, metric, Path(truth), Path(sub))))
        return

    folder = Path(tempfile.mkdtemp(prefix="hackjudge-bench-scoring-"))
    report = {}
    for metric in args.metrics.split(","):
        truth, submission = make_task(folder, args.rows, metric, args.shuffle)
        runs: dict[str, list[dict]] = {"platform": [], "floor": []}
        for _ in range(args.runs):
            for mode in ("platform", "floor"):  # interleaved, so drift hits both alike
                out = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--child",
                        mode,
                        metric,
                        str(truth),
                        str(submission),
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=ROOT,
                )
                runs[mode].append(json.loads(out.stdout.strip().splitlines()[-1]))
        platform = statistics.median(r["seconds"] for r in runs["platform"])
        floor = statistics.median(r["seconds"] for r in runs["floor"])
        memory = statistics.median(r["peak_over_file"] for r in runs["platform"])
        parts = {
            k: statistics.median(r["timings_ms"][k] for r in runs["platform"])
            for k in runs["platform"][0]["timings_ms"]
        }
        report[metric] = {
            "rows": args.rows,
            "file_mb": runs["platform"][0]["file_bytes"] / 1e6,
            "platform_s": platform,
            "floor_s": floor,
            "ratio": platform / floor,
            "platform_peak_memory_over_file": memory,
            "floor_peak_memory_over_file": statistics.median(
                r["peak_over_file"] for r in runs["floor"]
            ),
            "platform_parts_ms": parts,
        }
        print(
            f"{metric}: {args.rows:,} rows ({report[metric]['file_mb']:.1f} MB"
            f"{', shuffled' if args.shuffle else ''}), median of {args.runs}: "
            f"platform {platform:.3f} s, floor {floor:.3f} s, ratio {platform / floor:.2f}; "
            f"peak memory {memory:.2f}× file "
            f"(floor {report[metric]['floor_peak_memory_over_file']:.2f}×); "
            + ", ".join(f"{k} {v:.0f} ms" for k, v in parts.items())
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
