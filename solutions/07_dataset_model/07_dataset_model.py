# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 07: Dataset and Model
#
# In chapter 06 you wrote the train loop by hand: shuffle, cut into batches, one train step per batch, measure
# accuracy, print the loss. The seed tutorial ends with a preview of how MindSpore packs all of that away:
#
# ```python
# dataset = NumpySlicesDataset({"data": x_data, "label": y_data}, shuffle=True)
# dataset = dataset.batch(32)
# model = Model(net, loss_fn, optimizer)
# model.train(epoch=10, train_dataset=dataset)      # "training in one line"
# ```
#
# It calls this pseudo-code. In this chapter it becomes working code, and you build the pieces it hides:
# - the **dataset pipeline**: columns, `map`, `shuffle`, `batch`, `repeat`, iterators, and the batching stage
#   itself (**Exercise 07.1**);
# - **metrics** with MindSpore's `clear` / `update` / `eval` protocol: accuracy (**Exercise 07.2**) and a
#   confusion matrix (**Exercise 07.3**);
# - **callbacks**, the hooks `Model.train` calls, and early stopping on a validation metric (**Exercise 07.4**);
# - the **inside of `Model.train`**: one epoch with its callbacks (**Exercise 07.5**).
#
# Then we run the seed's section 4 for real, with honest numbers, train a digit classifier with
# `Model.fit`, draw its curves from the `History` callback, and save, load and verify a checkpoint.

# %%
import os
import sys
import tempfile

import matplotlib.pyplot as plt
import numpy as np
from tqdm.std import tqdm

import tinyspore as ms
from tinyspore import Tensor, nn, train
from tinyspore.dataset import NumpySlicesDataset, load_digits, split_train_test
from tinyspore.nn.wrap import TrainOneStepCell, WithLossCell
from tinyspore.train import (
    Callback,
    CallbackParam,
    History,
    LossMonitor,
    Metric,
    Model,
    RunContext,
)
from tinyspore_grader import pick
from tinyspore_grader.checks.ch07_dataset_model import (
    check_Accuracy,
    check_batch_rows,
    check_ConfusionMatrix,
    check_EarlyStopping,
    check_train_epoch,
)

ms.set_seed(0)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. A dataset is a pipeline
#
# A MindSpore dataset is a conveyor belt: a **source** hands out samples one at a time, and a chain of
# **operations** transforms them on the way. Each sample is a **row** with named **columns**.
# `NumpySlicesDataset` is the simplest source: it slices arrays along their first axis, so row *i* is
# `(x[i], y[i])`. Here are 10 tiny samples with a 2-number feature and a label:

# %%
features = np.arange(20, dtype=np.float32).reshape(10, 2)
labels = np.arange(10, dtype=np.int32)
ds = NumpySlicesDataset({"x": features, "label": labels}, shuffle=False)
print(ds.get_col_names(), "  rows per epoch:", ds.get_dataset_size())
for x, label in ds.create_tuple_iterator(output_numpy=True):
    print("first row:", x, label, "  shapes", x.shape, label.shape)
    break

# %% [markdown]
# Nothing is computed until you iterate: building `ds` only describes the pipeline. Each pass over it is an
# **epoch**. The operations:
#
# - `map(fn, input_columns=...)` applies `fn` to a column of every row (normalizing images, casting types);
# - `shuffle(buffer_size)` mixes the rows (and `NumpySlicesDataset(..., shuffle=True)`, **the default**, already
#   draws a new random order every epoch);
# - `batch(batch_size, drop_remainder=False)` stacks consecutive rows into one row per batch;
# - `repeat(count)` chains several epochs into one.
#
# Each returns a new dataset, so they chain. Iterators hand out rows as lists of Tensors
# (`create_tuple_iterator()`), of arrays (`output_numpy=True`), or as dicts by column name
# (`create_dict_iterator()`).

# %%
scaled = ds.map(lambda x: x / 10, input_columns="x")
batched = scaled.batch(4)
print("batches per epoch:", batched.get_dataset_size(), "  with drop_remainder:",
      scaled.batch(4, drop_remainder=True).get_dataset_size())
for batch in batched.create_dict_iterator(output_numpy=True):
    print({name: value.shape for name, value in batch.items()}, " labels", batch["label"])
print("repeat(2) then batch(4):", ds.repeat(2).batch(4).get_dataset_size(), "batches")

# %% [markdown]
# The last batch holds the 2 rows left over: it is kept unless `drop_remainder=True`. Notice the shapes: a
# column of shape `(2,)` becomes `(4, 2)` in a batch, and the scalar label becomes a vector `(4,)`: batching
# **stacks** along a new first axis.
#
# Shuffling is random, but reproducible: `ms.set_seed` fixes the orders the pipeline draws (they are TinySpore's
# own permutations, not MindSpore's). Here are three epochs of a shuffled, batched pipeline, each square
# colored by the sample it holds:

# %%
ms.set_seed(1)
shuffled = NumpySlicesDataset({"x": features, "label": labels}, shuffle=True).batch(4)
epochs = [np.concatenate([label for _, label in shuffled.create_tuple_iterator(output_numpy=True)])
          for _ in range(3)]
for number, order in enumerate(epochs, start=1):
    print(f"epoch {number}: {order}")

fig, ax = plt.subplots(figsize=(7, 2))
ax.imshow(np.array(epochs), cmap="tab10", aspect="auto")
for (i, j), sample in np.ndenumerate(np.array(epochs)):
    ax.text(j, i, str(sample), ha="center", va="center", color="white", fontsize=9)
for edge in (3.5, 7.5):
    ax.axvline(edge, color="black", linewidth=2)
ax.set_yticks(range(3), [f"epoch {k}" for k in (1, 2, 3)])
ax.set_xticks(range(10), [f"{k % 4 + 1}" for k in range(10)])
ax.set_xlabel("position in its batch (batches of 4; black lines: batch boundaries)")
ax.set_title("shuffle=True, batch(4): a new order every epoch, the last batch has 2 samples")
plt.tight_layout()
plt.show()

# %% [markdown]
# ### Exercise 07.1: batch_rows (3 points)
#
# Write the batching stage. `batch_rows(rows, batch_size, drop_remainder=False)` receives `rows`, an iterator
# of rows (each a tuple of NumPy arrays, one per column) that hands them out one at a time: no `len()`, no
# indexing, just a `for` loop. It yields batches with MindSpore's semantics:
# - a batch is a tuple with one array per column: the column's values of `batch_size` consecutive rows,
#   stacked along a new first axis (a `(3,)` column gives `(batch_size, 3)`, a scalar one `(batch_size,)`),
#   with the column's dtype;
# - the rows left at the end form a last, smaller batch, unless `drop_remainder=True`;
# - it is **lazy**: a batch is yielded as soon as its rows have arrived (a generator function, with `yield`).
#
# Example: 10 rows `(x of shape (2,), label)` with `batch_size=4` give batches of 4, 4 and 2 rows
# (`(4, 2)` and `(4,)`, ..., `(2, 2)` and `(2,)`); with `drop_remainder=True`, only the first two.
#
# The check compares your batches with the engine's `.batch` on streams of 3 to 30 rows with one to three
# columns, and counts the rows your code reads when only the first batches are asked for.

# %% nbgrader={"grade": false, "grade_id": "batch_rows", "locked": false, "schema_version": 3, "solution": true, "task": false}
def batch_rows(rows, batch_size, drop_remainder=False):
    """Exercise 07.1. Yield batches: tuples with one stacked array per column, batch_size rows each.

    rows: an iterator of tuples of ndarrays (one per column); the last, smaller batch is yielded unless
    drop_remainder=True. Lazy: each batch is yielded as soon as its rows have been read.
    """
    ### BEGIN SOLUTION
    pending = []
    for row in rows:
        pending.append(row)
        if len(pending) == batch_size:
            yield tuple(np.stack(column) for column in zip(*pending))
            pending = []
    if pending and not drop_remainder:
        yield tuple(np.stack(column) for column in zip(*pending))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "batch_rows_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check_batch_rows(batch_rows)
### BEGIN HIDDEN TESTS
check_batch_rows(batch_rows, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Your batches and the engine's, on a shuffled pipeline of the 10 samples: the same rows, the same shapes.

# %%
my_batch_rows = pick(batch_rows, check_batch_rows)

ms.set_seed(2)
rows = NumpySlicesDataset({"x": features, "label": labels}, shuffle=True)
ms.set_seed(2)
engine_batches = NumpySlicesDataset({"x": features, "label": labels}, shuffle=True).batch(3)
mine = list(my_batch_rows(rows.create_tuple_iterator(output_numpy=True), 3))
theirs = list(engine_batches.create_tuple_iterator(output_numpy=True))
for (x_mine, label_mine), (x_engine, label_engine) in zip(mine, theirs):
    print(f"labels {label_mine}  x {x_mine.shape}   same as the engine's: "
          f"{np.array_equal(x_mine, x_engine) and np.array_equal(label_mine, label_engine)}")

# %% [markdown]
# ## 2. Metrics: clear, update, eval
#
# In chapter 06, `accuracy(logits, labels)` looked at all predictions at once. A validation set comes in
# batches, though, and a metric must add them up. MindSpore's metrics share one protocol:
#
# - `clear()` forgets everything (`Model.eval` calls it before each evaluation);
# - `update(y_pred, y)` adds one batch: the network's outputs and the labels;
# - `eval()` returns the score over every batch since the last `clear()`.
#
# A metric is a subclass of `Metric`, and `Model(net, loss_fn, optimizer, metrics={"accuracy": ...})` accepts
# your own objects next to the built-in names.
#
# ### Exercise 07.2: Accuracy (2 points)
#
# Write the class `Accuracy(Metric)` as MindSpore's: `update(y_pred, y)` receives logits `(N, C)` and labels,
# either class indices `(N,)` or one-hot `(N, C)`, as Tensors or arrays; `eval()` returns the fraction of all
# samples seen since `clear()` whose largest logit is at the label's class, as a Python float. With no
# sample since `clear()`, `eval()` raises a `RuntimeError` saying that `update()` must come first.
#
# Example: a batch of 5 with 3 right, then a batch of 2 with none right: `eval()` gives 3/7 = 0.4286.
#
# The check runs scripts of `update`, `clear` and `eval` calls on batches of different sizes and compares
# every `eval()` with `tinyspore.train.Accuracy`.

# %% nbgrader={"grade": false, "grade_id": "Accuracy", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Accuracy(Metric):
    """Exercise 07.2. The fraction of samples whose argmax over the classes is the label, over all updates."""

    def __init__(self):
        super().__init__()
        self.clear()

    def clear(self):
        """Forget every batch seen so far."""
        ### BEGIN SOLUTION
        self._correct = 0
        self._total = 0
        ### END SOLUTION

    def update(self, y_pred, y):
        """Add one batch: y_pred (N, C) logits; y (N,) class indices or (N, C) one-hot; Tensors or arrays."""
        ### BEGIN SOLUTION
        y_pred = y_pred.asnumpy() if isinstance(y_pred, Tensor) else np.asarray(y_pred)
        y = y.asnumpy() if isinstance(y, Tensor) else np.asarray(y)
        if y.ndim == 2:
            y = y.argmax(axis=1)
        hits = y_pred.argmax(axis=1) == y
        self._correct += int(hits.sum())
        self._total += len(hits)
        ### END SOLUTION

    def eval(self):
        """The accuracy over all samples since clear(), a float; RuntimeError if there is none."""
        ### BEGIN SOLUTION
        if self._total == 0:
            raise RuntimeError("Accuracy.eval: no samples yet; call update(...) before eval()")
        return self._correct / self._total
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "Accuracy_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_Accuracy(Accuracy)
### BEGIN HIDDEN TESTS
check_Accuracy(Accuracy, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Why count samples instead of averaging the accuracy of each batch? Because batches differ in size. Here the
# last batch has a single sample, which it gets wrong:

# %%
MyAccuracy = pick(Accuracy, check_Accuracy)

logits_a = np.array([[3, 1], [0, 2], [2, 1], [1, 4]], np.float32)  # predicts 0, 1, 0, 1
logits_b = np.array([[0, 5]], np.float32)                            # predicts 1
metric = MyAccuracy()
metric.update(logits_a, np.array([0, 1, 0, 1]))
metric.update(logits_b, np.array([0]))
print(f"accuracy over the 5 samples: {metric.eval():.2f}   (the mean of the two batch accuracies would be "
      f"{(1.0 + 0.0) / 2:.2f})")
metric.clear()
metric.update(logits_b, np.array([1]))
print(f"after clear() and one more batch: {metric.eval():.2f}")

# %% [markdown]
# ### Exercise 07.3: ConfusionMatrix (2 points)
#
# Accuracy is one number; the **confusion matrix** says which classes are mixed up. Write
# `ConfusionMatrix(num_classes, normalize="no_norm")` with the same protocol, as MindSpore's
# `mindspore.train.ConfusionMatrix`:
# - `update(y_pred, y)`: `y` holds class indices `(N,)`; `y_pred` holds logits `(N, C)` (take the argmax) or
#   already predicted classes `(N,)`; Tensors or arrays;
# - `eval()` returns a float64 array `(num_classes, num_classes)` whose entry `[i, j]` counts the samples of
#   true class `i` predicted as class `j`, over every update since `clear()`;
# - `normalize`: `"no_norm"` (counts), `"target"` (each row divided by its sum, so a row holds the fractions
#   of one true class), `"prediction"` (each column divided by its sum), `"all"` (the whole matrix divided by
#   its sum); a row or column with no sample gives zeros, not NaN. Any other value raises a `ValueError` in
#   `__init__`;
# - `eval()` before any `update()` raises a `RuntimeError`.
#
# Example: true `[0, 0, 1]`, predicted `[0, 1, 1]`, 2 classes: `[[1, 1], [0, 1]]`; with `"target"`:
# `[[0.5, 0.5], [0, 1]]`.

# %% nbgrader={"grade": false, "grade_id": "ConfusionMatrix", "locked": false, "schema_version": 3, "solution": true, "task": false}
class ConfusionMatrix(Metric):
    """Exercise 07.3. Counts [true class, predicted class] over all updates; optionally normalized."""

    def __init__(self, num_classes, normalize="no_norm"):
        super().__init__()
        self.num_classes = num_classes
        self.normalize = normalize
        ### BEGIN SOLUTION
        if normalize not in ("no_norm", "target", "prediction", "all"):
            raise ValueError(f"ConfusionMatrix: normalize must be 'no_norm', 'target', 'prediction' or 'all', "
                             f"got {normalize!r}")
        ### END SOLUTION
        self.clear()

    def clear(self):
        """Start again from an empty matrix."""
        ### BEGIN SOLUTION
        self.matrix = np.zeros((self.num_classes, self.num_classes))
        self.updated = False
        ### END SOLUTION

    def update(self, y_pred, y):
        """Add one batch: y_pred logits (N, C) or classes (N,); y class indices (N,)."""
        ### BEGIN SOLUTION
        y_pred = y_pred.asnumpy() if isinstance(y_pred, Tensor) else np.asarray(y_pred)
        y = y.asnumpy() if isinstance(y, Tensor) else np.asarray(y)
        if y_pred.ndim == y.ndim + 1:
            y_pred = y_pred.argmax(axis=1)
        np.add.at(self.matrix, (y.astype(np.int64), y_pred.astype(np.int64)), 1)
        self.updated = True
        ### END SOLUTION

    def eval(self):
        """The (num_classes, num_classes) float64 matrix, normalized as asked."""
        ### BEGIN SOLUTION
        if not self.updated:
            raise RuntimeError("ConfusionMatrix.eval: call update(...) before eval()")
        if self.normalize == "no_norm":
            return self.matrix.copy()
        if self.normalize == "target":
            total = self.matrix.sum(axis=1, keepdims=True)
        elif self.normalize == "prediction":
            total = self.matrix.sum(axis=0, keepdims=True)
        else:
            total = self.matrix.sum()
        return np.divide(self.matrix, total, out=np.zeros_like(self.matrix), where=total != 0)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ConfusionMatrix_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check_ConfusionMatrix(ConfusionMatrix)
### BEGIN HIDDEN TESTS
check_ConfusionMatrix(ConfusionMatrix, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# The example above, counted and then normalized by true class:

# %%
MyConfusionMatrix = pick(ConfusionMatrix, check_ConfusionMatrix)

for normalize in ("no_norm", "target"):
    matrix = MyConfusionMatrix(2, normalize=normalize)
    matrix.update(np.array([0, 1, 1]), np.array([0, 0, 1]))  # predicted classes, then true classes
    print(f"normalize={normalize!r}:\n{matrix.eval()}")

# %% [markdown]
# ## 3. Callbacks: the hooks of the loop
#
# `Model.train` runs chapter 06's loop. To let you watch it or steer it without editing it, it calls
# **callbacks** at fixed moments. A callback is a subclass of `Callback` that overrides the hooks it needs;
# each hook receives a `RunContext`, whose `original_args()` is the loop's state (`cb_params`: `cur_epoch_num`,
# `cur_step_num`, `batch_num`, `net_outputs` (the loss), and in `Model.fit` the validation results
# `eval_results`), and whose `request_stop()` asks the loop to stop. This callback prints every hook it gets,
# for 2 epochs of 2 steps:

# %%
class HookPrinter(Callback):
    """Prints each training hook as Model.train calls it."""

    def on_train_begin(self, run_context):
        print("on_train_begin")

    def on_train_epoch_begin(self, run_context):
        print(f"  on_train_epoch_begin   epoch {run_context.original_args().cur_epoch_num}")

    def on_train_step_begin(self, run_context):
        print(f"    on_train_step_begin  step {run_context.original_args().cur_step_num}")

    def on_train_step_end(self, run_context):
        cb_params = run_context.original_args()
        print(f"    on_train_step_end    step {cb_params.cur_step_num}, loss {float(cb_params.net_outputs):.4f}")

    def on_train_epoch_end(self, run_context):
        print(f"  on_train_epoch_end     epoch {run_context.original_args().cur_epoch_num}")

    def on_train_end(self, run_context):
        print("on_train_end")


ms.set_seed(0)
tiny_net = nn.Dense(2, 1)
tiny_model = Model(tiny_net, nn.MSELoss(), nn.SGD(tiny_net.trainable_params(), learning_rate=0.01))
tiny_data = NumpySlicesDataset({"x": features[:4] / 20, "y": labels[:4, None].astype(np.float32) / 10},
                               shuffle=False).batch(2)
tiny_model.train(2, tiny_data, callbacks=[HookPrinter()])

# %% [markdown]
# The built-in callbacks are all made of these hooks: `LossMonitor` prints at `on_train_step_end`, `History`
# records at `on_train_epoch_end`, `ModelCheckpoint` saves at step ends, `ProgressBar` draws a tqdm bar per
# epoch. Note that `cur_step_num` counts the steps of the whole training, not of the epoch.
#
# **Early stopping** is the classic steering callback. Training longer lowers the training loss, but at some
# point the network starts to learn the training set by heart and gets worse on new data. `Model.fit(epochs,
# train_ds, valid_ds)` evaluates on a validation set after every epoch and puts the result in
# `cb_params.eval_results` (e.g. `{"accuracy": 0.96, "eval_loss": 0.11}`) just before `on_train_epoch_end`.
# Early stopping watches one of these values and stops when it has not improved for a while.
#
# ### Exercise 07.4: EarlyStopping (3 points)
#
# Write `EarlyStopping(monitor="eval_loss", min_delta=0, patience=0, mode="min")` with MindSpore's rule:
# - `on_train_begin`: a new training starts: no best value yet, the counter of epochs without improvement at
#   0, `self.stopped_epoch = 0`;
# - `on_train_epoch_end`: read `current = eval_results[monitor]`; add 1 to the counter; if `current` improves
#   on the best so far by more than `min_delta` (smaller for `mode="min"`, bigger for `"max"`), it becomes the
#   best and the counter goes back to 0. If the counter has reached `patience`, set `self.stopped_epoch` to
#   the current epoch and call `run_context.request_stop()`.
#
# So with `patience=2`, two epochs in a row without a new best stop the training (and `patience=0` stops after
# the first epoch, as in MindSpore). Example, `monitor="accuracy", mode="max", patience=2`: accuracies 0.5,
# 0.6, 0.7, 0.65, 0.75, 0.74, 0.72, 0.8 stop the training after epoch 7.
#
# The check drives your callback through the hooks in the order `Model.fit` calls them, with scripted
# validation results, and compares the epochs that run and `stopped_epoch` with `tinyspore.train.EarlyStopping`.

# %% nbgrader={"grade": false, "grade_id": "EarlyStopping", "locked": false, "schema_version": 3, "solution": true, "task": false}
class EarlyStopping(Callback):
    """Exercise 07.4. Stop Model.fit when `monitor` (a key of eval_results) stops improving for `patience` epochs."""

    def __init__(self, monitor="eval_loss", min_delta=0, patience=0, mode="min"):
        super().__init__()
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.patience = patience
        self.mode = mode
        self.stopped_epoch = 0

    def on_train_begin(self, run_context):
        """A training starts: reset the best value, the counter and stopped_epoch."""
        ### BEGIN SOLUTION
        self.best = np.inf if self.mode == "min" else -np.inf
        self.wait, self.stopped_epoch = 0, 0
        ### END SOLUTION

    def on_train_epoch_end(self, run_context):
        """After each epoch's validation: count, compare with the best, maybe request a stop."""
        ### BEGIN SOLUTION
        cb_params = run_context.original_args()
        current = cb_params.eval_results[self.monitor]
        self.wait += 1
        if self.mode == "min":
            improved = current < self.best - self.min_delta
        else:
            improved = current > self.best + self.min_delta
        if improved:
            self.best = current
            self.wait = 0
        if self.wait >= self.patience:
            self.stopped_epoch = cb_params.cur_epoch_num
            run_context.request_stop()
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "EarlyStopping_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check_EarlyStopping(EarlyStopping)
### BEGIN HIDDEN TESTS
check_EarlyStopping(EarlyStopping, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Inside `Model.train`
#
# You now know every piece `Model.train(epoch, dataset, callbacks)` uses. It wraps the network and the loss
# into one cell, `WithLossCell(net, loss_fn)`, and that into `TrainOneStepCell(..., optimizer)`, which runs
# chapter 06's `train_step` on a batch and returns the loss. Then it runs:
#
# ```
# on_train_begin
# for each epoch:  cb_params.cur_epoch_num = epoch
#     one epoch                      <- Exercise 07.5
#     if a stop was requested: leave the loop
# on_train_end
# ```
#
# ### Exercise 07.5: train_epoch (3 points)
#
# Write `train_epoch(train_network, dataset, callbacks, run_context)`, one epoch as `Model.train` runs it.
# `cb_params = run_context.original_args()` is the state the callbacks see; the caller has set
# `cur_epoch_num`, and `cur_step_num` counts the steps of the whole training so far. What the callbacks must
# observe:
# - every callback gets `on_train_epoch_begin(run_context)` first and `on_train_epoch_end(run_context)` last
#   (also after a stop request), and every hook reaches the callbacks in the list's order;
# - each batch of the epoch (`dataset.create_tuple_iterator(num_epochs=1)` gives them as lists
#   `[data, label]`) is one step: `train_network(*row)` trains on it and returns its loss. Around it come
#   `on_train_step_begin` and `on_train_step_end`; during both, `cb_params.cur_step_num` already counts this
#   step, and during `on_train_step_end`, `cb_params.net_outputs` holds its loss;
# - once a callback has called `run_context.request_stop()` during a step, no further batch is trained.
#
# The check trains small networks for one to three epochs with callbacks that record every hook with the
# step number they see and the loss at each step end, and one that requests a stop, and compares all of it,
# and the final parameters, with the engine's loop.

# %% nbgrader={"grade": false, "grade_id": "train_epoch", "locked": false, "schema_version": 3, "solution": true, "task": false}
def train_epoch(train_network, dataset, callbacks, run_context):
    """Exercise 07.5. One epoch of Model.train: the epoch hooks around, per batch a step between step hooks.

    train_network(*row) runs one train step and returns the loss; dataset: a batched Dataset;
    callbacks: a list of Callbacks; run_context: its original_args() is cb_params (cur_epoch_num set).
    """
    ### BEGIN SOLUTION
    cb_params = run_context.original_args()
    for callback in callbacks:
        callback.on_train_epoch_begin(run_context)
    for row in dataset.create_tuple_iterator(num_epochs=1):
        cb_params.cur_step_num += 1
        for callback in callbacks:
            callback.on_train_step_begin(run_context)
        cb_params.net_outputs = train_network(*row)
        for callback in callbacks:
            callback.on_train_step_end(run_context)
        if run_context.get_stop_requested():
            break
    for callback in callbacks:
        callback.on_train_epoch_end(run_context)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "train_epoch_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check_train_epoch(train_epoch)
### BEGIN HIDDEN TESTS
check_train_epoch(train_epoch, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# With your epoch, the whole of `Model.train` fits in a dozen lines. Let us train the same tiny network twice
# from the same start, once with `my_train` below and once with the engine's `Model.train`, and compare:

# %%
my_train_epoch = pick(train_epoch, check_train_epoch)


def my_train(epochs, net, loss_fn, optimizer, dataset, callbacks=()):
    """Model(net, loss_fn, optimizer).train(epochs, dataset, callbacks), built from train_epoch."""
    train_network = TrainOneStepCell(WithLossCell(net, loss_fn), optimizer)
    callbacks = list(callbacks)
    cb_params = CallbackParam(train_network=train_network, network=net, epoch_num=epochs, initial_epoch=0,
                              batch_num=dataset.get_dataset_size(), cur_step_num=0, mode="train")
    run_context = RunContext(cb_params)
    for callback in callbacks:
        callback.on_train_begin(run_context)
    for epoch in range(1, epochs + 1):
        cb_params.cur_epoch_num = epoch
        my_train_epoch(train_network, dataset, callbacks, run_context)
        if run_context.get_stop_requested():
            break
    for callback in callbacks:
        callback.on_train_end(run_context)


results = {}
for name in ("my_train", "Model.train"):
    ms.set_seed(0)
    net = nn.Dense(2, 1)
    optimizer = nn.SGD(net.trainable_params(), learning_rate=0.01)
    history = History()
    if name == "my_train":
        my_train(3, net, nn.MSELoss(), optimizer, tiny_data, callbacks=[history])
    else:
        Model(net, nn.MSELoss(), optimizer).train(3, tiny_data, callbacks=[history])
    results[name] = (history.history["net_output"], net.weight.asnumpy().ravel(), net.bias.asnumpy())
    print(f"{name:12s} losses per epoch {np.array(results[name][0])}  weight {results[name][1]}  bias {results[name][2]}")
print("identical:", all(np.array_equal(a, b) for a, b in zip(results["my_train"], results["Model.train"])))

# %% [markdown]
# ## 5. The seed tutorial's section 4, for real
#
# Back to the line `y = 2x + 0.5` from chapter 06, from the same start (`W = 0.5, b = 0`) and with the
# tutorial's settings: SGD with learning rate 0.01, 10 epochs, batches of 32 samples of a shuffled
# `NumpySlicesDataset`. This is the section's pseudo-code, made to run: the only additions are the data and
# the model of chapter 06, a seed, and a `LossMonitor` that prints the loss of the last step of each epoch
# (MindSpore's format).

# %%
x_data = np.linspace(-1, 1, 100, dtype=np.float32).reshape(-1, 1)
y_data = (2 * x_data + 0.5 + np.random.RandomState(0).normal(0, 0.05, x_data.shape)).astype(np.float32)


def seed_section_4(lr, epochs, callbacks=None, seed=0):
    """The seed's section 4: Dense(1, 1) from W = 0.5, b = 0, a shuffled NumpySlicesDataset in batches of 32."""
    ms.set_seed(seed)
    net = nn.Dense(1, 1, weight_init=Tensor(np.array([[0.5]], np.float32)), bias_init="zeros")
    loss_fn = nn.MSELoss()
    optimizer = nn.SGD(net.trainable_params(), learning_rate=lr)
    dataset = NumpySlicesDataset({"data": x_data, "label": y_data}, shuffle=True)
    dataset = dataset.batch(32)
    model = Model(net, loss_fn, optimizer)
    model.train(epoch=epochs, train_dataset=dataset, callbacks=callbacks)
    return net.weight.asnumpy().item(), net.bias.asnumpy().item()


W, b = seed_section_4(lr=0.01, epochs=10, callbacks=[LossMonitor(per_print_times=4)])
print(f"lr 0.01, 10 epochs of 4 batches:  W = {W:.4f}, b = {b:.4f}   (the truth: W = 2, b = 0.5)")

# %% [markdown]
# "Training in one line" works, and the loss falls, but the result is still far from `W = 2, b = 0.5`: better
# than chapter 06's full-batch run (`W ≈ 0.60`), because 100 samples in batches of 32 make 4 steps per epoch
# instead of 1, yet 40 small steps are not enough. The batches are shuffled, so the numbers move a little with
# the seed (and differ from MindSpore's, whose shuffle draws other orders):

# %%
for seed in (0, 1, 2):
    W, b = seed_section_4(lr=0.01, epochs=10, seed=seed)
    print(f"seed {seed}: lr 0.01, 10 epochs  W = {W:.4f}, b = {b:.4f}")
for lr, epochs in ((0.1, 10), (0.1, 30), (0.3, 20)):
    W, b = seed_section_4(lr=lr, epochs=epochs)
    print(f"seed 0: lr {lr}, {epochs} epochs  W = {W:.4f}, b = {b:.4f}")

# %% [markdown]
# With learning rate 0.1 (chapter 06's sweep), 30 epochs of mini-batches bring `W` within 0.02 of 2 and `b` within
# 0.01 of 0.5.
# Mini-batches never settle exactly: each step follows the noise of its 32 samples, so the last digits keep
# moving around `W = 2, b = 0.5` at any epoch count.
#
# ## 6. Digits with `Model.fit`: metrics, early stopping, curves
#
# Now a real task: chapter 06's handwritten digits. We keep 20% as a test set, never looked at during
# training, and take 20% of the rest as a **validation** set for `Model.fit` and early stopping. The network is
# chapter 06's MLP with Adam. `Model.fit` trains, evaluates on the validation set after every epoch (with the
# metrics given to `Model`), and calls the callbacks: `History`, your `EarlyStopping` watching the validation
# accuracy, and a progress bar. The engine has one, `train.ProgressBar()`, a tqdm widget in JupyterLab; here is
# the same idea as a callback of a few lines, drawing tqdm's text bar (which a saved notebook keeps as it is):

# %%
class TextProgressBar(Callback):
    """A tqdm bar per epoch: the steps done and the loss of the last step."""

    def on_train_epoch_begin(self, run_context):
        cb_params = run_context.original_args()
        self.bar = tqdm(total=cb_params.batch_num, desc=f"epoch {cb_params.cur_epoch_num:2d}", file=sys.stdout,
                        bar_format="{desc} |{bar:20}| {n_fmt}/{total_fmt} steps{postfix}", ascii=True,
                        mininterval=0, miniters=12)

    def on_train_step_end(self, run_context):
        self.bar.set_postfix_str(f"loss {float(run_context.original_args().net_outputs):.4f}", refresh=False)
        self.bar.update(1)

    def on_train_epoch_end(self, run_context):
        self.bar.close()

# %%
images, digit_labels = load_digits(flatten=True)
(x_rest, y_rest), (x_test, y_test) = split_train_test(images, digit_labels, test_fraction=0.2, seed=0)
(x_train, y_train), (x_valid, y_valid) = split_train_test(x_rest, y_rest, test_fraction=0.2, seed=1)
print("train", x_train.shape, " validation", x_valid.shape, " test", x_test.shape)

ms.set_seed(0)
train_ds = NumpySlicesDataset({"image": x_train, "label": y_train}, shuffle=True).batch(32)
valid_ds = NumpySlicesDataset({"image": x_valid, "label": y_valid}, shuffle=False).batch(64)
test_ds = NumpySlicesDataset({"image": x_test, "label": y_test}, shuffle=False).batch(64)

MyEarlyStopping = pick(EarlyStopping, check_EarlyStopping)
classifier = nn.SequentialCell([nn.Dense(64, 64), nn.ReLU(), nn.Dense(64, 10)])
model = Model(classifier, nn.CrossEntropyLoss(), nn.Adam(classifier.trainable_params(), learning_rate=0.01),
              metrics={"accuracy": MyAccuracy(), "loss": train.Loss()})
history = History()
stopper = MyEarlyStopping(monitor="accuracy", patience=3, mode="max")
model.fit(30, train_ds, valid_ds, callbacks=[TextProgressBar(), history, stopper])
print(f"stopped after epoch {stopper.stopped_epoch} of 30")

# %% [markdown]
# `History` recorded, for every epoch, the training loss of the last batch (`net_output`, MindSpore's
# choice: a single batch, so it is noisy) and the validation metrics:

# %%
epochs_run = history.epoch["epoch"]
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.2))
ax1.plot(epochs_run, history.history["net_output"], "o-", label="training loss (last batch of the epoch)")
ax1.plot(epochs_run, history.history["loss"], "s-", label="validation loss (whole set)")
ax1.set_xlabel("epoch")
ax1.set_ylabel("cross-entropy")
ax1.legend(fontsize=8)
ax2.plot(epochs_run, history.history["accuracy"], "o-", color="seagreen")
best = int(np.argmax(history.history["accuracy"]))
ax2.axvline(epochs_run[best], color="gray", linestyle="--", label=f"best: epoch {epochs_run[best]}")
ax2.set_xlabel("epoch")
ax2.set_ylabel("validation accuracy")
ax2.legend(fontsize=8)
fig.suptitle("the History callback: curves of one Model.fit run, stopped early")
plt.tight_layout()
plt.show()
for epoch, acc, loss in zip(epochs_run, history.history["accuracy"], history.history["loss"]):
    print(f"epoch {epoch:2d}  validation accuracy {acc:.4f}  validation loss {loss:.4f}")

# %% [markdown]
# The validation accuracy climbs fast, to 95% after 3 epochs, then moves up and down between 94% and 98%; its
# best, 97.6% at epoch 7, was followed by three epochs without a new best, which ended the run. Note that the weights we keep are those of the **last** epoch, not of the best one (the
# engine's `EarlyStopping(restore_best_weights=True)` would load the best ones back).
#
# Now the test set, once, with `Model.eval` and both of your metrics:

# %%
evaluator = Model(classifier, nn.CrossEntropyLoss(),
                  metrics={"accuracy": MyAccuracy(), "confusion": MyConfusionMatrix(10)})
scores = evaluator.eval(test_ds)
print(f"test accuracy: {scores['accuracy']:.4f}  ({int(round(scores['accuracy'] * len(y_test)))} of {len(y_test)})")
confusion = scores["confusion"]

fig, ax = plt.subplots(figsize=(4.2, 4))
ax.imshow(confusion, cmap="Blues")
for (i, j), count in np.ndenumerate(confusion):
    if count:
        ax.text(j, i, f"{count:.0f}", ha="center", va="center", fontsize=7,
                color="white" if count > 20 else "black")
ax.set_xticks(range(10))
ax.set_yticks(range(10))
ax.set_xlabel("predicted")
ax.set_ylabel("true")
ax.set_title("confusion matrix on the test set")
plt.tight_layout()
plt.show()
mixed = confusion - np.diag(np.diag(confusion))
true_class, predicted_class = np.unravel_index(np.argmax(mixed), mixed.shape)
print(f"most frequent confusion: a {true_class} read as a {predicted_class} ({mixed.max():.0f} times)")

# %% [markdown]
# ## 7. Checkpoints: save, load, verify
#
# A trained network is only its parameters. `ms.save_checkpoint(net, path)` writes them to a file,
# `ms.load_checkpoint(path)` reads them back as a dict `{name: Parameter}`, and
# `ms.load_param_into_net(other_net, params)` copies them into a network of the same structure. We save the
# classifier, load it into a freshly initialized network, and check that it is the same network: same
# parameters, same predictions, same test accuracy. (The files go to a temporary folder; TinySpore's format is
# its own, an `.npz` archive with checksums, so MindSpore's `.ckpt` files cannot be read here.)

# %%
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "digits_mlp.ckpt")
    ms.save_checkpoint(classifier, path)
    params = ms.load_checkpoint(path)
    print("saved:", {name: tuple(p.shape) for name, p in params.items()})

    ms.set_seed(123)
    restored = nn.SequentialCell([nn.Dense(64, 64), nn.ReLU(), nn.Dense(64, 10)])
    before = restored(Tensor(x_test)).asnumpy()
    not_loaded, unused = ms.load_param_into_net(restored, params)
    after = restored(Tensor(x_test)).asnumpy()
    print("parameters not loaded:", not_loaded, " checkpoint entries unused:", unused)
    print("same parameters:", all(np.array_equal(a.asnumpy(), b.asnumpy()) for a, b in
                                   zip(classifier.trainable_params(), restored.trainable_params())))
    print("same predictions:", np.array_equal(after, classifier(Tensor(x_test)).asnumpy()),
          "  (before loading, they agreed on", f"{np.mean(before.argmax(1) == after.argmax(1)):.0%} of the test set)")
    reloaded_scores = Model(restored, nn.CrossEntropyLoss(), metrics={"accuracy"}).eval(test_ds)
    print(f"test accuracy after loading: {reloaded_scores['accuracy']:.4f}")

    with open(path, "r+b") as handle:  # damage one byte in the middle of the file
        handle.seek(os.path.getsize(path) // 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0xFF]))
    try:
        ms.load_checkpoint(path)
    except ms.train.CheckpointError as error:
        print("a damaged file is refused:", type(error).__name__)

# %% [markdown]
# During a long training, the `ModelCheckpoint` callback saves as it goes: here every epoch (36 steps),
# keeping the newest 3 files. Named `prefix-epoch_step.ckpt`, they let you resume or pick an earlier epoch.

# %%
with tempfile.TemporaryDirectory() as folder:
    ms.set_seed(0)
    net = nn.SequentialCell([nn.Dense(64, 64), nn.ReLU(), nn.Dense(64, 10)])
    saver = train.ModelCheckpoint(prefix="digits", directory=folder,
                                  config=train.CheckpointConfig(save_checkpoint_steps=36, keep_checkpoint_max=3))
    Model(net, nn.CrossEntropyLoss(), nn.Adam(net.trainable_params(), learning_rate=0.01)).train(
        5, train_ds, callbacks=[saver])
    print(sorted(os.listdir(folder)))
    last = ms.load_checkpoint(os.path.join(folder, "digits-5_36.ckpt"))
    print("the last one holds the final parameters:",
          all(np.array_equal(last[name].asnumpy(), p.asnumpy()) for name, p in net.parameters_and_names()))

# %% [markdown]
# ## Summary
#
# - A dataset is a lazy pipeline of rows with named columns: a source (`NumpySlicesDataset`, which shuffles by
#   default), then `map`, `shuffle`, `batch` (stacking along a new first axis; `drop_remainder` drops the last,
#   smaller batch), `repeat`; iterators give lists of Tensors, arrays or dicts, one epoch per pass.
# - Metrics follow `clear` / `update` / `eval`: they add up batches, so accuracy counts samples (not batch
#   averages), and a confusion matrix counts `[true, predicted]` pairs.
# - `Model.train` is chapter 06's loop plus hooks: `on_train_begin`, per epoch `on_train_epoch_begin`, per step
#   `on_train_step_begin` / `on_train_step_end` around `TrainOneStepCell`, `on_train_epoch_end`, and
#   `on_train_end`. Callbacks read `cb_params` and steer with `request_stop()`; `Model.fit` adds a validation
#   pass per epoch (`eval_results`), which is what early stopping watches.
# - The seed's section 4 runs as written: at lr 0.01 for 10 epochs it ends near `W ≈ 0.84, b ≈ 0.3`, far from
#   `2` and `0.5`; lr 0.1 for 30 epochs gets within 0.02.
# - Checkpoints save the parameters; loading them into a fresh network gives the very same network.
#
# Next, chapter 08 builds a convolutional network and trains it with `Model.train` on the digits as images.
