"""What to export: a run directory, a model directory, a builtin alias, or a peft LoRA adapter.

Everything becomes one in-memory fp32 model plus a directory holding its tokenizer files. A LoRA
adapter (a directory with `adapter_config.json`, including a run's `model/`) is merged into its base
with peft's `merge_and_unload`, because GGUF runtimes load one set of weights, not base + adapter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rlvr.errors import ModelError
from rlvr.export.errors import ExportError

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "special_tokens_map.json")


@dataclass
class Source:
    """The model to export and where its pieces came from."""

    model: Any  # a transformers PreTrainedModel in fp32, eval mode
    tokenizer_dir: Path  # a directory with tokenizer.json / tokenizer_config.json (+ chat template)
    name: str  # a short name for file names: the run or model directory name, or the alias
    model_dir: Path  # the HF checkpoint or adapter directory that was read
    run_dir: Path | None = None  # set when the input was a run directory
    adapter_base: str | None = None  # the base model an adapter was merged into
    notes: list[str] = field(default_factory=list)


def _is_adapter(path: Path) -> bool:
    return (path / "adapter_config.json").is_file()


def _is_checkpoint(path: Path) -> bool:
    return (path / "config.json").is_file() or _is_adapter(path)


def _has_tokenizer(path: Path) -> bool:
    return (path / "tokenizer.json").is_file() or (path / "tokenizer_config.json").is_file()


def locate(arg: str) -> tuple[Path, Path | None, str]:
    """(model_dir, run_dir, name) for what the user typed. Aliases and hub ids go through
    rlvr.models.resolve_model; directories are checked here because resolve_model does not know
    adapters."""
    from rlvr.models import resolve_model

    path = Path(arg).expanduser()
    if path.is_dir():
        path = path.resolve()
        if (path / "model").is_dir() and _is_checkpoint(path / "model"):
            return path / "model", path, path.name
        if _is_checkpoint(path):
            return path, None, path.name
        raise ExportError(
            f"{path} is neither a model directory (no config.json or adapter_config.json) nor a run "
            "directory (no model/ folder with one). Pass a directory written by save_pretrained, "
            "a run directory runs/<name>/ whose training finished, or a builtin alias such as smollm2-135m."
        )
    try:
        return resolve_model(arg), None, Path(arg).name.replace("/", "-")
    except ModelError as e:
        raise ExportError(f"cannot export '{arg}': {e}") from None


def load_source(arg: str) -> Source:
    """Load `arg` as an fp32 model ready to convert (merging a LoRA adapter into its base)."""
    import torch
    from transformers import AutoModelForCausalLM

    model_dir, run_dir, name = locate(arg)
    if not _is_adapter(model_dir):
        model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32)
        tok_dir = model_dir
        if not _has_tokenizer(tok_dir):
            raise ExportError(
                f"{model_dir} holds a model but no tokenizer (tokenizer.json / tokenizer_config.json). "
                "A GGUF must carry its tokenizer: save it beside the model with tokenizer.save_pretrained(dir)."
            )
        return Source(model.eval(), tok_dir, name, model_dir, run_dir)

    from peft import PeftModel

    from rlvr.models import resolve_model

    try:
        adapter_config = json.loads((model_dir / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ExportError(f"{model_dir / 'adapter_config.json'}: cannot be read as JSON ({e}).") from None
    base = adapter_config.get("base_model_name_or_path")
    if not base:
        raise ExportError(
            f"{model_dir / 'adapter_config.json'}: no 'base_model_name_or_path', so the base model to "
            "merge the adapter into is unknown. Add that field (a directory, alias or cached hub id)."
        )
    try:
        base_dir = resolve_model(base)
    except ModelError as e:
        raise ExportError(f"the LoRA adapter in {model_dir} names base model '{base}', which cannot be loaded: {e}") from None
    base_model = AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=torch.float32)
    merged = PeftModel.from_pretrained(base_model, str(model_dir)).merge_and_unload()
    tok_dir = model_dir if _has_tokenizer(model_dir) else base_dir
    if not _has_tokenizer(tok_dir):
        raise ExportError(f"neither the adapter {model_dir} nor its base {base_dir} holds a tokenizer; save one beside the adapter.")
    return Source(merged.eval(), tok_dir, name, model_dir, run_dir, adapter_base=str(base),
                  notes=[f"merged LoRA adapter {model_dir} into {base}"])
