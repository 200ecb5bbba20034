"""JSON Schemas (draft 2020-12) of every `--json` output an agent reads, one file per command.

    from rlvr.schemas import validate
    validate("eval", json.loads(stdout))      # raises jsonschema.ValidationError naming the path

Schemas list the keys a caller may rely on (required) and their types; outputs may carry more keys
(additionalProperties is left open), so adding a key never breaks a reader. docs/json-schemas.md
describes each in prose; tests/test_json_schemas.py runs every command and validates its output.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).parent
# command -> schema file stem
COMMANDS = {
    "rlvr inspect DATA --json": "inspect",
    "rlvr plan RECIPE --json": "plan",
    "rlvr probe RECIPE --json": "probe",
    "rlvr eval ... --json": "eval",
    "rlvr verify SAMPLES --out RESULTS --json": "verify",
    "rlvr compare A B --json": "compare",
    "rlvr contamination TRAIN EVAL --json": "contamination",
    "rlvr audit math|code ... --json": "audit",
    "rlvr audit slice RUN_DIR --json": "audit-slice",
    "rlvr audit score REVIEWED --json": "audit-score",
    "rlvr export gguf SOURCE --json": "export",
    "rlvr report RUN_DIR --json": "report",
    "runs/<name>/run.json (rlvr train)": "run",
    "runs/<name>/monitor.jsonl rows (rlvr train)": "monitor-row",
}


def names() -> list[str]:
    return sorted(p.name.removesuffix(".schema.json") for p in HERE.glob("*.schema.json"))


@lru_cache(maxsize=None)
def schema(name: str) -> dict:
    path = HERE / f"{name}.schema.json"
    if not path.is_file():
        raise KeyError(f"no schema {name!r}; known: {', '.join(names())}")
    return json.loads(path.read_text(encoding="utf-8"))


def validate(name: str, payload) -> None:
    """Raise jsonschema.ValidationError when `payload` does not match schema `name`."""
    import jsonschema

    jsonschema.Draft202012Validator(schema(name)).validate(payload)
