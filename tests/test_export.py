"""GGUF export: conversion details, the round trip on tiny-random, LoRA merging, CLI errors.

The round trips reload each GGUF with transformers (about 5-15 s per file on a 2-core CPU), so one
module-scoped export serves several assertions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rlvr.export import ExportCheckError, ExportError, export_gguf, get_quant
from rlvr.export.convert import permute_qk, read_metadata
from rlvr.models import resolve_model

CLI = [sys.executable, "-c", "import sys; from rlvr.cli import main; sys.argv[0] = 'rlvr'; main()"]


def run_cli(*args, cwd=None):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=600)


# ---- conversion pieces (fast) -------------------------------------------------------------------


def test_permute_qk_is_exactly_what_transformers_gguf_loader_undoes():
    from transformers.modeling_gguf_pytorch_utils import LlamaTensorProcessor

    q = np.arange(8 * 16 * 3, dtype=np.float32).reshape(8 * 16, 3)  # 8 heads of dim 16, 3 input features
    k = np.arange(2 * 16 * 3, dtype=np.float32).reshape(2 * 16, 3)  # 2 kv heads
    undo = LlamaTensorProcessor(config={"num_attention_heads": 8, "num_key_value_heads": 2})
    pq, pk = permute_qk(q, 8, 8), permute_qk(k, 8, 2)
    assert not np.array_equal(pq, q)
    # llama.cpp's rope layout: within a head, rows (0, 8, 1, 9, ...) of the HF layout
    assert pq[:4, 0].tolist() == q[[0, 8, 1, 9], 0].tolist() == [0.0, 24.0, 3.0, 27.0]
    assert np.array_equal(undo.process(pq, "blk.0.attn_q.weight").weights, q)
    assert np.array_equal(undo.process(pk, "blk.0.attn_k.weight").weights, k)


def test_unknown_quant_is_a_clear_error():
    with pytest.raises(ExportError, match=r"unknown quantization type 'q3_xyz'.*f16.*q8_0"):
        get_quant("q3_xyz")
    assert get_quant("Q8_0").name == "q8_0"


def test_k_quants_without_llama_cpp_say_how_to_get_it():
    from rlvr.export.external import available_quantizer, require_quantizer

    if available_quantizer() is not None:
        pytest.skip("llama.cpp's quantizer is installed here")
    with pytest.raises(ExportError, match=r"q4_k_m needs llama.cpp's quantizer.*llama-cpp-python.*llama-quantize.*q8_0"):
        require_quantizer(get_quant("q4_k_m"))


def test_existing_gguf_is_not_overwritten_without_force(tmp_path):
    (tmp_path / "tiny-random-f16.gguf").write_bytes(b"keep me")
    with pytest.raises(ExportError, match="already exist.*--force"):
        export_gguf("tiny-random", ["f16"], out_dir=tmp_path)
    assert (tmp_path / "tiny-random-f16.gguf").read_bytes() == b"keep me"


def test_non_run_source_needs_out():
    with pytest.raises(ExportError, match="not a run directory.*--out DIR"):
        export_gguf("tiny-random", ["f16"])


def test_modelfile_template_renders_like_the_jinja_chat_template():
    from transformers import AutoTokenizer

    from rlvr.export.modelfile import chat_style, modelfile_text, render_ollama_prompt

    tok = AutoTokenizer.from_pretrained(str(resolve_model("tiny-random")))
    style = chat_style(tok)
    assert style.name == "chatml"
    assert style.default_system == "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
    user = {"role": "user", "content": "What is 2 + 2?"}
    with_system = [{"role": "system", "content": "Answer with a number."}, user]
    jinja = tok.apply_chat_template(with_system, tokenize=False, add_generation_prompt=True)
    assert render_ollama_prompt("chatml", "Answer with a number.", "What is 2 + 2?") == jinja
    jinja_default = tok.apply_chat_template([user], tokenize=False, add_generation_prompt=True)
    assert render_ollama_prompt("chatml", style.default_system, "What is 2 + 2?") == jinja_default
    text = modelfile_text("m.gguf", tok)
    assert text.splitlines()[1] == "FROM ./m.gguf"
    assert 'PARAMETER stop "<|im_end|>"' in text and 'SYSTEM """You are a helpful AI assistant' in text


# ---- tiny-random round trip -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_export(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny-export")
    return export_gguf("tiny-random", ["f16", "q8_0"], out_dir=out), out


def test_tiny_round_trip_passes_within_tolerance(tiny_export):
    result, out = tiny_export
    assert [f.file for f in result.files] == ["tiny-random-f16.gguf", "tiny-random-q8_0.gguf"]
    f16, q8 = (f.check for f in result.files)
    assert f16.passed and q8.passed
    assert f16.tokenizer_ids_match and f16.chat_template_match
    assert f16.max_abs_diff < 2e-3 and f16.top1_agreement_all == 1.0
    assert q8.max_abs_diff < 5e-2 and q8.top1_agreement_all > 0.95
    assert f16.max_abs_diff < q8.max_abs_diff  # 8-bit blocks lose more than half precision
    assert result.files[1].bytes < result.files[0].bytes


def test_tiny_gguf_carries_architecture_tokenizer_and_template(tiny_export):
    _, out = tiny_export
    md = read_metadata(out / "tiny-random-q8_0.gguf")
    assert md["general.architecture"] == "llama"
    assert md["tokenizer.ggml.model"] == "gpt2" and md["tokenizer.ggml.pre"] == "smollm"
    assert (md["tokenizer.ggml.bos_token_id"], md["tokenizer.ggml.eos_token_id"], md["tokenizer.ggml.padding_token_id"]) == (1, 2, 2)
    assert md["tokenizer.ggml.add_bos_token"] is False
    assert md["tokenizer.chat_template"].startswith("{% for message in messages %}")
    assert (md["llama.block_count"], md["llama.embedding_length"], md["llama.attention.head_count_kv"]) == (2, 64, 2)
    assert md["llama.rope.freq_base"] == 10000.0
    assert md["general.file_type"] == 7  # LlamaFileType.MOSTLY_Q8_0


def test_tiny_export_writes_export_json_checks_and_modelfile(tiny_export):
    _, out = tiny_export
    record = json.loads((out / "export.json").read_text())
    assert record["architecture"] == "llama" and record["modelfile"] == "Modelfile"
    by_file = {f["file"]: f for f in record["files"]}
    assert set(by_file) == {"tiny-random-f16.gguf", "tiny-random-q8_0.gguf"}
    q8 = by_file["tiny-random-q8_0.gguf"]
    assert q8["bytes"] == (out / "tiny-random-q8_0.gguf").stat().st_size
    assert q8["tensor_types"] == {"Q8_0": 15, "F32": 5}  # norms stay F32, as llama.cpp writes them
    assert q8["check"]["passed"] is True and len(q8["sha256"]) == 64
    rows = [json.loads(line) for line in (out / "check-q8_0.jsonl").read_text().splitlines()]
    assert [r["prompt"] for r in rows][0] == "What is 12 + 7?" and all(r["ids_match"] for r in rows)
    assert (out / "Modelfile").read_text().splitlines()[1] == "FROM ./tiny-random-f16.gguf"
    assert not list(out.glob(".*.tmp"))


def test_wrong_rope_permutation_is_caught(tmp_path, monkeypatch):
    """The check must be able to fail: a Llama written without llama.cpp's q/k permutation is
    reloaded with the wrong rotary layout, and its logits drift out of tolerance."""
    import rlvr.export.convert as convert

    monkeypatch.setattr(convert, "permute_qk", lambda w, n_head, n_head_kv=None: w)
    with pytest.raises(ExportCheckError, match=r"exceeds the f16 tolerance of 0.02 x std"):
        export_gguf("tiny-random", ["f16"], out_dir=tmp_path)
    record = json.loads((tmp_path / "export.json").read_text())
    assert record["files"][0]["check"]["passed"] is False


# ---- LoRA adapter in a run directory ---------------------------------------------------------------


def test_lora_run_is_merged_before_export(tmp_path):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from rlvr.export.check import chat_texts

    base_dir = resolve_model("tiny-random")
    base = AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=torch.float32)
    peft_model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"]))
    torch.manual_seed(1)
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)  # B starts at zero; a trained adapter's is not, and the merge must show
    run = tmp_path / "runs" / "lora-run"
    peft_model.save_pretrained(run / "model")
    tok = AutoTokenizer.from_pretrained(str(base_dir))
    tok.save_pretrained(run / "model")
    cfg = json.loads((run / "model" / "adapter_config.json").read_text())
    assert cfg["base_model_name_or_path"] == str(base_dir)

    result = export_gguf(str(run), ["f16"])  # a run directory: output goes to <run>/export/
    assert result.out_dir == run / "export" and result.files[0].check.passed
    assert any("merged LoRA adapter" in n for n in result.notes)

    # The check compared the reloaded GGUF with the merged model: |gguf - merged| <= max_abs_diff on
    # every position. The merge moved the logits far more than that, so the file is not the base.
    merged = peft_model.merge_and_unload().eval()
    plain = AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=torch.float32).eval()
    ids = tok(chat_texts(tok)[0], return_tensors="pt", add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        merge_effect = (merged(ids).logits - plain(ids).logits).abs().max().item()
    assert result.files[0].check.max_abs_diff < 2e-3
    assert merge_effect > 50 * result.files[0].check.max_abs_diff


# ---- CLI --------------------------------------------------------------------------------------------


def test_cli_not_a_model_dir_exits_2_with_message(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    proc = run_cli("export", "gguf", str(tmp_path), "--quant", "f16", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert "neither a model directory" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_unknown_quant_exits_2_with_choices(tmp_path):
    proc = run_cli("export", "gguf", "tiny-random", "--quant", "q9_9", "--out", str(tmp_path))
    assert proc.returncode == 2
    assert "unknown quantization type 'q9_9'" in proc.stderr and "q8_0" in proc.stderr
    assert "Traceback" not in proc.stderr


# ---- the embedded model (slow) ------------------------------------------------------------------------


@pytest.mark.slow
def test_smollm2_round_trip_f16_and_q8_0(tmp_path):
    proc = run_cli("export", "gguf", "smollm2-135m", "--quant", "f16", "--quant", "q8_0", "--out", str(tmp_path), "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    record = json.loads(proc.stdout)
    checks = {f["quant"]: f["check"] for f in record["files"]}
    assert checks["f16"]["passed"] and checks["q8_0"]["passed"]
    assert checks["f16"]["top1_agreement_all"] >= 0.99
    assert checks["f16"]["max_abs_diff"] < checks["q8_0"]["max_abs_diff"]
    sizes = {f["quant"]: f["bytes"] for f in record["files"]}
    assert 250e6 < sizes["f16"] < 290e6 and 130e6 < sizes["q8_0"] < 160e6


# ---- Qwen2 (q/k/v biases) and Qwen3 (q/k norms, non-default head size) --------------------------------


@pytest.mark.parametrize("family", ["qwen2", "qwen3"])
def test_qwen_round_trip_f16(tmp_path, family):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, Qwen2Config, Qwen3Config

    tok = AutoTokenizer.from_pretrained(str(resolve_model("tiny-random")))
    config_class, extra = (Qwen2Config, {}) if family == "qwen2" else (Qwen3Config, {"head_dim": 32})
    config = config_class(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                          num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                          tie_word_embeddings=False, rope_theta=1e6, bos_token_id=tok.bos_token_id,
                          eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, **extra)
    torch.manual_seed(0)
    model_dir = tmp_path / f"tiny-{family}"
    AutoModelForCausalLM.from_config(config, dtype=torch.float32).save_pretrained(model_dir)
    tok.save_pretrained(model_dir)

    result = export_gguf(str(model_dir), ["f16"], out_dir=tmp_path / "out")
    check = result.files[0].check
    assert check.passed and check.tokenizer_ids_match and check.max_rel_diff < 0.01
    md = read_metadata(tmp_path / "out" / f"tiny-{family}-f16.gguf")
    assert md["general.architecture"] == family
    assert md[f"{family}.rope.freq_base"] == 1e6
    assert md[f"{family}.attention.key_length"] == (16 if family == "qwen2" else 32)


def test_sentencepiece_style_tokenizer_is_refused():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from rlvr.export.convert import vocab_of

    spm_like = Tokenizer(models.BPE(vocab={"<unk>": 0, "▁a": 1, "a": 2}, merges=[], byte_fallback=True, unk_token="<unk>"))
    spm_like.pre_tokenizer = pre_tokenizers.Metaspace()
    spm_like.decoder = decoders.Metaspace()
    with pytest.raises(ExportError, match="SentencePiece-style BPE tokenizer.*convert_hf_to_gguf"):
        vocab_of(PreTrainedTokenizerFast(tokenizer_object=spm_like), 3)
