"""Checks of chapter 00, welcome: three NumPy warm-ups (axis reductions, broadcasting, dtypes).

Each `check_<exercise>(answer, hidden=False)` runs the answer against `reference_<exercise>` on fixed-seed
cases; `hidden=True` uses other seeds and cases (the hidden tests of nbgrader).
"""

from __future__ import annotations

import numpy as np

from tinyspore import ops
from tinyspore_grader import Case, Mistake, Raised, exercise, run_check


def _rng(hidden: bool, salt: int) -> np.random.Generator:
    return np.random.default_rng(100 * salt + (7 if hidden else 0))


# ----- 00.1 center_columns ---------------------------------------------------------------------------------
def reference_center_columns(x: np.ndarray) -> np.ndarray:
    return x - x.mean(axis=0, keepdims=True)


def _center_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 1)
    shapes = [(5, 3), (4, 4), (1, 3), (6, 1), (0, 2), (3, 5)] if not hidden else [(7, 2), (3, 3), (1, 1), (2, 6),
                                                                                 (0, 4), (5, 5)]
    cases = []
    for i, shape in enumerate(shapes):
        dtype = np.float32 if i % 2 == 0 else np.float64
        cases.append(Case(((rng.standard_normal(shape) * 3 + rng.integers(-5, 5, shape[-1])).astype(dtype),)))
    return cases


CENTER_COLUMNS_MISTAKES = [
    Mistake("centered the rows",
            "axis=0 runs DOWN the rows: `x.mean(axis=0)` is one mean per column; axis=1 would give one per row.",
            wrong=lambda x: x - x.mean(axis=1, keepdims=True)),
    Mistake("subtracted the overall mean",
            "subtract each column's own mean (`x.mean(axis=0)`), not the mean of the whole array.",
            wrong=lambda x: x - x.mean()),
    Mistake("returned the means",
            "return the centered array, of x's shape: `x - means`, not the means themselves.",
            detect=lambda case, got: isinstance(got, np.ndarray) and len(case.args[0]) > 1 and got.shape in (
                (case.args[0].shape[1],), (1, case.args[0].shape[1]))
            and np.allclose(got.ravel(), case.args[0].mean(axis=0), rtol=1e-4, atol=1e-5)),
    Mistake("changed the dtype",
            "keep x's dtype: a float32 input gives a float32 output (NumPy does that for you unless you make "
            "a new float64 array).",
            detect=lambda case, got: isinstance(got, np.ndarray) and got.dtype != case.args[0].dtype),
]


@exercise(reference=reference_center_columns, forbidden=[])
def check_center_columns(center_columns, hidden: bool = False) -> None:
    """Exercise 00.1: center_columns(x (n, d)) -> x minus its column means, shape (n, d), x's dtype."""
    run_check("00.1", "center_columns", center_columns, _center_cases(hidden), reference=reference_center_columns,
              mistakes=CENTER_COLUMNS_MISTAKES)


# ----- 00.2 pairwise_sq_distances -------------------------------------------------------------------------
def reference_pairwise_sq_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    diff = a[:, None, :] - b[None, :, :]
    return (diff * diff).sum(axis=-1)


def _distance_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 2)
    plans = [(3, 2, 4), (1, 5, 2), (4, 1, 3), (2, 2, 1), (0, 3, 2), (5, 3, 2)]
    if hidden:
        plans = [(4, 3, 2), (1, 1, 5), (3, 6, 1), (2, 0, 3), (6, 2, 4), (3, 3, 3)]
    cases = []
    for n, m, d in plans:
        a = rng.standard_normal((n, d)).round(2).astype(np.float32)
        b = rng.standard_normal((m, d)).round(2).astype(np.float32)
        cases.append(Case((a, b)))
    return cases


PAIRWISE_SQ_DISTANCES_MISTAKES = [
    Mistake("took the square root",
            "the exercise asks for SQUARED distances: no `np.sqrt` at the end.",
            wrong=lambda a, b: np.sqrt(reference_pairwise_sq_distances(a, b))),
    Mistake("transposed result",
            "the result is (n, m): row i is `a[i]`, column j is `b[j]`; put the new axis of `a` second: "
            "`a[:, None, :] - b[None, :, :]`.",
            wrong=lambda a, b: reference_pairwise_sq_distances(b, a)),
    Mistake("forgot to square",
            "square the differences before summing (a plain sum of differences can be 0 for distinct points).",
            wrong=lambda a, b: (a[:, None, :] - b[None, :, :]).sum(axis=-1)),
    Mistake("summed the wrong axis",
            "sum over the LAST axis (the d coordinates) of the (n, m, d) differences.",
            detect=lambda case, got: isinstance(got, np.ndarray) and got.ndim == 2
            and got.shape not in ((len(case.args[0]), len(case.args[1])), (len(case.args[1]), len(case.args[0])))),
    Mistake("no broadcasting",
            "`a - b` needs a[:, None, :] (n, 1, d) and b[None, :, :] (1, m, d): then the difference is (n, m, d).",
            detect=lambda case, got: isinstance(got, Raised) and "broadcast" in str(got.error)),
]


@exercise(reference=reference_pairwise_sq_distances, forbidden=[])
def check_pairwise_sq_distances(pairwise_sq_distances, hidden: bool = False) -> None:
    """Exercise 00.2: pairwise_sq_distances(a (n, d), b (m, d)) -> (n, m) squared Euclidean distances."""
    run_check("00.2", "pairwise_sq_distances", pairwise_sq_distances, _distance_cases(hidden),
              reference=reference_pairwise_sq_distances, mistakes=PAIRWISE_SQ_DISTANCES_MISTAKES)


# ----- 00.3 one_hot -----------------------------------------------------------------------------------------
def reference_one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    return (labels[:, None] == np.arange(num_classes)[None, :]).astype(np.float32)


def _one_hot_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 3)
    plans = [(6, 4), (1, 3), (5, 1), (0, 3), (8, 10), (4, 4)] if not hidden else [(7, 3), (2, 2), (0, 5), (3, 1),
                                                                                     (9, 6), (1, 7)]
    cases = []
    for i, (n, classes) in enumerate(plans):
        dtype = np.int32 if i % 2 else np.int64
        cases.append(Case((rng.integers(0, classes, n).astype(dtype), classes)))
    return cases


ONE_HOT_MISTAKES = [
    Mistake("float64",
            "the result must be float32 (`np.zeros((n, num_classes), dtype=np.float32)`): np.zeros alone makes "
            "float64, and the engine works in float32.",
            wrong=lambda labels, c: np.eye(c)[labels]),
    Mistake("transposed",
            "the result is (n, num_classes): one ROW per label.",
            wrong=lambda labels, c: reference_one_hot(labels, c).T),
    Mistake("kept the label dtype",
            "the result holds 0.0 and 1.0 as float32, not the labels' integer dtype.",
            detect=lambda case, got: isinstance(got, np.ndarray) and got.dtype.kind in "iub"),
    Mistake("wrong width",
            "use num_classes for the number of columns, not `labels.max() + 1` (a batch may miss the last class).",
            detect=lambda case, got: isinstance(got, np.ndarray) and got.ndim == 2
            and got.shape[0] == len(case.args[0]) and got.shape[1] != case.args[1]),
]


@exercise(reference=reference_one_hot, forbidden=[ops.one_hot])
def check_one_hot(one_hot, hidden: bool = False) -> None:
    """Exercise 00.3: one_hot(labels (n,) ints, num_classes) -> float32 (n, num_classes) of 0s and 1s."""
    run_check("00.3", "one_hot", one_hot, _one_hot_cases(hidden), reference=reference_one_hot,
              mistakes=ONE_HOT_MISTAKES)
