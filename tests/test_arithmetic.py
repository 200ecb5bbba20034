from rlvr.tasks import load_task
from rlvr.tasks.arithmetic import REPHRASED_TEMPLATES, TRAIN_TEMPLATES, check_disjoint, make_split


def test_splits_are_deterministic():
    assert make_split("train", n=50, seed=3) == make_split("train", n=50, seed=3)
    assert make_split("train", n=50, seed=3) != make_split("train", n=50, seed=4)


def test_eval_problems_never_appear_in_train_whatever_the_seed():
    train = make_split("train", seed=0) + make_split("train", seed=7)  # the whole train side, twice shuffled
    for split in ("eval", "eval-rephrased"):
        report = check_disjoint(train, make_split(split, seed=0))
        assert report["shared_problems"] == 0
        assert report["eval_problems"] > 1500


def test_answers_are_correct():
    for row in make_split("train", n=200) + make_split("eval", n=200):
        assert int(row["answer"]) == eval(row["problem"])


def test_rephrased_eval_asks_the_same_problems_in_unseen_words():
    eval_rows, reph = make_split("eval", n=30), make_split("eval-rephrased", n=30)
    assert [r["problem"] for r in eval_rows] == [r["problem"] for r in reph]
    stems = [t.split("{")[0] for t in TRAIN_TEMPLATES if t.split("{")[0]]
    for r in reph:
        assert not any(r["question"].startswith(s) for s in stems)
    assert {t for t in TRAIN_TEMPLATES} & {t for t in REPHRASED_TEMPLATES} == set()


def test_rows_are_chat_prompts_with_sft_targets():
    row = load_task("arithmetic", "train", n=1)[0]
    assert [m["role"] for m in row["prompt"]] == ["system", "user"]
    assert row["completion"][0]["content"].endswith(f"Answer: {row['answer']}")


def test_worked_solutions_are_true_at_every_step():
    from rlvr.tasks.arithmetic import solve, worked_solution

    assert worked_solution(85, "-", 46) == "85 - 46 = 85 - 40 - 6 = 45 - 6 = 39\nAnswer: 39"
    assert worked_solution(49, "-", 96) == "49 - 96 = -(96 - 49)\n96 - 49 = 96 - 40 - 9 = 56 - 9 = 47\nAnswer: -47"
    for a in range(1, 100, 7):
        for b in range(1, 100, 3):
            for op in "+-":
                text = worked_solution(a, op, b)
                for line in text.splitlines()[:-1]:
                    assert len({eval(side) for side in line.split("=")}) == 1, line
                assert text.endswith(f"Answer: {solve(a, op, b)}")
