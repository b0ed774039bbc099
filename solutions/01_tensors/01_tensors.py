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
from tinyspore_grader.checks.ch01_tensors import check_broadcast_shape, check_sum_to_shape

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
print(ms.Tensor(np.arange(3)).dtype, ms.Tensor(np.ones(2)).dtype)

# %% [markdown]
# `asnumpy()` gives the array back, so NumPy is always one call away. Operators (`+`, `*`, `@`, `x.sum()`)
# work on tensors and return tensors.

# %%
y = x * 2 + 1
print(type(y).__name__, y.asnumpy())

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
# A picture of `(4, 3) + (3,)`: the row vector `b` is copied down the four rows.

# %%
a = np.arange(12).reshape(4, 3)
b = np.array([10, 20, 30])
fig, axes = plt.subplots(1, 4, figsize=(9, 2.6))
panels = [(a, "a  (4, 3)"), (b[None, :], "b  (3,)"), (np.broadcast_to(b, (4, 3)), "b stretched to (4, 3)"),
          (a + b, "a + b  (4, 3)")]
for ax, (values, title) in zip(axes, panels):
    ax.imshow(values, cmap="Blues", vmin=-5, vmax=45)
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, str(v), ha="center", va="center", fontsize=9)
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
axes[2].imshow(np.broadcast_to(b, (4, 3)) * 0 + 40, cmap="Oranges", vmin=0, vmax=120, alpha=0.3)
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
rule = pick(broadcast_shape, lambda a, b: tuple(np.broadcast_shapes(a, b)), check_broadcast_shape)
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
# ## Summary
#
# - A Tensor is the raw material: an array with a shape and a dtype (float32 by default).
# - Broadcasting lines shapes up on the right and stretches sizes of 1.
# - `sum_to_shape` undoes broadcasting for gradients: autodiff uses it in chapter 04.
