"""`rlvr inspect`: scan a dataset and say, per training method, whether it is ready."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from rlvr.cli.app import app, console, out

MARKS = {"READY": "[green]✓ READY[/]", "NEEDS MAPPING": "[yellow]~ NEEDS MAPPING[/]",
         "INCOMPATIBLE": "[red]✗ INCOMPATIBLE[/]"}


def _pct(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.0%}" if x in (0, 1) else f"{x:.1%}"


def render_report(report: dict, console_) -> None:
    """Print an inspect report as a rich table plus one readiness line per method."""
    from rich.table import Table

    from rich.markup import escape

    src = report["source"]
    where = escape(src["spec"] + (f" [{src['split']}]" if src.get("split") else ""))
    console_.print(f"[bold]{where}[/]: {report['rows']:,} rows, {len(report['columns'])} columns "
                   f"(scanned in {report['scan']['elapsed_s']:.2f} s)", highlight=False)
    unit = report["lengths"]["unit"]
    table = Table(show_edge=False, pad_edge=False)
    for name in ("column", "type", "null", "empty", f"{unit} p50", "p95", "max"):
        table.add_column(name, justify="left" if name in ("column", "type") else "right")
    for name, col in report["columns"].items():
        types = col["type"] if col["type"] != "mixed" else "mixed: " + ", ".join(f"{k} {v}" for k, v in col["types"].items())
        ln = report["lengths"]["columns"].get(name)
        table.add_row(escape(name), escape(types) or "null", _pct(col["null_rate"]), _pct(col["empty_rate"]),
                      *(f"{ln['p50']:,.0f}", f"{ln['p95']:,.0f}", f"{ln['max']:,}") if ln else ("-", "-", "-"))
    console_.print(table)
    dup = report["duplicates"]
    console_.print(f"duplicates: {dup['rows']:,} rows ({_pct(dup['rate'])})"
                   + (f", e.g. {', '.join(str(next(iter(e.values()))) for e in dup['examples'])}" if dup["examples"] else ""),
                   highlight=False, soft_wrap=True)
    for name, conv in report["messages"].items():
        problems = ", ".join(f"{k} {v:,}" for k, v in conv["problems"].items()) or "none"
        console_.print(f"conversations in '{name}' ({conv['format']}): {conv['invalid_rows']:,} of {conv['rows']:,} "
                       f"malformed ({problems})", highlight=False, soft_wrap=True, markup=False)
    if report["dpo"]:
        d = report["dpo"]
        console_.print(f"preference pairs '{d['chosen']}'/'{d['rejected']}': {d['identical']:,} of {d['rows']:,} "
                       "identical", highlight=False, soft_wrap=True, markup=False)
    ans = report["answers"]
    if ans:
        rate = "" if ans["parse_rate"] is None else (
            f"; math-verify parses {ans['parse_rate']:.1%} of {ans['sampled']:,} sampled"
            + (f" (95% CI {ans['parse_rate_ci'][0]:.1%}–{ans['parse_rate_ci'][1]:.1%})" if ans.get("parse_rate_ci") else ""))
        console_.print(f"answers in '{ans['column']}': {ans['missing']:,} missing{rate}", highlight=False, soft_wrap=True, markup=False)
    console_.print()
    for method, r in report["readiness"].items():
        detail = r["reason"]
        if r["status"] == "NEEDS MAPPING":
            detail = f"map {r['mapping_text']} ({r['reason']})"
        console_.print(f"[bold]{method.upper()}:[/] {MARKS[r['status']]} — {escape(detail)}", highlight=False, soft_wrap=True)
        for w in r.get("warnings", []):
            console_.print(f"      [yellow]warning:[/] {escape(w)}", highlight=False, soft_wrap=True)


@app.command("inspect", rich_help_panel="Pipeline")
def inspect(
    dataset: str = typer.Argument(..., help="A .jsonl/.json/.csv/.parquet file, a save_to_disk directory, or a cached hub id."),
    split: Optional[str] = typer.Option(None, "--split", help="Split of a DatasetDict or hub dataset (default: train)."),
    config: Optional[str] = typer.Option(None, "--config", help="Hub dataset configuration name."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Scan only the first N rows."),
    model: Optional[str] = typer.Option(None, "--model", help="Measure lengths in this model's tokens (else characters)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON (schema in docs/inspect.md)."),
    out_path: Optional[Path] = typer.Option(None, "--out", help="Also write the JSON report to this file (atomically)."),
    max_row_bytes: int = typer.Option(4 * 2**20, "--max-row-bytes", help="Refuse rows larger than this."),
) -> None:
    """Scan every row of a dataset and report READY / NEEDS MAPPING / INCOMPATIBLE for SFT, DPO and GRPO.

    Example: rlvr inspect data/train.jsonl --model smollm2-135m
    """
    from rlvr.data.inspect import inspect_dataset

    report = inspect_dataset(dataset, split=split, config=config, limit=limit, model=model,
                             progress=not as_json and console.is_terminal, max_row_bytes=max_row_bytes)
    if out_path is not None:
        from rlvr.io import write_json

        write_json(out_path, report)
    if as_json:
        out.print(json.dumps(report, ensure_ascii=False), highlight=False, soft_wrap=True, markup=False, emoji=False)
    else:
        render_report(report, out)
