"""Contamination on a crafted pair of files with known overlaps."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from rlvr.data.contamination import (
    ContaminationConfig,
    TokenHasher,
    check_contamination,
    load_texts,
    ngram_hashes,
    normalize,
)
from rlvr.errors import DatasetError
from rlvr.io import read_jsonl, write_jsonl

TRAIN = [
    {"id": "t0", "prompt": "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips "
                           "in May. How many clips did Natalia sell altogether in April and May?"},
    {"id": "t1", "prompt": "What is 2 + 3?"},
    {"id": "t2", "prompt": "Write a poem about the sea and the sky and the wind that blows across the water at night."},
    {"id": "t3", "prompt": "Tom has three apples, and he buys five more apples at the market on a sunny Sunday "
                           "morning; how many does he have now?"},
]
EVAL = [
    # 13-gram overlap (case and punctuation differ)
    {"id": "e0", "prompt": "NATALIA sold clips to 48 of her friends in April, and then she sold half as many clips "
                           "in May!! How many clips did Natalia sell altogether?"},
    {"id": "e1", "prompt": "what is 2+3"},  # shorter than 13 tokens: exact match after normalisation
    {"id": "e2", "prompt": "What is 2 + 4?"},  # short, not equal: clean
    {"id": "e3", "prompt": "Explain photosynthesis in simple words for a child who is seven years old."},  # clean
    # one word changed in the middle: 4 of its 16 13-grams survive
    {"id": "e4", "prompt": "Tom has three apples, and he buys five more apples at the market on a rainy Sunday "
                           "morning; how many does he have now?"},
]


@pytest.fixture
def files(tmp_path):
    write_jsonl(tmp_path / "train.jsonl", TRAIN)
    write_jsonl(tmp_path / "eval.jsonl", EVAL)
    return tmp_path / "train.jsonl", tmp_path / "eval.jsonl"


def test_normalize():
    assert normalize("What is 2+3?") == "what is 2 + 3"
    assert normalize("  WHAT   is 2 + 3 ?? ") == "what is 2 + 3"
    assert normalize("ﬁne — isn't it…") == "fine isn t it"  # NFKC folds the ligature; punctuation goes


def test_ngram_hashes_are_stable_and_stay_inside_each_text():
    tokens, offsets = TokenHasher().encode(["a b c", "d e"])
    hashes, doc = ngram_hashes(tokens, offsets, 2)
    assert doc.tolist() == [0, 0, 1]  # "a b", "b c", "d e"; no "c d" across texts
    again, _ = TokenHasher().encode(["x a b"])
    h2, _ = ngram_hashes(again, np.array([0, 3]), 2)
    assert h2[1] == hashes[0]  # same n-gram, same hash, independent of position and of the hasher instance
    assert int(hashes[0]) == 16310310242457017801  # blake2b-based: the same in every process
    # (checked under PYTHONHASHSEED=1 and 2: Python's own hash would differ)


def test_crafted_pair(files, tmp_path):
    train, evals = files
    report = check_contamination(train, [evals], write_clean=tmp_path / "clean.jsonl")
    es = report.eval_sets[0]
    assert es.n_items == 5
    assert [it["id"] for it in es.items] == ["e0", "e1", "e4"]
    assert es.n_contaminated == 3 and es.contaminated_fraction == pytest.approx(0.6)
    assert es.n_ngram == 2 and es.n_exact == 1 and es.n_short == 2
    assert es.flagged and report.flagged
    by_id = {it["id"]: it for it in es.items}
    assert by_id["e0"]["ngram_overlap"] == 1.0 and by_id["e0"]["train_id"] == "t0"
    assert by_id["e1"]["exact"] and by_id["e1"]["train_id"] == "t1"
    assert by_id["e4"]["ngram_overlap"] == 0.25 and by_id["e4"]["train_id"] == "t3"
    # e0 is also a near duplicate of t0 (estimated Jaccard of word 5-gram shingles >= 0.8)
    assert [it["id"] for it in es.near_duplicate_items] == ["e0"]
    assert report.train_overlapping_ids == ["t0", "t1", "t3"]
    assert read_jsonl(tmp_path / "clean.jsonl") == [TRAIN[2]]
    assert report.n_train_clean == 1


def test_min_overlap_and_threshold(files):
    train, evals = files
    report = check_contamination(train, [evals], ContaminationConfig(min_overlap=0.5, threshold=0.5))
    es = report.eval_sets[0]
    assert [it["id"] for it in es.items] == ["e0", "e1"]  # e4 has only 25% of its 13-grams in train
    assert es.contaminated_fraction == pytest.approx(0.4) and not es.flagged


def test_smaller_ngram_catches_more(files):
    train, evals = files
    es = check_contamination(train, [evals], ContaminationConfig(n=3)).eval_sets[0]
    # with 3-grams "what is 2 + 4" shares "what is 2" with t1, and the clean e3 shares nothing
    assert [it["id"] for it in es.items] == ["e0", "e1", "e2", "e4"]


def test_field_fallbacks_and_messages(tmp_path):
    write_jsonl(tmp_path / "q.jsonl", [{"question": "How many legs has a spider?", "answer": "8"}])
    assert load_texts(tmp_path / "q.jsonl").texts == ["How many legs has a spider?"]
    chat = [{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi there"},
                          {"role": "assistant", "content": "Hello"}]}]
    write_jsonl(tmp_path / "m.jsonl", chat)
    assert load_texts(tmp_path / "m.jsonl").texts == ["Hi there"]
    write_jsonl(tmp_path / "bad.jsonl", [{"prompt": "a"}, {"body": "b"}])
    with pytest.raises(DatasetError, match=r"bad.jsonl, line 2: missing field 'prompt'"):
        load_texts(tmp_path / "bad.jsonl")
    with pytest.raises(DatasetError, match="none of the text fields"):
        load_texts(_write(tmp_path / "x.jsonl", [{"body": "b"}]))


def _write(path, rows):
    write_jsonl(path, rows)
    return path


def test_csv_and_parquet_inputs(tmp_path, files):
    import pandas as pd

    _, evals = files
    pd.DataFrame(TRAIN).to_parquet(tmp_path / "train.parquet")
    pd.DataFrame(TRAIN).rename(columns={"prompt": "text"}).to_csv(tmp_path / "train.csv", index=False)
    rep = check_contamination(tmp_path / "train.parquet", [evals], write_clean=tmp_path / "clean.parquet")
    assert rep.eval_sets[0].n_contaminated == 3
    assert pd.read_parquet(tmp_path / "clean.parquet")["id"].tolist() == ["t2"]
    rep_csv = check_contamination(tmp_path / "train.csv", [evals], train_field="text")
    assert rep_csv.eval_sets[0].n_contaminated == 3 and rep_csv.train_field == "text"


def test_templated_prompts_warn(tmp_path):
    template = "Solve the following problem and give the answer as a plain number: what is {} + {}"
    train = [{"prompt": template.format(a, a + 1)} for a in range(50)]
    evals = [{"prompt": template.format(a, a + 2)} for a in range(10)]
    es = check_contamination(_write(tmp_path / "t.jsonl", train), [_write(tmp_path / "e.jsonl", evals)]).eval_sets[0]
    assert es.n_ngram == 10 and es.n_exact == 0
    assert es.warnings and "share a template" in es.warnings[0]


def _cli(*args):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.run([sys.executable, "-m", "rlvr", *args], capture_output=True, text=True, env=env, timeout=60)


def test_cli_json_exit_codes_and_clean_file(files, tmp_path):
    train, evals = files
    proc = _cli("contamination", str(train), str(evals), "--json", "--write-clean", str(tmp_path / "c.jsonl"))
    assert proc.returncode == 0, proc.stderr  # flagged, but exit 0 without --fail-on-contamination
    data = json.loads(proc.stdout)
    assert data["flagged"] and data["eval_sets"][0]["n_contaminated"] == 3
    assert read_jsonl(tmp_path / "c.jsonl") == [TRAIN[2]]
    assert _cli("contamination", str(train), str(evals), "--fail-on-contamination").returncode == 1
    missing = _cli("contamination", str(train), str(evals), "--eval-field", "question")
    assert missing.returncode == 2 and "missing field 'question'" in missing.stderr
    assert "Traceback" not in missing.stderr
