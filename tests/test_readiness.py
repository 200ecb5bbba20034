"""Readiness per method on literal datasets: the status, the reason and the exact mapping."""

import json

import pytest

from rlvr.data.inspect import inspect_dataset


def ready(tmp_path, rows, name="d.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return inspect_dataset(path)["readiness"]


MATH = [{"prompt": f"What is {a} + 3?", "answer": str(a + 3)} for a in range(20)]


def test_prompt_and_parseable_answer_is_ready_for_grpo(tmp_path):
    r = ready(tmp_path, MATH)["grpo"]
    assert r["status"] == "READY"
    assert r["verifier"] == "math" and r["parse_rate"] == 1.0 and r["parse_sampled"] == 20
    assert r["mapping"] == {}


def test_question_solution_needs_the_exact_mapping(tmp_path):
    rows = [{"question": r["prompt"], "solution": r["answer"]} for r in MATH]
    r = ready(tmp_path, rows)["grpo"]
    assert r["status"] == "NEEDS MAPPING"
    assert r["mapping"] == {"question": "prompt", "solution": "answer"}
    assert r["mapping_text"] == "question→prompt, solution→answer"


def test_prompt_alone_is_incompatible_for_grpo(tmp_path):
    r = ready(tmp_path, [{"prompt": f"Write a poem about {i}"} for i in range(5)])["grpo"]
    assert r["status"] == "INCOMPATIBLE"
    assert r["reason"].startswith("no verifiable target")


def test_answers_math_verify_cannot_parse_are_not_ready(tmp_path):
    rows = [{"prompt": f"Is review {i} positive?", "answer": "positive" if i % 2 else "negative"} for i in range(10)]
    r = ready(tmp_path, rows)["grpo"]
    assert r["status"] == "INCOMPATIBLE"
    assert r["parse_rate"] == 0.0
    assert "parses under math-verify in only 0% of 10 sampled rows" in r["reason"]


def test_label_counts_as_an_answer_only_when_numeric(tmp_path):
    numeric = ready(tmp_path, [{"query": f"{i}+1", "label": i + 1} for i in range(10)], "a.jsonl")["grpo"]
    assert numeric["status"] == "NEEDS MAPPING" and numeric["mapping"] == {"query": "prompt", "label": "answer"}
    words = ready(tmp_path, [{"query": f"{i}", "label": "spam"} for i in range(10)], "b.jsonl")["grpo"]
    assert words["status"] == "INCOMPATIBLE"


def test_humaneval_style_code_tests_are_ready(tmp_path):
    rows = [{"task_id": "t/0", "prompt": "def f():\n", "test": "def check(c):\n    assert c() == 1\n",
             "entry_point": "f"}]
    r = ready(tmp_path, rows)["grpo"]
    assert r["status"] == "READY" and r["verifier"] == "code_tests"


def test_sft_formats(tmp_path):
    msgs = [{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}]
    assert ready(tmp_path, msgs, "m.jsonl")["sft"]["status"] == "READY"
    share = [{"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]}]
    r = ready(tmp_path, share, "s.jsonl")["sft"]
    assert r["status"] == "NEEDS MAPPING" and r["mapping"] == {"conversations": "messages"} and "ShareGPT" in r["reason"]
    alpaca = [{"instruction": "Say hi", "input": "", "output": "hi there, friend"}]
    r = ready(tmp_path, alpaca, "a.jsonl")["sft"]
    assert r["status"] == "NEEDS MAPPING" and r["mapping"] == {"instruction": "prompt", "output": "completion"}
    assert ready(tmp_path, [{"text": "once upon a time"}], "t.jsonl")["sft"]["status"] == "READY"
    # a short gold answer is not a completion to imitate
    assert ready(tmp_path, MATH, "g.jsonl")["sft"]["status"] == "INCOMPATIBLE"


def test_dpo_formats(tmp_path):
    r = ready(tmp_path, [{"prompt": "p", "chosen": "a", "rejected": "b"}], "1.jsonl")["dpo"]
    assert r["status"] == "READY"
    r = ready(tmp_path, [{"question": "p", "pos": "a", "neg": "b"}], "2.jsonl")["dpo"]
    assert r["status"] == "NEEDS MAPPING"
    assert r["mapping"] == {"question": "prompt", "pos": "chosen", "neg": "rejected"}
    implicit = [{"chosen": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}],
                 "rejected": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "b"}]}]
    assert ready(tmp_path, implicit, "3.jsonl")["dpo"]["status"] == "READY"
    r = ready(tmp_path, [{"prompt": "p", "completion": "c"}], "4.jsonl")["dpo"]
    assert r == {**r, "status": "INCOMPATIBLE", "reason": "missing 'chosen' and 'rejected'"}
    same = ready(tmp_path, [{"prompt": "p", "chosen": "a", "rejected": "a"}] * 2, "5.jsonl")["dpo"]
    assert same["status"] == "INCOMPATIBLE" and "equals 'rejected' in every row" in same["reason"]
