from collections import Counter

import pytest

from rlvr.tasks import TASKS, load_task
from rlvr.tasks.word_problems import TEMPLATES, all_problems, check_disjoint, make_split, problem_side, solve


def test_known_problems_have_known_answers_and_steps():
    assert solve(("bags", 12, 3, 4, 5)) == 19  # 12 + 3*4 - 5
    assert solve(("share", 10, 26, 4)) == 9  # (10 + 26) / 4
    assert solve(("pages", 9, 7, 91)) == 28  # 91 - 9*7
    assert solve(("change", 2, 2, 7, 20)) == 9  # 20 - (2*2 + 7)
    assert solve(("rows", 3, 9, 4, 8)) == 59  # 3*9 + 4*8
    assert solve(("give", 49, 7, 7)) == 70  # (49 - 7 - 7) * 2


def test_splits_are_deterministic_and_seeded():
    assert make_split("train", n=40, seed=3) == make_split("train", n=40, seed=3)
    assert make_split("train", n=40, seed=3) != make_split("train", n=40, seed=4)


def test_eval_problems_never_appear_in_train_whatever_the_seed():
    train = make_split("train", seed=0) + make_split("train", seed=5)
    for split in ("eval", "eval-rephrased"):
        report = check_disjoint(train, make_split(split, seed=2))
        assert report["shared_problems"] == 0
        assert report["eval_problems"] > 2500
    assert all(problem_side(p) == "eval" for p in all_problems("eval")[:200])


def test_answers_match_the_worked_solution_and_are_non_negative_integers():
    for row in make_split("train", n=120) + make_split("eval", n=120):
        key, *nums = row["problem"].split()
        answer = solve((key, *map(int, nums)))
        assert row["answer"] == str(answer) and answer >= 0
        worked = row["completion"][0]["content"]
        assert worked.endswith(f"\nAnswer: {answer}")
        # the last step's result is the answer; the rejected pair is off by one
        assert worked.splitlines()[0].rstrip(".").endswith(f"= {answer}")
        rejected = int(row["rejected"][0]["content"].rsplit("Answer: ", 1)[1])
        assert abs(rejected - answer) == 1


def test_every_problem_takes_two_or_three_operations():
    for row in make_split("train", n=60):
        steps = row["completion"][0]["content"].splitlines()[0].split(". ")
        assert 2 <= len(steps) <= 3


def test_a_prefix_covers_every_template_evenly():
    counts = Counter(r["template"] for r in make_split("eval", n=60))
    assert set(counts) == {t.key for t in TEMPLATES}
    assert max(counts.values()) - min(counts.values()) <= 1


def test_rephrased_eval_asks_the_same_problems_in_unseen_wordings():
    ev, reph = make_split("eval", n=30), make_split("eval-rephrased", n=30)
    assert [r["problem"] for r in ev] == [r["problem"] for r in reph]
    assert [r["answer"] for r in ev] == [r["answer"] for r in reph]
    train_openings = {w.split("{")[0] for t in TEMPLATES for w in t.train}
    rephrased_openings = {w.split("{")[0] for t in TEMPLATES for w in t.rephrased}
    assert not train_openings & rephrased_openings


def test_registered_as_a_builtin_task_with_chat_prompts():
    assert "word-problems" in TASKS
    row = load_task("word-problems", "train", n=1)[0]
    assert [m["role"] for m in row["prompt"]] == ["system", "user"]
    assert "Answer: <number>" in row["prompt"][0]["content"]
    assert set(row) >= {"id", "problem", "prompt", "answer", "completion"}


def test_unknown_split_is_refused():
    with pytest.raises(ValueError, match="unknown split"):
        make_split("test")
