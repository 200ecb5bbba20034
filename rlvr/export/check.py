"""Does the GGUF we wrote behave like the model it came from?

The file is reloaded the way a user of another runtime would see it -- transformers' GGUF loader
rebuilds config, weights (de-quantised) and tokenizer from the file alone -- and compared with the
source model on a few fixed chat-templated prompts:
  - tokenizer: the GGUF's tokenizer gives the same ids as the source tokenizer on every prompt, and
    the file carries the same chat template;
  - logits: teacher-forced next-token logits at every position: the largest absolute difference,
    also relative to the spread (std) of the source's logits, and the share of positions whose top-1
    token agrees (near-ties, where the source's top-1 leads by less than the quant's `tie_rel` x std,
    are reported but not held against the file).
The check fails when either is outside the tolerance of the quantization type (rlvr.export.quant).
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rlvr.export.quant import QuantType

CHECK_PROMPTS = (
    "What is 12 + 7?",
    "Write a Python function that returns the square of a number.",
    "Name three primary colours.",
    "Solve for x: 3x - 5 = 10. Explain each step.",
)


@dataclass
class PromptCheck:
    """One prompt's comparison (one row of check.jsonl)."""

    prompt: str
    n_tokens: int
    ids_match: bool
    max_abs_diff: float
    top1_agreement: float  # over all positions of this prompt
    next_token_source: int  # argmax at the last position: the token a chat reply would start with
    next_token_gguf: int


@dataclass
class CheckResult:
    """The verdict on one GGUF file (stored in export.json)."""

    quant: str
    passed: bool
    max_abs_diff: float
    max_rel_diff: float  # max_abs_diff / logit_std
    logit_std: float  # std of the source's logits over all prompts and positions
    top1_agreement: float  # decided positions only (see module docstring)
    top1_agreement_all: float  # every position, near-ties included
    n_positions: int
    n_decided: int
    tokenizer_ids_match: bool
    chat_template_match: bool
    tolerance: dict
    failures: list[str] = field(default_factory=list)
    load_s: float = 0.0
    prompts: list[PromptCheck] = field(default_factory=list)

    def summary(self) -> dict:
        d = asdict(self)
        d.pop("prompts")
        return d


def chat_texts(tokenizer, prompts=CHECK_PROMPTS) -> list[str]:
    """The prompts as the model sees them in chat: templated, with the assistant turn opened."""
    if not getattr(tokenizer, "chat_template", None):
        return list(prompts)
    return [
        tokenizer.apply_chat_template([{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True)
        for p in prompts
    ]


def load_gguf(path: str | os.PathLike):
    """(model, tokenizer) rebuilt by transformers from the GGUF file alone, de-quantised to fp32."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from rlvr.export.convert import read_metadata

    path = Path(path)
    directory, name = str(path.parent), path.name
    metadata = read_metadata(path)
    arch = metadata.get("general.architecture")
    key_length = metadata.get(f"{arch}.attention.key_length")
    default_head = metadata.get(f"{arch}.embedding_length", 0) // max(1, metadata.get(f"{arch}.attention.head_count", 1))
    # transformers reads the head size from GGUF only for some architectures (not qwen3, whose config
    # defaults to 128); then take it from the file's own key, so the size is checked, not guessed.
    patch_head = bool(key_length) and (arch == "qwen3" or key_length != default_head)
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        config = None
        if patch_head:
            config = AutoConfig.from_pretrained(directory, gguf_file=name)
            config.head_dim = int(key_length)
        model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, config=config, dtype=torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=name)
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()
    return model.eval(), tokenizer


def compare_logits(source_logits, gguf_logits, tie_margin: float) -> dict:
    """Max |diff|, and top-1 agreement counts over all positions and over positions the source
    decides by more than `tie_margin`. Both tensors are [positions, vocab]."""
    agree = source_logits.argmax(-1) == gguf_logits.argmax(-1)
    top2 = source_logits.topk(2, dim=-1).values
    decided = (top2[:, 0] - top2[:, 1]) > tie_margin
    return {
        "max_abs_diff": (source_logits - gguf_logits).abs().max().item(),
        "n_positions": int(agree.numel()),
        "n_agree": int(agree.sum().item()),
        "n_decided": int(decided.sum().item()),
        "n_decided_agree": int((agree & decided).sum().item()),
    }


def check_gguf(path, source_model, source_tokenizer, quant: QuantType, prompts=CHECK_PROMPTS) -> CheckResult:
    """Reload `path` and compare it with `source_model` / `source_tokenizer` (see module docstring)."""
    import torch

    t0 = time.perf_counter()
    gguf_model, gguf_tokenizer = load_gguf(path)
    load_s = time.perf_counter() - t0

    template_match = (source_tokenizer.chat_template or None) == (gguf_tokenizer.chat_template or None)
    pairs, rows = [], []
    for prompt, text in zip(prompts, chat_texts(source_tokenizer, prompts)):
        ids = source_tokenizer(text, return_tensors="pt", add_special_tokens=False)["input_ids"]
        gguf_ids = gguf_tokenizer(text, return_tensors="pt", add_special_tokens=False)["input_ids"]
        with torch.no_grad():  # same ids into both models: the logits comparison isolates the weights
            pairs.append((source_model(ids).logits[0].float(), gguf_model(ids).logits[0].float()))
        rows.append((prompt, ids.shape[1], ids.tolist() == gguf_ids.tolist()))
    std = torch.cat([a for a, _ in pairs]).std().item() or 1.0
    tie_margin = quant.tie_rel * std

    totals = {"n_positions": 0, "n_agree": 0, "n_decided": 0, "n_decided_agree": 0}
    worst, prompt_rows = 0.0, []
    for (prompt, n_tokens, ids_match), (a, b) in zip(rows, pairs):
        stats = compare_logits(a, b, tie_margin)
        for k in totals:
            totals[k] += stats[k]
        worst = max(worst, stats["max_abs_diff"])
        prompt_rows.append(PromptCheck(prompt, n_tokens, ids_match, stats["max_abs_diff"],
                                       stats["n_agree"] / stats["n_positions"], int(a[-1].argmax()), int(b[-1].argmax())))

    all_ids_match = all(r.ids_match for r in prompt_rows)
    rel = worst / std
    top1_all = totals["n_agree"] / totals["n_positions"]
    top1 = totals["n_decided_agree"] / totals["n_decided"] if totals["n_decided"] else 1.0
    failures = []
    if not all_ids_match:
        bad = [r.prompt for r in prompt_rows if not r.ids_match]
        failures.append(f"the GGUF tokenizer gives different ids from the source tokenizer on {len(bad)} prompt(s), e.g. {bad[0]!r}")
    if not template_match:
        failures.append("the chat template in the GGUF differs from the source tokenizer's (or is missing)")
    if rel > quant.max_rel_diff:
        failures.append(f"max logit difference {worst:.4g} ({rel:.3g} x the logit std {std:.3g}) exceeds the "
                        f"{quant.name} tolerance of {quant.max_rel_diff:g} x std")
    if top1 < quant.min_top1:
        failures.append(f"top-1 agreement {top1:.3f} is below the {quant.name} tolerance {quant.min_top1:g}")
    return CheckResult(
        quant=quant.name,
        passed=not failures,
        max_abs_diff=worst,
        max_rel_diff=rel,
        logit_std=std,
        top1_agreement=top1,
        top1_agreement_all=top1_all,
        n_positions=totals["n_positions"],
        n_decided=totals["n_decided"],
        tokenizer_ids_match=all_ids_match,
        chat_template_match=template_match,
        tolerance={"max_rel_diff": quant.max_rel_diff, "min_top1": quant.min_top1, "tie_margin": tie_margin},
        failures=failures,
        load_s=load_s,
        prompts=prompt_rows,
    )
