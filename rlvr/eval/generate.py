"""Generation backends. `transformers` works everywhere (batched, left-padded, progress bar);
`vllm` is used when it is installed and a GPU is present. Both return, per prompt, a list of `n`
completion strings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from rlvr.errors import RlvrError


@dataclass
class GenerationConfig:
    max_new_tokens: int = 48
    temperature: float = 0.0  # 0 = greedy
    top_p: float = 1.0
    n: int = 1
    batch_size: int = 32
    seed: int = 0
    chat_template: bool = True


def render_prompts(tokenizer, prompts: Sequence, chat_template: bool = True) -> list[str]:
    """Chat-formatted prompts become text with the model's template and a generation prompt."""
    out = []
    for p in prompts:
        if isinstance(p, list) and chat_template:
            out.append(tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True))
        elif isinstance(p, list):
            out.append("\n".join(m["content"] for m in p))
        elif chat_template and getattr(tokenizer, "chat_template", None):
            out.append(tokenizer.apply_chat_template([{"role": "user", "content": p}], tokenize=False,
                                                     add_generation_prompt=True))
        else:
            out.append(p)
    return out


def pick_backend(name: str = "auto") -> str:
    if name not in ("auto", "transformers", "vllm"):
        raise RlvrError(f"unknown backend '{name}'; use auto, transformers or vllm")
    if name != "auto":
        return name
    import importlib.util

    import torch

    return "vllm" if torch.cuda.is_available() and importlib.util.find_spec("vllm") else "transformers"


def generate(model_path, prompts: Sequence, cfg: GenerationConfig, backend: str = "auto",
             model=None, tokenizer=None, progress: bool = True) -> list[list[str]]:
    backend = pick_backend(backend)
    if backend == "vllm":
        return _generate_vllm(model_path, prompts, cfg)
    return _generate_transformers(model_path, prompts, cfg, model=model, tokenizer=tokenizer, progress=progress)


def _generate_transformers(model_path, prompts, cfg, model=None, tokenizer=None, progress=True):
    import torch
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from rlvr.models import load_model, load_tokenizer

    tokenizer = tokenizer or load_tokenizer(model_path)
    model = model or load_model(model_path)
    model.eval()
    tokenizer.padding_side = "left"
    texts = render_prompts(tokenizer, prompts, cfg.chat_template)
    # Longest first, so the padding in each batch is small and memory peaks early.
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    results: list[list[str]] = [[] for _ in texts]
    torch.manual_seed(cfg.seed)
    sample = cfg.temperature > 0
    gen_kwargs = dict(max_new_tokens=cfg.max_new_tokens, do_sample=sample, pad_token_id=tokenizer.pad_token_id,
                      num_return_sequences=cfg.n)
    if sample:
        gen_kwargs.update(temperature=cfg.temperature, top_p=cfg.top_p)
    else:
        gen_kwargs.update(temperature=None, top_p=None, top_k=None)
    per_batch = max(1, cfg.batch_size // max(cfg.n, 1))
    from rich.console import Console

    with Progress(TextColumn("[cyan]generating"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  disable=not progress, transient=False, console=Console(stderr=True)) as bar:
        task = bar.add_task("gen", total=len(texts))
        for start in range(0, len(order), per_batch):
            idx = order[start:start + per_batch]
            enc = tokenizer([texts[i] for i in idx], return_tensors="pt", padding=True, add_special_tokens=False)
            enc = {k: v.to(model.device) for k, v in enc.items()}
            with torch.inference_mode():
                out = model.generate(**enc, **gen_kwargs)
            new = out[:, enc["input_ids"].shape[1]:]
            decoded = tokenizer.batch_decode(new, skip_special_tokens=True)
            for j, i in enumerate(idx):
                results[i] = decoded[j * cfg.n:(j + 1) * cfg.n]
            bar.advance(task, len(idx))
    return results


def _generate_vllm(model_path, prompts, cfg):
    """vLLM's offline `LLM.generate` on token ids (the chat template already holds any BOS, so the text is
    not tokenized a second time with special tokens, as in the transformers path). The engine is shut
    down afterwards so the GPU memory returns to training between a run's evaluations."""
    try:
        from vllm import LLM, SamplingParams
    except ImportError:
        raise RlvrError("--backend vllm needs the vllm package and a CUDA GPU; install vllm or use --backend transformers") from None
    import gc
    import os

    from rlvr.models import load_tokenizer

    tokenizer = load_tokenizer(model_path)
    texts = render_prompts(tokenizer, prompts, cfg.chat_template)
    ids = tokenizer(texts, add_special_tokens=False)["input_ids"]
    memory = float(os.environ.get("RLVR_VLLM_GPU_MEMORY", "0.5"))  # leave room for a training process's cache
    needed = max(len(x) for x in ids) + cfg.max_new_tokens  # a KV cache sized for this job, not 128k contexts
    try:
        import json
        from pathlib import Path

        needed = min(needed, int(json.loads((Path(model_path) / "config.json").read_text())["max_position_embeddings"]))
    except (OSError, KeyError, ValueError, TypeError):
        pass
    llm = LLM(model=str(model_path), seed=cfg.seed, gpu_memory_utilization=memory, max_model_len=needed)
    params = SamplingParams(n=cfg.n, temperature=cfg.temperature, top_p=cfg.top_p if cfg.temperature > 0 else 1.0,
                            max_tokens=cfg.max_new_tokens, seed=cfg.seed)
    try:
        outs = llm.generate([{"prompt_token_ids": x} for x in ids], params, use_tqdm=True)
        return [[o.text for o in out.outputs] for out in outs]
    finally:
        del llm
        gc.collect()
        try:
            import torch

            torch.cuda.empty_cache()
        except Exception:
            pass
