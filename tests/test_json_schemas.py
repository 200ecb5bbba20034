"""Every `--json` output an agent reads matches its schema in rlvr/schemas/ (docs/json-schemas.md).

Each command runs as a user would (`python -m rlvr ... --json`) on small literal inputs; stdout must
be exactly one JSON document, and it is validated with jsonschema (draft 2020-12)."""

import json

import jsonschema
import pytest
import yaml

from rlvr.schemas import COMMANDS, names, schema, validate


def run_json(cli, *args):
    p = cli(*args)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout)  # the whole of stdout: nothing but the JSON document


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


ROWS = [{"id": f"q{i}", "prompt": f"What is {i} + {i}?", "answer": str(2 * i)} for i in range(6)]
PROBLEM = {"task_id": "t/0", "prompt": 'def add(a, b):\n    """Add two numbers."""\n', "entry_point": "add",
           "canonical_solution": "    return a + b\n", "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n"}


def test_every_schema_is_a_valid_json_schema_and_every_command_has_one():
    for name in names():
        jsonschema.Draft202012Validator.check_schema(schema(name))
    assert set(COMMANDS.values()) == set(names())


def test_the_validator_rejects_a_payload_that_breaks_the_contract():
    good = {"label": "base", "model": "m", "n_problems": 2, "n_samples": 1, "pass@1": 0.5, "pass@1_ci": [0.1, 0.9],
            "unverifiable": 0, "wall_s": 1.0, "pass@4": 0.7}
    validate("eval", good)
    for broken in ({k: v for k, v in good.items() if k != "pass@1"}, {**good, "pass@1_ci": [0.1]},
                   {**good, "pass@4": "high"}, {**good, "n_problems": 2.5}):
        with pytest.raises(jsonschema.ValidationError):
            validate("eval", broken)


def test_inspect_json(tmp_path, cli):
    validate("inspect", run_json(cli, "inspect", write_jsonl(tmp_path / "d.jsonl", ROWS), "--json"))


def test_plan_json(tmp_path, cli, tiny_model):
    recipe = {"name": "s", "model": "tiny-random", "output_dir": str(tmp_path / "s"),
              "stages": [{"method": "grpo", "data": {"task": "arithmetic", "n": 8}, "rewards": ["accuracy"]}]}
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(recipe))
    validate("plan", run_json(cli, "plan", tmp_path / "r.yaml", "--json"))


def test_probe_json(tmp_path, cli, tiny_model):
    recipe = {"name": "p", "model": "tiny-random", "output_dir": str(tmp_path / "p"),
              "stages": [{"method": "grpo", "data": {"task": "arithmetic", "n": 4}, "rewards": ["accuracy"],
                          "num_generations": 2, "max_completion_length": 4}]}
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(recipe))
    result = run_json(cli, "probe", tmp_path / "r.yaml", "--prompts", "2", "--json")
    validate("probe", result)
    assert result["verdict"] == "CANNOT LEARN"  # a random model never earns the correctness reward


def test_eval_compare_audit_slice_and_score_json(tmp_path, cli, tiny_model):
    for label in ("a", "b"):
        summary = run_json(cli, "eval", "--model", "tiny-random", "--task", "arithmetic", "--limit", "3",
                           "--max-new-tokens", "4", "--out", tmp_path / "run" / "eval" / label, "--json")
        validate("eval", summary)
    validate("compare", run_json(cli, "compare", tmp_path / "run" / "eval" / "a", tmp_path / "run" / "eval" / "b",
                                 "--json"))
    validate("audit-slice", run_json(cli, "audit", "slice", tmp_path / "run", "--size", "4", "--json"))
    rows = [json.loads(line) for line in (tmp_path / "run" / "review" / "review.jsonl").read_text().splitlines()]
    for r in rows:
        r["human_verdict"] = "incorrect"
    reviewed = write_jsonl(tmp_path / "reviewed.jsonl", rows)
    validate("audit-score", run_json(cli, "audit", "score", reviewed, "--json"))


def test_verify_json(tmp_path, cli):
    problems = write_jsonl(tmp_path / "p.jsonl", [PROBLEM])
    samples = write_jsonl(tmp_path / "s.jsonl", [{"task_id": "t/0", "completion": "    return a + b\n"},
                                                 {"task_id": "t/0", "completion": "    return a - b\n"}])
    summary = run_json(cli, "verify", samples, "--problems", problems, "--out", tmp_path / "r.jsonl", "--workers", "1",
                       "--json")
    validate("verify", summary)
    assert (summary["passed"], summary["failed"]) == (1, 1)


def test_contamination_json(tmp_path, cli):
    train = write_jsonl(tmp_path / "train.jsonl", ROWS)
    ev = write_jsonl(tmp_path / "eval.jsonl", ROWS[:2] + [{"id": "x", "prompt": "Compute 40 - 3 now.", "answer": "37"}])
    report = run_json(cli, "contamination", train, ev, "--json")
    validate("contamination", report)
    assert report["flagged"] is True


def test_audit_math_and_code_json(tmp_path, cli):
    validate("audit", run_json(cli, "audit", "math", "--data", write_jsonl(tmp_path / "g.jsonl", ROWS[:3]), "--json"))
    code = run_json(cli, "audit", "code", "--problems", write_jsonl(tmp_path / "p.jsonl", [PROBLEM]), "--workers", "1",
                    "--timeout", "1", "--json")
    validate("audit", code)
    assert code["kind"] == "code"


def test_report_json(tmp_path, cli):
    (tmp_path / "run").mkdir()
    validate("report", run_json(cli, "report", tmp_path / "run", "--json"))


def test_export_json(tmp_path, cli, tiny_model):
    payload = run_json(cli, "export", "gguf", tiny_model, "--quant", "f16", "--out", tmp_path / "export", "--json")
    validate("export", payload)
    assert payload["files"][0]["check"]["passed"] is True


def test_monitor_rows_and_run_json_schemas():
    validate("monitor-row", {"kind": "heldout", "stage": "grpo", "step": 3, "pass@1": 0.5, "pass@1_ci": [0.2, 0.8],
                             "solved": 2, "n": 4, "reward": None})
    validate("monitor-row", {"kind": "warning", "source": "hacks", "stage": "grpo", "step": 9, "pattern": "empty",
                             "early": 0.0, "recent": 0.4, "message": "..."})
    with pytest.raises(jsonschema.ValidationError):
        validate("monitor-row", {"kind": "warning", "source": "vibes", "stage": "grpo", "step": 9, "message": "."})
    validate("run", {"recipe": "r", "model": "tiny-random", "final_model": "runs/r/model", "stages": ["grpo"],
                     "wall_s": 12.5})


def test_agent_skill_frontmatter_and_commands_exist():
    """skills/rlvr/SKILL.md follows the Agent Skills format and names only real verbs and flags."""
    import re
    from pathlib import Path

    from typer.main import get_command

    from rlvr.cli import app

    text = (Path(__file__).parents[1] / "skills" / "rlvr" / "SKILL.md").read_text()
    front = yaml.safe_load(text.split("---")[1])
    assert front["name"] == "rlvr" and len(front["description"]) > 100
    root = get_command(app)
    blocks = "\n".join(re.findall(r"```bash\n(.*?)```", text, re.S))
    used = re.findall(r"^rlvr ([a-z]+)(?: ([a-z]+))?([^#\n]*)", blocks, re.M)
    assert {v for v, _, _ in used} >= {"inspect", "plan", "probe", "train", "eval", "compare", "contamination",
                                       "audit", "export", "report"}
    for verb, sub, rest in used:
        cmd = root.commands[verb]
        if hasattr(cmd, "commands"):  # a group (export gguf)
            cmd = cmd.commands[sub]
        flags = {o for p in cmd.params for o in getattr(p, "opts", [])}
        for flag in re.findall(r"(?<!\S)(--[a-z-]+)", rest):
            assert flag in flags, f"rlvr {verb} has no {flag}"
