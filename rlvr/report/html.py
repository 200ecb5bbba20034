"""Render a Document as one self-contained HTML page: inline CSS, figures as base64 data URIs,
no scripts, fonts or any other external asset, so the file can be mailed or archived as is."""

from __future__ import annotations

import base64
import html
import re

from rlvr.report.document import Bullets, Callout, Card, Code, Details, Document, Figure, Para, Section, Table

CSS = """
:root { --ink:#1f2937; --muted:#6b7280; --line:#e5e7eb; --bg:#f8fafc; --accent:#2563eb;
        --good:#047857; --good-bg:#ecfdf5; --bad:#b91c1c; --bad-bg:#fef2f2; --warn:#b45309; --warn-bg:#fffbeb;
        --info-bg:#eff6ff; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.55 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color:var(--ink); background:var(--bg); }
header { background:#0f172a; color:#f8fafc; padding:28px 0 22px; }
.wrap { max-width:1040px; margin:0 auto; padding:0 28px; }
header h1 { margin:0 0 6px; font-size:26px; letter-spacing:-0.01em; }
header .eyebrow { text-transform:uppercase; letter-spacing:.08em; font-size:11px; color:#94a3b8; margin-bottom:4px; }
header .facts { color:#cbd5e1; font-size:13.5px; }
header .facts span { margin-right:18px; white-space:nowrap; }
header .facts b { color:#f1f5f9; font-weight:600; }
.cards { display:grid; grid-template-columns:repeat(auto-fit, minmax(170px, 1fr)); gap:12px; margin:-2px 0 8px; padding-top:20px; }
.card { background:#fff; border:1px solid var(--line); border-left:4px solid #cbd5e1; border-radius:8px; padding:12px 14px; }
.card .t { font-size:11.5px; text-transform:uppercase; letter-spacing:.06em; color:var(--muted); }
.card .v { font-size:20px; font-weight:650; margin:2px 0; }
.card .n { font-size:12.5px; color:var(--muted); }
.card.good { border-left-color:var(--good); } .card.good .v { color:var(--good); }
.card.bad { border-left-color:var(--bad); } .card.bad .v { color:var(--bad); }
.card.warn { border-left-color:#f59e0b; } .card.warn .v { color:var(--warn); }
nav.toc { margin:14px 0 4px; font-size:13.5px; }
nav.toc a { color:var(--accent); text-decoration:none; margin-right:14px; white-space:nowrap; }
nav.toc a.empty { color:#9ca3af; }
section { background:#fff; border:1px solid var(--line); border-radius:10px; padding:6px 24px 14px; margin:16px 0; }
section.empty { background:transparent; border-style:dashed; }
section h2 { font-size:18px; margin:14px 0 10px; padding-bottom:6px; border-bottom:1px solid var(--line); }
section.empty h2 { color:var(--muted); border-bottom:none; }
p { margin:8px 0; } p.muted { color:var(--muted); font-size:13.5px; }
code { font:12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background:#f1f5f9;
       padding:1px 4px; border-radius:4px; }
pre { background:#0f172a; color:#e2e8f0; padding:12px 14px; border-radius:8px; overflow-x:auto; }
pre code { background:none; color:inherit; padding:0; }
table { border-collapse:collapse; width:100%; margin:8px 0 12px; font-size:13.5px; }
.tbl { overflow-x:auto; }
table.kv { width:auto; min-width:440px; } table.kv td:first-child { padding-right:36px; }
caption { caption-side:top; text-align:left; font-size:12.5px; color:var(--muted); padding-bottom:4px; }
th { text-align:left; font-weight:600; color:#374151; background:#f9fafb; border-bottom:2px solid var(--line); padding:6px 10px; }
td { border-bottom:1px solid var(--line); padding:5px 10px; vertical-align:top; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; } td.num { white-space:nowrap; }
tr:last-child td { border-bottom:none; }
figure { margin:10px 0 16px; }
figure img { width:100%; height:auto; border:1px solid var(--line); border-radius:6px; }
figcaption { font-size:12.5px; color:var(--muted); margin-top:4px; }
.callout { border-radius:8px; padding:9px 13px; margin:10px 0; font-size:14px; background:var(--info-bg); }
.callout.good { background:var(--good-bg); color:#065f46; } .callout.bad { background:var(--bad-bg); color:#991b1b; }
.callout.warn { background:var(--warn-bg); color:#92400e; }
details { margin:8px 0; } summary { cursor:pointer; color:var(--accent); font-size:14px; }
ul { margin:6px 0 10px; padding-left:22px; } li { margin:2px 0; }
footer { color:var(--muted); font-size:12px; padding:10px 0 40px; }
"""


def inline(text: str) -> str:
    """Escape, then turn `code` and **bold** into tags."""
    out = html.escape(str(text), quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", out)


def _data_uri(path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _table(t: Table) -> str:
    cls = lambda i: ' class="num"' if i in t.numeric_cols else ""  # noqa: E731
    head = "".join(f"<th{cls(i)}>{inline(h)}</th>" for i, h in enumerate(t.headers))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{inline(c)}</td>" for i, c in enumerate(row)) + "</tr>"
                   for row in t.rows)
    caption = f"<caption>{inline(t.caption)}</caption>" if t.caption else ""
    table = '<table class="kv">' if t.compact else "<table>"
    return f'<div class="tbl">{table}{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _blocks(blocks: list) -> str:
    parts = []
    for b in blocks:
        if isinstance(b, Para):
            parts.append(f'<p class="muted">{inline(b.text)}</p>' if b.muted else f"<p>{inline(b.text)}</p>")
        elif isinstance(b, Callout):
            parts.append(f'<div class="callout {b.tone}">{inline(b.text)}</div>')
        elif isinstance(b, Bullets):
            parts.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in b.items) + "</ul>")
        elif isinstance(b, Table):
            parts.append(_table(b))
        elif isinstance(b, Figure):
            alt = html.escape(b.caption)
            parts.append(f'<figure><img src="{_data_uri(b.path)}" alt="{alt}"><figcaption>{inline(b.caption)}'
                         "</figcaption></figure>")
        elif isinstance(b, Code):
            parts.append(f"<pre><code>{html.escape(b.text)}</code></pre>")
        elif isinstance(b, Details):
            parts.append(f"<details><summary>{inline(b.summary)}</summary>{_blocks(b.blocks)}</details>")
    return "\n".join(parts)


def _card(c: Card) -> str:
    note = f'<div class="n">{inline(c.note)}</div>' if c.note else ""
    return f'<div class="card {c.tone}"><div class="t">{inline(c.title)}</div><div class="v">{inline(c.value)}</div>{note}</div>'


def _section(s: Section) -> str:
    cls = ' class="empty"' if s.empty else ""
    return f'<section id="{html.escape(s.id)}"{cls}><h2>{inline(s.title)}</h2>\n{_blocks(s.blocks)}\n</section>'


def render_html(doc: Document, footer: str = "") -> str:
    facts = "".join(f"<span>{inline(k)}: <b>{inline(v)}</b></span>" for k, v in doc.facts)
    empty = ' class="empty"'
    toc = "".join(f'<a href="#{html.escape(s.id)}"{empty if s.empty else ""}>{inline(s.title)}</a>'
                  for s in doc.sections)
    cards = f'<div class="cards">{"".join(_card(c) for c in doc.cards)}</div>' if doc.cards else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(doc.title)}</title>
<style>{CSS}</style></head>
<body>
<header><div class="wrap"><div class="eyebrow">rlvr run report</div><h1>{inline(doc.title)}</h1>
<div class="facts">{facts}</div></div></header>
<main class="wrap">
{cards}
<nav class="toc">{toc}</nav>
{"".join(_section(s) for s in doc.sections)}
<footer>{inline(footer)}</footer>
</main>
</body></html>
"""
