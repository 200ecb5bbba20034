"""Before/after comparison of two evaluations, problem by problem.

Each side is an eval directory (`samples.jsonl`, usually with `summary.json`) or a run directory
whose `eval/<label>/` folders hold them. Problems are matched by `id`; every metric is computed on
the matched problems only, and the problems present on one side only are listed, never dropped
silently. The interval of a difference is a paired bootstrap over the matched problems (fixed
seed). A problem "flips" when its solved state changes (solved = more than half of its verified
samples passed; for greedy decoding, its one sample passed).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from rlvr.errors import RunDirError
from rlvr.eval.metrics import mean_interval, paired_difference_interval
from rlvr.eval.summary import ProblemScore, default_ks, problem_scores
from rlvr.io import read_json, read_jsonl

LABEL_ORDER = {"base": 0, "final": 2}  # other labels sit between, ordered by when they were written


@dataclass
class EvalSide:
    """One side of a comparison: where it came from and its per-problem scores."""

    path: Path
    label: str
    summary: dict
    scores: dict[str, ProblemScore]


@dataclass
class MetricDiff:
    metric: str
    a: float
    b: float
    diff: float
    ci: tuple[float, float]
    a_ci: tuple[float, float]
    b_ci: tuple[float, float]


@dataclass
class Comparison:
    a: str
    b: str
    n_matched: int
    metrics: list[MetricDiff]
    flips_solved_to_unsolved: list[str]
    flips_unsolved_to_solved: list[str]
    only_in_a: list[str]
    only_in_b: list[str]
    prompt_mismatch: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seed: int = 0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["flips"] = {
            "solved_to_unsolved": len(self.flips_solved_to_unsolved),
            "unsolved_to_solved": len(self.flips_unsolved_to_solved),
        }
        return d


def list_evals(run_dir: Path) -> list[Path]:
    """The eval folders of a run, oldest first: `base` first, `final` last, the rest by the time
    their summary (or samples) file was written."""
    root = run_dir / "eval"
    found = [p for p in root.iterdir() if (p / "samples.jsonl").exists()] if root.is_dir() else []

    def order(p: Path):
        stamp = p / "summary.json" if (p / "summary.json").exists() else p / "samples.jsonl"
        return (LABEL_ORDER.get(p.name, 1), stamp.stat().st_mtime, p.name)

    return sorted(found, key=order)


def resolve_eval_dir(path: str | Path, label: str | None, pick: str) -> Path:
    """An eval directory from `path`, itself an eval dir or a run dir (then `label`, else the first
    or last evaluation when `pick` is "first"/"last")."""
    path = Path(path)
    if not path.exists():
        raise RunDirError(f"{path}: no such directory. Pass an eval directory (with samples.jsonl) or a run directory.")
    if path.is_file() and path.name == "samples.jsonl":
        return path.parent
    if (path / "samples.jsonl").exists() and label is None:
        return path
    if label is not None and (path / "eval" / label / "samples.jsonl").exists():  # also "benchmark/label"
        return path / "eval" / label
    evals = list_evals(path)
    if not evals:
        raise RunDirError(
            f"{path} holds neither samples.jsonl nor eval/<label>/samples.jsonl. "
            "Pass an eval directory written by `rlvr eval`, or a run directory that has been evaluated."
        )
    if label is not None:
        for p in evals:
            if p.name == label:
                return p
        nested = sorted(str(p.parent.relative_to(path / "eval")) for p in (path / "eval").glob("*/*/samples.jsonl"))
        raise RunDirError(
            f"{path} has no evaluation labelled {label!r}; it has {', '.join([p.name for p in evals] + nested)}. "
            "Pick one of those with --label-a/--label-b."
        )
    return evals[0] if pick == "first" else evals[-1]


def load_side(path: str | Path, label: str | None = None, pick: str = "last") -> EvalSide:
    eval_dir = resolve_eval_dir(path, label, pick)
    rows = read_jsonl(eval_dir / "samples.jsonl", required=("id", "passed"))
    summary = read_json(eval_dir / "summary.json") if (eval_dir / "summary.json").exists() else {}
    return EvalSide(path=eval_dir, label=summary.get("label", eval_dir.name), summary=summary, scores=problem_scores(rows))


def _shared_ks(a: dict[str, ProblemScore], b: dict[str, ProblemScore], ids: list[str]) -> list[int]:
    n = min(min(a[i].n for i in ids), min(b[i].n for i in ids))
    return default_ks(n) if n > 0 else []


def compare_sides(a: EvalSide, b: EvalSide, seed: int = 0, ks: list[int] | None = None) -> Comparison:
    """Metrics of A and B on their matched problems, B - A with a paired-bootstrap 95% interval, flips."""
    ids = [i for i in a.scores if i in b.scores]
    only_a = [i for i in a.scores if i not in b.scores]
    only_b = [i for i in b.scores if i not in a.scores]
    warnings = []
    bench_a, bench_b = a.summary.get("benchmark"), b.summary.get("benchmark")
    if bench_a and bench_b and bench_a != bench_b:
        warnings.append(f"the two sides evaluated different benchmarks ({bench_a!r} vs {bench_b!r})")
    if not ids:
        raise RunDirError(
            f"{a.path} and {b.path} share no problem ids ({len(only_a)} vs {len(only_b)} problems), so there is "
            "nothing to compare. Evaluate both on the same benchmark."
        )
    unverified = {i for i in ids if a.scores[i].n == 0 or b.scores[i].n == 0}
    if unverified:
        warnings.append(f"{len(unverified)} matched problems have no verified sample on one side and are left out")
        ids = [i for i in ids if i not in unverified]
    if only_a or only_b:
        warnings.append(f"{len(only_a)} problems only in A and {len(only_b)} only in B are left out of the metrics")
    mismatch = [
        i for i in ids
        if a.scores[i].prompt is not None and b.scores[i].prompt is not None and a.scores[i].prompt != b.scores[i].prompt
    ]
    if mismatch:
        warnings.append(f"{len(mismatch)} matched ids carry different prompts on the two sides")
    metrics: list[MetricDiff] = []
    if ids:
        for k in ks or _shared_ks(a.scores, b.scores, ids):
            named = [(f"pass@{k}", lambda s, k=k: s.pass_at(k))]
            if k > 1:  # maj@1 is pass@1 again, up to samples without an extracted answer
                named.append((f"maj@{k}", lambda s, k=k: s.maj_at(k, seed)))
            for name, fn in named:
                va = np.array([fn(a.scores[i]) for i in ids])
                vb = np.array([fn(b.scores[i]) for i in ids])
                metrics.append(
                    MetricDiff(
                        metric=name,
                        a=float(va.mean()),
                        b=float(vb.mean()),
                        diff=float(vb.mean() - va.mean()),
                        ci=paired_difference_interval(va, vb, seed=seed),
                        a_ci=mean_interval(va, seed=seed),
                        b_ci=mean_interval(vb, seed=seed),
                    )
                )
    return Comparison(
        a=str(a.path),
        b=str(b.path),
        n_matched=len(ids),
        metrics=metrics,
        flips_solved_to_unsolved=[i for i in ids if a.scores[i].solved and not b.scores[i].solved],
        flips_unsolved_to_solved=[i for i in ids if not a.scores[i].solved and b.scores[i].solved],
        only_in_a=only_a,
        only_in_b=only_b,
        prompt_mismatch=mismatch,
        warnings=warnings,
        seed=seed,
    )


def compare(
    path_a: str | Path,
    path_b: str | Path | None = None,
    label_a: str | None = None,
    label_b: str | None = None,
    seed: int = 0,
    ks: list[int] | None = None,
) -> Comparison:
    """Compare two evaluations. With one run directory (path_b None), compare its first evaluation
    with its last (or --label-a / --label-b); with two, A's first (or label_a) with B's last."""
    side_a = load_side(path_a, label_a, pick="first")
    side_b = load_side(path_a if path_b is None else path_b, label_b, pick="last")
    if side_a.path.resolve() == side_b.path.resolve():
        raise RunDirError(
            f"both sides resolve to the same evaluation {side_a.path}; pass two eval directories, or a run "
            "directory with at least two evaluations (choose them with --label-a and --label-b)."
        )
    return compare_sides(side_a, side_b, seed=seed, ks=ks)
