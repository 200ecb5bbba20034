"""Builtin tasks: deterministic train/eval splits generated from a seed, nothing downloaded."""

from __future__ import annotations

from rlvr.errors import DatasetError

TASKS = ("arithmetic", "word-problems")


def load_task(name: str, split: str, n: int | None = None, seed: int = 0, **kw) -> list[dict]:
    """Rows of a builtin task split (`train`, `eval`, or `eval-rephrased`)."""
    if name == "arithmetic":
        from rlvr.tasks.arithmetic import make_split
    elif name == "word-problems":
        from rlvr.tasks.word_problems import make_split
    else:
        raise DatasetError(f"unknown task '{name}'. Builtin tasks: {', '.join(TASKS)}.")
    return make_split(split, n=n, seed=seed, **kw)
