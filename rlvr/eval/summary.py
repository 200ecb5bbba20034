"""Turn per-sample eval rows into the headline numbers of summary.json.

Rows are those of `eval/<label>/samples.jsonl` (docs/run-dir.md): `{"id", "prompt", "completion",
"answer", "extracted", "status", "passed", "sample_index"}`. A row whose `passed` is null could not be
verified: it is left out of every denominator (and out of the votes) and counted in `unverifiable`.

Per problem with n verified samples of which c passed:
  pass@k   unbiased estimator, averaged over problems that have at least k verified samples;
  maj@k    expected accuracy of a majority vote over k of the n samples (same budget as pass@k);
  solved   more than half of its verified samples passed (greedy: its one sample passed); used
           by `rlvr compare` for flips.
pass@1 is the mean over problems of c/n, which for greedy decoding (n=1) is plain accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from rlvr.errors import DatasetError
from rlvr.eval.metrics import MetricError, maj_at_k, mean_interval, normalize_answer, pass_at_k


@dataclass
class ProblemScore:
    """One problem's verified samples, in sample_index order."""

    id: str
    prompt: str | None = None
    passed: list[bool] = field(default_factory=list)
    answers: list[str | None] = field(default_factory=list)  # normalised extracted answers
    unverifiable: int = 0

    @property
    def n(self) -> int:
        return len(self.passed)

    @property
    def c(self) -> int:
        return sum(self.passed)

    @property
    def solved(self) -> bool:
        return self.n > 0 and 2 * self.c > self.n

    def pass_at(self, k: int) -> float:
        return pass_at_k(self.n, self.c, k)

    def maj_at(self, k: int, seed: int = 0) -> float:
        """An answer counts as right when more than half of the samples carrying it passed (samples
        with the same normalised answer nearly always share a verdict; this settles the rare split)."""
        index: dict[str, int] = {}
        ids = []
        for a in self.answers:
            ids.append(-1 if a is None else index.setdefault(a, len(index)))
        right = [0] * len(index)
        total = [0] * len(index)
        for a_id, ok in zip(ids, self.passed):
            if a_id >= 0:
                total[a_id] += 1
                right[a_id] += bool(ok)
        return maj_at_k(ids, [2 * r > t for r, t in zip(right, total)], k, seed=seed)


def problem_scores(rows: Iterable[dict]) -> dict[str, ProblemScore]:
    """Group rows by `id` (in first-seen order) and sort each problem's samples by `sample_index`."""
    grouped: dict[str, list[tuple[int, int, dict]]] = {}
    for pos, row in enumerate(rows):
        if "id" not in row or "passed" not in row:
            missing = [k for k in ("id", "passed") if k not in row]
            raise DatasetError(
                f"sample row {pos + 1} lacks {', '.join(repr(m) for m in missing)} (it has {sorted(row)}). "
                "Eval rows need at least 'id' and 'passed' (true/false/null); see docs/run-dir.md."
            )
        if row["passed"] not in (True, False, None):
            raise DatasetError(
                f"sample row {pos + 1} (id {row['id']!r}): 'passed' is {row['passed']!r}; "
                "it must be true, false or null (null = could not be verified)."
            )
        idx = row.get("sample_index")
        grouped.setdefault(str(row["id"]), []).append((idx if isinstance(idx, int) else pos, pos, row))
    scores = {}
    for pid, items in grouped.items():
        items.sort(key=lambda t: (t[0], t[1]))
        score = ProblemScore(id=pid, prompt=items[0][2].get("prompt"))
        for _, _, row in items:
            if row["passed"] is None:
                score.unverifiable += 1
                continue
            score.passed.append(bool(row["passed"]))
            score.answers.append(normalize_answer(row.get("extracted")))
        scores[pid] = score
    return scores


def default_ks(n: int) -> list[int]:
    """Every k <= n while n <= 16; beyond that the powers of two and n itself (keeps summaries short)."""
    if n <= 16:
        return list(range(1, n + 1))
    return sorted({2**i for i in range(n.bit_length()) if 2**i <= n} | {n})


def summarize_scores(scores: dict[str, ProblemScore], ks: Sequence[int] | None = None, seed: int = 0) -> dict:
    """Headline metrics from per-problem scores; see `summarize_samples`."""
    verified = [s for s in scores.values() if s.n > 0]
    sizes = [s.n + s.unverifiable for s in scores.values()]
    n_max = max((s.n for s in verified), default=0)
    ks = default_ks(n_max) if ks is None else sorted(set(int(k) for k in ks))
    for k in ks:
        if k < 1:
            raise MetricError(f"pass@{k} is not defined; k must be at least 1.")
        if k > n_max:
            raise MetricError(
                f"pass@{k} needs at least {k} samples per problem, but at most {n_max} verified samples "
                f"were drawn per problem; use k <= {n_max}, or draw more samples per problem (--n {k})."
            )
    summary: dict = {
        "n_problems": len(scores),
        "n_samples": min(sizes) if sizes else 0,
        "unverifiable": sum(s.unverifiable for s in scores.values()),
        "unverifiable_problems": len(scores) - len(verified),
        "ks": ks,
    }
    if sizes and min(sizes) != max(sizes):
        summary["n_samples_max"] = max(sizes)
    for k in ks:
        eligible = [s for s in verified if s.n >= k]
        for name, values in (
            (f"pass@{k}", [s.pass_at(k) for s in eligible]),
            (f"maj@{k}", [s.maj_at(k, seed=seed) for s in eligible]),
        ):
            summary[name] = float(np.mean(values)) if values else float("nan")
            summary[f"{name}_ci"] = list(mean_interval(values, seed=seed)) if values else [float("nan")] * 2
        if len(eligible) != len(verified):
            summary[f"pass@{k}_problems"] = len(eligible)
    summary["solved"] = sum(s.solved for s in verified)
    summary["ci"] = "95%: Wilson when every per-problem score is 0/1, else percentile bootstrap over problems"
    summary["seed"] = seed
    return summary


def summarize_samples(rows: Iterable[dict], ks: Sequence[int] | None = None, seed: int = 0) -> dict:
    """Per-sample rows -> {n_problems, n_samples, unverifiable, pass@k, pass@k_ci, maj@k, maj@k_ci, ...}.

    `ks` defaults to `default_ks(n)`; a k larger than the samples drawn raises MetricError. Intervals
    are 95%: Wilson when every per-problem score is 0 or 1 (greedy), else a bootstrap over problems
    with `seed`, so the same rows always give the same summary."""
    return summarize_scores(problem_scores(rows), ks=ks, seed=seed)
