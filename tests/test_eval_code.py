import json

from rlvr.eval.code import grade
from rlvr.eval.run import load_eval_rows


def code_file(tmp_path):
    path = tmp_path / "code.jsonl"
    path.write_text(json.dumps({"id": "add", "prompt": "Write add(a, b).", "entry_point": "add",
                                "tests": ["assert add(1, 2) == 3", "assert add(-1, 1) == 0"]}) + "\n")
    return path


def test_prompt_plus_tests_rows_are_graded_in_the_sandbox(tmp_path):
    rows = load_eval_rows(data=str(code_file(tmp_path)))
    completions = [["```python\ndef add(a, b):\n    return a + b\n```",  # right
                    "def add(a, b):\n    return a - b",  # wrong
                    "class X:\n    def __eq__(self, o):\n        return True\ndef add(a, b):\n    return X()"]]  # hack
    out = grade(rows, completions, rows[0]["_problems"])
    assert [r["status"] for r in out] == ["passed", "failed", "error"]
    assert [r["passed"] for r in out] == [True, False, False]


def test_humaneval_rows_and_canonical_solutions_pass():
    rows = load_eval_rows(benchmark="humaneval", n=3)
    problems = rows[0]["_problems"]
    assert [r["id"] for r in rows] == ["HumanEval/0", "HumanEval/1", "HumanEval/2"]
    replies = [["```python\n" + problems[r["id"]].prompt + problems[r["id"]].canonical_solution + "```"] for r in rows]
    assert all(r["passed"] for r in grade(rows, replies, problems))


def test_eval_cli_on_humaneval(cli, tiny_model, tmp_path):
    p = cli("eval", "--model", "tiny-random", "--benchmark", "humaneval", "--limit", "2", "--max-new-tokens", "4",
            "--out", tmp_path / "he")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("pass@1: 0.000 (n=2)")
    rows = [json.loads(x) for x in (tmp_path / "he/samples.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["HumanEval/0", "HumanEval/1"] and all(r["status"] != "passed" for r in rows)


def test_code_rows_need_an_entry_point(tmp_path, cli):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"prompt": "x", "tests": "assert f() == 1"}) + "\n")
    p = cli("eval", "--model", "tiny-random", "--data", path)
    assert p.returncode == 2 and "entry_point" in p.stderr and "Traceback" not in p.stderr
