"""`rlvr report`: a crafted full run gives a known report; an empty or damaged one still gets a report."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rlvr.errors import RunDirError
from rlvr.eval.metrics import wilson_interval
from rlvr.report import make_report, write_report
from rlvr.report.build import _at_k, json_blocks
from rlvr.report.collect import EvalRun, collect_run, order_evals
from rlvr.report.compare import gain_between, newcombe_interval
from rlvr.report.document import Table
from rlvr.report.plots import group_metrics

REPO = Path(__file__).resolve().parents[1]
SECTION_IDS = ["recipe-and-plan", "dataset-readiness", "training-curves", "evaluation-before-and-after",
               "contamination", "verifier-audit", "export", "reproduce", "missing"]

# Which of the 100 problems each evaluation solves (p099 is unverifiable in `final`).
SOLVED = {
    "base": lambda i: i % 10 == 0,  # 10 / 100
    "sft": lambda i: i < 55 or i % 10 == 0,  # 59 / 100
    "final": lambda i: i < 50 or 95 <= i <= 98,  # 54 / 99 decided
}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _write_json(path: Path, obj) -> None:
    _write(path, json.dumps(obj, indent=2))


def _jsonl(path: Path, rows) -> None:
    _write(path, "".join(json.dumps(r) + "\n" for r in rows))


def make_full_run(root: Path) -> Path:
    """A run directory with every file docs/run-dir.md lists, with known numbers (SFT then GRPO)."""
    _write(root / "recipe.yaml", (
        "model: smollm2-135m\nseed: 0\ntask: arithmetic\n"
        "stages:\n"
        "  - {name: sft, method: sft, learning_rate: 5.0e-05, max_steps: 50, per_device_train_batch_size: 8}\n"
        "  - {name: grpo, method: grpo, learning_rate: 3.0e-06, max_steps: 40, beta: 0.0, num_generations: 4,\n"
        "     reward_funcs: [accuracy, format]}\n"))
    _write_json(root / "plan.json", {"hardware": {"device": "cpu", "cpu_count": 2}, "peak_memory_gb": 2.1,
                                     "stages": [{"name": "sft", "steps": 50, "s_per_step": 5.6},
                                                {"name": "grpo", "steps": 40, "s_per_step": 18.0}],
                                     "estimated_minutes": 16.7})
    _write_json(root / "readiness.json", {"ready": True, "n_rows": 400, "columns": ["prompt", "answer"],
                                          "issues": ["3 prompts are longer than 256 tokens"],
                                          "answer_parse_rate": 1.0})
    metrics = []
    for step in range(5, 55, 5):
        metrics.append({"stage": "sft", "step": step, "loss": round(2.0 - step * 0.03, 4), "grad_norm": 3.0,
                        "learning_rate": 5e-5 * (1 - step / 50), "mean_token_accuracy": 0.5 + step / 200,
                        "num_tokens": 3200.0 * step, "epoch": step / 50})
    metrics.append({"stage": "sft", "step": 50, "train_runtime": 270.0, "train_loss": 1.3, "epoch": 1.0})
    for step in range(2, 42, 2):
        r = 0.40 + step * 0.002
        metrics.append({"stage": "grpo", "step": step, "loss": 0.001 * (step % 3), "reward": r, "reward_std": 0.3,
                        "rewards/accuracy/mean": r - 0.1, "rewards/accuracy/std": 0.4,
                        "rewards/format/mean": 0.1, "rewards/format/std": 0.05,
                        "frac_reward_zero_std": 0.75 - step * 0.002, "kl": 0.0005 * step,
                        "completions/mean_length": 24.0 - step * 0.1, "completions/clipped_ratio": 0.05,
                        "entropy": 0.9 - step * 0.005, "diagnostics/unique_frac": 0.8,
                        "hacks/answer_spray/rate": 0.0, "custom/new_metric": step * 1.5, "note": "text is ignored",
                        "learning_rate": 3e-6, "grad_norm": 0.5})
    _jsonl(root / "metrics.jsonl", metrics)
    for stage in ("sft", "grpo"):
        _write_json(root / "stages" / stage / "model" / "config.json", {"model_type": "llama"})
    _write_json(root / "model" / "config.json", {"model_type": "llama"})
    for n, (label, solved) in enumerate(SOLVED.items()):
        rows = []
        for i in range(100):
            unverifiable = label == "final" and i == 99
            rows.append({"id": f"p{i:03d}", "prompt": f"What is {i} + {i}?", "completion": str(2 * i),
                         "answer": str(2 * i), "extracted": str(2 * i),
                         "status": "unverifiable" if unverifiable else "passed" if solved(i) else "failed",
                         "passed": None if unverifiable else solved(i), "sample_index": 0})
        _jsonl(root / "eval" / label / "samples.jsonl", rows)
        decided = [r["passed"] for r in rows if r["passed"] is not None]
        _write_json(root / "eval" / label / "summary.json", {
            "label": label, "model": "smollm2-135m" if label == "base" else str(root / "stages" / label / "model"),
            "benchmark": "arithmetic", "n_problems": 100, "n_samples": 1, "pass@1": sum(decided) / len(decided),
            "pass@1_ci": list(wilson_interval(sum(decided), len(decided))), "unverifiable": 100 - len(decided),
            "wall_s": 61.0, "created": 1_700_000_000 + n})
    # contamination.json, audit.json and export.json in the shapes rlvr contamination/audit/export write
    _write_json(root / "contamination.json", {
        "train": "train.jsonl", "train_field": "prompt", "n_train": 400,
        "config": {"n": 13, "threshold": 0.02, "near_dup_threshold": 0.8}, "flagged": False,
        "eval_sets": [{"path": "eval.jsonl", "field": "prompt", "n_items": 100, "n_contaminated": 1,
                       "contaminated_fraction": 0.01, "flagged": False, "n_ngram": 1, "n_exact": 1, "n_short": 0,
                       "n_near_duplicates": 0, "near_duplicate_fraction": 0.0, "mean_ngram_overlap": 0.01,
                       "items": [{"id": "p007", "text": "what is 7 + 7", "ngram_overlap": 1.0, "exact": True}],
                       "near_duplicate_items": [], "warnings": []}],
        "n_train_overlapping": 1, "train_overlapping_ids": ["t12"], "wall_s": 0.4})
    _write_json(root / "audit.json", {
        "kind": "math", "n_problems": 100, "recall": 1.0, "recall_ci": [0.9963, 1.0], "precision": 0.995,
        "precision_ci": [0.9721, 0.9991], "min_recall": 0.99, "min_precision": 0.99, "ok": True, "wall_s": 3.1,
        "categories": [
            {"category": "gold", "expect": "accept", "n": 100, "accepted": 100, "rejected": 0, "unverifiable": 0,
             "examples": [], "wrong": 0},
            {"category": "off-by-one", "expect": "reject", "n": 100, "accepted": 0, "rejected": 100,
             "unverifiable": 0, "examples": [], "wrong": 0},
            {"category": "answer-spray", "expect": "reject", "n": 100, "accepted": 1, "rejected": 99,
             "unverifiable": 0, "examples": [{"completion": "3 or 4", "gold": "4"}], "wrong": 1}]})
    (root / "export").mkdir(parents=True, exist_ok=True)
    (root / "export" / "demo-q8_0.gguf").write_bytes(b"GGUF" + bytes(2044))
    _write(root / "export" / "Modelfile", "FROM ./demo-q8_0.gguf\n")
    _write_json(root / "export" / "export.json", {
        "source": str(root), "model_dir": str(root / "model"), "adapter_base": None, "architecture": "llama",
        "notes": [], "modelfile": "Modelfile",
        "files": [{"quant": "q8_0", "file": "demo-q8_0.gguf", "bytes": 2048, "sha256": "ab" * 32, "convert_s": 1.2,
                   "tensor_types": {"Q8_0": 210}, "tokenizer_pre": "smollm",
                   "check": {"quant": "q8_0", "passed": True, "max_abs_diff": 0.031, "top1_agreement": 1.0,
                             "top1_agreement_all": 1.0, "n_positions": 120, "n_decided": 118,
                             "tokenizer_ids_match": True, "chat_template_match": True,
                             "tolerance": {"max_abs_diff": 0.5, "min_top1": 0.95}, "failures": [], "load_s": 2.0}}]})
    _write_json(root / "commands.json", ["rlvr quickstart --name demo", "rlvr report runs/demo"])
    return root


@pytest.fixture
def full_run(tmp_path) -> Path:
    return make_full_run(tmp_path / "demo")


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from rlvr.cli import main; main()", *args],
                          capture_output=True, text=True, cwd=REPO, timeout=120)


# ---------------------------------------------------------------- full run
def test_full_run_report_has_every_section_and_the_known_numbers(full_run):
    report = make_report(full_run)
    md = report.markdown.read_text()
    html = report.html.read_text()
    assert report.missing == [] and report.problems == []
    for title in ["Recipe and plan", "Dataset readiness", "Training curves", "Evaluation before and after",
                  "Contamination", "Verifier audit", "Export", "Reproduce", "Missing"]:
        assert f"## {title}" in md
    for sid in SECTION_IDS:
        assert f'<section id="{sid}">' in html  # none rendered as empty
    # pass@1 with Wilson intervals, in run order base -> sft -> final
    base_ci = wilson_interval(10, 100)
    assert f"10.0% [{100 * base_ci[0]:.1f}, {100 * base_ci[1]:.1f}]" in md
    assert md.index("**base**") < md.index("**sft**") < md.index("**final**")
    assert "| **sft** | stages/sft/model | arithmetic | 100 | 1 | 59.0% [" in md
    # paired gains and flips
    assert re.search(r"\| base → sft \| \+49\.0 pp \[\+\d+\.\d, \+\d+\.\d\] \| paired bootstrap over 100 problems \| 0 \| 49 \|", md)
    assert re.search(r"\| sft → final \| -5\.1 pp \[-\d+\.\d, [+-]\d+\.\d\] \| paired bootstrap over 99 problems \| 9 \| 4 \|", md)
    assert "newly solved (4): `p095`, `p096`, `p097`, `p098`" in md
    assert "Within noise at this sample size (the interval includes zero): sft → final." in md
    assert "sft → final: 1 problem(s) with no verifiable sample on one side are left out" in md
    assert "only in sft" not in md
    assert "| 9 | 4 | +`p095` +`p096` +`p097` −`p050` −`p051` −`p052` |" in md
    # other sections
    assert "9.0% → 54.5%" not in md and "10.0% → 54.5%" in md  # headline card
    assert "On average" in md and "of GRPO groups had identical rewards" in md
    assert "Clean: every evaluation set (1) is below the 2.0% threshold." in md
    assert "| eval.jsonl | 100 | 1 | 1.0% | 1 | 1 | 0 | no |" in md
    assert "| p007 | what is 7 + 7 | 1 | yes |" in md  # the offending item
    assert ("The math verifier passes the audit: recall 100.0% [99.6, 100.0] on known-correct answers, "
            "precision 99.5% [97.2, 99.9] against known-wrong ones.") in md
    assert "| answer-spray | reject | 100 | 1 | 99 | 0 | 1 |" in md
    assert "Logit check passed: max |Δlogit| 0.031, top-1 agreement 100.0%." in md
    assert "| `export/demo-q8_0.gguf` | q8_0 | 2.0 KB | passed | 0.031 | 100.0% | yes | yes |" in md
    assert "| `export/Modelfile` | 22 B |" in md and "`export/export.json`" in md
    assert "q8_0 2.0 KB" in md  # headline card
    assert "rlvr quickstart --name demo" in md
    assert "Nothing: every file the report looks for was found." in md
    # figures: saved for the Markdown, inlined in the HTML, nothing external
    pngs = sorted((full_run / "report_assets").glob("*.png"))
    names = [p.name for p in pngs]
    assert names == ["eval-pass-at-1.png", "train-01-loss.png", "train-02-reward.png",
                     "train-03-zero-variance-groups.png", "train-04-diversity.png", "train-05-kl-to-the-reference.png",
                     "train-06-completion-length.png", "train-07-reward-hack-rates.png", "train-08-other.png"]
    for name in names:
        assert f"](report_assets/{name})" in md
    assert len(re.findall(r'<img src="data:image/png;base64,', html)) == len(pngs)
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<script" not in html and "<link" not in html


def test_report_rewrites_without_leaving_stale_figures(full_run):
    write_report(full_run)
    (full_run / "metrics.jsonl").unlink()
    md_path, _ = write_report(full_run)
    assert [p.name for p in (full_run / "report_assets").glob("*.png")] == ["eval-pass-at-1.png"]
    assert "`metrics.jsonl` — written by" in md_path.read_text()


# ---------------------------------------------------------------- statistics
def _eval(label, passed: dict[str, bool | None], summary=None) -> EvalRun:
    rows = [{"id": pid, "passed": p} for pid, p in passed.items()]
    return EvalRun(label, Path(label), summary or {}, rows)


def test_paired_gain_and_flips_on_literal_rows():
    before = _eval("a", {"x": True, "y": False, "z": False, "w": True})
    after = _eval("b", {"x": False, "y": True, "z": True, "w": True, "only_b": True})
    gain = gain_between(before, after)
    assert gain.diff == pytest.approx(0.25)
    assert gain.lost == ["x"] and gain.gained == ["y", "z"]
    assert gain.n_common == 4 and gain.only_after == 1 and gain.only_before == 0 and gain.unverified == 0
    assert gain.ci[0] <= 0.25 <= gain.ci[1]
    assert gain_between(before, after).ci == gain.ci  # fixed seed


def test_evaluations_without_shared_problems_get_a_note_not_a_crash():
    gain = gain_between(_eval("a", {"x": True}), _eval("b", {"y": True}))
    assert gain.diff is None and gain.method == "n/a (see note)" and "share no problem ids" in gain.note
    bad = gain_between(_eval("a", {"x": True}), _eval("b", {"x": "yes"}))
    assert bad.diff is None and "'passed' is 'yes'" in bad.note


def test_newcombe_interval_matches_the_published_example():
    # Newcombe (1998), example (e): 56/70 vs 48/80 -> difference 0.2000, 95% CI 0.0524 to 0.3339
    d, (lo, hi) = newcombe_interval(48 / 80, wilson_interval(48, 80), 56 / 70, wilson_interval(56, 70))
    assert d == pytest.approx(0.2)
    assert lo == pytest.approx(0.0524, abs=5e-4) and hi == pytest.approx(0.3339, abs=5e-4)


def test_gain_falls_back_to_newcombe_when_samples_are_missing():
    a = EvalRun("base", Path("a"), {"pass@1": 48 / 80, "pass@1_ci": list(wilson_interval(48, 80))})
    b = EvalRun("final", Path("b"), {"pass@1": 56 / 70, "pass@1_ci": list(wilson_interval(56, 70))})
    gain = gain_between(a, b)
    assert gain.method.startswith("unpaired Newcombe")
    assert gain.ci[0] == pytest.approx(0.0524, abs=5e-4)


def test_evaluations_are_ordered_base_stages_unknown_final():
    evals = [EvalRun(label, Path(label), {"created": t}) for label, t in
             [("final", 1), ("zeta", 5), ("custom", 9), ("base", 8), ("grpo", 2), ("sft", 3)]]
    assert [e.label for e in order_evals(evals, ["sft", "grpo"])] == ["base", "sft", "grpo", "zeta", "custom", "final"]


def test_pass_at_k_and_maj_at_k_are_read_from_flat_and_nested_summaries():
    flat = {"pass@1": 0.5, "pass@4": 0.8, "pass@4_ci": [0.7, 0.9], "maj@4": 0.6, "ci": "95%", "maj@1": 0.5}
    assert _at_k(flat) == {"pass@1": (0.5, None), "pass@4": (0.8, [0.7, 0.9]), "maj@1": (0.5, None),
                           "maj@4": (0.6, None)}
    nested = {"pass@k": {"2": 0.7, "8": {"value": 0.9, "ci": [0.8, 1.0]}}}
    assert _at_k(nested) == {"pass@2": (0.7, None), "pass@8": (0.9, [0.8, 1.0])}


# ---------------------------------------------------------------- metrics grouping
def test_metric_keys_are_grouped_and_std_keys_become_bands():
    rows = [{"stage": "grpo", "step": 1, "loss": 0.1, "reward": 0.5, "reward_std": 0.2, "rewards/acc/mean": 0.4,
             "rewards/acc/std": 0.3, "frac_reward_zero_std": 0.6, "kl": 0.01, "entropy": 0.9,
             "completions/mean_length": 20.0, "completions/clipped_ratio": 0.0, "diagnostics/unique_frac": 0.7,
             "hacks/spray/rate": 0.0, "learning_rate": 1e-6, "flag": True, "name": "x", "train_runtime": 3.0,
             "diagnostics/acc/zero_variance_frac": 0.5, "diagnostics/acc/unverifiable_frac": 0.0}]
    groups = {g.title: [(p.label, p.keys) for p in g.panels] for g in group_metrics(rows)}
    assert groups == {
        "Loss": [("loss", ["loss"])],
        "Reward": [("reward (± std)", ["reward"]), ("reward by component", ["rewards/acc/mean"])],
        "Zero-variance groups": [("fraction of groups", ["frac_reward_zero_std", "diagnostics/acc/zero_variance_frac"])],
        "Unverifiable rewards": [("fraction of completions", ["diagnostics/acc/unverifiable_frac"])],
        "Diversity": [("diversity", ["diagnostics/unique_frac"]), ("entropy", ["entropy"])],
        "KL to the reference": [("KL", ["kl"])],
        "Completion length": [("tokens", ["completions/mean_length"]), ("clipped ratio", ["completions/clipped_ratio"])],
        "Reward-hack rates": [("rate", ["hacks/spray/rate"])],
        "Other": [("learning_rate", ["learning_rate"])],
    }


def test_unknown_json_is_rendered_generically():
    blocks = json_blocks({"a": 1, "b": {"c": [1, 2], "d": {"e": None}}, "rows": [{"x": 1}, {"x": 2, "y": "z"}]})
    assert blocks[0].rows == [["`a`", "1"], ["`b.c`", "1, 2"], ["`b.d.e`", "—"]]
    assert isinstance(blocks[1], Table) and blocks[1].headers == ["x", "y"] and blocks[1].rows == [["1", "—"], ["2", "z"]]


# ---------------------------------------------------------------- bad input
def test_empty_run_dir_gets_a_report_listing_what_is_missing(tmp_path):
    report = make_report(tmp_path)
    md = report.markdown.read_text()
    assert report.missing == ["recipe.yaml", "plan.json", "readiness.json", "metrics.jsonl", "stages/", "model/",
                              "eval/<label>/summary.json", "contamination.json", "audit.json", "export/",
                              "commands.json"]
    assert md.rstrip().endswith("`commands.json` — written by `rlvr train` / `rlvr quickstart` (the exact commands)")
    assert "`metrics.jsonl` — written by `rlvr train` (one row per logged step)" in md
    html = report.html.read_text()
    for sid in SECTION_IDS[:-2]:
        assert f'<section id="{sid}" class="empty">' in html
    assert f"rlvr report {tmp_path}" in md


def test_damaged_files_are_reported_not_raised(full_run):
    lines = (full_run / "metrics.jsonl").read_text().splitlines()
    lines[3] = "{not json"
    (full_run / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    (full_run / "eval" / "sft" / "summary.json").write_text("{truncated")
    (full_run / "recipe.yaml").write_text("- just\n- a list\n")
    (full_run / "readiness.json").write_text(json.dumps([1, {"weird": [[1]]}, None]))
    (full_run / "commands.json").write_text(json.dumps({"not": "a list"}))
    report = make_report(full_run)
    md = report.markdown.read_text()
    assert "eval/sft/summary.json" in report.missing or any("eval/sft/summary.json" in p for p in report.problems)
    assert any("metrics.jsonl, line 4: not valid JSON" in p and "Kept the 3 rows" in p for p in report.problems)
    assert any(p.startswith("recipe.yaml: expected a mapping") for p in report.problems)
    assert any(p.startswith("commands.json: expected a list") for p in report.problems)
    # the sft evaluation still counts from its samples alone: 59/100 computed from rows
    assert "| **sft** | — | — | — | — | 59.0% [" in md
    assert "Files found but not (fully) readable:" in md


def test_further_eval_sets_get_their_own_tables_and_stray_folders_are_named(full_run):
    for label in ("base", "sft"):
        shutil.copytree(full_run / "eval" / label, full_run / "eval" / "gsm-mini" / label)
    (full_run / "eval" / "junk").mkdir()
    report = make_report(full_run)
    md = report.markdown.read_text()
    assert "**Eval set `gsm-mini`** (`eval/gsm-mini/`):" in md
    assert (full_run / "report_assets" / "eval-gsm-mini-pass-at-1.png").is_file()
    assert md.count("| base → sft | +49.0 pp") == 2
    assert report.problems == ["eval/junk/: holds neither summary.json nor samples.jsonl; ignored."]


def test_quickstart_disjointness_check_stands_in_when_no_contamination_json(full_run):
    (full_run / "contamination.json").unlink()
    _write_json(full_run / "disjointness.json", {
        "method": "every eval problem compared with every training problem",
        "arithmetic-eval": {"train_problems": 496, "eval_problems": 100, "shared_problems": 0, "examples": []},
        "arithmetic-eval-rephrased": {"train_problems": 496, "eval_problems": 100, "shared_problems": 2,
                                      "examples": ["3+4", "5-1"]}})
    report = make_report(full_run)
    md = report.markdown.read_text()
    assert "contamination.json" in report.missing
    assert ("Evaluation problems also in the training data: 0 of 100 in `arithmetic-eval`, "
            "2 of 100 in `arithmetic-eval-rephrased`.") in md
    assert "| arithmetic-eval-rephrased | 496 | 100 | 2 | 3+4, 5-1 |" in md
    assert "| train/eval overlap | ❌ **2 shared problems** — problem-level check; n-gram check not run |" in md
    assert '<section id="contamination">' in report.html.read_text()


def test_not_a_directory_is_a_user_error(tmp_path):
    with pytest.raises(RunDirError, match="does not exist"):
        write_report(tmp_path / "nope")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(RunDirError, match="is a file, not a directory"):
        collect_run(tmp_path / "file.txt")


# ---------------------------------------------------------------- CLI
def test_cli_prints_paths_and_json(full_run):
    result = _run_cli("report", str(full_run))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(full_run / "report.md"), str(full_run / "report.html")]
    result = _run_cli("report", str(full_run), "--json")
    payload = json.loads(result.stdout)
    assert payload == {"markdown": str(full_run / "report.md"), "html": str(full_run / "report.html"),
                       "missing": [], "problems": []}


def test_cli_bad_path_exits_2_without_traceback(tmp_path):
    result = _run_cli("report", str(tmp_path / "missing-run"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr


def test_cli_fail_on_missing(tmp_path):
    assert _run_cli("report", str(tmp_path)).returncode == 0
    result = _run_cli("report", str(tmp_path), "--fail-on-missing")
    assert result.returncode == 1 and "missing:" in result.stderr


# ---------------------------------------------------------------- headless browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           f"--user-data-dir={tmp_path / 'chromium-profile'}", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install -y chromium)")
def test_html_renders_in_headless_chromium(full_run, tmp_path):
    _, html_path = write_report(full_run)
    dom = _chromium(tmp_path, "--dump-dom", html_path.resolve().as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    for sid in SECTION_IDS:
        assert f'id="{sid}"' in dom.stdout
    images = re.findall(r'<img src="(data:image/png;base64,[^"]{100,})"', dom.stdout)
    assert len(images) == len(list((full_run / "report_assets").glob("*.png")))
    shot = tmp_path / "shot.png"
    result = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,3000", "--hide-scrollbars",
                       html_path.resolve().as_uri())
    assert result.returncode == 0 and shot.stat().st_size > 50_000  # a page with figures, not a blank one


if __name__ == "__main__":  # python tests/test_report.py DIR: build the crafted run (e.g. for docs screenshots)
    print(make_full_run(Path(sys.argv[1])))
