"""Mistake catalogue of chapter 08: wrong answers learners really write, each caught with its own hint."""

from __future__ import annotations

import math

import numpy as np
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
def _checked(pad_mode, size, kernel, padding, dilation):
    """The validation a learner writes before the formula (shared by the learner-style answers below)."""
    if pad_mode not in ("same", "valid", "pad"):
        raise ValueError(f"bad pad_mode {pad_mode}")
    before, after = (0, 0) if pad_mode == "valid" else (
        (padding, padding) if isinstance(padding, int) else padding)
    if pad_mode != "same" and dilation * (kernel - 1) + 1 > size + before + after:
        raise ValueError("kernel too large")
    return before, after


def test_output_size_with_true_division():
    def conv_output_size(size, kernel, stride=1, pad_mode="valid", padding=0, dilation=1):
        before, after = _checked(pad_mode, size, kernel, padding, dilation)
        if pad_mode == "same":
            return math.ceil(size / stride)
        return (size + before + after - dilation * (kernel - 1) - 1) / stride + 1

    assert_caught(check_conv_output_size, conv_output_size, "a float, not an int")


def test_output_size_same_is_the_input_size():
    def conv_output_size(size, kernel, stride=1, pad_mode="valid", padding=0, dilation=1):
        before, after = _checked(pad_mode, size, kernel, padding, dilation)
        if pad_mode == "same":
            return size  # "same" = same size as the input
        return (size + before + after - dilation * (kernel - 1) - 1) // stride + 1

    assert_caught(check_conv_output_size, conv_output_size, "same ignores the stride")


def test_output_size_same_as_pytorch_half_kernel_padding():
    def conv_output_size(size, kernel, stride=1, pad_mode="valid", padding=0, dilation=1):
        before, after = _checked(pad_mode, size, kernel, padding, dilation)
        if pad_mode == "same":
            before = after = kernel // 2
        return (size + before + after - dilation * (kernel - 1) - 1) // stride + 1

    assert_caught(check_conv_output_size, conv_output_size, "same padding as kernel // 2")


def test_output_size_rounds_up():
    def conv_output_size(size, kernel, stride=1, pad_mode="valid", padding=0, dilation=1):
        before, after = _checked(pad_mode, size, kernel, padding, dilation)
        if pad_mode == "same":
            return math.ceil(size / stride)
        return math.ceil((size + before + after - dilation * (kernel - 1) - 1) / stride) + 1

    assert_caught(check_conv_output_size, conv_output_size, "ceil instead of floor")


def test_output_size_forgets_the_plus_one():
    def conv_output_size(size, kernel, stride=1, pad_mode="valid", padding=0, dilation=1):
        before, after = _checked(pad_mode, size, kernel, padding, dilation)
        if pad_mode == "same":
            return -(-size // stride)
        return (size + before + after - dilation * (kernel - 1) - 1) // stride

    assert_caught(check_conv_output_size, conv_output_size, "missing + 1")


def test_output_size_subtracts_the_whole_kernel_then_adds_one():
    def conv_output_size(size, kernel, stride=1, pad_mode="valid", padding=0, dilation=1):
        before, after = _checked(pad_mode, size, kernel, padding, dilation)
        if pad_mode == "same":
            return -(-size // stride)
        return (size + before + after - dilation * (kernel - 1)) // stride + 1

    assert_caught(check_conv_output_size, conv_output_size, "kernel not minus 1")


def test_output_size_without_dilation():
    def conv_output_size(size, kernel, stride=1, pad_mode="valid", padding=0, dilation=1):
        before, after = _checked(pad_mode, size, kernel, padding, dilation)
        if pad_mode == "same":
            return -(-size // stride)
        return (size + before + after - kernel) // stride + 1

    assert_caught(check_conv_output_size, conv_output_size, "span without dilation")


def test_output_size_dilation_times_kernel():
    def conv_output_size(size, kernel, stride=1, pad_mode="valid", padding=0, dilation=1):
        before, after = _checked(pad_mode, size, kernel, padding, dilation)
        if pad_mode == "same":
            return -(-size // stride)
        return (size + before + after - dilation * kernel) // stride + 1

    assert_caught(check_conv_output_size, conv_output_size, "dilated span as dilation * kernel")


def test_output_size_pads_one_side():
    def conv_output_size(size, kernel, stride=1, pad_mode="valid", padding=0, dilation=1):
        before, _ = _checked(pad_mode, size, kernel, padding, dilation)
        if pad_mode == "same":
            return -(-size // stride)
        return (size + before - dilation * (kernel - 1) - 1) // stride + 1

    assert_caught(check_conv_output_size, conv_output_size, "padding counted once")


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
def _sizes(xp, kh, kw, stride, dilation):
    return ((xp.shape[2] - dilation * (kh - 1) - 1) // stride + 1, (xp.shape[3] - dilation * (kw - 1) - 1) // stride + 1)


def test_im2col_cs231n_layout():
    def im2col(xp, kernel, stride=1, dilation=1):
        n, c = xp.shape[:2]
        kh, kw = kernel
        ho, wo = _sizes(xp, kh, kw, stride, dilation)
        cols = np.zeros((c * kh * kw, n * ho * wo), dtype=xp.dtype)
        for b in range(n):
            for i in range(ho):
                for j in range(wo):
                    window = xp[b, :, i * stride:i * stride + dilation * (kh - 1) + 1:dilation,
                                j * stride:j * stride + dilation * (kw - 1) + 1:dilation]
                    cols[:, b * ho * wo + i * wo + j] = window.ravel()
        return cols

    assert_caught(check_im2col, im2col, "one matrix for the whole batch")


def test_im2col_windows_as_rows():
    def im2col(xp, kernel, stride=1, dilation=1):
        n, c = xp.shape[:2]
        kh, kw = kernel
        ho, wo = _sizes(xp, kh, kw, stride, dilation)
        rows = []
        for i in range(ho):
            for j in range(wo):
                window = xp[:, :, i * stride:i * stride + dilation * (kh - 1) + 1:dilation,
                            j * stride:j * stride + dilation * (kw - 1) + 1:dilation]
                rows.append(window.reshape(n, -1))
        return np.stack(rows, axis=1)  # (N, Ho*Wo, C*kh*kw)

    assert_caught(check_im2col, im2col, "windows as rows")


def test_im2col_default_float64():
    def im2col(xp, kernel, stride=1, dilation=1):
        n, c = xp.shape[:2]
        kh, kw = kernel
        ho, wo = _sizes(xp, kh, kw, stride, dilation)
        cols = np.zeros((n, c * kh * kw, ho * wo))  # float64
        for i in range(ho):
            for j in range(wo):
                window = xp[:, :, i * stride:i * stride + dilation * (kh - 1) + 1:dilation,
                            j * stride:j * stride + dilation * (kw - 1) + 1:dilation]
                cols[:, :, i * wo + j] = window.reshape(n, -1)
        return cols

    assert_caught(check_im2col, im2col, "float64 columns")


def test_im2col_channels_last():
    def im2col(xp, kernel, stride=1, dilation=1):
        n, c = xp.shape[:2]
        kh, kw = kernel
        ho, wo = _sizes(xp, kh, kw, stride, dilation)
        cols = np.zeros((n, kh, kw, c, ho, wo), dtype=xp.dtype)
        for p in range(kh):
            for q in range(kw):
                cols[:, p, q] = xp[:, :, p * dilation:p * dilation + stride * (ho - 1) + 1:stride,
                                   q * dilation:q * dilation + stride * (wo - 1) + 1:stride]
        return cols.reshape(n, kh * kw * c, ho * wo)

    assert_caught(check_im2col, im2col, "spatial-major rows")


def test_im2col_windows_down_the_columns_first():
    def im2col(xp, kernel, stride=1, dilation=1):
        n, c = xp.shape[:2]
        kh, kw = kernel
        ho, wo = _sizes(xp, kh, kw, stride, dilation)
        cols = np.zeros((n, c * kh * kw, ho * wo), dtype=xp.dtype)
        k = 0
        for j in range(wo):
            for i in range(ho):
                cols[:, :, k] = xp[:, :, i * stride:i * stride + dilation * (kh - 1) + 1:dilation,
                                   j * stride:j * stride + dilation * (kw - 1) + 1:dilation].reshape(n, -1)
                k += 1
        return cols

    assert_caught(check_im2col, im2col, "windows in column-major order")


def test_im2col_steps_one_pixel():
    def im2col(xp, kernel, stride=1, dilation=1):
        n, c = xp.shape[:2]
        kh, kw = kernel
        ho, wo = _sizes(xp, kh, kw, 1, dilation)
        cols = np.zeros((n, c * kh * kw, ho * wo), dtype=xp.dtype)
        for i in range(ho):
            for j in range(wo):
                cols[:, :, i * wo + j] = xp[:, :, i:i + dilation * (kh - 1) + 1:dilation,
                                            j:j + dilation * (kw - 1) + 1:dilation].reshape(n, -1)
        return cols

    assert_caught(check_im2col, im2col, "windows one pixel apart")


def test_im2col_contiguous_windows():
    def im2col(xp, kernel, stride=1, dilation=1):
        n, c = xp.shape[:2]
        kh, kw = kernel
        ho, wo = _sizes(xp, kh, kw, stride, 1)
        cols = np.zeros((n, c * kh * kw, ho * wo), dtype=xp.dtype)
        for i in range(ho):
            for j in range(wo):
                cols[:, :, i * wo + j] = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw].reshape(n, -1)
        return cols

    assert_caught(check_im2col, im2col, "taps without dilation")


def test_im2col_kernel_read_as_width_height():
    def im2col(xp, kernel, stride=1, dilation=1):
        kw, kh = kernel  # (width, height), as in an image size
        n, c = xp.shape[:2]
        ho, wo = _sizes(xp, kh, kw, stride, dilation)
        cols = np.zeros((n, c * kh * kw, ho * wo), dtype=xp.dtype)
        for i in range(ho):
            for j in range(wo):
                cols[:, :, i * wo + j] = xp[:, :, i * stride:i * stride + dilation * (kh - 1) + 1:dilation,
                                            j * stride:j * stride + dilation * (kw - 1) + 1:dilation].reshape(n, -1)
        return cols

    assert_caught(check_im2col, im2col, "kernel height and width swapped")


def test_im2col_range_without_the_last_window():
    def im2col(xp, kernel, stride=1, dilation=1):
        n, c, h, w = xp.shape
        kh, kw = kernel
        span_h, span_w = dilation * (kh - 1) + 1, dilation * (kw - 1) + 1
        starts_i = range(0, h - span_h, stride)  # stops one window early
        starts_j = range(0, w - span_w, stride)
        cols = [xp[:, :, a:a + span_h:dilation, b:b + span_w:dilation].reshape(n, -1)
                for a in starts_i for b in starts_j]
        return np.stack(cols, axis=-1)

    assert_caught(check_im2col, im2col, "one window too few")


# ----- 08.3 conv2d ---------------------------------------------------------------------------------------
def _pad_hw(x, p):
    return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))


def test_conv2d_np_pad_everything():
    def conv2d(x, weight, stride=1, padding=0, dilation=1):
        xp = np.pad(x, padding)
        o, c, kh, kw = weight.shape
        ho, wo = _sizes(xp, kh, kw, stride, dilation)
        cols = reference_im2col(xp, (kh, kw), stride, dilation)
        return (weight.reshape(o, -1) @ cols).reshape(x.shape[0], o, ho, wo)

    assert_caught(check_conv2d, conv2d, "np.pad on all four axes")


def test_conv2d_forgets_to_pad():
    def conv2d(x, weight, stride=1, padding=0, dilation=1):
        o, c, kh, kw = weight.shape
        ho, wo = _sizes(x, kh, kw, stride, dilation)
        cols = reference_im2col(x, (kh, kw), stride, dilation)
        return (weight.reshape(o, -1) @ cols).reshape(x.shape[0], o, ho, wo)

    assert_caught(check_conv2d, conv2d, "no padding")


def test_conv2d_true_convolution():
    def conv2d(x, weight, stride=1, padding=0, dilation=1):
        xp = _pad_hw(x, padding)
        kernel = np.flip(weight, axis=(2, 3))  # the convolution of the maths books
        o, c, kh, kw = kernel.shape
        ho, wo = _sizes(xp, kh, kw, stride, dilation)
        cols = reference_im2col(xp, (kh, kw), stride, dilation)
        return (kernel.reshape(o, -1) @ cols).reshape(x.shape[0], o, ho, wo)

    assert_caught(check_conv2d, conv2d, "kernel flipped")


def test_conv2d_weight_flattened_channels_last():
    def conv2d(x, weight, stride=1, padding=0, dilation=1):
        xp = _pad_hw(x, padding)
        o, c, kh, kw = weight.shape
        ho, wo = _sizes(xp, kh, kw, stride, dilation)
        cols = reference_im2col(xp, (kh, kw), stride, dilation)
        w_mat = np.moveaxis(weight, 1, -1).reshape(o, -1)
        return (w_mat @ cols).reshape(x.shape[0], o, ho, wo)

    assert_caught(check_conv2d, conv2d, "weight flattened spatial-major")


def test_conv2d_columns_times_weight_reshaped_directly():
    def conv2d(x, weight, stride=1, padding=0, dilation=1):
        xp = _pad_hw(x, padding)
        o, c, kh, kw = weight.shape
        ho, wo = _sizes(xp, kh, kw, stride, dilation)
        cols = reference_im2col(xp, (kh, kw), stride, dilation)
        out = np.einsum("nkl,ok->nlo", cols, weight.reshape(o, -1))  # (N, Ho*Wo, O)
        return out.reshape(x.shape[0], o, ho, wo)

    assert_caught(check_conv2d, conv2d, "(N, Ho*Wo, O) reshaped as (N, O, Ho, Wo)")


def test_conv2d_stride_not_passed_on():
    def conv2d(x, weight, stride=1, padding=0, dilation=1):
        xp = _pad_hw(x, padding)
        o, c, kh, kw = weight.shape
        ho, wo = _sizes(xp, kh, kw, 1, dilation)
        cols = reference_im2col(xp, (kh, kw), dilation=dilation)
        return (weight.reshape(o, -1) @ cols).reshape(x.shape[0], o, ho, wo)

    assert_caught(check_conv2d, conv2d, "stride not passed to im2col")


def test_conv2d_dilation_not_passed_on():
    def conv2d(x, weight, stride=1, padding=0, dilation=1):
        xp = _pad_hw(x, padding)
        o, c, kh, kw = weight.shape
        ho, wo = _sizes(xp, kh, kw, stride, 1)
        cols = reference_im2col(xp, (kh, kw), stride)
        return (weight.reshape(o, -1) @ cols).reshape(x.shape[0], o, ho, wo)

    assert_caught(check_conv2d, conv2d, "dilation not passed to im2col")


def test_conv2d_width_before_height():
    def conv2d(x, weight, stride=1, padding=0, dilation=1):
        xp = _pad_hw(x, padding)
        o, c, kh, kw = weight.shape
        ho, wo = _sizes(xp, kh, kw, stride, dilation)
        cols = reference_im2col(xp, (kh, kw), stride, dilation)
        return (weight.reshape(o, -1) @ cols).reshape(x.shape[0], o, wo, ho)

    assert_caught(check_conv2d, conv2d, "Ho and Wo swapped")


def test_conv2d_output_buffer_in_float64():
    def conv2d(x, weight, stride=1, padding=0, dilation=1):
        xp = _pad_hw(x, padding)
        o, c, kh, kw = weight.shape
        ho, wo = _sizes(xp, kh, kw, stride, dilation)
        cols = reference_im2col(xp, (kh, kw), stride, dilation)
        out = np.zeros((x.shape[0], o, ho * wo))  # float64
        for b in range(x.shape[0]):
            out[b] = weight.reshape(o, -1) @ cols[b]
        return out.reshape(x.shape[0], o, ho, wo)

    assert_caught(check_conv2d, conv2d, "float64 output")


# ----- 08.4 conv2d_backward ---------------------------------------------------------------------------------
def _backward(x, weight, grad_out, stride, padding, dilation, *, dw_rule="sum", dcols_rule="WT", add=True,
              col2im_stride=True, col2im_dilation=True, crop=True):
    """A learner's backward, written once with a switch per wrong turn (each test flips one)."""
    xp = _pad_hw(x, padding)
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


def test_backward_returns_dw_first():
    def conv2d_backward(x, weight, grad_out, stride=1, padding=0, dilation=1):
        dx, dw = _backward(x, weight, grad_out, stride, padding, dilation)
        return dw, dx

    assert_caught(check_conv2d_backward, conv2d_backward, "(dw, dx) instead of (dx, dw)")


def test_backward_w_not_transposed():
    def conv2d_backward(x, weight, grad_out, stride=1, padding=0, dilation=1):
        return _backward(x, weight, grad_out, stride, padding, dilation, dcols_rule="W")

    assert_caught(check_conv2d_backward, conv2d_backward, "W instead of W^T for the columns")


def test_backward_dw_per_image():
    def conv2d_backward(x, weight, grad_out, stride=1, padding=0, dilation=1):
        return _backward(x, weight, grad_out, stride, padding, dilation, dw_rule="each")

    assert_caught(check_conv2d_backward, conv2d_backward, "dw not summed over the batch")


def test_backward_dw_mean_over_images():
    def conv2d_backward(x, weight, grad_out, stride=1, padding=0, dilation=1):
        return _backward(x, weight, grad_out, stride, padding, dilation, dw_rule="mean")

    assert_caught(check_conv2d_backward, conv2d_backward, "dw averaged over the batch")


def test_backward_keeps_the_padding():
    def conv2d_backward(x, weight, grad_out, stride=1, padding=0, dilation=1):
        return _backward(x, weight, grad_out, stride, padding, dilation, crop=False)

    assert_caught(check_conv2d_backward, conv2d_backward, "dx still padded")


def test_backward_col2im_assigns():
    def conv2d_backward(x, weight, grad_out, stride=1, padding=0, dilation=1):
        return _backward(x, weight, grad_out, stride, padding, dilation, add=False)

    assert_caught(check_conv2d_backward, conv2d_backward, "col2im overwrites overlapping windows")


def test_backward_col2im_steps_one_pixel():
    def conv2d_backward(x, weight, grad_out, stride=1, padding=0, dilation=1):
        return _backward(x, weight, grad_out, stride, padding, dilation, col2im_stride=False)

    assert_caught(check_conv2d_backward, conv2d_backward, "col2im without the stride")


def test_backward_col2im_contiguous_taps():
    def conv2d_backward(x, weight, grad_out, stride=1, padding=0, dilation=1):
        return _backward(x, weight, grad_out, stride, padding, dilation, col2im_dilation=False)

    assert_caught(check_conv2d_backward, conv2d_backward, "col2im without the dilation")


def test_backward_as_a_list_is_fine():
    def conv2d_backward(x, weight, grad_out, stride=1, padding=0, dilation=1):
        return list(_backward(x, weight, grad_out, stride, padding, dilation))

    assert_passes(check_conv2d_backward, conv2d_backward)


# ----- 08.5 MaxPool2d ---------------------------------------------------------------------------------------
class _Pool:
    """The forward pass a learner writes first (loops over windows); backward differs per test."""

    def __init__(self, kernel_size, stride):
        self.kernel = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        self.stride = (stride, stride) if isinstance(stride, int) else tuple(stride)

    def _slices(self, i, j):
        (kh, kw), (sh, sw) = self.kernel, self.stride
        return slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)

    def forward(self, x):
        self.x = x
        (kh, kw), (sh, sw) = self.kernel, self.stride
        ho, wo = (x.shape[2] - kh) // sh + 1, (x.shape[3] - kw) // sw + 1
        out = np.zeros((*x.shape[:2], ho, wo), dtype=x.dtype)
        for i in range(ho):
            for j in range(wo):
                rows, cols = self._slices(i, j)
                out[:, :, i, j] = x[:, :, rows, cols].max(axis=(2, 3))
        return out

    def _each_window(self, grad_out):
        for a in range(grad_out.shape[0]):
            for b in range(grad_out.shape[1]):
                for i in range(grad_out.shape[2]):
                    for j in range(grad_out.shape[3]):
                        rows, cols = self._slices(i, j)
                        yield (a, b, rows, cols), self.x[a, b, rows, cols], grad_out[a, b, i, j]


def test_maxpool_gradient_everywhere():
    class MaxPool2d(_Pool):
        def backward(self, grad_out):
            dx = np.zeros_like(self.x)
            for (a, b, rows, cols), _window, g in self._each_window(grad_out):
                dx[a, b, rows, cols] += g
            return dx

    assert_caught(check_MaxPool2d, MaxPool2d, "gradient to every entry of the window")


def test_maxpool_gradient_shared_like_average_pooling():
    class MaxPool2d(_Pool):
        def backward(self, grad_out):
            dx = np.zeros_like(self.x)
            for (a, b, rows, cols), window, g in self._each_window(grad_out):
                k = np.argmax(window)
                dx[a, b, rows, cols][k // window.shape[1], k % window.shape[1]] += g / window.size
            return dx

    assert_caught(check_MaxPool2d, MaxPool2d, "gradient averaged over the window")


def test_maxpool_mask_of_the_maximum():
    class MaxPool2d(_Pool):
        def backward(self, grad_out):
            dx = np.zeros_like(self.x)
            for (a, b, rows, cols), window, g in self._each_window(grad_out):
                dx[a, b, rows, cols] += (window == window.max()) * g
            return dx

    message = assert_caught(check_MaxPool2d, MaxPool2d, "gradient to every tied maximum")
    assert "tied maxima" in message


def test_maxpool_assigns_instead_of_adding():
    class MaxPool2d(_Pool):
        def backward(self, grad_out):
            dx = np.zeros_like(self.x)
            for (a, b, rows, cols), window, g in self._each_window(grad_out):
                p, q = np.unravel_index(np.argmax(window), window.shape)
                dx[a, b, rows, cols][p, q] = g
            return dx

    assert_caught(check_MaxPool2d, MaxPool2d, "overlapping windows overwrite")


def test_maxpool_stride_is_the_kernel():
    class MaxPool2d(_Pool):
        def __init__(self, kernel_size, stride):
            super().__init__(kernel_size, stride)
            self.stride = self.kernel  # "pooling windows do not overlap"

        def backward(self, grad_out):
            dx = np.zeros_like(self.x)
            for (a, b, rows, cols), window, g in self._each_window(grad_out):
                p, q = np.unravel_index(np.argmax(window), window.shape)
                dx[a, b, rows, cols][p, q] += g
            return dx

    assert_caught(check_MaxPool2d, MaxPool2d, "stride taken as the kernel size")


def test_maxpool_argmax_divided_by_the_height():
    class MaxPool2d(_Pool):
        def backward(self, grad_out):
            dx = np.zeros_like(self.x)
            kh = self.kernel[0]
            for (a, b, rows, cols), window, g in self._each_window(grad_out):
                k = np.argmax(window)
                dx[a, b, rows, cols][(k // kh) % window.shape[0], (k % kh) % window.shape[1]] += g
            return dx

    assert_caught(check_MaxPool2d, MaxPool2d, "argmax unraveled with the wrong width")


def test_maxpool_keeps_partial_windows():
    class MaxPool2d(_Pool):
        def forward(self, x):
            self.x = x
            (kh, kw), (sh, sw) = self.kernel, self.stride
            ho, wo = -(-(x.shape[2] - kh) // sh) + 1, -(-(x.shape[3] - kw) // sw) + 1
            out = np.zeros((*x.shape[:2], ho, wo), dtype=x.dtype)
            for i in range(ho):
                for j in range(wo):
                    rows, cols = self._slices(i, j)
                    out[:, :, i, j] = x[:, :, rows, cols].max(axis=(2, 3))
            return out

        def backward(self, grad_out):
            dx = np.zeros_like(self.x)
            for (a, b, rows, cols), window, g in self._each_window(grad_out):
                p, q = np.unravel_index(np.argmax(window), window.shape)
                dx[a, b, rows, cols][p, q] += g
            return dx

    assert_caught(check_MaxPool2d, MaxPool2d, "partial windows kept")


def test_maxpool_backward_returns_the_routed_gradient_only():
    class MaxPool2d(_Pool):
        def backward(self, grad_out):
            return grad_out * (self.forward(self.x) > -np.inf)  # "the gradient passes through the max"

    assert_caught(check_MaxPool2d, MaxPool2d, "backward returns the output's shape")


def test_maxpool_vectorized_with_argmax_passes():
    class MaxPool2d(_Pool):
        def backward(self, grad_out):
            dx = np.zeros_like(self.x)
            for (a, b, rows, cols), window, g in self._each_window(grad_out):
                p, q = np.unravel_index(np.argmax(window), window.shape)
                dx[a, b, rows, cols][p, q] += g
            return dx

    assert_passes(check_MaxPool2d, MaxPool2d)


def test_maxpool_relu_in_place_is_named():
    class MaxPool2d(_Pool):
        def forward(self, x):
            np.maximum(x, 0, out=x)  # "a ReLU first, to save memory": changes the caller's array
            return super().forward(x)

        def backward(self, grad_out):
            dx = np.zeros_like(self.x)
            for (a, b, rows, cols), window, g in self._each_window(grad_out):
                p, q = np.unravel_index(np.argmax(window), window.shape)
                dx[a, b, rows, cols][p, q] += g
            return dx

    message = failure(check_MaxPool2d, MaxPool2d)
    assert "changed its input `x` in place" in message, message


def test_backward_scaling_grad_out_in_place_is_named():
    def conv2d_backward(x, weight, grad_out, stride=1, padding=0, dilation=1):
        grad_out *= 2  # "double it, halve it later": the caller's gradient changes
        return _backward(x, weight, grad_out / 2, stride, padding, dilation)

    message = failure(check_conv2d_backward, conv2d_backward)
    assert "grad_out" in message and "in place" in message, message


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
