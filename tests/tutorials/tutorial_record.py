"""`record(name, value)`: the one line a tutorial script adds, to write down a number for comparison.

The scripts are MindSpore's beginner tutorials as a reader types them; `record` notes the values the
tutorial prints (tensors, losses, shapes, dtypes) in a form both engines can compare: a Tensor becomes
its shape, dtype name and values. `run.py` saves the notes as JSON.
"""

from __future__ import annotations

from typing import Any

import numpy as np

RECORDS: dict[str, Any] = {}


def plain(value: Any) -> Any:
    """A JSON-able description of `value`: Tensors and arrays as {shape, dtype, values}."""
    if hasattr(value, "asnumpy") and hasattr(value, "dtype"):  # a Tensor of either engine
        array = value.asnumpy()
        return {"tensor": True, "shape": list(array.shape), "dtype": str(value.dtype), "values": array.tolist()}
    if isinstance(value, np.ndarray):
        return {"ndarray": True, "shape": list(value.shape), "dtype": str(value.dtype), "values": value.tolist()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def record(name: str, value: Any) -> None:
    if name in RECORDS:
        raise ValueError(f"record: {name!r} recorded twice")
    RECORDS[name] = plain(value)
