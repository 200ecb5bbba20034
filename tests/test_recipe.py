from pathlib import Path

import pytest
import yaml

from rlvr.errors import RecipeError, RunDirError
from rlvr.train.recipe import load_recipe, parse_recipe
from rlvr.train.runner import prepare_run_dir

BASE = {"name": "t", "model": "tiny-random", "stages": [{"method": "sft", "data": {"task": "arithmetic"}}]}


def recipe(**stage):
    return {**BASE, "stages": [{**BASE["stages"][0], **stage}]}


def test_unknown_stage_key_is_named():
    with pytest.raises(RecipeError, match="unknown key 'learning_rat'.*did you mean learning_rate"):
        parse_recipe(recipe(learning_rat=1e-5))


def test_wrong_type_is_named():
    with pytest.raises(RecipeError, match="key 'num_train_epochs' has the wrong type"):
        parse_recipe(recipe(num_train_epochs="many"))


def test_yaml_exponent_without_dot_is_a_float():
    r = parse_recipe(yaml.safe_load("name: t\nmodel: m\nstages: [{method: sft, data: {task: arithmetic}, learning_rate: 1e-5}]"))
    assert r.stages[0].args["learning_rate"] == 1e-5


def test_unknown_top_level_key_and_bad_method():
    with pytest.raises(RecipeError, match="unknown top-level key"):
        parse_recipe({**BASE, "epochs": 3})
    with pytest.raises(RecipeError, match="'method' must be one of sft, dpo, grpo"):
        parse_recipe(recipe(method="ppo"))


def test_grpo_keys_are_trl_names_and_rewards_validated():
    r = parse_recipe({**BASE, "stages": [{"method": "grpo", "data": {"task": "arithmetic"}, "loss_type": "dr_grpo",
                                         "epsilon_high": 0.28, "rewards": [{"name": "accuracy", "weight": 1.0}, "format"]}]})
    args = r.stages[0].trl_args()
    assert args["loss_type"] == "dr_grpo" and args["epsilon_high"] == 0.28 and args["num_generations"] == 8
    with pytest.raises(RecipeError, match="unknown reward 'acc'"):
        parse_recipe({**BASE, "stages": [{"method": "grpo", "data": {"task": "arithmetic"}, "rewards": ["acc"]}]})


def test_lora_true_takes_the_documented_defaults():
    r = parse_recipe(recipe(lora=True))
    assert r.stages[0].lora["r"] == 16 and r.stages[0].lora["lora_alpha"] == 32


def test_every_shipped_recipe_parses():
    paths = sorted(Path(__file__).parents[1].glob("recipes/*.yaml")) + [
        Path(__file__).parents[1] / "rlvr/train/recipes/quickstart.yaml"]
    assert len(paths) >= 5
    for p in paths:
        load_recipe(p)


def test_recipe_file_errors(tmp_path):
    with pytest.raises(RecipeError, match="no such recipe"):
        load_recipe(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nstages: [\n")
    with pytest.raises(RecipeError, match="not valid YAML"):
        load_recipe(bad)


def test_a_run_dir_of_another_recipe_is_never_overwritten(tmp_path):
    r1 = parse_recipe({**recipe(), "output_dir": str(tmp_path / "run")})
    run = prepare_run_dir(r1)
    (run / "precious.txt").write_text("keep me")
    r2 = parse_recipe({**recipe(learning_rate=1e-3), "output_dir": str(tmp_path / "run")})
    with pytest.raises(RunDirError, match="different recipe"):
        prepare_run_dir(r2)
    assert (run / "precious.txt").read_text() == "keep me"
    prepare_run_dir(r1)  # the same recipe resumes
    prepare_run_dir(r2, overwrite=True)  # moved aside, not deleted
    backups = list(tmp_path.glob("run.old-*"))
    assert len(backups) == 1 and (backups[0] / "precious.txt").read_text() == "keep me"
