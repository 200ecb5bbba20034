"""Human-audit slices from a crafted run directory with known disagreements, and scoring the verifier
on human verdicts; both through the API and `rlvr audit slice|score`."""

import json
import re

import pytest

from rlvr.errors import DatasetError, RunDirError
from rlvr.eval.metrics import wilson_interval
from rlvr.monitor.review import (allocate, classify, draw_slices, judges, load_run_samples, score_review,
                                 write_slice)


def sample(i, completion, answer, extracted, passed, status=None, prompt=None):
    return {"id": f"p{i}", "prompt": prompt or f"What is {i} + {i}?", "completion": completion, "answer": answer,
            "extracted": extracted, "status": status or ("passed" if passed else "failed"), "passed": passed,
            "detail": "", "sample_index": 0}


KNOWN = [
    # disagreements: math-verify vs exact match vs numeric closeness
    sample(1, "Half of one is 1/2.\nAnswer: 1/2", "0.5", "1", True),       # math-verify accepts, the others do not
    sample(2, "Maybe 18 or 19", "19", "19", False),                        # spraying: math-verify rejects, others accept
    sample(3, "2 + 1 = 3\nAnswer: 3", "3.0", "3.5", True),                 # verifier accepted a wrong extraction
    # unverifiable and timeouts
    sample(4, "4 + 4 = ...", "8", None, False, status="timeout"),
    sample(5, "Answer: 10", "ten", "10", None, status="unverifiable"),
    # suspicious passes: very short, prompt copied
    sample(6, "12", "12", "12", True),
    sample(7, "What is 7 + 7? What is 7 + 7? Answer: 14", "14", "14", True, prompt="What is 7 + 7?"),
]
CLEAN = [sample(i, f"{i} + {i} = {2 * i}\nAnswer: {2 * i}", str(2 * i), str(2 * i), True) for i in range(10, 26)] + \
        [sample(i, f"{i} + {i} = {2 * i + 1}\nAnswer: {2 * i + 1}", str(2 * i), str(2 * i + 1), False)
         for i in range(26, 33)]


@pytest.fixture
def run_dir(tmp_path):
    run = tmp_path / "run"
    (run / "eval" / "base").mkdir(parents=True)
    (run / "eval" / "base" / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in KNOWN + CLEAN))
    return run


def test_judges_on_known_rows():
    assert judges(KNOWN[0]) == {"math_verify": True, "exact": False, "numeric": False}
    assert judges(KNOWN[1]) == {"math_verify": False, "exact": True, "numeric": True}
    assert judges(KNOWN[2]) == {"math_verify": True, "exact": False, "numeric": False}
    assert judges(KNOWN[4]) == {"math_verify": None, "exact": False, "numeric": None}
    assert judges(CLEAN[0]) == {"math_verify": True, "exact": True, "numeric": True}


def test_classify_finds_every_crafted_case(run_dir):
    rows = {r["id"]: r for r in classify(load_run_samples(run_dir))}
    assert [rows[f"p{i}"]["slices"][:1] for i in range(1, 8)] == [
        ["disagreement"], ["disagreement"], ["disagreement"], ["unverifiable"], ["unverifiable"],
        ["suspicious_pass"], ["suspicious_pass"]]
    assert rows["p6"]["flags"] == ["short"] and "prompt_copy" in rows["p7"]["flags"]
    assert "answer_spraying" in rows["p2"]["flags"]
    assert all(not rows[r["id"]]["slices"] for r in CLEAN)
    assert rows["p1"]["eval"] == "base"


def test_allocation_is_proportional_with_one_each():
    assert allocate({"a": 100, "b": 10, "c": 0}, 11) == {"a": 10, "b": 1, "c": 0}
    assert allocate({"a": 3, "b": 2}, 10) == {"a": 3, "b": 2}  # never more than a pool holds
    assert allocate({"a": 5, "b": 5, "c": 5}, 2) == {"a": 1, "b": 1, "c": 0}


def test_slice_draws_all_targets_then_random_control(run_dir, tmp_path):
    result = write_slice(run_dir, size=10, seed=0)
    assert result.pools == {"disagreement": 3, "unverifiable": 2, "suspicious_pass": 2, "random": 23}
    assert result.selected == {"disagreement": 3, "unverifiable": 2, "suspicious_pass": 2, "random": 3}
    review = [json.loads(line) for line in (run_dir / "review" / "review.jsonl").read_text().splitlines()]
    assert [r["review_id"] for r in review] == [f"r{i:04d}" for i in range(1, 11)]
    assert [r["id"] for r in review[:7]] == ["p1", "p2", "p3", "p4", "p5", "p6", "p7"]
    assert all(r["human_verdict"] is None and r["notes"] == "" for r in review)
    assert len({(r["eval"], r["id"]) for r in review}) == 10  # deduplicated
    again = write_slice(run_dir, size=10, seed=0, out_dir=tmp_path / "again")
    assert (tmp_path / "again" / "review.jsonl").read_text() == (run_dir / "review" / "review.jsonl").read_text()
    assert again.selected == result.selected


def test_slice_small_size_keeps_one_per_slice_and_a_control(run_dir):
    review, _ = draw_slices(classify(load_run_samples(run_dir)), size=4, seed=1)
    assert [r["slice"] for r in review] == ["disagreement", "unverifiable", "suspicious_pass", "random"]


def test_review_html_has_one_card_per_sample_and_the_rows(run_dir):
    write_slice(run_dir, size=10, seed=0)
    page = (run_dir / "review" / "review.html").read_text()
    assert page.count('class="card"') == 10 and page.count('type="radio"') == 30
    assert "Download reviewed.jsonl" in page and "data:application/x-ndjson" in page
    embedded = re.search(r'<script type="application/json" id="rows">(.*?)</script>', page, re.S).group(1)
    assert [r["review_id"] for r in json.loads(embedded)] == [f"r{i:04d}" for i in range(1, 11)]


def test_slice_refuses_to_overwrite_human_verdicts(run_dir):
    write_slice(run_dir, size=5)
    path = run_dir / "review" / "review.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[0]["human_verdict"] = "correct"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(RunDirError, match="1 human verdict"):
        write_slice(run_dir, size=5)
    write_slice(run_dir, size=5, overwrite=True)


def test_slice_of_a_run_without_samples_names_what_to_do(tmp_path):
    (tmp_path / "run").mkdir()
    with pytest.raises(DatasetError, match="no eval/\\*\\*/samples.jsonl"):
        load_run_samples(tmp_path / "run")


def reviewed(tmp_path):
    def row(sl, passed, verdict):
        return {"slice": sl, "passed": passed, "human_verdict": verdict, "id": "x"}

    rows = [row("disagreement", True, "correct"), row("disagreement", False, "correct"),
            row("random", True, "correct"), row("random", True, "correct"), row("random", True, "correct"),
            row("random", True, "incorrect"), row("random", False, "incorrect"), row("random", False, "incorrect"),
            row("random", True, "unsure"), row("random", False, None), row("unverifiable", None, "correct")]
    path = tmp_path / "reviewed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_score_precision_recall_overall_and_per_slice(tmp_path):
    report = score_review(reviewed(tmp_path))
    o = report["overall"]
    assert (o["tp"], o["fp"], o["fn"], o["tn"]) == (4, 1, 1, 2)
    assert o["precision"] == 0.8 and o["recall"] == 0.8 and o["agreement"] == 6 / 8
    assert o["precision_ci"] == [round(x, 6) for x in wilson_interval(4, 5)]
    assert (o["n"], o["decided"], o["unsure"], o["unreviewed"], o["verifier_undecided"]) == (11, 8, 1, 1, 1)
    r = report["slices"]["random"]
    assert r["precision"] == 0.75 and r["recall"] == 1.0
    assert list(report["slices"]) == ["disagreement", "unverifiable", "random"]
    assert report["slices"]["unverifiable"]["precision"] is None
    assert any("random" in n for n in report["notes"])


def test_score_rejects_bad_or_missing_verdicts(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps({"passed": True, "human_verdict": "yes"}) + "\n")
    with pytest.raises(DatasetError, match="row 1.*'yes'"):
        score_review(path)
    path.write_text(json.dumps({"passed": True, "human_verdict": None}) + "\n")
    with pytest.raises(DatasetError, match="no row has a human_verdict"):
        score_review(path)


def test_cli_slice_then_score(run_dir, tmp_path, cli):
    p = cli("audit", "slice", run_dir, "--size", "10", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["selected"]["disagreement"] == 3
    p = cli("audit", "score", run_dir / "review" / "review.jsonl")
    assert p.returncode == 2 and "no row has a human_verdict" in p.stderr and "Traceback" not in p.stderr
    p = cli("audit", "score", reviewed(tmp_path), "--json", "--out", tmp_path / "score.json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["overall"]["precision"] == 0.8
    assert json.loads((tmp_path / "score.json").read_text())["overall"]["recall"] == 0.8
    p = cli("audit", "slice")
    assert p.returncode == 2 and "needs a run directory" in p.stderr
