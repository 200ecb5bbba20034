"""Before/after between consecutive evaluations: the gain with an interval, and per-problem flips.

The paired comparison is `rlvr compare`'s own (rlvr.eval.compare.compare_sides): problems matched by
id, the pass@1 difference with a paired bootstrap over problems (fixed seed), flips where a problem's
solved state (more than half of its verified samples passed) changed. This module only adapts it to
the report and adds the fallback for runs whose per-sample rows are missing: the two summaries' pass@1
with Newcombe's hybrid score interval for independent proportions, labelled as such.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rlvr.errors import RlvrError
from rlvr.report.collect import EvalRun


@dataclass
class Gain:
    """The change from `before` to `after` in pass@1 and which problems flipped."""

    before: str
    after: str
    diff: float | None
    ci: tuple[float, float] | None
    method: str  # "paired bootstrap over N problems" / "unpaired Newcombe" / "n/a"
    n_common: int = 0
    lost: list[str] = field(default_factory=list)  # solved before, unsolved after
    gained: list[str] = field(default_factory=list)  # unsolved before, solved after
    only_before: int = 0  # problem ids evaluated only before
    only_after: int = 0
    unverified: int = 0  # on both sides, but with no decided sample on one of them
    note: str = ""  # why there is no paired comparison, when there is none

    @property
    def significant(self) -> bool:
        return self.ci is not None and (self.ci[0] > 0 or self.ci[1] < 0)


def newcombe_interval(p1: float, ci1: tuple[float, float], p2: float, ci2: tuple[float, float]):
    """95% interval for p2 - p1 from each proportion's own (Wilson) interval (Newcombe 1998, method 10)."""
    d = p2 - p1
    lower = d - math.sqrt((p2 - ci2[0]) ** 2 + (ci1[1] - p1) ** 2)
    upper = d + math.sqrt((ci2[1] - p2) ** 2 + (p1 - ci1[0]) ** 2)
    return d, (max(-1.0, lower), min(1.0, upper))


def _paired(before: EvalRun, after: EvalRun) -> Gain:
    from rlvr.eval.compare import EvalSide, compare_sides
    from rlvr.eval.summary import problem_scores

    gain = Gain(before.label, after.label, None, None, "n/a")
    try:
        a = EvalSide(before.path, before.label, before.summary, problem_scores(before.samples))
        b = EvalSide(after.path, after.label, after.summary, problem_scores(after.samples))
        cmp = compare_sides(a, b, ks=[1])
    except RlvrError as e:
        gain.method, gain.note = "n/a (see note)", str(e)
        return gain
    pass1 = next(m for m in cmp.metrics if m.metric == "pass@1")
    gain.diff, gain.ci = pass1.diff, tuple(pass1.ci)
    gain.method = f"paired bootstrap over {cmp.n_matched} problems"
    gain.n_common = cmp.n_matched
    gain.lost, gain.gained = cmp.flips_solved_to_unsolved, cmp.flips_unsolved_to_solved
    gain.only_before, gain.only_after = len(cmp.only_in_a), len(cmp.only_in_b)
    gain.unverified = len(set(a.scores) & set(b.scores)) - cmp.n_matched
    return gain


def gain_between(before: EvalRun, after: EvalRun) -> Gain:
    if before.samples and after.samples:
        return _paired(before, after)
    p1, p2, ci1, ci2 = before.pass1, after.pass1, before.pass1_ci, after.pass1_ci
    if p1 is not None and p2 is not None and ci1 and ci2:
        diff, ci = newcombe_interval(p1, ci1, p2, ci2)
        return Gain(before.label, after.label, diff, ci, "unpaired Newcombe (per-sample rows missing)")
    if p1 is not None and p2 is not None:
        return Gain(before.label, after.label, p2 - p1, None, "no interval (summaries lack pass@1_ci)")
    return Gain(before.label, after.label, None, None, "n/a (pass@1 missing)")


def consecutive_gains(evals: list[EvalRun]) -> list[Gain]:
    """Each evaluation against the one before it, plus first -> last when there are more than two."""
    gains = [gain_between(a, b) for a, b in zip(evals, evals[1:])]
    if len(evals) > 2:
        gains.append(gain_between(evals[0], evals[-1]))
    return gains
