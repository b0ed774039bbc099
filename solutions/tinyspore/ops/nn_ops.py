"""Neural-network primitives on NCHW images: convolution, pooling and batch normalization.

Every primitive keeps its forward and its backward side by side, as in `primitives.py`. The functional
API on top (`conv2d`, `max_pool2d`, `avg_pool2d`, `batch_norm`, `bias_add`) follows `mindspore.ops`:
it checks the arguments, turns MindSpore's padding options into four explicit amounts
`(top, bottom, left, right)` and calls the primitive.

How the convolution is fast without a loop over pixels (im2col):

    x (N, C, H, W) --pad--> xp --a strided *view*, no copy--> (N, C, kh, kw, Ho, Wo)
    --reshape (one copy)--> cols (N, C*kh*kw, Ho*Wo);  out = W (O, C*kh*kw) @ cols -> (N, O, Ho*Wo)

So the whole convolution is one BLAS matrix product. Backward: dW = g @ cols^T (summed over the
batch), dcols = W^T @ g, and col2im adds each of the kh*kw kernel positions of dcols back onto the
input pixels it came from (a loop over kernel positions, never over pixels).

One speed trick on top: with stride 1 along the width, the windows are computed on a grid as wide
as the padded input (Wp columns instead of Wo). Then each kernel tap reads and writes whole runs of
consecutive pixels (rows glued together), which NumPy copies and adds about twice as fast as short
rows; the Wp - Wo extra columns wrap around into the next row, are garbage, and are cut off.

Two more, shared with ReLU, each explained in its own module: the big arrays (padded images, columns,
outputs, gradients) are allocated with `workspace.empty` (recycled memory, no page faults every step;
the plain version is `np.empty`), and the work on them is written as a function of a range of images,
`forward_images(start, stop)`, that `threads.over_batch` runs on parts of the batch at once (the plain
version is one call on the whole batch). Chapter 08 builds the plain im2col convolution and max-pooling.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import threads, workspace
from ..tensor import Tensor
from .primitives import primitive

__all__ = ["conv2d", "bias_add", "max_pool2d", "avg_pool2d", "batch_norm"]

Pads = tuple[int, int, int, int]  # (top, bottom, left, right)


# ----- shapes and padding -----------------------------------------------------------------------
def pair(value: Any, name: str, op: str) -> tuple[int, int]:
    """An int or a 1- or 2-sequence of positive ints as (height, width): 3 -> (3, 3)."""
    values = (value,) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) == 1:
        values = values * 2
    if len(values) != 2 or not all(isinstance(v, (int, np.integer)) and v > 0 for v in values):
        raise ValueError(f"{op}: {name} must be a positive int or a pair of positive ints, got {value!r}")
    return int(values[0]), int(values[1])


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """Padding (before, after) of pad_mode='same': the output has ceil(size / stride) positions.

    When the total is odd, the extra row/column goes after (bottom/right), as in MindSpore.
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def output_size(size: int, kernel: int, stride: int, dilation: int, before: int, after: int,
                ceil_mode: bool = False) -> int:
    """Number of window positions along one axis: floor((size + pads - dilated kernel) / stride) + 1."""
    span = size + before + after - (kernel - 1) * dilation - 1
    if not ceil_mode:
        return span // stride + 1
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + before:  # the last window would start in the padding: drop it
        out -= 1
    return out


def _explicit_pads(op: str, padding: Any) -> Pads:
    """padding int p -> (p, p, p, p); (ph, pw) -> (ph, ph, pw, pw); (top, bottom, left, right) as is."""
    values = (padding,) if isinstance(padding, (int, np.integer)) else tuple(padding)
    if len(values) == 1:
        values = values * 4
    elif len(values) == 2:
        values = (values[0], values[0], values[1], values[1])
    if len(values) != 4 or not all(isinstance(v, (int, np.integer)) and v >= 0 for v in values):
        raise ValueError(f"{op}: padding must be a non-negative int, a pair (height, width) or a 4-tuple "
                         f"(top, bottom, left, right), got {padding!r}")
    return tuple(int(v) for v in values)  # type: ignore[return-value]


def resolve_padding(op: str, pad_mode: str, padding: Any, spatial: tuple[int, int], kernel: tuple[int, int],
                    stride: tuple[int, int], dilation: tuple[int, int] = (1, 1)) -> Pads:
    """MindSpore's pad_mode ('same', 'valid', 'pad' with `padding`) as (top, bottom, left, right)."""
    mode = pad_mode.lower() if isinstance(pad_mode, str) else pad_mode
    if mode not in ("same", "valid", "pad"):
        raise ValueError(f"{op}: pad_mode must be 'same', 'valid' or 'pad', got {pad_mode!r}")
    if mode != "pad":
        if _explicit_pads(op, padding) != (0, 0, 0, 0):
            raise ValueError(f"{op}: padding must be 0 when pad_mode is {pad_mode!r} (got padding={padding!r}); "
                             f"use pad_mode='pad' to pad by hand")
        if mode == "valid":
            return 0, 0, 0, 0
        return (*same_padding(spatial[0], kernel[0], stride[0], dilation[0]),
                *same_padding(spatial[1], kernel[1], stride[1], dilation[1]))
    return _explicit_pads(op, padding)


def _pad(x: np.ndarray, pads: Pads, value: float = 0.0) -> np.ndarray:
    """x (N, C, H, W) with `pads` rows/columns of `value` around its last two axes (x itself if none)."""
    if not any(pads):
        return x
    n, c, h, w = x.shape
    out = workspace.empty((n, c, h + pads[0] + pads[1], w + pads[2] + pads[3]), x.dtype)
    _pad_into(out, x, pads, value)
    return out


def _pad_into(out: np.ndarray, x: np.ndarray, pads: Pads, value: float = 0.0) -> None:
    """Write x into the middle of `out` and `value` into the border of `pads` around it."""
    top, bottom, left, right = pads
    h, w = x.shape[2:]
    out[:, :, :top] = value
    out[:, :, top + h:] = value
    out[:, :, top:top + h, :left] = value
    out[:, :, top:top + h, left + w:] = value
    out[:, :, top:top + h, left:left + w] = x


def _unpad(xp: np.ndarray, pads: Pads) -> np.ndarray:
    top, bottom, left, right = pads
    return xp[:, :, top:xp.shape[2] - bottom, left:xp.shape[3] - right]


def _windows(xp: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
             grid: tuple[int, int], writeable: bool = False) -> np.ndarray:
    """A view (N, C, kh, kw, gh, gw) of every kernel tap of every window: no data is copied.

    view[n, c, p, q, i, j] = xp[n, c, i*sh + p*dh, j*sw + q*dw], counted in xp's memory, so on a
    grid wider than the output a window column past the row's end reads the start of the next row.
    """
    sn, sc, sh, sw = xp.strides
    shape = (*xp.shape[:2], *kernel, *grid)
    strides = (sn, sc, sh * dilation[0], sw * dilation[1], sh * stride[0], sw * stride[1])
    return as_strided(xp, shape, strides, writeable=writeable)


def im2col(xp: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
           grid: tuple[int, int], out: np.ndarray | None = None) -> np.ndarray:
    """Every window of the padded xp (N, C, Hp, Wp) as one column: (N, C*kh*kw, gh*gw), in one copy
    (into `out`, a C-contiguous array of that size, when given).

    Rows are ordered (channel, kh, kw), like the columns of a weight (O, C, kh, kw) reshaped to (O, C*kh*kw).
    """
    n, c = xp.shape[:2]
    windows = _windows(xp, kernel, stride, dilation, grid)
    cols = workspace.empty(windows.shape, xp.dtype) if out is None else out.reshape(windows.shape)
    np.copyto(cols, windows)
    return cols.reshape(n, c * kernel[0] * kernel[1], grid[0] * grid[1])


def col2im(cols: np.ndarray, shape: tuple, kernel: tuple[int, int], stride: tuple[int, int],
           dilation: tuple[int, int], grid: tuple[int, int], out: np.ndarray | None = None) -> np.ndarray:
    """The reverse of im2col for gradients: add every entry of cols (N, C*kh*kw, gh*gw) back onto
    the pixel of an array of `shape` (N, C, Hp, Wp) it was read from; overlapping windows add up.
    (Into `out`, a C-contiguous array of `shape`, when given: it is zeroed first.)"""
    if out is None:
        out = workspace.zeros(shape, cols.dtype)
    else:
        out.fill(0)
    taps = _windows(out, kernel, stride, dilation, grid, writeable=True)
    cols = cols.reshape(taps.shape)
    for p in range(kernel[0]):  # a loop over kernel taps, each one adding all windows at once
        for q in range(kernel[1]):
            taps[:, :, p, q] += cols[:, :, p, q]
    return out


def _tap(xp: np.ndarray, p: int, q: int, stride: tuple[int, int], dilation: tuple[int, int],
         out_hw: tuple[int, int]) -> tuple[slice, slice, slice, slice]:
    """The index of kernel tap (p, q) for all windows at once: xp[_tap(...)] has shape (N, C, Ho, Wo)."""
    top, left = p * dilation[0], q * dilation[1]
    return (slice(None), slice(None),
            slice(top, top + stride[0] * (out_hw[0] - 1) + 1, stride[0]),
            slice(left, left + stride[1] * (out_hw[1] - 1) + 1, stride[1]))


def _data(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


# ----- convolution ------------------------------------------------------------------------------
@primitive(inputs=2, uses_needs=True)
def convolution(x, weight, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), group=1):
    """Cross-correlation of x (N, C, H, W) with weight (O, C/group, kh, kw) -> (N, O, Ho, Wo).

    Arguments are already checked and explicit: stride/dilation pairs, pads (top, bottom, left, right).
    Backward skips what nobody asked for: the images fed to a first layer need no gradient.
    """
    n, c, h, w = x.shape
    o, cg, kh, kw = weight.shape
    ho = output_size(h, kh, stride[0], dilation[0], pads[0], pads[1])
    wo = output_size(w, kw, stride[1], dilation[1], pads[2], pads[3])
    # The wide grid (see the module docstring); a spare zero row keeps the wrapped reads inside xp.
    wide = stride[1] == 1 and wo < w + pads[2] + pads[3]
    grid = (ho, w + pads[2] + pads[3] if wide else wo)
    pads = (pads[0], pads[1] + wide, pads[2], pads[3])
    hp, wp = h + pads[0] + pads[1], w + pads[2] + pads[3]
    k, og, positions = cg * kh * kw, o // group, grid[0] * grid[1]
    w_mat = weight.reshape(group, og, k)
    xp = workspace.empty((n, c, hp, wp), x.dtype) if any(pads) else x
    cols = workspace.empty((n, group, k, positions), x.dtype)
    full = workspace.empty((n, group, og, positions), x.dtype)  # the output on the (maybe wide) grid
    out = workspace.empty((n, o, ho, wo), x.dtype) if wide else full.reshape(n, o, ho, wo)

    def forward_images(start, stop):  # images start..stop-1 (threads.over_batch may split the batch)
        if xp is not x:
            _pad_into(xp[start:stop], x[start:stop], pads)
        im2col(xp[start:stop], (kh, kw), stride, dilation, grid, out=cols[start:stop])
        np.matmul(w_mat, cols[start:stop], out=full[start:stop])  # (G, Og, K) @ (N, G, K, L): NCHW order
        if wide:
            np.copyto(out[start:stop], full[start:stop].reshape(-1, o, *grid)[..., :wo])

    threads.over_batch(n, cols.size + full.size, forward_images)

    def backward(g, needs=(True, True)):
        g_full = workspace.empty((n, group, og, positions), g.dtype) if wide else None
        per_image = workspace.empty((n, group, og, k), g.dtype) if needs[1] else None
        gcols = workspace.empty((n, group, k, positions), g.dtype) if needs[0] else None
        gxp = workspace.empty((n, c, hp, wp), g.dtype) if needs[0] else None

        def backward_images(start, stop):
            if wide:  # back onto the wide grid, with zeros in the garbage columns
                g_wide = g_full[start:stop].reshape(-1, o, *grid)
                g_wide[..., :wo] = g[start:stop]
                g_wide[..., wo:] = 0
                g_part = g_full[start:stop]
            else:
                g_part = np.ascontiguousarray(g[start:stop]).reshape(-1, group, og, positions)
            if needs[1]:  # dW[o, k] = sum over images n and positions l of g[n, o, l] * cols[n, k, l]
                np.matmul(g_part, cols[start:stop].swapaxes(-1, -2), out=per_image[start:stop])
            if needs[0]:  # dcols = W^T g, then col2im sends each column entry back to the pixel it was read from
                np.matmul(w_mat.swapaxes(-1, -2), g_part, out=gcols[start:stop])
                col2im(gcols[start:stop], gxp[start:stop].shape, (kh, kw), stride, dilation, grid,
                       out=gxp[start:stop])

        threads.over_batch(n, cols.size * (needs[0] + needs[1]) + g.size, backward_images)
        gw = per_image.sum(axis=0).reshape(weight.shape) if needs[1] else None  # summed once all images are done
        return (_unpad(gxp, pads) if needs[0] else None), gw

    return out, backward


@primitive(inputs=2)
def bias_add(input_x, bias):
    """input_x (N, C, ...) plus bias (C,) on the channel axis; the bias gradient sums all other axes."""
    shape = (1, bias.shape[0]) + (1,) * (input_x.ndim - 2)

    def backward(g):
        return g, g.sum(axis=(0, *range(2, g.ndim)))

    return input_x + bias.reshape(shape), backward


def _check_conv(x: np.ndarray, w: np.ndarray, groups: int, pads: Pads, kernel: tuple[int, int],
                dilation: tuple[int, int]) -> None:
    if x.ndim != 4:
        raise ValueError(f"conv2d: input must be 4-D (N, C, H, W), got shape {x.shape}")
    if w.ndim != 4:
        raise ValueError(f"conv2d: weight must be 4-D (out_channels, in_channels/groups, kh, kw), "
                         f"got shape {w.shape}")
    if x.dtype != w.dtype:
        raise TypeError(f"conv2d: input dtype {x.dtype} and weight dtype {w.dtype} differ; cast one of them")
    if w.shape[0] % groups:
        raise ValueError(f"conv2d: weight has {w.shape[0]} output channels (shape {w.shape}), "
                         f"not divisible by groups={groups}")
    if x.shape[1] != w.shape[1] * groups:
        raise ValueError(f"conv2d: input has {x.shape[1]} channels (shape {x.shape}) but weight {w.shape} "
                         f"with groups={groups} expects {w.shape[1] * groups}")
    padded = (x.shape[2] + pads[0] + pads[1], x.shape[3] + pads[2] + pads[3])
    span = tuple((k - 1) * d + 1 for k, d in zip(kernel, dilation))
    if span[0] > padded[0] or span[1] > padded[1]:
        raise ValueError(f"conv2d: kernel {kernel} (dilated {span}) is larger than the padded input {padded}: "
                         f"input {x.shape[2:]}, padding (top, bottom, left, right) = {pads}")


def conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, pad_mode: str = "valid",  # noqa: A002
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation) of input (N, C, H, W) with weight (O, C/groups, kh, kw).

    pad_mode: 'valid' (no padding), 'same' (output ceil(H/stride) x ceil(W/stride); an odd total
    padding puts the extra row/column at the bottom/right) or 'pad' (padding: int, (ph, pw) or
    (top, bottom, left, right)). bias (O,) is optional. Returns (N, O, Ho, Wo).
    """
    if pad_mode not in ("same", "valid", "pad"):  # MindSpore's Conv2D is case-sensitive here
        raise ValueError(f"conv2d: pad_mode must be 'same', 'valid' or 'pad', got {pad_mode!r}")
    x, w = _data(input), _data(weight)
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive int, got {groups!r}")
    kernel = w.shape[2:] if w.ndim == 4 else (1, 1)
    stride, dilation = pair(stride, "stride", "conv2d"), pair(dilation, "dilation", "conv2d")
    spatial = x.shape[2:] if x.ndim == 4 else (1, 1)
    pads = resolve_padding("conv2d", pad_mode, padding, spatial, kernel, stride, dilation)
    _check_conv(x, w, groups, pads, kernel, dilation)
    out = convolution(input, weight, stride, pads, dilation, int(groups))
    return out if bias is None else bias_add(out, bias)


# ----- pooling ----------------------------------------------------------------------------------
@primitive(inputs=1)
def max_pool(x, kernel=(1, 1), stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), ceil_mode=False):
    """Largest value of each window of x (N, C, H, W); padding never wins (it is -inf).

    Backward: each window's gradient goes to its argmax (the first tap in row-major order on ties; a
    NaN counts as the maximum, as in np.argmax); where windows overlap, a pixel that is the maximum of
    several windows receives the sum.
    """
    h, w = x.shape[2:]
    ho = output_size(h, kernel[0], stride[0], dilation[0], pads[0], pads[1], ceil_mode)
    wo = output_size(w, kernel[1], stride[1], dilation[1], pads[2], pads[3], ceil_mode)
    pads, xp, taps = _max_pool_taps(x, pads, kernel, stride, dilation, (ho, wo))
    out = workspace.empty((*x.shape[:2], ho, wo), x.dtype)
    winner = np.zeros(out.shape, np.uint8 if len(taps) < 256 else np.int32)

    def forward_images(start, stop):  # images start..stop-1 (threads.over_batch may split the batch)
        _running_max(xp[start:stop], taps, out[start:stop], winner[start:stop])

    threads.over_batch(x.shape[0], xp.size + 3 * out.size, forward_images)
    _first_nan_wins(xp, taps, out, winner)
    # Windows that do not overlap send gradients to distinct pixels: write instead of accumulate, and
    # when they also tile the padded input exactly, every pixel is written once: no zero-filling.
    disjoint = all(s >= (k - 1) * d + 1 for s, k, d in zip(stride, kernel, dilation))
    tiled = disjoint and stride == kernel and ho * kernel[0] == xp.shape[2] and wo * kernel[1] == xp.shape[3]
    shape = xp.shape  # the backward needs `winner` and this, not the input itself

    def backward(g):
        gxp = workspace.empty(shape, g.dtype)

        def backward_images(start, stop):
            part, g_part, won = gxp[start:stop], g[start:stop], winner[start:stop]
            if not tiled:
                part.fill(0)
            for i, tap in enumerate(taps):
                if disjoint:
                    np.multiply(g_part, won == i, out=part[tap])
                else:
                    part[tap] += g_part * (won == i)

        threads.over_batch(shape[0], gxp.size + 2 * g.size, backward_images)
        return (_unpad(gxp, pads),)

    return out, backward


def _max_pool_taps(x: np.ndarray, pads: Pads, kernel: tuple[int, int], stride: tuple[int, int],
                   dilation: tuple[int, int], out_hw: tuple[int, int]) -> tuple[Pads, np.ndarray, list]:
    """(pads grown to cover every window, x padded with its lowest value so that padding never wins, the
    index of each kernel tap for all windows at once, row-major in the window)."""
    pads = _cover(pads, x.shape[2:], kernel, stride, dilation, out_hw)
    xp = _pad(x, pads, -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min)
    return pads, xp, [_tap(xp, p, q, stride, dilation, out_hw) for p in range(kernel[0]) for q in range(kernel[1])]


def _running_max(part: np.ndarray, taps: list, best: np.ndarray, winner: np.ndarray) -> None:
    """The maximum of each window of `part` into `best`, and which kernel tap holds it into `winner` (zeros).

    One pass per kernel tap (never per pixel): the running maximum of all windows at once. A later tap takes
    over only when strictly greater, so on ties the first one keeps it, and the last tap to take over is the
    largest index: winner = max over taps of (tap index if it took over).
    """
    took_over = np.empty(best.shape, bool)
    candidate = np.empty(best.shape, winner.dtype)
    np.copyto(best, part[taps[0]])
    for i, tap in enumerate(taps[1:], 1):
        np.greater(part[tap], best, out=took_over)
        np.maximum(best, part[tap], out=best)
        np.multiply(took_over, winner.dtype.type(i), out=candidate)
        np.maximum(winner, candidate, out=winner)


def _first_nan_wins(xp: np.ndarray, taps: list, best: np.ndarray, winner: np.ndarray) -> None:
    """A NaN is the maximum of its window (np.maximum says so), but compares false with everything, so
    `_running_max` never lets it take over: point those windows at their first NaN."""
    if best.dtype.kind != "f":
        return
    nan = np.isnan(best)
    if nan.any():
        for i in range(len(taps) - 1, -1, -1):
            winner[nan & np.isnan(xp[taps[i]])] = i


def _cover(pads: Pads, hw: tuple[int, int], kernel: tuple[int, int], stride: tuple[int, int],
           dilation: tuple[int, int], out_hw: tuple[int, int]) -> Pads:
    """Grow the bottom/right padding so that every window fits (needed by ceil_mode only)."""
    need_h = (out_hw[0] - 1) * stride[0] + (kernel[0] - 1) * dilation[0] + 1 - hw[0] - pads[0]
    need_w = (out_hw[1] - 1) * stride[1] + (kernel[1] - 1) * dilation[1] + 1 - hw[1] - pads[2]
    return pads[0], max(pads[1], need_h), pads[2], max(pads[3], need_w)


def _window_counts(kernel: int, stride: int, before: int, out: int, lo: int, hi: int) -> np.ndarray:
    """For each of the `out` windows along one axis, how many of its taps land in [lo, hi), counted
    in unpadded coordinates (window i starts at i * stride - before)."""
    starts = np.arange(out) * stride - before
    return np.clip(np.minimum(starts + kernel, hi) - np.maximum(starts, lo), 0, None)


@primitive(inputs=1)
def avg_pool(x, kernel=(1, 1), stride=(1, 1), pads=(0, 0, 0, 0), divisor="padded", ceil_mode=False):
    """Mean of each window of x (N, C, H, W).

    divisor: 'padded' counts padding zeros (but not the overhang of ceil_mode), 'valid' counts only
    real pixels (MindSpore's pad_mode='same', or count_include_pad=False), an int overrides both.
    Backward: each window spreads g / divisor evenly over its taps.
    """
    h, w = x.shape[2:]
    ho = output_size(h, kernel[0], stride[0], 1, pads[0], pads[1], ceil_mode)
    wo = output_size(w, kernel[1], stride[1], 1, pads[2], pads[3], ceil_mode)
    if isinstance(divisor, str):  # counts are separable: (count along H) x (count along W)
        lo_h, hi_h, lo_w, hi_w = (0, h, 0, w) if divisor == "valid" else (-pads[0], h + pads[1], -pads[2], w + pads[3])
        counts = np.outer(_window_counts(kernel[0], stride[0], pads[0], ho, lo_h, hi_h),
                          _window_counts(kernel[1], stride[1], pads[2], wo, lo_w, hi_w))
        denominator = counts.astype(x.dtype)
    else:
        denominator = np.asarray(divisor, dtype=x.dtype)
    pads = _cover(pads, (h, w), kernel, stride, (1, 1), (ho, wo))
    xp = _pad(x, pads)
    out = np.zeros((*x.shape[:2], ho, wo), dtype=x.dtype)
    for p in range(kernel[0]):
        for q in range(kernel[1]):
            out += xp[_tap(xp, p, q, stride, (1, 1), (ho, wo))]
    out /= denominator

    def backward(g):
        share = g / denominator
        gxp = np.zeros(xp.shape, dtype=g.dtype)
        for p in range(kernel[0]):
            for q in range(kernel[1]):
                gxp[_tap(gxp, p, q, stride, (1, 1), (ho, wo))] += share
        return (_unpad(gxp, pads),)

    return out, backward


def _check_pool(op: str, x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], pads: Pads,
                dilation: tuple[int, int], ceil_mode: bool) -> None:
    if x.ndim != 4:
        raise ValueError(f"{op}: input must be 4-D (N, C, H, W) or 3-D (C, H, W), got shape {x.shape}")
    half = (kernel[0] // 2, kernel[1] // 2)
    if max(pads[0], pads[1]) > half[0] or max(pads[2], pads[3]) > half[1]:
        raise ValueError(f"{op}: padding {pads} must be at most half the kernel {kernel}")
    # ceil_mode lets the last window hang over the edge (as in MindSpore); otherwise windows must fit.
    out = [output_size(x.shape[2 + i], kernel[i], stride[i], dilation[i], pads[2 * i], pads[2 * i + 1], ceil_mode)
           for i in (0, 1)]
    if min(out) < 1:
        padded = (x.shape[2] + pads[0] + pads[1], x.shape[3] + pads[2] + pads[3])
        dilated = "" if dilation == (1, 1) else f" (dilation {dilation})"
        raise ValueError(f"{op}: kernel {kernel}{dilated} is larger than the padded input {padded}: "
                         f"input {x.shape[2:]}, padding (top, bottom, left, right) = {pads}")


def pool2d(op: str, primitive_fn: Any, x: Any, kernel: tuple[int, int], stride: tuple[int, int], pads: Pads,
           attr: Any, ceil_mode: bool = False, dilation: tuple[int, int] = (1, 1)) -> Tensor:
    """Run a pooling primitive, `primitive_fn(x, kernel, stride, pads, attr, ceil_mode)`, after checking
    its arguments, on 4-D input or on 3-D (C, H, W) input as a batch of one."""
    data = _data(x)
    if data.ndim == 3:
        from .primitives import expand_dims, squeeze

        return squeeze(pool2d(op, primitive_fn, expand_dims(x, 0), kernel, stride, pads, attr, ceil_mode, dilation), 0)
    _check_pool(op, data, kernel, stride, pads, dilation, ceil_mode)
    return primitive_fn(x, kernel, stride, pads, attr, bool(ceil_mode))


def max_pool_indices(x: np.ndarray, out: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
                     pads: Pads, dilation: tuple[int, int]) -> np.ndarray:
    """Where the maximum of each window of x (N, C, H, W) sits: its index in the flattened (H, W) plane,
    int64 (MindSpore's return_indices). `out` is the pooled output, for its shape. Not differentiable.

    The winner is chosen exactly as `max_pool` chooses the pixel that gets the gradient: the first tap
    (row-major in the window) on ties, and the first NaN in a window that holds one.
    """
    w = x.shape[3]
    ho, wo = out.shape[2:]
    pads, xp, taps = _max_pool_taps(x, pads, kernel, stride, dilation, (ho, wo))
    best, winner = np.empty(out.shape, x.dtype), np.zeros(out.shape, np.int64)
    _running_max(xp, taps, best, winner)
    _first_nan_wins(xp, taps, best, winner)
    p, q = np.divmod(winner, kernel[1])  # the tap's row and column in the kernel
    rows = np.arange(ho)[:, None] * stride[0] - pads[0] + p * dilation[0]
    cols = np.arange(wo)[None, :] * stride[1] - pads[2] + q * dilation[1]
    return rows * w + cols


def with_indices(x: Any, out: Tensor, kernel: tuple[int, int], stride: tuple[int, int], pads: Pads,
                 dilation: tuple[int, int]) -> tuple[Tensor, Tensor]:
    """(out, indices) for a max pooling of 4-D or 3-D input x."""
    data, values = _data(x), out._data
    if data.ndim == 3:
        return out, Tensor._wrap(max_pool_indices(data[None], values[None], kernel, stride, pads, dilation)[0])
    return out, Tensor._wrap(max_pool_indices(data, values, kernel, stride, pads, dilation))


def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               return_indices: bool = False, ceil_mode: bool = False) -> Any:
    """Max pooling of x (N, C, H, W) or (C, H, W); stride defaults to kernel_size; padding (int or
    (ph, pw), at most half the kernel) is -inf on both sides. return_indices=True also returns where
    each maximum is (see `max_pool_indices`)."""
    kernel = pair(kernel_size, "kernel_size", "max_pool2d")
    stride = kernel if stride is None else pair(stride, "stride", "max_pool2d")
    dilation = pair(dilation, "dilation", "max_pool2d")
    pads = _explicit_pads("max_pool2d", padding)
    out = pool2d("max_pool2d", max_pool, x, kernel, stride, pads, dilation, ceil_mode, dilation)
    return with_indices(x, out, kernel, stride, pads, dilation) if return_indices else out


def avg_pool2d(input_x: Any, kernel_size: Any = 1, stride: Any = 1, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int = 0) -> Tensor:
    """Average pooling of input_x (N, C, H, W) or (C, H, W) (MindSpore: stride defaults to 1).

    padding: int or (ph, pw) zeros on both sides, counted in the mean if count_include_pad;
    divisor_override (non-zero) replaces the count.
    """
    kernel = pair(kernel_size, "kernel_size", "avg_pool2d")
    stride = pair(stride, "stride", "avg_pool2d")
    pads = _explicit_pads("avg_pool2d", padding)
    divisor = divisor_override if divisor_override else ("padded" if count_include_pad else "valid")
    return pool2d("avg_pool2d", avg_pool, input_x, kernel, stride, pads, divisor, ceil_mode)


# ----- batch normalization ----------------------------------------------------------------------
def _bn_axes(x: np.ndarray, num_channels: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The axes statistics run over (all but the channel axis 1) and the shape (1, C, 1, ...) of a
    per-channel vector broadcast against x."""
    if x.ndim < 2 or x.shape[1] != num_channels:
        raise ValueError(f"batch_norm: input of shape {x.shape} must have {num_channels} channels on axis 1 "
                         f"(the size of weight and bias)")
    return (0, *range(2, x.ndim)), (1, num_channels) + (1,) * (x.ndim - 2)


@primitive(inputs=3)
def batch_norm_training(x, gamma, beta, eps=1e-5):
    """y = gamma * (x - mean) / sqrt(var + eps) + beta with the batch's own mean and (biased) var.

    Backward is exact, including how mean and var depend on x: with xhat = (x - mean) / std and M
    the number of values per channel, dx = gamma / std * (g - mean(g) - xhat * mean(g * xhat)).
    """
    axes, shape = _bn_axes(x, gamma.shape[0])
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    var = np.square(centered).mean(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + x.dtype.type(eps))
    xhat = centered * inv_std

    def backward(g):
        gbeta = g.sum(axis=axes)
        ggamma = (g * xhat).sum(axis=axes)
        m = x.size // x.shape[1]
        gx = (gamma.reshape(shape) * inv_std) * (g - (gbeta.reshape(shape) + xhat * ggamma.reshape(shape)) / m)
        return gx, ggamma, gbeta

    return xhat * gamma.reshape(shape) + beta.reshape(shape), backward


@primitive(inputs=5)
def batch_norm_inference(x, gamma, beta, mean, var, eps=1e-5):
    """y = gamma * (x - mean) / sqrt(var + eps) + beta with given (moving) statistics: per channel,
    an affine map of x, so its backward is simple."""
    axes, shape = _bn_axes(x, gamma.shape[0])
    inv_std = 1.0 / np.sqrt(var + x.dtype.type(eps))
    xhat = (x - mean.reshape(shape)) * inv_std.reshape(shape)

    def backward(g):
        scale = (gamma * inv_std).reshape(shape)
        gx = g * scale
        gmean = -gx.sum(axis=axes)
        gvar = -0.5 * (g * xhat).sum(axis=axes) * gamma * inv_std ** 2
        return gx, (g * xhat).sum(axis=axes), g.sum(axis=axes), gmean, gvar

    return xhat * gamma.reshape(shape) + beta.reshape(shape), backward


def batch_norm(input_x: Any, running_mean: Any, running_var: Any, weight: Any, bias: Any, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalization over every axis but the channel axis 1 of input_x (N, C, ...).

    training=True normalizes with the batch mean and biased variance, and updates the running
    statistics in place: running = (1 - momentum) * running + momentum * batch, with the *unbiased*
    batch variance (as MindSpore). training=False normalizes with running_mean and running_var.
    """
    x = _data(input_x)
    channels = x.shape[1] if x.ndim >= 2 else None
    for name, value in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                        ("bias", bias)):
        if _data(value).shape != (channels,):
            raise ValueError(f"batch_norm: {name} has shape {_data(value).shape} but input of shape {x.shape} "
                             f"needs ({channels},), one value per channel on axis 1")
    if not training:
        return batch_norm_inference(input_x, weight, bias, running_mean, running_var, eps)
    out = batch_norm_training(input_x, weight, bias, eps)
    axes, _ = _bn_axes(x, x.shape[1])
    m = x.size // x.shape[1]
    mean = x.mean(axis=axes)
    unbiased = x.var(axis=axes) * (m / max(m - 1, 1))
    for running, batch in ((running_mean, mean), (running_var, unbiased)):
        if isinstance(running, Tensor):  # a new value in the same Tensor, so a Parameter stays itself
            running._data = ((1 - momentum) * running._data + momentum * batch).astype(running._data.dtype)
    return out
