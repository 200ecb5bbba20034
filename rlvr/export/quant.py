"""Quantization types `rlvr export gguf --quant` accepts, who produces each, and how close the
exported model must stay to its source.

gguf-py (llama.cpp's own Python package) can quantize f32/f16/bf16 and the legacy block types
(q8_0, q4_0, q4_1, q5_0, q5_1) in pure numpy, so those always work. The k-quants (q4_k_m, q5_k_m,
q6_k) have no Python quantizer: they need llama.cpp's, either a `llama-quantize` binary on PATH or
the `llama-cpp-python` package.

Tolerances compare next-token logits of the source (fp32) and of the GGUF reloaded and de-quantised
by transformers, over every position of a few chat-templated prompts. Logit scales differ by orders
of magnitude between models (std about 8 for smollm2-135m, 0.16 for tiny-random), so both bounds are
relative to the standard deviation of the source's logits on those prompts:
  - `max_rel_diff` bounds max |logit_source - logit_gguf| / std;
  - `min_top1` bounds the share of positions where both pick the same next token, counted only where
    the source's top-1 logit leads the runner-up by more than `tie_rel` x std (a near-tie flips under
    any rounding and says nothing about the file).
The values come from measurements on smollm2-135m and tiny-random (docs/export.md) with about 2-4x
headroom over what correct files show, and below what a file with a wrong rope layout shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from rlvr.export.errors import ExportError


@dataclass(frozen=True)
class QuantType:
    name: str  # what the user types, lower case
    ggml_type: str | None  # gguf.GGMLQuantizationType member for 2-D weights (None: external quantizer)
    file_type: str  # gguf.LlamaFileType member written as general.file_type
    producer: str  # "gguf-py" (pure Python, always available) or "llama.cpp" (external quantizer)
    max_rel_diff: float  # largest allowed max |logit diff| / std(source logits)
    min_top1: float  # smallest allowed top-1 agreement on decided positions
    tie_rel: float  # positions whose source top-1 leads by less than tie_rel x std are not counted


# Measured max_rel_diff / top-1 on smollm2-135m (docs/export.md): f16 0.005 / 1.0, bf16 0.034 / 1.0,
# q8_0 0.17 / 1.0, q5_0 1.25 / 0.92, q4_0 2.6 / 0.98; a wrong q/k layout in f16: 3.9 / 0.5.
QUANT_TYPES: dict[str, QuantType] = {
    q.name: q
    for q in [
        QuantType("f32", "F32", "ALL_F32", "gguf-py", 1e-3, 1.0, 0.05),
        QuantType("f16", "F16", "MOSTLY_F16", "gguf-py", 0.02, 0.99, 0.05),
        QuantType("bf16", "BF16", "MOSTLY_BF16", "gguf-py", 0.1, 0.98, 0.05),
        QuantType("q8_0", "Q8_0", "MOSTLY_Q8_0", "gguf-py", 0.4, 0.95, 0.1),
        QuantType("q6_k", None, "MOSTLY_Q6_K", "llama.cpp", 1.0, 0.9, 0.25),
        QuantType("q5_1", "Q5_1", "MOSTLY_Q5_1", "gguf-py", 2.0, 0.8, 0.25),
        QuantType("q5_0", "Q5_0", "MOSTLY_Q5_0", "gguf-py", 2.0, 0.8, 0.25),
        QuantType("q5_k_m", None, "MOSTLY_Q5_K_M", "llama.cpp", 2.0, 0.8, 0.25),
        QuantType("q4_1", "Q4_1", "MOSTLY_Q4_1", "gguf-py", 3.5, 0.8, 0.25),
        QuantType("q4_0", "Q4_0", "MOSTLY_Q4_0", "gguf-py", 3.5, 0.8, 0.25),
        QuantType("q4_k_m", None, "MOSTLY_Q4_K_M", "llama.cpp", 3.5, 0.8, 0.25),
    ]
}


def get_quant(name: str) -> QuantType:
    """The QuantType for `name` (case-insensitive); ExportError listing the choices otherwise."""
    q = QUANT_TYPES.get(name.strip().lower())
    if q is None:
        raise ExportError(
            f"unknown quantization type '{name}'. Choose one of: {', '.join(QUANT_TYPES)} "
            "(f16 and q8_0 are the usual picks; the k-quants need llama.cpp's quantizer)."
        )
    return q
