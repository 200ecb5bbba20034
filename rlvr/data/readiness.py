"""Readiness per training method, decided from an inspect report: READY, NEEDS MAPPING (with the exact
column mapping that makes it ready) or INCOMPATIBLE (with the reason).

- SFT: `messages`, or `prompt` + `completion`, or `text`.
- DPO: `prompt` + `chosen` + `rejected`, or chosen/rejected conversations (the prompt is implicit).
- GRPO: a prompt and something a verifier can check: an answer that math-verify parses in at least
  half the sampled rows (`MIN_PARSE_RATE`), or unit tests for code (`test` + `entry_point` in
  HumanEval's format, or a `tests` column). A prompt alone is INCOMPATIBLE: no verifiable target.

Synonyms come from `rlvr.data.mapping.SYNONYMS`, with conditions where a name is ambiguous: `label`
counts as an answer only when numeric, `output` only when short, and `answer`/`solution` count as an
SFT completion only when they are long text (median over `LONG_CHARS` characters).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from rlvr.data.mapping import SYNONYMS, format_mapping

READY, NEEDS_MAPPING, INCOMPATIBLE = "READY", "NEEDS MAPPING", "INCOMPATIBLE"
MIN_PARSE_RATE = 0.5  # below this the math verifier cannot score most rows
WARN_PARSE_RATE = 0.95
SHORT_CHARS, LONG_CHARS = 32, 64  # median lengths; divided by CHARS_PER_TOKEN when lengths are in tokens
CHARS_PER_TOKEN = 4
NUMERIC_RATE = 0.9


@dataclass
class Readiness:
    method: str
    status: str
    reason: str
    mapping: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)  # verifier, parse_rate, warnings, ...

    def to_dict(self) -> dict:
        return {"status": self.status, "reason": self.reason, "mapping": dict(self.mapping),
                "mapping_text": format_mapping(self.mapping), "warnings": [], **self.details}


class _Columns:
    """Questions about the report's columns, in the words the rules use."""

    def __init__(self, report: dict):
        self.report = report
        self.cols: dict = report["columns"]
        self.rows = report["rows"]
        self.tokens = report.get("lengths", {}).get("unit") == "tokens"

    def has(self, name: str, kinds: Sequence[str] = ("string", "list", "int", "float")) -> bool:
        c = self.cols.get(name)
        return bool(c) and c["type"] in kinds and c["null_rate"] < 1.0

    def median(self, name: str) -> float | None:
        stats = self.report.get("lengths", {}).get("columns", {}).get(name)
        if not stats:
            return None
        return stats["p50"] * (CHARS_PER_TOKEN if self.tokens else 1)

    def is_conversation(self, name: str) -> bool:
        return self.has(name, ("list",)) and name in self.report.get("messages", {})

    def is_text(self, name: str) -> bool:
        return self.has(name, ("string",))

    def numeric(self, name: str) -> bool:
        c = self.cols.get(name, {})
        if c.get("type") in ("int", "float"):
            return True
        return (c.get("numeric_rate") or 0) >= NUMERIC_RATE

    def first(self, role: str, ok) -> str | None:
        for name in SYNONYMS[role]:
            if name in self.cols and ok(name):
                return name
        return None


def _mapping(**pairs: str | None) -> dict[str, str]:
    """{source: target} for the pairs whose source differs from the target."""
    return {src: dst for dst, src in pairs.items() if src and src != dst}


def _status(mapping: dict) -> str:
    return NEEDS_MAPPING if mapping else READY


def _conversation_warnings(report: dict, name: str) -> list[str]:
    conv = report.get("messages", {}).get(name) or {}
    out = []
    if conv.get("invalid_rows"):
        problems = ", ".join(f"{k} {v}" for k, v in conv.get("problems", {}).items())
        out.append(f"{conv['invalid_rows']} conversations in '{name}' are malformed ({problems})")
    return out


def sft(report: dict) -> Readiness:
    c = _Columns(report)
    # 1. conversations
    msg = c.first("messages", c.is_conversation)
    if msg:
        conv = report["messages"][msg]
        if conv["invalid_rows"] >= conv["rows"]:
            return Readiness("sft", INCOMPATIBLE, f"every conversation in '{msg}' is malformed "
                             f"({', '.join(conv['problems'])}); fix the turns first")
        mapping = {msg: "messages"} if (msg != "messages" or conv["format"] == "sharegpt") else {}
        reason = f"'{msg}' holds chat conversations" + (
            " in ShareGPT form (from/value); the mapping converts them to role/content" if conv["format"] == "sharegpt" else "")
        warnings = _conversation_warnings(report, msg)
        if conv.get("no_assistant_turn"):
            warnings.append(f"{conv['no_assistant_turn']} conversations have no assistant turn (nothing to learn)")
        return Readiness("sft", _status(mapping), reason, mapping, {"format": "messages", "warnings": warnings})
    # 2. prompt + completion
    prompt = c.first("prompt", lambda n: c.is_text(n) or c.is_conversation(n))
    def completion_ok(n: str) -> bool:
        if n == prompt or not (c.is_text(n) or c.is_conversation(n)):
            return False
        if n in ("answer", "solution", "target"):  # short gold answers are not something to imitate
            return (c.median(n) or 0) >= LONG_CHARS
        return True
    completion = c.first("completion", completion_ok)
    if prompt and completion:
        mapping = _mapping(prompt=prompt, completion=completion)
        warnings = []
        if prompt == "instruction" and c.has("input", ("string",)) and report["columns"]["input"]["empty_rate"] < 1:
            warnings.append("Alpaca-style 'input' column is non-empty in some rows and would be ignored; "
                            "merge it into the instruction first")
        return Readiness("sft", _status(mapping), f"prompt '{prompt}' with completion '{completion}'", mapping,
                         {"format": "prompt-completion", "warnings": warnings})
    # 3. plain text
    text = c.first("text", c.is_text)
    if text:
        mapping = _mapping(text=text)
        return Readiness("sft", _status(mapping), f"plain text in '{text}' (language modelling)", mapping,
                         {"format": "text", "warnings": []})
    missing = "a 'completion' for the prompt" if prompt else "'messages', 'prompt'+'completion' or 'text'"
    return Readiness("sft", INCOMPATIBLE, f"missing {missing} (nor a synonym such as "
                     f"{', '.join(SYNONYMS['completion'][1:3] if prompt else SYNONYMS['messages'][1:3])})")


def dpo(report: dict) -> Readiness:
    c = _Columns(report)
    pair = None
    for ch in SYNONYMS["chosen"]:
        for rj in SYNONYMS["rejected"]:
            if c.has(ch, ("string", "list")) and c.has(rj, ("string", "list")):
                pair = (ch, rj)
                break
        if pair:
            break
    if pair is None:
        has_c = any(c.has(n) for n in SYNONYMS["chosen"])
        has_r = any(c.has(n) for n in SYNONYMS["rejected"])
        what = "'chosen' and 'rejected'" if not (has_c or has_r) else ("'rejected'" if has_c else "'chosen'")
        return Readiness("dpo", INCOMPATIBLE, f"missing {what}")
    chosen, rejected = pair
    dpo_stats = report.get("dpo") or {}
    warnings = []
    identical = dpo_stats.get("identical", 0)
    if dpo_stats and identical and identical >= dpo_stats.get("rows", 0):
        return Readiness("dpo", INCOMPATIBLE, f"'{chosen}' equals '{rejected}' in every row: no preference to learn")
    if identical:
        warnings.append(f"{identical} row{'s' if identical != 1 else ''} with chosen == rejected (no preference signal); drop them")
    implicit = c.is_conversation(chosen) and c.is_conversation(rejected)
    prompt = "prompt" if c.has("prompt", ("string", "list")) else None
    if prompt is None and not implicit:
        prompt = c.first("prompt", lambda n: c.is_text(n) or c.is_conversation(n))
        if prompt is None:
            return Readiness("dpo", INCOMPATIBLE, f"missing 'prompt': '{chosen}'/'{rejected}' are plain text, and only "
                             "conversations carry an implicit prompt")
    mapping = _mapping(prompt=prompt, chosen=chosen, rejected=rejected)
    reason = (f"preference pairs '{chosen}'/'{rejected}'" + (f" with prompt '{prompt}'" if prompt else
                                                             " as conversations (implicit prompt)"))
    for col in (chosen, rejected):
        warnings += _conversation_warnings(report, col)
    return Readiness("dpo", _status(mapping), reason, mapping, {"warnings": warnings})


def answer_candidates(report: dict) -> list[str]:
    """Columns that could hold a gold answer for the math verifier, best first."""
    c = _Columns(report)
    out = []
    for name in SYNONYMS["answer"]:
        if not c.has(name, ("string", "int", "float")):
            continue
        if name == "label" and not c.numeric(name):
            continue
        if name == "output" and (c.median(name) or 0) > SHORT_CHARS:
            continue
        out.append(name)
    return out


def code_tests(report: dict) -> dict[str, str] | None:
    """{source: target} mapping that exposes unit tests to the code_tests reward, or None."""
    c = _Columns(report)
    if c.has("test", ("string",)) and c.has("entry_point", ("string",)):
        return {}
    for name in ("tests", "test_list"):
        if c.has(name, ("string", "list")):
            return _mapping(tests=name)
    return None


def grpo(report: dict) -> Readiness:
    c = _Columns(report)
    prompt = "prompt" if c.has("prompt", ("string", "list")) else c.first("prompt", c.is_text)
    tests = code_tests(report)
    candidates = answer_candidates(report)
    if prompt is None:
        target = "" if (tests is not None or candidates) else " and no verifiable target"
        return Readiness("grpo", INCOMPATIBLE, f"missing 'prompt' (nor {', '.join(SYNONYMS['prompt'][1:])}){target}")
    if tests is not None:
        mapping = {**_mapping(prompt=prompt), **tests}
        return Readiness("grpo", _status(mapping), "prompt with unit tests for code", mapping,
                         {"verifier": "code_tests", "warnings": []})
    if not candidates:
        hint = (" ('messages' hold whole conversations; extract the final answer into an 'answer' column)"
                if any(c.is_conversation(n) for n in SYNONYMS["messages"]) else "")
        return Readiness("grpo", INCOMPATIBLE, "no verifiable target: a prompt alone cannot be rewarded; add an "
                         f"'answer' the math verifier can parse, or unit tests{hint}")
    measured = [(n, report["columns"][n].get("math_parse")) for n in candidates]
    measured = [(n, m) for n, m in measured if m and m.get("sampled")]
    if not measured:
        return Readiness("grpo", INCOMPATIBLE, f"answer column '{candidates[0]}' has no non-empty values to verify")
    good = [(n, m) for n, m in measured if m["rate"] >= MIN_PARSE_RATE]
    answer, parse = good[0] if good else max(measured, key=lambda x: x[1]["rate"])
    details = {"verifier": "math", "answer_column": answer, "parse_rate": parse["rate"],
               "parse_sampled": parse["sampled"], "parse_rate_ci": parse.get("ci"), "warnings": []}
    if not good:
        return Readiness("grpo", INCOMPATIBLE, f"answer column '{answer}' parses under math-verify in only "
                         f"{parse['rate']:.0%} of {parse['sampled']:,} sampled rows: the math verifier could not "
                         "score most rows (no verifiable target)", {}, details)
    if parse["rate"] < WARN_PARSE_RATE:
        details["warnings"].append(f"about {1 - parse['rate']:.0%} of answers do not parse: those rows will get "
                                   "reward None (skipped)")
    missing = report["columns"][answer]
    if missing["null_rate"] or missing["empty_rate"]:
        n = round((missing["null_rate"] + missing["empty_rate"]) * c.rows)
        details["warnings"].append(f"{n} row{'s' if n != 1 else ''} without an answer: they cannot be rewarded")
    mapping = _mapping(prompt=prompt, answer=answer)
    return Readiness("grpo", _status(mapping), f"prompt '{prompt}' with math answers in '{answer}' "
                     f"(math-verify parses {parse['rate']:.0%} of {parse['sampled']:,} sampled)", mapping, details)


def readiness(report: dict) -> dict[str, Readiness]:
    """Readiness for each method from an inspect report (see `rlvr.data.inspect.inspect_dataset`)."""
    return {"sft": sft(report), "dpo": dpo(report), "grpo": grpo(report)}


def measure_parse_rate(values: Sequence[Any]) -> dict:
    """Share of values math-verify can parse as a gold answer (the `accuracy` reward's criterion),
    checked in rlvr's time-bounded worker process. Empty values are skipped (reported as missing)."""
    from rlvr.eval.metrics import wilson_interval
    from rlvr.verify.math import verify_math_many

    golds = [str(v) for v in values if v is not None and str(v).strip()]
    if not golds:
        return {"sampled": 0, "parsed": 0, "rate": 0.0, "ci": None}
    verdicts = verify_math_many(golds, golds)  # a parseable gold verifies against itself
    parsed = sum(v.status == "passed" for v in verdicts)
    lo, hi = wilson_interval(parsed, len(golds))
    return {"sampled": len(golds), "parsed": parsed, "rate": parsed / len(golds), "ci": [round(lo, 4), round(hi, 4)]}
