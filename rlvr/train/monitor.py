"""Hack and drift monitoring during GRPO, plugged into the runner (`callbacks_for`) and the reward
functions (`monitor_rewards`).

HackMonitor sees every batch of completions where they exist, inside the first reward call: it
logs the pattern rates and failure signs of rlvr.monitor.signals through TRL's `log_metric` (so
they land in the step's log row: Trackio and runs/<name>/metrics.jsonl) and warns when a rate rises.

DriftMonitor (on when the recipe's `eval.monitor_every` is set) evaluates the current policy,
greedily, on the first `eval.monitor_n` problems of the recipe's first eval set at the start and
every `monitor_every` steps, logs `monitor/heldout_pass@1`, and warns when the training reward rose
while that held-out accuracy fell or stayed flat.

Warnings go to the console and, like each held-out point, to runs/<name>/monitor.jsonl:
  {"kind": "warning", "source": "hacks" | "drift", "stage", "step", "pattern"?, "message", ...}
  {"kind": "heldout", "stage", "step", "pass@1", "pass@1_ci", "solved", "n", "reward"}
"""

from __future__ import annotations

import functools
from pathlib import Path

from transformers import TrainerCallback

from rlvr.monitor.signals import (MONITOR_FILE, HeldoutPoint, RisingRate, append_row, batch_signals, drift_warning,
                                  point_row)


def _warn(msg: str) -> None:
    from rich.console import Console

    Console(stderr=True).print(f"[bold yellow]rlvr monitor warning:[/] {msg}", highlight=False)


def stage_domain(stage) -> str:
    """code when a code reward drives the stage, math otherwise."""
    names = {r.name for r in getattr(stage, "rewards", []) or []}
    return "code" if any("code" in n for n in names) else "math"


class HackMonitor(TrainerCallback):
    """Wraps the first reward function; a TrainerCallback only so the runner can hand it over."""

    def __init__(self, run_dir: Path, stage: str, domain: str = "math", rising: RisingRate | None = None):
        self.path = Path(run_dir) / MONITOR_FILE
        self.stage = stage
        self.domain = domain
        self.rising = rising or RisingRate()

    def observe(self, prompts, completions, step: int, log_metric=None, main: bool = True) -> dict[str, float]:
        """Compute, log and check one batch; returns the metrics (also for tests). Every rank logs its
        batch (TRL averages them); only the main process (`main`) warns and writes monitor.jsonl."""
        metrics = batch_signals(prompts, completions, self.domain)
        if log_metric is not None:
            for key, value in metrics.items():
                log_metric(key, value)
        rates = {k.split("/")[1]: v for k, v in metrics.items() if k.startswith("hacks/")}
        for r in self.rising.update(rates) if main else []:
            msg = (f"reward-hack pattern '{r.pattern}' is rising in stage {self.stage}: {r.early:.1%} of completions "
                   f"early on, {r.recent:.1%} over the last steps (step {step}). Inspect samples before trusting "
                   "the reward.")
            _warn(msg)
            append_row(self.path, {"kind": "warning", "source": "hacks", "stage": self.stage, "step": step,
                                   "pattern": r.pattern, "early": round(r.early, 4), "recent": round(r.recent, 4),
                                   "message": msg})
        return metrics

    def wrap(self, funcs: list) -> list:
        if not funcs:
            return funcs
        first = funcs[0]

        @functools.wraps(first)
        def call(prompts, completions, **kwargs):
            values = first(prompts, completions, **kwargs)
            state = kwargs.get("trainer_state")
            try:
                self.observe(prompts, completions, getattr(state, "global_step", 0), kwargs.get("log_metric"),
                             main=getattr(state, "is_world_process_zero", True))
            except Exception as e:  # monitoring must never stop a training run
                _warn(f"hack monitor failed on this batch ({type(e).__name__}: {e}); continuing without it.")
            return values

        call.__name__ = getattr(first, "__name__", "reward_0")
        return [call, *funcs[1:]]


class DriftMonitor(TrainerCallback):
    """Held-out pass@1 every `every` steps, compared with the training reward."""

    def __init__(self, run_dir: Path, stage: str, rows: list[dict], every: int, max_new_tokens: int = 48,
                 batch_size: int = 32, reward_margin: float = 0.05):
        self.run_dir = Path(run_dir)
        self.stage = stage
        self.rows = rows
        self.every = max(1, int(every))
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size
        self.reward_margin = reward_margin
        self.points: list[HeldoutPoint] = []
        self.rewards: list[tuple[int, float]] = []
        self._warned: set[int] = set()

    def _evaluate(self, model, tokenizer) -> tuple[float, int, list[float]]:
        import torch

        from rlvr.eval.generate import GenerationConfig
        from rlvr.eval.run import evaluate

        gen = GenerationConfig(max_new_tokens=self.max_new_tokens, batch_size=self.batch_size, n=1, temperature=0.0)
        was_training = model.training
        try:
            with torch.no_grad():
                summary = evaluate("policy", self.rows, gen, model=model, tokenizer=tokenizer, progress=False)
        finally:
            if was_training:
                model.train()
        solved = sum(1 for s in summary["samples"] if s["passed"] is True)
        return float(summary["pass@1"]), solved, list(summary.get("pass@1_ci") or [])

    def _point(self, args, state, model, tokenizer) -> None:
        if model is None or tokenizer is None:
            return
        step = state.global_step
        pass1, solved, ci = self._evaluate(model, tokenizer)
        window = [r for s, r in self.rewards if step - self.every < s <= step]
        point = HeldoutPoint(step=step, pass1=pass1, solved=solved, n=len(self.rows),
                             reward=sum(window) / len(window) if window else None)
        self.points.append(point)
        append_row(self.run_dir / MONITOR_FILE, point_row(self.stage, point, ci))
        append_row(self.run_dir / "metrics.jsonl", {"stage": self.stage, "step": step,
                                                    "monitor/heldout_pass@1": pass1})
        if "trackio" in (getattr(args, "report_to", None) or []):
            try:
                import trackio

                trackio.log({"monitor/heldout_pass@1": pass1}, step=step)
            except Exception:  # no active Trackio run: metrics.jsonl still has it
                pass
        self._check()

    def _check(self) -> None:
        msg = drift_warning(self.points, self.reward_margin)
        if msg and self.points[-1].step not in self._warned:
            self._warned.add(self.points[-1].step)
            _warn(f"stage {self.stage}: {msg}")
            append_row(self.run_dir / MONITOR_FILE, {"kind": "warning", "source": "drift", "stage": self.stage,
                                                     "step": self.points[-1].step, "message": msg})

    def on_train_begin(self, args, state, control, model=None, processing_class=None, **kwargs):
        if state.is_world_process_zero:
            self._point(args, state, model, processing_class)

    def on_log(self, args, state, control, logs=None, model=None, processing_class=None, **kwargs):
        if not state.is_world_process_zero or not logs or "reward" not in logs:
            return
        step = state.global_step
        self.rewards.append((step, float(logs["reward"])))
        first = self.points[0] if self.points else None
        if first is not None and first.reward is None and len(self.rewards) == 1:
            first.reward = float(logs["reward"])  # the samples of step 1 come from the starting policy
        last = self.points[-1].step if self.points else 0
        if step - last >= self.every:
            self._point(args, state, model, processing_class)


def monitor_rewards(funcs: list, callbacks) -> list:
    """The reward functions with every HackMonitor among `callbacks` watching them."""
    for cb in callbacks or []:
        if isinstance(cb, HackMonitor):
            funcs = cb.wrap(funcs)
    return funcs


def callbacks_for(recipe, stage, run_dir: Path) -> list:
    """The runner's hook: hack monitoring for every GRPO stage, drift monitoring when configured."""
    if stage.method != "grpo":
        return []
    callbacks: list = [HackMonitor(run_dir, stage.name, stage_domain(stage))]
    ev = recipe.eval
    every = getattr(ev, "monitor_every", None) if ev else None
    if every and ev.sets:
        from rlvr.train.stages import load_stage_rows

        rows = load_stage_rows(ev.sets[0], recipe.seed)[: max(1, int(getattr(ev, "monitor_n", 32)))]
        callbacks.append(DriftMonitor(run_dir, stage.name, rows, every, max_new_tokens=ev.max_new_tokens,
                                      batch_size=ev.batch_size))
    return callbacks

