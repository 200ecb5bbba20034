"""Hugging Face checkpoint -> GGUF, for the model families rlvr trains: Llama-style (SmolLM2
included), Qwen2 and Qwen3, with byte-level BPE tokenizers.

Built on gguf-py, llama.cpp's own writer library: its tensor-name map, `SpecialVocab` (merges,
special token ids, chat template) and its numpy quantizers. What is ours mirrors llama.cpp's
`convert_hf_to_gguf.py`, which is not installable on its own:
  - hyper-parameters under llama.cpp's keys (rope base, rms eps, head counts, head size);
  - Llama's q_proj/k_proj rows permuted into llama.cpp's rope layout (`permute_qk`); transformers'
    GGUF loader undoes exactly this for `llama` files and for no other architecture;
  - tied embeddings written once (no `output.weight`, which is how readers detect tying);
  - 1-D tensors (norms, biases) kept in F32; a 2-D tensor whose rows do not split into the quant's
    blocks falls back to F16, as llama.cpp does;
  - the vocabulary as llama.cpp's `get_vocab_base` lists it (token types CONTROL / USER_DEFINED /
    NORMAL / UNUSED), and `tokenizer.ggml.pre` naming the pre-tokenizer the runtime must use.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from rlvr.export.errors import ExportError
from rlvr.export.quant import QuantType

# HF model_type -> gguf.MODEL_ARCH member. Only these are converted and checked.
ARCHITECTURES = {"llama": "LLAMA", "qwen2": "QWEN2", "qwen3": "QWEN3"}
# llama.cpp permutes q/k rows for these (its rope pairs dims (i, i+1); HF's pairs (i, i+d/2)).
PERMUTED_QK = {"llama"}
# Split regexes, as transformers' GGUF tokenizer builder knows them, named the way llama.cpp does.
PRE_TOKENIZER_PREFERENCE = ("qwen2", "llama-bpe", "gpt-4o", "tekken")
SMOLLM_FIRST_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


@dataclass
class GGUFInfo:
    """What write_gguf wrote, for export.json."""

    architecture: str
    tokenizer_pre: str
    n_tensors: int
    n_params: int
    tensor_types: dict[str, int] = field(default_factory=dict)  # ggml type name -> tensor count
    chat_template: bool = False


def permute_qk(weights: np.ndarray, n_head: int, n_head_kv: int | None = None) -> np.ndarray:
    """llama.cpp's `LlamaModel.permute`: within each head, interleave the two rotary halves.
    transformers' `LlamaTensorProcessor._reverse_permute_weights` is the exact inverse."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (
        weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


@dataclass(frozen=True)
class HParams:
    model_type: str
    n_layers: int
    hidden: int
    ffn: int
    n_head: int
    n_head_kv: int
    head_dim: int
    context: int
    rms_eps: float
    rope_theta: float
    vocab_size: int
    tied: bool


def hparams_of(config) -> HParams:
    """The hyper-parameters GGUF needs; ExportError for what we cannot write faithfully."""
    model_type = getattr(config, "model_type", None)
    if model_type not in ARCHITECTURES:
        raise ExportError(
            f"cannot export model type '{model_type}': rlvr's GGUF export supports "
            f"{', '.join(ARCHITECTURES)} (Llama-style incl. SmolLM2, Qwen2, Qwen3). For other families use "
            "llama.cpp's convert_hf_to_gguf.py (it ships inside the llama-cpp-python sdist)."
        )
    rope = dict(getattr(config, "rope_parameters", None) or getattr(config, "rope_scaling", None) or {})
    rope_type = rope.get("rope_type", rope.get("type", "default"))
    if rope_type not in ("default", None):
        raise ExportError(
            f"the model uses rope scaling '{rope_type}', which this exporter does not write (llama.cpp "
            "needs extra keys or a rope_freqs tensor for it). Use llama.cpp's convert_hf_to_gguf.py for this model."
        )
    theta = rope.get("rope_theta", getattr(config, "rope_theta", None))
    if theta is None:
        raise ExportError("the model config has no rope_theta (in rope_parameters or at top level); cannot write rope.freq_base.")
    n_head = config.num_attention_heads
    return HParams(
        model_type=model_type,
        n_layers=config.num_hidden_layers,
        hidden=config.hidden_size,
        ffn=config.intermediate_size,
        n_head=n_head,
        n_head_kv=getattr(config, "num_key_value_heads", None) or n_head,
        head_dim=getattr(config, "head_dim", None) or config.hidden_size // n_head,
        context=config.max_position_embeddings,
        rms_eps=float(config.rms_norm_eps),
        rope_theta=float(theta),
        vocab_size=config.vocab_size,
        tied=bool(getattr(config, "tie_word_embeddings", False)),
    )


def tokenizer_pre(tokenizer) -> str:
    """The `tokenizer.ggml.pre` value: which split regex llama.cpp (and transformers' GGUF loader)
    must apply before BPE. Read off the tokenizer's own pre-tokenizer, or recognised by vocabulary."""
    pre = json.loads(tokenizer.backend_tokenizer.to_str()).get("pre_tokenizer") or {}
    text = json.dumps(pre)
    try:
        from transformers.integrations.gguf.gguf_tokenizer_mapping import GGUF_PRE_TOKENIZER_SPLITS
    except ImportError:  # the table moved: fall back to the vocabulary checks below
        GGUF_PRE_TOKENIZER_SPLITS = {}
    for name in PRE_TOKENIZER_PREFERENCE:
        regex = GGUF_PRE_TOKENIZER_SPLITS.get(name)
        if regex and json.dumps(regex)[1:-1] in text:
            return name
    vocab = tokenizer.get_vocab()
    first = sorted(vocab, key=vocab.get)[:3]
    if first == SMOLLM_FIRST_TOKENS and len(vocab) == 49152:
        return "smollm"  # SmolLM's tokenizer: GPT-2's regex with digits split one by one
    return "gpt2"


def vocab_of(tokenizer, vocab_size: int) -> tuple[list[str], list[int]]:
    """Token strings and token types, in id order, as llama.cpp's `get_vocab_base` writes them."""
    import gguf

    spec = json.loads(tokenizer.backend_tokenizer.to_str())
    model = spec.get("model") or {}
    byte_level = "ByteLevel" in json.dumps([spec.get("pre_tokenizer"), spec.get("decoder")])
    if model.get("type") != "BPE" or model.get("byte_fallback") or not byte_level:
        kind = "SentencePiece-style BPE" if model.get("type") == "BPE" else f"'{model.get('type')}'"
        raise ExportError(
            f"the tokenizer is a {kind} tokenizer; this exporter writes byte-level BPE tokenizers "
            "(SmolLM2, Qwen2/3, Llama-3). Use llama.cpp's convert_hf_to_gguf.py for this one."
        )
    vocab = tokenizer.get_vocab()
    if len(vocab) > vocab_size:
        raise ExportError(
            f"the tokenizer has {len(vocab)} tokens but the model's embedding has only {vocab_size} rows; "
            "resize the embeddings (model.resize_token_embeddings) before exporting."
        )
    reverse = {i: t for t, i in vocab.items()}
    added = tokenizer.added_tokens_decoder  # id -> AddedToken
    tokens, types = [], []
    for i in range(vocab_size):
        if i not in reverse:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
            continue
        tokens.append(reverse[i])
        if i in added:
            types.append(gguf.TokenType.CONTROL if added[i].special else gguf.TokenType.USER_DEFINED)
        else:
            types.append(gguf.TokenType.NORMAL)
    return tokens, [int(t) for t in types]


def _adds_bos_eos(tokenizer) -> tuple[bool, bool]:
    """Whether encoding adds BOS / EOS, measured rather than read from config flags."""
    plain = tokenizer("hello", add_special_tokens=False)["input_ids"]
    full = tokenizer("hello")["input_ids"]
    bos = tokenizer.bos_token_id is not None and len(full) > len(plain) and full[0] == tokenizer.bos_token_id
    eos = tokenizer.eos_token_id is not None and len(full) > len(plain) and full[-1] == tokenizer.eos_token_id
    return bos, eos


def _tensor_type(data: np.ndarray, quant: QuantType):
    import gguf

    if data.ndim <= 1:
        return gguf.GGMLQuantizationType.F32
    qtype = gguf.GGMLQuantizationType[quant.ggml_type]
    block = gguf.GGML_QUANT_SIZES[qtype][0]
    if data.shape[-1] % block:
        return gguf.GGMLQuantizationType.F16
    return qtype


def write_gguf(
    model,
    tokenizer_dir: str | os.PathLike,
    path: str | os.PathLike,
    quant: QuantType,
    name: str,
    on_tensor: Callable[[str], None] | None = None,
) -> GGUFInfo:
    """Write `model` (+ the tokenizer in `tokenizer_dir`) to `path` as GGUF in `quant`.

    Written to a temporary file beside `path` and renamed into place, so a failure never leaves a
    truncated GGUF. `on_tensor(name)` is called after each tensor is prepared (progress bars)."""
    import gguf
    from transformers import AutoTokenizer

    if quant.ggml_type is None:
        raise ExportError(f"{quant.name} is produced by llama.cpp's quantizer, not written directly; use rlvr.export.pipeline.")
    hp = hparams_of(model.config)
    arch = gguf.MODEL_ARCH[ARCHITECTURES[hp.model_type]]
    arch_name = gguf.MODEL_ARCH_NAMES[arch]
    name_map = gguf.get_tensor_name_map(arch, hp.n_layers)
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    writer = gguf.GGUFWriter(str(tmp), arch_name)
    try:
        writer.add_type(gguf.GGUFType.MODEL)
        writer.add_name(name)
        writer.add_context_length(hp.context)
        writer.add_embedding_length(hp.hidden)
        writer.add_block_count(hp.n_layers)
        writer.add_feed_forward_length(hp.ffn)
        writer.add_head_count(hp.n_head)
        writer.add_head_count_kv(hp.n_head_kv)
        writer.add_key_length(hp.head_dim)
        writer.add_value_length(hp.head_dim)
        writer.add_rope_dimension_count(hp.head_dim)
        writer.add_rope_freq_base(hp.rope_theta)
        writer.add_layer_norm_rms_eps(hp.rms_eps)
        writer.add_vocab_size(hp.vocab_size)
        writer.add_file_type(int(gguf.LlamaFileType[quant.file_type]))
        writer.add_quantization_version(gguf.GGML_QUANT_VERSION)

        pre = tokenizer_pre(tokenizer)
        tokens, types = vocab_of(tokenizer, hp.vocab_size)
        writer.add_tokenizer_model("gpt2")
        writer.add_tokenizer_pre(pre)
        writer.add_token_list(tokens)
        writer.add_token_types(types)
        special = gguf.SpecialVocab(str(tokenizer_dir), load_merges=True, n_vocab=hp.vocab_size)
        special.add_special_token["bos"], special.add_special_token["eos"] = _adds_bos_eos(tokenizer)
        if special.chat_template is None and getattr(tokenizer, "chat_template", None):
            special.chat_template = tokenizer.chat_template
        special.add_to_gguf(writer, quiet=True)

        counts: Counter[str] = Counter()
        n_params = 0
        for hf_name, tensor in model.state_dict().items():
            if hf_name == "lm_head.weight" and hp.tied:
                continue  # tied: readers reuse token_embd, and detect tying by output.weight's absence
            gguf_name = name_map.get_name(hf_name, try_suffixes=(".weight", ".bias"))
            if gguf_name is None:
                raise ExportError(
                    f"the checkpoint has a tensor '{hf_name}' that has no GGUF name for {arch_name}; "
                    "this exporter does not know the model variant. Use llama.cpp's convert_hf_to_gguf.py."
                )
            data = tensor.detach().to("cpu").float().numpy()
            if hp.model_type in PERMUTED_QK:
                if hf_name.endswith("self_attn.q_proj.weight") or hf_name.endswith("self_attn.q_proj.bias"):
                    data = permute_qk(data, hp.n_head, hp.n_head)
                elif hf_name.endswith("self_attn.k_proj.weight") or hf_name.endswith("self_attn.k_proj.bias"):
                    data = permute_qk(data, hp.n_head, hp.n_head_kv)
            qtype = _tensor_type(data, quant)
            packed = gguf.quants.quantize(data, qtype)
            writer.add_tensor(gguf_name, packed, raw_shape=packed.shape, raw_dtype=qtype)
            counts[qtype.name] += 1
            n_params += data.size
            if on_tensor:
                on_tensor(gguf_name)

        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        os.replace(tmp, path)
    except BaseException:
        writer.close()
        if tmp.exists():
            tmp.unlink()
        raise
    return GGUFInfo(arch_name, pre, sum(counts.values()), n_params, dict(counts), special.chat_template is not None)


def count_tensors(model) -> int:
    """How many tensors write_gguf will write (for a progress bar's total)."""
    tied = bool(getattr(model.config, "tie_word_embeddings", False))
    return sum(1 for n in model.state_dict() if not (tied and n == "lm_head.weight"))


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The scalar and string metadata of a GGUF file (arrays such as the token list are left out).

    Uses transformers' header reader, which skips the big arrays (milliseconds); gguf-py's
    GGUFReader parses every token and merge (seconds) and is the fallback."""
    try:
        from transformers.integrations.gguf.reader import read_gguf_metadata
    except ImportError:
        read_gguf_metadata = None
    if read_gguf_metadata is not None:
        metadata, _ = read_gguf_metadata(str(path))
        arrays = {"tokenizer.ggml.tokens", "tokenizer.ggml.merges", "tokenizer.ggml.scores"}  # read as counts
        return {k: v for k, v in metadata.items() if k not in arrays and not isinstance(v, (list, tuple))}
    import gguf

    reader = gguf.GGUFReader(str(path))
    return {k: f.contents() for k, f in reader.fields.items() if not f.types or f.types[0] != gguf.GGUFValueType.ARRAY}
