"""`rlvr eval`: generate on a benchmark, verify every sample, write per-sample JSONL and a summary."""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

from rlvr.errors import DatasetError
from rlvr.eval.generate import GenerationConfig, generate
from rlvr.eval.metrics import wilson_interval
from rlvr.io import read_jsonl, write_json, write_jsonl
from rlvr.rewards.math import final_answer
from rlvr.rewards.text import prompt_text
from rlvr.verify.math import verify_math_many


def load_eval_rows(data: str | None = None, task: str | None = None, split: str = "eval", n: int | None = None,
                   seed: int = 0) -> list[dict]:
    """Rows with `prompt` and `answer`, from a JSONL file or a builtin task split."""
    if (data is None) == (task is None):
        raise DatasetError("give exactly one of --data FILE.jsonl or --task NAME")
    if task is not None:
        from rlvr.tasks import load_task

        return load_task(task, split, n=n, seed=seed)
    rows = read_jsonl(data, required=("prompt", "answer"))
    for i, r in enumerate(rows):
        if not isinstance(r["prompt"], (str, list)) or r["prompt"] in ("", []):
            raise DatasetError(f"{data}: row {i + 1} has an empty or non-text 'prompt'; give a string or a list of chat messages.")
        r.setdefault("id", f"row-{i}")
    return rows[:n] if n else rows


def summarize(rows: list[dict]) -> dict:
    """Headline numbers for per-sample rows (pass@1 over all samples, its Wilson interval)."""
    try:
        from rlvr.eval.summary import summarize_samples  # the full set: pass@k, maj@k, intervals

        return summarize_samples(rows)
    except ImportError:
        decided = [r for r in rows if r["passed"] is not None]
        k = sum(r["passed"] for r in decided)
        return {"n_samples_total": len(rows), "pass@1": k / len(decided) if decided else float("nan"),
                "pass@1_ci": list(wilson_interval(k, len(decided))), "unverifiable": len(rows) - len(decided)}


def evaluate(model_path, rows: list[dict], gen: GenerationConfig, out_dir: str | Path | None = None,
             label: str = "eval", backend: str = "auto", model=None, tokenizer=None, progress: bool = True) -> dict:
    """Generate `gen.n` samples per row, verify each against its `answer`, write results if asked."""
    t0 = time.time()
    completions = generate(model_path, [r["prompt"] for r in rows], gen, backend=backend, model=model,
                           tokenizer=tokenizer, progress=progress)
    flat = [(r, j, c) for r, cs in zip(rows, completions) for j, c in enumerate(cs)]
    verdicts = verify_math_many([c for _, _, c in flat], [str(r["answer"]) for r, _, _ in flat])
    samples = [
        {"id": r.get("id", i), "prompt": prompt_text(r["prompt"]), "completion": c, "answer": str(r["answer"]),
         "extracted": final_answer(c), "status": v.status, "passed": v.passed, "detail": v.detail, "sample_index": j}
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
