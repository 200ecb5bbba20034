"""`rlvr export gguf`: convert a run's model (or any model) to GGUF and prove the file matches it."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from rlvr.cli.app import app, console, out

export_app = typer.Typer(help="Export a trained model for other runtimes (GGUF for llama.cpp / Ollama).",
                         no_args_is_help=True)
app.add_typer(export_app, name="export", rich_help_panel="Pipeline")


@export_app.command("gguf")
def gguf(
    source: str = typer.Argument(..., help="Run directory (runs/<name>/), model or LoRA adapter directory, or alias (smollm2-135m)."),
    quant: List[str] = typer.Option(["q8_0"], "--quant", "-q", help="f16, q8_0, bf16, f32, q4_0, q4_1, q5_0, q5_1; q4_k_m, q5_k_m, q6_k with llama.cpp. Repeatable."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Output directory (default: <run>/export/ for a run directory)."),
    no_check: bool = typer.Option(False, "--no-check", help="Skip reloading the GGUF and comparing logits (not recommended)."),
    force: bool = typer.Option(False, "--force", help="Replace GGUF files that already exist."),
    as_json: bool = typer.Option(False, "--json", help="Print export.json's figures as JSON on stdout."),
) -> None:
    """Merge a LoRA adapter if any, write GGUF + Modelfile, reload it and compare logits with the source.

    Example: rlvr export gguf runs/arith/ --quant f16 --quant q8_0
    """
    import json

    from rlvr.export import export_gguf

    # An out-of-tolerance check raises ExportCheckError (a RlvrError: message with the figures, exit 2).
    result = export_gguf(source, quant, out_dir=out_dir, check=not no_check, force=force)
    if as_json:
        out.print_json(json.dumps(json.loads((result.out_dir / "export.json").read_text(encoding="utf-8"))))
        return
    for note in result.notes:
        console.print(f"[cyan]rlvr[/] {note}", highlight=False)
    from rich.table import Table

    table = Table(title=f"GGUF export of {source} -> {result.out_dir}", title_justify="left")
    for col in ("file", "MiB", "write s", "max|Δlogit|", "/σ", "top-1", "check"):
        table.add_column(col, justify="left" if col in ("file", "check") else "right",
                         overflow="fold" if col == "file" else "ellipsis")
    for f in result.files:
        c = f.check
        verdict = "[yellow]skipped[/]" if c is None else "[green]passed[/]" if c.passed else "[red]FAILED[/]"
        table.add_row(f.file, f"{f.bytes / 2**20:.1f}", f"{f.convert_s:.1f}",
                      f"{c.max_abs_diff:.4g}" if c else "-", f"{c.max_rel_diff:.3g}" if c else "-",
                      f"{c.top1_agreement:.3f}" if c else "-", verdict)
    out.print(table)
    for f in result.files:
        if f.check:
            t = f.check.tolerance
            out.print(f"{f.quant}: tolerance max|Δlogit| <= {t['max_rel_diff']:g}σ (σ = {f.check.logit_std:.3g}), "
                      f"top-1 >= {t['min_top1']:g}; tokenizer ids {'match' if f.check.tokenizer_ids_match else 'DIFFER'}, "
                      f"chat template {'matches' if f.check.chat_template_match else 'DIFFERS'}", highlight=False)
    out.print(f"Modelfile: {result.modelfile}  (ollama create NAME -f {result.modelfile})", highlight=False)

