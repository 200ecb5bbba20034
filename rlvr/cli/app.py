"""The typer app and the console every verb module shares. Verbs live in sibling modules
(one per verb group) and register themselves on `app`; `rlvr.cli.main` renders user errors."""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(
    name="rlvr",
    help=(
        "Fine-tune open language models with verifiable rewards: inspect, plan, train, evaluate, export, report.\n\n"
        "Try it:   rlvr quickstart          (base eval, SFT, GRPO, eval, report on the embedded SmolLM2-135M)\n\n"
        "Your data:   rlvr inspect data.jsonl  ->  rlvr plan recipe.yaml  ->  rlvr probe recipe.yaml  ->  "
        "rlvr train recipe.yaml  ->  rlvr compare runs/NAME  ->  rlvr export gguf runs/NAME  ->  rlvr report runs/NAME\n\n"
        "Every verb has --help with examples; commands an agent reads have --json."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out = Console()  # stdout: summaries and --json payloads
