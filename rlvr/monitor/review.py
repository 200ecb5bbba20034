"""Human-audit slices: the eval samples most worth a human look, and the verifier scored on the verdicts.

A verifier's audit on generated cases (`rlvr audit math|code`) says how it treats the mistakes we
thought of; a human reading real outputs finds the ones we did not. Reading is expensive, so the
slice spends it where the verifier is least trustworthy:

  disagreement     math-verify (the row's `passed`), exact match of the extracted answer, and numeric
                   closeness (rlvr.rewards.math.closeness == 1) do not all agree
  unverifiable     status timeout / error / unverifiable, or no decision (`passed` is null)
  suspicious_pass  passed, but very short, or showing a reward-hack pattern (rlvr.monitor.patterns)
  random           a uniform control drawn from everything not already picked

A sample belongs to the first slice above that claims it (the others are kept in `slices`). The
random control gets CONTROL_SHARE of the size; the rest is split over the non-empty targeted slices
in proportion to their sizes, each getting at least one; what a slice cannot fill goes to the
others, then to the control. Draws use one seeded generator, so a seed reproduces a review.

Scoring takes the human verdict as ground truth (correct = positive) and the verifier's `passed`
as its prediction: precision = accepted and correct / accepted, recall = accepted and correct /
correct, with Wilson intervals, overall and per slice. Only the `random` slice estimates the whole
population: the targeted slices oversample the verifier's weak spots by design.
"""

from __future__ import annotations

import html
import json
import os
import random
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from rlvr.errors import DatasetError, RunDirError
from rlvr.eval.metrics import normalize_answer, wilson_interval
from rlvr.io import atomic_write, iter_jsonl, read_jsonl, write_jsonl
from rlvr.monitor.patterns import detect, tokens
from rlvr.rewards.math import _as_number, closeness

SLICES = ("disagreement", "unverifiable", "suspicious_pass", "random")
VERDICTS = ("correct", "incorrect", "unsure")
CONTROL_SHARE = 0.2
SHORT_TOKENS = 2  # a pass this short (or under a quarter of the median passing length) is suspicious
SAMPLE_FIELDS = ("id", "eval", "sample_index", "prompt", "completion", "answer", "extracted", "status", "passed",
                 "detail")


# --- reading a run ----------------------------------------------------------------------------------

def load_run_samples(run_dir: str | os.PathLike) -> list[dict]:
    """Every eval/**/samples.jsonl row of a run, each with `eval` = its folder under eval/."""
    root = Path(run_dir)
    if not root.is_dir():
        raise RunDirError(f"{root}: not a directory. `rlvr audit slice` needs a run directory (runs/<name>/) "
                          "with eval/<label>/samples.jsonl from `rlvr train` or `rlvr eval`.")
    files = sorted((root / "eval").rglob("samples.jsonl")) if (root / "eval").is_dir() else []
    if not files:
        raise DatasetError(f"{root}: no eval/**/samples.jsonl found. Evaluate first (`rlvr train` evaluates after "
                           "each stage; or `rlvr eval --model ... --out RUN_DIR/eval/<label>`).")
    rows = []
    for path in files:
        label = path.parent.relative_to(root / "eval").as_posix()
        for lineno, row in iter_jsonl(path):
            if "completion" not in row:
                raise DatasetError(f"{path}, line {lineno}: no 'completion' field; eval samples need id, prompt, "
                                   "completion, answer, passed (see docs/run-dir.md).")
            rows.append({**row, "eval": label})
    return rows


# --- what makes a sample worth a look ---------------------------------------------------------------

def judges(row: dict) -> dict:
    """Three verdicts on one sample: math-verify (the row's own), exact match, numeric closeness."""
    mv = row.get("passed")
    gold, pred = normalize_answer(row.get("answer")), normalize_answer(row.get("extracted"))
    exact = pred is not None and pred == gold
    gold_num = _as_number(row.get("answer"))
    numeric = None if gold_num is None else closeness(_as_number(row.get("extracted")), gold_num) >= 1.0
    return {"math_verify": mv if isinstance(mv, bool) else None, "exact": exact, "numeric": numeric}


def disagrees(j: dict) -> bool:
    decided = {v for v in j.values() if v is not None}
    return len(decided) > 1


def flags(row: dict, short_limit: float) -> list[str]:
    """Suspicious features of a completion: 'short' and any reward-hack pattern."""
    text = str(row.get("completion") or "")
    found = sorted(detect(text, str(row.get("prompt") or ""), "auto"))
    if text.strip() and len(tokens(text)) <= short_limit:
        found.insert(0, "short")
    return found


def is_unverifiable(row: dict) -> bool:
    return row.get("status") in ("timeout", "error", "unverifiable") or not isinstance(row.get("passed"), bool)


def classify(rows: list[dict]) -> list[dict]:
    """Each row with `judges`, `flags`, `slices` (every targeted slice it belongs to)."""
    passing = [len(tokens(str(r.get("completion") or ""))) for r in rows if r.get("passed") is True]
    short_limit = max(SHORT_TOKENS, 0.25 * statistics.median(passing)) if passing else SHORT_TOKENS
    out = []
    for r in rows:
        j, f = judges(r), flags(r, short_limit)
        slices = []
        if disagrees(j):
            slices.append("disagreement")
        if is_unverifiable(r):
            slices.append("unverifiable")
        if r.get("passed") is True and f:
            slices.append("suspicious_pass")
        out.append({**r, "judges": j, "flags": f, "slices": slices})
    return out


# --- drawing the slice ------------------------------------------------------------------------------

def allocate(capacity: dict[str, int], budget: int) -> dict[str, int]:
    """Split `budget` over pools in proportion to their sizes, at least one per non-empty pool (in
    the given order while the budget lasts), never more than a pool holds."""
    alloc = {k: 0 for k in capacity}
    for k in capacity:
        if budget > 0 and capacity[k] > 0:
            alloc[k], budget = 1, budget - 1
    while budget > 0:
        open_ = [k for k in capacity if alloc[k] < capacity[k]]
        if not open_:
            break
        total = sum(capacity[k] for k in open_)
        exact = {k: budget * capacity[k] / total for k in open_}
        give = {k: min(capacity[k] - alloc[k], int(exact[k])) for k in open_}
        if not any(give.values()):  # shares under one: largest remainders first, then bigger pools
            for k in sorted(open_, key=lambda k: (-(exact[k] % 1), -capacity[k])):
                if budget == 0:
                    break
                alloc[k], budget = alloc[k] + 1, budget - 1
            continue
        for k in open_:
            alloc[k] += give[k]
            budget -= give[k]
    return alloc


@dataclass
class SliceResult:
    run_dir: str
    out_dir: str
    review_jsonl: str
    review_html: str
    seed: int
    size: int
    n_samples: int
    pools: dict[str, int] = field(default_factory=dict)  # samples in each slice (first claim)
    selected: dict[str, int] = field(default_factory=dict)  # drawn into the review from each

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _key(r: dict) -> tuple:
    return (str(r.get("eval")), str(r.get("id")), int(r.get("sample_index") or 0))


def draw_slices(rows: list[dict], size: int = 50, seed: int = 0) -> tuple[list[dict], dict[str, int]]:
    """(review rows in slice order, pool sizes). Rows must come from `classify`."""
    if size < 1:
        raise DatasetError(f"--size must be at least 1 (got {size}).")
    rows = sorted(rows, key=_key)
    pools: dict[str, list[dict]] = {s: [] for s in SLICES[:-1]}
    for r in rows:
        if r["slices"]:
            pools[r["slices"][0]].append(r)
    size = min(size, len(rows))
    control = max(1, round(size * CONTROL_SHARE)) if size >= 2 else 0
    quota = allocate({k: len(v) for k, v in pools.items()}, size - control)
    rng = random.Random(seed)
    picked: list[dict] = []
    chosen: set[tuple] = set()
    for name, pool in pools.items():
        for r in rng.sample(pool, quota[name]):
            picked.append({**r, "slice": name})
            chosen.add(_key(r))
    rest = [r for r in rows if _key(r) not in chosen]
    for r in rng.sample(rest, min(len(rest), size - len(picked))):
        picked.append({**r, "slice": "random"})
    order = {s: i for i, s in enumerate(SLICES)}
    picked.sort(key=lambda r: (order[r["slice"]], _key(r)))
    review = []
    for i, r in enumerate(picked):
        row = {"review_id": f"r{i + 1:04d}", "slice": r["slice"], "slices": r["slices"]}
        row.update({k: r.get(k) for k in SAMPLE_FIELDS})
        row.update({"judges": r["judges"], "flags": r["flags"], "human_verdict": None, "notes": ""})
        review.append(row)
    sizes = {k: len(v) for k, v in pools.items()}
    sizes["random"] = len(rows) - sum(sizes.values())
    return review, sizes


def write_slice(run_dir: str | os.PathLike, size: int = 50, seed: int = 0, out_dir: str | os.PathLike | None = None,
                overwrite: bool = False) -> SliceResult:
    """Draw a review slice from a run's eval samples into OUT/review.jsonl and OUT/review.html."""
    run_dir = Path(run_dir)
    out = Path(out_dir) if out_dir is not None else run_dir / "review"
    target = out / "review.jsonl"
    if target.exists() and not overwrite:
        try:
            reviewed = sum(1 for _, r in iter_jsonl(target) if r.get("human_verdict") is not None)
        except DatasetError:
            reviewed = 0
        if reviewed:
            raise RunDirError(f"{target} already holds {reviewed} human verdict(s). Score it (`rlvr audit score "
                              f"{target}`), move it away, choose another --out, or pass --overwrite.")
    review, sizes = draw_slices(classify(load_run_samples(run_dir)), size=size, seed=seed)
    write_jsonl(target, review)
    html_path = out / "review.html"
    with atomic_write(html_path) as f:
        f.write(render_review_html(review, title=f"Review of {run_dir.name} ({len(review)} samples, seed {seed})"))
    selected = {s: sum(r["slice"] == s for r in review) for s in SLICES}
    return SliceResult(run_dir=str(run_dir), out_dir=str(out), review_jsonl=str(target), review_html=str(html_path),
                       seed=seed, size=len(review), n_samples=sum(sizes.values()), pools=sizes, selected=selected)


# --- the review page --------------------------------------------------------------------------------

_CSS = """
body{font:15px/1.45 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#111}
.card{border:1px solid #d4d4d8;border-radius:8px;padding:1em 1.2em;margin:1.2em 0}
.card.done{border-color:#059669;background:#f0fdf4}
.badge{display:inline-block;padding:.1em .6em;border-radius:999px;background:#e0e7ff;font-size:.85em;margin-right:.4em}
pre{white-space:pre-wrap;background:#f4f4f5;padding:.6em .8em;border-radius:6px;margin:.3em 0}
textarea{width:100%;min-height:2.5em} label{margin-right:1.2em} .muted{color:#666;font-size:.9em}
#bar{position:sticky;top:0;background:#fff;padding:.6em 0;border-bottom:1px solid #ddd}
button{font-size:1em;padding:.4em 1em}
"""

_JS = """
const rows = JSON.parse(document.getElementById('rows').textContent);
const KEY = 'rlvr-review:' + document.title;
function collect() {
  return rows.map((r, i) => {
    const v = document.querySelector('input[name="v' + i + '"]:checked');
    return Object.assign({}, r, {human_verdict: v ? v.value : null, notes: document.getElementById('n' + i).value});
  });
}
function refresh() {
  const filled = collect();
  filled.forEach((r, i) => document.getElementById('c' + i).classList.toggle('done', r.human_verdict !== null));
  document.getElementById('count').textContent = filled.filter(r => r.human_verdict !== null).length + ' / ' + rows.length + ' reviewed';
  try { localStorage.setItem(KEY, JSON.stringify(filled.map(r => [r.human_verdict, r.notes]))); } catch (e) {}
}
function restore() {
  let saved = null;
  try { saved = JSON.parse(localStorage.getItem(KEY) || 'null'); } catch (e) {}
  rows.forEach((r, i) => {
    const [v, n] = saved && saved[i] ? saved[i] : [r.human_verdict, r.notes];
    if (v) { const el = document.querySelector('input[name="v' + i + '"][value="' + v + '"]'); if (el) el.checked = true; }
    document.getElementById('n' + i).value = n || '';
  });
}
function download() {
  const text = collect().map(r => JSON.stringify(r)).join('\\n') + '\\n';
  const a = document.createElement('a');
  a.href = 'data:application/x-ndjson;charset=utf-8,' + encodeURIComponent(text);
  a.download = 'reviewed.jsonl';
  document.body.appendChild(a); a.click(); a.remove();
}
document.addEventListener('change', refresh);
document.addEventListener('input', refresh);
restore(); refresh();
"""


def _pre(text) -> str:
    return f"<pre>{html.escape('' if text is None else str(text))}</pre>"


def render_review_html(review: list[dict], title: str = "rlvr review") -> str:
    """A static, self-contained page: one card per sample with correct / incorrect / unsure and a
    notes field, kept in the browser's localStorage, and a button that downloads the filled JSONL.
    The verifier's view is folded away so it does not anchor the reviewer's judgement."""
    cards = []
    for i, r in enumerate(review):
        radios = "".join(f'<label><input type="radio" name="v{i}" value="{v}"> {v}</label>' for v in VERDICTS)
        judge = ", ".join(f"{k}: {v}" for k, v in (r.get("judges") or {}).items())
        cards.append(
            f'<div class="card" id="c{i}"><div><span class="badge">{html.escape(r["slice"])}</span>'
            f'<b>{html.escape(r["review_id"])}</b> <span class="muted">eval {html.escape(str(r.get("eval")))} · id '
            f'{html.escape(str(r.get("id")))} · sample {html.escape(str(r.get("sample_index")))}</span></div>'
            f"<div class=muted>Prompt</div>{_pre(r.get('prompt'))}"
            f"<div class=muted>Completion</div>{_pre(r.get('completion'))}"
            f"<div class=muted>Gold answer</div>{_pre(r.get('answer'))}"
            f"<details><summary class=muted>Verifier's view (open after judging)</summary>"
            f"<div class=muted>status {html.escape(str(r.get('status')))} · passed {html.escape(str(r.get('passed')))}"
            f" · extracted {html.escape(str(r.get('extracted')))} · {html.escape(judge)}"
            f" · flags {html.escape(', '.join(r.get('flags') or []) or 'none')}"
            f" · {html.escape(str(r.get('detail') or ''))}</div></details>"
            f"<p>Is the completion's final answer correct for the prompt? {radios}</p>"
            f'<textarea id="n{i}" placeholder="notes (optional)"></textarea></div>')
    data = json.dumps(review, ensure_ascii=False).replace("</", "<\\/")
    return (f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>"
            "<p>For each card decide, from the prompt and the gold answer alone, whether the completion's final "
            "answer is right. Your marks are kept in this browser; when done, download the file and run "
            "<code>rlvr audit score reviewed.jsonl</code>.</p>"
            '<div id="bar"><button onclick="download()">Download reviewed.jsonl</button> '
            '<span id="count"></span></div>' + "".join(cards)
            + f'<script type="application/json" id="rows">{data}</script><script>{_JS}</script></body></html>')


# --- scoring the verifier ---------------------------------------------------------------------------

def _rate(hits: int, n: int) -> tuple[float | None, list[float] | None]:
    if n == 0:
        return None, None
    return hits / n, [round(x, 6) for x in wilson_interval(hits, n)]


def confusion(rows: list[dict]) -> dict:
    """Precision and recall of the verifier (passed) against human verdicts (correct = positive)."""
    decided = [r for r in rows if r.get("human_verdict") in ("correct", "incorrect") and isinstance(r.get("passed"), bool)]
    tp = sum(r["passed"] and r["human_verdict"] == "correct" for r in decided)
    fp = sum(r["passed"] and r["human_verdict"] == "incorrect" for r in decided)
    fn = sum(not r["passed"] and r["human_verdict"] == "correct" for r in decided)
    tn = len(decided) - tp - fp - fn
    precision, precision_ci = _rate(tp, tp + fp)
    recall, recall_ci = _rate(tp, tp + fn)
    agreement, agreement_ci = _rate(tp + tn, len(decided))
    return {"n": len(rows), "decided": len(decided),
            "unsure": sum(r.get("human_verdict") == "unsure" for r in rows),
            "unreviewed": sum(r.get("human_verdict") is None for r in rows),
            "verifier_undecided": sum(r.get("human_verdict") in ("correct", "incorrect")
                                      and not isinstance(r.get("passed"), bool) for r in rows),
            "tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": precision, "precision_ci": precision_ci,
            "recall": recall, "recall_ci": recall_ci, "agreement": agreement, "agreement_ci": agreement_ci}


def read_review(path: str | os.PathLike) -> list[dict]:
    rows = read_jsonl(path, required=("passed", "human_verdict"))
    for i, r in enumerate(rows, start=1):
        v = r["human_verdict"]
        if v is not None and v not in VERDICTS:
            raise DatasetError(f"{path}, row {i} ({r.get('review_id', r.get('id'))}): human_verdict {v!r} is not one of "
                               f"{', '.join(VERDICTS)} or null. Fix the value or re-export it from review.html.")
    if not any(r["human_verdict"] is not None for r in rows):
        raise DatasetError(f"{path}: no row has a human_verdict yet. Open review.html, mark each card correct, "
                           "incorrect or unsure, download reviewed.jsonl, and score that file.")
    return rows


def score_review(path: str | os.PathLike) -> dict:
    """The verifier's precision and recall against the human verdicts in a reviewed JSONL."""
    rows = read_review(path)
    slices = list(dict.fromkeys(str(r.get("slice", "unsliced")) for r in rows))
    order = {s: i for i, s in enumerate(SLICES)}
    slices.sort(key=lambda s: order.get(s, len(order)))
    out = {"source": str(path), "n_rows": len(rows), "overall": confusion(rows),
           "slices": {s: confusion([r for r in rows if str(r.get("slice", "unsliced")) == s]) for s in slices},
           "notes": []}
    if "random" in out["slices"]:
        out["notes"].append("Only the `random` slice estimates the verifier on the whole run; the other slices "
                            "oversample its weak spots, so `overall` understates it.")
    if out["overall"]["unreviewed"]:
        out["notes"].append(f"{out['overall']['unreviewed']} row(s) have no verdict yet and are left out.")
    return out
