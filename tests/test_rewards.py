import pytest

from rlvr.errors import RecipeError
from rlvr.rewards.registry import RewardSpec, build_rewards, get_reward
from rlvr.verify.math import final_answer

MSG = lambda text: [{"role": "assistant", "content": text}]  # noqa: E731 - TRL's conversational completion


def test_accuracy_on_literals():
    fn = get_reward("accuracy")
    assert fn(None, [MSG("7 + 5 = 12\nAnswer: 12"), MSG("Answer: 13"), "no number"], answer=["12", "12", "12"]) == [1.0, 0.0, 0.0]


def test_accuracy_returns_none_not_zero_when_gold_unparseable():
    assert get_reward("accuracy")(None, ["Answer: 3"], answer=["??? not math"]) == [None]


def test_numeric_partial_credit():
    fn = get_reward("numeric")
    out = fn(None, ["Answer: 100", "Answer: 101", "Answer: 150", "Answer: 5000", "nothing"], answer=["100"] * 5)
    assert out[:2] == [1.0, 0.5]
    assert out[2] == pytest.approx(0.4 * (1 - 50 / 100))
    assert out[3:] == [0.0, 0.0]
    assert fn(None, ["Answer: 1"], answer=["x+1"]) == [None]


def test_numeric_prefers_the_answer_line_over_the_last_number():
    assert get_reward("numeric")(None, ["Answer: 42\nI used 3 steps"], answer=["42"]) == [1.0]


def test_numeric_reads_the_answer_the_way_the_verifier_does():
    fn = get_reward("numeric")
    # 'answer is N', '$', thousands separators: one rule for the reward, the eval's `extracted` and the verifier
    assert fn(None, ["The answer is $1,234.", "so the answer = 1234"], answer=["1234"] * 2) == [1.0, 1.0]
    assert final_answer("The answer is $1,234.") == "1234"
    assert final_answer("5 + 19 = 17") == "17"
    assert final_answer("Answer: 3\nthen 12 more steps") == "3"


def test_numeric_gives_no_partial_credit_for_answer_spraying():
    fn = get_reward("numeric")
    sprayed = ["Answer: 99\nAnswer: 100", "It is 99, 100 or 101", "\\boxed{99} or \\boxed{100}"]
    assert fn(None, sprayed, answer=["100"] * 3) == [0.0, 0.0, 0.0]
    assert get_reward("accuracy")(None, sprayed, answer=["100"] * 3) == [0.0, 0.0, 0.0]
    # one answer line after worked steps is not a spray
    assert fn(None, ["3 * 4 = 12. 12 + 88 = 100.\nAnswer: 100"], answer=["100"]) == [1.0]


def test_multi_answer_scores_each_item():
    fn = get_reward("multi_answer")
    assert fn(None, ["Answer: 1; 2; 4", "Answer: 1; 2; 3", "nothing"], answers=[[1, 2, 3]] * 3) == [pytest.approx(2 / 3), 1.0, 0.0]


def test_shape_rewards():
    assert get_reward("format")(None, ["x\nAnswer: 5", "The answer is 5"]) == [1.0, 0.0]
    assert get_reward("invalid_penalty")(None, ["", "Answer: 5"]) == [-0.5, 0.0]
    assert get_reward("repetition")(None, ["a b c a b c a b c", "one two three four"])[1] == 0.0
    assert get_reward("repetition")(None, ["a b c a b c a b c"])[0] < -0.5
    assert get_reward("overlong_penalty", {"max_tokens": 10, "soft": 4})(None, ["x"] * 2, completion_ids=[[1] * 6, [1] * 10]) == [0.0, -1.0]
    assert get_reward("tags")(None, ["<think>hm</think><answer>4</answer>", "<answer>4</answer>"]) == [1.0, 0.5]


def test_args_are_bound_and_the_name_kept():
    fn = get_reward("invalid_penalty", {"penalty": -1.0})
    assert fn.__name__ == "invalid_penalty" and fn(None, [""]) == [-1.0]


def test_unknown_and_dotted_rewards():
    with pytest.raises(RecipeError, match="unknown reward 'acuracy'"):
        get_reward("acuracy")
    assert get_reward("rlvr.rewards.math:numeric")(None, ["Answer: 2"], answer=["2"]) == [1.0]
    with pytest.raises(RecipeError, match="cannot import"):
        get_reward("nope.module:fn")


def test_combination_needs_a_correctness_component():
    with pytest.raises(RecipeError, match="check nothing but shape"):
        build_rewards([RewardSpec("format")])
    funcs, weights = build_rewards([RewardSpec("accuracy", 1.0), RewardSpec("format", 0.1)])
    assert [f.__name__ for f in funcs] == ["accuracy", "format"] and weights == [1.0, 0.1]


def test_missing_answer_column_names_it():
    with pytest.raises(KeyError, match="'answer'"):
        get_reward("accuracy")(None, ["Answer: 1"], question=["q"])
