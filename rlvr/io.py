"""Reading and writing the plain files rlvr exchanges: JSONL and JSON, written atomically.

Every output goes to a temporary file in the same directory and is renamed into place, so a crash
never leaves a half-written file where a good one was.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

from rlvr.errors import DatasetError


def iter_jsonl(path: str | os.PathLike) -> Iterator[tuple[int, dict]]:
    """Yield (line_number, row) for each non-blank line; a bad line raises DatasetError naming it."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: no such file. Check the path, or create it first.")
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise DatasetError(
                    f"{path}, line {lineno}: not valid UTF-8 (byte {e.start}). Re-encode the file as UTF-8."
                ) from None
            try:
                row = json.loads(text)
            except json.JSONDecodeError as e:
                raise DatasetError(
                    f"{path}, line {lineno}: not valid JSON ({e.msg} at column {e.colno}). "
                    "Each line must be one JSON object; fix or remove that line."
                ) from None
            if not isinstance(row, dict):
                raise DatasetError(
                    f"{path}, line {lineno}: expected a JSON object, got {type(row).__name__}. "
                    "Each line must be one JSON object such as {\"prompt\": ..., \"answer\": ...}."
                )
            yield lineno, row


def read_jsonl(path: str | os.PathLike, required: Iterable[str] = ()) -> list[dict]:
    """All rows of a JSONL file; each must have the `required` keys (DatasetError names the line)."""
    required = list(required)
    rows = []
    for lineno, row in iter_jsonl(path):
        missing = [k for k in required if k not in row]
        if missing:
            raise DatasetError(
                f"{path}, line {lineno}: missing {', '.join(repr(m) for m in missing)} "
                f"(the row has {sorted(row)}). Every row needs {', '.join(required)}."
            )
        rows.append(row)
    if not rows:
        raise DatasetError(f"{path}: the file has no rows. Add at least one JSON object per line.")
    return rows


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w"):
    """Open a temporary file beside `path`; on success rename it over `path`, on error remove it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs get the usual permissions
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> Path:
    with atomic_write(path) as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return Path(path)


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    with atomic_write(path) as f:
        json.dump(obj, f, indent=2, ensure_ascii=False, default=str)
        f.write("\n")
    return Path(path)


def read_json(path: str | os.PathLike) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)
