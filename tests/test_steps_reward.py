"""The `steps` process reward: true steps behind the final answer, and the ways it must not pay."""

import pytest

from rlvr.rewards.registry import get_reward
from rlvr.rewards.steps import check_steps, parse_steps

PROMPT = [{"role": "system", "content": "Answer as 'Answer: <number>'."},
          {"role": "user", "content": "A book has 91 pages. Ben reads 9 pages every day for 7 days. How many pages are left?"}]


def score(text, prompt=PROMPT):
    return get_reward("steps")([prompt], [[{"role": "assistant", "content": text}]])[0]


def test_all_true_steps_get_full_credit_and_one_slip_gets_part():
    assert score("9 * 7 = 63. 91 - 63 = 28.\nAnswer: 28") == 1.0
    assert score("9 * 7 = 54. 91 - 54 = 37.\nAnswer: 37") == 0.5  # the product is wrong, the difference right
    assert score("9 * 7 = 54. 91 - 54 = 45.\nAnswer: 45") == 0.0


def test_operator_precedence_and_chained_expressions():
    assert [s.true for s in parse_steps("2 + 3 * 4 = 14. 20 / 4 - 1 = 4. 6 x 7 = 42")] == [True, True, True]
    assert [s.true for s in parse_steps("2 + 3 * 4 = 20. 7 / 0 = 1")] == [False, False]


def test_irrelevant_true_equations_do_not_pay():
    wrong = "9 * 7 = 54. 91 - 54 = 45.\nAnswer: 45"
    padded = "1 + 1 = 2. 2 + 2 = 4. 4 + 4 = 8. " + wrong
    assert score(padded) == score(wrong) == 0.0


def test_made_up_operands_count_as_wrong():
    # 63 appears from nowhere (no step produced it, not in the prompt, not a small constant)
    assert check_steps("91 - 63 = 28.\nAnswer: 28", "A book has 91 pages. Ben reads 9 a day for 7 days.") == (0, 1)
    # small constants are allowed: "doubles" gives a 2
    assert check_steps("30 - 2 = 28. 28 * 2 = 56.\nAnswer: 56", "Mia has 30 apples, gives 2, then doubles.") == (2, 2)


def test_no_steps_no_answer_and_hedging_get_nothing():
    assert score("Answer: 28") == 0.0
    assert score("9 * 7 = 63. 91 - 63 = 28.") == 1.0  # the last number is the answer when no answer line
    assert score("9 * 7 = 63. 91 - 63 = 28.\nAnswer: 30") == 0.0  # no step produced the answer
    assert score("9 * 7 = 63. 91 - 63 = 28.\nAnswer: 28\nAnswer: 29") == 0.0


@pytest.mark.parametrize("prompt", [None, "plain text prompt 91 9 7"])
def test_plain_prompts_and_no_prompts(prompt):
    fn = get_reward("steps")
    prompts = None if prompt is None else [prompt]
    assert fn(prompts, ["9 * 7 = 63. 91 - 63 = 28.\nAnswer: 28"]) == [0.5 if prompt is None else 1.0]
