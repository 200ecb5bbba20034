"""The only way a value crosses the sandbox boundary: a strict, tagged JSON encoding of builtins.

The encoder accepts exact builtin types only (`type(x) is int`, never `isinstance`), so a subclass
of `int` or `str`, or any object with its own `__eq__`, cannot be encoded at all. The decoder runs
in the trusted process on raw bytes the candidate may have forged; it uses `json.loads` (which can
only build dict/list/str/int/float/bool/None) and then rebuilds tuples, sets, bytes, ... from tagged
forms, so what the grader compares is always a fresh builtin object it built itself.

Format: None, bool, int, float (incl. nan/inf), str and list map to JSON directly; every JSON object
is a tag with exactly one key: {"t": [...]} tuple, {"s": [...]} set, {"f": [...]} frozenset,
{"d": [[k, v], ...]} dict (any hashable keys), {"b": "hex"} bytes, {"c": [re, im]} complex,
{"h": "hex"} an int too large for JSON's decimal conversion limit.
"""

from __future__ import annotations

import json

_MAX_DEPTH = 200
_BIG_INT_BITS = 10_000  # beyond this, ints go as hex (Python limits decimal str<->int conversion)


class CodecError(ValueError):
    """A value that cannot cross the boundary (wrong type, too deep) or bytes that do not decode."""


def _to_json(x, depth: int = 0):
    if depth > _MAX_DEPTH:
        raise CodecError("value nested too deeply")
    t = type(x)
    if x is None or t is bool or t is str or t is float:
        return x
    if t is int:
        return {"h": format(x, "x")} if x.bit_length() > _BIG_INT_BITS else x
    if t is list:
        return [_to_json(v, depth + 1) for v in x]
    if t is tuple:
        return {"t": [_to_json(v, depth + 1) for v in x]}
    if t is dict:
        return {"d": [[_to_json(k, depth + 1), _to_json(v, depth + 1)] for k, v in x.items()]}
    if t is set:
        return {"s": [_to_json(v, depth + 1) for v in x]}
    if t is frozenset:
        return {"f": [_to_json(v, depth + 1) for v in x]}
    if t is bytes:
        return {"b": x.hex()}
    if t is complex:
        return {"c": [x.real, x.imag]}
    raise CodecError(f"a value of type {t.__name__!s:.60} cannot cross the sandbox boundary (builtins only)")


def encode(value) -> bytes:
    """Bytes for `value`; CodecError for anything that is not made of exact builtin types."""
    try:
        return json.dumps(_to_json(value), separators=(",", ":"), allow_nan=True).encode("utf-8")
    except RecursionError:
        raise CodecError("value nested too deeply") from None


def _from_json(x, depth: int = 0):
    if depth > _MAX_DEPTH:
        raise CodecError("value nested too deeply")
    t = type(x)
    if x is None or t is bool or t is str or t is float or t is int:
        return x
    if t is list:
        return [_from_json(v, depth + 1) for v in x]
    if t is dict and len(x) == 1:
        (tag, body), = x.items()
        if tag in ("t", "s", "f") and type(body) is list:
            items = [_from_json(v, depth + 1) for v in body]
            return tuple(items) if tag == "t" else set(items) if tag == "s" else frozenset(items)
        if tag == "d" and type(body) is list:
            out = {}
            for pair in body:
                if type(pair) is not list or len(pair) != 2:
                    raise CodecError("malformed dict entry")
                out[_from_json(pair[0], depth + 1)] = _from_json(pair[1], depth + 1)
            return out
        if tag == "b" and type(body) is str:
            return bytes.fromhex(body)
        if tag == "h" and type(body) is str:
            return int(body, 16)
        if tag == "c" and type(body) is list and len(body) == 2 and all(type(v) in (int, float) for v in body):
            return complex(body[0], body[1])
    raise CodecError("malformed value")


def decode(data: bytes):
    """A fresh builtin value from bytes that may have been forged; CodecError on anything else."""
    try:
        return _from_json(json.loads(data))
    except CodecError:
        raise
    except (ValueError, TypeError, RecursionError, UnicodeDecodeError) as e:  # bad JSON, unhashable key, ...
        raise CodecError(f"malformed value ({type(e).__name__})") from None
