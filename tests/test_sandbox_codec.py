import math

import pytest

from rlvr.sandbox.codec import CodecError, decode, encode


@pytest.mark.parametrize("value", [None, True, 0, -7, 2**200, 1.5, -0.0, float("inf"), 3 + 4j, "héllo", b"\x00\xff",
                                   [1, [2, "x"]], (1, (2,)), {"a": 1, (1, 2): [3]}, {1, 2}, frozenset({"a"}), [],
                                   {"t": 1}, -(2**20000)], ids=lambda v: type(v).__name__)
def test_roundtrip_keeps_value_and_exact_type(value):
    back = decode(encode(value))
    assert back == value and type(back) is type(value)


def test_nan_roundtrips():
    assert math.isnan(decode(encode(float("nan"))))


@pytest.mark.parametrize("value", [type("I", (int,), {})(3),
                                   type("S", (str,), {})("x"), type("L", (list,), {})(), object(), print,
                                   [1, type("F", (float,), {})(1.0)]])
def test_subclasses_and_objects_are_rejected(value):
    with pytest.raises(CodecError):
        encode(value)


@pytest.mark.parametrize("data", [b"{", b'{"x": 1}', b'{"t": 1}', b'{"s": [[1]]}', b'{"d": [[1]]}', b"\xff",
                                  b'{"c": ["a", 1]}', b"[" * 100000])
def test_forged_bytes_raise_codec_error(data):
    with pytest.raises(CodecError):
        decode(data)
