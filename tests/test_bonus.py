import pytest

from rlvr.errors import RecipeError
from rlvr.rewards.registry import RewardSpec, build_rewards, get_reward
from rlvr.train.recipe import parse_recipe


def test_bonus_only_for_exact_numeric_answers():
    fn = get_reward("perfect_bonus", {"bonus": 0.5, "of": "numeric"})
    assert fn.__name__ == "perfect_bonus"
    completions = ["Answer: 19", "Answer: 18", "no number at all", "12 + 7 = 19"]
    # numeric gives 1.0, 0.5 (off by one), 0.0, 1.0 -> the bonus only on full marks
    assert fn(None, completions, answer=["19"] * 4) == [0.5, 0.0, 0.0, 0.5]


def test_bonus_on_accuracy_with_chat_completions_and_an_unverifiable_gold():
    fn = get_reward("perfect_bonus", {"bonus": 1.0})  # of: accuracy by default
    completions = [[{"role": "assistant", "content": "Answer: 42"}], [{"role": "assistant", "content": "Answer: 41"}]]
    assert fn(None, completions, answer=["42", "42"]) == [1.0, 0.0]
    # a gold that is not a number: numeric cannot verify, so the bonus is None (left out), not 0
    assert get_reward("perfect_bonus", {"of": "numeric"})(None, ["Answer: 3"], answer=["three"]) == [None]


def test_bonus_on_multi_answer_needs_every_item():
    fn = get_reward("perfect_bonus", {"bonus": 0.25, "of": "multi_answer"})
    assert fn(None, ["Answer: 3; 4", "Answer: 3; 5"], answers=[["3", "4"], ["3", "4"]]) == [0.25, 0.0]


def test_bonus_of_an_unknown_component_is_a_recipe_error():
    with pytest.raises(RecipeError, match="args.of must be one of"):
        get_reward("perfect_bonus", {"of": "format"})(None, ["Answer: 1"], answer=["1"])


def test_bonus_alone_does_not_count_as_a_correctness_check():
    with pytest.raises(RecipeError, match="add a correctness component"):
        build_rewards([RewardSpec("perfect_bonus"), RewardSpec("format")])
    funcs, weights = build_rewards([RewardSpec("numeric"), RewardSpec("perfect_bonus", 2.0, {"of": "numeric"})])
    assert [f.__name__ for f in funcs] == ["numeric", "perfect_bonus"] and weights == [1.0, 2.0]


def test_bonus_usable_from_a_recipe():
    r = parse_recipe({"name": "b", "model": "tiny-random", "stages": [{
        "method": "grpo", "data": {"task": "word-problems"},
        "rewards": [{"name": "accuracy"}, {"name": "perfect_bonus", "weight": 1.0, "args": {"bonus": 0.5}}]}]})
    assert [s.name for s in r.stages[0].rewards] == ["accuracy", "perfect_bonus"]
