"""Convolution: `ops.conv2d` and `nn.Conv2d` against a slow loop reference, central differences and MindSpore.

Numbers marked "MindSpore 2.10" were printed by the real MindSpore (CPU) in /opt/msenv on the same inputs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from gradcheck import assert_gradients_match

import tinyspore as ms
from tinyspore import Tensor, nn, ops
from tinyspore.ops import nn_ops


def pattern(shape: tuple, a: float, b: float) -> np.ndarray:
    """Deterministic values sin(a * i + b), the inputs also given to MindSpore."""
    return np.sin(np.arange(int(np.prod(shape))) * a + b).reshape(shape).astype(np.float32)


def conv2d_reference(x, w, b, stride, pads, dilation, groups):
    """The definition, one output value at a time: out[n, o, i, j] = sum over the window of group(o)."""
    top, bottom, left, right = pads
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    n, c = x.shape[:2]
    o, cg, kh, kw = w.shape
    (sh, sw), (dh, dw) = stride, dilation
    ho = (xp.shape[2] - (kh - 1) * dh - 1) // sh + 1
    wo = (xp.shape[3] - (kw - 1) * dw - 1) // sw + 1
    out = np.zeros((n, o, ho, wo))
    for img in range(n):
        for oc in range(o):
            first = (oc // (o // groups)) * cg  # the input channels this filter sees
            for i in range(ho):
                for j in range(wo):
                    window = xp[img, first:first + cg, i * sh:i * sh + (kh - 1) * dh + 1:dh,
                                j * sw:j * sw + (kw - 1) * dw + 1:dw]
                    out[img, oc, i, j] = np.sum(window * w[oc]) + (0 if b is None else b[oc])
    return out


def same_pads(size, k, s, d):
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


# ----- forward against the loop reference -------------------------------------------------------------
CASES = [  # (x shape, weight shape, stride, dilation, groups)
    ((2, 3, 7, 6), (4, 3, 3, 3), 1, 1, 1),
    ((1, 2, 9, 5), (3, 2, 3, 2), 2, 1, 1),
    ((2, 4, 8, 7), (6, 2, 3, 3), (2, 1), 1, 2),
    ((1, 3, 9, 10), (2, 3, 3, 3), 1, 2, 1),
    ((1, 4, 11, 9), (4, 1, 2, 3), (3, 2), (2, 1), 4),
    ((2, 1, 5, 5), (2, 1, 5, 5), 1, 1, 1),
    ((1, 2, 6, 6), (3, 2, 1, 1), 2, 1, 1),
]


@pytest.mark.parametrize("pad_mode, padding", [("valid", 0), ("same", 0), ("pad", 1), ("pad", (2, 1))])
@pytest.mark.parametrize("x_shape, w_shape, stride, dilation, groups", CASES)
def test_conv2d_matches_loop_reference(x_shape, w_shape, stride, dilation, groups, pad_mode, padding):
    rng = np.random.default_rng(0)
    x = rng.normal(size=x_shape).astype(np.float32)
    w = rng.normal(size=w_shape).astype(np.float32)
    b = rng.normal(size=w_shape[0]).astype(np.float32)
    s = (stride, stride) if isinstance(stride, int) else stride
    d = (dilation, dilation) if isinstance(dilation, int) else dilation
    if pad_mode == "valid":
        pads = (0, 0, 0, 0)
    elif pad_mode == "same":
        pads = (*same_pads(x_shape[2], w_shape[2], s[0], d[0]), *same_pads(x_shape[3], w_shape[3], s[1], d[1]))
    else:
        ph, pw = (padding, padding) if isinstance(padding, int) else padding
        pads = (ph, ph, pw, pw)
    out = ops.conv2d(Tensor(x), Tensor(w), Tensor(b), stride=stride, pad_mode=pad_mode, padding=padding,
                     dilation=dilation, groups=groups)
    expected = conv2d_reference(x, w, b, s, pads, d, groups)
    assert out.dtype == ms.float32
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("size, stride", [(5, 1), (6, 1), (5, 2), (6, 2), (7, 3), (1, 2)])
def test_same_mode_output_is_ceil_of_input_over_stride(size, stride):
    x = Tensor(np.ones((1, 1, size, size + 1), np.float32))
    out = ops.conv2d(x, Tensor(np.ones((1, 1, 3, 2), np.float32)), stride=stride, pad_mode="same")
    assert out.shape == (1, 1, math.ceil(size / stride), math.ceil((size + 1) / stride))


def test_same_mode_puts_the_odd_padding_at_the_bottom_and_right():
    x = Tensor(np.arange(1, 17, dtype=np.float32).reshape(1, 1, 4, 4))
    out = ops.conv2d(x, Tensor(np.ones((1, 1, 2, 2), np.float32)), pad_mode="same")
    # MindSpore 2.10: ops.conv2d(x, ones((1, 1, 2, 2)), pad_mode='same') on 1..16
    expected = [[14, 18, 22, 12], [30, 34, 38, 20], [46, 50, 54, 28], [27, 29, 31, 16]]
    np.testing.assert_array_equal(out.asnumpy()[0, 0], expected)


def test_pad_mode_with_four_padding_values():
    x = Tensor(np.arange(1, 17, dtype=np.float32).reshape(1, 1, 4, 4))
    conv = nn.Conv2d(1, 1, 2, pad_mode="pad", padding=(1, 0, 2, 0), weight_init="ones")
    # MindSpore 2.10: nn.Conv2d(1, 1, 2, pad_mode='pad', padding=(1, 0, 2, 0), weight_init='ones')
    expected = [[0, 1, 3, 5, 7], [0, 6, 14, 18, 22], [0, 14, 30, 34, 38], [0, 22, 46, 50, 54]]
    np.testing.assert_array_equal(conv(x).asnumpy()[0, 0], expected)


def test_conv2d_without_bias_and_float64():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(2, 2, 5, 5)), rng.normal(size=(3, 2, 3, 3))
    out = ops.conv2d(Tensor(x), Tensor(w), pad_mode="same")
    assert out.dtype == ms.float64
    np.testing.assert_allclose(out.asnumpy(), conv2d_reference(x, w, None, (1, 1), (1, 1, 1, 1), (1, 1), 1),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("stride, dilation, grid", [((1, 1), (1, 1), (5, 5)), ((2, 1), (1, 2), (2, 3)),
                                                    ((1, 1), (1, 1), (5, 7))])
def test_col2im_is_the_adjoint_of_im2col(stride, dilation, grid):
    # <im2col(x), c> == <x, col2im(c)> for all x and c: col2im is exactly the gradient of im2col.
    # grid (5, 7) is the wide grid of a 7-wide padded input: windows wrap into the next row.
    rng = np.random.default_rng(6)
    xp = rng.normal(size=(2, 3, 8, 7))
    cols = nn_ops.im2col(xp, (3, 2), stride, dilation, grid)
    assert cols.shape == (2, 3 * 3 * 2, grid[0] * grid[1])
    assert cols[1, 2 * 6 + 1 * 2 + 1, 0] == xp[1, 2, dilation[0], dilation[1]]  # channel 2, tap (1, 1), window 0
    c = rng.normal(size=cols.shape)
    back = nn_ops.col2im(c, xp.shape, (3, 2), stride, dilation, grid)
    np.testing.assert_allclose(np.sum(cols * c), np.sum(xp * back), rtol=1e-12)


# ----- gradients ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    dict(pad_mode="valid"),
    dict(pad_mode="same", stride=2),
    dict(pad_mode="pad", padding=(1, 2), stride=(2, 1), dilation=(1, 2)),
    dict(pad_mode="same", dilation=2, groups=2),
])
def test_conv2d_gradients_match_central_differences(kwargs):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 2, 5, 6))
    w = rng.normal(size=(4, 2 // kwargs.get("groups", 1), 3, 2))
    b = rng.normal(size=4)
    assert_gradients_match(lambda x, w, b: ops.conv2d(x, w, b, **kwargs), x, w, b)


def test_gradient_of_a_strided_conv_reaches_only_the_pixels_it_read():
    # stride 3 with a 1x1 kernel reads every third pixel; the others must get exactly zero
    x = Tensor(np.ones((1, 1, 7, 7), np.float32))
    gx = ms.grad(lambda x: ops.conv2d(x, Tensor(np.full((1, 1, 1, 1), 2.0, np.float32)), stride=3).sum())(x)
    expected = np.zeros((7, 7))
    expected[::3, ::3] = 2.0
    np.testing.assert_array_equal(gx.asnumpy()[0, 0], expected)


def test_conv2d_forward_and_gradients_match_mindspore():
    x, w, b = pattern((1, 4, 4, 5), 0.7, 0.3), pattern((4, 2, 3, 2), 1.3, 0.1), pattern((4,), 2.1, 0.5)

    def conv(x, w, b):
        return ops.conv2d(x, w, b, stride=(2, 1), pad_mode="pad", padding=(1, 1), dilation=(1, 2), groups=2)

    out = conv(Tensor(x), Tensor(w), Tensor(b))
    sens = Tensor(pattern((1, 4, 2, 5), 0.9, 0.2))
    gx, gw, gb = ms.grad(lambda x, w, b: (conv(x, w, b) * sens).sum(), (0, 1, 2))(Tensor(x), Tensor(w), Tensor(b))
    # MindSpore 2.10, same call and sens; first output channel, first input channel, first filter, bias
    np.testing.assert_allclose(out.asnumpy()[0, 0], [[-1.243653, -0.893942, 1.559078, 3.50432, 2.081947],
                                                     [-1.228839, -0.105125, 2.921341, 4.799336, 2.41393]],
                               atol=2e-5)
    np.testing.assert_allclose(out.asnumpy()[0, 3, 1], [-1.226876, 0.133646, 3.071685, 4.797452, 2.276652],
                               atol=2e-5)
    np.testing.assert_allclose(gx.asnumpy()[0, 0], [[0.707364, 0.912568, -0.675635, -1.752531, -0.602612],
                                                    [-1.352155, -3.461483, -1.737948, 1.300831, 1.701804],
                                                    [-0.737148, 1.358671, 1.805338, 0.885761, -1.11531],
                                                    [1.319203, -0.495223, -1.696255, -1.613595, 0.412288]],
                               atol=2e-5)
    np.testing.assert_allclose(gx.asnumpy()[0, 3, 3], [-0.504988, -1.296099, -1.872765, -1.032159, 0.107222],
                               atol=2e-5)
    np.testing.assert_allclose(gw.asnumpy()[0], [[[-0.95531, 1.734707], [1.146631, -0.28912], [-1.012365, 0.69713]],
                                                 [[1.565065, 1.196624], [-0.016621, -1.243627], [0.422402, 1.122439]]],
                               atol=2e-5)
    np.testing.assert_allclose(gw.asnumpy()[3, 1], [[1.868678, -0.673097], [-1.113504, -0.689295],
                                                    [1.270935, 0.277602]], atol=2e-5)
    np.testing.assert_allclose(gb.asnumpy(), [2.011375, -1.419466, 0.575261, 0.37119], atol=2e-5)


def test_nn_conv2d_same_stride_two_matches_mindspore():
    conv = nn.Conv2d(2, 3, 3, stride=2, pad_mode="same", has_bias=True,
                     weight_init=Tensor(pattern((3, 2, 3, 3), 0.4, 0.0)), bias_init=Tensor(pattern((3,), 1.0, 1.0)))
    out = conv(Tensor(pattern((1, 2, 6, 6), 0.37, 0.2))).asnumpy()
    # MindSpore 2.10, same construction and input
    np.testing.assert_allclose(out[0, 0], [[0.49041, 0.964532, 0.838411], [0.389841, 0.177114, 0.473331],
                                           [0.476541, 0.312546, 0.526606]], atol=2e-5)
    np.testing.assert_allclose(out[0, 2], [[0.376935, 1.588385, 1.619404], [-1.740808, -1.437992, -0.504074],
                                           [1.292284, 1.016426, 0.338393]], atol=2e-5)


# ----- nn.Conv2d ----------------------------------------------------------------------------------------
def test_conv2d_cell_defaults_parameters_and_repr():
    ms.set_seed(0)
    conv = nn.Conv2d(3, 8, 3)
    assert conv.weight.shape == (8, 3, 3, 3) and conv.weight.name == "weight" and conv.weight.dtype == ms.float32
    assert conv.bias is None and conv.has_bias is False
    assert [name for name, _ in conv.parameters_and_names()] == ["weight"]
    assert conv(Tensor(np.ones((2, 3, 4, 5), np.float32))).shape == (2, 8, 4, 5)  # pad_mode='same'
    bound = 1 / math.sqrt(3 * 3 * 3)  # HeUniform(math.sqrt(5)) is U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    values = conv.weight.asnumpy()
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.8 * bound
    assert repr(conv).startswith("Conv2d(input_channels=3, output_channels=8, kernel_size=(3, 3), stride=(1, 1), "
                                 "pad_mode=same, padding=0, dilation=(1, 1), group=1, has_bias=False, weight_init=")
    assert repr(conv).endswith("bias_init=None, format=NCHW)")


def test_conv2d_cell_bias_groups_and_names_in_a_network():
    ms.set_seed(1)
    conv = nn.Conv2d(4, 6, (3, 2), stride=(2, 1), pad_mode="valid", group=2, has_bias=True)
    assert conv.weight.shape == (6, 2, 3, 2) and conv.bias.shape == (6,)
    assert np.abs(conv.bias.asnumpy()).max() <= 1 / math.sqrt(2 * 3 * 2)
    x = np.random.default_rng(3).normal(size=(2, 4, 7, 5)).astype(np.float32)
    expected = conv2d_reference(x, conv.weight.asnumpy(), conv.bias.asnumpy(), (2, 1), (0, 0, 0, 0), (1, 1), 2)
    np.testing.assert_allclose(conv(Tensor(x)).asnumpy(), expected, rtol=1e-4, atol=1e-5)
    net = nn.SequentialCell([conv, nn.ReLU()])
    assert [p.name for p in net.trainable_params()] == ["0.weight", "0.bias"]


def test_conv2d_cell_parameter_gradients_match_central_differences():
    conv = nn.Conv2d(2, 2, 3, stride=2, has_bias=True, dtype=ms.float64)
    x = Tensor(np.random.default_rng(4).normal(size=(1, 2, 5, 5)))
    weights = Tensor(np.random.default_rng(5).normal(size=(1, 2, 3, 3)))
    grads = ms.grad(lambda: (conv(x) * weights).sum(), None, conv.trainable_params())()
    for param, grad in zip(conv.trainable_params(), grads):
        numeric = np.zeros(param.shape)
        for idx in np.ndindex(param.shape):
            saved = param.asnumpy()[idx]
            param.asnumpy()[idx] = saved + 1e-6
            plus = float((conv(x) * weights).sum().asnumpy())
            param.asnumpy()[idx] = saved - 1e-6
            minus = float((conv(x) * weights).sum().asnumpy())
            param.asnumpy()[idx] = saved
            numeric[idx] = (plus - minus) / 2e-6
        np.testing.assert_allclose(grad.asnumpy(), numeric, rtol=1e-6, atol=1e-8, err_msg=param.name)


# ----- errors -------------------------------------------------------------------------------------------
def test_conv2d_rejects_input_that_is_not_4d():
    with pytest.raises(ValueError, match=r"Conv2d: input must be 4-D.*\(3, 5, 5\)"):
        nn.Conv2d(3, 4, 3)(Tensor(np.ones((3, 5, 5), np.float32)))
    with pytest.raises(ValueError, match=r"conv2d: input must be 4-D.*\(5, 5\)"):
        ops.conv2d(Tensor(np.ones((5, 5), np.float32)), Tensor(np.ones((1, 1, 3, 3), np.float32)))


def test_conv2d_rejects_a_channel_mismatch():
    with pytest.raises(ValueError, match=r"input has 3 channels \(shape \(2, 3, 5, 5\)\) but in_channels=2"):
        nn.Conv2d(2, 4, 3)(Tensor(np.ones((2, 3, 5, 5), np.float32)))
    with pytest.raises(ValueError, match=r"input has 3 channels .* weight \(4, 2, 3, 3\) with groups=1 expects 2"):
        ops.conv2d(Tensor(np.ones((2, 3, 5, 5), np.float32)), Tensor(np.ones((4, 2, 3, 3), np.float32)))


def test_conv2d_rejects_a_kernel_larger_than_the_padded_input():
    x = Tensor(np.ones((2, 3, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"kernel \(7, 7\).*larger than the padded input \(5, 5\).*"
                                         r"padding \(top, bottom, left, right\) = \(0, 0, 0, 0\)"):
        nn.Conv2d(3, 4, 7, pad_mode="valid")(x)
    with pytest.raises(ValueError, match=r"kernel \(3, 3\) \(dilated \(5, 5\)\).*padded input \(4, 4\)"):
        ops.conv2d(Tensor(np.ones((1, 1, 4, 4), np.float32)), Tensor(np.ones((1, 1, 3, 3), np.float32)), dilation=2)
    assert nn.Conv2d(3, 4, 7, pad_mode="same")(x).shape == (2, 4, 5, 5)  # 'same' pads enough (as MindSpore)
    assert nn.Conv2d(3, 4, 7, pad_mode="pad", padding=1)(x).shape == (2, 4, 1, 1)


def test_conv2d_rejects_a_group_that_does_not_divide_the_channels():
    with pytest.raises(ValueError, match=r"group=2 must divide both in_channels=3 and out_channels=4"):
        nn.Conv2d(3, 4, 3, group=2)
    with pytest.raises(ValueError, match=r"group=2 must divide both in_channels=4 and out_channels=3"):
        nn.Conv2d(4, 3, 3, group=2)
    with pytest.raises(ValueError, match=r"weight has 3 output channels.*not divisible by groups=2"):
        ops.conv2d(Tensor(np.ones((1, 4, 5, 5), np.float32)), Tensor(np.ones((3, 2, 3, 3), np.float32)), groups=2)


def test_conv2d_rejects_bad_pad_mode_and_padding():
    with pytest.raises(ValueError, match=r"pad_mode must be 'same', 'valid' or 'pad', got 'full'"):
        nn.Conv2d(3, 4, 3, pad_mode="full")
    with pytest.raises(ValueError, match=r"pad_mode must be .* got 'SAME'"):  # case-sensitive, as MindSpore
        nn.Conv2d(3, 4, 3, pad_mode="SAME")
    with pytest.raises(ValueError, match=r"padding must be 0 when pad_mode is 'same'"):
        nn.Conv2d(3, 4, 3, padding=1)
    with pytest.raises(ValueError, match=r"padding must be a non-negative int"):
        nn.Conv2d(3, 4, 3, pad_mode="pad", padding=-1)
    with pytest.raises(ValueError, match=r"padding must be an int or a 4-tuple"):
        nn.Conv2d(3, 4, 3, pad_mode="pad", padding=(1, 2))
    with pytest.raises(ValueError, match=r"stride must be a positive int"):
        nn.Conv2d(3, 4, 3, stride=0)
    with pytest.raises(ValueError, match=r"kernel_size must be a positive int or a pair"):
        nn.Conv2d(3, 4, (2, 3, 4))


def test_conv2d_rejects_mixed_dtypes():
    with pytest.raises(TypeError, match=r"conv2d: input dtype float64 and weight dtype float32 differ"):
        nn.Conv2d(3, 4, 3)(Tensor(np.ones((1, 3, 5, 5), np.float64)))
