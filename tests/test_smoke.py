"""The end-to-end smoke run CI executes: the real `rlvr quickstart` pipeline on tiny-random, a few steps."""

import json

import pytest


@pytest.mark.smoke
def test_quickstart_end_to_end_on_tiny_random(tmp_path, cli, tiny_model):
    p = cli("quickstart", "--model", "tiny-random", "--steps", "2", "--sft-rows", "16", "--eval-n", "6", cwd=tmp_path,
            env={"RLVR_NO_TRACKIO": ""})  # Trackio on, as for a user (offline, local)
    assert p.returncode == 0, p.stderr[-3000:]
    run = tmp_path / "runs" / "quickstart"
    # the final checkpoint is a normal HF directory
    from transformers import AutoModelForCausalLM

    assert AutoModelForCausalLM.from_pretrained(run / "model").num_parameters() > 0
    # per-sample eval before and after each stage, on the held-out split, plus the rephrased set
    for label in ("base", "sft", "grpo"):
        rows = [json.loads(x) for x in (run / "eval" / label / "samples.jsonl").read_text().splitlines()]
        assert len(rows) == 6 and {"id", "completion", "answer", "passed"} <= rows[0].keys()
        assert (run / "eval" / "arithmetic-eval-rephrased" / label / "summary.json").exists()
    stages = {json.loads(x)["stage"] for x in (run / "metrics.jsonl").read_text().splitlines()}
    assert stages == {"sft", "grpo"}
    disjoint = json.loads((run / "disjointness.json").read_text())
    assert disjoint["arithmetic-eval"]["shared_problems"] == 0
    contamination = json.loads((run / "contamination.json").read_text())
    assert contamination["flagged"] is False and [e["n_contaminated"] for e in contamination["eval_sets"]] == [0, 0]
    report = (run / "report.md").read_text()
    assert "base" in report and "grpo" in report and (run / "report.html").exists()
    assert "Held-out pass@1" in p.stdout
    # re-running the same command resumes: nothing is retrained
    again = cli("quickstart", "--model", "tiny-random", "--steps", "2", "--sft-rows", "16", "--eval-n", "6", cwd=tmp_path)
    assert again.returncode == 0 and "already finished" in again.stderr
