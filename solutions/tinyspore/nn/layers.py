"""Layers, as in `mindspore.nn`: Dense, the containers SequentialCell and CellList, activations,
Flatten and Dropout.

Every layer is a `Cell` whose `construct` is a short composition of differentiable ops, so gradients
flow through any network built from them without a single line of backward code here.

    net = nn.SequentialCell([nn.Dense(2, 3), nn.ReLU(), nn.Dense(3, 1)])
    net(Tensor(np.ones((4, 2), np.float32))).shape      # (4, 1)
    [p.name for p in net.trainable_params()]           # ['0.weight', '0.bias', '2.weight', '2.bias']
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import dtype as mstype
from .. import ops
from ..common.initializer import HeUniform, Uniform, initializer
from ..ops.primitives import primitive
from ..tensor import Parameter, Tensor
from .cell import Cell

__all__ = [
    "Dense", "SequentialCell", "CellList",
    "ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "LeakyReLU", "GELU", "SiLU", "Softplus", "Identity",
    "get_activation", "Flatten", "Dropout",
]


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _check_positive_int(layer: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{layer}: {name} must be a positive int, got {value!r}")
    return int(value)


# ----- Dense ------------------------------------------------------------------------------------
def _init_parameter(layer: str, what: str, init: Any, shape: tuple, dtype: Any) -> Tensor:
    """Run `initializer`, first checking a given Tensor/ndarray against `shape` with a layer-specific message."""
    if isinstance(init, (Tensor, np.ndarray)) and tuple(init.shape) != shape:
        raise ValueError(f"{layer}: {what} has shape {tuple(init.shape)}, but the {what.split('_')[0]} "
                         f"needs shape {shape}")
    return initializer(init, shape, dtype)


class Dense(Cell):
    """The fully connected layer: `y = activation(x @ weight.T + bias)`.

    Args:
        in_channels, out_channels: the feature sizes of the input and the output.
        weight_init: how to fill `weight` (shape `(out_channels, in_channels)`): a Tensor or ndarray of that
            shape, a name ('zeros', 'normal', 'he_uniform', ...), an Initializer or a number.
            Default `HeUniform(math.sqrt(5))`, i.e. U(-1/sqrt(in_channels), 1/sqrt(in_channels)).
        bias_init: the same for `bias` (shape `(out_channels,)`); default `Uniform(1/sqrt(in_channels))`,
            as in MindSpore (not zeros).
        has_bias: False leaves `bias` as None.
        activation: None, a name for `get_activation` ('relu', 'softmax', ...) or a Cell.
        dtype: the parameters' dtype; inputs must have the same one.

    Input `(*, in_channels)`, output `(*, out_channels)`: any leading axes are flattened for the matrix
    product and restored afterwards.
    """

    def __init__(self, in_channels: int, out_channels: int, weight_init: Any = None, bias_init: Any = None,
                 has_bias: bool = True, activation: Any = None, dtype: Any = mstype.float32) -> None:
        super().__init__()
        self.in_channels = _check_positive_int("Dense", "in_channels", in_channels)
        self.out_channels = _check_positive_int("Dense", "out_channels", out_channels)
        if not isinstance(has_bias, bool):
            raise TypeError(f"Dense: has_bias must be a bool, got {has_bias!r}")
        self.has_bias = has_bias
        if weight_init is None:
            weight_init = HeUniform(math.sqrt(5))  # bound gain*sqrt(3/fan_in) = 1/sqrt(in_channels)
        self.weight = Parameter(_init_parameter("Dense", "weight_init", weight_init,
                                                (self.out_channels, self.in_channels), dtype), name="weight")
        self.bias = None
        if has_bias:
            if bias_init is None:
                bias_init = Uniform(1 / math.sqrt(self.in_channels))
            self.bias = Parameter(_init_parameter("Dense", "bias_init", bias_init, (self.out_channels,), dtype),
                                  name="bias")
        if isinstance(activation, str):
            activation = get_activation(activation)
        if activation is not None and not isinstance(activation, Cell):
            raise TypeError(f"Dense: activation must be None, a name or a Cell, got {type(activation).__name__}")
        self.activation = activation  # a Cell becomes the child 'activation', as in MindSpore
        self.activation_flag = activation is not None

    def construct(self, x: Any) -> Tensor:
        x = _as_tensor(x)
        data = x._data
        # the checks of _check_input, in one cheap test: it runs only when something is wrong
        if not data.ndim or data.shape[-1] != self.in_channels or data.dtype != self.weight._data.dtype:
            self._check_input(x)
        # x @ weight^T + bias as one fused op (any leading axes), like MindSpore's MatMul + BiasAdd
        out = ops.dense(x, self.weight, self.bias if self.has_bias else None)
        if self.activation_flag:
            out = self.activation(out)
        return out

    def _check_input(self, x: Tensor) -> None:
        if x.ndim == 0 or x.shape[-1] != self.in_channels:
            features = "no feature axis" if x.ndim == 0 else f"{x.shape[-1]} features"
            raise ValueError(f"Dense: input has {features} (shape {x.shape}) but in_channels={self.in_channels}")
        if x._data.dtype != self.weight._data.dtype:
            raise TypeError(f"Dense: input dtype {x.dtype} differs from the weight dtype {self.weight.dtype}; "
                            f"cast the input, e.g. x.astype(tinyspore.{self.weight._data.dtype.name})")

    def extend_repr(self) -> str:
        s = f"input_channels={self.in_channels}, output_channels={self.out_channels}"
        if self.has_bias:
            s += f", has_bias={self.has_bias}"
        if self.activation_flag:
            s += f", activation={self.activation}"
        return s


# ----- containers -------------------------------------------------------------------------------
class _CellSequence(Cell):
    """What SequentialCell and CellList share: children in order, keyed '0', '1', ... (or given names).

    Parameter names follow MindSpore: a child at key `k` names its parameters `<prefix>k.<path>`, where
    `<prefix>` is what the container's own parent added (`head.` in `head.0.weight`).
    """

    def __init__(self) -> None:
        super().__init__()
        object.__setattr__(self, "_is_dynamic_name", [])  # True: the key is the position ('0', '1', ...)

    # -- keys and names --
    def _prefix(self) -> str:
        """The prefix the parameters already carry, read off the first child that has a parameter."""
        for key, cell in self._cells.items():
            for path, param in cell.parameters_and_names():
                suffix = f"{key}.{path}"
                if param.name.endswith(suffix):
                    return param.name[: -len(suffix)]
        return ""

    def _set_children(self, entries: list[tuple[str, Cell, bool]]) -> None:
        """Replace all children by `entries` (key, cell, dynamic); dynamic keys become the position."""
        prefix = self._prefix()
        for key in list(self._cells):
            self.__dict__.pop(key, None)
        self._cells.clear()
        self._is_dynamic_name.clear()
        for position, (key, cell, dynamic) in enumerate(entries):
            key = str(position) if dynamic else key
            if not isinstance(cell, Cell):
                raise TypeError(f"{type(self).__name__}: element {key!r} is a {type(cell).__name__}, not a Cell")
            self.insert_child_to_cell(key, cell)
            self._is_dynamic_name.append(dynamic)
            if self._auto_prefix:  # MindSpore's rule: prefix + key + the path inside the child
                for path, param in cell.parameters_and_names():
                    param.name = f"{prefix}{key}.{path}"

    def _entries(self) -> list[tuple[str, Cell, bool]]:
        return list(zip(self._cells.keys(), self._cells.values(), self._is_dynamic_name))

    def _index(self, index: Any) -> int:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"{type(self).__name__}: index must be an int or a slice, got {type(index).__name__}")
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"{type(self).__name__}: index {index} is out of range [{-n}, {n})")
        return int(index) % n

    # -- the list protocol --
    def __len__(self) -> int:
        return len(self._cells)

    def __bool__(self) -> bool:
        return len(self._cells) != 0

    def __iter__(self) -> Iterator[Cell]:
        return iter(list(self._cells.values()))

    def __setitem__(self, index: int, cell: Cell) -> None:
        entries = self._entries()
        key, _, dynamic = entries[self._index(index)]
        entries[self._index(index)] = (key, cell, dynamic)
        self._set_children(entries)

    def __delitem__(self, index: Any) -> None:
        entries = self._entries()
        if isinstance(index, slice):
            del entries[index]
        else:
            del entries[self._index(index)]
        self._set_children(entries)

    def append(self, cell: Cell) -> None:
        """Add `cell` at the end, under the key `str(len(self))`."""
        self._set_children(self._entries() + [(str(len(self)), cell, True)])

    def insert(self, index: int, cell: Cell) -> None:
        """Put `cell` before position `index` (negative counts from the end); later children move up."""
        n = len(self)
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"{type(self).__name__}.insert: index must be an int, got {type(index).__name__}")
        if not -n <= index <= n:
            raise IndexError(f"{type(self).__name__}.insert: index {index} is out of range [{-n}, {n}]")
        entries = self._entries()
        entries.insert(int(index) if index >= 0 else n + int(index), (str(index), cell, True))
        self._set_children(entries)

    def extend(self, cells: Any) -> _CellSequence:
        """Append each Cell of a list."""
        self._set_children(self._entries() + [(str(len(self) + i), cell, True) for i, cell in enumerate(cells)])
        return self


class SequentialCell(_CellSequence):
    """Cells applied one after the other: `SequentialCell([a, b, c])(x) == c(b(a(x)))`.

    Accepts a list of Cells, the Cells as separate arguments, or an OrderedDict (its keys name the
    children; otherwise they are '0', '1', ...). Indexing with an int returns a child, with a slice a new
    SequentialCell; `len`, iteration, `append`, `insert` and `del` work as on a list.
    """

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            entries = [(str(key), cell, False) for key, cell in args[0].items()]
        elif len(args) == 1 and isinstance(args[0], (list, tuple)):
            entries = [(str(i), cell, True) for i, cell in enumerate(args[0])]
        else:
            for arg in args:
                if not isinstance(arg, Cell):
                    raise TypeError(f"SequentialCell: takes Cells, a list of Cells or an OrderedDict, "
                                    f"got {type(arg).__name__}")
            entries = [(str(i), cell, True) for i, cell in enumerate(args)]
        self._set_children(entries)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return SequentialCell(OrderedDict(list(self._cells.items())[index]))
        return list(self._cells.values())[self._index(index)]

    def construct(self, input_data: Any) -> Any:
        for cell in self._cells.values():
            input_data = cell(input_data)
        return input_data


class CellList(_CellSequence):
    """A list of Cells whose parameters the owning Cell sees; it has no `construct` of its own.

    Use it when the forward pass is not a simple chain: `for layer in self.layers: x = layer(x) + x`.
    """

    def __init__(self, *args: Any, auto_prefix: bool = True) -> None:
        super().__init__()
        object.__setattr__(self, "_auto_prefix", auto_prefix)
        if len(args) == 1:
            self.extend(list(args[0]))
        elif args:
            raise TypeError(f"CellList: takes one list of Cells, got {len(args)} arguments")

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return CellList(list(self._cells.values())[index])
        return list(self._cells.values())[self._index(index)]

    def __iadd__(self, cells: Any) -> CellList:
        return self.extend(cells)

    def construct(self, *inputs: Any) -> Any:
        raise NotImplementedError("CellList has no construct: iterate over it inside your own Cell's construct")


# ----- activations ------------------------------------------------------------------------------
class ReLU(Cell):
    """max(x, 0), elementwise."""

    def construct(self, x: Any) -> Tensor:
        return ops.relu(x)


class Sigmoid(Cell):
    """1 / (1 + e^-x), elementwise (stable for any x)."""

    def construct(self, x: Any) -> Tensor:
        return ops.sigmoid(x)


class Tanh(Cell):
    """tanh(x), elementwise."""

    def construct(self, x: Any) -> Tensor:
        return ops.tanh(x)


class Softmax(Cell):
    """e^x / sum(e^x) along `axis`: each slice becomes a probability distribution."""

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def construct(self, x: Any) -> Tensor:
        return ops.softmax(x, self.axis)


class LogSoftmax(Cell):
    """x - logsumexp(x) along `axis` (the log of Softmax, computed without overflow)."""

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def construct(self, x: Any) -> Tensor:
        return ops.log_softmax(x, self.axis)


class LeakyReLU(Cell):
    """x where x >= 0, alpha * x elsewhere (MindSpore's default alpha is 0.2)."""

    def __init__(self, alpha: float = 0.2) -> None:
        super().__init__()
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
            raise TypeError(f"LeakyReLU: alpha must be a number, got {type(alpha).__name__}")
        self.alpha = alpha

    def construct(self, x: Any) -> Tensor:
        x = _as_tensor(x)
        return ops.where(x._data >= 0, x, x * self.alpha)


@primitive(inputs=1)
def _erf(x):
    """The Gauss error function, elementwise (for the exact GELU)."""
    out = np.vectorize(math.erf, otypes=[x.dtype])(x) if x.size else x.copy()

    def backward(g):
        return (g * (2 / math.sqrt(math.pi)) * np.exp(-x * x),)
    return out, backward


class GELU(Cell):
    """x * P(X <= x) for a standard normal X.

    `approximate=True` (MindSpore's default) uses 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)));
    False uses the exact 0.5 * x * (1 + erf(x / sqrt(2))).
    """

    def __init__(self, approximate: bool = True) -> None:
        super().__init__()
        if not isinstance(approximate, bool):
            raise TypeError(f"GELU: approximate must be a bool, got {approximate!r}")
        self.approximate = approximate

    def construct(self, x: Any) -> Tensor:
        x = _as_tensor(x)
        if self.approximate:
            inner = (x + x * x * x * 0.044715) * math.sqrt(2 / math.pi)
            return x * 0.5 * (ops.tanh(inner) + 1)
        return x * 0.5 * (_erf(x * (1 / math.sqrt(2))) + 1)


class SiLU(Cell):
    """x * sigmoid(x) (also called Swish)."""

    def construct(self, x: Any) -> Tensor:
        x = _as_tensor(x)
        return x * ops.sigmoid(x)


class Softplus(Cell):
    """log(1 + e^(beta x)) / beta, and x itself where beta * x > threshold (as `ops.softplus`).

    (MindSpore 2.10 has `ops.softplus(input, beta=1, threshold=20)` but no `nn.Softplus`; this Cell wraps it.)
    """

    def __init__(self, beta: float = 1, threshold: float = 20) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def construct(self, x: Any) -> Tensor:
        x = _as_tensor(x)
        scaled = x * self.beta
        return ops.where(scaled._data > self.threshold, x, ops.softplus(scaled) / self.beta)


class Identity(Cell):
    """Returns its input unchanged (a placeholder where a layer is optional)."""

    def construct(self, x: Any) -> Any:
        return x


_ACTIVATIONS: dict[str, type] = {
    "relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "softmax": Softmax,
    "logsoftmax": LogSoftmax, "log_softmax": LogSoftmax, "leakyrelu": LeakyReLU, "leaky_relu": LeakyReLU,
    "gelu": GELU, "silu": SiLU, "softplus": Softplus, "identity": Identity,
}


def get_activation(name: str | None, prim_name: str | None = None) -> Cell | None:
    """A new activation Cell from its name ('relu', 'softmax', 'logsoftmax', 'gelu', ...); None for None."""
    if name is None:
        return None
    try:
        return _ACTIVATIONS[name.lower()]()
    except (KeyError, AttributeError):
        raise KeyError(f"{prim_name or 'get_activation'}: unknown activation {name!r}; "
                       f"known: {sorted(_ACTIVATIONS)}") from None


# ----- reshaping and regularization -------------------------------------------------------------
class Flatten(Cell):
    """Merge the axes start_dim..end_dim into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def construct(self, x: Any) -> Tensor:
        return ops.flatten(x, start_dim=self.start_dim, end_dim=self.end_dim)


class Dropout(Cell):
    """In training, zero each element with probability p and scale the others by 1 / (1 - p).

    `Dropout(keep_prob=0.5, p=None)`: MindSpore's first argument is the probability to KEEP; `p`, the
    probability to drop, wins when given. A Cell starts with `training=False`, so Dropout is the identity
    until `net.set_train()` (MindSpore's default, unlike PyTorch's).
    """

    def __init__(self, keep_prob: float = 0.5, p: float | None = None, dtype: Any = mstype.float32) -> None:
        super().__init__()
        if p is None:
            if isinstance(keep_prob, bool) or not isinstance(keep_prob, (int, float)) or not 0 < keep_prob <= 1:
                raise ValueError(f"Dropout: keep_prob must be a number in (0, 1], got {keep_prob!r}")
            self.p = 1.0 - keep_prob
            self._shown = f"keep_prob={keep_prob}"
        else:
            if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p < 1:
                raise ValueError(f"Dropout: p must be a number in [0, 1), got {p!r}")
            self.p = float(p)
            self._shown = f"p={p}"
        self.keep_prob = 1.0 - self.p

    def construct(self, x: Any) -> Tensor:
        if not self.training or self.p == 0:
            return x
        return ops.dropout(x, p=self.p, training=True)

    def extend_repr(self) -> str:
        return self._shown
