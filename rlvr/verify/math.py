"""Math answer verification with math-verify, with a time bound that works in any thread.

math-verify's own timeouts use SIGALRM, which only works in the main thread, and some inputs hang
its parser. So verification runs in a small worker process with math-verify's timeouts off; the
caller waits on each item with a deadline, and on a timeout kills the worker, marks that item
`unverifiable` (the verifier failed, not the candidate) and starts a fresh worker for the rest.
A gold answer that math-verify cannot parse is also `unverifiable`: there is nothing to check against.
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import threading
from typing import Sequence

from rlvr.verify.verdict import Verdict

DEFAULT_TIMEOUT_S = 5.0
_NUM = r"-?\d[\d,]*(?:\.\d+)?"
_NUMBER = re.compile(_NUM)
_LISTED = re.compile(rf"{_NUM}\s*(?:,|;|\bor\b|\band\b)\s*(?:or\s+|and\s+)?{_NUM}", re.IGNORECASE)
_ANSWER_LINE = re.compile(rf"answer\s*(?:is|:|=)\s*\$?\s*({_NUM})", re.IGNORECASE)
_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")


def spray_reason(text: str) -> str | None:
    """Why an output offers several candidate final answers (answer spraying), or None.

    math-verify grades the last answer it finds, so "It could be 19, 21, or 20." passes for 20. A
    final answer must be one value: distinct boxed answers, distinct 'Answer:' values, or a list of
    numbers in the last line (with no single answer slot) are rejected before math-verify runs.
    """
    boxed = {b.strip() for b in _BOXED.findall(text)}
    if len(boxed) > 1:
        return f"several boxed answers: {sorted(boxed)[:4]}"
    answers = {a.replace(",", "") for a in _ANSWER_LINE.findall(text)}
    if len(answers) > 1:
        return f"several answer lines: {sorted(answers)[:4]}"
    if not boxed and not answers:
        lines = [ln for ln in text.strip().splitlines() if ln.strip()]
        last = lines[-1] if lines else ""
        if _LISTED.search(last):
            return "the final line lists several candidate numbers"
    return None


def _verify_one(completion: str, gold: str) -> tuple[str, str]:
    from math_verify import parse, verify

    gold_parsed = parse(gold, parsing_timeout=None)
    if not gold_parsed:
        return "unverifiable", f"gold answer {gold!r} could not be parsed"
    spray = spray_reason(completion)
    if spray:
        return "failed", f"answer spraying: {spray}"
    pred = parse(completion, parsing_timeout=None)
    if not pred:
        return "failed", "no answer found in the output"
    ok = verify(gold_parsed, pred, timeout_seconds=None)
    return ("passed" if ok else "failed"), f"extracted {pred[-1]!s}"


class MathVerifier:
    """A reusable, thread-safe math verifier backed by one worker process
    (`python -m rlvr.verify.math_worker`, JSON lines over pipes: no dependency on `__main__`)."""

    def __init__(self, timeout_s: float = DEFAULT_TIMEOUT_S):
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._warm = False

    def _start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "PYTHONPATH", "HOME", "LANG", "LC_ALL")}
        self._proc = subprocess.Popen([sys.executable, "-m", "rlvr.verify.math_worker"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True,
                                      bufsize=1)
        self._warm = False

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(timeout=5)
        self._proc = None

    def verify_many(self, completions: Sequence[str], golds: Sequence[str]) -> list[Verdict]:
        out = []
        with self._lock:
            for completion, gold in zip(completions, golds):
                if gold is None or str(gold).strip() == "":
                    out.append(Verdict("unverifiable", "no gold answer"))
                    continue
                out.append(self._one(str(completion), str(gold)))
        return out

    def _one(self, completion: str, gold: str) -> Verdict:
        for _attempt in (1, 2):
            if self._proc is None or self._proc.poll() is not None:
                self._start()
            try:
                self._proc.stdin.write(json.dumps([completion, gold]) + "\n")
                self._proc.stdin.flush()
                # The first call also pays for the worker's imports (sympy, about 1-2 s).
                ready, _, _ = select.select([self._proc.stdout], [], [], self.timeout_s + (0 if self._warm else 20))
                if not ready:
                    self._kill()
                    return Verdict("unverifiable", f"math-verify did not finish within {self.timeout_s:g} s")
                line = self._proc.stdout.readline()
                if not line:
                    raise EOFError
                status, detail = json.loads(line)
                self._warm = True
                return Verdict(status, detail)
            except (EOFError, BrokenPipeError, OSError, ValueError):
                self._kill()  # the worker died; try once more in a fresh one
        return Verdict("unverifiable", "math-verify worker crashed twice")

    def close(self) -> None:
        with self._lock:
            self._kill()

    def __del__(self):
        try:
            self._kill()
        except Exception:
            pass


_default: MathVerifier | None = None
_default_lock = threading.Lock()


def default_verifier() -> MathVerifier:
    global _default
    with _default_lock:
        if _default is None:
            _default = MathVerifier()
        return _default


def verify_math(completion: str, gold: str) -> Verdict:
    """Verdict for one completion against one gold answer (math-verify equivalence)."""
    return default_verifier().verify_many([completion], [gold])[0]


def verify_math_many(completions: Sequence[str], golds: Sequence[str]) -> list[Verdict]:
    return default_verifier().verify_many(completions, golds)


def final_answer(text: str) -> str | None:
    """The number a completion gives as its answer: the value on its last 'Answer: N' / 'answer is N'
    line if it has one (the same rule `spray_reason` applies), else the last number in the text."""
    found = _ANSWER_LINE.findall(text or "")
    if found:
        return found[-1].replace(",", "").rstrip(".")
    return extract_last_number(text)


def extract_last_number(text: str) -> str | None:
    """The last number in a text (the model often writes '5 + 19 = 17': the last one is its answer)."""
    found = _NUMBER.findall(text or "")
    if not found:
        return None
    return found[-1].replace(",", "").rstrip(".")
