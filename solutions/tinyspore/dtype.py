"""MindSpore's dtypes (`tinyspore.float32`, ...), each a thin name over a NumPy dtype."""

from __future__ import annotations

import numpy as np


class Type:
    """A tensor element type, printed the way MindSpore prints it (`Float32`)."""

    __slots__ = ("name", "np_dtype")

    def __init__(self, name: str, np_dtype: type) -> None:
        self.name = name
        self.np_dtype = np.dtype(np_dtype)

    def __repr__(self) -> str:
        return f"tinyspore.{self.np_dtype.name if self.np_dtype != np.bool_ else 'bool_'}"

    def __str__(self) -> str:
        return self.name

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Type):
            return self.np_dtype == other.np_dtype
        try:
            return self.np_dtype == np.dtype(other)
        except TypeError:
            return False

    def __hash__(self) -> int:
        return hash(self.np_dtype)

    @property
    def is_floating(self) -> bool:
        return self.np_dtype.kind == "f"


float16 = Type("Float16", np.float16)
float32 = Type("Float32", np.float32)
float64 = Type("Float64", np.float64)
int8 = Type("Int8", np.int8)
int16 = Type("Int16", np.int16)
int32 = Type("Int32", np.int32)
int64 = Type("Int64", np.int64)
uint8 = Type("UInt8", np.uint8)
uint16 = Type("UInt16", np.uint16)
uint32 = Type("UInt32", np.uint32)
uint64 = Type("UInt64", np.uint64)
bool_ = Type("Bool", np.bool_)

# MindSpore's short aliases.
half, single, double = float16, float32, float64
int_ = int32
float_ = float32

_BY_NUMPY = {t.np_dtype: t for t in (float16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32,
                                     uint64, bool_)}


def to_numpy_dtype(dtype: object) -> np.dtype:
    """`tinyspore.float32`, `np.float32`, `'float32'` -> `np.dtype('float32')`."""
    if isinstance(dtype, Type):
        return dtype.np_dtype
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}; use tinyspore.float32, int32, ...") from None


def from_numpy_dtype(np_dtype: np.dtype) -> Type:
    """`np.dtype('float32')` -> `tinyspore.float32`."""
    try:
        return _BY_NUMPY[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(f"dtype {np_dtype} has no tinyspore equivalent") from None
