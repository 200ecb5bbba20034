"""Does GRPO learn here, and how much does each stage add? Held-out pass@1 before and after, wall time.

    python bench/grpo_learning.py                       # the defaults: recipes/word_problems.yaml
    python bench/grpo_learning.py --grpo-steps 2 --sft-rows 16 --eval-n 8 --model tiny-random   # smoke run

Runs recipes/word_problems.yaml (SFT warm-up on worked solutions, then GRPO with accuracy + numeric
partial credit + true steps + format) on the embedded SmolLM2-135M and the builtin `word-problems` task (2-3
operation integer word problems), through `rlvr.train.runner.run_recipe`, into
runs/bench-grpo-learning/. Re-running resumes: finished stages and evaluations are kept, so pass
--overwrite to measure wall time from scratch. Target: held-out greedy pass@1 up by at least 25
points in under 20 minutes on a 2-core CPU.

Prints the pass@1 (Wilson 95% interval) after each stage, each stage's gain over the previous one
on the same problems (paired bootstrap 95% interval, problems solved and lost), the GRPO training
curve (reward, accuracy component, zero-variance share per step), stage and total wall times, and
writes them to runs/bench-grpo-learning/bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_POINTS = 25.0
TARGET_MINUTES = 20.0


def build_recipe(args):
    import yaml

    from rlvr.train.recipe import parse_recipe

    raw = yaml.safe_load(Path(args.recipe).read_text(encoding="utf-8"))
    raw["name"] = "bench-grpo-learning"
    raw["output_dir"] = args.out
    raw["model"] = args.model or raw["model"]
    sft, grpo = raw["stages"]
    if args.sft_rows is not None:
        sft["data"]["n"] = args.sft_rows
    if args.grpo_steps is not None:
        grpo["max_steps"] = args.grpo_steps
    if args.eval_n is not None:
        for s in raw["eval"]["sets"]:
            s["n"] = args.eval_n
    return parse_recipe(raw, args.recipe)


def stage_times(run_dir: Path) -> dict[str, float]:
    """Each stage's training wall time, from the first to the last row it logged (train_runtime when there)."""
    out: dict[str, float] = {}
    path = run_dir / "metrics.jsonl"
    if not path.exists():
        return out
    for line in path.read_text().splitlines():
        row = json.loads(line)
        if "train_runtime" in row:
            out[row["stage"]] = round(float(row["train_runtime"]), 1)
    return out


def grpo_curve(run_dir: Path, stage: str = "grpo") -> list[dict]:
    path = run_dir / "metrics.jsonl"
    if not path.exists():
        return []
    keys = ("reward", "rewards/accuracy/mean", "rewards/numeric/mean", "frac_reward_zero_std", "diagnostics/unique_frac")
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return [{"step": r["step"], **{k: round(r[k], 3) for k in keys if k in r}}
            for r in rows if r.get("stage") == stage and "reward" in r]


def paired_gain(run_dir: Path, before: str | None, after: str, out: dict) -> str:
    """The gain from `before` to `after` on the same problems: difference, paired bootstrap 95% interval, flips."""
    if before is None:
        return ""
    from rlvr.eval.compare import compare_sides, load_side  # paired bootstrap over problems, fixed seed

    c = compare_sides(load_side(run_dir / "eval" / before), load_side(run_dir / "eval" / after))
    d = next(m for m in c.metrics if m.metric == "pass@1")
    solved, lost = len(c.flips_unsolved_to_solved), len(c.flips_solved_to_unsolved)
    out[f"{before}->{after}"] = {"points": round(100 * d.diff, 1), "ci_points": [round(100 * d.ci[0], 1), round(100 * d.ci[1], 1)],
                                 "solved": solved, "lost": lost}
    return (f"  gain {100 * d.diff:+.1f} points [{100 * d.ci[0]:+.1f}, {100 * d.ci[1]:+.1f}] "
            f"({solved} solved, {lost} lost)")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--recipe", default=str(Path(__file__).resolve().parent.parent / "recipes" / "word_problems.yaml"))
    p.add_argument("--out", default="runs/bench-grpo-learning")
    p.add_argument("--model", default=None, help="Override the recipe's model (e.g. tiny-random for a smoke run).")
    p.add_argument("--sft-rows", type=int, default=None)
    p.add_argument("--grpo-steps", type=int, default=None)
    p.add_argument("--eval-n", type=int, default=None)
    p.add_argument("--overwrite", action="store_true", help="Move a previous run aside and start from scratch.")
    args = p.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("RLVR_NO_TRACKIO", "1")  # timing without Trackio's SQLite writes
    from rlvr.train.runner import run_recipe

    recipe = build_recipe(args)
    run_dir = Path(args.out)
    if args.overwrite and run_dir.exists():
        os.replace(run_dir, run_dir.with_name(f"{run_dir.name}.old-{time.strftime('%Y%m%d-%H%M%S')}"))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    t0 = time.time()
    result = run_recipe(recipe, report=True)
    wall = time.time() - t0

    labels = ["base"] + [s.name for s in recipe.stages]
    evals = {k: v for k, v in result.evals.items() if v}
    print(f"\nGRPO learning on {recipe.model}, task word-problems ({recipe.eval.sets[0].n} held-out problems, greedy)")
    prev, paired = None, {}
    for label in labels:
        s = evals.get(label)
        if not s:
            continue
        lo, hi = s["pass@1_ci"]
        print(f"  {label:<6} pass@1 {s['pass@1']:.3f}  [{lo:.3f}, {hi:.3f}]{paired_gain(run_dir, prev, label, paired)}")
        prev = label
    total = 100 * (evals[labels[-1]]["pass@1"] - evals["base"]["pass@1"]) if "base" in evals and labels[-1] in evals else float("nan")
    curve = grpo_curve(run_dir)
    if curve:
        print("  GRPO curve (step: reward / accuracy / zero-variance groups):")
        print("   " + "  ".join(f"{c['step']}: {c.get('reward', float('nan')):.2f}/{c.get('rewards/accuracy/mean', float('nan')):.2f}/"
                                f"{c.get('frac_reward_zero_std', float('nan')):.2f}" for c in curve))
    times = stage_times(run_dir)
    print(f"  stage train times: {times}")
    print(f"  total gain {total:+.1f} points (target >= +{TARGET_POINTS:.0f}); wall {wall / 60:.1f} min "
          f"(target < {TARGET_MINUTES:.0f} min; includes evaluations; load average at start {load:.1f})")
    from rlvr.io import write_json

    write_json(run_dir / "bench.json", {
        "model": recipe.model, "evals": {k: {"pass@1": v["pass@1"], "pass@1_ci": v["pass@1_ci"]} for k, v in evals.items()},
        "gain_points": round(total, 1), "paired_gains": paired, "wall_s": round(wall, 1), "stage_train_s": times, "grpo_curve": curve,
        "load_average_at_start": load, "cpus": os.cpu_count()})
    met = total >= TARGET_POINTS and wall / 60 < TARGET_MINUTES
    print("  target met" if met else "  target NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
