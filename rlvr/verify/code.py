"""The code verifier: run HumanEval-format samples through the sandbox and summarise with pass@k.

Per sample the candidate program is `problem.prompt + completion`, served from a sandboxed child;
the problem's `test` (and the prompt's helper functions, e.g. HumanEval/32's `poly`) runs here, in
the trusted process, calling `check(candidate)` with a proxy. See `rlvr.sandbox` for the threat model.
"""

from __future__ import annotations

import os
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Callable, Iterable

from rlvr.errors import VerifyError
from rlvr.eval.metrics import pass_at_k
from rlvr.sandbox import Limits, Sandbox, SandboxPool
from rlvr.verify.problems import Problem
from rlvr.verify.verdict import STATUSES, Verdict


@lru_cache(maxsize=4096)
def _compiled(task_id: str, prompt: str, test: str):
    """The prompt usually ends in a signature + docstring (valid alone); a bare `def f(x):` needs a body."""
    try:
        prompt_code = compile(prompt, f"<{task_id} prompt>", "exec")
    except SyntaxError:
        prompt_code = compile(prompt.rstrip("\n") + "\n    pass\n", f"<{task_id} prompt>", "exec")
    return prompt_code, compile(test, f"<{task_id} test>", "exec")


def trusted_check(problem: Problem) -> Callable[[Callable], object]:
    """`check` from the problem's test, in a fresh namespace that also holds the prompt's helpers."""
    prompt_code, test_code = _compiled(problem.task_id, problem.prompt, problem.test)
    namespace: dict = {"__name__": "__rlvr_check__"}
    exec(prompt_code, namespace)
    exec(test_code, namespace)
    check = namespace.get("check")
    if not callable(check):
        raise ValueError("the problem's test defines no check(candidate) function")

    def run(candidate: Callable) -> object:
        namespace[problem.entry_point] = candidate  # tests may name it directly (HumanEval/33)
        return check(candidate)

    return run


def verify_completion(sandbox: Sandbox, problem: Problem, completion: str) -> Verdict:
    """One sample's Verdict. A problem whose own prompt/test fails to load is `unverifiable`."""
    try:
        check = trusted_check(problem)
    except Exception as e:
        return Verdict("unverifiable", f"the problem's prompt/test failed to load: {type(e).__name__}: {e}"[:300])
    return sandbox.run(problem.prompt + completion, problem.entry_point, check)


def _bad_sample(index: int, sample, problems: dict[str, Problem]) -> str | None:
    """Why a sample cannot be verified (None if it can); `index` is the 0-based position."""
    if not isinstance(sample, dict):
        return sample if isinstance(sample, str) else "not a JSON object"
    if "task_id" not in sample:
        return "missing 'task_id'"
    if "completion" not in sample:
        return "missing 'completion'"
    if not isinstance(sample["completion"], str):
        return f"'completion' must be a string, got {type(sample['completion']).__name__}"
    if sample["task_id"] not in problems:
        return f"task_id {sample['task_id']!r} is not in the problem set"
    return None


def verify_samples(samples: list, problems: dict[str, Problem], workers: int | None = None,
                   timeout: float = 3.0, skip_bad: bool = False, hide_files: Iterable[str] = (),
                   on_done: Callable[[int, dict], None] | None = None, limits: Limits | None = None,
                   pool: SandboxPool | None = None, where: Callable[[int], str] | None = None,
                   remote: Callable[[list[tuple[int, dict, Problem]]], Iterable[tuple[int, dict]]] | None = None,
                   ) -> list[dict]:
    """One result row per sample, in input order: the sample's keys plus `completion_id`, `passed`
    (True/False, None when unverifiable), `status`, `detail`, `wall_s`, `cpu_s`.

    A bad sample (unknown task_id, missing/non-string completion) raises VerifyError naming it via
    `where(index)` (e.g. "samples.jsonl, line 7"), or with `skip_bad` becomes a row with status
    `error` and the reason; the rest of the run is unaffected.

    `remote` sends the checked samples elsewhere (e.g. `rlvr.verify.ray_backend`): it gets
    (index, sample, problem) triples and yields (index, verdict fields) in any order."""
    where = where or (lambda i: f"sample {i + 1}")
    rows: list[dict | None] = [None] * len(samples)
    todo = []
    seen: Counter = Counter()
    for i, sample in enumerate(samples):
        reason = _bad_sample(i, sample, problems)
        if reason is not None:
            if not skip_bad:
                raise VerifyError(f"{where(i)}: {reason}. Samples need 'task_id' (one of the problem set's) and "
                                  "'completion' (a string); fix that line, or pass --skip-bad to record it as an error.")
            base = dict(sample) if isinstance(sample, dict) else {"task_id": None}
            rows[i] = {**base, "completion_id": None, "passed": False, "status": "error", "detail": f"bad sample: {reason}"}
            if on_done:
                on_done(i, rows[i])
            continue
        rows[i] = {**sample, "completion_id": seen[sample["task_id"]]}
        seen[sample["task_id"]] += 1
        todo.append(i)

    if remote is not None:
        for i, fields in remote([(i, samples[i], problems[samples[i]["task_id"]]) for i in todo]):
            rows[i].update(fields)
            if on_done:
                on_done(i, rows[i])
        return rows  # type: ignore[return-value]

    limits = limits or Limits(timeout_s=timeout)
    workers = max(1, min(workers or os.cpu_count() or 1, len(todo) or 1))
    own_pool = pool is None
    if todo and own_pool:
        pool = SandboxPool(workers, limits, tuple(hide_files))

    def work(i: int) -> None:
        sandbox = pool.acquire()
        try:
            verdict = verify_completion(sandbox, problems[samples[i]["task_id"]], samples[i]["completion"])
        finally:
            pool.release(sandbox)
        rows[i].update(passed=verdict.passed, status=verdict.status, detail=verdict.detail,
                       wall_s=verdict.wall_s, cpu_s=verdict.cpu_s)
        if on_done:
            on_done(i, rows[i])

    try:
        if todo:
            with ThreadPoolExecutor(workers) as ex:
                for f in [ex.submit(work, i) for i in todo]:
                    f.result()
    finally:
        if own_pool and pool is not None:
            pool.close()
    return rows  # type: ignore[return-value]


def summarize(rows: list[dict], wall_s: float | None = None, capabilities: dict | None = None) -> dict:
    """Counts per status and pass@k for every k up to the fewest decided samples of any task.
    Unverifiable samples are left out of n and c (never a pass or a fail) and counted apart."""
    per_task: dict = defaultdict(lambda: [0, 0])
    counts = Counter(r.get("status") for r in rows)
    for r in rows:
        if r.get("status") in ("unverifiable", None) or r.get("task_id") is None:
            continue
        n_c = per_task[r["task_id"]]
        n_c[0] += 1
        n_c[1] += r.get("status") == "passed"
    summary: dict = {"n_samples": len(rows), "n_tasks": len(per_task),
                     **{s: counts.get(s, 0) for s in STATUSES}}
    if per_task:
        kmax = min(n for n, _ in per_task.values())
        for k in range(1, kmax + 1):
            summary[f"pass@{k}"] = round(sum(pass_at_k(n, c, k) for n, c in per_task.values()) / len(per_task), 6)
    if wall_s is not None:
        summary["wall_s"] = round(wall_s, 3)
        summary["samples_per_s"] = round(len(rows) / wall_s, 2) if wall_s > 0 else None
    if capabilities is not None:
        summary["sandbox"] = capabilities
    return summary


def run_verify(samples: list, problems: dict[str, Problem], **kwargs) -> tuple[list[dict], dict]:
    """verify_samples + summarize, with wall time and the sandbox's capabilities in the summary."""
    t0 = time.monotonic()
    caps: dict = {}
    workers = kwargs.pop("workers", None)
    limits = kwargs.pop("limits", None) or Limits(timeout_s=kwargs.pop("timeout", 3.0))
    n_ok = sum(_bad_sample(i, s, problems) is None for i, s in enumerate(samples))
    pool = None
    if n_ok:
        pool = SandboxPool(max(1, min(workers or os.cpu_count() or 1, n_ok)), limits, tuple(kwargs.pop("hide_files", ())))
        caps = pool.capabilities
    try:
        rows = verify_samples(samples, problems, workers=workers, limits=limits, pool=pool, **kwargs)
    finally:
        if pool is not None:
            pool.close()
    return rows, summarize(rows, time.monotonic() - t0, caps)
