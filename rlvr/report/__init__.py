"""`rlvr report RUN_DIR`: report.md and a self-contained report.html from what a run wrote.

    from rlvr.report import write_report
    md_path, html_path = write_report("runs/quickstart")

Reading (collect), statistics (compare), figures (plots) and layout (build -> markdown/html) are
separate modules; a run directory missing any file still gets a report, ending with the list of
what was not found.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rlvr.report.collect import RunData, collect_run

ASSETS_DIR = "report_assets"

__all__ = ["write_report", "make_report", "Report", "collect_run", "RunData", "ASSETS_DIR"]


@dataclass
class Report:
    markdown: Path
    html: Path
    missing: list[str]  # files looked for and not found (relative to the run directory)
    problems: list[str]  # files found but not (fully) readable, with the reason


def write_report(run_dir: str | os.PathLike) -> tuple[Path, Path]:
    """Write `report.md` (figures as PNGs under `report_assets/`) and `report.html` (figures inlined).

    Raises RunDirError only when `run_dir` is not a directory; anything missing inside it is listed
    in the report's "Missing" section instead.
    """
    report = make_report(run_dir)
    return report.markdown, report.html


def make_report(run_dir: str | os.PathLike) -> Report:
    """write_report, also returning what was missing or unreadable (for the CLI)."""
    from rlvr.io import atomic_write
    from rlvr.report.build import build_document
    from rlvr.report.html import render_html
    from rlvr.report.markdown import render_markdown

    run = collect_run(run_dir)
    assets = run.root / ASSETS_DIR
    before = set(assets.glob("*.png")) if assets.is_dir() else set()
    doc = build_document(run, assets)
    produced = {b.path for s in doc.sections for b in _figures(s.blocks)}
    for stale in before - produced:  # figures of a previous report that this one no longer draws
        stale.unlink(missing_ok=True)
    md_path, html_path = run.root / "report.md", run.root / "report.html"
    with atomic_write(md_path) as f:
        f.write(render_markdown(doc, run.root))
    with atomic_write(html_path) as f:
        f.write(render_html(doc, footer=f"Written by `rlvr report {run.root}`."))
    return Report(md_path, html_path, list(run.missing), list(run.problems))


def _figures(blocks):
    from rlvr.report.document import Details, Figure

    for b in blocks:
        if isinstance(b, Figure):
            yield b
        elif isinstance(b, Details):
            yield from _figures(b.blocks)
