"""The safe codec: plain data only, and nothing a worker sends is ever unpickled or trusted by its class name."""

from __future__ import annotations

import json
import pickle
import struct

import numpy as np
import pytest

import tinyspore as ms
from tinyspore_grader import Raised, same
from tinyspore_grader.grading import codec


def _wire(value, **kw):
    encoder = codec.Encoder((ms.Tensor, ms.Parameter), Raised)
    tree = encoder.encode(value)
    data = codec.dumps(tree, encoder.buffers)
    (size,) = struct.unpack("!I", data[:4])
    return codec.loads(data[4:4 + size], data[4 + size:])


def test_plain_values_round_trip():
    value = (1, 2.5, float("nan"), 3 + 4j, "text", None, True, [np.arange(6, dtype=np.int16).reshape(2, 3)],
             {"a": np.float32(1.5)}, ms.Tensor(np.ones((2, 2), np.float64)), 10**30)
    got = _wire(value)
    assert got[:2] == (1, 2.5) and np.isnan(got[2]) and got[3:7] == (3 + 4j, "text", None, True)
    assert got[7][0].dtype == np.int16 and got[7][0].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert type(got[8]["a"]) is np.float32 and isinstance(got[9], ms.Tensor) and got[9].asnumpy().dtype == np.float64
    assert got[10] == 10**30


def test_a_class_named_tensor_is_not_a_tensor_and_always_equal_is_equal_to_nothing():
    class Tensor:
        def asnumpy(self):
            return np.zeros(3)

        def __eq__(self, other):
            return True

    fake = _wire(Tensor())
    assert not isinstance(fake, ms.Tensor) and "Tensor" in repr(fake)
    assert not same(ms.Tensor(np.zeros(3)), fake) and fake != fake.__class__("x", "y")

    class Yes(np.ndarray):
        def __eq__(self, other):
            return True

    assert not same(np.ones(2), _wire(np.zeros(2).view(Yes)))


def test_errors_travel_by_type_name_message_and_builtin_base():
    class ShapeError(ValueError):
        pass

    got = _wire(Raised(ShapeError("bad shapes (2, 3) and (4,)")))
    assert isinstance(got, Raised) and isinstance(got.error, ValueError)
    assert type(got.error).__name__ == "ShapeError" and str(got.error) == "bad shapes (2, 3) and (4,)"


def test_the_decoder_never_unpickles_and_rejects_malformed_messages():
    payload = pickle.dumps(object())
    assert _wire(payload) == payload  # bytes stay bytes
    header = json.dumps({"value": {"t": "array", "dtype": "|O", "shape": [1], "buf": 0}, "sizes": [8]}).encode()
    with pytest.raises(codec.CodecError):
        codec.loads(header, b"\0" * 8)  # object arrays would unpickle: refused
    header = json.dumps({"value": {"t": "array", "dtype": "<f8", "shape": [100], "buf": 0}, "sizes": [8]}).encode()
    with pytest.raises(codec.CodecError):
        codec.loads(header, b"\0" * 8)
    header = json.dumps({"value": {"t": "python-object", "module": "os", "name": "system"}, "sizes": []}).encode()
    with pytest.raises(codec.CodecError):
        codec.loads(header, b"")
    with pytest.raises(codec.CodecError):
        codec.loads(b"not json", b"")
