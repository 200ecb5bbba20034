"""Benchmark for the quickstart (issue: foundation): wall time of `rlvr quickstart` on this machine and the
held-out pass@1 gain it reaches, against the targets (finish in under 15 minutes with installs;
at least +40 points over the base model; each stage's own gain with its interval).

    python bench/quickstart_gain.py [--workdir DIR] [--reuse]

It runs the real command in a fresh working directory (unless --reuse points at a finished run), then
prints base -> sft -> grpo pass@1 for each eval set with 95% intervals, each stage's gain over the
previous one with a paired bootstrap interval, and the ratio of the total gain to the +40 target.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_GAIN = 0.40
TARGET_MINUTES = 15


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", default=None, help="where runs/quickstart is written (default: a temp dir)")
    ap.add_argument("--reuse", default=None, help="a finished run directory to read instead of running")
    args = ap.parse_args()
    if args.reuse:
        run_dir, wall = Path(args.reuse), json.loads((Path(args.reuse) / "run.json").read_text())["wall_s"]
    else:
        work = Path(args.workdir or tempfile.mkdtemp(prefix="rlvr-bench-"))
        work.mkdir(parents=True, exist_ok=True)
        t0 = time.time()
        subprocess.run([sys.executable, "-m", "rlvr", "quickstart"], cwd=work, check=True,
                       env={**os.environ, "PYTHONUNBUFFERED": "1"})
        wall, run_dir = time.time() - t0, work / "runs" / "quickstart"

    from rlvr.eval.compare import compare_sides, load_side  # paired bootstrap over problems, fixed seed

    sets = {"eval": run_dir / "eval"} | {p.name: p for p in (run_dir / "eval").iterdir()
                                          if p.is_dir() and not (p / "summary.json").exists()}
    labels = ["base", "sft", "grpo"]
    print(f"run: {run_dir}   wall: {wall / 60:.1f} min (target < {TARGET_MINUTES} min including installs)")
    for name, root in sets.items():
        summaries = {lab: json.loads((root / lab / "summary.json").read_text()) for lab in labels
                     if (root / lab / "summary.json").exists()}
        line = "  ".join(f"{lab} {s['pass@1']:.3f} [{s['pass@1_ci'][0]:.2f},{s['pass@1_ci'][1]:.2f}]"
                         for lab, s in summaries.items())
        print(f"{name:28s} {line}")
        for a, b in zip(labels, labels[1:]):
            if a in summaries and b in summaries:
                c = compare_sides(load_side(root / a), load_side(root / b))
                d = next(m for m in c.metrics if m.metric == "pass@1")
                print(f"{'':28s} {a}->{b}: {d.diff:+.3f} [{d.ci[0]:+.3f}, {d.ci[1]:+.3f}] "
                      f"(flips: {len(c.flips_unsolved_to_solved)} solved, {len(c.flips_solved_to_unsolved)} lost)")
        if "base" in summaries and labels[-1] in summaries:
            gain = summaries[labels[-1]]["pass@1"] - summaries["base"]["pass@1"]
            print(f"{'':28s} total gain {gain:+.3f}; ratio to the +{TARGET_GAIN:.2f} target: {gain / TARGET_GAIN:.2f}")


if __name__ == "__main__":
    main()
