"""rlvr probe: a known generator gives known numbers; a tiny random model on arithmetic cannot learn."""

import json

import pytest

from rlvr.errors import RecipeError
from rlvr.train import probe as probe_mod
from rlvr.train.probe import judge, pick_stage, probe
from rlvr.train.recipe import parse_recipe


def grpo_recipe(tmp_path, rewards=None, stages_before=(), **stage):
    grpo = {"name": "grpo", "method": "grpo", "data": {"task": "arithmetic", "n": 4},
            "rewards": rewards or [{"name": "accuracy"}, {"name": "numeric", "weight": 0.5}, {"name": "format", "weight": 0.1}],
            "num_generations": 4, "max_completion_length": 8, "temperature": 1.0, **stage}
    return parse_recipe({"name": "p", "model": "tiny-random", "output_dir": str(tmp_path / "p"),
                         "stages": [*stages_before, grpo]})


def fake_generate(outputs):
    """A generator that returns `outputs[i]` (a list of num_generations strings) for prompt i."""
    calls = []

    def gen(model_path, prompts, cfg, **kw):
        calls.append(cfg)
        return [list(outputs[i]) for i in range(len(prompts))]

    gen.calls = calls
    return gen


def test_known_completions_give_known_numbers(tmp_path, monkeypatch, tiny_model):
    from rlvr.tasks import load_task

    rows = load_task("arithmetic", "train", n=2)
    a0, a1 = int(rows[0]["answer"]), int(rows[1]["answer"])
    outputs = [
        [f"Answer: {a0}", f"Answer: {a0 + 1}", "no idea", "no idea"],  # right, off by one, two without a number
        ["hello"] * 4,  # flat and identical
    ]
    gen = fake_generate(outputs)
    monkeypatch.setattr(probe_mod, "generate", gen)
    r = grpo_recipe(tmp_path)
    (tmp_path / "p").mkdir()
    res = probe(r, n_prompts=2, progress=False)
    cfg = gen.calls[0]
    assert (cfg.n, cfg.temperature, cfg.max_new_tokens) == (4, 1.0, 8)
    assert res.start == "base model" and res.n_prompts == 2
    acc, num, fmt = (res.components[k] for k in ("accuracy", "numeric", "format"))
    assert acc.mean == pytest.approx(1 / 8) and num.mean == pytest.approx(1.5 / 8) and fmt.mean == pytest.approx(2 / 8)
    assert acc.zero_variance_frac == 0.5 and acc.correctness and not fmt.correctness
    assert res.reward_density == pytest.approx(2 / 8)  # the right answer and the near miss
    assert res.solved_frac == pytest.approx(1 / 8)
    assert res.zero_variance_frac == 0.5  # the second group is flat in total reward
    assert res.unique_frac == pytest.approx((3 / 4 + 1 / 4) / 2)
    # total of the right answer: 1.0 + 0.5 * 1.0 + 0.1 * 1.0
    assert res.reward_mean == pytest.approx((1.6 + (0.5 * 0.5 + 0.1)) / 8)
    assert res.verdict == "WEAK SIGNAL"  # half the groups are flat
    saved = json.loads((tmp_path / "p" / "probe.json").read_text())
    assert saved["verdict"] == "WEAK SIGNAL" and saved["components"]["numeric"]["weight"] == 0.5
    samples = [json.loads(x) for x in (tmp_path / "p" / "probe_samples.jsonl").read_text().splitlines()]
    assert len(samples) == 8 and samples[0]["rewards"] == {"accuracy": 1.0, "numeric": 1.0, "format": 1.0}


def test_varied_right_and_wrong_answers_can_learn(tmp_path, monkeypatch, tiny_model):
    from rlvr.tasks import load_task

    answers = [int(r["answer"]) for r in load_task("arithmetic", "train", n=2)]
    outputs = [[f"Answer: {a}", f"Answer: {a + 7}", f"Answer: {a}", f"Answer: {a + 30}"] for a in answers]
    monkeypatch.setattr(probe_mod, "generate", fake_generate(outputs))
    res = probe(grpo_recipe(tmp_path), n_prompts=2, progress=False, write=False)
    assert (res.verdict, res.zero_variance_frac, res.solved_frac, res.unique_frac) == ("CAN LEARN", 0.0, 0.5, 0.75)
    assert not (tmp_path / "p" / "probe.json").exists()


def test_tiny_random_model_on_arithmetic_cannot_learn(tmp_path, tiny_model):
    res = probe(grpo_recipe(tmp_path, rewards=[{"name": "accuracy"}]), n_prompts=3, progress=False)
    assert res.verdict == "CANNOT LEARN"
    assert res.zero_variance_frac == 1.0 and res.reward_density == 0.0
    assert any("SFT stage" in a for a in res.advice)
    assert res.mean_completion_tokens <= 8


def test_probe_starts_from_a_finished_previous_stage(tmp_path, tiny_model, monkeypatch):
    sft = {"name": "sft", "method": "sft", "data": {"task": "arithmetic", "n": 8}}
    r = grpo_recipe(tmp_path, stages_before=[sft])
    monkeypatch.setattr(probe_mod, "generate", fake_generate([["1", "2", "3", "4"]]))
    res = probe(r, n_prompts=1, progress=False, write=False)
    assert res.start.startswith("base model (stage sft has not finished")
    done = tmp_path / "p" / "stages" / "sft" / "model"
    done.mkdir(parents=True)
    for f in tiny_model.iterdir():
        (done / f.name).symlink_to(f)
    res = probe(r, n_prompts=1, progress=False, write=False)
    assert res.start == "output of stage sft" and res.model == str(done)


def test_thresholds():
    assert judge(0.95, 0.5, 0.2, 1.0)[0] == "CANNOT LEARN"
    assert judge(0.1, 0.01, 0.0, 1.0)[0] == "CANNOT LEARN"
    assert judge(0.1, 0.5, 0.0, 1.0)[0] == "WEAK SIGNAL"  # partial credit only
    assert judge(0.1, 0.5, 0.2, 0.4)[2] == ["raise temperature"]
    assert judge(0.3, 0.5, 0.2, 0.9)[0] == "CAN LEARN"


def test_stage_selection_errors(tmp_path):
    sft = {"name": "warm", "method": "sft", "data": {"task": "arithmetic"}}
    r = grpo_recipe(tmp_path, stages_before=[sft])
    assert pick_stage(r, None)[1].name == "grpo"
    with pytest.raises(RecipeError, match="stage 'warm' is SFT"):
        pick_stage(r, "warm")
    with pytest.raises(RecipeError, match="no stage named 'nope'"):
        pick_stage(r, "nope")


def test_cli_probe_json_and_bad_stage(tmp_path, cli, tiny_model):
    path = tmp_path / "r.yaml"
    path.write_text(
        "name: p\nmodel: tiny-random\noutput_dir: " + str(tmp_path / "run") + "\nstages:\n"
        "  - {name: grpo, method: grpo, data: {task: arithmetic, n: 2}, rewards: [{name: accuracy}],"
        " num_generations: 2, max_completion_length: 4}\n")
    res = cli("probe", path, "--prompts", "2", "--json")
    assert res.returncode == 0, res.stderr
    payload = json.loads(res.stdout)
    assert payload["verdict"] == "CANNOT LEARN" and payload["n_prompts"] == 2 and payload["num_generations"] == 2
    bad = cli("probe", path, "--stage", "nope")
    assert bad.returncode == 2 and "no stage named 'nope'" in bad.stderr and "Traceback" not in bad.stderr
