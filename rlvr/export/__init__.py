"""GGUF export that checks itself: merge a LoRA adapter if there is one, convert to GGUF with
llama.cpp's gguf-py (tokenizer and chat template inside), reload the file and compare its logits
with the source, and write an Ollama Modelfile and export.json beside it. See docs/export.md."""

from rlvr.export.errors import ExportCheckError, ExportError
from rlvr.export.pipeline import ExportResult, export_gguf
from rlvr.export.quant import QUANT_TYPES, get_quant

__all__ = ["ExportCheckError", "ExportError", "ExportResult", "QUANT_TYPES", "export_gguf", "get_quant"]
