"""Checks of chapter 03, losses: MSE with reductions, a stable log-softmax, cross-entropy with ignore_index and
label smoothing, and binary cross-entropy from logits.

The oracle is `tinyspore.nn`'s losses (whose values were checked against MindSpore 2.10). Each
`check_<exercise>(answer, hidden=False)` runs fixed-seed cases plus extreme logits (+-1000), where the
naive formulas overflow; `hidden=True` uses other seeds and cases (the hidden tests of nbgrader).
Three exercises take and return tinyspore Tensors (their gradients are checked too: a loss is where
training starts its backward pass); `log_softmax` works on NumPy arrays, as the engine's primitive does.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

import tinyspore as ms
from tinyspore import Tensor, nn, ops
from tinyspore_grader import Case, Mistake, Raised, describe, exercise, run_check, same, watch_inputs

GRADIENT = "the gradient with respect to logits"
LARGE = "large logits, close together"
HUGE = "logits of +-1000"


def _rng(hidden: bool, salt: int) -> np.random.Generator:
    return np.random.default_rng(3000 + 100 * salt + (7 if hidden else 0))


def _is_tensor(value: Any) -> bool:
    return isinstance(value, Tensor)


def _on_tensors(fn: Any, case: Case) -> Any:
    """Call `fn` on fresh Tensors made from the case's arrays; for a GRADIENT case, return d fn / d logits."""
    args = [Tensor(a.copy()) if isinstance(a, np.ndarray) else a for a in case.args]
    if case.note == GRADIENT:
        rest = args[1:]
        return ms.grad(lambda logits: fn(logits, *rest, **case.kwargs))(args[0])
    verify = watch_inputs(("logits", "labels"), args[:2])
    result = fn(*args, **case.kwargs)
    verify()
    return result


def _describe_tensors(names: tuple[str, ...]) -> Any:
    def describe_case(case: Case) -> str:
        parts = [f"{name} Tensor {describe(value)}" if isinstance(value, np.ndarray) else f"{name}={value!r}"
                 for name, value in zip(names, case.args)]
        parts += [f"{key}={value!r}" for key, value in case.kwargs.items()]
        return ", ".join(parts)
    return describe_case


def _gradient_case(case: Case, got: Any) -> bool:
    return case.note == GRADIENT


def _not_a_tensor(case: Case, got: Any) -> bool:
    return case.note != GRADIENT and not _is_tensor(got) and not isinstance(got, Raised)


def _non_finite(case: Case, got: Any) -> bool:
    return _is_tensor(got) and not np.isfinite(got.asnumpy()).all()


def _dtype_changed(case: Case, got: Any) -> bool:
    return _is_tensor(got) and got.asnumpy().dtype != case.args[0].dtype


DTYPE_HINT = ("keep the logits' dtype: float32 in, float32 out. A NumPy float64 array or np.float64 constant "
              "mixed into the computation turns the result into float64.")
NOT_A_TENSOR_HINT = ("return a Tensor computed with tinyspore operations (ops.square, ops.mean, -, *, ...), not a "
                     "NumPy array or a Python float: training differentiates the loss.")
GRADIENT_HINT = ("the value is right but the gradient is not: compute with Tensors and tinyspore ops from the "
                 "inputs to the result (no .asnumpy() detour, no new Tensor(...) around a computed value).")


# ----- 03.1 mse_loss -----------------------------------------------------------------------------------
def reference_mse_loss(logits: Tensor, labels: Tensor, reduction: str = "mean") -> Tensor:
    return nn.MSELoss(reduction)(logits, labels)


def _mse_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 1)

    def arrays(shape_a: tuple, shape_b: tuple, dtype: Any = np.float32) -> tuple:
        return tuple(rng.standard_normal(shape).round(2).astype(dtype) for shape in (shape_a, shape_b))

    # Labels that broadcast the logits UP ((3, 1) against (1, 4)): 'mean' divides by 12, not by logits.size.
    plans = [((4, 3), (4, 3), "mean"), ((4, 3), (4, 3), "sum"), ((4, 3), (4, 3), "none"), ((2, 3), (3,), "mean"),
             ((3, 1), (1, 4), "mean"), ((5,), (5,), "sum"), ((3, 2), (3, 2), "avg")]
    if hidden:
        plans = [((6, 2), (6, 2), "mean"), ((3, 1), (1, 4), "none"), ((2, 1), (1, 5), "mean"), ((2, 5), (2, 5), "sum"),
                 ((1,), (1,), "mean"),
                 ((4, 4), (4,), "sum"), ((3,), (3,), "average"), ((2, 3, 2), (2, 3, 2), "mean")]
    cases = [Case(arrays(a, b), {"reduction": r}) for a, b, r in plans]
    if hidden:
        cases.append(Case(arrays((3, 2), (3, 2), np.float64), {"reduction": "mean"}, note="float64 inputs"))
    cases.append(Case(arrays((4, 3) if not hidden else (5, 2), (4, 3) if not hidden else (5, 2)),
                      {"reduction": "mean"}, note=GRADIENT))
    return cases


def _mse_with(reduce: Any) -> Any:
    """A wrong MSE: the square errors reduced by `reduce(sq, reduction)` (only for valid reductions)."""
    def wrong(logits: Tensor, labels: Tensor, reduction: str = "mean") -> Tensor:
        return reduce(ops.square(logits - labels), reduction)
    return wrong


def _reduce_right(x: Tensor, reduction: str) -> Tensor:
    return {"mean": ops.mean, "sum": ops.sum}.get(reduction, lambda t: t)(x)


MSE_LOSS_MISTAKES = [
    Mistake("no error for an unknown reduction",
            "raise ValueError for a reduction other than 'mean', 'sum' or 'none' (as MindSpore does), "
            "naming the value you got.",
            detect=lambda case, got: case.kwargs.get("reduction") not in ("mean", "sum", "none")
            and not isinstance(got, Raised)),
    Mistake("sum instead of mean",
            "'mean' divides the sum of the squared errors by their number (every element, over all axes): "
            "use ops.mean, or ops.sum(...) / size.",
            wrong=_mse_with(lambda sq, r: ops.sum(sq) if r == "mean" else _reduce_right(sq, r))),
    Mistake("mean over one axis",
            "reduce over ALL axes: 'mean' and 'sum' give one number (a 0-d Tensor), not one per column or row. "
            "Call ops.mean(x) / ops.sum(x) without an axis.",
            detect=lambda case, got: _is_tensor(got) and got.ndim == 1 and case.kwargs.get("reduction") != "none"),
    Mistake("mean over the logits' size",
            "'mean' averages the squared errors of the BROADCAST shape: when labels stretch the logits ((3, 1) "
            "against (1, 4) gives 12 errors), divide by the number of errors, not by logits.size; ops.mean does it.",
            wrong=lambda logits, labels, reduction="mean": ops.sum(ops.square(logits - labels)) / logits.size
            if reduction == "mean" else _reduce_right(ops.square(logits - labels), reduction)),
    Mistake("root of the mean",
            "MSE is the mean of the squared errors, without a square root (that would be the RMSE).",
            wrong=_mse_with(lambda sq, r: ops.sqrt(_reduce_right(sq, r)))),
    Mistake("absolute error",
            "square the differences, (logits - labels) ** 2; the absolute value gives the L1 loss.",
            wrong=lambda logits, labels, reduction="mean": _reduce_right(ops.abs(logits - labels), reduction)),
    Mistake("reduction ignored",
            "follow `reduction`: 'mean' gives the mean, 'sum' the sum, 'none' the squared errors themselves "
            "(broadcast shape of logits and labels).",
            wrong=_mse_with(lambda sq, r: ops.mean(sq))),
    Mistake("not a Tensor", NOT_A_TENSOR_HINT, detect=_not_a_tensor),
    Mistake("dtype changed", DTYPE_HINT, detect=_dtype_changed),
    Mistake("gradient broken", GRADIENT_HINT, detect=_gradient_case),
]


@exercise(reference=reference_mse_loss, forbidden=[nn.MSELoss, ops.mse_loss])
def check_mse_loss(mse_loss: Any, hidden: bool = False) -> None:
    """Exercise 03.1: mse_loss(logits, labels, reduction='mean') on Tensors, as nn.MSELoss(reduction)."""
    run_check("03.1", "mse_loss", mse_loss, _mse_cases(hidden), reference=reference_mse_loss, call=_on_tensors,
              mistakes=MSE_LOSS_MISTAKES, describe_case=_describe_tensors(("logits", "labels")),
              match=partial(same, rtol=1e-4, atol=1e-5))


# ----- 03.2 log_softmax (NumPy) ----------------------------------------------------------------------------
def reference_log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return ops.log_softmax(Tensor(x), axis).asnumpy()


def _log_softmax_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 2)

    def normal(shape: tuple, scale: float = 3.0, dtype: Any = np.float32) -> np.ndarray:
        return (scale * rng.standard_normal(shape)).round(3).astype(dtype)

    huge = np.array([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0]], np.float32)
    scales = np.array([[1000.0, 999.0, 998.0], [0.0, 1.0, 2.0]], np.float32)
    cases = [Case((normal((4, 5)),)), Case((normal((4, 5)),), {"axis": 0}), Case((normal((2, 3, 4)),), {"axis": 1}),
             Case((huge,), note="logits of +-1000"), Case((scales,), note="rows of very different size"),
             Case((normal((3, 1)),), note="a single class"), Case((normal((6,), dtype=np.float64),), note="float64"),
             Case((np.full((2, 4), 7.0, np.float32),), note="all equal")]
    if hidden:
        cases = [Case((normal((3, 6)),)), Case((normal((5, 2)),), {"axis": 0}),
                 Case((normal((2, 2, 3)),), {"axis": -2}),
                 Case((-huge.T.copy(),), {"axis": 0}, note="logits of +-1000"),
                 Case((np.array([[0.0, -2.0], [-500.0, -501.0], [800.0, 790.0]], np.float32),),
                      note="rows of very different size"),
                 Case((normal((1, 1)),), note="a single class"),
                 Case((normal((2, 5), 50.0, np.float64),), note="float64"),
                 Case((np.array([88.8, 89.0, 0.0], np.float32),), note="near float32's exp limit")]
    return cases


def _naive_log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x)
    return np.log(e / e.sum(axis=axis, keepdims=True))


def _log_of_stable_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return np.log(e / e.sum(axis=axis, keepdims=True))


def _global_max(x: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = x - x.max()
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _max_not_added_back(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return x - np.log(np.exp(x - x.max(axis=axis, keepdims=True)).sum(axis=axis, keepdims=True))


def _max_without_keepdims(x: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = x - x.max(axis=axis)
    return shifted - np.log(np.exp(shifted).sum(axis=axis))


def _last_axis_always(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return reference_log_softmax(x, -1)


LOG_SOFTMAX_MISTAKES = [
    Mistake("naive formula overflows",
            "exp(1000) overflows to inf (and inf / inf is nan): subtract the maximum along `axis` first, "
            "x - m - log(sum(exp(x - m))) with m = x.max(axis, keepdims=True); every exponent is then <= 0.",
            wrong=_naive_log_softmax),
    Mistake("log of softmax underflows",
            "softmax of a logit 2000 below the maximum is exactly 0 in floating point, and log(0) = -inf: do "
            "not take the log of a softmax, write the log directly: (x - m) - log(sum(exp(x - m))).",
            wrong=_log_of_stable_softmax),
    Mistake("one maximum for the whole array",
            "take the maximum along `axis` (keepdims=True), one per row: with the maximum of the whole array, "
            "a row far below it has exp(...) = 0 everywhere, and log(0) = -inf.",
            wrong=_global_max),
    Mistake("maximum subtracted but not accounted for",
            "log_softmax(x) = x - logsumexp(x), and logsumexp(x) = m + log(sum(exp(x - m))): you dropped the m "
            "(write (x - m) - log(sum(exp(x - m)))).",
            wrong=_max_not_added_back),
    Mistake("lost the reduced axis",
            "keep the reduced axis (keepdims=True) so that the maximum and the sum broadcast back along `axis`.",
            wrong=_max_without_keepdims),
    Mistake("ignored axis",
            "normalize along the `axis` argument (it is not always the last one).",
            wrong=_last_axis_always),
    Mistake("changed the dtype",
            "keep x's dtype: float32 in, float32 out (no float64 constants or accumulators).",
            detect=lambda case, got: isinstance(got, np.ndarray) and got.dtype != case.args[0].dtype),
    Mistake("not an ndarray",
            "this exercise works on NumPy arrays: take an ndarray and return an ndarray (np.exp, np.log, .max).",
            detect=lambda case, got: not isinstance(got, (np.ndarray, Raised))),
]


def _same_log_softmax(expected: Any, got: Any, case: Case) -> bool:
    """Float rounding grows with the size of the logits: at x = 800, float32 steps are 6e-5 apart."""
    scale = float(np.abs(case.args[0]).max()) if case.args[0].size else 0.0
    return same(expected, got, case, rtol=1e-5, atol=1e-5 + 2e-6 * scale)


@exercise(reference=reference_log_softmax,
          forbidden=[ops.log_softmax, ops.LogSoftmax, nn.LogSoftmax, ops.logsumexp])
def check_log_softmax(log_softmax: Any, hidden: bool = False) -> None:
    """Exercise 03.2: log_softmax(x, axis=-1) on NumPy arrays, finite for logits of +-1000."""
    run_check("03.2", "log_softmax", log_softmax, _log_softmax_cases(hidden), reference=reference_log_softmax,
              mistakes=LOG_SOFTMAX_MISTAKES, same=_same_log_softmax, match=_same_log_softmax,
              explain={"nonfinite": "your result is {bad} at position {index} although the logits are finite: "
                                    "subtract the maximum along `axis` before exponentiating, and never take the "
                                    "log of something that can be 0."})


# ----- 03.3 cross_entropy ------------------------------------------------------------------------------
def reference_cross_entropy(logits: Tensor, labels: Tensor, ignore_index: int = -100,
                             label_smoothing: float = 0.0) -> Tensor:
    return nn.CrossEntropyLoss(ignore_index=ignore_index, label_smoothing=label_smoothing)(logits, labels)


def _cross_entropy_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 3)

    def make(n: int, c: int, labels: list | None = None, scale: float = 2.0, **kwargs: Any) -> Case:
        logits = (scale * rng.standard_normal((n, c))).round(3).astype(np.float32)
        y = np.array(labels if labels is not None else rng.integers(0, c, n), np.int32)
        return Case((logits, y), kwargs)

    huge = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0], [-1000.0, 1000.0, 0.0]], np.float32)
    large = np.array([[100.0, 99.0, 98.0], [97.0, 100.0, 99.5]], np.float32)
    cases = [make(5, 4), make(1, 3), Case((large, np.array([0, 2], np.int32)), note=LARGE),
             Case((huge, np.array([2, 1, 0], np.int32)), note=HUGE),
             make(5, 4, [2, 0, 2, 3, 1], ignore_index=2), make(6, 3, [0, -100, 2, 1, -100, 2]),
             make(5, 4, label_smoothing=0.1), make(6, 3, [0, -100, 2, 1, 1, 0], label_smoothing=0.2)]
    if hidden:
        cases = [make(7, 5), make(2, 2), Case((large.T.copy(), np.array([1, 1, 0], np.int32)), note=LARGE),
                 Case((huge.T.copy(), np.array([0, 2, 1], np.int32)), note=HUGE),
                 make(6, 3, [1, 1, 0, 2, 1, 0], ignore_index=1), make(4, 6, [5, -100, -100, 0]),
                 make(4, 5, label_smoothing=0.3), make(5, 3, [2, 0, 1, 1, 0], ignore_index=0, label_smoothing=0.1),
                 Case((huge, np.array([2, -100, 0], np.int32)), {"label_smoothing": 0.1}, note=HUGE)]
    grad_case = make(4, 3, [0, 2, -100, 1], label_smoothing=0.1)
    cases.append(Case(grad_case.args, grad_case.kwargs, note=GRADIENT))
    return cases


def _ce_parts(logits: Tensor, labels: Tensor, ignore_index: int) -> tuple:
    """log-probabilities (N, C), the one-hot of the kept labels (N, C), and the keep mask (N, 1), all Tensors."""
    log_probs = ops.log_softmax(logits, -1)
    y = labels.asnumpy()
    keep = y != ignore_index
    picked = (np.arange(logits.shape[-1]) == np.where(keep, y, 0)[:, None]) & keep[:, None]
    return log_probs, Tensor(picked.astype(np.float32)), Tensor(keep[:, None].astype(np.float32)), int(keep.sum())


def _ce_wrong(log_probs_of: Any = None, ignore: bool = True, divide: str = "kept", smoothing: str = "right") -> Any:
    """A configurable wrong cross-entropy (each learner mistake is one setting away from the right one)."""
    def cross_entropy(logits: Tensor, labels: Tensor, ignore_index: int = -100, label_smoothing: float = 0.0):
        log_probs, one_hot, keep, kept = _ce_parts(logits, labels, ignore_index if ignore else -10**9)
        if log_probs_of is not None:
            log_probs = log_probs_of(logits)
        c = logits.shape[-1]
        nll = -(log_probs * one_hot).sum()
        ls = label_smoothing
        if smoothing == "right":
            loss = nll * (1 - ls) - (log_probs * keep).sum() * (ls / c)
        elif smoothing == "no (1 - ls)":
            loss = nll - (log_probs * keep).sum() * (ls / c)
        elif smoothing == "ls / (C - 1) on the others":
            loss = nll * (1 - ls) - (log_probs * keep * (1 - one_hot)).sum() * (ls / (c - 1))
        elif smoothing == "sum over classes":
            loss = nll * (1 - ls) - (log_probs * keep).sum() * ls
        else:  # "ignored rows smoothed too"
            loss = nll * (1 - ls) - log_probs.sum() * (ls / c)
        if divide == "N":
            return loss / logits.shape[0]
        if divide == "N * C":
            return loss / (logits.shape[0] * c)
        if divide == "sum":
            return loss
        return loss / kept
    return cross_entropy


def _has_ignored(case: Case) -> bool:
    return bool((case.args[1] == case.kwargs.get("ignore_index", -100)).any())


CROSS_ENTROPY_MISTAKES = [
    Mistake("naive softmax",
            "exp(100) already overflows float32 (its limit is about 3.4e38): never exponentiate raw logits; "
            "ops.log_softmax(logits, -1) subtracts the row maximum for you.",
            detect=lambda case, got: case.note == LARGE and _non_finite(case, got)),
    Mistake("log of softmax",
            "log(softmax(x)) is -inf where softmax underflows to 0 (a logit 2000 below the top one): use "
            "ops.log_softmax(logits, -1), which computes the log without ever forming the 0.",
            detect=lambda case, got: case.note == HUGE and _non_finite(case, got)),
    Mistake("divided by N",
            "the mean is over the targets that are NOT ignored: divide by their number, not by N.",
            wrong=_ce_wrong(divide="N")),
    Mistake("ignore_index not applied",
            "samples whose label equals the `ignore_index` argument (-100 by default, but any class may be "
            "chosen) contribute nothing: mask them out of both the sum and the count.",
            wrong=_ce_wrong(ignore=False)),
    Mistake("mean over all N * C entries",
            "average over the samples only: sum -log p[y] over the kept samples and divide by their number "
            "(not by N * C, which ops.mean of an (N, C) array does).",
            wrong=_ce_wrong(divide="N * C")),
    Mistake("summed, not averaged over the kept targets",
            "CrossEntropyLoss's default reduction is 'mean': divide the sum by the number of kept targets.",
            wrong=_ce_wrong(divide="sum")),
    Mistake("label smoothing without (1 - ls)",
            "with label smoothing the target is (1 - ls) * one_hot + ls / C: the true class's term is scaled by "
            "(1 - ls), and every class gets ls / C.",
            wrong=_ce_wrong(smoothing="no (1 - ls)")),
    Mistake("label smoothing over the other classes",
            "MindSpore (like PyTorch) spreads ls over ALL C classes, ls / C each, the true class included, "
            "not ls / (C - 1) over the others.",
            wrong=_ce_wrong(smoothing="ls / (C - 1) on the others")),
    Mistake("label smoothing summed",
            "the smoothing term is ls / C times the sum of -log p over the classes (i.e. ls times their mean), "
            "not ls times their sum.",
            wrong=_ce_wrong(smoothing="sum over classes")),
    Mistake("ignored samples smoothed",
            "an ignored sample contributes nothing at all, not even its label-smoothing term: mask both terms.",
            wrong=_ce_wrong(smoothing="ignored rows smoothed too")),
    Mistake("ignored label used as an index",
            "a label equal to ignore_index (e.g. -100) is not a class: mask those samples out before picking "
            "log p[label].",
            detect=lambda case, got: isinstance(got, Raised) and _has_ignored(case)),
    Mistake("not a Tensor", NOT_A_TENSOR_HINT, detect=_not_a_tensor),
    Mistake("dtype changed", DTYPE_HINT, detect=_dtype_changed),
    Mistake("gradient broken", GRADIENT_HINT, detect=_gradient_case),
]


@exercise(reference=reference_cross_entropy,
          forbidden=[nn.CrossEntropyLoss, nn.NLLLoss, nn.SoftmaxCrossEntropyWithLogits, ops.cross_entropy,
                     ops.nll_loss])
def check_cross_entropy(cross_entropy: Any, hidden: bool = False) -> None:
    """Exercise 03.3: cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0) on Tensors."""
    run_check("03.3", "cross_entropy", cross_entropy, _cross_entropy_cases(hidden),
              reference=reference_cross_entropy, call=_on_tensors, mistakes=CROSS_ENTROPY_MISTAKES,
              describe_case=_describe_tensors(("logits", "labels")), same=partial(same, rtol=1e-5, atol=1e-5),
              match=partial(same, rtol=1e-4, atol=1e-5))


# ----- 03.4 bce_with_logits ----------------------------------------------------------------------------
def reference_bce_with_logits(logits: Tensor, labels: Tensor) -> Tensor:
    return nn.BCEWithLogitsLoss()(logits, labels)


def _bce_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 4)

    def make(shape: tuple, soft: bool = False, scale: float = 2.0) -> Case:
        logits = (scale * rng.standard_normal(shape)).round(3).astype(np.float32)
        labels = rng.random(shape).round(2) if soft else rng.integers(0, 2, shape)
        return Case((logits, labels.astype(np.float32)))

    huge = Case((np.array([1000.0, -1000.0, 1000.0, -1000.0], np.float32), np.array([1.0, 0.0, 0.0, 1.0], np.float32)),
                note="logits of +-1000")
    cases = [make((6,)), make((4, 3)), make((5,), soft=True), huge, make((3, 2), scale=30.0)]
    if hidden:
        cases = [make((8,)), make((2, 5)), make((3, 3), soft=True),
                 Case((np.array([[-1000.0, 800.0], [90.0, -90.0]], np.float32),
                       np.array([[1.0, 1.0], [0.5, 1.0]], np.float32)), note="logits of +-1000"),
                 make((1,)), make((4,), scale=60.0)]
    grad_case = make((5,), soft=True, scale=3.0)
    cases.append(Case(grad_case.args, note=GRADIENT))
    # The gradient must be finite at +-1000 too: a formula that is finite there only because ops.where
    # picks the finite branch still differentiates the other branch, and gets nan.
    extreme = next(c for c in cases if c.note == "logits of +-1000")
    cases.append(Case(extreme.args, note=GRADIENT))
    return cases


def _bce_naive(logits: Tensor, labels: Tensor) -> Tensor:
    p = ops.sigmoid(logits)
    return ops.mean(-(labels * ops.log(p) + (1 - labels) * ops.log(1 - p)))


def _bce_clipped(logits: Tensor, labels: Tensor) -> Tensor:
    p = ops.clip(ops.sigmoid(logits), 1e-7, 1 - 1e-7)
    return ops.mean(-(labels * ops.log(p) + (1 - labels) * ops.log(1 - p)))


def _bce_softplus_naive(logits: Tensor, labels: Tensor) -> Tensor:
    return ops.mean(ops.log(1 + ops.exp(logits)) - logits * labels)


def _bce_no_max(logits: Tensor, labels: Tensor) -> Tensor:
    return ops.mean(ops.log(1 + ops.exp(-ops.abs(logits))) - logits * labels)


def _bce_sign(logits: Tensor, labels: Tensor) -> Tensor:
    return ops.mean(ops.relu(logits) + logits * labels + ops.log(1 + ops.exp(-ops.abs(logits))))


def _bce_sum(logits: Tensor, labels: Tensor) -> Tensor:
    return ops.sum(ops.relu(logits) - logits * labels + ops.log(1 + ops.exp(-ops.abs(logits))))


BCE_WITH_LOGITS_MISTAKES = [
    # First: it fires only on a gradient case, after every value case passed (so a wrong value gets its own hint).
    Mistake("nan gradient from the branch not taken",
            "the loss is finite at logits of +-1000 but its gradient is nan: ops.where picks a finite value, yet "
            "the gradient still flows through the branch it did not pick, which overflowed (0 * inf = nan). Use "
            "one formula that is finite everywhere: max(x, 0) - x * y + log(1 + exp(-|x|)).",
            detect=lambda case, got: case.note == GRADIENT and _non_finite(case, got)),
    Mistake("sigmoid then log",
            "sigmoid(1000) is exactly 1.0 in float32, so log(1 - p) = log(0) = -inf (and 0 * inf = nan): work "
            "from the logits, max(x, 0) - x * y + log(1 + exp(-|x|)).",
            wrong=_bce_naive),
    Mistake("clipped probabilities",
            "clipping p to [1e-7, 1 - 1e-7] keeps the loss finite but wrong: at x = -1000, y = 1 the loss is "
            "1000, not 16.1. Use the exact form max(x, 0) - x * y + log(1 + exp(-|x|)).",
            wrong=_bce_clipped),
    Mistake("log(1 + exp(x)) overflows",
            "log(1 + exp(x)) - x * y is right on paper, but exp(1000) = inf: rewrite log(1 + exp(x)) as "
            "max(x, 0) + log(1 + exp(-|x|)), whose exponent is never positive.",
            wrong=_bce_softplus_naive),
    Mistake("max(x, 0) missing",
            "log(1 + exp(x)) = max(x, 0) + log(1 + exp(-|x|)): you dropped the max(x, 0) term "
            "(use ops.relu(x) or ops.maximum(x, 0)).",
            wrong=_bce_no_max),
    Mistake("sign of x * y",
            "the term is -x * y: loss = max(x, 0) - x * y + log(1 + exp(-|x|)).",
            wrong=_bce_sign),
    Mistake("summed, not averaged",
            "BCEWithLogitsLoss's default reduction is 'mean': average over every element.",
            wrong=_bce_sum),
    Mistake("not a Tensor", NOT_A_TENSOR_HINT, detect=_not_a_tensor),
    Mistake("dtype changed", DTYPE_HINT, detect=_dtype_changed),
    Mistake("gradient broken", GRADIENT_HINT, detect=_gradient_case),
]


@exercise(reference=reference_bce_with_logits,
          forbidden=[nn.BCEWithLogitsLoss, nn.BCELoss, ops.binary_cross_entropy_with_logits, ops.binary_cross_entropy])
def check_bce_with_logits(bce_with_logits: Any, hidden: bool = False) -> None:
    """Exercise 03.4: bce_with_logits(logits, labels) on Tensors, as nn.BCEWithLogitsLoss() (mean)."""
    run_check("03.4", "bce_with_logits", bce_with_logits, _bce_cases(hidden), reference=reference_bce_with_logits,
              call=_on_tensors, mistakes=BCE_WITH_LOGITS_MISTAKES,
              describe_case=_describe_tensors(("logits", "labels")), same=partial(same, rtol=1e-5, atol=1e-5),
              match=partial(same, rtol=1e-4, atol=1e-5))
