"""`rlvr compare`: matched problems, paired differences, flips, labels, errors."""

import json
import os
import subprocess
import sys

import pytest

from rlvr.errors import RunDirError
from rlvr.eval.compare import compare, list_evals
from rlvr.io import write_json, write_jsonl

BEFORE = {"p1": True, "p2": False, "p3": True, "p4": False, "p5": True}  # p5 only before
AFTER = {"p1": True, "p2": True, "p3": False, "p4": True, "p6": False}  # p6 only after


def write_eval(folder, outcomes, label, benchmark="arithmetic"):
    rows = [
        {"id": pid, "prompt": f"What is {pid}?", "completion": "x", "answer": "1", "extracted": "1" if ok else "2",
         "status": "passed" if ok else "failed", "passed": ok, "sample_index": 0}
        for pid, ok in outcomes.items()
    ]
    write_jsonl(folder / "samples.jsonl", rows)
    write_json(folder / "summary.json", {"label": label, "benchmark": benchmark})
    return folder


@pytest.fixture
def run_dir(tmp_path):
    run = tmp_path / "run"
    write_eval(run / "eval" / "final", AFTER, "final")
    write_eval(run / "eval" / "base", BEFORE, "base")
    write_eval(run / "eval" / "sft", {"p1": False, "p2": False, "p3": False, "p4": False}, "sft")
    return run


def test_compare_eval_dirs_hand_computed(run_dir):
    result = compare(run_dir / "eval" / "base", run_dir / "eval" / "final")
    assert result.n_matched == 4
    pass1 = result.metrics[0]
    assert pass1.metric == "pass@1"
    assert pass1.a == 0.5 and pass1.b == 0.75 and pass1.diff == pytest.approx(0.25)
    lo, hi = pass1.ci  # paired bootstrap of per-problem differences [0, +1, -1, +1]
    assert -1.0 <= lo < 0.25 < hi <= 1.0
    assert result.flips_solved_to_unsolved == ["p3"]
    assert result.flips_unsolved_to_solved == ["p2", "p4"]
    assert result.only_in_a == ["p5"] and result.only_in_b == ["p6"]
    assert any("only in A" in w for w in result.warnings)
    again = compare(run_dir / "eval" / "base", run_dir / "eval" / "final")
    assert again.metrics[0].ci == pass1.ci  # fixed seed


def test_compare_run_dir_defaults_to_base_and_final(run_dir):
    assert [p.name for p in list_evals(run_dir)] == ["base", "sft", "final"]
    result = compare(run_dir)
    assert result.a.endswith("base") and result.b.endswith("final")
    mid = compare(run_dir, label_a="sft", label_b="final")
    assert mid.metrics[0].a == 0.0 and mid.metrics[0].b == 0.75
    assert sorted(mid.flips_unsolved_to_solved) == ["p1", "p2", "p4"]


def test_compare_nested_benchmark_labels(run_dir):
    write_eval(run_dir / "eval" / "rephrased" / "base", {"p1": False, "p2": False}, "base")
    write_eval(run_dir / "eval" / "rephrased" / "final", {"p1": True, "p2": False}, "final")
    result = compare(run_dir, label_a="rephrased/base", label_b="rephrased/final")
    assert result.flips_unsolved_to_solved == ["p1"] and result.n_matched == 2
    with pytest.raises(RunDirError, match="rephrased/base, rephrased/final"):
        compare(run_dir, label_b="rephrased/grpo")


def test_compare_unknown_label_names_what_exists(run_dir):
    with pytest.raises(RunDirError, match="no evaluation labelled 'grpo'; it has base, sft, final"):
        compare(run_dir, label_b="grpo")


def test_compare_with_samples_per_problem(tmp_path):
    def rows(table):
        return [{"id": pid, "extracted": a, "passed": ok, "sample_index": i}
                for pid, outs in table.items() for i, (a, ok) in enumerate(outs)]

    write_jsonl(tmp_path / "a" / "samples.jsonl", rows({"q": [("1", False), ("2", True)], "r": [("3", True), ("3", True)]}))
    write_jsonl(tmp_path / "b" / "samples.jsonl", rows({"q": [("2", True), ("2", True)], "r": [("4", False), ("3", True)]}))
    result = compare(tmp_path / "a", tmp_path / "b")
    by_name = {m.metric: m for m in result.metrics}
    assert set(by_name) == {"pass@1", "pass@2", "maj@2"}
    assert by_name["pass@1"].a == pytest.approx(0.75) and by_name["pass@1"].b == pytest.approx(0.75)
    assert by_name["pass@2"].a == 1.0 and by_name["pass@2"].b == 1.0
    # maj@2: a/q ties 1 vs 2 -> 1 (first) wrong; b/r ties 4 vs 3 -> 4 wrong
    assert by_name["maj@2"].a == 0.5 and by_name["maj@2"].b == 0.5
    assert result.flips_unsolved_to_solved == ["q"]  # 1 of 2 passed is not "more than half"


def test_compare_same_dir_twice_is_an_error(run_dir):
    with pytest.raises(RunDirError, match="same evaluation"):
        compare(run_dir / "eval" / "base", run_dir / "eval" / "base")


def _cli(*args):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.run([sys.executable, "-m", "rlvr", *args], capture_output=True, text=True, env=env, timeout=60)


def test_cli_compare_json_and_baseline(run_dir):
    proc = _cli("compare", str(run_dir / "eval" / "final"), "--baseline", str(run_dir / "eval" / "base"), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["flips"] == {"solved_to_unsolved": 1, "unsolved_to_solved": 2}
    assert data["metrics"][0]["diff"] == pytest.approx(0.25)
    table = _cli("compare", str(run_dir))
    assert table.returncode == 0 and "pass@1" in table.stdout and "p2, p4" in table.stdout


def test_cli_compare_missing_dir_exits_2_without_traceback(tmp_path):
    proc = _cli("compare", str(tmp_path / "nope"), str(tmp_path / "nope2"))
    assert proc.returncode == 2
    assert "no such directory" in proc.stderr and "Traceback" not in proc.stderr
