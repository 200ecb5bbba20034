"""`inspect_dataset`: scan every row, measure what needs measuring, decide readiness, return the report.

The report is a plain dict with a stable schema (documented in docs/inspect.md), the same one
`rlvr inspect --json` prints and `runs/<name>/readiness.json` holds.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from rlvr.data.load import MAX_ROW_BYTES, open_source
from rlvr.data.readiness import answer_candidates, measure_parse_rate, readiness
from rlvr.data.scan import SAMPLE_SIZE, ScanResult, scan

SCHEMA_VERSION = 1
MAX_PARSE_COLUMNS = 2  # answer candidates whose parse rate is measured (about 1-2 s each)


def _length_stats(values) -> dict | None:
    if not len(values):
        return None
    a = np.frombuffer(values, dtype=np.int64) if values.itemsize == 8 else np.asarray(values)
    p50, p95 = np.percentile(a, [50, 95])
    return {"n": int(a.size), "min": int(a.min()), "mean": round(float(a.mean()), 2), "p50": float(p50),
            "p95": float(p95), "max": int(a.max()), "total": int(a.sum())}


def build_report(result: ScanResult, model: str | None = None) -> dict[str, Any]:
    """The report dict from raw scan facts (without readiness and parse rates)."""
    rows = result.rows
    loc = result.source.loc_name
    columns = {}
    lengths = {}
    for name, col in result.columns.items():
        missing = rows - col.present
        info = {"type": col.dominant_type(), "types": col.type_counts(), "present": col.present,
                "missing": missing, "nulls": col.nulls, "null_rate": round((col.nulls + missing) / rows, 6),
                "empty": col.empties, "empty_rate": round(col.empties / rows, 6)}
        if col.sample is not None and col.sample:
            info["numeric_rate"] = round(col.numeric_strings / len(col.sample), 4)
        columns[name] = info
        stats = _length_stats(col.lengths)
        if stats:
            lengths[name] = stats
    messages = {}
    for name, col in result.columns.items():
        if col.conversation is not None:
            conv = dict(col.conversation)
            conv["examples"] = [{loc: l, "problems": p} for l, p in result.conversation_examples.get(name, [])]
            messages[name] = conv
    dpo: dict[str, Any] = {}
    for (chosen, rejected), (both, identical, examples) in result.dpo.items():
        if both:
            dpo = {"chosen": chosen, "rejected": rejected, "rows": both, "identical": identical,
                   "identical_rate": round(identical / both, 6), "examples": [{loc: l} for l in examples]}
            break
    return {
        "schema_version": SCHEMA_VERSION,
        "source": result.source.describe(),
        "rows": rows,
        "columns": columns,
        "duplicates": {"rows": result.duplicates, "rate": round(result.duplicates / rows, 6),
                       "examples": [{loc: l} for l in result.duplicate_examples],
                       "method": "identical raw lines" if result.source.kind == "jsonl" else "identical rows (sorted-key JSON)"},
        "lengths": {"unit": result.length_unit, "model": model, "columns": lengths},
        "messages": messages,
        "dpo": dpo,
        "answers": {},
        "readiness": {},
        "scan": {"elapsed_s": round(result.elapsed_s, 3), "rows_per_s": round(rows / max(result.elapsed_s, 1e-9))},
    }


def _load_tokenizer(model: str):
    from rlvr.models import load_tokenizer, resolve_model

    return load_tokenizer(resolve_model(model))


def inspect_dataset(path_or_id: str | os.PathLike, split: str | None = None, config: str | None = None,
                    limit: int | None = None, model: str | None = None, progress: bool = False,
                    max_row_bytes: int = MAX_ROW_BYTES, parse_rate: bool = True,
                    sample_size: int = SAMPLE_SIZE) -> dict[str, Any]:
    """Scan a dataset and decide its readiness for SFT, DPO and GRPO. DatasetError/ModelError on bad input."""
    tokenizer = _load_tokenizer(model) if model else None
    source = open_source(path_or_id, split, config, limit, max_row_bytes)
    result = scan(source, tokenizer=tokenizer, progress=progress, sample_size=sample_size)
    report = build_report(result, model)
    candidates = answer_candidates(report)
    measured = 0
    for name in candidates:
        sample = result.columns[name].sample or []
        if parse_rate and measured < MAX_PARSE_COLUMNS:
            parse = measure_parse_rate(sample)
            report["columns"][name]["math_parse"] = parse
            measured += 1
            if parse["rate"] >= 0.5:
                break
    verdicts = readiness(report)
    report["readiness"] = {m: r.to_dict() for m, r in verdicts.items()}
    answer = verdicts["grpo"].details.get("answer_column") or (candidates[0] if candidates else None)
    if answer:
        col = report["columns"][answer]
        parse = col.get("math_parse") or {}
        n_missing = col["missing"] + col["nulls"] + col["empty"]
        report["answers"] = {
            "column": answer, "missing": n_missing, "missing_rate": round(n_missing / report["rows"], 6),
            "sampled": parse.get("sampled", 0), "parsed": parse.get("parsed", 0), "parse_rate": parse.get("rate"),
            "parse_rate_ci": parse.get("ci"),
            "note": (f"parse rate on a seeded random sample of at most {sample_size:,} non-empty answers "
                     "(math-verify, as the accuracy reward parses gold answers)") if parse else "parse rate not measured",
        }
    return report
