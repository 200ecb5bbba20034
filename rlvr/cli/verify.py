"""`rlvr verify`: run code samples through the sandboxed verifier and report pass@k."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from rlvr.cli.app import app, console, out


@app.command("verify", rich_help_panel="Evaluation")
def verify(
    samples: Path = typer.Argument(..., help="JSONL of {task_id, completion} (HumanEval's sample format)."),
    out_path: Path = typer.Option(..., "--out", help="Per-sample results JSONL; the summary goes to OUT.summary.json."),
    benchmark: Optional[str] = typer.Option(None, "--benchmark", help="Builtin problem set: humaneval."),
    problems: Optional[Path] = typer.Option(None, "--problems", help="Problem JSONL in HumanEval's format."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Parallel sandboxes (default: all cores)."),
    timeout: float = typer.Option(3.0, "--timeout", help="Wall-clock seconds per sample."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Record bad sample lines as status 'error' instead of stopping."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
    ray: bool = typer.Option(False, "--ray", help="Run the sandboxes on Ray actors (one sandbox pool per actor)."),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Ray cluster to join (auto, ray://host:10001); "
                                              "default: a local Ray instance."),
) -> None:
    """Verify code completions in an isolated sandbox; write per-sample results and pass@k.

    Example: rlvr verify samples.jsonl --benchmark humaneval --out results.jsonl --workers 2
    Example: rlvr verify samples.jsonl --benchmark humaneval --out results.jsonl --ray --ray-address auto
    """
    import json

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from rlvr.errors import VerifyError
    from rlvr.io import iter_jsonl, write_json, write_jsonl
    from rlvr.verify.code import run_verify
    from rlvr.verify.problems import benchmark_path, load_problems

    if (benchmark is None) == (problems is None):
        raise VerifyError("give exactly one of --benchmark humaneval or --problems FILE.jsonl.")
    problem_file = benchmark_path(benchmark) if benchmark else problems
    problem_set = load_problems(problem_file)
    rows_in, lines = _read_samples(samples, skip_bad, iter_jsonl)
    with Progress(TextColumn("verify"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True) as progress:
        bar = progress.add_task("verify", total=len(rows_in))
        common = dict(timeout=timeout, skip_bad=skip_bad, hide_files=[str(problem_file)],
                      on_done=lambda i, r: progress.advance(bar), where=lambda i: f"{samples}, line {lines[i]}")
        if ray or ray_address:
            from rlvr.verify.ray_backend import run_verify_ray

            rows, summary = run_verify_ray(rows_in, problem_set, address=ray_address, workers_per_actor=workers or 2,
                                           **common)
        else:
            rows, summary = run_verify(rows_in, problem_set, workers=workers, **common)
    write_jsonl(out_path, rows)
    summary_path = out_path.with_name(out_path.stem + ".summary.json")
    summary.update(samples=str(samples), problems=str(problem_file), results=str(out_path))
    write_json(summary_path, summary)
    if as_json:
        out.print_json(json.dumps(summary))
        return
    ks = [k for k in summary if k.startswith("pass@")]
    out.print(" ".join(f"{k}={summary[k]:.4f}" for k in ks) +
              f"  ({summary['n_samples']} samples, {summary['n_tasks']} tasks, {summary['samples_per_s']} samples/s)")
    out.print("  ".join(f"{s}={summary[s]}" for s in ("passed", "failed", "timeout", "error", "unverifiable")))
    caps = summary.get("sandbox", {})
    if caps:
        held = [k for k in ("separate_uid", "network_isolated", "pid_namespace", "hidden_home") if caps.get(k)]
        out.print(f"sandbox mode: {caps.get('mode')} ({', '.join(held) or 'rlimits only'})" +
                  (f", on {caps['actors']} Ray actors on {caps['hosts']} host(s)" if caps.get("backend") == "ray" else ""))
    out.print(f"results: {out_path}  summary: {summary_path}")


def _read_samples(path: Path, skip_bad: bool, iter_jsonl) -> tuple[list, list[int]]:
    """Rows and their line numbers; with --skip-bad an unparseable line becomes a placeholder the
    verifier records as an error, otherwise the DatasetError names the line."""
    import json

    from rlvr.errors import DatasetError

    if not skip_bad:
        pairs = list(iter_jsonl(path))
        return [r for _, r in pairs], [n for n, _ in pairs]
    if not path.exists():
        raise DatasetError(f"{path}: no such file. Check the path.")
    rows, lines = [], []
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                row = f"line {lineno}: not valid JSON"
            rows.append(row)
            lines.append(lineno)
    return rows, lines
