"""Column mapping: rename a dataset's columns onto the names TRL and rlvr's rewards read.

A mapping is `{source: target}` (`{"question": "prompt", "solution": "answer"}`), as `rlvr inspect`
proposes it and as a recipe's `data.mapping:` spells it. Renaming alone cannot fix ShareGPT-style
conversations (`{"from": "human", "value": ...}`), so a conversation mapped onto `messages`, `prompt`,
`completion`, `chosen` or `rejected` also has its turns converted to `{"role", "content"}`.
"""

from __future__ import annotations

from typing import Iterable

from rlvr.errors import DatasetError

# Synonyms, best first. `readiness` adds the conditions (label only when numeric, output only when short...).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "prompt": ("prompt", "question", "problem", "instruction", "query", "input"),
    "answer": ("answer", "final_answer", "solution", "gold", "target", "ground_truth", "expected_answer",
               "label", "output"),
    "completion": ("completion", "response", "output", "answer", "solution", "target"),
    "messages": ("messages", "conversations", "conversation", "chat", "dialogue", "dialog"),
    "text": ("text", "content", "document"),
    "chosen": ("chosen", "pos", "positive", "preferred", "chosen_response", "response_chosen", "accepted"),
    "rejected": ("rejected", "neg", "negative", "dispreferred", "rejected_response", "response_rejected"),
}
CONVERSATION_TARGETS = {"messages", "prompt", "completion", "chosen", "rejected"}
SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "chatgpt": "assistant",
                  "bing": "assistant", "bard": "assistant", "model": "assistant", "system": "system", "tool": "tool",
                  "function_call": "assistant", "observation": "tool", "function": "tool"}


def is_sharegpt(value) -> bool:
    """A list of turns in ShareGPT form: dicts with `from` and `value` instead of `role` and `content`."""
    return (isinstance(value, list) and bool(value) and isinstance(value[0], dict)
            and "from" in value[0] and "value" in value[0] and "role" not in value[0])


def sharegpt_to_messages(turns: list[dict], where: str = "") -> list[dict]:
    out = []
    for i, turn in enumerate(turns):
        role = SHAREGPT_ROLES.get(str(turn.get("from", "")).lower())
        if role is None:
            raise DatasetError(f"{where}turn {i}: unknown ShareGPT speaker {turn.get('from')!r}; known: "
                               f"{', '.join(sorted(SHAREGPT_ROLES))}. Fix the row or convert it yourself.")
        out.append({"role": role, "content": turn.get("value") or ""})
    return out


def format_mapping(mapping: dict[str, str]) -> str:
    """`question→prompt, solution→answer`, as printed by `rlvr inspect`."""
    return ", ".join(f"{s}→{t}" for s, t in mapping.items())


def check_mapping(mapping: dict[str, str], columns: Iterable[str], where: str = "mapping") -> None:
    """DatasetError when a mapping names a column the data lacks, or would overwrite one it keeps."""
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise DatasetError(f"{where}: expected a mapping of column names {{source: target}}, got {mapping!r}.")
    columns = list(columns)
    missing = [s for s in mapping if s not in columns]
    if missing:
        raise DatasetError(f"{where}: column(s) {', '.join(repr(m) for m in missing)} not in the dataset "
                           f"(it has {', '.join(columns)}). Run `rlvr inspect` to see the columns.")
    targets = list(mapping.values())
    dup = sorted({t for t in targets if targets.count(t) > 1})
    if dup:
        raise DatasetError(f"{where}: several columns map onto {', '.join(dup)}; map exactly one onto each name.")
    clobbered = [t for t in targets if t in columns and t not in mapping]
    if clobbered:
        raise DatasetError(f"{where}: mapping onto {', '.join(repr(c) for c in clobbered)} would overwrite the "
                           "existing column(s) of that name; map that column elsewhere too (e.g. {'"
                           f"{clobbered[0]}': '{clobbered[0]}_orig'}}) or drop it from the mapping.")


def apply_mapping(rows: list[dict], mapping: dict[str, str] | None) -> list[dict]:
    """New rows with columns renamed (`{source: target}`); other columns are kept as they are.

    A row lacking a mapped column gets None for the target. ShareGPT turns mapped onto a
    conversation column are converted to role/content."""
    if not mapping:
        return rows
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    check_mapping(mapping, columns)
    out = []
    for i, row in enumerate(rows, start=1):
        new = {k: v for k, v in row.items() if k not in mapping}
        for src, dst in mapping.items():
            value = row.get(src)
            if dst in CONVERSATION_TARGETS and is_sharegpt(value):
                value = sharegpt_to_messages(value, f"row {i}, column '{src}': ")
            new[dst] = value
        out.append(new)
    return out
