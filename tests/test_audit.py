"""Verifier audit: generated cases, tallies against fake verifiers, the real verifiers, CLI exit codes."""

import json
import os
import re
import subprocess
import sys
from fractions import Fraction

import pytest

from rlvr.errors import DatasetError
from rlvr.eval.audit import audit_code, audit_math, format_number, math_cases, parse_number, truncate_code
from rlvr.io import write_jsonl
from rlvr.verify.verdict import Verdict


def test_parse_and_format_numbers():
    assert parse_number("42") == (Fraction(42), "int")
    assert parse_number("$-0.25$") == (Fraction(-1, 4), "decimal")
    assert parse_number("\\frac{1}{3}") == (Fraction(1, 3), "latex")
    assert parse_number("-\\frac{1}{3}") == (Fraction(-1, 3), "latex")
    assert parse_number("3/4") == (Fraction(3, 4), "frac")
    assert parse_number("1,000") == (Fraction(1000), "int")
    assert parse_number("x^2+1") is None
    assert format_number(Fraction(5, 4), "decimal") == "1.25"
    assert format_number(Fraction(4, 3), "latex") == "\\frac{4}{3}"
    assert format_number(Fraction(-2, 3), "frac") == "-2/3"
    assert format_number(Fraction(6), "decimal") == "6"


def _by_category(cases):
    out = {}
    for c in cases:
        out.setdefault(c.category, []).append(c.completion)
    return out


def test_math_cases_for_an_integer():
    cases, skipped = math_cases("p", "5", other_gold="7")
    got = _by_category(cases)
    assert got["gold"] == ["5"] and got["boxed"] == ["\\boxed{5}"] and got["sentence"] == ["The answer is 5."]
    assert got["decimal_form"] == ["5.0"]
    assert got["off_by_one"] == ["The answer is 6.", "\\boxed{4}"]
    assert got["sign_flip"] == ["The answer is -5."] and got["times_ten"] == ["The answer is 50."]
    assert got["answer_spray"] == ["It could be 4, 6, or 5.", "\\boxed{4} \\boxed{5} \\boxed{6}"]
    assert got["empty"] == [""] and got["other_problem"] == ["The answer is 7."]
    assert skipped == ["fraction_decimal"]
    assert {c.expect for c in cases if c.category in ("gold", "boxed", "worked")} == {"accept"}


def test_math_cases_for_fractions_decimals_and_expressions():
    got = _by_category(math_cases("p", "0.25")[0])
    assert got["fraction_decimal"] == ["1/4"] and got["off_by_one"] == ["The answer is 1.25.", "\\boxed{-0.75}"]
    assert _by_category(math_cases("p", "\\frac{1}{2}")[0])["fraction_decimal"] == ["0.5"]
    _, skipped = math_cases("p", "\\frac{1}{3}")
    assert "fraction_decimal" in skipped  # 1/3 has no exact decimal
    cases, skipped = math_cases("p", "x^2+1", other_gold="x^2+1")
    assert sorted({c.category for c in cases}) == ["boxed", "empty", "gold", "sentence", "worked"]
    assert "off_by_one" in skipped
    zero = _by_category(math_cases("p", "0")[0])
    assert "sign_flip" not in zero and "times_ten" not in zero


_NUM = re.compile(r"-?\d+(?:\.\d+)?(?:/\d+)?")


def strict_verify(completions, golds):
    """Fake verifier: exactly one candidate, from the last box or the whole text, equal in value."""
    out = []
    for c, g in zip(completions, golds):
        boxes = re.findall(r"\\boxed\{([^}]*)\}", c)
        cands = boxes if boxes else _NUM.findall(c)
        ok = len(set(cands)) == 1 and Fraction(cands[0]) == Fraction(g)
        out.append(Verdict("passed" if ok else "failed"))
    return out


def lenient_verify(completions, golds):
    """Fake verifier that accepts any output mentioning the gold: answer spraying fools it."""
    return [Verdict("passed" if g in c else "failed") for c, g in zip(completions, golds)]


def test_audit_math_counts_with_fake_verifiers():
    rows = [{"id": "a", "answer": "5"}, {"id": "b", "answer": "12"}]
    lenient = audit_math(rows, verify=lenient_verify)
    cats = {c.category: c for c in lenient.categories}
    assert (cats["answer_spray"].n, cats["answer_spray"].accepted) == (4, 4)
    assert (cats["gold_then_wrong"].n, cats["gold_then_wrong"].accepted) == (2, 2)
    assert cats["off_by_one"].accepted == 0 and cats["empty"].rejected == 2
    # positives: gold, boxed, sentence, worked, decimal_form ("5.0" contains "5") = 10 accepted of 10
    assert lenient.recall == 1.0
    # substring matching also takes "-5" and "50" for 5 (and "-12", "120" for 12)
    assert cats["sign_flip"].accepted == 2 and cats["times_ten"].accepted == 2
    assert lenient.precision == pytest.approx(10 / 20)  # 10 wrong outputs accepted
    assert not lenient.ok
    assert cats["answer_spray"].examples[0]["completion"] == "It could be 4, 6, or 5."

    strict = audit_math(rows, verify=strict_verify)
    # "worked" has the numbers 17, 25, 42 in its text but one box: accepted
    assert strict.recall == 1.0 and strict.precision == 1.0 and strict.ok


def test_audit_math_unverifiable_is_counted_apart():
    def unsure(completions, golds):
        return [Verdict("unverifiable", "gold not parseable") for _ in completions]

    report = audit_math([{"answer": "5"}], verify=unsure)
    assert all(c.accepted == c.rejected == 0 and c.unverifiable == c.n for c in report.categories)
    assert not report.ok  # nothing decided is not a pass


def test_audit_math_missing_gold_names_the_row():
    with pytest.raises(DatasetError, match=r"gold.jsonl, row 2: no gold answer in field 'answer'"):
        audit_math([{"answer": "1"}, {"prompt": "x"}], verify=strict_verify, source="gold.jsonl")


def test_audit_math_with_the_real_verifier():
    report = audit_math([{"id": "a", "answer": "5"}, {"id": "b", "answer": "0.25"}])
    cats = {c.category: c for c in report.categories}
    for name in ("gold", "boxed", "sentence", "decimal_form", "fraction_decimal"):
        assert cats[name].rejected == 0, name
    for name in ("off_by_one", "sign_flip", "times_ten", "empty"):
        assert cats[name].accepted == 0, name


def test_truncate_code():
    assert truncate_code("    a = 1\n    b = 2\n    return a + b\n") == "    a = 1\n"
    assert truncate_code("    return x\n") == "    re"


PROBLEM = {
    "task_id": "t/0",
    "prompt": "def add(a, b):\n",
    "canonical_solution": "    s = a + b\n    return s\n",
    "test": "def check(candidate):\n    assert candidate(2, 3) == 5\n",
    "entry_point": "add",
}


def test_audit_code_with_a_fake_verifier():
    def fake_verify(samples, problems, workers=1, timeout=1.0):
        return [{"passed": s["completion"] == "    s = a + b\n    return s\n", "status": "x"} for s in samples]

    report = audit_code({"t/0": PROBLEM}, verify_samples=fake_verify,
                        hostile=lambda name, ep: f"    import os  # {name} {ep}\n", hostile_names=["h1", "h2"])
    cats = {c.category: (c.n, c.accepted) for c in report.categories}
    assert cats == {"canonical": (1, 1), "truncated": (1, 0), "empty": (1, 0), "return_none": (1, 0),
                    "hostile:h1": (1, 0), "hostile:h2": (1, 0)}
    assert report.ok and report.recall == 1.0


def test_audit_code_with_the_real_sandbox(tmp_path):
    pytest.importorskip("rlvr.verify.code")
    from rlvr.verify.problems import load_problems

    write_jsonl(tmp_path / "p.jsonl", [PROBLEM])
    report = audit_code(load_problems(tmp_path / "p.jsonl"), hostile_names=["sys_exit_zero", "always_equal"],
                        workers=1, timeout=5.0)
    cats = {c.category: (c.n, c.accepted, c.rejected) for c in report.categories}
    assert cats["canonical"] == (1, 1, 0)
    for name in ("truncated", "empty", "return_none", "hostile:sys_exit_zero", "hostile:always_equal"):
        assert cats[name][1] == 0, name
    assert report.ok


def _cli(*args):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.run([sys.executable, "-m", "rlvr", *args], capture_output=True, text=True, env=env, timeout=120)


def test_cli_audit_math_exit_codes_and_out(tmp_path):
    write_jsonl(tmp_path / "gold.jsonl", [{"id": "a", "answer": "5"}])
    proc = _cli("audit", "math", "--data", str(tmp_path / "gold.jsonl"), "--json", "--out", str(tmp_path / "audit.json"),
                "--min-precision", "0")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data == json.loads((tmp_path / "audit.json").read_text())
    assert data["kind"] == "math" and data["recall"] == 1.0
    strict = _cli("audit", "math", "--data", str(tmp_path / "gold.jsonl"), "--min-precision", "1.0")
    # exit 1 exactly when a wrong output was accepted (math-verify takes the last number of a spray)
    assert strict.returncode == (1 if data["precision"] < 1.0 else 0)
    bad = _cli("audit", "math", "--data", str(tmp_path / "gold.jsonl"), "--gold-field", "solution")
    assert bad.returncode == 2 and "no gold answer in field 'solution'" in bad.stderr
    assert _cli("audit", "chess").returncode == 2
