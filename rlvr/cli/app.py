"""The typer app and the console every verb module shares. Verbs live in sibling modules
(one per verb group) and register themselves on `app`; `rlvr.cli.main` renders user errors."""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(
    name="rlvr",
    help=(
        "Fine-tune open language models with verifiable rewards.\n\n"
        "Typical session:\n\n"
        "  rlvr quickstart                      # base eval -> SFT -> GRPO -> eval -> report on the embedded model\n\n"
        "  rlvr eval --model smollm2-135m --task arithmetic\n\n"
        "  rlvr verify samples.jsonl --benchmark humaneval --out results.jsonl"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out = Console()  # stdout: summaries and --json payloads
