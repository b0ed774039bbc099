# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 08: A convolutional network
#
# The seed tutorial ends with a promise: leave the beginners' village and build a **convolutional neural
# network** (CNN) for image classification. Here it is.
#
# The MLP of chapter 06 read handwritten digits as 64 unrelated numbers: it would learn just as well if the
# pixels were shuffled, because nothing in a `Dense` layer knows which pixels are neighbours. A
# **convolution** does: it slides one small filter over the whole image, so the same few weights look for
# the same pattern (an edge, a stroke end) everywhere. In the factory picture, it is a production-line station
# that runs one small stamping tool over every part of the raw material.
#
# In this chapter you will:
# - compute a convolution with loops, the way everyone first imagines it, and see it is slow;
# - work out how large the output is for every padding mode (**Exercise 08.1**);
# - lay every window out as a column, **im2col** (**Exercise 08.2**), and turn the convolution into one
#   matrix product (**Exercise 08.3**), then measure the speed-up;
# - derive the backward pass, where **col2im** undoes im2col (**Exercise 08.4**);
# - write max pooling, forward and backward (**Exercise 08.5**);
# - train a LeNet-style network with `Model.train` and look inside it: its filters, its feature maps, its
#   mistakes.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split

import tinyspore as ms
from tinyspore import Tensor, nn, ops
from tinyspore.dataset import NumpySlicesDataset, load_digits
from tinyspore.ops import nn_ops
from tinyspore.ops.primitives import primitive
from tinyspore.train import Callback, Model
from tinyspore_grader import pick
from tinyspore_grader.checks.ch08_cnn import (
    check_conv2d,
    check_conv2d_backward,
    check_conv_output_size,
    check_im2col,
    check_MaxPool2d,
)

ms.set_seed(0)
rng = np.random.default_rng(0)
np.set_printoptions(precision=3, suppress=True)

# %% [markdown]
# ## 1. Images as tensors: N, C, H, W
#
# MindSpore stores a batch of images as a 4-D tensor of shape **(N, C, H, W)**: N images, C channels (1 for
# gray, 3 for colour), H rows and W columns. Our digits are scikit-learn's 1,797 gray images of 8×8 pixels,
# with the same train/test split as chapter 06:

# %%
images, labels = load_digits()                     # (1797, 8, 8) float32 in [0, 1], (1797,) int32
x_all = images[:, None]                            # add the channel axis: (1797, 1, 8, 8)
x_train, x_test, y_train, y_test = train_test_split(x_all, labels, test_size=0.25, random_state=0,
                                                    stratify=labels)
print("train", x_train.shape, x_train.dtype, "  test", x_test.shape, "  labels", y_train[:10])

# %% [markdown]
# ## 2. Convolution, as you first imagine it
#
# A convolution layer has a weight of shape **(O, C, kh, kw)**: O filters, each with one kh×kw kernel per
# input channel. Output channel `o` at position `(i, j)` is the filter `o` laid on the window of the input
# whose top-left corner is `(i, j)`, multiplied element by element and summed:
#
# $$\text{out}[n, o, i, j] = \sum_{c, p, q} x[n, c, i + p, j + q] \cdot w[o, c, p, q]$$
#
# (Mathematicians would flip the kernel first and call this a *cross-correlation*; every deep-learning
# library, MindSpore included, computes exactly this and calls it convolution.) Four nested loops:

# %%
def conv2d_loops(x, weight):
    """out[n, o, i, j] = sum of x[n, :, i:i+kh, j:j+kw] * weight[o]: no padding, stride 1."""
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    out = np.zeros((n, o, h - kh + 1, w - kw + 1), dtype=x.dtype)
    for b in range(n):
        for k in range(o):
            for i in range(h - kh + 1):
                for j in range(w - kw + 1):
                    out[b, k, i, j] = np.sum(x[b, :, i:i + kh, j:j + kw] * weight[k])
    return out


# Two hand-made filters: one responds to vertical edges (blank on the left, ink on the right), one to horizontal.
edges = np.array([[[[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]],
                  [[[-1, -1, -1], [0, 0, 0], [1, 1, 1]]]], dtype=np.float32)   # (O=2, C=1, 3, 3)
digit = x_train[:1]                                                             # one image, (1, 1, 8, 8)
maps = conv2d_loops(digit, edges)
engine = ops.conv2d(Tensor(digit), Tensor(edges), pad_mode="valid").asnumpy()
print("loops:", maps.shape, "  the engine's ops.conv2d agrees:", np.allclose(maps, engine, atol=1e-6))

# %%
fig, axes = plt.subplots(1, 5, figsize=(10, 2.3))
axes[0].imshow(digit[0, 0], cmap="gray_r")
axes[0].set_title(f"a {y_train[0]}", fontsize=9)
panels = [(edges[0, 0], "vertical-edge filter"), (maps[0, 0], "its map"),
          (edges[1, 0], "horizontal-edge filter"), (maps[0, 1], "its map")]
for ax, (picture, title) in zip(axes[1:], panels):
    bound = np.abs(picture).max()
    ax.imshow(picture, cmap="RdBu_r", vmin=-bound, vmax=bound)
    ax.set_title(title, fontsize=9)
for ax in axes:
    ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# Each map is 6×6: a 3×3 window fits in 6 positions along each axis of an 8×8 image. Red is where the
# pattern is present, blue where its opposite is. A trained network learns its filters instead of us
# drawing them.

# %% [markdown]
# ## 3. How big is the output?
#
# Four knobs decide the output size along each axis:
# - **stride** `s`: the window moves `s` pixels at a time;
# - **dilation** `d`: the kernel's taps are `d` pixels apart, so a kernel of size `k` spans
#   `span = d·(k − 1) + 1` pixels (a 3-tap kernel with dilation 2 covers 5);
# - **padding** and MindSpore's **pad_mode**:
#   - `'valid'`: no padding; only windows that fit entirely: `floor((size − span) / s) + 1`;
#   - `'pad'`: `padding` zeros on each side (an int `p` on both sides, or a pair `(before, after)`), then the
#     same rule: `floor((size + before + after − span) / s) + 1`;
#   - `'same'`: MindSpore pads just enough for `ceil(size / s)` positions, whatever the kernel (the extra
#     pixel of an odd total goes at the end). `nn.Conv2d` uses `'same'` by default.
#
# MindSpore's `nn.Conv2d` follows exactly these rules:

# %%
for mode, padding, stride, dilation in [("valid", 0, 1, 1), ("valid", 0, 2, 1), ("same", 0, 2, 1),
                                        ("pad", 1, 2, 1), ("valid", 0, 1, 2)]:
    layer = nn.Conv2d(1, 1, 3, stride=stride, pad_mode=mode, padding=padding, dilation=dilation)
    print(f"9x9 input, 3x3 kernel, pad_mode={mode!r:8} padding={padding} stride={stride} dilation={dilation}"
          f" -> {layer(Tensor(np.zeros((1, 1, 9, 9), np.float32))).shape[2:]}")

# %% [markdown]
# ### Exercise 08.1: conv_output_size (2 points)
#
# Write `conv_output_size(size, kernel, stride=1, pad_mode="valid", padding=0, dilation=1)`: the number of
# output positions along one axis, as a Python int, with MindSpore's rules above. `padding` is only used with
# `pad_mode="pad"`: an int (the same on both sides) or a pair `(before, after)`.
#
# Raise a `ValueError` for a `pad_mode` other than `'same'`, `'valid'`, `'pad'` (spelled exactly so, as
# MindSpore's `Conv2D` wants), and, with `'valid'` or `'pad'`, when the kernel's span is larger than the
# (padded) input, where no window fits at all. Examples: `conv_output_size(8, 3)` is 6; `conv_output_size(9, 3, 2, "same")` is 5;
# `conv_output_size(11, 3, 2, "pad", (1, 2), 2)` is 5.

# %% nbgrader={"grade": false, "grade_id": "conv_output_size", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_output_size(size, kernel, stride=1, pad_mode="valid", padding=0, dilation=1):
    """Exercise 08.1. Output positions along one axis of a convolution (MindSpore's pad_mode rules), an int.

    size, kernel, stride, dilation: positive ints; pad_mode: 'same', 'valid' or 'pad';
    padding (pad_mode='pad' only): int p (p on both sides) or a pair (before, after).
    """
    ### BEGIN SOLUTION
    if pad_mode not in ("same", "valid", "pad"):
        raise ValueError(f"pad_mode must be 'same', 'valid' or 'pad', got {pad_mode!r}")
    if pad_mode == "same":
        return -(-size // stride)
    before, after = (0, 0) if pad_mode == "valid" else (
        (padding, padding) if isinstance(padding, int) else padding)
    span = dilation * (kernel - 1) + 1
    if span > size + before + after:
        raise ValueError(f"the kernel spans {span} pixels but the padded input has {size + before + after}")
    return (size + before + after - span) // stride + 1
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv_output_size_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_conv_output_size(conv_output_size)
### BEGIN HIDDEN TESTS
check_conv_output_size(conv_output_size, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. im2col: every window as a column
#
# The loops above call NumPy once per output value: `N·O·Ho·Wo` small calls, each paying Python's overhead
# for a handful of multiplications. The trick every fast CPU implementation uses is to **copy every window
# into a column** of one matrix, **im2col** ("image to columns"):
#
# - for an input `xp` of shape (N, C, Hp, Wp) (already padded), `cols` has shape **(N, C·kh·kw, Ho·Wo)**;
# - column `i·Wo + j` (windows numbered row by row) holds the window at output position `(i, j)`;
# - its rows are ordered **channel first, then kernel row, then kernel column**: row `c·kh·kw + p·kw + q`
#   holds `xp[n, c, i·s + p·d, j·s + q·d]`. That is the order of `weight.reshape(O, C·kh·kw)`, so that
#   the weight matrix times the columns is the convolution.
#
# A tiny example: a 4×4 image of the numbers 0 to 15 and a 2×2 kernel give 9 windows of 4 pixels:

# %%
tiny = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
print(tiny[0, 0])
print("im2col with a 2x2 kernel ->", check_im2col.reference(tiny, (2, 2)).shape)
print(check_im2col.reference(tiny, (2, 2))[0])

# %% [markdown]
# Column 0 is the top-left window `[0, 1, 4, 5]`, column 1 the window one step to the right. Pixels appear
# in several columns where windows overlap: im2col trades memory (here 36 values for 16) for speed.
#
# ### Exercise 08.2: im2col (3 points)
#
# Write `im2col(xp, kernel, stride=1, dilation=1)`: `xp` is an (N, C, Hp, Wp) array (padding, if any, is
# already there), `kernel` the pair `(kh, kw)`, `stride` and `dilation` ints. Return the (N, C·kh·kw, Ho·Wo)
# array described above, with `xp`'s dtype. Loops over the output positions `(i, j)` (or over the kernel taps
# `(p, q)`) are fine: each step copies a whole slice for all images and channels at once.
#
# The check tries square and non-square kernels, strides 1 to 3, dilation 2, several images and channels,
# float32 and float64.

# %% nbgrader={"grade": false, "grade_id": "im2col", "locked": false, "schema_version": 3, "solution": true, "task": false}
def im2col(xp, kernel, stride=1, dilation=1):
    """Exercise 08.2. Every window of xp (N, C, Hp, Wp) as a column: (N, C*kh*kw, Ho*Wo), dtype of xp.

    kernel: (kh, kw); stride, dilation: ints. Row c*kh*kw + p*kw + q of column i*Wo + j holds
    xp[n, c, i*stride + p*dilation, j*stride + q*dilation].
    """
    ### BEGIN SOLUTION
    n, c, hp, wp = xp.shape
    kh, kw = kernel
    ho = (hp - dilation * (kh - 1) - 1) // stride + 1
    wo = (wp - dilation * (kw - 1) - 1) // stride + 1
    cols = np.empty((n, c, kh, kw, ho, wo), dtype=xp.dtype)
    for p in range(kh):
        for q in range(kw):
            top, left = p * dilation, q * dilation
            cols[:, :, p, q] = xp[:, :, top:top + stride * (ho - 1) + 1:stride, left:left + stride * (wo - 1) + 1:stride]
    return cols.reshape(n, c * kh * kw, ho * wo)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "im2col_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check_im2col(im2col)
### BEGIN HIDDEN TESTS
check_im2col(im2col, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. The convolution as one matrix product
#
# With the columns in hand, the convolution is a single matrix product per image:
#
# ```
# weight (O, C, kh, kw) --reshape--> W (O, C·kh·kw)
# cols   (N, C·kh·kw, Ho·Wo)
# W @ cols -> (N, O, Ho·Wo) --reshape--> (N, O, Ho, Wo)
# ```
#
# (`@` on a 2-D and a 3-D array multiplies the matrix with each image's columns: NumPy broadcasts the batch.)
#
# ### Exercise 08.3: conv2d (2 points)
#
# Write `conv2d(x, weight, stride=1, padding=0, dilation=1)` for x (N, C, H, W) and weight (O, C, kh, kw):
# pad H and W with `padding` zeros on every side (MindSpore's `pad_mode='pad'`), take the columns, multiply,
# reshape to (N, O, Ho, Wo). Keep x's dtype. Use `my_im2col`, defined in the next cell: it is your im2col
# once it passes its check, the reference one until then (and the check always runs your conv2d with the
# reference im2col), so this exercise does not depend on the previous one. (Calling `ops.conv2d` or
# `nn.Conv2d` is not an answer: the point is to build them.)

# %%
my_im2col = pick(im2col, check_im2col)

# %% nbgrader={"grade": false, "grade_id": "conv2d", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv2d(x, weight, stride=1, padding=0, dilation=1):
    """Exercise 08.3. Cross-correlation of x (N, C, H, W) with weight (O, C, kh, kw) -> (N, O, Ho, Wo).

    padding: int, zeros on all four sides; stride, dilation: ints. One im2col (`my_im2col`), one matrix product.
    """
    ### BEGIN SOLUTION
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    o, c, kh, kw = weight.shape
    ho = (xp.shape[2] - dilation * (kh - 1) - 1) // stride + 1
    wo = (xp.shape[3] - dilation * (kw - 1) - 1) // stride + 1
    cols = my_im2col(xp, (kh, kw), stride, dilation)
    return (weight.reshape(o, c * kh * kw) @ cols).reshape(x.shape[0], o, ho, wo)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv2d_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_conv2d(conv2d)
### BEGIN HIDDEN TESTS
check_conv2d(conv2d, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Why it is faster: measured
#
# The same convolution three ways, on 128 digits with 8 filters of 3×3: the four loops of section 2, your
# `conv2d` (im2col, then one product), and the engine's `ops.conv2d` (the same idea, with a few more tricks).
# Times depend on the machine and on what else runs on it, so this cell's output is not compared when the
# notebook is replayed (its first line tells nbval so).

# %%
# NBVAL_IGNORE_OUTPUT
my_conv2d = pick(conv2d, check_conv2d)
batch = x_train[:128]
filters = rng.standard_normal((8, 1, 3, 3)).astype(np.float32)


def best_time(fn, repeat=3):
    """The fastest of `repeat` runs of fn(), in seconds (the least disturbed by other programs)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


t_loops = best_time(lambda: conv2d_loops(batch, filters), repeat=1)
t_mine = best_time(lambda: my_conv2d(batch, filters))
t_engine = best_time(lambda: ops.conv2d(Tensor(batch), Tensor(filters), pad_mode="valid"))
print(f"loops     {1000 * t_loops:8.1f} ms")
print(f"im2col    {1000 * t_mine:8.1f} ms   ({t_loops / t_mine:.0f}x faster than the loops)")
print(f"ops.conv2d{1000 * t_engine:8.1f} ms")

# %% [markdown]
# The loops make 128·8·6·6 = 36,864 tiny NumPy calls, and almost all their time is Python's overhead per
# call. im2col makes 9 slice copies (one per kernel tap) and one matrix product, which NumPy hands to BLAS, a
# library tuned to keep the processor's arithmetic units busy. The answers are the same:

# %%
print("same result:", np.allclose(conv2d_loops(batch, filters), my_conv2d(batch, filters), atol=1e-5))

# %% [markdown]
# ## 6. The backward pass: col2im, the adjoint of im2col
#
# A convolution layer needs two gradients from the gradient `g` of its output (N, O, Ho, Wo): `dw` for the
# optimizer and `dx` for the layer below. The forward pass was `out = W @ cols`, a matrix product, and
# chapter 04's rule for `C = A @ B` gives both at once (with `G = g.reshape(N, O, Ho·Wo)`):
#
# - **dW = G @ colsᵀ**, summed over the images (every image used the same weight), reshaped to (O, C, kh, kw);
# - **dcols = Wᵀ @ G**, of shape (N, C·kh·kw, Ho·Wo): the gradient of every entry of the columns.
#
# Then comes the new piece. Each entry of `cols` was a *copy* of one input pixel, and a pixel inside
# overlapping windows was copied several times. The gradient of a copy flows back to the original, and the
# gradients of several copies **add up**. So **col2im** walks the windows like im2col did, but instead of
# reading a window out of the image it *adds* the column back onto it. col2im is the **adjoint** (transpose)
# of im2col: for any image `x` and any columns `c`, `sum(im2col(x) * c) == sum(x * col2im(c))`. Let us test
# that with the engine's two functions:

# %%
xp_test = rng.standard_normal((2, 3, 7, 7))
cols_test = rng.standard_normal((2, 3 * 3 * 3, 3 * 3))
kernel, stride, dilation, grid = (3, 3), (2, 2), (1, 1), (3, 3)
left = np.sum(nn_ops.im2col(xp_test, kernel, stride, dilation, grid) * cols_test)
right = np.sum(xp_test * nn_ops.col2im(cols_test, xp_test.shape, kernel, stride, dilation, grid))
print(f"<im2col(x), c> = {left:.6f}   <x, col2im(c)> = {right:.6f}")

# %% [markdown]
# Finally, if x was padded, the gradient of the padded image has the padding's border too: cut it off.
#
# ### Exercise 08.4: conv2d_backward (3 points)
#
# Write `conv2d_backward(x, weight, grad_out, stride=1, padding=0, dilation=1)`, the backward pass of
# Exercise 08.3's `conv2d(x, weight, stride, padding, dilation)`, for `grad_out` of the output's shape
# (N, O, Ho, Wo). Return the tuple `(dx, dw)`: dx with x's shape, dw with weight's. Write col2im yourself
# (a loop over the output positions or the kernel taps, with `+=`); for the columns of the forward pass use
# `my_im2col`. The check compares both with the engine's autodiff, including strides smaller than the kernel
# (overlapping windows), padding and dilation.

# %% nbgrader={"grade": false, "grade_id": "conv2d_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv2d_backward(x, weight, grad_out, stride=1, padding=0, dilation=1):
    """Exercise 08.4. Gradients (dx, dw) of conv2d(x, weight, stride, padding, dilation) given grad_out.

    x (N, C, H, W), weight (O, C, kh, kw), grad_out (N, O, Ho, Wo) -> dx (N, C, H, W), dw (O, C, kh, kw).
    """
    ### BEGIN SOLUTION
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, c = x.shape[:2]
    o, _, kh, kw = weight.shape
    ho, wo = grad_out.shape[2:]
    cols = my_im2col(xp, (kh, kw), stride, dilation)                  # (N, C*kh*kw, Ho*Wo)
    g = grad_out.reshape(n, o, ho * wo)                                # (N, O, Ho*Wo)
    dw = (g @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(weight.shape)
    dcols = (weight.reshape(o, -1).T @ g).reshape(n, c, kh, kw, ho, wo)
    dxp = np.zeros_like(xp)
    for p in range(kh):                                                # col2im: add every tap back
        for q in range(kw):
            top, left = p * dilation, q * dilation
            dxp[:, :, top:top + stride * (ho - 1) + 1:stride, left:left + stride * (wo - 1) + 1:stride] += dcols[:, :, p, q]
    dx = dxp[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]]
    return dx, dw
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv2d_backward_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check_conv2d_backward(conv2d_backward)
### BEGIN HIDDEN TESTS
check_conv2d_backward(conv2d_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Your backward against the engine's autodiff, and against chapter 04's slow but sure central differences on
# one weight (the loss is `sum(conv2d(x, w) * g)`, whose gradient is exactly what `conv2d_backward` computes):

# %%
my_conv2d_backward = pick(conv2d_backward, check_conv2d_backward)
x_small = rng.standard_normal((2, 2, 6, 6))
w_small = rng.standard_normal((3, 2, 3, 3))
g_small = rng.standard_normal((2, 3, 3, 3))
dx, dw = my_conv2d_backward(x_small, w_small, g_small, stride=2, padding=1)
eps, bumped = 1e-6, w_small.copy()
bumped[1, 0, 2, 1] += eps
slope = (np.sum(my_conv2d(x_small, bumped, 2, 1) * g_small) - np.sum(my_conv2d(x_small, w_small, 2, 1) * g_small)) / eps
print(f"dw[1, 0, 2, 1]: yours {dw[1, 0, 2, 1]:.5f}, finite difference {slope:.5f}")

# %% [markdown]
# ## 7. Max pooling
#
# After a convolution and its ReLU, a **max pooling** layer keeps the largest value of each window:
# `nn.MaxPool2d(kernel_size=2, stride=2)` halves the height and the width, so the next layer sees a coarser
# picture and the network cares less about exactly where a stroke is. (Careful: MindSpore's `MaxPool2d`
# defaults to `stride=1`, not to the kernel size as PyTorch's does; always pass it.)
#
# Its backward is a router: only the maximum of a window influenced the output, so the window's gradient
# goes to that one position and every other entry gets 0. When a window holds its maximum twice (common after
# a ReLU, which makes many zeros), MindSpore gives it to the **first** one in row-major order, which is what
# `np.argmax` on the flattened window returns. When windows overlap, a pixel that is the maximum of several
# windows receives the **sum** of their gradients.

# %%
pool_demo = np.array([[[[1, 3, 2, 0], [4, 2, 1, 5], [0, 0, 7, 7], [2, 1, 7, 3]]]], dtype=np.float32)
pooled = ops.max_pool2d(Tensor(pool_demo), 2, 2)
routed = ms.grad(lambda t: ops.max_pool2d(t, 2, 2).sum())(Tensor(pool_demo))
print(pool_demo[0, 0], "\n-> max pool 2x2, stride 2:\n", pooled.asnumpy()[0, 0])
print("gradient of the sum of the outputs (the bottom-right window has 7 three times):\n", routed.asnumpy()[0, 0])

# %% [markdown]
# ### Exercise 08.5: MaxPool2d (3 points)
#
# Complete the class `MaxPool2d(kernel_size, stride)` (no padding, MindSpore's `pad_mode='valid'`;
# `kernel_size` and `stride` are ints or `(height, width)` pairs, already turned into pairs for you):
# - `forward(x)`: x (N, C, H, W) -> (N, C, Ho, Wo), the maximum of each window, with x's dtype; keep what
#   `backward` will need on `self`;
# - `backward(grad_out)`: grad_out (N, C, Ho, Wo) -> dx of the shape of the last `forward`'s x: each window's
#   gradient added at the position of its first maximum.
#
# The check runs `forward` then `backward` on overlapping and non-overlapping windows, non-square kernels,
# and inputs full of ties.

# %% nbgrader={"grade": false, "grade_id": "MaxPool2d", "locked": false, "schema_version": 3, "solution": true, "task": false}
class MaxPool2d:
    """Exercise 08.5. Max pooling with MindSpore's semantics (valid padding): forward(x) and backward(grad_out)."""

    def __init__(self, kernel_size, stride):
        self.kernel = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        self.stride = (stride, stride) if isinstance(stride, int) else tuple(stride)

    def forward(self, x):
        ### BEGIN SOLUTION
        n, c, h, w = x.shape
        (kh, kw), (sh, sw) = self.kernel, self.stride
        ho, wo = (h - kh) // sh + 1, (w - kw) // sw + 1
        windows = np.empty((n, c, ho, wo, kh * kw), dtype=x.dtype)
        for i in range(ho):
            for j in range(wo):
                windows[:, :, i, j] = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].reshape(n, c, -1)
        self.x_shape = x.shape
        self.argmax = windows.argmax(axis=-1)          # the first maximum of each window, as p * kw + q
        return windows.max(axis=-1)
        ### END SOLUTION

    def backward(self, grad_out):
        ### BEGIN SOLUTION
        kw, (sh, sw) = self.kernel[1], self.stride
        dx = np.zeros(self.x_shape, dtype=grad_out.dtype)
        n, c, ho, wo = grad_out.shape
        images, channels = np.ogrid[:n, :c]
        for i in range(ho):
            for j in range(wo):
                p, q = np.divmod(self.argmax[:, :, i, j], kw)
                dx[images, channels, i * sh + p, j * sw + q] += grad_out[:, :, i, j]
        return dx
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "MaxPool2d_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check_MaxPool2d(MaxPool2d)
### BEGIN HIDDEN TESTS
check_MaxPool2d(MaxPool2d, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 8. A LeNet-style network, trained with `Model.train`
#
# MindSpore's classic quick start trains **LeNet-5** on MNIST: two stages of convolution (5×5, 6 then 16
# filters), ReLU and 2×2 max pooling, then three `Dense` layers (120, 84, 10), on 32×32 images. Our digits
# are 8×8, so we keep LeNet's plan with 3×3 kernels, `'same'` padding (so that the maps stay large enough to
# pool twice) and a few more filters:
#
# | layer | output shape |
# |---|---|
# | input | (N, 1, 8, 8) |
# | Conv2d(1, 16, 3, same) + ReLU, MaxPool2d(2, 2) | (N, 16, 8, 8) → (N, 16, 4, 4) |
# | Conv2d(16, 32, 3, same) + ReLU, MaxPool2d(2, 2) | (N, 32, 4, 4) → (N, 32, 2, 2) |
# | Flatten, Dense(128, 120) + ReLU, Dense(120, 84) + ReLU, Dense(84, 10) | (N, 10) |

# %%
class LeNet(nn.Cell):
    """LeNet-5's plan for 8x8 digits: two conv-ReLU-pool stages, three Dense layers."""

    def __init__(self, num_class=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, pad_mode="same", has_bias=True)
        self.conv2 = nn.Conv2d(16, 32, 3, pad_mode="same", has_bias=True)
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.relu = nn.ReLU()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Dense(32 * 2 * 2, 120)
        self.fc2 = nn.Dense(120, 84)
        self.fc3 = nn.Dense(84, num_class)

    def construct(self, x):
        x = self.pool(self.relu(self.conv1(x)))
        x = self.pool(self.relu(self.conv2(x)))
        x = self.relu(self.fc1(self.flatten(x)))
        x = self.relu(self.fc2(x))
        return self.fc3(x)


ms.set_seed(0)
net = LeNet()
print(net.conv1)
print("parameters:", sum(p.asnumpy().size for p in net.trainable_params()))

# %% [markdown]
# The data goes into MindSpore's dataset pipeline (chapter 07): standardized with the training set's mean and
# standard deviation, shuffled, in batches of 16. `Model` wraps the network, the loss and the optimizer, and
# `Model.train` runs the epochs; a small callback prints one line per epoch with the test accuracy.

# %%
mean, std = x_train.mean(), x_train.std()
train_images, test_images = (x_train - mean) / std, (x_test - mean) / std
train_ds = NumpySlicesDataset({"image": train_images, "label": y_train}, shuffle=True).batch(16)
test_ds = NumpySlicesDataset({"image": test_images, "label": y_test}, shuffle=False).batch(150)


class EpochReport(Callback):
    """After every epoch: the mean training loss of its steps and the accuracy of `net` on the test set."""

    def __init__(self, net):
        self.net = net

    def on_train_epoch_begin(self, run_context):
        self.losses = []

    def on_train_step_end(self, run_context):
        self.losses.append(float(run_context.original_args().net_outputs.asnumpy()))

    def on_train_epoch_end(self, run_context):
        epoch = run_context.original_args().cur_epoch_num
        accuracy = np.mean(self.net(Tensor(test_images)).asnumpy().argmax(axis=1) == y_test)
        print(f"epoch {epoch:2d}  train loss {np.mean(self.losses):.4f}  test accuracy {accuracy:.3f}")


model = Model(net, nn.CrossEntropyLoss(), nn.Adam(net.trainable_params(), learning_rate=0.002),
              metrics={"accuracy"})
start = time.perf_counter()
model.train(10, train_ds, callbacks=[EpochReport(net)])
train_seconds = time.perf_counter() - start

# %%
# NBVAL_IGNORE_OUTPUT
print(f"10 epochs in {train_seconds:.1f} s")

# %%
test_accuracy = model.eval(test_ds)["accuracy"]  # Model's own Accuracy metric, over the batches of test_ds
print(f"test accuracy {test_accuracy:.3f}: {round((1 - test_accuracy) * len(y_test))} of {len(y_test)} digits misread")

# %% [markdown]
# Chapter 06's MLP read about 97% of the same test digits. The first layer shows why convolutions suit
# images: its 16 filters of 9 weights (144 in all) look at every part of the image, where chapter 06's first
# `Dense(64, 64)` needed 4,096 weights, one per pixel and unit.
#
# ## 9. Inside the network
#
# **The learned filters.** The 16 kernels of the first layer, 3×3 each (red positive, blue negative). Most
# set a positive side against a negative one, like the edge filters we drew by hand in section 2, each at its
# own angle; nobody told them to.

# %%
learned = net.conv1.weight.asnumpy()                # (16, 1, 3, 3)
fig, axes = plt.subplots(2, 8, figsize=(8, 2.3))
for k, ax in enumerate(axes.ravel()):
    bound = np.abs(learned[k, 0]).max()
    ax.imshow(learned[k, 0], cmap="RdBu_r", vmin=-bound, vmax=bound)
    ax.set_title(f"filter {k}", fontsize=7)
    ax.axis("off")
plt.suptitle("conv1: the 16 learned 3x3 filters", fontsize=9)
plt.tight_layout()
plt.show()

# %% [markdown]
# **The feature maps of one digit.** What the first layer makes of one test digit (after the ReLU, only the
# positive responses remain): each map lights up on other parts of the strokes, the vertical stroke on the
# right in some, the horizontal bars or the left edge in others.

# %%
one = Tensor(test_images[:1])
feature_maps = net.relu(net.conv1(one)).asnumpy()[0]   # (16, 8, 8)
fig, axes = plt.subplots(2, 9, figsize=(9, 2.4))
axes[0, 0].imshow(x_test[0, 0], cmap="gray_r")
axes[0, 0].set_title(f"input: {y_test[0]}", fontsize=7)
axes[1, 0].axis("off")
for k, ax in enumerate(axes[:, 1:].ravel()):
    ax.imshow(feature_maps[k], cmap="viridis")
    ax.set_title(f"map {k}", fontsize=7)
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
plt.tight_layout()
plt.show()

# %% [markdown]
# **The mistakes.** The confusion matrix counts, for every true digit (row), what the network said (column);
# beside it, the misread test digits themselves. Some would puzzle a person too: at 8×8 pixels, a 1 with a
# foot looks much like a 2.

# %%
predicted = net(Tensor(test_images)).asnumpy().argmax(axis=1)
confusion = np.zeros((10, 10), np.int64)
np.add.at(confusion, (y_test, predicted), 1)
wrong = np.flatnonzero(predicted != y_test)
print("misread:", [(int(y_test[i]), int(predicted[i])) for i in wrong], " (true, said)")

fig = plt.figure(figsize=(10, 4))
ax = fig.add_axes([0.03, 0.1, 0.4, 0.8])
ax.imshow(confusion, cmap="Blues")
for (i, j), count in np.ndenumerate(confusion):
    if count:
        ax.text(j, i, str(count), ha="center", va="center", fontsize=7, color="white" if count > 20 else "black")
ax.set_xticks(range(10))
ax.set_yticks(range(10))
ax.set_xlabel("predicted")
ax.set_ylabel("true")
ax.set_title("confusion matrix (test set)")
for k, index in enumerate(wrong[:8]):
    sub = fig.add_axes([0.5 + 0.12 * (k % 4), 0.5 - 0.42 * (k // 4), 0.1, 0.36])
    sub.imshow(x_test[index, 0], cmap="gray_r")
    sub.set_title(f"true {y_test[index]}, said {predicted[index]}", fontsize=8)
    sub.axis("off")
plt.show()

# %% [markdown]
# ## 10. The network on your pieces
#
# The trained weights do not care who computes the convolution. Run the test set through the network again,
# with the convolutions done by your `conv2d` (padding 1 is `'same'` for a 3×3 kernel at stride 1) and the
# pooling by your `MaxPool2d`; only the bias, the ReLU and the `Dense` layers come from the engine. Each
# piece that does not pass its check yet is replaced by the reference, with a line saying so.

# %%
MyMaxPool2d = pick(MaxPool2d, check_MaxPool2d)


def forward_with_my_pieces(x):
    """LeNet's forward on NumPy arrays, with my_conv2d and MyMaxPool2d for the convolutions and the pooling."""
    for conv in (net.conv1, net.conv2):
        x = my_conv2d(x, conv.weight.asnumpy(), 1, 1) + conv.bias.asnumpy()[:, None, None]
        x = MyMaxPool2d(2, 2).forward(np.maximum(x, 0))
    return net.fc3(net.relu(net.fc2(net.relu(net.fc1(Tensor(x.reshape(len(x), -1))))))).asnumpy()


mine = forward_with_my_pieces(test_images)
print(f"test accuracy with your conv2d and MaxPool2d: {np.mean(mine.argmax(axis=1) == y_test):.3f};"
      f" same logits as the engine's: {np.allclose(mine, net(Tensor(test_images)).asnumpy(), atol=1e-4)}")

# %% [markdown]
# Now training. Chapter 04 showed how the engine records each operation with its backward rule; the engine
# makes such an operation from a function that returns `(output, backward)`. So your forward and backward
# become engine operations in a few lines, wrapped in Cells, and `Model.train` uses them like any other layer:
# the gradients of the two convolution layers and of the pooling now come from your code.

# %%
@primitive(inputs=2)
def my_convolution(x, weight, padding):
    """Your conv2d as an engine op (stride 1): its output, and your conv2d_backward as its backward rule."""
    return my_conv2d(x, weight, 1, padding), lambda g: my_conv2d_backward(x, weight, g, 1, padding)


@primitive(inputs=1)
def my_max_pool(x, size):
    """Your MaxPool2d as an engine op: forward now, its backward when autodiff asks."""
    pool = MyMaxPool2d(size, size)
    return pool.forward(x), lambda g: (pool.backward(g),)


class MyConv2d(nn.Cell):
    """A 'same' convolution layer on your pieces, with the weight and bias of an nn.Conv2d."""

    def __init__(self, conv):
        super().__init__()
        self.weight, self.bias = conv.weight, conv.bias
        self.padding = conv.weight.shape[-1] // 2

    def construct(self, x):
        return ops.bias_add(my_convolution(x, self.weight, self.padding), self.bias)


class MyMaxPool(nn.Cell):
    def construct(self, x):
        return my_max_pool(x, 2)


ms.set_seed(0)                                           # the same start as section 8
own_net = LeNet()
own_net.conv1, own_net.conv2, own_net.pool = MyConv2d(own_net.conv1), MyConv2d(own_net.conv2), MyMaxPool()
own_ds = NumpySlicesDataset({"image": train_images, "label": y_train}, shuffle=True).batch(16)
own_model = Model(own_net, nn.CrossEntropyLoss(), nn.Adam(own_net.trainable_params(), learning_rate=0.002))
own_model.train(3, own_ds, callbacks=[EpochReport(own_net)])

# %% [markdown]
# The same three first epochs as in section 8: your pieces compute what the engine computes, forward and
# backward, so the training follows the same path.

# %% [markdown]
# ## Summary
#
# - A convolution slides O filters of shape (C, kh, kw) over an (N, C, H, W) batch: the same few weights
#   everywhere. MindSpore, like every deep-learning library, computes the cross-correlation (no kernel flip).
# - Output size along an axis: `'valid'` and `'pad'` give `floor((size + pads − span) / stride) + 1` with
#   `span = dilation·(kernel − 1) + 1`; `'same'` gives `ceil(size / stride)`.
# - **im2col** lays every window out as a column, (N, C·kh·kw, Ho·Wo), channel-major rows; the convolution is
#   then `weight.reshape(O, -1) @ cols`, one BLAS product instead of millions of tiny Python steps.
# - Backward: `dW = Σₙ G @ colsᵀ`, `dcols = Wᵀ @ G`, and **col2im**, the adjoint of im2col, adds every column
#   entry back onto the pixel it was copied from; overlapping windows add up.
# - Max pooling routes each window's gradient to its first maximum; overlapping windows add up there too.
# - A LeNet-style CNN trained with `Model.train` for 10 epochs reads about 98% of unseen digits.
