"""The safe codec: how a learner's outcome travels from the worker to the trusted grader as plain data.

A message is a JSON header plus raw array bytes; nothing is ever unpickled or evaluated on the trusted
side. What can travel: None, bool, int, float, complex, str, tuple, list, dict, NumPy arrays and scalars of
numeric or bool dtype, tinyspore Tensors and Parameters (as their array), an error (type name, the names of
its classes, message, the learner's line), and for anything else its type name and a short repr.

Decoding builds genuine, trusted objects: ndarray, `tinyspore.Tensor`, `Raised(error)` where `error` is an
instance of a class made here (named like the learner's, a subclass of the built-in exception it derives
from), and `Opaque` for other objects (equal to nothing but itself). So a comparison on the trusted side
never runs learner code, and a class that only *calls itself* Tensor is not one.

Wire format (`write`/`read`): 4-byte length of the header, the header (UTF-8 JSON:
{"value": <tree>, "sizes": [bytes of each buffer]}), then the buffers.
"""

from __future__ import annotations

import builtins
import json
import math
import socket
import struct
from typing import Any

import numpy as np

MAX_HEADER = 4 << 20  # bytes of JSON
MAX_BUFFERS = 256 << 20  # bytes of array data in one message
MAX_DEPTH = 40
MAX_ITEMS = 200_000  # nodes in one message
MAX_TEXT = 1 << 20  # characters of one string
REPR_CHARS = 300
_ARRAY_KINDS = "biufc"  # bool, int, uint, float, complex: no objects, strings, or void records


class CodecError(ValueError):
    """A message from the worker is malformed or too big: the grader treats it as a wrong outcome."""


# ----- encoding (runs in the worker, and on the trusted side to normalize expected outcomes) -------------
class Encoder:
    """value -> (tree, buffers). Only exact types are recognized (no isinstance on learner objects)."""

    def __init__(self, tensor_types: tuple = (), raised_type: Any = None, where: Any = None) -> None:
        self.tensor_types = tensor_types  # (Tensor, Parameter) classes taken before any learner code ran
        self.raised_type = raised_type  # core.Raised: an outcome "the call raised this"
        self.where = where  # error -> core.error_facts(error): the learner's line and how to read the error
        self.buffers: list[bytes] = []
        self.count = 0

    def encode(self, value: Any, depth: int = 0) -> Any:
        self.count += 1
        if depth > MAX_DEPTH or self.count > MAX_ITEMS:
            raise CodecError("the value is nested too deeply or holds too many items")
        kind = type(value)
        if value is None or kind is bool or kind is str:
            if kind is str and len(value) > MAX_TEXT:
                return {"t": "str", "v": value[:MAX_TEXT]}
            return value
        if kind is int:
            return {"t": "int", "v": str(value)} if abs(value) > 2**53 else value
        if kind is float:
            return {"t": "float", "v": float.hex(value)}
        if kind is complex:
            return {"t": "complex", "v": [float.hex(value.real), float.hex(value.imag)]}
        if kind is tuple or kind is list:
            return {"t": kind.__name__, "v": [self.encode(v, depth + 1) for v in value]}
        if kind is dict:
            return {"t": "dict",
                    "v": [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in value.items()]}
        if kind is np.ndarray:
            return self._array(value)
        if kind is bytes:
            self.buffers.append(value)
            return {"t": "bytes", "buf": len(self.buffers) - 1}
        if self.raised_type is not None and kind is self.raised_type:
            return self.error(object.__getattribute__(value, "error"))
        if isinstance(value, np.generic) and kind.__module__ == "numpy":
            return {"t": "scalar", "v": self._array(np.asarray(value))}
        if kind in self.tensor_types:
            data = object.__getattribute__(value, "_data")
            out = {"t": "tensor", "v": self.encode(data, depth + 1), "class": kind.__name__}
            if kind.__name__ == "Parameter":
                out["name"] = self._text(lambda: object.__getattribute__(value, "name"))
                out["requires_grad"] = self._text(lambda: object.__getattribute__(value, "requires_grad")) == "True"
            return out
        if isinstance(value, type):
            return {"t": "class", "name": self._text(lambda: value.__name__)}
        from ..exercises import OUTCOME_CLASSES

        key = f"{kind.__module__}:{kind.__qualname__}"
        if OUTCOME_CLASSES.get(key) is kind:
            return {"t": "outcome", "class": key, "state": self.encode(dict(object.__getattribute__(value, "__dict__")),
                                                                        depth + 1)}
        return {"t": "object", "type": self._text(lambda: kind.__name__), "repr": self._text(lambda: repr(value))}

    def _array(self, array: np.ndarray) -> dict:
        if type(array) is not np.ndarray or array.dtype.kind not in _ARRAY_KINDS or array.dtype.fields:
            return {"t": "object", "type": "ndarray", "repr": f"array of dtype {array.dtype}"}
        data = np.ascontiguousarray(array).tobytes()
        self.buffers.append(data)
        return {"t": "array", "dtype": array.dtype.str, "shape": list(array.shape), "buf": len(self.buffers) - 1}

    @staticmethod
    def _text(make: Any) -> str:
        try:
            text = make()
            text = text if type(text) is str else str(text)
        except BaseException as error:  # noqa: BLE001 - a hostile __repr__ is only a worse description
            text = f"<unprintable: {type(error).__name__}>"
        return text if len(text) <= REPR_CHARS else text[:REPR_CHARS - 3] + "..."

    def error(self, error: BaseException) -> dict:
        kind = type(error)
        facts: dict = {}
        if self.where is not None:
            try:
                facts = self.where(error)
            except Exception:  # noqa: BLE001 - a hostile error only loses its line in the feedback
                facts = {}
        where = facts.get("where") if isinstance(facts, dict) else ""
        argument = facts.get("argument") if isinstance(facts, dict) else None
        return {"t": "raised", "type": self._text(lambda: kind.__name__), "module": self._text(lambda: kind.__module__),
                "mro": [self._text(lambda c=c: c.__name__) for c in kind.__mro__][:20],
                "message": self._text(lambda: str(error)), "where": where if type(where) is str else "",
                "deliberate": facts.get("deliberate") is True, "about_return": facts.get("about_return") is True,
                "argument": argument if type(argument) is str else None}


def dumps(tree: Any, buffers: list[bytes]) -> bytes:
    header = json.dumps({"value": tree, "sizes": [len(b) for b in buffers]}, allow_nan=False).encode()
    return struct.pack("!I", len(header)) + header + b"".join(buffers)


# ----- decoding (trusted side) ---------------------------------------------------------------------------
class Opaque:
    """An object the codec does not carry: its type name and repr, equal to nothing else."""

    def __init__(self, type_name: str, text: str) -> None:
        self.type_name, self.text = type_name, text

    def __repr__(self) -> str:
        return self.text if self.text.startswith("<") else f"<{self.type_name}: {self.text}>"


class WorkerClass:
    """A class the learner's code returned (not an instance): shown by name, equal to nothing else."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<class {self.name} (from the answer)>"


_ERROR_CLASSES: dict[tuple, type] = {}


def error_class(name: str, mro: list[str]) -> type:
    """A trusted exception class named `name`, subclass of the first built-in exception among `mro`."""
    base = next((getattr(builtins, n) for n in mro if isinstance(getattr(builtins, n, None), type)
                 and issubclass(getattr(builtins, n), BaseException)), Exception)
    key = (name, base)
    if key not in _ERROR_CLASSES:
        if getattr(builtins, name, None) is base:
            _ERROR_CLASSES[key] = base
        else:
            _ERROR_CLASSES[key] = type(name, (base,), {"__module__": "learner"})
    return _ERROR_CLASSES[key]


def _library_error(module: str, name: str) -> type | None:
    """The exception class `module.name` if it belongs to the engine or the check library and is already
    imported here (never imported on a worker's say-so)."""
    import sys

    if not (module == "tinyspore" or module.startswith(("tinyspore.", "tinyspore_grader."))):
        return None
    cls = getattr(sys.modules.get(module), name, None)
    return cls if isinstance(cls, type) and issubclass(cls, BaseException) else None


class Decoder:
    def __init__(self, buffers: list[memoryview]) -> None:
        self.buffers = buffers
        self.count = 0

    def decode(self, node: Any, depth: int = 0) -> Any:
        self.count += 1
        if depth > MAX_DEPTH or self.count > MAX_ITEMS:
            raise CodecError("the value is nested too deeply or holds too many items")
        if node is None or type(node) in (bool, str):
            return node
        if type(node) is int:
            return node
        if type(node) is not dict or type(node.get("t")) is not str:
            raise CodecError(f"unexpected node {type(node).__name__}")
        t = node["t"]
        if t == "str":
            return str(node["v"])
        if t == "int":
            return int(_text(node["v"], 5000))
        if t == "float":
            return float.fromhex(_text(node["v"], 64))
        if t == "complex":
            real, imag = node["v"]
            return complex(float.fromhex(_text(real, 64)), float.fromhex(_text(imag, 64)))
        if t in ("tuple", "list"):
            items = [self.decode(v, depth + 1) for v in _list(node["v"])]
            return tuple(items) if t == "tuple" else items
        if t == "dict":
            out = {}
            for pair in _list(node["v"]):
                key, value = _list(pair)
                key = self.decode(key, depth + 1)
                if not isinstance(key, (str, int, float, bool, tuple, type(None))):
                    raise CodecError("a dict key that is not a plain value")
                out[key] = self.decode(value, depth + 1)
            return out
        if t == "array":
            return self._array(node)
        if t == "bytes":
            index = node["buf"]
            if type(index) is not int or not 0 <= index < len(self.buffers):
                raise CodecError("bytes without their buffer")
            return bytes(self.buffers[index])
        if t == "scalar":
            array = self._array(node["v"])
            if array.ndim != 0:
                raise CodecError("a scalar with a shape")
            return array[()]
        if t == "tensor":
            import tinyspore as ms

            array = self.decode(node["v"], depth + 1)
            if type(array) is not np.ndarray:
                raise CodecError("a Tensor without an array")
            if node.get("class") == "Parameter":
                return ms.Parameter(array, name=_text(node.get("name", "param"), 200),
                                    requires_grad=bool(node.get("requires_grad", True)))
            return ms.Tensor._wrap(array)
        if t == "class":
            return WorkerClass(_text(node["name"], REPR_CHARS))
        if t == "outcome":
            from ..exercises import OUTCOME_CLASSES

            cls = OUTCOME_CLASSES.get(_text(node["class"], 300))
            state = self.decode(node["state"], depth + 1)
            if cls is None or type(state) is not dict or not all(type(k) is str for k in state):
                raise CodecError("an outcome of an unknown class")
            obj = cls.__new__(cls)
            obj.__dict__.update(state)
            return obj
        if t == "object":
            return Opaque(_text(node["type"], REPR_CHARS), _text(node["repr"], REPR_CHARS))
        if t == "raised":
            from ..core import Raised

            name, message = _text(node["type"], 200), _text(node["message"], REPR_CHARS * 4)
            argument = node.get("argument")
            cls = _library_error(_text(node.get("module", ""), 200), name)
            if cls is not None:  # an error class of the checks or the engine keeps its class
                error = cls.__new__(cls)
                BaseException.__init__(error, message)
                if type(argument) is str:
                    error.argument = argument[:200]
            else:
                error = error_class(name, [_text(n, 200) for n in _list(node["mro"])[:20]])(message)
            error.learner_line = _text(node.get("where", ""), REPR_CHARS)
            error.deliberate = node.get("deliberate") is True
            error.about_return = node.get("about_return") is True
            return Raised(error)
        raise CodecError(f"unknown node type {t!r}")

    def _array(self, node: dict) -> np.ndarray:
        dtype = np.dtype(_text(node["dtype"], 16))
        if dtype.kind not in _ARRAY_KINDS or dtype.fields or dtype.hasobject:
            raise CodecError(f"array dtype {dtype} is not allowed")
        shape = tuple(int(s) for s in _list(node["shape"]))
        if len(shape) > 32 or any(s < 0 for s in shape):
            raise CodecError("a bad array shape")
        index = node["buf"]
        if type(index) is not int or not 0 <= index < len(self.buffers):
            raise CodecError("an array without its bytes")
        data = self.buffers[index]
        if len(data) != math.prod(shape) * dtype.itemsize:
            raise CodecError("array bytes do not match its shape")
        return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


def _text(value: Any, limit: int) -> str:
    if type(value) is not str or len(value) > limit:
        raise CodecError("a malformed text field")
    return value


def _list(value: Any) -> list:
    if type(value) is not list:
        raise CodecError("a malformed list")
    return value


def loads(header: bytes, payload: bytes) -> Any:
    """The value of one message (header JSON, payload = the concatenated buffers)."""
    try:
        meta = json.loads(header.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CodecError(f"the header is not JSON: {error}") from None
    if type(meta) is not dict:
        raise CodecError("the header is not an object")
    sizes = _list(meta.get("sizes"))
    if any(type(s) is not int or s < 0 for s in sizes) or sum(sizes) != len(payload):
        raise CodecError("buffer sizes do not add up")
    view, buffers, start = memoryview(payload), [], 0
    for size in sizes:
        buffers.append(view[start:start + size])
        start += size
    return Decoder(buffers).decode(meta.get("value"))


# ----- sockets --------------------------------------------------------------------------------------------
def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("the worker closed the connection")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read(sock: socket.socket) -> Any:
    """One message from the worker, decoded (blocking; the caller sets the socket's timeout)."""
    (size,) = struct.unpack("!I", _recv_exactly(sock, 4))
    if size > MAX_HEADER:
        raise CodecError(f"a header of {size} bytes is too big")
    header = _recv_exactly(sock, size)
    try:
        sizes = json.loads(header.decode("utf-8")).get("sizes", [])
        total = sum(int(s) for s in sizes)
    except Exception:  # noqa: BLE001 - malformed: loads() says why
        total = 0
    if total > MAX_BUFFERS:
        raise CodecError(f"{total} bytes of arrays are too many")
    return loads(header, _recv_exactly(sock, total))


def send(sock: socket.socket, value: Any, encoder: Encoder | None = None) -> None:
    encoder = encoder or Encoder()
    tree = encoder.encode(value)
    sock.sendall(dumps(tree, encoder.buffers))


def roundtrip(value: Any) -> Any:
    """`value` as the trusted side would receive it from a worker (used to normalize expected outcomes)."""
    from tinyspore.tensor import Parameter, Tensor

    from ..core import Raised, error_facts

    encoder = Encoder((Tensor, Parameter), Raised, error_facts)
    tree = encoder.encode(value)
    return Decoder([memoryview(b) for b in encoder.buffers]).decode(tree)
