"""llama.cpp's own quantizer, for the k-quants gguf-py cannot produce (q4_k_m, q5_k_m, q6_k).

Two ways to reach it, tried in this order: a `llama-quantize` binary on PATH (from a llama.cpp
build or package), or the `llama-cpp-python` package (`llama_cpp.llama_model_quantize`). Neither
is a dependency of rlvr: llama-cpp-python is an sdist that takes minutes to compile.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from rlvr.export.errors import ExportError
from rlvr.export.quant import QUANT_TYPES, QuantType

HOW_TO_GET = (
    "Install llama.cpp's quantizer, either `pip install llama-cpp-python` (builds llama.cpp from source, "
    "about 4 minutes on 2 cores; `CMAKE_ARGS=-DGGML_NATIVE=OFF` for a portable build) or a llama.cpp "
    "release with `llama-quantize` on PATH. Without it, pick a type gguf-py writes in pure Python: "
    + ", ".join(q.name for q in QUANT_TYPES.values() if q.producer == "gguf-py")
    + "."
)


def available_quantizer() -> str | None:
    """'llama-quantize' (a binary path), 'llama_cpp' (the Python package), or None."""
    binary = shutil.which("llama-quantize")
    if binary:
        return binary
    try:
        import llama_cpp  # noqa: F401
    except Exception:
        return None
    return "llama_cpp"


def require_quantizer(quant: QuantType) -> str:
    quantizer = available_quantizer()
    if quantizer is None:
        raise ExportError(f"{quant.name} needs llama.cpp's quantizer, which is not installed here. {HOW_TO_GET}")
    return quantizer


def quantize_external(src: str | os.PathLike, dst: str | os.PathLike, quant: QuantType) -> None:
    """Quantize the GGUF `src` (f32 or f16) into `dst` with llama.cpp. Not exercised by the test suite
    on machines without llama.cpp (see docs/export.md)."""
    quantizer = require_quantizer(quant)
    ftype = quant.file_type.removeprefix("MOSTLY_")  # e.g. Q4_K_M
    if quantizer != "llama_cpp":
        proc = subprocess.run([quantizer, str(src), str(dst), ftype], capture_output=True, text=True)
        if proc.returncode != 0:
            raise ExportError(f"llama-quantize failed for {quant.name} (exit {proc.returncode}): {proc.stderr.strip()[-800:]}")
        return
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{ftype}")
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), params)
    if rc != 0 or not Path(dst).exists():
        raise ExportError(f"llama_cpp.llama_model_quantize failed for {quant.name} (return code {rc}).")
