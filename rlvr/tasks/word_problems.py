"""Multi-step integer word problems: "Sam has 12 apples, buys 3 bags of 4 more and eats 5. How many...?"

Richer than `arithmetic`: each problem takes two or three operations, so a model must carry an
intermediate result, and a near miss (one step wrong) is common, which gives partial-credit rewards
(`numeric`) something to grade. Every row carries a short worked solution ending in 'Answer: N' as the
SFT target.

A problem is a template and its numbers, e.g. `("bags", 12, 3, 4, 5)`; names and objects are
decoration picked per row and not part of the problem. Disjointness is by construction, as in
`rlvr.tasks.arithmetic`: a keyed hash of the problem tuple puts it on exactly one side (train or eval)
forever, whatever the seed or size. `eval-rephrased` asks the same problems as `eval` in wordings
never used in training.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from dataclasses import dataclass
from typing import Callable, Sequence

SYSTEM_PROMPT = ("You solve short word problems. Work it out step by step in a line or two, "
                 "then give the final result as 'Answer: <number>'.")
EVAL_FRACTION = 0.1  # share of each template's problem space reserved for evaluation
NAMES = ("Sam", "Mia", "Leo", "Ava", "Omar", "Lena", "Ravi", "Zoe", "Ben", "Ines")
ITEMS = ("apples", "marbles", "stickers", "cards", "shells", "coins", "pencils", "stamps")


@dataclass(frozen=True)
class Template:
    """One kind of problem: its number ranges, how to solve it in steps, and its wordings.

    `solve(*nums)` returns (answer, steps) or None when the numbers make no sensible problem
    (a negative result, an inexact division); `train`/`rephrased` are format strings over the
    numbers as a..d plus {name} and {item}."""

    key: str
    ranges: tuple[Sequence[int], ...]
    solve: Callable[..., tuple[int, list[str]] | None]
    train: tuple[str, ...]
    rephrased: tuple[str, ...]


def _bags(a, b, c, d):  # a + b*c - d
    bc = b * c
    return a + bc - d, [f"{b} * {c} = {bc}", f"{a} + {bc} = {a + bc}", f"{a + bc} - {d} = {a + bc - d}"]


def _share(a, b, c):  # (a + b) / c, exact
    if (a + b) % c:
        return None
    return (a + b) // c, [f"{a} + {b} = {a + b}", f"{a + b} / {c} = {(a + b) // c}"]


def _pages(a, b, c):  # c - a*b, left to read
    if c - a * b <= 0:
        return None
    return c - a * b, [f"{a} * {b} = {a * b}", f"{c} - {a * b} = {c - a * b}"]


def _change(a, b, c, d):  # d - (a*b + c)
    cost = a * b + c
    if d - cost < 0:
        return None
    return d - cost, [f"{a} * {b} = {a * b}", f"{a * b} + {c} = {cost}", f"{d} - {cost} = {d - cost}"]


def _rows(a, b, c, d):  # a*b + c*d
    return a * b + c * d, [f"{a} * {b} = {a * b}", f"{c} * {d} = {c * d}", f"{a * b} + {c * d} = {a * b + c * d}"]


def _give(a, b, c):  # a - b - c, then doubled: (a - b - c) * 2
    left = a - b - c
    if left <= 0:
        return None
    return left * 2, [f"{a} - {b} = {a - b}", f"{a - b} - {c} = {left}", f"{left} * 2 = {left * 2}"]


TEMPLATES: tuple[Template, ...] = (
    Template("bags", (range(5, 41), range(2, 6), range(2, 7), range(1, 11)), _bags,
             ("{name} has {a} {item}, buys {b} bags of {c} more and gives away {d}. How many {item} does {name} have now?",
              "{name} starts with {a} {item}. Then {name} gets {b} packs with {c} {item} in each, and loses {d}. How many {item} are left?"),
             ("After owning {a} {item}, {name} adds {b} boxes holding {c} {item} apiece and then hands {d} to a friend. What is the total now?",)),
    Template("share", (range(4, 61), range(2, 31), range(2, 7)), _share,
             ("{name} has {a} {item} and finds {b} more, then shares them equally among {c} friends. How many {item} does each friend get?",
              "{name} collects {a} {item} on Monday and {b} on Tuesday, then splits them evenly into {c} piles. How many {item} are in each pile?"),
             ("Split the {a} {item} {name} owns plus {b} extra ones fairly between {c} children. How many {item} does one child receive?",)),
    Template("pages", (range(2, 13), range(2, 8), range(20, 121)), _pages,
             ("{name} reads {a} pages a day for {b} days. The book has {c} pages. How many pages are left to read?",
              "A book has {c} pages. {name} reads {a} pages every day for {b} days. How many pages has {name} still not read?"),
             ("There are {c} pages in {name}'s book; after {b} days of reading {a} pages daily, how many pages remain?",)),
    Template("change", (range(2, 7), range(2, 10), range(1, 10), (10, 20, 50, 100)), _change,
             ("{name} buys {a} pens at {b} dollars each and a notebook for {c} dollars, paying with {d} dollars. How much change does {name} get?",
              "Pens cost {b} dollars each. {name} buys {a} pens and one {c}-dollar notebook with a {d}-dollar bill. How many dollars come back as change?"),
             ("With a {d}-dollar note, {name} pays for {a} pens priced at {b} dollars apiece plus a notebook costing {c} dollars. What change is due?",)),
    Template("rows", (range(2, 10), range(2, 10), range(2, 10), range(2, 10)), _rows,
             ("A garden has {a} rows of {b} tulips and {c} rows of {d} roses. How many flowers are in the garden?",
              "{name} plants {a} rows with {b} tulips each and {c} rows with {d} roses each. How many flowers does {name} plant?"),
             ("Count the flowers: {a} rows holding {b} tulips apiece, together with {c} rows holding {d} roses apiece.",)),
    Template("give", (range(10, 61), range(1, 16), range(1, 16)), _give,
             ("{name} has {a} {item}, gives {b} to a sister and {c} to a brother, then the number left doubles. How many {item} does {name} have?",
              "{name} owns {a} {item}. After giving away {b} and then {c}, {name} doubles what is left. How many {item} is that?"),
             ("Begin with {a} {item}; {name} hands out {b}, then {c} more, and finally the remainder is doubled. What is the final count?",)),
)
_BY_KEY = {t.key: t for t in TEMPLATES}


def problem_side(problem: tuple) -> str:
    """'eval' or 'train' for a problem tuple, fixed forever by a hash of the problem itself."""
    h = int.from_bytes(hashlib.blake2b(repr(problem).encode(), digest_size=8).digest(), "big")
    return "eval" if (h % 1000) < EVAL_FRACTION * 1000 else "train"


def all_problems(side: str) -> list[tuple]:
    """Every valid problem tuple (template key, numbers...) on one side, in a fixed order."""
    out = []
    for t in TEMPLATES:
        for nums in itertools.product(*t.ranges):
            if t.solve(*nums) is not None and problem_side((t.key, *nums)) == side:
                out.append((t.key, *nums))
    return out


def solve(problem: tuple) -> int:
    return _BY_KEY[problem[0]].solve(*problem[1:])[0]


def _row(problem: tuple, wording: str, idx: int, split: str, rng: random.Random) -> dict:
    t = _BY_KEY[problem[0]]
    nums = dict(zip("abcd", problem[1:]))
    answer, steps = t.solve(*problem[1:])
    question = wording.format(name=rng.choice(NAMES), item=rng.choice(ITEMS), **nums)
    worked = ". ".join(steps) + f".\nAnswer: {answer}"
    wrong = answer + (1 if idx % 2 else -1)  # an off-by-one slip, for preference pairs
    wrong_worked = ". ".join(steps[:-1] + [steps[-1].rsplit("=", 1)[0] + f"= {wrong}"]) + f".\nAnswer: {wrong}"
    return {
        "id": f"wp-{split}-{idx}",
        "problem": " ".join(map(str, problem)),
        "template": t.key,
        "question": question,
        "prompt": [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": question}],
        "answer": str(answer),
        "completion": [{"role": "assistant", "content": worked}],
        "chosen": [{"role": "assistant", "content": worked}],
        "rejected": [{"role": "assistant", "content": wrong_worked}],
    }


def make_split(split: str, n: int | None = None, seed: int = 0) -> list[dict]:
    """`n` rows of `split` ('train', 'eval' or 'eval-rephrased'), the same for the same arguments.

    Templates are interleaved (round robin over a shuffled order per template), so any prefix of a
    split covers every kind of problem evenly."""
    if split not in ("train", "eval", "eval-rephrased"):
        raise ValueError(f"unknown split {split!r}; use train, eval or eval-rephrased")
    side = "train" if split == "train" else "eval"
    by_template: dict[str, list[tuple]] = {t.key: [] for t in TEMPLATES}
    for p in all_problems(side):
        by_template[p[0]].append(p)
    rng = random.Random(f"{seed}-{side}")  # both eval phrasings share one problem order
    for key in by_template:
        rng.shuffle(by_template[key])
    ordered = [p for group in itertools.zip_longest(*by_template.values()) for p in group if p is not None]
    n = len(ordered) if n is None else min(n, len(ordered))
    wrng = random.Random(f"{seed}-{split}-wording")
    rows = []
    for i, p in enumerate(ordered[:n]):
        t = _BY_KEY[p[0]]
        wordings = t.rephrased if split == "eval-rephrased" else t.train
        rows.append(_row(p, wrng.choice(wordings), i, split, wrng))
    return rows


def check_disjoint(train_rows: list[dict], eval_rows: list[dict]) -> dict:
    """Problems shared between two row sets (by the problem tuple, not the wording)."""
    from rlvr.tasks.arithmetic import check_disjoint as by_problem

    return by_problem(train_rows, eval_rows)
