"""Audit a verifier before trusting it as a reward.

A reward is only as good as the verifier behind it: one that rejects correct answers written a
little differently starves learning, and one that accepts wrong answers gets gamed (a policy soon
learns to list several numbers, or to print "passed"). The audit feeds the verifier known-correct
outputs (the gold answer and equivalent forms of it; canonical code solutions) and known-wrong
ones (perturbed numbers, answer-spraying, empty output; truncated code, `return None`, and the
sandbox's hostile completions), and counts what it accepts.

  recall     accepted known-correct / decided known-correct
  precision  accepted known-correct / all accepted (correct + wrong)
  per category: n, accepted, rejected, unverifiable (left out of both rates)

Precision depends on how many wrong cases are generated per correct one, so the table also shows
each wrong category's acceptance rate; any accepted wrong case is listed as an example.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Callable, Iterable, Sequence

from rlvr.errors import DatasetError, VerifyError
from rlvr.eval.metrics import wilson_interval

ACCEPT, REJECT = "accept", "reject"


@dataclass
class AuditCase:
    problem_id: str
    category: str
    expect: str  # ACCEPT or REJECT
    completion: str
    gold: str = ""


@dataclass
class CategoryResult:
    category: str
    expect: str
    n: int = 0
    accepted: int = 0
    rejected: int = 0
    unverifiable: int = 0
    examples: list[dict] = field(default_factory=list)  # wrong decisions (and unverifiable), first few

    @property
    def wrong(self) -> int:
        return self.rejected if self.expect == ACCEPT else self.accepted


@dataclass
class AuditReport:
    kind: str
    n_problems: int
    categories: list[CategoryResult]
    recall: float
    recall_ci: tuple[float, float]
    precision: float
    precision_ci: tuple[float, float]
    min_recall: float
    min_precision: float
    ok: bool
    skipped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        for c, cat in zip(d["categories"], self.categories):
            c["wrong"] = cat.wrong
        return d


def score_cases(
    cases: Sequence[AuditCase], outcomes: Sequence[tuple[bool | None, str, str]], kind: str, n_problems: int,
    min_recall: float = 0.99, min_precision: float = 0.99, max_examples: int = 5,
) -> AuditReport:
    """Tally (passed, status, detail) outcomes per category; recall and precision with Wilson intervals."""
    cats: dict[str, CategoryResult] = {}
    for case, (passed, status, detail) in zip(cases, outcomes):
        cat = cats.setdefault(case.category, CategoryResult(case.category, case.expect))
        cat.n += 1
        if passed is None:
            cat.unverifiable += 1
        elif passed:
            cat.accepted += 1
        else:
            cat.rejected += 1
        wrong = passed is None or (bool(passed) != (case.expect == ACCEPT))
        if wrong and len(cat.examples) < max_examples:
            cat.examples.append({"id": case.problem_id, "gold": case.gold, "completion": case.completion[:300],
                                 "status": status, "detail": detail[:200]})
    tp = sum(c.accepted for c in cats.values() if c.expect == ACCEPT)
    fn = sum(c.rejected for c in cats.values() if c.expect == ACCEPT)
    fp = sum(c.accepted for c in cats.values() if c.expect == REJECT)
    recall = tp / (tp + fn) if tp + fn else float("nan")
    precision = tp / (tp + fp) if tp + fp else float("nan")
    ok = recall >= min_recall and precision >= min_precision  # NaN compares False: nothing decided fails
    return AuditReport(
        kind=kind, n_problems=n_problems, categories=list(cats.values()),
        recall=recall, recall_ci=wilson_interval(tp, tp + fn),
        precision=precision, precision_ci=wilson_interval(tp, tp + fp),
        min_recall=min_recall, min_precision=min_precision, ok=ok,
    )


# --- math -----------------------------------------------------------------------------------------

_FRAC_LATEX = re.compile(r"^\\d?frac\{(-?\d+)\}\{(\d+)\}$")
_FRAC_PLAIN = re.compile(r"^(-?\d+)\s*/\s*(\d+)$")
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


def parse_number(gold: str) -> tuple[Fraction, str] | None:
    """(exact value, style) of a plain numeric gold answer: style is int, decimal, frac (a/b) or
    latex (\\frac{a}{b}); None for anything else (expressions, intervals, text)."""
    s = str(gold).strip().strip("$").strip().replace(",", "")
    if s.startswith("-\\frac"):
        m = _FRAC_LATEX.match(s[1:])
        return (-Fraction(int(m[1]), int(m[2])), "latex") if m and int(m[2]) else None
    if m := _FRAC_LATEX.match(s):
        return (Fraction(int(m[1]), int(m[2])), "latex") if int(m[2]) else None
    if m := _FRAC_PLAIN.match(s):
        return (Fraction(int(m[1]), int(m[2])), "frac") if int(m[2]) else None
    if _DECIMAL.match(s):
        return Fraction(s), ("decimal" if "." in s else "int")
    return None


def _finite_decimal(v: Fraction) -> str | None:
    """v as an exact decimal string, or None when its expansion does not terminate."""
    den = v.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    if den != 1:
        return None
    digits = 0
    while (v * 10**digits).denominator != 1:
        digits += 1
    return f"{float(v):.{digits}f}" if digits else str(v.numerator)


def format_number(v: Fraction, style: str) -> str:
    """v written in the gold's style where it can be (so a perturbation differs only in value)."""
    if v.denominator == 1:
        return str(v.numerator)
    if style == "decimal" and (d := _finite_decimal(v)) is not None:
        return d
    if style == "latex":
        sign = "-" if v < 0 else ""
        return f"{sign}\\frac{{{abs(v.numerator)}}}{{{v.denominator}}}"
    return f"{v.numerator}/{v.denominator}"


def math_cases(problem_id: str, gold: str, other_gold: str | None = None) -> tuple[list[AuditCase], list[str]]:
    """Known-correct and known-wrong outputs for one gold answer; also the categories skipped."""
    g = str(gold).strip()
    cases: list[AuditCase] = []
    skipped: list[str] = []

    def add(category: str, expect: str, completion: str) -> None:
        cases.append(AuditCase(problem_id, category, expect, completion, g))

    add("gold", ACCEPT, g)
    add("boxed", ACCEPT, f"\\boxed{{{g}}}")
    add("sentence", ACCEPT, f"The answer is {g}.")
    add("worked", ACCEPT, f"First, 17 + 25 = 42 and 42 - 2 = 40. Therefore the final answer is \\boxed{{{g}}}.")
    add("empty", REJECT, "")
    parsed = parse_number(g)
    if parsed is None:
        skipped += ["decimal_form", "fraction_decimal", "off_by_one", "sign_flip", "times_ten", "answer_spray",
                    "gold_then_wrong"]
    else:
        v, style = parsed
        if v.denominator == 1:
            add("decimal_form", ACCEPT, f"{v.numerator}.0")
            skipped.append("fraction_decimal")
        else:
            skipped.append("decimal_form")
            dec = _finite_decimal(v)
            if style == "decimal":
                add("fraction_decimal", ACCEPT, f"{v.numerator}/{v.denominator}")
            elif dec is not None:
                add("fraction_decimal", ACCEPT, dec)
            else:
                skipped.append("fraction_decimal")
        up, down = format_number(v + 1, style), format_number(v - 1, style)
        add("off_by_one", REJECT, f"The answer is {up}.")
        add("off_by_one", REJECT, f"\\boxed{{{down}}}")
        if v != 0:
            add("sign_flip", REJECT, f"The answer is {format_number(-v, style)}.")
            add("times_ten", REJECT, f"The answer is {format_number(v * 10, style)}.")
        else:
            skipped += ["sign_flip", "times_ten"]
        add("answer_spray", REJECT, f"It could be {down}, {up}, or {g}.")
        add("answer_spray", REJECT, f"\\boxed{{{down}}} \\boxed{{{g}}} \\boxed{{{up}}}")
        add("gold_then_wrong", REJECT, f"At first I thought {g}, but that is wrong. The answer is \\boxed{{{up}}}.")
    if other_gold is not None and str(other_gold).strip() != g:
        a, b = parse_number(g), parse_number(str(other_gold))
        if not (a and b and a[0] == b[0]):
            add("other_problem", REJECT, f"The answer is {str(other_gold).strip()}.")
    return cases, skipped


MathVerify = Callable[[list[str], list[str]], list]  # (completions, golds) -> Verdicts


def _batched(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def audit_math(
    rows: Sequence[dict], gold_field: str = "answer", verify: MathVerify | None = None,
    min_recall: float = 0.99, min_precision: float = 0.99, progress: bool = False, source: str = "data",
) -> AuditReport:
    """Audit the math verifier (`rlvr.verify.math.verify_math_many` unless `verify` is given)."""
    t0 = time.perf_counter()
    golds = []
    for i, row in enumerate(rows):
        if gold_field not in row or row[gold_field] is None or str(row[gold_field]).strip() == "":
            raise DatasetError(
                f"{source}, row {i + 1}: no gold answer in field {gold_field!r} (the row has {sorted(row)}). "
                "Every row needs one; name the field holding it with --gold-field."
            )
        golds.append((str(row.get("id", i)), str(row[gold_field])))
    if not golds:
        raise DatasetError(f"{source}: no rows to audit.")
    cases: list[AuditCase] = []
    skipped: dict[str, int] = {}
    for i, (pid, g) in enumerate(golds):
        c, s = math_cases(pid, g, other_gold=golds[(i + 1) % len(golds)][1] if len(golds) > 1 else None)
        cases += c
        for name in s:
            skipped[name] = skipped.get(name, 0) + 1
    if verify is None:
        from rlvr.verify.math import verify_math_many as verify
    outcomes = []
    for batch in _progress(list(_batched(cases, 64)), progress, "verifying"):
        verdicts = verify([c.completion for c in batch], [c.gold for c in batch])
        outcomes += [(v.passed, v.status, v.detail) for v in verdicts]
    report = score_cases(cases, outcomes, "math", len(golds), min_recall, min_precision)
    report.skipped = skipped
    report.wall_s = time.perf_counter() - t0
    return report


def _progress(items: list, show: bool, what: str):
    if not show:
        return items
    from rich.console import Console
    from rich.progress import track

    return track(items, description=what, console=Console(stderr=True), transient=True)


# --- code -----------------------------------------------------------------------------------------


def truncate_code(code: str) -> str:
    """The first half of a solution's lines (at least one line gone; a one-liner is cut mid-line)."""
    lines = code.rstrip("\n").split("\n")
    if len(lines) > 1:
        return "\n".join(lines[: max(1, len(lines) // 2)]) + "\n"
    return code[: len(code) // 2]


def load_code_problems(benchmark: str | None = None, problems_path: str | None = None) -> dict:
    """task_id -> rlvr.verify.problems.Problem, from a builtin benchmark or a HumanEval-format JSONL."""
    from rlvr.verify.problems import benchmark_path, load_problems

    if (benchmark is None) == (problems_path is None):
        raise VerifyError("`rlvr audit code` needs exactly one of --benchmark humaneval or --problems PROBLEMS.jsonl.")
    return load_problems(benchmark_path(benchmark) if benchmark is not None else problems_path)


def _field(problem, name: str):
    return problem.get(name) if isinstance(problem, dict) else getattr(problem, name, None)


def code_cases(problems: dict, hostile: Callable[[str, str], str] | None = None, hostile_names: Sequence[str] = (),
               hostile_problems: int = 1) -> tuple[list[AuditCase], dict[str, int]]:
    """Per problem: canonical (accept), truncated canonical, empty, `return None` (reject); then each
    hostile class on the first `hostile_problems` problems (reject)."""
    cases: list[AuditCase] = []
    skipped: dict[str, int] = {}
    for tid, p in problems.items():
        canonical = _field(p, "canonical_solution")
        if canonical:
            cases.append(AuditCase(tid, "canonical", ACCEPT, canonical))
            cases.append(AuditCase(tid, "truncated", REJECT, truncate_code(canonical)))
        else:
            skipped["canonical"] = skipped.get("canonical", 0) + 1
            skipped["truncated"] = skipped.get("truncated", 0) + 1
        cases.append(AuditCase(tid, "empty", REJECT, ""))
        cases.append(AuditCase(tid, "return_none", REJECT, "    return None\n"))
    for name in hostile_names:
        for tid in list(problems)[:hostile_problems]:
            cases.append(AuditCase(tid, f"hostile:{name}", REJECT, hostile(name, _field(problems[tid], "entry_point"))))
    return cases, skipped


def audit_code(
    problems: dict, verify_samples: Callable | None = None, hostile: Callable[[str, str], str] | None = None,
    hostile_names: Sequence[str] | None = None, workers: int = 2, timeout: float = 3.0, hostile_problems: int = 1,
    min_recall: float = 0.99, min_precision: float = 0.99,
) -> AuditReport:
    """Audit the code verifier: canonical solutions must pass; truncated, empty, `return None` and
    hostile completions must not. Uses rlvr.verify.code and rlvr.verify.hostile unless given. Host
    attacks aim at files in a private temporary directory, never at shared paths."""
    import tempfile

    t0 = time.perf_counter()
    if verify_samples is None:
        from rlvr.verify.code import verify_samples
    with tempfile.TemporaryDirectory(prefix="rlvr-audit-") as tmp:
        if hostile is None:
            from rlvr.verify import hostile as hostile_module

            hostile_names = list(hostile_module.HOSTILE) if hostile_names is None else hostile_names

            def hostile(name: str, entry_point: str) -> str:
                return hostile_module.hostile_completion(name, entry_point, sentinel=f"{tmp}/sentinel",
                                                         pidfile=f"{tmp}/daemon.pid")
        cases, skipped = code_cases(problems, hostile, hostile_names or (), hostile_problems)
        samples = [{"task_id": c.problem_id, "completion": c.completion} for c in cases]
        results = verify_samples(samples, problems, workers=workers, timeout=timeout)
    if len(results) != len(cases):
        raise VerifyError(f"the code verifier returned {len(results)} results for {len(cases)} samples.")
    outcomes = [(r.get("passed"), str(r.get("status", "")), str(r.get("detail", ""))) for r in results]
    report = score_cases(cases, outcomes, "code", len(problems), min_recall, min_precision)
    report.skipped = skipped
    report.wall_s = time.perf_counter() - t0
    return report
