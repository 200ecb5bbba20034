"""Recipes: a YAML file that fully determines a run.

```yaml
name: quickstart            # run directory: runs/<name>/ (or `output_dir`)
model: smollm2-135m         # alias, local directory, or cached hub id
seed: 0
stages:
  - name: sft
    method: sft             # sft | dpo | grpo
    data: {task: arithmetic, split: train, n: 400}      # or {path: file.jsonl, mapping: {question: prompt}}
    lora: null              # or {r: 16, lora_alpha: 32, lora_dropout: 0.05, target_modules: [q_proj, k_proj, v_proj, o_proj]}
    learning_rate: 5.0e-5   # any field of TRL's SFTConfig / DPOConfig / GRPOConfig, by its TRL name
  - name: grpo
    method: grpo
    data: {task: arithmetic, split: train, n: 64}
    rewards: [{name: accuracy, weight: 1.0}, {name: numeric, weight: 0.5}]
    num_generations: 8
eval:                        # optional: evaluated before the first stage and after each stage
  sets: [{task: arithmetic, split: eval, n: 100}]
  max_new_tokens: 48
```

Every stage key that is not one of rlvr's own (`name`, `method`, `data`, `rewards`, `lora`) must be a
field of the stage's TRL config, with a value of the field's type; anything else is a RecipeError that
names the key. Precision follows the hardware unless the recipe sets it.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rlvr.errors import RecipeError
from rlvr.rewards.registry import RewardSpec

METHODS = ("sft", "dpo", "grpo")
STAGE_KEYS = {"name", "method", "data", "rewards", "lora"}
RECIPE_KEYS = {"name", "model", "seed", "stages", "eval", "output_dir", "distributed"}
DATA_KEYS = {"task", "split", "n", "seed", "path", "mapping", "config", "limit", "hub"}

# Defaults chosen for small models on modest hardware; each can be overridden in the recipe.
STAGE_DEFAULTS: dict[str, dict[str, Any]] = {
    "sft": {"learning_rate": 5e-5, "num_train_epochs": 1, "per_device_train_batch_size": 8, "logging_steps": 5,
            "save_steps": 25, "save_total_limit": 2, "max_length": 512, "lr_scheduler_type": "constant_with_warmup",
            "warmup_steps": 5},
    "dpo": {"learning_rate": 5e-6, "num_train_epochs": 1, "per_device_train_batch_size": 4, "logging_steps": 5,
            "save_steps": 25, "save_total_limit": 2, "beta": 0.1},
    "grpo": {"learning_rate": 5e-6, "num_generations": 8, "temperature": 0.7, "max_completion_length": 64,
             "per_device_train_batch_size": 16, "logging_steps": 1, "save_steps": 10, "save_total_limit": 2,
             "beta": 0.0, "loss_type": "dr_grpo", "scale_rewards": "group", "num_train_epochs": 1,
             "lr_scheduler_type": "constant"},
}
LORA_DEFAULTS = {"r": 16, "lora_alpha": 32, "lora_dropout": 0.05,
                 "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"], "task_type": "CAUSAL_LM"}


def trl_config_class(method: str):
    from trl import DPOConfig, GRPOConfig, SFTConfig

    return {"sft": SFTConfig, "dpo": DPOConfig, "grpo": GRPOConfig}[method]


@dataclass
class DataSpec:
    """Where a stage's or an evaluation's rows come from: a builtin task split or a file/dir/hub id."""

    task: str | None = None
    split: str = "train"
    n: int | None = None
    seed: int = 0
    path: str | None = None
    config: str | None = None
    limit: int | None = None
    mapping: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        src = f"task {self.task}" if self.task else str(self.path)
        return f"{src} ({self.split})" + (f" n={self.n or self.limit}" if (self.n or self.limit) else "")


@dataclass
class Stage:
    name: str
    method: str
    data: DataSpec
    rewards: list[RewardSpec] = field(default_factory=list)
    lora: dict[str, Any] | None = None
    args: dict[str, Any] = field(default_factory=dict)  # TRL config fields, validated

    def trl_args(self) -> dict[str, Any]:
        return {**STAGE_DEFAULTS[self.method], **self.args}


@dataclass
class EvalSpec:
    sets: list[DataSpec] = field(default_factory=list)
    max_new_tokens: int = 48
    batch_size: int = 32
    n: int = 1
    temperature: float = 0.0
    monitor_every: int | None = None  # held-out drift check every N GRPO steps (None: off); docs/monitoring.md
    monitor_n: int = 32  # problems of the first eval set used by that check


@dataclass
class Recipe:
    name: str
    model: str
    stages: list[Stage]
    seed: int = 0
    eval: EvalSpec | None = None
    output_dir: str | None = None
    distributed: str | None = None
    source: str | None = None  # where it was loaded from

    @property
    def run_dir(self) -> Path:
        return Path(self.output_dir or Path("runs") / self.name)

    def to_dict(self) -> dict:
        def stage(s: Stage) -> dict:
            d = {"name": s.name, "method": s.method, "data": _drop_none(dataclasses.asdict(s.data))}
            if s.rewards:
                d["rewards"] = [dataclasses.asdict(r) for r in s.rewards]
            if s.lora:
                d["lora"] = s.lora
            d.update(s.trl_args())
            return d

        out: dict[str, Any] = {"name": self.name, "model": self.model, "seed": self.seed,
                               "stages": [stage(s) for s in self.stages]}
        if self.output_dir:
            out["output_dir"] = self.output_dir
        if self.distributed:
            out["distributed"] = self.distributed
        if self.eval:
            out["eval"] = {**dataclasses.asdict(self.eval), "sets": [_drop_none(dataclasses.asdict(s)) for s in self.eval.sets]}
            if self.eval.monitor_every is None:  # unmonitored recipes resolve as before, so their runs still resume
                out["eval"].pop("monitor_every"), out["eval"].pop("monitor_n")
        return out

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


def _drop_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None and v != {}}


def _type_ok(value: Any, annotation: Any) -> bool:
    """A lenient check of a YAML value against a dataclass field annotation."""
    if annotation is Any or isinstance(annotation, str):
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, a) for a in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is str:
        return isinstance(value, str)
    if origin in (list, tuple):
        return isinstance(value, (list, tuple))
    if origin is dict or annotation is dict:
        return isinstance(value, dict)
    if isinstance(annotation, type) and issubclass(annotation, str):  # str enums (SchedulerType)
        return isinstance(value, str)
    if origin is typing.Literal:
        return value in typing.get_args(annotation)
    return True


def _check_fields(cls, values: dict, where: str) -> dict:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # unresolvable forward references in a third-party config
        hints = {}
    for key, value in list(values.items()):
        if key not in fields:
            close = [k for k in fields if k.startswith(key[:4])][:3]
            raise RecipeError(f"{where}: unknown key '{key}'. It is neither an rlvr key nor a field of TRL's "
                              f"{cls.__name__}" + (f" (did you mean {', '.join(close)}?)" if close else "") + ".")
        annotation = hints.get(key, fields[key].type)
        if isinstance(value, str) and not _type_ok(value, annotation) and _type_ok(1.5, annotation):
            try:  # YAML reads `1e-5` (no dot) as a string; accept it where a float is expected
                values[key] = value = float(value)
            except ValueError:
                pass
        if not _type_ok(value, annotation):
            raise RecipeError(f"{where}: key '{key}' has the wrong type: got {type(value).__name__} {value!r}, "
                              f"expected {fields[key].type}.")
    return values


def _data_spec(raw: Any, where: str) -> DataSpec:
    if isinstance(raw, str):
        raw = {"path": raw}
    if not isinstance(raw, dict):
        raise RecipeError(f"{where}: expected a mapping like {{task: arithmetic}} or {{path: data.jsonl}}, got {raw!r}")
    unknown = set(raw) - DATA_KEYS
    if unknown:
        raise RecipeError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(DATA_KEYS))}.")
    raw = dict(raw)
    if "hub" in raw:
        raw["path"] = raw.pop("hub")
    if bool(raw.get("task")) == bool(raw.get("path")):
        raise RecipeError(f"{where}: give exactly one of 'task' (a builtin task) or 'path' (a file, directory or hub id).")
    return _check_fields(DataSpec, raw, where) and DataSpec(**raw)


def parse_recipe(raw: Any, source: str = "<recipe>") -> Recipe:
    if not isinstance(raw, dict):
        raise RecipeError(f"{source}: a recipe is a YAML mapping with at least 'name', 'model' and 'stages'.")
    unknown = set(raw) - RECIPE_KEYS
    if unknown:
        raise RecipeError(f"{source}: unknown top-level key(s) {', '.join(sorted(unknown))}; "
                          f"allowed: {', '.join(sorted(RECIPE_KEYS))}.")
    for key in ("name", "model", "stages"):
        if key not in raw:
            raise RecipeError(f"{source}: missing required key '{key}'.")
    if not isinstance(raw["stages"], list) or not raw["stages"]:
        raise RecipeError(f"{source}: 'stages' must be a non-empty list of stages.")
    stages, seen = [], set()
    for i, s in enumerate(raw["stages"]):
        where = f"{source}: stages[{i}]"
        if not isinstance(s, dict):
            raise RecipeError(f"{where}: expected a mapping with 'method' and 'data'.")
        method = s.get("method")
        if method not in METHODS:
            raise RecipeError(f"{where}: 'method' must be one of {', '.join(METHODS)}, got {method!r}.")
        name = s.get("name", method)
        if name in seen:
            raise RecipeError(f"{where}: duplicate stage name '{name}'; give each stage a distinct 'name'.")
        seen.add(name)
        if "data" not in s:
            raise RecipeError(f"{where}: missing 'data' (e.g. {{task: arithmetic}} or {{path: train.jsonl}}).")
        args = {k: v for k, v in s.items() if k not in STAGE_KEYS}
        _check_fields(trl_config_class(method), args, f"{where} ({name})")
        rewards = []
        for j, r in enumerate(s.get("rewards") or []):
            r = {"name": r} if isinstance(r, str) else r
            if not isinstance(r, dict) or "name" not in r or set(r) - {"name", "weight", "args"}:
                raise RecipeError(f"{where}.rewards[{j}]: expected {{name: ..., weight: ..., args: {{...}}}}, got {r!r}.")
            rewards.append(RewardSpec(**r))
        if method == "grpo":
            from rlvr.rewards.registry import build_rewards

            build_rewards(rewards)  # validates names early, with the recipe's location in the message
        elif rewards:
            raise RecipeError(f"{where}: 'rewards' only applies to grpo stages.")
        lora = s.get("lora")
        if lora is True:
            lora = dict(LORA_DEFAULTS)
        elif isinstance(lora, dict):
            lora = {**LORA_DEFAULTS, **lora}
        elif lora not in (None, False):
            raise RecipeError(f"{where}: 'lora' must be true, false, or a mapping of peft LoraConfig fields.")
        stages.append(Stage(name, method, _data_spec(s["data"], f"{where}.data"), rewards, lora or None, args))
    ev = None
    if raw.get("eval"):
        e = dict(raw["eval"])
        sets = [_data_spec(d, f"{source}: eval.sets[{i}]") for i, d in enumerate(e.pop("sets", []))]
        _check_fields(EvalSpec, e, f"{source}: eval")
        ev = EvalSpec(sets=sets, **e)
    seed = raw.get("seed", 0)
    if not isinstance(seed, int):
        raise RecipeError(f"{source}: 'seed' must be an integer.")
    return Recipe(name=str(raw["name"]), model=str(raw["model"]), stages=stages, seed=seed, eval=ev,
                  output_dir=raw.get("output_dir"), distributed=raw.get("distributed"), source=source)


def load_recipe(path: str | Path) -> Recipe:
    path = Path(path)
    if not path.exists():
        raise RecipeError(f"{path}: no such recipe file. See recipes/ for examples.")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark else ""
        raise RecipeError(f"{path}{where}: not valid YAML ({getattr(e, 'problem', e)}).") from None
    except UnicodeDecodeError:
        raise RecipeError(f"{path}: not UTF-8 text.") from None
    return parse_recipe(raw, str(path))
