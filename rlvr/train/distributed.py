"""One recipe, many processes: which accelerate config a recipe's `distributed:` names, the
`accelerate launch` command that runs it, and the few rank facts the runner needs.

The training code does not change under a launcher: TRL's trainers already shard the data, all-reduce
the gradients and write checkpoints from the main process. What rlvr adds around them is single-writer
discipline for its own files (run directory, evaluations, final model, run.json, report): the main
process (rank 0) does those while the other ranks wait at a barrier. Ranks are read from the
environment torchrun sets (RANK, WORLD_SIZE, LOCAL_RANK), so a plain `python -m rlvr train` is
world size 1 and nothing here touches torch.distributed.

`distributed:` values (rlvr/train/accelerate_configs/):
  ddp    one full replica per process (the only one that also runs on CPUs, over gloo)
  zero2  DeepSpeed ZeRO-2: optimizer states and gradients sharded
  zero3  DeepSpeed ZeRO-3: weights too (for models whose replica does not fit one GPU)
  fsdp   PyTorch FSDP2, full sharding, one unit per decoder layer
or a path to your own accelerate config YAML.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import sys
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from rlvr.errors import RecipeError

CONFIG_DIR = Path(__file__).with_name("accelerate_configs")
CONFIGS = ("ddp", "zero2", "zero3", "fsdp")
SHARDED = ("zero3", "fsdp")
# Rank 0 evaluates between stages while the others wait at a barrier; the default collective timeout
# (30 min) would kill a long evaluation, so rlvr's process group waits this long (override by env).
BARRIER_TIMEOUT_S = int(os.environ.get("RLVR_DIST_TIMEOUT_S", 4 * 3600))


# --- ranks -----------------------------------------------------------------------------------------
def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def local_rank() -> int:
    return int(os.environ.get("LOCAL_RANK", "0"))


def is_launched() -> bool:
    """True inside a multi-process launch (accelerate launch / torchrun with more than one process)."""
    return world_size() > 1


def is_main_process() -> bool:
    return rank() == 0


def _init_process_group() -> None:
    """Start the process group the way the Trainer would (gloo on CPU, NCCL on GPUs), with a long timeout.
    Trainer's own PartialState later finds it initialised and reuses it."""
    import torch
    import torch.distributed as dist

    if dist.is_initialized():
        return
    from accelerate import PartialState

    PartialState(cpu=not torch.cuda.is_available(), timeout=timedelta(seconds=BARRIER_TIMEOUT_S))


def wait_for_everyone() -> None:
    """A barrier across all ranks; a no-op in a single process."""
    if not is_launched():
        return
    import torch
    import torch.distributed as dist

    _init_process_group()
    if dist.get_backend() == "nccl":
        dist.barrier(device_ids=[torch.cuda.current_device()])
    else:
        dist.barrier()


@contextmanager
def main_process_first():
    """Rank 0 runs the block first (e.g. renaming half-written checkpoints); the others after it."""
    if not is_main_process():
        wait_for_everyone()
    yield
    if is_main_process():
        wait_for_everyone()


def finish() -> None:
    """Last barrier and a clean process-group shutdown at the end of a launched run."""
    if not is_launched():
        return
    import torch.distributed as dist

    wait_for_everyone()
    if dist.is_initialized():
        dist.destroy_process_group()


def rank_callback(stage: str):
    """A TrainerCallback that prints one line per rank when a stage ends (world size > 1 only), so a
    launched run shows that every rank took its optimizer steps; the metrics file is rank 0's alone."""
    from transformers import TrainerCallback

    class _RankSteps(TrainerCallback):
        def __init__(self):
            self.steps = 0

        def on_step_end(self, args, state, control, **kwargs):
            self.steps += 1

        def on_train_end(self, args, state, control, **kwargs):
            if is_launched():
                print(f"rlvr rank {rank()}/{world_size()}: stage {stage} took {self.steps} optimizer steps "
                      f"(global_step {state.global_step}, per-device batch {args.per_device_train_batch_size})",
                      file=sys.stderr, flush=True)

    return _RankSteps()


# --- configs and launch ----------------------------------------------------------------------------
def accelerate_config(name: str, where: str = "distributed") -> Path:
    """The accelerate config file for a recipe's `distributed:` value (a shipped name or a YAML path)."""
    if name in CONFIGS:
        return CONFIG_DIR / f"{name}.yaml"
    path = Path(name).expanduser()
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return path
    raise RecipeError(f"{where}: unknown value {name!r}. Use one of {', '.join(CONFIGS)} (shipped accelerate "
                      "configs, see docs/scaling.md) or the path of an existing accelerate config YAML.")


def gpu_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def launch_command(recipe_path: str | os.PathLike, distributed: str, num_processes: int | None = None,
                   train_args: tuple[str, ...] = ()) -> list[str]:
    """`accelerate launch --config_file CFG --num_processes N -m rlvr train RECIPE ...` for this machine.

    On a machine without GPUs only `ddp` can run (gloo); it gets `--mixed_precision no` and one
    thread per process, and needs an explicit process count."""
    config = accelerate_config(distributed)
    gpus = gpu_count()
    cmd = ["accelerate", "launch", "--config_file", str(config)]
    if gpus == 0:
        if distributed != "ddp":
            raise RecipeError(f"distributed: {distributed} needs CUDA GPUs (DeepSpeed/FSDP shard across GPUs); "
                              "this machine has none. Use `distributed: ddp` to run data parallel on CPUs, or "
                              "run on a GPU machine (see `rlvr submit`).")
        if not num_processes:
            raise RecipeError("no GPU here: pass --num-processes N to run N data-parallel CPU processes.")
        cmd += ["--mixed_precision", "no", "--num_cpu_threads_per_process", "1"]
    cmd += ["--num_processes", str(num_processes or gpus), "-m", "rlvr", "train", str(recipe_path), *train_args]
    return cmd


def render_command(cmd: list[str]) -> str:
    return " ".join(shlex.quote(c) for c in cmd)


# --- generation engine for GRPO --------------------------------------------------------------------
def vllm_available() -> bool:
    """vLLM is used only where it can run: the package is installed and a CUDA GPU is visible."""
    if importlib.util.find_spec("vllm") is None:
        return False
    import torch

    return torch.cuda.is_available()


def grpo_generation_kwargs(stage_args: dict) -> dict:
    """TRL's `use_vllm` / `vllm_mode` for a GRPO stage: on by default when vLLM can run ("colocate":
    vLLM shares each training GPU; a recipe sets `vllm_mode: server` to use a separate `trl vllm-serve`
    process), off when the recipe says `use_vllm: false` or vLLM cannot run here."""
    if "use_vllm" in stage_args:
        return {}
    if not vllm_available():
        return {}
    return {"use_vllm": True, "vllm_mode": stage_args.get("vllm_mode", "colocate")}


def launch_decision(distributed: str | None, recipe_path, launch: bool, num_processes: int | None,
                    train_args: tuple[str, ...] = ()) -> tuple[str, list[str] | None]:
    """What `rlvr train` does with a recipe: ("here", cmd) trains in this process (cmd: the launch
    command to show, or None), ("launch", cmd) runs cmd, ("print", cmd) shows cmd and stops.

    Already inside a launcher: train here. `--launch`: launch (ddp when the recipe names nothing).
    A recipe with `distributed` on a machine with several GPUs: show the command and stop, rather than
    silently use one GPU; on one GPU or a CPU: show it and train here, where there is nothing to spread."""
    if is_launched():
        return "here", None
    if launch:
        return "launch", launch_command(recipe_path, distributed or "ddp", num_processes, train_args)
    if not distributed:
        return "here", None
    accelerate_config(distributed)  # an unknown value fails here, before any work
    gpus = gpu_count()
    if gpus > 1:
        return "print", launch_command(recipe_path, distributed, num_processes, train_args)
    shown = [*launch_command(recipe_path, distributed, num_processes or 2, train_args)] if gpus == 0 and \
        distributed == "ddp" else None
    return "here", shown
