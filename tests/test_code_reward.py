from rlvr.rewards.code import code_tests, extract_code
from rlvr.verify.problems import humaneval_path, load_problems

P = load_problems(humaneval_path())


def test_extract_code_from_chat_and_fences():
    msg = [{"role": "assistant", "content": "Here:\n```python\ndef f():\n    return 1\n```\nDone."}]
    assert extract_code(msg) == "def f():\n    return 1\n"
    assert extract_code("    return 1\n") == "    return 1\n"


def test_code_tests_rewards_pass_fail_and_full_function():
    p = P["HumanEval/32"]  # the test uses `poly` from the prompt
    full = "```python\nimport math\ndef find_zero(xs):\n" + p.canonical_solution + "```"
    completions = [p.canonical_solution, "    return 0.0\n", [{"role": "assistant", "content": full}],
                   "    class A(float):\n        def __eq__(s, o): return True\n    return A(0)\n"]
    n = len(completions)
    rewards = code_tests(["q"] * n, completions, test=[p.test] * n, entry_point=[p.entry_point] * n,
                         problem_prompt=[p.prompt] * n, timeout=2.0)
    assert rewards == [1.0, 0.0, 1.0, 0.0]


def test_code_tests_none_when_unverifiable():
    # a test that passes a lambda to the candidate cannot be split across the boundary: harness's limit
    test = "def check(candidate):\n    assert candidate(lambda: 1) == 1\n"
    assert code_tests(["q"], ["    return f()\n"], test=[test], entry_point=["g"], problem_prompt=["def g(f):\n"]) == [None]
