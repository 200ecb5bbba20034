"""GRPO group diagnostics, computed where the completions are: inside the reward call.

TRL already logs the reward mean/std per component and `frac_reward_zero_std`. What it does not
log is whether a group's completions differ at all: identical completions give identical rewards
and zero advantage whatever the reward. The first reward function is wrapped to log
`diagnostics/unique_frac` (mean share of distinct completions per group), `diagnostics/groups_low_diversity`
(share of groups under 50% distinct), and `diagnostics/unverifiable_frac` for each component that
returns None, through TRL's `log_metric` hook.
"""

from __future__ import annotations

import functools

from rlvr.rewards.text import completion_text


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


def wrap_rewards(funcs: list, group_size: int) -> list:
    """Wrap reward functions so each logs its unverifiable share and the first logs group diversity."""
    wrapped = []
    for i, fn in enumerate(funcs):
        name = getattr(fn, "__name__", f"reward_{i}")

        @functools.wraps(fn)
        def call(prompts, completions, _fn=fn, _name=name, _first=(i == 0), **kwargs):
            values = _fn(prompts, completions, **kwargs)
            log_metric = kwargs.get("log_metric")
            if log_metric is not None and completions:
                log_metric(f"diagnostics/{_name}/unverifiable_frac", sum(v is None for v in values) / len(values))
                log_metric(f"diagnostics/{_name}/zero_variance_frac", zero_variance_fraction(values, group_size))
                if _first:
                    uniq = group_unique_fraction(completions, group_size)
                    log_metric("diagnostics/unique_frac", sum(uniq) / len(uniq))
                    log_metric("diagnostics/groups_low_diversity", sum(u < 0.5 for u in uniq) / len(uniq))
            return values

        call.__name__ = name
        wrapped.append(call)
    return wrapped
