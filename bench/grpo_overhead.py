"""rlvr's overhead over a plain TRL GRPOTrainer with the same settings, measured in one process.

    python bench/grpo_overhead.py                        # smollm2-135m, 6 steps, 2 interleaved rounds
    python bench/grpo_overhead.py --model tiny-random --steps 8 --rounds 3

(a) plain: `trl.GRPOTrainer` built by hand with the same GRPOConfig values, the same rows and the
    same two reward functions (rlvr's `numeric` and `format`, unwrapped), no callbacks.
(b) rlvr: `rlvr.train.stages.run_stage` with what `run_recipe` adds to a GRPO stage: the rewards
    from the registry wrapped by `rlvr.train.diagnostics.wrap_rewards` (unverifiable share,
    quantiles, zero variance, diversity, warnings), the metrics.jsonl callback and the hack monitor.

The runs alternate (a, b, a, b, ...) with the same seed. Both get the same timing callback, which
stamps the end of every optimizer step; the per-step time is the median of the gaps after the first
step (model warm-up excluded). Printed: per-step time of each, and the ratio rlvr / plain (target
<= 1.05). Trackio is off for both. Saving the final model (rlvr only) is outside the timed steps.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RLVR_NO_TRACKIO", "1")

TARGET_RATIO = 1.05


def step_timer():
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        def __init__(self):
            self.stamps: list[float] = []

        def on_train_begin(self, args, state, control, **kwargs):
            self.stamps = [time.perf_counter()]

        def on_step_end(self, args, state, control, **kwargs):
            self.stamps.append(time.perf_counter())

        def per_step(self) -> float:
            gaps = [b - a for a, b in zip(self.stamps, self.stamps[1:])]
            return statistics.median(gaps[1:] if len(gaps) > 1 else gaps)

    return StepTimer()


def make_recipe(model: str, steps: int, out: Path):
    from rlvr.train.recipe import parse_recipe

    return parse_recipe({
        "name": "bench-grpo-overhead", "model": model, "seed": 0, "output_dir": str(out),
        "stages": [{"name": "grpo", "method": "grpo", "data": {"task": "word-problems", "n": 64},
                    "rewards": [{"name": "numeric", "weight": 1.0}, {"name": "format", "weight": 0.1}],
                    "num_generations": 4, "per_device_train_batch_size": 8, "max_completion_length": 24,
                    "temperature": 0.7, "max_steps": steps, "logging_steps": 1, "save_steps": 10_000,
                    "learning_rate": 1e-5}]})


def run_plain(recipe, model_path: Path, out: Path) -> float:
    """A hand-written TRL run with the same config values and the same reward functions."""
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    from rlvr.hardware import precision_kwargs
    from rlvr.models import load_tokenizer
    from rlvr.rewards.math import numeric
    from rlvr.rewards.shape import format as format_reward
    from rlvr.tasks import load_task

    stage = recipe.stages[0]
    rows = [{k: v for k, v in r.items() if k in ("prompt", "answer")} for r in load_task("word-problems", "train", n=64)]
    config = GRPOConfig(output_dir=str(out), seed=recipe.seed, report_to=[], save_strategy="steps",
                        reward_weights=[1.0, 0.1], **precision_kwargs(), **stage.trl_args())
    tokenizer = load_tokenizer(model_path)
    tokenizer.padding_side = "left"
    timer = step_timer()
    trainer = GRPOTrainer(model=str(model_path), reward_funcs=[numeric, format_reward], args=config,
                          train_dataset=Dataset.from_list(rows), processing_class=tokenizer, callbacks=[timer])
    trainer.train()
    return timer.per_step()


def run_rlvr(recipe, model_path: Path, out: Path) -> float:
    """run_stage with the callbacks run_recipe gives a GRPO stage."""
    from rlvr.train.runner import MetricsFile, stage_callbacks
    from rlvr.train.stages import run_stage

    stage = recipe.stages[0]
    out.mkdir(parents=True, exist_ok=True)
    timer = step_timer()
    callbacks = [MetricsFile(out / "metrics.jsonl", stage.name), *stage_callbacks(recipe, stage, out), timer]
    run_stage(recipe, stage, model_path, out / "stages" / stage.name, callbacks=callbacks, report_to=[])
    return timer.per_step()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="smollm2-135m")
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()

    from rlvr.models import resolve_model

    model_path = resolve_model(args.model)
    plain, ours = [], []
    root = Path(tempfile.mkdtemp(prefix="rlvr-grpo-overhead-"))
    load = os.getloadavg()[0]
    try:
        for i in range(args.rounds):
            recipe = make_recipe(args.model, args.steps, root / f"rlvr-{i}")
            plain.append(run_plain(recipe, model_path, root / f"plain-{i}"))
            ours.append(run_rlvr(recipe, model_path, root / f"rlvr-{i}"))
            print(f"round {i + 1}: plain {plain[-1]:.3f} s/step, rlvr {ours[-1]:.3f} s/step", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    a, b = statistics.median(plain), statistics.median(ours)
    print(f"\nGRPO overhead on {args.model}: {args.steps} steps x {args.rounds} rounds, 2 prompts x 4 completions "
          f"of <= 24 tokens per step, load average at start {load:.1f}")
    print(f"  plain TRL GRPOTrainer: {a:.3f} s/step (median of rounds {[round(x, 3) for x in plain]})")
    print(f"  rlvr run_stage:        {b:.3f} s/step (median of rounds {[round(x, 3) for x in ours]})")
    print(f"  ratio rlvr / plain: {b / a:.3f} (target <= {TARGET_RATIO})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
