"""`plan`: what a recipe will cost before it runs: model size, memory, hardware, time and dollars.

Everything is arithmetic a user can redo by hand; each figure carries the formula that produced it.

Model size comes from config.json (no weights loaded): embedding V*h; per layer attention
h*(H*d) + 2*h*(K*d) + (H*d)*h (+ biases), a gated MLP 3*h*I, two norms; a final norm; lm_head V*h
unless tied. Checked against the real count of `tiny-random` and SmolLM2-135M in tests.

Memory per GPU (bytes; 16-bit weights on GPU):
  weights      P*2 (full, LoRA); QLoRA: linear layers at 4.5 bits (NF4 + one fp32 scale per 64 weights
               = 0.5625 bytes/param), embeddings/lm_head/norms at 2
  grads        P*2 full; LoRA: trainable T*4 (fp32 adapters)
  optimizer    AdamW's two fp32 moments: 8 bytes per trainable parameter (an upper bound: torch keeps
               them in the parameter dtype, 4 bytes for bf16 weights)
  master/adapters  LoRA adapters in fp32: T*4
  reference    a frozen copy P*2 for DPO and for GRPO with beta > 0 (full fine-tuning only: with LoRA
               the reference is the base model with adapters switched off)
  activations  b*s*h*(2*L + 34) with gradient checkpointing (each layer keeps its 16-bit input, and
               one layer at a time is recomputed, ~34*s*b*h bytes: Korthikanti et al. 2022 with flash
               attention, so no s^2 term); b*s*h*34*L without
  logits       b*s*V*4 (one fp32 copy for the loss)
  kv cache     GRPO generation: 2*L*K*d*(prompt+completion)*sequences*2, where sequences is TRL's
               generation batch (per_device_train_batch_size * steps_per_generation, which counts
               completions: num_generations of them per prompt)
  overhead     1 GiB (CUDA context and allocator slack)
A flavour fits when the total is at most 90% of one GPU's memory (data parallel: every GPU holds a
replica; with `distributed: zero3` or `fsdp` weights, grads and optimizer states are split across GPUs).

Time: training FLOPs = 6*P*tokens for full fine-tuning, 4*P*tokens for LoRA/QLoRA (no weight
gradients for frozen weights), +2*P*tokens with gradient checkpointing (one recomputed forward),
+2*P*tokens for a reference forward (DPO; GRPO with beta > 0); GRPO generation = 2*P*tokens
(prefill and decode of every sampled sequence). seconds = FLOPs / (peak * mfu * gpus), with
generation at gen_mfu. Peaks, MFUs and prices: rlvr/train/hardware_flavors.yaml.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from rlvr.errors import DatasetError, ModelError, RecipeError

GiB = 2**30
LORA_DEFAULT_ABOVE = 3e9  # parameters
BYTES_16 = 2
QLORA_BYTES = 0.5 + 4 / 64  # NF4 + an fp32 absmax per 64-weight block
ADAMW_BYTES = 8
ACT_LAYER_BYTES = 34  # per token per hidden unit per layer, 16-bit (Korthikanti et al. 2022)
OVERHEAD_BYTES = 1 * GiB
FIT_FRACTION = 0.9
SAMPLE_ROWS = 2000
MAX_HOURS = 24  # a flavour is chosen for cost only among runs that end within a day
FLAVORS_FILE = Path(__file__).with_name("hardware_flavors.yaml")
MODES = ("full", "lora", "qlora")
TERM_ORDER = ("weights", "adapters", "gradients", "optimizer", "reference", "activations", "logits", "kv_cache",
              "overhead")


# --- model size ------------------------------------------------------------------------------------
@dataclass
class ModelSize:
    path: str
    model_type: str
    params: int
    vocab: int
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    tied: bool
    terms: dict[str, int]  # embedding, per_layer, layers_total, final_norm, lm_head
    formula: list[str]

    def linear_params(self) -> int:
        """Parameters inside the decoder layers' linear projections (what QLoRA quantizes)."""
        return self.terms["per_layer_linear"] * self.layers


def _get(cfg: dict, *names: str, default=None):
    for n in names:
        if cfg.get(n) is not None:
            return cfg[n]
    return default


def count_params(cfg: dict, path: str = "") -> ModelSize:
    """Parameter count of a decoder-only (Llama/Mistral/Qwen-style) model from its config dict."""
    text = cfg.get("text_config") if isinstance(cfg.get("text_config"), dict) else cfg
    try:
        V = int(_get(text, "vocab_size"))
        h = int(_get(text, "hidden_size", "n_embd", "d_model"))
        L = int(_get(text, "num_hidden_layers", "n_layer", "num_layers"))
        H = int(_get(text, "num_attention_heads", "n_head"))
    except (TypeError, ValueError):
        raise ModelError(f"{path}/config.json: no vocab_size / hidden_size / num_hidden_layers / "
                         "num_attention_heads, so the size cannot be computed from the config.") from None
    K = int(_get(text, "num_key_value_heads", default=H))
    d = int(_get(text, "head_dim", default=h // H))
    inter = int(_get(text, "intermediate_size", "n_inner", default=4 * h))
    mtype = str(cfg.get("model_type", "?"))
    if _get(text, "num_local_experts", "num_experts", "n_routed_experts"):
        raise ModelError(f"{path}: mixture-of-experts models ({mtype}) are not covered by rlvr's size formula.")
    tied = bool(cfg.get("tie_word_embeddings", text.get("tie_word_embeddings", True)))
    qkv_bias = bool(text.get("attention_bias", False)) or mtype in ("qwen2",)
    o_bias = bool(text.get("attention_bias", False))
    mlp_bias = bool(text.get("mlp_bias", False))
    attn = h * H * d + 2 * h * K * d + H * d * h + (H * d + 2 * K * d if qkv_bias else 0) + (h if o_bias else 0)
    mlp = 3 * h * inter + ((2 * inter + h) if mlp_bias else 0)
    norms = 2 * h
    per_layer = attn + mlp + norms
    terms = {"embedding": V * h, "per_layer": per_layer, "per_layer_linear": attn + mlp,
             "layers_total": per_layer * L, "final_norm": h, "lm_head": 0 if tied else V * h}
    total = sum(terms[k] for k in ("embedding", "layers_total", "final_norm", "lm_head"))
    formula = [
        f"embedding  V*h = {V:,}*{h:,} = {V * h:,}",
        f"attention  h*H*d + 2*h*K*d + H*d*h = {h}*{H}*{d} + 2*{h}*{K}*{d} + {H}*{d}*{h}"
        + (" + qkv biases" if qkv_bias else "") + f" = {attn:,}",
        f"mlp        3*h*I = 3*{h}*{inter}" + (" + biases" if mlp_bias else "") + f" = {mlp:,}",
        f"norms      2*h = {norms:,}",
        f"layers     L*(attention+mlp+norms) = {L}*{per_layer:,} = {per_layer * L:,}",
        f"final norm h = {h:,}",
        "lm_head    tied to the embedding (0)" if tied else f"lm_head    V*h = {V * h:,}",
        f"total      {total:,} ({total / 1e6:,.1f}M)",
    ]
    return ModelSize(path, mtype, total, V, h, L, H, K, d, inter, tied, terms, formula)


def model_size(model: str) -> ModelSize:
    """Size of `model` (alias, directory or cached hub id) from its config.json, without loading weights."""
    from rlvr.models import resolve_model

    path = resolve_model(model)
    try:
        cfg = json.loads((Path(path) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelError(f"{path}/config.json: cannot read it ({e}).") from None
    return count_params(cfg, str(path))


def lora_params(size: ModelSize, lora: dict) -> int:
    """Trainable LoRA parameters: r*(in+out) per targeted projection per layer."""
    h, H, K, d, inter = size.hidden, size.heads, size.kv_heads, size.head_dim, size.intermediate
    shapes = {"q_proj": (h, H * d), "k_proj": (h, K * d), "v_proj": (h, K * d), "o_proj": (H * d, h),
              "gate_proj": (h, inter), "up_proj": (h, inter), "down_proj": (inter, h)}
    targets = lora.get("target_modules") or ["q_proj", "k_proj", "v_proj", "o_proj"]
    if targets == "all-linear":
        targets = list(shapes)
    r = int(lora.get("r", 16))
    return size.layers * sum(r * sum(shapes[t]) for t in targets if t in shapes)


# --- hardware -------------------------------------------------------------------------------------
@dataclass
class Flavor:
    name: str
    gpu: str | None
    gpus: int
    gpu_memory_gb: float
    ram_gb: float
    usd_per_hour: float
    peak_tflops: float
    mfu: float
    gen_mfu: float
    price_source: str
    price_confidence: str = "read"
    note: str = ""

    @property
    def is_cpu(self) -> bool:
        return self.gpus == 0


@lru_cache(maxsize=1)
def _flavor_table() -> tuple[tuple[Flavor, ...], dict]:
    data = yaml.safe_load(FLAVORS_FILE.read_text(encoding="utf-8"))
    return tuple(Flavor(**f) for f in data["flavors"]), data["sources"]


def flavors() -> list[Flavor]:
    return list(_flavor_table()[0])


def price_sources() -> dict[str, str]:
    return dict(_flavor_table()[1])


# --- data ------------------------------------------------------------------------------------------
@dataclass
class DataTokens:
    rows: int
    sampled: int
    mean_tokens: float  # per training example as trained (SFT: whole example; DPO: prompt+chosen+prompt+rejected)
    max_tokens: int
    prompt_mean: float
    prompt_max: int
    source: str


class CharTokenizer:
    """Stands in for a tokenizer when a model directory has none: about 4 characters per token."""

    def __call__(self, text: str, add_special_tokens: bool = False) -> dict:
        return {"input_ids": range(max(1, round(len(text) / 4)))}

    def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=False) -> str:
        return "".join(f"<|{m.get('role')}|>{m.get('content') or ''}" for m in messages)


def _tokens(tok, value, generation_prompt: bool = False) -> int:
    if value is None:
        return 0
    if isinstance(value, list) and value and isinstance(value[0], dict):
        try:
            text = tok.apply_chat_template(value, tokenize=False, add_generation_prompt=generation_prompt)
        except Exception:
            text = "".join(str(m.get("content", "")) for m in value)
        return len(tok(text, add_special_tokens=False)["input_ids"])
    return len(tok(str(value), add_special_tokens=False)["input_ids"])


def _join(prompt, completion):
    """One conversation from a prompt and a completion (either may be a list of messages)."""
    if isinstance(prompt, list):
        tail = completion if isinstance(completion, list) else [{"role": "assistant", "content": str(completion or "")}]
        return prompt + tail
    return None


def data_tokens(stage, tok, max_rows: int = SAMPLE_ROWS) -> DataTokens:
    """Row count of a stage's data and its token lengths over (at most) the first `max_rows` rows."""
    from rlvr.data.mapping import apply_mapping

    spec = stage.data
    if spec.task:
        from rlvr.tasks import load_task

        rows_all = load_task(spec.task, spec.split, n=spec.n, seed=spec.seed)
        n_rows, sample, source = len(rows_all), rows_all[:max_rows], f"task {spec.task} [{spec.split}]"
    else:
        from rlvr.data.load import open_source

        src = open_source(spec.path, spec.split, spec.config, spec.limit or spec.n)
        sample, n_rows = [], 0
        for _loc, row in src.records():
            n_rows += 1
            if n_rows <= max_rows:
                sample.append(row)
        if not n_rows:
            raise DatasetError(f"{spec.path}: the dataset has no rows.")
        source = spec.describe()
    sample = apply_mapping(sample, spec.mapping)
    totals, prompts = [], []
    for row in sample:
        prompt = row.get("prompt")
        p_tok = _tokens(tok, prompt, generation_prompt=True) if prompt is not None else 0
        if stage.method == "dpo":
            total = sum(_tokens(tok, _join(prompt, row.get(k)) or row.get(k)) + (0 if isinstance(prompt, list) else p_tok)
                        for k in ("chosen", "rejected"))
        elif stage.method == "grpo":
            total = p_tok
        elif "messages" in row:
            total = _tokens(tok, row["messages"])
        elif "text" in row and prompt is None:
            total = _tokens(tok, row["text"])
        else:
            completion = row.get("completion", row.get("answer"))
            joined = _join(prompt, completion)
            total = _tokens(tok, joined) if joined is not None else p_tok + _tokens(tok, completion)
        totals.append(total)
        prompts.append(p_tok)
    k = max(len(totals), 1)
    return DataTokens(n_rows, len(sample), sum(totals) / k, max(totals, default=0), sum(prompts) / k,
                      max(prompts, default=0), source)


# --- memory and time ------------------------------------------------------------------------------
@dataclass
class MemoryTerm:
    name: str
    bytes: float
    formula: str
    shardable: bool = False  # split across GPUs under zero3/fsdp


@dataclass
class MemoryEstimate:
    mode: str
    terms: list[MemoryTerm]

    @property
    def total(self) -> float:
        return sum(t.bytes for t in self.terms)

    def per_gpu(self, gpus: int, sharded: bool) -> float:
        if not sharded or gpus <= 1:
            return self.total
        return sum(t.bytes / gpus if t.shardable else t.bytes for t in self.terms)


@dataclass
class Shape:
    """The batch shape a stage trains on, from its TRL arguments and its data."""

    batch: int  # sequences per forward/backward
    seq: int  # tokens per sequence (padded)
    gen_sequences: int = 0  # GRPO: completions generated at once
    gen_seq: int = 0
    checkpointing: bool = True
    reference: bool = False
    formula: str = ""


def stage_shape(stage, tokens: DataTokens) -> Shape:
    a = stage.trl_args()
    ckpt = bool(a.get("gradient_checkpointing", True))
    b = int(a.get("per_device_train_batch_size", 8))
    if stage.method == "grpo":
        completion = int(a.get("max_completion_length", 256))
        seq = tokens.prompt_max + completion
        steps_per_gen = a.get("steps_per_generation") or a.get("gradient_accumulation_steps", 1)
        gen = int(a.get("generation_batch_size") or b * steps_per_gen)
        return Shape(b, seq, gen, seq, ckpt, float(a.get("beta", 0.0)) > 0,
                     f"b={b} completions, s=prompt max {tokens.prompt_max} + max_completion_length {completion} = {seq}, "
                     f"generation batch {gen} sequences")
    max_len = int(a.get("max_length") or 1024)
    if stage.method == "dpo":
        seq = min(max_len, tokens.max_tokens)  # chosen and rejected each at most this long
        return Shape(2 * b, seq, 0, 0, ckpt, True,
                     f"b=2*{b} (chosen+rejected), s=min(max_length {max_len}, longest sampled pair {tokens.max_tokens})")
    seq = min(max_len, tokens.max_tokens)
    return Shape(b, seq, 0, 0, ckpt, False, f"b={b}, s=min(max_length {max_len}, longest sampled {tokens.max_tokens}) = {seq}")


def memory(size: ModelSize, shape: Shape, mode: str, lora: dict | None) -> MemoryEstimate:
    P, h, L, V = size.params, size.hidden, size.layers, size.vocab
    b, s = shape.batch, shape.seq
    terms: list[MemoryTerm] = []
    if mode == "qlora":
        lin = size.linear_params()
        rest = P - lin
        terms.append(MemoryTerm("weights", lin * QLORA_BYTES + rest * BYTES_16,
                                f"{lin:,} linear x {QLORA_BYTES} + {rest:,} other x 2"))
    else:
        terms.append(MemoryTerm("weights", P * BYTES_16, f"P x 2 = {P:,} x 2", shardable=True))
    if mode == "full":
        terms.append(MemoryTerm("gradients", P * BYTES_16, f"P x 2 = {P:,} x 2", shardable=True))
        terms.append(MemoryTerm("optimizer", P * ADAMW_BYTES, f"AdamW fp32 moments P x 8 = {P:,} x 8", shardable=True))
        if shape.reference:
            terms.append(MemoryTerm("reference", P * BYTES_16, f"frozen copy P x 2 = {P:,} x 2", shardable=True))
    else:
        T = lora_params(size, lora or {})
        terms.append(MemoryTerm("adapters", T * 4, f"LoRA T x 4 (fp32) = {T:,} x 4"))
        terms.append(MemoryTerm("gradients", T * 4, f"T x 4 = {T:,} x 4"))
        terms.append(MemoryTerm("optimizer", T * ADAMW_BYTES, f"AdamW T x 8 = {T:,} x 8"))
    if shape.checkpointing:
        act = b * s * h * (2 * L + ACT_LAYER_BYTES)
        act_f = f"b*s*h*(2*L+34) = {b}*{s}*{h}*(2*{L}+34)"
    else:
        act = b * s * h * ACT_LAYER_BYTES * L
        act_f = f"b*s*h*34*L = {b}*{s}*{h}*34*{L}"
    terms.append(MemoryTerm("activations", act, act_f))
    terms.append(MemoryTerm("logits", b * s * V * 4, f"b*s*V*4 = {b}*{s}*{V:,}*4"))
    if shape.gen_sequences:
        kv = 2 * L * size.kv_heads * size.head_dim * shape.gen_seq * shape.gen_sequences * BYTES_16
        terms.append(MemoryTerm("kv_cache", kv, f"2*L*K*d*s*n*2 = 2*{L}*{size.kv_heads}*{size.head_dim}*"
                                f"{shape.gen_seq}*{shape.gen_sequences}*2"))
    terms.append(MemoryTerm("overhead", OVERHEAD_BYTES, "CUDA context and allocator slack, 1 GiB"))
    return MemoryEstimate(mode, terms)


@dataclass
class Compute:
    tokens: float  # trained tokens over all epochs
    train_flops: float
    gen_flops: float
    formula: list[str]
    recompute_flops: float = 0.0  # the checkpointing share of train_flops (CPU runs do not checkpoint)


def compute(stage, size: ModelSize, tokens: DataTokens, mode: str, shape: Shape) -> Compute:
    a = stage.trl_args()
    epochs = float(a.get("num_train_epochs", 1))
    P = size.params
    lines = []
    if stage.method == "grpo":
        g = int(a.get("num_generations", 8))
        completion = int(a.get("max_completion_length", 256))
        per_seq = tokens.prompt_mean + completion
        T = tokens.rows * epochs * g * per_seq
        lines.append(f"tokens = rows*epochs*num_generations*(prompt mean + max_completion_length) = "
                     f"{tokens.rows:,}*{epochs:g}*{g}*({tokens.prompt_mean:.1f}+{completion}) = {T:,.0f}"
                     " (completions assumed full length: an upper bound)")
    else:
        T = tokens.rows * epochs * tokens.mean_tokens
        what = "prompt+chosen+prompt+rejected" if stage.method == "dpo" else "example"
        lines.append(f"tokens = rows*epochs*mean tokens per {what} = {tokens.rows:,}*{epochs:g}*"
                     f"{tokens.mean_tokens:.1f} = {T:,.0f}")
    k = 6 if mode == "full" else 4
    k += 2 if shape.checkpointing else 0
    k += 2 if shape.reference else 0
    parts = [("6 (full)" if mode == "full" else "4 (LoRA: no weight gradients)")]
    if shape.checkpointing:
        parts.append("2 (checkpointing recompute)")
    if shape.reference:
        parts.append("2 (reference forward)")
    train = k * P * T
    lines.append(f"training FLOPs = {' + '.join(parts)} = {k} * P * tokens = {k}*{P:,}*{T:,.0f} = {train:.3g}")
    gen = 0.0
    if stage.method == "grpo":
        gen = 2 * P * T
        lines.append(f"generation FLOPs = 2 * P * tokens = 2*{P:,}*{T:,.0f} = {gen:.3g}")
    return Compute(T, train, gen, lines, 2 * P * T if shape.checkpointing else 0.0)


@dataclass
class FlavorFit:
    flavor: str
    fits: bool
    per_gpu_gib: float
    hours: float
    cost_usd: float


@dataclass
class StagePlan:
    name: str
    method: str
    data: str
    rows: int
    sampled_rows: int
    mean_tokens: float
    prompt_mean: float
    epochs: float
    lora: bool
    lora_reason: str
    lora_config: dict | None
    trainable_params: int
    shape: dict
    memory: dict[str, dict]  # mode -> {terms: [...], total_gib}
    mode: str  # the mode used for hardware/time: full | lora (qlora only when asked)
    compute: dict
    flavor: str | None
    fits: list[FlavorFit]
    arithmetic: list[str]
    hours: float | None
    cost_usd: float | None


@dataclass
class Plan:
    recipe: str
    model: str
    model_path: str
    params: int
    param_formula: list[str]
    stages: list[StagePlan]
    hours: float | None
    cost_usd: float | None
    flavor: str | None
    assumptions: list[str]
    price_sources: dict[str, str]

    def to_dict(self) -> dict:
        return json.loads(json.dumps(asdict(self), default=str))


def _fit(flavor: Flavor, est: MemoryEstimate, comp: Compute, sharded: bool) -> FlavorFit:
    if flavor.is_cpu:
        need = est.total  # fp32 on CPU doubles weights; the 16-bit estimate is optimistic there
        fits = need <= FIT_FRACTION * flavor.ram_gb * 1e9 / 2  # half the RAM: fp32 is twice the 16-bit figure
        per_gpu = need
        rate = flavor.peak_tflops * 1e12 * flavor.mfu
        gen_rate = flavor.peak_tflops * 1e12 * flavor.gen_mfu
        train_flops = comp.train_flops - comp.recompute_flops  # rlvr turns checkpointing off on CPU
    else:
        per_gpu = est.per_gpu(flavor.gpus, sharded)
        fits = per_gpu <= FIT_FRACTION * flavor.gpu_memory_gb * 1e9
        rate = flavor.peak_tflops * 1e12 * flavor.mfu * flavor.gpus
        gen_rate = flavor.peak_tflops * 1e12 * flavor.gen_mfu * flavor.gpus
        train_flops = comp.train_flops
    seconds = train_flops / rate + (comp.gen_flops / gen_rate if comp.gen_flops else 0)
    hours = seconds / 3600
    return FlavorFit(flavor.name, fits, per_gpu / GiB, hours, billed_cost(hours, flavor.usd_per_hour))


def billed_cost(hours: float, usd_per_hour: float) -> float:
    """Dollars for a run of `hours`, billed per started minute (as Hugging Face Jobs bill)."""
    return math.ceil(hours * 60 - 1e-9) / 60 * usd_per_hour if hours > 0 else 0.0


def plan(recipe, lora: bool | None = None, flavor: str | None = None, sample_rows: int = SAMPLE_ROWS) -> Plan:
    """The plan for every stage of `recipe` (rlvr.train.recipe.Recipe). `lora` overrides the default
    (LoRA above 3B parameters unless the stage's recipe says otherwise); `flavor` forces a flavour."""
    from rlvr.models import load_tokenizer, resolve_model
    from rlvr.train.recipe import LORA_DEFAULTS

    size = model_size(recipe.model)
    notes = []
    try:
        tok = load_tokenizer(resolve_model(recipe.model))
    except Exception as e:  # a config-only directory: estimate tokens from characters
        tok = CharTokenizer()
        notes.append(f"no tokenizer loadable from {size.path} ({type(e).__name__}); tokens estimated as characters / 4")
    table = flavors()
    if flavor is not None and flavor not in {f.name for f in table}:
        raise RecipeError(f"unknown hardware flavour '{flavor}'; known: {', '.join(f.name for f in table)} "
                          f"(see {FLAVORS_FILE.name}).")
    sharded = (recipe.distributed or "").lower() in ("zero3", "fsdp", "deepspeed_zero3")
    stages = []
    for stage in recipe.stages:
        if stage.lora is not None:
            use_lora, why = True, "the recipe sets lora"
        elif lora is not None:
            use_lora, why = lora, "--lora" if lora else "--no-lora"
        else:
            use_lora = size.params > LORA_DEFAULT_ABOVE
            why = (f"{_count(size.params)} parameters {'>' if use_lora else '<='} 3B: "
                   + ("LoRA by default" if use_lora else "full fine-tuning by default"))
        if lora is False and stage.lora is not None:
            use_lora, why = False, "--no-lora (overrides the recipe)"
        lcfg = dict(stage.lora or LORA_DEFAULTS) if use_lora else None
        tokens = data_tokens(stage, tok, sample_rows)
        shape = stage_shape(stage, tokens)
        lcalc = stage.lora or LORA_DEFAULTS
        estimates = {m: memory(size, shape, m, lcalc) for m in MODES}
        mode = "lora" if use_lora else "full"
        comp = compute(stage, size, tokens, mode, shape)
        fits = [_fit(f, estimates[mode], comp, sharded) for f in table]
        if flavor is not None:
            chosen = next(f for f in fits if f.flavor == flavor)
        else:  # the cheapest run that fits and ends within a day; else the fastest that fits
            fitting = [f for f in fits if f.fits]
            quick = [f for f in fitting if f.hours <= MAX_HOURS]
            chosen = (min(quick, key=lambda f: (f.cost_usd, f.hours)) if quick
                      else min(fitting, key=lambda f: f.hours) if fitting else None)
        arithmetic = [f"rows {tokens.rows:,}; token lengths from {tokens.sampled:,} rows ({tokens.source}): "
                      f"mean {tokens.mean_tokens:.1f} per example, prompt mean {tokens.prompt_mean:.1f}, "
                      f"longest {tokens.max_tokens:,}", f"shape: {shape.formula}", *comp.formula]
        if chosen is not None:
            fl = next(t for t in table if t.name == chosen.flavor)
            rate = fl.peak_tflops * fl.mfu * max(fl.gpus, 1)
            used = comp.train_flops - (comp.recompute_flops if fl.is_cpu else 0)
            line = (f"time on {fl.name} = {used:.3g}" + (" (no checkpointing on CPU)" if fl.is_cpu and comp.recompute_flops else "")
                    + f" / ({fl.peak_tflops:g}e12 * mfu {fl.mfu:g}"
                    f"{f' * {fl.gpus} GPUs' if fl.gpus > 1 else ''})")
            if comp.gen_flops:
                line += f" + {comp.gen_flops:.3g} / ({fl.peak_tflops:g}e12 * gen_mfu {fl.gen_mfu:g}{f' * {fl.gpus}' if fl.gpus > 1 else ''})"
            arithmetic.append(f"{line} = {chosen.hours * 3600:,.0f} s = {chosen.hours:.2f} h (effective {rate:g} TFLOP/s)")
            arithmetic.append(f"cost = {math.ceil(chosen.hours * 60 - 1e-9):,} started minutes * ${fl.usd_per_hour:.2f}/h / 60 "
                              f"= ${chosen.cost_usd:.2f}")
        a = stage.trl_args()
        stages.append(StagePlan(
            stage.name, stage.method, tokens.source, tokens.rows, tokens.sampled, round(tokens.mean_tokens, 2),
            round(tokens.prompt_mean, 2), float(a.get("num_train_epochs", 1)), use_lora, why, lcfg,
            lora_params(size, lcalc) if use_lora else size.params, asdict(shape),
            {m: {"total_gib": round(e.total / GiB, 3), "terms": [asdict(t) | {"gib": round(t.bytes / GiB, 4)} for t in e.terms]}
             for m, e in estimates.items()},
            mode, asdict(comp), chosen.flavor if chosen else None, fits, arithmetic,
            chosen.hours if chosen else None, chosen.cost_usd if chosen else None))
    same = len({s.flavor for s in stages}) == 1 and stages[0].flavor is not None
    hours = sum(s.hours for s in stages) if all(s.hours is not None for s in stages) else None
    cost = sum(s.cost_usd for s in stages) if all(s.cost_usd is not None for s in stages) else None
    assumptions = [
        "16-bit weights on GPU; AdamW moments in fp32 (8 bytes per trainable parameter, an upper bound)",
        f"activations with gradient checkpointing: b*s*h*(2*L+{ACT_LAYER_BYTES}) bytes; logits b*s*V*4",
        f"a flavour fits when the estimate is at most {FIT_FRACTION:.0%} of one GPU's memory; multi-GPU flavours run data "
        "parallel" + (" with weights/grads/optimizer sharded (" + recipe.distributed + ")" if sharded else ""),
        "training FLOPs 6*P*tokens (full) or 4*P*tokens (LoRA), +2*P*tokens for checkpointing and for a reference "
        "forward; GRPO generation 2*P*tokens at gen_mfu; completions assumed full length",
        "MFU 0.3 (training) and 0.05 (HF generate) on GPUs are assumptions; the CPU rate is measured (FACTS.md)",
        "time excludes evaluation, model loading and checkpoint saving",
        *notes,
    ]
    return Plan(recipe.name, recipe.model, size.path, size.params, size.formula, stages, hours, cost,
                stages[0].flavor if same else None, assumptions, price_sources())


# --- rendering --------------------------------------------------------------------------------------
def _gib(x: float) -> str:
    return f"{x:,.2f}" if x < 100 else f"{x:,.0f}"


def render_plan(p: Plan, console) -> None:
    """Print a plan with rich: model size arithmetic, memory terms per mode, flavours, time and cost."""
    from rich.markup import escape
    from rich.table import Table

    console.print(f"[bold]plan for {escape(p.recipe)}[/]: model {p.model} ({p.params / 1e6:,.1f}M parameters, from "
                  f"{p.model_path}/config.json)", highlight=False, soft_wrap=True)
    for line in p.param_formula:
        console.print(f"  {line}", highlight=False)
    table_by_name = {f.name: f for f in flavors()}
    for s in p.stages:
        console.print()
        console.print(f"[bold]stage {escape(s.name)}[/] ({s.method}) on {escape(s.data)}: {s.rows:,} rows x {s.epochs:g} epochs; "
                      f"{'LoRA' if s.lora else 'full fine-tuning'} ({s.lora_reason})", highlight=False, soft_wrap=True)
        if s.lora:
            c = s.lora_config or {}
            console.print(f"  LoRA r={c.get('r')}, alpha={c.get('lora_alpha')}, dropout={c.get('lora_dropout')}, "
                          f"targets {c.get('target_modules')}: {s.trainable_params:,} trainable parameters",
                          highlight=False, soft_wrap=True)
        mem = Table(title="memory per GPU (GiB)", show_edge=False, title_justify="left")
        mem.add_column("term")
        for m in MODES:
            mem.add_column(m + (" *" if m == s.mode else ""), justify="right")
        mem.add_column(f"formula ({s.mode})")
        present = {t["name"] for m in MODES for t in s.memory[m]["terms"]}
        names = [n for n in TERM_ORDER if n in present]
        for name in names:
            cells = []
            for m in MODES:
                t = next((t for t in s.memory[m]["terms"] if t["name"] == name), None)
                cells.append(_gib(t["gib"]) if t else "-")
            f = next((t["formula"] for t in s.memory[s.mode]["terms"] if t["name"] == name), "")
            mem.add_row(name, *cells, f)
        mem.add_row("[bold]total[/]", *[f"[bold]{_gib(s.memory[m]['total_gib'])}[/]" for m in MODES], "")
        console.print(mem)
        fl = Table(title=f"hardware ({s.mode})", show_edge=False, title_justify="left")
        for col in ("flavour", "GPU", "GPU mem", "$/h", "fits", "time", "cost"):
            fl.add_column(col, justify="left" if col in ("flavour", "GPU") else "right")
        for f in s.fits:
            info = table_by_name[f.flavor]
            mark = "[green]✓[/]" if f.fits else "[red]✗[/]"
            name = f"[bold]{f.flavor}[/]" if f.flavor == s.flavor else f.flavor
            gpu = f"{info.gpus}x {info.gpu}" if info.gpus > 1 else (info.gpu or f"CPU ({info.ram_gb:g} GB RAM)")
            price = f"${info.usd_per_hour:.2f}" + ("?" if info.price_confidence == "low" else "")
            fl.add_row(name, gpu, f"{info.gpu_memory_gb:g} GB" if info.gpus else "-", price, mark,
                       _duration(f.hours), f"${f.cost_usd:,.2f}")
        console.print(fl)
        for line in s.arithmetic:
            console.print(f"  {escape(line)}", highlight=False, soft_wrap=True)
        if s.flavor:
            console.print(f"  [bold]→ {s.flavor}[/]: about {_duration(s.hours)}, ${s.cost_usd:,.2f}", highlight=False)
        else:
            console.print("  [red]no flavour in the table fits this stage[/]: use LoRA/QLoRA, a shorter max_length, "
                          "a smaller batch, or `distributed: zero3` on a multi-GPU flavour", highlight=False)
    console.print()
    if p.hours is not None:
        console.print(f"[bold]total[/]: about {_duration(p.hours)}, ${p.cost_usd:,.2f}"
                      + (f" on {p.flavor}" if p.flavor else ""), highlight=False)
    console.print("assumptions: " + "; ".join(p.assumptions), highlight=False, soft_wrap=True, style="dim")
    console.print("prices ('?' = not confirmed in the page read): " + "; ".join(p.price_sources.values()),
                  highlight=False, soft_wrap=True, style="dim")


def _count(n: int) -> str:
    return f"{n / 1e9:.2f}B" if n >= 1e9 else f"{n / 1e6:.1f}M"


def _duration(hours: float | None) -> str:
    if hours is None or math.isnan(hours):
        return "-"
    s = hours * 3600
    if s < 90:
        return f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.0f} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} d"


def plan_summary(p: Plan) -> dict[str, Any]:
    """A short dict for logs: flavour, hours and cost per stage."""
    return {"recipe": p.recipe, "params": p.params, "hours": p.hours, "cost_usd": p.cost_usd,
            "stages": {s.name: {"flavor": s.flavor, "hours": s.hours, "cost_usd": s.cost_usd, "mode": s.mode}
                       for s in p.stages}}
