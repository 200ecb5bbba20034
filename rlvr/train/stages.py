"""One training stage through TRL: SFT, DPO or GRPO, with peft LoRA when the recipe asks for it.

rlvr adds only what TRL leaves to the user: precision from the hardware, the dataset shaped for
the method, rewards from the registry, resume from the newest checkpoint, a metrics file, and a
final model directory that `transformers` loads directly (LoRA adapters are merged into it and
also kept apart under `adapter/`).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from rlvr.errors import DatasetError
from rlvr.hardware import precision_kwargs
from rlvr.train.recipe import Recipe, Stage, trl_config_class

COLUMNS = {
    "sft": (("messages",), ("prompt", "completion"), ("text",)),
    "dpo": (("prompt", "chosen", "rejected"), ("chosen", "rejected")),
}


def shape_rows(rows: list[dict], method: str, where: str) -> list[dict]:
    """Keep the columns the method's trainer reads (and, for GRPO, every column a reward may need)."""
    if not rows:
        raise DatasetError(f"{where}: the dataset has no rows.")
    if method == "grpo":
        if "prompt" not in rows[0]:
            raise DatasetError(f"{where}: GRPO needs a 'prompt' column (found {sorted(rows[0])}); "
                               "map one with `data: {mapping: {question: prompt}}` (see `rlvr inspect`).")
        return [{k: v for k, v in r.items() if k not in ("completion", "messages", "chosen", "rejected")} for r in rows]
    for cols in COLUMNS[method]:
        if all(c in rows[0] for c in cols):
            return [{c: r[c] for c in cols} for r in rows]
    wanted = " or ".join("+".join(c) for c in COLUMNS[method])
    raise DatasetError(f"{where}: {method.upper()} needs columns {wanted}; found {sorted(rows[0])}. "
                       "Add a `mapping` to the stage's data (see `rlvr inspect DATASET`).")


def load_stage_rows(spec, seed: int = 0) -> list[dict]:
    """Rows for a DataSpec: a builtin task split, or a file/directory/hub id with its mapping applied."""
    if spec.task:
        from rlvr.tasks import load_task

        return load_task(spec.task, spec.split, n=spec.n, seed=spec.seed or seed)
    from rlvr.data.load import apply_mapping, load_rows

    rows = apply_mapping(load_rows(spec.path, split=spec.split, config=spec.config, limit=spec.limit), spec.mapping)
    n = spec.n or spec.limit
    return rows[:n] if n else rows


def _complete(ckpt: Path) -> bool:
    weights = any((ckpt / f).exists() for f in ("model.safetensors", "adapter_model.safetensors", "pytorch_model.bin",
                                                 "model.safetensors.index.json"))
    return weights and (ckpt / "trainer_state.json").exists()


def last_checkpoint(stage_dir: Path) -> str | None:
    """The newest *complete* checkpoint. A process killed while saving leaves a partial folder; it is
    renamed `incomplete-checkpoint-N` (kept for inspection, ignored by Trainer) and the one before used."""
    if not stage_dir.is_dir():
        return None
    ckpts = sorted((p for p in stage_dir.glob("checkpoint-*") if p.name.split("-")[-1].isdigit()),
                   key=lambda p: int(p.name.split("-")[-1]), reverse=True)
    for ckpt in ckpts:
        if _complete(ckpt):
            return str(ckpt)
        ckpt.rename(ckpt.with_name(f"incomplete-{ckpt.name}"))
    return None


def make_config(recipe: Recipe, stage: Stage, stage_dir: Path, report_to: list[str]):
    cls = trl_config_class(stage.method)
    kwargs = {**precision_kwargs(), "output_dir": str(stage_dir), "seed": recipe.seed, "report_to": report_to,
              "run_name": f"{recipe.name}-{stage.name}", "project": f"rlvr-{recipe.name}",
              "save_strategy": "steps", "disable_tqdm": False}
    user = stage.trl_args()
    if {"gradient_checkpointing", "activation_checkpointing"} & set(user):  # the recipe's choice wins
        kwargs.pop("activation_checkpointing", None)
    kwargs.update(user)
    if stage.method == "grpo" and stage.rewards:
        kwargs["reward_weights"] = [float(r.weight) for r in stage.rewards]
    if stage.method == "grpo":
        from rlvr.train.distributed import grpo_generation_kwargs

        kwargs.update(grpo_generation_kwargs(stage.args))  # vLLM when it can run here
    return cls(**kwargs)


def _trainer(recipe: Recipe, stage: Stage, model_path: Path, rows: list[dict], stage_dir: Path, callbacks, report_to):
    from datasets import Dataset

    from rlvr.models import load_tokenizer

    config = make_config(recipe, stage, stage_dir, report_to)
    dataset = Dataset.from_list(rows)
    tokenizer = load_tokenizer(model_path)
    peft_config = None
    if stage.lora:
        from peft import LoraConfig

        peft_config = LoraConfig(**stage.lora)
    common = dict(model=str(model_path), args=config, train_dataset=dataset, processing_class=tokenizer,
                  callbacks=callbacks, peft_config=peft_config)
    if stage.method == "sft":
        from trl import SFTTrainer

        return SFTTrainer(**common)
    if stage.method == "dpo":
        from trl import DPOTrainer

        return DPOTrainer(**common)
    from trl import GRPOTrainer

    from rlvr.rewards.registry import build_rewards
    from rlvr.train.diagnostics import wrap_rewards
    from rlvr.train.monitor import monitor_rewards

    funcs, _weights = build_rewards(stage.rewards)
    tokenizer.padding_side = "left"
    return GRPOTrainer(reward_funcs=monitor_rewards(wrap_rewards(funcs, config.num_generations), callbacks), **common)


def save_final(trainer, tokenizer, stage_dir: Path) -> Path:
    """Write stages/<name>/model (plain HF, LoRA merged) atomically; keep a LoRA adapter under adapter/.
    Under a launcher every rank takes part in gathering the weights (ZeRO-3/FSDP shards), rank 0 writes."""
    from rlvr.train.distributed import is_launched, is_main_process, wait_for_everyone

    target = stage_dir / "model"
    sharded = is_launched() and (getattr(trainer, "is_deepspeed_enabled", False) or getattr(trainer, "is_fsdp_enabled", False))
    state_dict = trainer.accelerator.get_state_dict(trainer.model) if sharded else None  # a collective
    if not is_main_process():
        wait_for_everyone()
        return target
    model = trainer.accelerator.unwrap_model(trainer.model)
    tmp = Path(tempfile.mkdtemp(dir=stage_dir, prefix=".model."))
    try:
        if hasattr(model, "merge_and_unload"):  # a peft model
            model.save_pretrained(stage_dir / "adapter")
            model = model.merge_and_unload()
            state_dict = None  # the merged model's own weights
        model.save_pretrained(tmp, safe_serialization=True, **({"state_dict": state_dict} if state_dict else {}))
        tokenizer.save_pretrained(tmp)
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    wait_for_everyone()
    return target


def run_stage(recipe: Recipe, stage: Stage, model_path: Path, stage_dir: Path, callbacks=(), report_to=()) -> Path:
    """Train one stage from `model_path`; resume from the newest checkpoint in `stage_dir` if any."""
    rows = shape_rows(load_stage_rows(stage.data, recipe.seed), stage.method, f"stage '{stage.name}' data ({stage.data.describe()})")
    from rlvr.train.distributed import is_main_process, main_process_first, rank_callback, world_size

    stage_dir.mkdir(parents=True, exist_ok=True)
    callbacks = [*callbacks, rank_callback(stage.name)]
    trainer = _trainer(recipe, stage, model_path, rows, stage_dir, callbacks, list(report_to))
    with main_process_first():  # rank 0 renames half-written checkpoints before anyone picks one
        resume = last_checkpoint(stage_dir)
    trainer.train(resume_from_checkpoint=resume)
    final = save_final(trainer, trainer.processing_class, stage_dir)
    if is_main_process():
        (stage_dir / "trainer_state.json").write_text(json.dumps({"global_step": trainer.state.global_step,
                                                                 "resumed_from": resume, "world_size": world_size()},
                                                                indent=2))
    return final
