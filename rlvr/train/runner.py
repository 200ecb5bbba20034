"""Run a recipe end to end: base evaluation, each stage in order, evaluation after each, report.

Re-running the same recipe resumes: finished stages (a `stages/<name>/model/`) and evaluations (an
`eval/<label>/summary.json`) are kept, an unfinished stage continues from its newest checkpoint. A
run directory that holds a *different* recipe is never overwritten (RunDirError) unless asked.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from rlvr.errors import RunDirError
from rlvr.io import read_json, write_json
from rlvr.train.recipe import DataSpec, Recipe, load_recipe


def _log(msg: str) -> None:
    if os.environ.get("RANK", "0") != "0":  # under a launcher, rank 0 speaks for the run
        return
    from rich.console import Console

    Console(stderr=True).print(f"[bold cyan]rlvr[/] {msg}", highlight=False)


class MetricsFile:
    """A TrainerCallback that appends every logged row, with its stage, to runs/<name>/metrics.jsonl."""

    def __new__(cls, path: Path, stage: str):
        from transformers import TrainerCallback

        class _Callback(TrainerCallback):
            def on_log(self, args, state, control, logs=None, **kwargs):
                if logs and state.is_world_process_zero:
                    row = {"stage": stage, "step": state.global_step, **{k: v for k, v in logs.items()
                                                                        if isinstance(v, (int, float, str))}}
                    with open(path, "a", encoding="utf-8") as f:
                        f.write(json.dumps(row) + "\n")

        return _Callback()


@dataclass
class RunResult:
    run_dir: Path
    model_dir: Path
    evals: dict[str, dict] = field(default_factory=dict)  # label -> summary (primary eval set)
    wall_s: float = 0.0


def prepare_run_dir(recipe: Recipe, overwrite: bool = False) -> Path:
    """Create the run directory or check it belongs to this recipe; never silently replace another run."""
    run_dir = recipe.run_dir
    saved = run_dir / "recipe.yaml"
    resolved = recipe.to_yaml()
    if saved.exists():
        if saved.read_text(encoding="utf-8") != resolved:
            if not overwrite:
                raise RunDirError(
                    f"{run_dir} already holds a run of a different recipe (see {saved}). Re-running would mix "
                    "the two. Give this recipe another `name`, move that directory away, or pass --overwrite "
                    f"(which renames the old run to {run_dir.name}.old-<time> rather than deleting it).")
            backup = run_dir.with_name(f"{run_dir.name}.old-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(run_dir, backup)
            _log(f"moved the previous run to {backup}")
        else:
            _log(f"resuming {run_dir} (same recipe): finished stages and evaluations are kept")
    elif run_dir.exists() and any(run_dir.iterdir()):
        raise RunDirError(f"{run_dir} exists and is not an rlvr run directory (no recipe.yaml); "
                          "choose another name or output_dir.")
    run_dir.mkdir(parents=True, exist_ok=True)
    from rlvr.io import atomic_write

    with atomic_write(saved) as f:
        f.write(resolved)
    return run_dir


def eval_dir(run_dir: Path, label: str, set_index: int, spec: DataSpec) -> Path:
    """eval/<label>/ for the recipe's first eval set; eval/<set>/<label>/ for the others."""
    if set_index == 0:
        return run_dir / "eval" / label
    return run_dir / "eval" / (spec.task and f"{spec.task}-{spec.split}" or Path(spec.path).stem) / label


def evaluate_stage(recipe: Recipe, model_dir: Path, label: str, run_dir: Path) -> dict | None:
    if not recipe.eval or not recipe.eval.sets:
        return None
    from rlvr.eval.generate import GenerationConfig
    from rlvr.eval.run import evaluate
    from rlvr.models import load_model, load_tokenizer
    from rlvr.train.stages import load_stage_rows

    ev = recipe.eval
    gen = GenerationConfig(max_new_tokens=ev.max_new_tokens, batch_size=ev.batch_size, n=ev.n,
                           temperature=ev.temperature, seed=recipe.seed)
    model = tokenizer = None
    primary = None
    for i, spec in enumerate(ev.sets):
        out = eval_dir(run_dir, label, i, spec)
        if (out / "summary.json").exists():
            summary = read_json(out / "summary.json")
        else:
            if model is None:
                model, tokenizer = load_model(model_dir), load_tokenizer(model_dir)
            rows = load_stage_rows(spec, recipe.seed)
            _log(f"evaluating [bold]{label}[/] on {spec.describe()} ({len(rows)} problems)")
            summary = evaluate(model_dir, rows, gen, out_dir=out, label=label, model=model, tokenizer=tokenizer)
            summary.pop("samples", None)
        lo, hi = summary.get("pass@1_ci", [float("nan")] * 2)
        _log(f"{label} on {spec.describe()}: pass@1 {summary['pass@1']:.3f} [{lo:.3f}, {hi:.3f}]")
        primary = primary or summary
    return primary


def final_model_dir(run_dir: Path, stage_model: Path) -> Path:
    """runs/<name>/model: hard links to the last stage's files (no copy of the weights)."""
    target = run_dir / "model"
    tmp = run_dir / ".model.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    for f in stage_model.iterdir():
        if f.is_file():
            try:
                os.link(f, tmp / f.name)
            except OSError:
                shutil.copy2(f, tmp / f.name)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def run_recipe(recipe: Recipe, overwrite: bool = False, report: bool = True, eval_before: bool = True) -> RunResult:
    """Under `accelerate launch` every rank trains; rank 0 alone writes rlvr's files and evaluates while
    the other ranks wait (rlvr.train.distributed)."""
    from rlvr.models import resolve_model
    from rlvr.train.distributed import finish, is_main_process, main_process_first
    from rlvr.train.stages import run_stage

    t0 = time.time()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with main_process_first():
        run_dir = prepare_run_dir(recipe, overwrite=overwrite) if is_main_process() else recipe.run_dir
        model_dir = resolve_model(recipe.model)
    result = RunResult(run_dir=run_dir, model_dir=model_dir)
    if eval_before:
        with main_process_first():
            result.evals["base"] = evaluate_stage(recipe, model_dir, "base", run_dir) if is_main_process() else None
    report_to = _report_to()
    for stage in recipe.stages:
        stage_dir = run_dir / "stages" / stage.name
        done = stage_dir / "model" / "config.json"
        if done.exists():
            _log(f"stage [bold]{stage.name}[/] already finished: {done.parent}")
        else:
            _log(f"stage [bold]{stage.name}[/] ({stage.method.upper()}) from {model_dir}")
            ts = time.time()
            callbacks = [MetricsFile(run_dir / "metrics.jsonl", stage.name), *stage_callbacks(recipe, stage, run_dir)]
            run_stage(recipe, stage, model_dir, stage_dir, callbacks=callbacks, report_to=report_to)
            _log(f"stage [bold]{stage.name}[/] done in {time.time() - ts:.0f} s")
        model_dir = stage_dir / "model"
        with main_process_first():
            result.evals[stage.name] = (evaluate_stage(recipe, model_dir, stage.name, run_dir)
                                        if is_main_process() else None)
    if not is_main_process():
        result.model_dir = run_dir / "model"
        finish()
        return result
    result.model_dir = final_model_dir(run_dir, model_dir)
    result.wall_s = time.time() - t0
    write_json(run_dir / "run.json", {"recipe": recipe.name, "model": recipe.model, "final_model": str(result.model_dir),
                                      "stages": [s.name for s in recipe.stages], "wall_s": round(result.wall_s, 1)})
    if report:
        write_run_report(run_dir)
    finish()
    return result


def write_run_report(run_dir: Path) -> None:
    from rlvr.report import write_report

    md, html = write_report(run_dir)
    _log(f"report: {md} and {html}")


def stage_callbacks(recipe: Recipe, stage, run_dir: Path) -> list:
    """Extra TrainerCallbacks for a stage (hack and drift monitoring for GRPO)."""
    from rlvr.train.monitor import callbacks_for

    return callbacks_for(recipe, stage, run_dir)


def _report_to() -> list[str]:
    import importlib.util

    if os.environ.get("RLVR_NO_TRACKIO") or importlib.util.find_spec("trackio") is None:
        return []
    return ["trackio"]


def load_builtin_recipe(name: str) -> Recipe:
    return load_recipe(Path(__file__).with_name("recipes") / f"{name}.yaml")
