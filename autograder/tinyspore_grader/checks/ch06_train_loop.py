"""Checks of chapter 06, the train loop: one training step, one epoch of shuffled mini-batches, accuracy,
and an optimizer built from a chapter-05 step function.

    loss = train_step(net, loss_fn, optimizer, x, y)           forward, loss, gradients, update
    mean_loss = run_epoch(step_fn, x, y, batch_size, rng)      one pass over shuffled mini-batches
    acc = accuracy(logits, labels)                             fraction of rows whose argmax is the label
    optimizer = StepOptimizer(params, step, **hyper); optimizer(grads)

The oracle is the reference engine: `train_step` is compared with the same four steps written with
`tinyspore.value_and_grad(..., has_aux=True)` on freshly built networks; `StepOptimizer` with
`tinyspore.nn.Momentum` / `nn.Adam` on the same parameters and gradients. No check uses a learner's answer
from another exercise or chapter.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinyspore as ms
from tinyspore import nn
from tinyspore_grader import BadReturn, Case, Mistake, Raised, exercise, run_check, same, watch_inputs
from tinyspore_grader.diagnose import kind_of
from tinyspore_grader.i18n import _ as _tr

from .ch05_optimizers import reference_adam_step, reference_momentum_step, reference_rmsprop_step


def _rng(hidden: bool, salt: int) -> np.random.Generator:
    return np.random.default_rng(600 + 100 * salt + (7 if hidden else 0))


def _close(expected: Any, got: Any, case: Case | None = None) -> bool:
    """Like `same`, but float32 vs float64 and small float32 rounding differences do not matter."""
    return same(expected, got, case, rtol=1e-4, atol=1e-6, check_dtype=False)


# ----- 06.1 train_step -------------------------------------------------------------------------------------
def reference_train_step(net: nn.Cell, loss_fn: nn.Cell, optimizer: nn.Cell, x: ms.Tensor, y: ms.Tensor) -> Any:
    """The four steps: forward, loss, gradients (value_and_grad with has_aux), update."""
    def forward_fn(data, label):
        logits = net(data)
        return loss_fn(logits, label), logits

    grad_fn = ms.value_and_grad(forward_fn, None, optimizer.parameters, has_aux=True)
    (loss, _), grads = grad_fn(x, y)
    optimizer(grads)
    return loss


def _dense(rng: np.random.Generator, n_in: int, n_out: int) -> nn.Dense:
    """A Dense layer with weights drawn from the check's own generator (the global seed is left alone)."""
    bound = 1 / np.sqrt(n_in)
    weight = rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32)
    bias = rng.uniform(-bound, bound, n_out).astype(np.float32)
    return nn.Dense(n_in, n_out, weight_init=ms.Tensor(weight), bias_init=ms.Tensor(bias))


_NETS = {
    "Dense(3, 2)": lambda rng: _dense(rng, 3, 2),
    "Dense(1, 1)": lambda rng: _dense(rng, 1, 1),
    "MLP 4-5-3": lambda rng: nn.SequentialCell([_dense(rng, 4, 5), nn.ReLU(), _dense(rng, 5, 3)]),
    "MLP 2-4-1": lambda rng: nn.SequentialCell([_dense(rng, 2, 4), nn.Tanh(), _dense(rng, 4, 1)]),
}
_OPTIMIZERS = {
    "SGD(0.1)": lambda ps: nn.SGD(ps, learning_rate=0.1),
    "SGD(0.5)": lambda ps: nn.SGD(ps, learning_rate=0.5),
    "Momentum(0.1, 0.9)": lambda ps: nn.Momentum(ps, learning_rate=0.1, momentum=0.9),
    "Adam(0.05)": lambda ps: nn.Adam(ps, learning_rate=0.05),
}
_LOSSES = {"MSELoss": nn.MSELoss, "CrossEntropyLoss": nn.CrossEntropyLoss}


def _train_step_call(fn: Any, case: Case) -> tuple:
    """Build the case's network (same seed every time), run `fn` on each batch; losses and final parameters."""
    net_name, loss_name, opt_name, batches, seed = case.args
    net = _NETS[net_name](np.random.default_rng(seed))
    loss_fn = _LOSSES[loss_name]()
    optimizer = _OPTIMIZERS[opt_name](net.trainable_params())
    losses = []
    for x, y in batches:
        x, y = ms.Tensor(x), ms.Tensor(y)
        verify = watch_inputs(("x", "y"), (x, y))
        loss = fn(net, loss_fn, optimizer, x, y)
        verify()
        if isinstance(loss, (tuple, list)):
            items = ", ".join("loss" if np.size(_acc_of(v)) == 1 else "logits" if np.ndim(_acc_of(v)) == 2
                              else type(v).__name__ for v in loss)
            raise BadReturn(f"`train_step` returned `({items})`: return only the loss")
        if loss is None:
            raise BadReturn("`train_step` returned None: end it with `return loss`")
        if np.size(_acc_of(loss)) != 1:
            shape = np.shape(_acc_of(loss))
            raise BadReturn(f"`train_step` returned values of shape {shape}, not the loss (one number)")
        losses.append(float(loss.asnumpy()) if hasattr(loss, "asnumpy") else float(loss))
    params = np.concatenate([p.asnumpy().ravel() for p in net.trainable_params()])
    return np.array(losses), params


def _train_step_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 1)
    plans = [("Dense(1, 1)", "MSELoss", "SGD(0.1)", 1, 8), ("Dense(3, 2)", "MSELoss", "SGD(0.5)", 3, 5),
             ("MLP 4-5-3", "CrossEntropyLoss", "SGD(0.1)", 3, 6),
             ("Dense(3, 2)", "MSELoss", "Momentum(0.1, 0.9)", 3, 4), ("MLP 2-4-1", "MSELoss", "Adam(0.05)", 3, 1)]
    if hidden:
        plans = [("Dense(1, 1)", "MSELoss", "SGD(0.5)", 2, 5), ("MLP 4-5-3", "CrossEntropyLoss", "Adam(0.05)", 3, 7),
                 ("MLP 2-4-1", "MSELoss", "Momentum(0.1, 0.9)", 3, 3), ("Dense(3, 2)", "MSELoss", "SGD(0.1)", 2, 2)]
    cases = []
    for number, (net_name, loss_name, opt_name, steps, batch) in enumerate(plans):
        in_features = {"Dense(3, 2)": 3, "Dense(1, 1)": 1, "MLP 4-5-3": 4, "MLP 2-4-1": 2}[net_name]
        out_features = {"Dense(3, 2)": 2, "Dense(1, 1)": 1, "MLP 4-5-3": 3, "MLP 2-4-1": 1}[net_name]
        batches = []
        for _ in range(steps):
            x = rng.standard_normal((batch, in_features)).astype(np.float32)
            if loss_name == "CrossEntropyLoss":
                y = rng.integers(0, out_features, batch).astype(np.int32)
            else:
                y = rng.standard_normal((batch, out_features)).astype(np.float32)
            batches.append((x, y))
        cases.append(Case((net_name, loss_name, opt_name, batches, 10 + number + (50 if hidden else 0))))
    return cases


def _describe_train_step(case: Case) -> str:
    net_name, loss_name, opt_name, batches, _ = case.args
    x, y = batches[0]
    calls = f"{len(batches)} call{'s' if len(batches) > 1 else ''}"
    return (_tr("net {net_name}, loss_fn {loss_name}(), optimizer {opt_name}, {calls} on batches x {x_dtype} "
                "{x_shape}, y {y_dtype} {y_shape}  [expected/got = (loss of each call, final parameters)]").format(
                net_name=net_name, loss_name=loss_name, opt_name=opt_name, calls=calls,
                x_dtype=x.dtype, x_shape=x.shape, y_dtype=y.dtype, y_shape=y.shape))


def _forward(net, loss_fn):
    def forward_fn(data, label):
        logits = net(data)
        return loss_fn(logits, label), logits
    return forward_fn


def _step_loss_after_update(net, loss_fn, optimizer, x, y):
    grad_fn = ms.value_and_grad(_forward(net, loss_fn), None, optimizer.parameters, has_aux=True)
    _, grads = grad_fn(x, y)
    optimizer(grads)
    return loss_fn(net(x), y)


def _step_without_has_aux(net, loss_fn, optimizer, x, y):
    grad_fn = ms.value_and_grad(_forward(net, loss_fn), None, optimizer.parameters)
    (loss, _), grads = grad_fn(x, y)
    optimizer(grads)
    return loss


def _step_no_update(net, loss_fn, optimizer, x, y):
    (loss, _), _ = ms.value_and_grad(_forward(net, loss_fn), None, optimizer.parameters, has_aux=True)(x, y)
    return loss


def _step_averaged_twice(net, loss_fn, optimizer, x, y):
    def forward_fn(data, label):
        logits = net(data)
        return loss_fn(logits, label) / data.shape[0], logits
    (loss, _), grads = ms.value_and_grad(forward_fn, None, optimizer.parameters, has_aux=True)(x, y)
    optimizer(grads)
    return loss


def _step_accumulating(net, loss_fn, optimizer, x, y):
    (loss, _), grads = ms.value_and_grad(_forward(net, loss_fn), None, optimizer.parameters, has_aux=True)(x, y)
    previous = getattr(optimizer, "_check_accumulated", None)
    if previous is not None:
        grads = tuple(g + p for g, p in zip(grads, previous))
    object.__setattr__(optimizer, "_check_accumulated", grads)
    optimizer(grads)
    return loss


def _step_stale(net, loss_fn, optimizer, x, y):
    (loss, _), grads = ms.value_and_grad(_forward(net, loss_fn), None, optimizer.parameters, has_aux=True)(x, y)
    grads = getattr(optimizer, "_check_first_grads", grads)
    object.__setattr__(optimizer, "_check_first_grads", grads)
    optimizer(grads)
    return loss


def _step_gradient_ascent(net, loss_fn, optimizer, x, y):
    (loss, _), grads = ms.value_and_grad(_forward(net, loss_fn), None, optimizer.parameters, has_aux=True)(x, y)
    optimizer(tuple(-g for g in grads))
    return loss


def _raised_mentioning(*words: str):
    return lambda case, got: isinstance(got, Raised) and any(w in str(got.error) for w in words)


TRAIN_STEP_MISTAKES = [
    Mistake("optimizer not given the parameter gradients",
            "the optimizer needs the tuple of gradients of the PARAMETERS: use `ms.value_and_grad(forward_fn, "
            "None, optimizer.parameters, has_aux=True)` and unpack `(loss, logits), grads = grad_fn(x, y)`. "
            "(`ops.GradOperation` returns only gradients, never the loss; `grad_position=0` differentiates x.)",
            detect=_raised_mentioning("single Tensor", "tuple of gradients", "values to unpack")),
    Mistake("returned (loss, logits)",
            "return only the loss: unpack the value first, `(loss, _), grads = grad_fn(x, y)`.",
            detect=_raised_mentioning("return only the loss")),
    Mistake("loss returned after the update",
            "return the loss computed in THIS step, before the update (the one value_and_grad gave you); "
            "computing it again after `optimizer(grads)` measures the updated network.",
            wrong=_step_loss_after_update),
    Mistake("has_aux missing",
            "your forward function returns (loss, logits): pass `has_aux=True`, else the gradient is taken of "
            "loss + sum(logits), not of the loss alone.",
            wrong=_step_without_has_aux),
    Mistake("no update", "call the optimizer with the gradients, `optimizer(grads)`: that is the update step.",
            wrong=_step_no_update),
    Mistake("loss averaged twice",
            "the loss functions already average over the batch (reduction='mean'): do not divide by the batch "
            "size again, it shrinks the loss and every gradient.",
            wrong=_step_averaged_twice),
    Mistake("gradients accumulated across steps",
            "each step uses the gradients of THIS batch only. value_and_grad returns fresh gradients at every "
            "call: do not add them to earlier ones (there is nothing to zero, unlike PyTorch).",
            wrong=_step_accumulating),
    Mistake("stale gradients reused",
            "compute the gradients anew at every call: gradients kept from an earlier step point the wrong way "
            "once the parameters have moved.",
            wrong=_step_stale),
    Mistake("update with the wrong sign",
            "give the optimizer the gradients as they are: it subtracts them itself (negating them climbs uphill).",
            wrong=_step_gradient_ascent),
]


@exercise(reference=reference_train_step, forbidden=[nn.TrainOneStepCell, ms.train.Model])
def check_train_step(train_step: Any, hidden: bool = False) -> None:
    """Exercise 06.1: train_step(net, loss_fn, optimizer, x, y) -> the loss; updates the parameters once."""
    run_check("06.1", "train_step", train_step, _train_step_cases(hidden), reference=reference_train_step,
              mistakes=TRAIN_STEP_MISTAKES, call=_train_step_call, same=_close, match=_close,
              describe_case=_describe_train_step)


# ----- 06.2 run_epoch --------------------------------------------------------------------------------------
def reference_run_epoch(step_fn: Any, x: np.ndarray, y: np.ndarray, batch_size: int,
                         rng: np.random.Generator) -> float:
    order = rng.permutation(len(x))
    total = 0.0
    for start in range(0, len(x), batch_size):
        batch = order[start:start + batch_size]
        loss = step_fn(ms.Tensor(x[batch]), ms.Tensor(y[batch]))
        total += float(loss) * len(batch)
    return total / len(x)


class _Recorder:
    """A step function that remembers the rows it was given and returns a loss that depends on them."""

    def __init__(self) -> None:
        self.x_ids: list[np.ndarray] = []
        self.y_ids: list[np.ndarray] = []

    def __call__(self, xb: Any, yb: Any) -> ms.Tensor:
        xb = np.asarray(xb.asnumpy() if hasattr(xb, "asnumpy") else xb)
        yb = np.asarray(yb.asnumpy() if hasattr(yb, "asnumpy") else yb)
        self.x_ids.append(np.rint(xb[:, 0]).astype(np.int64))
        self.y_ids.append(np.rint(yb.reshape(len(yb), -1)[:, 0] / 10).astype(np.int64))
        return ms.Tensor(np.float32(np.mean(xb[:, 1])))  # a batch's "loss": the mean of its second column


def _run_epoch_call(fn: Any, case: Case) -> tuple:
    x, y, batch_size, seed = case.args
    recorder = _Recorder()
    x, y = x.copy(), y.copy()
    verify = watch_inputs(("x", "y"), (x, y))
    result = fn(recorder, x, y, batch_size, np.random.default_rng(seed))
    verify()
    if result is None or np.size(result.asnumpy() if hasattr(result, "asnumpy") else result) != 1:
        kind = kind_of(result)
        raise BadReturn(f"`run_epoch` returned {kind}: return the epoch's mean loss per sample, one number "
                        "(a Python float)")
    mean = float(result.asnumpy()) if hasattr(result, "asnumpy") else float(result)
    sizes = np.array([len(ids) for ids in recorder.x_ids], np.int64)
    x_order = np.concatenate(recorder.x_ids) if recorder.x_ids else np.zeros(0, np.int64)
    y_order = np.concatenate(recorder.y_ids) if recorder.y_ids else np.zeros(0, np.int64)
    return x_order, y_order, sizes, mean


def _run_epoch_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 2)
    plans = [(10, 4), (12, 4), (7, 3), (5, 8), (9, 1), (6, 6)]
    if hidden:
        plans = [(11, 3), (8, 4), (13, 5), (4, 10), (7, 2)]
    cases = []
    for number, (n, batch_size) in enumerate(plans):
        ids = np.arange(n, dtype=np.float32)
        x = np.stack([ids, rng.uniform(0, 1, n).round(3).astype(np.float32)], axis=1)  # column 0: the row id
        y = (10 * ids).reshape(n, 1).astype(np.float32) if number % 2 else (10 * ids).astype(np.float32)
        cases.append(Case((x, y, batch_size, 20 + number + (50 if hidden else 0))))
    return cases


def _other_shuffle(case: Case, got: tuple) -> bool:
    """Every row once, x and y together, but in another order than `rng.permutation(len(x))` gives (and not
    in the original order, which is "no shuffle")."""
    x, _, _, seed = case.args
    order = np.random.default_rng(seed).permutation(len(x))
    rows = np.asarray(got[0])
    return (rows.shape == order.shape and np.array_equal(np.sort(rows), np.arange(len(x)))
            and np.array_equal(rows, np.asarray(got[1])) and not np.array_equal(rows, order)
            and not np.array_equal(rows, np.arange(len(x))))


def _describe_run_epoch(case: Case) -> str:
    x, y, batch_size, seed = case.args
    return (_tr("x float32 {x_shape} (column 0 = the row number), y {y_shape}, batch_size={batch_size}, "
                "rng=np.random.default_rng({seed})  [expected/got = (row order given to step_fn as x, as y, "
                "batch sizes, returned mean loss)]").format(
                x_shape=x.shape, y_shape=y.shape, batch_size=batch_size, seed=seed))


def _epoch_variant(shuffle: bool = True, keep_last: bool = True, average: str = "samples",
                   separate: bool = False):
    def run_epoch(step_fn, x, y, batch_size, rng):
        n = len(x)
        if separate:
            x, y = x[rng.permutation(n)], y[rng.permutation(n)]
            order = np.arange(n)
        else:
            order = rng.permutation(n) if shuffle else np.arange(n)
        stop = n if keep_last else n - n % batch_size
        losses, sizes = [], []
        for start in range(0, stop, batch_size):
            batch = order[start:start + batch_size]
            losses.append(float(step_fn(ms.Tensor(x[batch]), ms.Tensor(y[batch]))))
            sizes.append(len(batch))
        losses, sizes = np.array(losses), np.array(sizes)
        if average == "batches":
            return float(losses.mean())
        if average == "twice":
            return float(losses.sum() / n)
        if average == "sum":
            return float((losses * sizes).sum())
        return float((losses * sizes).sum() / n)
    return run_epoch


RUN_EPOCH_MISTAKES = [
    Mistake("step_fn never called",
            "call `step_fn(Tensor(x[batch]), Tensor(y[batch]))` once per batch: that is where the training "
            "happens, and its return value is the batch's loss.",
            detect=lambda case, got: isinstance(got, tuple) and len(got) == 4 and len(got[2]) == 0),
    Mistake("x and y shuffled separately",
            "shuffle x and y with ONE permutation (`order = rng.permutation(len(x))`, then `x[batch]`, "
            "`y[batch]` with the same indices): two shuffles separate every input from its label.",
            detect=lambda case, got: isinstance(got, tuple) and len(got) == 4 and got[0].shape == got[1].shape
            and not np.array_equal(got[0], got[1])),
    Mistake("no shuffle",
            "shuffle at the start of every epoch with the rng you are given: `order = rng.permutation(len(x))`. "
            "Without it every epoch sees the batches in the same order.",
            wrong=_epoch_variant(shuffle=False)),
    Mistake("last partial batch dropped",
            "keep the last, smaller batch: `range(0, len(x), batch_size)` and `order[start:start + batch_size]` "
            "(slicing past the end is fine); dropping it skips some samples every epoch.",
            wrong=_epoch_variant(keep_last=False),
            detect=lambda case, got: isinstance(got, tuple) and len(got) == 4 and len(got[2]) > 0
            and got[2].sum() < len(case.args[0]) and np.all(got[2] == case.args[2])),
    Mistake("mean of the batch losses",
            "average over SAMPLES: weight each batch's loss by its size, `sum(loss_b * len_b) / len(x)`. "
            "A plain mean of the batch losses over-weights the smaller last batch.",
            wrong=_epoch_variant(average="batches")),
    Mistake("epoch: loss averaged twice",
            "each batch loss is already a mean over its batch: multiply it back by the batch size before "
            "dividing by len(x) (`sum(loss_b) / len(x)` averages twice).",
            wrong=_epoch_variant(average="twice")),
    Mistake("sum, not mean", "return the mean per sample: divide the weighted sum by len(x).",
            wrong=_epoch_variant(average="sum")),
    Mistake("another random generator",
            "use the `rng` argument (`rng.permutation(len(x))`), not np.random or a new default_rng: the "
            "caller's generator is what makes the shuffle reproducible.",
            detect=lambda case, got: isinstance(got, tuple) and len(got) == 4 and _other_shuffle(case, got)),
]


@exercise(reference=reference_run_epoch, forbidden=[ms.train.Model])
def check_run_epoch(run_epoch: Any, hidden: bool = False) -> None:
    """Exercise 06.2: run_epoch(step_fn, x, y, batch_size, rng) -> mean loss per sample over one epoch."""
    run_check("06.2", "run_epoch", run_epoch, _run_epoch_cases(hidden), reference=reference_run_epoch,
              mistakes=RUN_EPOCH_MISTAKES, call=_run_epoch_call, same=_close, match=_close,
              describe_case=_describe_run_epoch)


# ----- 06.3 accuracy ---------------------------------------------------------------------------------------
def reference_accuracy(logits: Any, labels: Any) -> float:
    logits = logits.asnumpy() if hasattr(logits, "asnumpy") else np.asarray(logits)
    labels = labels.asnumpy() if hasattr(labels, "asnumpy") else np.asarray(labels)
    return float(np.mean(logits.argmax(axis=1) == labels))


def _accuracy_call(fn: Any, case: Case) -> Any:
    logits, labels, as_tensor = case.args
    if as_tensor:
        logits, labels = ms.Tensor(logits), ms.Tensor(labels)
    verify = watch_inputs(("logits", "labels"), (logits, labels))
    result = fn(logits, labels)
    verify()
    if hasattr(result, "asnumpy"):
        result = result.asnumpy()
    if isinstance(result, (np.ndarray, np.generic)) and np.ndim(result) == 0:
        result = float(result)
    return result


def _accuracy_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 3)
    plans = [(8, 3, False), (6, 4, True), (5, 5, False), (10, 2, True), (1, 3, False), (7, 10, True)]
    if hidden:
        plans = [(9, 4, True), (4, 4, True), (12, 3, False), (3, 7, False), (2, 2, True)]
    # First, whole-number logits whose largest VALUE sometimes equals the label: there "max instead of argmax"
    # is not 0, and a count divided with // (always 0 below 100%) looks like nothing else.
    # Right: 3/4 (2/5 hidden); "max instead of argmax" 2/4 (1/5), argmin 1/4 (3/5): no wrong answer gives 0
    # here except one that always does, like `//`.
    logits = np.array([[0, 2, 1], [2, 0, 1], [1, 0, 2], [0, 1, 0]] if not hidden else
                      [[0, 3, 2], [2, 3, 0], [3, 1, 0], [2, 1, 0], [1, 2, 0]], np.float32)
    labels = np.array([1, 1, 2, 1] if not hidden else [1, 2, 2, 2, 1], np.int32)
    cases = [Case((logits, labels, False), note="whole-number logits")]
    for n, classes, as_tensor in plans:
        logits = rng.standard_normal((n, classes)).astype(np.float32)
        labels = np.where(rng.random(n) < 0.6, logits.argmax(axis=1), rng.integers(0, classes, n)).astype(np.int32)
        cases.append(Case((logits, labels, as_tensor)))
    return cases


def _describe_accuracy(case: Case) -> str:
    logits, labels, as_tensor = case.args
    kind = "Tensor " if as_tensor else ""
    return f"logits {kind}float32 {logits.shape}, labels {kind}int32 {labels.shape} {labels.tolist()[:8]}"


def _acc_of(values: Any) -> np.ndarray:
    return values.asnumpy() if hasattr(values, "asnumpy") else np.asarray(values)


ACCURACY_MISTAKES = [
    Mistake("argmax on the wrong axis",
            "take the argmax along the CLASS axis, `axis=1` (or -1): one predicted class per row. axis=0 picks a "
            "row per class.",
            wrong=lambda lo, la: float(np.mean(_acc_of(lo).argmax(axis=0) == _acc_of(la))),
            detect=lambda case, got: isinstance(got, Raised) and "broadcast" in str(got.error)),
    Mistake("integer division",
            "`//` rounds down, to 0 unless every row is right: divide the count with `/` (or take np.mean of "
            "the matches).",
            wrong=lambda lo, la: float(np.sum(_acc_of(lo).argmax(axis=1) == _acc_of(la)) // len(_acc_of(la)))),
    Mistake("a count, not a fraction", "divide the number of correct rows by the number of rows (or use np.mean).",
            wrong=lambda lo, la: float(np.sum(_acc_of(lo).argmax(axis=1) == _acc_of(la)))),
    Mistake("a percentage", "return a fraction between 0 and 1, not a percentage.",
            wrong=lambda lo, la: float(100 * np.mean(_acc_of(lo).argmax(axis=1) == _acc_of(la)))),
    Mistake("max instead of argmax",
            "compare the INDEX of the largest logit (argmax) with the label, not the largest value itself.",
            wrong=lambda lo, la: float(np.mean(_acc_of(lo).max(axis=1) == _acc_of(la)))),
    Mistake("Tensor not converted",
            "logits and labels may be Tensors: turn them into arrays first with `.asnumpy()` (and return a "
            "Python float).",
            detect=lambda case, got: case.args[2] and (isinstance(got, Raised) and "broadcast" not in str(got.error)
                                                       or not isinstance(got, (float, Raised)))),
    Mistake("not a float", "return a Python float, e.g. `float(np.mean(...))`.",
            detect=lambda case, got: not isinstance(got, (float, Raised))),
]


@exercise(reference=reference_accuracy, forbidden=[ms.train.Accuracy])
def check_accuracy(accuracy: Any, hidden: bool = False) -> None:
    """Exercise 06.3: accuracy(logits (N, C), labels (N,)) -> the fraction of rows with argmax == label."""
    run_check("06.3", "accuracy", accuracy, _accuracy_cases(hidden), reference=reference_accuracy,
              mistakes=ACCURACY_MISTAKES, call=_accuracy_call, describe_case=_describe_accuracy)


# ----- 06.4 StepOptimizer ----------------------------------------------------------------------------------
_STEPS = {"momentum_step": reference_momentum_step, "adam_step": reference_adam_step,
          "rmsprop_step": reference_rmsprop_step}
_ENGINES = {
    "momentum_step": lambda ps, h: nn.Momentum(ps, learning_rate=h["lr"], momentum=h.get("momentum", 0.9),
                                               use_nesterov=h.get("use_nesterov", False)),
    "adam_step": lambda ps, h: nn.Adam(ps, learning_rate=h["lr"], beta1=h.get("beta1", 0.9),
                                       beta2=h.get("beta2", 0.999)),
    "rmsprop_step": lambda ps, h: nn.RMSProp(ps, learning_rate=h["lr"], decay=h.get("decay", 0.9)),
}


class ReferenceStepOptimizer:
    """The reference answer of 06.4: one state per parameter, kept between calls; new values via set_data."""

    def __init__(self, params: Any, step: Any, **hyper: Any) -> None:
        self.parameters = tuple(params)
        self.step = step
        self.hyper = hyper
        self.states: list[Any] = [None] * len(self.parameters)

    def __call__(self, grads: tuple) -> tuple[bool, ...]:
        for i, (param, grad) in enumerate(zip(self.parameters, grads)):
            new_param, self.states[i] = self.step(param.asnumpy(), grad.asnumpy(), self.states[i], **self.hyper)
            param.set_data(new_param)
        return (True,) * len(self.parameters)


class _EngineOptimizer:
    """The oracle: the engine optimizer matching the case's step function (the step itself is ignored)."""

    __name__ = "StepOptimizer"

    def __init__(self, params: Any, step: Any, **hyper: Any) -> None:
        self.parameters = tuple(params)
        self.engine = _ENGINES[step.__name__.removeprefix("reference_")](list(params), hyper)

    def __call__(self, grads: tuple) -> Any:
        return self.engine(grads)


def _step_optimizer_call(cls: Any, case: Case) -> tuple:
    shapes, grads_per_call, step_name, hyper, seed = case.args
    rng = np.random.default_rng(seed)
    params = [ms.Parameter(rng.uniform(-1, 1, s).round(2).astype(np.float32), name=f"p{i}")
              for i, s in enumerate(shapes)]
    optimizer = cls(params, _STEPS[step_name], **hyper)
    path: list[list[np.ndarray]] = [[] for _ in params]
    for grads in grads_per_call:
        optimizer(tuple(ms.Tensor(g) for g in grads))
        for i, p in enumerate(params):
            path[i].append(p.asnumpy().copy())
    return tuple(np.stack(steps) for steps in path)


def _step_optimizer_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 4)
    plans = [([(3,)], 3, "momentum_step", {"lr": 0.1, "momentum": 0.9}),
             ([(2, 3), (3,)], 3, "momentum_step", {"lr": 0.05, "momentum": 0.8}),
             ([(2, 2), (2,)], 4, "adam_step", {"lr": 0.1}),
             ([(4,), (1,), (2, 1)], 3, "rmsprop_step", {"lr": 0.01, "decay": 0.5})]
    if hidden:
        plans = [([(2,), (2,)], 3, "adam_step", {"lr": 0.05, "beta1": 0.5, "beta2": 0.9}),
                 ([(3, 2), (2,)], 4, "momentum_step", {"lr": 0.1, "momentum": 0.9, "use_nesterov": True}),
                 ([(5,)], 3, "rmsprop_step", {"lr": 0.1})]
    cases = []
    for number, (shapes, steps, step_name, hyper) in enumerate(plans):
        grads = [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(steps)]
        cases.append(Case((shapes, grads, step_name, hyper, 30 + number + (50 if hidden else 0))))
    return cases


def _describe_step_optimizer(case: Case) -> str:
    shapes, grads, step_name, hyper, _ = case.args
    args = ", ".join(f"{k}={v}" for k, v in hyper.items())
    return (_tr("StepOptimizer(params of shapes {shapes}, {step_name}, {args}), called {len_grads} times  "
                "[expected/got = each parameter after each call]").format(
                shapes=shapes, step_name=step_name, args=args, len_grads=len(grads)))


class _SharedState:
    """Mistake: one state for all parameters."""

    def __init__(self, params, step, **hyper):
        self.parameters, self.step, self.hyper, self.state = tuple(params), step, hyper, None

    def __call__(self, grads):
        for p, g in zip(self.parameters, grads):
            new, self.state = self.step(p.asnumpy(), g.asnumpy(), self.state, **self.hyper)
            p.set_data(new)
        return (True,) * len(grads)


class _ForgetfulState(_SharedState):
    """Mistake: a fresh state (None) at every call."""

    def __call__(self, grads):
        for p, g in zip(self.parameters, grads):
            new, _ = self.step(p.asnumpy(), g.asnumpy(), None, **self.hyper)
            p.set_data(new)
        return (True,) * len(grads)


class _NoUpdate(_SharedState):
    """Mistake: the new values are computed but never written into the Parameters."""

    def __init__(self, params, step, **hyper):
        super().__init__(params, step, **hyper)
        self.states = [None] * len(self.parameters)

    def __call__(self, grads):
        for i, (p, g) in enumerate(zip(self.parameters, grads)):
            _, self.states[i] = self.step(p.asnumpy(), g.asnumpy(), self.states[i], **self.hyper)
        return (True,) * len(grads)


def _is_shape_error(case: Case, got: Any) -> bool:
    return isinstance(got, Raised) and ("shape" in str(got.error) or "broadcast" in str(got.error))


STEP_OPTIMIZER_MISTAKES = [
    Mistake("one state shared by all parameters",
            "keep ONE state per parameter (a list `self.states = [None] * len(self.parameters)`), and pass "
            "parameter i its own state: the moments of a weight are not those of a bias.",
            wrong=_SharedState, detect=_is_shape_error),
    Mistake("state not kept between calls",
            "store the state each step returns (`self.states[i] = new_state`) and pass it back at the next call; "
            "passing None every time restarts the optimizer at every step.",
            wrong=_ForgetfulState),
    Mistake("hyperparameters not passed",
            "pass the hyperparameters on to the step function: `self.step(param, grad, state, **self.hyper)`; "
            "they are what the optimizer was built with (lr, momentum, ...).",
            detect=lambda case, got: isinstance(got, Raised) and isinstance(got.error, TypeError)
            and "required positional argument" in str(got.error) and "'lr'" in str(got.error)),
    Mistake("parameters not updated",
            "write the new values into the Parameters: `param.set_data(new_param)`; the optimizer's job is to "
            "change them in place.",
            wrong=_NoUpdate),
]


@exercise(reference=ReferenceStepOptimizer, forbidden=[nn.SGD, nn.Momentum, nn.Adam, nn.RMSProp])
def check_StepOptimizer(StepOptimizer: Any, hidden: bool = False) -> None:  # noqa: N802, N803 - the class's name
    """Exercise 06.4: StepOptimizer(params, step, **hyper)(grads) updates params as nn.Momentum/Adam/RMSProp do."""
    run_check("06.4", "StepOptimizer", StepOptimizer, _step_optimizer_cases(hidden), reference=_EngineOptimizer,
              mistakes=STEP_OPTIMIZER_MISTAKES, call=_step_optimizer_call, same=_close, match=_close,
              describe_case=_describe_step_optimizer, steps="call")


reference_step_optimizer = ReferenceStepOptimizer
