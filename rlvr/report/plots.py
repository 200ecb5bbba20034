"""Training curves and the before/after chart, drawn with matplotlib (Agg, imported lazily).

metrics.jsonl rows are TRL log_history rows plus `stage`. Keys are sorted into groups that answer one
question each (is the loss falling, is reward rising and from which component, how many groups give
no learning signal, are completions collapsing, how far did the policy move, how long are outputs);
any numeric key no group claims lands in "Other", so a new metric is drawn, not dropped. Stages get
their own columns because each trainer counts steps from 1 and the scales differ (SFT loss vs GRPO loss).
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass
from pathlib import Path

# Keys that are not curves: the x axis, bookkeeping, and the one-off end-of-training summary row.
NOT_CURVES = {"step", "stage", "epoch", "total_flos", "train_runtime", "train_samples_per_second",
              "train_steps_per_second", "train_loss", "num_input_tokens_seen"}

# (group title, panels); a panel is (axis label, key patterns). First matching group wins.
GROUPS: list[tuple[str, list[tuple[str, list[str]]]]] = [
    ("Loss", [("loss", ["loss", "eval_loss"])]),
    ("Reward", [("reward (± std)", ["reward"]),
                ("reward by component", ["rewards/*/mean", "rewards/*"])]),
    ("Zero-variance groups", [("fraction of groups", ["frac_reward_zero_std", "diagnostics/*zero_variance*"])]),
    ("Unverifiable rewards", [("fraction of completions", ["*unverifiable*"])]),
    ("Diversity", [("diversity", ["diagnostics/*", "unique*", "*distinct*"]), ("entropy", ["entropy"])]),
    ("KL to the reference", [("KL", ["kl", "*/kl", "kl_*"])]),
    ("Completion length", [("tokens", ["completions/*length*", "*mean_length*"]),
                           ("clipped ratio", ["completions/clipped_ratio", "*clipped*"])]),
    ("Reward-hack rates", [("rate", ["hacks/*"])]),
]
FIG_WIDTH = 10.0  # inches at 100 dpi: the width of a report section, so every figure lines up
STAGE_COLOURS = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2"]


@dataclass
class Panel:
    label: str
    keys: list[str]


@dataclass
class Group:
    title: str
    panels: list[Panel]


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _std_key(key: str) -> str | None:
    """The key holding this curve's spread, drawn as a band rather than its own line."""
    if key.endswith("/mean"):
        return key[: -len("/mean")] + "/std"
    if key == "reward":
        return "reward_std"
    return None


def numeric_keys(rows: list[dict]) -> list[str]:
    """Curve keys in first-seen order; std keys that belong to a mean are left to that mean."""
    seen: dict[str, None] = {}
    for row in rows:
        for k, v in row.items():
            if k not in NOT_CURVES and _is_number(v):
                seen.setdefault(k, None)
    keys = list(seen)
    bands = {s for k in keys if (s := _std_key(k)) and s in seen}
    return [k for k in keys if k not in bands]


def group_metrics(rows: list[dict]) -> list[Group]:
    keys = numeric_keys(rows)
    claimed: set[str] = set()
    groups: list[Group] = []
    for title, panel_specs in GROUPS:
        panels = []
        for label, patterns in panel_specs:
            matched = [k for k in keys if k not in claimed and any(fnmatch.fnmatchcase(k, p) for p in patterns)]
            claimed.update(matched)
            if matched:
                panels.append(Panel(label, matched))
        if panels:
            groups.append(Group(title, panels))
    rest = [k for k in keys if k not in claimed]
    if rest:
        groups.append(Group("Other", [Panel(k, [k]) for k in rest]))
    return groups


def _stage_series(rows: list[dict], stage: str, key: str):
    xs, ys, sd = [], [], []
    std_key = _std_key(key)
    for i, row in enumerate(rows):
        if str(row.get("stage", "train")) != stage or not _is_number(row.get(key)):
            continue
        xs.append(row["step"] if _is_number(row.get("step")) else i)
        ys.append(float(row[key]))
        s = row.get(std_key) if std_key else None
        sd.append(float(s) if _is_number(s) else float("nan"))
    return xs, ys, sd


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams.update({
        "font.size": 9, "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
        "grid.alpha": 0.3, "axes.titlesize": 10, "axes.titleweight": "bold", "legend.frameon": False,
        "legend.fontsize": 8, "figure.dpi": 100,
        "axes.formatter.useoffset": False,  # "1e-5+1.079e1" axis offsets are unreadable in a report
    })
    return plt


def _save(plt, fig, path: Path) -> Path:
    """Atomic like every file in a run directory: a crash never leaves half a PNG."""
    from rlvr.io import atomic_write

    fig.tight_layout()
    with atomic_write(path, "wb") as f:
        fig.savefig(f, format="png")
    plt.close(fig)
    return path


def _integer_steps(ax) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _short(key: str) -> str:
    return key.removeprefix("rewards/").removesuffix("/mean").removeprefix("diagnostics/").removeprefix("hacks/")


def plot_group(rows: list[dict], group: Group, stages: list[str], path: Path) -> Path | None:
    """One PNG: rows = panels, columns = stages that logged any key of the group."""
    cols = [s for s in stages if any(_stage_series(rows, s, k)[0] for p in group.panels for k in p.keys)]
    if not cols:
        return None
    plt = _pyplot()
    n_rows = len(group.panels)
    if group.title == "Other":  # many one-key panels: wrap them three to a row, stages as colours
        return _plot_small_multiples(plt, rows, group, cols, path)
    # panels down, stages across; a single stage lays its panels side by side instead
    transpose = len(cols) == 1 and n_rows > 1
    grid = (1, n_rows) if transpose else (n_rows, len(cols))
    fig, axes = plt.subplots(*grid, figsize=(FIG_WIDTH, 2.2 if grid == (1, 1) else 2.7 * grid[0]), squeeze=False)
    for r, panel in enumerate(group.panels):
        for c, stage in enumerate(cols):
            ax = axes[c][r] if transpose else axes[r][c]
            drawn = 0
            for j, key in enumerate(panel.keys):
                xs, ys, sd = _stage_series(rows, stage, key)
                if not xs:
                    continue
                colour = STAGE_COLOURS[j % len(STAGE_COLOURS)]
                ax.plot(xs, ys, color=colour, lw=1.6, label=_short(key), marker="o" if len(xs) < 12 else None, ms=3)
                if any(not math.isnan(s) for s in sd):
                    lo = [y - (0 if math.isnan(s) else s) for y, s in zip(ys, sd)]
                    hi = [y + (0 if math.isnan(s) else s) for y, s in zip(ys, sd)]
                    ax.fill_between(xs, lo, hi, color=colour, alpha=0.15, lw=0)
                drawn += 1
            _integer_steps(ax)
            if not drawn:
                ax.text(0.5, 0.5, "not logged", ha="center", va="center", transform=ax.transAxes, color="#888")
                ax.set_xticks([]), ax.set_yticks([])
            if r == 0 or transpose:
                ax.set_title(f"stage: {stage}")
            if c == 0:
                ax.set_ylabel(panel.label)
            if r == n_rows - 1 or transpose:
                ax.set_xlabel("step")
            if drawn > 1 or (drawn == 1 and len(panel.keys) > 1):
                ax.legend(loc="best")
    return _save(plt, fig, path)


def _plot_small_multiples(plt, rows, group: Group, stages: list[str], path: Path) -> Path:
    n = len(group.panels)
    ncols = min(3, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(FIG_WIDTH, 2.4 * nrows), squeeze=False)
    for i, panel in enumerate(group.panels):
        ax = axes[i // ncols][i % ncols]
        key = panel.keys[0]
        for c, stage in enumerate(stages):
            xs, ys, _ = _stage_series(rows, stage, key)
            if xs:
                ax.plot(xs, ys, color=STAGE_COLOURS[c % len(STAGE_COLOURS)], lw=1.4, label=stage)
        ax.set_title(key, fontsize=9)
        _integer_steps(ax)
        if len(stages) > 1:
            ax.legend(loc="best")
    for j in range(n, nrows * ncols):
        axes[j // ncols][j % ncols].axis("off")
    return _save(plt, fig, path)


def plot_training(rows: list[dict], stages: list[str], out_dir: Path) -> list[tuple[str, Path]]:
    """(group title, png path) for every group that has data."""
    out_dir.mkdir(parents=True, exist_ok=True)
    figures = []
    for i, group in enumerate(group_metrics(rows)):
        slug = "".join(ch if ch.isalnum() else "-" for ch in group.title.lower()).strip("-")
        path = plot_group(rows, group, stages, out_dir / f"train-{i + 1:02d}-{slug}.png")
        if path:
            figures.append((group.title, path))
    return figures


def plot_pass_at_1(labels: list[str], values: list[float], cis: list[tuple[float, float] | None], path: Path) -> Path:
    """Horizontal bars of pass@1 per evaluation (first at the top) with 95% interval whiskers."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 0.9 + 0.55 * len(labels)))
    ys = list(range(len(labels)))[::-1]
    colours = ["#94a3b8"] + ["#60a5fa"] * max(0, len(labels) - 2) + ["#059669"] if len(labels) > 1 else ["#2563eb"]
    ax.barh(ys, values, color=colours, height=0.6)
    for y, v, ci in zip(ys, values, cis):
        if ci:
            ax.errorbar([v], [y], xerr=[[v - ci[0]], [ci[1] - v]], color="#111", capsize=4, lw=1.2)
        label = f"{100 * v:.1f}%" + (f"  [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]" if ci else "")
        ax.text((ci[1] if ci else v) + 0.01, y, label, va="center", fontsize=9)
    ax.set_yticks(ys, labels)
    ax.set_xlim(0, 1.0)
    ax.xaxis.set_major_formatter(lambda x, _: f"{100 * x:.0f}%")
    ax.set_xlabel("pass@1 with 95% interval")
    ax.grid(axis="y", visible=False)
    return _save(plt, fig, path)
