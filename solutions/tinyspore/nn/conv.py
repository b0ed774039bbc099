"""`nn.Conv2d`: a learned bank of filters slid over NCHW images (MindSpore 2.x defaults).

The arithmetic lives in `ops.nn_ops.convolution` (im2col + one matrix product); this Cell owns the
`weight` (out_channels, in_channels / group, kh, kw) and optional `bias` (out_channels,), checks its
arguments once at construction, and checks each input's channels when called.
"""

from __future__ import annotations

import math
from typing import Any

from .. import dtype as mstype
from ..common.initializer import HeUniform, Uniform, initializer
from ..ops import nn_ops
from ..tensor import Parameter, Tensor
from .cell import Cell

__all__ = ["Conv2d"]


class Conv2d(Cell):
    """2-D convolution: input (N, in_channels, H, W) -> (N, out_channels, Ho, Wo).

    Args:
        in_channels, out_channels: channel counts; both divisible by `group`.
        kernel_size, stride, dilation: an int or a pair (height, width).
        pad_mode: 'same' (default: output ceil(H / stride); an odd total padding puts the extra
            row/column at the bottom/right), 'valid' (no padding) or 'pad' (use `padding`).
        padding: with pad_mode='pad', an int or (top, bottom, left, right); otherwise 0.
        group: split channels into `group` independent convolutions (weight (out, in / group, kh, kw)).
        has_bias: False by default, as in MindSpore.
        weight_init: default HeUniform(math.sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
            fan_in = in_channels / group * kh * kw; bias_init: default U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 pad_mode: str = "same", padding: Any = 0, dilation: Any = 1, group: int = 1,
                 has_bias: bool = False, weight_init: Any = None, bias_init: Any = None,
                 data_format: str = "NCHW", dtype: Any = mstype.float32) -> None:
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels), ("group", group)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Conv2d: {name} must be a positive int, got {value!r}")
        if in_channels % group or out_channels % group:
            raise ValueError(f"Conv2d: group={group} must divide both in_channels={in_channels} and "
                             f"out_channels={out_channels}")
        if pad_mode not in ("same", "valid", "pad"):  # case-sensitive, as in MindSpore
            raise ValueError(f"Conv2d: pad_mode must be 'same', 'valid' or 'pad', got {pad_mode!r}")
        if data_format != "NCHW":
            raise ValueError(f"Conv2d: only data_format='NCHW' is supported, got {data_format!r}")
        self.in_channels, self.out_channels, self.group = in_channels, out_channels, group
        self.kernel_size = nn_ops.pair(kernel_size, "kernel_size", "Conv2d")
        self.stride = nn_ops.pair(stride, "stride", "Conv2d")
        self.dilation = nn_ops.pair(dilation, "dilation", "Conv2d")
        self.pad_mode, self.padding, self.data_format = pad_mode, padding, data_format
        if isinstance(padding, (tuple, list)) and len(padding) != 4:
            raise ValueError(f"Conv2d: padding must be an int or a 4-tuple (top, bottom, left, right), "
                             f"got {padding!r}")
        # Checks 'padding' now (non-negative; zero unless pad_mode='pad'); the sizes are placeholders.
        nn_ops.resolve_padding("Conv2d", pad_mode, padding, (1, 1), (1, 1), (1, 1))
        self.has_bias = has_bias

        shape = (out_channels, in_channels // group, *self.kernel_size)
        fan_in = shape[1] * shape[2] * shape[3]
        self.weight_init = HeUniform(negative_slope=math.sqrt(5)) if weight_init is None else weight_init
        self.bias_init = bias_init
        self.weight = Parameter(initializer(self.weight_init, shape, dtype), name="weight")
        if has_bias:
            init = Uniform(scale=1 / math.sqrt(fan_in)) if bias_init is None else bias_init
            self.bias = Parameter(initializer(init, (out_channels,), dtype), name="bias")
        else:
            self.bias = None

    def construct(self, x: Tensor) -> Tensor:
        if x.ndim != 4:
            raise ValueError(f"Conv2d: input must be 4-D (N, C, H, W), got shape {x.shape}")
        if x.shape[1] != self.in_channels:
            raise ValueError(f"Conv2d: input has {x.shape[1]} channels (shape {x.shape}) but "
                             f"in_channels={self.in_channels}")
        return nn_ops.conv2d(x, self.weight, self.bias, self.stride, self.pad_mode, self.padding,
                             self.dilation, self.group)

    def extend_repr(self) -> str:
        return (f"input_channels={self.in_channels}, output_channels={self.out_channels}, "
                f"kernel_size={self.kernel_size}, stride={self.stride}, pad_mode={self.pad_mode}, "
                f"padding={self.padding}, dilation={self.dilation}, group={self.group}, "
                f"has_bias={self.has_bias}, weight_init={self.weight_init}, bias_init={self.bias_init}, "
                f"format={self.data_format}")
