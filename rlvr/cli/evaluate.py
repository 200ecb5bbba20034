"""`rlvr compare`, `rlvr contamination`, `rlvr audit`: the honest-evaluation verbs (parse -> API -> rich)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Optional

import typer

from rlvr.cli.app import app, console, out


def _pct(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}%"


def _ci(ci) -> str:
    lo, hi = ci
    return "n/a" if math.isnan(lo) else f"[{100 * lo:.1f}, {100 * hi:.1f}]"


def _print_json(payload: dict) -> None:
    out.print_json(json.dumps(payload, default=str))


def _ids(ids: list[str], limit: int = 20) -> str:
    return ", ".join(ids[:limit]) + (f" … (+{len(ids) - limit})" if len(ids) > limit else "")


# --- compare --------------------------------------------------------------------------------------


@app.command("compare", rich_help_panel="Evaluation")
def compare_cmd(
    run_a: Path = typer.Argument(..., help="Eval dir (samples.jsonl) or run dir: the 'before' side."),
    run_b: Optional[Path] = typer.Argument(None, help="Eval dir or run dir: the 'after' side (default: RUN_A itself)."),
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="The 'before' side; RUN_A is then the 'after' side."),
    label_a: Optional[str] = typer.Option(None, "--label-a", help="Eval label in the 'before' run dir (default: its first)."),
    label_b: Optional[str] = typer.Option(None, "--label-b", help="Eval label in the 'after' run dir (default: its last)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the paired bootstrap."),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
) -> None:
    """Before/after table: each metric, the difference, its 95% interval, and per-problem flips.

    Example: rlvr compare runs/quickstart --label-a base --label-b final
    """
    from rich.table import Table

    from rlvr.eval.compare import compare

    if baseline is not None:
        if run_b is not None:
            raise typer.BadParameter("give either RUN_A RUN_B or RUN --baseline BASE, not both")
        run_a, run_b = baseline, run_a
    result = compare(run_a, run_b, label_a=label_a, label_b=label_b, seed=seed)
    if as_json:
        _print_json(result.to_dict())
        return
    table = Table(title=f"A = {result.a}\nB = {result.b}\n{result.n_matched} matched problems", title_justify="left")
    for col in ("metric", "A", "B", "B - A", "95% CI of B - A"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for m in result.metrics:
        lo, hi = m.ci
        style = "green" if lo > 0 else "red" if hi < 0 else None
        table.add_row(m.metric, _pct(m.a), _pct(m.b), f"{100 * m.diff:+.1f} pts",
                      f"[{100 * lo:+.1f}, {100 * hi:+.1f}]", style=style)
    out.print(table)
    out.print(f"flips: solved -> unsolved {len(result.flips_solved_to_unsolved)}, "
              f"unsolved -> solved {len(result.flips_unsolved_to_solved)}")
    if result.flips_solved_to_unsolved:
        out.print(f"  lost:   {_ids(result.flips_solved_to_unsolved)}", highlight=False)
    if result.flips_unsolved_to_solved:
        out.print(f"  gained: {_ids(result.flips_unsolved_to_solved)}", highlight=False)
    if result.only_in_a or result.only_in_b:
        out.print(f"only in A ({len(result.only_in_a)}): {_ids(result.only_in_a)}", highlight=False)
        out.print(f"only in B ({len(result.only_in_b)}): {_ids(result.only_in_b)}", highlight=False)
    for w in result.warnings:
        console.print(f"[yellow]warning:[/] {w}")


# --- contamination --------------------------------------------------------------------------------


@app.command("contamination", rich_help_panel="Evaluation")
def contamination_cmd(
    train: Path = typer.Argument(..., help="Training file (.jsonl, .json, .csv, .tsv, .parquet or a saved dataset dir)."),
    evals: list[Path] = typer.Argument(..., help="One or more eval files; each is reported as its own set."),
    train_field: Optional[str] = typer.Option(None, "--train-field", help="Text field(s) of TRAIN, comma-separated (default: prompt, question, problem, text or messages)."),
    eval_field: Optional[str] = typer.Option(None, "--eval-field", help="Text field(s) of the eval files (same default)."),
    ngram: int = typer.Option(13, "--ngram", "-n", help="n-gram length in words."),
    threshold: float = typer.Option(0.02, "--threshold", help="Flag an eval set whose contaminated fraction exceeds this."),
    min_overlap: float = typer.Option(0.0, "--min-overlap", help="An item counts only when more than this fraction of its n-grams is in TRAIN (0: any)."),
    near_dup: float = typer.Option(0.8, "--near-dup", help="Estimated Jaccard (word 5-gram shingles) at which an item is a near duplicate."),
    count_near: bool = typer.Option(False, "--count-near-duplicates", help="Count near duplicates as contaminated (flag and --write-clean)."),
    write_clean: Optional[Path] = typer.Option(None, "--write-clean", help="Write TRAIN without the rows that overlap a contaminated eval item."),
    out_path: Optional[Path] = typer.Option(None, "--out", help="Also write the report as JSON here (e.g. runs/x/contamination.json)."),
    fail: bool = typer.Option(False, "--fail-on-contamination", help="Exit 1 when any eval set is flagged."),
    show: int = typer.Option(10, "--show", help="Offending items listed per eval set."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """n-gram, exact and near-duplicate overlap between training and eval texts.

    Example: rlvr contamination train.jsonl gsm8k_test.jsonl --write-clean train.clean.jsonl
    """
    from rich.table import Table

    from rlvr.data.contamination import ContaminationConfig, check_contamination
    from rlvr.io import write_json

    cfg = ContaminationConfig(n=ngram, threshold=threshold, min_overlap=min_overlap, near_dup_threshold=near_dup,
                              count_near_duplicates=count_near)
    with console.status("checking contamination") as status:
        report = check_contamination(train, evals, cfg, train_field=train_field, eval_field=eval_field,
                                     write_clean=write_clean, progress=lambda s: status.update(s))
    if out_path is not None:
        write_json(out_path, report.to_dict())
    if as_json:
        _print_json(report.to_dict())
    else:
        table = Table(title=f"{report.train} ({report.n_train} rows, field {report.train_field}) vs eval sets; "
                      f"{ngram}-grams, flag above {_pct(threshold)}", title_justify="left")
        for col in ("eval set", "items", "contaminated", "fraction", f"{ngram}-gram", "exact", "near dup", "flag"):
            table.add_column(col, justify="left" if col == "eval set" else "right")
        for es in report.eval_sets:
            table.add_row(Path(es.path).name, str(es.n_items), str(es.n_contaminated), _pct(es.contaminated_fraction),
                          str(es.n_ngram), str(es.n_exact), str(es.n_near_duplicates),
                          "[bold red]FLAGGED[/]" if es.flagged else "ok")
        out.print(table)
        for es in report.eval_sets:
            for it in es.items[:show]:
                how = "exact" if it["exact"] else f"{_pct(it['ngram_overlap'])} of n-grams"
                out.print(f"  {Path(es.path).name} #{it['index']} (id {it['id']}, {how}; train id {it['train_id']}): "
                          f"{it['text']}", highlight=False, soft_wrap=True)
            listed = {it["index"] for it in es.items[:show]}
            near = [it for it in es.near_duplicate_items if it["index"] not in listed]
            for it in near[: max(0, show - len(listed))]:
                out.print(f"  {Path(es.path).name} #{it['index']} (id {it['id']}, near duplicate J={it['jaccard']:.2f} of "
                          f"train id {it['train_id']}): {it['text']}", highlight=False, soft_wrap=True)
            for w in es.warnings:
                console.print(f"[yellow]warning ({Path(es.path).name}):[/] {w}")
        out.print(f"{report.n_train_overlapping} training rows overlap a contaminated eval item"
                  + (f"; wrote {report.n_train_clean} clean rows to {report.clean_path}" if report.clean_path else "")
                  + f" ({report.wall_s:.1f} s)")
    if fail and report.flagged:
        raise SystemExit(1)  # not typer.Exit: with standalone_mode=False typer would return the code


# --- audit ----------------------------------------------------------------------------------------


@app.command("audit", rich_help_panel="Evaluation")
def audit_cmd(
    kind: str = typer.Argument(..., help="math or code: audit a verifier on generated cases; slice: draw eval samples "
                                         "for a human review; score: score the verifier on a reviewed file."),
    target: Optional[Path] = typer.Argument(None, help="slice: the run directory; score: the reviewed JSONL."),
    data: Optional[Path] = typer.Option(None, "--data", help="math: JSONL with a gold answer per row."),
    gold_field: str = typer.Option("answer", "--gold-field", help="math: the field holding the gold answer."),
    benchmark: Optional[str] = typer.Option(None, "--benchmark", help="code: a builtin benchmark (humaneval)."),
    problems: Optional[Path] = typer.Option(None, "--problems", help="code: HumanEval-format problems JSONL."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Audit only the first N problems / rows."),
    workers: int = typer.Option(2, "--workers", help="code: sandbox workers."),
    timeout: float = typer.Option(3.0, "--timeout", help="code: seconds per sample."),
    hostile_problems: int = typer.Option(1, "--hostile-problems", help="code: problems each hostile completion is tried on."),
    min_recall: float = typer.Option(0.99, "--min-recall", help="Exit 1 when recall is below this."),
    min_precision: float = typer.Option(0.99, "--min-precision", help="Exit 1 when precision is below this."),
    out_path: Optional[Path] = typer.Option(None, "--out", help="math/code: write audit.json here; slice: the review "
                                                                "folder (default RUN_DIR/review); score: write the scores here."),
    size: int = typer.Option(50, "--size", help="slice: samples to draw."),
    seed: int = typer.Option(0, "--seed", help="slice: seed of the draw."),
    overwrite: bool = typer.Option(False, "--overwrite", help="slice: replace a review.jsonl that holds verdicts."),
    as_json: bool = typer.Option(False, "--json", help="Print the audit as JSON."),
) -> None:
    """Check a verifier on known-correct and known-wrong outputs before trusting it as a reward, or
    have a human check it where it is least trustworthy (slice, then score).

    Example: rlvr audit math --data eval.jsonl --out runs/x/audit.json
    Example: rlvr audit slice runs/x --size 50  (then open runs/x/review/review.html)
    Example: rlvr audit score reviewed.jsonl --json
    """
    from rlvr.errors import DatasetError, VerifyError
    from rlvr.eval import audit
    from rlvr.io import read_jsonl, write_json

    if kind in ("slice", "score"):
        if target is None:
            raise DatasetError(f"`rlvr audit {kind}` needs " + ("a run directory: rlvr audit slice runs/<name>"
                               if kind == "slice" else "a reviewed JSONL: rlvr audit score reviewed.jsonl") + ".")
        _audit_review(kind, target, size, seed, out_path, overwrite, as_json)
        return
    if target is not None:
        raise VerifyError(f"`rlvr audit {kind}` takes no positional path (got {target}); use --data or --problems.")
    if kind == "math":
        if data is None:
            raise DatasetError("`rlvr audit math` needs --data FILE.jsonl with a gold answer per row (--gold-field).")
        rows = read_jsonl(data)[:limit]
        report = audit.audit_math(rows, gold_field=gold_field, min_recall=min_recall, min_precision=min_precision,
                                  progress=not as_json, source=str(data))
    elif kind == "code":
        probs = audit.load_code_problems(benchmark, problems)
        if limit:
            probs = dict(list(probs.items())[:limit])
        with console.status(f"running {len(probs)} problems through the code verifier"):
            report = audit.audit_code(probs, workers=workers, timeout=timeout, hostile_problems=hostile_problems,
                                      min_recall=min_recall, min_precision=min_precision)
    else:
        raise VerifyError(f"unknown verifier {kind!r}; `rlvr audit` knows math, code, slice and score.")
    if out_path is not None:
        write_json(out_path, report.to_dict())
    if as_json:
        _print_json(report.to_dict())
    else:
        _render_audit(report)
    if not report.ok:
        raise SystemExit(1)  # not typer.Exit: with standalone_mode=False typer would return the code


def _render_audit(report) -> None:
    from rich.table import Table

    table = Table(title=f"{report.kind} verifier audit on {report.n_problems} problems ({report.wall_s:.1f} s)",
                  title_justify="left")
    for col in ("category", "expect", "n", "accepted", "rejected", "unverifiable", "wrong"):
        table.add_column(col, justify="left" if col in ("category", "expect") else "right", no_wrap=col == "category")
    for c in report.categories:
        table.add_row(c.category, c.expect, str(c.n), str(c.accepted), str(c.rejected), str(c.unverifiable),
                      str(c.wrong), style="red" if c.wrong else None)
    out.print(table)
    verdict = "[green]OK[/]" if report.ok else "[bold red]BELOW THRESHOLD[/]"
    out.print(f"recall {_pct(report.recall)} {_ci(report.recall_ci)} (min {_pct(report.min_recall)}), "
              f"precision {_pct(report.precision)} {_ci(report.precision_ci)} (min {_pct(report.min_precision)}): {verdict}")
    for c in report.categories:
        for ex in c.examples[:2]:
            out.print(f"  {c.category}: expected {c.expect}, got {ex['status']} for {ex['completion'][:80]!r} "
                      f"(gold {ex['gold']!r}, id {ex['id']})", highlight=False, soft_wrap=True)
    for note in report.notes:
        console.print(f"[yellow]note:[/] {note}")


def _audit_review(kind: str, target: Path, size: int, seed: int, out_path: Optional[Path], overwrite: bool,
                  as_json: bool) -> None:
    """`audit slice` / `audit score` (rlvr.monitor.review)."""
    from rich.table import Table

    from rlvr.io import write_json
    from rlvr.monitor.review import score_review, write_slice

    if kind == "slice":
        result = write_slice(target, size=size, seed=seed, out_dir=out_path, overwrite=overwrite)
        if as_json:
            _print_json(result.to_dict())
            return
        table = Table(title=f"{result.size} of {result.n_samples} samples from {result.run_dir} (seed {seed})",
                      title_justify="left")
        for col in ("slice", "samples in slice", "drawn"):
            table.add_column(col, justify="left" if col == "slice" else "right")
        for name, n in result.pools.items():
            table.add_row(name, str(n), str(result.selected.get(name, 0)))
        out.print(table)
        out.print(f"review file: {result.review_jsonl}\nreview page: {result.review_html} (mark each card, download "
                  "reviewed.jsonl, then `rlvr audit score reviewed.jsonl`)", highlight=False)
        return
    report = score_review(target)
    if out_path is not None:
        write_json(out_path, report)
    if as_json:
        _print_json(report)
        return
    table = Table(title=f"verifier vs human verdicts in {target} ({report['n_rows']} rows)", title_justify="left")
    for col in ("slice", "rows", "decided", "precision [95% CI]", "recall [95% CI]", "agreement", "unsure", "unreviewed"):
        table.add_column(col, justify="left" if col == "slice" else "right")
    for name, c in [("overall", report["overall"]), *report["slices"].items()]:
        def rate(key):
            return "n/a" if c[key] is None else f"{_pct(c[key])} {_ci(c[key + '_ci'])}"
        table.add_row(name, str(c["n"]), str(c["decided"]), rate("precision"), rate("recall"),
                      "n/a" if c["agreement"] is None else _pct(c["agreement"]), str(c["unsure"]), str(c["unreviewed"]),
                      style="bold" if name == "overall" else None)
    out.print(table)
    for note in report["notes"]:
        console.print(f"[yellow]note:[/] {note}")
