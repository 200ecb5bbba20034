"""Generation throughput: transformers `generate` vs vLLM, same prompts, same run, same machine.

Both backends go through `rlvr.eval.generate.generate` (what `rlvr eval` uses) on the arithmetic
task's eval prompts with the model's chat template. Tokens are the completions' tokens (re-tokenized
without special tokens), so both backends are counted the same way; the time is generation only (the
transformers model is loaded before the clock starts; vLLM's engine start-up is reported apart).
vLLM runs only where it is installed and a CUDA GPU is present; otherwise its row says why.

    python bench/generation_throughput.py --model smollm2-135m --prompts 64 --max-new-tokens 64
    python bench/generation_throughput.py --model tiny-random --json bench_generation.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time


def count_tokens(tokenizer, completions: list[list[str]]) -> int:
    flat = [c for cs in completions for c in cs]
    return sum(len(ids) for ids in tokenizer(flat, add_special_tokens=False)["input_ids"])


def run_transformers(path, prompts, cfg) -> dict:
    from rlvr.eval.generate import generate
    from rlvr.models import load_model, load_tokenizer

    tok, model = load_tokenizer(path), load_model(path)
    generate(path, prompts[:2], cfg, backend="transformers", model=model, tokenizer=tok, progress=False)  # warm-up
    t0 = time.perf_counter()
    out = generate(path, prompts, cfg, backend="transformers", model=model, tokenizer=tok)
    wall = time.perf_counter() - t0
    tokens = count_tokens(tok, out)
    return {"backend": "transformers", "device": str(model.device), "tokens": tokens, "wall_s": round(wall, 2),
            "tokens_per_s": round(tokens / wall, 1)}


def run_vllm(path, prompts, cfg) -> dict:
    from rlvr.train.distributed import vllm_available

    if not vllm_available():
        import importlib.util

        why = "vllm is not installed" if importlib.util.find_spec("vllm") is None else "no CUDA GPU"
        return {"backend": "vllm", "skipped": why}
    from rlvr.eval.generate import _generate_vllm
    from rlvr.models import load_tokenizer

    tok = load_tokenizer(path)
    t0 = time.perf_counter()
    _generate_vllm(path, prompts[:2], cfg)  # engine start-up and CUDA graphs, timed apart
    startup = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = _generate_vllm(path, prompts, cfg)
    wall = time.perf_counter() - t0
    tokens = count_tokens(tok, out)
    return {"backend": "vllm", "device": "cuda", "tokens": tokens, "wall_s": round(wall, 2),
            "tokens_per_s": round(tokens / wall, 1), "note": f"includes one engine start ({startup:.0f} s for the first)"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="tiny-random")
    ap.add_argument("--prompts", type=int, default=64)
    ap.add_argument("--max-new-tokens", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--samples", type=int, default=1, help="completions per prompt (temperature 1.0 when > 1)")
    ap.add_argument("--json", dest="json_out", default=None, help="also write the results here")
    args = ap.parse_args()

    import torch

    from rlvr.eval.generate import GenerationConfig
    from rlvr.models import resolve_model
    from rlvr.tasks import load_task

    path = resolve_model(args.model)
    prompts = [r["prompt"] for r in load_task("arithmetic", "eval", n=args.prompts, seed=0)]
    cfg = GenerationConfig(max_new_tokens=args.max_new_tokens, batch_size=args.batch_size, n=args.samples,
                           temperature=1.0 if args.samples > 1 else 0.0, seed=0)
    rows = [run_transformers(path, prompts, cfg), run_vllm(path, prompts, cfg)]
    result = {"model": args.model, "prompts": len(prompts), "max_new_tokens": args.max_new_tokens,
              "samples": args.samples, "batch_size": args.batch_size, "torch_threads": torch.get_num_threads(),
              "machine": platform.machine(), "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
              "rows": rows}
    tf = rows[0]["tokens_per_s"]
    if "tokens_per_s" in rows[1]:
        result["vllm_over_transformers"] = round(rows[1]["tokens_per_s"] / tf, 2)
    for r in rows:
        if "skipped" in r:
            print(f"{r['backend']:>12}: skipped ({r['skipped']})")
        else:
            print(f"{r['backend']:>12}: {r['tokens']:>7} tokens in {r['wall_s']:>7.2f} s = {r['tokens_per_s']:>9.1f} tokens/s"
                  f" on {r['device']}")
    if "vllm_over_transformers" in result:
        print(f"vllm / transformers: {result['vllm_over_transformers']}x")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
