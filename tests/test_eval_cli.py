import json


def write(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_eval_writes_per_sample_rows_and_one_line_summary(tmp_path, cli, tiny_model):
    data = write(tmp_path / "d.jsonl", [json.dumps({"prompt": f"What is {i} + 1?", "answer": str(i + 1)}) for i in range(4)])
    p = cli("eval", "--model", "tiny-random", "--data", data, "--out", tmp_path / "out", "--max-new-tokens", "4")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip().startswith("pass@1: 0.000 (n=4)")
    rows = [json.loads(line) for line in (tmp_path / "out/samples.jsonl").read_text().splitlines()]
    assert len(rows) == 4 and {"prompt", "completion", "answer", "extracted", "status", "passed"} <= rows[0].keys()
    summary = json.loads((tmp_path / "out/summary.json").read_text())
    assert summary["pass@1"] == 0.0 and len(summary["pass@1_ci"]) == 2


def test_eval_on_builtin_task(tmp_path, cli, tiny_model):
    p = cli("eval", "--model", "tiny-random", "--task", "arithmetic", "--limit", "3", "--max-new-tokens", "2", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["pass@1"] == 0.0


def test_malformed_line_is_named_without_traceback(tmp_path, cli):
    data = write(tmp_path / "d.jsonl", ['{"prompt": "a", "answer": "1"}', '{"prompt": "b", "answer": '])
    p = cli("eval", "--model", "tiny-random", "--data", data)
    assert p.returncode == 2
    assert "line 2" in p.stderr and "Traceback" not in p.stderr


def test_missing_answer_column_is_named(tmp_path, cli):
    data = write(tmp_path / "d.jsonl", ['{"prompt": "a", "answer": "1"}', '{"prompt": "b"}'])
    p = cli("eval", "--model", "tiny-random", "--data", data)
    assert p.returncode == 2 and "line 2" in p.stderr and "'answer'" in p.stderr and "Traceback" not in p.stderr


def test_unknown_model_and_missing_directory(tmp_path, cli):
    data = write(tmp_path / "d.jsonl", ['{"prompt": "a", "answer": "1"}'])
    for model in ("smollm-7b-wrong", str(tmp_path / "missing-dir/")):
        p = cli("eval", "--model", model, "--data", data)
        assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
        assert "model" in p.stderr


def test_help_lists_the_verbs(cli):
    p = cli("--help")
    assert p.returncode == 0
    for verb in ("quickstart", "train", "eval", "verify", "report"):
        assert verb in p.stdout
