"""Initializers, as in `mindspore.common.initializer`: how a Parameter gets its first value.

`initializer(init, shape, dtype)` accepts an Initializer object, a name ('zeros', 'ones', 'normal',
'uniform', 'he_uniform', 'he_normal', 'xavier_uniform', 'xavier_normal', 'truncated_normal'), a number,
an ndarray or a Tensor (whose shape must match).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import dtype as mstype
from ..tensor import Tensor
from .seed import numpy_generator


def _fans(shape: tuple) -> tuple[int, int]:
    """fan_in, fan_out of a weight: (out, in) for Dense, (out, in, kh, kw) for Conv2d."""
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a weight with at least 2 dimensions, got shape {shape}")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _gain(nonlinearity: str, param: float | None = None) -> float:
    if nonlinearity in ("linear", "sigmoid", "conv2d", "conv1d", "conv3d"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(f"unknown nonlinearity {nonlinearity!r}")


class Initializer:
    """Base class: `init(shape, np_dtype)` returns an ndarray."""

    def __call__(self, shape: tuple, np_dtype: np.dtype) -> np.ndarray:
        return self.sample(tuple(shape)).astype(np_dtype)

    def sample(self, shape: tuple) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


class Zero(Initializer):
    def sample(self, shape: tuple) -> np.ndarray:
        return np.zeros(shape)


class One(Initializer):
    def sample(self, shape: tuple) -> np.ndarray:
        return np.ones(shape)


class Constant(Initializer):
    def __init__(self, value: float) -> None:
        self.value = value

    def sample(self, shape: tuple) -> np.ndarray:
        return np.full(shape, self.value, dtype=float)


class Normal(Initializer):
    """N(mean, sigma^2); MindSpore's default sigma is 0.01."""

    def __init__(self, sigma: float = 0.01, mean: float = 0.0) -> None:
        self.sigma, self.mean = sigma, mean

    def sample(self, shape: tuple) -> np.ndarray:
        return numpy_generator().normal(self.mean, self.sigma, shape)


class TruncatedNormal(Initializer):
    """N(0, sigma^2) redrawn outside two sigmas."""

    def __init__(self, sigma: float = 0.01) -> None:
        self.sigma = sigma

    def sample(self, shape: tuple) -> np.ndarray:
        values = numpy_generator().normal(0, 1, shape)
        outside = np.abs(values) > 2
        while outside.any():
            values[outside] = numpy_generator().normal(0, 1, outside.sum())
            outside = np.abs(values) > 2
        return values * self.sigma


class Uniform(Initializer):
    """U(-scale, scale); MindSpore's default scale is 0.07."""

    def __init__(self, scale: float = 0.07) -> None:
        self.scale = scale

    def sample(self, shape: tuple) -> np.ndarray:
        return numpy_generator().uniform(-self.scale, self.scale, shape)


class HeUniform(Initializer):
    """U(-b, b) with b = gain * sqrt(3 / fan). Dense and Conv2d use HeUniform(math.sqrt(5))."""

    def __init__(self, negative_slope: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> None:
        self.negative_slope, self.mode, self.nonlinearity = negative_slope, mode, nonlinearity

    def sample(self, shape: tuple) -> np.ndarray:
        fan_in, fan_out = _fans(shape)
        fan = fan_in if self.mode == "fan_in" else fan_out
        bound = _gain(self.nonlinearity, self.negative_slope) * math.sqrt(3.0 / fan)
        return numpy_generator().uniform(-bound, bound, shape)


class HeNormal(Initializer):
    """N(0, std^2) with std = gain / sqrt(fan)."""

    def __init__(self, negative_slope: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> None:
        self.negative_slope, self.mode, self.nonlinearity = negative_slope, mode, nonlinearity

    def sample(self, shape: tuple) -> np.ndarray:
        fan_in, fan_out = _fans(shape)
        fan = fan_in if self.mode == "fan_in" else fan_out
        return numpy_generator().normal(0, _gain(self.nonlinearity, self.negative_slope) / math.sqrt(fan), shape)


class XavierUniform(Initializer):
    """U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out))."""

    def __init__(self, gain: float = 1) -> None:
        self.gain = gain

    def sample(self, shape: tuple) -> np.ndarray:
        fan_in, fan_out = _fans(shape)
        bound = self.gain * math.sqrt(6.0 / (fan_in + fan_out))
        return numpy_generator().uniform(-bound, bound, shape)


class XavierNormal(Initializer):
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""

    def __init__(self, gain: float = 1) -> None:
        self.gain = gain

    def sample(self, shape: tuple) -> np.ndarray:
        fan_in, fan_out = _fans(shape)
        return numpy_generator().normal(0, self.gain * math.sqrt(2.0 / (fan_in + fan_out)), shape)


_BY_NAME = {
    "zeros": Zero, "zero": Zero, "ones": One, "one": One, "normal": Normal, "uniform": Uniform,
    "truncatednormal": TruncatedNormal, "truncated_normal": TruncatedNormal,
    "he_uniform": HeUniform, "heuniform": HeUniform, "he_normal": HeNormal, "henormal": HeNormal,
    "xavier_uniform": XavierUniform, "xavieruniform": XavierUniform,
    "xavier_normal": XavierNormal, "xaviernormal": XavierNormal,
}


def initializer(init: Any, shape: Any, dtype: Any = mstype.float32) -> Tensor:
    """A new Tensor of `shape` filled by `init` (see the module docstring for the accepted forms)."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    np_dtype = mstype.to_numpy_dtype(dtype)
    if isinstance(init, (Tensor, np.ndarray)):
        values = init._data if isinstance(init, Tensor) else init
        if values.shape != shape:
            raise ValueError(f"initializer: the given init value has shape {values.shape}, "
                             f"but the parameter needs shape {shape}")
        return Tensor._wrap(np.array(values, dtype=np_dtype, copy=True))
    if isinstance(init, str):
        try:
            init = _BY_NAME[init.lower()]()
        except KeyError:
            raise ValueError(f"initializer: unknown name {init!r}; known: {sorted(set(_BY_NAME))}") from None
    elif isinstance(init, (int, float)) and not isinstance(init, bool):
        init = Constant(init)
    elif isinstance(init, type) and issubclass(init, Initializer):
        init = init()
    if not isinstance(init, Initializer):
        raise TypeError(f"initializer: cannot initialize from {type(init).__name__} {init!r}")
    return Tensor._wrap(init(shape, np_dtype))
