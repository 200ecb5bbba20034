"""GRPO group diagnostics, computed where the completions are: inside the reward call.

TRL already logs the reward mean/std per component and `frac_reward_zero_std`. What it does not
log is whether a group's completions differ at all: identical completions give identical rewards
and zero advantage whatever the reward. The first reward function is wrapped to log
`diagnostics/unique_frac` (mean share of distinct completions per group), `diagnostics/groups_low_diversity`
(share of groups under 50% distinct), and `diagnostics/unverifiable_frac` for each component that
returns None, through TRL's `log_metric` hook.

Each component also logs its p10/p50/p90 (`diagnostics/<name>/p10` ...) as scalars, and a histogram
to Trackio when a Trackio run is active. The last component logs `diagnostics/zero_variance_frac`:
the share of groups in which *every* component is flat, so the total reward carries no signal.
`SignalWatch` turns these into warnings with advice, at most once per `every` reward calls each:
too sparse (that share above 0.8 over the last few calls) or too uniform (under 50% distinct
completions per group).
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections import deque

from rlvr.rewards.text import completion_text

SPARSE_ZERO_VARIANCE = 0.8  # warn when more groups than this are flat (mean over the window)
LOW_UNIQUE = 0.5  # warn when fewer completions than this per group are distinct (mean over the window)
SPARSE_ADVICE = ("reward is too sparse: add partial credit (numeric), an SFT stage, or raise "
                 "temperature/num_generations")
UNIFORM_ADVICE = "completions within a group are nearly identical: raise temperature"


class RewardSignalWarning(UserWarning):
    """GRPO is getting little or no learning signal from its rewards."""


def group_unique_fraction(completions: list, group_size: int) -> list[float]:
    """Share of distinct completions in each consecutive group of `group_size`."""
    texts = [completion_text(c).strip() for c in completions]
    out = []
    for i in range(0, len(texts), group_size):
        group = texts[i:i + group_size]
        out.append(len(set(group)) / len(group))
    return out


def zero_variance_fraction(rewards: list[float | None], group_size: int) -> float:
    """Share of groups whose (non-None) rewards are all equal: they carry no learning signal."""
    groups, flat = 0, 0
    for i in range(0, len(rewards), group_size):
        vals = [r for r in rewards[i:i + group_size] if r is not None]
        groups += 1
        flat += len(set(vals)) <= 1
    return flat / groups if groups else 0.0


def group_flat(rewards: list[float | None], group_size: int) -> list[bool]:
    """Per group: True when its non-None rewards are all equal (no advantage from this component)."""
    return [len({r for r in rewards[i:i + group_size] if r is not None}) <= 1 for i in range(0, len(rewards), group_size)]


def quantiles(values: list[float | None], qs=(0.1, 0.5, 0.9)) -> list[float] | None:
    """Nearest-rank quantiles of the non-None values (None when there are none)."""
    vals = sorted(v for v in values if v is not None)
    if not vals:
        return None
    return [vals[min(len(vals) - 1, max(0, round(q * (len(vals) - 1))))] for q in qs]


def log_histogram(name: str, values: list[float | None], step: int | None) -> bool:
    """A histogram of one component's rewards to the active Trackio run, if there is one."""
    trackio = sys.modules.get("trackio")  # not imported means no run is active: skip the import (about 1 s)
    if trackio is None:
        return False
    from trackio import context_vars

    if context_vars.current_run.get() is None:
        return False
    vals = [float(v) for v in values if v is not None]
    if not vals:
        return False
    payload = {f"diagnostics/{name}/histogram": trackio.Histogram(vals, num_bins=20)}
    if step is not None:
        payload["train/global_step"] = step
    trackio.log(payload)
    return True


class SignalWatch:
    """Remembers the last `window` reward calls and warns, with advice, when the signal is too sparse
    (share of fully flat groups above SPARSE_ZERO_VARIANCE) or too uniform (distinct share under
    LOW_UNIQUE). Each warning repeats at most once per `every` calls, so a long run is not flooded."""

    def __init__(self, window: int = 5, min_calls: int = 3, every: int = 20):
        self.window, self.min_calls, self.every = window, min_calls, every
        self.zero_variance: deque[float] = deque(maxlen=window)
        self.unique: deque[float] = deque(maxlen=window)
        self.calls = 0
        self.last_warned: dict[str, int] = {}
        self.issued: list[str] = []

    def observe(self, zero_variance_frac: float, unique_frac: float | None) -> list[str]:
        """Record one reward call; returns (and emits) the warnings due now."""
        self.calls += 1
        self.zero_variance.append(zero_variance_frac)
        if unique_frac is not None:
            self.unique.append(unique_frac)
        due = []
        if len(self.zero_variance) >= self.min_calls:
            zv = sum(self.zero_variance) / len(self.zero_variance)
            if zv > SPARSE_ZERO_VARIANCE:
                due.append(("sparse", f"{zv:.0%} of GRPO groups had the same total reward over the last "
                                      f"{len(self.zero_variance)} steps (zero advantage, nothing learned): {SPARSE_ADVICE}."))
        if len(self.unique) >= self.min_calls:
            uq = sum(self.unique) / len(self.unique)
            if uq < LOW_UNIQUE:
                due.append(("uniform", f"only {uq:.0%} of completions per group were distinct over the last "
                                       f"{len(self.unique)} steps: {UNIFORM_ADVICE}."))
        out = []
        for kind, msg in due:
            last = self.last_warned.get(kind)
            if last is None or self.calls - last >= self.every:
                self.last_warned[kind] = self.calls
                self.issued.append(msg)
                warnings.warn(msg, RewardSignalWarning, stacklevel=2)
                out.append(msg)
        return out


def wrap_rewards(funcs: list, group_size: int, watch: SignalWatch | None = None) -> list:
    """Wrap reward functions so each logs its unverifiable share, spread and quantiles, the first logs
    group diversity, and the last logs the share of groups flat in every component and feeds `watch`."""
    watch = watch if watch is not None else SignalWatch()
    batch: dict = {}  # what the components of the current reward call have seen so far
    wrapped = []
    for i, fn in enumerate(funcs):
        name = getattr(fn, "__name__", f"reward_{i}")

        @functools.wraps(fn)
        def call(prompts, completions, _fn=fn, _name=name, _first=(i == 0), _last=(i == len(funcs) - 1), **kwargs):
            values = _fn(prompts, completions, **kwargs)
            if not completions:
                return values
            if _first:
                batch.clear()
                batch["unique"] = None
            flat = group_flat(values, group_size)
            batch["flat"] = [a and b for a, b in zip(batch.get("flat", flat), flat)]
            log_metric = kwargs.get("log_metric")
            if log_metric is not None:
                log_metric(f"diagnostics/{_name}/unverifiable_frac", sum(v is None for v in values) / len(values))
                log_metric(f"diagnostics/{_name}/zero_variance_frac", zero_variance_fraction(values, group_size))
                qs = quantiles(values)
                if qs is not None:
                    for label, q in zip(("p10", "p50", "p90"), qs):
                        log_metric(f"diagnostics/{_name}/{label}", q)
            if _first:
                uniq = group_unique_fraction(completions, group_size)
                batch["unique"] = sum(uniq) / len(uniq)
                if log_metric is not None:
                    log_metric("diagnostics/unique_frac", batch["unique"])
                    log_metric("diagnostics/groups_low_diversity", sum(u < 0.5 for u in uniq) / len(uniq))
            state = kwargs.get("trainer_state")
            log_histogram(_name, values, None if state is None else state.global_step + 1)
            if _last:
                zv = sum(batch["flat"]) / len(batch["flat"])
                if log_metric is not None:
                    log_metric("diagnostics/zero_variance_frac", zv)
                watch.observe(zv, batch.get("unique"))
            return values

        call.__name__ = name
        wrapped.append(call)
    return wrapped
