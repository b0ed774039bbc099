# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 05: Optimizers, the executor
#
# We have the raw material (Tensor), the production line (Cell), the quality standard (the loss) and the
# compass (autodiff: the gradient says which way is uphill). One thing is missing: someone who actually
# turns the knobs. The compass says *which way*; it does not say *how far* to step, and it changes nothing
# by itself. That is the job of the **optimizer**, the executor.
#
# In MindSpore an optimizer is a Cell that owns the parameters and is called with their gradients:
#
# ```python
# optimizer = nn.SGD(net.trainable_params(), learning_rate=0.1)
# optimizer(grads)          # grads: a tuple, one gradient per parameter
# ```
#
# In this chapter you will write one step of each classic optimizer, **with MindSpore's exact formulas**
# (they differ from PyTorch's in small ways that change the numbers), and watch them walk down a valley:
# - plain SGD (**Exercise 05.1**) and the learning rate question (**Exercise 05.2**);
# - Momentum and Nesterov (**Exercise 05.3**);
# - RMSProp (**Exercise 05.4**);
# - Adam, with its bias correction (**Exercise 05.5**).
#
# Each exercise is a function on NumPy arrays; the checks compare it, step after step, with the optimizers
# of our engine `tinyspore.nn`, which follow MindSpore 2.10 number for number.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import tinyspore as ms
from tinyspore import Parameter, Tensor, nn
from tinyspore_grader import pick
from tinyspore_grader.checks.ch05_optimizers import (
    check_adam_step,
    check_best_lr,
    check_momentum_step,
    check_rmsprop_step,
    check_sgd_step,
)

ms.set_seed(0)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. The dark valley
#
# Picture yourself at night in a valley, looking for its lowest point. You cannot see, but you can feel the
# slope under your feet (the gradient). So you step downhill, feel again, step again.
#
# Our valley is a loss of two parameters `w = (x, y)`:
#
# $$ L(x, y) = 0.05\,x^2 + y^2 $$
#
# It is long and flat along `x` and steep across `y`, like most real loss surfaces, which are flat in some
# directions and steep in others. The lowest point is `(0, 0)`; we start far away, at `(-9, 2)`.

# %%
SCALE = Tensor(np.array([0.05, 1.0], np.float32))
START = (-9.0, 2.0)


def valley(w):
    """The loss: 0.05 * x**2 + y**2 for w = (x, y), a Tensor of shape (2,)."""
    return (SCALE * w * w).sum()


def valley_contours(ax, title=""):
    """Draw the valley's contour lines (dark = low) on `ax`."""
    xs, ys = np.meshgrid(np.linspace(-10, 10, 201), np.linspace(-3.5, 3.5, 141))
    levels = np.array([0.02, 0.1, 0.3, 0.6, 1, 2, 3, 4.5, 6, 8, 10, 13])
    ax.contourf(xs, ys, 0.05 * xs**2 + ys**2, levels=np.r_[0, levels, 40], cmap="bone")
    ax.contour(xs, ys, 0.05 * xs**2 + ys**2, levels=levels, colors="white", linewidths=0.4, alpha=0.5)
    ax.plot(0, 0, marker="*", color="gold", markersize=12)
    ax.set_xlim(-10, 10)
    ax.set_ylim(-3.5, 3.5)
    ax.set_title(title, fontsize=10)


fig, ax = plt.subplots(figsize=(7, 2.8))
valley_contours(ax, "the valley L(x, y) = 0.05 x² + y²; the star is the bottom, the dot where we start")
ax.plot(*START, "o", color="tomato")
plt.show()

# %% [markdown]
# The compass reading at the start: autodiff gives the loss and the gradient. The gradient is
# `(0.1 x, 2 y) = (-0.9, 4)`: it points mostly *across* the valley, although the long way to go is *along*
# it. Keep this in mind: following the steepest slope is not the same as heading for the bottom.

# %%
loss, grad = ms.value_and_grad(valley)(Tensor(np.array(START, np.float32)))
print("loss", loss, " gradient", grad)

# %% [markdown]
# ## 2. SGD: one step downhill
#
# Stochastic gradient descent takes a step against the gradient, of a size set by the **learning rate** `lr`:
#
# $$ w \leftarrow w - \mathrm{lr} \cdot g $$
#
# MindSpore's optimizers also take a `weight_decay` λ (default 0). It is added to the gradient before the
# step, `g ← g + λ·w`, which pulls every weight a little toward zero (section 7 shows it at work).
#
# ### Exercise 05.1: sgd_step (2 points)
#
# Write one SGD step on NumPy arrays: `sgd_step(param, grad, lr, weight_decay=0.0)` returns the new
# parameter, the same shape as `param`, and leaves `param` and `grad` as they were (no update in place: the
# caller keeps the old values; this holds for every step function of this chapter). Example:
# `sgd_step(np.array([1., -2., 3.]), np.array([0.1, 0.2, -0.3]), lr=0.1)` is `[0.99, -2.02, 3.03]`.
#
# The check calls your function several times in a row on arrays of several shapes, with and without weight
# decay, compares each step with `nn.SGD` on a Parameter, and checks that the arrays it gave you are unchanged.

# %% nbgrader={"grade": false, "grade_id": "sgd_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sgd_step(param, grad, lr, weight_decay=0.0):
    """Exercise 05.1. One step of MindSpore's SGD: g = grad + weight_decay * param; param - lr * g.

    param, grad: ndarrays of the same shape; lr, weight_decay: floats. Returns the new param (an ndarray).
    """
    ### BEGIN SOLUTION
    grad = grad + weight_decay * param
    return param - lr * grad
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "sgd_step_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_sgd_step(sgd_step)
### BEGIN HIDDEN TESTS
check_sgd_step(sgd_step, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Your step next to the engine's: `nn.SGD` holds the Parameter and applies the same rule when called with
# the gradients.

# %%
my_sgd_step = pick(sgd_step, check_sgd_step)
w = Parameter(np.array([1.0, -2.0, 3.0], np.float32), name="w")
optimizer = nn.SGD([w], learning_rate=0.1)
optimizer((Tensor(np.array([0.1, 0.2, -0.3], np.float32)),))
print("nn.SGD:  ", w.asnumpy())
print("sgd_step:", my_sgd_step(np.array([1.0, -2.0, 3.0], np.float32), np.array([0.1, 0.2, -0.3], np.float32), 0.1))


# %% [markdown]
# Now let the engine walk the valley. `descend` runs the full loop: compute the loss and its gradient with
# respect to the optimizer's parameters, hand the gradients to the optimizer, repeat. (Chapter 06 builds the
# same loop for real networks.)

# %%
def descend(make_optimizer, steps=40, start=START):
    """Walk the valley with an engine optimizer; return the path (steps + 1, 2) and the losses (steps,)."""
    w = Parameter(np.array(start, np.float32), name="w")
    optimizer = make_optimizer([w])
    grad_fn = ms.value_and_grad(valley, None, optimizer.parameters)
    path, losses = [w.asnumpy().copy()], []
    for _ in range(steps):
        loss, grads = grad_fn(w)
        optimizer(grads)
        path.append(w.asnumpy().copy())
        losses.append(float(loss))
    return np.array(path), np.array(losses)


runs = {"lr = 0.05: too small": 0.05, "lr = 0.5: smooth, then a crawl": 0.5,
        "lr = 0.9: fast, zig-zagging": 0.9, "lr = 1.05: too large, diverges": 1.05}
fig, axes = plt.subplots(2, 2, figsize=(10, 5.2))
for ax, (title, lr) in zip(axes.flat, runs.items()):
    path, losses = descend(lambda params, lr=lr: nn.SGD(params, learning_rate=lr))
    valley_contours(ax, f"SGD, {title}")
    ax.plot(path[:, 0], path[:, 1], ".-", color="tomato", linewidth=1, markersize=4)
    print(f"{title:32s} loss after 40 steps: {float(valley(Tensor(path[-1]))):.4g}")
plt.tight_layout()
plt.show()

# %% [markdown]
# What the four pictures say:
#
# - **Too small** (0.05): every step is safe, and after 40 of them we have covered a fifth of the way.
# - **Smooth** (0.5): `y` is settled in one step (1 - 2·0.5 = 0), then the walk crawls along the valley floor.
# - **0.9**: across the valley we overshoot and zig-zag, but along it we move faster, so the loss is lower.
# - **Too large** (1.05): each step across the valley overshoots more than the last, and the walk explodes.
#
# The arithmetic behind it: along `y` the gradient is `2y`, so one step maps `y` to `(1 - 2·lr)·y`. That
# shrinks only if `|1 - 2·lr| < 1`, i.e. `lr < 1`. Along `x` a step maps `x` to `(1 - 0.1·lr)·x`, a slow
# crawl. **The steepest direction sets the largest safe learning rate; the flattest sets how long the walk
# takes.** Their ratio (here 20) is what makes a valley hard.
#
# ## 3. Choosing the learning rate
#
# In practice we try a few learning rates and keep the best. Here is such a sweep on the valley; a run that
# diverges ends in huge numbers, or `inf`/`nan` once they overflow.

# %%
sweep = [0.05, 0.2, 0.5, 0.9, 1.05]
final_losses = {}
fig, ax = plt.subplots(figsize=(7, 3.2))
for lr in sweep:
    path, losses = descend(lambda params, lr=lr: nn.SGD(params, learning_rate=lr))
    final_losses[lr] = float(valley(Tensor(path[-1])))
    ax.semilogy(losses, label=f"lr = {lr}")
ax.set_xlabel("step")
ax.set_ylabel("loss (log scale)")
ax.set_title("SGD on the valley: the loss for five learning rates")
ax.legend(fontsize=8)
plt.show()
print({lr: round(loss, 4) for lr, loss in final_losses.items()})

# %% [markdown]
# ### Exercise 05.2: best_lr (1 point)
#
# Write `best_lr(final_losses)`: given a dict `{learning_rate: final_loss}`, return the learning rate whose
# final loss is the smallest, **ignoring runs that diverged** to `nan` or `inf` (there is always at least one
# finite loss). Careful: every comparison with `nan` is False, so `min` does not skip it for you.
# Example: `best_lr({0.01: 0.5, 0.1: 0.2, 1.0: float("nan")})` is `0.1`.

# %% nbgrader={"grade": false, "grade_id": "best_lr", "locked": false, "schema_version": 3, "solution": true, "task": false}
def best_lr(final_losses):
    """Exercise 05.2. The learning rate (a key of `final_losses`) with the smallest finite final loss.

    final_losses: dict {lr (float): final loss (float, maybe nan or inf)}. Returns a float.
    """
    ### BEGIN SOLUTION
    finite = {lr: loss for lr, loss in final_losses.items() if math.isfinite(loss)}
    return min(finite, key=finite.get)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "best_lr_test", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_best_lr(best_lr)
### BEGIN HIDDEN TESTS
check_best_lr(best_lr, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# On our sweep the winner is the largest learning rate that does not diverge: the best setting often sits
# just below the edge of stability. (A real sweep usually spaces the rates by factors of about 3: 0.01,
# 0.03, 0.1, 0.3, ...)

# %%
my_best_lr = pick(best_lr, check_best_lr)
print("best learning rate of the sweep:", my_best_lr(final_losses))

# %% [markdown]
# ## 4. Momentum and Nesterov: a heavy ball
#
# SGD zig-zags across the valley and crawls along it. **Momentum** keeps a running sum of past gradients,
# the velocity `v`: the zig-zags cancel out in the sum, while the steady push along the valley adds up, like
# a heavy ball that rolls on. MindSpore's `nn.Momentum(params, learning_rate, momentum)` does, with
# `u = momentum`:
#
# $$ v \leftarrow u\,v + g, \qquad w \leftarrow w - \mathrm{lr}\cdot v $$
#
# `v` starts at zero and is **kept from one step to the next**: that memory is the whole point. With
# `use_nesterov=True` the step looks ahead along the velocity: `w ← w - lr·(g + u·v)` with the new `v`.
# (Weight decay is added to `g` first, as for SGD. Note that there is no `(1 - u)` in front of `g`: this is a
# sum, not a moving average.)
#
# ### Exercise 05.3: momentum_step (2 points)
#
# Write `momentum_step(param, grad, moment, lr, momentum=0.9, use_nesterov=False, weight_decay=0.0)`. It
# returns the pair `(new_param, new_moment)`. `moment` is `None` on the first call (start from zeros) and,
# afterwards, whatever your previous call returned. Example, `lr=0.1, momentum=0.9` from `[1., -2., 3.]`:
# gradients `[0.1, 0.2, -0.3]` then `[0.5, -0.1, 0.2]` give `[0.99, -2.02, 3.03]` then `[0.931, -2.028, 3.037]`.
#
# The check chains 3 to 5 calls, feeding your moment back, and compares each step with `nn.Momentum`.

# %% nbgrader={"grade": false, "grade_id": "momentum_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def momentum_step(param, grad, moment, lr, momentum=0.9, use_nesterov=False, weight_decay=0.0):
    """Exercise 05.3. One step of MindSpore's Momentum; returns (new_param, new_moment).

    param, grad: ndarrays of one shape; moment: None on the first step, else the moment returned last time.
    """
    ### BEGIN SOLUTION
    grad = grad + weight_decay * param
    if moment is None:
        moment = np.zeros_like(param)
    moment = momentum * moment + grad
    if use_nesterov:
        return param - lr * (grad + momentum * moment), moment
    return param - lr * moment, moment
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "momentum_step_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_momentum_step(momentum_step)
### BEGIN HIDDEN TESTS
check_momentum_step(momentum_step, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. RMSProp: a step size for every coordinate
#
# Momentum still uses one learning rate for every direction. **RMSProp** divides each coordinate's gradient
# by the root of a running average of its squares, so steep directions (large gradients) get small steps and
# flat ones large steps. MindSpore's `nn.RMSProp(params, learning_rate, decay=0.9, epsilon=1e-10)`, with
# `ρ = decay`:
#
# $$ s \leftarrow \rho\,s + (1-\rho)\,g^2, \qquad w \leftarrow w - \mathrm{lr}\cdot \frac{g}{\sqrt{s + \epsilon}} $$
#
# Two MindSpore details that change the numbers: the mean square `s` **starts at ones**, not zeros (so the
# first steps are about `lr·g`, not a jump of `3·lr` whatever `g`), and epsilon sits **inside** the square
# root. (MindSpore's RMSProp also has a `momentum` and a `centered` option; we keep them off.)

# %%
w = Parameter(np.array([1.0, -2.0, 3.0], np.float32), name="w")
rmsprop = nn.RMSProp([w], learning_rate=0.1)
state = rmsprop.ms[0]  # MindSpore's attribute `ms`: one mean-square Parameter per parameter
print(state.name, "before the first step:", state.asnumpy())

# %% [markdown]
# ### Exercise 05.4: rmsprop_step (2 points)
#
# Write `rmsprop_step(param, grad, mean_square, lr, decay=0.9, epsilon=1e-10, weight_decay=0.0)`, returning
# `(new_param, new_mean_square)`; `mean_square` is `None` on the first call. Example: from `[1., -2., 3.]`
# with `lr=0.1` and gradient `[0.1, 0.2, -0.3]`, the new parameter is `[0.98946, -2.02104, 3.03147]`.
#
# The check chains several calls and compares each step with `nn.RMSProp`; some cases use a large epsilon,
# to see where you put it.

# %% nbgrader={"grade": false, "grade_id": "rmsprop_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rmsprop_step(param, grad, mean_square, lr, decay=0.9, epsilon=1e-10, weight_decay=0.0):
    """Exercise 05.4. One step of MindSpore's RMSProp (no momentum); returns (new_param, new_mean_square).

    param, grad: ndarrays of one shape; mean_square: None on the first step, else the one returned last time.
    """
    ### BEGIN SOLUTION
    grad = grad + weight_decay * param
    if mean_square is None:
        mean_square = np.ones_like(param)
    mean_square = decay * mean_square + (1 - decay) * grad * grad
    return param - lr * grad / np.sqrt(mean_square + epsilon), mean_square
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "rmsprop_step_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_rmsprop_step(rmsprop_step)
### BEGIN HIDDEN TESTS
check_rmsprop_step(rmsprop_step, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Adam: momentum, RMSProp and a bias correction
#
# **Adam** keeps both running averages: `m` of the gradients (like momentum) and `v` of their squares (like
# RMSProp), and steps by `m / sqrt(v)`. Both start at zero, so in the first steps they are too small: after
# one step `m = (1 - β1)·g = 0.1·g`. The **bias correction** undoes that with the step count `t`. MindSpore's
# `nn.Adam(params, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8)` folds the correction into the
# learning rate:
#
# $$ m \leftarrow \beta_1 m + (1-\beta_1)\,g, \qquad v \leftarrow \beta_2 v + (1-\beta_2)\,g^2, \qquad
#    t \leftarrow t + 1 $$
#
# $$ \mathrm{lr}_t = \mathrm{lr}\cdot\frac{\sqrt{1-\beta_2^{\,t}}}{1-\beta_1^{\,t}}, \qquad
#    w \leftarrow w - \mathrm{lr}_t \cdot \frac{m}{\sqrt{v} + \epsilon} $$
#
# Epsilon is added to `sqrt(v)` itself, not to the corrected `sqrt(v / (1 - β2^t))` as in PyTorch; the two
# differ when gradients are tiny. Weight decay is again added to the gradient first.
#
# What the correction buys: on the very first step `m/sqrt(v)` is `0.1·g / (0.0316·|g|) ≈ 3.16·sign(g)`, and
# `lr_1 = lr·0.0316/0.1`, so the first step is `lr·sign(g)`: exactly `lr` per coordinate, whatever the size of
# the gradient.

# %%
w = Parameter(np.array([1.0, -2.0, 3.0], np.float32), name="w")
adam = nn.Adam([w], learning_rate=0.1)
adam((Tensor(np.array([0.1, 0.2, -0.3], np.float32)),))
print("after one Adam step:", w.asnumpy(), " (each coordinate moved by lr = 0.1)")

# %% [markdown]
# ### Exercise 05.5: adam_step (3 points)
#
# Write `adam_step(param, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0)`. The state is
# the triple `(m, v, t)`: `None` on the first call (start with zeros and `t = 0`), afterwards what your
# previous call returned. Return `(new_param, (m, v, t))` with `t` counting the steps done, so the first step
# uses `t = 1`.
#
# The check chains several calls and compares each step with `nn.Adam`, including cases with tiny gradients
# and a large eps (to see where eps goes) and with small betas (to see the bias correction).

# %% nbgrader={"grade": false, "grade_id": "adam_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def adam_step(param, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    """Exercise 05.5. One step of MindSpore's Adam; returns (new_param, (m, v, t)).

    param, grad: ndarrays of one shape; state: None on the first step, else the (m, v, t) returned last time.
    """
    ### BEGIN SOLUTION
    grad = grad + weight_decay * param
    if state is None:
        state = (np.zeros_like(param), np.zeros_like(param), 0)
    m, v, t = state
    t = t + 1
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    lr_t = lr * math.sqrt(1 - beta2**t) / (1 - beta1**t)
    return param - lr_t * m / (np.sqrt(v) + eps), (m, v, t)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "adam_step_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check_adam_step(adam_step)
### BEGIN HIDDEN TESTS
check_adam_step(adam_step, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 7. Weight decay
#
# Weight decay adds `λ·w` to every gradient, as if the loss had an extra term `λ/2·|w|²`. Where the loss is
# flat, that is all that is left, and each SGD step multiplies the weights by `(1 - lr·λ)`: they decay toward
# zero unless the data pushes back. It keeps weights small, which often helps a model generalize.
# (MindSpore skips parameters whose name contains `beta` or `gamma`, the shifts and scales of normalization
# layers.)

# %%
w = Parameter(np.array([1.0, -2.0], np.float32), name="w")
optimizer = nn.SGD([w], learning_rate=0.1, weight_decay=0.5)
zero_gradient = (Tensor(np.zeros(2, np.float32)),)
for step in range(1, 4):
    optimizer(zero_gradient)
    print(f"step {step}: {w.asnumpy()}   (each step multiplies by 1 - 0.1 * 0.5 = 0.95)")

# %% [markdown]
# ## 8. Your optimizers in the valley
#
# Time to let *your* executors walk the valley. The loop below feeds each of your step functions the
# compass reading (the gradient from autodiff) and the state it returned last time. Any function that does
# not pass its check yet is replaced by the reference, so the picture always appears; once yours pass, these
# are your own paths.

# %%
my_steps = {
    "SGD, lr 0.5": (pick(sgd_step, check_sgd_step), {"lr": 0.5}),
    "Momentum, lr 0.2, 0.9": (pick(momentum_step, check_momentum_step),
                              {"lr": 0.2, "momentum": 0.9}),
    "Nesterov, lr 0.2, 0.9": (pick(momentum_step, check_momentum_step),
                              {"lr": 0.2, "momentum": 0.9, "use_nesterov": True}),
    "RMSProp, lr 0.3": (pick(rmsprop_step, check_rmsprop_step), {"lr": 0.3}),
    "Adam, lr 0.3": (pick(adam_step, check_adam_step), {"lr": 0.3}),
}


def descend_with(step, hyper, stateful=True, steps=40, start=START):
    """Walk the valley with a step function; return the path (steps + 1, 2)."""
    grad_fn = ms.grad(valley)
    w, state, path = np.array(start, np.float32), None, [np.array(start)]
    for _ in range(steps):
        g = grad_fn(Tensor(w)).asnumpy()
        if stateful:
            w, state = step(w, g, state, **hyper)
        else:
            w = step(w, g, **hyper)
        w = np.asarray(w, np.float32)
        path.append(w)
    return np.array(path)


fig, axes = plt.subplots(3, 2, figsize=(10, 7.5))
for ax, (name, (step, hyper)) in zip(axes.flat, my_steps.items()):
    path = descend_with(step, hyper, stateful=not name.startswith("SGD"))
    valley_contours(ax, name)
    ax.plot(path[:, 0], path[:, 1], ".-", color="tomato", linewidth=1, markersize=4)
    print(f"{name:24s} loss after 40 steps: {float(valley(Tensor(path[-1]))):.2g}")
axes.flat[-1].axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# Read the paths: momentum overshoots the bottom and swings back (the heavy ball), but gets there far sooner
# than SGD; Nesterov's look-ahead damps the swing. RMSProp's mean square starts at one, so on this valley its
# steps stay close to SGD's; Adam's bias correction makes its first steps about `lr` per coordinate, whatever
# the slope, so it curves toward the bottom instead of first dropping to the valley floor.
# No optimizer wins everywhere; Adam with a small learning rate is a popular first try, and SGD with momentum
# is still the standard for many vision models.
#
# ## Summary
#
# - The optimizer is the executor: it turns gradients into parameter updates. In MindSpore it is a Cell
#   called with the tuple of gradients, `optimizer(grads)`.
# - SGD: `w ← w - lr·g`. The steepest direction caps the learning rate (here `lr < 1`); the flattest decides
#   how long training takes. Pick the rate from a sweep, skipping runs that diverged.
# - Momentum keeps a velocity `v ← u·v + g` from step to step; Nesterov steps with `g + u·v`.
# - RMSProp divides by `sqrt(s + ε)`, with MindSpore's mean square `s` starting at **one**.
# - Adam combines both with a bias correction folded into `lr_t = lr·sqrt(1-β2^t)/(1-β1^t)`, and eps added to
#   `sqrt(v)`.
# - Weight decay adds `λ·w` to the gradient and pulls weights toward zero.
#
# Next, chapter 06 puts everything together in the train loop: forward, loss, gradients, update, over and
# over, on real data.
