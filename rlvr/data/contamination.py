"""Train/eval contamination: n-gram overlap, exact and near-duplicate prompt matches.

Texts are normalised (Unicode NFKC, lowercase, punctuation removed, other symbols kept as tokens of
their own, whitespace collapsed) and split into word tokens. Then, per eval item:

- n-gram overlap (13-grams by default): the item is contaminated when any of its n-grams occurs in
  the training texts (`min_overlap` raises that bar to a fraction of its n-grams, as some
  decontamination pipelines do for templated prompts); the fraction of its n-grams found is reported.
  Items shorter than n tokens have no n-gram and are compared by exact normalised match instead.
- exact match: the normalised item equals a normalised training text.
- near duplicates: MinHash over word 5-gram shingles (128 permutations, LSH with 16 bands of 8), a
  candidate kept when its estimated Jaccard similarity is at least `near_dup_threshold` (0.8). With
  these bands a pair at Jaccard 0.8 is found with probability about 0.95, at 0.9 about 0.9999.
  Near duplicates are reported apart and do not count towards the flag unless
  `count_near_duplicates`: on templated data ("What is 12 + 7?" vs "What is 12 + 8?") a shingle
  similarity cannot tell "same template" from "same problem".

An eval set is flagged when its contaminated fraction exceeds `threshold` (2%, the cut-off Tulu 3's
decontamination uses). N-grams are hashed with a stable 64-bit hash (blake2b per distinct token,
then a polynomial rolling hash in numpy), so results do not depend on Python's per-process `hash`.
"""

from __future__ import annotations

import hashlib
import json
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from rlvr.errors import DatasetError
from rlvr.io import atomic_write, iter_jsonl, write_json, write_jsonl

DEFAULT_FIELDS = ("prompt", "question", "problem", "text", "messages")
_BASE = np.uint64(0x100000001B3)  # odd multiplier of the rolling hash
_MIX = np.uint64(0x9E3779B97F4A7C15)
_EMPTY = np.iinfo(np.uint32).max


@dataclass
class ContaminationConfig:
    n: int = 13
    threshold: float = 0.02
    min_overlap: float = 0.0  # item contaminated when its overlapping n-gram fraction is > this (0: any n-gram)
    near_dup_threshold: float = 0.8
    count_near_duplicates: bool = False
    shingle: int = 5
    num_perm: int = 128
    bands: int = 16
    max_bucket: int = 100  # LSH candidates taken per eval item per band (templated data makes huge buckets)
    max_listed: int = 50  # offending items listed per eval set (all are counted)
    seed: int = 0

    def __post_init__(self):
        if self.n < 1:
            raise DatasetError(f"--ngram must be at least 1 (got {self.n}); 13 is the usual choice.")
        if not 0 <= self.threshold <= 1 or not 0 <= self.min_overlap < 1:
            raise DatasetError("--threshold must lie in [0, 1] and --min-overlap in [0, 1).")
        if self.num_perm % self.bands:
            raise DatasetError(f"num_perm ({self.num_perm}) must be a multiple of bands ({self.bands}).")


@dataclass
class TextSet:
    """Texts taken from one file, with what is needed to write the file back without some rows."""

    path: Path
    field: str
    ids: list[str]
    texts: list[str]
    rows: list[dict] | None = None  # JSONL / JSON input
    frame: object = None  # pandas DataFrame for CSV / Parquet input


# --- loading --------------------------------------------------------------------------------------


def _message_text(value, where: str) -> str:
    """User turns of a chat (a list of {"role", "content"}), joined; a plain string as is."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        turns = [m for m in value if isinstance(m, dict)]
        if turns:
            user = [str(m.get("content", "")) for m in turns if m.get("role", "user") == "user"]
            return "\n".join(user or [str(m.get("content", "")) for m in turns])
    if value is None or (isinstance(value, float) and np.isnan(value)):
        raise DatasetError(f"{where}: the text field is empty (null). Fill it in or drop the row.")
    return json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, (int, float)) else str(value)


def _read_rows(path: Path) -> tuple[list[tuple[str, dict]], object]:
    """(where, row) pairs and, for tabular files, the DataFrame they came from."""
    if not path.exists():
        raise DatasetError(f"{path}: no such file. Check the path.")
    suffix = "".join(path.suffixes[-2:]) if path.suffix == ".gz" else path.suffix
    if path.is_dir():
        try:
            import datasets

            ds = datasets.load_from_disk(str(path))
        except Exception as e:  # noqa: BLE001 - any failure means "not a saved dataset"
            raise DatasetError(f"{path}: a directory, but not a dataset saved with save_to_disk ({e}).") from None
        if isinstance(ds, datasets.DatasetDict):
            ds = ds[next(iter(ds))]
        frame = ds.to_pandas()
    elif suffix == ".jsonl":
        return [(f"{path}, line {ln}", row) for ln, row in iter_jsonl(path)], None
    elif suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise DatasetError(f"{path}: not valid JSON ({e.msg} at line {e.lineno}). If it holds one object per line, name it .jsonl.") from None
        if isinstance(data, dict):
            lists = [v for v in data.values() if isinstance(v, list)]
            if len(lists) != 1:
                raise DatasetError(f"{path}: expected a JSON list of objects (or an object holding exactly one list).")
            data = lists[0]
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise DatasetError(f"{path}: expected a JSON list of objects, one per example.")
        return [(f"{path}, item {i + 1}", row) for i, row in enumerate(data)], None
    elif suffix in (".csv", ".tsv"):
        import pandas as pd

        frame = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    elif suffix == ".parquet":
        import pandas as pd

        frame = pd.read_parquet(path)
    else:
        raise DatasetError(f"{path}: unsupported file type {suffix!r}; use .jsonl, .json, .csv, .tsv or .parquet.")
    records = frame.to_dict("records")
    return [(f"{path}, row {i + 1}", row) for i, row in enumerate(records)], frame


def load_texts(path: str | Path, fields: str | list[str] | None = None) -> TextSet:
    """The text of every row of `path`. `fields` names the column(s) to use (several are joined with
    a newline); by default the first of prompt/question/problem/text/messages found in the first row."""
    path = Path(path)
    rows, frame = _read_rows(path)
    if not rows:
        raise DatasetError(f"{path}: the file has no rows.")
    if isinstance(fields, str):
        fields = [f.strip() for f in fields.split(",") if f.strip()]
    if not fields:
        first = rows[0][1]
        found = next((f for f in DEFAULT_FIELDS if f in first), None)
        if found is None:
            raise DatasetError(
                f"{rows[0][0]}: none of the text fields {', '.join(DEFAULT_FIELDS)} is present (the row has "
                f"{sorted(first)}). Name the field holding the text with --train-field / --eval-field."
            )
        fields = [found]
    ids, texts = [], []
    for i, (where, row) in enumerate(rows):
        missing = [f for f in fields if f not in row]
        if missing:
            raise DatasetError(
                f"{where}: missing field {', '.join(repr(m) for m in missing)} (the row has {sorted(row)}). "
                "Every row needs the text field; choose another with --train-field / --eval-field."
            )
        texts.append("\n".join(_message_text(row[f], f"{where}, field {f!r}") for f in fields))
        rid = row.get("id", row.get("task_id"))
        ids.append(str(rid) if rid is not None and not (isinstance(rid, float) and np.isnan(rid)) else str(i))
    return TextSet(path, ",".join(fields), ids, texts, rows=None if frame is not None else [r for _, r in rows], frame=frame)


# --- normalisation and hashing --------------------------------------------------------------------

_TOKEN = None


def _tokenizer():
    global _TOKEN
    if _TOKEN is None:
        import regex

        punct = regex.compile(r"\p{P}+")
        token = regex.compile(r"\w+|[^\w\s]")
        _TOKEN = (punct, token)
    return _TOKEN


def normalize(text: str) -> str:
    """NFKC, lowercase, punctuation -> space, symbols split off as tokens, whitespace collapsed."""
    punct, token = _tokenizer()
    return " ".join(token.findall(punct.sub(" ", unicodedata.normalize("NFKC", text).lower())))


class TokenHasher:
    """Stable 64-bit hashes of tokens (blake2b, each distinct token hashed once)."""

    def __init__(self):
        self.cache: dict[str, int] = {}

    def encode(self, normalized: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(token hashes of all texts concatenated, offsets with offsets[i]:offsets[i+1] = text i)."""
        cache = self.cache
        ids: list[int] = []
        offsets = np.zeros(len(normalized) + 1, dtype=np.int64)
        for i, text in enumerate(normalized):
            toks = text.split()
            for t in toks:
                h = cache.get(t)
                if h is None:
                    h = cache[t] = int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "little")
                ids.append(h)
            offsets[i + 1] = offsets[i] + len(toks)
        return np.array(ids, dtype=np.uint64), offsets


def ngram_hashes(tokens: np.ndarray, offsets: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(hash of every n-gram that lies inside one text, index of that text), in text order."""
    total = len(tokens)
    if total < n:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    starts = np.arange(total - n + 1)
    doc = np.searchsorted(offsets, starts, side="right") - 1
    valid = starts + n <= offsets[doc + 1]
    h = np.zeros(total - n + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(n):
            h = h * _BASE + tokens[j : total - n + 1 + j]
        h ^= h >> np.uint64(31)
        h *= _MIX
    return h[valid], doc[valid]


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """values[i] in sorted_set, by binary search (faster than np.isin for a reused sorted set)."""
    if len(sorted_set) == 0:
        return np.zeros(len(values), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[pos] == values


def _snippet(text: str, width: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# --- near duplicates ------------------------------------------------------------------------------


def minhash_signatures(tokens, offsets, shingle: int, num_perm: int, seed: int) -> np.ndarray:
    """(texts, num_perm) uint32 MinHash signatures over word shingles; a text shorter than `shingle`
    tokens is one shingle (its whole self); an empty text gets all-max (matches nothing real)."""
    n_docs = len(offsets) - 1
    sh, doc = ngram_hashes(tokens, offsets, shingle)
    lengths = np.diff(offsets)
    short = np.flatnonzero((lengths > 0) & (lengths < shingle))
    if len(short):  # one whole-text hash per short text, vectorised: sum of token * BASE^(distance to end)
        mark = np.zeros(len(tokens) + 1, dtype=np.int64)
        np.add.at(mark, offsets[short], 1)
        np.add.at(mark, offsets[short + 1], -1)
        pos = np.flatnonzero(np.cumsum(mark[:-1]) > 0)  # token positions inside short texts
        owner = np.searchsorted(offsets, pos, side="right") - 1
        powers = np.ones(shingle, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for j in range(1, shingle):
                powers[j] = powers[j - 1] * _BASE
            terms = tokens[pos] * powers[offsets[owner + 1] - 1 - pos]
            whole = np.add.reduceat(terms, np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]]))
            whole ^= whole >> np.uint64(31)
            whole *= _MIX
        sh = np.concatenate([sh, whole])
        doc = np.concatenate([doc, short])
        order = np.argsort(doc, kind="stable")
        sh, doc = sh[order], doc[order]
    sig = np.full((n_docs, num_perm), _EMPTY, dtype=np.uint32)
    if len(sh) == 0:
        return sig
    starts = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])
    present = doc[starts]
    rng = np.random.default_rng(seed)
    mul = rng.integers(1, 2**63, num_perm, dtype=np.uint64) | np.uint64(1)
    xor = rng.integers(0, 2**63, num_perm, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for p in range(num_perm):
            v = (sh ^ xor[p]) * mul[p]
            sig[present, p] = (np.minimum.reduceat(v, starts) >> np.uint64(32)).astype(np.uint32)
    return sig


def _band_keys(sig: np.ndarray, bands: int) -> np.ndarray:
    rows = sig.shape[1] // bands
    keys = np.zeros((sig.shape[0], bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for r in range(rows):
            keys = keys * _BASE + sig[:, r::rows][:, :bands].astype(np.uint64)
    return keys


def near_duplicates(eval_sig: np.ndarray, train_sig: np.ndarray, cfg: ContaminationConfig) -> tuple[np.ndarray, np.ndarray]:
    """For each eval item: (best estimated Jaccard with any train item among LSH candidates, -1 if
    none; index of that train item)."""
    best = np.full(len(eval_sig), -1.0)
    best_at = np.full(len(eval_sig), -1, dtype=np.int64)
    if len(eval_sig) == 0 or len(train_sig) == 0:
        return best, best_at
    ek, tk = _band_keys(eval_sig, cfg.bands), _band_keys(train_sig, cfg.bands)
    e_empty = np.all(eval_sig == _EMPTY, axis=1)
    pairs = []
    for b in range(cfg.bands):
        order = np.argsort(tk[:, b], kind="stable")
        sorted_keys = tk[order, b]
        lo = np.searchsorted(sorted_keys, ek[:, b], side="left")
        hi = np.minimum(np.searchsorted(sorted_keys, ek[:, b], side="right"), lo + cfg.max_bucket)
        hi[e_empty] = lo[e_empty]
        counts = hi - lo
        if counts.sum() == 0:
            continue
        e_idx = np.repeat(np.arange(len(ek)), counts)
        within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        pairs.append(e_idx * len(tk) + order[np.repeat(lo, counts) + within])
    if not pairs:
        return best, best_at
    cand = np.unique(np.concatenate(pairs))
    chunk = max(1, 4_000_000 // eval_sig.shape[1])
    for s in range(0, len(cand), chunk):
        c = cand[s : s + chunk]
        e, t = c // len(tk), c % len(tk)
        jac = (eval_sig[e] == train_sig[t]).mean(axis=1)
        # keep the best per eval item: sort by (eval, jaccard) and take the last of each eval
        order = np.lexsort((jac, e))
        e, t, jac = e[order], t[order], jac[order]
        last = np.r_[e[1:] != e[:-1], True]
        e, t, jac = e[last], t[last], jac[last]
        better = jac > best[e]
        best[e[better]], best_at[e[better]] = jac[better], t[better]
    return best, best_at


# --- the report -----------------------------------------------------------------------------------


@dataclass
class EvalSetReport:
    path: str
    field: str
    n_items: int
    n_contaminated: int
    contaminated_fraction: float
    flagged: bool
    n_ngram: int  # items with an n-gram found in train (above min_overlap)
    n_exact: int  # items equal to a training text after normalisation
    n_short: int  # items shorter than n tokens (compared by exact match only)
    n_near_duplicates: int  # items (not exact) with a near-duplicate training text
    near_duplicate_fraction: float
    mean_ngram_overlap: float  # mean over items of the fraction of their n-grams found in train
    items: list[dict] = field(default_factory=list)  # offending items (first max_listed)
    near_duplicate_items: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ContaminationReport:
    train: str
    train_field: str
    n_train: int
    config: dict
    eval_sets: list[EvalSetReport]
    flagged: bool
    n_train_overlapping: int  # training rows that overlap a contaminated eval item
    train_overlapping_ids: list[str]
    clean_path: str | None = None
    n_train_clean: int | None = None
    wall_s: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def check_contamination(
    train: str | Path | TextSet,
    evals: list[str | Path | TextSet],
    cfg: ContaminationConfig | None = None,
    train_field: str | list[str] | None = None,
    eval_field: str | list[str] | None = None,
    write_clean: str | Path | None = None,
    progress=None,
) -> ContaminationReport:
    """Compare every eval set with the training set; optionally write the training file without the
    rows that overlap a contaminated eval item. `progress(step_name)` is called between stages."""
    cfg = cfg or ContaminationConfig()
    t0 = time.perf_counter()
    step = progress or (lambda name: None)
    step("loading")
    train_set = train if isinstance(train, TextSet) else load_texts(train, train_field)
    eval_sets = [e if isinstance(e, TextSet) else load_texts(e, eval_field) for e in evals]
    if not eval_sets:
        raise DatasetError("no eval file given; pass at least one EVAL file after TRAIN.")

    step("normalising")
    hasher = TokenHasher()
    train_norm = [normalize(t) for t in train_set.texts]
    train_tok, train_off = hasher.encode(train_norm)
    step("hashing n-grams")
    train_h, train_doc = ngram_hashes(train_tok, train_off, cfg.n)
    order = np.argsort(train_h, kind="stable")
    train_h_sorted, train_doc_sorted = train_h[order], train_doc[order]
    exact_index: dict[str, int] = {}
    for i, t in enumerate(train_norm):
        if t:
            exact_index.setdefault(t, i)
    step("minhash (train)")
    train_sig = minhash_signatures(train_tok, train_off, cfg.shingle, cfg.num_perm, cfg.seed)

    reports = []
    overlapping_train = np.zeros(len(train_set.texts), dtype=bool)
    for es in eval_sets:
        step(f"checking {es.path.name}")
        norm = [normalize(t) for t in es.texts]
        tok, off = hasher.encode(norm)
        h, doc = ngram_hashes(tok, off, cfg.n)
        hit = _member(h, train_h_sorted)
        n_items = len(es.texts)
        windows = np.bincount(doc, minlength=n_items)
        hits = np.bincount(doc, weights=hit, minlength=n_items)
        frac = np.divide(hits, windows, out=np.zeros(n_items), where=windows > 0)
        ngram_hit = (windows > 0) & (hits > 0) & (frac > cfg.min_overlap)
        exact = np.array([bool(t) and t in exact_index for t in norm], dtype=bool)
        sig = minhash_signatures(tok, off, cfg.shingle, cfg.num_perm, cfg.seed)
        jac, jac_at = near_duplicates(sig, train_sig, cfg)
        near = (jac >= cfg.near_dup_threshold) & ~exact
        contaminated = ngram_hit | exact | (near if cfg.count_near_duplicates else False)

        # training rows to drop: those sharing an n-gram with, or equal to, a contaminated eval item
        bad_h = np.unique(h[contaminated[doc]])
        if len(bad_h):
            overlapping_train[train_doc[_member(train_h, bad_h)]] = True
        bad_text = {norm[i] for i in np.flatnonzero(contaminated) if norm[i]}
        if cfg.count_near_duplicates:
            overlapping_train[jac_at[near]] = True
        items = []
        first_hit_doc = {}
        if hit.any():
            idx = np.flatnonzero(hit)
            first = idx[np.r_[True, doc[idx][1:] != doc[idx][:-1]]]
            for w in first:
                first_hit_doc[int(doc[w])] = int(train_doc_sorted[np.searchsorted(train_h_sorted, h[w])])
        for i in np.flatnonzero(contaminated)[: cfg.max_listed]:
            i = int(i)
            match = exact_index.get(norm[i]) if exact[i] else first_hit_doc.get(i, int(jac_at[i]) if near[i] else None)
            items.append(
                {
                    "index": i,
                    "id": es.ids[i],
                    "text": _snippet(es.texts[i]),
                    "ngram_overlap": round(float(frac[i]), 4),
                    "exact": bool(exact[i]),
                    "train_index": match,
                    "train_id": train_set.ids[match] if match is not None else None,
                    "train_text": _snippet(train_set.texts[match]) if match is not None else None,
                }
            )
        near_items = [
            {
                "index": int(i),
                "id": es.ids[i],
                "text": _snippet(es.texts[i]),
                "jaccard": round(float(jac[i]), 3),
                "train_index": int(jac_at[i]),
                "train_id": train_set.ids[jac_at[i]],
                "train_text": _snippet(train_set.texts[jac_at[i]]),
            }
            for i in np.flatnonzero(near)[: cfg.max_listed]
        ]
        warnings = []
        if ngram_hit.sum() > 0.5 * n_items and exact.sum() < 0.5 * ngram_hit.sum():
            warnings.append(
                f"{int(ngram_hit.sum())} of {n_items} items share {cfg.n}-grams with training but only "
                f"{int(exact.sum())} are exact matches: the prompts probably share a template (instructions, "
                "few-shot examples). Read the listed items; compare only the varying part (another field), or "
                "raise --min-overlap so an item needs most of its n-grams in training to count."
            )
        n_bad = int(contaminated.sum())
        fraction = n_bad / n_items if n_items else 0.0
        reports.append(
            EvalSetReport(
                path=str(es.path),
                field=es.field,
                n_items=n_items,
                n_contaminated=n_bad,
                contaminated_fraction=fraction,
                flagged=fraction > cfg.threshold,
                n_ngram=int(ngram_hit.sum()),
                n_exact=int(exact.sum()),
                n_short=int((windows == 0).sum()),
                n_near_duplicates=int(near.sum()),
                near_duplicate_fraction=float(near.mean()) if n_items else 0.0,
                mean_ngram_overlap=float(frac[windows > 0].mean()) if (windows > 0).any() else 0.0,
                items=items,
                near_duplicate_items=near_items,
                warnings=warnings,
            )
        )
        if bad_text:
            overlapping_train |= np.array([t in bad_text for t in train_norm], dtype=bool)

    report = ContaminationReport(
        train=str(train_set.path),
        train_field=train_set.field,
        n_train=len(train_set.texts),
        config=asdict(cfg),
        eval_sets=reports,
        flagged=any(r.flagged for r in reports),
        n_train_overlapping=int(overlapping_train.sum()),
        train_overlapping_ids=[train_set.ids[i] for i in np.flatnonzero(overlapping_train)[: cfg.max_listed]],
    )
    if write_clean is not None:
        step("writing the clean training file")
        report.clean_path = str(write_clean_file(train_set, ~overlapping_train, write_clean))
        report.n_train_clean = int((~overlapping_train).sum())
    report.wall_s = time.perf_counter() - t0
    return report


def write_clean_file(train: TextSet, keep: np.ndarray, out: str | Path) -> Path:
    """Write the kept training rows, atomically, in the format named by `out`'s suffix."""
    out = Path(out)
    if out.resolve() == train.path.resolve():
        raise DatasetError(f"--write-clean {out} would overwrite the training file itself; write to a new path.")
    suffix = out.suffix
    if train.frame is not None:
        frame = train.frame[keep]
        if suffix == ".parquet":
            with atomic_write(out, "wb") as f:
                frame.to_parquet(f, index=False)
        elif suffix in (".csv", ".tsv"):
            with atomic_write(out) as f:
                frame.to_csv(f, index=False, sep="\t" if suffix == ".tsv" else ",")
        elif suffix == ".jsonl":
            with atomic_write(out) as f:
                frame.to_json(f, orient="records", lines=True, force_ascii=False)
        else:
            raise DatasetError(f"--write-clean {out}: use a .parquet, .csv, .tsv or .jsonl name for a tabular training file.")
        return out
    rows = [r for r, k in zip(train.rows, keep) if k]
    if suffix == ".json":
        return write_json(out, rows)
    if suffix == ".jsonl":
        return write_jsonl(out, rows)
    raise DatasetError(f"--write-clean {out}: use a .jsonl (or .json) name for a JSON training file.")
