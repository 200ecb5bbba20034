"""`rlvr submit`: write a self-contained job for a recipe and hand it to HF Jobs, Slurm or this machine."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from rlvr.cli.app import app, console, out


@app.command("submit", rich_help_panel="Pipeline")
def submit_cmd(
    recipe: Path = typer.Argument(..., help="Recipe YAML."),
    target: str = typer.Option("local", "--target", "-t", help="hf-jobs, slurm or local."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Write the job and print what would be submitted; submit nothing."),
    flavor: Optional[str] = typer.Option(None, help="Hardware flavour (default: the one `rlvr plan` chooses)."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Job directory (default: jobs/<name>-<target>/)."),
    nodes: Optional[int] = typer.Option(None, help="Slurm nodes (multi-node data parallel)."),
    gpus_per_node: Optional[int] = typer.Option(None, "--gpus-per-node", help="GPUs per node (default: the flavour's)."),
    image: str = typer.Option("python:3.11", help="Container image for hf-jobs."),
    repo: Optional[str] = typer.Option(None, help="Dataset repo the hf-jobs job is uploaded to (default: <you>/rlvr-jobs)."),
    json_out: bool = typer.Option(False, "--json", help="Print the job record (files, submit call) as JSON."),
):
    """Write a job (pinned venv script, recipe, rlvr source, Slurm/HF Jobs call) and submit it.

    Example: rlvr submit recipes/grpo.yaml --target hf-jobs --dry-run
    Example: rlvr submit recipe.yaml --target slurm --nodes 2 --gpus-per-node 8
    """
    import json

    from rlvr.train.recipe import load_recipe
    from rlvr.train.submit import build_job, check_target_args, job_record, render_dry_run, submit

    check_target_args(target, nodes)
    job = build_job(load_recipe(recipe), target, job_dir=out_dir, flavor=flavor, nodes=nodes,
                    gpus_per_node=gpus_per_node, image=image, repo=repo)
    if dry_run:
        if json_out:
            out.print_json(json.dumps(job_record(job)))
        else:
            out.print(render_dry_run(job), highlight=False, soft_wrap=True)
        return
    console.print(render_dry_run(job), highlight=False, soft_wrap=True)
    result = submit(job)
    if json_out:
        out.print_json(json.dumps({**job_record(job), "result": result}))
    else:
        out.print(f"submitted: {result}", highlight=False)
    if result.get("returncode"):
        raise typer.Exit(result["returncode"])
