"""`rlvr export gguf`: source -> GGUF file(s) -> round-trip check -> Modelfile + export.json.

Outputs, all in one directory (`<run>/export/` for a run directory, else `--out`):
  <name>-<quant>.gguf      the model, tokenizer and chat template in one file
  check-<quant>.jsonl      per prompt: token count, ids match, max |logit diff|, top-1 agreement
  Modelfile                for Ollama, pointing at the first quant exported in this call
  export.json              files, sizes, sha256, tensor types, timing and the check figures
Existing GGUFs are never replaced without `force`. A check out of tolerance is recorded in
export.json, the file is kept for inspection, and ExportCheckError is raised.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rlvr.export.check import CheckResult, check_gguf
from rlvr.export.errors import ExportCheckError, ExportError
from rlvr.export.quant import QuantType, get_quant
from rlvr.io import atomic_write, read_json, write_json, write_jsonl


@dataclass
class ExportedFile:
    quant: str
    file: str  # name inside out_dir
    bytes: int
    sha256: str
    convert_s: float
    tensor_types: dict
    tokenizer_pre: str
    check: CheckResult | None = None

    def to_json(self) -> dict:
        d = asdict(self)
        d["check"] = self.check.summary() if self.check else None
        return d


@dataclass
class ExportResult:
    source: str
    out_dir: Path
    architecture: str
    files: list[ExportedFile] = field(default_factory=list)
    modelfile: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(f.check is None or f.check.passed for f in self.files)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _progress():
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=Console(stderr=True), transient=True)


def _write_one(source, quant: QuantType, path: Path):
    """Convert (and, for k-quants, quantize with llama.cpp) into `path`; returns GGUFInfo."""
    from rlvr.export.convert import count_tensors, write_gguf
    from rlvr.export.external import quantize_external
    from rlvr.export.quant import QUANT_TYPES

    direct = quant if quant.ggml_type else QUANT_TYPES["f32"]
    target = path if quant.ggml_type else path.with_name(f".{path.stem}.f32.gguf")
    with _progress() as bar:
        task = bar.add_task(f"writing {path.name}", total=count_tensors(source.model))
        info = write_gguf(source.model, source.tokenizer_dir, target, direct, source.name,
                          on_tensor=lambda _: bar.advance(task))
    if not quant.ggml_type:
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            quantize_external(target, tmp, quant)
            os.replace(tmp, path)
        finally:
            for p in (target, tmp):
                if p.exists():
                    p.unlink()
        info.tensor_types = {"(llama.cpp)": info.n_tensors}
    return info


def export_gguf(
    source_arg: str,
    quants: list[str] | tuple[str, ...] = ("q8_0",),
    out_dir: str | os.PathLike | None = None,
    check: bool = True,
    force: bool = False,
) -> ExportResult:
    """Export `source_arg` (run dir, model dir, alias, or LoRA adapter dir) to GGUF in each of `quants`."""
    from transformers import AutoTokenizer

    from rlvr.export.external import require_quantizer
    from rlvr.export.modelfile import modelfile_text
    from rlvr.export.source import load_source, locate

    specs = [get_quant(q) for q in quants]
    if not specs:
        raise ExportError("no quantization type given; pass --quant f16 or --quant q8_0.")
    for spec in specs:  # fail before loading anything
        if spec.ggml_type is None:
            require_quantizer(spec)
    _, run_dir, name = locate(source_arg)
    if out_dir is None:
        if run_dir is None:
            raise ExportError(
                f"'{source_arg}' is not a run directory, so there is no runs/<name>/export/ to write to. "
                "Pass --out DIR to say where the GGUF should go."
            )
        out_dir = run_dir / "export"
    out_dir = Path(out_dir)
    paths = {spec.name: out_dir / f"{name}-{spec.name}.gguf" for spec in specs}
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing and not force:
        raise ExportError(f"{', '.join(existing)} already exist(s); nothing was changed. Pass --force to replace, or --out another directory.")

    source = load_source(source_arg)
    tokenizer = AutoTokenizer.from_pretrained(str(source.tokenizer_dir))
    result = ExportResult(source=source_arg, out_dir=out_dir, architecture=source.model.config.model_type,
                          notes=list(source.notes))
    for spec in specs:
        path = paths[spec.name]
        t0 = time.perf_counter()
        info = _write_one(source, spec, path)
        exported = ExportedFile(spec.name, path.name, path.stat().st_size, _sha256(path),
                                round(time.perf_counter() - t0, 2), info.tensor_types, info.tokenizer_pre)
        if check:
            exported.check = check_gguf(path, source.model, tokenizer, spec)
            write_jsonl(out_dir / f"check-{spec.name}.jsonl", [asdict(r) for r in exported.check.prompts])
        result.files.append(exported)

    result.modelfile = out_dir / "Modelfile"
    with atomic_write(result.modelfile) as f:
        f.write(modelfile_text(result.files[0].file, tokenizer))
    _record(result, source)
    if not result.passed:
        failures = [f"{f.file}: {'; '.join(f.check.failures)}" for f in result.files if f.check and not f.check.passed]
        raise ExportCheckError(
            "the exported GGUF does not match its source within tolerance -- "
            + " | ".join(failures)
            + f". The file(s) are kept in {out_dir} and the figures are in export.json; "
            "do not ship them. Try a less aggressive --quant (f16 or q8_0)."
        )
    return result


def _record(result: ExportResult, source) -> Path:
    """Write export.json, keeping entries for other files already exported into the same directory."""
    path = result.out_dir / "export.json"
    previous = read_json(path) if path.exists() else {}
    files = {f["file"]: f for f in previous.get("files", [])}
    for f in result.files:
        files[f.file] = f.to_json()
    return write_json(path, {
        "source": result.source,
        "model_dir": str(source.model_dir),
        "adapter_base": source.adapter_base,
        "architecture": result.architecture,
        "notes": result.notes,
        "modelfile": result.modelfile.name if result.modelfile else None,
        "files": sorted(files.values(), key=lambda f: f["file"]),
    })
