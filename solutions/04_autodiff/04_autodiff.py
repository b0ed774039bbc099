# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 04: Autodiff, the compass
#
# We have the raw material (Tensors), the production line (Cells) and the quality standard (the loss). What
# is missing is a **compass**: for every knob of the machine (every parameter), which way should we turn it,
# and how strongly, so that the loss goes down? That direction is the **gradient**, and the part of the engine
# that computes it for any program you write is **automatic differentiation** (autodiff).
#
# In this chapter you will:
# - compute a gradient by hand with the chain rule, then by nudging the inputs (**Exercise 04.1**);
# - see a program as a **computation graph** and draw one;
# - write the **backward rules** of mul and matmul (**Exercise 04.2**) and of sum, relu, exp and log
#   (**Exercise 04.3**);
# - put the nodes in **topological order** (**Exercise 04.4**) and write the **backward pass** that walks the
#   graph in reverse and adds up gradients (**Exercise 04.5**), then check your engine against `tinyspore.grad`;
# - use the engine's API: `grad`, `value_and_grad` (with `grad_position`, `weights`, `has_aux`) and
#   `ops.GradOperation`;
# - add an operation to the engine itself, forward and backward side by side, with its `@primitive`
#   decorator, and differentiate it with `ms.grad` (**Exercise 04.6**);
# - see why the seed tutorial's `loss, grads = grad_fn(...)` goes wrong.

# %%
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np

import tinyspore as ms
from tinyspore import nn, ops
from tinyspore.ops import primitives as P
from tinyspore.ops import sum_to_shape
from tinyspore.ops.primitives import primitive
from tinyspore_grader import pick
from tinyspore_grader.checks.ch04_autodiff import (
    check_backward,
    check_binary_backward,
    check_hypot,
    check_numeric_grad,
    check_topological_order,
    check_unary_backward,
)

ms.set_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Derivatives and the chain rule
#
# Take a tiny program of three inputs:
#
# $$d = a \cdot b, \qquad e = d + c, \qquad f = e \cdot a \qquad\text{with } a = 2,\ b = -3,\ c = 10.$$
#
# The derivative $\partial f / \partial a$ says how much $f$ moves when $a$ moves a little. Each step of the
# program has an easy **local** derivative: $\partial f/\partial e = a$, $\partial e/\partial d = 1$,
# $\partial d/\partial a = b$. The **chain rule** multiplies local derivatives along a path:
# $\partial f/\partial d = \partial f/\partial e \cdot \partial e/\partial d = a \cdot 1$.
#
# Notice that `a` is used **twice**: in $d = a \cdot b$ and again in $f = e \cdot a$. Each use is a path from
# `a` to `f`, and the gradient of `a` is the **sum** over the paths. Keep this in mind: it is the one rule
# that beginners' engines most often get wrong.

# %%
a, b, c = 2.0, -3.0, 10.0
d = a * b
e = d + c
f = e * a
print(f"forward: d = {d}, e = {e}, f = {f}")

df_de = a                    # f = e * a
df_dd = df_de * 1.0          # e = d + c
df_dc = df_de * 1.0
df_db = df_dd * a            # d = a * b
df_da = df_dd * b + e        # two paths: through d, and directly through f = e * a
print(f"chain rule: df/da = {df_da}, df/db = {df_db}, df/dc = {df_dc}")

# %% [markdown]
# Check with algebra: $f = (ab + c)a = a^2 b + ac$, so $\partial f/\partial a = 2ab + c = -12 + 10 = -2$,
# $\partial f/\partial b = a^2 = 4$ and $\partial f/\partial c = a = 2$.

# %% [markdown]
# ## 2. Checking by nudging: numeric gradients
#
# There is a way to get a gradient that needs no calculus at all: nudge one input by a small `eps` and watch
# the output. The **central difference** nudges both ways:
#
# $$\frac{\partial f}{\partial x_i} \approx \frac{f(x + \varepsilon e_i) - f(x - \varepsilon e_i)}{2\varepsilon}$$
#
# where $e_i$ is 1 at element $i$ and 0 elsewhere. It is slow (two calls of `f` per element) and only
# approximate, which is why nobody trains with it. But it is the perfect **referee**: it needs nothing but
# `f` itself, so every backward rule of the engine is tested against it.
#
# ### Exercise 04.1: numeric_grad (2 points)
#
# Write `numeric_grad(f, x, eps=1e-6)`. `f` takes a float64 array of `x`'s shape and returns a number; `x` is
# a float64 ndarray of any shape (also 0-d). Return a float64 ndarray of `x`'s shape whose element `i` is the
# central difference above, with exactly the `eps` you are given. Nudge one element at a time and put it back
# afterwards (or work on a copy): `for i in np.ndindex(x.shape)` visits every index, even for a 0-d `x`.
#
# Example: `numeric_grad(lambda v: np.sum(v ** 2), np.array([1.0, -2.0]))` is close to `[2., -4.]`.
# The check tries several functions, a 0-d `x`, size-1 axes, and large values of `eps` (where the central
# and the one-sided formulas differ visibly).

# %% nbgrader={"grade": false, "grade_id": "numeric_grad", "locked": false, "schema_version": 3, "solution": true, "task": false}
def numeric_grad(f, x, eps=1e-6):
    """Exercise 04.1. The gradient of the scalar function `f` at `x`, by central differences.

    f: float64 ndarray of x's shape -> number; x: float64 ndarray (any shape); eps: the nudge.
    Returns a float64 ndarray of x's shape: (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) at each index i.
    """
    ### BEGIN SOLUTION
    x = np.array(x, dtype=np.float64)  # a private copy that we nudge
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = float(f(x))
        x[i] = old - eps
        down = float(f(x))
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "numeric_grad_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_numeric_grad(numeric_grad)
### BEGIN HIDDEN TESTS
check_numeric_grad(numeric_grad, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Your `numeric_grad` (or the reference, until yours passes) on the example of section 1, with the three
# inputs in one vector `(a, b, c)`: the chain rule's `-2, 4, 2` again.

# %%
nudge = pick(numeric_grad, check_numeric_grad)
print(np.round(nudge(lambda v: (v[0] * v[1] + v[2]) * v[0], np.array([2.0, -3.0, 10.0])), 6))

# %% [markdown]
# **How small should `eps` be?** Smaller is not always better. The formula's own error (truncation) shrinks
# like $\varepsilon^2$ for the central difference but only like $\varepsilon$ for the one-sided
# $(f(x+\varepsilon) - f(x))/\varepsilon$. Meanwhile float64 rounds every value of `f` by about
# $10^{-16}$, and dividing by a tiny $\varepsilon$ blows that rounding up. The picture shows both effects for
# $f(x) = e^x$ at $x = 1$ (true slope $e$): the central difference is best around $\varepsilon \approx 10^{-5}$
# and beats the one-sided one by several digits.

# %%
eps_values = np.logspace(-14, -1, 40)
x0 = np.array([1.0])
central = [abs(nudge(lambda v: np.exp(v).sum(), x0, eps)[0] - np.e) for eps in eps_values]
one_sided = [abs((np.exp(1.0 + eps) - np.exp(1.0)) / eps - np.e) for eps in eps_values]
fig, ax = plt.subplots(figsize=(6, 3.6))
ax.loglog(eps_values, one_sided, "o-", ms=3, label="one-sided (f(x+eps) - f(x)) / eps")
ax.loglog(eps_values, central, "s-", ms=3, label="central (f(x+eps) - f(x-eps)) / (2 eps)")
ax.set_xlabel("eps")
ax.set_ylabel("|error| of the slope")
ax.set_title("Numeric gradient of exp at x = 1: rounding (left) vs truncation (right)")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# Lesson for later: compare gradients in **float64** with `eps` around `1e-6`. In float32 (7 digits) the
# rounding wall moves far to the right, and numeric gradients become too noisy to judge anything.
#
# ## 3. The computation graph
#
# Autodiff does not see formulas; it sees the **operations your program ran**. Each operation's output is a
# node of a graph whose edges point from the inputs to the output. Here is the small `Node` class this
# chapter works with. Besides its value, a node remembers its parents and its **backward rule**: a function
# that turns the gradient of the node into one gradient per parent.

# %%
class Node:
    """One value of a computation graph.

    value:    the ndarray the forward pass computed.
    parents:  the Nodes this value was computed from (empty for an input).
    backward: the rule g -> (one gradient per parent); g has value's shape, each gradient has its parent's
              shape. None for an input.
    name:     a label for printing and drawing.
    """

    def __init__(self, value, parents=(), backward=None, name=""):
        self.value = np.asarray(value)
        self.parents = tuple(parents)
        self.backward = backward
        self.name = name

    def __repr__(self):
        return f"Node({self.name})"


def apply(primitive, *parents, name="", **attrs):
    """A new node: run the engine primitive's forward on the parents' values and keep its backward rule."""
    out, rule = primitive.forward(*(parent.value for parent in parents), **attrs)
    return Node(out, parents, rule, name)


# %% [markdown]
# `apply` borrows each operation from the engine: every primitive in `tinyspore.ops.primitives` is written as
# a NumPy function returning `(out, backward)`, so `P.mul.forward(x, y)` gives `x * y` and the rule for it.
# (Inside `tinyspore.grad` the engine does the same bookkeeping on its Tensors.) The example of section 1:

# %%
a = Node(2.0, name="a")
b = Node(-3.0, name="b")
c = Node(10.0, name="c")
d = apply(P.mul, a, b, name="d = a*b")
e = apply(P.add, d, c, name="e = d+c")
f = apply(P.mul, e, a, name="f = e*a")
print(f, "=", f.value, "; parents:", f.parents, "; grandparents:", [p.parents for p in f.parents])


# %% [markdown]
# Drawn as a picture (inputs on the left, each box with its forward value): the arrow from `a` skips ahead to
# `f`, because `a` is used twice.

# %%
def draw_graph(order, grads=None, ax=None, title=""):
    """Draw a graph of scalar nodes given in topological order: inputs on the left, the output on the right.

    Each box shows the node's name and value; its gradient is written below in red when `grads` is given.
    """
    level, rows, where = {}, {}, {}
    for node in order:  # a node sits one column right of its right-most parent
        level[node] = 1 + max((level[p] for p in node.parents), default=-1)
        rows[level[node]] = rows.get(level[node], 0) + 1
        where[node] = (level[node], -(rows[level[node]] - 1))
    ax = ax or plt.subplots(figsize=(7, 3.2))[1]
    for node in order:
        for parent in dict.fromkeys(node.parents):  # x + x draws one arrow
            (x0, y0), (x1, y1) = where[parent], where[node]
            bend = -0.3 if y0 == y1 and x1 - x0 > 1 else 0.0  # a long edge along a row arcs over the boxes
            ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                        arrowprops={"arrowstyle": "->", "color": "0.4", "shrinkA": 24, "shrinkB": 24,
                                    "connectionstyle": f"arc3,rad={bend}"})
    for node in order:
        x, y = where[node]
        ax.text(x, y, f"{node.name}\n{float(node.value):g}", ha="center", va="center", fontsize=9,
                bbox={"boxstyle": "round,pad=0.4", "fc": "#e8f0fb" if node.parents else "#f4f4f4", "ec": "0.5"})
        if grads is not None:
            ax.text(x, y - 0.32, f"grad {float(grads[node]):g}", ha="center", va="top", fontsize=9, color="crimson")
    ax.set_xlim(-0.6, max(level.values()) + 0.6)
    ax.set_ylim(-max(rows.values()) + 0.2, 1.0)
    ax.set_title(title, fontsize=10)
    ax.axis("off")
    return ax


example_order = [a, b, c, d, e, f]  # listed by hand: every node after its parents
draw_graph(example_order, title="f = (a*b + c) * a: the forward pass")
plt.show()

# %% [markdown]
# **Topological order.** We listed the nodes so that every node comes *after* all of its parents. Such a list
# is a topological order. The forward pass runs in this order (a node's inputs must exist first); the
# backward pass runs in the **reverse** order: a node can pass its gradient back only once it is complete,
# that is, once every node that uses it has contributed. In `f = e * a`, `a` receives a contribution from `f`
# directly and another from `d`; only when both have arrived is `a`'s gradient final.
#
# ## 4. Backward rules: one node at a time
#
# **Reverse mode** needs just one thing from each operation: given `g`, the gradient of the (final, scalar)
# output with respect to the operation's output, return the gradient with respect to each input. By the
# chain rule that is `g` times the local derivative, arranged to the input's shape.
#
# Here is the rule of `x + y`, with broadcasting. Each input receives `g` unchanged (the local derivative is 1);
# but an input that broadcasting stretched was **used at many places**, so, like `a` above, it receives the
# **sum** of those places. `sum_to_shape` (chapter 01; here the engine's own) does exactly that.

# %%
def add_backward(g, x, y):
    """The rule of x + y: each input receives g, summed back to the input's own shape."""
    return sum_to_shape(g, x.shape), sum_to_shape(g, y.shape)


x = rng.standard_normal((4, 3))
y = rng.standard_normal(3)
g = rng.standard_normal((4, 3))
gx, gy = add_backward(g, x, y)
print("shapes:", gx.shape, gy.shape)

# %% [markdown]
# How do we know a rule is right? A rule answers "how does `sum(g * out)` change with each input?", so the
# numeric gradient of that sum must agree with it:

# %%
print("x:", np.allclose(gx, nudge(lambda v: np.sum(g * (v + y)), x)),
      " y:", np.allclose(gy, nudge(lambda v: np.sum(g * (x + v)), y)))


# %% [markdown]
# The checks of the next two exercises do this for you on many shapes. All rules work on **NumPy arrays**
# (not Tensors), keep `g`'s dtype, and return gradients of exactly the inputs' shapes. Each exercise groups
# several rules in one function that picks the rule by the op's name, as a small table of rules would.
#
# ### Exercise 04.2: binary_backward (3 points)
#
# Write `binary_backward(op, g, x, y)`, the rules of the two products. Return the pair `(gx, gy)`.
#
# **`op == "mul"`**: `out = x * y`, elementwise with broadcasting. Each input's local derivative is the
# *other* input, so `gx` is `g * y` and `gy` is `g * x`, each summed back to its input's shape with
# `sum_to_shape` (as in `add_backward`). Example: `x` of shape `(4, 1)`, `y` of shape `(1, 3)`, `g` of shape
# `(4, 3)`: `gx` has shape `(4, 1)` and `gy` shape `(1, 3)`.
#
# **`op == "matmul"`**: `out = x @ y`, with `x` of shape `(..., n, k)`, `y` of shape `(..., k, m)` and `g` of
# shape `(..., n, m)` (both at least 2-D). Let the shapes guide you: the only way to make `(n, k)` from
# `g (n, m)` and `y (k, m)` is `g @ y^T`; likewise `x^T @ g` has shape `(k, m)`. For batches (3-D and more)
# transpose only the **last two** axes, `np.swapaxes(y, -1, -2)`: careful, `.T` reverses *all* axes. Batch axes
# broadcast like `+` does, so `(2, 3, 4) @ (4, 5)` uses `y` for every batch item: sum its gradient over the
# batch with `sum_to_shape`.
#
# The check tries float32 and float64, 0-d inputs, size-1 and added axes for `mul`; rectangular and square
# matrices (where a wrong transpose still has the right shape) and batches on either side for `matmul`.

# %% nbgrader={"grade": false, "grade_id": "binary_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def binary_backward(op, g, x, y):
    """Exercise 04.2. The rule of out = x * y (op "mul", broadcasting) or out = x @ y (op "matmul", batched).

    g: ndarray of out's shape; x, y: the forward inputs. Returns (gx, gy) of x's and y's shapes, g's dtype.
    """
    ### BEGIN SOLUTION
    if op == "mul":
        gx, gy = g * y, g * x
    elif op == "matmul":
        gx, gy = g @ np.swapaxes(y, -1, -2), np.swapaxes(x, -1, -2) @ g
    else:
        raise ValueError(f"binary_backward: unknown op {op!r}; expected 'mul' or 'matmul'")
    return sum_to_shape(gx, x.shape), sum_to_shape(gy, y.shape)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "binary_backward_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check_binary_backward(binary_backward)
### BEGIN HIDDEN TESTS
check_binary_backward(binary_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 04.3: unary_backward (3 points)
#
# Write `unary_backward(op, g, x, axis=None, keepdims=False)`, the rules of four ops with one input. Return
# `gx`, of `x`'s shape. Three of them work element by element, and their rule is `g` times the local slope:
#
# | op | forward | local slope |
# |---|---|---|
# | `"relu"` | `max(x, 0)` | 1 where `x > 0`, 0 where `x < 0` |
# | `"exp"` | `exp(x)` | `exp(x)` |
# | `"log"` | `log(x)` | `1 / x` |
#
# At exactly `x == 0` relu has no slope; the check accepts 0 or 1 there (MindSpore and tinyspore use 0).
#
# **`op == "sum"`**: `out = x.sum(axis=axis, keepdims=keepdims)`. Every element of `x` enters its sum once,
# with local derivative 1, so its gradient is the `g` of its sum: copy `g` back along the summed axes (only
# `x`'s shape matters). The trap: with `keepdims=False` the summed axes are gone from `g`, and broadcasting
# aligns shapes on the right, so `np.broadcast_to(g, x.shape)` silently copies along the wrong axis (or
# fails). First put the summed axes back as size 1 (`np.expand_dims(g, axis)` takes an int or a tuple), then
# broadcast. `axis=None` means all axes; `axis` may be negative or a tuple. Example: `x` of shape `(3, 4)`,
# `axis=1`: `g` has shape `(3,)`, becomes `(3, 1)`, then `(3, 4)`.
#
# The check tries float32 and float64, 0-d arrays, relu at its kink, and sums over every kind of `axis`,
# with and without `keepdims`, on square shapes too.

# %% nbgrader={"grade": false, "grade_id": "unary_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def unary_backward(op, g, x, axis=None, keepdims=False):
    """Exercise 04.3. The rule of out = relu(x), exp(x), log(x) or x.sum(axis=axis, keepdims=keepdims).

    op: "relu", "exp", "log" or "sum"; g: ndarray of out's shape; x: the forward input.
    Returns gx, an ndarray of x's shape with g's dtype.
    """
    ### BEGIN SOLUTION
    if op == "relu":
        return g * (x > 0)
    if op == "exp":
        return g * np.exp(x)
    if op == "log":
        return g / x
    if op == "sum":
        if axis is not None and not keepdims:
            g = np.expand_dims(g, axis)
        return np.broadcast_to(g, x.shape)
    raise ValueError(f"unary_backward: unknown op {op!r}; expected 'relu', 'exp', 'log' or 'sum'")
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "unary_backward_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check_unary_backward(unary_backward)
### BEGIN HIDDEN TESTS
check_unary_backward(unary_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Walking the graph
#
# With a rule at every node, the backward pass is a walk: list the nodes in topological order, then go
# through the list **backwards**, handing each node's gradient to its rule and the results to its parents.
#
# ### Exercise 04.4: topological_order (2 points)
#
# Write `topological_order(root)`: a list of every node `root` depends on (through `.parents`, the inputs
# included) and `root` itself, each node **once**, every node after all of its parents (so `root` is last).
#
# The classic way is a depth-first walk: visit a node's parents first, then append the node. Keep a set of
# the nodes already visited: a node used twice (like `a`) must not be listed twice, and a parent can even be
# the same node twice (`x + x`). Nodes are hashable, so `set()` and `dict` work with them. The check tries
# the example graph, `x + x`, a diamond, a small network, random graphs and a chain of 30 nodes.

# %% nbgrader={"grade": false, "grade_id": "topological_order", "locked": false, "schema_version": 3, "solution": true, "task": false}
def topological_order(root):
    """Exercise 04.4. Every node root depends on, and root, each once, parents before children.

    root: a Node. Returns a list of Nodes ending with root.
    """
    ### BEGIN SOLUTION
    order, visited = [], set()

    def visit(node):
        if node in visited:
            return
        visited.add(node)
        for parent in node.parents:
            visit(parent)
        order.append(node)  # after all its parents

    visit(root)
    return order
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "topological_order_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_topological_order(topological_order)
### BEGIN HIDDEN TESTS
check_topological_order(topological_order, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# (A recursive walk is fine here. The engine's `topological_order`, in `tinyspore/autodiff.py`, walks with
# an explicit stack instead, because Python stops recursing after about 1000 levels and a network can easily
# run more operations than that. And `grad` needs no search at all: an op runs after the ops that made its
# inputs, so the order in which the ops ran is a topological order already. The engine keeps that list, a
# *tape*, while it records.)
#
# ### Exercise 04.5: backward (3 points)
#
# Write `backward(root, order)`, the backward pass. `order` is a topological order of the graph (from
# `topological_order(root)`, or any other valid one). Return a dict `{node: gradient}` with an entry for
# **every** node in `order`: the gradient of `sum(root.value)` with respect to `node.value`, an array of
# `node.value`'s shape. (The root may be a whole array, not just a number: its gradient is then that of the
# sum of its elements, MindSpore's default too.)
#
# What you have: `node.backward(g)`, given the gradient `g` of a node, returns one gradient per parent, in
# the order of `node.parents`; inputs have `backward=None`. The check runs graphs in which nodes are used
# more than once, and gives the order in more than one valid arrangement.

# %% nbgrader={"grade": false, "grade_id": "backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def backward(root, order):
    """Exercise 04.5. The gradient of sum(root.value) with respect to every node of `order`.

    root: a Node; order: the nodes root depends on, in topological order (root last).
    Returns a dict {node: ndarray of node.value's shape}.
    """
    ### BEGIN SOLUTION
    grads = {root: np.ones_like(root.value)}
    for node in reversed(order):
        if node.backward is None:
            continue
        for parent, g in zip(node.parents, node.backward(grads[node])):
            grads[parent] = grads[parent] + g if parent in grads else g
    return grads
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "backward_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check_backward(backward)
### BEGIN HIDDEN TESTS
check_backward(backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Your walk on the example graph (or the reference's, until yours passes): the gradients of section 1, and
# the picture with the gradients added.

# %%
my_order = pick(topological_order, check_topological_order)
my_backward = pick(backward, check_backward)
order = my_order(f)
grads = my_backward(f, order)
for node in order:
    print(f"{node.name:8}  value {float(node.value):4g}   gradient {float(grads[node]):4g}")
draw_graph(order, grads, title="f = (a*b + c) * a: forward values and gradients")
plt.show()

# %% [markdown]
# ### Your engine against tinyspore's
#
# Now all your pieces together: a tiny layer `loss = sum(relu(x @ W + b) ** 2)`, written as a graph whose
# every rule is **yours** (each one picked only if it passes its check), walked by **your** topological
# order and backward pass. Compare with `tinyspore.grad` on the same function.

# %%
rules = SimpleNamespace(
    binary=pick(binary_backward, check_binary_backward),
    unary=pick(unary_backward, check_unary_backward),
)


def tiny_layer(x, W, b):
    """loss = sum(relu(x @ W + b) ** 2) as a graph of Nodes with your backward rules."""
    X, Wn, B = Node(x, name="x"), Node(W, name="W"), Node(b, name="b")
    z = Node(x @ W, (X, Wn), lambda g: rules.binary("matmul", g, x, W), "z = x @ W")
    y = Node(z.value + b, (z, B), lambda g: add_backward(g, z.value, b), "y = z + b")
    h = Node(np.maximum(y.value, 0), (y,), lambda g: (rules.unary("relu", g, y.value),), "h = relu(y)")
    q = Node(h.value * h.value, (h, h), lambda g: rules.binary("mul", g, h.value, h.value), "q = h * h")
    loss = Node(q.value.sum(), (q,), lambda g: (rules.unary("sum", g, q.value),), "loss = sum(q)")
    return loss, (X, Wn, B)


x = rng.standard_normal((5, 3))
W = rng.standard_normal((3, 4))
b = rng.standard_normal(4)
loss, inputs = tiny_layer(x, W, b)
mine = my_backward(loss, my_order(loss))


def layer_loss(x, W, b):
    h = ops.relu(x @ W + b)
    return (h * h).sum()


engine = ms.grad(layer_loss, grad_position=(0, 1, 2))(ms.Tensor(x), ms.Tensor(W), ms.Tensor(b))
for node, expected in zip(inputs, engine):
    print(f"{node.name}: shape {mine[node].shape}, same as tinyspore.grad: {np.allclose(mine[node], expected.asnumpy())}")

# %% [markdown]
# That is the whole idea of reverse-mode autodiff: one forward pass that records the graph, one backward pass
# that costs about as much as the forward, and the gradient of **every** input at once, however many there
# are. (A numeric gradient needs two forward passes *per element*.)
#
# ## 6. The engine's compass: `grad` and `value_and_grad`
#
# `tinyspore` does all of this on Tensors, with MindSpore's API. `ms.grad(fn, grad_position=0)` returns a new
# function that runs `fn` while recording the graph, walks it backwards, and returns gradients (never stored
# on the tensors, so nothing stale is left for the next call).

# %%
x = ms.Tensor([1.0, 2.0, 3.0])
y = ms.Tensor([4.0, 5.0, 6.0])


def f_xy(x, y):
    return (x * y).sum()


print("grad wrt x:        ", ms.grad(f_xy)(x, y))                        # = y
print("grad wrt (x, y):   ", ms.grad(f_xy, grad_position=(0, 1))(x, y))  # = (y, x), a tuple
print("value_and_grad:    ", ms.value_and_grad(f_xy)(x, y))              # = (32, y)

# %% [markdown]
# **Weights.** Parameters are differentiated through `weights`; `grad_position=None` means "no inputs, only the
# weights". A list of weights gives a tuple of gradients, in the same order.

# %%
w = ms.Parameter(ms.Tensor([2.0, 3.0, 4.0]), name="w")


def f_w(x, y):
    return (x * y * w).sum()


print("weights only:      ", ms.grad(f_w, None, [w])(x, y))   # (x * y,) : a 1-tuple, because [w] is a list
print("inputs and weights:", ms.grad(f_w, 0, [w])(x, y))      # (dx, (dw,))

# %% [markdown]
# **`has_aux`.** A forward function usually returns more than the loss: the network's output (`logits`), to
# print or to measure accuracy. With `has_aux=True` only the **first** output is differentiated; the others
# come back untouched. Without it, every output is differentiated as if you had added them up (each with a
# sensitivity of ones): here the gradient becomes `y + 1` instead of `y`.

# %%
def f_aux(x, y):
    return (x * y).sum(), x + y   # (loss, something to look at)


(value, aux), gx = ms.value_and_grad(f_aux, has_aux=True)(x, y)
print("has_aux=True : value", value, "aux", aux, "grad", gx)        # grad = y
_, gx_all = ms.value_and_grad(f_aux)(x, y)
print("has_aux=False: grad", gx_all, " (= y + 1: the sum of BOTH outputs was differentiated)")

# %% [markdown]
# | call | returns (as in MindSpore 2.x) |
# |---|---|
# | `grad(fn)(x, y)` | `dx` |
# | `grad(fn, (0, 1))(x, y)` | `(dx, dy)` |
# | `grad(fn, None, weights)(x)` | `(dw1, dw2, ...)` |
# | `grad(fn, 0, weights)(x)` | `(dx, (dw1, ...))` |
# | `grad(fn, ..., has_aux=True)(x)` | `(grads, (aux, ...))` |
# | `value_and_grad(fn, ...)(x)` | `(value, grads)`; with `has_aux=True` the value is `(loss, aux, ...)` |
# | `ops.GradOperation(get_by_list=True)(fn, weights)(x)` | `(dw1, dw2, ...)`: the gradients only, never the value |
#
# ## 7. A primitive of your own
#
# Every operation of the engine is a **primitive**: a function on NumPy arrays that returns its result and,
# right beside it, its backward rule. This is the engine's `mul`, in `tinyspore/ops/primitives.py`:
#
# ```python
# @primitive(inputs=2)
# def mul(x, y):
#     def backward(g):
#         return sum_to_shape(g * y, x.shape), sum_to_shape(g * x, y.shape)
#     return x * y, backward
# ```
#
# The `@primitive` decorator does the rest: it unwraps Tensor inputs into arrays, runs the forward, wraps the
# result in a Tensor and, while `grad` records, stores `backward` on it for the graph walk of section 5. So
# the rule you wrote for exercise 04.2 can run inside the real engine. Here it is, as a primitive, under
# `ms.grad` (your rule once it passes its check, the reference's until then):

# %%
mul_rule = pick(binary_backward, check_binary_backward)


@primitive(inputs=2)
def my_mul(x, y):
    return x * y, lambda g: mul_rule("mul", g, x, y)


a, b = ms.Tensor(rng.standard_normal((4, 3)).astype(np.float32)), ms.Tensor(np.float32([1.0, -2.0, 0.5]))
mine = ms.grad(lambda u, v: (my_mul(u, v) * u).sum(), grad_position=(0, 1))(a, b)
engine = ms.grad(lambda u, v: (u * v * u).sum(), grad_position=(0, 1))(a, b)
print("same gradients as the engine's mul:", all(np.allclose(m.asnumpy(), e.asnumpy()) for m, e in zip(mine, engine)))

# %% [markdown]
# ### Exercise 04.6: hypot (2 points)
#
# Add `hypot(x, y) = sqrt(x**2 + y**2)`, element by element with broadcasting, to the engine as a
# primitive: decorate it with `@primitive(inputs=2)`, compute on the arrays it receives, and return the
# result together with its backward rule, which maps the gradient `g` of the result to `(gx, gy)`, of `x`'s and
# `y`'s shapes. Work out the local derivatives yourself (the chain rule of section 1 is enough).
#
# The check calls your `hypot` on Tensors and differentiates `sum(hypot(x, y) * w)` with `ms.grad` with respect
# to both inputs: same shapes, broadcast ones (`(4, 3)` with `(3,)`, `(2, 1)` with `(1, 3)`, a 0-d input),
# float32 and float64, never at `x = y = 0`, where hypot has no slope.

# %% nbgrader={"grade": false, "grade_id": "hypot", "locked": false, "schema_version": 3, "solution": true, "task": false}
@primitive(inputs=2)
def hypot(x, y):
    """Exercise 04.6. sqrt(x**2 + y**2) as an engine primitive: returns (out, backward).

    x, y: ndarrays that broadcast together (the decorator unwraps Tensors); backward(g) -> (gx, gy) with the
    shapes of x and y.
    """
    ### BEGIN SOLUTION
    out = np.sqrt(x * x + y * y)

    def backward(g):
        return sum_to_shape(g * x / out, x.shape), sum_to_shape(g * y / out, y.shape)

    return out, backward
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "hypot_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_hypot(hypot)
### BEGIN HIDDEN TESTS
check_hypot(hypot, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Once it passes, `hypot` is as much a part of the engine as `mul`: it works on Tensors, broadcasts, and
# `ms.grad` differentiates through it, also inside bigger expressions (yours once it passes its check, the
# reference's until then):

# %%
my_hypot = pick(hypot, check_hypot)
u = ms.Tensor(np.float32([3.0, 5.0]))
v = ms.Tensor(np.float32([4.0, 12.0]))
print(my_hypot(u, v), ms.grad(lambda p, q: (my_hypot(p, q) * 2 + p).sum(), grad_position=(0, 1))(u, v))

# %% [markdown]
# ## 8. The seed tutorial's pitfall: `GradOperation`
#
# The tutorial this course grew from fits `y = 2x + 0.5` with a `Dense(1, 1)`: 100 points, noise from
# `np.random.seed(0)`. We start from `W = 0.5, b = 0` (here and in chapter 06, so that every run, and
# MindSpore, starts from the same point). The tutorial computes its gradients like this:

# %%
noise = np.random.RandomState(0).normal(0, 0.05, (100, 1))  # the tutorial's np.random.seed(0) stream
x_data = np.linspace(-1, 1, 100, dtype=np.float32).reshape(-1, 1)
y_data = (2 * x_data + 0.5 + noise).astype(np.float32)
data, label = ms.Tensor(x_data), ms.Tensor(y_data)

net = nn.Dense(1, 1, weight_init=ms.Tensor(np.array([[0.5]], np.float32)), bias_init="zeros")
loss_fn = nn.MSELoss()


def forward_fn(data, label):
    logits = net(data)
    loss = loss_fn(logits, label)
    return loss, logits


grad_fn = ops.GradOperation(get_by_list=True)(forward_fn, net.trainable_params())
loss, grads = grad_fn(data, label)  # the tutorial's line
print("'loss' :", type(loss).__name__, loss.shape, np.round(loss.asnumpy(), 4))
print("'grads':", type(grads).__name__, grads.shape, np.round(grads.asnumpy(), 4))

# %% [markdown]
# No error, but nothing is what its name says. `GradOperation` returns **only the gradients**, here the pair
# `(dW, db)`, never the loss. With exactly two parameters the unpacking happens to succeed: `loss` is the
# weight's gradient and `grads` the bias's. The tutorial's next line, `optimizer(grads)`, then hands the
# optimizer a single Tensor instead of a tuple (MindSpore 2.10 stops with a `RuntimeError` deep in its graph
# compiler; tinyspore says what is wrong):

# %%
optimizer = nn.SGD(net.trainable_params(), learning_rate=0.1)
try:
    optimizer(grads)
except TypeError as error:
    print("TypeError:", error)

# %% [markdown]
# There is a second, quieter error. `forward_fn` returns `(loss, logits)`, and `GradOperation` differentiates
# **every** output, as if the function returned `loss + logits.sum()`. Each of the 100 logits is `W x + b`, so
# `logits.sum()` adds exactly 100 (the batch size) to the bias gradient. Compare with the gradients of the loss
# alone:

# %%
dW_op, db_op = grad_fn(data, label)
(loss_value, _), (dW, db) = ms.value_and_grad(forward_fn, None, net.trainable_params(), has_aux=True)(data, label)
print(f"GradOperation : dW = {dW_op.asnumpy().item():.4f}, db = {db_op.asnumpy().item():.4f}")
print(f"loss only     : dW = {dW.asnumpy().item():.4f}, db = {db.asnumpy().item():.4f}")
print(f"difference in db = {db_op.asnumpy().item() - db.asnumpy().item():.3f} (the batch size)")

# %% [markdown]
# (The weight gradient happens to agree: the extra term is `sum(x)`, and the 100 points are symmetric
# around 0.) The bias gradient points the wrong way and is about 100 times too large. Even with the unpacking
# fixed (`grads = grad_fn(data, label)`), one step of the tutorial's SGD with `learning_rate=0.01` throws the
# bias away from 0.5:

# %%
start = [p.asnumpy().copy() for p in net.trainable_params()]
nn.SGD(net.trainable_params(), learning_rate=0.01)(grad_fn(data, label))
print(f"bias before {start[1].item():.3f}, after one step {net.bias.asnumpy().item():.3f} (the target is 0.5)")
for p, value in zip(net.trainable_params(), start):  # undo the step, for the working pattern below
    p.set_data(value)

# %% [markdown]
# **The working pattern**: `value_and_grad` with `grad_position=None`, the weights (`optimizer.parameters` or
# `net.trainable_params()`), and `has_aux=True` so that only the loss is differentiated and the logits come
# back as the auxiliary output. The value is `(loss, logits)`, and `grads` is the tuple the optimizer wants.

# %%
grad_fn = ms.value_and_grad(forward_fn, None, optimizer.parameters, has_aux=True)
for step in range(3):
    (loss, logits), grads = grad_fn(data, label)
    optimizer(grads)
    print(f"step {step}: loss {loss.asnumpy().item():.4f}")

# %% [markdown]
# The loss goes down: the compass points the right way. Chapter 05 looks at the executor (the optimizer)
# that takes these steps, and chapter 06 trains this model to the end.
#
# ## Summary
#
# - A gradient says how the output moves when each input moves; the **chain rule** multiplies local
#   derivatives along a path, and a value used several times **adds up** the contributions of its uses.
# - The **central difference** `(f(x + eps) - f(x - eps)) / (2 eps)` is the referee for every gradient:
#   slow, but independent of the code it checks (float64, `eps` near `1e-6`).
# - A program is a **graph** of operations. **Reverse mode** seeds the output with ones, walks the nodes in
#   reverse **topological order**, and lets each node's **backward rule** hand gradients to its parents:
#   `mul` hands `g * other`, `matmul` `g @ y^T` and `x^T @ g`, `sum` copies `g` back (axes restored first),
#   relu masks with `x > 0`, exp multiplies by `exp(x)`, log divides by `x`; broadcasting is undone with
#   `sum_to_shape`. Gradients are **accumulated**, never overwritten.
# - Each operation of the engine is a **primitive**: forward and backward side by side, on arrays; the
#   `@primitive` decorator makes it an op on Tensors that `ms.grad` differentiates (your `hypot`, and your
#   own `mul` rule).
# - `ms.grad` and `ms.value_and_grad` keep MindSpore's return structures; use
#   `value_and_grad(forward_fn, None, weights, has_aux=True)` when the forward function returns
#   `(loss, logits)`.
# - `ops.GradOperation` returns gradients only (never the loss) and differentiates **all** outputs: the seed
#   tutorial's `loss, grads = grad_fn(...)` silently unpacks `(dW, db)`, and its bias gradient is off by the
#   batch size.
