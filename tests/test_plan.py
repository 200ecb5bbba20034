"""Plan arithmetic with literals: parameter counts from configs, memory terms, LoRA default, hardware choice."""

import json
import subprocess
import sys

import pytest

from rlvr.train.plan import GiB, Shape, count_params, lora_params, memory, plan
from rlvr.train.recipe import parse_recipe

LLAMA2_7B = {"model_type": "llama", "vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 11008,
             "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32,
             "tie_word_embeddings": False}
SMOLLM2_135M = {"model_type": "llama", "vocab_size": 49152, "hidden_size": 576, "intermediate_size": 1536,
                "num_hidden_layers": 30, "num_attention_heads": 9, "num_key_value_heads": 3, "head_dim": 64,
                "tie_word_embeddings": True}


def test_param_count_matches_published_sizes():
    assert count_params(LLAMA2_7B).params == 6_738_415_616  # Llama-2-7b's real count
    assert count_params(SMOLLM2_135M).params == 134_515_008


def test_param_count_matches_the_real_tiny_random_model():
    import torch
    from transformers import AutoModelForCausalLM

    from rlvr.models import resolve_model
    from rlvr.train.plan import model_size

    path = resolve_model("tiny-random")
    model = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32)
    real = sum(p.numel() for p in model.parameters())
    assert model_size("tiny-random").params == real == 3_219_776


def test_lora_params_and_memory_terms():
    size = count_params(LLAMA2_7B)
    assert lora_params(size, {"r": 16, "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"]}) == 16_777_216
    shape = Shape(batch=8, seq=512, checkpointing=True)
    full = {t.name: t.bytes for t in memory(size, shape, "full", None).terms}
    P = 6_738_415_616
    assert full["weights"] == P * 2 and full["gradients"] == P * 2 and full["optimizer"] == P * 8
    assert full["activations"] == 8 * 512 * 4096 * (2 * 32 + 34)
    assert full["logits"] == 8 * 512 * 32000 * 4
    assert full["overhead"] == GiB
    lora = {t.name: t.bytes for t in memory(size, shape, "lora", {"r": 16}).terms}
    assert lora["adapters"] == 16_777_216 * 4 and lora["optimizer"] == 16_777_216 * 8
    assert "reference" not in lora
    qlora = memory(size, shape, "qlora", {"r": 16})
    assert qlora.total < memory(size, shape, "lora", {"r": 16}).total < memory(size, shape, "full", None).total


def test_grpo_kv_cache_term():
    size = count_params(SMOLLM2_135M)
    shape = Shape(batch=16, seq=100, gen_sequences=16, gen_seq=100)
    kv = next(t for t in memory(size, shape, "full", None).terms if t.name == "kv_cache")
    assert kv.bytes == 2 * 30 * 3 * 64 * 100 * 16 * 2


def recipe(model="tiny-random", **stage):
    return parse_recipe({"name": "t", "model": model,
                         "stages": [{"method": "sft", "data": {"task": "arithmetic", "n": 40}, **stage}]})


def test_plan_small_model_full_finetune_on_the_cheapest_flavour():
    p = plan(recipe())
    s = p.stages[0]
    assert p.params == 3_219_776 and s.lora is False and s.mode == "full"
    assert s.rows == 40 and s.flavor == "cpu-basic"
    assert any(line.startswith("tokens = rows*epochs*mean tokens per example = 40*1*") for line in s.arithmetic)
    json.dumps(p.to_dict())  # serialisable


def test_lora_flag_and_recipe_lora():
    assert plan(recipe(), lora=True).stages[0].mode == "lora"
    p = plan(recipe(lora={"r": 8}))
    assert p.stages[0].lora is True and p.stages[0].lora_config["r"] == 8


def test_a_7b_config_gets_lora_by_default_and_skips_a_t4(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(LLAMA2_7B))
    p = plan(recipe(model=str(tmp_path)))
    s = p.stages[0]
    assert s.lora is True and "LoRA by default" in s.lora_reason
    fits = {f.flavor: f.fits for f in s.fits}
    assert fits["t4-small"] is False and fits["a100-large"] is True
    assert s.flavor not in ("cpu-basic", "cpu-upgrade", "t4-small", "t4-medium")


def test_cli_plan_errors_exit_2(tmp_path):
    bad = tmp_path / "r.yaml"
    bad.write_text("name: x\nmodel: tiny-random\nlearning_rat: 1\nstages: [{method: sft, data: {task: arithmetic}}]\n")
    res = subprocess.run([sys.executable, "-m", "rlvr", "plan", str(bad)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "unknown top-level key(s) learning_rat" in res.stderr
    assert "Traceback" not in res.stderr
    bad.write_text("name: x\nmodel: nobody/no-such-model\nstages: [{method: sft, data: {task: arithmetic}}]\n")
    res = subprocess.run([sys.executable, "-m", "rlvr", "plan", str(bad)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "not in the local Hugging Face cache" in res.stderr


def test_cli_plan_json(tmp_path):
    r = tmp_path / "r.yaml"
    r.write_text("name: x\nmodel: tiny-random\nstages: [{method: sft, data: {task: arithmetic, n: 16}}]\n")
    res = subprocess.run([sys.executable, "-m", "rlvr", "plan", str(r), "--json"], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    assert d["params"] == 3_219_776 and d["stages"][0]["memory"]["full"]["terms"][0]["name"] == "weights"
