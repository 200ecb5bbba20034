"""Integer arithmetic: "What is 37 + 48?" with a gold `answer`.

Disjointness is by construction, not by luck: every problem (a, op, b) is assigned to exactly one
side by a keyed hash of the problem itself (`problem_side`), so no eval problem can be generated in
the train split whatever the seed or size; `check_disjoint` re-checks it on the rows and the
quickstart records the result. The eval split comes in two phrasings: `eval` uses the training
templates, `eval-rephrased` uses templates never seen in training (a test of generalisation).
"""

from __future__ import annotations

import hashlib
import random

SYSTEM_PROMPT = "You are a careful calculator. Reply with the final result as 'Answer: <number>'."

TRAIN_TEMPLATES = (
    "What is {a} {op} {b}?",
    "Compute {a} {op} {b}.",
    "Calculate {a} {op} {b}.",
    "{a} {op} {b} = ?",
)
REPHRASED_TEMPLATES = (
    "Please work out the value of {a} {op} {b}.",
    "If you take {a} and {verb} {b}, what number do you get?",
    "Find the result of the expression {a} {op} {b}.",
)
VERBS = {"+": "add", "-": "subtract", "*": "multiply it by"}

EVAL_FRACTION = 0.1  # share of the problem space reserved for evaluation
OPS = ("+", "-")
MAX_OPERAND = 99


def problem_side(a: int, op: str, b: int) -> str:
    """'eval' or 'train' for a problem, fixed forever by a hash of the problem text."""
    h = int.from_bytes(hashlib.blake2b(f"{a}{op}{b}".encode(), digest_size=8).digest(), "big")
    return "eval" if (h % 1000) < EVAL_FRACTION * 1000 else "train"


def solve(a: int, op: str, b: int) -> int:
    return a + b if op == "+" else a - b if op == "-" else a * b


def _split_steps(x: int, op: str, y: int) -> str:
    """x op y worked by place value: tens first, then units ('85 - 46 = 85 - 40 - 6 = 45 - 6 = 39')."""
    tens, units = y - y % 10, y % 10
    if tens == 0 or units == 0:
        return f"{x} {op} {y} = {solve(x, op, y)}"
    mid = solve(x, op, tens)
    return f"{x} {op} {y} = {x} {op} {tens} {op} {units} = {mid} {op} {units} = {solve(mid, op, units)}"


def worked_solution(a: int, op: str, b: int) -> str:
    """The SFT target: short place-value steps a 135M model can follow, then the answer line.
    A subtraction with a negative result is turned around first ('49 - 96 = -(96 - 49)')."""
    right = solve(a, op, b)
    if op == "-" and b > a:
        steps = f"{a} - {b} = -({b} - {a})\n" + _split_steps(b, "-", a)
    else:
        steps = _split_steps(a, op, b)
    return f"{steps}\nAnswer: {right}"


def _row(a: int, op: str, b: int, template: str, idx: int, split: str) -> dict:
    question = template.format(a=a, op=op, b=b, verb=VERBS[op])
    right = solve(a, op, b)
    wrong = right + (1 if (a + b) % 2 else -10)  # a near miss, for preference pairs
    return {
        "id": f"arith-{split}-{idx}",
        "problem": f"{a} {op} {b}",
        "question": question,
        "prompt": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": question},
        ],
        "answer": str(solve(a, op, b)),
        # The SFT target: the worked line, then the answer line the format reward looks for.
        "completion": [{"role": "assistant", "content": worked_solution(a, op, b)}],
        # A preference pair for DPO: the right worked answer over a near miss.
        "chosen": [{"role": "assistant", "content": f"{a} {op} {b} = {right}\nAnswer: {right}"}],
        "rejected": [{"role": "assistant", "content": f"{a} {op} {b} = {wrong}\nAnswer: {wrong}"}],
    }


def make_split(split: str, n: int | None = None, seed: int = 0, ops: tuple[str, ...] = OPS,
               max_operand: int = MAX_OPERAND) -> list[dict]:
    """`n` rows of `split` ('train', 'eval' or 'eval-rephrased'), the same for the same arguments."""
    if split not in ("train", "eval", "eval-rephrased"):
        raise ValueError(f"unknown split {split!r}; use train, eval or eval-rephrased")
    side = "train" if split == "train" else "eval"
    problems = [(a, op, b) for op in ops for a in range(1, max_operand + 1) for b in range(1, max_operand + 1)
                if problem_side(a, op, b) == side]
    # The two eval phrasings share one problem order, so they ask the same questions.
    rng = random.Random(f"{seed}-{side}")
    rng.shuffle(problems)
    n = len(problems) if n is None else min(n, len(problems))
    templates = REPHRASED_TEMPLATES if split == "eval-rephrased" else TRAIN_TEMPLATES
    trng = random.Random(f"{seed}-{split}-templates")
    return [_row(a, op, b, trng.choice(templates), i, split) for i, (a, op, b) in enumerate(problems[:n])]


def check_disjoint(train_rows: list[dict], eval_rows: list[dict]) -> dict:
    """Problems shared between two row sets (by the normalised problem, not the phrasing)."""
    train = {r["problem"] for r in train_rows}
    shared = sorted({r["problem"] for r in eval_rows} & train)
    return {"train_problems": len(train), "eval_problems": len({r["problem"] for r in eval_rows}),
            "shared_problems": len(shared), "examples": shared[:10]}
