"""Loading datasets from whatever shape users bring: JSONL / JSON / CSV / Parquet files, a directory
written by `datasets.save_to_disk`, or a hub id already in the local HF cache (never downloaded).

`open_source` names the source and yields `(location, row)` pairs in a streaming way (the scan in
`rlvr.data.scan` reads every row of a million-row file without holding them); `load_rows`
materialises them for training and refuses what a trainer would choke on later with a traceback:
a column whose values change type (Arrow cannot hold `"5"` and `5` in one column), an empty dataset,
a row above `max_row_bytes`. Every refusal is a `DatasetError` naming the file, line and field.
"""

from __future__ import annotations

import contextlib
import csv
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from rlvr.errors import DatasetError

try:  # orjson is about 3x faster than json on small rows; it comes with trackio
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is a declared dependency
    _orjson = None
import json as _json

MAX_ROW_BYTES = 4 * 2**20  # about a million tokens of text: more than any context window trains on
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "csv",
           ".parquet": "parquet", ".pq": "parquet"}
BATCH_ROWS = 8192


def loads(raw: bytes | str) -> Any:
    return _orjson.loads(raw) if _orjson is not None else _json.loads(raw)


def dumps_sorted(obj: Any) -> bytes:
    """Canonical bytes of a row (sorted keys), for duplicate hashing and size checks."""
    if _orjson is not None:
        return _orjson.dumps(obj, option=_orjson.OPT_SORT_KEYS | _orjson.OPT_NON_STR_KEYS, default=str)
    return _json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode()


def type_name(value: Any) -> str:
    """The JSON-ish type of a value as the scan reports it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def mixed_type_error(where: str, column: str, first_seen: dict[str, str], counts: dict[str, int] | None = None) -> DatasetError:
    """The error for a column whose non-null values have more than one type (int and float count as one)."""
    parts = []
    for t, loc in first_seen.items():
        n = f"{counts[t]} rows, " if counts else ""
        parts.append(f"{t} ({n}first at {loc})")
    return DatasetError(
        f"{where}: column '{column}' mixes types: {', '.join(parts)}. A training dataset needs one type per "
        "column (Arrow cannot hold both). Convert the odd values, e.g. write every answer as a string, "
        "or drop the column."
    )


def conflicting_types(types: set[str] | dict) -> bool:
    kinds = {("number" if t in ("int", "float") else t) for t in types if t != "null"}
    return len(kinds) > 1


@dataclass
class DataSource:
    """One dataset to read: what the user typed, how it is read, and the split/config/limit chosen."""

    spec: str
    kind: str  # jsonl | json | csv | parquet | disk | hub
    path: Path | None = None
    split: str | None = None
    config: str | None = None
    limit: int | None = None
    max_row_bytes: int = MAX_ROW_BYTES
    loc_name: str = "row"  # "line" for JSONL/CSV, "item" for JSON arrays, "row" otherwise
    notes: list[str] = field(default_factory=list)
    _dataset: Any = None  # a datasets.Dataset for disk/hub sources

    def describe(self) -> dict:
        d = {"spec": self.spec, "kind": self.kind, "split": self.split, "config": self.config, "limit": self.limit}
        if self.path is not None:
            d["path"] = str(self.path)
            with contextlib.suppress(OSError):
                d["bytes"] = self.path.stat().st_size if self.path.is_file() else None
        if self.notes:
            d["notes"] = list(self.notes)
        return d

    def where(self, loc: int | None = None) -> str:
        return self.spec if loc is None else f"{self.spec}, {self.loc_name} {loc}"

    def num_rows_hint(self) -> int | None:
        """Rows in the source when known without reading it (Parquet metadata, Arrow datasets)."""
        n = None
        if self._dataset is not None:
            n = len(self._dataset)
        elif self.kind == "parquet":
            import pyarrow.parquet as pq

            n = pq.ParquetFile(self.path).metadata.num_rows
        if n is not None and self.limit is not None:
            n = min(n, self.limit)
        return n

    # --- streaming -----------------------------------------------------------------------------
    def jsonl_lines(self) -> Iterator[tuple[int, bytes, dict]]:
        """(line number, raw line bytes, row) for each non-blank line of a JSONL file."""
        assert self.kind == "jsonl"
        limit, max_bytes, loads_ = self.limit, self.max_row_bytes, loads
        n = 0
        with open(self.path, "rb") as f:
            for lineno, raw in enumerate(f, start=1):
                if len(raw) > max_bytes:
                    raise self._too_big(lineno, len(raw))
                try:
                    row = loads_(raw)
                except ValueError:
                    if not raw.strip():
                        continue
                    if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                        row = self._parse_line(raw[3:], lineno)
                    else:
                        raise self._bad_line(raw, lineno) from None
                if type(row) is not dict:
                    raise DatasetError(
                        f"{self.where(lineno)}: expected a JSON object, got {type_name(row)}. Each line must be "
                        "one JSON object such as {\"prompt\": ..., \"answer\": ...}."
                    )
                yield lineno, raw, row
                n += 1
                if limit is not None and n >= limit:
                    return

    def _parse_line(self, raw: bytes, lineno: int) -> dict:
        try:
            return loads(raw)
        except ValueError:
            raise self._bad_line(raw, lineno) from None

    def _bad_line(self, raw: bytes, lineno: int) -> DatasetError:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            return DatasetError(f"{self.where(lineno)}: not valid UTF-8 (byte {e.start} of the line). "
                                "Re-encode the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`).")
        try:
            _json.loads(text)
        except _json.JSONDecodeError as e:
            return DatasetError(f"{self.where(lineno)}: not valid JSON ({e.msg} at column {e.colno}). "
                                "Each line must be one JSON object; fix or remove that line.")
        return DatasetError(f"{self.where(lineno)}: not valid JSON. Each line must be one JSON object.")

    def _too_big(self, loc: int, size: int) -> DatasetError:
        return DatasetError(
            f"{self.where(loc)}: the row is {size / 2**20:.1f} MiB, above the {self.max_row_bytes / 2**20:.0f} MiB "
            "limit per row (about a million tokens; no model trains on that). It is probably a whole file "
            "pasted into one field: split or drop that row, or raise the limit with --max-row-bytes."
        )

    def records(self) -> Iterator[tuple[int, dict]]:
        """(location, row) for every row, in order, up to `limit`."""
        if self.kind == "jsonl":
            for lineno, _raw, row in self.jsonl_lines():
                yield lineno, row
            return
        it = {"json": self._json_records, "csv": self._csv_records, "parquet": self._parquet_records,
              "disk": self._arrow_records, "hub": self._arrow_records}[self.kind]()
        for n, (loc, row) in enumerate(it, start=1):
            yield loc, row
            if self.limit is not None and n >= self.limit:
                return

    def _json_records(self) -> Iterator[tuple[int, dict]]:
        raw = self.path.read_bytes()
        try:
            data = loads(raw)
        except ValueError:
            # Not one JSON document: JSON lines in a .json file, as many datasets ship them.
            self.kind, self.loc_name = "jsonl", "line"
            self.notes.append("read as JSON lines (the file is not a single JSON document)")
            for lineno, _raw, row in self.jsonl_lines():
                yield lineno, row
            return
        if isinstance(data, dict) and isinstance(data.get("data"), list):
            data = data["data"]
        elif isinstance(data, dict):
            lists = [k for k, v in data.items() if isinstance(v, list)]
            raise DatasetError(
                f"{self.spec}: a JSON object, but not of the form {{\"data\": [...]}}"
                + (f" (it has list keys {', '.join(lists[:5])})" if lists else "")
                + ". Give a list of row objects, {\"data\": [...]}, or one JSON object per line."
            )
        if not isinstance(data, list):
            raise DatasetError(f"{self.spec}: expected a list of row objects, got {type_name(data)}.")
        self.loc_name = "item"
        for i, row in enumerate(data, start=1):
            if not isinstance(row, dict):
                raise DatasetError(f"{self.where(i)}: expected a JSON object, got {type_name(row)}.")
            yield i, row

    def _csv_records(self) -> Iterator[tuple[int, dict]]:
        csv.field_size_limit(max(self.max_row_bytes, 2**17))
        delimiter = "\t" if self.path.suffix.lower() == ".tsv" else ","
        with open(self.path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f, delimiter=delimiter)
            try:
                for row in reader:
                    loc = reader.line_num
                    if None in row:
                        raise DatasetError(f"{self.where(loc)}: more fields than the header has columns "
                                           f"({len(reader.fieldnames or [])}). Quote fields that contain '{delimiter}'.")
                    size = sum(len(v) for v in row.values() if isinstance(v, str))
                    if size > self.max_row_bytes:
                        raise self._too_big(loc, size)
                    yield loc, row
            except UnicodeDecodeError as e:
                raise DatasetError(f"{self.where(reader.line_num + 1)}: not valid UTF-8 (byte {e.start}). "
                                   "Re-encode the file as UTF-8.") from None
            except csv.Error as e:
                msg = str(e)
                if "field larger than field limit" in msg:
                    raise self._too_big(reader.line_num, self.max_row_bytes + 1) from None
                raise DatasetError(f"{self.where(reader.line_num)}: not valid CSV ({msg}).") from None

    def _parquet_records(self) -> Iterator[tuple[int, dict]]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(self.path)
            loc = 0
            for batch in pf.iter_batches(batch_size=BATCH_ROWS):
                for row in batch.to_pylist():
                    loc += 1
                    yield loc, row
        except (pa.ArrowException, OSError) as e:
            raise DatasetError(f"{self.spec}: cannot read this Parquet file ({e}). Is it complete and really Parquet?") from None

    def _arrow_records(self) -> Iterator[tuple[int, dict]]:
        ds = self._dataset
        if self.limit is not None and self.limit < len(ds):
            ds = ds.select(range(self.limit))
        loc = 0
        for table in ds.with_format("arrow").iter(batch_size=BATCH_ROWS):
            for row in table.to_pylist():
                loc += 1
                yield loc, row


def _looks_like_path(spec: str) -> bool:
    return (spec.startswith((".", "/", "~")) or Path(spec).suffix.lower() in FORMATS
            or spec.count("/") > 1 or os.sep != "/" and os.sep in spec)


def _pick_split(dsdict, split: str | None, where: str):
    splits = list(dsdict.keys())
    if split is None:
        if len(splits) == 1:
            return dsdict[splits[0]], splits[0]
        if "train" in splits:
            return dsdict["train"], "train"
        raise DatasetError(f"{where}: the dataset has splits {', '.join(splits)}; choose one with --split.")
    if split not in dsdict:
        raise DatasetError(f"{where}: no split '{split}'; it has {', '.join(splits)}. Choose one with --split.")
    return dsdict[split], split


@contextlib.contextmanager
def _offline():
    """HF hub and datasets offline for the duration: rlvr reads the local cache and never downloads."""
    keys = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
    old = {k: os.environ.get(k) for k in keys}
    os.environ.update({k: "1" for k in keys})
    patched = []
    try:
        import datasets.config as dcfg
        import huggingface_hub.constants as hcst

        for mod, attr in ((dcfg, "HF_HUB_OFFLINE"), (dcfg, "HF_DATASETS_OFFLINE"), (hcst, "HF_HUB_OFFLINE")):
            if hasattr(mod, attr):
                patched.append((mod, attr, getattr(mod, attr)))
                setattr(mod, attr, True)
        yield
    finally:
        for mod, attr, value in patched:
            setattr(mod, attr, value)
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def open_source(path_or_id: str | os.PathLike, split: str | None = None, config: str | None = None,
                limit: int | None = None, max_row_bytes: int = MAX_ROW_BYTES) -> DataSource:
    """Work out what `path_or_id` is and prepare to stream it; DatasetError when it cannot be read."""
    spec = str(path_or_id)
    if limit is not None and limit < 1:
        raise DatasetError(f"--limit must be at least 1 (got {limit}).")
    path = Path(spec).expanduser()
    common = {"split": split, "config": config, "limit": limit, "max_row_bytes": max_row_bytes}
    if path.is_file():
        kind = FORMATS.get(path.suffix.lower())
        if kind is None:
            raise DatasetError(f"{spec}: unknown file type '{path.suffix}'. rlvr reads "
                               f"{', '.join(sorted(FORMATS))} files, save_to_disk directories and cached hub ids.")
        if path.stat().st_size == 0:
            raise DatasetError(f"{spec}: the file is empty. Add at least one row.")
        return DataSource(spec, kind, path, loc_name="line" if kind in ("jsonl", "csv") else "row", **common)
    if path.is_dir():
        return _open_disk(spec, path, **common)
    if _looks_like_path(spec):
        raise DatasetError(f"{spec}: no such file or directory. Check the path.")
    return _open_hub(spec, **common)


def _open_disk(spec: str, path: Path, **common) -> DataSource:
    if not ((path / "dataset_dict.json").exists() or (path / "state.json").exists()):
        files = sorted(p.name for p in path.iterdir())[:8]
        raise DatasetError(
            f"{spec}: a directory, but not one written by `datasets.save_to_disk` (no state.json or "
            f"dataset_dict.json; it holds {', '.join(files) or 'nothing'}). Pass a data file inside it instead."
        )
    import datasets

    try:
        ds = datasets.load_from_disk(str(path))
    except Exception as e:  # corrupt or incompatible Arrow files
        raise DatasetError(f"{spec}: datasets.load_from_disk failed ({type(e).__name__}: {e}).") from None
    src = DataSource(spec, "disk", path, **common)
    if isinstance(ds, datasets.DatasetDict):
        ds, src.split = _pick_split(ds, common["split"], spec)
    src._dataset = ds
    return src


def _open_hub(spec: str, split=None, config=None, **common) -> DataSource:
    import datasets

    with _offline():
        try:
            ds = datasets.load_dataset(spec, name=config, split=split)
        except Exception as e:
            msg = str(e).splitlines()[0][:300] if str(e) else type(e).__name__
            if split and "split" in msg.lower() and "unknown" in msg.lower():
                raise DatasetError(f"{spec}: {msg}. Choose another --split.") from None
            raise DatasetError(
                f"'{spec}' is not a local file or directory, and not a dataset in the local Hugging Face cache "
                f"({msg}). rlvr works offline: download it once where you have network access "
                f"(`huggingface-cli download --repo-type dataset {spec}`), or pass a local file."
            ) from None
    src = DataSource(spec, "hub", None, split=split, config=config, **common)
    if isinstance(ds, datasets.DatasetDict):
        ds, src.split = _pick_split(ds, split, spec)
    src._dataset = ds
    return src


def iter_rows(path_or_id: str | os.PathLike, split: str | None = None, config: str | None = None,
              limit: int | None = None) -> Iterator[dict]:
    """Rows one at a time (streaming); bad lines raise DatasetError as they are reached."""
    for _loc, row in open_source(path_or_id, split, config, limit).records():
        yield row


def load_rows(path_or_id: str | os.PathLike, split: str | None = None, config: str | None = None,
              limit: int | None = None) -> list[dict]:
    """All rows, checked: not empty, one type per column (ints and floats mix), each row under the size limit."""
    source = open_source(path_or_id, split, config, limit)
    rows: list[dict] = []
    first_seen: dict[str, dict[str, str]] = {}
    for loc, row in source.records():
        for key, value in row.items():
            t = type_name(value)
            seen = first_seen.setdefault(key, {})
            if t not in seen:
                seen[t] = f"{source.loc_name} {loc}"
                if conflicting_types(seen):
                    raise mixed_type_error(source.spec, key, {k: v for k, v in seen.items() if k != "null"})
        rows.append(row)
    if not rows:
        raise DatasetError(f"{source.spec}: the dataset has no rows. Add at least one.")
    return rows
