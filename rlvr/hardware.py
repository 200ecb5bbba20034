"""What this machine can do, so precision and defaults follow the hardware rather than TRL's GPU defaults.

TRL's configs default to bf16 and gradient checkpointing; on a CPU without bf16 units that makes a
step many times slower (measured: over 90 s for the first SFT step vs about 5.6 s in fp32).
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Hardware:
    device: str  # "cuda" or "cpu"
    bf16: bool
    fp16: bool
    cpu_count: int
    gpu_name: str | None = None
    gpu_memory_gb: float | None = None


def detect() -> Hardware:
    import torch

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        bf16 = torch.cuda.is_bf16_supported()
        return Hardware("cuda", bf16, not bf16, cpus, props.name, props.total_memory / 2**30)
    return Hardware("cpu", False, False, cpus)


def default_dtype():
    import torch

    hw = detect()
    if hw.bf16:
        return torch.bfloat16
    if hw.fp16:
        return torch.float16
    return torch.float32


def precision_kwargs() -> dict:
    """Keyword arguments for a TRL/transformers TrainingArguments that match this machine."""
    hw = detect()
    return {
        "bf16": hw.bf16,
        "fp16": hw.fp16,
        "activation_checkpointing": hw.device == "cuda",  # transformers 5's name for gradient checkpointing
        "use_cpu": hw.device == "cpu",
    }
