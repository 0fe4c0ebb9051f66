"""Hostile uploads against the reader: time, peak memory and message size (issue 12, items 1, 2,
5 and 6).

Each case runs in a fresh subprocess, killed after ``--timeout`` seconds (reported as ``>T``):

web_header     the web node's upload check (``sniff_header``) on a 64 KB header of 32,000
               duplicate column names, as a participant uploads it
gz_columns     a worker scoring the same kind of header gzipped: 10,000,000 columns in ~39 KB
gzip_bomb      a worker scoring ~1 MB of gzip that expands to 1.06 GiB
zip_bomb       a worker scoring a ~1 MB zip that expands to 1.06 GiB and declares 100 bytes
long_id        a worker scoring a ~100 KB gzip whose one unknown id is 100 MB long

Peak memory is the peak resident size (VmHWM, reset just before the call) above the resident
size at that moment, when the upload's bytes, the task and the libraries are already loaded.
"message" is the length of the English message a team would be shown (and stored).

    python bench/hostile_files.py [--cases web_header,gzip_bomb] [--timeout 120]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MIB = 1 << 20
BOMB_MEMBERS = 17  # gzip members of 64 MiB each: 1.06 GiB in all, past the 1 GiB cap


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


# --- the hostile files ---------------------------------------------------------------------


def duplicate_header(columns: int) -> bytes:
    return b",".join([b"a"] * columns) + b"\n"


def web_header() -> bytes:
    """64 KB of header, then a row: the web node sees the first 64 KiB (``StoredFile.head``)."""
    return (duplicate_header(32_000) + b"1\n")[: 1 << 16]


def gz_columns() -> bytes:
    return gzip.compress(duplicate_header(10_000_000), 9, mtime=0)


def zeros_member() -> bytes:
    return gzip.compress(b"0" * (64 * MIB), 9, mtime=0)


def gzip_bomb() -> bytes:
    """Concatenated gzip members are one gzip file (RFC 1952): cheap to build, same to read."""
    return gzip.compress(b"id,target\n", mtime=0) + zeros_member() * BOMB_MEMBERS


def zip_bomb() -> bytes:
    """One deflated member of 1.06 GiB whose headers claim 100 bytes."""
    buffer = io.BytesIO()
    block = b"0" * (64 * MIB)
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open("p.csv", "w") as member,
    ):
        member.write(b"id,target\n")
        for _ in range(BOMB_MEMBERS):
            member.write(block)
    data = bytearray(buffer.getvalue())
    data[22:26] = (100).to_bytes(4, "little")  # the local header's uncompressed size
    central = data.find(b"PK\x01\x02")
    data[central + 24 : central + 28] = (100).to_bytes(4, "little")
    return bytes(data)


def long_id() -> bytes:
    rows = b"".join(b"%06d,1.5\n" % i for i in range(1, 1000))
    return gzip.compress(b"id,target\n" + b"x" * (100 * MIB) + b",1.5\n" + rows, 9, mtime=0)


CASES: dict[str, Callable[[], bytes]] = {
    "web_header": web_header,
    "gz_columns": gz_columns,
    "gzip_bomb": gzip_bomb,
    "zip_bomb": zip_bomb,
    "long_id": long_id,
}


# --- one case in a child process -----------------------------------------------------------


def make_task(folder: Path) -> Path:
    import pandas as pd

    from judge.prepare import prepare_truth

    ids = [f"{i:06d}" for i in range(1000)]
    pd.DataFrame({"id": ids, "target": [i * 0.5 for i in range(1000)]}).to_csv(
        folder / "truth.csv", index=False
    )
    prepared = prepare_truth(
        folder / "truth.csv",
        folder / "store",
        id_column="id",
        target_column="target",
        metric="rmse",
        public_fraction=0.3,
    )
    return prepared.path


def child(case: str, upload: Path, truth: Path) -> dict:
    from core.errors import ParticipantVisibleError
    from judge.scoring import score
    from judge.sniff import sniff_header
    from judge.truth import load_solution

    data = upload.read_bytes()
    solution = load_solution(truth, "id", "target", "rmse")
    reset_peak()
    before = rss_bytes()
    start = time.perf_counter()
    message = ""
    try:
        if case == "web_header":
            sniff_header(data, "pred.csv", ["id", "target"])
        else:
            score(solution, data, "pred.csv", with_ci=False)
    except ParticipantVisibleError as exc:
        message = exc.english()
    return {
        "seconds": time.perf_counter() - start,
        "peak_mb": (peak_bytes() - before) / MIB,
        "message_chars": len(message),
        "message": message[:120],
        "upload_bytes": len(data),
    }


def run_case(case: str, folder: Path, truth: Path, timeout: float) -> dict:
    upload = folder / f"{case}.upload"
    if not upload.exists():
        upload.write_bytes(CASES[case]())
    command = [sys.executable, __file__, "--child", case, str(upload), str(truth)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, check=True, cwd=ROOT, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"timed_out": timeout, "upload_bytes": upload.stat().st_size}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        case, upload, truth = args.child
        print(json.dumps(child(case, Path(upload), Path(truth))))
        return

    folder = Path(tempfile.mkdtemp(prefix="hackjudge-bench-hostile-"))
    truth = make_task(folder)
    report = {}
    for case in args.cases.split(","):
        result = run_case(case, folder, truth, args.timeout)
        report[case] = result
        size = f"{result['upload_bytes'] / 1e3:,.0f} kB upload"
        if "timed_out" in result:
            print(f"{case:11} {size}: > {args.timeout:.0f} s (killed)")
            continue
        print(
            f"{case:11} {size}: {result['seconds']:.3f} s, peak +{result['peak_mb']:,.0f} MiB, "
            f"message {result['message_chars']:,} chars: {result['message']!r}"
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
