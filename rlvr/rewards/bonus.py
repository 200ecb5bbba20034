"""`perfect_bonus`: an extra reward for a fully right answer, on top of a partial-credit component.

With partial credit (`numeric`, `multi_answer`) a near miss earns most of the reward, so the policy
can settle for "close". A bonus paid only when the correctness component gives full marks keeps the
top of the scale clearly above the rest. It derives from a correctness component but checks nothing
of its own, so on its own it does not satisfy the registry's "needs a correctness component" rule.

    rewards:
      - {name: numeric, weight: 1.0}
      - {name: perfect_bonus, weight: 1.0, args: {bonus: 0.5, of: numeric}}
"""

from __future__ import annotations

BONUS_OF = ("accuracy", "numeric", "multi_answer")


def perfect_bonus(prompts, completions, bonus: float = 0.5, of: str = "accuracy", **kwargs) -> list[float | None]:
    """`bonus` where the `of` component scores 1.0 (full marks), 0.0 where it scores less, None where it
    could not verify (so an unverifiable answer is left out, not paid or fined)."""
    from rlvr.errors import RecipeError
    from rlvr.rewards.registry import REWARDS

    if of not in BONUS_OF:
        raise RecipeError(f"perfect_bonus: args.of must be one of {', '.join(BONUS_OF)}, got {of!r}.")
    kwargs.pop("log_metric", None)  # the inner component's values are not logged twice
    scores = REWARDS[of](prompts, completions, **kwargs)
    return [None if s is None else (float(bonus) if s >= 1.0 - 1e-9 else 0.0) for s in scores]
