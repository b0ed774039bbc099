"""Pooling: `ops.max_pool2d`, `ops.avg_pool2d`, `nn.MaxPool2d`, `nn.AvgPool2d` against loops, central
differences and MindSpore.

Numbers marked "MindSpore 2.10" were printed by the real MindSpore (CPU) in /opt/msenv on the same inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import assert_gradients_match

import tinyspore as ms
from tinyspore import Tensor, nn, ops


def pattern(shape: tuple, a: float, b: float) -> np.ndarray:
    """Deterministic values sin(a * i + b), the inputs also given to MindSpore."""
    return np.sin(np.arange(int(np.prod(shape))) * a + b).reshape(shape).astype(np.float32)


def distinct(shape: tuple, seed: int = 0) -> np.ndarray:
    """Values with no ties (a shuffled ramp), so that every window has one clear maximum."""
    values = np.random.default_rng(seed).permutation(int(np.prod(shape))) / 7.0
    return values.reshape(shape)


def pool_reference(x, kernel, stride, pads, reduce, dilation=(1, 1), divisor=None, fill=0.0):
    """The definition, one window at a time, on x padded with `fill`; divisor(i, j) overrides the mean."""
    top, bottom, left, right = pads
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=fill)
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    ho = (xp.shape[2] - (kh - 1) * dh - 1) // sh + 1
    wo = (xp.shape[3] - (kw - 1) * dw - 1) // sw + 1
    out = np.zeros((*x.shape[:2], ho, wo))
    for i in range(ho):
        for j in range(wo):
            window = xp[:, :, i * sh:i * sh + (kh - 1) * dh + 1:dh, j * sw:j * sw + (kw - 1) * dw + 1:dw]
            out[:, :, i, j] = reduce(window, axis=(2, 3))
            if divisor is not None:
                out[:, :, i, j] = window.sum(axis=(2, 3)) / divisor(i, j)
    return out


def same_pads(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


# ----- max pooling ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kernel, stride, shape", [
    (2, 2, (2, 3, 6, 8)), (2, 2, (1, 2, 7, 5)), (3, 1, (1, 2, 6, 7)), (3, 2, (2, 1, 9, 8)), ((2, 3), (1, 2), (1, 2, 5, 9)),
])
@pytest.mark.parametrize("pad_mode", ["valid", "same"])
def test_max_pool_matches_loop_reference(kernel, stride, shape, pad_mode):
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    k = (kernel, kernel) if isinstance(kernel, int) else kernel
    s = (stride, stride) if isinstance(stride, int) else stride
    pads = (0, 0, 0, 0) if pad_mode == "valid" else (*same_pads(shape[2], k[0], s[0]), *same_pads(shape[3], k[1], s[1]))
    out = nn.MaxPool2d(kernel, stride, pad_mode=pad_mode)(Tensor(x))
    expected = pool_reference(x, k, s, pads, np.max, fill=-np.inf)
    np.testing.assert_array_equal(out.asnumpy(), expected)


@pytest.mark.parametrize("padding, dilation, ceil_mode, out_hw", [
    (1, 1, False, (4, 3)), ((1, 0), 2, False, (3, 1)), (0, 1, True, (3, 3)), (1, 1, True, (4, 4)),
])
def test_max_pool_pad_mode_with_dilation_and_ceil_mode(padding, dilation, ceil_mode, out_hw):
    x = np.random.default_rng(1).normal(size=(2, 2, 7, 6)).astype(np.float32)
    out = nn.MaxPool2d(3, 2, pad_mode="pad", padding=padding, dilation=dilation, ceil_mode=ceil_mode)(Tensor(x))
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    extra = 2 if ceil_mode else 0  # ceil mode: one more window, running over the bottom/right edge
    pads = (ph, ph + extra, pw, pw + extra)
    expected = pool_reference(x, (3, 3), (2, 2), pads, np.max, dilation=(dilation, dilation), fill=-np.inf)
    assert out.shape[2:] == out_hw  # ceil mode on 7 x 6 with kernel 3, stride 2: the partial last window counts
    expected = expected[:, :, :out_hw[0], :out_hw[1]]
    np.testing.assert_array_equal(out.asnumpy(), expected)


def test_max_pool_ceil_mode_lets_a_dilated_window_hang_over_the_edge():
    x = Tensor(pattern((1, 1, 5, 6), 0.9, 0.1))
    out = nn.MaxPool2d((4, 3), (3, 1), pad_mode="pad", dilation=2, ceil_mode=True)(x)
    # MindSpore 2.10: the dilated window spans 7 rows of 5; ceil_mode keeps it (rows 0, 2, 4 are real)
    np.testing.assert_allclose(out.asnumpy(), [[[[0.9463001, 0.8758811]]]], rtol=1e-6)
    with pytest.raises(ValueError, match=r"kernel \(4, 3\) \(dilation \(2, 2\)\) is larger than the padded input"):
        nn.MaxPool2d((4, 3), (3, 1), pad_mode="pad", dilation=2)(x)


def test_max_pool_padding_never_wins():
    x = Tensor(-np.arange(1, 17, dtype=np.float32).reshape(1, 1, 4, 4))
    out = nn.MaxPool2d(2, 1, pad_mode="pad", padding=1)(x)
    # MindSpore 2.10: nn.MaxPool2d(2, 1, pad_mode='pad', padding=1) on -(1..16)
    expected = [[-1, -1, -2, -3, -4], [-1, -1, -2, -3, -4], [-5, -5, -6, -7, -8], [-9, -9, -10, -11, -12],
                [-13, -13, -14, -15, -16]]
    np.testing.assert_array_equal(out.asnumpy()[0, 0], expected)


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=2, stride=2), dict(kernel_size=3, stride=1), dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1)), dict(kernel_size=2, stride=2, ceil_mode=True),
])
def test_max_pool_gradient_matches_central_differences(kwargs):
    x = distinct((2, 2, 5, 6))
    assert_gradients_match(lambda x: ops.max_pool2d(x, **kwargs), x)


def test_max_pool_gradient_on_ties_goes_to_the_first_maximum_only():
    x = Tensor(np.zeros((1, 1, 4, 4), np.float32))  # every window is a tie
    gx = ms.grad(lambda x: ops.max_pool2d(x, 2, 2).sum())(x).asnumpy()[0, 0]
    # MindSpore 2.10 gives the same gradient (and indices [[0, 2], [8, 10]] with return_indices=True)
    np.testing.assert_array_equal(gx, [[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]])
    gx = ms.grad(lambda x: ops.max_pool2d(x, 2, 1).sum())(x).asnumpy()[0, 0]  # overlapping windows
    assert gx.sum() == 9 and gx[3].sum() == 0 and gx[:, 3].sum() == 0


def test_overlapping_max_windows_accumulate_their_gradients():
    x = np.zeros((1, 1, 3, 3), np.float32)
    x[0, 0, 1, 1] = 5.0  # the maximum of all four 2x2 windows
    gx = ms.grad(lambda x: ops.max_pool2d(x, 2, 1).sum())(Tensor(x)).asnumpy()[0, 0]
    np.testing.assert_array_equal(gx, [[0, 0, 0], [0, 4, 0], [0, 0, 0]])


def test_max_pool_forward_and_gradient_match_mindspore():
    pool = nn.MaxPool2d(3, 2, pad_mode="same")
    x = Tensor(pattern((1, 2, 5, 5), 1.7, 0.4))
    sens = Tensor(pattern((1, 2, 3, 3), 0.5, 0.5))
    out = pool(x).asnumpy()
    gx = ms.grad(lambda x: (pool(x) * sens).sum())(x).asnumpy()
    # MindSpore 2.10: nn.MaxPool2d(3, 2, pad_mode='same'), same input and sens
    np.testing.assert_allclose(out[0, 0], [[0.863209, 0.990607, 0.990607], [0.694165, 0.990607, 0.990607],
                                           [0.694165, 0.973645, 0.973645]], atol=1e-6)
    np.testing.assert_allclose(out[0, 1], [[0.90633, 0.733794, 0.996759], [0.90633, 0.833251, 0.996759],
                                           [0.997619, 0.833251, 0.901404]], atol=1e-6)
    expected = np.zeros((2, 5, 5))
    expected[0, 0, 1], expected[0, 1, 3], expected[0, 3, 0], expected[0, 4, 3] = 0.479426, 2.578558, 0.558514, -1.734333
    expected[1, 0, 2], expected[1, 1, 0], expected[1, 1, 4] = -0.70554, -0.743804, 0.658584
    expected[1, 3, 1], expected[1, 4, 0], expected[1, 4, 4] = 1.455474, 0.989358, 0.412118
    np.testing.assert_allclose(gx[0], expected, atol=1e-5)


def test_max_pool_functional_defaults_and_3d_input():
    x = Tensor(np.arange(25, dtype=np.float32).reshape(1, 1, 5, 5))
    # MindSpore 2.10: ops.max_pool2d(x, 2) (stride defaults to kernel_size), and with ceil_mode=True
    np.testing.assert_array_equal(ops.max_pool2d(x, 2).asnumpy()[0, 0], [[6, 8], [16, 18]])
    np.testing.assert_array_equal(ops.max_pool2d(x, 2, 2, ceil_mode=True).asnumpy()[0, 0],
                                  [[6, 8, 9], [16, 18, 19], [21, 23, 24]])
    assert nn.MaxPool2d(2, 2)(Tensor(np.ones((3, 4, 4), np.float32))).shape == (3, 2, 2)


def test_max_pool_return_indices_matches_mindspore():
    x = Tensor(pattern((1, 2, 5, 5), 1.7, 0.0))
    values, indices = nn.MaxPool2d(3, 2, pad_mode="pad", padding=1, return_indices=True)(x)
    # MindSpore 2.10: the same call; indices are int64 positions in the flattened 5 x 5 input plane
    np.testing.assert_allclose(values.asnumpy()[0, 1], [[0.6702292, 0.940429, 0.9494039],
                                                        [0.6702292, 0.9805895, 0.9805895],
                                                        [0.8920117, 0.7556402, 0.99885803]], rtol=1e-6)
    assert indices.dtype == ms.int64
    np.testing.assert_array_equal(indices.asnumpy()[0, 1], [[5, 2, 9], [5, 13, 13], [20, 17, 24]])
    _, indices = ops.max_pool2d(x, 2, 2, return_indices=True)
    np.testing.assert_array_equal(indices.asnumpy()[0, 1], [[5, 2], [16, 13]])
    flat = x.asnumpy().reshape(1, 2, 25)
    np.testing.assert_array_equal(np.take_along_axis(flat, indices.asnumpy().reshape(1, 2, 4), axis=2),
                                  ops.max_pool2d(x, 2, 2).asnumpy().reshape(1, 2, 4))
    _, indices = ops.max_pool2d(Tensor(np.zeros((1, 4, 4), np.float32)), 2, 2, return_indices=True)  # 3-D, ties
    np.testing.assert_array_equal(indices.asnumpy(), [[[0, 2], [8, 10]]])


def test_max_pool_cell_defaults_and_repr():
    pool = nn.MaxPool2d()
    assert (pool.kernel_size, pool.stride, pool.pad_mode) == (1, 1, "VALID")
    assert repr(pool) == "MaxPool2d(kernel_size=1, stride=1, pad_mode=VALID)"
    assert repr(nn.MaxPool2d(2, 2, pad_mode="same")) == "MaxPool2d(kernel_size=2, stride=2, pad_mode=SAME)"
    assert nn.MaxPool2d(2)(Tensor(np.ones((2, 3, 4, 5), np.float32))).shape == (2, 3, 3, 4)  # stride 1
    assert list(nn.MaxPool2d(2).parameters_and_names()) == []


# ----- average pooling ------------------------------------------------------------------------------
@pytest.mark.parametrize("kernel, stride, shape", [(2, 2, (2, 3, 6, 8)), (3, 1, (1, 2, 6, 7)), (3, 2, (2, 1, 9, 8)),
                                                   ((2, 3), (1, 2), (1, 2, 5, 9))])
def test_avg_pool_valid_matches_loop_reference(kernel, stride, shape):
    x = np.random.default_rng(2).normal(size=shape).astype(np.float32)
    k = (kernel, kernel) if isinstance(kernel, int) else kernel
    s = (stride, stride) if isinstance(stride, int) else stride
    out = nn.AvgPool2d(kernel, stride)(Tensor(x))
    np.testing.assert_allclose(out.asnumpy(), pool_reference(x, k, s, (0, 0, 0, 0), np.mean), rtol=1e-5, atol=1e-6)


def test_avg_pool_same_mode_counts_only_real_pixels():
    x = np.random.default_rng(3).normal(size=(1, 2, 6, 5)).astype(np.float32)
    out = nn.AvgPool2d(3, 2, pad_mode="same")(Tensor(x))
    pads = (*same_pads(6, 3, 2), *same_pads(5, 3, 2))
    ones = np.ones((1, 1, 6, 5))
    counts = pool_reference(ones, (3, 3), (2, 2), pads, np.sum)[0, 0]
    expected = pool_reference(x, (3, 3), (2, 2), pads, np.mean, divisor=lambda i, j: counts[i, j])
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-5, atol=1e-6)


def test_avg_pool_padding_options_match_mindspore():
    x = Tensor(np.arange(1, 17, dtype=np.float32).reshape(1, 1, 4, 4))
    # MindSpore 2.10: nn.AvgPool2d(2, 1, pad_mode='same') on 1..16: the extra padding is not counted
    np.testing.assert_allclose(nn.AvgPool2d(2, 1, pad_mode="same")(x).asnumpy()[0, 0],
                               [[3.5, 4.5, 5.5, 6], [7.5, 8.5, 9.5, 10], [11.5, 12.5, 13.5, 14], [13.5, 14.5, 15.5, 16]])
    # MindSpore 2.10: nn.AvgPool2d(2, 1, pad_mode='pad', padding=1): zeros counted (count_include_pad=True)
    np.testing.assert_allclose(nn.AvgPool2d(2, 1, pad_mode="pad", padding=1)(x).asnumpy()[0, 0, :2],
                               [[0.25, 0.75, 1.25, 1.75, 1.0], [1.5, 3.5, 4.5, 5.5, 3.0]])
    # ... count_include_pad=False
    np.testing.assert_allclose(
        nn.AvgPool2d(2, 1, pad_mode="pad", padding=1, count_include_pad=False)(x).asnumpy()[0, 0, :2],
        [[1, 1.5, 2.5, 3.5, 4], [3, 3.5, 4.5, 5.5, 6]])
    # ... divisor_override=3
    np.testing.assert_allclose(nn.AvgPool2d(2, 1, pad_mode="pad", padding=1, divisor_override=3)(x).asnumpy()[0, 0, 1],
                               [2, 4.6666665, 6, 7.3333335, 4], rtol=1e-6)
    # ... padding=(1, 0): rows only
    np.testing.assert_allclose(nn.AvgPool2d(2, 1, pad_mode="pad", padding=(1, 0))(x).asnumpy()[0, 0, [0, 4]],
                               [[0.75, 1.25, 1.75], [6.75, 7.25, 7.75]])


def test_avg_pool_ceil_mode_does_not_count_the_overhang():
    x = Tensor(np.arange(25, dtype=np.float32).reshape(1, 1, 5, 5))
    # MindSpore 2.10: ops.avg_pool2d(x, 2, 2, ceil_mode=True)
    np.testing.assert_allclose(ops.avg_pool2d(x, 2, 2, ceil_mode=True).asnumpy()[0, 0],
                               [[3, 5, 6.5], [13, 15, 16.5], [20.5, 22.5, 24]])
    ones = Tensor(np.ones((1, 1, 6, 6), np.float32))
    # MindSpore 2.10: nn.AvgPool2d(3, 2, pad_mode='pad', padding=1, ceil_mode=True) on ones
    out = nn.AvgPool2d(3, 2, pad_mode="pad", padding=1, ceil_mode=True)(ones).asnumpy()[0, 0]
    np.testing.assert_allclose(out[0], [4 / 9, 6 / 9, 6 / 9, 2 / 6], rtol=1e-6)
    np.testing.assert_allclose(out[3], [2 / 6, 0.5, 0.5, 0.25], rtol=1e-6)


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=2, stride=2), dict(kernel_size=3, stride=1, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False), dict(kernel_size=2, stride=2, ceil_mode=True),
    dict(kernel_size=(2, 3), stride=(2, 1), divisor_override=4),
])
def test_avg_pool_gradient_matches_central_differences(kwargs):
    x = np.random.default_rng(4).normal(size=(2, 2, 5, 6))
    assert_gradients_match(lambda x: ops.avg_pool2d(x, **kwargs), x)


def test_avg_pool_forward_and_gradient_match_mindspore():
    pool = nn.AvgPool2d(2, 2, pad_mode="same")
    x = Tensor(pattern((1, 2, 5, 5), 1.7, 0.4))
    sens = Tensor(pattern((1, 2, 3, 3), 0.5, 0.5))
    # MindSpore 2.10: nn.AvgPool2d(2, 2, pad_mode='same'), same input and sens
    np.testing.assert_allclose(pool(x).asnumpy()[0, 0], [[0.207718, -0.147506, 0.400816],
                                                         [0.143429, -0.204369, 0.07796],
                                                         [-0.421365, 0.537181, -0.351615]], atol=1e-6)
    gx = ms.grad(lambda x: (pool(x) * sens).sum())(x).asnumpy()
    np.testing.assert_allclose(gx[0, 0, ::2], [[0.119856, 0.119856, 0.210368, 0.210368, 0.498747],
                                               [0.227324, 0.227324, 0.149618, 0.149618, 0.07056],
                                               [-0.175392, -0.175392, -0.378401, -0.378401, -0.97753]], atol=1e-6)
    np.testing.assert_allclose(gx[0, 1, 4], [0.494679, 0.494679, 0.399244, 0.399244, 0.412118], atol=1e-6)


def test_avg_pool_functional_stride_defaults_to_one():
    x = Tensor(np.arange(1, 17, dtype=np.float32).reshape(1, 1, 4, 4))
    # MindSpore 2.10: ops.avg_pool2d(x, 2) has stride 1
    np.testing.assert_allclose(ops.avg_pool2d(x, 2).asnumpy()[0, 0],
                               [[3.5, 4.5, 5.5], [7.5, 8.5, 9.5], [11.5, 12.5, 13.5]])
    assert repr(nn.AvgPool2d((2, 3), (1, 2), pad_mode="same")) == "AvgPool2d(kernel_size=(2, 3), stride=(1, 2), pad_mode=SAME)"


# ----- errors ---------------------------------------------------------------------------------------
def test_pooling_errors_name_the_argument_and_shapes():
    x = Tensor(np.ones((2, 3, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"MaxPool2d: input must be 4-D \(N, C, H, W\) or 3-D.*\(5, 5\)"):
        nn.MaxPool2d(2)(Tensor(np.ones((5, 5), np.float32)))
    with pytest.raises(ValueError, match=r"MaxPool2d: kernel \(7, 7\) is larger than the padded input \(5, 5\)"):
        nn.MaxPool2d(7)(x)
    with pytest.raises(ValueError, match=r"AvgPool2d: kernel \(7, 7\) is larger than the padded input \(5, 5\)"):
        nn.AvgPool2d(7)(x)
    with pytest.raises(ValueError, match=r"padding \(2, 2, 2, 2\) must be at most half the kernel \(2, 2\)"):
        nn.MaxPool2d(2, 1, pad_mode="pad", padding=2)(x)
    with pytest.raises(ValueError, match=r"pad_mode must be 'valid', 'same' or 'pad', got 'full'"):
        nn.MaxPool2d(2, pad_mode="full")
    with pytest.raises(ValueError, match=r"padding must be 0 when pad_mode is 'same'"):
        nn.AvgPool2d(2, pad_mode="same", padding=1)
    with pytest.raises(ValueError, match=r"dilation, return_indices and ceil_mode can only be set with pad_mode='pad'"):
        nn.MaxPool2d(2, ceil_mode=True)
    with pytest.raises(ValueError, match=r"kernel_size must be a positive int"):
        nn.MaxPool2d(0)
    with pytest.raises(ValueError, match=r"divisor_override must be > 0"):
        nn.AvgPool2d(2, divisor_override=0)
    assert nn.MaxPool2d(2, pad_mode="Same").pad_mode == "SAME"  # case-insensitive, as MindSpore


@pytest.mark.parametrize("kernel, stride, padding", [(3, 2, 1), (2, 2, 0), (3, 1, 1)])
def test_return_indices_point_where_the_gradient_goes_ties_and_nan_included(kernel, stride, padding):
    """Each window's gradient goes to the pixel its index names: the first tap on ties, the first NaN."""
    rng = np.random.default_rng(kernel * 10 + stride)
    x = rng.normal(size=(2, 3, 7, 7)).astype(np.float32)
    x[0, 0, :3, :3] = 0.0  # ties
    x[1, 2, 2, 3] = x[1, 2, 3, 3] = np.nan  # two NaNs, in windows of their own and shared ones
    weights = rng.normal(size=ops.max_pool2d(Tensor(x), kernel, stride, padding).shape).astype(np.float32)
    _, indices = ops.max_pool2d(Tensor(x), kernel, stride, padding, return_indices=True)
    gradient = ms.grad(lambda t: (ops.max_pool2d(t, kernel, stride, padding) * Tensor(weights)).sum())(Tensor(x))
    expected = np.zeros((2, 3, 49), np.float32)
    for n, c in np.ndindex(2, 3):
        np.add.at(expected[n, c], indices.asnumpy()[n, c].ravel(), weights[n, c].ravel())
    np.testing.assert_allclose(gradient.asnumpy().reshape(2, 3, 49), expected, rtol=1e-6, atol=1e-6)
    assert (indices.asnumpy() >= 0).all()
