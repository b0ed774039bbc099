"""Checks of chapter 01, tensors: the broadcast shape rule, sum-to-shape, a matmul with a clear shape error,
and standardizing along an axis.

Each `check_<exercise>(answer, hidden=False)` runs the answer against `reference_<exercise>` (built on NumPy
and `tinyspore`) on fixed-seed cases; `hidden=True` uses other seeds and cases (the hidden tests of nbgrader).
The notebook's demos fall back to the references through `pick` while an answer does not pass yet.
"""

from __future__ import annotations

from functools import partial

import numpy as np

import tinyspore as ms
from tinyspore import ops
from tinyspore.nn.normalization import _BatchNorm
from tinyspore.ops.nn_ops import batch_norm_training
from tinyspore_grader import Case, Mistake, Raised, exercise, run_check, same, watch_inputs
from tinyspore_grader.i18n import _ as _tr


def _rng(hidden: bool, salt: int) -> np.random.Generator:
    return np.random.default_rng(1000 * salt + (7 if hidden else 0))


def shape_named(message: str, shape: tuple) -> bool:
    """Whether an error message shows `shape`, however it is written: (4, 3), [4, 3], (4,3), 4x3, 4 × 3;
    a 1-d shape in brackets, (3,), (3) or [3]; the 0-d shape as (), [] or 'scalar'."""
    sizes = [str(int(n)) for n in shape]
    forms = {"(" + ", ".join(sizes) + ")", "[" + ", ".join(sizes) + "]", "(" + ",".join(sizes) + ")",
             "[" + ",".join(sizes) + "]"}
    if len(sizes) == 1:
        forms |= {f"({sizes[0]},)", f"({sizes[0]}, )"}
    elif len(sizes) > 1:
        forms |= {sep.join(sizes) for sep in ("x", " x ", "×", " × ")}
    else:
        forms |= {"scalar"}
    return any(form in message for form in forms)


def _raises_value_error_naming(shapes_of, expected, got, case) -> bool:
    """Both raise ValueError and the learner's message shows every input shape; else the usual comparison."""
    if isinstance(expected, Raised):
        return (isinstance(got, Raised) and isinstance(got.error, ValueError)
                and all(shape_named(str(got.error), s) for s in shapes_of(case)))
    return same(expected, got, case)


# ----- 01.1 broadcast_shape ----------------------------------------------------------------------------
def reference_broadcast_shape(shape_a: tuple, shape_b: tuple) -> tuple:
    try:
        return tuple(np.broadcast_shapes(tuple(shape_a), tuple(shape_b)))
    except ValueError:
        raise ValueError(f"broadcast_shape: shapes {tuple(shape_a)} and {tuple(shape_b)} do not broadcast") from None


def _broadcast_cases(hidden: bool) -> list[Case]:
    pairs = [((4, 3), (3,)), ((4, 1), (1, 5)), ((2, 1, 3), (4, 1)), ((), (2, 3)), ((5,), (5,)),
             ((0, 3), (1, 3)), ((3, 1), (0,)), ((4, 3), (4,)), ((2, 3), (3, 2))]
    if hidden:
        pairs = [((6, 1, 2), (5, 1)), ((1,), (7, 2)), ((3, 0), (3, 1)), ((2, 2), ()), ((8, 1, 1), (1, 4, 1)),
                 ((3, 4), (1, 5)), ((2, 3, 4), (3, 1)), ((1, 1), (1,)), ((7,), (6,))]
        rng = _rng(True, 1)
        for _ in range(3):  # random compatible shapes of mixed ranks
            out = tuple(int(s) for s in rng.integers(1, 5, size=rng.integers(1, 4)))
            a = tuple(s if rng.random() < 0.5 else 1 for s in out)
            b = tuple(s if rng.random() < 0.5 else 1 for s in out[rng.integers(0, len(out)):])
            pairs.append((a, b))
    return [Case((a, b)) for a, b in pairs]


BROADCAST_SHAPE_MISTAKES = [
    Mistake("aligned on the left",
            "line the shapes up on the RIGHT: the last axes are compared first, and the shorter shape "
            "gets 1s added on its left.",
            wrong=lambda a, b: _broadcast_left_aligned(a, b)),
    Mistake("max of the sizes",
            "taking the larger size on every axis is not the rule: sizes must be equal, or one of them 1 "
            "(a size 1 stretches; a size 0 stays 0 against 1, and 0 against 3 is an error).",
            wrong=lambda a, b: tuple(max(x, y) for x, y in zip((1,) * (len(b) - len(a)) + tuple(a),
                                                                (1,) * (len(a) - len(b)) + tuple(b)))),
    Mistake("no error on a mismatch",
            "when two sizes differ and neither is 1, raise ValueError naming both shapes, e.g. "
            "`broadcast_shape: shapes (4, 3) and (4,) do not broadcast`.",
            detect=lambda case, got: not isinstance(got, Raised) and _is_error_case(case)),
    Mistake("error without the shapes",
            "your ValueError should name both shapes, e.g. `shapes (4, 3) and (4,) do not broadcast`, "
            "so that whoever reads it sees what went wrong.",
            detect=lambda case, got: isinstance(got, Raised) and isinstance(got.error, ValueError)
            and _is_error_case(case)),
    Mistake("wrong exception type",
            "raise ValueError (not AssertionError, IndexError or another type) for shapes that do not broadcast.",
            detect=lambda case, got: isinstance(got, Raised) and _is_error_case(case)),
    Mistake("returns a list",
            "return a tuple, like `ndarray.shape`: `tuple(result)`.",
            detect=lambda case, got: isinstance(got, list)),
]


def _broadcast_left_aligned(shape_a: tuple, shape_b: tuple) -> tuple:
    """The mistake: pad the shorter shape with 1s on the right instead of the left."""
    n = max(len(shape_a), len(shape_b))
    a = tuple(shape_a) + (1,) * (n - len(shape_a))
    b = tuple(shape_b) + (1,) * (n - len(shape_b))
    return reference_broadcast_shape(a, b)


def _is_error_case(case: Case) -> bool:
    try:
        np.broadcast_shapes(*case.args)
    except ValueError:
        return True
    return False


@exercise(reference=reference_broadcast_shape, forbidden=[np.broadcast_shapes])  # the text says: do not call it
def check_broadcast_shape(broadcast_shape, hidden: bool = False) -> None:
    """Exercise 01.1: broadcast_shape(shape_a, shape_b) -> tuple, or ValueError naming both shapes."""
    run_check("01.1", "broadcast_shape", broadcast_shape, _broadcast_cases(hidden), reference=reference_broadcast_shape,
              mistakes=BROADCAST_SHAPE_MISTAKES,
              same=partial(_raises_value_error_naming, lambda case: case.args))


# ----- 01.2 sum_to_shape -------------------------------------------------------------------------------
def reference_sum_to_shape(grad: np.ndarray, shape: tuple) -> np.ndarray:
    from tinyspore.ops.primitives import sum_to_shape

    return sum_to_shape(grad, tuple(shape))


def _sum_to_shape_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 2)
    plans = [((4, 3), (3,)), ((4, 3), (4, 1)), ((4, 3), (1, 3)), ((4, 3), ()), ((2, 3, 4), (3, 1)),
             ((2, 3, 4), (2, 3, 4)), ((5, 1), (1,)), ((0, 3), (3,)), ((3, 2), (1, 1))]
    if hidden:
        plans = [((3, 5), (5,)), ((3, 5), (3, 1)), ((2, 4, 3), (4, 3)), ((2, 4, 3), (1, 4, 1)), ((6,), ()),
                 ((1, 4), (4,)), ((2, 0, 3), (1, 3)), ((4, 1, 2), (4, 1, 2)), ((3, 2, 2), (2, 1)),
                 ((2, 3), (2, 3))]
    cases = []
    for grad_shape, shape in plans:
        dtype = np.float64 if len(cases) % 3 == 2 else np.float32  # the dtype must survive the sums
        grad = rng.standard_normal(grad_shape).round(2).astype(dtype)
        cases.append(Case((grad, shape)))
    return cases


SUM_TO_SHAPE_MISTAKES = [
    Mistake("dropped the size-1 axis",
            "you dropped the size-1 axis: sum with keepdims=True, or reshape to `shape` at the end.",
            detect=lambda case, got: isinstance(got, np.ndarray) and got.shape != tuple(case.args[1])
            and got.size == int(np.prod(case.args[1]))),
    Mistake("always summed axis 0",
            "summing axis 0 only undoes one kind of broadcasting: work out from grad.shape and `shape` which axes "
            "were added on the left and which were stretched from 1, and sum over those.",
            wrong=lambda g, s: g.sum(axis=0)),
    Mistake("summed the leading axes only",
            "summing the added leading axes is not enough: also sum (keeping the axis) where `shape` has 1 "
            "and `grad` does not.",
            wrong=lambda g, s: g.sum(axis=tuple(range(g.ndim - len(s)))) if g.ndim > len(s) else g),
    Mistake("averaged instead of summed",
            "broadcasting copied each value to many places, so its gradient is the SUM of those places, "
            "not their mean.",
            wrong=lambda g, s: _mean_to_shape(g, s)),
    Mistake("summed everything",
            "only sum over the axes broadcasting added or stretched; the other axes keep their values.",
            detect=lambda case, got: isinstance(got, np.ndarray) and got.size == 1 and np.prod(case.args[1]) > 1),
    Mistake("changed the dtype",
            "keep grad's dtype: a float32 gradient stays float32 (no `np.zeros(shape)` accumulator, which is "
            "float64, and no float64 constants).",
            detect=lambda case, got: isinstance(got, np.ndarray) and got.dtype != case.args[0].dtype),
    Mistake("returned a Tensor or list",
            "work on NumPy arrays: return an ndarray (this function runs inside backward, on raw arrays).",
            detect=lambda case, got: not isinstance(got, (np.ndarray, Raised))),
]


def _mean_to_shape(grad: np.ndarray, shape: tuple) -> np.ndarray:
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and grad.shape[lead + i] != 1)
    return grad.mean(axis=axes, keepdims=True).reshape(shape) if axes else grad


@exercise(reference=reference_sum_to_shape, forbidden=[ops.sum_to_shape])
def check_sum_to_shape(sum_to_shape, hidden: bool = False) -> None:
    """Exercise 01.2: sum_to_shape(grad, shape) -> ndarray of exactly `shape`, grad's dtype."""
    run_check("01.2", "sum_to_shape", sum_to_shape, _sum_to_shape_cases(hidden), reference=reference_sum_to_shape,
              mistakes=SUM_TO_SHAPE_MISTAKES)


# ----- 01.3 matmul_checked -------------------------------------------------------------------------------
def reference_matmul_checked(a, b):
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"matmul_checked: {a.shape} @ {b.shape}: both inputs must be 2-D matrices")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"matmul_checked: {a.shape} @ {b.shape}: inner sizes {a.shape[1]} and {b.shape[0]} differ")
    return ops.matmul(a, b)


def _matmul_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 3)
    plans = [((3, 4), (4, 2)), ((1, 1), (1, 1)), ((0, 3), (3, 2)), ((2, 0), (0, 3)), ((5, 3), (3, 5)),
             ((3, 4), (5, 2)), ((2, 3), (2, 3)), ((3,), (3, 2)), ((2, 2, 3), (3, 2))]
    if hidden:
        plans = [((2, 5), (5, 3)), ((4, 1), (1, 4)), ((1, 6), (6, 1)), ((3, 0), (0, 2)), ((4, 3), (4, 3)),
                 ((2, 7), (6, 2)), ((4,), (4,)), ((3, 2), (2, 3, 1)), ((6, 2), (2, 6))]
    cases = []
    for i, (sa, sb) in enumerate(plans):
        dtype = np.float64 if i == 4 else np.float32
        a = ms.Tensor(rng.standard_normal(sa).round(2).astype(dtype))
        b = ms.Tensor(rng.standard_normal(sb).round(2).astype(dtype))
        cases.append(Case((a, b)))
    return cases


def _both_matrices(case: Case) -> bool:
    return case.args[0].ndim == 2 and case.args[1].ndim == 2


def _valid_matmul(case: Case) -> bool:
    a, b = case.args
    return _both_matrices(case) and a.shape[1] == b.shape[0]


MATMUL_CHECKED_MISTAKES = [
    Mistake("elementwise product",
            "`*` multiplies element by element (and broadcasts); the matrix product is `a @ b` or `ops.matmul(a, b)`.",
            detect=lambda case, got: isinstance(got, Raised) and "broadcast" in str(got.error)),
    Mistake("returns an ndarray",
            "return a Tensor, not an ndarray: `a @ b` on Tensors gives a Tensor (no `.asnumpy()` needed).",
            detect=lambda case, got: isinstance(got, np.ndarray)),
    Mistake("relies on the engine's error",
            "check the shapes yourself BEFORE multiplying, and raise ValueError('matmul_checked: ...') naming "
            "both shapes: the engine's own error does not say which function was called.",
            detect=lambda case, got: isinstance(got, Raised) and str(got.error).startswith("matmul:")),
    Mistake("accepts non-matrices",
            "matmul_checked takes 2-D matrices only: raise ValueError naming both shapes when `a.ndim != 2` or "
            "`b.ndim != 2` (NumPy's @ would quietly accept vectors and stacks of matrices).",
            detect=lambda case, got: not isinstance(got, Raised) and not _both_matrices(case)),
    Mistake("compares the wrong sizes",
            "the sizes that must agree are the INNER ones: `a.shape[1]` (columns of a) and `b.shape[0]` (rows of b).",
            detect=lambda case, got: isinstance(got, Raised) and _valid_matmul(case)
            or not isinstance(got, Raised) and _both_matrices(case) and not _valid_matmul(case)),
    Mistake("message without the shapes",
            "your ValueError must start with `matmul_checked:` and show both shapes, e.g. "
            "`matmul_checked: (3, 4) @ (5, 2): inner sizes 4 and 5 differ`.",
            detect=lambda case, got: isinstance(got, Raised) and isinstance(got.error, ValueError)),
]


def _matmul_same(expected, got, case) -> bool:
    """Results must be equal Tensors; errors must be ValueErrors starting `matmul_checked:` naming both shapes."""
    if isinstance(expected, Raised):
        message = str(got.error) if isinstance(got, Raised) else ""
        return (isinstance(got, Raised) and isinstance(got.error, ValueError) and message.startswith("matmul_checked")
                and all(shape_named(message, t.shape) for t in case.args))
    return same(expected, got, case)


@exercise(reference=reference_matmul_checked, forbidden=[])  # the product itself is the engine's `@`
def check_matmul_checked(matmul_checked, hidden: bool = False) -> None:
    """Exercise 01.3: matmul_checked(a, b) -> Tensor a @ b for 2-D a, b; ValueError naming both shapes otherwise."""
    run_check("01.3", "matmul_checked", matmul_checked, _matmul_cases(hidden), reference=reference_matmul_checked,
              mistakes=MATMUL_CHECKED_MISTAKES, same=_matmul_same)


# ----- 01.4 standardize ----------------------------------------------------------------------------------
EPS = 1e-5


def _zero_gradient(got) -> bool:
    """The gradient part of an outcome is all zeros (autodiff found no path from x to the result)."""
    return bool(np.all(got[1].asnumpy() == 0))


def reference_standardize(x, axis=0):
    centered = x - x.mean(axis=axis, keep_dims=True)
    variance = (centered * centered).mean(axis=axis, keep_dims=True)
    return centered / ops.sqrt(variance + EPS)


def _call_with_gradient(fn, case: Case):
    """(fn(x, axis), d/dx sum(fn(x, axis) * weights)): the values, and whether autodiff can follow them."""
    x, axis, weights = case.args
    x, weights = ms.Tensor(x), ms.Tensor(weights)
    verify = watch_inputs(("x",), (x,))
    out = fn(x, axis=axis)
    verify()
    if not hasattr(out, "asnumpy"):
        return out  # not a Tensor: the comparison says so
    grad = ms.grad(lambda t: (fn(t, axis=axis) * weights).sum())(x)
    return out, grad


def _standardize_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 4)
    plans = [((6, 3), 0, 0.0), ((4, 5), 1, 0.0), ((4, 5), -1, 0.0), ((2, 3, 4), 1, 0.0), ((5, 3), 0, 1e4),
             ((1, 4), 0, 0.0), ((6, 2), 0, "constant"), ((3, 3), 1, 0.0)]
    if hidden:
        plans = [((5, 4), 0, 0.0), ((3, 6), 1, 0.0), ((2, 2, 5), -1, 0.0), ((3, 4, 2), 0, 0.0), ((8, 2), 0, 3e4),
                 ((4, 1), 1, 0.0), ((3, 3), 0, "constant"), ((4, 4), 1, 0.0)]
    cases = []
    for i, (shape, axis, offset) in enumerate(plans):
        dtype = np.float64 if i == 3 else np.float32
        if offset == "constant":  # one column (or row) with no spread: eps keeps it finite (0, not nan)
            x = rng.standard_normal(shape)
            x[:, 0] = 2.5
            note = "a constant column"
        else:
            x = rng.standard_normal(shape) * 2 + offset
            note = f"values near {offset:g}, float32" if offset else ""
        cases.append(Case((x.astype(dtype), axis, rng.standard_normal(shape).astype(dtype)), note=note))
    return cases


def _describe_standardize(case: Case) -> str:
    from tinyspore_grader import describe

    x, axis, _ = case.args
    return _tr("x Tensor {describe_x}, axis={axis} (the check also takes the gradient of sum(result * w) with "
               "ms.grad)").format(
               describe_x=describe(x), axis=axis)


def _var_shortcut(x, axis=0):
    mean = x.mean(axis=axis, keep_dims=True)
    variance = (x * x).mean(axis=axis, keep_dims=True) - mean * mean
    return (x - mean) / ops.sqrt(variance + EPS)


def _shortcut_values(case: Case, got) -> bool:
    """The values of the shortcut variance, E[x²] - E[x]². Only the values: its gradient is a difference of huge
    terms that cancel, so its last digits change with how autodiff orders its sums (`x ** 2` or `x * x`)."""
    if not (isinstance(got, tuple) and len(got) == 2):
        return False
    x, axis, _ = case.args
    return same(_var_shortcut(ms.Tensor(x), axis=axis), got[0], rtol=1e-4, atol=1e-4)


def _unbiased(x, axis=0):
    n = x.shape[axis]
    centered = x - x.mean(axis=axis, keep_dims=True)
    variance = (centered * centered).sum(axis=axis, keepdims=True) / max(n - 1, 1)
    return centered / ops.sqrt(variance + EPS)


def _nan_where_no_spread(case: Case, values) -> bool:
    """Not finite exactly somewhere the input has no spread along the axis (variance 0), finite elsewhere."""
    x, axis, _ = case.args
    bad = ~np.isfinite(np.asarray(values.asnumpy() if hasattr(values, "asnumpy") else values, np.float64))
    flat = np.broadcast_to(np.ptp(x, axis=axis, keepdims=True) == 0, x.shape)
    return bad.shape == x.shape and bool(bad.any()) and not (bad & ~flat).any()


STANDARDIZE_MISTAKES = [
    Mistake("keepdims spelling",
            "MindSpore's spelling (ours too) differs by method: `x.mean(axis=..., keep_dims=True)` but "
            "`x.sum(axis=..., keepdims=True)`.",
            detect=lambda case, got: isinstance(got, Raised) and isinstance(got.error, TypeError)
            and "keep" in str(got.error)),
    Mistake("left the Tensor world",
            "stay with Tensor operations (x.mean, ops.sqrt, -, /): after `.asnumpy()` autodiff cannot follow, so "
            "the gradient the check takes comes out zero or wrong.",
            detect=lambda case, got: isinstance(got, tuple) and len(got) == 2 and _zero_gradient(got)),
    Mistake("returned an ndarray",
            "return a Tensor (the result of Tensor operations), not an ndarray.",
            detect=lambda case, got: isinstance(got, np.ndarray)),
    Mistake("variance by the shortcut",
            "E[x²] - E[x]² loses all precision in float32 when the values are large (here near 10⁴): compute the "
            "variance from the centered values, mean((x - mean)²).",
            detect=_shortcut_values),
    Mistake("divided by n - 1",
            "use the population variance (divide by n, `mean`), as normalization layers do, not n - 1.",
            wrong=_unbiased),
    Mistake("no eps",
            "a constant column has variance 0: divide by sqrt(variance + 1e-5), with the eps INSIDE the sqrt.",
            detect=lambda case, got: isinstance(got, tuple) and _nan_where_no_spread(case, got[0])),
    Mistake("dropped the reduced axis",
            "reduce with keep_dims=True, so that the mean has shape (n, 1) (or (1, d)) and broadcasts against x "
            "along the right axis.",
            detect=lambda case, got: isinstance(got, Raised) and "broadcast" in str(got.error)),
    Mistake("normalized the wrong axis",
            "use the `axis` argument: axis=0 normalizes each column (over the rows), axis=1 each row.",
            wrong=lambda x, axis=0: reference_standardize(x, axis=0)),
]


@exercise(reference=reference_standardize, forbidden=[_BatchNorm, batch_norm_training, ops.batch_norm])
def check_standardize(standardize, hidden: bool = False) -> None:
    """Exercise 01.4: standardize(x, axis=0) -> Tensor (x - mean) / sqrt(var + 1e-5) along `axis`, differentiable."""
    run_check("01.4", "standardize", standardize, _standardize_cases(hidden), reference=reference_standardize,
              mistakes=STANDARDIZE_MISTAKES, call=_call_with_gradient, describe_case=_describe_standardize,
              same=partial(same, rtol=1e-4, atol=1e-4))
