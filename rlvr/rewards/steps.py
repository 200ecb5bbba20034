"""Checked worked steps: credit for the arithmetic steps behind the final answer that are actually true.

A small model's word-problem solutions usually have the right structure and a wrong product or sum
somewhere ("9 * 7 = 54. 91 - 54 = 37"). The final-answer rewards see only the last number; `steps`
reads the `a op b (op c ...) = r` equations of the completion, follows the ones the final answer
depends on (the equation that produced the answer, the equations that produced its operands, and
so on) and returns the fraction of them that are true in exact rational arithmetic. Trusted code on
plain text: nothing the completion wrote is evaluated as code.

What it cannot be gamed with:
- true but irrelevant equations ("1 + 1 = 2"): only equations the final answer depends on count;
- made-up operands: an operand that is neither in the prompt, nor the result of an earlier step,
  nor a small constant (0-12, for "doubles", "a dozen") makes its step count as wrong;
- hedging: an output with several final answers (see `rlvr.verify.math.spray_reason`) gets 0.0;
- no work shown, or an answer no step produced: 0.0.
It is a process reward: weight it beside `accuracy`, never alone (a wrong plan computed correctly
still earns it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from rlvr.rewards.text import completion_text, prompt_text
from rlvr.verify.math import final_answer, spray_reason

_OPS = "-+*/x×÷"
_TERM = r"\d+(?:\.\d+)?"
_EQUATION = re.compile(rf"(?<![\d.])({_TERM}(?:\s*[{_OPS}]\s*{_TERM})+)\s*=\s*(-?{_TERM})")
_TOKEN = re.compile(rf"{_TERM}|[{_OPS}]")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
SMALL_CONSTANTS = frozenset(Fraction(i) for i in range(13))


@dataclass(frozen=True)
class Step:
    operands: tuple[Fraction, ...]
    claimed: Fraction
    true: bool


def _evaluate(tokens: list[str]) -> Fraction | None:
    """Value of 'n op n op n ...' with * and / before + and -; None on division by zero."""
    terms: list[Fraction] = []
    signs: list[int] = []
    current, sign, op = Fraction(tokens[0]), 1, None
    for tok in tokens[1:]:
        if tok in _OPS:
            op = tok
            if op in "+-":
                terms.append(current)
                signs.append(sign)
                sign = 1 if op == "+" else -1
            continue
        value = Fraction(tok)
        if op in "+-":
            current = value
        elif op in "*x×":
            current *= value
        else:
            if value == 0:
                return None
            current /= value
    terms.append(current)
    signs.append(sign)
    return sum((s * t for s, t in zip(signs, terms)), Fraction(0))


def parse_steps(completion: str) -> list[Step]:
    """The equations of a completion, in order, each with its operands, claimed result and truth."""
    out = []
    for expr, result in _EQUATION.findall(completion):
        tokens = _TOKEN.findall(expr)
        claimed = Fraction(result)
        value = _evaluate(tokens)
        operands = tuple(Fraction(t) for t in tokens if t not in _OPS)
        out.append(Step(operands, claimed, value is not None and value == claimed))
    return out


def check_steps(completion: str, prompt: str = "") -> tuple[int, int]:
    """(true, counted): the steps the final answer depends on, and how many of them are true and grounded."""
    if spray_reason(completion):
        return 0, 0
    answer = final_answer(completion)
    steps_ = parse_steps(completion)
    if answer is None or not steps_:
        return 0, 0
    known = {Fraction(n.replace(",", "")) for n in _NUMBER.findall(prompt)} | SMALL_CONSTANTS
    target = Fraction(answer)
    roots = [i for i, s in enumerate(steps_) if s.claimed == target]
    if not roots:
        return 0, 0
    visited: set[int] = set()
    good = 0
    stack = [roots[-1]]
    while stack:
        i = stack.pop()
        if i in visited:
            continue
        visited.add(i)
        grounded = True
        for operand in steps_[i].operands:
            producers = [j for j in range(i) if steps_[j].claimed == operand]
            if producers:
                stack.append(producers[-1])
            elif abs(operand) not in known:
                grounded = False
        good += steps_[i].true and grounded
    return good, len(visited)


def steps(prompts, completions, **kwargs) -> list[float]:
    """Fraction of the steps behind the final answer that are true and grounded; 0.0 without such steps.
    See the module docstring for what it cannot be gamed with."""
    prompts = prompts if prompts is not None else [""] * len(completions)
    out = []
    for p, c in zip(prompts, completions):
        good, counted = check_steps(completion_text(c), prompt_text(p))
        out.append(good / counted if counted else 0.0)
    return out
