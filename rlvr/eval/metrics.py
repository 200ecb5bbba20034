"""Evaluation metrics. `pass_at_k` is the unbiased estimator of Chen et al. (2021) in its numerically
stable product form; `maj_at_k` is majority voting at the same sample budget k, so the two can be
compared at matched compute; intervals are Wilson score intervals (proportions of independent
problems) or percentile bootstraps over problems with a fixed seed (anything else).
"""

from __future__ import annotations

import math
import re
from itertools import combinations
from typing import Sequence

import numpy as np

from rlvr.errors import RlvrError


class MetricError(RlvrError, ValueError):
    """A metric asked for something the samples cannot give (k larger than the samples drawn).
    It is also a ValueError so callers written against the original `pass_at_k` keep working."""


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k samples drawn without replacement from n (c correct) passes."""
    if k > n:
        raise MetricError(
            f"pass@{k} needs at least {k} samples per problem, but only {n} were drawn; "
            f"use k <= {n}, or draw more samples per problem (--n {k})."
        )
    if k < 1 or c < 0 or c > n:
        raise ValueError(f"invalid pass@k arguments n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def mean_pass_at_k(counts: Sequence[tuple[int, int]], k: int) -> float:
    """Mean pass@k over problems given (n, c) per problem."""
    if not counts:
        return float("nan")
    return float(np.mean([pass_at_k(n, c, k) for n, c in counts]))


def wilson_interval(successes: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval for a proportion (well-behaved near 0 and 1 and for small n)."""
    if n <= 0:
        return (float("nan"), float("nan"))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


# --- majority voting ------------------------------------------------------------------------------

_WS = re.compile(r"\s+")


def normalize_answer(answer) -> str | None:
    """The string an extracted answer votes as: whitespace collapsed, surrounding `$`, spaces and a
    final period dropped, and integral numbers written without a decimal part ("5.0" -> "5").
    None or an empty string means "no answer": such a sample does not vote."""
    if answer is None:
        return None
    s = _WS.sub(" ", str(answer)).strip().strip("$").strip().rstrip(".").strip()
    if not s:
        return None
    try:
        x = float(s.replace(",", "")) if re.fullmatch(r"[-+]?[\d,]*\.?\d+(e[-+]?\d+)?", s, re.I) else None
    except ValueError:
        x = None
    if x is not None and math.isfinite(x) and x == int(x) and abs(x) < 2**53:
        return str(int(x))
    return s


def majority_vote(answers: Sequence[str | None]) -> int | None:
    """Index (into `answers`) of the first sample carrying the majority answer, or None when no sample
    has an answer. Ties between equally common answers go to the answer that appears first in the
    given order (sample_index order), so the vote is deterministic and needs no random tie-break."""
    counts: dict[str, int] = {}
    first: dict[str, int] = {}
    for i, a in enumerate(answers):
        if a is None:
            continue
        counts[a] = counts.get(a, 0) + 1
        first.setdefault(a, i)
    if not counts:
        return None
    best = max(counts, key=lambda a: (counts[a], -first[a]))
    return first[best]


MAJ_EXACT_LIMIT = 2000  # enumerate every k-subset up to this many; beyond, sample this many with a fixed seed


def maj_at_k(answer_ids: Sequence[int], answer_correct: Sequence[bool], k: int, seed: int = 0) -> float:
    """Expected majority-vote accuracy of one problem when k of its n samples are drawn.

    `answer_ids[i]` is sample i's answer as a small integer (-1: no answer, it does not vote), in
    sample_index order; `answer_correct[a]` says whether answer a is right. Like pass@k this is an
    expectation over k-subsets of the n samples (exact when there are at most MAJ_EXACT_LIMIT
    subsets, else a seeded sample of that many), so maj@k and pass@k use the same sample budget.
    Ties inside a subset go to the answer whose first sample comes first."""
    ids = np.asarray(answer_ids, dtype=np.int64)
    n = len(ids)
    if k > n:
        raise MetricError(
            f"maj@{k} needs at least {k} samples per problem, but only {n} were drawn; use k <= {n}."
        )
    if k < 1:
        raise ValueError(f"invalid maj@k: k={k}")
    correct = np.asarray(list(answer_correct) + [False], dtype=bool)  # the last slot is "no answer"
    n_answers = len(correct)
    ids = np.where(ids < 0, n_answers - 1, ids)
    if math.comb(n, k) <= MAJ_EXACT_LIMIT:
        subsets = np.array(list(combinations(range(n), k)), dtype=np.int64).reshape(-1, k)
    else:
        rng = np.random.default_rng(seed)
        subsets = np.sort(np.argsort(rng.random((MAJ_EXACT_LIMIT, n)), axis=1)[:, :k], axis=1)
    votes = ids[subsets]  # (S, k) answer ids, positions in sample order
    rows = np.repeat(np.arange(len(subsets)), k)
    counts = np.zeros((len(subsets), n_answers), dtype=np.int64)
    np.add.at(counts, (rows, votes.ravel()), 1)
    counts[:, -1] = 0  # "no answer" never wins
    first = np.full((len(subsets), n_answers), k, dtype=np.int64)
    np.minimum.at(first, (rows, votes.ravel()), np.tile(np.arange(k), len(subsets)))
    score = counts * (k + 1) - first  # most votes first, then earliest first sample
    winner = np.argmax(score, axis=1)
    solved = correct[winner] & (counts[np.arange(len(subsets)), winner] > 0)
    return float(solved.mean())


# --- intervals over problems ----------------------------------------------------------------------

BOOTSTRAP_RESAMPLES = 2000


def bootstrap_interval(
    values: Sequence[float], seed: int = 0, resamples: int = BOOTSTRAP_RESAMPLES, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of per-problem values, resampling problems."""
    x = np.asarray(values, dtype=float)
    if len(x) == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), size=(resamples, len(x)))].mean(axis=1)
    alpha = (1 - level) / 2
    return (float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha)))


def mean_interval(values: Sequence[float], seed: int = 0) -> tuple[float, float]:
    """95% interval for the mean of per-problem scores in [0, 1]. When every score is 0 or 1 the mean
    is a proportion of independent problems and gets the Wilson interval (a percentile bootstrap
    collapses to a point at 0% or 100%); otherwise a seeded bootstrap over problems."""
    x = np.asarray(values, dtype=float)
    if len(x) and np.all((x == 0) | (x == 1)):
        return wilson_interval(float(x.sum()), len(x))
    return bootstrap_interval(x, seed=seed)


def paired_difference_interval(
    a: Sequence[float], b: Sequence[float], seed: int = 0, resamples: int = BOOTSTRAP_RESAMPLES, level: float = 0.95
) -> tuple[float, float]:
    """Percentile interval of mean(b - a) by a paired bootstrap: the same problems are resampled for
    both sides, so the per-problem correlation between A and B narrows the interval honestly."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired values differ in length: {a.shape} vs {b.shape}")
    return bootstrap_interval(b - a, seed=seed, resamples=resamples, level=level)
