# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 02: Cells, the production line
#
# Tensors are the raw material. A **Cell** is the production line that turns them into predictions: a
# network part that holds **Parameters** (the knobs that training will turn) and other Cells (the stations of
# the line), and whose `construct` method says what it computes. Every layer, every network, every loss and
# every optimizer in MindSpore is a `nn.Cell`, and so it is in our engine.
#
# In this chapter you will:
# - write a Cell with a Parameter, and see how the Cell finds and names it;
# - build MindSpore's `Dense` layer yourself (**Exercise 02.1**);
# - see how nesting gives dotted names like `head.0.weight`, and write the walk that produces them
#   (**Exercise 02.2**);
# - tell trainable from frozen parameters, and count them (**Exercise 02.3**);
# - write a `Sequential` container whose children are named `'0'`, `'1'`, ... (**Exercise 02.4**);
# - look at MindSpore's default initialization and draw a network's parameter tree.

# %%
import math
from collections import OrderedDict

import matplotlib.pyplot as plt
import numpy as np

import tinyspore as ms
from tinyspore import Parameter, Tensor, nn, ops
from tinyspore.common.initializer import HeUniform, Uniform, initializer
from tinyspore_grader import pick
from tinyspore_grader.checks.ch02_cells import (
    check_count_parameters,
    check_Dense,
    check_parameters_and_names,
    check_Sequential,
)

ms.set_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. A first Cell
#
# A Cell subclass does three things:
# 1. calls `super().__init__()` first (this sets up the Cell's registries);
# 2. assigns its Parameters and child Cells as attributes in `__init__`;
# 3. defines `construct(self, x)`: the computation. Calling the cell, `cell(x)`, runs `construct`.
#
# Here is a cell that multiplies its input by a learnable scale and adds a learnable offset.

# %%
class ScaleShift(nn.Cell):
    def __init__(self):
        super().__init__()
        self.scale = Parameter(Tensor([2.0]))
        self.shift = Parameter(Tensor([0.5]))

    def construct(self, x):
        return x * self.scale + self.shift


cell = ScaleShift()
print(cell(Tensor([1.0, 2.0, 3.0])))

# %% [markdown]
# A **Parameter** is a Tensor with two extra attributes: a `name` and `requires_grad`. Assigning it to an
# attribute of a Cell *registers* it: the cell now knows its parameters, and the parameter took the attribute's
# name. This is what an optimizer will later ask for.

# %%
for name, param in cell.parameters_and_names():
    print(name, "->", param)

# %% [markdown]
# A plain Tensor attribute, or a Python list of Parameters, is *not* registered: the Cell only sees Parameters
# and Cells assigned directly as attributes. (To hold several cells, MindSpore has containers that are Cells
# themselves, `nn.SequentialCell` and `nn.CellList`: section 5.)

# %%
class Hidden(nn.Cell):
    def __init__(self):
        super().__init__()
        self.constant = Tensor([1.0])                     # a Tensor: not a parameter
        self.knobs = [Parameter(Tensor([0.0]))]           # a list: invisible to the Cell


print(list(Hidden().parameters_and_names()))

# %% [markdown]
# ## 2. The Dense layer
#
# The workhorse of deep learning is the fully connected layer, `nn.Dense(in_channels, out_channels)`:
#
# $$y = x\,W^\top + b, \qquad x: (N, \text{in}),\ W: (\text{out}, \text{in}),\ b: (\text{out},),\ y: (N, \text{out}).$$
#
# Note the layout of the weight: MindSpore stores **one row per output feature**, shape `(out, in)`, and
# multiplies by its transpose. (A hand-written `x @ W` with `W` of shape `(in, out)` computes the same kind of
# map, but its weights would not load into a MindSpore `Dense`.)

# %%
layer = nn.Dense(3, 2)
print(layer)
for name, param in layer.parameters_and_names():
    print(f"{name:6s} shape {param.shape}")
x = Tensor(rng.standard_normal((4, 3)).astype(np.float32))
print(layer(x).shape)

# %% [markdown]
# Where do the first values come from? When you give no `weight_init`, MindSpore 2.x draws the weight from
# `HeUniform(math.sqrt(5))`, which works out to the uniform distribution on $[-1/\sqrt{\text{in}}, 1/\sqrt{\text{in}}]$,
# and the bias from `Uniform(1/sqrt(in))`: the same interval. The bias is **not** zero by default. Let us
# look at a wide layer, with the bound drawn in.

# %%
wide = nn.Dense(64, 256)
bound = 1 / math.sqrt(64)
fig, axes = plt.subplots(1, 2, figsize=(8, 2.6), sharey=False)
panels = [("weight (256, 64)", wide.weight.asnumpy()), ("bias (256,)", wide.bias.asnumpy())]
for ax, (name, values) in zip(axes, panels):
    ax.hist(values.ravel(), bins=32, range=(-1.5 * bound, 1.5 * bound), color="tab:blue")
    for edge in (-bound, bound):
        ax.axvline(edge, color="tab:red", linestyle="--")
    ax.set_title(f"nn.Dense(64, 256).{name}", fontsize=10)
axes[0].set_ylabel("count")
fig.suptitle("default initialization: uniform on [-1/sqrt(in), 1/sqrt(in)] = [-0.125, 0.125]", fontsize=10)
fig.tight_layout()
plt.show()
print(f"largest |weight| = {np.abs(wide.weight.asnumpy()).max():.4f}, bound = {bound}")

# %% [markdown]
# `initializer(init, shape)` turns any of MindSpore's ways of saying "these first values" into a Tensor: an
# Initializer object such as `HeUniform(math.sqrt(5))`, a name such as `'zeros'` or `'normal'`, a number, or a
# Tensor of exactly that shape.

# %%
print(initializer("ones", (2, 3)))
print(initializer(Tensor([[1.0, 2.0]]), (1, 2)))
print(initializer(Uniform(0.1), (4,)).shape)

# %% [markdown]
# ### Exercise 02.1: Dense (3 points)
#
# Write the class `Dense(nn.Cell)` with MindSpore's arguments and behaviour:
# - `__init__(in_channels, out_channels, weight_init=None, bias_init=None, has_bias=True)` creates
#   `self.weight`, a `Parameter` of shape `(out_channels, in_channels)`, from `weight_init` (default
#   `HeUniform(math.sqrt(5))`), and, if `has_bias`, `self.bias`, a `Parameter` of shape `(out_channels,)` from
#   `bias_init` (default `Uniform(1 / math.sqrt(in_channels))`). With `has_bias=False`, `self.bias = None`.
#   Use `initializer(init, shape)` to make the values.
# - `construct(x)` takes `x` of shape `(N, in_channels)` and returns the Tensor `x @ weight.T + bias`, of shape
#   `(N, out_channels)`. Use Tensor operations only (`@`, `+`, `.T`, `ops.matmul`), so gradients can flow.
#
# The check builds your layer with given weights (square and non-square, with and without bias), lists its
# parameters, runs it on batches (one of them with N equal to out_channels), takes gradients through it, and
# looks at the default initial values.

# %% nbgrader={"grade": false, "grade_id": "Dense", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Dense(nn.Cell):
    """Exercise 02.1. The fully connected layer y = x @ weight.T + bias, with MindSpore's layout.

    weight: Parameter (out_channels, in_channels); bias: Parameter (out_channels,) or None.
    construct: x (N, in_channels) Tensor -> (N, out_channels) Tensor.
    """

    def __init__(self, in_channels, out_channels, weight_init=None, bias_init=None, has_bias=True):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.has_bias = has_bias
        ### BEGIN SOLUTION
        if weight_init is None:
            weight_init = HeUniform(math.sqrt(5))
        self.weight = Parameter(initializer(weight_init, (out_channels, in_channels)), name="weight")
        self.bias = None
        if has_bias:
            if bias_init is None:
                bias_init = Uniform(1 / math.sqrt(in_channels))
            self.bias = Parameter(initializer(bias_init, (out_channels,)), name="bias")
        ### END SOLUTION

    def construct(self, x):
        ### BEGIN SOLUTION
        out = ops.matmul(x, self.weight.T)
        if self.bias is not None:
            out = out + self.bias
        return out
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "Dense_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check_Dense(Dense)
### BEGIN HIDDEN TESTS
check_Dense(Dense, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Your layer now does what `nn.Dense` does. Give it the same weights and it gives the same outputs (until it
# passes its check, `pick` hands us the reference `nn.Dense` instead, so this cell always runs).

# %%
MyDense = pick(Dense, check_Dense)
w = Tensor(rng.standard_normal((2, 3)).astype(np.float32))
b = Tensor(np.array([0.5, -0.5], np.float32))
mine, theirs = MyDense(3, 2, weight_init=w, bias_init=b), nn.Dense(3, 2, weight_init=w, bias_init=b)
print(np.allclose(mine(x).asnumpy(), theirs(x).asnumpy()))

# %% [markdown]
# ## 3. Nesting and dotted names
#
# A network is a Cell whose attributes are other Cells. When you assign a child, MindSpore renames every
# parameter below it by its **path**: the attribute names joined by dots. `nn.SequentialCell` names its
# children by position, `'0'`, `'1'`, `'2'`, so the first layer's weight inside `self.head` is `head.0.weight`.
# (`ReLU` at position 1 has no parameters, so there is no `head.1.`.)

# %%
class Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Dense(2, 3)
        self.head = nn.SequentialCell([nn.Dense(3, 4), nn.ReLU(), nn.Dense(4, 1)])

    def construct(self, x):
        return self.head(ops.relu(self.fc1(x)))


net = Net()
print(net)

# %%
for name, param in net.parameters_and_names():
    print(f"{name:14s} {str(param.shape):8s} name={param.name}")

# %% [markdown]
# `cells_and_names()` walks the same tree and yields the cells themselves. It starts with the network
# itself, whose name is the empty string `''`: the root of every path.

# %%
print([(name, type(c).__name__) for name, c in net.cells_and_names()])

# %% [markdown]
# The order is MindSpore's, and it matters (optimizers and checkpoints follow it): **depth first; at each
# cell, first its own parameters, then its children in the order they were assigned**. A parameter that two
# cells share is listed once, at its first path. A sub-cell can be walked on its own: from `net.head` the paths
# are `0.weight`, ... even though those parameters are *named* `head.0.weight` (the name was set when `head`
# was attached to `net`).

# %%
print([name for name, _ in net.head.parameters_and_names()])
print([p.name for p in net.head.get_parameters()])

# %% [markdown]
# ### Exercise 02.2: parameters_and_names (3 points)
#
# Write the function `parameters_and_names(cell, name_prefix='')` that returns the list of
# `(path, Parameter)` pairs of `cell` and everything below it, exactly as `cell.parameters_and_names()`
# yields them:
# - a path is `name_prefix`, a dot, and the attribute names down to the parameter (`'fc1.weight'`); with an
#   empty prefix there is no leading dot;
# - order: the cell's own parameters first, then each child in order, recursively (depth first);
# - a Parameter that appears twice (shared) is listed only the first time.
#
# Useful: `cell._params` is an OrderedDict `{attribute name: Parameter}` of the cell's *own* parameters, and
# `cell._cells` (or `cell.name_cells()`) the OrderedDict `{attribute name: child Cell}`: the same private
# registries MindSpore's Cell keeps. Do not call `cell.parameters_and_names()`: it is what the check compares
# you with. The check walks a single layer, a nested network with a frozen parameter, a sub-cell, a network
# that shares a weight and attaches one cell twice, a cell with no parameters, and a non-empty prefix.

# %% nbgrader={"grade": false, "grade_id": "parameters_and_names", "locked": false, "schema_version": 3, "solution": true, "task": false}
def parameters_and_names(cell, name_prefix=""):
    """Exercise 02.2. Every Parameter of `cell` and below, once each, with its dotted path.

    cell: an nn.Cell; name_prefix: str put in front of every path. Returns a list of (str, Parameter),
    in MindSpore's order (own parameters first, then children depth first).
    """
    ### BEGIN SOLUTION
    found, seen = [], set()

    def visit(c, prefix):
        for name, param in c._params.items():
            if id(param) not in seen:
                seen.add(id(param))
                found.append((f"{prefix}.{name}" if prefix else name, param))
        for child_name, child in c._cells.items():
            visit(child, f"{prefix}.{child_name}" if prefix else child_name)

    visit(cell, name_prefix)
    return found
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "parameters_and_names_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check_parameters_and_names(parameters_and_names)
### BEGIN HIDDEN TESTS
check_parameters_and_names(parameters_and_names, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Your walk at work on a network with a shared weight: the decoder reuses the encoder's weight (a common
# trick in language models), so that weight is listed once.

# %%
walk = pick(parameters_and_names, check_parameters_and_names)


class Tied(nn.Cell):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Dense(4, 4)
        self.decoder = nn.Dense(4, 4)
        self.decoder.weight = self.encoder.weight


print([name for name, _ in walk(Tied())])
print([name for name, _ in walk(net, "model")])

# %% [markdown]
# ## 4. Trainable and frozen parameters
#
# `Parameter(..., requires_grad=False)` makes a *frozen* parameter: it belongs to the cell (it is listed by
# `parameters_and_names()` and `get_parameters()`, and saved in checkpoints), but `trainable_params()` leaves it
# out, so an optimizer built with `nn.SGD(net.trainable_params(), ...)` never changes it. BatchNorm's running
# statistics are frozen parameters of this kind.

# %%
class WithFrozen(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(3, 2)
        self.temperature = Parameter(Tensor([1.5]), requires_grad=False)

    def construct(self, x):
        return self.fc(x) / self.temperature


frozen_net = WithFrozen()
print("all:      ", [p.name for p in frozen_net.get_parameters()])
print("trainable:", [p.name for p in frozen_net.trainable_params()])
print("BatchNorm1d(4), requires_grad:", [p.requires_grad for p in nn.BatchNorm1d(4).get_parameters()])

# %% [markdown]
# The seed tutorial reads the learned line back with `net.trainable_params()[0]` (the weight) and `[1]` (the
# bias): that works because of the order above, weight before bias.

# %%
line = nn.Dense(1, 1)
print([p.name for p in line.trainable_params()])

# %% [markdown]
# ### Exercise 02.3: count_parameters (1 point)
#
# Write `count_parameters(cell)` returning the tuple `(trainable, total)`: how many *numbers* the trainable
# parameters hold, and how many all parameters hold (a `(3, 2)` weight counts 6). A shared parameter counts
# once. You may use `cell.trainable_params()` and `cell.get_parameters()`; `param.size` is the number of values.
# The check counts a layer, a network with a frozen parameter, a network sharing a weight, a cell without
# parameters, and a BatchNorm layer.

# %% nbgrader={"grade": false, "grade_id": "count_parameters", "locked": false, "schema_version": 3, "solution": true, "task": false}
def count_parameters(cell):
    """Exercise 02.3. (number of trainable values, number of all parameter values) of `cell`, as two ints."""
    ### BEGIN SOLUTION
    params = list(cell.get_parameters())
    trainable = sum(p.size for p in params if p.requires_grad)
    total = sum(p.size for p in params)
    return trainable, total
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "count_parameters_test", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_count_parameters(count_parameters)
### BEGIN HIDDEN TESTS
check_count_parameters(count_parameters, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. SequentialCell: a line of stations
#
# Most networks are, at least in parts, a chain: the output of one cell is the input of the next.
# `nn.SequentialCell([a, b, c])` is that chain as a Cell: `construct` computes `c(b(a(x)))`, and the children
# are named `'0'`, `'1'`, `'2'`. It can also take an `OrderedDict` to choose the names.

# %%
mlp = nn.SequentialCell(OrderedDict([("hidden", nn.Dense(2, 8)), ("act", nn.ReLU()), ("out", nn.Dense(8, 1))]))
print(mlp)
print([p.name for p in mlp.trainable_params()])

# %% [markdown]
# There is a MindSpore subtlety in *how* a child is registered. Assigning an attribute (`self.fc = cell`, or
# `setattr(self, '0', cell)`) registers the child **and renames** its parameters (`'0.weight'`);
# `self.insert_child_to_cell('0', cell)` only registers it, and the parameter names stay as they were.

# %%
a, b = nn.Cell(), nn.Cell()
setattr(a, "0", nn.Dense(2, 2))
b.insert_child_to_cell("0", nn.Dense(2, 2))
print([p.name for p in a.get_parameters()], [p.name for p in b.get_parameters()])

# %% [markdown]
# ### Exercise 02.4: Sequential (2 points)
#
# Write the class `Sequential(nn.Cell)`:
# - `__init__(self, cells)` takes a list of Cells and registers each as a child named by its position,
#   `'0'`, `'1'`, ..., so that its parameters are named like `nn.SequentialCell`'s (`'0.weight'`, and
#   `'head.0.weight'` once the container is assigned to a parent as `self.head`);
# - `construct(self, x)` feeds `x` through the children in order and returns the last output (an empty
#   Sequential returns `x` unchanged).
#
# The check compares your container with `nn.SequentialCell`: the names of `cells_and_names()`, the
# parameter names alone and inside a parent, and the outputs.

# %% nbgrader={"grade": false, "grade_id": "Sequential", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Sequential(nn.Cell):
    """Exercise 02.4. Cells applied one after the other; children named '0', '1', ...

    cells: a list of Cells. construct(x) returns cells[-1](...cells[1](cells[0](x))).
    """

    def __init__(self, cells):
        super().__init__()
        ### BEGIN SOLUTION
        for position, cell in enumerate(cells):
            setattr(self, str(position), cell)
        ### END SOLUTION

    def construct(self, x):
        ### BEGIN SOLUTION
        for cell in self._cells.values():
            x = cell(x)
        return x
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "Sequential_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_Sequential(Sequential)
### BEGIN HIDDEN TESTS
check_Sequential(Sequential, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Drawing the parameter tree
#
# The printed repr shows the cells; a picture can show the parameters too. Below, each box is a cell (its
# path and type), each leaf a parameter with its shape; frozen parameters are grey. The network is built
# with your `Sequential` (or the reference one, until yours passes).

# %%
MySequential = pick(Sequential, check_Sequential)


class Classifier(nn.Cell):
    def __init__(self):
        super().__init__()
        self.features = MySequential([nn.Dense(4, 8), nn.ReLU(), nn.Dense(8, 8), nn.ReLU()])
        self.head = nn.Dense(8, 3)
        self.temperature = Parameter(Tensor([1.0]), requires_grad=False)

    def construct(self, x):
        return self.head(self.features(x)) / self.temperature


def tree_layout(cell):
    """Nodes (x, depth, label, kind) and edges of the tree: leaves take x = 0, 1, 2, ..., a cell sits above
    the middle of its children. kind is 'cell', 'trainable' or 'frozen'."""
    nodes, edges, leaves = [], [], []

    def place(c, path, depth):
        kids = []
        for name, param in c._params.items():
            leaves.append(name)
            kind = "trainable" if param.requires_grad else "frozen"
            nodes.append((len(leaves) - 1, depth + 1, f"{name}\n{param.shape}", kind))
            kids.append((len(leaves) - 1, depth + 1))
        for name, child in c._cells.items():
            kids.append((place(child, f"{path}.{name}" if path else name, depth + 1), depth + 1))
        if kids:
            x = float(np.mean([kid_x for kid_x, _ in kids]))
        else:
            leaves.append(path)
            x = len(leaves) - 1
        nodes.append((x, depth, f"{path or '(root)'}\n{type(c).__name__}", "cell"))
        edges.extend(((x, depth), kid) for kid in kids)
        return x

    place(cell, "", 0)
    return nodes, edges


def draw_parameter_tree(cell, ax):
    """Boxes for cells, rounded leaves for parameters (orange trainable, grey frozen)."""
    nodes, edges = tree_layout(cell)
    for (x0, d0), (x1, d1) in edges:
        ax.plot([x0, x1], [-d0, -d1], color="0.6", zorder=1)
    style = {"cell": ("square", "#dbe9f6", "tab:blue"), "trainable": ("round", "#fde8c8", "tab:orange"),
             "frozen": ("round", "0.88", "0.5")}
    for x, depth, label, kind in nodes:
        shape, face, edge = style[kind]
        ax.text(x, -depth, label, ha="center", va="center", fontsize=7.5, zorder=2,
                bbox=dict(boxstyle=shape, facecolor=face, edgecolor=edge))
    ax.set_xlim(-0.7, max(x for x, *_ in nodes) + 0.7)
    ax.set_ylim(-max(d for _, d, *_ in nodes) - 0.6, 0.6)
    ax.axis("off")


classifier = Classifier()
fig, ax = plt.subplots(figsize=(10, 3.4))
draw_parameter_tree(classifier, ax)
ax.set_title("parameter tree of Classifier (blue: cells, orange: trainable, grey: frozen)", fontsize=10)
plt.show()
counter = pick(count_parameters, check_count_parameters)
print("trainable, total:", counter(classifier))

# %% [markdown]
# ## Summary
#
# - A **Cell** is a production line: `__init__` assigns Parameters and child Cells as attributes, `construct`
#   computes, `cell(x)` runs it. Only Parameters and Cells assigned as attributes are registered.
# - `nn.Dense(in, out)` stores its weight as `(out, in)` and computes `x @ W.T + b`; by default both weight and
#   bias are uniform on `[-1/sqrt(in), 1/sqrt(in)]` (the bias is not zero).
# - Parameters are named by their path (`head.0.weight`); `cells_and_names()` starts at `''`; the order is
#   depth first, own parameters before children, shared parameters once.
# - `requires_grad=False` keeps a parameter out of `trainable_params()`, and so out of the optimizer's reach.
# - `SequentialCell` chains cells and names them `'0'`, `'1'`, ...; attribute assignment renames parameters,
#   `insert_child_to_cell` does not.
#
# Next, chapter 03: the **quality standard**, the loss functions that turn a prediction into one number
# telling how good it is.
