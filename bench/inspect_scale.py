"""Scan speed of `rlvr inspect` on a generated JSONL (default 1,000,000 rows): prints rows/second.

Target: at least 100,000 rows/s without --model on a 2-core CPU. The file is generated once (seeded)
into a temporary directory unless --file is given; the readiness step (math-verify parse rate on a
sample) is timed apart, since it does not grow with the row count.

    python bench/inspect_scale.py                 # 1,000,000 rows
    python bench/inspect_scale.py --rows 200000 --keep /tmp/x.jsonl
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_ROWS_PER_S = 100_000


def generate(path: Path, rows: int, seed: int = 0) -> None:
    """Arithmetic-style rows: id, question, answer, a short source tag; about 1% exact duplicates."""
    import orjson

    rng = random.Random(seed)
    ops = ("+", "-", "*")
    with open(path, "wb") as f:
        previous = b""
        for i in range(rows):
            if previous and rng.random() < 0.01:
                f.write(previous)
                continue
            a, b, op = rng.randint(1, 999), rng.randint(1, 999), rng.choice(ops)
            value = a + b if op == "+" else a - b if op == "-" else a * b
            line = orjson.dumps({"id": i, "question": f"What is {a} {op} {b}?", "answer": str(value),
                                 "source": "synthetic"}) + b"\n"
            f.write(line)
            previous = line


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--file", help="scan this JSONL instead of generating one")
    ap.add_argument("--keep", help="write the generated file here and keep it")
    ap.add_argument("--repeats", type=int, default=3, help="scans to time; the best is reported")
    args = ap.parse_args()

    from rlvr.data.inspect import inspect_dataset
    from rlvr.data.load import open_source
    from rlvr.data.scan import scan

    tmp = None
    if args.file:
        path = Path(args.file)
    else:
        if args.keep:
            path = Path(args.keep)
        else:
            tmp = tempfile.TemporaryDirectory()
            path = Path(tmp.name) / "scale.jsonl"
        t0 = time.perf_counter()
        generate(path, args.rows)
        print(f"generated {args.rows:,} rows ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t0:.1f} s")

    best = None
    for i in range(args.repeats):
        t0 = time.perf_counter()
        result = scan(open_source(path))
        dt = time.perf_counter() - t0
        rate = result.rows / dt
        print(f"scan {i + 1}: {result.rows:,} rows in {dt:.2f} s = {rate:,.0f} rows/s "
              f"({result.duplicates:,} duplicates)")
        best = max(best or 0, rate)
    t0 = time.perf_counter()
    report = inspect_dataset(str(path))
    dt = time.perf_counter() - t0
    print(f"full inspect (scan + readiness incl. parse rate on {report['answers'].get('sampled', 0):,} sampled answers): "
          f"{dt:.2f} s = {report['rows'] / dt:,.0f} rows/s")
    print(f"best scan: {best:,.0f} rows/s (target >= {TARGET_ROWS_PER_S:,}; cpus: {os.cpu_count()}) -> "
          + ("OK" if best >= TARGET_ROWS_PER_S else "BELOW TARGET"))
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
