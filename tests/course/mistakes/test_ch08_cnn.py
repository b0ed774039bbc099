"""Mistake catalogue of chapter 08: wrong answers learners really write, each caught with its own hint."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import assert_caught, assert_passes, failure

from tinyspore_grader.checks.ch08_cnn import (
    ReferenceMaxPool2d,
    check_conv2d,
    check_conv2d_backward,
    check_conv_output_size,
    check_im2col,
    check_MaxPool2d,
    reference_conv2d,
    reference_conv2d_backward,
    reference_conv_output_size,
    reference_im2col,
)


def test_the_references_pass_their_own_checks():
    assert_passes(check_conv_output_size, reference_conv_output_size)
    assert_passes(check_im2col, reference_im2col)
    assert_passes(check_conv2d, reference_conv2d)
    assert_passes(check_conv2d_backward, reference_conv2d_backward)
    assert_passes(check_MaxPool2d, ReferenceMaxPool2d)


# ----- 08.1 conv_output_size -------------------------------------------------------------------------------
def _output_size(size, kernel, stride, pad_mode, padding, dilation, *, same="ceil", rounding="floor", plus=1,
                 reach="dilated", sides=2, validate=True):
    """A learner's conv_output_size, written once with a switch per wrong turn (each test flips one)."""
    if validate and pad_mode not in ("same", "valid", "pad"):
        raise ValueError(f"bad pad_mode {pad_mode}")
    if pad_mode == "same":
        if same == "size":           # "same" = the same size as the input
            return size
        if same == "half kernel":    # PyTorch's habit: pad kernel // 2 on each side
            return (size + 2 * (kernel // 2) - kernel) // stride + 1
        return math.ceil(size / stride)
    before, after = (0, 0) if pad_mode == "valid" else ((padding, padding) if isinstance(padding, int) else padding)
    pads = before + after if sides == 2 else before
    span = {"dilated": dilation * (kernel - 1) + 1, "kernel": kernel, "d*k": dilation * kernel,
            "no -1": dilation * (kernel - 1)}[reach]
    if validate and dilation * (kernel - 1) + 1 > size + before + after:
        raise ValueError("kernel too large")
    steps = (size + pads - span) / stride
    return int(math.floor(steps) if rounding == "floor" else math.ceil(steps)) + plus


@pytest.mark.parametrize("switch, mistake", [
    ({"same": "size"}, "same ignores the stride"),
    ({"same": "half kernel"}, "same padding as kernel // 2"),
    ({"rounding": "ceil"}, "ceil instead of floor"),
    ({"plus": 0}, "missing + 1"),
    ({"reach": "no -1"}, "kernel not minus 1"),
    ({"reach": "kernel"}, "span without dilation"),
    ({"reach": "d*k"}, "dilated span as dilation * kernel"),
    ({"sides": 1}, "padding counted once"),
])
def test_output_size_one_wrong_turn(switch, mistake):
    def conv_output_size(size, kernel, stride=1, pad_mode="valid", padding=0, dilation=1):
        return _output_size(size, kernel, stride, pad_mode, padding, dilation, **switch)

    assert_caught(check_conv_output_size, conv_output_size, mistake)


def test_output_size_with_true_division():
    def conv_output_size(size, kernel, stride=1, pad_mode="valid", padding=0, dilation=1):
        if pad_mode not in ("same", "valid", "pad"):
            raise ValueError(pad_mode)
        if pad_mode == "same":
            return math.ceil(size / stride)
        pads = 0 if pad_mode == "valid" else (2 * padding if isinstance(padding, int) else sum(padding))
        span = dilation * (kernel - 1) + 1
        if span > size + pads:
            raise ValueError("kernel too large")
        return (size + pads - span) / stride + 1

    assert_caught(check_conv_output_size, conv_output_size, "a float, not an int")


def test_output_size_without_any_error():
    def conv_output_size(size, kernel, stride=1, pad_mode="valid", padding=0, dilation=1):
        if pad_mode == "same":
            return -(-size // stride)
        pads = 0 if pad_mode == "valid" else (2 * padding if isinstance(padding, int) else sum(padding))
        return (size + pads - dilation * (kernel - 1) - 1) // stride + 1

    message = assert_caught(check_conv_output_size, conv_output_size, "no error when the kernel does not fit")
    assert "the kernel does not fit" in message


def test_output_size_accepts_any_pad_mode():
    def conv_output_size(size, kernel, stride=1, pad_mode="valid", padding=0, dilation=1):
        if pad_mode.lower() == "same":
            return -(-size // stride)
        pads = 2 * padding if isinstance(padding, int) else sum(padding)
        if dilation * (kernel - 1) + 1 > size + pads:
            raise ValueError("kernel too large")
        return (size + pads - dilation * (kernel - 1) - 1) // stride + 1  # 'full' counted as 'pad'

    assert_caught(check_conv_output_size, conv_output_size, "unknown pad_mode accepted")


def test_output_size_int_padding_only():
    def conv_output_size(size, kernel, stride=1, pad_mode="valid", padding=0, dilation=1):
        if pad_mode not in ("same", "valid", "pad"):
            raise ValueError(pad_mode)
        if pad_mode == "same":
            return -(-size // stride)
        pads = 0 if pad_mode == "valid" else 2 * padding  # a pair: TypeError
        if dilation * (kernel - 1) + 1 > size + pads:
            raise ValueError("kernel too large")
        return (size + pads - dilation * (kernel - 1) - 1) // stride + 1

    assert_caught(check_conv_output_size, conv_output_size, "padding pair not supported")


# ----- 08.2 im2col ---------------------------------------------------------------------------------------
def _im2col(xp, kernel, stride, dilation, *, step=None, spacing=None, swap=False, numbering="rows", rows="channel",
            dtype=None, plus=1):
    """A learner's im2col with a loop over the windows, written once with a switch per wrong turn."""
    kh, kw = kernel[::-1] if swap else kernel
    s = stride if step is None else step
    d = dilation if spacing is None else spacing
    n, c, h, w = xp.shape
    ho, wo = (h - d * (kh - 1) - 1) // s + plus, (w - d * (kw - 1) - 1) // s + plus
    cols = np.zeros((n, c * kh * kw, ho * wo), dtype=xp.dtype if dtype is None else dtype)
    for i in range(ho):
        for j in range(wo):
            window = xp[:, :, i * s:i * s + d * (kh - 1) + 1:d, j * s:j * s + d * (kw - 1) + 1:d]
            if rows == "spatial":
                window = np.moveaxis(window, 1, -1)  # (N, kh, kw, C): channels last
            cols[:, :, i * wo + j if numbering == "rows" else j * ho + i] = window.reshape(n, -1)
    return cols


@pytest.mark.parametrize("switch, mistake", [
    ({"rows": "spatial"}, "spatial-major rows"),
    ({"numbering": "columns"}, "windows in column-major order"),
    ({"step": 1}, "windows one pixel apart"),
    ({"spacing": 1}, "taps without dilation"),
    ({"swap": True}, "kernel height and width swapped"),
    ({"plus": 0}, "one window too few"),
])
def test_im2col_one_wrong_turn(switch, mistake):
    def im2col(xp, kernel, stride=1, dilation=1):
        return _im2col(xp, kernel, stride, dilation, **switch)

    assert_caught(check_im2col, im2col, mistake)


def test_im2col_default_float64():
    def im2col(xp, kernel, stride=1, dilation=1):
        return _im2col(xp, kernel, stride, dilation, dtype=float)  # np.zeros(shape) without dtype=

    assert_caught(check_im2col, im2col, "float64 columns")


def test_im2col_cs231n_layout():
    def im2col(xp, kernel, stride=1, dilation=1):
        cols = _im2col(xp, kernel, stride, dilation)          # (N, K, L) ...
        return np.concatenate(list(cols), axis=1)             # ... side by side: (K, N*L)

    assert_caught(check_im2col, im2col, "one matrix for the whole batch")


def test_im2col_windows_as_rows():
    def im2col(xp, kernel, stride=1, dilation=1):
        n, c = xp.shape[:2]
        kh, kw = kernel
        span_h, span_w = dilation * (kh - 1) + 1, dilation * (kw - 1) + 1
        rows = [xp[:, :, a:a + span_h:dilation, b:b + span_w:dilation].reshape(n, -1)
                for a in range(0, xp.shape[2] - span_h + 1, stride) for b in range(0, xp.shape[3] - span_w + 1, stride)]
        return np.stack(rows, axis=1)  # (N, Ho*Wo, C*kh*kw)

    assert_caught(check_im2col, im2col, "windows as rows")


# ----- 08.3 conv2d ---------------------------------------------------------------------------------------
def _conv2d(x, weight, stride, padding, dilation, *, pad="hw", flip=False, flatten="channel", product="W @ cols",
            pass_stride=True, pass_dilation=True, hw="hw", buffer=None):
    """A learner's conv2d on the reference im2col, written once with a switch per wrong turn."""
    xp = {"hw": np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding))),
          "all": np.pad(x, padding), "none": x}[pad]
    w = np.flip(weight, axis=(2, 3)) if flip else weight       # flip: the convolution of the maths books
    o, c, kh, kw = w.shape
    s, d = (stride if pass_stride else 1), (dilation if pass_dilation else 1)
    ho, wo = (xp.shape[2] - d * (kh - 1) - 1) // s + 1, (xp.shape[3] - d * (kw - 1) - 1) // s + 1
    cols = reference_im2col(xp, (kh, kw), s, d)
    w_mat = np.moveaxis(w, 1, -1).reshape(o, -1) if flatten == "spatial" else w.reshape(o, -1)
    if product == "cols^T @ W^T":
        out = np.einsum("nkl,ok->nlo", cols, w_mat)            # (N, Ho*Wo, O)
    elif buffer is not None:
        out = np.zeros((len(x), o, ho * wo), dtype=buffer)     # np.zeros without dtype=
        for b in range(len(x)):
            out[b] = w_mat @ cols[b]
    else:
        out = w_mat @ cols
    return out.reshape(len(x), o, *((ho, wo) if hw == "hw" else (wo, ho)))


@pytest.mark.parametrize("switch, mistake", [
    ({"pad": "all"}, "np.pad on all four axes"),
    ({"pad": "none"}, "no padding"),
    ({"flip": True}, "kernel flipped"),
    ({"flatten": "spatial"}, "weight flattened spatial-major"),
    ({"product": "cols^T @ W^T"}, "(N, Ho*Wo, O) reshaped as (N, O, Ho, Wo)"),
    ({"pass_stride": False}, "stride not passed to im2col"),
    ({"pass_dilation": False}, "dilation not passed to im2col"),
    ({"hw": "wh"}, "Ho and Wo swapped"),
])
def test_conv2d_one_wrong_turn(switch, mistake):
    def conv2d(x, weight, stride=1, padding=0, dilation=1):
        return _conv2d(x, weight, stride, padding, dilation, **switch)

    assert_caught(check_conv2d, conv2d, mistake)


def test_conv2d_output_buffer_in_float64():
    def conv2d(x, weight, stride=1, padding=0, dilation=1):
        return _conv2d(x, weight, stride, padding, dilation, buffer=float)

    assert_caught(check_conv2d, conv2d, "float64 output")


def test_conv2d_is_checked_with_the_reference_im2col():
    """No cascade: a conv2d built on a wrong `my_im2col` from the notebook still passes if conv2d is right."""
    namespace = {"np": np, "my_im2col": lambda xp, kernel, stride=1, dilation=1: 0 * reference_im2col(xp, kernel)}
    exec("def conv2d(x, weight, stride=1, padding=0, dilation=1):\n"
         "    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))\n"
         "    o, c, kh, kw = weight.shape\n"
         "    ho = (xp.shape[2] - dilation * (kh - 1) - 1) // stride + 1\n"
         "    wo = (xp.shape[3] - dilation * (kw - 1) - 1) // stride + 1\n"
         "    return (weight.reshape(o, -1) @ my_im2col(xp, (kh, kw), stride, dilation)).reshape(len(x), o, ho, wo)\n",
         namespace)
    wrong_im2col = namespace["my_im2col"]
    assert_passes(check_conv2d, namespace["conv2d"])
    assert namespace["my_im2col"] is wrong_im2col  # put back after the check


# ----- 08.4 conv2d_backward ---------------------------------------------------------------------------------
def _backward(x, weight, grad_out, stride, padding, dilation, *, dw_rule="sum", dcols_rule="WT", add=True,
              col2im_stride=True, col2im_dilation=True, crop=True):
    """A learner's backward, written once with a switch per wrong turn (each test flips one)."""
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, c = x.shape[:2]
    o, _, kh, kw = weight.shape
    ho, wo = grad_out.shape[2:]
    cols = reference_im2col(xp, (kh, kw), stride, dilation)
    g = grad_out.reshape(n, o, -1)
    per_image = np.einsum("nol,nkl->nok", g, cols)
    if dw_rule == "sum":
        dw = per_image.sum(axis=0).reshape(weight.shape)
    elif dw_rule == "mean":
        dw = per_image.mean(axis=0).reshape(weight.shape)
    else:
        dw = per_image.reshape(n, *weight.shape)
    w_mat = weight.reshape(o, -1)
    dcols = w_mat.T @ g if dcols_rule == "WT" else w_mat @ g
    dcols = dcols.reshape(n, c, kh, kw, ho, wo)
    s = stride if col2im_stride else 1
    d = dilation if col2im_dilation else 1
    dxp = np.zeros_like(xp)
    for i in range(ho):
        for j in range(wo):
            region = (slice(None), slice(None), slice(i * s, i * s + d * (kh - 1) + 1, d),
                      slice(j * s, j * s + d * (kw - 1) + 1, d))
            if add:
                dxp[region] += dcols[..., i, j]
            else:
                dxp[region] = dcols[..., i, j]
    dx = dxp[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]] if crop else dxp
    return dx, dw


@pytest.mark.parametrize("switch, mistake", [
    ({"dcols_rule": "W"}, "W instead of W^T for the columns"),
    ({"dw_rule": "each"}, "dw not summed over the batch"),
    ({"dw_rule": "mean"}, "dw averaged over the batch"),
    ({"crop": False}, "dx still padded"),
    ({"add": False}, "col2im overwrites overlapping windows"),
    ({"col2im_stride": False}, "col2im without the stride"),
    ({"col2im_dilation": False}, "col2im without the dilation"),
])
def test_backward_one_wrong_turn(switch, mistake):
    def conv2d_backward(x, weight, grad_out, stride=1, padding=0, dilation=1):
        return _backward(x, weight, grad_out, stride, padding, dilation, **switch)

    assert_caught(check_conv2d_backward, conv2d_backward, mistake)


def test_backward_returns_dw_first():
    def conv2d_backward(x, weight, grad_out, stride=1, padding=0, dilation=1):
        dx, dw = _backward(x, weight, grad_out, stride, padding, dilation)
        return dw, dx

    assert_caught(check_conv2d_backward, conv2d_backward, "(dw, dx) instead of (dx, dw)")


def test_backward_as_a_list_is_fine():
    def conv2d_backward(x, weight, grad_out, stride=1, padding=0, dilation=1):
        return list(_backward(x, weight, grad_out, stride, padding, dilation))

    assert_passes(check_conv2d_backward, conv2d_backward)


def test_backward_scaling_grad_out_in_place_is_named():
    def conv2d_backward(x, weight, grad_out, stride=1, padding=0, dilation=1):
        grad_out *= 2  # "double it, halve it later": the caller's gradient changes
        return _backward(x, weight, grad_out / 2, stride, padding, dilation)

    message = failure(check_conv2d_backward, conv2d_backward)
    assert "grad_out" in message and "in place" in message, message


# ----- 08.5 MaxPool2d ---------------------------------------------------------------------------------------
class _Pool:
    """A learner's max pool with loops over the windows; the class attributes are the wrong turns."""

    route = "first"       # "first" maximum, every "tied" maximum, or "all" the window
    share = 1             # "window": g divided by the window size
    add = True            # False: overlapping windows overwrite
    same_stride = False   # True: stride taken as the kernel size
    width = "kw"          # "kh": argmax unraveled with the wrong width
    last = "floor"        # "ceil": partial windows kept
    relu_in_place = False

    def __init__(self, kernel_size, stride):
        self.kernel = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        self.stride = self.kernel if self.same_stride else (stride, stride) if isinstance(stride, int) else tuple(stride)

    def _slices(self, i, j):
        (kh, kw), (sh, sw) = self.kernel, self.stride
        return slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)

    def forward(self, x):
        if self.relu_in_place:
            np.maximum(x, 0, out=x)  # "a ReLU first, to save memory": changes the caller's array
        self.x = x
        (kh, kw), (sh, sw) = self.kernel, self.stride
        rounding = math.floor if self.last == "floor" else math.ceil
        ho, wo = rounding((x.shape[2] - kh) / sh) + 1, rounding((x.shape[3] - kw) / sw) + 1
        out = np.zeros((*x.shape[:2], ho, wo), dtype=x.dtype)
        for i in range(ho):
            for j in range(wo):
                rows, cols = self._slices(i, j)
                out[:, :, i, j] = x[:, :, rows, cols].max(axis=(2, 3))
        return out

    def backward(self, grad_out):
        dx = np.zeros_like(self.x)
        for a, b, i, j in np.ndindex(grad_out.shape):
            rows, cols = self._slices(i, j)
            window, g = self.x[a, b, rows, cols], grad_out[a, b, i, j]
            g = g / window.size if self.share == "window" else g
            if self.route == "all":
                part = np.full(window.shape, g, dtype=dx.dtype)
            elif self.route == "tied":
                part = (window == window.max()) * g
            else:
                k = int(np.argmax(window))
                width = self.kernel[1] if self.width == "kw" else self.kernel[0]
                part = np.zeros(window.shape, dtype=dx.dtype)
                part[(k // width) % window.shape[0], (k % width) % window.shape[1]] = g
            if self.add:
                dx[a, b, rows, cols] += part
            else:
                np.copyto(dx[a, b, rows, cols], part, where=part != 0)
        return dx


@pytest.mark.parametrize("switch, mistake", [
    ({"route": "all"}, "gradient to every entry of the window"),
    ({"share": "window"}, "gradient averaged over the window"),
    ({"route": "tied"}, "gradient to every tied maximum"),
    ({"add": False}, "overlapping windows overwrite"),
    ({"same_stride": True}, "stride taken as the kernel size"),
    ({"width": "kh"}, "argmax unraveled with the wrong width"),
    ({"last": "ceil"}, "partial windows kept"),
])
def test_maxpool_one_wrong_turn(switch, mistake):
    MaxPool2d = type("MaxPool2d", (_Pool,), switch)  # noqa: N806 - the class the learner writes

    message = assert_caught(check_MaxPool2d, MaxPool2d, mistake)
    assert "tied maxima" in message or mistake != "gradient to every tied maximum"


def test_maxpool_backward_returns_the_routed_gradient_only():
    class MaxPool2d(_Pool):
        def backward(self, grad_out):
            return grad_out * (self.forward(self.x) > -np.inf)  # "the gradient passes through the max"

    assert_caught(check_MaxPool2d, MaxPool2d, "backward returns the output's shape")


def test_maxpool_with_loops_and_argmax_passes():
    assert_passes(check_MaxPool2d, _Pool)


def test_maxpool_relu_in_place_is_named():
    MaxPool2d = type("MaxPool2d", (_Pool,), {"relu_in_place": True})  # noqa: N806

    message = failure(check_MaxPool2d, MaxPool2d)
    assert "changed its input `x` in place" in message, message
