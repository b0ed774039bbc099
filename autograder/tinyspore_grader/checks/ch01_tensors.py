"""Checks of chapter 01, tensors: the broadcast shape rule, sum-to-shape, a matmul with a clear shape error,
and standardizing along an axis.

Each `check_<exercise>(answer, hidden=False)` runs the answer against the reference (NumPy and `tinyspore`)
on fixed-seed cases; `hidden=True` uses other seeds and cases (the hidden tests of nbgrader).
"""

from __future__ import annotations

from functools import partial

import numpy as np

import tinyspore as ms
from tinyspore import ops
from tinyspore_grader import Case, Mistake, Raised, run_check, same


def _rng(hidden: bool, salt: int) -> np.random.Generator:
    return np.random.default_rng(1000 * salt + (7 if hidden else 0))


def _raises_value_error_naming(shapes_of, expected, got, case) -> bool:
    """Both raise ValueError and the learner's message shows every input shape; else the usual comparison."""
    if isinstance(expected, Raised):
        return (isinstance(got, Raised) and isinstance(got.error, ValueError)
                and all(str(tuple(s)) in str(got.error) for s in shapes_of(case)))
    return same(expected, got, case)


# ----- 01.1 broadcast_shape ----------------------------------------------------------------------------
def _broadcast_shape(shape_a: tuple, shape_b: tuple) -> tuple:
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
    return _broadcast_shape(a, b)


def _is_error_case(case: Case) -> bool:
    try:
        np.broadcast_shapes(*case.args)
    except ValueError:
        return True
    return False


def check_broadcast_shape(broadcast_shape, hidden: bool = False) -> None:
    """Exercise 01.1: broadcast_shape(shape_a, shape_b) -> tuple, or ValueError naming both shapes."""
    run_check("01.1", "broadcast_shape", broadcast_shape, _broadcast_cases(hidden), reference=_broadcast_shape,
              mistakes=BROADCAST_SHAPE_MISTAKES,
              same=partial(_raises_value_error_naming, lambda case: case.args))


# ----- 01.2 sum_to_shape -------------------------------------------------------------------------------
def _sum_to_shape(grad: np.ndarray, shape: tuple) -> np.ndarray:
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


def check_sum_to_shape(sum_to_shape, hidden: bool = False) -> None:
    """Exercise 01.2: sum_to_shape(grad, shape) -> ndarray of exactly `shape`, grad's dtype."""
    run_check("01.2", "sum_to_shape", sum_to_shape, _sum_to_shape_cases(hidden), reference=_sum_to_shape,
              mistakes=SUM_TO_SHAPE_MISTAKES)
