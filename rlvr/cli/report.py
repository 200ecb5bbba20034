"""`rlvr report`: write report.md and report.html for a run directory."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from rlvr.cli.app import app, console, out


@app.command("report", rich_help_panel="Pipeline")
def report(
    run_dir: Path = typer.Argument(..., help="Run directory, e.g. runs/quickstart."),
    open_browser: bool = typer.Option(False, "--open", help="Open report.html in the default browser afterwards."),
    fail_on_missing: bool = typer.Option(
        False, "--fail-on-missing", help="Exit 1 when any file the report looks for is missing or unreadable."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print paths, missing files and problems as JSON."),
) -> None:
    """Write report.md and a self-contained report.html from what a run wrote.

    Example: rlvr report runs/quickstart
    """
    from rlvr.report import make_report

    run = make_report(run_dir)
    md_path, html_path = run.markdown, run.html
    if as_json:
        out.print_json(json.dumps({"markdown": str(md_path), "html": str(html_path),
                                   "missing": run.missing, "problems": run.problems}))
    else:
        out.print(str(md_path), highlight=False, soft_wrap=True)
        out.print(str(html_path), highlight=False, soft_wrap=True)
        if run.missing:
            console.print(f"[yellow]missing:[/] {', '.join(run.missing)}", highlight=False, soft_wrap=True)
        for problem in run.problems:
            console.print(f"[yellow]unreadable:[/] {problem}", highlight=False, soft_wrap=True)
    if open_browser:
        import webbrowser

        webbrowser.open(html_path.resolve().as_uri())
    if fail_on_missing and (run.missing or run.problems):
        # SystemExit, not typer.Exit: with standalone_mode=False typer returns Exit's code instead of exiting
        raise SystemExit(1)
