"""What the monitor logs each GRPO step, and the two rules that turn the logs into warnings.

Per batch of completions (logged through TRL's `log_metric`, so they reach Trackio and metrics.jsonl):
  hacks/<pattern>/rate     share of completions showing each pattern (rlvr.monitor.patterns)
  hacks/any/rate           share showing at least one
  monitor/length_mean      mean completion length in characters (TRL logs the token count itself)
  monitor/repetition       mean share of repeated word trigrams (rlvr.rewards.shape.repetition_fraction)
  monitor/non_target_lang  share of completions with over NON_TARGET_MIN of their letters outside the
                           target script (DeepSeek-R1-Zero's language mixing)

Rules:
  rising hack rate   the mean rate over the last `window` steps exceeds the mean over the first
                     `window` by `margin` (and is at least `min_rate`); warned again only when the
                     rate has more than doubled since (and risen by `margin`), `window` steps later. Until 2 x `window` steps exist, the window is half
                     the history, but never under min(`window`, 3) steps
  reward/held-out drift  between the last two held-out points, the training reward rose by more
                     than `reward_margin` while the held-out set gained no problem (fell or flat)
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

from rlvr.monitor.patterns import CODE_PATTERNS, MATH_PATTERNS, PATTERNS, detect, non_target_fraction
from rlvr.rewards.shape import repetition_fraction
from rlvr.rewards.text import completion_text, prompt_text

NON_TARGET_MIN = 0.2
MONITOR_FILE = "monitor.jsonl"  # in the run directory


def patterns_for(domain: str) -> tuple[str, ...]:
    """The patterns whose rates are logged for a domain (zeros included, so curves are continuous)."""
    if domain == "math":
        return MATH_PATTERNS
    if domain == "code":
        return CODE_PATTERNS + ("empty", "prompt_copy")
    return PATTERNS


def batch_signals(prompts: Sequence, completions: Sequence, domain: str = "math",
                  target_scripts: tuple[str, ...] = ("LATIN",)) -> dict[str, float]:
    """The per-step metrics for one batch (prompts and completions as TRL hands them to rewards)."""
    texts = [completion_text(c) for c in completions]
    n = len(texts)
    if not n:
        return {}
    prompts = list(prompts) if prompts is not None else [""] * n
    found = [detect(t, prompt_text(p) if p is not None else "", domain) for t, p in zip(texts, prompts)]
    out = {f"hacks/{name}/rate": sum(name in f for f in found) / n for name in patterns_for(domain)}
    out["hacks/any/rate"] = sum(bool(f) for f in found) / n
    out["monitor/length_mean"] = sum(len(t) for t in texts) / n
    out["monitor/repetition"] = sum(repetition_fraction(t) for t in texts) / n
    out["monitor/non_target_lang"] = sum(non_target_fraction(t, target_scripts) > NON_TARGET_MIN for t in texts) / n
    return out


# --- rising hack rates ------------------------------------------------------------------------------

@dataclass
class Rising:
    pattern: str
    early: float
    recent: float
    steps: int


@dataclass
class RisingRate:
    """Tracks each pattern's rate per step and reports the ones that rose (see the module docstring)."""

    window: int = 5
    margin: float = 0.1
    min_rate: float = 0.05
    history: dict[str, list[float]] = field(default_factory=dict)
    warned_at: dict[str, tuple[float, int]] = field(default_factory=dict)  # pattern -> (recent rate, steps seen)

    def update(self, rates: dict[str, float]) -> list[Rising]:
        rising = []
        for name, rate in rates.items():
            if name == "any":  # a summary of the others: it would only repeat their warnings
                continue
            hist = self.history.setdefault(name, [])
            hist.append(float(rate))
            w = min(self.window, len(hist) // 2)
            if w < min(self.window, 3):  # one noisy step against another is not a trend
                continue
            early, recent = sum(hist[:w]) / w, sum(hist[-w:]) / w
            last_rate, last_step = self.warned_at.get(name, (float("-inf"), -self.window))
            again = recent >= last_rate + self.margin and recent > 2 * last_rate and len(hist) - last_step >= self.window
            if recent - early >= self.margin and recent >= self.min_rate and again:
                self.warned_at[name] = (recent, len(hist))
                rising.append(Rising(name, early, recent, len(hist)))
        return rising


# --- reward vs held-out drift -----------------------------------------------------------------------

@dataclass
class HeldoutPoint:
    step: int
    pass1: float
    solved: int
    n: int
    reward: float | None = None  # mean training reward over the steps leading to this point


def drift_warning(points: Sequence[HeldoutPoint], reward_margin: float = 0.05) -> str | None:
    """A message when the training reward rose while held-out accuracy fell or stayed flat between
    the last two points that both have a reward; None otherwise."""
    usable = [p for p in points if p.reward is not None]
    if len(usable) < 2:
        return None
    a, b = usable[-2], usable[-1]
    rose = b.reward - a.reward
    if rose > reward_margin and b.solved * a.n <= a.solved * b.n:
        trend = "fell" if b.solved * a.n < a.solved * b.n else "stayed flat"
        return (f"training reward rose {a.reward:.3f} -> {b.reward:.3f} (steps {a.step} -> {b.step}) while held-out "
                f"pass@1 {trend} ({a.pass1:.3f} -> {b.pass1:.3f}, {a.solved}/{a.n} -> {b.solved}/{b.n}): the policy "
                "may be learning the verifier rather than the task; audit samples (`rlvr audit slice RUN_DIR`).")
    return None


# --- monitor.jsonl ----------------------------------------------------------------------------------

def append_row(path: str | os.PathLike, row: dict) -> None:
    """Append one JSON line in a single write (a reader never sees half a row from this writer)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(row, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def point_row(stage: str, point: HeldoutPoint, ci: Sequence[float] | None = None) -> dict:
    row = {"kind": "heldout", "stage": stage, **asdict(point)}
    row["pass@1"] = row.pop("pass1")
    if ci is not None:
        row["pass@1_ci"] = [float(x) for x in ci]
    return row


def read_monitor(run_dir: str | os.PathLike) -> list[dict]:
    """monitor.jsonl's rows (empty when absent); a damaged line (a run killed mid-write) is skipped."""
    path = Path(run_dir) / MONITOR_FILE
    rows = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict):
                rows.append(row)
    return rows
