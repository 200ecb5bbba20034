"""Each method trains a few steps on tiny-random: the loss or reward moves and the checkpoint reloads."""

import json
import os
from pathlib import Path
import signal
import subprocess
import sys
import time

import pytest
import yaml

from rlvr.train.recipe import parse_recipe
from rlvr.train.runner import run_recipe


def make_recipe(tmp_path, stage, name="t"):
    return parse_recipe({"name": name, "model": "tiny-random", "output_dir": str(tmp_path / name), "stages": [stage]})


def metrics(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def reloads(model_dir):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_dir)
    return model.num_parameters() > 0


def test_sft_loss_moves_and_model_reloads(tmp_path, tiny_model):
    r = make_recipe(tmp_path, {"method": "sft", "data": {"task": "arithmetic", "n": 48}, "learning_rate": 1e-3,
                               "per_device_train_batch_size": 8, "logging_steps": 1, "max_steps": 6,
                               "lr_scheduler_type": "constant", "warmup_steps": 0})
    res = run_recipe(r, report=False)
    losses = [m["loss"] for m in metrics(res.run_dir) if "loss" in m]
    assert len(losses) == 6 and losses[-1] < losses[0] - 0.5
    assert reloads(res.model_dir)
    assert (res.run_dir / "recipe.yaml").exists()


def test_lora_sft_merges_into_a_plain_model(tmp_path, tiny_model):
    r = make_recipe(tmp_path, {"method": "sft", "data": {"task": "arithmetic", "n": 16}, "lora": True,
                               "learning_rate": 1e-3, "max_steps": 2, "logging_steps": 1})
    res = run_recipe(r, report=False)
    assert (res.run_dir / "stages/sft/adapter/adapter_config.json").exists()
    assert not (res.model_dir / "adapter_config.json").exists() and reloads(res.model_dir)


def test_dpo_trains_on_preference_pairs(tmp_path, tiny_model):
    r = make_recipe(tmp_path, {"method": "dpo", "data": {"task": "arithmetic", "n": 16}, "learning_rate": 1e-3,
                               "per_device_train_batch_size": 4, "max_steps": 4, "logging_steps": 1})
    res = run_recipe(r, report=False)
    rows = [m for m in metrics(res.run_dir) if "loss" in m]
    assert rows and all("rewards/chosen" in m for m in rows)
    assert rows[-1]["loss"] != pytest.approx(rows[0]["loss"], abs=1e-6)
    assert reloads(res.model_dir)


def test_grpo_logs_each_reward_component_and_diagnostics(tmp_path, tiny_model):
    import torch
    from transformers import AutoModelForCausalLM

    # accuracy is flat for a random model; `length` varies with the sampled text, so groups carry signal
    r = make_recipe(tmp_path, {"method": "grpo", "data": {"task": "arithmetic", "n": 8},
                               "rewards": [{"name": "accuracy"}, {"name": "length", "weight": 1.0, "args": {"target_chars": 60}}],
                               "num_generations": 4, "per_device_train_batch_size": 8, "max_completion_length": 12,
                               "max_steps": 2, "learning_rate": 1e-2, "temperature": 1.0})
    res = run_recipe(r, report=False)
    rows = [m for m in metrics(res.run_dir) if "reward" in m]
    assert len(rows) == 2
    for key in ("rewards/accuracy/mean", "rewards/length/mean", "frac_reward_zero_std", "diagnostics/unique_frac",
                "diagnostics/accuracy/unverifiable_frac"):
        assert key in rows[0], key
    # a random model's completions are never right: every accuracy group is flat, and that is reported
    assert rows[0]["diagnostics/accuracy/zero_variance_frac"] == 1.0
    assert any(m["reward_std"] > 0 for m in rows) and any(m["grad_norm"] > 0 for m in rows)
    before = AutoModelForCausalLM.from_pretrained(tiny_model).state_dict()
    after = AutoModelForCausalLM.from_pretrained(res.model_dir).state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)  # the policy moved


def test_resume_after_kill_9_continues(tmp_path, tiny_model):
    recipe = {"name": "resume", "model": "tiny-random", "output_dir": str(tmp_path / "resume"),
              "stages": [{"method": "sft", "data": {"task": "arithmetic", "n": 400}, "per_device_train_batch_size": 2,
                          "max_steps": 40, "save_steps": 5, "logging_steps": 1, "learning_rate": 1e-4}]}
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(recipe))
    env = {**os.environ, "RLVR_NO_TRACKIO": "1"}
    cmd = [sys.executable, "-m", "rlvr", "train", str(path), "--no-eval"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    stage_dir = tmp_path / "resume/stages/sft"
    deadline = time.time() + 240
    while time.time() < deadline and not list(stage_dir.glob("checkpoint-1[05]")):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (stage_dir / "model").exists(), "the run finished before it could be killed"
    existing = {p.name for p in stage_dir.glob("checkpoint-*")}
    lines_before = len((tmp_path / "resume/metrics.jsonl").read_text().splitlines())
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    state = json.loads((stage_dir / "trainer_state.json").read_text())
    resumed = Path(state["resumed_from"]).name  # the newest *complete* checkpoint at the kill
    assert state["global_step"] == 40 and resumed in existing
    start = int(resumed.split("-")[1])
    assert start >= 5
    new_steps = [m["step"] for m in metrics(tmp_path / "resume")[lines_before:] if "loss" in m]
    assert new_steps[0] == start + 1 and new_steps[-1] == 40  # continued, not restarted
