"""The deadline rush's figures (``bench/rush.py``): percentiles, CPU per process, a run's
summary, the medians and ratios over the runs, and the lines printed as it goes."""

from __future__ import annotations

import os
import statistics
from pathlib import Path
from typing import Any

from bench._support import percentiles

TICK = os.sysconf("SC_CLK_TCK")
SLOW_202_S = 0.25  # answers slower than this are listed with their moment


def label(system: str, layout: str) -> str:
    """A system's name in the results: with several layouts compared, its layout's (``2w``:
    2 workers, ``2n``: 2 web nodes; ``""`` when there is one layout)."""
    return f"{system}/{layout}" if layout else system


def _cpu_of(pid: str) -> tuple[int, str, int] | None:
    """(process group, command, CPU ticks incl. reaped children) of one process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    # After the command: state ppid pgrp session ... utime(11) stime(12) cutime(13) cstime(14)
    return int(fields[2]), comm, sum(int(f) for f in fields[11:15])


def _serves(pid: str, database: str) -> bool:
    """Is this PostgreSQL process a backend (or autovacuum worker) of ``database``? Its
    title says: ``postgres: USER DATABASE HOST(PORT) STATE``, ``postgres: autovacuum worker
    DATABASE``."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, UnicodeDecodeError):
        return False
    return database in title.split()


def cpu_seconds(groups: dict[str, list[int]], database: str | None = None) -> dict[str, float]:
    """CPU seconds so far of each named list of process groups, and of PostgreSQL: all its
    processes (``postgres``), and the backends of ``database`` alone (``postgres_db``: on a
    machine shared with other work, the server's other databases are not this system's)."""
    totals = {name: 0 for name in groups} | {"postgres": 0, "postgres_db": 0}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        found = _cpu_of(pid)
        if found is None:
            continue
        pgrp, comm, ticks = found
        if comm.startswith("postgres") or comm.startswith("postmaster"):
            totals["postgres"] += ticks
            if database is not None and _serves(pid, database):
                totals["postgres_db"] += ticks
        for name, pgids in groups.items():
            if pgrp in pgids:
                totals[name] += ticks
    return {name: ticks / TICK for name, ticks in totals.items()}


def summarise(
    name: str, driven: dict[str, Any], latencies: list[float], uploads: int, stored: int
) -> dict[str, Any]:
    accepted = len(driven["accepted"])
    per_upload = {k: v / max(1, accepted) * 1000 for k, v in driven["cpu_s"].items()}
    return {
        "system": name,
        "uploads": uploads,
        "accepted": accepted,
        "finished": driven["finished"],
        "stored": stored,
        "lost": accepted - min(accepted, driven["finished"]),
        "duplicated": max(0, stored - accepted),
        "pushed": len(latencies),
        "http_202_ms": {
            k: v * 1000
            for k, v in percentiles([t for t in driven["took"] if t is not None]).items()
        },
        "push_ms": {k: v * 1000 for k, v in percentiles(latencies).items()},
        # When the slow answers were sent (s after the clock started) and took (ms): a stall
        # of the whole machine shows as one cluster, to set beside PostgreSQL's log.
        "slow_202": [
            (round(driven["sent"][j] - driven["start"], 2), round(t * 1000))
            for j, t in enumerate(driven["took"])
            if t is not None and t > SLOW_202_S and isinstance(driven["replies"][j], dict)
        ],
        "started_utc": driven["started_utc"],
        "cpu_ms_per_upload": per_upload,
        "queue_max": driven["queue_max"],
        "queue_per_5s": driven["queue_per_5s"],
        "boards_pushed": driven["boards_pushed"],
        "drain_s": driven["drain_s"],
        "refused": driven["refused"],
    }


# Where each figure reported over the runs is in a run's summary (``summarise``).
WHERE = {
    "http_202_p50_ms": ("http_202_ms", "p50"),
    "http_202_p99_ms": ("http_202_ms", "p99"),
    "push_p50_ms": ("push_ms", "p50"),
    "push_p99_ms": ("push_ms", "p99"),
    "web_cpu_ms": ("cpu_ms_per_upload", "web"),
    "worker_cpu_ms": ("cpu_ms_per_upload", "workers"),
    "postgres_cpu_ms": ("cpu_ms_per_upload", "postgres"),
    "postgres_db_cpu_ms": ("cpu_ms_per_upload", "postgres_db"),
    "queue_max": ("queue_max",),
}
RATIO_KEYS = (
    "http_202_p99_ms",
    "push_p50_ms",
    "push_p99_ms",
    "web_cpu_ms",
    "postgres_cpu_ms",
    "postgres_db_cpu_ms",
)
LAYOUT_KEYS = ("http_202_p50_ms", "http_202_p99_ms", "push_p50_ms", "push_p99_ms", "queue_max")


def _ratio(ours: float, base: float) -> float | None:
    """``ours / base``; two zeros are even (1.0), a zero base under a non-zero figure None."""
    if base:
        return ours / base
    return 1.0 if not ours else None


def _ratios(ours: dict[str, float], base: dict[str, float], keys: tuple[str, ...]) -> dict:
    return {key: _ratio(ours[key], base[key]) for key in keys}


def report(runs: list[dict[str, dict[str, Any]]], layouts: list[str]) -> dict[str, Any]:
    """Medians over the runs of each figure; the platform / floor ratios of each layout
    (``layouts``, as :func:`label` names them: ``ratios`` for the first, ``ratios/2w`` for the
    others); and each further layout against the first, the floor's as well as the platform's
    (``compared/2w``, ``compared/2n``)."""
    out: dict[str, Any] = {}
    for system in runs[0]:
        out[system] = {
            name: statistics.median(_figure(run[system], name) for run in runs) for name in WHERE
        } | {
            "lost": max(run[system]["lost"] for run in runs),
            "duplicated": max(run[system]["duplicated"] for run in runs),
        }
    first = layouts[0]
    for layout in layouts:
        floor, ours = out[label("floor", layout)], out[label("hackjudge", layout)]
        out["ratios" + (f"/{layout}" if layout != first else "")] = _ratios(ours, floor, RATIO_KEYS)
        if layout != first:
            out[f"compared/{layout}"] = _compared(out, runs, layout, first)
    return out


def _figure(result: dict[str, Any], name: str) -> float:
    """The figure ``name`` of one run of one system (``WHERE`` it is in the run's summary)."""
    value: Any = result
    for key in WHERE[name]:
        value = value[key]
    return value


def _figures(result: dict[str, Any]) -> dict[str, float]:
    """One run's figures of one system that layouts are compared by (``LAYOUT_KEYS``)."""
    return {name: _figure(result, name) for name in LAYOUT_KEYS}


def _compared(
    medians: dict[str, Any], runs: list[dict[str, dict[str, Any]]], layout: str, first: str
) -> dict[str, Any]:
    """``layout`` against ``first``, each system's: the ratios of their medians; each run's
    ratios (``runs``: the two layouts of one run met the machine at the same hour); and the
    median of those (``paired``)."""
    systems = ("floor", "hackjudge")
    each = [
        {
            system: _ratios(
                _figures(run[label(system, layout)]),
                _figures(run[label(system, first)]),
                LAYOUT_KEYS,
            )
            for system in systems
        }
        for run in runs
    ]
    paired = {
        system: {
            key: statistics.median(values) if (values := _known(each, system, key)) else None
            for key in LAYOUT_KEYS
        }
        for system in systems
    }
    return {
        system: _ratios(medians[label(system, layout)], medians[label(system, first)], LAYOUT_KEYS)
        for system in systems
    } | {"paired": paired, "runs": each}


def _known(each: list[dict[str, dict[str, float | None]]], system: str, key: str) -> list[float]:
    return [ratio for run in each if (ratio := run[system][key]) is not None]


def show(run: int, result: dict[str, Any]) -> None:
    h, p, cpu = result["http_202_ms"], result["push_ms"], result["cpu_ms_per_upload"]
    print(
        f"run {run + 1} {result['system']:>12}: 202 p50 {h['p50']:6.1f} p99 {h['p99']:7.1f} ms | "
        f"push p50 {p['p50']:7.1f} p99 {p['p99']:7.1f} ms "
        f"({result['pushed']}/{result['accepted']}) | cpu/upload web {cpu['web']:5.1f} "
        f"workers {cpu['workers']:5.1f} pg {cpu['postgres']:5.1f} "
        f"(its db {cpu['postgres_db']:4.1f}) ms | "
        f"queue max {result['queue_max']} | lost {result['lost']} dup {result['duplicated']} | "
        f"boards pushed {result['boards_pushed']}"
        + (f" | refused {result['refused']}" if result["refused"] else "")
        + (
            f" | intervals done at {result['intervals_done_s']:.0f} s"
            f" ({result['intervals_left']} left)"
            if "intervals_done_s" in result
            else ""
        ),
        flush=True,
    )
    depth = result["queue_per_5s"]
    print("    queue max per 5 s: " + " ".join(f"{depth[t]}" for t in sorted(depth)), flush=True)
    if result["slow_202"]:
        shown = ", ".join(f"{ms} ms at {at} s" for at, ms in result["slow_202"][:12])
        began = result["started_utc"]
        print(f"    202s over {SLOW_202_S * 1000:.0f} ms (clock from {began}): {shown}")
