"""`nn.MaxPool2d` and `nn.AvgPool2d`: shrink NCHW feature maps window by window (MindSpore 2.x).

MindSpore's defaults differ from PyTorch's: kernel_size=1 and **stride=1** (not kernel_size), and
pad_mode='valid'. pad_mode is case-insensitive here and shown upper-case in the repr.
The arithmetic lives in `ops.nn_ops.max_pool` / `avg_pool`; these Cells turn pad_mode into padding.
"""

from __future__ import annotations

from typing import Any

from ..ops import nn_ops
from ..tensor import Tensor
from .cell import Cell

__all__ = ["MaxPool2d", "AvgPool2d"]


def _kernel_arg(value: Any, name: str, op: str) -> Any:
    """Check an int-or-tuple argument; a 1-tuple means its element (MindSpore stores it that way)."""
    nn_ops.pair(value, name, op)
    return value[0] if isinstance(value, tuple) and len(value) == 1 else value


class _Pool2d(Cell):
    """What both pools share: kernel_size, stride, pad_mode, and input of shape (N, C, H, W) or (C, H, W)."""

    def __init__(self, kernel_size: Any, stride: Any, pad_mode: str, padding: Any, data_format: str) -> None:
        super().__init__()
        name = type(self).__name__
        if not isinstance(pad_mode, str) or pad_mode.upper() not in ("VALID", "SAME", "PAD"):
            raise ValueError(f"{name}: pad_mode must be 'valid', 'same' or 'pad', got {pad_mode!r}")
        if data_format != "NCHW":
            raise ValueError(f"{name}: only data_format='NCHW' is supported, got {data_format!r}")
        self.kernel_size = _kernel_arg(kernel_size, "kernel_size", name)
        self.stride = _kernel_arg(stride, "stride", name)
        self.pad_mode, self.padding, self.format = pad_mode.upper(), padding, data_format
        self._kernel = nn_ops.pair(kernel_size, "kernel_size", name)
        self._stride = nn_ops.pair(stride, "stride", name)
        if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2):
            raise ValueError(f"{name}: padding must be an int or a pair (height, width), got {padding!r}")
        pads = nn_ops.resolve_padding(name, "pad", padding, (1, 1), (1, 1), (1, 1))  # checks values >= 0
        if self.pad_mode != "PAD" and any(pads):
            raise ValueError(f"{name}: padding must be 0 when pad_mode is {pad_mode!r} (got padding={padding!r}); "
                             f"use pad_mode='pad'")

    def _pads(self, x: Tensor, dilation: tuple[int, int] = (1, 1)) -> nn_ops.Pads:
        """(top, bottom, left, right) for this input: 'same' depends on the input's size."""
        if x.ndim not in (3, 4):
            raise ValueError(f"{type(self).__name__}: input must be 4-D (N, C, H, W) or 3-D (C, H, W), "
                             f"got shape {x.shape}")
        return nn_ops.resolve_padding(type(self).__name__, self.pad_mode, self.padding if self.pad_mode == "PAD" else 0,
                                      x.shape[-2:], self._kernel, self._stride, dilation)

    def extend_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, pad_mode={self.pad_mode}"


class MaxPool2d(_Pool2d):
    """Max pooling: (N, C, H, W) -> (N, C, Ho, Wo), the largest value of each window.

    pad_mode 'valid' (no padding), 'same' (output ceil(H / stride), extra padding at the bottom/right)
    or 'pad' (padding int or (ph, pw), at most half the kernel; dilation, ceil_mode and
    return_indices only here).
    Padding never wins the max. The gradient of each window flows to its maximum.
    """

    def __init__(self, kernel_size: Any = 1, stride: Any = 1, pad_mode: str = "valid", padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False, ceil_mode: bool = False,
                 data_format: str = "NCHW") -> None:
        super().__init__(kernel_size, stride, pad_mode, padding, data_format)
        if self.pad_mode != "PAD" and (dilation != 1 or return_indices or ceil_mode):
            raise ValueError(f"MaxPool2d: dilation, return_indices and ceil_mode can only be set with "
                             f"pad_mode='pad', got pad_mode={pad_mode!r}")
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode
        self._dilation = nn_ops.pair(dilation, "dilation", "MaxPool2d")

    def construct(self, x: Tensor) -> Any:
        pads = self._pads(x, self._dilation)
        out = nn_ops.pool2d("MaxPool2d", nn_ops.max_pool, x, self._kernel, self._stride, pads, self._dilation,
                            self.ceil_mode, self._dilation)
        if self.return_indices:  # (values, int64 index of each maximum in the flattened H x W plane)
            return nn_ops.with_indices(x, out, self._kernel, self._stride, pads, self._dilation)
        return out


class AvgPool2d(_Pool2d):
    """Average pooling: (N, C, H, W) -> (N, C, Ho, Wo), the mean of each window.

    pad_mode 'valid', 'same' (the mean counts only real pixels) or 'pad' (zeros counted when
    count_include_pad=True); divisor_override replaces the count; ceil_mode only with 'pad'.
    """

    def __init__(self, kernel_size: Any = 1, stride: Any = 1, pad_mode: str = "valid", padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: int | None = None,
                 data_format: str = "NCHW") -> None:
        super().__init__(kernel_size, stride, pad_mode, padding, data_format)
        if divisor_override is not None and divisor_override <= 0:
            raise ValueError(f"AvgPool2d: divisor_override must be > 0, got {divisor_override}")
        if ceil_mode and self.pad_mode != "PAD":
            raise ValueError(f"AvgPool2d: ceil_mode can only be set with pad_mode='pad', got pad_mode={pad_mode!r}")
        self.ceil_mode, self.count_include_pad, self.divisor_override = ceil_mode, count_include_pad, divisor_override

    def construct(self, x: Tensor) -> Tensor:
        pads = self._pads(x)
        if self.divisor_override:
            divisor: Any = self.divisor_override
        else:
            divisor = "padded" if self.pad_mode == "PAD" and self.count_include_pad else "valid"
        return nn_ops.pool2d("AvgPool2d", nn_ops.avg_pool, x, self._kernel, self._stride, pads, divisor,
                            self.ceil_mode)
