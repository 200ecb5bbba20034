"""`rlvr probe`: can GRPO learn from this start? Answer it in a minute instead of after an hour of flat logs.

GRPO learns only from differences inside a group: when every completion of a prompt earns the same
reward, the advantage is zero and the step teaches nothing, while the logs still look normal. The
probe samples the stage's start model exactly as the trainer would (the stage's prompts, its
`temperature`, `num_generations` completions of at most `max_completion_length` tokens), scores them
with the stage's reward components and weights, and reports:

- per component: mean, std, p10/p50/p90, unverifiable share, share of flat groups;
- `reward_density`: share of completions with a correctness reward above 0 (partial credit counts);
- `solved_frac`: share with full marks (1.0) from a correctness component;
- `zero_variance_frac`: share of groups whose *total* weighted reward is flat (no learning signal);
- `unique_frac`: mean share of distinct completions per group; mean completion length in tokens
  and the share cut off at `max_completion_length`.

Verdict (thresholds below, documented in docs/grpo.md):
- CANNOT LEARN: `zero_variance_frac` >= 0.9, or `reward_density` < 0.02;
- WEAK SIGNAL: `zero_variance_frac` >= 0.5, `reward_density` < 0.1, `solved_frac` < 0.02 (partial
  credit only: GRPO can teach closeness but has never seen a right answer), or `unique_frac` < 0.5;
- CAN LEARN otherwise.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rlvr.errors import RecipeError
from rlvr.eval.generate import GenerationConfig, generate
from rlvr.train.recipe import Recipe, Stage

CANNOT_ZERO_VARIANCE = 0.9
CANNOT_DENSITY = 0.02
WEAK_ZERO_VARIANCE = 0.5
WEAK_DENSITY = 0.1
WEAK_SOLVED = 0.02
WEAK_UNIQUE = 0.5
SFT_ADVICE = "recommend an SFT stage first (see recipes/sft_then_grpo.yaml)"


@dataclass
class ComponentStats:
    weight: float
    mean: float | None
    std: float | None
    p10: float | None
    p50: float | None
    p90: float | None
    unverifiable_frac: float
    zero_variance_frac: float
    correctness: bool


@dataclass
class ProbeResult:
    recipe: str
    stage: str
    model: str
    start: str  # "base model" or "output of stage <name>"
    n_prompts: int
    num_generations: int
    temperature: float
    max_completion_length: int
    components: dict[str, ComponentStats]
    reward_mean: float
    reward_density: float
    solved_frac: float
    zero_variance_frac: float
    unique_frac: float
    mean_completion_tokens: float
    clipped_frac: float
    verdict: str
    reasons: list[str] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def pick_stage(recipe: Recipe, name: str | None) -> tuple[int, Stage]:
    """The named stage, or the recipe's first GRPO stage."""
    for i, s in enumerate(recipe.stages):
        if (name is None and s.method == "grpo") or s.name == name:
            if s.method != "grpo":
                raise RecipeError(f"{recipe.source}: stage '{s.name}' is {s.method.upper()}; the probe is for GRPO "
                                  "stages (it asks whether their rewards give a learning signal).")
            return i, s
    if name is None:
        raise RecipeError(f"{recipe.source}: the recipe has no GRPO stage to probe.")
    raise RecipeError(f"{recipe.source}: no stage named '{name}' (stages: {', '.join(s.name for s in recipe.stages)}).")


def start_model(recipe: Recipe, index: int) -> tuple[Path, str]:
    """Where the stage would start: the previous stage's finished output in the run dir, else the base model."""
    from rlvr.models import resolve_model

    if index > 0:
        prev = recipe.stages[index - 1].name
        done = recipe.run_dir / "stages" / prev / "model"
        if (done / "config.json").exists():
            return done, f"output of stage {prev}"
        return resolve_model(recipe.model), (f"base model (stage {prev} has not finished in {recipe.run_dir}, so this "
                                             f"probes the base model, not what stage {recipe.stages[index].name} will start from)")
    return resolve_model(recipe.model), "base model"


def _is_correctness(name: str) -> bool:
    from rlvr.rewards.registry import CORRECTNESS

    return name in CORRECTNESS or "." in name or ":" in name


def _stats(values: list, weight: float, group: int, correctness: bool) -> ComponentStats:
    from rlvr.train.diagnostics import quantiles, zero_variance_fraction

    vals = [float(v) for v in values if v is not None]
    qs = quantiles(values) or [None, None, None]
    return ComponentStats(weight=weight, mean=statistics.fmean(vals) if vals else None,
                          std=statistics.pstdev(vals) if vals else None, p10=qs[0], p50=qs[1], p90=qs[2],
                          unverifiable_frac=(len(values) - len(vals)) / len(values) if values else 0.0,
                          zero_variance_frac=zero_variance_fraction(values, group), correctness=correctness)


def judge(zero_variance: float, density: float, solved: float, unique: float) -> tuple[str, list[str], list[str]]:
    """Verdict, reasons and advice from the four signal measures (thresholds in the module docstring)."""
    reasons, advice = [], []
    if zero_variance >= CANNOT_ZERO_VARIANCE or density < CANNOT_DENSITY:
        if zero_variance >= CANNOT_ZERO_VARIANCE:
            reasons.append(f"{zero_variance:.0%} of groups have the same total reward: zero advantage, no gradient")
        if density < CANNOT_DENSITY:
            reasons.append(f"the correctness reward is earned by {density:.1%} of completions")
        advice += [SFT_ADVICE, "add partial credit (numeric) so near misses score above wild guesses"]
        return "CANNOT LEARN", reasons, advice
    if zero_variance >= WEAK_ZERO_VARIANCE:
        reasons.append(f"{zero_variance:.0%} of groups are flat")
        advice.append("raise num_generations or temperature, or add partial credit (numeric)")
    if density < WEAK_DENSITY:
        reasons.append(f"only {density:.1%} of completions earn any correctness reward")
        advice.append(SFT_ADVICE)
    if solved < WEAK_SOLVED:
        reasons.append(f"only {solved:.1%} of completions are fully right: the signal is partial credit alone")
        advice.append(SFT_ADVICE)
    if unique < WEAK_UNIQUE:
        reasons.append(f"only {unique:.0%} of completions per group are distinct")
        advice.append("raise temperature")
    if reasons:
        return "WEAK SIGNAL", reasons, list(dict.fromkeys(advice))
    return "CAN LEARN", [f"{1 - zero_variance:.0%} of groups carry signal, {density:.0%} of completions earn "
                         f"correctness reward, {solved:.0%} fully right"], []


def probe(recipe: Recipe, stage_name: str | None = None, n_prompts: int = 16, write: bool = True,
          progress: bool = True) -> ProbeResult:
    """Sample the stage's start model as GRPO would, score with its rewards, and judge the signal."""
    from rlvr.models import load_tokenizer
    from rlvr.rewards.registry import build_rewards
    from rlvr.train.diagnostics import group_flat, group_unique_fraction
    from rlvr.train.stages import load_stage_rows, shape_rows

    t0 = time.time()
    index, stage = pick_stage(recipe, stage_name)
    args = stage.trl_args()
    group = int(args.get("num_generations", 8))
    temperature = float(args.get("temperature", 1.0))
    max_len = int(args.get("max_completion_length", 256))
    funcs, weights = build_rewards(stage.rewards)
    names = [s.name for s in stage.rewards]
    rows = shape_rows(load_stage_rows(stage.data, recipe.seed), "grpo", f"stage '{stage.name}' data")[:n_prompts]
    model_path, start = start_model(recipe, index)

    gen = GenerationConfig(max_new_tokens=max_len, temperature=temperature, top_p=float(args.get("top_p", 1.0)),
                           n=group, batch_size=max(group, 32), seed=recipe.seed)
    texts = generate(model_path, [r["prompt"] for r in rows], gen, backend="transformers", progress=progress)

    # Call each reward as TRL would: one entry per completion, every dataset column repeated per completion.
    conversational = isinstance(rows[0]["prompt"], list)
    flat_rows = [r for r, outs in zip(rows, texts) for _ in outs]
    flat_texts = [c for outs in texts for c in outs]
    completions = [[{"role": "assistant", "content": c}] for c in flat_texts] if conversational else flat_texts
    tokenizer = load_tokenizer(model_path)
    completion_ids = [tokenizer(c, add_special_tokens=False)["input_ids"] for c in flat_texts]
    columns = {k: [r.get(k) for r in flat_rows] for k in rows[0] if k != "prompt"}
    prompts = [r["prompt"] for r in flat_rows]
    per_component = [list(fn(prompts=prompts, completions=completions, completion_ids=completion_ids, **columns))
                     for fn in funcs]

    components = {n: _stats(v, w, group, _is_correctness(n)) for n, v, w in zip(names, per_component, weights)}
    totals = [sum(w * v for w, v in zip(weights, vals) if v is not None) for vals in zip(*per_component)]
    correct_idx = [i for i, n in enumerate(names) if _is_correctness(n)]
    density = sum(any((per_component[j][i] or 0) > 0 for j in correct_idx) for i in range(len(totals))) / len(totals)
    solved = sum(any((per_component[j][i] or 0) >= 1.0 - 1e-9 for j in correct_idx) for i in range(len(totals))) / len(totals)
    flat = group_flat([round(t, 9) for t in totals], group)
    zero_variance = sum(flat) / len(flat)
    uniq = group_unique_fraction(flat_texts, group)
    unique = sum(uniq) / len(uniq)
    verdict, reasons, advice = judge(zero_variance, density, solved, unique)
    # Token counts from re-tokenizing the decoded text: close to, not exactly, what was generated,
    # so they are capped at the generation limit.
    lengths = [min(len(ids), max_len) for ids in completion_ids]

    result = ProbeResult(
        recipe=recipe.name, stage=stage.name, model=str(model_path), start=start, n_prompts=len(rows),
        num_generations=group, temperature=temperature, max_completion_length=max_len, components=components,
        reward_mean=statistics.fmean(totals), reward_density=density, solved_frac=solved,
        zero_variance_frac=zero_variance, unique_frac=unique, mean_completion_tokens=statistics.fmean(lengths),
        clipped_frac=sum(n >= max_len for n in lengths) / len(lengths), verdict=verdict, reasons=reasons,
        advice=advice, wall_s=round(time.time() - t0, 1))
    if write and recipe.run_dir.is_dir():
        from rlvr.io import write_json, write_jsonl

        write_json(recipe.run_dir / "probe.json", result.to_dict())
        write_jsonl(recipe.run_dir / "probe_samples.jsonl", [
            {"id": r.get("id", i // group), "sample_index": i % group, "completion": t,
             "rewards": {n: per_component[j][i] for j, n in enumerate(names)}, "total": totals[i]}
            for i, (r, t) in enumerate(zip(flat_rows, flat_texts))])
    return result
