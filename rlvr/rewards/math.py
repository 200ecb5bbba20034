"""Math rewards: exact equivalence (math-verify), numeric closeness with partial credit, and
per-item scoring for outputs with several answers."""

from __future__ import annotations

import math
import re

from rlvr.rewards.text import column, completion_text
from rlvr.verify.math import final_answer, spray_reason, verify_math_many
from rlvr.verify.verdict import reward_from_verdict

def accuracy(prompts, completions, **kwargs) -> list[float | None]:
    """1.0 when math-verify finds the output's answer equivalent to the gold `answer`, else 0.0;
    None when the gold cannot be parsed or verification timed out."""
    golds = column(kwargs, "answer", len(completions), ("solution", "gold"))
    verdicts = verify_math_many([completion_text(c) for c in completions], [str(g) for g in golds])
    return [reward_from_verdict(v) for v in verdicts]


def _as_number(text) -> float | None:
    if text is None:
        return None
    try:
        value = float(str(text).replace(",", "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def closeness(pred: float | None, gold: float) -> float:
    """Partial credit: 1 exact, 0.5 off by one, then up to 0.4 decaying with the relative error."""
    if pred is None:
        return 0.0
    err = abs(pred - gold)
    if err < 1e-9:
        return 1.0
    if err <= 1.0:
        return 0.5
    return 0.4 * max(0.0, 1.0 - err / max(abs(gold), 10.0))


def numeric(prompts, completions, **kwargs) -> list[float | None]:
    """Dense numeric reward with partial credit (exact / off-by-one / scaled absolute error), so a
    group of near misses still has reward variance to learn from. None when the gold is not a number.
    An output that offers several final answers (answer spraying, see `spray_reason`) gets 0, as it
    does from `accuracy`: partial credit must not pay for hedging."""
    golds = column(kwargs, "answer", len(completions), ("solution", "gold"))
    out: list[float | None] = []
    for c, g in zip(completions, golds):
        gold = _as_number(g)
        text = completion_text(c)
        if gold is None:
            out.append(None)
        else:
            out.append(0.0 if spray_reason(text) else closeness(_as_number(final_answer(text)), gold))
    return out


def multi_answer(prompts, completions, **kwargs) -> list[float | None]:
    """Per-item score for multi-answer items: the gold `answers` is a list (or a ';'-separated
    string); the output's 'Answer: a; b; c' line is matched position by position; the reward is the
    fraction of items right, so one wrong item costs 1/n instead of everything."""
    golds = column(kwargs, "answers", len(completions), ("answer",))
    out: list[float | None] = []
    for c, g in zip(completions, golds):
        items = [str(x).strip() for x in (g if isinstance(g, list) else str(g).split(";")) if str(x).strip()]
        gold_nums = [_as_number(x) for x in items]
        if not items or any(v is None for v in gold_nums):
            out.append(None)
            continue
        text = completion_text(c)
        line = re.findall(r"answer\s*[:=]\s*([^\n]*)", text, re.IGNORECASE)
        preds = [_as_number(x) for x in re.split(r"[;,]\s*", line[-1])] if line else []
        hits = sum(1 for i, gv in enumerate(gold_nums) if i < len(preds) and preds[i] is not None
                   and abs(preds[i] - gv) < 1e-9)
        out.append(hits / len(items))
    return out
