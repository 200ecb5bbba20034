"""`rlvr plan`: model size, memory, hardware, time and cost of a recipe, with the arithmetic shown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from rlvr.cli.app import app, out


@app.command("plan", rich_help_panel="Pipeline")
def plan_cmd(
    recipe: Path = typer.Argument(..., help="Recipe YAML, e.g. recipes/sft.yaml."),
    lora: Optional[bool] = typer.Option(None, "--lora/--no-lora", help="Force LoRA on or off (default: on above 3B parameters unless the recipe says)."),
    flavor: Optional[str] = typer.Option(None, "--flavor", help="Price the run on this hardware flavour instead of the cheapest that fits."),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON (schema in docs/plan.md)."),
    out_path: Optional[Path] = typer.Option(None, "--out", help="Also write the JSON plan to this file (atomically)."),
) -> None:
    """Estimate memory (full / LoRA / QLoRA), the smallest hardware flavour that fits, time and cost.

    Example: rlvr plan recipes/quickstart.yaml --lora
    """
    from rlvr.train.plan import plan, render_plan
    from rlvr.train.recipe import load_recipe

    result = plan(load_recipe(recipe), lora=lora, flavor=flavor)
    if out_path is not None:
        from rlvr.io import write_json

        write_json(out_path, result.to_dict())
    if as_json:
        out.print(json.dumps(result.to_dict(), ensure_ascii=False), highlight=False, soft_wrap=True,
                  markup=False, emoji=False)
    else:
        render_plan(result, out)
