"""The primitives: every differentiable operation, its forward and its backward side by side.

A primitive is written on NumPy arrays and returns `(out, backward)`, where `backward(g)` maps the
gradient of the output to one gradient per input (None where an input takes none):

    @primitive(inputs=2)
    def mul(x, y):
        def backward(g):
            return sum_to_shape(g * y, x.shape), sum_to_shape(g * x, y.shape)
        return x * y, backward

The `primitive` decorator turns it into an op on Tensors: it unwraps the inputs, runs the forward and,
while `grad` is recording, stores the inputs and `backward` on the output for `autodiff` to walk.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import autodiff, threads, workspace
from ..common.i18n import _ as _tr
from ..tensor import Tensor, _to_array

_NUMBER = (int, float, bool, np.number, np.bool_)
# The unsigned type of each signed integer type up to 32 bits, for reading an index array without
# negative wrap-around. Not for int64: NumPy indexes with int64, so it would read uint64 back as negative.
_UNSIGNED = {np.dtype(f"int{bits}"): np.dtype(f"uint{bits}") for bits in (8, 16, 32)}
_LEFT_OUT = object()  # an optional input not given (the forward's own default applies)
_wrap = Tensor._wrap


# ----- the machinery ----------------------------------------------------------------------------
def sum_to_shape(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Undo broadcasting: sum `grad` over the axes that broadcasting added or stretched from size 1.

    (4, 3) -> (3,) sums axis 0; (4, 3) -> (4, 1) sums axis 1 and keeps it; (4, 3) -> () sums all.
    """
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, size in enumerate(shape) if size == 1 and grad.shape[lead + i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def _to_input(value: Any, like: np.ndarray | None) -> np.ndarray | None:
    """A non-Tensor input (number, list, ndarray) as an array.

    A number adopts the tensor's dtype where that loses nothing, as MindSpore does: float32 + 1.5 stays
    float32, int32 + 1 stays int32, and int32 + 1.5 becomes float32.
    """
    if value is None:  # an optional input left out (a Dense without bias)
        return None
    if isinstance(value, _NUMBER) and like is not None:
        if like.dtype.kind == "f":
            return np.asarray(value, dtype=like.dtype)
        if like.dtype.kind in "iu" and isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return np.asarray(value, dtype=like.dtype)
    return _to_array(value)  # otherwise Tensor(...)'s rule: Python floats become float32


def primitive(inputs: int = 1, uses_needs: bool = False) -> Callable:
    """Make an op on Tensors from `forward(*arrays, *attributes) -> (out, backward)`.

    The first `inputs` positional arguments are tensors (a Tensor, number, list or ndarray); the
    rest are attributes (axis, shape, ...) passed through unchanged. With `uses_needs=True` the
    backward is called as `backward(g, needs)`, where `needs[i]` says whether input i wants a
    gradient, so an expensive op (matmul, conv) can skip the products nobody asked for.

    Speed, and why it is safe: `uses_needs` is PyTorch's `ctx.needs_input_grad`. A gradient that no
    tracked tensor can receive is thrown away by the graph walk anyway, so not computing it changes
    no result; for the first layer of a network (whose input is data, not a weight) it saves the
    largest matmul of the backward pass. Chapter 04's `binary_backward` is the plain version: it
    always returns both gradients.
    """

    def decorate(forward: Callable) -> Callable:
        def op(*args: Any, **attrs: Any) -> Tensor:
            tensors = args[:inputs]
            # Speed: try the common case (every input a Tensor) first and pay for type tests only when
            # it fails; an op runs a million times in a course, so a microsecond each is worth it.
            try:
                arrays = [t._data for t in tensors]
                all_tensors = True
            except AttributeError:
                like = next((t._data for t in tensors if isinstance(t, Tensor)), None)
                arrays = [t._data if isinstance(t, Tensor) else _to_input(t, like) for t in tensors]
                all_tensors = False
            out, backward = forward(*arrays, *args[inputs:], **attrs)
            result = _wrap(out if type(out) is np.ndarray else np.asarray(out))
            if autodiff.recording:  # outside grad nothing is recorded: a forward pass costs no memory
                if all_tensors:
                    needs = tuple([t._tracked for t in tensors])
                else:
                    needs = tuple([isinstance(t, Tensor) and t._tracked for t in tensors])
                if True in needs:  # only ops that depend on a tracked tensor join the graph
                    parents = tensors if all_tensors else tuple([t if isinstance(t, Tensor) else None for t in tensors])
                    _join_graph(result, parents, functools.partial(backward, needs=needs) if uses_needs else backward)
            return result

        # Speed: the same steps as `op` for the calls that are nearly all of them, an op of one, two or three
        # inputs on Tensors (relu, add, dense, ...), written out without the lists, slices and * calls that
        # `op` needs for any number of inputs of any type. About half a microsecond per call; anything
        # else (a number, a list, a bias of None) takes `op`.
        def unary_op(x: Any, *attributes: Any, **attrs: Any) -> Tensor:
            if not isinstance(x, Tensor):
                return op(x, *attributes, **attrs)
            out, backward = forward(x._data, *attributes, **attrs)
            result = _wrap(out if type(out) is np.ndarray else np.asarray(out))
            if autodiff.recording and x._tracked:
                _join_graph(result, (x,), functools.partial(backward, needs=(True,)) if uses_needs else backward)
            return result

        def binary_op(x: Any, y: Any, *attributes: Any, **attrs: Any) -> Tensor:
            if not (isinstance(x, Tensor) and isinstance(y, Tensor)):
                return op(x, y, *attributes, **attrs)
            out, backward = forward(x._data, y._data, *attributes, **attrs)
            result = _wrap(out if type(out) is np.ndarray else np.asarray(out))
            if autodiff.recording and (x._tracked or y._tracked):
                _join_graph(result, (x, y), functools.partial(backward, needs=(x._tracked, y._tracked))
                            if uses_needs else backward)
            return result

        def ternary_op(x: Any, y: Any, z: Any = _LEFT_OUT, *attributes: Any, **attrs: Any) -> Tensor:  # dense
            if not (isinstance(x, Tensor) and isinstance(y, Tensor) and isinstance(z, Tensor)):
                return op(x, y, *attributes, **attrs) if z is _LEFT_OUT else op(x, y, z, *attributes, **attrs)
            out, backward = forward(x._data, y._data, z._data, *attributes, **attrs)
            result = _wrap(out if type(out) is np.ndarray else np.asarray(out))
            if autodiff.recording and (x._tracked or y._tracked or z._tracked):
                _join_graph(result, (x, y, z), functools.partial(backward, needs=(x._tracked, y._tracked, z._tracked))
                            if uses_needs else backward)
            return result

        fast = {1: unary_op, 2: binary_op, 3: ternary_op}.get(inputs, op)
        # help(ops.add) and inspect.signature show the forward's own arguments, `add(x, y)`.
        functools.update_wrapper(fast, forward)
        fast.__qualname__ = forward.__name__
        fast.forward = forward  # the raw NumPy rule, for lessons and tests
        return fast

    return decorate


def _join_graph(result: Tensor, parents: tuple, backward: Callable) -> None:
    """Record `result` as made from `parents` by an op whose gradient rule is `backward` (inside grad)."""
    result._parents = parents
    result._backward = backward
    result._tracked = True
    if autodiff.tape is not None:  # None when a test records by hand, without grad
        autodiff.tape.append(result)


def _record(out: np.ndarray, inputs: Sequence[Tensor], backward: Callable) -> Tensor:
    """The decorator's bookkeeping for ops that take a list of tensors (concat, stack)."""
    result = Tensor._wrap(out)
    if autodiff.recording and any(t._tracked for t in inputs):
        _join_graph(result, tuple(inputs), backward)
    return result


def _broadcast_error(op: str, x: np.ndarray, y: np.ndarray) -> ValueError:
    """`add: shapes (3, 4) and (5,) do not broadcast: sizes 4 and 5 at axis -1`."""
    for axis in range(-1, -min(x.ndim, y.ndim) - 1, -1):
        a, b = x.shape[axis], y.shape[axis]
        if a != b and a != 1 and b != 1:
            return ValueError(f"{op}: shapes {x.shape} and {y.shape} do not broadcast: "
                              f"sizes {a} and {b} at axis {axis} (sizes must match or one must be 1)")
    return ValueError(f"{op}: shapes {x.shape} and {y.shape} do not broadcast")


def _promote(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """MindSpore's rule for mixed inputs: the float side's dtype wins (int32 + float32 is float32)."""
    if x.dtype.kind == "f" and y.dtype.kind in "iub":
        return x, y.astype(x.dtype)
    if y.dtype.kind == "f" and x.dtype.kind in "iub":
        return x.astype(y.dtype), y
    return x, y


def _elementwise(op: str, fn: Callable, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    try:
        return fn(x, y)
    except ValueError:
        raise _broadcast_error(op, x, y) from None


def _axes(axis: Any, ndim: int) -> tuple[int, ...] | None:
    """Normalize a reduction axis: None or () mean all axes (MindSpore's convention)."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if not axes:
        return None
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(_tr("axis {a} is out of range for a tensor with {ndim} dimensions").format(
                                 a=a, ndim=ndim))
    return tuple(sorted(int(a) % max(ndim, 1) for a in axes))


def _expand_reduced(g: np.ndarray, shape: tuple, axes: tuple[int, ...] | None, keepdims: bool) -> np.ndarray:
    """Put back the reduced axes of `g` (as size 1) so that it broadcasts against the input."""
    if keepdims:
        return g
    if axes is None:
        return g.reshape((1,) * len(shape))
    return np.expand_dims(g, axes)


# ----- arithmetic -------------------------------------------------------------------------------
@primitive(inputs=2)
def add(x, y):
    """x + y with broadcasting."""
    x, y = _promote(x, y)
    def backward(g):
        return sum_to_shape(g, x.shape), sum_to_shape(g, y.shape)
    return _elementwise("add", np.add, x, y), backward


@primitive(inputs=2)
def sub(x, y):
    """x - y with broadcasting."""
    x, y = _promote(x, y)
    def backward(g):
        return sum_to_shape(g, x.shape), sum_to_shape(-g, y.shape)
    return _elementwise("sub", np.subtract, x, y), backward


@primitive(inputs=2)
def mul(x, y):
    """x * y elementwise with broadcasting."""
    x, y = _promote(x, y)
    def backward(g):
        return sum_to_shape(g * y, x.shape), sum_to_shape(g * x, y.shape)
    return _elementwise("mul", np.multiply, x, y), backward


@primitive(inputs=2)
def div(x, y):
    """x / y elementwise with broadcasting (true division; int / int gives float32, as in MindSpore)."""
    x, y = _promote(x, y)
    out = _elementwise("div", np.true_divide, x, y)
    if out.dtype == np.float64 and x.dtype.kind in "iub" and y.dtype.kind in "iub":
        out = out.astype(np.float32)

    def backward(g):
        gx = g / y
        return sum_to_shape(gx, x.shape), sum_to_shape(-gx * out, y.shape)
    return out, backward


@primitive(inputs=2)
def floor_div(x, y):
    """x // y elementwise (rounded down, as Python's //).

    Piecewise constant in x and y, so the gradient is 0 wherever it exists (and undefined at the jumps).
    """
    x, y = _promote(x, y)
    out = _elementwise("floor_div", np.floor_divide, x, y)

    def backward(g):
        return np.zeros(x.shape, g.dtype), np.zeros(y.shape, g.dtype)
    return out, backward


@primitive(inputs=2)
def floor_mod(x, y):
    """x % y elementwise, with the sign of y (as Python's %): x - floor(x / y) * y.

    Gradient: 1 for x and -floor(x / y) for y, everywhere except at the jumps (x a multiple of y).
    """
    x, y = _promote(x, y)
    out = _elementwise("floor_mod", np.mod, x, y)

    def backward(g):
        return sum_to_shape(g, x.shape), sum_to_shape(-g * np.floor_divide(x, y), y.shape)
    return out, backward


@primitive(inputs=1)
def neg(x):
    """-x."""
    def backward(g):
        return (-g,)
    return np.negative(x), backward


@primitive(inputs=2)
def pow(x, y):  # noqa: A001 (MindSpore's name)
    """x ** y elementwise with broadcasting."""
    x, y = _promote(x, y)
    out = _elementwise("pow", np.power, x, y)

    def backward(g):
        gx = g * y * np.power(x, y - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            gy = g * out * np.where(x > 0, np.log(np.where(x > 0, x, 1)), 0)
        return sum_to_shape(gx, x.shape), sum_to_shape(gy, y.shape)
    return out, backward


@primitive(inputs=1)
def square(x):
    """x * x."""
    def backward(g):
        return (g * 2 * x,)
    return np.square(x), backward


@primitive(inputs=2)
def maximum(x, y):
    """The larger of x and y elementwise; on a tie the gradient goes to x."""
    x, y = _promote(x, y)
    out = _elementwise("maximum", np.maximum, x, y)

    def backward(g):
        x_wins = x >= y
        return sum_to_shape(g * x_wins, x.shape), sum_to_shape(g * ~x_wins, y.shape)
    return out, backward


@primitive(inputs=2)
def minimum(x, y):
    """The smaller of x and y elementwise; on a tie the gradient goes to x."""
    x, y = _promote(x, y)
    out = _elementwise("minimum", np.minimum, x, y)

    def backward(g):
        x_wins = x <= y
        return sum_to_shape(g * x_wins, x.shape), sum_to_shape(g * ~x_wins, y.shape)
    return out, backward


@primitive(inputs=2, uses_needs=True)
def matmul(a, b):
    """Matrix product, NumPy's rules: 2-D, batched (leading axes broadcast) and 1-D vectors."""
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(_tr("matmul: {a_shape} @ {b_shape}: both inputs need at least 1 dimension").format(
                             a_shape=a.shape, b_shape=b.shape))
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise ValueError(_tr("matmul: {a_shape} @ {b_shape}: inner sizes {a_inner} and {b_inner} differ").format(
                             a_shape=a.shape, b_shape=b.shape, a_inner=a.shape[-1],
                             b_inner=b.shape[-2 if b.ndim > 1 else 0]))
    try:
        out = np.matmul(a, b)
    except ValueError:
        raise ValueError(_tr("matmul: {a_shape} @ {b_shape}: batch shapes {a_shape_2} and {b_shape_2} do not "
                             "broadcast").format(
                             a_shape=a.shape, b_shape=b.shape, a_shape_2=a.shape[:-2],
                             b_shape_2=b.shape[:-2])) from None

    def backward(g, needs=(True, True)):
        # Treat vectors as (1, k) and (k, 1) matrices, then undo that and any batch broadcasting.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g.reshape(np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2]) + (a2.shape[-2], b2.shape[-1]))
        ga = sum_to_shape(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape) if needs[0] else None
        gb = sum_to_shape(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape) if needs[1] else None
        return ga, gb
    return out, backward


@primitive(inputs=3, uses_needs=True)
def dense(x, weight, bias=None):
    """x @ weight^T + bias in one op: the Dense layer, with MindSpore's (out, in) weight; bias may be None.

    Speed, and why it is correct: the plain version is two ops, `matmul(x, transpose(w)) + b` (chapter 02
    writes it so, and its gradient is the sum of theirs). One op records one graph node instead of three
    and adds the bias in place; its backward is exactly theirs, with `sum_to_shape` of the bias written
    out as the sum over the batch axes.
    """
    if x.ndim == 0 or weight.ndim != 2 or x.shape[-1] != weight.shape[1]:
        raise ValueError(_tr("dense: input {x_shape} and weight {weight_shape}: the input's last axis must "
                             "match the weight's in_channels (weight is (out, in))").format(
                             x_shape=x.shape, weight_shape=weight.shape))
    out = x @ weight.T
    if bias is not None:
        out += bias

    def backward(g, needs=(True, True, True)):
        gx = g @ weight if needs[0] else None
        g2, x2 = (g, x) if x.ndim == 2 else (g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1]))  # one batch axis
        gw = g2.T @ x2 if needs[1] else None
        gb = np.add.reduce(g2, axis=0) if bias is not None and needs[2] else None  # g2.sum(axis=0)
        return gx, gw, gb
    return out, backward


# ----- elementwise functions --------------------------------------------------------------------
@primitive(inputs=1)
def exp(x):
    """e ** x."""
    out = np.exp(x)

    def backward(g):
        return (g * out,)
    return out, backward


@primitive(inputs=1)
def log(x):
    """Natural logarithm."""
    def backward(g):
        return (g / x,)
    return np.log(x), backward


@primitive(inputs=1)
def log1p(x):
    """log(1 + x), accurate for small x."""
    def backward(g):
        return (g / (1 + x),)
    return np.log1p(x), backward


@primitive(inputs=1)
def sqrt(x):
    """Square root."""
    out = np.sqrt(x)

    def backward(g):
        return (g / (2 * out),)
    return out, backward


@primitive(inputs=1)
def rsqrt(x):
    """1 / sqrt(x), float inputs only (as in MindSpore): rsqrt(0) is inf, negative inputs give nan."""
    if x.dtype.kind != "f":
        raise TypeError(_tr("rsqrt: input dtype {dtype} is not supported; cast it to a float type first").format(
                            dtype=x.dtype))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1 / np.sqrt(x)

    def backward(g):  # d/dx x^(-1/2) = -1/2 x^(-3/2) = -out^3 / 2
        return (g * (-0.5 * out * out * out),)
    return out, backward


@primitive(inputs=1)
def sin(x):
    def backward(g):
        return (g * np.cos(x),)
    return np.sin(x), backward


@primitive(inputs=1)
def cos(x):
    def backward(g):
        return (-g * np.sin(x),)
    return np.cos(x), backward


@primitive(inputs=1)
def tanh(x):
    out = np.tanh(x)

    def backward(g):
        return (g * (1 - out * out),)
    return out, backward


@primitive(inputs=1)
def sigmoid(x):
    """1 / (1 + e^-x), computed from e^-|x| so that no exponent overflows."""
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)

    def backward(g):
        return (g * out * (1 - out),)
    return out, backward


@primitive(inputs=1)
def softplus(x):
    """log(1 + e^x) = max(x, 0) + log1p(e^-|x|), stable for any x."""
    out = np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))

    def backward(g):
        e = np.exp(-np.abs(x))
        return (g * np.where(x >= 0, 1 / (1 + e), e / (1 + e)),)
    return out, backward


@primitive(inputs=1)
def relu(x):
    """max(x, 0); the gradient at exactly 0 is 0.

    Speed: a big layer's activations (megabytes) go to recycled memory (`workspace`) and are split over
    threads by image (`threads`); small ones take the plain path, `np.maximum(x, 0)` and `g * (x > 0)`.
    """
    big = x.nbytes >= workspace.MIN_BYTES and x.dtype.kind == "f" and x.ndim > 0

    def backward(g):
        if not big or g.dtype != x.dtype or g.shape != x.shape:
            return (g * (x > 0),)
        gx = workspace.empty(g.shape, g.dtype)
        threads.over_batch(len(x), 2 * x.size,
                           lambda start, stop: np.multiply(g[start:stop], x[start:stop] > 0, out=gx[start:stop]))
        return (gx,)

    if not big:
        return np.maximum(x, 0), backward
    out = workspace.empty(x.shape, x.dtype)
    threads.over_batch(len(x), 2 * x.size, lambda start, stop: np.maximum(x[start:stop], 0, out=out[start:stop]))
    return out, backward


@primitive(inputs=1)
def abs(x):  # noqa: A001 (MindSpore's name)
    """|x|; the gradient at 0 is 0."""
    def backward(g):
        return (g * np.sign(x),)
    return np.abs(x), backward


@primitive(inputs=1)
def clip(x, xmin=None, xmax=None):
    """Limit x to [xmin, xmax]; the gradient flows only where x was inside."""
    lo = xmin._data if isinstance(xmin, Tensor) else xmin
    hi = xmax._data if isinstance(xmax, Tensor) else xmax
    if lo is None and hi is None:
        raise ValueError(_tr("clip: give xmin, xmax or both"))
    out = np.clip(x, lo, hi).astype(x.dtype, copy=False)

    def backward(g):
        inside = np.ones(x.shape, dtype=bool)
        if lo is not None:
            inside &= x >= lo
        if hi is not None:
            inside &= x <= hi
        return (g * inside,)
    return out, backward


@primitive(inputs=1)
def cast(x, dtype):
    """Convert to another dtype; the gradient is cast back."""
    def backward(g):
        return (g.astype(x.dtype) if x.dtype.kind == "f" else None,)
    return x.astype(dtype), backward


@primitive(inputs=3)
def where(condition, x, y):
    """x where condition is True, else y (all three broadcast)."""
    cond = condition.astype(bool, copy=False)
    try:
        out = np.where(cond, x, y)
    except ValueError:
        raise ValueError(_tr("where: shapes {condition_shape}, {x_shape} and {y_shape} do not broadcast").format(
                             condition_shape=condition.shape, x_shape=x.shape, y_shape=y.shape)) from None

    def backward(g):
        return None, sum_to_shape(g * cond, x.shape), sum_to_shape(g * ~cond, y.shape)
    return out, backward


# ----- reductions -------------------------------------------------------------------------------
@primitive(inputs=1)
def reduce_sum(x, axis=None, keepdims=False):
    """Sum over `axis` (None or () for all)."""
    axes = _axes(axis, x.ndim)

    def backward(g):
        return (np.broadcast_to(_expand_reduced(g, x.shape, axes, keepdims), x.shape),)
    return np.sum(x, axis=axes, keepdims=keepdims), backward


@primitive(inputs=1)
def reduce_mean(x, axis=None, keepdims=False):
    """Mean over `axis` (None or () for all)."""
    axes = _axes(axis, x.ndim)
    count = x.size if axes is None else int(np.prod([x.shape[a] for a in axes]))
    if x.dtype.kind == "f":
        # Speed: np.mean is this same float sum divided by count, behind a Python wrapper that costs
        # several microseconds per call, a tenth of a small training step's loss. Same bits either way.
        out = np.add.reduce(x, axis=axes, keepdims=keepdims) / x.dtype.type(count)
    else:
        out = np.mean(x, axis=axes, keepdims=keepdims)  # integers: NumPy's float64 mean

    def backward(g):
        if axes is None:  # the mean of everything (a loss): every element gets g / count
            # Speed: np.full is np.broadcast_to's values without its Python-level checks (about 2 us
            # of a small training step); the same numbers, in an array of our own.
            return (np.full(x.shape, g / count),)
        return (np.broadcast_to(_expand_reduced(g, x.shape, axes, keepdims) / count, x.shape),)
    return out, backward


def _reduce_extreme(name: str, fn: Callable) -> Callable:
    @primitive(inputs=1)
    def reduce(x, axis=None, keepdims=False):
        axes = _axes(axis, x.ndim)
        if x.size == 0:
            raise ValueError(_tr("{name}: cannot reduce an empty tensor of shape {x_shape}").format(
                                 name=name, x_shape=x.shape))
        out = fn(x, axis=axes, keepdims=keepdims)

        def backward(g):
            # The gradient goes to the winners; ties share it equally.
            winners = x == _expand_reduced(out, x.shape, axes, keepdims)
            share = winners / winners.sum(axis=axes, keepdims=True)
            return (_expand_reduced(g, x.shape, axes, keepdims) * share,)
        return out, backward

    reduce.__name__ = reduce.__qualname__ = name
    return reduce


reduce_max = _reduce_extreme("reduce_max", np.max)
reduce_min = _reduce_extreme("reduce_min", np.min)


# ----- shapes -----------------------------------------------------------------------------------
@primitive(inputs=1)
def reshape(x, shape):
    """Same values, new shape (one size may be -1)."""
    try:
        out = x.reshape(shape)
    except ValueError:
        raise ValueError(_tr("reshape: cannot reshape {x_shape} ({x_size} elements) to {tuple_shape}").format(
                             x_shape=x.shape, x_size=x.size, tuple_shape=tuple(shape))) from None

    def backward(g):
        return (g.reshape(x.shape),)
    return out, backward


@primitive(inputs=1)
def transpose(x, axes=None):
    """Permute the axes (reverse them when axes is None)."""
    if axes is not None and sorted(a % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
        raise ValueError(_tr("transpose: axes {tuple_axes} are not a permutation of the {x_ndim} axes of "
                             "{x_shape}").format(tuple_axes=tuple(axes), x_ndim=x.ndim, x_shape=x.shape))

    def backward(g):
        return (np.transpose(g, None if axes is None else np.argsort(axes)),)
    return np.transpose(x, axes), backward


@primitive(inputs=1)
def broadcast_to(x, shape):
    """Stretch size-1 axes and add leading axes to reach `shape`."""
    try:
        out = np.broadcast_to(x, shape)
    except ValueError:
        raise ValueError(_tr("broadcast_to: cannot broadcast {x_shape} to {tuple_shape}").format(
                             x_shape=x.shape, tuple_shape=tuple(shape))) from None

    def backward(g):
        return (sum_to_shape(g, x.shape),)
    return out, backward


@primitive(inputs=1)
def expand_dims(x, axis):
    """Insert a size-1 axis at `axis`."""
    def backward(g):
        return (g.reshape(x.shape),)
    return np.expand_dims(x, axis), backward


@primitive(inputs=1)
def squeeze(x, axis=None):
    """Remove size-1 axes (all of them, or those in `axis`)."""
    try:
        out = np.squeeze(x, axis)
    except ValueError:
        raise ValueError(_tr("squeeze: axis {axis} of shape {x_shape} does not have size 1").format(
                             axis=axis, x_shape=x.shape)) from None

    def backward(g):
        return (g.reshape(x.shape),)
    return out, backward


@primitive(inputs=1)
def flatten(x, start_dim=1, end_dim=-1):
    """Merge the axes start_dim..end_dim into one."""
    if x.ndim == 0:
        return x.reshape(1), lambda g: (g.reshape(x.shape),)
    start, end = start_dim % x.ndim, end_dim % x.ndim
    if start > end:
        raise ValueError(_tr("flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape "
                             "{x_shape}").format(start_dim=start_dim, end_dim=end_dim, x_shape=x.shape))
    shape = x.shape[:start] + (-1 if x.size else int(np.prod(x.shape[start:end + 1])),) + x.shape[end + 1:]

    def backward(g):
        return (g.reshape(x.shape),)
    return x.reshape(shape), backward


def _is_basic_index(index: Any) -> bool:
    """Integers, slices, None and Ellipsis never select an element twice."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items)


@primitive(inputs=1)
def getitem(x, index):
    """x[index]: integers, slices, masks and integer arrays."""
    try:
        out = x[index]
    except IndexError as error:
        raise IndexError(_tr("getitem: index {index!r} for shape {x_shape}: {error}").format(
                             index=index, x_shape=x.shape, error=error)) from None

    def backward(g):
        full = np.zeros_like(x)
        if _is_basic_index(index):
            full[index] = g
        else:
            np.add.at(full, index, g)  # an element picked twice gets both gradients
        return (full,)
    return out, backward


def concat(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    inputs = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not inputs:
        raise ValueError(_tr("concat: needs at least one tensor"))
    try:
        out = np.concatenate([t._data for t in inputs], axis=axis)
    except ValueError:
        raise ValueError(_tr("concat: shapes {shapes} differ outside axis {axis}").format(
                             shapes=[t.shape for t in inputs], axis=axis)) from None
    cuts = np.cumsum([t.shape[axis] for t in inputs])[:-1]

    def backward(g):
        return tuple(np.split(g, cuts, axis=axis))
    return _record(out, inputs, backward)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis."""
    inputs = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not inputs:
        raise ValueError(_tr("stack: needs at least one tensor"))
    try:
        out = np.stack([t._data for t in inputs], axis=axis)
    except ValueError:
        raise ValueError(_tr("stack: all shapes must be equal, got {shapes}").format(
                             shapes=[t.shape for t in inputs])) from None

    def backward(g):
        return tuple(np.take(g, i, axis=axis) for i in range(len(inputs)))
    return _record(out, inputs, backward)


# ----- softmax family ---------------------------------------------------------------------------
@primitive(inputs=1)
def softmax(x, axis=-1):
    """e^x / sum(e^x) along `axis`, computed as e^(x - max) so that no exponent overflows."""
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    out = e / e.sum(axis=axis, keepdims=True)

    def backward(g):
        return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)
    return out, backward


@primitive(inputs=1)
def log_softmax(x, axis=-1):
    """x - logsumexp(x) along `axis`; finite even for logits of +-1000."""
    shifted = x - x.max(axis=axis, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))

    def backward(g):
        return (g - np.exp(out) * g.sum(axis=axis, keepdims=True),)
    return out, backward


@primitive(inputs=1)
def logsumexp(x, axis=-1, keepdims=False):
    """log(sum(e^x)) along `axis`, stable."""
    top = x.max(axis=axis, keepdims=True)
    out_kept = top + np.log(np.exp(x - top).sum(axis=axis, keepdims=True))

    def backward(g):
        g = g if keepdims else np.expand_dims(g, axis)
        return (g * np.exp(x - out_kept),)
    return (out_kept if keepdims else np.squeeze(out_kept, axis)), backward


@primitive(inputs=2)
def sparse_softmax_cross_entropy(logits, labels, reduction="none"):
    """Per-row -log softmax(logits)[label] for logits (N, C) and int labels (N,); stable; no gradient to labels.

    `reduction` 'mean' or 'sum' returns the mean or the sum of the rows instead. A label outside [0, C)
    raises IndexError, a negative one too (NumPy alone would count it from the end). Up to 32 bits the
    labels are read as unsigned for that: -1 becomes 4294967295, out of range, and the check costs nothing.

    Speed, and why it is correct: with 'mean' the loss of a training step is one graph node, not two
    (this op, then `ops.mean`). The numbers are the same bits as that pair's: the forward is
    reduce_mean's own sum divided by N, and the backward multiplies each row's gradient by g / N, the
    value reduce_mean's backward would have handed to every row.
    """
    rows = np.arange(logits.shape[0])
    # Speed: np.maximum.reduce and np.add.reduce are what x.max() and x.sum() call for float arrays,
    # minus a Python wrapper of a few microseconds per call (see reduce_mean). Same bits.
    shifted = logits - np.maximum.reduce(logits, axis=-1, keepdims=True)
    exp = np.exp(shifted)
    total = np.add.reduce(exp, axis=-1)
    index = labels
    if labels.dtype in _UNSIGNED:
        index = labels.view(_UNSIGNED[labels.dtype])
    elif labels.dtype.kind == "i" and labels.size and np.minimum.reduce(labels, axis=None) < 0:
        raise IndexError("sparse_softmax_cross_entropy: a negative label")
    out = (np.log(total) - shifted[rows, index]).astype(logits.dtype, copy=False)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(_tr("sparse_softmax_cross_entropy: reduction must be 'none', 'mean' or 'sum', got "
                             "{reduction!r}").format(reduction=reduction))
    count = len(out) if reduction == "mean" else 1

    def backward(g):
        grad = exp / total[:, None]  # softmax(logits) ...
        grad[rows, labels] -= 1      # ... minus the one-hot labels
        # times each row's g: its own, or its share of the mean (or the whole g, for a sum). In place:
        # `grad` is a new array of our own, so no one else sees it change.
        grad *= g[:, None] if reduction == "none" else g / count
        return grad, None

    if reduction == "none":
        return out, backward
    reduced = np.add.reduce(out, axis=None)
    return (reduced / out.dtype.type(count) if reduction == "mean" else reduced), backward


@primitive(inputs=1)
def clone(x):
    """A copy of x in new memory; the gradient passes through unchanged."""
    def backward(g):
        return (g,)
    return x.copy(), backward


@primitive(inputs=1)
def identity(x):
    """x itself (the same memory); the gradient passes through unchanged."""
    def backward(g):
        return (g,)
    return x, backward


@primitive(inputs=1)
def stop_gradient(x):
    """The same values; no gradient flows back through it."""
    return x, lambda g: (None,)
