# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 00: Welcome to TinySpore
#
# In this course you build a small deep-learning engine on top of NumPy, one piece per chapter, with the
# same API as MindSpore 2.x. At the end, code like the cell below (which trains a one-neuron network to
# learn `y = 2x + 0.5`) runs on an engine you understand line by line, because you wrote its pieces.
#
# This chapter shows where we are going, how the exercises and their checks work, and refreshes the NumPy
# you will need: arrays, dtypes, broadcasting and reductions along an axis. It ends with three warm-ups.

# %%
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyBboxPatch

import tinyspore as ms
from tinyspore import nn
from tinyspore_grader import CheckFailure, pick
from tinyspore_grader.checks.ch00_welcome import (
    check_center_columns,
    check_one_hot,
    check_pairwise_sq_distances,
)

ms.set_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Where we are going
#
# Here is a whole training run on the reference engine `tinyspore` (the finished engine, which the course
# ships so that every chapter can lean on it). Do not worry about the details: each line is a chapter.

# %%
x = rng.uniform(-1, 1, (64, 1)).astype(np.float32)
y = 2 * x + 0.5                                     # the rule the network must discover

net = nn.Dense(1, 1)                                # a Cell: the production line (chapter 02)
loss_fn = nn.MSELoss()                              # the loss: the quality standard (chapter 03)
optimizer = nn.SGD(net.trainable_params(), learning_rate=0.1)   # the executor (chapter 05)


def forward(inputs, targets):
    return loss_fn(net(inputs), targets)


grad_fn = ms.value_and_grad(forward, None, optimizer.parameters)  # autodiff: the compass (chapter 04)
for _ in range(200):                                # 200 epochs: the train loop (chapter 06)
    loss, grads = grad_fn(ms.Tensor(x), ms.Tensor(y))
    optimizer(grads)
print(f"loss {float(loss.asnumpy()):.2e}, W = {net.weight.asnumpy().item():.4f}, b = {net.bias.asnumpy().item():.4f}")

# %% [markdown]
# ## 2. The map of the engine
#
# The MindSpore tutorial this course grew from describes training with a picture of a factory. We keep it,
# because each part of the engine has one job:
#
# | part | picture | what it does | chapter |
# |---|---|---|---|
# | `Tensor` | raw material | holds numbers with a shape and a dtype | 01 |
# | `nn.Cell` | production line | turns input tensors into predictions, holds the parameters | 02 |
# | loss | quality standard | one number saying how wrong the predictions are | 03 |
# | autodiff | compass | the gradient: which way each parameter should move | 04 |
# | optimizer | executor | actually moves the parameters, by a step of the learning rate | 05 |
# | train loop | the factory running | repeats all of the above over the data | 06 |

# %%
parts = [("Tensor", "raw material", "01"), ("Cell", "production line", "02"), ("loss", "quality standard", "03"),
         ("autodiff", "compass", "04"), ("optimizer", "executor", "05")]
fig, ax = plt.subplots(figsize=(10, 3))
for i, (name, picture, chapter) in enumerate(parts):
    ax.add_patch(FancyBboxPatch((i * 2.1, 0), 1.6, 1, boxstyle="round,pad=0.08", facecolor="#dbe9f6",
                                edgecolor="#2b6ca3"))
    ax.text(i * 2.1 + 0.8, 0.62, name, ha="center", va="center", fontsize=12, weight="bold")
    ax.text(i * 2.1 + 0.8, 0.3, f"{picture}\nch. {chapter}", ha="center", va="center", fontsize=8.5)
    if i < len(parts) - 1:
        ax.annotate("", xy=(i * 2.1 + 2.02, 0.5), xytext=(i * 2.1 + 1.68, 0.5),
                    arrowprops={"arrowstyle": "->", "lw": 1.5})
ax.annotate("", xy=(0.8, 1.12), xytext=(4 * 2.1 + 0.8, 1.12),
            arrowprops={"arrowstyle": "->", "lw": 1.5, "color": "tab:orange", "connectionstyle": "arc3,rad=0.25"})
ax.text(4.2 + 0.8, 2.3, "train loop (ch. 06): repeat, epoch after epoch", ha="center", color="tab:orange")
ax.set_xlim(-0.3, 10.2)
ax.set_ylim(-0.3, 2.5)
ax.axis("off")
plt.show()

# %% [markdown]
# ## 3. How exercises and checks work
#
# An exercise gives you a function with its contract (what goes in, what comes out, with shapes) and a body
# to write. In your copy of the notebook the body is `raise NotImplementedError()`. The cell after it calls
# a **check**, which runs your function on several cases and compares it with the reference engine:
#
# - when all cases agree, you see one line: `✔ Exercise 00.1 center_columns: all 6 cases pass`;
# - when a case disagrees, you see which case, what was expected, what you returned, and a **hint** picked
#   from the mistakes learners usually make on that exercise.
#
# Here is a check meeting a wrong answer (this one forgot which way `axis=0` goes):

# %%
def wrong_center_columns(x):
    return x - x.mean(axis=1, keepdims=True)


try:
    check_center_columns(wrong_center_columns)
except CheckFailure as failure:
    print(failure)

# %% [markdown]
# The checks you run are the **visible** tests. When your instructor grades the notebooks with nbgrader,
# each test cell also runs **hidden** cases (other seeds, other shapes), so make your function right, not
# just right on the visible cases. You can check all your notebooks at once in a terminal (in JupyterLab:
# File > New > Terminal):
#
# ```
# python -m tinyspore_grader check
# ```
#
# which runs each notebook in a fresh kernel and prints, per exercise: passed, failed (with the check's whole
# verdict: the case, expected, got and the hint), or not attempted. `check 01_tensors` checks one chapter.
#
# **Run All** (Run > Run All Cells) runs a whole chapter even before you have solved anything: a test cell
# whose exercise is not done shows its short verdict and the run goes on, so every demo and figure below it
# still appears.
#
# **You never get stuck because of an earlier exercise.** Every chapter imports what it needs from the
# reference engine, not from your previous answers. After an exercise, a demo uses your function through
# `pick(yours, check)`: yours as soon as it passes its check, the reference (with a note) until
# then.

# %%
center = pick(wrong_center_columns, check_center_columns)
print(center(np.array([[1.0, 10.0], [3.0, 30.0]])))

# %% [markdown]
# ## 4. A NumPy refresher
#
# ### Arrays, shapes and dtypes
#
# An ndarray has a **shape** (the size of each axis) and a **dtype** (the type of every element). NumPy
# makes float64 from Python floats; deep learning mostly uses float32, which is half the memory and plenty
# precise for weights. Conversions are explicit with `astype`.

# %%
a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
print(a.shape, a.ndim, a.dtype)
print(a.astype(np.float32).dtype, np.arange(4).dtype, (np.arange(4) / 2).dtype)

# %% [markdown]
# ### Reductions along an axis
#
# `sum`, `mean`, `max` take an `axis`: the axis that **disappears**. For a table of shape `(rows, columns)`,
# `axis=0` collapses the rows (one value per column) and `axis=1` collapses the columns (one value per row).
# `keepdims=True` keeps the collapsed axis with size 1.

# %%
print(a.sum(axis=0), a.sum(axis=0).shape)
print(a.sum(axis=1), a.sum(axis=1).shape)
print(a.mean(axis=1, keepdims=True).shape, a.sum())

# %% [markdown]
# ### Broadcasting
#
# Arithmetic between arrays of different shapes works when, comparing shapes from the **right**, each pair of
# sizes is equal or one of them is 1. The size-1 (or missing) axes are stretched, without copying. Chapter 01
# draws a picture of it; here is the rule at work:

# %%
column_means = a.mean(axis=0)               # shape (3,)
print(a - column_means)                     # (2, 3) - (3,): each row minus the same means
row_means = a.mean(axis=1, keepdims=True)   # shape (2, 1)
print(a - row_means)                        # (2, 3) - (2, 1): each row minus its own mean
print((np.arange(3)[:, None] * np.arange(4)[None, :]).shape)  # (3, 1) * (1, 4) -> (3, 4)
try:
    a - a.mean(axis=1)                      # (2, 3) - (2,): sizes 3 and 2 on the last axis
except ValueError as error:
    print("ValueError:", error)

# %% [markdown]
# ## 5. Warm-ups
#
# ### Exercise 00.1: center_columns (1 point)
#
# Write `center_columns(x)`: for a 2-D array `x` of shape `(n, d)`, subtract from each column its mean, and
# return the result (shape `(n, d)`, same dtype as `x`). Use one reduction and broadcasting, no loop.
#
# Example: `[[1, 10], [3, 30]]` becomes `[[-1, -10], [1, 10]]`. The check tries float32 and float64, a
# single row, a single column, and zero rows.

# %% nbgrader={"grade": false, "grade_id": "center_columns", "locked": false, "schema_version": 3, "solution": true, "task": false}
def center_columns(x):
    """Exercise 00.1. x (n, d) minus the mean of each of its columns; returns (n, d) with x's dtype."""
    ### BEGIN SOLUTION
    return x - x.mean(axis=0, keepdims=True)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "center_columns_test", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_center_columns(center_columns)
### BEGIN HIDDEN TESTS
check_center_columns(center_columns, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 00.2: pairwise_sq_distances (2 points)
#
# Write `pairwise_sq_distances(a, b)` for `a` of shape `(n, d)` and `b` of shape `(m, d)`: the `(n, m)`
# array whose entry `[i, j]` is the squared Euclidean distance `sum_k (a[i, k] - b[j, k])²`. Use
# broadcasting: `a[:, None, :]` has shape `(n, 1, d)` and `b[None, :, :]` has shape `(1, m, d)`.
#
# Example: `a = [[0, 0], [1, 1]]`, `b = [[1, 0]]` gives `[[1], [1]]`. The check tries n, m or d equal to 1,
# and an empty `a` or `b`.

# %% nbgrader={"grade": false, "grade_id": "pairwise_sq_distances", "locked": false, "schema_version": 3, "solution": true, "task": false}
def pairwise_sq_distances(a, b):
    """Exercise 00.2. Squared distances between the rows of a (n, d) and the rows of b (m, d): (n, m)."""
    ### BEGIN SOLUTION
    diff = a[:, None, :] - b[None, :, :]
    return (diff * diff).sum(axis=-1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "pairwise_sq_distances_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_pairwise_sq_distances(pairwise_sq_distances)
### BEGIN HIDDEN TESTS
check_pairwise_sq_distances(pairwise_sq_distances, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 00.3: one_hot (2 points)
#
# Classifiers (chapter 03) compare predicted probabilities with **one-hot** labels. Write
# `one_hot(labels, num_classes)`: for an integer array `labels` of shape `(n,)`, return the **float32** array
# of shape `(n, num_classes)` with a 1.0 in column `labels[i]` of row `i` and 0.0 elsewhere.
#
# Example: `one_hot(np.array([2, 0]), 3)` is `[[0, 0, 1], [1, 0, 0]]` (float32). The check tries int32 and
# int64 labels, one class, no labels, and batches that miss some classes.

# %% nbgrader={"grade": false, "grade_id": "one_hot", "locked": false, "schema_version": 3, "solution": true, "task": false}
def one_hot(labels, num_classes):
    """Exercise 00.3. labels (n,) ints in [0, num_classes) -> float32 (n, num_classes) of 0.0 and 1.0."""
    ### BEGIN SOLUTION
    return (labels[:, None] == np.arange(num_classes)[None, :]).astype(np.float32)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "one_hot_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_one_hot(one_hot)
### BEGIN HIDDEN TESTS
check_one_hot(one_hot, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - The course builds an engine in the factory picture: Tensor (raw material), Cell (production line), loss
#   (quality standard), autodiff (compass), optimizer (executor), and the train loop that runs them.
# - Each exercise is a function with a contract; its check compares it with the reference on many cases and
#   explains the first disagreement with a hint. Grading adds hidden cases; `python -m tinyspore_grader
#   check course/` shows where you stand.
# - Later chapters never depend on your earlier answers: `pick` uses yours once it passes.
# - NumPy: shapes and dtypes (float32 for deep learning), reductions along an axis (`keepdims`), and
#   broadcasting (compare shapes from the right; sizes must match or be 1).
#
# Next: chapter 01, Tensors.
