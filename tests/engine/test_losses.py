"""`tinyspore.nn` losses: values against NumPy and MindSpore 2.10, reductions, gradients, extremes, errors.

Numbers marked "MindSpore 2.10" were printed by the real MindSpore (CPU) in /opt/msenv on the same inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import assert_gradients_match

import tinyspore as ms
from tinyspore import Tensor, nn, ops

PRED = np.array([[0.1, 0.9, -0.5], [1.2, -0.3, 0.4]], np.float32)
TARGET = np.array([[0.0, 1.0, 0.0], [1.0, 0.5, -1.0]], np.float32)

LOGITS = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [0.0, 0.0, 0.0], [1.0, -1.0, 3.0]], np.float32)
LABELS = np.array([0, 1, 2, 2], np.int32)
PROBS = np.array([[0.7, 0.2, 0.1], [0.0, 1.0, 0.0], [0.3, 0.3, 0.4], [0.1, 0.1, 0.8]], np.float32)
CLASS_WEIGHT = np.array([1.0, 2.0, 0.25], np.float32)  # sum of w[LABELS] = 3.5, not N = 4

BIG = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0]], np.float32)

ALL_LOSSES = [nn.MSELoss, nn.L1Loss, nn.SmoothL1Loss, nn.CrossEntropyLoss, nn.NLLLoss, nn.BCEWithLogitsLoss,
              nn.BCELoss, nn.SoftmaxCrossEntropyWithLogits]


def np_log_softmax(z: np.ndarray, axis: int = 1) -> np.ndarray:
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def np_cross_entropy(logits, labels, weight=None, ignore_index=-100, ls=0.0, reduction="mean"):
    """Cross-entropy by hand, for (N, C) logits: PyTorch's and MindSpore's documented formulas."""
    logp = np_log_softmax(np.asarray(logits, np.float64))
    n, c = logp.shape
    w = np.ones(c) if weight is None else np.asarray(weight, np.float64)
    if labels.dtype.kind in "iu":
        valid = labels != ignore_index
        y = np.where(valid, labels, 0)
        picked = -logp[np.arange(n), y] * w[y]
        spread = -(logp * w).sum(axis=1) / c
        per_row = ((1 - ls) * picked + ls * spread) * valid
        denominator = (w[y] * valid).sum()
    else:
        targets = labels * (1 - ls) + ls / c
        per_row = -(logp * targets * w).sum(axis=1)
        denominator = n
    return {"none": per_row, "sum": per_row.sum(), "mean": per_row.sum() / denominator}[reduction]


def value(x: Tensor) -> np.ndarray:
    return np.asarray(x.asnumpy())


# ----- LossBase and reduction -------------------------------------------------------------------
@pytest.mark.parametrize("loss_class", ALL_LOSSES)
def test_invalid_reduction_names_the_loss_and_the_value(loss_class):
    with pytest.raises(ValueError, match=rf"{loss_class.__name__}: reduction must be one of "
                                         r"\['mean', 'sum', 'none'\], got 'avg'"):
        loss_class(reduction="avg")


def test_default_reductions_follow_mindspore():
    assert nn.MSELoss().reduction == "mean" and nn.CrossEntropyLoss().reduction == "mean"
    assert nn.SmoothL1Loss().reduction == "none"  # MindSpore 2.10's default for SmoothL1Loss
    assert nn.SoftmaxCrossEntropyWithLogits().reduction == "none"


def test_loss_base_get_loss_weights_and_reduces():
    class WeightedAbs(nn.LossBase):
        def construct(self, logits, labels):
            return self.get_loss(ops.abs(logits - labels), Tensor([[1.0, 2.0]]))

    x, y = Tensor([[1.0, 2.0], [3.0, 5.0]]), Tensor([[0.0, 0.0], [0.0, 0.0]])
    assert WeightedAbs()(x, y).asnumpy() == pytest.approx((1 + 4 + 3 + 10) / 4)
    assert WeightedAbs("sum")(x, y).asnumpy() == pytest.approx(18)
    np.testing.assert_array_equal(WeightedAbs("none")(x, y).asnumpy(), [[1, 4], [3, 10]])
    assert nn.LossBase().get_axis(x) == (0, 1)
    with pytest.raises(NotImplementedError):
        nn.LossBase()(x, y)


def test_losses_keep_float64():
    p, t = Tensor(PRED.astype(np.float64)), Tensor(TARGET.astype(np.float64))
    assert nn.MSELoss()(p, t).dtype == ms.float64
    assert nn.CrossEntropyLoss()(Tensor(LOGITS.astype(np.float64)), Tensor(LABELS)).dtype == ms.float64
    assert nn.CrossEntropyLoss()(Tensor(LOGITS), Tensor(LABELS)).dtype == ms.float32


# ----- regression losses ------------------------------------------------------------------------
def test_mse_and_l1_match_numpy_and_mindspore():
    p, t = Tensor(PRED), Tensor(TARGET)
    diff = PRED - TARGET
    np.testing.assert_allclose(value(nn.MSELoss("none")(p, t)), diff ** 2, rtol=1e-6)
    np.testing.assert_allclose(value(nn.L1Loss("none")(p, t)), np.abs(diff), rtol=1e-6)
    # MindSpore 2.10: MSELoss mean 0.485, sum 2.91; L1Loss mean 0.5166667, sum 3.1000001.
    assert value(nn.MSELoss()(p, t)) == pytest.approx(0.485, rel=1e-6)
    assert value(nn.MSELoss("sum")(p, t)) == pytest.approx(2.91, rel=1e-6)
    assert value(nn.L1Loss()(p, t)) == pytest.approx(0.5166667, rel=1e-6)
    assert value(nn.L1Loss("sum")(p, t)) == pytest.approx(3.1000001, rel=1e-6)
    # MindSpore 2.10 broadcasts (2, 3) against (3,): 0.5933333.
    assert value(nn.MSELoss()(p, Tensor(TARGET[0]))) == pytest.approx(0.5933333, rel=1e-6)
    with pytest.raises(ValueError, match=r"MSELoss: logits shape \(2, 3\) and labels shape \(2,\) do not broadcast"):
        nn.MSELoss()(p, Tensor(np.zeros(2, np.float32)))


def test_smooth_l1_matches_mindspore():
    p, t = Tensor(PRED), Tensor(TARGET)
    # MindSpore 2.10, beta=1 and beta=0.5, reduction 'none', 'mean', 'sum':
    np.testing.assert_allclose(value(nn.SmoothL1Loss()(p, t)),
                               [[0.005, 0.005000002, 0.125], [0.020000009, 0.32000002, 0.9]], rtol=1e-6)
    np.testing.assert_allclose(value(nn.SmoothL1Loss(beta=0.5)(p, t)),
                               [[0.010000001, 0.010000004, 0.25], [0.040000018, 0.55, 1.15]], rtol=1e-6)
    assert value(nn.SmoothL1Loss(reduction="mean")(p, t)) == pytest.approx(0.22916667, rel=1e-6)
    assert value(nn.SmoothL1Loss(beta=0.5, reduction="sum")(p, t)) == pytest.approx(2.01, rel=1e-6)
    with pytest.raises(ValueError, match=r"SmoothL1Loss: logits shape \(2, 3\) and labels shape \(3,\) must be equal"):
        nn.SmoothL1Loss()(p, Tensor(TARGET[0]))
    with pytest.raises(ValueError, match="SmoothL1Loss: beta must be a positive number, got 0"):
        nn.SmoothL1Loss(beta=0)


# ----- cross-entropy ----------------------------------------------------------------------------
# MindSpore 2.10, CrossEntropyLoss on LOGITS with int32 LABELS or PROBS and weight CLASS_WEIGHT:
MINDSPORE_CE = [
    # (options, labels, none, sum, mean)
    ({}, LABELS, [0.41702938, 0.15317822, 1.0986121, 0.14293146], 1.8117516, 0.45293778),
    ({}, PROBS, [0.80702937, 0.15317822, 1.0986121, 0.7429315], 2.8017516, 0.7004378),
    ({"weight": CLASS_WEIGHT}, LABELS, [0.41702938, 0.30635643, 0.27465302, 0.03573287], 1.033772, 0.29536343),
    ({"weight": CLASS_WEIGHT, "label_smoothing": 0.1}, LABELS,
     [0.5030046, 0.38814843, 0.36620402, 0.38097718], 1.6383345, 0.4680956),
    ({"weight": CLASS_WEIGHT, "ignore_index": 2}, LABELS, [0.41702938, 0.30635643, 0.0, 0.0], 0.72338605, 0.24112868),
    ({"weight": CLASS_WEIGHT, "ignore_index": 2, "label_smoothing": 0.1}, LABELS,
     [0.5030046, 0.38814843, 0.0, 0.0], 0.8911533, 0.29705107),
    ({"weight": CLASS_WEIGHT}, PROBS, [0.9166581, 0.30635643, 1.0986122, 1.0714657], 3.3930929, 0.8482732),
    ({"ignore_index": 2}, LABELS, [0.41702938, 0.15317822, 0.0, 0.0], 0.57020783, 0.2851038),
    ({"label_smoothing": 0.1}, LABELS, [0.5136961, 0.33651155, 1.0986121, 0.34293145], 2.2917511, 0.5729379),
    ({"label_smoothing": 0.1}, PROBS, [0.864696, 0.33651155, 1.0986121, 0.8829314], 3.1827512, 0.7956879),
]


@pytest.mark.parametrize("options, labels, none, total, mean", MINDSPORE_CE,
                         ids=[f"{sorted(o)}-{lab.dtype}" for o, lab, *_ in MINDSPORE_CE])
def test_cross_entropy_matches_mindspore_and_numpy(options, labels, none, total, mean):
    for reduction, expected in (("none", none), ("sum", total), ("mean", mean)):
        loss_fn = nn.CrossEntropyLoss(reduction=reduction, **{k: (Tensor(v) if k == "weight" else v)
                                                               for k, v in options.items()})
        got = value(loss_fn(Tensor(LOGITS), Tensor(labels)))
        np.testing.assert_allclose(got, expected, rtol=2e-6, atol=1e-7, err_msg=reduction)
        by_hand = np_cross_entropy(LOGITS, labels, options.get("weight"), options.get("ignore_index", -100),
                                   options.get("label_smoothing", 0.0), reduction)
        np.testing.assert_allclose(got, by_hand, rtol=2e-6, atol=1e-7, err_msg=reduction)


def test_cross_entropy_other_shapes():
    # MindSpore 2.10: 1-D logits (3,) with a scalar label -> 0.41702962.
    assert value(nn.CrossEntropyLoss()(Tensor(LOGITS[0]), Tensor(np.int32(0)))) == pytest.approx(0.41702962, rel=1e-6)
    z = Tensor(np.arange(6, dtype=np.float32).reshape(1, 3, 2) * 0.3)
    # MindSpore 2.10: (N, C, d) logits with probabilities (N, C, d) -> [[1.0351887, 1.8151886]].
    soft = Tensor(np.array([[[0.2, 1.0], [0.3, 0.0], [0.5, 0.0]]], np.float32))
    np.testing.assert_allclose(value(nn.CrossEntropyLoss(reduction="none")(z, soft)), [[1.0351887, 1.8151886]],
                               rtol=1e-6)
    # MindSpore 2.10: (2, 3, 2) logits, (2, 2) labels, weight CLASS_WEIGHT, mean -> 1.300903.
    z2 = Tensor(np.arange(12, dtype=np.float32).reshape(2, 3, 2) * 0.3)
    y2 = Tensor(np.array([[0, 2], [1, 1]], np.int32))
    assert value(nn.CrossEntropyLoss(weight=Tensor(CLASS_WEIGHT))(z2, y2)) == pytest.approx(1.300903, rel=1e-6)
    # int64 labels work here (MindSpore 2.10 accepts only int32 for CrossEntropyLoss).
    assert value(nn.CrossEntropyLoss()(Tensor(LOGITS), Tensor(LABELS.astype(np.int64)))) == pytest.approx(
        0.45293778, rel=1e-6)


def test_cross_entropy_all_ignored_mean_is_nan_as_in_mindspore():
    with np.errstate(invalid="ignore"):
        out = nn.CrossEntropyLoss()(Tensor(LOGITS[:2]), Tensor(np.array([-100, -100], np.int32)))
    assert np.isnan(value(out))  # MindSpore 2.10: nan (0 / 0)
    assert value(nn.CrossEntropyLoss(reduction="sum")(Tensor(LOGITS[:2]), Tensor(np.array([-100, -100])))) == 0


def test_cross_entropy_errors_name_shapes_and_dtypes():
    ce = nn.CrossEntropyLoss()
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: Float32 labels are class probabilities and must have "
                                         r"the logits' shape \(4, 3\), got \(4,\) \(class indices must be int32"):
        ce(Tensor(LOGITS), Tensor(LABELS.astype(np.float32)))
    with pytest.raises(ValueError, match=r"must have the logits' shape \(4, 3\), got \(4, 2\)"):
        ce(Tensor(LOGITS), Tensor(np.ones((4, 2), np.float32)))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: class-index labels must have shape \(4,\) for logits "
                                         r"of shape \(4, 3\), got \(2,\)"):
        ce(Tensor(LOGITS), Tensor(np.array([0, 1], np.int32)))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: label 5 is out of range \[0, 3\)"):
        ce(Tensor(LOGITS), Tensor(np.array([0, 1, 5, 2], np.int32)))
    with pytest.raises(ValueError, match=r"label -1 is out of range"):
        ce(Tensor(LOGITS), Tensor(np.array([0, 1, -1, 2], np.int32)))
    with pytest.raises(TypeError, match=r"CrossEntropyLoss: logits must be float, got Int32"):
        ce(Tensor(LABELS.reshape(2, 2)), Tensor(np.array([0, 1], np.int32)))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: weight must have one entry per class, shape \(3,\), "
                                         r"got \(2,\)"):
        nn.CrossEntropyLoss(weight=Tensor([1.0, 2.0]))(Tensor(LOGITS), Tensor(LABELS))
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got 1.5"):
        nn.CrossEntropyLoss(label_smoothing=1.5)


def test_nll_loss_matches_mindspore():
    log_probs = nn.LogSoftmax()(Tensor(LOGITS))
    # MindSpore 2.10 (its own log-probabilities, hence a looser tolerance): none, sum, mean with CLASS_WEIGHT.
    weighted = nn.NLLLoss(weight=Tensor(CLASS_WEIGHT), reduction="none")(log_probs, Tensor(LABELS))
    np.testing.assert_allclose(value(weighted), [0.4170278, 0.3063535, 0.2746525, 0.03573214], rtol=2e-5, atol=1e-6)
    assert value(nn.NLLLoss(weight=Tensor(CLASS_WEIGHT), reduction="sum")(log_probs, Tensor(LABELS))) == \
        pytest.approx(1.0337659, rel=2e-5)
    assert value(nn.NLLLoss(weight=Tensor(CLASS_WEIGHT))(log_probs, Tensor(LABELS))) == pytest.approx(0.2953617,
                                                                                                       rel=2e-5)
    assert value(nn.NLLLoss(ignore_index=2)(log_probs, Tensor(LABELS.astype(np.int64)))) == pytest.approx(
        0.28510228, rel=2e-5)
    # On raw scores it is just -mean(score[y]) (MindSpore 2.10: -1.875).
    assert value(nn.NLLLoss()(Tensor(LOGITS), Tensor(LABELS))) == pytest.approx(-1.875)
    with pytest.raises(TypeError, match=r"NLLLoss: labels must be int32 or int64 class indices, got Float32 "
                                        r"\(shape \(4,\)\)"):
        nn.NLLLoss()(log_probs, Tensor(LABELS.astype(np.float32)))
    with pytest.raises(ValueError, match=r"NLLLoss: label 3 is out of range \[0, 3\)"):
        nn.NLLLoss()(log_probs, Tensor(np.array([0, 1, 2, 3], np.int32)))


def test_softmax_cross_entropy_with_logits_matches_mindspore():
    z = Tensor(LOGITS)
    sparse_none = [0.41702995, 0.15317824, 1.0986123, 0.1429316]  # MindSpore 2.10, sparse=True
    np.testing.assert_allclose(value(nn.SoftmaxCrossEntropyWithLogits(sparse=True)(z, Tensor(LABELS))),
                               sparse_none, rtol=2e-6)
    assert value(nn.SoftmaxCrossEntropyWithLogits(True, "mean")(z, Tensor(LABELS.astype(np.int64)))) == \
        pytest.approx(0.45293784, rel=2e-6)
    # MindSpore 2.10, sparse=False (the default) with PROBS: none, then sum.
    np.testing.assert_allclose(value(nn.SoftmaxCrossEntropyWithLogits()(z, Tensor(PROBS))),
                               [0.8070299, 0.15317824, 1.0986123, 0.74293154], rtol=2e-6)
    assert value(nn.SoftmaxCrossEntropyWithLogits(reduction="sum")(z, Tensor(PROBS))) == pytest.approx(
        2.801752, rel=2e-6)
    with pytest.raises(TypeError, match=r"SoftmaxCrossEntropyWithLogits\(sparse=True\): labels must be int32 or "
                                        r"int64 class indices, got Float32"):
        nn.SoftmaxCrossEntropyWithLogits(sparse=True)(z, Tensor(LABELS.astype(np.float32)))
    with pytest.raises(TypeError, match=r"SoftmaxCrossEntropyWithLogits: labels must be float, got Int32 .*"
                                        r"sparse=True"):
        nn.SoftmaxCrossEntropyWithLogits()(z, Tensor(np.eye(3, dtype=np.int32)[LABELS]))
    with pytest.raises(ValueError, match=r"logits shape \(4, 3\) and labels shape \(4, 2\) must be equal"):
        nn.SoftmaxCrossEntropyWithLogits()(z, Tensor(PROBS[:, :2]))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\), got min 0 and max 3"):
        nn.SoftmaxCrossEntropyWithLogits(sparse=True)(z, Tensor(np.array([0, 1, 2, 3])))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_sparse_softmax_cross_entropy_fused_with_its_reduction_gives_the_same_bits(reduction):
    """The loss reduces inside its one fused op; the numbers are exactly those of the op followed by ops.mean/sum."""
    logits, labels = np.random.default_rng(0).normal(size=(16, 5)).astype(np.float32), Tensor(np.arange(16) % 5)
    fused = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction=reduction)
    reduce = ops.mean if reduction == "mean" else ops.sum

    def in_two_ops(z):
        return reduce(ops.primitives.sparse_softmax_cross_entropy(z, labels))

    value_fused, grad_fused = ms.value_and_grad(lambda z: fused(z, labels))(Tensor(logits))
    value_two, grad_two = ms.value_and_grad(in_two_ops)(Tensor(logits))
    assert value(value_fused).tobytes() == value(value_two).tobytes()
    assert value(grad_fused).tobytes() == value(grad_two).tobytes()
    assert_gradients_match(lambda z: fused(z, labels), logits.astype(np.float64))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_fast_path_agrees_with_the_general_one(reduction):
    """The usual call runs as one fused op; a class weight of ones takes the general path: same loss, same gradient."""
    logits = np.random.default_rng(1).normal(size=(12, 4)).astype(np.float32)
    labels = Tensor((np.arange(12) % 4).astype(np.int32))
    fused = nn.CrossEntropyLoss(reduction=reduction)
    general = nn.CrossEntropyLoss(weight=Tensor(np.ones(4, np.float32)), reduction=reduction)
    expected = np_cross_entropy(logits, labels.asnumpy(), reduction=reduction).sum()

    def value_and_gradient(loss):
        return ms.value_and_grad(lambda z: loss(z, labels).sum())(Tensor(logits))

    (fused_value, fused_grad), (general_value, general_grad) = value_and_gradient(fused), value_and_gradient(general)
    np.testing.assert_allclose(value(fused_value), expected, rtol=2e-6)
    np.testing.assert_allclose(value(general_value), expected, rtol=2e-6)
    np.testing.assert_allclose(value(fused_grad), value(general_grad), rtol=1e-6, atol=1e-7)


def test_cross_entropy_with_an_ignored_label_or_an_ignore_index_among_the_classes():
    """Labels equal to ignore_index leave the fast path (-100 by default, or a class index like 2)."""
    with_ignored = np.array([0, 1, -100, 2], np.int32)
    np.testing.assert_allclose(value(nn.CrossEntropyLoss()(Tensor(LOGITS), Tensor(with_ignored))),
                               np_cross_entropy(LOGITS, with_ignored), rtol=2e-6)
    np.testing.assert_allclose(value(nn.CrossEntropyLoss(ignore_index=2)(Tensor(LOGITS), Tensor(LABELS))),
                               np_cross_entropy(LOGITS, LABELS, ignore_index=2), rtol=2e-6)
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: label 3 is out of range \[0, 3\)"):
        nn.CrossEntropyLoss()(Tensor(LOGITS), Tensor(np.array([0, 1, 2, 3], np.int32)))


def test_a_subclass_that_changes_get_loss_is_still_called():
    class Halved(nn.SoftmaxCrossEntropyWithLogits):
        def get_loss(self, x, weights=1.0):
            return super().get_loss(x, weights) / 2

    z, labels = Tensor(LOGITS), Tensor(LABELS)
    assert value(Halved(True, "mean")(z, labels)) == pytest.approx(0.45293784 / 2, rel=2e-6)


@pytest.mark.parametrize("labels, low, high", [([0, 1, -1, 2], -1, 2), ([0, 1, 2, 3], 0, 3), ([0, -4, 9, 1], -4, 9)])
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.int8])
def test_sparse_labels_out_of_range_are_refused_negative_ones_too(labels, low, high, dtype):
    """A negative label must not count from the end (NumPy's indexing would read logits[-1] silently)."""
    with pytest.raises(ValueError, match=rf"labels must be in \[0, 3\), got min {low} and max {high}"):
        nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")(Tensor(LOGITS), Tensor(np.array(labels, dtype)))


def test_unsigned_sparse_labels_work():
    """MnistDataset gives UInt32 labels, as in MindSpore."""
    loss = nn.SoftmaxCrossEntropyWithLogits(True, "mean")(Tensor(LOGITS), Tensor(LABELS.astype(np.uint32)))
    assert value(loss) == pytest.approx(0.45293784, rel=2e-6)


# ----- binary cross-entropy ---------------------------------------------------------------------
BCE_X = np.array([[0.5, -1.0, 2.0], [-0.3, 0.8, 0.0]], np.float32)
BCE_T = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.5]], np.float32)
BCE_W = np.array([1.0, 2.0, 0.5], np.float32)
BCE_PW = np.array([3.0, 1.0, 0.5], np.float32)
# MindSpore 2.10, BCEWithLogitsLoss on BCE_X, BCE_T: (options, none, sum, mean).
MINDSPORE_BCE_WITH_LOGITS = [
    ({}, [[0.474077, 0.31326163, 0.12692805], [0.55435526, 0.37110063, 0.6931472]], 2.5328698, 0.42214498),
    ({"weight": BCE_W}, [[0.474077, 0.62652326, 0.06346402], [0.55435526, 0.74220127, 0.3465736]],
     2.8071942, 0.4678657),
    ({"pos_weight": BCE_PW}, [[1.422231, 0.31326163, 0.06346402], [0.55435526, 0.37110063, 0.5198604]],
     3.244273, 0.5407122),
    ({"weight": BCE_W, "pos_weight": BCE_PW}, [[1.422231, 0.62652326, 0.03173201], [0.55435526, 0.74220127,
                                                                                   0.2599302]], 3.636973, 0.60616213),
]


@pytest.mark.parametrize("options, none, total, mean", MINDSPORE_BCE_WITH_LOGITS,
                         ids=[str(sorted(o)) for o, *_ in MINDSPORE_BCE_WITH_LOGITS])
def test_bce_with_logits_matches_mindspore_and_numpy(options, none, total, mean):
    sig = 1 / (1 + np.exp(-BCE_X.astype(np.float64)))
    w, pw = options.get("weight", 1.0), options.get("pos_weight", 1.0)
    by_hand = -w * (pw * BCE_T * np.log(sig) + (1 - BCE_T) * np.log(1 - sig))
    for reduction, expected in (("none", none), ("sum", total), ("mean", mean)):
        loss_fn = nn.BCEWithLogitsLoss(reduction, **{k: Tensor(v) for k, v in options.items()})
        got = value(loss_fn(Tensor(BCE_X), Tensor(BCE_T)))
        np.testing.assert_allclose(got, expected, rtol=2e-6, err_msg=reduction)
        np.testing.assert_allclose(got, {"none": by_hand, "sum": by_hand.sum(), "mean": by_hand.mean()}[reduction],
                                   rtol=2e-6, err_msg=reduction)


def test_bce_with_logits_errors():
    with pytest.raises(TypeError, match=r"BCEWithLogitsLoss: labels must be float, got Int32 \(shape \(2, 3\)\)"):
        nn.BCEWithLogitsLoss()(Tensor(BCE_X), Tensor(BCE_T.astype(np.int32)))
    with pytest.raises(ValueError, match=r"BCEWithLogitsLoss: logits shape \(2, 3\) and labels shape \(2, 2\) must"):
        nn.BCEWithLogitsLoss()(Tensor(BCE_X), Tensor(BCE_T[:, :2]))


P = np.array([[0.2, 0.9, 0.5], [0.7, 0.1, 0.999]], np.float32)
P_T = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]], np.float32)


def test_bce_loss_matches_mindspore():
    # MindSpore 2.10 on P, P_T:
    np.testing.assert_allclose(value(nn.BCELoss(reduction="none")(Tensor(P), Tensor(P_T))),
                               [[0.22314353, 0.10536055, 0.6931472], [0.35667497, 0.10536055, 3.4543843]], rtol=2e-6)
    assert value(nn.BCELoss()(Tensor(P), Tensor(P_T))) == pytest.approx(0.8230119, rel=2e-6)
    assert value(nn.BCELoss(reduction="sum")(Tensor(P), Tensor(P_T))) == pytest.approx(4.9380713, rel=2e-6)
    full_weight = Tensor(np.array([[1.0, 2.0, 0.5], [0.0, 1.0, 3.0]], np.float32))
    np.testing.assert_allclose(value(nn.BCELoss(weight=full_weight, reduction="none")(Tensor(P), Tensor(P_T))),
                               [[0.22314353, 0.21072109, 0.3465736], [0.0, 0.10536055, 10.363153]], rtol=2e-6)
    # MindSpore 2.10 adds eps = 1e-12 inside the logs: p = 1e-13, 1e-11, 0 with t = 1.
    edge = nn.BCELoss(reduction="none")(Tensor(np.array([1e-13, 1e-11, 0.0], np.float32)), Tensor(np.ones(3, np.float32)))
    np.testing.assert_allclose(value(edge), [27.535711, 25.233126, 27.631021], rtol=2e-6)
    # MindSpore 2.10: the gradient of the mean BCELoss with respect to P.
    np.testing.assert_allclose(value(ms.grad(lambda p: nn.BCELoss()(p, Tensor(P_T)))(Tensor(P))),
                               [[0.20833331, -0.1851852, -0.33333334], [-0.23809525, 0.1851852, 83.25099]], rtol=1e-4)
    with pytest.raises(TypeError, match="BCELoss: labels must be float, got Int32"):
        nn.BCELoss()(Tensor(P), Tensor(P_T.astype(np.int32)))


# ----- gradients against central differences (float64) -----------------------------------------
def f64(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, np.float64)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_loss_gradients(reduction):
    # PRED - TARGET avoids 0 (the kink of |d|) and the SmoothL1 switch at |d| = beta.
    for loss_fn in (nn.MSELoss(reduction), nn.L1Loss(reduction), nn.SmoothL1Loss(0.5, reduction)):
        assert_gradients_match(loss_fn, f64(PRED), f64(TARGET))  # both inputs: labels get gradients too


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options", [
    {}, {"weight": CLASS_WEIGHT}, {"ignore_index": 2}, {"label_smoothing": 0.2},
    {"weight": CLASS_WEIGHT, "ignore_index": 0, "label_smoothing": 0.1},
], ids=lambda o: "-".join(sorted(o)) or "plain")
def test_cross_entropy_gradients_with_class_indices(options, reduction):
    opts = {k: (Tensor(f64(v)) if k == "weight" else v) for k, v in options.items()}
    loss_fn = nn.CrossEntropyLoss(reduction=reduction, **opts)
    assert_gradients_match(lambda z: loss_fn(z, Tensor(LABELS)), f64(LOGITS))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_gradients_with_probabilities(reduction):
    loss_fn = nn.CrossEntropyLoss(weight=Tensor(f64(CLASS_WEIGHT)), reduction=reduction, label_smoothing=0.1)
    assert_gradients_match(loss_fn, f64(LOGITS), f64(PROBS))  # d/d logits and d/d targets


def test_cross_entropy_gradients_spatial():
    z = np.random.default_rng(0).normal(size=(2, 3, 2))
    loss_fn = nn.CrossEntropyLoss(weight=Tensor(f64(CLASS_WEIGHT)), ignore_index=1)
    assert_gradients_match(lambda t: loss_fn(t, Tensor(np.array([[0, 2], [1, 2]]))), z)


def test_cross_entropy_gradient_matches_mindspore():
    # MindSpore 2.10: grad of CrossEntropyLoss(weight=CLASS_WEIGHT, label_smoothing=0.1) (mean) w.r.t. LOGITS.
    g = ms.grad(lambda z: nn.CrossEntropyLoss(weight=Tensor(CLASS_WEIGHT), label_smoothing=0.1)(z, Tensor(LABELS)))
    np.testing.assert_allclose(value(g(Tensor(LOGITS))), [
        [-0.07681148, 0.050796077, 0.02601541], [0.053786226, -0.06553164, 0.011745421],
        [0.02222222, 0.01269841, -0.034920633], [0.001648606, -0.017535599, 0.015886992]], rtol=1e-5, atol=1e-7)
    # MindSpore 2.10: ignore_index=2 (mean): ignored rows get no gradient.
    g = ms.grad(lambda z: nn.CrossEntropyLoss(ignore_index=2)(z, Tensor(LABELS)))
    np.testing.assert_allclose(value(g(Tensor(LOGITS))), [
        [-0.17049932, 0.12121634, 0.049282946], [0.058057237, -0.07101157, 0.012954316], [0, 0, 0], [0, 0, 0]],
        rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_classification_loss_gradients(reduction):
    log_probs = np_log_softmax(f64(LOGITS))
    assert_gradients_match(lambda z: nn.NLLLoss(Tensor(f64(CLASS_WEIGHT)), 2, reduction)(z, Tensor(LABELS)), log_probs)
    assert_gradients_match(lambda z: nn.SoftmaxCrossEntropyWithLogits(True, reduction)(z, Tensor(LABELS)),
                           f64(LOGITS))
    assert_gradients_match(nn.SoftmaxCrossEntropyWithLogits(False, reduction), f64(LOGITS), f64(PROBS))
    bce_logits = nn.BCEWithLogitsLoss(reduction, Tensor(f64(BCE_W)), Tensor(f64(BCE_PW)))
    assert_gradients_match(bce_logits, f64(BCE_X), f64(BCE_T))
    assert_gradients_match(nn.BCELoss(Tensor(f64(np.ones((2, 3)) * BCE_W)), reduction), f64(P), f64(P_T),
                           rtol=1e-4)


# ----- extreme logits ---------------------------------------------------------------------------
def test_extreme_logits_give_finite_losses_and_gradients():
    z, y = Tensor(BIG), Tensor(np.array([1, 1], np.int32))
    # MindSpore 2.10: [2000, 0], with label_smoothing 0.1: [1900, 100].
    np.testing.assert_allclose(value(nn.CrossEntropyLoss(reduction="none")(z, y)), [2000.0, 0.0])
    np.testing.assert_allclose(value(nn.CrossEntropyLoss(reduction="none", label_smoothing=0.1)(z[:, :2], y)),
                               [1900.0, 100.0], rtol=1e-6)
    one_hot = Tensor(np.eye(3, dtype=np.float32)[[1, 1]])
    np.testing.assert_allclose(value(nn.SoftmaxCrossEntropyWithLogits()(z, one_hot)), [2000.0, 0.0])
    # MindSpore 2.10: the gradient of the mean CrossEntropyLoss is [[0.5, -0.5, 0], [0, 0, 0]].
    np.testing.assert_allclose(value(ms.grad(lambda t: nn.CrossEntropyLoss()(t, y))(z)),
                               [[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]], atol=1e-7)
    targets = Tensor(np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]], np.float32))
    # MindSpore 2.10: BCEWithLogitsLoss 'none' [[1000, 1000, log 2], [1000, 1000, log 2]], 'sum' gradient below.
    np.testing.assert_allclose(value(nn.BCEWithLogitsLoss("none")(z, targets)),
                               [[1000.0, 1000.0, 0.6931472], [1000.0, 1000.0, 0.6931472]], rtol=1e-6)
    np.testing.assert_allclose(value(ms.grad(lambda t: nn.BCEWithLogitsLoss("sum")(t, targets))(z)),
                               [[1.0, -1.0, -0.5], [-1.0, 1.0, 0.5]], atol=1e-7)
    for loss_fn, labels in [
        (nn.CrossEntropyLoss(weight=Tensor(CLASS_WEIGHT), label_smoothing=0.3), Tensor(np.array([0, 2], np.int32))),
        (nn.CrossEntropyLoss(), Tensor(np.array([[0.5, 0.5, 0.0], [0.0, 0.2, 0.8]], np.float32))),
        (nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"), Tensor(np.array([2, 0]))),
        (nn.BCEWithLogitsLoss(pos_weight=Tensor(BCE_PW)), targets),
    ]:
        loss, grads = ms.value_and_grad(lambda t, f=loss_fn, lab=labels: f(t, lab))(z)
        assert np.isfinite(value(loss)).all() and np.isfinite(value(grads)).all(), type(loss_fn).__name__


def test_bce_loss_at_probabilities_zero_and_one_is_finite():
    p, t = Tensor(np.array([0.0, 1.0], np.float32)), Tensor(np.array([1.0, 0.0], np.float32))
    loss, grads = ms.value_and_grad(lambda q: nn.BCELoss(reduction="sum")(q, t))(p)
    assert value(loss) == pytest.approx(2 * 27.631021, rel=1e-6)  # MindSpore 2.10: 27.631021 each
    np.testing.assert_allclose(value(grads), [-1e12, 1e12], rtol=1e-5)  # MindSpore 2.10: [-1e12, 1e12]
