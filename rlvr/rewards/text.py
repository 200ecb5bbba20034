"""Getting plain text out of what TRL hands a reward function."""

from __future__ import annotations


def completion_text(completion) -> str:
    """TRL passes a string for plain datasets and a list of messages for conversational ones."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list):
        return "".join(m.get("content", "") or "" for m in completion if isinstance(m, dict))
    if isinstance(completion, dict):
        return completion.get("content", "") or ""
    return str(completion)


def prompt_text(prompt) -> str:
    """The last user turn of a conversational prompt, or the prompt itself."""
    if isinstance(prompt, list):
        users = [m.get("content", "") for m in prompt if isinstance(m, dict) and m.get("role") == "user"]
        return users[-1] if users else completion_text(prompt)
    return completion_text(prompt)


def column(kwargs: dict, name: str, n: int, fallbacks: tuple[str, ...] = ()) -> list:
    """A dataset column TRL passed through, repeated per completion; a clear error when absent."""
    for key in (name, *fallbacks):
        if key in kwargs and kwargs[key] is not None:
            values = kwargs[key]
            if len(values) != n:
                raise ValueError(f"column {key!r} has {len(values)} values for {n} completions")
            return list(values)
    raise KeyError(
        f"this reward needs a dataset column {name!r}"
        + (f" (or one of {', '.join(fallbacks)})" if fallbacks else "")
        + "; map your answer column onto it (see `rlvr inspect`)."
    )
