import sys
import threading

import pytest

from rlvr.verify.math import MathVerifier, extract_last_number, verify_math


@pytest.mark.parametrize("completion,gold,status", [
    ("The answer is 24.", "24", "passed"),
    ("\\boxed{24}", "24", "passed"),
    ("Answer: -7", "-7", "passed"),
    ("5 + 19 = 17", "24", "failed"),
    ("I have no idea", "24", "failed"),
    ("", "24", "failed"),
    ("Answer: 1/2", "0.5", "passed"),
    ("Answer: 3", "this is not math ???", "unverifiable"),
])
def test_literal_verdicts(completion, gold, status):
    assert verify_math(completion, gold).status == status


def test_unverifiable_is_neither_pass_nor_fail():
    v = verify_math("Answer: 3", "")
    assert v.status == "unverifiable" and v.passed is None


def test_works_inside_threads():
    results = []
    threads = [threading.Thread(target=lambda: results.append(verify_math("Answer: 12", "12").status)) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert results == ["passed"] * 4


class HangingVerifier(MathVerifier):
    """A worker that never answers, standing in for an input that hangs math-verify."""

    def _start(self):
        import subprocess

        self._proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True)
        self._warm = True


def test_a_hang_becomes_unverifiable_within_the_timeout_and_the_worker_is_replaced():
    import time

    v = HangingVerifier(timeout_s=0.5)
    t = time.time()
    out = v.verify_many(["Answer: 1", "Answer: 2"], ["1", "2"])
    assert [x.status for x in out] == ["unverifiable", "unverifiable"]
    assert "did not finish within 0.5 s" in out[0].detail
    assert time.time() - t < 5
    v.close()


def test_extract_last_number():
    assert extract_last_number("5 + 19 = 17") == "17"
    assert extract_last_number("it is 1,234.") == "1234"
    assert extract_last_number("none") is None


@pytest.mark.parametrize("completion", [
    "It could be 19, 21, or 20.",
    "\\boxed{19} or maybe \\boxed{20}",
    "Answer: 19\nAnswer: 20",
    "20 or 21",
])
def test_answer_spraying_is_rejected(completion):
    v = verify_math(completion, "20")
    assert v.status == "failed" and "spraying" in v.detail


@pytest.mark.parametrize("completion", ["5 + 15 = 20", "The answer is 20.", "1 + 19 = 20\nAnswer: 20"])
def test_worked_answers_are_not_mistaken_for_spraying(completion):
    assert verify_math(completion, "20").status == "passed"
