"""The inspect report on a known dataset, and the CLI's human, JSON and error output."""

import json
import subprocess
import sys

import pytest

from rlvr.data.inspect import inspect_dataset

ROWS = [
    {"prompt": "What is 1 + 1?", "answer": "2", "messages": [{"role": "user", "content": "hi"},
                                                             {"role": "assistant", "content": "yo"}]},
    {"prompt": "What is 1 + 1?", "answer": "2", "messages": [{"role": "user", "content": "hi"},
                                                             {"role": "assistant", "content": "yo"}]},
    {"prompt": "What is 2 + 2?", "answer": None, "messages": [{"role": "user", "content": "a"},
                                                              {"role": "user", "content": ""}]},
    {"prompt": "Hello", "answer": "", "messages": [{"role": "wizard", "content": "x"}]},
]


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    return path


def test_report_counts(data):
    r = inspect_dataset(data)
    assert r["rows"] == 4
    assert set(r) >= {"source", "rows", "columns", "duplicates", "lengths", "messages", "dpo", "answers", "readiness"}
    assert r["duplicates"]["rows"] == 1 and r["duplicates"]["examples"] == [{"line": 2}]
    ans = r["columns"]["answer"]
    assert ans["types"] == {"string": 3, "null": 1}
    assert ans["null_rate"] == 0.25 and ans["empty_rate"] == 0.25
    assert r["lengths"]["unit"] == "chars"
    assert r["lengths"]["columns"]["prompt"] == {"n": 4, "min": 5, "mean": 11.75, "p50": 14.0, "p95": 14.0,
                                                 "max": 14, "total": 47}
    conv = r["messages"]["messages"]
    assert conv["rows"] == 4 and conv["invalid_rows"] == 2
    assert conv["problems"] == {"empty_turn": 1, "not_alternating": 1, "unknown_role": 1}
    assert r["answers"]["column"] == "answer" and r["answers"]["missing"] == 2
    assert r["answers"]["parse_rate"] == 1.0 and r["answers"]["sampled"] == 2
    assert r["dpo"] == {}


def test_dpo_identical_pairs_counted(tmp_path):
    path = tmp_path / "p.jsonl"
    rows = [{"prompt": "p", "chosen": "a", "rejected": "a"}, {"prompt": "q", "chosen": "a", "rejected": "b"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    d = inspect_dataset(path)["dpo"]
    assert (d["rows"], d["identical"], d["examples"]) == (2, 1, [{"line": 1}])


def test_token_lengths_with_a_model(data):
    r = inspect_dataset(data, model="tiny-random")
    assert r["lengths"]["unit"] == "tokens" and r["lengths"]["model"] == "tiny-random"
    assert 3 <= r["lengths"]["columns"]["prompt"]["max"] <= 10  # "What is 2 + 2?" in SmolLM2 tokens


def rlvr(*args):
    return subprocess.run([sys.executable, "-m", "rlvr", *args], capture_output=True, text=True, timeout=120)


def test_cli_human_and_json(data):
    res = rlvr("inspect", str(data))
    assert res.returncode == 0, res.stderr
    assert "GRPO: ✓ READY" in res.stdout and "DPO: ✗ INCOMPATIBLE — missing 'chosen' and 'rejected'" in res.stdout
    res = rlvr("inspect", str(data), "--json")
    report = json.loads(res.stdout)
    assert report["readiness"]["grpo"]["status"] == "READY"


def test_cli_bad_input_exits_2_and_keeps_existing_output(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"a": 1}\n{"a": \n')
    out = tmp_path / "run" / "readiness.json"
    out.parent.mkdir()
    out.write_text('{"keep": true}')
    res = rlvr("inspect", str(bad), "--out", str(out))
    assert res.returncode == 2
    assert "line 2: not valid JSON" in res.stderr and "Traceback" not in res.stderr
    assert out.read_text() == '{"keep": true}'
