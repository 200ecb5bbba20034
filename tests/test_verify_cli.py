import json
import subprocess
import sys

import pytest

from rlvr.verify.problems import humaneval_path, load_problems

P0 = load_problems(humaneval_path())["HumanEval/0"]


def _rlvr(*args):
    return subprocess.run([sys.executable, "-c", "from rlvr.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=120)


def _write(path, lines):
    path.write_text("".join(l if isinstance(l, str) else json.dumps(l) + "\n" for l in lines))
    return path


def test_verify_writes_rows_in_order_and_summary(tmp_path):
    samples = _write(tmp_path / "s.jsonl", [
        {"task_id": "HumanEval/0", "completion": P0.canonical_solution, "extra": 1},
        {"task_id": "HumanEval/0", "completion": "    return not True\n"},
        {"task_id": "HumanEval/0", "completion": "    while True:\n        pass\n"}])
    out = tmp_path / "r.jsonl"
    p = _rlvr("verify", str(samples), "--benchmark", "humaneval", "--out", str(out), "--workers", "2", "--timeout", "1")
    assert p.returncode == 0, p.stderr
    rows = [json.loads(l) for l in out.read_text().splitlines()]
    assert [(r["status"], r["passed"], r["completion_id"]) for r in rows] == [
        ("passed", True, 0), ("failed", False, 1), ("timeout", False, 2)]
    assert rows[0]["extra"] == 1
    summary = json.loads((tmp_path / "r.summary.json").read_text())
    assert summary["pass@1"] == pytest.approx(1 / 3, abs=1e-6) and summary["pass@3"] == 1.0
    assert "pass@1" in p.stdout


@pytest.mark.parametrize("bad,needle", [
    ({"task_id": "Nope/1", "completion": "x"}, "line 2: task_id 'Nope/1' is not in the problem set"),
    ({"task_id": "HumanEval/0"}, "line 2: missing 'completion'"),
    ("{not json\n", "line 2"),
])
def test_bad_sample_names_the_line(tmp_path, bad, needle):
    samples = _write(tmp_path / "s.jsonl", [{"task_id": "HumanEval/0", "completion": P0.canonical_solution}, bad])
    p = _rlvr("verify", str(samples), "--benchmark", "humaneval", "--out", str(tmp_path / "r.jsonl"))
    assert p.returncode == 2 and needle in p.stderr.replace("\n", " ") and "Traceback" not in p.stderr
    assert not (tmp_path / "r.jsonl").exists()


def test_skip_bad_records_errors_and_keeps_the_rest(tmp_path):
    samples = _write(tmp_path / "s.jsonl", [{"task_id": "Nope/1", "completion": "x"}, "{oops\n",
                                            {"task_id": "HumanEval/0", "completion": P0.canonical_solution}])
    out = tmp_path / "r.jsonl"
    p = _rlvr("verify", str(samples), "--benchmark", "humaneval", "--out", str(out), "--skip-bad", "--json")
    assert p.returncode == 0, p.stderr
    rows = [json.loads(l) for l in out.read_text().splitlines()]
    assert [r["status"] for r in rows] == ["error", "error", "passed"]
    assert "not in the problem set" in rows[0]["detail"] and "line 2: not valid JSON" in rows[1]["detail"]
    assert json.loads(p.stdout)["passed"] == 1


def test_custom_problem_file_and_unknown_benchmark(tmp_path):
    problems = _write(tmp_path / "p.jsonl", [{"task_id": "t/1", "prompt": "def double(x):\n", "entry_point": "double",
                                              "test": "def check(candidate):\n    assert candidate(2) == 4\n"}])
    samples = _write(tmp_path / "s.jsonl", [{"task_id": "t/1", "completion": "    return 2 * x\n"},
                                            {"task_id": "t/1", "completion": "    return x\n"}])
    out = tmp_path / "r.jsonl"
    p = _rlvr("verify", str(samples), "--problems", str(problems), "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert [json.loads(l)["status"] for l in out.read_text().splitlines()] == ["passed", "failed"]
    p = _rlvr("verify", str(samples), "--benchmark", "mbpp", "--out", str(out))
    assert p.returncode == 2 and "unknown benchmark 'mbpp'" in p.stderr
