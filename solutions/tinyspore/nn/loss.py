"""Losses, as in `mindspore.nn`: each a Cell called as `loss_fn(logits, labels)`.

Every loss is built from differentiable ops (log_softmax, softplus, where, ...), so `grad` goes through it,
and from the stable forms only: cross-entropy never exponentiates a raw logit, BCE-with-logits uses
softplus, so logits of +-1000 give finite losses and finite gradients.

`reduction` says what to do with the per-element losses: 'mean' (the default of most), 'sum' or 'none'
(keep them, one per sample or element).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from ..common.i18n import _ as _tr
from ..tensor import Tensor
from .cell import Cell

__all__ = [
    "LossBase", "MSELoss", "L1Loss", "SmoothL1Loss", "CrossEntropyLoss", "NLLLoss",
    "SoftmaxCrossEntropyWithLogits", "BCEWithLogitsLoss", "BCELoss",
]

_REDUCTIONS = ("mean", "sum", "none")


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _is_int(t: Tensor) -> bool:
    return t._data.dtype.kind in "iu"


def _is_float(t: Tensor) -> bool:
    return t._data.dtype.kind == "f"


class LossBase(Cell):
    """Base class of the losses: checks `reduction` and applies it in `get_loss`.

    A subclass computes the per-element loss `x` in `construct` and returns `self.get_loss(x)`.
    """

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(_tr("{cls}: reduction must be one of {choices}, got "
                                 "{reduction!r}").format(
                                 cls=type(self).__name__,
                                 choices=list(_REDUCTIONS), reduction=reduction))
        self.reduction = reduction
        self.average = reduction == "mean"
        self.reduce = reduction != "none"

    def get_axis(self, x: Tensor) -> tuple[int, ...]:
        """All axes of `x` (what 'mean' and 'sum' reduce over)."""
        return tuple(range(x.ndim))

    def get_loss(self, x: Tensor, weights: Any = 1.0) -> Tensor:
        """`weights * x` (weights broadcast to x), then reduced by `self.reduction`."""
        if not (isinstance(weights, (int, float)) and weights == 1.0):
            x = x * _as_tensor(weights).astype(x.dtype)
        if self.reduction == "mean":
            return ops.mean(x)
        if self.reduction == "sum":
            return ops.sum(x)
        return x

    def construct(self, logits: Any, labels: Any) -> Tensor:
        raise NotImplementedError(_tr("{cls}: a loss defines construct(self, logits, labels)").format(
                                      cls=type(self).__name__))

    # ----- checks shared by the losses -------------------------------------------------------------
    def _check_broadcast(self, logits: Tensor, labels: Tensor) -> None:
        try:
            np.broadcast_shapes(logits.shape, labels.shape)
        except ValueError:
            raise ValueError(_tr("{cls}: logits shape {logits_shape} and labels shape "
                                 "{labels_shape} do not broadcast").format(
                                 cls=type(self).__name__, logits_shape=logits.shape,
                                 labels_shape=labels.shape)) from None

    def _check_same_shape(self, logits: Tensor, labels: Tensor) -> None:
        if logits.shape != labels.shape:
            raise ValueError(_tr("{cls}: logits shape {logits_shape} and labels shape "
                                 "{labels_shape} must be equal").format(
                                 cls=type(self).__name__, logits_shape=logits.shape,
                                 labels_shape=labels.shape))

    def _check_float(self, what: str, t: Tensor, hint: str = "") -> None:
        if not _is_float(t):
            raise TypeError(_tr("{cls}: {what} must be float, got {t_dtype} (shape "
                                "{t_shape}){hint}").format(
                                cls=type(self).__name__, what=what, t_dtype=t.dtype,
                                t_shape=t.shape, hint=hint))


# ----- regression -------------------------------------------------------------------------------
class MSELoss(LossBase):
    """(logits - labels)^2 elementwise, then reduced; the shapes may broadcast."""

    def construct(self, logits: Any, labels: Any) -> Tensor:
        logits, labels = _as_tensor(logits), _as_tensor(labels)
        self._check_broadcast(logits, labels)
        return self.get_loss(ops.square(logits - labels))


class L1Loss(LossBase):
    """|logits - labels| elementwise, then reduced; the shapes may broadcast."""

    def construct(self, logits: Any, labels: Any) -> Tensor:
        logits, labels = _as_tensor(logits), _as_tensor(labels)
        self._check_broadcast(logits, labels)
        return self.get_loss(ops.abs(logits - labels))


class SmoothL1Loss(LossBase):
    """Quadratic near 0, linear further out: with d = |logits - labels|,
    0.5 d^2 / beta where d < beta, d - 0.5 beta elsewhere. Shapes must be equal.

    MindSpore's default reduction here is 'none' (not 'mean').
    """

    def __init__(self, beta: float = 1.0, reduction: str = "none") -> None:
        super().__init__(reduction)
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or beta <= 0:
            raise ValueError(_tr("SmoothL1Loss: beta must be a positive number, got {beta!r}").format(beta=beta))
        self.beta = float(beta)

    def construct(self, logits: Any, labels: Any) -> Tensor:
        logits, labels = _as_tensor(logits), _as_tensor(labels)
        self._check_same_shape(logits, labels)
        diff = ops.abs(logits - labels)
        quadratic = ops.square(diff) * (0.5 / self.beta)
        linear = diff - 0.5 * self.beta
        return self.get_loss(ops.where(diff._data < self.beta, quadratic, linear))


# ----- classification: helpers for class-index targets --------------------------------------------
def _class_axis(logits: Tensor) -> int:
    """Logits are (C,), (N, C) or (N, C, d1, ...): the classes sit on axis 0 for 1-D, else axis 1."""
    return 0 if logits.ndim == 1 else 1


def _class_weight(loss: str, weight: Any, num_classes: int, dtype: np.dtype) -> np.ndarray:
    """The per-class weight as an ndarray of shape (C,) (ones when None)."""
    if weight is None:
        return np.ones(num_classes, dtype=dtype)
    w = np.asarray(weight._data if isinstance(weight, Tensor) else weight, dtype=dtype)
    if w.shape != (num_classes,):
        raise ValueError(_tr("{loss}: weight must have one entry per class, shape ({num_classes},), got "
                             "{w_shape}").format(loss=loss, num_classes=num_classes, w_shape=w.shape))
    return w


def _along_class_axis(values: np.ndarray, ndim: int, axis: int) -> np.ndarray:
    """Reshape a (C,) array so that it broadcasts along the class axis of an `ndim`-dim tensor."""
    return values.reshape((-1,) + (1,) * (ndim - axis - 1))


def _indexed_nll(loss: LossBase, log_probs: Tensor, labels: Tensor, weight: Any, ignore_index: int,
                 label_smoothing: float = 0.0) -> Tensor:
    """The negative log-likelihood of integer class labels, weighted, with ignored labels and smoothing.

    Per element: l = (1 - ls) * w[y] * (-log p[y]) + ls / C * sum_c w[c] * (-log p[c]), and 0 where
    y == ignore_index. 'mean' divides the sum by sum(w[y]) over the labels not ignored (as MindSpore
    and PyTorch do), so all-ignored labels give nan.
    """
    name = type(loss).__name__
    axis = _class_axis(log_probs)
    num_classes = log_probs.shape[axis]
    expected = log_probs.shape[:axis] + log_probs.shape[axis + 1:]
    if labels.shape != expected:
        raise ValueError(_tr("{name}: class-index labels must have shape {expected} for logits of shape "
                             "{log_probs_shape}, got {labels_shape}").format(
                             name=name, expected=expected, log_probs_shape=log_probs.shape,
                             labels_shape=labels.shape))
    y = labels._data.astype(np.int64)
    valid = y != ignore_index
    bad = valid & ((y < 0) | (y >= num_classes))
    if bad.any():
        raise ValueError(_tr("{name}: label {label} is out of range [0, {num_classes}) for logits of "
                             "shape {log_probs_shape} (ignore_index={ignore_index})").format(
                             name=name, label=y[bad].flat[0], num_classes=num_classes,
                             log_probs_shape=log_probs.shape, ignore_index=ignore_index))
    dtype = log_probs._data.dtype
    w = _class_weight(name, weight, num_classes, dtype)
    safe = np.where(valid, y, 0)
    classes = np.arange(num_classes).reshape((-1,) + (1,) * (y.ndim - axis))
    one_hot = (classes == np.expand_dims(safe, axis)) & np.expand_dims(valid, axis)
    weighted_pick = one_hot * _along_class_axis(w, log_probs.ndim, axis)  # w[y] at y, 0 elsewhere
    # Multiply by -w rather than negate the sum, so that ignored labels give +0, not -0.
    per_element = ops.sum(log_probs * (-weighted_pick).astype(dtype), axis)
    if label_smoothing > 0:
        spread = (_along_class_axis(w, log_probs.ndim, axis) * np.expand_dims(valid, axis)).astype(dtype)
        smooth = ops.sum(log_probs * (-spread), axis) * (1.0 / num_classes)
        per_element = per_element * (1 - label_smoothing) + smooth * label_smoothing
    if loss.reduction == "none":
        return per_element
    total = ops.sum(per_element)
    if loss.reduction == "sum":
        return total
    return total / np.asarray((w[safe] * valid).sum(), dtype=dtype)


def _usual_sparse_call(logits: np.ndarray, labels: np.ndarray) -> bool:
    """Float logits (N, C) and integer class labels (N,): what the fused sparse_softmax_cross_entropy takes."""
    return (logits.ndim == 2 and logits.dtype.kind == "f" and labels.dtype.kind in "iu"
            and labels.shape == logits.shape[:1])


def _check_logits(loss: LossBase, logits: Tensor) -> None:
    if logits.ndim == 0:
        raise ValueError(_tr("{loss_type}: logits must have a class axis, got a scalar").format(
                             loss_type=type(loss).__name__))
    loss._check_float("logits", logits)


class CrossEntropyLoss(LossBase):
    """Softmax cross-entropy between logits and targets.

    Args:
        weight: optional per-class weight, shape (C,).
        ignore_index: class-index labels equal to it contribute nothing (and are not counted by 'mean').
        reduction: 'mean', 'sum' or 'none'.
        label_smoothing: ls in [0, 1]: the target becomes (1 - ls) * target + ls / C.

    Inputs: logits (N, C) (or (C,), or (N, C, d1, ...)); labels either class indices (int32 or int64) of
    shape (N,) (or (), (N, d1, ...)), or class probabilities (float) of the logits' shape.
    With probabilities, 'mean' divides by the number of samples N (times d1...), whatever the weight.
    (MindSpore 2.10 accepts only int32 class indices; int64 is accepted here as well.)
    """

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(_tr("CrossEntropyLoss: label_smoothing must be in [0, 1], got "
                                 "{label_smoothing!r}").format(label_smoothing=label_smoothing))
        self.weight = weight
        self.ignore_index = ignore_index
        self.label_smoothing = float(label_smoothing)

    def construct(self, logits: Any, labels: Any) -> Tensor:
        logits, labels = _as_tensor(logits), _as_tensor(labels)
        z, y = logits._data, labels._data
        # Speed: the usual call (float logits (N, C), int labels (N,), no class weight, no smoothing) is one
        # fused op, sparse_softmax_cross_entropy with the reduction, instead of log_softmax, a one-hot product,
        # a sum and a division. With no label ignored, 'mean' divides by N in both. A label outside [0, C)
        # makes the fused op raise IndexError; so does one equal to ignore_index when that is outside [0, C)
        # (as the default -100 is): the general path below then skips it or names it.
        if (_usual_sparse_call(z, y) and self.weight is None and self.label_smoothing == 0
                and not 0 <= self.ignore_index < z.shape[1]):
            try:
                return ops.primitives.sparse_softmax_cross_entropy(logits, labels, self.reduction)
            except IndexError:
                pass
        _check_logits(self, logits)
        axis = _class_axis(logits)
        log_probs = ops.log_softmax(logits, axis)
        if _is_int(labels):
            return _indexed_nll(self, log_probs, labels, self.weight, self.ignore_index, self.label_smoothing)
        if not _is_float(labels):
            raise TypeError(_tr("CrossEntropyLoss: labels must be int32/int64 class indices or float class "
                                "probabilities, got {labels_dtype}").format(labels_dtype=labels.dtype))
        if labels.shape != logits.shape:
            raise ValueError(_tr("CrossEntropyLoss: {labels_dtype} labels are class probabilities and must "
                                 "have the logits' shape {logits_shape}, got {labels_shape} (class indices "
                                 "must be int32 or int64)").format(
                                 labels_dtype=labels.dtype, logits_shape=logits.shape,
                                 labels_shape=labels.shape))
        return self._probability_loss(log_probs, labels, axis)

    def _probability_loss(self, log_probs: Tensor, labels: Tensor, axis: int) -> Tensor:
        num_classes = log_probs.shape[axis]
        dtype = log_probs._data.dtype
        targets = labels.astype(dtype)
        if self.label_smoothing > 0:
            targets = targets * (1 - self.label_smoothing) + self.label_smoothing / num_classes
        w = _class_weight("CrossEntropyLoss", self.weight, num_classes, dtype)
        per_element = -ops.sum(log_probs * targets * _along_class_axis(w, log_probs.ndim, axis), axis)
        return self.get_loss(per_element)


class NLLLoss(LossBase):
    """Negative log-likelihood: `-logits[y]` for log-probabilities `logits` (N, C) and int labels y (N,).

    `weight` and `ignore_index` as in CrossEntropyLoss; `CrossEntropyLoss == NLLLoss after LogSoftmax`.
    """

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = weight
        self.ignore_index = ignore_index

    def construct(self, logits: Any, labels: Any) -> Tensor:
        logits, labels = _as_tensor(logits), _as_tensor(labels)
        _check_logits(self, logits)
        if not _is_int(labels):
            raise TypeError(_tr("NLLLoss: labels must be int32 or int64 class indices, got {labels_dtype} "
                                "(shape {labels_shape})").format(
                                labels_dtype=labels.dtype, labels_shape=labels.shape))
        return _indexed_nll(self, logits, labels, self.weight, self.ignore_index)


class SoftmaxCrossEntropyWithLogits(LossBase):
    """Cross-entropy of softmax(logits) (N, C) against one-hot/probability labels (N, C), or, with
    `sparse=True`, against int class indices (N,). The default reduction here is 'none': one loss per row.
    """

    def __init__(self, sparse: bool = False, reduction: str = "none") -> None:
        super().__init__(reduction)
        self.sparse = sparse

    def construct(self, logits: Any, labels: Any) -> Tensor:
        logits, labels = _as_tensor(logits), _as_tensor(labels)
        z, y = logits._data, labels._data
        # Speed: the usual call (sparse, float logits (N, C), int labels (N,)) is recognised by one test on
        # the arrays, and runs as one fused op; anything else goes on to the checks below, which name what is
        # wrong. A label outside [0, C) makes the fused op raise IndexError, turned here into our message.
        if self.sparse and _usual_sparse_call(z, y):
            fused = type(self).get_loss is LossBase.get_loss  # the reduction too, unless a subclass changed it
            try:
                loss = ops.primitives.sparse_softmax_cross_entropy(logits, labels, self.reduction if fused else "none")
            except IndexError:
                raise _label_range_error(y, z.shape[-1]) from None
            return loss if fused else self.get_loss(loss)
        _check_logits(self, logits)
        if self.sparse:
            if not _is_int(labels):
                raise TypeError(_tr("SoftmaxCrossEntropyWithLogits(sparse=True): labels must be int32 or "
                                    "int64 class indices, got {labels_dtype} (shape {labels_shape})").format(
                                    labels_dtype=labels.dtype, labels_shape=labels.shape))
            if labels.shape != logits.shape[:-1]:
                raise ValueError(_tr("SoftmaxCrossEntropyWithLogits(sparse=True): labels must have shape "
                                     "{logits_shape_1} for logits of shape {logits_shape}, got {labels_shape}").format(
                                     logits_shape_1=logits.shape[:-1], logits_shape=logits.shape,
                                     labels_shape=labels.shape))
            if y.size and (y.min() < 0 or y.max() >= logits.shape[-1]):
                raise _label_range_error(y, logits.shape[-1])
            # logits (N, C, d1, ...) or (C,): against the one-hot labels, with the plain ops
            one_hot = (np.arange(logits.shape[-1]) == y[..., None]).astype(logits._data.dtype)
            return self.get_loss(-ops.sum(ops.log_softmax(logits, -1) * one_hot, -1))
        self._check_float("labels", labels, hint=" (for class indices use sparse=True)")
        self._check_same_shape(logits, labels)
        return self.get_loss(-ops.sum(ops.log_softmax(logits, -1) * labels.astype(logits.dtype), -1))


def _label_range_error(y: np.ndarray, classes: int) -> ValueError:
    return ValueError(_tr("SoftmaxCrossEntropyWithLogits: labels must be in [0, {logits_shape_1}), got min "
                          "{y_min} and max {y_max}").format(logits_shape_1=classes, y_min=y.min(), y_max=y.max()))


# ----- binary classification --------------------------------------------------------------------
class BCEWithLogitsLoss(LossBase):
    """Binary cross-entropy of sigmoid(logits) against targets in [0, 1], computed from the logits:

        l = weight * (pos_weight * t * softplus(-x) + (1 - t) * softplus(x))

    which equals -w * (pw * t * log(sigmoid(x)) + (1 - t) * log(1 - sigmoid(x))) but never takes the log
    of 0, so x = +-1000 gives exact, finite values. `weight` and `pos_weight` broadcast against the logits.
    """

    def __init__(self, reduction: str = "mean", weight: Any = None, pos_weight: Any = None) -> None:
        super().__init__(reduction)
        self.weight = weight
        self.pos_weight = pos_weight

    def construct(self, logits: Any, labels: Any) -> Tensor:
        logits, labels = _as_tensor(logits), _as_tensor(labels)
        self._check_float("logits", logits)
        self._check_float("labels", labels, hint=": targets are probabilities, e.g. labels.astype(float32)")
        self._check_same_shape(logits, labels)
        labels = labels.astype(logits.dtype)
        positive = ops.softplus(-logits) * labels  # -log(sigmoid(x)) for t = 1
        if self.pos_weight is not None:
            positive = positive * _as_tensor(self.pos_weight).astype(logits.dtype)
        loss = positive + ops.softplus(logits) * (1 - labels)  # -log(1 - sigmoid(x)) for t = 0
        return self.get_loss(loss, 1.0 if self.weight is None else self.weight)


class BCELoss(LossBase):
    """Binary cross-entropy of probabilities p in [0, 1] against targets t:

        l = -weight * (t * log(p + eps) + (1 - t) * log(1 - p + eps)),  eps = 1e-12 (as MindSpore)

    eps keeps p = 0 or 1 finite (27.63 at most); prefer BCEWithLogitsLoss on logits, which is exact.
    """

    eps = 1e-12

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = weight

    def construct(self, logits: Any, labels: Any) -> Tensor:
        logits, labels = _as_tensor(logits), _as_tensor(labels)
        self._check_float("logits", logits)
        self._check_float("labels", labels, hint=": targets are probabilities, e.g. labels.astype(float32)")
        self._check_same_shape(logits, labels)
        labels = labels.astype(logits.dtype)
        loss = -(labels * ops.log(logits + self.eps) + (1 - labels) * ops.log(1 - logits + self.eps))
        return self.get_loss(loss, 1.0 if self.weight is None else self.weight)
