"""`tinyspore.ops`: the functional API, spelled as in `mindspore.ops`.

Every function here is a primitive from `primitives.py` (forward and backward side by side) or a short
composition of them, so all of them are differentiable unless said otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import dtype as mstype
from ..autodiff import GradOperation, grad, value_and_grad
from ..tensor import Tensor
from . import nn_ops, primitives
from .nn_ops import *  # noqa: F403  (conv2d, max_pool2d, ...)
from .primitives import (
    abs,
    add,
    broadcast_to,
    clip,
    concat,
    cos,
    dense,
    div,
    exp,
    expand_dims,
    floor_div,
    floor_mod,
    log,
    log1p,
    matmul,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    relu,
    reshape,
    rsqrt,
    sigmoid,
    sin,
    softplus,
    sqrt,
    square,
    squeeze,
    stack,
    stop_gradient,
    sub,
    sum_to_shape,
    tanh,
    where,
)
from .primitives import (
    cast as _cast,
)
from .primitives import (
    log_softmax as _log_softmax,
)
from .primitives import (
    logsumexp as _logsumexp,
)
from .primitives import (
    softmax as _softmax,
)

__all__ = [
    "GradOperation", "grad", "value_and_grad", "primitives", "sum_to_shape",
    "abs", "add", "dense", "sub", "mul", "div", "neg", "pow", "square", "sqrt", "rsqrt", "exp", "log", "log1p",
    "sin", "cos", "tanh", "sigmoid", "relu", "softplus", "maximum", "minimum", "matmul", "clip", "clamp",
    "clip_by_value",
    "sum", "mean", "amax", "amin", "max", "min", "argmax", "argmin", "reshape", "transpose", "permute",
    "broadcast_to", "expand_dims", "unsqueeze", "squeeze", "flatten", "concat", "cat", "stack", "where",
    "softmax", "log_softmax", "logsumexp", "cast", "stop_gradient", "ones", "zeros", "ones_like",
    "zeros_like", "fill", "full", "assign", "arange", "linspace", "equal", "eye", "dropout", "one_hot", "tile",
    "floor_div", "floor_mod", "floor_divide", "remainder",
    "binary_cross_entropy_with_logits", "binary_cross_entropy", "cross_entropy", "nll_loss", "mse_loss", "l1_loss",
    "smooth_l1_loss",
    *nn_ops.__all__,
]

multiply, subtract, divide, negative, true_divide = mul, sub, div, neg, div
clamp = clip_by_value = clip
floor_divide, remainder = floor_div, floor_mod


def sum(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A001
    """Sum over `dim` (all axes when None)."""
    out = primitives.reduce_sum(input, dim, keepdim)
    return out if dtype is None else cast(out, dtype)


def mean(input: Any, axis: Any = None, keep_dims: bool = False) -> Tensor:
    """Mean over `axis` (all axes when None)."""
    return primitives.reduce_mean(input, axis, keep_dims)


def amax(input: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    return primitives.reduce_max(input, axis, keepdims)


def amin(input: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    return primitives.reduce_min(input, axis, keepdims)


def max(input: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """MindSpore 2.x: the maximum over all axes, or `(values, indices)` along one axis."""
    if axis is None:
        return primitives.reduce_max(input, None, keepdims)
    return primitives.reduce_max(input, axis, keepdims), argmax(input, axis, keepdims)


def min(input: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """MindSpore 2.x: the minimum over all axes, or `(values, indices)` along one axis."""
    if axis is None:
        return primitives.reduce_min(input, None, keepdims)
    return primitives.reduce_min(input, axis, keepdims), argmin(input, axis, keepdims)


def argmax(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Index of the largest value (int64, as in MindSpore; no gradient)."""
    data = input._data if isinstance(input, Tensor) else np.asarray(input)
    return Tensor._wrap(np.asarray(np.argmax(data, axis=dim, keepdims=keepdim), dtype=np.int64))


def argmin(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    data = input._data if isinstance(input, Tensor) else np.asarray(input)
    return Tensor._wrap(np.asarray(np.argmin(data, axis=dim, keepdims=keepdim), dtype=np.int64))


def transpose(input: Any, input_perm: Sequence[int]) -> Tensor:
    return primitives.transpose(input, tuple(input_perm))


def permute(input: Any, axis: Sequence[int]) -> Tensor:
    return primitives.transpose(input, tuple(axis))


def unsqueeze(input: Any, dim: int) -> Tensor:
    return expand_dims(input, dim)


def flatten(input: Any, order: str = "C", *, start_dim: int = 1, end_dim: int = -1) -> Tensor:
    return primitives.flatten(input, start_dim, end_dim)


def cat(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    return concat(tensors, axis)


def softmax(x: Any, axis: int = -1, *, dtype: Any = None) -> Tensor:
    out = _softmax(x, axis)
    return out if dtype is None else cast(out, dtype)


def log_softmax(logits: Any, axis: int = -1) -> Tensor:
    return _log_softmax(logits, axis)


def logsumexp(input: Any, axis: int = -1, keep_dims: bool = False) -> Tensor:
    return _logsumexp(input, axis, keep_dims)


def cast(input: Any, dtype: Any) -> Tensor:
    return _cast(input, mstype.to_numpy_dtype(dtype))


def equal(x: Any, y: Any) -> Tensor:
    return Tensor._wrap(np.asarray(np.equal(_data(x), _data(y))))


def ones(shape: Any, dtype: Any = None) -> Tensor:
    return Tensor._wrap(np.ones(_shape(shape), mstype.to_numpy_dtype(dtype or mstype.float32)))


def zeros(shape: Any, dtype: Any = None) -> Tensor:
    return Tensor._wrap(np.zeros(_shape(shape), mstype.to_numpy_dtype(dtype or mstype.float32)))


def ones_like(input: Any, *, dtype: Any = None) -> Tensor:
    data = _data(input)
    return Tensor._wrap(np.ones_like(data, dtype=None if dtype is None else mstype.to_numpy_dtype(dtype)))


def zeros_like(input: Any, *, dtype: Any = None) -> Tensor:
    data = _data(input)
    return Tensor._wrap(np.zeros_like(data, dtype=None if dtype is None else mstype.to_numpy_dtype(dtype)))


def fill(type: Any, shape: Any, value: Any) -> Tensor:  # noqa: A002 (MindSpore's name)
    return Tensor._wrap(np.full(_shape(shape), value, dtype=mstype.to_numpy_dtype(type)))


def full(size: Any, fill_value: Any, *, dtype: Any = None) -> Tensor:
    dtype = mstype.to_numpy_dtype(dtype) if dtype is not None else (
        np.float32 if isinstance(fill_value, float) else np.int64)
    return Tensor._wrap(np.full(_shape(size), fill_value, dtype=dtype))


def arange(start: Any = 0, end: Any = None, step: Any = 1, *, dtype: Any = None) -> Tensor:
    values = np.arange(start, end, step) if end is not None else np.arange(start)
    if dtype is not None:
        values = values.astype(mstype.to_numpy_dtype(dtype))
    elif values.dtype == np.float64:
        values = values.astype(np.float32)
    return Tensor._wrap(values)


def linspace(start: float, end: float, steps: int) -> Tensor:
    return Tensor._wrap(np.linspace(start, end, steps, dtype=np.float32))


def eye(n: int, m: int | None = None, dtype: Any = None) -> Tensor:
    return Tensor._wrap(np.eye(n, m, dtype=mstype.to_numpy_dtype(dtype or mstype.float32)))


def tile(input: Any, dims: Sequence[int]) -> Tensor:
    """Repeat the tensor `dims` times along each axis (as broadcast + reshape, so it is differentiable)."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    dims = tuple(dims)
    shape = (1,) * (len(dims) - x.ndim) + x.shape
    dims = (1,) * (len(shape) - len(dims)) + dims
    spread = reshape(x, tuple(v for s in shape for v in (1, s)))
    out_shape = tuple(v for s, d in zip(shape, dims) for v in (d, s))
    return reshape(broadcast_to(spread, out_shape), tuple(s * d for s, d in zip(shape, dims)))


def one_hot(indices: Any, depth: int, on_value: Any = 1.0, off_value: Any = 0.0, axis: int = -1) -> Tensor:
    """Integer labels (N,) -> (N, depth) rows with `on_value` at each label (no gradient)."""
    labels = _data(indices).astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= depth):
        raise ValueError(f"one_hot: labels must be in [0, {depth}), got min {labels.min()} and max {labels.max()}")
    out = np.where(np.arange(depth) == labels[..., None], _data(on_value), _data(off_value))
    out = out.astype(np.float32) if out.dtype == np.float64 else out
    return Tensor._wrap(np.moveaxis(out, -1, axis))


def dropout(input: Any, p: float = 0.5, training: bool = True, seed: Any = None) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p); identity when not training."""
    if not 0 <= p < 1:
        raise ValueError(f"dropout: p must be in [0, 1), got {p}")
    if not training or p == 0:
        return input
    from ..common.seed import numpy_generator

    data = _data(input)
    mask = (numpy_generator().random(data.shape) >= p).astype(data.dtype) / data.dtype.type(1 - p)
    return mul(input, mask)


def assign(variable: Any, value: Any) -> Any:
    """Write `value` into the Parameter `variable` (same shape) and return it; no gradient."""
    if not hasattr(variable, "set_data"):
        raise TypeError(f"assign: variable must be a Parameter, got {type(variable).__name__}")
    return variable.set_data(value)


# ----- functional losses: `ops.cross_entropy(logits, labels)` is `nn.CrossEntropyLoss()(logits, labels)` --------
# One definition of each loss, in `nn/loss.py`; these call it (imported here, not at the top: nn imports ops).
def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None, pos_weight: Any = None,  # noqa: A002
                                     reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of sigmoid(input) against `target`, computed stably from the logits."""
    from ..nn import loss

    return loss.BCEWithLogitsLoss(reduction, weight, pos_weight)(input, target)


def binary_cross_entropy(input: Any, target: Any, weight: Any = None, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Binary cross-entropy of probabilities `input` against `target`."""
    from ..nn import loss

    return loss.BCELoss(weight, reduction)(input, target)


def cross_entropy(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,  # noqa: A002
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits `input` against class indices or class probabilities `target`."""
    from ..nn import loss

    return loss.CrossEntropyLoss(weight, ignore_index, reduction, label_smoothing)(input, target)


def nll_loss(inputs: Any, target: Any, weight: Any = None, ignore_index: int = -100, reduction: str = "mean",
             label_smoothing: float = 0.0) -> Tensor:
    """Negative log-likelihood of log-probabilities `inputs` (N, C) at the int class indices `target`."""
    from ..nn import loss

    if label_smoothing:
        raise NotImplementedError("nll_loss: label_smoothing is not implemented; use cross_entropy on the logits")
    return loss.NLLLoss(weight, ignore_index, reduction)(inputs, target)


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    from ..nn import loss

    return loss.MSELoss(reduction)(input, target)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    from ..nn import loss

    return loss.L1Loss(reduction)(input, target)


def smooth_l1_loss(input: Any, target: Any, beta: float = 1.0, reduction: str = "none") -> Tensor:  # noqa: A002
    from ..nn import loss

    return loss.SmoothL1Loss(beta, reduction)(input, target)


def _data(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _shape(shape: Any) -> tuple:
    return (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)


# ----- MindSpore's primitive classes, still common in tutorials -----------------------------------
# `ops.Square()(x)`, `ops.ReduceMean(keep_dims=True)(x, 1)`: an instance configured once, then called.
# Each one is the functional op above; the classes only keep MindSpore's calling convention.
class _Primitive:
    """Base of the primitive classes: `Name(*config)` then `instance(*inputs)`."""

    def __repr__(self) -> str:
        return f"Prim[{type(self).__name__}]"


def _stateless(name: str, fn: Any) -> type:
    """A primitive class without settings: `ops.Add()(x, y)` is `ops.add(x, y)`."""
    return type(name, (_Primitive,), {"__call__": lambda self, *args: fn(*args),
                                      "__doc__": f"`ops.{name}()(...)`, the same as `ops.{fn.__name__}`."})


Add, Sub, Mul, Div, RealDiv, Neg = (_stateless(n, f) for n, f in
                                    [("Add", add), ("Sub", sub), ("Mul", mul), ("Div", div), ("RealDiv", div),
                                     ("Neg", neg)])
Square, Sqrt, Rsqrt, Exp, Log, Pow, Abs = (_stateless(n, f) for n, f in
                                          [("Square", square), ("Sqrt", sqrt), ("Rsqrt", rsqrt), ("Exp", exp),
                                           ("Log", log), ("Pow", pow), ("Abs", abs)])
ReLU, Sigmoid, Tanh, Maximum, Minimum = (_stateless(n, f) for n, f in
                                         [("ReLU", relu), ("Sigmoid", sigmoid), ("Tanh", tanh),
                                          ("Maximum", maximum), ("Minimum", minimum)])
OnesLike, ZerosLike, Select, Equal, ExpandDims, Fill = (_stateless(n, f) for n, f in
                                                        [("OnesLike", ones_like), ("ZerosLike", zeros_like),
                                                         ("Select", where), ("Equal", equal),
                                                         ("ExpandDims", expand_dims), ("Fill", fill)])
Ones, Zeros = _stateless("Ones", ones), _stateless("Zeros", zeros)


class Cast(_Primitive):
    """`ops.Cast()(x, dtype)`."""

    def __call__(self, x: Any, dtype: Any) -> Tensor:
        return cast(x, dtype)


class Reshape(_Primitive):
    """`ops.Reshape()(x, shape)`."""

    def __call__(self, x: Any, shape: Any) -> Tensor:
        return reshape(x, tuple(shape))


class Transpose(_Primitive):
    """`ops.Transpose()(x, perm)`."""

    def __call__(self, x: Any, perm: Any) -> Tensor:
        return primitives.transpose(x, tuple(perm))


class Shape(_Primitive):
    """`ops.Shape()(x)`: the shape as a tuple."""

    def __call__(self, x: Any) -> tuple:
        return tuple(_data(x).shape)


class MatMul(_Primitive):
    """`ops.MatMul(transpose_a=False, transpose_b=False)(a, b)` for 2-D inputs."""

    def __init__(self, transpose_a: bool = False, transpose_b: bool = False) -> None:
        self.transpose_a, self.transpose_b = transpose_a, transpose_b

    def __call__(self, a: Any, b: Any) -> Tensor:
        a = primitives.transpose(a, (1, 0)) if self.transpose_a else a
        b = primitives.transpose(b, (1, 0)) if self.transpose_b else b
        return matmul(a, b)


class BatchMatMul(_Primitive):
    """`ops.BatchMatMul(transpose_a=False, transpose_b=False)(a, b)`: transposes swap the last two axes."""

    def __init__(self, transpose_a: bool = False, transpose_b: bool = False) -> None:
        self.transpose_a, self.transpose_b = transpose_a, transpose_b

    def __call__(self, a: Any, b: Any) -> Tensor:
        a, b = (t if isinstance(t, Tensor) else Tensor(t) for t in (a, b))
        a = a.swapaxes(-1, -2) if self.transpose_a else a
        b = b.swapaxes(-1, -2) if self.transpose_b else b
        return matmul(a, b)


def _reduction(name: str, fn: Any) -> type:
    """`ops.ReduceSum(keep_dims=False)(x, axis=())`, and likewise Mean, Max, Min; axis () means all."""

    def __init__(self, keep_dims: bool = False) -> None:
        self.keep_dims = keep_dims

    def __call__(self, x: Any, axis: Any = ()) -> Tensor:
        return fn(x, axis, self.keep_dims)

    return type(name, (_Primitive,), {"__init__": __init__, "__call__": __call__,
                                      "__doc__": f"`ops.{name}(keep_dims=False)(x, axis=())`."})


ReduceSum = _reduction("ReduceSum", primitives.reduce_sum)
ReduceMean = _reduction("ReduceMean", primitives.reduce_mean)
ReduceMax = _reduction("ReduceMax", primitives.reduce_max)
ReduceMin = _reduction("ReduceMin", primitives.reduce_min)


class Softmax(_Primitive):
    """`ops.Softmax(axis=-1)(x)`."""

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def __call__(self, x: Any) -> Tensor:
        return _softmax(x, self.axis)


class LogSoftmax(_Primitive):
    """`ops.LogSoftmax(axis=-1)(x)`."""

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def __call__(self, x: Any) -> Tensor:
        return _log_softmax(x, self.axis)


class Concat(_Primitive):
    """`ops.Concat(axis=0)((x, y, ...))`."""

    def __init__(self, axis: int = 0) -> None:
        self.axis = axis

    def __call__(self, tensors: Sequence[Any]) -> Tensor:
        return concat(tensors, self.axis)


class Stack(_Primitive):
    """`ops.Stack(axis=0)((x, y, ...))`."""

    def __init__(self, axis: int = 0) -> None:
        self.axis = axis

    def __call__(self, tensors: Sequence[Any]) -> Tensor:
        return stack(tensors, self.axis)


class Squeeze(_Primitive):
    """`ops.Squeeze(axis=())(x)`: () removes every size-1 axis."""

    def __init__(self, axis: Any = ()) -> None:
        self.axis = axis

    def __call__(self, x: Any) -> Tensor:
        return squeeze(x, None if self.axis == () else self.axis)


class Argmax(_Primitive):
    """`ops.Argmax(axis=-1, output_type=int32)(x)`."""

    def __init__(self, axis: int = -1, output_type: Any = mstype.int32) -> None:
        self.axis, self.output_type = axis, output_type

    def __call__(self, x: Any) -> Tensor:
        return cast(argmax(x, self.axis), self.output_type)


class Print(_Primitive):
    """`ops.Print()(*values)`: prints its inputs (strings and tensors) on one line each."""

    def __call__(self, *values: Any) -> None:
        for value in values:
            print(value)


class Depend(_Primitive):
    """`ops.Depend()(value, expr)`: returns `value` (ordering is trivial in eager execution)."""

    def __call__(self, value: Any, expr: Any) -> Any:
        return value


_PRIMITIVE_CLASSES = [
    "Add", "Sub", "Mul", "Div", "RealDiv", "Neg", "Square", "Sqrt", "Rsqrt", "Exp", "Log", "Pow", "Abs", "ReLU",
    "Sigmoid", "Tanh", "Maximum", "Minimum", "OnesLike", "ZerosLike", "Select", "Equal", "ExpandDims", "Fill", "Ones",
    "Zeros", "Cast", "Reshape", "Transpose", "Shape", "MatMul", "BatchMatMul", "ReduceSum", "ReduceMean",
    "ReduceMax", "ReduceMin", "Softmax", "LogSoftmax", "Concat", "Stack", "Squeeze", "Argmax", "Print", "Depend",
]
__all__ += _PRIMITIVE_CLASSES
