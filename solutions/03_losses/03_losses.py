# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 03: Losses, the quality standard
#
# A production line needs a quality standard: a way to say how far each product is from what was ordered.
# For a network that standard is the **loss function**. It takes the predictions (`logits`) and the targets
# (`labels`) and returns **one number**, small when the predictions are good. Training will do nothing but
# push that number down: autodiff (the compass, chapter 04) finds the direction, the optimizer (the
# executor, chapter 05) takes the step. A loss that is wrong, or that overflows to `inf`, steers everything
# after it wrong.
#
# In this chapter you will:
# - compare the regression losses MSE and L1, and their reductions (**Exercise 03.1**: `mse_loss`);
# - see softmax overflow at logits of 1000, and write a log-softmax that does not (**Exercise 03.2**);
# - write MindSpore's cross-entropy with `ignore_index` and label smoothing (**Exercise 03.3**);
# - write the binary cross-entropy from logits in its stable form (**Exercise 03.4**);
# - plot each loss against the prediction, with your own code.

# %%
import matplotlib.pyplot as plt
import numpy as np

import tinyspore as ms
from tinyspore import Tensor, nn, ops
from tinyspore_grader import pick
from tinyspore_grader.checks.ch03_losses import (
    check_bce_with_logits,
    check_cross_entropy,
    check_log_softmax,
    check_mse_loss,
)

ms.set_seed(0)
rng = np.random.default_rng(0)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. Regression: MSE and L1
#
# When the target is a number (a price, a temperature, the `y = 2x + 0.5` of the seed tutorial), the two
# classic standards are
#
# - the **mean squared error**, `nn.MSELoss()`: the mean of $(\hat y - y)^2$;
# - the **mean absolute error**, `nn.L1Loss()`: the mean of $|\hat y - y|$.
#
# Every MindSpore loss takes `reduction`: `'mean'` (the default), `'sum'`, or `'none'` to keep one loss per
# element. MindSpore 2.10 prints `0.485`, `2.91` and `0.5166667` for these inputs (we print six decimals:
# float32 sums may differ in the last bit).

# %%
pred = Tensor([[0.1, 0.9, -0.5], [1.2, -0.3, 0.4]])
target = Tensor([[0.0, 1.0, 0.0], [1.0, 0.5, -1.0]])
print(f"MSE mean: {float(nn.MSELoss()(pred, target)):.6f}")
print(f"MSE sum:  {float(nn.MSELoss(reduction='sum')(pred, target)):.6f}")
print("MSE none:\n", nn.MSELoss(reduction="none")(pred, target))
print(f"L1 mean:  {float(nn.L1Loss()(pred, target)):.6f}")

# %% [markdown]
# The two standards punish errors differently. The square grows fast: an error of 3 costs 9, and its slope
# (the push training gets) is 6. The absolute value costs 3, with slope 1 whatever the error. So MSE chases
# big errors hard (and is pulled around by outliers), while L1 treats all errors alike.

# %%
errors = np.linspace(-3, 3, 201, dtype=np.float32)
zeros = np.zeros_like(errors)
mse_curve = nn.MSELoss(reduction="none")(Tensor(errors), Tensor(zeros)).asnumpy()
l1_curve = nn.L1Loss(reduction="none")(Tensor(errors), Tensor(zeros)).asnumpy()
fig, axes = plt.subplots(1, 2, figsize=(8, 2.8))
axes[0].plot(errors, mse_curve, label="MSE: $e^2$")
axes[0].plot(errors, l1_curve, label="L1: $|e|$")
axes[0].set_title("loss against the error e = prediction - target", fontsize=10)
axes[1].plot(errors, 2 * errors, label="MSE: $2e$")
axes[1].plot(errors, np.sign(errors), label="L1: sign(e)")
axes[1].set_title("slope of the loss (what training follows)", fontsize=10)
for ax in axes:
    ax.axhline(0, color="0.8", lw=0.8)
    ax.set_xlabel("e")
    ax.legend(fontsize=9)
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Exercise 03.1: mse_loss (2 points)
#
# Write `mse_loss(logits, labels, reduction='mean')` that does what `nn.MSELoss(reduction)(logits, labels)`
# does. **Inputs and output are tinyspore Tensors**: use Tensor operations (`-`, `ops.square` or `**`,
# `ops.mean`, `ops.sum`), so that gradients can flow through your loss.
# - `logits`, `labels`: float Tensors whose shapes broadcast (e.g. `(4, 3)` and `(3,)`);
# - `'mean'`: a 0-d Tensor, the mean over **all** elements; `'sum'`: their sum; `'none'`: the squared errors,
#   of the broadcast shape;
# - any other `reduction`: raise `ValueError` (MindSpore does too).
#
# The check compares your function with `nn.MSELoss` on each reduction, on broadcasting shapes, on an unknown
# reduction, and compares the gradient with respect to `logits`.

# %% nbgrader={"grade": false, "grade_id": "mse_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def mse_loss(logits, labels, reduction="mean"):
    """Exercise 03.1. The squared error (logits - labels)^2, reduced by `reduction`.

    logits, labels: float Tensors that broadcast together. Returns a Tensor: 0-d for 'mean' and 'sum',
    the broadcast shape for 'none'. Raises ValueError for any other reduction.
    """
    ### BEGIN SOLUTION
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"mse_loss: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    squared = ops.square(logits - labels)
    if reduction == "mean":
        return ops.mean(squared)
    if reduction == "sum":
        return ops.sum(squared)
    return squared
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "mse_loss_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_mse_loss(mse_loss)
### BEGIN HIDDEN TESTS
check_mse_loss(mse_loss, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 2. From logits to probabilities: softmax, and why it overflows
#
# A classifier outputs one **logit** per class, any real number. Softmax turns a row of logits into
# probabilities: $p_c = e^{x_c} / \sum_k e^{x_k}$. Written exactly like that, it breaks as soon as a logit is
# large: $e^{1000}$ is far beyond what a float can hold (float32 stops near $3.4 \times 10^{38}$, i.e.
# $e^{88.7}$), so it becomes `inf`, and `inf / inf` is `nan`.

# %%
logits = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]], np.float32)
with np.errstate(over="ignore", invalid="ignore"):  # NumPy would warn about the overflow
    naive = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
print(naive)

# %% [markdown]
# The cure: softmax does not change when the same number is subtracted from every logit of a row (the factor
# $e^{-m}$ cancels above and below). Subtract the row maximum $m$: the largest exponent is then $e^0 = 1$,
# and nothing overflows. This is what `ops.softmax` does.

# %%
shifted = logits - logits.max(axis=1, keepdims=True)
print(np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True))
print(ops.softmax(Tensor(logits), -1))

# %% [markdown]
# ## 3. Log-softmax: never take the log of a softmax
#
# Cross-entropy needs $\log p_c$. Taking the log of even the *stable* softmax fails for the smallest
# probabilities: $e^{-2000}$ is exactly 0 in floating point, and $\log 0 = -\infty$. The loss of a confident
# wrong answer would be `inf`, and its gradient `nan`.

# %%
with np.errstate(divide="ignore"):
    print(np.log(np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)))

# %% [markdown]
# Write the log directly instead: with $m = \max_k x_k$,
#
# $$\log p_c = x_c - \log \sum_k e^{x_k} = (x_c - m) - \log \sum_k e^{x_k - m}.$$
#
# The sum is at least 1 (the maximum contributes $e^0$), so its log is finite, and $x_c - m$ is just a
# difference: $-2000$ stays $-2000$. MindSpore's `ops.log_softmax` on these logits gives
# `[0, -1000, -2000]` for the first row.

# %% [markdown]
# ### Exercise 03.2: log_softmax (2 points)
#
# Write `log_softmax(x, axis=-1)` on **NumPy arrays**: `x` is an ndarray of any shape (float32 or float64),
# and the result is the ndarray of the same shape and dtype whose slices along `axis` are the log-softmax of
# the slices of `x`. It must be finite for every finite input, logits of $\pm 1000$ included. (This is the
# forward pass of the engine's `log_softmax` primitive.)
#
# The check tries several axes, 3-D arrays, logits of $\pm 1000$, rows whose sizes differ by a thousand, a
# single class, float64, and values near float32's exp limit. Do not call `ops.log_softmax`: it is what the
# check compares you with.

# %% nbgrader={"grade": false, "grade_id": "log_softmax", "locked": false, "schema_version": 3, "solution": true, "task": false}
def log_softmax(x, axis=-1):
    """Exercise 03.2. x - logsumexp(x) along `axis`, computed without overflow.

    x: ndarray (float32 or float64); axis: int. Returns an ndarray of x's shape and dtype.
    """
    ### BEGIN SOLUTION
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "log_softmax_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_log_softmax(log_softmax)
### BEGIN HIDDEN TESTS
check_log_softmax(log_softmax, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Your log-softmax on the logits that broke the naive formulas (until it passes its check, the reference
# `ops.log_softmax` runs here instead):

# %%
my_log_softmax = pick(log_softmax, check_log_softmax)
print(my_log_softmax(logits, axis=1))

# %% [markdown]
# ## 4. Cross-entropy
#
# For a sample of class $y$, the cross-entropy is $-\log p_y$: 0 for a sure right answer, large for a
# confident wrong one. `nn.CrossEntropyLoss()` takes the **logits** (it applies log-softmax itself) and the
# labels in one of two forms:
#
# - **class indices**: an integer Tensor of shape `(N,)`. MindSpore 2.10 insists on **int32** here (int64
#   raises a `TypeError`); our engine accepts both;
# - **class probabilities**: a float Tensor of the logits' shape `(N, C)`, each row a distribution.
#
# With `reduction='mean'` the losses of the samples are averaged. The values below are MindSpore 2.10's:
# `0.45293778` with indices, `0.7004378` with probabilities.

# %%
logits4 = Tensor([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [0.0, 0.0, 0.0], [1.0, -1.0, 3.0]])
labels4 = Tensor(np.array([0, 1, 2, 2], np.int32))
probs4 = Tensor([[0.7, 0.2, 0.1], [0.0, 1.0, 0.0], [0.3, 0.3, 0.4], [0.1, 0.1, 0.8]])
ce = nn.CrossEntropyLoss()
print(f"indices:       {float(ce(logits4, labels4)):.6f}")
print(f"probabilities: {float(ce(logits4, probs4)):.6f}")
print("per sample:   ", nn.CrossEntropyLoss(reduction="none")(logits4, labels4))

# %% [markdown]
# Two options change which samples and which targets count:
#
# - **`ignore_index`** (default `-100`): samples whose label equals it contribute nothing, and the mean
#   divides by the number of samples that are **not** ignored. Padding tokens in text are marked this way.
# - **`label_smoothing`** $= \varepsilon$: the one-hot target becomes $(1 - \varepsilon)\,\text{one\_hot} +
#   \varepsilon / C$ on every class, so the loss of a sample is
#   $(1 - \varepsilon)(-\log p_y) + \frac{\varepsilon}{C}\sum_c (-\log p_c)$. It keeps the network from
#   becoming over-confident.
#
# MindSpore 2.10 gives `0.2851038` and `0.5729379` for these two settings.

# %%
print(f"ignore_index=2:      {float(nn.CrossEntropyLoss(ignore_index=2)(logits4, labels4)):.6f}")
print(f"label_smoothing=0.1: {float(nn.CrossEntropyLoss(label_smoothing=0.1)(logits4, labels4)):.6f}")
skip_third = Tensor(np.array([0, 1, -100, 2], np.int32))
print(f"-100 skips a sample: {float(nn.CrossEntropyLoss()(logits4, skip_third)):.6f}")

# %% [markdown]
# And the logits that broke softmax give finite, exact losses: `2000` for the confident wrong answer,
# `0` for the confident right one (MindSpore: `[2000., 0.]`).

# %%
print(nn.CrossEntropyLoss(reduction="none")(Tensor([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]]),
                                            Tensor(np.array([2, 1], np.int32))))

# %% [markdown]
# ### Exercise 03.3: cross_entropy (3 points)
#
# Write `cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0)` that does what
# `nn.CrossEntropyLoss(ignore_index=ignore_index, label_smoothing=label_smoothing)(logits, labels)` does with
# class indices and `reduction='mean'`. **Inputs and output are Tensors**:
# - `logits`: float32 `(N, C)`; `labels`: int32 `(N,)`, each a class in `[0, C)` or equal to `ignore_index`;
# - returns a 0-d float32 Tensor: the per-sample loss
#   $(1 - \varepsilon)(-\log p_y) + \frac{\varepsilon}{C}\sum_c(-\log p_c)$, summed over the samples that are
#   not ignored and divided by their number (at least one is not ignored).
#
# Use `ops.log_softmax(logits, -1)` for the log-probabilities (the engine's, so that this exercise does not
# depend on your 03.2), and Tensor operations from there on (`*`, `.sum()`, `/`). Building a 0/1 mask or
# one-hot matrix with NumPy from `labels.asnumpy()` is fine: the labels need no gradient.
#
# The check tries random cases, logits of $\pm 1000$, labels of `-100`, another `ignore_index`, label
# smoothing with and without ignored samples, and the gradient with respect to `logits`.

# %% nbgrader={"grade": false, "grade_id": "cross_entropy", "locked": false, "schema_version": 3, "solution": true, "task": false}
def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):
    """Exercise 03.3. Mean cross-entropy of logits (N, C) against int32 class labels (N,).

    Samples with labels == ignore_index are left out (of the sum and of the count); label_smoothing
    mixes the one-hot target with the uniform distribution. Returns a 0-d float32 Tensor.
    """
    ### BEGIN SOLUTION
    log_probs = ops.log_softmax(logits, -1)
    num_classes = logits.shape[1]
    y = labels.asnumpy()
    kept = y != ignore_index
    one_hot = (np.arange(num_classes) == np.where(kept, y, 0)[:, None]) & kept[:, None]
    nll = -(log_probs * Tensor(one_hot.astype(np.float32))).sum()
    uniform = -(log_probs * Tensor(kept[:, None].astype(np.float32))).sum() / num_classes
    total = nll * (1 - label_smoothing) + uniform * label_smoothing
    return total / float(kept.sum())
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "cross_entropy_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check_cross_entropy(cross_entropy)
### BEGIN HIDDEN TESTS
check_cross_entropy(cross_entropy, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Two classes: binary cross-entropy from logits
#
# For yes/no questions a network outputs one logit $x$ per answer; $p = \sigma(x) = 1/(1 + e^{-x})$ is the
# probability of "yes", and for a target $y \in [0, 1]$ the loss is $-[y \log p + (1 - y)\log(1 - p)]$.
# Again the direct route breaks: $\sigma(1000)$ is exactly `1.0` in float32, so $\log(1 - p) = -\infty$.
#
# Working from the logit avoids every log of 0. Since $\log \sigma(x) = -\log(1 + e^{-x})$ and
# $\log(1 - \sigma(x)) = -x - \log(1 + e^{-x})$, the loss is $\log(1 + e^{x}) - x y$, and
# $\log(1 + e^{x}) = \max(x, 0) + \log(1 + e^{-|x|})$ never exponentiates a positive number:
#
# $$\ell(x, y) = \max(x, 0) - x\,y + \log\!\left(1 + e^{-|x|}\right).$$
#
# That is `nn.BCEWithLogitsLoss`. At logits of $\pm 1000$ it gives the exact values `[0, 0, 1000, 1000]`
# (MindSpore 2.10: the same), where the direct formula gives `nan` and `inf`.

# %%
x_extreme = np.array([1000.0, -1000.0, 1000.0, -1000.0], np.float32)
y_extreme = np.array([1.0, 0.0, 0.0, 1.0], np.float32)
with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
    p = 1 / (1 + np.exp(-x_extreme))
    print("direct:", -(y_extreme * np.log(p) + (1 - y_extreme) * np.log(1 - p)))
print("stable:", nn.BCEWithLogitsLoss(reduction="none")(Tensor(x_extreme), Tensor(y_extreme)))

# %% [markdown]
# ### Exercise 03.4: bce_with_logits (2 points)
#
# Write `bce_with_logits(logits, labels)` that does what `nn.BCEWithLogitsLoss()(logits, labels)` does
# (reduction `'mean'`, no weights). **Inputs and output are Tensors**: `logits` and `labels` are float32
# Tensors of the same shape, the labels in `[0, 1]` (soft labels like 0.3 are allowed); return the 0-d mean of
# $\max(x, 0) - x y + \log(1 + e^{-|x|})$ over all elements. Useful: `ops.relu` or `ops.maximum`, `ops.abs`,
# `ops.exp`, `ops.log1p`.
#
# The check tries random and soft labels, logits of $\pm 1000$ and other large logits, and the gradient.

# %% nbgrader={"grade": false, "grade_id": "bce_with_logits", "locked": false, "schema_version": 3, "solution": true, "task": false}
def bce_with_logits(logits, labels):
    """Exercise 03.4. Mean binary cross-entropy of sigmoid(logits) against labels, from the logits.

    logits, labels: float32 Tensors of one shape. Returns a 0-d float32 Tensor; finite for any finite logits.
    """
    ### BEGIN SOLUTION
    loss = ops.relu(logits) - logits * labels + ops.log1p(ops.exp(-ops.abs(logits)))
    return ops.mean(loss)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "bce_with_logits_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_bce_with_logits(bce_with_logits)
### BEGIN HIDDEN TESTS
check_bce_with_logits(bce_with_logits, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 6. The quality standards side by side
#
# Now your losses draw their own portraits (each one that does not pass its check yet is replaced by the
# engine's). For one sample with target 0 (MSE, L1) or with true class / label 1 (CE, BCE), how does the
# loss change as the prediction moves?
# - MSE and L1: against the prediction $\hat y$;
# - CE: against the logit of the true class, the two other logits fixed at 0;
# - BCE: against the logit $x$, for the labels 1, 0 and 0.5.
#
# Look at the two sides: the classification losses go to 0 on the side of confident right answers, and grow
# like a straight line (not faster) on the side of confident wrong ones. That linear growth is what the stable formulas
# preserve at $\pm 1000$.

# %%
my_mse = pick(mse_loss, check_mse_loss)
my_ce = pick(cross_entropy, check_cross_entropy)
my_bce = pick(bce_with_logits, check_bce_with_logits)

grid = np.linspace(-6, 6, 121, dtype=np.float32)
one = np.ones(1, np.float32)
mse_values = [float(my_mse(Tensor(v * one), Tensor(0 * one))) for v in grid]
l1_values = np.abs(grid)
true_class = Tensor(np.array([0], np.int32))
ce_values = [float(my_ce(Tensor(np.array([[v, 0.0, 0.0]], np.float32)), true_class)) for v in grid]
smooth_values = [float(my_ce(Tensor(np.array([[v, 0.0, 0.0]], np.float32)), true_class, label_smoothing=0.2))
                 for v in grid]
bce_values = {y: [float(my_bce(Tensor(v * one), Tensor(y * one))) for v in grid] for y in (1.0, 0.0, 0.5)}

fig, axes = plt.subplots(1, 3, figsize=(11, 3))
axes[0].plot(grid, mse_values, label="MSE")
axes[0].plot(grid, l1_values, label="L1")
axes[0].set(xlabel="prediction (target 0)", ylim=(0, 10), title="regression")
axes[1].plot(grid, ce_values, label="CE")
axes[1].plot(grid, smooth_values, label="CE, label_smoothing=0.2")
axes[1].set(xlabel="logit of the true class (others 0)", title="cross-entropy, 3 classes")
for y, values in bce_values.items():
    axes[2].plot(grid, values, label=f"BCE, label {y:g}")
axes[2].set(xlabel="logit x", title="binary cross-entropy from logits")
for ax in axes:
    ax.set_ylabel("loss")
    ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
print(f"CE at the right end: {ce_values[-1]:.4f}; with label smoothing: {smooth_values[-1]:.4f}")

# %% [markdown]
# Label smoothing has a floor: with $\varepsilon = 0.2$ the loss is smallest at a finite logit, so the network
# gains nothing by pushing its logits to infinity.
#
# ## Summary
#
# - A loss is the **quality standard**: one number, small for good predictions, that training pushes down.
#   `reduction` chooses `'mean'`, `'sum'` or `'none'`.
# - MSE squares errors (big errors dominate); L1 takes absolute values (all errors pull equally).
# - Softmax and log-softmax must subtract the row maximum; never take the log of a softmax. At logits of
#   1000 the naive versions give `nan` and `-inf`, the stable ones exact numbers.
# - `CrossEntropyLoss` takes logits, and int32 class indices (MindSpore) or probabilities; `ignore_index`
#   removes samples from the sum *and* from the count; label smoothing spreads $\varepsilon / C$ over all
#   classes.
# - `BCEWithLogitsLoss` is $\max(x, 0) - xy + \log(1 + e^{-|x|})$: exact for any logit.
#
# Next, chapter 04: the **compass**. Autodiff computes how the loss changes with every parameter.
