"""Reward functions with TRL's signature: `fn(prompts, completions, **columns) -> list[float | None]`.

`None` means "could not verify" and TRL leaves it out of the mean; no reward here ever returns 0.0
for an infrastructure failure. Components are looked up by name (`rlvr.rewards.registry`).
"""

from rlvr.rewards.registry import REWARDS, get_reward, reward_names

__all__ = ["REWARDS", "get_reward", "reward_names"]
