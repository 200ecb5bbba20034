"""Hack and drift monitoring: per-batch signals, the two warning rules, the reward wrapper, the
runner hook, the report's Monitoring section, and a real tiny-random GRPO run with monitoring on."""

import json

import pytest

from rlvr.monitor.signals import (HeldoutPoint, RisingRate, batch_signals, drift_warning, patterns_for,
                                  read_monitor)
from rlvr.train.recipe import parse_recipe

PROMPT = [{"role": "system", "content": "Reply with 'Answer: <number>'."}, {"role": "user", "content": "What is 12 + 7?"}]


def test_batch_signals_on_literal_completions():
    completions = ["12 + 7 = 19\nAnswer: 19", "It could be 18, 19, or 20.", "", "What is 12 + 7?",
                   "答案是 19", "19 19 19 19 19 19 19"]
    m = batch_signals([PROMPT] * 6, completions, "math")
    assert m["hacks/answer_spraying/rate"] == pytest.approx(1 / 6)
    assert m["hacks/empty/rate"] == pytest.approx(1 / 6)
    assert m["hacks/prompt_copy/rate"] == pytest.approx(1 / 6)
    assert m["hacks/any/rate"] == pytest.approx(3 / 6)
    assert m["monitor/non_target_lang"] == pytest.approx(1 / 6)
    assert m["monitor/length_mean"] == pytest.approx(sum(map(len, completions)) / 6)
    # "19 19 ..." has 5 trigrams, all the same: 4 of 5 repeated
    assert m["monitor/repetition"] == pytest.approx((4 / 5) / 6)
    assert set(k for k in m if k.startswith("hacks/")) == {f"hacks/{p}/rate" for p in patterns_for("math")} | {
        "hacks/any/rate"}


def test_batch_signals_for_code_include_code_patterns():
    m = batch_signals(["def f():"] * 2, ["    import sys\n    sys.exit(0)\n", "    return 1\n"], "code")
    assert m["hacks/early_exit/rate"] == 0.5 and m["hacks/success_print/rate"] == 0.0
    assert "hacks/answer_spraying/rate" not in m


def test_rising_rate_warns_once_per_rise():
    rule = RisingRate(window=2, margin=0.1, min_rate=0.05)
    fired = [rule.update({"answer_spraying": r, "empty": 0.0, "any": r}) for r in (0.0, 0.0, 0.0, 0.5, 0.5, 0.5)]
    assert [len(f) for f in fired] == [0, 0, 0, 1, 0, 0]
    assert fired[3][0].pattern == "answer_spraying" and fired[3][0].early == 0.0 and fired[3][0].recent == 0.25
    assert rule.update({"answer_spraying": 1.0})[0].recent == 0.75  # more than doubled since: warned again
    assert rule.update({"answer_spraying": 1.0}) == []


def test_rising_rate_ignores_a_single_noisy_step_and_low_rates():
    rule = RisingRate(window=5, margin=0.1, min_rate=0.05)
    assert rule.update({"empty": 0.0}) == [] and rule.update({"empty": 0.25}) == []  # two steps are not a trend
    low = RisingRate(window=2, margin=0.01, min_rate=0.05)
    assert all(low.update({"empty": r}) == [] for r in (0.0, 0.0, 0.02, 0.04))


def test_drift_warning_when_reward_rises_and_heldout_does_not():
    flat = [HeldoutPoint(0, 0.5, 2, 4, 0.10), HeldoutPoint(10, 0.5, 2, 4, 0.40)]
    msg = drift_warning(flat)
    assert "stayed flat" in msg and "0.100 -> 0.400" in msg
    fell = [HeldoutPoint(0, 0.5, 2, 4, 0.10), HeldoutPoint(10, 0.25, 1, 4, 0.40)]
    assert "fell" in drift_warning(fell)
    improved = [HeldoutPoint(0, 0.5, 2, 4, 0.10), HeldoutPoint(10, 0.75, 3, 4, 0.40)]
    assert drift_warning(improved) is None
    reward_flat = [HeldoutPoint(0, 0.5, 2, 4, 0.10), HeldoutPoint(10, 0.25, 1, 4, 0.12)]
    assert drift_warning(reward_flat) is None
    assert drift_warning([HeldoutPoint(0, 0.5, 2, 4, None), HeldoutPoint(10, 0.25, 1, 4, 0.9)]) is None


def test_hack_monitor_wrapper_logs_and_warns(tmp_path):
    from rlvr.train.monitor import HackMonitor, monitor_rewards

    def accuracy(prompts, completions, **kwargs):
        return [1.0 if "19" in c else 0.0 for c in completions]

    class State:
        global_step = 0
        is_world_process_zero = True

    hm = HackMonitor(tmp_path, "grpo", "math", RisingRate(window=2, margin=0.1, min_rate=0.05))
    funcs = monitor_rewards([accuracy], [object(), hm])
    assert funcs[0].__name__ == "accuracy"
    logged = []
    clean, sprayed = ["Answer: 19"] * 4, ["It could be 18, 19, or 20."] * 4
    for step, batch in enumerate([clean, clean, sprayed, sprayed]):
        State.global_step = step
        values = funcs[0]([PROMPT] * 4, batch, trainer_state=State, log_metric=lambda k, v: logged.append((step, k, v)))
        assert values == [1.0] * 4
    assert (3, "hacks/answer_spraying/rate", 1.0) in logged and (0, "hacks/answer_spraying/rate", 0.0) in logged
    warnings = [r for r in read_monitor(tmp_path) if r["kind"] == "warning"]
    assert len(warnings) == 1 and warnings[0]["pattern"] == "answer_spraying" and warnings[0]["step"] == 3
    assert warnings[0]["source"] == "hacks" and "answer_spraying" in warnings[0]["message"]


def test_hack_monitor_failure_never_breaks_the_reward(tmp_path, capsys):
    from rlvr.train.monitor import HackMonitor

    hm = HackMonitor(tmp_path, "grpo", "math")
    hm.observe = lambda *a, **k: 1 / 0
    [fn] = hm.wrap([lambda prompts, completions, **kw: [0.5] * len(completions)])
    assert fn(["p"], ["c"]) == [0.5]


def _recipe(tmp_path, stage, ev=None):
    raw = {"name": "m", "model": "tiny-random", "output_dir": str(tmp_path / "m"), "stages": [stage]}
    if ev:
        raw["eval"] = ev
    return parse_recipe(raw)


GRPO = {"method": "grpo", "data": {"task": "arithmetic", "n": 8}, "rewards": [{"name": "accuracy"}]}


def test_callbacks_for_each_stage_kind(tmp_path):
    from rlvr.train.monitor import DriftMonitor, HackMonitor, callbacks_for

    sft = _recipe(tmp_path, {"method": "sft", "data": {"task": "arithmetic", "n": 8}})
    assert callbacks_for(sft, sft.stages[0], tmp_path) == []
    plain = _recipe(tmp_path, GRPO, {"sets": [{"task": "arithmetic", "split": "eval", "n": 8}]})
    assert [type(c) for c in callbacks_for(plain, plain.stages[0], tmp_path)] == [HackMonitor]
    watched = _recipe(tmp_path, GRPO, {"sets": [{"task": "arithmetic", "split": "eval", "n": 8}],
                                       "monitor_every": 5, "monitor_n": 3})
    hm, drift = callbacks_for(watched, watched.stages[0], tmp_path)
    assert isinstance(drift, DriftMonitor) and drift.every == 5 and len(drift.rows) == 3 and hm.domain == "math"
    code = _recipe(tmp_path, {**GRPO, "rewards": [{"name": "code_tests"}]})
    assert callbacks_for(code, code.stages[0], tmp_path)[0].domain == "code"


def test_monitor_keys_only_appear_in_the_resolved_recipe_when_set(tmp_path):
    plain = _recipe(tmp_path, GRPO, {"sets": [{"task": "arithmetic", "split": "eval"}]})
    assert "monitor_every" not in plain.to_dict()["eval"]
    watched = _recipe(tmp_path, GRPO, {"sets": [{"task": "arithmetic", "split": "eval"}], "monitor_every": 2})
    assert watched.to_dict()["eval"]["monitor_every"] == 2 and watched.to_dict()["eval"]["monitor_n"] == 32
    from rlvr.errors import RecipeError

    with pytest.raises(RecipeError, match="monitor_every"):
        _recipe(tmp_path, GRPO, {"sets": [], "monitor_every": "often"})


def _crafted_run(tmp_path, warning=True):
    run = tmp_path / "crafted"
    run.mkdir()
    rows = [{"stage": "grpo", "step": s, "reward": 0.1 * s, "hacks/answer_spraying/rate": [0, 0, 0.25, 0.5][s - 1],
             "hacks/empty/rate": 0.0, "hacks/any/rate": [0, 0, 0.25, 0.5][s - 1], "monitor/length_mean": 40.0 + s,
             "monitor/repetition": 0.0, "monitor/non_target_lang": 0.0} for s in (1, 2, 3, 4)]
    rows += [{"stage": "grpo", "step": s, "monitor/heldout_pass@1": 0.5} for s in (0, 4)]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    mon = [{"kind": "heldout", "stage": "grpo", "step": 0, "pass@1": 0.5, "pass@1_ci": [0.15, 0.85], "solved": 2,
            "n": 4, "reward": 0.1},
           {"kind": "heldout", "stage": "grpo", "step": 4, "pass@1": 0.5, "pass@1_ci": [0.15, 0.85], "solved": 2,
            "n": 4, "reward": 0.35}]
    if warning:
        mon.append({"kind": "warning", "source": "drift", "stage": "grpo", "step": 4,
                    "message": "training reward rose 0.100 -> 0.350 while held-out pass@1 stayed flat"})
    (run / "monitor.jsonl").write_text("".join(json.dumps(r) + "\n" for r in mon))
    return run


def test_report_has_a_monitoring_section(tmp_path):
    from rlvr.report import write_report

    md, html = write_report(_crafted_run(tmp_path))
    text = md.read_text()
    section = text.split("## Monitoring")[1].split("\n## ")[0]
    assert "1 monitor warning(s)" in section and "held-out pass@1 stayed flat" in section
    assert "| `answer_spraying` | grpo | 0.0% → 50.0% | 50.0% | 4 |" in section
    assert "| grpo | 4 | 50.0% [15.0, 85.0] | 2/4 | 0.35 |" in section
    assert "monitor-drift.png" in section and "monitor-signs.png" in section
    assert "Monitoring" in html.read_text()
    # monitor/* curves are drawn here, not again under Training curves ("Other")
    assert "train-" not in section and "monitor/length_mean" not in text.split("## Monitoring")[0]


def test_report_monitoring_section_without_files_says_what_writes_them(tmp_path):
    from rlvr.report import write_report

    (tmp_path / "empty").mkdir()
    md, _ = write_report(tmp_path / "empty")
    section = md.read_text().split("## Monitoring")[1].split("\n## ")[0]
    assert "Not found" in section and "monitor.jsonl" in section


def test_grpo_run_with_monitoring_on_tiny_random(tmp_path, tiny_model):
    """A real 2-step GRPO run with the drift check every step: hack rates in metrics.jsonl, held-out
    points in monitor.jsonl, and the report's Monitoring section shows both."""
    from rlvr.train.runner import run_recipe

    recipe = _recipe(tmp_path, {**GRPO, "rewards": [{"name": "accuracy"}, {"name": "numeric"}], "num_generations": 4,
                                "per_device_train_batch_size": 8, "max_completion_length": 8, "max_steps": 2,
                                "learning_rate": 1e-3, "temperature": 1.0},
                     {"sets": [{"task": "arithmetic", "split": "eval", "n": 4}], "max_new_tokens": 8,
                      "monitor_every": 1, "monitor_n": 4})
    res = run_recipe(recipe, report=True, eval_before=False)
    metrics = [json.loads(line) for line in (res.run_dir / "metrics.jsonl").read_text().splitlines()]
    steps = [m for m in metrics if "reward" in m]
    assert len(steps) == 2
    for key in ("hacks/answer_spraying/rate", "hacks/empty/rate", "hacks/prompt_copy/rate", "hacks/any/rate",
                "monitor/length_mean", "monitor/repetition", "monitor/non_target_lang"):
        assert key in steps[0], key
    assert [m["step"] for m in metrics if "monitor/heldout_pass@1" in m] == [0, 1, 2]
    points = [r for r in read_monitor(res.run_dir) if r["kind"] == "heldout"]
    assert [p["step"] for p in points] == [0, 1, 2] and all(p["n"] == 4 for p in points)
    section = (res.run_dir / "report.md").read_text().split("## Monitoring")[1].split("\n## ")[0]
    assert "held-out pass@1" in section and "| grpo | 2 |" in section and "length (characters)" in section
    from rlvr.schemas import validate

    validate("run", json.loads((res.run_dir / "run.json").read_text()))
    for row in read_monitor(res.run_dir):
        validate("monitor-row", row)
