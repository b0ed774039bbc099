"""Checks of chapter 08, a convolutional network: output sizes, im2col, the convolution forward and backward,
and max pooling, all on NumPy arrays in MindSpore's NCHW layout and conventions.

    n = conv_output_size(size, kernel, stride, pad_mode, padding, dilation)     one axis, MindSpore's rule
    cols = im2col(xp, kernel, stride, dilation)         (N, C, Hp, Wp) -> (N, C*kh*kw, Ho*Wo), rows (c, p, q)
    out = conv2d(x, weight, stride, padding, dilation)  (N, C, H, W) * (O, C, kh, kw) -> (N, O, Ho, Wo)
    dx, dw = conv2d_backward(x, weight, grad_out, stride, padding, dilation)
    pool = MaxPool2d(kernel_size, stride); out = pool.forward(x); dx = pool.backward(grad_out)

The oracle is the reference engine: `tinyspore.ops.nn_ops` (output_size, same_padding, im2col), `ops.conv2d`,
`ops.max_pool2d` and their gradients by `tinyspore.grad`. No check uses a learner's answer from another
exercise or chapter: the wrong implementations below use the reference im2col.

Every `call` function is module level and every case holds only arrays, numbers, strings and tuples, so the
grader runs the learner's code in another process and gets plain data back (arrays, tuples, numbers). Each
check's `@exercise(forbidden=...)` names the engine code that is that exercise's answer (im2col, the
convolution and its backward rule, col2im, max pooling, ...): a graded answer that calls it scores 0.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

import numpy as np

import tinyspore as ms
from tinyspore import Tensor, autodiff, nn, ops
from tinyspore.ops import nn_ops
from tinyspore_grader import Case, Mistake, ModifiedInput, Raised, exercise, rule_of, run_check, same

# The exercises' own words for the shared diagnoses (see tinyspore_grader.diagnose.MESSAGES).
EXPLAIN = {
    "in_place": ("`{name}` changed its input `{argument}` in place, but the caller (the layer below, or the "
                 "next backward step) still needs it as it was: write the results into a new array (np.pad, "
                 "np.zeros, .copy()) instead of into `{argument}`."),
}


def _rng(hidden: bool, salt: int) -> np.random.Generator:
    return np.random.default_rng(800 + 100 * salt + (7 if hidden else 0))


def _close(expected: Any, got: Any, case: Case | None = None) -> bool:
    """`same` with float32 tolerances: a convolution sums many products, in any order."""
    return same(expected, got, case, rtol=1e-4, atol=1e-5)


def _is_array(got: Any) -> bool:
    return isinstance(got, np.ndarray)


def _pair(value: Any) -> tuple[int, int]:
    return (value, value) if isinstance(value, (int, np.integer)) else (int(value[0]), int(value[1]))


# ----- 08.1 conv_output_size ----------------------------------------------------------------------------
PAD_MODES = ("same", "valid", "pad")


def reference_conv_output_size(size: int, kernel: int, stride: int = 1, pad_mode: str = "valid",
                               padding: Any = 0, dilation: int = 1) -> int:
    """MindSpore's rule: 'same' -> ceil(size / stride); 'valid' and 'pad' -> floor((size + pads - span) / stride)
    + 1 with span = dilation * (kernel - 1) + 1. ValueError for another pad_mode or a span larger than the input."""
    if pad_mode not in PAD_MODES:
        raise ValueError(f"pad_mode must be 'same', 'valid' or 'pad', got {pad_mode!r}")
    if pad_mode == "same":
        before, after = nn_ops.same_padding(size, kernel, stride, dilation)
    elif pad_mode == "valid":
        before, after = 0, 0
    else:
        before, after = _pair(padding)
    span = dilation * (kernel - 1) + 1
    if span > size + before + after:
        raise ValueError(f"the kernel spans {span} pixels but the padded input has only {size + before + after}")
    return int(nn_ops.output_size(size, kernel, stride, dilation, before, after))


def _output_size_cases(hidden: bool) -> list[Case]:
    plans = [(8, 3, 1, "valid", 0, 1), (10, 3, 3, "valid", 0, 1), (28, 5, 1, "valid", 0, 1),
             (8, 3, 1, "same", 0, 1), (9, 3, 2, "same", 0, 1), (8, 2, 1, "same", 0, 1),
             (10, 3, 2, "pad", 1, 1), (7, 3, 1, "pad", 2, 1), (9, 3, 1, "valid", 0, 3),
             (11, 3, 2, "pad", (1, 2), 2), (4, 5, 1, "valid", 0, 1), (8, 3, 1, "full", 0, 1)]
    if hidden:
        plans = [(12, 5, 1, "valid", 0, 1), (12, 5, 3, "valid", 0, 1), (7, 3, 3, "same", 0, 1),
                 (6, 4, 1, "same", 0, 1), (13, 3, 1, "pad", 2, 1), (10, 3, 1, "pad", (0, 2), 1),
                 (14, 3, 1, "valid", 0, 4), (16, 2, 2, "pad", 1, 2), (5, 3, 1, "valid", 0, 3),
                 (6, 3, 1, "Same", 0, 1)]
    notes = {"full": "an unknown pad_mode", "Same": "pad_mode is case-sensitive, as MindSpore's Conv2D"}
    cases = [Case(plan) for plan in plans]
    return [Case(c.args, note=notes.get(c.args[3], "the kernel does not fit" if _expects_error(c) else ""))
            for c in cases]


def _same_int(expected: Any, got: Any, case: Case | None = None) -> bool:
    """An int where an int is expected (a float like 6.0 is not an output size), or the same kind of error."""
    if isinstance(expected, Raised) or isinstance(got, Raised):
        return same(expected, got, case)
    return isinstance(got, (int, np.integer)) and not isinstance(got, bool) and int(got) == expected


def _size_rule(ceil: bool = False, plus_one: bool = True, minus_one: bool = True, span: str = "dilated",
               pads: str = "both", same_rule: str = "ceil"):
    """A family of output-size formulas, right or wrong in one way each (the wrong ones learners write)."""
    def conv_output_size(size, kernel, stride=1, pad_mode="valid", padding=0, dilation=1):
        if pad_mode == "same":
            if same_rule == "size":
                return size
            if same_rule == "half kernel":
                pad = kernel // 2
                return (size + 2 * pad - kernel) // stride + 1
            return math.ceil(size / stride)
        before, after = (0, 0) if pad_mode == "valid" else _pair(padding)
        total = {"both": before + after, "once": before}[pads]
        reach = {"dilated": dilation * (kernel - 1) + 1, "kernel": kernel, "d*k": dilation * kernel}[span]
        top = size + total - reach + (1 if not minus_one else 0)
        steps = math.ceil(top / stride) if ceil else top // stride
        return int(steps + (1 if plus_one else 0))
    return conv_output_size


def _expects_error(case: Case) -> bool:
    size, kernel, _, mode, padding, dilation = case.args
    pads = sum(_pair(padding)) if mode == "pad" else 0
    return mode not in PAD_MODES or (mode != "same" and dilation * (kernel - 1) + 1 > size + pads)


CONV_OUTPUT_SIZE_MISTAKES = [
    Mistake("unknown pad_mode accepted",
            "raise a ValueError when pad_mode is not one of 'same', 'valid', 'pad' (spelled exactly so): a typo "
            "must not quietly pick a rule.",
            detect=lambda case, got: case.args[3] not in PAD_MODES and not isinstance(got, Raised)),
    Mistake("no error when the kernel does not fit",
            "when the (dilated) kernel is wider than the padded input there is no window at all: raise a "
            "ValueError instead of returning a size of 0 or less.",
            detect=lambda case, got: _expects_error(case) and not isinstance(got, Raised)),
    Mistake("padding pair not supported",
            "padding may be a pair (before, after): add its two numbers; an int p means p on each side.",
            detect=lambda case, got: not isinstance(case.args[4], int) and isinstance(got, Raised)
            and isinstance(got.error, TypeError)),
    Mistake("a float, not an int",
            "an output size is a whole number of windows: use integer division `//` (and return an int), "
            "not `/`.",
            detect=lambda case, got: isinstance(got, (float, np.floating))),
    Mistake("same ignores the stride",
            "with pad_mode='same' MindSpore pads so that the output has ceil(size / stride) positions: the "
            "stride still divides the size.",
            wrong=_size_rule(same_rule="size")),
    Mistake("same padding as kernel // 2",
            "pad_mode='same' is not 'pad kernel // 2 on each side' (that only works for odd kernels): "
            "MindSpore's rule is simply ceil(size / stride), whatever the kernel.",
            wrong=_size_rule(same_rule="half kernel")),
    Mistake("span without dilation",
            "a dilated kernel spans dilation * (kernel - 1) + 1 pixels (a 3-tap kernel with dilation 2 "
            "covers 5): use that span instead of the kernel size.",
            wrong=_size_rule(span="kernel")),
    Mistake("dilated span as dilation * kernel",
            "dilation spreads the kernel's taps, not its ends: the span is dilation * (kernel - 1) + 1, "
            "not dilation * kernel.",
            wrong=_size_rule(span="d*k")),
    Mistake("padding counted once",
            "padding is added on BOTH sides: an int p adds 2p to the size (a pair (before, after) adds "
            "before + after).",
            wrong=_size_rule(pads="once")),
    Mistake("ceil instead of floor",
            "for 'valid' and 'pad', a window that would stick out past the end is dropped: round the division "
            "DOWN, floor((size + pads - span) / stride) + 1.",
            wrong=_size_rule(ceil=True)),
    Mistake("missing + 1",
            "count the first window too: floor((size + pads - span) / stride) + 1. A kernel as wide as the "
            "input still gives one position.",
            wrong=_size_rule(plus_one=False)),
    Mistake("kernel not minus 1",
            "the kernel covers span = dilation * (kernel - 1) + 1 pixels, so the windows fit in "
            "size + pads - span + 1 places at stride 1 (you subtracted one pixel too many or too few).",
            wrong=_size_rule(minus_one=False)),
]


@exercise(reference=reference_conv_output_size,
          forbidden=[nn_ops.output_size, nn_ops.same_padding, nn_ops.resolve_padding])
def check_conv_output_size(conv_output_size: Any, hidden: bool = False) -> None:
    """Exercise 08.1: conv_output_size(size, kernel, stride, pad_mode, padding, dilation) -> int, MindSpore's rule."""
    run_check("08.1", "conv_output_size", conv_output_size, _output_size_cases(hidden),
              reference=reference_conv_output_size, mistakes=CONV_OUTPUT_SIZE_MISTAKES, same=_same_int,
              match=_same_int, explain=EXPLAIN)


# ----- 08.2 im2col --------------------------------------------------------------------------------------
def _grid(xp_shape: tuple, kernel: tuple[int, int], stride: int, dilation: int) -> tuple[int, int]:
    return tuple(nn_ops.output_size(xp_shape[2 + i], kernel[i], stride, dilation, 0, 0) for i in (0, 1))


def reference_im2col(xp: np.ndarray, kernel: tuple[int, int], stride: int = 1, dilation: int = 1) -> np.ndarray:
    """Every window of xp (N, C, Hp, Wp) as a column: (N, C*kh*kw, Ho*Wo), rows (c, p, q), columns (i, j)."""
    kernel = _pair(kernel)
    grid = _grid(xp.shape, kernel, stride, dilation)
    return np.ascontiguousarray(nn_ops.im2col(xp, kernel, (stride, stride), (dilation, dilation), grid))


def _im2col_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 2)
    plans = [((1, 1, 4, 4), (2, 2), 1, 1, np.float32), ((1, 2, 4, 5), (2, 3), 1, 1, np.float32),
             ((2, 3, 5, 5), (3, 3), 1, 1, np.float32), ((1, 1, 7, 6), (3, 2), 2, 1, np.float32),
             ((2, 2, 7, 7), (3, 3), 1, 2, np.float32), ((1, 2, 8, 9), (2, 2), 3, 1, np.float64)]
    if hidden:
        plans = [((1, 3, 5, 4), (2, 2), 1, 1, np.float32), ((2, 1, 6, 8), (3, 2), 1, 1, np.float32),
                 ((1, 2, 9, 9), (3, 3), 2, 2, np.float32), ((3, 2, 5, 7), (1, 3), 2, 1, np.float64),
                 ((1, 1, 10, 8), (2, 3), 3, 2, np.float32)]
    cases = []
    for shape, kernel, stride, dilation, dtype in plans:
        xp = np.arange(np.prod(shape), dtype=dtype).reshape(shape) if not cases else (
            rng.integers(-9, 10, shape).astype(dtype))
        cases.append(Case((xp, kernel, stride, dilation)))
    return cases


def _im2col_loops(order: str = "channel", columns: str = "rows", stride_used: bool = True,
                  dilation_used: bool = True, swap_kernel: bool = False, plus_one: bool = True,
                  dtype: Any = None):
    """A learner-style im2col with loops, right or wrong in one way each."""
    def im2col(xp, kernel, stride=1, dilation=1):
        kh, kw = kernel[::-1] if swap_kernel else kernel
        s = stride if stride_used else 1
        d = dilation if dilation_used else 1
        n, c, h, w = xp.shape
        ho = (h - d * (kh - 1) - 1) // s + (1 if plus_one else 0)
        wo = (w - d * (kw - 1) - 1) // s + (1 if plus_one else 0)
        cols = np.zeros((n, c * kh * kw, ho * wo), dtype=xp.dtype if dtype is None else dtype)
        for i in range(ho):
            for j in range(wo):
                col = i * wo + j if columns == "rows" else j * ho + i
                patch = xp[:, :, i * s:i * s + d * (kh - 1) + 1:d, j * s:j * s + d * (kw - 1) + 1:d]
                if order == "spatial":
                    patch = patch.transpose(0, 2, 3, 1)
                cols[:, :, col] = patch.reshape(n, -1)
        return cols
    return im2col


def _cs231n_layout(xp, kernel, stride=1, dilation=1):
    cols = reference_im2col(xp, kernel, stride, dilation)
    return cols.transpose(1, 0, 2).reshape(cols.shape[1], -1)


IM2COL_MISTAKES = [
    Mistake("one matrix for the whole batch",
            "keep the batch axis first: the result is (N, C*kh*kw, Ho*Wo), one matrix per image "
            "(cs231n's im2col puts all images side by side in one (C*kh*kw, N*Ho*Wo) matrix).",
            wrong=_cs231n_layout,
            detect=lambda case, got: _is_array(got) and got.ndim == 2),
    Mistake("windows as rows",
            "each WINDOW is a column: the result is (N, C*kh*kw, Ho*Wo), so that weight (O, C*kh*kw) @ cols "
            "works. Yours is transposed, (N, Ho*Wo, C*kh*kw).",
            wrong=lambda xp, kernel, stride=1, dilation=1: reference_im2col(xp, kernel, stride, dilation)
            .transpose(0, 2, 1)),
    Mistake("float64 columns",
            "create the columns with the input's dtype, `np.zeros(..., dtype=xp.dtype)`: np.zeros makes float64 "
            "by default, and then the whole network silently computes in float64.",
            detect=lambda case, got: _is_array(got) and got.dtype == np.float64 and case.args[0].dtype != np.float64),
    Mistake("spatial-major rows",
            "order the rows channel first: row c*kh*kw + p*kw + q holds channel c, kernel tap (p, q), the order "
            "of weight.reshape(O, -1). Yours go tap first, channel last (like a (kh, kw, C) layout).",
            wrong=_im2col_loops(order="spatial")),
    Mistake("windows in column-major order",
            "number the windows row by row: window (i, j) is column i*Wo + j, so that reshaping the product to "
            "(Ho, Wo) puts each value in its place. Yours go down the columns first (j*Ho + i).",
            wrong=_im2col_loops(columns="columns")),
    Mistake("windows one pixel apart",
            "window (i, j) starts at row i*stride and column j*stride: with stride 2 the windows skip every "
            "other position, and there are fewer of them.",
            wrong=_im2col_loops(stride_used=False)),
    Mistake("taps without dilation",
            "with dilation d the kernel's taps are d pixels apart: tap (p, q) of window (i, j) reads "
            "xp[..., i*stride + p*d, j*stride + q*d] (slice with step d).",
            wrong=_im2col_loops(dilation_used=False)),
    Mistake("kernel height and width swapped",
            "kernel is (kh, kw): kh rows (the H axis, 2) and kw columns (the W axis, 3). Yours uses them the "
            "other way round, which only shows with a kernel that is not square.",
            wrong=_im2col_loops(swap_kernel=True)),
    Mistake("one window too few",
            "there are floor((Hp - span) / stride) + 1 window rows (and as many along W): the + 1 counts the "
            "window at position 0.",
            wrong=_im2col_loops(plus_one=False)),
]


@exercise(reference=reference_im2col, forbidden=[nn_ops.im2col, nn_ops._windows])
def check_im2col(im2col: Any, hidden: bool = False) -> None:
    """Exercise 08.2: im2col(xp (N, C, Hp, Wp), (kh, kw), stride, dilation) -> (N, C*kh*kw, Ho*Wo)."""
    run_check("08.2", "im2col", im2col, _im2col_cases(hidden), reference=reference_im2col, mistakes=IM2COL_MISTAKES,
              explain=EXPLAIN)


# ----- 08.3 conv2d --------------------------------------------------------------------------------------
def reference_conv2d(x: np.ndarray, weight: np.ndarray, stride: int = 1, padding: int = 0,
                     dilation: int = 1) -> np.ndarray:
    """Cross-correlation of x (N, C, H, W) with weight (O, C, kh, kw), zero padding on all four sides."""
    out = ops.conv2d(Tensor(x), Tensor(weight), pad_mode="pad", padding=padding, stride=stride, dilation=dilation)
    return out.asnumpy()


@contextlib.contextmanager
def _reference_im2col_in(fn: Any):
    """While checking conv2d or conv2d_backward, the `my_im2col` their code calls is the reference im2col, so
    that an im2col that passes its visible check but not its hidden one costs no points here (no cascade)."""
    namespace = getattr(fn, "__globals__", None)
    if not isinstance(namespace, dict) or "my_im2col" not in namespace:
        yield
        return
    saved = namespace["my_im2col"]
    namespace["my_im2col"] = reference_im2col
    try:
        yield
    finally:
        namespace["my_im2col"] = saved


def _conv_call(fn: Any, case: Case) -> Any:
    """Run conv2d on the case, with the reference im2col as `my_im2col`."""
    with _reference_im2col_in(fn):
        return fn(*case.args, **case.kwargs)


def _conv_cases(hidden: bool, salt: int) -> list[Case]:
    rng = _rng(hidden, salt)
    # (x shape, weight shape, stride, padding, dilation)
    plans = [((1, 1, 5, 5), (1, 1, 3, 3), 1, 0, 1), ((2, 3, 6, 5), (4, 3, 3, 3), 1, 1, 1),
             ((1, 2, 7, 6), (3, 2, 2, 3), 1, 0, 1), ((2, 2, 7, 7), (2, 2, 3, 3), 2, 1, 1),
             ((1, 3, 8, 8), (2, 3, 3, 3), 1, 2, 2), ((2, 1, 9, 7), (3, 1, 3, 2), 3, 0, 1)]
    if hidden:
        plans = [((2, 2, 6, 6), (3, 2, 3, 3), 1, 1, 1), ((1, 3, 5, 8), (2, 3, 2, 2), 2, 0, 1),
                 ((3, 1, 8, 7), (2, 1, 3, 3), 1, 0, 2), ((1, 2, 9, 9), (4, 2, 3, 2), 2, 2, 1),
                 ((2, 3, 7, 6), (1, 3, 1, 1), 1, 0, 1)]
    cases = []
    for x_shape, w_shape, stride, padding, dilation in plans:
        x = rng.standard_normal(x_shape).astype(np.float32)
        w = rng.standard_normal(w_shape).astype(np.float32)
        cases.append(Case((x, w, stride, padding, dilation)))
    return cases


def _padded(x: np.ndarray, padding: int) -> np.ndarray:
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))


def _conv_variant(flip: bool = False, weight_order: str = "channel", transpose_out: bool = True,
                  pad: str = "right", stride_used: bool = True, dilation_used: bool = True,
                  swap_hw: bool = False):
    """A learner-style conv2d via im2col, right or wrong in one way each (on the reference im2col)."""
    def conv2d(x, weight, stride=1, padding=0, dilation=1):
        s = stride if stride_used else 1
        d = dilation if dilation_used else 1
        if pad == "all axes":
            xp = np.pad(x, padding)
        elif pad == "none":
            xp = x
        else:
            xp = _padded(x, padding)
        w = weight[:, :, ::-1, ::-1] if flip else weight
        o, _, kh, kw = w.shape
        cols = reference_im2col(xp, (kh, kw), s, d)
        ho, wo = _grid(xp.shape, (kh, kw), s, d)
        w_mat = w.transpose(0, 2, 3, 1).reshape(o, -1) if weight_order == "spatial" else w.reshape(o, -1)
        out = w_mat @ cols  # (N, O, L)
        if not transpose_out:
            out = cols.transpose(0, 2, 1) @ w_mat.T  # (N, L, O), then reshaped as if it were (N, O, L)
        return out.reshape(x.shape[0], o, *((wo, ho) if swap_hw else (ho, wo)))
    return conv2d


CONV2D_MISTAKES = [
    Mistake("np.pad on all four axes",
            "`np.pad(x, p)` pads EVERY axis, also the batch and the channels: pad only H and W, "
            "`np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))`.",
            wrong=_conv_variant(pad="all axes")),
    Mistake("no padding",
            "pad x with `padding` zeros on all four sides (top, bottom, left, right) before im2col.",
            wrong=_conv_variant(pad="none")),
    Mistake("kernel flipped",
            "do not flip the kernel: MindSpore's Conv2d (like every deep-learning library) computes a "
            "cross-correlation, out[i, j] = sum of x[i + p, j + q] * w[p, q]. Flipping it is the textbook "
            "convolution, and a network would simply learn flipped filters.",
            wrong=_conv_variant(flip=True)),
    Mistake("weight flattened spatial-major",
            "flatten the weight in the same order as the im2col rows, channel first: `weight.reshape(O, -1)` "
            "on (O, C, kh, kw). Moving the channel axis last mixes up which weight meets which pixel.",
            wrong=_conv_variant(weight_order="spatial")),
    Mistake("(N, Ho*Wo, O) reshaped as (N, O, Ho, Wo)",
            "`cols^T @ W^T` gives (N, Ho*Wo, O), with the channels LAST: reshaping it straight to "
            "(N, O, Ho, Wo) scrambles the channels. Compute `weight_matrix @ cols` -> (N, O, Ho*Wo) instead "
            "(or transpose before reshaping).",
            wrong=_conv_variant(transpose_out=False)),
    Mistake("stride not passed to im2col",
            "pass the stride on to im2col: with stride 2 the output is about half as large.",
            wrong=_conv_variant(stride_used=False)),
    Mistake("dilation not passed to im2col",
            "pass the dilation on to im2col: it spreads the kernel's taps over the input.",
            wrong=_conv_variant(dilation_used=False)),
    Mistake("Ho and Wo swapped",
            "reshape the product to (N, O, Ho, Wo): height first. With a non-square output the two differ.",
            wrong=_conv_variant(swap_hw=True)),
    Mistake("float64 output",
            "keep the input's dtype (float32): zeros made with np.zeros default to float64; pass dtype=x.dtype.",
            detect=lambda case, got: _is_array(got) and got.dtype == np.float64),
]


@exercise(reference=reference_conv2d, forbidden=[nn_ops.convolution, nn_ops.conv2d, nn.Conv2d])
def check_conv2d(conv2d: Any, hidden: bool = False) -> None:
    """Exercise 08.3: conv2d(x (N, C, H, W), weight (O, C, kh, kw), stride, padding, dilation) -> (N, O, Ho, Wo)."""
    run_check("08.3", "conv2d", conv2d, _conv_cases(hidden, 3), reference=reference_conv2d,
              mistakes=CONV2D_MISTAKES, call=_conv_call, same=_close, match=_close, explain=EXPLAIN)


# ----- 08.4 conv2d_backward ---------------------------------------------------------------------------------
def reference_conv2d_backward(x: np.ndarray, weight: np.ndarray, grad_out: np.ndarray, stride: int = 1,
                              padding: int = 0, dilation: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(dx, dw): the gradients of sum(conv2d(x, weight) * grad_out), by the engine's autodiff."""
    g = Tensor(grad_out)

    def loss(x_, w_):
        out = ops.conv2d(x_, w_, pad_mode="pad", padding=padding, stride=stride, dilation=dilation)
        return (out * g).sum()

    dx, dw = ms.grad(loss, grad_position=(0, 1))(Tensor(x), Tensor(weight))
    return dx.asnumpy(), dw.asnumpy()


def _backward_cases(hidden: bool) -> list[Case]:
    rng, cases = _rng(hidden, 6), []
    for case in _conv_cases(hidden, 4):
        x, w, stride, padding, dilation = case.args
        shape = reference_conv2d(x, w, stride, padding, dilation).shape
        g = rng.standard_normal(shape).astype(np.float32)
        cases.append(Case((x, w, g, stride, padding, dilation)))
    return cases


def _backward_call(fn: Any, case: Case) -> Any:
    """Run the answer (run_check gives it copies and names any input it changes) with the reference im2col as
    `my_im2col`; a list [dx, dw] counts as the tuple (dx, dw)."""
    with _reference_im2col_in(fn):
        result = fn(*case.args)
    return tuple(result) if isinstance(result, list) else result


def _col2im_loops(cols, xp_shape, kernel, stride, dilation, grid, accumulate=True):
    """A learner-style col2im: each column entry back onto the pixel it came from."""
    n, c = xp_shape[:2]
    kh, kw = kernel
    ho, wo = grid
    out = np.zeros(xp_shape, dtype=cols.dtype)
    patches = cols.reshape(n, c, kh, kw, ho, wo)
    for i in range(ho):
        for j in range(wo):
            rows = slice(i * stride, i * stride + dilation * (kh - 1) + 1, dilation)
            columns = slice(j * stride, j * stride + dilation * (kw - 1) + 1, dilation)
            if accumulate:
                out[:, :, rows, columns] += patches[..., i, j]
            else:
                out[:, :, rows, columns] = patches[..., i, j]
    return out


def _backward_variant(accumulate: bool = True, batch: str = "sum", unpad: bool = True, swap: bool = False,
                      col2im_stride: bool = True, col2im_dilation: bool = True, untransposed: bool = False):
    """A learner-style conv2d_backward via im2col and col2im, right or wrong in one way each."""
    def conv2d_backward(x, weight, grad_out, stride=1, padding=0, dilation=1):
        xp = _padded(x, padding)
        o, c, kh, kw = weight.shape
        n, _, ho, wo = grad_out.shape
        cols = reference_im2col(xp, (kh, kw), stride, dilation)       # (N, K, L)
        g = grad_out.reshape(n, o, ho * wo)                            # (N, O, L)
        dw_each = g @ cols.transpose(0, 2, 1)                          # (N, O, K)
        dw = {"sum": dw_each.sum(axis=0), "mean": dw_each.mean(axis=0), "each": dw_each}[batch]
        dw = dw.reshape(*dw.shape[:-1], c, kh, kw)
        w_mat = weight.reshape(o, -1)
        dcols = (w_mat @ g) if untransposed else (w_mat.T @ g)         # (N, K, L)
        dxp = _col2im_loops(dcols, xp.shape, (kh, kw), stride if col2im_stride else 1,
                            dilation if col2im_dilation else 1, (ho, wo), accumulate)
        dx = dxp[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]] if unpad else dxp
        return (dw, dx) if swap else (dx, dw)
    return conv2d_backward


def _swapped(case: Case, got: Any) -> bool:
    x, w = case.args[:2]
    return (isinstance(got, tuple) and len(got) == 2 and all(_is_array(g) for g in got)
            and got[0].shape == w.shape and got[1].shape == x.shape and x.shape != w.shape)


CONV2D_BACKWARD_MISTAKES = [
    Mistake("(dw, dx) instead of (dx, dw)", "return the input's gradient first: `return dx, dw`.",
            detect=_swapped),
    Mistake("W instead of W^T for the columns",
            "the forward pass was out = W @ cols, so the gradient of the columns is W^T @ grad: "
            "(C*kh*kw, O) @ (N, O, Ho*Wo) -> (N, C*kh*kw, Ho*Wo).",
            wrong=_backward_variant(untransposed=True)),
    Mistake("dw not summed over the batch",
            "every image uses the same weight, so dw is the SUM over the batch of each image's contribution: "
            "(O, C, kh, kw), like the weight (sum the (N, O, ...) products over axis 0).",
            wrong=_backward_variant(batch="each")),
    Mistake("dw averaged over the batch",
            "sum dw over the images, do not average: grad_out already carries the loss's 1/N if the loss is a "
            "mean, and dividing again makes the gradient N times too small.",
            wrong=_backward_variant(batch="mean")),
    Mistake("dx still padded",
            "col2im gives the gradient of the PADDED input: cut the padding off, "
            "`dxp[:, :, p:p + H, p:p + W]`, so dx has x's shape.",
            wrong=_backward_variant(unpad=False)),
    Mistake("col2im overwrites overlapping windows",
            "where windows overlap (stride smaller than the kernel), a pixel was read by several windows: ADD "
            "every window's contribution (`+=`), do not overwrite it. col2im is the adjoint of im2col: copies "
            "become sums.",
            wrong=_backward_variant(accumulate=False)),
    Mistake("col2im without the stride",
            "window (i, j) was read at row i*stride, column j*stride: col2im must add it back at the same place.",
            wrong=_backward_variant(col2im_stride=False)),
    Mistake("col2im without the dilation",
            "tap (p, q) was read at offset (p*dilation, q*dilation): col2im must write it back there, with the "
            "same slice step as im2col.",
            wrong=_backward_variant(col2im_dilation=False)),
]


@exercise(reference=reference_conv2d_backward,
          forbidden=[rule_of(nn_ops.convolution), nn_ops.col2im, autodiff.backpropagate, autodiff.grad,
                     autodiff.value_and_grad, autodiff.GradOperation])
def check_conv2d_backward(conv2d_backward: Any, hidden: bool = False) -> None:
    """Exercise 08.4: conv2d_backward(x, weight, grad_out, stride, padding, dilation) -> (dx, dw)."""
    run_check("08.4", "conv2d_backward", conv2d_backward, _backward_cases(hidden),
              reference=reference_conv2d_backward, mistakes=CONV2D_BACKWARD_MISTAKES, call=_backward_call,
              same=_close, match=_close, explain=EXPLAIN)


# ----- 08.5 MaxPool2d ---------------------------------------------------------------------------------------
class ReferenceMaxPool2d:
    """Max pooling with MindSpore's semantics (valid padding): forward by `ops.max_pool2d`, backward by autodiff
    (each window's gradient goes to its first maximum in row-major order; overlapping windows add up)."""

    def __init__(self, kernel_size: Any, stride: Any) -> None:
        self.kernel = _pair(kernel_size)
        self.stride = _pair(stride)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return ops.max_pool2d(Tensor(x), self.kernel, self.stride).asnumpy()

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        g = Tensor(grad_out)
        return ms.grad(lambda t: (ops.max_pool2d(t, self.kernel, self.stride) * g).sum())(Tensor(self.x)).asnumpy()


def _pool_call(cls: Any, case: Case) -> tuple:
    """Build the pool, run forward on x, then backward on grad_out: (out, dx). Changing x or grad_out in
    place is a failure that names the array (the layer below still needs its input)."""
    x, kernel, stride, grad_out = case.args
    x_before, g_before = x.copy(), grad_out.copy()
    pool = cls(kernel, stride)
    out = pool.forward(x)
    dx = pool.backward(grad_out)
    for name, before, after in (("x", x_before, x), ("grad_out", g_before, grad_out)):
        if not np.array_equal(before, after):
            raise ModifiedInput(name)
    return out, dx


def _pool_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 5)
    # (x shape, kernel, stride, ties): ties -> small integers, so windows often hold two equal maxima
    plans = [((1, 1, 4, 4), 2, 2, False), ((2, 3, 6, 6), 2, 2, False), ((1, 2, 5, 5), 2, 2, False),
             ((1, 1, 5, 5), 3, 1, False), ((2, 2, 6, 7), (2, 3), (2, 3), False), ((1, 2, 6, 6), 2, 2, True),
             ((1, 1, 7, 7), 3, 2, True)]
    if hidden:
        plans = [((2, 1, 6, 6), 3, 3, False), ((1, 3, 7, 5), 2, 2, False), ((1, 2, 6, 6), 3, (1, 2), False),
                 ((2, 2, 8, 6), (3, 2), (3, 2), False), ((1, 2, 6, 8), 2, 2, True), ((1, 1, 6, 6), 2, 1, True)]
    cases = []
    for shape, kernel, stride, ties in plans:
        if ties:
            x = rng.integers(0, 3, shape).astype(np.float32)
        else:
            x = (rng.permutation(np.prod(shape)).reshape(shape) - np.prod(shape) // 2).astype(np.float32) / 10
        ref = ReferenceMaxPool2d(kernel, stride)
        g = rng.integers(1, 10, ref.forward(x).shape).astype(np.float32)  # distinct-ish, positive
        cases.append(Case((x, kernel, stride, g), note="windows with tied maxima" if ties else ""))
    return cases


def _describe_pool(case: Case) -> str:
    from tinyspore_grader.summary import describe

    x, kernel, stride, g = case.args
    return (f"MaxPool2d(kernel_size={kernel}, stride={stride}); forward(x {describe(x)}); "
            f"backward(grad_out {describe(g)})  [expected/got = (forward's output, backward's dx)]")


class _LoopPool:
    """A learner-style max pool with loops over windows, right or wrong in one way each (class attributes)."""

    route = "first"        # "first": the first maximum; "ties": every tied maximum; "all": the whole window
    accumulate = True
    use_stride = True
    divide = False
    unravel_by = "kw"
    ceil = False

    def __init__(self, kernel_size, stride):
        self.kernel = _pair(kernel_size)
        self.stride = _pair(stride) if self.use_stride else self.kernel

    def _windows(self, h, w):
        (kh, kw), (sh, sw) = self.kernel, self.stride
        rounding = math.ceil if self.ceil else math.floor
        ho, wo = rounding((h - kh) / sh) + 1, rounding((w - kw) / sw) + 1
        return ho, wo

    def forward(self, x):
        self.x = x
        n, c, h, w = x.shape
        (kh, kw), (sh, sw) = self.kernel, self.stride
        ho, wo = self._windows(h, w)
        out = np.zeros((n, c, ho, wo), dtype=x.dtype)
        for i in range(ho):
            for j in range(wo):
                out[:, :, i, j] = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].max(axis=(2, 3))
        return out

    def backward(self, grad_out):
        x = self.x
        n, c, ho, wo = grad_out.shape
        (kh, kw), (sh, sw) = self.kernel, self.stride
        dx = np.zeros_like(x)
        for a in range(n):
            for b in range(c):
                for i in range(ho):
                    for j in range(wo):
                        window = x[a, b, i * sh:i * sh + kh, j * sw:j * sw + kw]
                        g = grad_out[a, b, i, j] / (kh * kw if self.divide else 1)
                        if self.route == "all":
                            share = np.full(window.shape, g, dtype=x.dtype)
                        elif self.route == "ties":
                            share = np.where(window == window.max(), g, 0).astype(x.dtype)
                        else:
                            k = int(np.argmax(window))
                            width = kw if self.unravel_by == "kw" else kh
                            share = np.zeros(window.shape, dtype=x.dtype)
                            share[k // width % window.shape[0], k % width % window.shape[1]] = g
                        target = dx[a, b, i * sh:i * sh + kh, j * sw:j * sw + kw]
                        if self.accumulate:
                            target += share
                        else:
                            target[share != 0] = share[share != 0]
        return dx


def _pool_mistake(**attributes: Any) -> type:
    return type("MaxPool2d", (_LoopPool,), attributes)


MAX_POOL2D_MISTAKES = [
    Mistake("gradient to every entry of the window",
            "only the window's maximum influenced the output, so only it gets the gradient: the other entries "
            "of the window get 0 (spreading g over the window is average pooling's backward).",
            wrong=_pool_mistake(route="all")),
    Mistake("gradient averaged over the window",
            "max pooling passes g to the maximum unchanged: do not divide it by the window size.",
            wrong=_pool_mistake(divide=True)),
    Mistake("gradient to every tied maximum",
            "when a window holds its maximum twice, give the gradient to the FIRST one only (row-major order, "
            "what np.argmax on the flattened window returns), as MindSpore does: a mask `window == max` "
            "hands it to all of them and the gradient grows.",
            wrong=_pool_mistake(route="ties")),
    Mistake("overlapping windows overwrite",
            "when windows overlap (stride smaller than the kernel), one pixel can be the maximum of several "
            "windows: ADD their gradients (`dx[...] += g`), do not overwrite.",
            wrong=_pool_mistake(accumulate=False)),
    Mistake("stride taken as the kernel size",
            "use the stride you are given: window (i, j) starts at (i*stride_h, j*stride_w). MindSpore's "
            "MaxPool2d does not default to stride = kernel_size (PyTorch does).",
            wrong=_pool_mistake(use_stride=False)),
    Mistake("argmax unraveled with the wrong width",
            "np.argmax on a flattened (kh, kw) window returns k = p*kw + q: the row is k // kw and the column "
            "k % kw (or use np.unravel_index(k, (kh, kw))).",
            wrong=_pool_mistake(unravel_by="kh")),
    Mistake("partial windows kept",
            "windows must fit inside the input: floor((H - kh) / stride) + 1 rows of windows (pad_mode='valid'); "
            "the leftover rows and columns at the end are not pooled.",
            wrong=_pool_mistake(ceil=True)),
    Mistake("backward returns the output's shape",
            "backward returns dx, the gradient of the INPUT: same shape as the x given to forward "
            "(N, C, H, W), zero except at each window's maximum.",
            detect=lambda case, got: isinstance(got, tuple) and len(got) == 2 and _is_array(got[1])
            and got[1].shape == case.args[3].shape != case.args[0].shape),
]


@exercise(reference=ReferenceMaxPool2d,
          forbidden=[nn_ops.max_pool, nn_ops.max_pool2d, nn.MaxPool2d, nn_ops.max_pool_indices])
def check_MaxPool2d(MaxPool2d: Any, hidden: bool = False) -> None:  # noqa: N802, N803 - the class's name
    """Exercise 08.5: MaxPool2d(kernel_size, stride) with forward(x) -> out and backward(grad_out) -> dx."""
    run_check("08.5", "MaxPool2d", MaxPool2d, _pool_cases(hidden), reference=ReferenceMaxPool2d,
              mistakes=MAX_POOL2D_MISTAKES, call=_pool_call, same=_close, match=_close,
              describe_case=_describe_pool, explain=EXPLAIN)


reference_max_pool2d = ReferenceMaxPool2d
