"""`tinyspore.dataset.transforms`: general operations for `Dataset.map` (MindSpore's names).

    label_ops = transforms.TypeCast(tinyspore.int32)
    ds = ds.map(label_ops, input_columns="label")

Each operation is a callable on one ndarray that returns an ndarray.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import dtype as mstype

__all__ = ["TypeCast", "Compose", "OneHot"]


class TypeCast:
    """Cast to `data_type` (a TinySpore dtype such as `tinyspore.int32`, or a NumPy dtype)."""

    def __init__(self, data_type: Any) -> None:
        self.data_type = mstype.to_numpy_dtype(data_type)

    def __call__(self, array: Any) -> np.ndarray:
        return np.asarray(array).astype(self.data_type)


class Compose:
    """Several operations applied in order, as one."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = list(transforms)
        for op in self.transforms:
            if not callable(op):
                raise TypeError(f"Compose: {op!r} is not callable")

    def __call__(self, *arrays: Any) -> Any:
        for op in self.transforms:
            out = op(*arrays)
            arrays = tuple(out) if isinstance(out, tuple) else (out,)
        return arrays[0] if len(arrays) == 1 else arrays


class OneHot:
    """A class index -> a one-hot vector of length `num_classes` (int64, as MindSpore)."""

    def __init__(self, num_classes: int, smoothing_rate: float = 0.0) -> None:
        self.num_classes = num_classes
        self.smoothing_rate = smoothing_rate

    def __call__(self, label: Any) -> np.ndarray:
        label = np.asarray(label)
        if label.size and (label.min() < 0 or label.max() >= self.num_classes):
            raise ValueError(f"OneHot: labels must be in [0, {self.num_classes}), got {label.min()}..{label.max()}")
        out = np.eye(self.num_classes, dtype=np.int64)[label]
        if self.smoothing_rate:
            out = out * (1 - self.smoothing_rate) + self.smoothing_rate / self.num_classes
        return out
