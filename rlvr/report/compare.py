"""Before/after between consecutive evaluations: the gain with an interval, and per-problem flips.

The gain is paired: both evaluations graded the same problems, so the interval comes from a
bootstrap over problems (resampling problem ids, each carrying its before and after pass rate)
with a fixed seed, which is narrower and more honest than treating the two as independent. When
per-sample rows are missing on either side, the gain falls back to the two summaries' pass@1 with
Newcombe's hybrid score interval for independent proportions, and says so.

A problem counts as solved when more than half of its decided samples passed (with one greedy
sample: when it passed), as in `rlvr compare`. Unverifiable samples (`passed` is null) are left out of every rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from rlvr.report.collect import EvalRun

N_BOOTSTRAP = 2000
SEED = 0


@dataclass
class Gain:
    """The change from `before` to `after` in pass@1 and which problems flipped."""

    before: str
    after: str
    diff: float | None
    ci: tuple[float, float] | None
    method: str  # "paired bootstrap over N problems" / "unpaired Newcombe" / "n/a"
    n_common: int = 0
    lost: list[str] = field(default_factory=list)  # solved before, unsolved after
    gained: list[str] = field(default_factory=list)  # unsolved before, solved after
    only_before: int = 0  # problem ids evaluated only before
    only_after: int = 0
    unverified: int = 0  # on both sides, but with no decided sample on one of them

    @property
    def significant(self) -> bool:
        return self.ci is not None and (self.ci[0] > 0 or self.ci[1] < 0)


def per_problem_rates(samples: list[dict]) -> dict[str, float]:
    """id -> fraction of decided samples that passed; problems with no decided sample are left out."""
    passed: dict[str, list[bool]] = {}
    for row in samples:
        if "id" not in row or not isinstance(row.get("passed"), bool):
            continue
        passed.setdefault(str(row["id"]), []).append(row["passed"])
    return {pid: sum(v) / len(v) for pid, v in passed.items()}


def _ids(samples: list[dict]) -> set[str]:
    return {str(r["id"]) for r in samples if "id" in r}


def paired_bootstrap(before: np.ndarray, after: np.ndarray, n_boot: int = N_BOOTSTRAP, seed: int = SEED):
    """(mean difference, 95% percentile interval) resampling problems with replacement."""
    diffs = after - before
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(diffs), size=(n_boot, len(diffs)))
    boot = diffs[idx].mean(axis=1)
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return float(diffs.mean()), (float(lo), float(hi))


def newcombe_interval(p1: float, ci1: tuple[float, float], p2: float, ci2: tuple[float, float]):
    """95% interval for p2 - p1 from each proportion's own (Wilson) interval (Newcombe 1998, method 10)."""
    d = p2 - p1
    lower = d - math.sqrt((p2 - ci2[0]) ** 2 + (ci1[1] - p1) ** 2)
    upper = d + math.sqrt((ci2[1] - p2) ** 2 + (p1 - ci1[0]) ** 2)
    return d, (max(-1.0, lower), min(1.0, upper))


def gain_between(before: EvalRun, after: EvalRun) -> Gain:
    if before.samples and after.samples:
        rates_b, rates_a = per_problem_rates(before.samples), per_problem_rates(after.samples)
        common = [pid for pid in rates_b if pid in rates_a]
        ids_b, ids_a = _ids(before.samples), _ids(after.samples)
        gain = Gain(
            before.label,
            after.label,
            None,
            None,
            "n/a",
            n_common=len(common),
            only_before=len(ids_b - ids_a),
            only_after=len(ids_a - ids_b),
            unverified=len((ids_b & ids_a) - set(common)),
        )
        if common:
            b = np.array([rates_b[p] for p in common])
            a = np.array([rates_a[p] for p in common])
            gain.diff, gain.ci = paired_bootstrap(b, a)
            gain.method = f"paired bootstrap over {len(common)} problems"
            gain.lost = [p for p in common if rates_b[p] > 0.5 >= rates_a[p]]
            gain.gained = [p for p in common if rates_a[p] > 0.5 >= rates_b[p]]
        return gain
    p1, p2, ci1, ci2 = before.pass1, after.pass1, before.pass1_ci, after.pass1_ci
    if p1 is not None and p2 is not None and ci1 and ci2:
        diff, ci = newcombe_interval(p1, ci1, p2, ci2)
        return Gain(before.label, after.label, diff, ci, "unpaired Newcombe (per-sample rows missing)")
    if p1 is not None and p2 is not None:
        return Gain(before.label, after.label, p2 - p1, None, "no interval (summaries lack pass@1_ci)")
    return Gain(before.label, after.label, None, None, "n/a (pass@1 missing)")


def consecutive_gains(evals: list[EvalRun]) -> list[Gain]:
    """Each evaluation against the one before it, plus first -> last when there are more than two."""
    gains = [gain_between(a, b) for a, b in zip(evals, evals[1:])]
    if len(evals) > 2:
        gains.append(gain_between(evals[0], evals[-1]))
    return gains
