import json

import pytest

from rlvr.errors import ModelError
from rlvr.models import resolve_model


def test_unknown_alias_is_a_clear_error():
    with pytest.raises(ModelError, match="unknown model 'smollm9'"):
        resolve_model("smollm9")


def test_directory_without_config_is_rejected(tmp_path):
    with pytest.raises(ModelError, match="no config.json"):
        resolve_model(tmp_path)


def test_hub_id_not_in_cache_is_an_offline_error():
    with pytest.raises(ModelError, match="not in the local Hugging Face cache"):
        resolve_model("nobody-owns-this/model-xyz-123")


def test_tiny_random_is_a_loadable_llama_with_chat_template(tiny_model):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    config = json.loads((tiny_model / "config.json").read_text())
    assert config["model_type"] == "llama" and config["num_hidden_layers"] == 2
    tok = AutoTokenizer.from_pretrained(tiny_model)
    text = tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True)
    assert "<|im_start|>assistant" in text
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    assert model.config.vocab_size == len(tok)


def test_run_directory_resolves_to_its_final_model(tmp_path, tiny_model):
    import shutil

    shutil.copytree(tiny_model, tmp_path / "model")
    assert resolve_model(tmp_path) == tmp_path / "model"


def test_cache_dir_follows_rlvr_cache(monkeypatch, tmp_path):
    from rlvr import models

    monkeypatch.setenv("RLVR_CACHE", str(tmp_path))
    assert models.cache_dir() == tmp_path
    path = models.materialize_tiny_random()
    assert path.parent == tmp_path / "models" and (path / "config.json").exists()
    assert models.materialize_tiny_random() == path  # reused, not rebuilt
