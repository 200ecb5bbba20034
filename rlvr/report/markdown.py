"""Render a Document as Markdown; figures are referenced as PNG files relative to the report."""

from __future__ import annotations

import os
from pathlib import Path

from rlvr.report.document import Bullets, Callout, Code, Details, Document, Figure, Para, Section, Table

TONE_MARK = {"good": "✅", "bad": "❌", "warn": "⚠️", "info": "ℹ️", "neutral": ""}


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(t: Table) -> list[str]:
    lines = []
    if t.caption:
        lines += [f"*{t.caption}*", ""]
    lines.append("| " + " | ".join(_cell(h) for h in t.headers) + " |")
    lines.append("|" + "|".join("---:" if i in t.numeric_cols else "---" for i in range(len(t.headers))) + "|")
    for row in t.rows:
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return lines + [""]


def _blocks(blocks: list, base: Path) -> list[str]:
    lines: list[str] = []
    for b in blocks:
        if isinstance(b, Para):
            lines += [f"*{b.text}*" if b.muted else b.text, ""]
        elif isinstance(b, Callout):
            lines += [f"> {TONE_MARK.get(b.tone, '')} {b.text}".replace(">  ", "> "), ""]
        elif isinstance(b, Bullets):
            lines += [f"- {item}" for item in b.items] + [""]
        elif isinstance(b, Table):
            lines += _table(b)
        elif isinstance(b, Figure):
            rel = Path(os.path.relpath(b.path, base)).as_posix()
            lines += [f"![{b.caption}]({rel})", ""]
        elif isinstance(b, Code):
            fence = "````" if "```" in b.text else "```"
            lines += [fence, b.text.rstrip("\n"), fence, ""]
        elif isinstance(b, Details):
            lines += [f"**{b.summary}**", ""] + _blocks(b.blocks, base)
    return lines


def _section(s: Section, base: Path) -> list[str]:
    return [f"## {s.title}", ""] + _blocks(s.blocks, base)


def render_markdown(doc: Document, base: Path) -> str:
    """`base` is the folder report.md lives in, so figure links are relative to it."""
    lines = [f"# {doc.title}", ""]
    lines += [" · ".join(f"**{k}:** {v}" for k, v in doc.facts), ""]
    if doc.cards:
        lines += ["| | |", "|---|---|"]
        for c in doc.cards:
            mark = TONE_MARK.get(c.tone, "")
            value = f"{mark} **{c.value}**".strip()
            lines.append(f"| {_cell(c.title)} | {_cell(value)}{' — ' + _cell(c.note) if c.note else ''} |")
        lines.append("")
    lines += ["Contents: " + " · ".join(f"[{s.title}](#{s.id})" for s in doc.sections), ""]
    for s in doc.sections:
        lines += _section(s, base)
    return "\n".join(lines).rstrip() + "\n"
