"""Errors `rlvr export` can raise. Both are user-facing (RlvrError): the CLI prints the message and
exits 2 without a traceback."""

from rlvr.errors import RlvrError


class ExportError(RlvrError):
    """An input that cannot be exported: not a model, an unsupported architecture, an unknown or
    unavailable quantization type, an output that already exists."""


class ExportCheckError(ExportError):
    """The written GGUF does not reproduce the source model within the tolerance of its quantization
    type (logits, top-1 agreement, tokenizer ids or chat template). The file is kept for inspection."""
