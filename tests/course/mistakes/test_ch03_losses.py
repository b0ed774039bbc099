"""Mistake catalogue of chapter 03: wrong losses learners really write, each caught with its hint."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_caught, assert_diagnosed, assert_passes

from tinyspore import Tensor, ops
from tinyspore_grader.checks.ch03_losses import (
    check_bce_with_logits,
    check_cross_entropy,
    check_log_softmax,
    check_mse_loss,
    reference_bce_with_logits,
    reference_cross_entropy,
    reference_log_softmax,
    reference_mse_loss,
)

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the naive formulas overflow on purpose


# ----- the oracles agree with MindSpore 2.10 (numbers printed by /opt/msenv/bin/python, CPU, 2026-11-25) -----
def test_oracles_give_mindspore_numbers():
    pred = Tensor([[0.1, 0.9, -0.5], [1.2, -0.3, 0.4]])
    target = Tensor([[0.0, 1.0, 0.0], [1.0, 0.5, -1.0]])
    assert float(reference_mse_loss(pred, target)) == pytest.approx(0.485, rel=1e-5)
    assert float(reference_mse_loss(pred, target, "sum")) == pytest.approx(2.91, rel=1e-5)
    logits = Tensor([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [0.0, 0.0, 0.0], [1.0, -1.0, 3.0]])
    labels = Tensor(np.array([0, 1, 2, 2], np.int32))
    assert float(reference_cross_entropy(logits, labels)) == pytest.approx(0.45293778, rel=1e-5)
    assert float(reference_cross_entropy(logits, labels, ignore_index=2)) == pytest.approx(0.2851038, rel=1e-5)
    assert float(reference_cross_entropy(logits, labels, label_smoothing=0.1)) == pytest.approx(0.5729379, rel=1e-5)
    with_minus_100 = Tensor(np.array([0, 1, -100, 2], np.int32))
    assert float(reference_cross_entropy(logits, with_minus_100)) == pytest.approx(0.23771302, rel=1e-5)
    huge = Tensor([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]])
    assert float(reference_cross_entropy(huge, Tensor(np.array([2, 1], np.int32)))) == 1000.0  # MindSpore: [2000, 0]
    x = Tensor([[0.5, -1.0, 2.0], [-0.3, 0.8, 0.0]])
    t = Tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.5]])
    assert float(reference_bce_with_logits(x, t)) == pytest.approx(0.42214498, rel=1e-5)
    extreme = reference_bce_with_logits(Tensor([1000.0, -1000.0, 1000.0, -1000.0]), Tensor([1.0, 0.0, 0.0, 1.0]))
    assert float(extreme) == 500.0  # MindSpore, reduction='none': [0, 0, 1000, 1000]
    np.testing.assert_allclose(reference_log_softmax(np.array([1000.0, 0.0, -1000.0], np.float32)),
                               [0.0, -1000.0, -2000.0])


# ----- 03.1 mse_loss -----------------------------------------------------------------------------------
def _check_reduction(reduction):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"unknown reduction {reduction}")


def test_mse_written_with_tensor_methods_passes():
    def mse_loss(logits, labels, reduction="mean"):
        _check_reduction(reduction)
        diff = logits - labels
        sq = diff * diff
        return {"mean": sq.mean(), "sum": sq.sum(), "none": sq}[reduction]

    assert_passes(check_mse_loss, mse_loss)


def test_mse_sums_for_mean():
    def mse_loss(logits, labels, reduction="mean"):
        _check_reduction(reduction)
        sq = (logits - labels) ** 2
        return sq if reduction == "none" else sq.sum()

    assert_caught(check_mse_loss, mse_loss, "sum instead of mean")


def test_mse_mean_over_the_batch_axis():
    def mse_loss(logits, labels, reduction="mean"):
        _check_reduction(reduction)
        sq = ops.square(logits - labels)
        if reduction == "mean":
            return ops.mean(sq, 0)
        return ops.sum(sq, 0) if reduction == "sum" else sq

    assert_caught(check_mse_loss, mse_loss, "mean over one axis")


def test_mse_takes_the_root():
    def mse_loss(logits, labels, reduction="mean"):
        _check_reduction(reduction)
        sq = ops.square(logits - labels)
        if reduction == "none":
            return sq
        return ops.sqrt(ops.mean(sq) if reduction == "mean" else ops.sum(sq))

    assert_caught(check_mse_loss, mse_loss, "root of the mean")


def test_mse_with_abs():
    def mse_loss(logits, labels, reduction="mean"):
        _check_reduction(reduction)
        err = ops.abs(logits - labels)
        return {"mean": ops.mean, "sum": ops.sum, "none": lambda t: t}[reduction](err)

    assert_caught(check_mse_loss, mse_loss, "absolute error")


def test_mse_always_mean():
    def mse_loss(logits, labels, reduction="mean"):
        _check_reduction(reduction)
        return ((logits - labels) ** 2).mean()

    assert_caught(check_mse_loss, mse_loss, "reduction ignored")


def test_mse_treats_unknown_reductions_as_none():
    def mse_loss(logits, labels, reduction="mean"):
        sq = ops.square(logits - labels)
        if reduction == "mean":
            return ops.mean(sq)
        if reduction == "sum":
            return ops.sum(sq)
        return sq

    assert_caught(check_mse_loss, mse_loss, "no error for an unknown reduction")


def test_mse_returns_a_python_float():
    def mse_loss(logits, labels, reduction="mean"):
        _check_reduction(reduction)
        sq = (logits.asnumpy() - labels.asnumpy()) ** 2
        return {"mean": float(sq.mean()), "sum": float(sq.sum()), "none": sq}[reduction]

    assert_caught(check_mse_loss, mse_loss, "not a Tensor")


def test_mse_numpy_detour():
    def mse_loss(logits, labels, reduction="mean"):
        _check_reduction(reduction)
        sq = np.square(logits.asnumpy() - labels.asnumpy())
        return Tensor({"mean": sq.mean(), "sum": sq.sum(), "none": sq}[reduction])

    assert_caught(check_mse_loss, mse_loss, "gradient broken")


def test_mse_casts_the_labels_to_python_floats():
    def mse_loss(logits, labels, reduction="mean"):
        _check_reduction(reduction)
        labels = Tensor(labels.asnumpy().astype(float))  # "make sure the labels are floats": float64 in NumPy
        sq = ops.square(logits - labels)
        return {"mean": ops.mean, "sum": ops.sum, "none": lambda t: t}[reduction](sq)

    assert_caught(check_mse_loss, mse_loss, "dtype changed")


# ----- 03.2 log_softmax --------------------------------------------------------------------------------
def test_log_softmax_via_logsumexp_passes():
    def log_softmax(x, axis=-1):
        m = np.max(x, axis=axis, keepdims=True)
        lse = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
        return x - lse

    assert_passes(check_log_softmax, log_softmax)


def test_log_softmax_naive():
    def log_softmax(x, axis=-1):
        return np.log(np.exp(x) / np.sum(np.exp(x), axis=axis, keepdims=True))

    assert_caught(check_log_softmax, log_softmax, "naive formula overflows")


def test_log_softmax_log_of_stable_softmax():
    def log_softmax(x, axis=-1):
        e = np.exp(x - np.max(x, axis=axis, keepdims=True))
        return np.log(e / e.sum(axis=axis, keepdims=True))

    assert_caught(check_log_softmax, log_softmax, "log of softmax underflows")


def test_log_softmax_global_max():
    def log_softmax(x, axis=-1):
        z = x - np.max(x)
        return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))

    assert_caught(check_log_softmax, log_softmax, "one maximum for the whole array")


def test_log_softmax_forgets_the_max_in_logsumexp():
    def log_softmax(x, axis=-1):
        m = x.max(axis=axis, keepdims=True)
        return x - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))

    assert_caught(check_log_softmax, log_softmax, "maximum subtracted but not accounted for")


def test_log_softmax_without_keepdims():
    def log_softmax(x, axis=-1):
        z = x - x.max(axis=axis)
        return z - np.log(np.exp(z).sum(axis=axis))

    assert_caught(check_log_softmax, log_softmax, "lost the reduced axis")


def test_log_softmax_minus_an_unshifted_logsumexp():
    def log_softmax(x, axis=-1):
        # the identity log_softmax(x) = x - logsumexp(x), with logsumexp written without its maximum
        return x - np.log(np.sum(np.exp(x), axis=axis, keepdims=True))

    message = assert_diagnosed(check_log_softmax, log_softmax, "nonfinite", "subtract the maximum along `axis`")
    assert "(logits of +-1000)" in message, message


def test_log_softmax_last_axis_only():
    def log_softmax(x, axis=-1):
        z = x - x.max(axis=-1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))

    assert_caught(check_log_softmax, log_softmax, "ignored axis")


def test_log_softmax_float64_constant():
    def log_softmax(x, axis=-1):
        z = x - x.max(axis=axis, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=axis, keepdims=True) + np.float64(0.0))

    assert_caught(check_log_softmax, log_softmax, "changed the dtype")


def test_log_softmax_returns_a_tensor():
    def log_softmax(x, axis=-1):
        return ops.log_softmax(Tensor(x), axis)

    assert_caught(check_log_softmax, log_softmax, "not an ndarray")


# ----- 03.3 cross_entropy ------------------------------------------------------------------------------
def test_cross_entropy_with_fancy_indexing_passes():
    def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):
        y = labels.asnumpy()
        rows = np.nonzero(y != ignore_index)[0]
        log_probs = ops.log_softmax(logits[Tensor(rows)], -1)
        picked = log_probs[Tensor(np.arange(len(rows))), Tensor(y[rows])]
        nll = -picked.mean()
        smooth = -log_probs.mean()
        return nll * (1 - label_smoothing) + smooth * label_smoothing

    assert_passes(check_cross_entropy, cross_entropy)


def _one_hot(labels, c, ignore_index):
    y = labels.asnumpy()
    keep = y != ignore_index
    hot = (np.arange(c) == np.where(keep, y, 0)[:, None]) & keep[:, None]
    return Tensor(hot.astype(np.float32)), Tensor(keep[:, None].astype(np.float32)), keep.sum()


def test_cross_entropy_log_of_softmax():
    def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):
        log_probs = ops.log(ops.softmax(logits, -1))
        hot, keep, n = _one_hot(labels, logits.shape[1], ignore_index)
        c = logits.shape[1]
        return (-(log_probs * hot).sum() * (1 - label_smoothing)
                - (log_probs * keep).sum() * (label_smoothing / c)) / n

    assert_caught(check_cross_entropy, cross_entropy, "log of softmax")


def test_cross_entropy_exp_of_raw_logits():
    def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):
        e = ops.exp(logits)
        log_probs = ops.log(e / e.sum(axis=1, keepdims=True))
        hot, keep, n = _one_hot(labels, logits.shape[1], ignore_index)
        c = logits.shape[1]
        return (-(log_probs * hot).sum() * (1 - label_smoothing)
                - (log_probs * keep).sum() * (label_smoothing / c)) / n

    assert_caught(check_cross_entropy, cross_entropy, "naive softmax")


def test_cross_entropy_ignores_ignore_index_with_indexing():
    def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):
        log_probs = ops.log_softmax(logits, -1)
        n = logits.shape[0]
        picked = log_probs[Tensor(np.arange(n)), labels]
        return -picked.mean() * (1 - label_smoothing) - log_probs.mean() * label_smoothing

    assert_caught(check_cross_entropy, cross_entropy, "ignore_index not applied")


def test_cross_entropy_masks_after_indexing():
    def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):
        log_probs = ops.log_softmax(logits, -1)
        y = labels.asnumpy()
        keep = Tensor((y != ignore_index).astype(np.float32))
        picked = log_probs[Tensor(np.arange(len(y))), labels]       # -100 is out of range here
        smooth = log_probs.mean(axis=1)
        per_sample = -(picked * (1 - label_smoothing) + smooth * label_smoothing)
        return (per_sample * keep).sum() / keep.sum()

    assert_caught(check_cross_entropy, cross_entropy, "ignored label used as an index")


def test_cross_entropy_hard_codes_minus_100():
    def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):
        log_probs = ops.log_softmax(logits, -1)
        hot, keep, n = _one_hot(labels, logits.shape[1], -100)
        c = logits.shape[1]
        return (-(log_probs * hot).sum() * (1 - label_smoothing)
                - (log_probs * keep).sum() * (label_smoothing / c)) / n

    assert_caught(check_cross_entropy, cross_entropy, "ignore_index not applied")


def test_cross_entropy_divides_by_batch_size():
    def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):
        log_probs = ops.log_softmax(logits, -1)
        hot, keep, _ = _one_hot(labels, logits.shape[1], ignore_index)
        c = logits.shape[1]
        total = -(log_probs * hot).sum() * (1 - label_smoothing) - (log_probs * keep).sum() * (label_smoothing / c)
        return total / logits.shape[0]

    assert_caught(check_cross_entropy, cross_entropy, "divided by N")


def test_cross_entropy_mean_of_the_whole_matrix():
    def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):
        log_probs = ops.log_softmax(logits, -1)
        hot, keep, _ = _one_hot(labels, logits.shape[1], ignore_index)
        c = logits.shape[1]
        return (-(log_probs * hot) * (1 - label_smoothing) - log_probs * keep * (label_smoothing / c)).mean()

    assert_caught(check_cross_entropy, cross_entropy, "mean over all N * C entries")


def test_cross_entropy_smoothing_forgets_one_minus_ls():
    def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):
        log_probs = ops.log_softmax(logits, -1)
        hot, keep, n = _one_hot(labels, logits.shape[1], ignore_index)
        smooth = -(log_probs * keep).mean(axis=1).sum()
        return (-(log_probs * hot).sum() + smooth * label_smoothing) / n

    assert_caught(check_cross_entropy, cross_entropy, "label smoothing without (1 - ls)")


def test_cross_entropy_smoothing_over_the_other_classes():
    def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):
        log_probs = ops.log_softmax(logits, -1)
        hot, keep, n = _one_hot(labels, logits.shape[1], ignore_index)
        c = logits.shape[1]
        target = hot * (1 - label_smoothing) + (keep - hot) * (label_smoothing / (c - 1))
        return -(log_probs * target).sum() / n

    assert_caught(check_cross_entropy, cross_entropy, "label smoothing over the other classes")


def test_cross_entropy_smoothing_sum_of_classes():
    def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):
        log_probs = ops.log_softmax(logits, -1)
        hot, keep, n = _one_hot(labels, logits.shape[1], ignore_index)
        return (-(log_probs * hot).sum() * (1 - label_smoothing) - (log_probs * keep).sum() * label_smoothing) / n

    assert_caught(check_cross_entropy, cross_entropy, "label smoothing summed")


def test_cross_entropy_smooths_ignored_rows():
    def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):
        log_probs = ops.log_softmax(logits, -1)
        hot, _, n = _one_hot(labels, logits.shape[1], ignore_index)
        c = logits.shape[1]
        return (-(log_probs * hot).sum() * (1 - label_smoothing) - log_probs.sum() * (label_smoothing / c)) / n

    assert_caught(check_cross_entropy, cross_entropy, "ignored samples smoothed")


def test_cross_entropy_numpy_result():
    def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):
        log_probs = ops.log_softmax(logits, -1).asnumpy()
        y = labels.asnumpy()
        keep = y != ignore_index
        nll = -log_probs[np.nonzero(keep)[0], y[keep]]
        smooth = -log_probs[keep].mean(axis=1)
        return ((1 - label_smoothing) * nll + label_smoothing * smooth).mean()

    assert_caught(check_cross_entropy, cross_entropy, "not a Tensor")


def test_cross_entropy_target_from_np_eye():
    def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):
        c = logits.shape[-1]
        y = labels.asnumpy()
        keep = y != ignore_index
        target = np.eye(c)[np.where(keep, y, 0)] * (1 - label_smoothing) + label_smoothing / c  # float64
        target = target * keep[:, None]
        return -(ops.log_softmax(logits, -1) * Tensor(target)).sum() / keep.sum()

    assert_caught(check_cross_entropy, cross_entropy, "dtype changed")


def test_cross_entropy_in_numpy_wrapped_in_a_tensor():
    def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):
        x, y = logits.asnumpy(), labels.asnumpy()
        z = x - x.max(axis=1, keepdims=True)
        log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        keep = y != ignore_index
        nll = -log_probs[np.nonzero(keep)[0], y[keep]]
        smooth = -log_probs[keep].mean(axis=1)
        return Tensor(((1 - label_smoothing) * nll + label_smoothing * smooth).mean())

    message = assert_caught(check_cross_entropy, cross_entropy, "gradient broken")
    assert "(the gradient with respect to logits)" in message, message


# ----- 03.4 bce_with_logits ----------------------------------------------------------------------------
def test_bce_with_softplus_passes():
    def bce_with_logits(logits, labels):
        return (ops.softplus(logits) - logits * labels).mean()

    assert_passes(check_bce_with_logits, bce_with_logits)


def test_bce_sigmoid_then_log():
    def bce_with_logits(logits, labels):
        p = 1 / (1 + ops.exp(-logits))
        return -(labels * ops.log(p) + (1 - labels) * ops.log(1 - p)).mean()

    assert_caught(check_bce_with_logits, bce_with_logits, "sigmoid then log")


def test_bce_clipped_probabilities():
    def bce_with_logits(logits, labels):
        p = ops.clip(ops.sigmoid(logits), 1e-7, 1 - 1e-7)
        return ops.mean(-labels * ops.log(p) - (1 - labels) * ops.log(1 - p))

    assert_caught(check_bce_with_logits, bce_with_logits, "clipped probabilities")


def test_bce_log1p_exp():
    def bce_with_logits(logits, labels):
        return ops.mean(ops.log1p(ops.exp(logits)) - logits * labels)

    assert_caught(check_bce_with_logits, bce_with_logits, "log(1 + exp(x)) overflows")


def test_bce_forgets_the_max():
    def bce_with_logits(logits, labels):
        return ops.mean(-logits * labels + ops.log1p(ops.exp(-ops.abs(logits))))

    assert_caught(check_bce_with_logits, bce_with_logits, "max(x, 0) missing")


def test_bce_plus_x_times_y():
    def bce_with_logits(logits, labels):
        return ops.mean(ops.maximum(logits, 0) + logits * labels + ops.log1p(ops.exp(-ops.abs(logits))))

    assert_caught(check_bce_with_logits, bce_with_logits, "sign of x * y")


def test_bce_sum():
    def bce_with_logits(logits, labels):
        return (ops.relu(logits) - logits * labels + ops.log1p(ops.exp(-ops.abs(logits)))).sum()

    assert_caught(check_bce_with_logits, bce_with_logits, "summed, not averaged")


def test_bce_numpy_inside():
    def bce_with_logits(logits, labels):
        x, y = logits.asnumpy(), labels.asnumpy()
        return Tensor(np.mean(np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))))

    assert_caught(check_bce_with_logits, bce_with_logits, "gradient broken")


def test_bce_float64_weights():
    def bce_with_logits(logits, labels):
        ones = Tensor(np.ones(logits.shape))  # float64: NumPy's default
        return ops.mean((ops.relu(logits) - logits * labels + ops.log1p(ops.exp(-ops.abs(logits)))) * ones)

    assert_caught(check_bce_with_logits, bce_with_logits, "dtype changed")


def test_bce_in_numpy():
    def bce_with_logits(logits, labels):
        x, y = logits.asnumpy(), labels.asnumpy()
        return np.mean(np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x))))

    assert_caught(check_bce_with_logits, bce_with_logits, "not a Tensor")


def test_bce_with_logits_with_where_has_a_nan_gradient_at_extreme_logits():
    def bce_with_logits(logits, labels):
        # finite values everywhere, because where() picks the branch that does not overflow ...
        positive = logits - logits * labels + ops.log(1 + ops.exp(-logits))
        negative = -logits * labels + ops.log(1 + ops.exp(logits))
        return ops.mean(ops.where(logits > 0, positive, negative))

    # ... but the gradient also flows through the other branch: 0 * inf = nan
    assert_caught(check_bce_with_logits, bce_with_logits, "nan gradient from the branch not taken")


def test_mse_mean_divides_by_the_number_of_logits():
    # right whenever labels have the logits' shape; wrong when they broadcast the logits up
    def mse_loss(logits, labels, reduction="mean"):
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction}")
        squared = (logits - labels) ** 2
        if reduction == "mean":
            return squared.sum() / logits.size
        return squared.sum() if reduction == "sum" else squared

    assert_caught(check_mse_loss, mse_loss, "mean over the logits' size")



def test_cross_entropy_overwrites_the_ignored_labels():
    # a mask first, then the ignored labels "cleaned" to 0 in the caller's Tensor so that they can index
    def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):
        kept = labels.asnumpy() != ignore_index
        labels[Tensor(~kept)] = 0
        log_probs = ops.log_softmax(logits, -1)
        c = logits.shape[1]
        one_hot = (np.arange(c) == labels.asnumpy()[:, None]) & kept[:, None]
        target = one_hot * (1 - label_smoothing) + kept[:, None] * (label_smoothing / c)
        return -(log_probs * Tensor(target.astype(np.float32))).sum() / float(kept.sum())

    assert_diagnosed(check_cross_entropy, cross_entropy, "in_place", "changed its input `labels` in place")
