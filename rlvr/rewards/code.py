"""`code_tests`: a GRPO reward that runs each completion against the problem's tests in the sandbox.

TRL's signature: `code_tests(prompts, completions, **columns) -> list[float | None]`. Needs the
dataset columns `test` and `entry_point` (HumanEval's names) and `problem_prompt`, the problem's
own prompt text (the function signature and any helpers the test uses); the candidate program is
`problem_prompt + code`. The code is taken from the completion: a chat completion (list of
{"role", "content"} messages) or a string; the last fenced ```python block if any, else the text.
If the extracted code already defines the entry point at top level it is used as the whole
program after the prompt's helpers. Reward 1.0 passed, 0.0 failed/timeout/error, None unverifiable.

`backend: ray` (recipe: `{name: code_tests, args: {backend: ray, ray_address: auto}}`) sends the
sandboxed runs to Ray actors, each with its own sandbox pool (rlvr.verify.ray_backend), so the
verifier scales past the training host; the default `local` pool runs on this host.
"""

from __future__ import annotations

import atexit
import os
import re
import threading

from rlvr.verify.verdict import reward_from_verdict

PROMPT_COLUMN = "problem_prompt"
_FENCE = re.compile(r"```(?:python|py|python3)?[ \t]*\n(.*?)```", re.S)
_pool = None
_pool_lock = threading.Lock()
_ray_pools: dict = {}


def extract_code(completion) -> str:
    """Code from a chat completion or a string, preferring the last fenced block."""
    if isinstance(completion, list):
        completion = "".join(m.get("content", "") or "" for m in completion
                             if isinstance(m, dict) and m.get("role", "assistant") == "assistant")
    text = completion if isinstance(completion, str) else str(completion)
    blocks = _FENCE.findall(text)
    return blocks[-1] if blocks else text


def completion_after_prompt(code: str, entry_point: str) -> str:
    """What follows the problem prompt in the program: code that restates `def entry_point(` is a full
    solution (the prompt's stub gets a body and is then redefined); otherwise it continues the prompt."""
    if re.search(rf"^def\s+{re.escape(entry_point)}\s*\(", code, re.M):
        return "\n    pass\n\n" + code
    return code


def _shared_pool(workers: int | None):
    global _pool
    with _pool_lock:
        if _pool is None:
            from rlvr.sandbox import SandboxPool

            _pool = SandboxPool(workers or os.cpu_count() or 1)
            atexit.register(_pool.close)
        return _pool


def _shared_ray_pool(address: str | None, timeout: float):
    with _pool_lock:
        key = (address, timeout)
        if key not in _ray_pools:
            from rlvr.sandbox import Limits
            from rlvr.verify.ray_backend import RayVerifierPool

            _ray_pools[key] = RayVerifierPool(limits=Limits(timeout_s=timeout), address=address)
            atexit.register(_ray_pools[key].close)
        return _ray_pools[key]


def code_tests(prompts, completions, test=None, entry_point=None, problem_prompt=None, timeout: float = 3.0,
               workers: int | None = None, backend: str = "local", ray_address: str | None = None,
               **_columns) -> list[float | None]:
    """1.0 when the completion passes the problem's check(), 0.0 when it does not, None when the
    harness could not decide (a missing column is a configuration error, raised as RecipeError)."""
    from rlvr.errors import RecipeError
    from rlvr.sandbox import Limits
    from rlvr.verify.code import verify_samples
    from rlvr.verify.problems import Problem
    from rlvr.verify.verdict import Verdict

    missing = [n for n, v in (("test", test), ("entry_point", entry_point), (PROMPT_COLUMN, problem_prompt)) if v is None]
    if missing:
        raise RecipeError(f"reward code_tests needs dataset columns {', '.join(missing)} (HumanEval's `test`, "
                          f"`entry_point`, and the problem's prompt text as `{PROMPT_COLUMN}`).")
    problems, samples = {}, []
    for i, completion in enumerate(completions):
        code = extract_code(completion)
        key = f"row{i}"
        problems[key] = Problem(key, problem_prompt[i], test[i], entry_point[i])
        samples.append({"task_id": key, "completion": completion_after_prompt(code, entry_point[i])})
    if backend == "ray":
        rows = verify_samples(samples, problems, skip_bad=True, remote=_shared_ray_pool(ray_address, timeout).dispatch)
        return [reward_from_verdict(Verdict(r["status"])) for r in rows]
    if backend != "local":
        raise RecipeError(f"reward code_tests: unknown backend {backend!r}; use local or ray.")
    pool = _shared_pool(workers)
    if pool.sandboxes[0].limits.timeout_s != timeout:
        for sb in pool.sandboxes:
            sb.limits = Limits(timeout_s=timeout)
    rows = verify_samples(samples, problems, workers=len(pool.sandboxes), pool=pool, skip_bad=True)
    return [reward_from_verdict(Verdict(r["status"])) for r in rows]
