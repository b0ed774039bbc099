"""Every Tensor operator and method either has a gradient rule or cannot lose one silently.

The test enumerates `dir(Tensor)`: a new method that is not classified here fails it, so nobody adds
an operation that quietly cuts the graph (as `%`, `//` and `clone` once did).
"""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import assert_gradients_match

import tinyspore as ms
from tinyspore import Parameter, Tensor

X = np.array([[0.7, -1.3, 2.1], [0.4, 1.6, -0.45]])  # float64; no ties, no zeros, nothing on a jump of % or //
Y = np.array([[1.1, 0.9, -1.7], [2.3, -0.7, 1.4]])

# name -> a function of Tensors whose gradient is checked against central differences
DIFFERENTIABLE = {
    "__abs__": lambda t: abs(t), "__add__": lambda t, u: t + u, "__radd__": lambda t: 2.0 + t,
    "__sub__": lambda t, u: t - u, "__rsub__": lambda t: 2.0 - t, "__mul__": lambda t, u: t * u,
    "__rmul__": lambda t: 3.0 * t, "__truediv__": lambda t, u: t / u, "__rtruediv__": lambda t: 2.0 / t,
    "__pow__": lambda t: abs(t) ** 1.5, "__rpow__": lambda t: 2.0 ** t, "__neg__": lambda t: -t,
    "__pos__": lambda t: +t, "__matmul__": lambda t, u: t @ u.T, "__rmatmul__": lambda t: np.ones((4, 2)) @ t,
    "__mod__": lambda t, u: t % u, "__rmod__": lambda t: 5.0 % (t + 3.0),
    "__floordiv__": lambda t, u: t // u, "__rfloordiv__": lambda t: 5.0 // (t + 3.0),
    "__getitem__": lambda t: t[1, ::2], "__iter__": lambda t: list(t)[1],
    "T": lambda t: t.T, "abs": lambda t: t.abs(), "astype": lambda t: t.astype(ms.float64), "to": lambda t: t.to(ms.float64),
"broadcast_to": lambda t: t[0].broadcast_to((3, 3)),
    "clip": lambda t: t.clip(-1.0, 1.0), "clone": lambda t: t.clone(), "copy": lambda t: t.copy(),
    "exp": lambda t: t.exp(), "log": lambda t: abs(t).log(), "sqrt": lambda t: abs(t).sqrt(), "rsqrt": lambda t: (abs(t) + 0.5).rsqrt(),
    "square": lambda t: t.square(), "pow": lambda t: abs(t).pow(2.5), "sigmoid": lambda t: t.sigmoid(),
    "tanh": lambda t: t.tanh(), "relu": lambda t: t.relu(), "matmul": lambda t, u: t.matmul(u.T),
    "expand_dims": lambda t: t.expand_dims(1), "unsqueeze": lambda t: t.unsqueeze(0),
    "squeeze": lambda t: t[:1].squeeze(0), "flatten": lambda t: t.flatten(), "ravel": lambda t: t.ravel(),
    "reshape": lambda t: t.reshape(3, 2), "view": lambda t: t.view((3, 2)), "transpose": lambda t: t.transpose(),
    "permute": lambda t: t.permute(1, 0), "swapaxes": lambda t: t.swapaxes(0, 1),
    "sum": lambda t: t.sum(axis=1), "mean": lambda t: t.mean(axis=0), "max": lambda t: t.max(axis=1) + t.max(0)[0].sum(),
    "min": lambda t: t.min(axis=0) + t.min(1, True)[0],
}
# bool or integer results: their derivative is 0 wherever it exists, and they carry no graph
INTEGER_OR_BOOL = {
    "__eq__": lambda t: t == 0.4, "__ne__": lambda t: t != 0.4, "__lt__": lambda t: t < 0.4,
    "__le__": lambda t: t <= 0.4, "__gt__": lambda t: t > 0.4, "__ge__": lambda t: t >= 0.4,
    "__invert__": lambda t: ~(t > 0), "__and__": lambda t: (t > 0) & (t < 1), "__or__": lambda t: (t > 0) | (t < -1),
    "argmax": lambda t: t.argmax(), "argmin": lambda t: t.argmin(axis=1), "all": lambda t: (t > 0).all(),
    "any": lambda t: (t > 0).any(), "int": lambda t: t.int(),
}
# a cast to float32: its gradient is 1, checked on its own (central differences in float32 are too coarse)
CAST_TO_FLOAT32 = {"float"}
# a new tensor whose values do not depend on the input's values: the gradient is truly 0
CONSTANT = {"fill": lambda t: t.fill(3.0)}
# they leave the engine: NumPy arrays, Python values, or facts about the tensor
NOT_A_TENSOR = {"__array__", "__bool__", "__float__", "__int__", "__index__", "__len__", "asnumpy", "numpy", "item",
                "tolist", "shape", "dtype", "ndim", "size", "itemsize", "nbytes", "strides", "from_numpy",
                "__array_priority__", "__module__", "__slots__", "__weakref__"}
# refused inside grad with an error that says why
REFUSED = {"__setitem__"}


def _public_names(cls: type) -> set[str]:
    own = {n for n in dir(cls) if not n.startswith("_") or (n.startswith("__") and n not in dir(object))}
    own.discard("__slotnames__")  # a cache that copy/pickle add to the class, not a method
    return own | {"__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"}


def test_every_tensor_method_is_classified():
    classified = set(DIFFERENTIABLE) | set(INTEGER_OR_BOOL) | CAST_TO_FLOAT32 | set(CONSTANT) | NOT_A_TENSOR | REFUSED
    missing = _public_names(Tensor) - classified
    assert not missing, f"Tensor methods with no gradient rule or classification here: {sorted(missing)}"
    stale = classified - _public_names(Tensor)
    assert not stale, f"classified but not on Tensor: {sorted(stale)}"


@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE))
def test_differentiable_methods_match_central_differences(name):
    fn = DIFFERENTIABLE[name]
    arrays = (X, Y)[: fn.__code__.co_argcount]
    assert_gradients_match(fn, *arrays)


@pytest.mark.parametrize("name", sorted(INTEGER_OR_BOOL))
def test_integer_and_bool_results_carry_no_graph(name):
    out = INTEGER_OR_BOOL[name](Tensor(X))
    assert out.dtype.np_dtype.kind in "biu", f"{name} gave {out.dtype}"
    total = float(out.astype(ms.float64).sum())
    g = ms.grad(lambda t: INTEGER_OR_BOOL[name](t).astype(ms.float64).sum() * t.sum())(Tensor(X))
    np.testing.assert_allclose(g.asnumpy(), np.full(X.shape, total))


def test_cast_to_float32_passes_the_gradient():
    g = ms.grad(lambda t: (t.float() * 3.0).sum())(Tensor(X))
    assert g.dtype == ms.float64
    np.testing.assert_array_equal(g.asnumpy(), np.full(X.shape, 3.0))


def test_constant_results_have_zero_gradient():
    g = ms.grad(lambda t: (t.fill(3.0) * 2.0).sum() + t.sum())(Tensor(X))
    np.testing.assert_array_equal(g.asnumpy(), np.ones_like(X))


@pytest.mark.parametrize("name", sorted(NOT_A_TENSOR - {"from_numpy", "__array_priority__", "__module__", "__slots__",
                                                         "__weakref__"}))
def test_leaving_the_engine_gives_no_tensor(name):
    scalar_only = {"__bool__", "__float__", "__int__", "__index__", "item"}
    t = Tensor(np.array(2)) if name in scalar_only else Tensor(np.array([2.0]))
    attr = getattr(t, name)
    value = attr() if callable(attr) else attr
    assert not isinstance(value, Tensor), f"{name} returned a Tensor: it must be classified as differentiable"


def test_in_place_write_is_refused_inside_grad():
    def f(t):
        t[0] = 1.0
        return t.sum()

    with pytest.raises(RuntimeError, match="gradients cannot flow through a write"):
        ms.grad(f)(Tensor(X))


def test_parameter_value_keeps_the_gradient():
    p = Parameter(Tensor(X), name="p")
    g = ms.grad(lambda: (p.value() * 2.0).sum(), None, [p])()
    np.testing.assert_array_equal(g[0].asnumpy(), np.full(X.shape, 2.0))
