"""Reward components by name, so a recipe can say `rewards: [{name: accuracy, weight: 1.0}, ...]`.

A name is a builtin below or a dotted path to your own function (`mypkg.rewards:my_reward` or
`mypkg.rewards.my_reward`) with TRL's signature. `args` in the recipe are bound as keyword
arguments; the component keeps its name in the logs (`rewards/<name>/mean`).
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from rlvr.errors import RecipeError
from rlvr.rewards import bonus as _bonus
from rlvr.rewards import math as _math
from rlvr.rewards import shape as _shape
from rlvr.rewards import steps as _steps


def _code_tests(*args, **kwargs):
    from rlvr.rewards.code import code_tests

    return code_tests(*args, **kwargs)


_code_tests.__name__ = "code_tests"

REWARDS: dict[str, Callable] = {
    "accuracy": _math.accuracy,
    "numeric": _math.numeric,
    "multi_answer": _math.multi_answer,
    "steps": _steps.steps,  # process credit: true arithmetic steps behind the final answer
    "code_tests": _code_tests,
    "format": _shape.format,
    "tags": _shape.tags,
    "invalid_penalty": _shape.invalid_penalty,
    "overlong_penalty": _shape.overlong_penalty,
    "length": _shape.length,
    "repetition": _shape.repetition,
    "perfect_bonus": _bonus.perfect_bonus,  # derived from correctness; not a correctness check itself
}
CORRECTNESS = {"accuracy", "numeric", "multi_answer", "code_tests"}


def reward_names() -> list[str]:
    return sorted(REWARDS)


def _import_dotted(path: str) -> Callable:
    module, _, attr = path.partition(":") if ":" in path else path.rpartition(".")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError) as e:
        raise RecipeError(f"reward '{path}': cannot import it ({e}). Use a builtin ({', '.join(reward_names())}) "
                          "or a dotted path `package.module:function` importable from here.") from None
    if not callable(fn):
        raise RecipeError(f"reward '{path}' is not callable")
    return fn


def get_reward(name: str, args: dict[str, Any] | None = None) -> Callable:
    """The reward function for `name`, with `args` bound, keeping `__name__` for TRL's logs."""
    fn = REWARDS.get(name) or (_import_dotted(name) if "." in name or ":" in name else None)
    if fn is None:
        raise RecipeError(f"unknown reward '{name}'. Builtin rewards: {', '.join(reward_names())}; "
                          "or give a dotted path to your own function.")
    if not args:
        return fn
    bound = functools.partial(fn, **args)
    bound.__name__ = getattr(fn, "__name__", name)  # type: ignore[attr-defined]
    return bound


@dataclass
class RewardSpec:
    """One weighted component of a recipe's reward."""

    name: str
    weight: float = 1.0
    args: dict[str, Any] = field(default_factory=dict)


def build_rewards(specs: list[RewardSpec]) -> tuple[list[Callable], list[float]]:
    """Functions and weights for TRL's `reward_funcs` / `reward_weights`."""
    if not specs:
        raise RecipeError("a GRPO stage needs at least one reward, e.g. `rewards: [{name: accuracy}]`")
    funcs = [get_reward(s.name, s.args) for s in specs]  # unknown names fail first, by name
    names = [s.name for s in specs]
    if not CORRECTNESS & set(names) and not any("." in n or ":" in n for n in names):
        raise RecipeError(f"rewards {names} check nothing but shape: add a correctness component "
                          f"({', '.join(sorted(CORRECTNESS))}) so the policy is rewarded for right answers.")
    return funcs, [float(s.weight) for s in specs]
