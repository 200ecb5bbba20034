"""`rlvr probe`: before training, ask whether a GRPO stage's rewards give its start model a learning signal."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from rlvr.cli.app import app, console, out

VERDICT_STYLE = {"CAN LEARN": "bold green", "WEAK SIGNAL": "bold yellow", "CANNOT LEARN": "bold red"}


@app.command(rich_help_panel="Pipeline")
def probe(
    recipe: Path = typer.Argument(..., help="Recipe YAML with a GRPO stage."),
    stage: Optional[str] = typer.Option(None, help="GRPO stage to probe (default: the first GRPO stage)."),
    prompts: int = typer.Option(16, "--prompts", "-n", help="Training prompts to sample (x num_generations each)."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
):
    """Sample the start model as GRPO would, score with the stage's rewards, and say whether it can learn.

    Example: rlvr probe recipes/grpo.yaml --prompts 16
    """
    import json

    from rlvr.train.probe import probe as run_probe
    from rlvr.train.recipe import load_recipe

    r = load_recipe(recipe)
    result = run_probe(r, stage_name=stage, n_prompts=prompts, progress=not json_out)
    if json_out:
        out.print_json(json.dumps(result.to_dict(), default=str))
        return
    render(result)
    if r.run_dir.is_dir():
        console.print(f"written to {r.run_dir}/probe.json and probe_samples.jsonl")


def render(result) -> None:
    from rich.table import Table

    out.print(f"probe of stage [bold]{result.stage}[/] from the {result.start}: {result.n_prompts} prompts x "
              f"{result.num_generations} completions, temperature {result.temperature:g}, "
              f"at most {result.max_completion_length} tokens", highlight=False)
    table = Table("component", "weight", "mean", "std", "p10 / p50 / p90", "flat groups", "unverifiable")
    fmt = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
    for name, c in result.components.items():
        table.add_row(name + (" (correctness)" if c.correctness else ""), f"{c.weight:g}", fmt(c.mean), fmt(c.std),
                      f"{fmt(c.p10)} / {fmt(c.p50)} / {fmt(c.p90)}", f"{c.zero_variance_frac:.0%}",
                      f"{c.unverifiable_frac:.0%}")
    out.print(table)
    out.print(f"total reward mean {result.reward_mean:.3f}; reward density {result.reward_density:.1%} "
              f"(fully right {result.solved_frac:.1%}); flat groups {result.zero_variance_frac:.0%}; "
              f"distinct per group {result.unique_frac:.0%}; completion length {result.mean_completion_tokens:.1f} tokens "
              f"({result.clipped_frac:.0%} cut off)", highlight=False)
    out.print(f"[{VERDICT_STYLE[result.verdict]}]{result.verdict}[/]: " + "; ".join(result.reasons), highlight=False)
    for a in result.advice:
        out.print(f"  - {a}", highlight=False)
