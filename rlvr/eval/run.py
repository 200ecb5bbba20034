"""`rlvr eval`: generate on a benchmark, verify every sample, write per-sample JSONL and a summary."""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

from rlvr.errors import DatasetError
from rlvr.eval.generate import GenerationConfig, generate
from rlvr.io import read_jsonl, write_json, write_jsonl
from rlvr.verify.math import final_answer
from rlvr.rewards.text import prompt_text
from rlvr.verify.math import verify_math_many


def load_eval_rows(data: str | None = None, task: str | None = None, split: str = "eval", n: int | None = None,
                   seed: int = 0, benchmark: str | None = None) -> list[dict]:
    """Rows to evaluate: a builtin task split, a benchmark (humaneval), or a JSONL file with `prompt` and
    `answer` (math) or `prompt` and `tests` (code). Code rows carry their problems under `_problems`."""
    if sum(x is not None for x in (data, task, benchmark)) != 1:
        raise DatasetError("give exactly one of --data FILE.jsonl, --task NAME or --benchmark humaneval")
    if task is not None:
        from rlvr.tasks import load_task

        return load_task(task, split, n=n, seed=seed)
    if benchmark is not None:
        from rlvr.eval.code import humaneval_rows

        if benchmark.lower() != "humaneval":
            raise DatasetError(f"unknown benchmark '{benchmark}'. Builtin: humaneval; or pass --data FILE.jsonl.")
        rows, problems = humaneval_rows(n)
        rows[0]["_problems"] = problems
        return rows
    rows = read_jsonl(data, required=("prompt",))
    code = "tests" in rows[0]
    for i, r in enumerate(rows):
        if ("tests" if code else "answer") not in r:
            raise DatasetError(f"{data}, line {i + 1}: missing '{'tests' if code else 'answer'}'. Every row needs "
                               "'prompt' and 'answer' (math), or 'prompt' and 'tests' (code), like the first row.")
        if not isinstance(r["prompt"], (str, list)) or r["prompt"] in ("", []):
            raise DatasetError(f"{data}: row {i + 1} has an empty or non-text 'prompt'; give a string or a list of chat messages.")
        r.setdefault("id", f"row-{i}")
    rows = rows[:n] if n else rows
    if code:
        from rlvr.eval.code import tests_rows

        rows[0]["_problems"] = tests_rows(rows, str(data))
    return rows


def summarize(rows: list[dict]) -> dict:
    """Headline numbers for per-sample rows: pass@k, maj@k and their intervals."""
    from rlvr.eval.summary import summarize_samples

    return summarize_samples(rows)


def evaluate(model_path, rows: list[dict], gen: GenerationConfig, out_dir: str | Path | None = None,
             label: str = "eval", backend: str = "auto", model=None, tokenizer=None, progress: bool = True) -> dict:
    """Generate `gen.n` samples per row, verify each against its `answer`, write results if asked."""
    t0 = time.time()
    problems = rows[0].get("_problems") if rows else None
    completions = generate(model_path, [r["prompt"] for r in rows], gen, backend=backend, model=model,
                           tokenizer=tokenizer, progress=progress)
    if problems is not None:  # code: graded in the sandbox
        from rlvr.eval.code import grade

        samples = grade(rows, completions, problems)
    else:
        flat = [(r, j, c) for r, cs in zip(rows, completions) for j, c in enumerate(cs)]
        verdicts = verify_math_many([c for _, _, c in flat], [str(r["answer"]) for r, _, _ in flat])
        samples = [
            {"id": r.get("id", i), "prompt": prompt_text(r["prompt"]), "completion": c, "answer": str(r["answer"]),
             "extracted": final_answer(c), "status": v.status, "passed": v.passed, "detail": v.detail,
             "sample_index": j}
            for i, ((r, j, c), v) in enumerate(zip(flat, verdicts))
        ]
    summary = {"label": label, "model": str(model_path), "created": time.time(), **summarize(samples),
               "generation": asdict(gen), "wall_s": round(time.time() - t0, 1)}
    if out_dir is not None:
        out_dir = Path(out_dir)
        write_jsonl(out_dir / "samples.jsonl", samples)
        write_json(out_dir / "summary.json", summary)
    summary["samples"] = samples
    return summary
