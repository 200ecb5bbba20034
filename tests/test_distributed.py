"""`rlvr train` under a 2-process launch on CPU (gloo): both ranks step, rank 0 alone writes the run,
and the curves match a 1-process run with the same global batch.

Tolerances. SFT: the same seed gives the same sample order, and accelerate hands each rank half of each
global batch of 8, so both runs see identical batches; the loss is normalised by the global token count
in both, so the difference is floating-point reduction order only (observed 1e-6; allowed 1e-4).
GRPO: each rank samples its own completions, so sampled tokens (and the reward) differ between the runs;
the per-step mean reward of 8 completions must agree within 4 standard errors of the difference
(sqrt(2) * reward_std / sqrt(8) per step, with a floor of 0.05 for flat steps)."""

import json
import math
import os
import subprocess
import sys

import pytest
import yaml

from rlvr.train.recipe import parse_recipe
from rlvr.train.runner import run_recipe


def recipe_dict(out_dir, name, per_device, distributed=None):
    d = {"name": name, "model": "tiny-random", "output_dir": str(out_dir / name), "seed": 0,
         "stages": [
             {"name": "sft", "method": "sft", "data": {"task": "arithmetic", "n": 64},
              "per_device_train_batch_size": per_device, "max_steps": 4, "logging_steps": 1, "save_steps": 4,
              "learning_rate": 1.0e-3, "warmup_steps": 0, "lr_scheduler_type": "constant"},
             {"name": "grpo", "method": "grpo", "data": {"task": "arithmetic", "n": 16},
              "rewards": [{"name": "accuracy"}, {"name": "length", "args": {"target_chars": 40}}],
              "num_generations": 4, "per_device_train_batch_size": per_device, "max_completion_length": 8,
              "max_steps": 2, "save_steps": 2, "learning_rate": 1.0e-3, "temperature": 1.0}]}
    if distributed:
        d["distributed"] = distributed
    return d


def rows(run_dir, stage, key):
    out = []
    for line in (run_dir / "metrics.jsonl").read_text().splitlines():
        m = json.loads(line)
        if m["stage"] == stage and key in m:
            out.append(m)
    return out


pytestmark = pytest.mark.slow  # about 50 s alone on 2 cores, 90 s on a loaded machine


@pytest.fixture(scope="module")
def runs(tmp_path_factory, tiny_model):
    tmp = tmp_path_factory.mktemp("ddp")
    path = tmp / "ddp2.yaml"
    path.write_text(yaml.safe_dump(recipe_dict(tmp, "ddp2", per_device=4, distributed="ddp")))
    env = {**os.environ, "RLVR_NO_TRACKIO": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "rlvr", "train", str(path), "--no-eval", "--launch",
                           "--num-processes", "2"], capture_output=True, text=True, env=env, timeout=600, cwd=tmp)
    assert proc.returncode == 0, proc.stderr[-3000:]
    single = run_recipe(parse_recipe(recipe_dict(tmp, "one", per_device=8)), report=False)
    return {"proc": proc, "ddp": tmp / "ddp2", "one": single.run_dir}


def test_both_ranks_stepped_every_stage(runs):
    err = runs["proc"].stderr
    for rank in (0, 1):
        assert f"rlvr rank {rank}/2: stage sft took 4 optimizer steps" in err
        assert f"rlvr rank {rank}/2: stage grpo took 2 optimizer steps" in err
    assert "launching: accelerate launch --config_file" in err


def test_rank_zero_alone_writes_the_run(runs):
    ddp = runs["ddp"]
    for stage, step in (("sft", 4), ("grpo", 2)):
        ckpts = sorted(p.name for p in (ddp / "stages" / stage).iterdir() if p.name.startswith("checkpoint-"))
        assert ckpts == [f"checkpoint-{step}"]
        state = json.loads((ddp / "stages" / stage / "trainer_state.json").read_text())
        assert state == {"global_step": step, "resumed_from": None, "world_size": 2}
    assert len(rows(ddp, "sft", "loss")) == 4 and len(rows(ddp, "grpo", "reward")) == 2  # no row twice
    assert (ddp / "model" / "model.safetensors").exists() and (ddp / "run.json").exists()
    assert runs["proc"].stdout.count("final model:") == 1


def test_sft_loss_curve_matches_one_process(runs):
    two = [m["loss"] for m in rows(runs["ddp"], "sft", "loss")]
    one = [m["loss"] for m in rows(runs["one"], "sft", "loss")]
    assert len(two) == len(one) == 4
    assert two[-1] < two[0]  # it learned something
    for a, b in zip(two, one):
        assert a == pytest.approx(b, abs=1e-4)
    # the same number of tokens went into each global step
    assert [m["num_tokens"] for m in rows(runs["ddp"], "sft", "loss")] == \
        [m["num_tokens"] for m in rows(runs["one"], "sft", "loss")]


def test_grpo_reward_curve_matches_one_process_within_noise(runs):
    two = rows(runs["ddp"], "grpo", "reward")
    one = rows(runs["one"], "grpo", "reward")
    assert len(two) == len(one) == 2
    for a, b in zip(two, one):
        se = max(0.05, math.sqrt(2) * max(a["reward_std"], b["reward_std"]) / math.sqrt(8))
        assert abs(a["reward"] - b["reward"]) <= 4 * se, (a["reward"], b["reward"], se)
        assert a["num_tokens"] == pytest.approx(b["num_tokens"], rel=0.25)  # 8 sequences per step in both


def _can_run(name):
    import importlib.util

    import torch

    if not torch.cuda.is_available():
        return False
    return not name.startswith("zero") or importlib.util.find_spec("deepspeed") is not None


@pytest.mark.gpu
@pytest.mark.parametrize("name", ["ddp", "zero2", "zero3", "fsdp"])
def test_shipped_config_trains_on_gpus(tmp_path, tiny_model, name):
    """Each shipped config for real: a few SFT steps on every visible GPU, one final model (not run here:
    this machine has no GPU; zero* also need `pip install deepspeed`)."""
    if not _can_run(name):
        pytest.skip("needs a CUDA GPU" + (" and deepspeed" if name.startswith("zero") else ""))
    import torch

    d = recipe_dict(tmp_path, name, per_device=4, distributed=name)
    d["stages"] = d["stages"][:1]
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(d))
    n = max(1, torch.cuda.device_count())
    proc = subprocess.run([sys.executable, "-m", "rlvr", "train", str(path), "--no-eval", "--launch",
                           "--num-processes", str(n)], capture_output=True, text=True, timeout=600, cwd=tmp_path,
                          env={**os.environ, "RLVR_NO_TRACKIO": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / name / "model" / "model.safetensors").exists()
    assert len(rows(tmp_path / name, "sft", "loss")) == 4
