"""Core verbs: quickstart, train, eval."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from rlvr.cli.app import app, console, out


@app.command(rich_help_panel="Pipeline")
def quickstart(
    name: str = typer.Option("quickstart", help="Run name: results go to runs/<name>/."),
    model: str = typer.Option("smollm2-135m", help="Model alias, local directory or cached hub id."),
    steps: Optional[int] = typer.Option(None, help="Override the GRPO stage's max_steps (e.g. 2 for a smoke run)."),
    sft_rows: Optional[int] = typer.Option(None, help="Override the number of SFT training rows."),
    eval_n: Optional[int] = typer.Option(None, help="Override the number of held-out problems per eval set."),
    overwrite: bool = typer.Option(False, help="Move an existing run of a different recipe aside instead of stopping."),
):
    """Base eval -> SFT -> GRPO -> eval -> report, on the embedded SmolLM2-135M and the arithmetic task.

    Example: rlvr quickstart            (about 10 minutes on a 2-core CPU)
    Example: rlvr quickstart --model tiny-random --steps 2 --sft-rows 16 --eval-n 8   (smoke run)
    """
    from rlvr.quickstart import run_quickstart

    result = run_quickstart(name=name, model=model, grpo_steps=steps, sft_rows=sft_rows, eval_n=eval_n,
                            overwrite=overwrite)
    out.print(result, soft_wrap=True)


@app.command(rich_help_panel="Pipeline")
def train(
    recipe: Path = typer.Argument(..., help="Recipe YAML (see recipes/)."),
    overwrite: bool = typer.Option(False, help="Move an existing run of a different recipe aside instead of stopping."),
    no_eval: bool = typer.Option(False, "--no-eval", help="Skip the recipe's evaluations."),
    launch: bool = typer.Option(False, "--launch", help="Run under `accelerate launch` with the recipe's `distributed` "
                                "config (ddp if unset), one process per GPU."),
    num_processes: Optional[int] = typer.Option(None, "--num-processes", help="Processes for --launch (default: GPUs)."),
):
    """Train the stages of a recipe (SFT, DPO, GRPO) through TRL; re-running resumes.

    Example: rlvr train recipes/sft_then_grpo.yaml
    Example: rlvr train recipe.yaml --launch     (all GPUs, with the recipe's `distributed: ddp|zero2|zero3|fsdp`)
    """
    from rlvr.train.distributed import is_launched, is_main_process, launch_decision, render_command
    from rlvr.train.recipe import load_recipe
    from rlvr.train.runner import run_recipe

    r = load_recipe(recipe)
    if no_eval:
        r.eval = None
    passthrough = tuple(a for a, on in (("--overwrite", overwrite), ("--no-eval", no_eval)) if on)
    action, cmd = launch_decision(r.distributed, recipe, launch, num_processes, passthrough)
    if action == "launch":
        import subprocess
        import sys

        console.print(f"[cyan]rlvr[/] launching: {render_command(cmd)}", highlight=False, soft_wrap=True)
        rc = subprocess.run([sys.executable, "-m", "accelerate.commands.launch", *cmd[2:]]).returncode
        raise typer.Exit(rc)
    if cmd is not None:
        console.print(f"[cyan]rlvr[/] this recipe asks for `distributed: {r.distributed}`; to run it on several "
                      f"processes: {render_command(cmd)}  (or `rlvr train {recipe} --launch`)", highlight=False,
                      soft_wrap=True)
        if action == "print":
            raise typer.Exit(0)
    elif r.distributed and not is_launched():
        console.print(f"[cyan]rlvr[/] `distributed: {r.distributed}` applies under a multi-GPU launch; one device "
                      "here, so training in this process.", highlight=False)
    if is_main_process():
        _print_plan(r)
    result = run_recipe(r, overwrite=overwrite)
    if is_main_process():
        out.print(f"final model: {result.model_dir}")


def _print_plan(recipe) -> None:
    from rlvr.train.plan import plan, render_plan

    try:
        render_plan(plan(recipe), console)
    except Exception as e:  # the plan is advice; it never blocks training
        console.print(f"[yellow]plan unavailable: {e}[/]")


@app.command("eval", rich_help_panel="Pipeline")
def eval_cmd(
    model: str = typer.Option(..., "--model", "-m", help="Model alias, local directory, run directory or cached hub id."),
    data: Optional[Path] = typer.Option(None, help="JSONL with 'prompt' and 'answer' per row."),
    task: Optional[str] = typer.Option(None, help="Builtin task instead of --data (e.g. arithmetic)."),
    benchmark: Optional[str] = typer.Option(None, help="Builtin benchmark instead of --data: humaneval (graded in the sandbox)."),
    split: str = typer.Option("eval", help="Split of the builtin task: eval or eval-rephrased."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Evaluate only the first N problems."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Directory for samples.jsonl and summary.json."),
    max_new_tokens: int = typer.Option(48, help="Tokens generated per answer."),
    batch_size: int = typer.Option(32, help="Prompts per generation batch."),
    samples: int = typer.Option(1, "--n", "--samples", help="Samples per prompt (pass@k and maj@k for every k <= n)."),
    temperature: float = typer.Option(0.0, help="0 = greedy."),
    backend: str = typer.Option("auto", help="auto, transformers or vllm."),
    seed: int = typer.Option(0, help="Sampling seed."),
    chat_template: bool = typer.Option(True, "--chat-template/--no-chat-template",
                                       help="Wrap prompts in the model's chat template (on by default)."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
):
    """Evaluate a model: greedy pass@1 with the math verifier (pass@k and maj@k with --samples).

    Example: rlvr eval --model smollm2-135m --task arithmetic --limit 100
    Example: rlvr eval --model runs/quickstart --task arithmetic --n 8 --temperature 0.8   (pass@k, maj@k)
    Example: rlvr eval --model runs/quickstart --data my_eval.jsonl --out runs/quickstart/eval/mine
    Example: rlvr eval --model smollm2-135m --benchmark humaneval --max-new-tokens 384
    """
    import json

    from rlvr.eval.generate import GenerationConfig
    from rlvr.eval.run import evaluate, load_eval_rows
    from rlvr.models import resolve_model

    rows = load_eval_rows(data=str(data) if data else None, task=task, split=split, n=limit, seed=seed,
                          benchmark=benchmark)
    path = resolve_model(model)
    gen = GenerationConfig(max_new_tokens=max_new_tokens, batch_size=batch_size, n=samples,
                           temperature=temperature, seed=seed, chat_template=chat_template)
    if samples > 1 and temperature == 0:
        console.print("[yellow]--n > 1 with temperature 0 gives n identical greedy samples; set --temperature[/]")
    summary = evaluate(path, rows, gen, out_dir=out_dir, label=Path(str(out_dir or "eval")).name, backend=backend)
    summary.pop("samples", None)
    if json_out:
        out.print_json(json.dumps(summary, default=str))
        return
    extra = "".join(f"  {k}: {v:.3f}" for k, v in summary.items() if k.startswith(("pass@", "maj@"))
                    and k != "pass@1" and isinstance(v, float))
    out.print(f"pass@1: {summary['pass@1']:.3f} (n={len(rows)}){extra}", highlight=False)
    if out_dir:
        console.print(f"per-sample results in {out_dir}/samples.jsonl")
