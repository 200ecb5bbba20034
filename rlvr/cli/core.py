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
):
    """Train the stages of a recipe (SFT, DPO, GRPO) through TRL; re-running resumes.

    Example: rlvr train recipes/sft_then_grpo.yaml
    """
    from rlvr.train.recipe import load_recipe
    from rlvr.train.runner import run_recipe

    r = load_recipe(recipe)
    if no_eval:
        r.eval = None
    _print_plan(r)
    result = run_recipe(r, overwrite=overwrite)
    out.print(f"final model: {result.model_dir}")


def _print_plan(recipe) -> None:
    try:
        from rlvr.train.plan import plan, render_plan
    except ImportError:
        return
    try:
        render_plan(plan(recipe), console)
    except Exception as e:  # the plan is advice; it never blocks training
        console.print(f"[yellow]plan unavailable: {e}[/]")


@app.command("eval", rich_help_panel="Pipeline")
def eval_cmd(
    model: str = typer.Option(..., "--model", "-m", help="Model alias, local directory, run directory or cached hub id."),
    data: Optional[Path] = typer.Option(None, help="JSONL with 'prompt' and 'answer' per row."),
    task: Optional[str] = typer.Option(None, help="Builtin task instead of --data (e.g. arithmetic)."),
    split: str = typer.Option("eval", help="Split of the builtin task: eval or eval-rephrased."),
    limit: Optional[int] = typer.Option(None, "--limit", "-n", help="Evaluate only the first N problems."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Directory for samples.jsonl and summary.json."),
    max_new_tokens: int = typer.Option(48, help="Tokens generated per answer."),
    batch_size: int = typer.Option(32, help="Prompts per generation batch."),
    samples: int = typer.Option(1, "--samples", help="Samples per prompt (pass@k for k <= samples)."),
    temperature: float = typer.Option(0.0, help="0 = greedy."),
    backend: str = typer.Option("auto", help="auto, transformers or vllm."),
    seed: int = typer.Option(0, help="Sampling seed."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
):
    """Evaluate a model: greedy pass@1 with the math verifier (pass@k and maj@k with --samples).

    Example: rlvr eval --model smollm2-135m --task arithmetic -n 100
    Example: rlvr eval --model runs/quickstart --data my_eval.jsonl --out runs/quickstart/eval/mine
    """
    import json

    from rlvr.eval.generate import GenerationConfig
    from rlvr.eval.run import evaluate, load_eval_rows
    from rlvr.models import resolve_model

    rows = load_eval_rows(data=str(data) if data else None, task=task, split=split, n=limit, seed=seed)
    path = resolve_model(model)
    gen = GenerationConfig(max_new_tokens=max_new_tokens, batch_size=batch_size, n=samples,
                           temperature=temperature, seed=seed)
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
