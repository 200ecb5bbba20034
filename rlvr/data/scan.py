"""One streaming pass over every row of a dataset: the facts readiness is decided from.

Per column: types (with the first location of each), null / missing / empty rates, lengths (characters,
or tokens with a tokenizer), and, for conversations, validity (roles, alternation, empty turns).
Per row: exact duplicates (a hash of the raw line bytes for JSONL, of the canonical sorted-key JSON
otherwise), DPO pairs whose chosen equals rejected. For answer-like columns a seeded reservoir sample
(`SAMPLE_SIZE` values) is kept so readiness can measure the math-verify parse rate without
verifying a million rows.

The loop is written for speed (no per-row objects beyond the row itself; orjson; one hash per row):
measured throughput is in docs/benchmarks.md ("Inspect").
"""

from __future__ import annotations

import random
import time
from array import array
from dataclasses import dataclass, field
from typing import Any, Callable

from rlvr.data.load import DataSource, conflicting_types, dumps_sorted, mixed_type_error
from rlvr.data.mapping import SHAREGPT_ROLES, SYNONYMS
from rlvr.errors import DatasetError

SAMPLE_SIZE = 2000  # answer values kept per column for the parse-rate check (a +/-2.2% interval at worst)
EXAMPLES = 5  # locations listed per problem
TOKEN_BATCH = 1024
ROLES = {"system", "user", "assistant", "tool", "function", "developer", "ipython"}
CONVERSATION_COLUMNS = set(SYNONYMS["messages"])
SAMPLED_COLUMNS = set(SYNONYMS["answer"]) | {"tests", "test", "test_list"}
_TYPE_NAMES = {str: "string", int: "int", float: "float", bool: "bool", list: "list", dict: "object",
               type(None): "null", tuple: "list"}


@dataclass
class ColumnStats:
    name: str
    present: int = 0
    nulls: int = 0
    empties: int = 0
    types: dict = field(default_factory=dict)  # python type -> count
    first: dict = field(default_factory=dict)  # python type -> location of first occurrence
    lengths: array = field(default_factory=lambda: array("q"))
    conversation: dict | None = None  # problem counts when the column holds conversations
    sample: list | None = None  # reservoir of values (answer-like columns)
    numeric_strings: int = 0

    def type_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for t, n in self.types.items():
            name = _TYPE_NAMES.get(t, t.__name__)
            out[name] = out.get(name, 0) + n
        return out

    def dominant_type(self) -> str | None:
        counts = {k: v for k, v in self.type_counts().items() if k != "null"}
        if not counts:
            return None
        if conflicting_types(counts):
            return "mixed"
        return max(counts, key=counts.get)


@dataclass
class ScanResult:
    """Raw facts from one pass; `rlvr.data.inspect` turns them into the report."""

    source: DataSource
    rows: int = 0
    columns: dict[str, ColumnStats] = field(default_factory=dict)
    duplicates: int = 0
    duplicate_examples: list = field(default_factory=list)
    dpo: dict = field(default_factory=dict)  # (chosen, rejected) -> [rows with both, identical, examples]
    length_unit: str = "chars"
    conversation_examples: dict = field(default_factory=dict)  # column -> [(loc, problem)]
    elapsed_s: float = 0.0


def _check_conversation(turns: list, sharegpt: bool) -> list[str]:
    """Problems in one conversation; empty when it is well formed."""
    problems = []
    last = None
    assistant = False
    for i, turn in enumerate(turns):
        if type(turn) is not dict:
            problems.append("turn_not_an_object")
            break
        if sharegpt:
            role = SHAREGPT_ROLES.get(str(turn.get("from", "")).lower())
            content = turn.get("value")
        else:
            role = turn.get("role")
            content = turn.get("content")
            if role is not None and role not in ROLES:
                problems.append("unknown_role")
                role = None
        if role is None:
            if "unknown_role" not in problems:
                problems.append("unknown_role" if ("role" in turn or "from" in turn) else "missing_role")
            continue
        if role == "system" and i > 0:
            problems.append("system_not_first")
        if (content is None or (isinstance(content, str) and not content.strip())) and not turn.get("tool_calls"):
            if "empty_turn" not in problems:
                problems.append("empty_turn")
        if role in ("user", "assistant"):
            if role == last and "not_alternating" not in problems:
                problems.append("not_alternating")
            last = role
            assistant = assistant or role == "assistant"
    if not turns:
        problems.append("empty_conversation")
    return problems


class Scanner:
    """Accumulates the facts row by row. `add(row, key, loc)`; `key` is bytes to hash for duplicates."""

    def __init__(self, source: DataSource, tokenizer=None, sample_size: int = SAMPLE_SIZE, seed: int = 0):
        self.result = ScanResult(source)
        self.columns = self.result.columns
        self.seen: set[int] = set()
        self.tokenizer = tokenizer
        self.sample_size = sample_size
        self.rng = random.Random(seed)
        self.pairs: list[tuple[str, str]] = []
        self.token_buffers: dict[str, list] = {}
        if tokenizer is not None:
            self.result.length_unit = "tokens"

    def _new_column(self, name: str) -> ColumnStats:
        col = ColumnStats(name)
        if name in SAMPLED_COLUMNS:
            col.sample = []
        self.columns[name] = col
        self.pairs = [(c, r) for c, r in _all_pairs() if c in self.columns and r in self.columns]
        for pair in self.pairs:
            self.result.dpo.setdefault(pair, [0, 0, []])
        return col

    def add(self, row: dict, key: bytes, loc: int) -> None:
        result = self.result
        result.rows += 1
        h = hash(key)
        if h in self.seen:
            result.duplicates += 1
            if len(result.duplicate_examples) < EXAMPLES:
                result.duplicate_examples.append(loc)
        else:
            self.seen.add(h)
        columns = self.columns
        tok = self.tokenizer
        for name, v in row.items():
            col = columns.get(name)
            if col is None:
                col = self._new_column(name)
            col.present += 1
            t = type(v)
            types = col.types
            if t in types:
                types[t] += 1
            else:
                types[t] = 1
                col.first[t] = loc
            if t is str:
                if not v or v.isspace():
                    col.empties += 1
                if tok is None:
                    col.lengths.append(len(v))
                else:
                    self._tokens(name, v)
            elif v is None:
                col.nulls += 1
                continue
            elif t is list:
                if not v:
                    col.empties += 1
                elif type(v[0]) is dict:
                    self._conversation(col, v, loc)
            if col.sample is not None:
                self._sample(col, v)
        if self.pairs:
            for c, r in self.pairs:
                a = row.get(c)
                if a is not None and r in row:
                    entry = result.dpo[(c, r)]
                    entry[0] += 1
                    if a == row[r]:
                        entry[1] += 1
                        if len(entry[2]) < EXAMPLES:
                            entry[2].append(loc)

    def _sample(self, col: ColumnStats, v: Any) -> None:
        sample = col.sample
        if len(sample) < self.sample_size:
            sample.append(v)
        else:
            j = int(self.rng.random() * col.present)
            if j < self.sample_size:
                sample[j] = v

    def _conversation(self, col: ColumnStats, turns: list, loc: int) -> None:
        first = turns[0]
        sharegpt = "from" in first and "role" not in first
        if col.conversation is None:
            col.conversation = {"rows": 0, "invalid_rows": 0, "format": "sharegpt" if sharegpt else "openai",
                                "problems": {}, "no_assistant_turn": 0, "last_turn_not_assistant": 0}
        conv = col.conversation
        conv["rows"] += 1
        problems = _check_conversation(turns, sharegpt)
        if problems:
            conv["invalid_rows"] += 1
            for p in problems:
                conv["problems"][p] = conv["problems"].get(p, 0) + 1
            examples = self.result.conversation_examples.setdefault(col.name, [])
            if len(examples) < EXAMPLES:
                examples.append((loc, problems))
        key_role, key_content = ("from", "value") if sharegpt else ("role", "content")
        roles = [SHAREGPT_ROLES.get(str(t.get(key_role, "")).lower()) if sharegpt else t.get(key_role)
                 for t in turns if type(t) is dict]
        if "assistant" not in roles:
            conv["no_assistant_turn"] += 1
        if roles and roles[-1] != "assistant":
            conv["last_turn_not_assistant"] += 1
        if self.tokenizer is None:
            col.lengths.append(sum(len(c) for t in turns if type(t) is dict
                                   for c in (t.get(key_content),) if isinstance(c, str)))
        else:
            msgs = turns if not sharegpt else [{"role": r or "user", "content": t.get("value") or ""}
                                               for r, t in zip(roles, turns)]
            try:
                text = self.tokenizer.apply_chat_template(msgs, tokenize=False)
            except Exception:  # a template that rejects the conversation: count its raw text instead
                text = "".join(str(t.get(key_content) or "") for t in turns if type(t) is dict)
            self._tokens(col.name, text)

    def _tokens(self, name: str, text: str) -> None:
        buf = self.token_buffers.setdefault(name, [])
        buf.append(text)
        if len(buf) >= TOKEN_BATCH:
            self._flush(name)

    def _flush(self, name: str) -> None:
        buf = self.token_buffers.get(name)
        if not buf:
            return
        ids = self.tokenizer(buf, add_special_tokens=False)["input_ids"]
        self.columns[name].lengths.extend(len(x) for x in ids)
        buf.clear()

    def finish(self) -> ScanResult:
        for name in list(self.token_buffers):
            self._flush(name)
        for col in self.columns.values():
            if col.sample is not None:
                col.numeric_strings = sum(1 for v in col.sample if _is_number(v))
        self.seen = set()
        return self.result


def _all_pairs() -> list[tuple[str, str]]:
    chosen, rejected = SYNONYMS["chosen"], SYNONYMS["rejected"]
    return [(c, r) for c in chosen for r in rejected]


def _is_number(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float)):
        return True
    if isinstance(v, str):
        try:
            float(v.replace(",", "").strip())
            return True
        except ValueError:
            return False
    return False


def scan(source: DataSource, tokenizer=None, progress: bool = False, sample_size: int = SAMPLE_SIZE,
         on_rows: Callable[[int], None] | None = None) -> ScanResult:
    """Read every row of `source` once and return the raw facts. Raises DatasetError on a bad row,
    an empty dataset, or a column that mixes types."""
    scanner = Scanner(source, tokenizer, sample_size)
    add = scanner.add
    t0 = time.perf_counter()
    bar = _progress_bar(source) if progress else None
    try:
        if source.kind == "jsonl":
            done_bytes = 0
            for lineno, raw, row in source.jsonl_lines():
                add(row, raw.rstrip(), lineno)
                if bar is not None:
                    done_bytes += len(raw)
                    if not lineno & 0x3FFF:
                        bar.update(done_bytes)
        else:
            n = 0
            max_bytes = source.max_row_bytes
            for loc, row in source.records():
                key = dumps_sorted(row)
                if len(key) > max_bytes:
                    raise source._too_big(loc, len(key))
                add(row, key, loc)
                n += 1
                if bar is not None and not n & 0x3FFF:
                    bar.update(n)
                if on_rows is not None and not n & 0x3FFF:
                    on_rows(n)
    finally:
        if bar is not None:
            bar.close()
    result = scanner.finish()
    result.elapsed_s = time.perf_counter() - t0
    if result.rows == 0:
        raise DatasetError(f"{source.spec}: the dataset has no rows (only blank lines, or an empty list). "
                           "Add at least one row.")
    for col in result.columns.values():
        counts = col.type_counts()
        if conflicting_types(counts):
            first = {}
            for t, loc in col.first.items():
                name = _TYPE_NAMES.get(t, t.__name__)
                if name != "null" and name not in first:
                    first[name] = f"{source.loc_name} {loc}"
            raise mixed_type_error(source.spec, col.name, first, counts)
    return result


class _progress_bar:
    """A rich progress bar on stderr, in bytes for JSONL files and rows otherwise."""

    def __init__(self, source: DataSource):
        from rich.console import Console
        from rich.progress import (BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeRemainingColumn)

        self.bytes = source.kind == "jsonl"
        total = source.path.stat().st_size if self.bytes else source.num_rows_hint()
        unit = DownloadColumn() if self.bytes else MofNCompleteColumn()
        self.progress = Progress(TextColumn("scanning"), BarColumn(), unit, TimeRemainingColumn(),
                                 console=Console(stderr=True), transient=True)
        self.progress.start()
        self.task = self.progress.add_task("scan", total=total)

    def update(self, completed: int) -> None:
        self.progress.update(self.task, completed=completed)

    def close(self) -> None:
        self.progress.stop()
