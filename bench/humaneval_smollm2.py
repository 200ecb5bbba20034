"""HumanEval pass@1 (greedy) of the embedded SmolLM2-135M-Instruct, generated on this machine and graded
in rlvr's sandbox, with the wall time of each part.

    python bench/humaneval_smollm2.py [--limit 164] [--max-new-tokens 384] [--batch-size 16] [--backend auto]

On a GPU with vLLM installed, `--backend auto` uses vLLM; record the machine with the figures in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=164)
    ap.add_argument("--max-new-tokens", type=int, default=384)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--out", default="runs/bench-humaneval-smollm2")
    args = ap.parse_args()

    import torch

    from rlvr.eval.code import grade
    from rlvr.eval.generate import GenerationConfig, generate
    from rlvr.eval.run import load_eval_rows
    from rlvr.eval.summary import summarize_samples
    from rlvr.io import write_json, write_jsonl
    from rlvr.models import resolve_model

    model = resolve_model("smollm2-135m")
    rows = load_eval_rows(benchmark="humaneval", n=args.limit)
    problems = rows[0]["_problems"]
    t0 = time.time()
    completions = generate(model, [r["prompt"] for r in rows], GenerationConfig(
        max_new_tokens=args.max_new_tokens, batch_size=args.batch_size), backend=args.backend)
    t_gen = time.time() - t0
    samples = grade(rows, completions, problems)
    t_grade = time.time() - t0 - t_gen
    summary = summarize_samples(samples)
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"CPU ({torch.get_num_threads()} threads)"
    summary.update(device=device, generation_s=round(t_gen, 1), grading_s=round(t_grade, 1), n=len(rows),
                   max_new_tokens=args.max_new_tokens)
    write_jsonl(f"{args.out}/samples.jsonl", samples)
    write_json(f"{args.out}/summary.json", summary)
    lo, hi = summary["pass@1_ci"]
    print(f"HumanEval pass@1 (greedy) of smollm2-135m: {summary['pass@1']:.3f} [{lo:.3f}, {hi:.3f}] "
          f"on {len(rows)} problems; device {device}")
    print(f"generation {t_gen:.0f} s ({len(rows) / t_gen:.2f} problems/s), sandbox grading {t_grade:.1f} s "
          f"({len(samples) / max(t_grade, 1e-9):.0f} samples/s)")


if __name__ == "__main__":
    main()
