"""`Tensor`, the raw material of the engine, and `Parameter`, a Tensor a Cell learns.

A Tensor wraps one NumPy array. Every operator on it (`+`, `@`, `x.sum()`, ...) is a primitive from
`tinyspore.ops.primitives`, so the same code runs eagerly and, inside `grad`, records the graph that
autodiff walks backwards. A Tensor carries no `.grad`: gradients are returned by `grad`, never stored,
so nothing stale survives from one call to the next.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from . import dtype as mstype
from .common.i18n import _ as _tr


def _to_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Convert user data to an ndarray with MindSpore's default dtypes (float32 for Python floats)."""
    if isinstance(data, Tensor):
        array = data._data
    elif isinstance(data, np.ndarray):
        array = data
    elif isinstance(data, np.generic):
        array = np.asarray(data)
    else:
        array = np.asarray(data)
        if array.dtype == np.float64:  # Python floats and lists of them: MindSpore makes float32
            array = array.astype(np.float32)
        elif array.dtype.kind == "O":
            raise TypeError(_tr("Tensor: cannot make a tensor from {data_type} {data!r}").format(
                                data_type=type(data).__name__, data=data))
    if dtype is not None:
        array = array.astype(mstype.to_numpy_dtype(dtype), copy=False)
    return array


class Tensor:
    """An n-dimensional array with MindSpore's API; `Tensor([[1., 2.]])` is float32, shape (1, 2).

    Args:
        input_data: a number, nested list, ndarray or Tensor.
        dtype: optional element type (`tinyspore.float32`, `np.int32`, ...).
        shape, init: `Tensor(shape=(2, 3), dtype=float32, init='normal')` fills a new tensor with an
            initializer from `tinyspore.common.initializer`.
    """

    __slots__ = ("_data", "_parents", "_backward", "_tracked", "__weakref__")
    __array_priority__ = 100  # so that `ndarray * Tensor` calls Tensor.__rmul__

    def __init__(self, input_data: Any = None, dtype: Any = None, shape: Any = None, init: Any = None,
                 internal: bool = False, const_arg: bool = False, device: str | None = None) -> None:
        # internal and const_arg only matter to MindSpore's graph compiler; eager execution ignores them.
        if device is not None and str(device).upper() != "CPU":
            raise NotImplementedError(_tr("Tensor: device={device!r}; tinyspore runs on the CPU only").format(
                                          device=device))
        if input_data is None:
            if shape is None:
                raise ValueError(_tr("Tensor: give input_data, or shape with init"))
            from .common.initializer import initializer

            input_data = initializer("zeros" if init is None else init, shape, dtype or mstype.float32)._data
        array = _to_array(input_data, dtype)
        # A Tensor owns its values, as in MindSpore: changing the ndarray (or Tensor) it was made from
        # later does not change it. `Tensor.from_numpy` is the way to share memory on purpose.
        if array is input_data or (isinstance(input_data, Tensor) and array is input_data._data):
            array = array.copy()
        self._data = array
        self._parents: tuple = ()
        self._backward = None
        self._tracked = False

    @staticmethod
    def from_numpy(array: np.ndarray) -> Tensor:
        """A Tensor that shares memory with `array` (no copy): a change to one shows in the other."""
        if not isinstance(array, np.ndarray):
            raise TypeError(_tr("Tensor.from_numpy: expected a numpy.ndarray, got {array_type}").format(
                                array_type=type(array).__name__))
        mstype.from_numpy_dtype(array.dtype)  # TypeError for dtypes without a tinyspore equivalent
        return Tensor._wrap(array)

    @classmethod
    def _wrap(cls, array: np.ndarray) -> Tensor:
        """Fast path for primitives: wrap an ndarray that already has the right dtype."""
        t = object.__new__(Tensor)
        t._data = array
        t._parents = ()
        t._backward = None
        t._tracked = False
        return t

    # ----- what it is -------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def dtype(self) -> mstype.Type:
        return mstype.from_numpy_dtype(self._data.dtype)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> int:
        return self._data.size

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    @property
    def strides(self) -> tuple:
        """Bytes to step in memory for one step along each axis (int32 (2, 2): (8, 4))."""
        return self._data.strides

    def asnumpy(self) -> np.ndarray:
        """The values as an ndarray (shares memory with the tensor, as in MindSpore)."""
        return self._data

    def numpy(self) -> np.ndarray:
        return self._data

    def item(self, index: Any = None) -> Any:
        return self._data.item() if index is None else self._data.item(index)

    def tolist(self) -> Any:
        return self._data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self._data if dtype is None else self._data.astype(dtype)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError(_tr("len() of a 0-d tensor"))
        return len(self._data)

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        return bool(self._data)

    def __float__(self) -> float:
        return float(self._data)

    def __int__(self) -> int:
        return int(self._data)

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iu":
            raise TypeError(_tr("only integer tensors can be used as an index, not {self_dtype}").format(
                                self_dtype=self.dtype))
        return int(self._data)

    def __format__(self, spec: str) -> str:
        if spec and self._data.size == 1:
            return format(self._data.item(), spec)
        return format(str(self), spec)

    def __repr__(self) -> str:
        data = self._data
        if data.ndim == 0:
            # data[()] keeps the float32 scalar, whose shortest form is 0.1 (not 0.10000000149011612)
            value = np.format_float_positional(data[()], trim="-") if data.dtype.kind == "f" else str(data.item())
            return f"Tensor(shape=[], dtype={self.dtype}, value= {value})"
        float_format = {"float_kind": lambda v: f"{v: .8e}"}
        values = np.array2string(data, separator=", ", formatter=float_format)
        joiner = "\n" if data.ndim > 1 else " "
        return f"Tensor(shape={list(data.shape)}, dtype={self.dtype}, value={joiner}{values})"

    def __str__(self) -> str:
        return str(self._data)

    __hash__ = object.__hash__  # `==` returns a Tensor, so hashing is by identity

    # ----- conversion -------------------------------------------------------------------------
    def astype(self, dtype: Any) -> Tensor:
        return P.cast(self, mstype.to_numpy_dtype(dtype))

    def to(self, dtype: Any) -> Tensor:
        return self.astype(dtype)

    def float(self) -> Tensor:
        return self.astype(np.float32)

    def int(self) -> Tensor:
        return self.astype(np.int32)

    def copy(self) -> Tensor:
        """The same values in new memory; the gradient flows through, as through any op."""
        return P.clone(self)

    def clone(self) -> Tensor:
        return P.clone(self)

    # ----- operators (each one a primitive, so autodiff sees it) ------------------------------
    def __add__(self, other: Any) -> Tensor:
        return P.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return P.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return P.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return P.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return P.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return P.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return P.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return P.div(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return P.pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return P.pow(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return P.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return P.matmul(other, self)

    def __neg__(self) -> Tensor:
        return P.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return P.abs(self)

    def __floordiv__(self, other: Any) -> Tensor:
        return P.floor_div(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return P.floor_div(other, self)

    def __mod__(self, other: Any) -> Tensor:
        return P.floor_mod(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return P.floor_mod(other, self)

    # Comparisons and logic give bool tensors and carry no gradient.
    def __lt__(self, other: Any) -> Tensor:
        return Tensor._wrap(self._data < _raw(other))

    def __le__(self, other: Any) -> Tensor:
        return Tensor._wrap(self._data <= _raw(other))

    def __gt__(self, other: Any) -> Tensor:
        return Tensor._wrap(self._data > _raw(other))

    def __ge__(self, other: Any) -> Tensor:
        return Tensor._wrap(self._data >= _raw(other))

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor._wrap(np.asarray(self._data == _raw(other)))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor._wrap(np.asarray(self._data != _raw(other)))

    def __invert__(self) -> Tensor:
        return Tensor._wrap(~self._data)

    def __and__(self, other: Any) -> Tensor:
        return Tensor._wrap(self._data & _raw(other))

    def __or__(self, other: Any) -> Tensor:
        return Tensor._wrap(self._data | _raw(other))

    def __getitem__(self, index: Any) -> Tensor:
        return P.getitem(self, _raw_index(index))

    def __setitem__(self, index: Any, value: Any) -> None:
        """In-place write of values. Not differentiable: inside `grad`, writing into a tensor the result
        depends on (or writing such a tensor somewhere) is refused, since the recorded graph would be wrong."""
        if autodiff.recording and (self._tracked or (isinstance(value, Tensor) and value._tracked)):
            raise RuntimeError(_tr("Tensor.__setitem__: an in-place write x[{index!r}] = ... inside grad, on "
                                   "a tensor that is being differentiated; gradients cannot flow through a "
                                   "write. Build a new tensor instead (ops.where(mask, value, x), "
                                   "ops.concat, ...)").format(index=index))
        self._data[_raw_index(index)] = _raw(value)

    # ----- methods in MindSpore's spelling ----------------------------------------------------
    @property
    def T(self) -> Tensor:
        return P.transpose(self, None)

    def reshape(self, *shape: Any) -> Tensor:
        return P.reshape(self, _shape_arg(shape))

    def view(self, *shape: Any) -> Tensor:
        return P.reshape(self, _shape_arg(shape))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return P.flatten(self, start_dim, end_dim)

    def ravel(self) -> Tensor:
        return P.reshape(self, (-1,))

    def transpose(self, *axes: Any) -> Tensor:
        return P.transpose(self, _shape_arg(axes) if axes else None)

    def permute(self, *axes: Any) -> Tensor:
        return P.transpose(self, _shape_arg(axes))

    def swapaxes(self, axis0: int, axis1: int) -> Tensor:
        axes = list(range(self.ndim))
        axes[axis0], axes[axis1] = axes[axis1], axes[axis0]
        return P.transpose(self, tuple(axes))

    def expand_dims(self, axis: int) -> Tensor:
        return P.expand_dims(self, axis)

    def unsqueeze(self, dim: int) -> Tensor:
        return P.expand_dims(self, dim)

    def squeeze(self, axis: Any = None) -> Tensor:
        return P.squeeze(self, axis)

    def broadcast_to(self, shape: tuple) -> Tensor:
        return P.broadcast_to(self, tuple(shape))

    def sum(self, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> Tensor:
        out = P.reduce_sum(self, axis, keepdims)
        return out if dtype is None else out.astype(dtype)

    def mean(self, axis: Any = None, keep_dims: bool = False) -> Tensor:
        return P.reduce_mean(self, axis, keep_dims)

    def max(self, dim: int | None = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: bool = False) -> Any:
        """MindSpore 2.10's two forms: `x.max(dim)` (or `dim=`) gives `(values, indices)`; `x.max()` and
        `x.max(axis=..., keepdims=...)` give the values only."""
        if dim is None:
            return P.reduce_max(self, axis, keepdims)
        return P.reduce_max(self, dim, keepdim), self.argmax(dim, keepdim)

    def min(self, dim: int | None = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: bool = False) -> Any:
        """As `max`: `x.min(dim)` gives `(values, indices)`, `x.min(axis=...)` the values."""
        if dim is None:
            return P.reduce_min(self, axis, keepdims)
        return P.reduce_min(self, dim, keepdim), self.argmin(dim, keepdim)

    def argmax(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return Tensor._wrap(np.asarray(np.argmax(self._data, axis=axis, keepdims=keepdims), dtype=np.int64))

    def argmin(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return Tensor._wrap(np.asarray(np.argmin(self._data, axis=axis, keepdims=keepdims), dtype=np.int64))

    def exp(self) -> Tensor:
        return P.exp(self)

    def log(self) -> Tensor:
        return P.log(self)

    def sqrt(self) -> Tensor:
        return P.sqrt(self)

    def rsqrt(self) -> Tensor:
        return P.rsqrt(self)

    def square(self) -> Tensor:
        return P.square(self)

    def abs(self) -> Tensor:
        return P.abs(self)

    def pow(self, exponent: Any) -> Tensor:
        return P.pow(self, exponent)

    def sigmoid(self) -> Tensor:
        return P.sigmoid(self)

    def tanh(self) -> Tensor:
        return P.tanh(self)

    def relu(self) -> Tensor:
        return P.relu(self)

    def clip(self, xmin: Any = None, xmax: Any = None) -> Tensor:
        return P.clip(self, xmin, xmax)

    def matmul(self, other: Any) -> Tensor:
        return P.matmul(self, other)

    def all(self, axis: Any = None, keep_dims: bool = False) -> Tensor:
        return Tensor._wrap(np.asarray(np.all(self._data, axis=axis, keepdims=keep_dims)))

    def any(self, axis: Any = None, keep_dims: bool = False) -> Tensor:
        return Tensor._wrap(np.asarray(np.any(self._data, axis=axis, keepdims=keep_dims)))

    def fill(self, value: Any) -> Tensor:
        return Tensor._wrap(np.full_like(self._data, value))


class Parameter(Tensor):
    """A Tensor that a Cell owns and an optimizer updates.

    Args:
        default_input: the initial value (Tensor, ndarray, number).
        name: set automatically to the attribute path (`fc1.weight`) when a Cell adopts it.
        requires_grad: False keeps it out of `trainable_params()` (it is still in `parameters_and_names()`).
    """

    __slots__ = ("name", "requires_grad", "_name_is_default")

    def __init__(self, default_input: Any, name: str | None = None, requires_grad: bool = True,
                 layerwise_parallel: bool = False, parallel_optimizer: bool = True) -> None:
        # A private copy (Tensor's rule): an optimizer step must never write into the caller's array.
        super().__init__(default_input)
        self.name = _next_default_name() if name is None else name
        self._name_is_default = name is None
        self.requires_grad = requires_grad

    def set_data(self, data: Any, slice_shape: bool = False) -> Parameter:
        """Replace the value; the shape must stay the same (the dtype is kept)."""
        new = _to_array(data)
        if new.shape != self._data.shape and not slice_shape:
            raise ValueError(_tr("Parameter '{self_name}': set_data got shape {new_shape}, expected "
                                 "{old_shape}").format(
                                 self_name=self.name, new_shape=new.shape,
                                 old_shape=self._data.shape))
        self._data = new.astype(self._data.dtype, copy=True)
        return self

    def value(self) -> Tensor:
        """The values as a plain Tensor (same memory); inside `grad` the gradient still reaches the Parameter."""
        return P.identity(self)

    def clone(self, init: Any = "same") -> Parameter:
        """A new Parameter with the same name and flags; its values are a copy ('same') or fresh from the
        initializer `init` ('zeros', 'normal', an Initializer, ...)."""
        clone = Parameter(self._data, name=self.name, requires_grad=self.requires_grad)
        if not (isinstance(init, str) and init == "same"):
            from .common.initializer import initializer

            clone.set_data(initializer(init, self.shape, self.dtype))
        return clone

    def __repr__(self) -> str:
        return (f"Parameter (name={self.name}, shape={self._data.shape}, dtype={self.dtype}, "
                f"requires_grad={self.requires_grad})")

    __str__ = __repr__


_unnamed = 0


def _next_default_name() -> str:
    """MindSpore's placeholder name for a Parameter created without one: Parameter#1, Parameter#2, ..."""
    global _unnamed
    _unnamed += 1
    return f"Parameter#{_unnamed}"


def _raw(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def _raw_index(index: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(_raw(i) for i in index)
    return _raw(index)


def _shape_arg(shape: tuple) -> tuple:
    """`reshape(2, 3)` and `reshape((2, 3))` both mean (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


from . import autodiff  # noqa: E402
from .ops import primitives as P  # noqa: E402  (primitives need Tensor defined first)
