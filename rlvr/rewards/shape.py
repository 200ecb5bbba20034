"""Rewards on the shape of an output: format, length, repetition, structural validity.

They are logged as their own components, apart from correctness, so a format gain can never hide a
correctness loss in the total.
"""

from __future__ import annotations

import re

from rlvr.rewards.text import completion_text

ANSWER_LINE = re.compile(r"^\s*answer\s*:\s*-?\d[\d,]*(?:\.\d+)?\s*\.?\s*$", re.IGNORECASE | re.MULTILINE)


def format(prompts, completions, **kwargs) -> list[float]:  # noqa: A001 - the component's public name
    """1.0 when the output ends its reasoning with an 'Answer: <number>' line, else 0.0."""
    return [1.0 if ANSWER_LINE.search(completion_text(c)) else 0.0 for c in completions]


def tags(prompts, completions, **kwargs) -> list[float]:
    """R1-style structure: 0.5 for a <think>...</think> block, 0.5 for an <answer>...</answer> block."""
    out = []
    for c in completions:
        t = completion_text(c)
        out.append(0.5 * bool(re.search(r"<think>.+?</think>", t, re.S)) + 0.5 * bool(re.search(r"<answer>.+?</answer>", t, re.S)))
    return out


def invalid_penalty(prompts, completions, penalty: float = -0.5, **kwargs) -> list[float]:
    """`penalty` for structurally invalid output (no number anywhere, or empty), else 0."""
    return [penalty if not re.search(r"\d", completion_text(c)) else 0.0 for c in completions]


def overlong_penalty(prompts, completions, completion_ids=None, max_tokens: int = 64, soft: int = 16, **kwargs) -> list[float]:
    """DAPO's soft overlong penalty: 0 up to max_tokens-soft tokens, then linearly down to -1 at max_tokens."""
    out = []
    for i, c in enumerate(completions):
        n = len(completion_ids[i]) if completion_ids is not None else len(completion_text(c).split())
        start = max_tokens - soft
        out.append(0.0 if n <= start else -min(1.0, (n - start) / max(soft, 1)))
    return out


def length(prompts, completions, target_chars: int = 200, **kwargs) -> list[float]:
    """0 at or under `target_chars` characters, falling linearly to -1 at twice that."""
    return [-min(1.0, max(0, len(completion_text(c)) - target_chars) / target_chars) for c in completions]


def repetition_fraction(text: str, n: int = 3) -> float:
    """Share of repeated word n-grams in a text (0 = none repeated)."""
    words = text.split()
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        return 0.0
    return 1.0 - len(set(grams)) / len(grams)


def repetition(prompts, completions, **kwargs) -> list[float]:
    """Minus the share of repeated 3-grams: loops and stutters cost reward."""
    return [-repetition_fraction(completion_text(c)) for c in completions]
