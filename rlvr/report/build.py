"""Turn a RunData into a Document: one section per question a reader asks about a run.

Every section renders what exists; one whose files are absent says which file it looked for and
which command writes it. Files this module does not know the shape of (plan, readiness,
contamination, audit, export.json) are shown generically as field/value tables, with a headline
pulled out when a well-known key (`flagged`, `recall`, `passed`, ...) is present, so a new key in
another command's output shows up in the report instead of breaking it.
"""

from __future__ import annotations

import json
import math
import re
import shlex
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from rlvr.report.collect import RunData
from rlvr.report.compare import Gain, consecutive_gains
from rlvr.report.document import (Bullets, Callout, Card, Code, Details, Document, Figure, Para, Section,
                                  Table)

# What writes each file, for the Missing list.
WRITERS = {
    "recipe.yaml": "`rlvr train` (the resolved recipe)",
    "plan.json": "`rlvr plan RECIPE --json`",
    "readiness.json": "`rlvr inspect DATA --json`",
    "metrics.jsonl": "`rlvr train` (one row per logged step)",
    "stages/": "`rlvr train` (checkpoints per stage)",
    "model/": "`rlvr train` (the final model)",
    "eval/<label>/summary.json": "`rlvr eval` (one folder per evaluation)",
    "contamination.json": "`rlvr contamination TRAIN EVAL --json`",
    "audit.json": "`rlvr audit ... --out audit.json`",
    "export/": "`rlvr export gguf RUN_DIR`",
    "export/export.json": "`rlvr export gguf RUN_DIR`",
    "commands.json": "`rlvr train` / `rlvr quickstart` (the exact commands)",
}
MAX_TABLE_ROWS = 15
MAX_FLIP_EXAMPLES = 6


# ---------------------------------------------------------------- formatting
def slug(title: str) -> str:
    """GitHub's heading anchor, so the Markdown contents links work there too."""
    return re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")


def fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value == 0:
            return "0"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.4g}"
    if isinstance(value, list) and all(not isinstance(x, (dict, list)) for x in value):
        text = ", ".join(fmt(x) for x in value)
    else:
        text = str(value) if not isinstance(value, (dict, list)) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 160 else text[:157] + "…"


def pct(p: float | None) -> str:
    if p is None:
        return "—"
    return f"{100 * p:.1f}%" if math.isfinite(p) else "n/a"


def pct_ci(p: float | None, ci) -> str:
    if p is None:
        return "—"
    return f"{pct(p)} [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]" if ci else pct(p)


def pp(d: float | None, ci=None) -> str:
    if d is None:
        return "—"
    text = f"{100 * d:+.1f} pp"
    return f"{text} [{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}]" if ci else text


def size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n} B"


# ---------------------------------------------------------------- generic JSON
def _dict_table(rows: list[dict], caption: str) -> Table:
    columns: list[str] = []
    for row in rows:
        for k in row:
            if k not in columns:
                columns.append(k)
    columns = columns[:8]
    shown = rows[:MAX_TABLE_ROWS]
    note = f" (first {len(shown)} of {len(rows)})" if len(rows) > len(shown) else ""
    return Table(columns, [[fmt(r.get(c)) for c in columns] for r in shown], caption=f"{caption}{note}",
                 compact=len(columns) <= 4)


def json_blocks(obj: Any, skip: tuple[str, ...] = ()) -> list:
    """Field/value table for scalars (nested keys dotted), one table per list of objects."""
    scalars: list[list[str]] = []
    tables: list = []

    def walk(o: Any, key: str, depth: int) -> None:
        if key in skip:
            return
        if isinstance(o, dict) and depth < 3 and o:
            for k, v in o.items():
                walk(v, f"{key}.{k}" if key else str(k), depth + 1)
        elif isinstance(o, list) and o and all(isinstance(x, dict) for x in o):
            tables.append(_dict_table(o, key or "rows"))
        elif isinstance(o, list) and all(not isinstance(x, (dict, list)) for x in o):
            head = ", ".join(fmt(x) for x in o[:20])
            scalars.append([f"`{key}`", head + (f" … (+{len(o) - 20} more)" if len(o) > 20 else "") or "(empty)"])
        else:
            scalars.append([f"`{key or 'value'}`", fmt(o)])

    walk(obj, "", 0)
    out: list = []
    if scalars:
        out.append(Table(["field", "value"], scalars, compact=True))
    return out + tables


def find_key(obj: Any, names: set[str], want: Callable[[Any], bool] = lambda v: True, depth: int = 0):
    """First value (depth-first) under a key in `names` that satisfies `want`."""
    if depth > 4:
        return None
    if isinstance(obj, dict):
        for k, v in obj.items():
            if str(k).lower() in names and want(v):
                return v
        for v in obj.values():
            found = find_key(v, names, want, depth + 1)
            if found is not None:
                return found
    elif isinstance(obj, list):
        for v in obj[:50]:
            found = find_key(v, names, want, depth + 1)
            if found is not None:
                return found
    return None


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _missing_note(*files: str) -> Para:
    parts = [f"`{f}`, written by {WRITERS[f]}" if f in WRITERS else f"`{f}`" for f in files]
    return Para("Not found: " + "; ".join(parts) + ".", muted=True)


# ---------------------------------------------------------------- sections
def recipe_section(run: RunData) -> Section:
    s = Section(slug("Recipe and plan"), "Recipe and plan")
    if run.recipe is not None:
        top = {k: v for k, v in run.recipe.items() if k != "stages"}
        s.blocks += json_blocks(top)
        stages = run.recipe.get("stages")
        if isinstance(stages, list) and any(isinstance(x, dict) for x in stages):
            s.blocks.append(_dict_table([x for x in stages if isinstance(x, dict)], "stages"))
        elif isinstance(stages, dict):
            s.blocks.append(_dict_table([{"name": k, **(v if isinstance(v, dict) else {"value": v})}
                                         for k, v in stages.items()], "stages"))
    if run.recipe_text is not None:
        s.blocks.append(Details("recipe.yaml (resolved, every key)", [Code(run.recipe_text)]))
    if run.plan is not None:
        s.blocks.append(Para("**Plan** (`plan.json`):"))
        s.blocks += json_blocks(run.plan)
    if run.recipe_text is None and run.plan is None:
        s.empty = True
        s.blocks.append(_missing_note("recipe.yaml", "plan.json"))
    elif run.plan is None:
        s.blocks.append(_missing_note("plan.json"))
    return s


def readiness_section(run: RunData) -> Section:
    s = Section(slug("Dataset readiness"), "Dataset readiness")
    r = run.readiness
    if r is None:
        s.empty = True
        s.blocks.append(_missing_note("readiness.json"))
        return s
    ready = find_key(r, {"ready", "ok", "passed"}, lambda v: isinstance(v, bool))
    if ready is not None:
        s.blocks.append(Callout("The data is ready for training." if ready else "The data is **not** ready for "
                                "training: see the issues below.", "good" if ready else "bad"))
    issues = find_key(r, {"issues", "warnings", "problems", "errors"}, lambda v: isinstance(v, list) and bool(v))
    if issues and all(isinstance(x, str) for x in issues):
        s.blocks.append(Bullets(issues[:20]))
    s.blocks += json_blocks(r)
    return s


def _window(values: list[float]) -> int:
    return max(1, min(5, len(values) // 4))


def _start_end(values: list[float]) -> str:
    if not values:
        return "—"
    w = _window(values)
    return f"{fmt(sum(values[:w]) / w)} → {fmt(sum(values[-w:]) / w)}"


def training_glance(run: RunData) -> Table | None:
    columns = [("loss", "loss"), ("reward", "reward"), ("frac_reward_zero_std", "zero-variance groups"),
               ("kl", "KL"), ("completions/mean_length", "mean length"), ("mean_token_accuracy", "token accuracy")]
    present = [(k, label) for k, label in columns if any(_is_num(r.get(k)) for r in run.metrics)]
    rows = []
    for stage in run.stage_names:
        stage_rows = [r for r in run.metrics if str(r.get("stage", "train")) == stage]
        if not stage_rows:
            continue
        steps = [r["step"] for r in stage_rows if _is_num(r.get("step"))]
        runtime = next((r["train_runtime"] for r in reversed(stage_rows) if _is_num(r.get("train_runtime"))), None)
        row = [stage, fmt(max(steps)) if steps else fmt(len(stage_rows)),
               f"{runtime / 60:.1f} min" if runtime is not None else "—"]
        for key, _ in present:
            row.append(_start_end([float(r[key]) for r in stage_rows if _is_num(r.get(key))]))
        rows.append(row)
    if not rows:
        return None
    return Table(["stage", "steps", "time"] + [label for _, label in present], rows,
                 caption="start → end: mean of the first and last few logged values (up to 5)",
                 numeric_cols=(1, 2))


def training_section(run: RunData, assets: Path) -> Section:
    from rlvr.report.plots import plot_training

    s = Section(slug("Training curves"), "Training curves")
    if not run.metrics:
        s.empty = True
        s.blocks.append(_missing_note("metrics.jsonl"))
        if run.stage_dirs:
            s.blocks.append(Para(f"Stage folders present: {', '.join(f'`{d}`' for d in run.stage_dirs)}.", muted=True))
        return s
    glance = training_glance(run)
    if glance:
        s.blocks.append(glance)
    zero = [float(r["frac_reward_zero_std"]) for r in run.metrics if _is_num(r.get("frac_reward_zero_std"))]
    if zero and sum(zero) / len(zero) > 0.5:
        s.blocks.append(Callout(f"On average {pct(sum(zero) / len(zero))} of GRPO groups had identical rewards for "
                                "every completion, so they gave no learning signal: consider denser (partial-credit) "
                                "rewards, more completions per prompt, or prompts closer to the model's ability.",
                                "warn"))
    curves = [{k: v for k, v in r.items() if not str(k).startswith("monitor/")} for r in run.metrics]  # see Monitoring
    for title, path in plot_training(curves, run.stage_names, assets):
        s.blocks.append(Figure(path, f"{title} per step, one column per stage"))
    return s


def _series_table(run: RunData, keys: list[str], label: Callable[[str], str],
                  value: Callable[[float], str]) -> list[list[str]]:
    """One row per (key, stage) that logged it: start → end (as in the glance table) and the maximum."""
    rows = []
    for key in keys:
        for stage in run.stage_names:
            vals = [float(r[key]) for r in run.metrics if str(r.get("stage", "train")) == stage and _is_num(r.get(key))]
            if vals:
                w = _window(vals)
                rows.append([label(key), stage, f"{value(sum(vals[:w]) / w)} → {value(sum(vals[-w:]) / w)}",
                             value(max(vals)), fmt(len(vals))])
    return rows


def monitoring_section(run: RunData, assets: Path) -> Section:
    """Reward-hack rates, R1-Zero failure signs, held-out drift and the monitor's warnings (docs/monitoring.md)."""
    from rlvr.monitor.patterns import PATTERN_HELP
    from rlvr.monitor.signals import read_monitor
    from rlvr.report.plots import Group, Panel, plot_group

    s = Section(slug("Monitoring"), "Monitoring")
    keys = list(dict.fromkeys(k for r in run.metrics for k, v in r.items() if _is_num(v)
                              and (str(k).startswith("hacks/") or str(k).startswith("monitor/"))))
    rows = read_monitor(run.root)
    if not keys and not rows:
        s.empty = True
        s.blocks.append(Para("Not found: hack-rate metrics (`hacks/*` in `metrics.jsonl`) and `monitor.jsonl`, "
                             "written by `rlvr train` for GRPO stages (docs/monitoring.md).", muted=True))
        return s
    warnings = [r for r in rows if r.get("kind") == "warning"]
    points = [r for r in rows if r.get("kind") == "heldout"]
    if warnings:
        s.blocks.append(Callout(f"**{len(warnings)} monitor warning(s)**: a reward-hack pattern rose or the training "
                                "reward rose while held-out accuracy did not. Audit samples before trusting the "
                                "reward (`rlvr audit slice RUN_DIR`).", "bad"))
        s.blocks.append(Bullets([f"{r.get('stage', '?')} step {fmt(r.get('step'))} ({r.get('source', '?')}): "
                                 f"{r.get('message', '')}" for r in warnings[:20]]))
    else:
        s.blocks.append(Callout("No monitor warning: no reward-hack pattern rose"
                                + (" and the training reward never rose while held-out accuracy fell or stayed "
                                   "flat." if points else " (held-out drift was not checked: set "
                                   "`eval.monitor_every` in the recipe)."), "good"))
    hack_keys = [k for k in keys if k.startswith("hacks/")]
    if hack_keys:
        seen = [k for k in hack_keys if any(_is_num(r.get(k)) and r[k] > 0 for r in run.metrics)]
        name = lambda k: k.removeprefix("hacks/").removesuffix("/rate")  # noqa: E731
        if seen:
            table = _series_table(run, seen, lambda k: f"`{name(k)}`", pct)
            s.blocks.append(Table(["pattern", "stage", "rate start → end", "max", "steps"], table,
                                  caption="share of completions per step showing each pattern (`any`: at least one)",
                                  numeric_cols=(2, 3, 4)))
        quiet = [name(k) for k in hack_keys if k not in seen and name(k) != "any"]
        if quiet:
            s.blocks.append(Para(("Never seen in any step: " if seen else "No reward-hack pattern in any step; watched: ")
                                 + ", ".join(f"`{q}`" for q in quiet) + ".", muted=True))
        watched = [name(k) for k in hack_keys]
        s.blocks.append(Details("What each pattern means", [Bullets([f"`{p}`: {h}" for p, h in PATTERN_HELP.items()
                                                                     if p in watched])]))
        if seen:
            s.blocks.append(Para("Their curves per step: the Reward-hack rates figure under Training curves.",
                                 muted=True))
    signs = [k for k in ("monitor/length_mean", "monitor/repetition", "monitor/non_target_lang") if k in keys]
    if signs:
        labels = {"monitor/length_mean": "length (characters)", "monitor/repetition": "repeated trigrams",
                  "monitor/non_target_lang": "non-target language"}
        s.blocks.append(Table(["failure sign", "stage", "start → end", "max", "steps"],
                              [row for k in signs for row in _series_table(
                                  run, [k], lambda k: labels[k], fmt if k == "monitor/length_mean" else pct)],
                              caption="DeepSeek-R1-Zero's failure signs: runaway length, loops, language mixing",
                              numeric_cols=(2, 3, 4)))
    if points:
        s.blocks.append(Table(["stage", "step", "held-out pass@1 [95% CI]", "solved", "training reward"],
                              [[str(p.get("stage", "?")), fmt(p.get("step")),
                                pct_ci(p.get("pass@1"), p.get("pass@1_ci") if _valid_ci(p.get("pass@1_ci")) else None),
                                f"{fmt(p.get('solved'))}/{fmt(p.get('n'))}", fmt(p.get("reward"))] for p in points],
                              caption="held-out points (greedy, first `eval.monitor_n` problems of the first eval set); "
                                      "training reward: mean over the steps since the previous point",
                              numeric_cols=(1, 2, 3, 4)))
    if points and "monitor/heldout_pass@1" in keys:
        group = Group("Reward vs held-out", [Panel("training reward", ["reward"]),
                                             Panel("held-out pass@1", ["monitor/heldout_pass@1"])])
        path = plot_group(run.metrics, group, run.stage_names, assets / "monitor-drift.png")
        if path:
            s.blocks.append(Figure(path, "training reward and held-out pass@1 per step"))
    sign_panels = [Panel(label, [k]) for label, k in (("characters", "monitor/length_mean"),
                                                      ("repeated trigrams", "monitor/repetition"),
                                                      ("non-target language", "monitor/non_target_lang")) if k in keys]
    if sign_panels:
        path = plot_group(run.metrics, Group("Failure signs", sign_panels), run.stage_names, assets / "monitor-signs.png")
        if path:
            s.blocks.append(Figure(path, "completion length, repetition and non-target-language rate per step"))
    return s


def _at_k(summary: dict) -> dict[str, tuple[float, Any]]:
    """pass@k / maj@k values from either flat keys (`pass@4`, `pass@4_ci`) or dicts (`pass@k: {4: ..}`)."""
    found: dict[str, tuple[float, Any]] = {}
    for key, value in summary.items():
        m = re.fullmatch(r"(pass|maj)@(\d+)", str(key))
        if m and _is_num(value):
            found[key] = (float(value), summary.get(f"{key}_ci"))
        elif str(key) in ("pass@k", "maj@k") and isinstance(value, dict):
            kind = str(key)[:-2]
            for k, v in value.items():
                if _is_num(v):
                    found.setdefault(f"{kind}@{k}", (float(v), None))
                elif isinstance(v, dict) and _is_num(v.get("value", v.get("mean"))):
                    found.setdefault(f"{kind}@{k}", (float(v.get("value", v.get("mean"))), v.get("ci")))
    order = lambda name: (name.split("@")[0] != "pass", int(name.split("@")[1]))  # noqa: E731
    return {k: found[k] for k in sorted(found, key=order)}


def _valid_ci(ci) -> bool:
    return isinstance(ci, (list, tuple)) and len(ci) == 2 and all(_is_num(x) for x in ci)


def _gain_table(gains: list[Gain]) -> Table:
    rows = []
    for g in gains:
        flips_known = g.method.startswith("paired")
        examples = " ".join([f"+`{p}`" for p in g.gained[:3]] + [f"−`{p}`" for p in g.lost[:3]]) or "none"
        examples = examples if flips_known else "—"
        rows.append([f"{g.before} → {g.after}", pp(g.diff, g.ci), g.method,
                     fmt(len(g.lost)) if flips_known else "—", fmt(len(g.gained)) if flips_known else "—", examples])
    return Table(["comparison", "gain in pass@1 [95% CI]", "interval", "solved → unsolved", "unsolved → solved",
                  "example flips (+ newly solved, − newly failed)"], rows, numeric_cols=(1, 3, 4))


def _short_model(model: Any, run: RunData) -> str:
    """A model path inside the run directory is shown relative to it (`stages/sft/model`)."""
    if not isinstance(model, str):
        return fmt(model)
    try:
        return Path(model).resolve().relative_to(run.root.resolve()).as_posix()
    except (ValueError, OSError):
        return model


def _eval_blocks(run: RunData, evals: list, gains: list[Gain], assets: Path, figure_name: str) -> list:
    from rlvr.report.plots import plot_pass_at_1

    blocks: list = []
    with_p = [e for e in evals if e.pass1 is not None]
    if with_p:
        path = plot_pass_at_1([e.label for e in with_p], [e.pass1 for e in with_p], [e.pass1_ci for e in with_p],
                              assets / figure_name)
        blocks.append(Figure(path, "pass@1 per evaluation with its 95% interval"))
    rows = []
    for e in evals:
        sm = e.summary
        rows.append([f"**{e.label}**", _short_model(sm.get("model"), run), fmt(sm.get("benchmark")),
                     fmt(sm.get("n_problems")), fmt(sm.get("n_samples")), pct_ci(e.pass1, e.pass1_ci),
                     fmt(sm.get("unverifiable")), f"{sm['wall_s']:.0f} s" if _is_num(sm.get("wall_s")) else "—"])
    blocks.append(Table(["evaluation", "model", "benchmark", "problems", "samples/problem", "pass@1 [95% CI]",
                         "unverifiable", "time"], rows, numeric_cols=(3, 4, 5, 6, 7)))
    at_k = {e.label: _at_k(e.summary) for e in evals}
    # pass@1 is in the table above; maj@1 is the same number (a vote of one)
    metric_names = [m for m in dict.fromkeys(k for d in at_k.values() for k in d) if m not in ("pass@1", "maj@1")]
    if metric_names:
        krows = [[e.label] + [pct_ci(at_k[e.label][m][0], at_k[e.label][m][1] if _valid_ci(at_k[e.label][m][1])
                                     else None) if m in at_k[e.label] else "—" for m in metric_names]
                 for e in evals]
        blocks.append(Table(["evaluation"] + metric_names, krows,
                            caption="pass@k (unbiased estimator) and maj@k at the same sample budget",
                            numeric_cols=tuple(range(1, len(metric_names) + 1))))
    if not gains:
        return blocks
    blocks.append(_gain_table(gains))
    noise = [f"{g.before} → {g.after}" for g in gains if g.diff is not None and g.ci is not None and not g.significant]
    if noise:
        blocks.append(Callout(f"Within noise at this sample size (the interval includes zero): {', '.join(noise)}.",
                              "warn"))
    for g in gains:
        if g.only_before or g.only_after:
            blocks.append(Callout(f"{g.before} → {g.after}: {g.only_before} problem(s) only in {g.before} and "
                                  f"{g.only_after} only in {g.after} are left out of the paired comparison.", "warn"))
        if g.note:
            blocks.append(Callout(f"{g.before} → {g.after}: no paired comparison: {g.note}", "warn"))
        if g.unverified:
            blocks.append(Para(f"{g.before} → {g.after}: {g.unverified} problem(s) with no verifiable sample on "
                               "one side are left out of the paired comparison.", muted=True))
    flip_items = []
    for g in gains[: max(1, len(evals) - 1)]:
        if g.lost or g.gained:
            lost = ", ".join(f"`{p}`" for p in g.lost[:MAX_FLIP_EXAMPLES]) or "none"
            won = ", ".join(f"`{p}`" for p in g.gained[:MAX_FLIP_EXAMPLES]) or "none"
            flip_items.append(f"**{g.before} → {g.after}** — newly solved ({len(g.gained)}): {won}; "
                              f"newly failed ({len(g.lost)}): {lost}")
    if flip_items:
        blocks.append(Details("Per-problem flips", [Bullets(flip_items)]))
    return blocks


def eval_section(run: RunData, assets: Path, gains: list[Gain]) -> Section:
    s = Section(slug("Evaluation before and after"), "Evaluation before and after")
    if not run.evals and not run.eval_sets:
        s.empty = True
        s.blocks.append(_missing_note("eval/<label>/summary.json"))
        return s
    if run.evals:
        if run.eval_sets:  # name the primary set too, so the sets read as siblings
            name = run.primary_eval_set or "primary"
            s.blocks.append(Para(f"**Eval set `{name}`** (`eval/<label>/`):"))
        s.blocks += _eval_blocks(run, run.evals, gains, assets, "eval-pass-at-1.png")
    for name, evals in run.eval_sets.items():
        s.blocks.append(Para(f"**Eval set `{name}`** (`eval/{name}/`):"))
        fig = "eval-" + "".join(ch if ch.isalnum() else "-" for ch in name) + "-pass-at-1.png"
        s.blocks += _eval_blocks(run, evals, consecutive_gains(evals), assets, fig)
    s.blocks.append(Para("Gains are paired where per-sample rows exist: a bootstrap over problems (2,000 "
                         "resamples, seed 0) of the per-problem difference in pass rate. A problem counts as "
                         "solved when more than half of its samples passed; unverifiable samples are left out.",
                         muted=True))
    return s


def _dicts(value: Any) -> list[dict]:
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []


def _pick_table(rows: list[dict], columns: list[tuple[str, str]], caption: str = "", compact: bool = False,
                numeric: tuple[int, ...] = ()) -> Table:
    """A table of chosen (key, header) columns; a column no row has is dropped."""
    columns = [(k, h) for k, h in columns if any(k in r for r in rows)]
    shown = rows[:MAX_TABLE_ROWS]
    note = f" (first {len(shown)} of {len(rows)})" if len(rows) > len(shown) else ""
    return Table([h for _, h in columns], [[fmt(r.get(k)) for k, _ in columns] for r in shown],
                 caption=f"{caption}{note}" if caption else note.strip(" ()"), compact=compact, numeric_cols=numeric)


def _rest(obj: dict, shown: set[str]) -> dict:
    return {k: v for k, v in obj.items() if k not in shown}


def _disjoint_sets(d: Any) -> dict[str, dict]:
    """disjointness.json: {<eval set>: {train_problems, eval_problems, shared_problems, examples}, method}."""
    return {k: v for k, v in d.items() if isinstance(v, dict) and _is_num(v.get("shared_problems"))} \
        if isinstance(d, dict) else {}


def disjointness_blocks(run: RunData) -> list:
    d = run.disjointness
    sets = _disjoint_sets(d)
    if not sets:
        return [Details("disjointness.json", json_blocks(d))] if d is not None else []
    shared = {k: int(v["shared_problems"]) for k, v in sets.items()}
    text = ", ".join(f"{n} of {fmt(sets[k].get('eval_problems'))} in `{k}`" for k, n in shared.items())
    blocks: list = [Callout(f"Evaluation problems also in the training data: {text}.",
                            "bad" if any(shared.values()) else "good")]
    if isinstance(d.get("method"), str):
        blocks.append(Para(f"`disjointness.json`: {d['method']}.", muted=True))
    blocks.append(_pick_table([{"set": k, **v} for k, v in sets.items()],
                              [("set", "eval set"), ("train_problems", "training problems"),
                               ("eval_problems", "eval problems"), ("shared_problems", "shared"),
                               ("examples", "examples")], numeric=(1, 2, 3)))
    return blocks


def contamination_section(run: RunData) -> Section:
    s = Section(slug("Contamination"), "Contamination")
    c = run.contamination
    if c is None:
        s.blocks.append(_missing_note("contamination.json"))
        s.blocks += disjointness_blocks(run)
        s.empty = run.disjointness is None
        return s
    s.blocks += disjointness_blocks(run)
    flagged = find_key(c, {"flagged", "contaminated"}, lambda v: isinstance(v, bool))
    thr = find_key(c, {"threshold"}, _is_num)
    sets = _dicts(c.get("eval_sets")) if isinstance(c, dict) else []
    frac_keys = ("contaminated_fraction", "overlap_fraction", "fraction")
    if sets:
        n_flagged = sum(1 for e in sets if e.get("flagged") is True)
        thr_text = f" the {pct(thr)} threshold" if thr is not None else " the threshold"
        if flagged or n_flagged:
            s.blocks.append(Callout(f"**Flagged**: {n_flagged} of {len(sets)} evaluation set(s) above{thr_text}; "
                                    "their results may be inflated by training on the test.", "bad"))
        else:
            s.blocks.append(Callout(f"Clean: every evaluation set ({len(sets)}) is below{thr_text}.", "good"))
        rows = []
        for e in sets:
            frac = next((e[k] for k in frac_keys if _is_num(e.get(k))), None)
            rows.append({**e, "_frac": pct(frac) if frac is not None else None})
        s.blocks.append(_pick_table(rows, [("path", "eval set"), ("name", "eval set"), ("n_items", "items"),
                                           ("n_contaminated", "contaminated"), ("_frac", "fraction"),
                                           ("n_exact", "exact"), ("n_ngram", "n-gram"),
                                           ("n_near_duplicates", "near duplicates"), ("flagged", "flagged")],
                                    numeric=(1, 2, 3, 4, 5, 6)))
        for e in sets:
            for key in ("items", "near_duplicate_items"):
                if _dicts(e.get(key)):
                    s.blocks.append(Details(f"{key.replace('_', ' ')} in {e.get('path') or e.get('name', 'eval set')} "
                                            f"({len(e[key])})", [_dict_table(_dicts(e[key]), "")]))
        s.blocks.append(Details("contamination.json", json_blocks(_rest(c, {"eval_sets"}))))
        return s
    frac = find_key(c, set(frac_keys), _is_num)
    detail = (f" {pct(frac)} of evaluation items overlap the training data" if frac is not None else "") + \
             (f" (threshold {pct(thr)})" if thr is not None else "")
    if flagged is True:
        s.blocks.append(Callout(f"**Flagged**:{detail}. Evaluation results may be inflated.", "bad"))
    elif flagged is False:
        s.blocks.append(Callout(f"Clean:{detail or ' no overlap above the threshold'}.", "good"))
    s.blocks += json_blocks(c)
    return s


def audit_section(run: RunData) -> Section:
    s = Section(slug("Verifier audit"), "Verifier audit")
    a = run.audit
    if a is None:
        s.empty = True
        s.blocks.append(_missing_note("audit.json"))
        return s
    recall = find_key(a, {"recall"}, _is_num)
    precision = find_key(a, {"precision"}, _is_num)
    ok = find_key(a, {"ok", "passed"}, lambda v: isinstance(v, bool))
    if recall is not None or precision is not None:
        def with_ci(name):
            value, ci = a.get(name) if isinstance(a, dict) else None, a.get(f"{name}_ci") if isinstance(a, dict) else None
            value = value if _is_num(value) else find_key(a, {name}, _is_num)
            return pct_ci(value, ci if _valid_ci(ci) else None)

        kind = f"The {a['kind']} verifier" if isinstance(a, dict) and isinstance(a.get("kind"), str) else "The verifier"
        verdict = {True: "passes the audit", False: "**fails** the audit", None: "was audited"}[ok]
        text = f"{kind} {verdict}: recall {with_ci('recall')} on known-correct answers, precision " \
               f"{with_ci('precision')} against known-wrong ones."
        s.blocks.append(Callout(text, {True: "good", False: "bad", None: "info"}[ok]))
    cats = _dicts(a.get("categories")) if isinstance(a, dict) else []
    if cats:
        s.blocks.append(_pick_table(cats, [("category", "category"), ("expect", "expected"), ("n", "cases"),
                                           ("accepted", "accepted"), ("rejected", "rejected"),
                                           ("unverifiable", "unverifiable"), ("wrong", "wrong decisions")],
                                    numeric=(2, 3, 4, 5, 6)))
        examples = [f"**{c.get('category')}**: " + "; ".join(fmt(x) for x in c["examples"][:3])
                    for c in cats if isinstance(c.get("examples"), list) and c["examples"]]
        if examples:
            s.blocks.append(Details("Examples of wrong or unverifiable decisions", [Bullets(examples)]))
        s.blocks.append(Details("audit.json", json_blocks(_rest(a, {"categories"}))))
    else:
        s.blocks += json_blocks(a)
    return s


def _gguf_entries(export: Any) -> list[dict]:
    """export.json's `files` entries ({file, quant, bytes, check: {...}}), when it has that shape."""
    return [f for f in _dicts(export.get("files")) if "file" in f] if isinstance(export, dict) else []


def _logit_check(export: Any) -> tuple[bool | None, str]:
    """(all checks passed?, figures of the worst file) over every exported file."""
    entries = _gguf_entries(export)
    checks = [f["check"] for f in entries if isinstance(f.get("check"), dict)]
    if not checks:
        check = find_key(export, {"logit_check", "check", "verification"}, lambda v: isinstance(v, dict))
        checks = [check if check is not None else export] if export is not None else []
    if not checks:
        return None, ""
    verdicts = [find_key(c, {"passed", "ok", "within_tolerance"}, lambda v: isinstance(v, bool)) for c in checks]
    passed = None if any(v is None for v in verdicts) else all(verdicts)
    diffs = [d for c in checks if (d := find_key(c, {"max_abs_diff", "max_diff", "max_logit_diff"}, _is_num)) is not None]
    top1s = [t for c in checks if (t := find_key(c, {"top1_agreement", "top1", "top_1_agreement"}, _is_num)) is not None]
    parts = [f"max |Δlogit| {fmt(max(diffs))}" if diffs else "", f"top-1 agreement {pct(min(top1s))}" if top1s else ""]
    return passed, ", ".join(p for p in parts if p)


def export_section(run: RunData) -> Section:
    s = Section(slug("Export"), "Export")
    if not run.export_files and run.export is None:
        s.empty = True
        s.blocks.append(_missing_note("export/"))
        return s
    if run.export is not None:
        passed, figures = _logit_check(run.export)
        if passed is not None or figures:
            verdict = {True: "Logit check passed", False: "Logit check **failed**", None: "Logit check"}[passed]
            worst = " (worst file)" if len(_gguf_entries(run.export)) > 1 else ""
            s.blocks.append(Callout(f"{verdict}{': ' + figures + worst if figures else ''}.",
                                    {True: "good", False: "bad", None: "info"}[passed]))
    entries = _gguf_entries(run.export)
    if entries:
        rows = []
        for f in entries:
            check = f.get("check") if isinstance(f.get("check"), dict) else {}
            rows.append({"file": f"`export/{f['file']}`", "quant": f.get("quant"),
                         "size": size(f["bytes"]) if _is_num(f.get("bytes")) else None,
                         "check": {True: "passed", False: "FAILED"}.get(check.get("passed"), "not run"),
                         "diff": check.get("max_abs_diff"),
                         "top1": pct(check["top1_agreement"]) if _is_num(check.get("top1_agreement")) else None,
                         "tok": check.get("tokenizer_ids_match"), "tpl": check.get("chat_template_match")})
            for failure in check.get("failures") or []:
                s.blocks.append(Callout(f"`{f['file']}`: {failure}", "bad"))
        s.blocks.append(_pick_table(rows, [("file", "GGUF file"), ("quant", "quant"), ("size", "size"),
                                           ("check", "logit check"), ("diff", "max |Δlogit|"), ("top1", "top-1 agreement"),
                                           ("tok", "same token ids"), ("tpl", "chat template")], numeric=(2, 4, 5)))
    if run.export_files:
        listed = {f["file"] for f in entries}
        others = [(n, b) for n, b in run.export_files if n not in listed]
        if others:
            s.blocks.append(Table(["file", "size"], [[f"`export/{n}`", size(b)] for n, b in others],
                                  caption="other files in export/" if entries else "", numeric_cols=(1,), compact=True))
    if run.export is not None:
        s.blocks.append(Details("export.json", json_blocks(_rest(run.export, {"files"}) if entries else run.export)))
    else:
        s.blocks.append(_missing_note("export/export.json"))
    return s


def reproduce_commands(run: RunData) -> tuple[list[str], bool]:
    """(commands, exact): from commands.json when the run wrote one, else reconstructed."""
    if run.commands:
        return run.commands, True
    rd = shlex.quote(str(run.root))
    cmds = []
    if run.recipe_text is not None:
        cmds.append(f"rlvr train {shlex.quote(str(run.root / 'recipe.yaml'))}")
    for e in run.evals:
        if isinstance(e.summary.get("command"), str):
            cmds.append(e.summary["command"])
    if run.contamination is not None and isinstance(run.contamination, dict) \
            and isinstance(run.contamination.get("command"), str):
        cmds.append(run.contamination["command"])
    if run.export is not None:
        quants = [str(f["quant"]) for f in _gguf_entries(run.export) if isinstance(f.get("quant"), str)]
        if not quants:
            quant = find_key(run.export, {"quant", "quantization"}, lambda v: isinstance(v, str))
            quants = [quant] if quant else []
        cmds.append(f"rlvr export gguf {rd}" + "".join(f" --quant {q}" for q in dict.fromkeys(quants)))
    cmds.append(f"rlvr report {rd}")
    return cmds, False


def reproduce_section(run: RunData) -> Section:
    s = Section(slug("Reproduce"), "Reproduce")
    cmds, exact = reproduce_commands(run)
    if exact:
        s.blocks.append(Para("The exact commands this run executed (from `commands.json`):"))
    else:
        s.blocks.append(Para("Reconstructed from the files present (the run wrote no `commands.json`): `rlvr train` "
                             "re-runs the recipe's stages and the evaluations its `eval` section lists; other "
                             "commands appear only where their outputs recorded them.", muted=True))
    s.blocks.append(Code("\n".join(cmds)))
    return s


def missing_section(run: RunData) -> Section:
    s = Section(slug("Missing"), "Missing")
    if run.missing:
        s.blocks.append(Para("Files the report looked for and did not find:"))
        s.blocks.append(Bullets([f"`{m}` — written by {WRITERS[m]}" if m in WRITERS else f"`{m}`"
                                 for m in run.missing]))
    else:
        s.blocks.append(Para("Nothing: every file the report looks for was found."))
    if run.problems:
        s.blocks.append(Para("Files found but not (fully) readable:"))
        s.blocks.append(Bullets(run.problems))
    return s


# ---------------------------------------------------------------- headline
def headline_cards(run: RunData, gains: list[Gain]) -> list[Card]:
    cards = []
    evals = [e for e in run.evals if e.pass1 is not None]
    if len(evals) >= 2:
        first, last = evals[0], evals[-1]
        overall = next((g for g in reversed(gains) if g.before == first.label and g.after == last.label), None)
        tone = "neutral"
        if overall and overall.ci is not None:
            tone = "good" if overall.ci[0] > 0 else "bad" if overall.ci[1] < 0 else "warn"
        note = f"gain {pp(overall.diff, overall.ci)}" if overall else ""
        cards.append(Card(f"pass@1 {first.label} → {last.label}", f"{pct(first.pass1)} → {pct(last.pass1)}", note, tone))
    elif evals:
        cards.append(Card(f"pass@1 ({evals[0].label})", pct(evals[0].pass1), pct_ci(evals[0].pass1, evals[0].pass1_ci)))
    else:
        cards.append(Card("pass@1", "not evaluated", "no eval/<label>/summary.json", "warn"))
    stages = [st for st in run.stage_names if any(str(r.get("stage", "train")) == st for r in run.metrics)]
    if stages:
        steps = []
        for st in stages:
            vals = [r["step"] for r in run.metrics if str(r.get("stage", "train")) == st and _is_num(r.get("step"))]
            steps.append(f"{st} {fmt(max(vals)) if vals else '?'}")
        rewards = [float(r["reward"]) for r in run.metrics if _is_num(r.get("reward"))]
        note = f"reward {_start_end(rewards)}" if rewards else ""
        cards.append(Card("training steps", " · ".join(steps), note))
    else:
        cards.append(Card("training", "no metrics", "metrics.jsonl not found", "warn"))
    flagged = find_key(run.contamination, {"flagged", "contaminated"}, lambda v: isinstance(v, bool))
    disjoint = _disjoint_sets(run.disjointness)
    if run.contamination is None and disjoint:
        shared = sum(int(v["shared_problems"]) for v in disjoint.values())
        cards.append(Card("train/eval overlap", "none" if not shared else f"{shared} shared problems",
                          "problem-level check; n-gram check not run", "good" if not shared else "bad"))
    elif run.contamination is None:
        cards.append(Card("contamination", "not checked", "no contamination.json", "warn"))
    else:
        cards.append(Card("contamination", {True: "flagged", False: "clean", None: "checked"}[flagged], "",
                          {True: "bad", False: "good", None: "neutral"}[flagged]))
    if run.export is not None or run.export_files:
        passed, figures = _logit_check(run.export)
        entries = _gguf_entries(run.export)
        gguf = [(n, b) for n, b in run.export_files if n.endswith(".gguf")]
        if entries:
            value = " · ".join(f"{f.get('quant', f['file'])} {size(f['bytes'])}" if _is_num(f.get("bytes"))
                               else str(f.get("quant", f["file"])) for f in entries)
        else:
            value = " · ".join(size(b) for _, b in gguf) if gguf else f"{len(run.export_files)} files"
        cards.append(Card("GGUF export", value, {True: "logit check passed", False: "logit check FAILED",
                                                 None: figures}[passed],
                          {True: "good", False: "bad", None: "neutral"}[passed]))
    cards.append(Card("missing files", str(len(run.missing)) if run.missing else "none",
                      ", ".join(run.missing[:3]) + (" …" if len(run.missing) > 3 else ""),
                      "warn" if run.missing or run.problems else "good"))
    return cards


def build_document(run: RunData, assets: Path) -> Document:
    gains = consecutive_gains(run.evals)
    facts = [("model", run.model or "unknown")]
    stages = run.stage_names
    if stages:
        facts.append(("stages", " → ".join(stages)))
    if run.evals:
        facts.append(("evaluations", ", ".join(e.label for e in run.evals)))
    if _is_num(run.info.get("wall_s")):
        facts.append(("wall time", f"{run.info['wall_s'] / 60:.1f} min"))
    facts.append(("generated", datetime.now().strftime("%Y-%m-%d %H:%M")))
    sections = [recipe_section(run), readiness_section(run), training_section(run, assets),
                monitoring_section(run, assets),
                eval_section(run, assets, gains), contamination_section(run), audit_section(run),
                export_section(run), reproduce_section(run), missing_section(run)]
    return Document(f"Run {run.name}", facts, headline_cards(run, gains), sections)
