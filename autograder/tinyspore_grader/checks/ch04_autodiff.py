"""Checks of chapter 04, autodiff: a central-difference gradient, the backward rules of the two products (mul,
matmul) and of the one-input ops (sum, relu, exp, log), the topological order of a graph, and the backward pass
that accumulates.

Each `check_<exercise>(answer, hidden=False)` runs the answer against `reference_<exercise>` (NumPy and the
backward rules of `tinyspore.ops.primitives`) on fixed-seed cases; `hidden=True` uses other seeds and cases.

The graph exercises (04.4, 04.5) work on any node object with the attributes of the chapter's `Node`
(`value`, `parents`, `backward`, `name`). Every call gets a freshly built graph, so an answer that writes
into arrays it should only read cannot spoil the next case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from tinyspore import autodiff
from tinyspore.ops import primitives as P
from tinyspore.ops import sum_to_shape
from tinyspore_grader import BadReturn, Case, Mistake, Raised, exercise, rule_of, run_check, same
from tinyspore_grader.exercises import outcome_class
from tinyspore_grader.i18n import _ as _tr

_TIGHT = partial(same, rtol=1e-6, atol=1e-8)  # float64 answers that follow the same formula
# The graph walk and what is built on it: the answer of 04.5, and a shortcut to the rules of 04.2/04.3.
_AUTODIFF = [autodiff.backpropagate, autodiff.grad, autodiff.value_and_grad, autodiff.GradOperation]


def _rng(hidden: bool, salt: int) -> np.random.Generator:
    return np.random.default_rng(4000 + 100 * salt + (7 if hidden else 0))


def _array(values: Any, dtype: Any = np.float64) -> np.ndarray:
    """Random values rounded to 2 decimals (readable feedback) as an ndarray, also when 0-d."""
    return np.asarray(np.round(values, 2), dtype=dtype)


def _raised(got: Any, *types: type, text: str = "") -> bool:
    return isinstance(got, Raised) and isinstance(got.error, types) and text in str(got.error)


def _not_tuple_of_two(case: Case, got: Any) -> bool:
    return not isinstance(got, (tuple, Raised)) or (isinstance(got, tuple) and len(got) != 2)


# ----- 04.1 numeric_grad --------------------------------------------------------------------------------
class _Function:
    """A test function with a readable repr (`sum(x ** 2)`), so the feedback can show it."""

    def __init__(self, formula: str, fn: Callable[[np.ndarray], Any]) -> None:
        self.formula = formula
        self.fn = fn

    def __call__(self, x: np.ndarray) -> Any:
        return self.fn(x)

    def __repr__(self) -> str:
        return self.formula


def _logsumexp(x: np.ndarray) -> float:
    top = x.max()
    return float(top + np.log(np.exp(x - top).sum()))


_FUNCTIONS = {
    "square": _Function("sum(x ** 2)", lambda x: np.sum(x ** 2)),
    "sinx": _Function("sum(sin(x) * x)", lambda x: np.sum(np.sin(x) * x)),
    "cube": _Function("x ** 3 (x 0-d)", lambda x: x ** 3),
    "exp2": _Function("sum(exp(2 * x))", lambda x: np.sum(np.exp(2 * x))),
    "lse": _Function("logsumexp(x)", _logsumexp),
    "prod": _Function("x[0] * x[1] ** 2", lambda x: x[0] * x[1] ** 2),
    "tanh": _Function("sum(tanh(x) * [1, 2, 3])", lambda x: np.sum(np.tanh(x) * np.array([1.0, 2.0, 3.0]))),
    "cosh": _Function("sum(cosh(3 * x))", lambda x: np.sum(np.cosh(3 * x))),
    "quartic": _Function("sum(x ** 4) / 4", lambda x: np.sum(x ** 4) / 4),
    "mix": _Function("x[0, 0] * exp(x[1, 0])", lambda x: x[0, 0] * np.exp(x[1, 0])),
}


def reference_numeric_grad(f: Callable, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """The reference: (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) for every element i."""
    x = np.array(x, dtype=np.float64)  # our own copy, nudged one element at a time
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = float(f(x))
        x[i] = old - eps
        down = float(f(x))
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def _numeric_grad_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 1)
    # (function, shape of x, eps, note); the large-eps case makes the central formula and eps visible.
    plans = [("square", (3,), 1e-3, ""), ("sinx", (2, 3), 1e-5, ""), ("cube", (), 1e-4, "0-d x"),
             ("exp2", (4,), 0.1, "a large eps: use the central formula with exactly this eps"),
             ("lse", (2, 1, 3), 1e-6, "a size-1 axis"), ("prod", (2,), 1e-3, ""),
             ("tanh", (3, 1), 1e-2, "")]
    if hidden:
        plans = [("quartic", (5,), 1e-4, ""), ("cosh", (3,), 0.05, "a large eps: use exactly this eps"),
                 ("mix", (2, 2), 1e-6, ""), ("cube", (), 1e-3, "0-d x"), ("sinx", (1, 4), 1e-6, ""),
                 ("lse", (3, 2), 1e-5, ""), ("square", (2, 2, 2), 0.5, "a large eps")]
    return [Case((_FUNCTIONS[name], _array(rng.uniform(-1.5, 1.5, size=shape))), {"eps": eps}, note=note)
            for name, shape, eps, note in plans]


def _one_sided(f: Callable, x: np.ndarray, eps: float, forward: bool) -> np.ndarray:
    x = np.array(x, dtype=np.float64)
    base = float(f(x))
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps if forward else old - eps
        grad[i] = (float(f(x)) - base) / eps if forward else (base - float(f(x))) / eps
        x[i] = old
    return grad


def _not_restored(f: Callable, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += eps
        up = float(f(x))
        x[i] -= eps
        x[i] -= eps
        down = float(f(x))  # x[i] stays nudged down: the next elements see a shifted x
        grad[i] = (up - down) / (2 * eps)
    return grad


def _by_rows(f: Callable, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """`for i in range(len(x))`: x[i] is a whole row of a 2-D x, so a whole row is nudged at once."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in range(len(x)):
        old = x[i].copy()
        x[i] = old + eps
        up = float(f(x))
        x[i] = old - eps
        down = float(f(x))
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def _near_but_not_at_eps(case: Case, got: Any) -> bool:
    """Exactly the central difference, but at a step of its own (a usual one: 1e-2 ... 1e-12), not the eps given."""
    f, x = case.args
    if not isinstance(got, np.ndarray) or got.shape != np.shape(x):
        return False
    return any(not np.isclose(step, case.kwargs["eps"]) and np.allclose(
        got, reference_numeric_grad(f, x, step), rtol=1e-6, atol=1e-8)
        for step in (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12))


NUMERIC_GRAD_MISTAKES = [
    Mistake("forward difference",
            "that is the forward difference (f(x + eps) - f(x)) / eps, whose error shrinks only like eps; "
            "use the central difference (f(x + eps) - f(x - eps)) / (2 * eps), whose error shrinks like eps**2.",
            wrong=lambda f, x, eps=1e-6: _one_sided(f, x, eps, forward=True)),
    Mistake("backward difference",
            "that is the one-sided difference (f(x) - f(x - eps)) / eps; use both sides: "
            "(f(x + eps) - f(x - eps)) / (2 * eps).",
            wrong=lambda f, x, eps=1e-6: _one_sided(f, x, eps, forward=False)),
    Mistake("no factor 2",
            "the two nudged points are 2 * eps apart: divide by 2 * eps, not by eps.",
            wrong=lambda f, x, eps=1e-6: 2 * reference_numeric_grad(f, x, eps)),
    Mistake("x not restored",
            "put each element back after nudging it (`x[i] = old`), otherwise the next elements are "
            "measured at a shifted point.",
            wrong=_not_restored),
    Mistake("nudged every element at once",
            "nudge ONE element at a time: f(x + eps) with the whole array shifted gives the slope along "
            "(1, 1, ..., 1), the same number for every element.",
            wrong=lambda f, x, eps=1e-6: np.full(np.shape(x), (float(f(x + eps)) - float(f(x - eps))) / (2 * eps))),
    Mistake("len() of a 0-d x",
            "a 0-d x has no len() and no rows: `for i in np.ndindex(x.shape)` visits its one index `()`.",
            detect=lambda case, got: _raised(got, TypeError) and np.ndim(case.args[1]) == 0),
    Mistake("one index per row",
            "`for i in range(len(x))` walks the ROWS of a 2-D x and nudges a whole row at once; visit every "
            "element with `for i in np.ndindex(x.shape)` (it works for a 0-d x too).",
            wrong=_by_rows),
    Mistake("wrong shape",
            "return an array of x's shape (np.zeros_like(x), then fill it element by element with "
            "`for i in np.ndindex(x.shape)`).",
            detect=lambda case, got: isinstance(got, np.ndarray) and got.shape != np.shape(case.args[1])),
    Mistake("not an ndarray",
            "return a NumPy array of x's shape, not a list or a number.",
            detect=lambda case, got: not isinstance(got, (np.ndarray, Raised))),
    Mistake("float32",
            "keep float64 (np.zeros_like(x) of a float64 x): float32 has only 7 digits, far too few for "
            "differences of nearby values.",
            detect=lambda case, got: isinstance(got, np.ndarray) and got.dtype != np.float64),
    Mistake("ignores eps",
            "use the `eps` you are given, not a step of your own: the check compares with the central "
            "difference at exactly that eps (too small a step drowns in rounding, too large a step bends).",
            detect=_near_but_not_at_eps),
]


@exercise(reference=reference_numeric_grad, forbidden=[])
def check_numeric_grad(numeric_grad, hidden: bool = False) -> None:
    """Exercise 04.1: numeric_grad(f, x, eps) -> float64 ndarray of x's shape (central differences)."""
    run_check("04.1", "numeric_grad", numeric_grad, _numeric_grad_cases(hidden), reference=reference_numeric_grad,
              mistakes=NUMERIC_GRAD_MISTAKES, same=_TIGHT, match=_TIGHT)


# ----- 04.2 binary_backward: the two products x * y and a @ b ------------------------------------------
def _mul_rule(g: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple:
    return tuple(P.mul.forward(x, y)[1](g))


def _matmul_rule(g: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple:
    return tuple(P.matmul.forward(a, b)[1](g))


_BINARY = {"mul": _mul_rule, "matmul": _matmul_rule}


def reference_binary_backward(op: str, g: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple:
    """The engine's rule of `x * y` (op "mul", broadcasting) or `x @ y` (op "matmul", batched): (gx, gy)."""
    if op not in _BINARY:
        raise ValueError(f"binary_backward: unknown op {op!r}; expected 'mul' or 'matmul'")
    return _BINARY[op](g, x, y)


def _binary_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 2)
    # A broadcast product first: there swapped factors and a swapped (gy, gx) pair look different.
    mul_plans = [((4, 3), (3,)), ((3,), (3,)), ((4, 1), (1, 3)), ((), (2, 3)), ((2, 1, 3), (4, 1)),
                 ((1, 3), (4, 3))]
    # Square matrices first: there a wrong transpose still has the right shape, so its numbers show it.
    # A square batch before the others: there `.T` on a batch fails while a missing transpose does not.
    matmul_plans = [((3, 3), (3, 3)), ((2, 3), (3, 4)), ((1, 4), (4, 1)), ((2, 3, 3), (2, 3, 3)),
                    ((2, 3, 4), (2, 4, 5)), ((2, 3, 4), (4, 5)), ((3, 3), (2, 3, 3)), ((5, 2), (2, 2))]
    if hidden:
        mul_plans = [((3, 4), (3, 1)), ((5,), ()), ((2, 3, 4), (4,)), ((1, 1), (3, 2)), ((4, 1, 2), (3, 1)),
                     ((2, 2), (2, 2))]
        matmul_plans = [((2, 2), (2, 2)), ((4, 2), (2, 3)), ((3, 1), (1, 3)), ((2, 2, 2), (2, 2, 2)),
                        ((3, 2, 2), (3, 2, 4)), ((2, 1, 3, 2), (4, 2, 2)), ((4, 4), (3, 4, 4)), ((2, 5, 3), (3, 3))]
    cases = []
    for op, plans in (("mul", mul_plans), ("matmul", matmul_plans)):
        for n, (x_shape, y_shape) in enumerate(plans):
            dtype = np.float64 if n % 3 == 2 else np.float32
            x = _array(rng.standard_normal(x_shape), dtype)
            y = _array(rng.standard_normal(y_shape), dtype)
            out_shape = np.matmul(x, y).shape if op == "matmul" else np.broadcast_shapes(x_shape, y_shape)
            g = _array(rng.standard_normal(out_shape), dtype)
            batched = op == "matmul" and max(x.ndim, y.ndim) > 2
            cases.append(Case((op, g, x, y), note="batched" if batched else ""))
    return cases


def _only(op_name: str, wrong: Callable, reference: Callable) -> Callable:
    """A wrong rule for one op; on the other ops it answers like the reference (so it fails only there)."""
    def answer(op: str, *args: Any, **kwargs: Any) -> Any:
        return wrong(*args, **kwargs) if op == op_name else reference(op, *args, **kwargs)
    return answer


def _op(case: Case) -> str:
    return case.args[0]


def _wrong_shape_pair(case: Case, got: Any) -> bool:
    """A pair of arrays where at least one does not have its input's shape."""
    _, g, x, y = case.args
    return (isinstance(got, tuple) and len(got) == 2 and all(isinstance(v, np.ndarray) for v in got)
            and (got[0].shape != x.shape or got[1].shape != y.shape))


def _swap(m: np.ndarray) -> np.ndarray:
    return np.swapaxes(m, -1, -2)


_mul_wrong = partial(_only, "mul", reference=reference_binary_backward)
_matmul_wrong = partial(_only, "matmul", reference=reference_binary_backward)

BINARY_BACKWARD_MISTAKES = [
    Mistake("mul: swapped factors",
            "each input's gradient is g times the OTHER input: gx = g * y and gy = g * x.",
            wrong=_mul_wrong(lambda g, x, y: (sum_to_shape(g * x, x.shape), sum_to_shape(g * y, y.shape)))),
    Mistake("mul: forgot g",
            "multiply by the incoming gradient g (the chain rule): gx = g * y, not just y.",
            wrong=_mul_wrong(lambda g, x, y: (sum_to_shape(np.broadcast_to(y, g.shape), x.shape),
                                              sum_to_shape(np.broadcast_to(x, g.shape), y.shape)))),
    Mistake("mul: not summed over broadcast axes",
            "an input that broadcasting stretched was used at many places, so its gradient is the SUM over "
            "those places: return sum_to_shape(g * y, x.shape) and sum_to_shape(g * x, y.shape).",
            detect=lambda case, got: _op(case) == "mul" and _wrong_shape_pair(case, got)
            and (got[0].shape, got[1].shape) != (case.args[3].shape, case.args[2].shape)),  # not (gy, gx)
    Mistake("matmul: .T on a batch",
            "`.T` reverses ALL the axes of a 3-D array; transpose only the last two: np.swapaxes(y, -1, -2) "
            "(or y.transpose(0, 2, 1) for 3-D).",
            wrong=_matmul_wrong(lambda g, x, y: (sum_to_shape(g @ y.T, x.shape), sum_to_shape(x.T @ g, y.shape)))),
    Mistake("matmul: batch not summed",
            "one input was broadcast over the batch (it has fewer leading axes, or size 1 there): sum its "
            "gradient over those axes, e.g. sum_to_shape(gy, y.shape).",
            wrong=_matmul_wrong(lambda g, x, y: (g @ _swap(y), _swap(x) @ g))),
    Mistake("matmul: no transpose",
            "follow the shapes: x (n, k) @ y (k, m) = g (n, m), so gx = g @ y^T, (n, m) @ (m, k), and "
            "gy = x^T @ g, (k, n) @ (n, m); without the transposes the shapes (or, for square matrices, "
            "the numbers) are wrong.",
            wrong=_matmul_wrong(lambda g, x, y: (sum_to_shape(g @ y, x.shape), sum_to_shape(x @ g, y.shape)))),
    Mistake("matmul: transposed result",
            "gy = x^T @ g, not g^T @ x (that is gy transposed): each gradient has its input's shape.",
            wrong=_matmul_wrong(lambda g, x, y: (sum_to_shape(g @ _swap(y), x.shape), _swap(g) @ x))),
    Mistake("matmul: factors in the wrong order",
            "matrix products do not commute: gx = g @ y^T (g on the left) and gy = x^T @ g (g on the right).",
            wrong=_matmul_wrong(lambda g, x, y: (sum_to_shape(_swap(y) @ g, x.shape),
                                                 sum_to_shape(g @ _swap(x), y.shape)))),
    Mistake("matmul: wrong shape",
            "each gradient has exactly its input's shape: gx like x, gy like y (sum_to_shape undoes a "
            "broadcast batch).",
            detect=lambda case, got: _op(case) == "matmul" and _wrong_shape_pair(case, got)
            and got[0].ndim <= case.args[2].ndim and got[1].ndim <= case.args[3].ndim),  # more axes: batch not summed
    Mistake("binary: not a pair",
            "return the two gradients as a tuple: `return gx, gy`.",
            detect=_not_tuple_of_two),
    Mistake("binary: changed the dtype",
            "keep g's dtype (float32 stays float32): no float64 constants or np.zeros accumulators.",
            detect=lambda case, got: isinstance(got, tuple) and any(
                isinstance(v, np.ndarray) and v.dtype != case.args[1].dtype for v in got)),
]


@exercise(reference=reference_binary_backward, forbidden=[rule_of(P.mul), rule_of(P.matmul), *_AUTODIFF])
def check_binary_backward(binary_backward, hidden: bool = False) -> None:
    """Exercise 04.2: binary_backward(op, g, x, y) -> (gx, gy) for op "mul" (x * y) and "matmul" (x @ y)."""
    run_check("04.2", "binary_backward", binary_backward, _binary_cases(hidden), reference=reference_binary_backward,
              mistakes=BINARY_BACKWARD_MISTAKES)


# ----- 04.3 unary_backward: sum, relu, exp, log ---------------------------------------------------------
_ELEMENTWISE = {"relu": P.relu, "exp": P.exp, "log": P.log}


def reference_unary_backward(op: str, g: np.ndarray, x: np.ndarray, axis: Any = None,
                             keepdims: bool = False) -> np.ndarray:
    """The engine's rule of x.sum(axis, keepdims) (op "sum"), relu(x), exp(x) or log(x): gx of x's shape."""
    if op == "sum":
        (gx,) = P.reduce_sum.forward(x, axis, keepdims)[1](g)
    elif op in _ELEMENTWISE:
        (gx,) = _ELEMENTWISE[op].forward(x)[1](g)
    else:
        raise ValueError(f"unary_backward: unknown op {op!r}; expected 'sum', 'relu', 'exp' or 'log'")
    return gx


def _unary_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 4)
    elementwise = [("relu", (5,)), ("relu", (3, 1)), ("exp", (4,)), ("exp", ()), ("log", (2, 3)), ("log", ()),
                   ("relu", (2, 2))]
    sums = [((3, 4), None, False), ((3, 4), 0, False), ((3, 3), 1, False), ((3, 4), 1, True),
            ((2, 3, 4), (0, 2), False), ((3, 1, 4), 1, False), ((2, 3), -1, False), ((2, 3), None, True)]
    if hidden:
        elementwise = [("relu", (7,)), ("relu", ()), ("exp", (3, 2)), ("exp", (1, 3)), ("log", (4,)),
                       ("log", (2, 1)), ("relu", (2, 3))]
        sums = [((4, 2), None, False), ((4, 2), 0, True), ((4, 4), 1, False), ((2, 2), 0, False),
                ((2, 3, 4), 1, False), ((2, 3, 4), (1, 2), True), ((2, 3, 4), -2, False), ((3, 2, 1), (0, -1), False)]
    cases = []
    for n, (op, shape) in enumerate(elementwise):
        dtype = np.float64 if n % 3 == 2 else np.float32
        low = 0.2 if op == "log" else -2.0
        x = _array(rng.uniform(low, 3.0 if op == "log" else 2.0, size=shape), dtype)
        if op == "relu" and x.size > 2:
            x.flat[1] = 0.0  # the kink: either side's slope is accepted there
        g = _array(rng.uniform(-2.0, 2.0, size=shape), dtype)
        g[g == 0] = 0.5  # a zero g would hide a missing factor
        cases.append(Case((op, g, x)))
    for n, (shape, axis, keepdims) in enumerate(sums):
        dtype = np.float64 if n % 3 == 2 else np.float32
        x = _array(rng.standard_normal(shape), dtype)
        g = _array(rng.standard_normal(np.sum(x, axis=axis, keepdims=keepdims).shape), dtype)
        cases.append(Case(("sum", g, x), {"axis": axis, "keepdims": keepdims}))
    return cases


def _same_unary(expected: Any, got: Any, case: Case) -> bool:
    """The usual comparison; for relu at exactly x == 0 both 0 and g are accepted (the slope is undefined)."""
    op, g, x = case.args
    if op != "relu" or not isinstance(got, (np.ndarray, np.generic)) or np.shape(got) != np.shape(expected):
        return same(expected, got, case)
    got, expected = np.asarray(got), np.asarray(expected)
    if got.dtype != expected.dtype:
        return False
    kink = x == 0
    at_kink_ok = np.all(np.isclose(got[kink], 0) | np.isclose(got[kink], g[kink]))
    return bool(at_kink_ok and np.allclose(got[~kink], expected[~kink], rtol=1e-5, atol=1e-6))


def _plain_broadcast(g: np.ndarray, x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    return np.broadcast_to(g, x.shape)


def _expand_always(g: np.ndarray, x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    if axis is None:
        return np.broadcast_to(g, x.shape)
    return np.broadcast_to(np.expand_dims(g, axis), x.shape)


def _like_mean(g: np.ndarray, x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    gx = reference_unary_backward("sum", g, x, axis, keepdims)
    return (gx * (g.size / x.size)).astype(g.dtype)


_unary = partial(_only, reference=reference_unary_backward)

UNARY_BACKWARD_MISTAKES = [
    Mistake("relu: wrong side",
            "relu passes the gradient where x > 0 (slope 1) and blocks it where x < 0 (slope 0): g * (x > 0).",
            wrong=_unary("relu", lambda g, x: g * (x < 0))),
    Mistake("relu: mask from g",
            "the mask comes from the forward input x, not from g: g * (x > 0), not max(g, 0).",
            wrong=_unary("relu", lambda g, x: np.maximum(g, 0))),
    Mistake("relu: forgot g",
            "multiply the slope by the incoming gradient: g * (x > 0).",
            wrong=_unary("relu", lambda g, x: (x > 0).astype(x.dtype))),
    Mistake("exp: times x",
            "d exp(x)/dx = exp(x), so the rule is g * exp(x), not g * x.",
            wrong=_unary("exp", lambda g, x: g * x)),
    Mistake("exp: forgot g",
            "multiply the local slope exp(x) by the incoming gradient: g * exp(x).",
            wrong=_unary("exp", lambda g, x: np.exp(x))),
    Mistake("exp: exp of g",
            "the slope is taken at the forward input: g * exp(x), not exp(g).",
            wrong=_unary("exp", lambda g, x: np.exp(g))),
    Mistake("log: 1 / g",
            "d log(x)/dx = 1 / x, so the rule is g / x: divide by x, not by g.",
            wrong=_unary("log", lambda g, x: 1 / g)),
    Mistake("log: g * x",
            "d log(x)/dx = 1 / x, so the rule is g / x, not g * x.",
            wrong=_unary("log", lambda g, x: g * x)),
    Mistake("log: forgot g",
            "multiply the local slope 1 / x by the incoming gradient: g / x.",
            wrong=_unary("log", lambda g, x: 1 / x)),
    Mistake("log: log instead of its slope",
            "the backward rule uses the derivative of log, 1 / x, not log itself: g / x.",
            wrong=_unary("log", lambda g, x: g * np.log(x))),
    Mistake("sum: no re-expansion",
            "put the summed axes back as size 1 before broadcasting: with keepdims=False, "
            "g = np.expand_dims(g, axis); then np.broadcast_to(g, x.shape). Broadcasting alone lines g up "
            "on the right, which is the wrong axis unless you summed the leading one.",
            wrong=_unary("sum", _plain_broadcast)),
    Mistake("sum: expanded twice",
            "with keepdims=True the summed axes are still there (as size 1): broadcast g directly, "
            "do not insert them again.",
            wrong=_unary("sum", _expand_always)),
    Mistake("sum: divided by the count",
            "that is the gradient of the MEAN; every element enters the sum once, so its gradient is g "
            "itself (copied), with no division.",
            wrong=_unary("sum", _like_mean)),
    Mistake("sum: returned g",
            "the gradient has x's shape, not g's: copy g along the summed axes (np.broadcast_to).",
            detect=lambda case, got: _op(case) == "sum" and isinstance(got, np.ndarray)
            and got.shape == case.args[1].shape != case.args[2].shape),
    Mistake("unary: changed the dtype",
            "keep g's dtype: np.ones(x.shape) is float64, so np.ones(x.shape) * g turns a float32 g into "
            "float64; g * (x > 0) and np.broadcast_to keep it.",
            detect=lambda case, got: isinstance(got, (np.ndarray, np.generic)) and got.dtype != case.args[1].dtype),
    Mistake("unary: wrong shape",
            "return an array of exactly x's shape.",
            detect=lambda case, got: isinstance(got, np.ndarray) and got.shape != case.args[2].shape),
    Mistake("unary: not an ndarray",
            "return a NumPy array of x's shape (for a 0-d x, a 0-d array is fine).",
            detect=lambda case, got: not isinstance(got, (np.ndarray, np.generic, Raised))),
]


@exercise(reference=reference_unary_backward,
          forbidden=[rule_of(P.reduce_sum), rule_of(P.relu), rule_of(P.exp), rule_of(P.log), *_AUTODIFF])
def check_unary_backward(unary_backward, hidden: bool = False) -> None:
    """Exercise 04.3: unary_backward(op, g, x, axis=None, keepdims=False) -> gx for "relu", "exp", "log", "sum"."""
    run_check("04.3", "unary_backward", unary_backward, _unary_cases(hidden), reference=reference_unary_backward,
              mistakes=UNARY_BACKWARD_MISTAKES, same=_same_unary)


# ----- graphs for 04.4 and 04.5 -------------------------------------------------------------------------
class _TooMuchWork(Exception):
    """A graph walk read `node.parents` far more often than a walk that visits every node once needs."""


class _Budget:
    """The work budget of one graph of n nodes: a walk may read `node.parents` n**3 + 100 times (counted, not
    timed). Any walk that visits each node a bounded number of times, even a quadratic or cubic one, stays far
    below; one that revisits shared nodes without a visited set needs 2**30 reads on a chain of 30 nodes."""

    def __init__(self, nodes: int) -> None:
        self.nodes, self.limit, self.used = nodes, nodes**3 + 100, 0

    def spend(self) -> None:
        self.used += 1
        if self.used > self.limit:
            import sys

            depth, frame = 0, sys._getframe()
            while frame is not None:
                depth, frame = depth + 1, frame.f_back
            if depth > 2 * self.nodes + 60:  # the walk never returns: it recurses without end
                raise RecursionError(f"the walk was {depth} calls deep on a graph of {self.nodes} nodes")
            raise _TooMuchWork(f"read node.parents {self.limit} times on a graph of {self.nodes} nodes "
                               "and was not done")


class _Node:
    """The check's own node: the same attributes as the chapter's `Node` (`parents` reads count against a
    work budget shared by the nodes of one graph, when there is one)."""

    def __init__(self, value: np.ndarray, parents: tuple = (), backward: Callable | None = None,
                 name: str = "", budget: _Budget | None = None) -> None:
        self.value = value
        self._parents = tuple(parents)
        self.backward = backward
        self.name = name
        self._budget = budget

    @property
    def parents(self) -> tuple:
        if self._budget is not None:
            self._budget.spend()
        return self._parents

    def __repr__(self) -> str:
        return f"Node({self.name})"


_OPS = {"add": (P.add.forward, "+"), "mul": (P.mul.forward, "*"), "matmul": (P.matmul.forward, "@"),
        "relu": (P.relu.forward, "relu"), "exp": (P.exp.forward, "exp"), "log": (P.log.forward, "log"),
        "sum": (P.reduce_sum.forward, "sum")}


@dataclass(frozen=True)
class _Graph:
    """A graph as a recipe: ('a', array) for an input, ('c', 'mul', ('a', 'b')) or ('s', 'sum', ('h',), {...})
    for an op. The last step is the root. `build()` makes fresh nodes every time."""

    steps: tuple
    title: str

    def build(self, budget: bool = False) -> tuple[_Node, dict[str, _Node]]:
        """Fresh nodes, by step key. A key `h#2` makes a node NAMED `h` (two different nodes may share a name).
        With `budget`, reads of `node.parents` count against a `_Budget`."""
        nodes: dict[str, _Node] = {}
        limit = _Budget(len(self.steps)) if budget else None
        for step in self.steps:
            name = step[0]
            if isinstance(step[1], np.ndarray):
                nodes[name] = _Node(step[1].copy(), (), None, name.split("#")[0], limit)
                continue
            op, parent_names = step[1], step[2]
            attrs = step[3] if len(step) > 3 else {}
            parents = tuple(nodes[p] for p in parent_names)
            out, backward = _OPS[op][0](*(p.value for p in parents), **attrs)
            nodes[name] = _Node(np.asarray(out), parents, backward, name.split("#")[0], limit)
        return nodes[self.steps[-1][0]], nodes

    def text(self) -> str:
        parts = []
        for step in self.steps:
            if isinstance(step[1], np.ndarray):
                parts.append(f"{step[0]} {step[1].dtype} {step[1].shape}" if step[1].ndim else step[0])
            else:
                symbol = _OPS[step[1]][1]
                args = step[2]
                if symbol in "+*@" and len(args) == 2:
                    parts.append(f"{step[0]} = {args[0]} {symbol} {args[1]}")
                else:
                    parts.append(f"{step[0]} = {symbol}({', '.join(args)})")
        return f"{self.title}: " + "; ".join(parts)

    def __repr__(self) -> str:
        return self.text()


def _scalar(value: float) -> np.ndarray:
    return np.array(value, dtype=np.float64)


def _compass_graph() -> _Graph:
    """The chapter's example f = (a * b + c) * a with a = 2, b = -3, c = 10 (a is used twice)."""
    return _Graph((("a", _scalar(2.0)), ("b", _scalar(-3.0)), ("c", _scalar(10.0)), ("d", "mul", ("a", "b")),
                   ("e", "add", ("d", "c")), ("f", "mul", ("e", "a"))), "f = (a * b + c) * a")


def _random_dag(rng: np.random.Generator, n_inputs: int, n_ops: int) -> _Graph:
    """Random adds and products of earlier nodes (reuse is frequent, x + x too); the root joins what is left."""
    steps: list = [(f"x{i}", _scalar(float(rng.uniform(0.5, 1.2)))) for i in range(n_inputs)]
    names = [s[0] for s in steps]
    unused = set(names)
    for i in range(n_ops):
        op = "mul" if rng.random() < 0.4 else "add"
        parents = tuple(str(p) for p in rng.choice(names, size=2, replace=True))
        steps.append((f"n{i}", op, parents))
        unused -= set(parents)
        unused.add(f"n{i}")
        names.append(f"n{i}")
    rest = [n for n in names if n in unused]
    acc = rest[0]
    for j, other in enumerate(rest[1:]):
        steps.append((f"j{j}", "add", (acc, other)))
        acc = f"j{j}"
    return _Graph(tuple(steps), f"a random graph of {len(steps)} nodes")


def _chain(length: int) -> _Graph:
    """v0, v1 = v0 + v0, v2 = v1 + v0, v3 = v2 + v1, ...: every node is used by the next two."""
    steps: list = [("v0", _scalar(0.9))]
    for i in range(1, length):
        steps.append((f"v{i}", "add", (f"v{i - 1}", f"v{max(i - 2, 0)}")))
    return _Graph(tuple(steps), f"a chain of {length} nodes, each used twice")


def _network(rng: np.random.Generator, n: int, k: int, m: int) -> _Graph:
    """loss = sum(relu(x @ W + b) * relu(x @ W + b) ... ): a tiny layer whose hidden value is used twice."""
    x, w, b = rng.standard_normal((n, k)), rng.standard_normal((k, m)) * 0.5, rng.standard_normal(m) * 0.1
    return _Graph((("x", x), ("W", w), ("b", b), ("z", "matmul", ("x", "W")), ("y", "add", ("z", "b")),
                   ("h", "relu", ("y",)), ("q", "mul", ("h", "h")), ("loss", "sum", ("q",))),
                  "a tiny layer")


def _topo_graphs(hidden: bool) -> list[_Graph]:
    rng = _rng(hidden, 6)
    one = _Graph((("x", _scalar(1.5)),), "a single input")
    twice = _Graph((("x", _scalar(1.5)), ("y", "add", ("x", "x"))), "y = x + x")
    namesakes = _Graph((("x", _scalar(1.5)), ("h", "exp", ("x",)), ("h#2", "log", ("x",)), ("y", "mul", ("h", "h#2"))),
                       "two different nodes both named h (the second shown as h#2)")
    diamond = _Graph((("a", _scalar(1.5)), ("b", "exp", ("a",)), ("c", "log", ("a",)), ("d", "mul", ("b", "c"))),
                     "a diamond")
    if hidden:
        return [_Graph((("x", _scalar(0.5)), ("y", "mul", ("x", "x")), ("z", "mul", ("y", "x"))), "z = x * x * x"),
                _network(rng, 2, 3, 2), _random_dag(rng, 3, 9), _random_dag(rng, 4, 14), _chain(40),
                diamond, _Graph((("w", _scalar(0.7)), ("a", "relu", ("w",)), ("a#2", "exp", ("w",)),
                                 ("a#3", "add", ("a", "a#2"))), "three different nodes all named a"), one]
    return [_compass_graph(), twice, diamond, namesakes, _network(rng, 3, 2, 2), _random_dag(rng, 3, 8), _chain(30),
            one]


# ----- 04.4 topological_order ---------------------------------------------------------------------------
def reference_topological_order(root: Any) -> list:
    """Depth-first, iterative: a node is appended after all its parents."""
    order, visited = [], {id(root)}
    stack = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if id(parent) not in visited:
                visited.add(id(parent))
                stack.append((parent, iter(parent.parents)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


@outcome_class
class _NotNodes:
    """The outcome "a list or tuple whose items are not nodes" (names, values, ...)."""

    def __init__(self, items: Any) -> None:
        self.items = items

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _NotNodes) and repr(other) == repr(self)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        kinds = sorted({type(i).__name__ for i in self.items})
        return f"a {type(self.items).__name__} of {', '.join(kinds)}, not nodes: {self.items!r}"[:200]


def _names(result: Any, keys: dict[int, str]) -> Any:
    """A list of nodes as their keys in the graph (what the feedback shows: the name, `h#2` for a second node
    named h); a list of other things marked as such."""
    if isinstance(result, (list, tuple)):
        if all(isinstance(n, _Node) for n in result):
            return type(result)(keys.get(id(n), "?") for n in result)
        return _NotNodes(result)
    return result


def _call_topo(fn: Callable, case: Case) -> Any:
    graph = case.args[0]
    root, nodes = graph.build(budget=True)
    return _names(fn(root), {id(n): key for key, n in nodes.items()})


def _parents_of(graph: _Graph) -> dict[str, tuple]:
    return {s[0]: (() if isinstance(s[1], np.ndarray) else tuple(s[2])) for s in graph.steps}


def _needed(graph: _Graph) -> set[str]:
    """The keys of the nodes the root depends on (and the root)."""
    root, nodes = graph.build()
    keys = {id(n): key for key, n in nodes.items()}
    return {keys[id(n)] for n in reference_topological_order(root)}


def _valid_order(names: Any, graph: _Graph) -> bool:
    parents = _parents_of(graph)
    needed = _needed(graph)
    if not isinstance(names, list) or len(names) != len(needed) or set(names) != needed:
        return False
    position = {n: i for i, n in enumerate(names)}
    return all(position[p] < position[n] for n in names for p in parents[n])


def _same_topo(expected: Any, got: Any, case: Case) -> bool:
    """Any valid order is right: every needed node once, each after its parents."""
    return _valid_order(got, case.args[0])


def _has_duplicates(case: Case, got: Any) -> bool:
    return isinstance(got, list) and len(got) != len(set(map(str, got)))


def _reversed_order(case: Case, got: Any) -> bool:
    return isinstance(got, list) and len(got) > 1 and _valid_order(got[::-1], case.args[0])


def _missing_nodes(case: Case, got: Any) -> bool:
    return isinstance(got, list) and set(map(str, got)) < _needed(case.args[0]) and not _one_per_name(case, got)


def _one_per_name(case: Case, got: Any) -> bool:
    """Nodes that share a name with another node are missing, and nothing else is (a visited set of names)."""
    needed = _needed(case.args[0])
    missing = needed - set(map(str, got)) if isinstance(got, list) else set()
    return bool(missing) and all("#" in key for key in missing) and len(got) == len({k.split("#")[0] for k in needed})


def _describe_graph_case(case: Case) -> str:
    return _tr("root of {case_args_0_text} (any order with each node once, after its parents, is right)").format(
               case_args_0_text=case.args[0].text())


TOPOLOGICAL_ORDER_MISTAKES = [
    Mistake("exponential walk",
            "your walk visits shared nodes again and again: every node used twice doubles the work, so a chain "
            "of 30 such nodes takes 2**30 visits. Keep a `visited` set of nodes and return at once from a node "
            "already in it (checking `node not in order` after the walk is too late).",
            detect=lambda case, got: _raised(got, _TooMuchWork)),
    Mistake("visited set of names",
            "two different nodes may have the same name: remember the nodes themselves in `visited` "
            "(`visited.add(node)` or `id(node)`), not their names.",
            detect=_one_per_name),
    Mistake("reused node visited twice",
            "a node used twice (like `a` in f = (a * b + c) * a) must appear once: keep a `visited` set and "
            "skip a parent you have already seen.",
            detect=_has_duplicates),
    Mistake("root first",
            "the order runs from the inputs to the root: a node comes AFTER all its parents, and the root "
            "is last (append a node after visiting its parents, or reverse your list at the end).",
            detect=_reversed_order),
    Mistake("nodes missing",
            "list every node the root depends on, inputs included: walk the parents of the parents too, "
            "not just the root's own parents.",
            detect=_missing_nodes),
    Mistake("not the nodes",
            "return the Node objects themselves (the list `order` of nodes), not their names or values.",
            detect=lambda case, got: isinstance(got, _NotNodes)),
    Mistake("not a list",
            "return a Python list of the nodes (not a set, a tuple or a generator).",
            detect=lambda case, got: got is not None and not isinstance(got, (list, Raised))),
    Mistake("recursion too deep",
            "your recursion does not stop: each call must recurse on the node's PARENTS (not on the node "
            "itself), and skip nodes already visited; for very deep graphs, walk with an explicit stack.",
            detect=lambda case, got: _raised(got, RecursionError)),
    Mistake("parent after child",
            "a node may be appended only after ALL its parents are in the list: a depth-first walk that "
            "appends each node after visiting its parents (post-order) does this; a breadth-first walk "
            "from the root does not when a node is reached by paths of different lengths.",
            detect=lambda case, got: isinstance(got, list)),
]


@exercise(reference=reference_topological_order, forbidden=[autodiff.topological_order])
def check_topological_order(topological_order, hidden: bool = False) -> None:
    """Exercise 04.4: topological_order(root) -> list of the nodes root depends on, each once, parents first."""
    cases = [Case((graph,)) for graph in _topo_graphs(hidden)]
    run_check("04.4", "topological_order", topological_order, cases, reference=reference_topological_order,
              mistakes=TOPOLOGICAL_ORDER_MISTAKES, call=_call_topo, same=_same_topo,
              describe_case=_describe_graph_case)


# ----- 04.5 backward ------------------------------------------------------------------------------------
@outcome_class
class _NoGradient:
    """The outcome "the returned dict has no entry for this node"."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _NoGradient) and other.name == self.name

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"no entry for node {self.name} in the returned dict"


def reference_backward(root: Any, order: list) -> dict:
    """Seed the root with ones, walk the order backwards, add up what each parent receives."""
    grads = {root: np.ones_like(root.value)}
    for node in reversed(order):
        if node.backward is None:
            continue
        for parent, g in zip(node.parents, node.backward(grads[node])):
            grads[parent] = grads[parent] + g if parent in grads else g
    return grads


def _shuffled_order(root: Any, seed: int) -> list:
    """A valid topological order other than the depth-first one: Kahn's algorithm with random ties."""
    nodes = reference_topological_order(root)
    pending = {id(n): len({id(p) for p in n.parents}) for n in nodes}
    children: dict[int, list] = {id(n): [] for n in nodes}
    for n in nodes:
        for p in {id(p): p for p in n.parents}.values():
            children[id(p)].append(n)
    rng = np.random.default_rng(seed)
    ready = [n for n in nodes if pending[id(n)] == 0]
    order = []
    while ready:
        node = ready.pop(int(rng.integers(len(ready))))
        order.append(node)
        for child in children[id(node)]:
            pending[id(child)] -= 1
            if pending[id(child)] == 0:
                ready.append(child)
    return order


def _call_backward(fn: Callable, case: Case) -> Any:
    """Build the graph afresh, run fn(root, order), return the gradient of the case's node."""
    graph, name, shuffle = case.args
    root, nodes = graph.build()
    order = _shuffled_order(root, shuffle) if shuffle is not None else reference_topological_order(root)
    grads = fn(root, order)
    if not isinstance(grads, dict):
        return grads
    node = nodes[name]
    return grads[node] if node in grads else _NoGradient(name)


def _backward_cases(hidden: bool) -> list[Case]:
    cases = []
    for k, graph in enumerate(_backward_graphs(hidden)):
        root, _ = graph.build()
        shuffle = 10 * k + (7 if hidden else 0) if k % 2 else None
        for node in reference_topological_order(root):
            used = sum(p is node for other in reference_topological_order(root) for p in other.parents)
            times = {1: "", 2: ", used twice"}.get(used, f", used {used} times")
            note = f"the gradient of {node.name}{times}"
            cases.append(Case((graph, node.name, shuffle), note=note))
    return cases


def _backward_graphs(hidden: bool) -> list[_Graph]:
    rng = _rng(hidden, 7)
    twice = _Graph((("x", rng.standard_normal(3)), ("y", "add", ("x", "x")), ("s", "sum", ("y",))),
                   "s = sum(x + x)")
    vector_root = _Graph((("x", rng.standard_normal((2, 3))), ("e", "exp", ("x",)), ("y", "mul", ("e", "x"))),
                         "y = exp(x) * x, a (2, 3) root")
    logs = _Graph((("x", rng.uniform(0.5, 2, (3, 1))), ("b", rng.uniform(0.5, 2, 4)), ("y", "add", ("x", "b")),
                   ("l", "log", ("y",)), ("m", "mul", ("l", "y")), ("s", "sum", ("m",), {"axis": 1})),
                  "log and broadcasting")
    twice_root = _Graph((("x", rng.standard_normal((2, 2))), ("y", "add", ("x", "x"))), "y = x + x, a (2, 2) root")
    if hidden:
        return [_network(rng, 3, 4, 2), twice_root, twice, _chain(12), logs, _random_dag(rng, 3, 7)]
    return [_compass_graph(), twice, twice_root, _network(rng, 4, 3, 2), vector_root, logs, _random_dag(rng, 2, 6)]


def _overwrite(root: Any, order: list) -> dict:
    grads = {root: np.ones_like(root.value)}
    for node in reversed(order):
        if node.backward is not None:
            for parent, g in zip(node.parents, node.backward(grads[node])):
                grads[parent] = g
    return grads


def _in_place(root: Any, order: list) -> dict:
    """`grads[p] += gp`, with read-only arrays copied first (the learner's fix for "output array is read-only"):
    a parent that receives the very array of another node's gradient then changes that gradient too."""
    grads = {root: np.ones_like(root.value)}
    for node in reversed(order):
        if node.backward is not None:
            for parent, g in zip(node.parents, node.backward(grads[node])):
                if parent in grads:
                    grads[parent] += g
                else:
                    grads[parent] = g if np.ndim(g) == 0 or g.flags.writeable else g.copy()
    return grads


def _scalar_seed(root: Any, order: list) -> dict:
    grads = {root: 1.0}
    for node in reversed(order):
        if node.backward is not None:
            for parent, g in zip(node.parents, node.backward(np.asarray(grads[node]))):
                grads[parent] = grads[parent] + g if parent in grads else g
    return grads


def _describe_backward_case(case: Case) -> str:
    graph, name, shuffle = case.args
    how = " (the order given is not the depth-first one)" if shuffle is not None else ""
    return _tr("backward(root, order) on {graph_text}; we look at grads[{name}]{how}").format(
               graph_text=graph.text(), name=name, how=how)


BACKWARD_MISTAKES = [
    Mistake("overwritten, not accumulated",
            "a node used several times receives a gradient from each use: ADD them up "
            "(`grads[p] = grads[p] + gp` if p already has one), do not overwrite.",
            wrong=_overwrite),
    Mistake("accumulated in place",
            "do not add in place (`grads[p] += gp`): gp may be the very array another node holds as its "
            "gradient (add passes g through unchanged), and `+=` changes that one too; write "
            "`grads[p] = grads[p] + gp`.",
            wrong=_in_place),
    Mistake("in place on a read-only array",
            "do not add in place (`grads[p] += gp`): the gradient of a sum is a read-only broadcast view; "
            "write `grads[p] = grads[p] + gp`.",
            detect=lambda case, got: _raised(got, ValueError, text="read-only")),
    Mistake("seed without the root's shape",
            "seed the root with np.ones_like(root.value), an array of the root's shape and dtype (a root "
            "need not be a scalar), not the number 1.",
            wrong=_scalar_seed),
    Mistake("forward order",
            "walk `reversed(order)`: a node's gradient is complete only after every node that uses it "
            "has passed its share back, and the root comes first.",
            detect=lambda case, got: _raised(got, KeyError)),
    Mistake("called backward on an input",
            "inputs (leaves) have backward=None: skip them.",
            detect=lambda case, got: _raised(got, TypeError, text="NoneType")),
    Mistake("missing gradients",
            "return a dict with the gradient of EVERY node in order (inputs, inner nodes and the root), "
            "keyed by the node itself.",
            detect=lambda case, got: isinstance(got, _NoGradient)),
    Mistake("not a dict",
            "return a dict {node: gradient}, keyed by the node objects.",
            detect=lambda case, got: not isinstance(got, (np.ndarray, np.generic, float, _NoGradient, Raised))),
]


@exercise(reference=reference_backward, forbidden=_AUTODIFF)
def check_backward(backward, hidden: bool = False) -> None:
    """Exercise 04.5: backward(root, order) -> {node: gradient of sum(root) w.r.t. node} for every node."""
    run_check("04.5", "backward", backward, _backward_cases(hidden), reference=reference_backward,
              mistakes=BACKWARD_MISTAKES, call=_call_backward, describe_case=_describe_backward_case)


# ----- 04.6 hypot: a primitive of your own --------------------------------------------------------------
@P.primitive(inputs=2)
def reference_hypot(x: np.ndarray, y: np.ndarray) -> tuple:
    """sqrt(x**2 + y**2) elementwise, with broadcasting; the rule: gx = g * x / out, gy = g * y / out."""
    out = np.sqrt(x * x + y * y)

    def backward(g: np.ndarray) -> tuple:
        return sum_to_shape(g * x / out, x.shape), sum_to_shape(g * y / out, y.shape)

    return out, backward


def _hypot_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 8)
    plans = [((3,), (3,)), ((4, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 2)), ((2, 3), (2, 3)), ((3, 2), (3, 1))]
    if hidden:
        plans = [((4,), (4,)), ((2, 3), (2, 1)), ((3, 1), (1, 2)), ((2, 2), ()), ((5,), (2, 5)), ((1, 3), (3, 3))]
    cases = []
    for n, (sx, sy) in enumerate(plans):
        dtype = np.float64 if n == 4 else np.float32

        def values(shape: tuple, dtype: Any = dtype) -> np.ndarray:  # away from 0, where hypot has no slope
            return _array(rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape), dtype)

        x, y = values(sx), values(sy)
        w = _array(rng.uniform(-1.0, 1.0, np.broadcast_shapes(sx, sy)), dtype)
        cases.append(Case((x, y, w)))
    return cases


def _call_hypot(fn: Any, case: Case) -> tuple:
    """The answer as a primitive of the engine: its value, and its gradients under ms.grad of sum(hypot * w)."""
    import tinyspore as ms

    x, y, w = (ms.Tensor(a) for a in case.args)
    value = fn(x, y)  # first, so that a stub says "not implemented"
    if not callable(getattr(fn, "forward", None)):
        raise BadReturn("`hypot` is not a primitive of the engine: put `@primitive(inputs=2)` on the line above "
                        "`def hypot`")
    gx, gy = ms.grad(lambda a, b: (fn(a, b) * w).sum(), grad_position=(0, 1))(x, y)
    return value, gx, gy


def _describe_hypot_case(case: Case) -> str:
    from tinyspore_grader import describe

    x, y, w = case.args
    return (_tr("x {describe_x}, y {describe_y}  [expected/got = (hypot(x, y), and under ms.grad the gradients "
                "of sum(hypot(x, y) * w) for x and for y, with w {describe_w})]").format(
                describe_x=describe(x), describe_y=describe(y), describe_w=describe(w)))


def _hypot_rule(backward: Callable) -> Callable:
    """A wrong primitive: the right forward with the backward `backward(g, x, y, out)`."""
    @P.primitive(inputs=2)
    def hypot(x: np.ndarray, y: np.ndarray) -> tuple:
        out = np.sqrt(x * x + y * y)
        return out, lambda g: backward(g, x, y, out)
    return hypot


HYPOT_MISTAKES = [
    Mistake("not a primitive",
            "`hypot` must be a primitive of the engine: decorate it with `@primitive(inputs=2)`, work on the "
            "NumPy arrays it receives, and return `(out, backward)`; Tensor operations inside are not needed.",
            detect=lambda case, got: _raised(got, BadReturn, text="not a primitive")),
    Mistake("forward returns only the value",
            "a primitive's forward returns a PAIR: the value and its backward rule, `return out, backward`, "
            "where `def backward(g): return gx, gy`.",
            detect=lambda case, got: isinstance(got, Raised) and ("unpack" in str(got.error)
                                                                  or "not iterable" in str(got.error))),
    Mistake("hypot: no sum_to_shape",
            "an input that broadcasting stretched receives the SUM of its uses: return "
            "`sum_to_shape(g * x / out, x.shape)` and the same for y (as mul does in the engine).",
            wrong=_hypot_rule(lambda g, x, y, out: (g * x / out, g * y / out))),
    Mistake("hypot: forgot g",
            "multiply by the incoming gradient g (the chain rule): gx = g * x / out, not x / out.",
            wrong=_hypot_rule(lambda g, x, y, out: (sum_to_shape(np.broadcast_to(x / out, g.shape), x.shape),
                                                    sum_to_shape(np.broadcast_to(y / out, g.shape), y.shape)))),
    Mistake("hypot: slope of x**2 + y**2",
            "the slope of sqrt(u) is 1 / (2 sqrt(u)), so d hypot / dx = x / hypot(x, y): 2 * x is the slope "
            "of x**2 + y**2, before the square root.",
            wrong=_hypot_rule(lambda g, x, y, out: (sum_to_shape(2 * g * x, x.shape),
                                                    sum_to_shape(2 * g * y, y.shape)))),
    Mistake("hypot: gradients swapped",
            "backward returns one gradient per input, in the order of the inputs: `(gx, gy)`, with gx = "
            "g * x / out for x.",
            wrong=_hypot_rule(lambda g, x, y, out: (sum_to_shape(g * y / out, x.shape),
                                                    sum_to_shape(g * x / out, y.shape)))),
    Mistake("hypot: one gradient",
            "backward must return one gradient per input, a pair `(gx, gy)`, even when you only think of x.",
            wrong=_hypot_rule(lambda g, x, y, out: sum_to_shape(g * x / out, x.shape))),
]


@exercise(reference=reference_hypot, forbidden=[])  # the engine has no hypot: the reference is the answer key
def check_hypot(hypot, hidden: bool = False) -> None:
    """Exercise 04.6: hypot(x, y) = sqrt(x**2 + y**2) as an engine primitive, value and gradients under ms.grad."""
    run_check("04.6", "hypot", hypot, _hypot_cases(hidden), reference=reference_hypot, mistakes=HYPOT_MISTAKES,
              call=_call_hypot, describe_case=_describe_hypot_case, same=partial(same, rtol=1e-5, atol=1e-6),
              inputs_unchanged=False)
