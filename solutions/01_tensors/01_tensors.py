# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 01: Tensors, the raw material
#
# Every machine needs raw material. In our engine that material is the **Tensor**: a block of numbers with a
# shape and a dtype. Cells (the production line) take tensors in and give tensors out, the loss (the quality
# standard) turns tensors into one number, autodiff (the compass) computes tensors of gradients, and the
# optimizer (the executor) updates tensors of parameters. So everything starts here.
#
# In this chapter you will:
# - make `tinyspore.Tensor`s and see how they relate to NumPy arrays;
# - learn the broadcasting rule, and write it yourself (**Exercise 01.1**);
# - write `sum_to_shape`, the "unbroadcast" step that autodiff will need in chapter 04 (**Exercise 01.2**);
# - write a matrix product whose error message says exactly what went wrong (**Exercise 01.3**);
# - standardize data along an axis with reductions (**Exercise 01.4**).

# %%
import matplotlib.pyplot as plt
import numpy as np

import tinyspore as ms
from tinyspore import ops
from tinyspore_grader import pick
from tinyspore_grader.checks.ch01_tensors import (
    check_broadcast_shape,
    check_matmul_checked,
    check_standardize,
    check_sum_to_shape,
)

ms.set_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. A Tensor wraps a NumPy array
#
# `ms.Tensor(data)` takes a number, a nested list or an ndarray. Like MindSpore, it makes **float32** from
# Python floats (NumPy would make float64), and it keeps the dtype of an ndarray you give it.

# %%
x = ms.Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
print(x.shape, x.dtype)
print(np.array([[1.0, 2.0]]).dtype, "(NumPy's default)")
print(ms.Tensor(np.arange(3)).dtype, ms.Tensor(np.ones(2)).dtype, "(an ndarray keeps its dtype)")

# %% [markdown]
# `asnumpy()` gives the array back, so NumPy is always one call away. Operators (`+`, `*`, `@`, `x.sum()`)
# work on tensors and return tensors. Why not use ndarrays directly? Because each Tensor operation also
# knows its own derivative: in chapter 04, autodiff will follow these operations backwards. An ndarray
# is just numbers; a Tensor is numbers that remember where they came from.

# %%
y = x * 2 + 1
print(type(y).__name__, y.asnumpy().tolist())
print(type(y.asnumpy()).__name__)

# %% [markdown]
# ### Dtypes and shapes
#
# `astype` converts; mixing float32 with a Python number keeps float32. Float32 holds about 7 significant
# digits, float64 about 16: that is why deep learning is happy with float32 (faster, half the memory), and
# also why a careless formula can lose all its digits (you will meet one in Exercise 01.4).

# %%
print((x + 0.5).dtype, x.astype(ms.float64).dtype)
print(np.float32(10000.1) - np.float32(10000.0), "in float32;", np.float64(10000.1) - np.float64(10000.0), "in float64")
print(x.reshape(3, 2).shape, x.T.shape, x.reshape(-1).shape)

# %% [markdown]
# ## 2. Broadcasting
#
# `x + b` works even when `b` has fewer axes, or axes of size 1: the smaller operand is *stretched* (without
# copying) to the shape of the result. The rule:
#
# 1. line the two shapes up **on the right**; pad the shorter one with 1s on its left;
# 2. on every axis the sizes must be **equal**, or one of them must be **1** (it stretches to the other size);
# 3. otherwise the shapes do not broadcast, and the operation raises an error.
#
# A picture of `(4, 3) + (3,)`: the row vector `b` is stretched down the four rows. The grey copies are not
# stored anywhere: NumPy (and our engine) reads the same three numbers again for every row.

# %%
a = np.arange(12).reshape(4, 3)
b = np.array([10, 20, 30])
fig, axes = plt.subplots(1, 4, figsize=(9, 2.6))
panels = [(a, "a  (4, 3)"), (b[None, :], "b  (3,)"), (np.broadcast_to(b, (4, 3)), "b stretched to (4, 3)"),
          (a + b, "a + b  (4, 3)")]
for ax, (values, title) in zip(axes, panels):
    ax.imshow(values, cmap="Blues", vmin=-10, vmax=60)
    for (i, j), v in np.ndenumerate(values):
        copy = title.startswith("b stretched") and i > 0  # stretched rows are views, not stored numbers
        ax.text(j, i, str(v), ha="center", va="center", fontsize=9, color="grey" if copy else "black",
                style="italic" if copy else "normal")
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("Broadcasting (4, 3) + (3,): b is lined up on the right and stretched down the rows", fontsize=10)
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Exercise 01.1: broadcast_shape (2 points)
#
# Write `broadcast_shape(shape_a, shape_b)`: the shape of `a + b` for arrays of those shapes, as a tuple.
# When the shapes do not broadcast, raise `ValueError` with a message that names both shapes.
#
# Example: `broadcast_shape((4, 1), (3,))` is `(4, 3)`; `broadcast_shape((4, 3), (4,))` raises
# `ValueError: broadcast_shape: shapes (4, 3) and (4,) do not broadcast`.
#
# The check tries shapes of different lengths, the scalar shape `()`, and axes of size 0 (a size 0 against a
# size 1 gives 0). Do not call `np.broadcast_shapes`: that is the reference the check compares you with.

# %% nbgrader={"grade": false, "grade_id": "broadcast_shape", "locked": false, "schema_version": 3, "solution": true, "task": false}
def broadcast_shape(shape_a, shape_b):
    """Exercise 01.1. The shape of `a + b` when `a.shape == shape_a` and `b.shape == shape_b`.

    shape_a, shape_b: tuples of ints. Returns a tuple; raises ValueError naming both shapes if they
    do not broadcast.
    """
    ### BEGIN SOLUTION
    n = max(len(shape_a), len(shape_b))
    padded_a = (1,) * (n - len(shape_a)) + tuple(shape_a)
    padded_b = (1,) * (n - len(shape_b)) + tuple(shape_b)
    result = []
    for size_a, size_b in zip(padded_a, padded_b):
        if size_a != size_b and size_a != 1 and size_b != 1:
            raise ValueError(f"broadcast_shape: shapes {tuple(shape_a)} and {tuple(shape_b)} do not broadcast")
        result.append(size_b if size_a == 1 else size_a)
    return tuple(result)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "broadcast_shape_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_broadcast_shape(broadcast_shape)
### BEGIN HIDDEN TESTS
check_broadcast_shape(broadcast_shape, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Your rule at work (or the reference's, until yours passes): the shapes NumPy and tinyspore give agree.

# %%
rule = pick(broadcast_shape, check_broadcast_shape)
for shape_a, shape_b in [((4, 3), (3,)), ((2, 1, 5), (3, 1))]:
    out = ms.Tensor(np.ones(shape_a)) + ms.Tensor(np.ones(shape_b))
    print(shape_a, "+", shape_b, "->", rule(shape_a, shape_b), "tinyspore:", out.shape)

# %% [markdown]
# ## 3. Undoing broadcasting: sum-to-shape
#
# When `b` of shape `(3,)` was stretched to `(4, 3)`, each of its numbers was used in four places. In
# chapter 04, autodiff will receive a gradient of the result's shape `(4, 3)` and must hand `b` a gradient of
# `b`'s shape `(3,)`: it **sums** the four copies. In general: sum over the axes broadcasting added on the
# left, and (keeping them, size 1) over the axes it stretched from 1.

# %% [markdown]
# ### Exercise 01.2: sum_to_shape (3 points)
#
# Write `sum_to_shape(grad, shape)`: `grad` is an ndarray whose shape is a broadcast of `shape`; return the
# ndarray of exactly `shape` obtained by summing over the added and stretched axes. Keep `grad`'s dtype.
#
# Example: for `grad` of shape `(4, 3)`: `shape=(3,)` sums axis 0; `shape=(4, 1)` sums axis 1 and keeps it;
# `shape=()` sums everything. The check tries float32 and float64, 3-D grads, size-1 and empty axes.

# %% nbgrader={"grade": false, "grade_id": "sum_to_shape", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sum_to_shape(grad, shape):
    """Exercise 01.2. Sum `grad` over the axes broadcasting added or stretched, so that the result has `shape`.

    grad: ndarray; shape: tuple. Returns an ndarray of exactly `shape`, with grad's dtype.
    """
    ### BEGIN SOLUTION
    shape = tuple(shape)
    lead = grad.ndim - len(shape)
    added = tuple(range(lead))
    stretched = tuple(lead + i for i, size in enumerate(shape) if size == 1 and grad.shape[lead + i] != 1)
    return grad.sum(axis=added + stretched, keepdims=True).reshape(shape)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "sum_to_shape_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check_sum_to_shape(sum_to_shape)
### BEGIN HIDDEN TESTS
check_sum_to_shape(sum_to_shape, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Your `sum_to_shape` at work: the engine's `x + b` with `b` stretched over rows. The gradient of
# `sum(x + b)` with respect to `b` is a sum over the copies: each entry is 4, the number of rows.

# %%
undo = pick(sum_to_shape, check_sum_to_shape)
grad_of_sum = np.ones((4, 3), dtype=np.float32)
print(undo(grad_of_sum, (3,)))
print(ms.grad(lambda b: (ms.Tensor(np.zeros((4, 3), np.float32)) + b).sum())(ms.Tensor(np.zeros(3, np.float32))))

# %% [markdown]
# ## 4. Reductions and the matrix product
#
# A reduction (`sum`, `mean`, `max`) collapses one or more axes. `axis=0` collapses the rows (one result per
# column). Keeping the collapsed axis with size 1, so that the result still broadcasts against the original,
# is spelled differently by method, in MindSpore and here: `x.mean(axis=..., keep_dims=True)` but
# `x.sum(axis=..., keepdims=True)`.

# %%
data = ms.Tensor(np.arange(12, dtype=np.float32).reshape(4, 3))
print(data.sum(axis=0).shape, data.mean(axis=1).shape, data.mean(axis=1, keep_dims=True).shape,
      data.sum(axis=1, keepdims=True).shape)
print((data - data.mean(axis=1, keep_dims=True)).asnumpy())
try:
    data.sum(axis=1, keep_dims=True)
except TypeError as error:
    print("TypeError:", error)

# %% [markdown]
# The matrix product `a @ b` (or `ops.matmul(a, b)`) needs the **inner** sizes to agree: `(n, k) @ (k, m)`
# gives `(n, m)`. When they do not, a good error says which operation failed and shows both shapes:

# %%
try:
    ms.Tensor(np.ones((3, 4))) @ ms.Tensor(np.ones((5, 2)))
except ValueError as error:
    print("ValueError:", error)

# %% [markdown]
# ### Exercise 01.3: matmul_checked (2 points)
#
# Write `matmul_checked(a, b)` for 2-D Tensors `a` of shape `(n, k)` and `b` of shape `(k, m)`: return the
# Tensor `a @ b` of shape `(n, m)`. Before multiplying, check the inputs and raise `ValueError` with a
# message that starts with `matmul_checked:` and shows both shapes:
# - when `a` or `b` is not 2-D (NumPy's `@` would quietly accept vectors and stacks of matrices);
# - when the inner sizes differ: `matmul_checked: (3, 4) @ (5, 2): inner sizes 4 and 5 differ`.
#
# The check tries float32 and float64, empty matrices (`(0, 3) @ (3, 2)` is a valid `(0, 2)`), and bad shapes.

# %% nbgrader={"grade": false, "grade_id": "matmul_checked", "locked": false, "schema_version": 3, "solution": true, "task": false}
def matmul_checked(a, b):
    """Exercise 01.3. The matrix product of 2-D Tensors a (n, k) and b (k, m): a Tensor (n, m).

    Raises ValueError('matmul_checked: ...') showing both shapes if an input is not 2-D or the inner sizes differ.
    """
    ### BEGIN SOLUTION
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"matmul_checked: {a.shape} @ {b.shape}: both inputs must be 2-D matrices")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"matmul_checked: {a.shape} @ {b.shape}: inner sizes {a.shape[1]} and {b.shape[0]} differ")
    return a @ b
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "matmul_checked_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_matmul_checked(matmul_checked)
### BEGIN HIDDEN TESTS
check_matmul_checked(matmul_checked, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 01.4: standardize (3 points)
#
# Write `standardize(x, axis=0)` for a Tensor `x`: subtract the mean along `axis` and divide by the standard
# deviation, `(x - mean) / sqrt(var + 1e-5)`, where `var` is the mean of the squared centered values (divide
# by n, as normalization layers do). The `1e-5` keeps a constant column finite.
#
# Use Tensor operations only (`x.mean(axis=..., keep_dims=True)`, `*`, `-`, `/`, `ops.sqrt`): the check also
# differentiates your function with `ms.grad`, which can only follow Tensor operations. It tries axis 0, 1
# and -1, 3-D tensors, float64, a constant column, and float32 values near 10⁴, where the "shortcut"
# formula `E[x²] - E[x]²` loses its digits.

# %% nbgrader={"grade": false, "grade_id": "standardize", "locked": false, "schema_version": 3, "solution": true, "task": false}
def standardize(x, axis=0):
    """Exercise 01.4. (x - mean) / sqrt(var + 1e-5) along `axis`, with Tensor operations.

    x: Tensor of any shape; axis: int. Returns a Tensor of x's shape and dtype.
    """
    ### BEGIN SOLUTION
    centered = x - x.mean(axis=axis, keep_dims=True)
    variance = (centered * centered).mean(axis=axis, keep_dims=True)
    return centered / ops.sqrt(variance + 1e-5)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "standardize_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check_standardize(standardize)
### BEGIN HIDDEN TESTS
check_standardize(standardize, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# After standardizing, every column has mean 0 and standard deviation 1, whatever its scale was:

# %%
scale = pick(standardize, check_standardize)
raw = ms.Tensor((rng.standard_normal((100, 3)) * [1.0, 10.0, 100.0] + [0.0, 50.0, -300.0]).astype(np.float32))
z = scale(raw, axis=0).asnumpy()
print("means:", z.mean(axis=0).round(3) + 0.0, " stds:", z.std(axis=0).round(3))

# %% [markdown]
# ## Summary
#
# - A Tensor is the raw material: an ndarray with a shape and a dtype (float32 by default) whose operations
#   autodiff can follow; `asnumpy()` leaves that world.
# - Broadcasting lines shapes up on the right and stretches sizes of 1 (`broadcast_shape`).
# - `sum_to_shape` undoes broadcasting for gradients: autodiff uses it in chapter 04.
# - Reductions take `axis`, and keep the reduced axis with `keep_dims=True` (`mean`) or `keepdims=True`
#   (`sum`); the matrix product needs equal inner sizes, and a good error
#   says so with both shapes (`matmul_checked`).
# - Numerically, compute a variance from centered values (`standardize`): float32 has only ~7 digits.
#
# Next, chapter 02 builds the production line: Cells that hold parameters and turn tensors into tensors.
