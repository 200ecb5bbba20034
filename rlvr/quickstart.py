"""`rlvr quickstart`: the builtin recipe on the embedded model, plus the checks a reader needs to
trust its numbers (eval problems never seen in training, each stage's own gain with an interval)."""

from __future__ import annotations

from pathlib import Path

from rlvr.io import write_json
from rlvr.train.runner import eval_dir, load_builtin_recipe, run_recipe


def build_recipe(name="quickstart", model="smollm2-135m", grpo_steps=None, sft_rows=None, eval_n=None):
    recipe = load_builtin_recipe("quickstart")
    recipe.name, recipe.model = name, model
    for stage in recipe.stages:
        if stage.method == "grpo" and grpo_steps is not None:
            stage.args["max_steps"] = grpo_steps
        if stage.method == "sft" and sft_rows is not None:
            stage.data.n = sft_rows
    if eval_n is not None:
        for s in recipe.eval.sets:
            s.n = eval_n
    return recipe


def check_eval_disjoint(recipe) -> dict:
    """Compare every training stage's problems with every eval set's problems (by the problem itself)."""
    from rlvr.tasks.arithmetic import check_disjoint
    from rlvr.train.stages import load_stage_rows

    train = [r for s in recipe.stages for r in load_stage_rows(s.data, recipe.seed)]
    result = {"method": "every eval problem (a op b) compared with every training problem of every stage; "
                        "the split is fixed by a hash of the problem, so overlap is impossible by construction "
                        "and this re-checks it on the actual rows"}
    for spec in recipe.eval.sets:
        result[f"{spec.task}-{spec.split}"] = check_disjoint(train, load_stage_rows(spec, recipe.seed))
    return result


def check_contamination_ngrams(recipe) -> dict:
    """`rlvr contamination` between every training stage's prompts and each eval set (13-grams, exact
    and near-duplicate matches), in memory."""
    from rlvr.data.contamination import TextSet, check_contamination
    from rlvr.train.stages import load_stage_rows

    def texts(rows, name):
        return TextSet(path=Path(name), field="question", ids=[str(r["id"]) for r in rows],
                       texts=[r["question"] for r in rows])

    train = texts([r for s in recipe.stages for r in load_stage_rows(s.data, recipe.seed)], "train (all stages)")
    evals = [texts(load_stage_rows(spec, recipe.seed), f"{spec.task}-{spec.split}") for spec in recipe.eval.sets]
    return check_contamination(train, evals).to_dict()


def write_plan(recipe, run_dir: Path) -> None:
    from rlvr.train.plan import plan

    try:
        write_json(run_dir / "plan.json", plan(recipe).to_dict())
    except Exception as e:  # the plan is advice: it never blocks the run
        from rlvr.train.runner import _log

        _log(f"plan not written: {e}")


def gains_table(run_dir: Path, recipe) -> str:
    """Markdown table: pass@1 per stage per eval set, each with its 95% interval."""
    from rlvr.io import read_json

    labels = ["base"] + [s.name for s in recipe.stages]
    lines = ["| eval set | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    for i, spec in enumerate(recipe.eval.sets):
        cells = []
        for label in labels:
            p = eval_dir(run_dir, label, i, spec) / "summary.json"
            if p.exists():
                s = read_json(p)
                lo, hi = s.get("pass@1_ci", [float("nan")] * 2)
                cells.append(f"{s['pass@1']:.3f} [{lo:.2f}, {hi:.2f}]")
            else:
                cells.append("—")
        lines.append(f"| {spec.task} {spec.split} (n={spec.n}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_quickstart(name="quickstart", model="smollm2-135m", grpo_steps=None, sft_rows=None, eval_n=None,
                   overwrite=False) -> str:
    recipe = build_recipe(name, model, grpo_steps, sft_rows, eval_n)
    run_dir = recipe.run_dir
    disjoint = check_eval_disjoint(recipe)
    result = run_recipe(recipe, overwrite=overwrite, report=False)
    write_json(run_dir / "disjointness.json", disjoint)
    write_json(run_dir / "contamination.json", check_contamination_ngrams(recipe))
    write_plan(recipe, run_dir)
    write_json(run_dir / "commands.json", [f"rlvr quickstart --name {name} --model {model}"
                                           + (f" --steps {grpo_steps}" if grpo_steps is not None else "")
                                           + (f" --sft-rows {sft_rows}" if sft_rows is not None else "")
                                           + (f" --eval-n {eval_n}" if eval_n is not None else "")])
    from rlvr.train.runner import write_run_report

    write_run_report(run_dir)
    table = gains_table(run_dir, recipe)
    return (f"\nHeld-out pass@1 (greedy, 95% Wilson intervals):\n\n{table}\n\n"
            f"final model: {result.model_dir}\nrun directory: {run_dir}  ({result.wall_s:.0f} s)")
