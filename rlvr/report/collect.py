"""Read whatever a run directory holds into one `RunData`, never failing on what is absent.

The report is most needed when a run went wrong, so reading is forgiving: each file is optional,
an unreadable file becomes a line in `problems` (with the reason) instead of an exception, and
every file looked for and not found is named in `missing`. The layout is docs/run-dir.md.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rlvr.errors import DatasetError, RunDirError
from rlvr.io import iter_jsonl

# Evaluation labels in the order a run produces them; labels not listed go between the stages
# and `final`, ordered by their summary's `created` time, then by name.
KNOWN_LABEL_ORDER = ("base", "sft", "dpo", "grpo", "final")


@dataclass
class EvalRun:
    """One `eval/<label>/` folder: its summary (possibly empty) and per-sample rows (possibly None)."""

    label: str
    path: Path
    summary: dict = field(default_factory=dict)
    samples: list[dict] | None = None

    @property
    def pass1(self) -> float | None:
        value = self.summary.get("pass@1")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value) if value == value else None  # NaN: nothing was verified
        if self.samples:  # no summary: plain mean over decided samples
            decided = [r["passed"] for r in self.samples if isinstance(r.get("passed"), bool)]
            return sum(decided) / len(decided) if decided else None
        return None

    @property
    def pass1_ci(self) -> tuple[float, float] | None:
        ci = self.summary.get("pass@1_ci")
        if isinstance(ci, (list, tuple)) and len(ci) == 2 and all(isinstance(x, (int, float)) and x == x for x in ci):
            return (float(ci[0]), float(ci[1]))
        if self.samples and self.summary.get("pass@1") is None:
            from rlvr.eval.metrics import wilson_interval

            decided = [r["passed"] for r in self.samples if isinstance(r.get("passed"), bool)]
            return wilson_interval(sum(decided), len(decided)) if decided else None
        return None


@dataclass
class RunData:
    """Everything the report draws on. `None` / empty means the run did not write it."""

    root: Path
    recipe: dict | None = None
    recipe_text: str | None = None
    plan: Any = None
    readiness: Any = None
    metrics: list[dict] = field(default_factory=list)
    evals: list[EvalRun] = field(default_factory=list)  # the first (primary) eval set, in run order
    eval_sets: dict[str, list[EvalRun]] = field(default_factory=dict)  # further sets: eval/<set>/<label>/
    info: dict = field(default_factory=dict)  # run.json, when the trainer wrote one
    disjointness: Any = None  # disjointness.json (rlvr quickstart's train/eval problem check), when present
    contamination: Any = None
    audit: Any = None
    export: Any = None
    export_files: list[tuple[str, int]] = field(default_factory=list)
    commands: list[str] | None = None
    stage_dirs: list[str] = field(default_factory=list)
    has_final_model: bool = False
    missing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.root.name

    @property
    def model(self) -> str | None:
        """The base model: the recipe's `model` (or `model_name_or_path`), else an eval summary's."""
        for source in [self.recipe or {}] + [e.summary for e in self.evals]:
            for key in ("model", "model_name_or_path", "base_model"):
                value = source.get(key) if isinstance(source, dict) else None
                if isinstance(value, str) and value:
                    return value
                if isinstance(value, dict):  # e.g. model: {name: ..., ...}
                    for sub in ("name", "name_or_path", "id"):
                        if isinstance(value.get(sub), str):
                            return value[sub]
        return None

    @property
    def primary_eval_set(self) -> str | None:
        """The recipe's first eval set as `task-split` (or the file's stem): what eval/<label>/ holds."""
        ev = (self.recipe or {}).get("eval")
        sets = ev.get("sets") if isinstance(ev, dict) else None
        first = sets[0] if isinstance(sets, list) and sets and isinstance(sets[0], dict) else None
        if not first:
            return None
        if first.get("task"):
            return f"{first['task']}-{first.get('split', 'eval')}"
        return Path(str(first["path"])).stem if first.get("path") else None

    @property
    def stage_names(self) -> list[str]:
        """Training stages in run order: from the recipe when it lists them, then metrics, then folders."""
        names: list[str] = []
        stages = (self.recipe or {}).get("stages")
        if isinstance(stages, list):
            for i, stage in enumerate(stages):
                if isinstance(stage, dict):
                    name = stage.get("name") or stage.get("method") or stage.get("type") or f"stage{i + 1}"
                    names.append(str(name))
                elif isinstance(stage, str):
                    names.append(stage)
        elif isinstance(stages, dict):
            names.extend(str(k) for k in stages)
        for row in self.metrics:
            stage = str(row.get("stage", "train"))
            if stage not in names:
                names.append(stage)
        names.extend(s for s in self.stage_dirs if s not in names)
        return names


def _read_json(run: RunData, rel: str) -> Any:
    path = run.root / rel
    if not path.is_file():
        run.missing.append(rel)
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        run.problems.append(f"{rel}: could not be read ({e}); its section is left out.")
        return None


def _read_jsonl(run: RunData, rel: str) -> list[dict] | None:
    """Rows up to the first bad line (reported), so a damaged file still shows what it holds."""
    path = run.root / rel
    if not path.is_file():
        run.missing.append(rel)
        return None
    rows: list[dict] = []
    try:
        for _, row in iter_jsonl(path):
            rows.append(row)
    except DatasetError as e:
        run.problems.append(f"{e} Kept the {len(rows)} rows before it.")
    except OSError as e:
        run.problems.append(f"{rel}: could not be read ({e}).")
    return rows


def _read_recipe(run: RunData) -> None:
    path = run.root / "recipe.yaml"
    if not path.is_file():
        run.missing.append("recipe.yaml")
        return
    try:
        run.recipe_text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        run.problems.append(f"recipe.yaml: could not be read ({e}).")
        return
    import yaml

    try:
        recipe = yaml.safe_load(run.recipe_text)
    except yaml.YAMLError as e:
        run.problems.append(f"recipe.yaml: not valid YAML ({str(e).splitlines()[0]}); shown as text only.")
        return
    if isinstance(recipe, dict):
        run.recipe = recipe
    else:
        run.problems.append("recipe.yaml: expected a mapping of keys at the top level; shown as text only.")


def _created(summary: dict, path: Path) -> float:
    created = summary.get("created")
    if isinstance(created, (int, float)):
        return float(created)
    if isinstance(created, str):
        try:
            return datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    try:
        return (path / "summary.json").stat().st_mtime
    except OSError:
        return float("inf")


def order_evals(evals: list[EvalRun], stage_names: list[str]) -> list[EvalRun]:
    """base first, then the stages in run order, then unknown labels by time, `final` last."""
    stage_rank = {name: i for i, name in enumerate(stage_names)}

    def key(e: EvalRun):
        if e.label == "base":
            return (0, 0, 0.0, e.label)
        if e.label == "final":
            return (3, 0, 0.0, e.label)
        if e.label in stage_rank:
            return (1, stage_rank[e.label], 0.0, e.label)
        if e.label in KNOWN_LABEL_ORDER:
            return (1, len(stage_rank) + KNOWN_LABEL_ORDER.index(e.label), 0.0, e.label)
        return (2, 0, _created(e.summary, e.path), e.label)

    return sorted(evals, key=key)


def _is_eval_dir(folder: Path) -> bool:
    return (folder / "summary.json").is_file() or (folder / "samples.jsonl").is_file()


def _read_eval(run: RunData, folder: Path) -> EvalRun | None:
    rel = folder.relative_to(run.root).as_posix()
    summary = _read_json(run, f"{rel}/summary.json")
    if summary is not None and not isinstance(summary, dict):
        run.problems.append(f"{rel}/summary.json: expected a JSON object; ignored.")
        summary = None
    samples = _read_jsonl(run, f"{rel}/samples.jsonl")
    if summary is None and not samples:
        return None
    label = str((summary or {}).get("label") or folder.name)
    return EvalRun(label=label, path=folder, summary=summary or {}, samples=samples or None)


def _read_evals(run: RunData) -> None:
    """eval/<label>/ is the recipe's first eval set; eval/<set>/<label>/ holds each further set."""
    eval_root = run.root / "eval"
    if not eval_root.is_dir():
        run.missing.append("eval/<label>/summary.json")
        return
    for folder in sorted(p for p in eval_root.iterdir() if p.is_dir()):
        if _is_eval_dir(folder):
            if (found := _read_eval(run, folder)) is not None:
                run.evals.append(found)
            continue
        subdirs = sorted(p for p in folder.iterdir() if p.is_dir() and _is_eval_dir(p))
        if not subdirs:
            run.problems.append(f"eval/{folder.name}/: holds neither summary.json nor samples.jsonl; ignored.")
            continue
        found_set = [e for sub in subdirs if (e := _read_eval(run, sub)) is not None]
        if found_set:
            run.eval_sets[folder.name] = found_set
    if not run.evals and not run.eval_sets:
        run.missing.append("eval/<label>/summary.json")


def _read_export(run: RunData) -> None:
    export_dir = run.root / "export"
    if not export_dir.is_dir():
        run.missing.append("export/")
        return
    for path in sorted(export_dir.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            run.export_files.append((str(path.relative_to(export_dir)), path.stat().st_size))
    run.export = _read_json(run, "export/export.json")


def collect_run(run_dir: str | os.PathLike) -> RunData:
    """Read a run directory. Raises RunDirError only when `run_dir` is not a directory at all."""
    root = Path(run_dir)
    if not root.is_dir():
        what = "is a file, not a directory" if root.exists() else "does not exist"
        raise RunDirError(
            f"{root}: {what}. `rlvr report` needs a run directory such as runs/<name>/ "
            "(the folder `rlvr train` writes, holding recipe.yaml, metrics.jsonl and eval/)."
        )
    run = RunData(root=root)
    _read_recipe(run)
    run.plan = _read_json(run, "plan.json")
    run.readiness = _read_json(run, "readiness.json")
    run.metrics = _read_jsonl(run, "metrics.jsonl") or []
    stages_root = root / "stages"
    if stages_root.is_dir():
        run.stage_dirs = sorted(p.name for p in stages_root.iterdir() if p.is_dir())
    else:
        run.missing.append("stages/")
    run.has_final_model = (root / "model").is_dir()
    if not run.has_final_model:
        run.missing.append("model/")
    _read_evals(run)
    run.evals = order_evals(run.evals, run.stage_names)
    run.eval_sets = {name: order_evals(evals, run.stage_names) for name, evals in run.eval_sets.items()}
    if (root / "run.json").is_file():  # not in the documented layout: read when present, never "missing"
        info = _read_json(run, "run.json")
        run.info = info if isinstance(info, dict) else {}
    run.contamination = _read_json(run, "contamination.json")
    if (root / "disjointness.json").is_file():  # written by the quickstart only: never "missing"
        run.disjointness = _read_json(run, "disjointness.json")
    run.audit = _read_json(run, "audit.json")
    _read_export(run)
    commands = _read_json(run, "commands.json")
    if isinstance(commands, list) and all(isinstance(c, str) for c in commands):
        run.commands = commands
    elif isinstance(commands, dict) and isinstance(commands.get("commands"), list):
        run.commands = [str(c) for c in commands["commands"]]
    elif commands is not None:
        run.problems.append("commands.json: expected a list of command strings; reconstructed them instead.")
    return run
