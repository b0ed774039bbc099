"""Short descriptions of values for feedback: dtype, shape and a few numbers, never a wall of numbers."""

from __future__ import annotations

from typing import Any

import numpy as np

_MAX_ITEMS = 6  # numbers shown per array; the rest become "..."
_MAX_REPR = 160  # characters of any other value (long enough for a list of parameter names)


def _numbers(array: np.ndarray) -> str:
    """A few numbers of `array`, in its own nesting, rounded: `[[ 1.2  0.3 ...] ...]`."""
    edge = 3 if array.ndim <= 1 else 1
    with np.printoptions(precision=4, threshold=_MAX_ITEMS, edgeitems=edge, linewidth=70, suppress=True):
        text = np.array2string(array, separator=" ")
    text = " ".join(text.split())  # one line
    return text if len(text) <= 80 else text[:77] + "..."


def describe(value: Any) -> str:
    """`float32 (4, 3) [[0.1 ...]]` for an array; `Tensor float32 (2,) [1. 2.]`; repr for the rest.

    Tuples and lists are described item by item; long reprs are cut at _MAX_REPR characters.
    """
    from .core import Raised, _is_tensor  # core imports this module

    if isinstance(value, Raised):
        return str(value)
    if _is_tensor(value):
        return f"Tensor {describe(value.asnumpy())}"
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if isinstance(value, np.generic):
            return f"{array.dtype} scalar {_numbers(array)}"
        return f"{array.dtype} {tuple(array.shape)} {_numbers(array)}"
    if isinstance(value, tuple) and value and any(isinstance(v, (np.ndarray, np.generic)) or _is_tensor(v)
                                                    for v in value):
        return "(" + ", ".join(describe(v) for v in value) + ")"
    if isinstance(value, list) and value and any(_is_tensor(v) or isinstance(v, np.ndarray) for v in value):
        return "[" + ", ".join(describe(v) for v in value) + "]"
    if isinstance(value, type):
        return f"class {value.__name__}"
    text = repr(value)
    return text if len(text) <= _MAX_REPR else text[:_MAX_REPR - 3] + "..."
