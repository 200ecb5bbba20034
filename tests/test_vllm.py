"""vLLM paths: `rlvr eval` and GRPO pick vLLM only where it can run; on a GPU with vLLM the two
generation backends agree on greedy completions and vLLM is faster (gpu-marked; skipped here)."""

import importlib.util

import pytest
import torch

from rlvr.eval.generate import GenerationConfig, generate, pick_backend

HAS_VLLM_GPU = torch.cuda.is_available() and importlib.util.find_spec("vllm") is not None
needs_vllm_gpu = pytest.mark.skipif(not HAS_VLLM_GPU, reason="needs vllm and a CUDA GPU")


def test_auto_backend_is_transformers_without_vllm_and_gpu():
    assert pick_backend("auto") == ("vllm" if HAS_VLLM_GPU else "transformers")
    assert pick_backend("transformers") == "transformers"


@pytest.mark.skipif(HAS_VLLM_GPU, reason="vllm can run here")
def test_forcing_vllm_without_it_is_a_clear_error(tiny_model):
    from rlvr.errors import RlvrError

    with pytest.raises(RlvrError, match="needs the vllm package"):
        generate(tiny_model, ["What is 1 + 1?"], GenerationConfig(max_new_tokens=2), backend="vllm")


@pytest.mark.gpu
@needs_vllm_gpu
def test_vllm_matches_transformers_greedy_and_is_faster(tiny_model):
    """Same prompts, greedy: most completions agree token for token (fp32 vs bf16 kernels may flip a
    near-tie), and vLLM's tokens/s beats transformers' in the same run."""
    import time

    from rlvr.models import load_tokenizer
    from rlvr.tasks import load_task

    prompts = [r["prompt"] for r in load_task("arithmetic", "eval", n=64)]
    cfg = GenerationConfig(max_new_tokens=32, batch_size=64)
    tok = load_tokenizer(tiny_model)
    timings = {}
    outs = {}
    for backend in ("transformers", "vllm"):
        generate(tiny_model, prompts[:2], cfg, backend=backend, progress=False)  # warm-up / engine start
        t0 = time.perf_counter()
        outs[backend] = generate(tiny_model, prompts, cfg, backend=backend, progress=False)
        n = sum(len(tok(c[0], add_special_tokens=False)["input_ids"]) for c in outs[backend])
        timings[backend] = n / (time.perf_counter() - t0)
    same = sum(a == b for a, b in zip(outs["transformers"], outs["vllm"]))
    assert same >= 0.8 * len(prompts)
    assert timings["vllm"] > timings["transformers"], timings


@pytest.mark.gpu
@needs_vllm_gpu
def test_grpo_stage_trains_with_vllm_colocate(tmp_path, tiny_model):
    from rlvr.train.recipe import parse_recipe
    from rlvr.train.runner import run_recipe

    r = parse_recipe({"name": "v", "model": "tiny-random", "output_dir": str(tmp_path / "v"), "stages": [
        {"method": "grpo", "data": {"task": "arithmetic", "n": 8}, "rewards": ["accuracy"], "num_generations": 4,
         "per_device_train_batch_size": 8, "max_completion_length": 8, "max_steps": 2, "logging_steps": 1}]})
    res = run_recipe(r, report=False)
    assert (res.model_dir / "config.json").exists()
