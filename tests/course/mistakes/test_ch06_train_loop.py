"""Mistake catalogue of chapter 06 (the train loop): wrong train steps, epoch loops, accuracies and optimizers
that learners really write, each caught with its hint; and the seed tutorial's line fit against MindSpore."""

from __future__ import annotations

import numpy as np
from helpers import assert_caught, assert_diagnosed, assert_passes

import tinyspore as ms
from tinyspore import nn, ops
from tinyspore_grader.checks.ch05_optimizers import reference_momentum_step
from tinyspore_grader.checks.ch06_train_loop import (
    ReferenceStepOptimizer,
    check_accuracy,
    check_run_epoch,
    check_StepOptimizer,
    check_train_step,
    reference_accuracy,
    reference_run_epoch,
    reference_train_step,
)


def _seed_line_data():
    """The seed tutorial's data, made as it does (NumPy's legacy generator, seed 0)."""
    x = np.linspace(-1, 1, 100, dtype=np.float32).reshape(-1, 1)
    y = (2 * x + 0.5 + np.random.RandomState(0).normal(0, 0.05, x.shape)).astype(np.float32)
    return ms.Tensor(x), ms.Tensor(y)


def _fit_line(lr: float, epochs: int) -> tuple[float, float]:
    net = nn.Dense(1, 1, weight_init=ms.Tensor(np.array([[0.5]], np.float32)), bias_init="zeros")
    loss_fn, optimizer = nn.MSELoss(), nn.SGD(net.trainable_params(), learning_rate=lr)
    x, y = _seed_line_data()
    for _ in range(epochs):
        reference_train_step(net, loss_fn, optimizer, x, y)
    return net.weight.asnumpy().item(), net.bias.asnumpy().item()


def test_the_seed_settings_end_where_mindspore_ends():
    # MindSpore 2.10, same data, W = 0.5, b = 0, full batch, SGD, MSELoss (findings section 2):
    # lr 0.01 x 10 epochs -> W = 0.5984633, b = 0.09201062; lr 0.1 x 200 epochs -> W = 1.9925656, b = 0.5029903.
    np.testing.assert_allclose(_fit_line(0.01, 10), (0.5984633, 0.09201062), rtol=1e-6)
    np.testing.assert_allclose(_fit_line(0.1, 200), (1.9925656, 0.5029903), rtol=1e-6)


def test_the_references_pass_their_checks():
    assert_passes(check_train_step, reference_train_step)
    assert_passes(check_run_epoch, reference_run_epoch)
    assert_passes(check_accuracy, reference_accuracy)
    assert_passes(check_StepOptimizer, ReferenceStepOptimizer)


def test_step_optimizer_with_momentum_is_nn_momentum_on_a_network():
    ms.set_seed(1)
    net_a = nn.Dense(3, 2)
    net_b = nn.Dense(3, 2, weight_init=ms.Tensor(net_a.weight.asnumpy()), bias_init=ms.Tensor(net_a.bias.asnumpy()))
    mine = ReferenceStepOptimizer(net_a.trainable_params(), reference_momentum_step, lr=0.1, momentum=0.9)
    engine = nn.Momentum(net_b.trainable_params(), learning_rate=0.1, momentum=0.9)
    rng = np.random.default_rng(0)
    for _ in range(4):
        x = ms.Tensor(rng.standard_normal((5, 3)).astype(np.float32))
        y = ms.Tensor(rng.standard_normal((5, 2)).astype(np.float32))
        loss_a = reference_train_step(net_a, nn.MSELoss(), mine, x, y)
        loss_b = reference_train_step(net_b, nn.MSELoss(), engine, x, y)
        np.testing.assert_allclose(loss_a.asnumpy(), loss_b.asnumpy(), rtol=1e-6)
    for a, b in zip(net_a.trainable_params(), net_b.trainable_params()):
        np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-6, atol=1e-7)


# ----- 06.1 train_step -----------------------------------------------------------------------------------
def test_train_step_with_the_seeds_grad_operation():
    def train_step(net, loss_fn, optimizer, x, y):
        def forward_fn(data, label):
            logits = net(data)
            return loss_fn(logits, label), logits

        grad_fn = ops.GradOperation(get_by_list=True)(forward_fn, net.trainable_params())
        loss, grads = grad_fn(x, y)
        optimizer(grads)
        return loss

    assert_caught(check_train_step, train_step, "optimizer not given the parameter gradients")


def test_train_step_differentiates_the_input():
    def train_step(net, loss_fn, optimizer, x, y):
        def forward_fn(data, label):
            logits = net(data)
            return loss_fn(logits, label), logits

        (loss, _), grads = ms.value_and_grad(forward_fn, has_aux=True)(x, y)
        optimizer(grads)
        return loss

    assert_caught(check_train_step, train_step, "optimizer not given the parameter gradients")


def test_train_step_returns_the_whole_value():
    def train_step(net, loss_fn, optimizer, x, y):
        def forward_fn(data, label):
            logits = net(data)
            return loss_fn(logits, label), logits

        value, grads = ms.value_and_grad(forward_fn, None, optimizer.parameters, has_aux=True)(x, y)
        optimizer(grads)
        return value

    assert_caught(check_train_step, train_step, "returned (loss, logits)")


def test_train_step_reports_the_loss_after_the_update():
    def train_step(net, loss_fn, optimizer, x, y):
        def forward_fn(data, label):
            return loss_fn(net(data), label)

        _, grads = ms.value_and_grad(forward_fn, None, optimizer.parameters)(x, y)
        optimizer(grads)
        return loss_fn(net(x), y)

    assert_caught(check_train_step, train_step, "loss returned after the update")


def test_train_step_without_has_aux():
    def train_step(net, loss_fn, optimizer, x, y):
        def forward_fn(data, label):
            logits = net(data)
            return loss_fn(logits, label), logits

        (loss, _), grads = ms.value_and_grad(forward_fn, None, optimizer.parameters)(x, y)
        optimizer(grads)
        return loss

    assert_caught(check_train_step, train_step, "has_aux missing")


def test_train_step_forgets_the_update():
    def train_step(net, loss_fn, optimizer, x, y):
        def forward_fn(data, label):
            return loss_fn(net(data), label)

        loss, grads = ms.value_and_grad(forward_fn, None, optimizer.parameters)(x, y)
        return loss

    assert_caught(check_train_step, train_step, "no update")


def test_train_step_divides_the_mean_loss_by_the_batch_size():
    def train_step(net, loss_fn, optimizer, x, y):
        def forward_fn(data, label):
            logits = net(data)
            return loss_fn(logits, label) / len(data), logits

        (loss, _), grads = ms.value_and_grad(forward_fn, None, optimizer.parameters, has_aux=True)(x, y)
        optimizer(grads)
        return loss

    assert_caught(check_train_step, train_step, "loss averaged twice")


def test_train_step_keeps_adding_gradients_like_unzeroed_pytorch():
    running = {}

    def train_step(net, loss_fn, optimizer, x, y):
        def forward_fn(data, label):
            logits = net(data)
            return loss_fn(logits, label), logits

        (loss, _), grads = ms.value_and_grad(forward_fn, None, optimizer.parameters, has_aux=True)(x, y)
        if running.get("optimizer") is optimizer:  # same training run: add this step's gradients to the sum
            grads = tuple(g + old for g, old in zip(grads, running["grads"]))
        running.update(optimizer=optimizer, grads=grads)
        optimizer(grads)
        return loss

    assert_caught(check_train_step, train_step, "gradients accumulated across steps")


def test_train_step_computes_the_gradients_once():
    cache = {}

    def train_step(net, loss_fn, optimizer, x, y):
        def forward_fn(data, label):
            logits = net(data)
            return loss_fn(logits, label), logits

        (loss, _), grads = ms.value_and_grad(forward_fn, None, optimizer.parameters, has_aux=True)(x, y)
        if cache.get("net") is not net:
            cache.update(net=net, grads=grads)
        optimizer(cache["grads"])
        return loss

    assert_caught(check_train_step, train_step, "stale gradients reused")


def test_train_step_climbs():
    def train_step(net, loss_fn, optimizer, x, y):
        def forward_fn(data, label):
            logits = net(data)
            return loss_fn(logits, label), logits

        (loss, _), grads = ms.value_and_grad(forward_fn, None, optimizer.parameters, has_aux=True)(x, y)
        optimizer(tuple(g * -1.0 for g in grads))
        return loss

    assert_caught(check_train_step, train_step, "update with the wrong sign")


def test_train_step_returning_a_float_is_fine():
    def train_step(net, loss_fn, optimizer, x, y):
        return float(reference_train_step(net, loss_fn, optimizer, x, y).asnumpy())

    assert_passes(check_train_step, train_step)


# ----- 06.2 run_epoch ------------------------------------------------------------------------------------
def test_run_epoch_without_shuffle():
    def run_epoch(step_fn, x, y, batch_size, rng):
        total = 0.0
        for i in range(0, len(x), batch_size):
            loss = step_fn(ms.Tensor(x[i:i + batch_size]), ms.Tensor(y[i:i + batch_size]))
            total += float(loss) * len(x[i:i + batch_size])
        return total / len(x)

    assert_caught(check_run_epoch, run_epoch, "no shuffle")


def test_run_epoch_that_only_computes_the_batches():
    def run_epoch(step_fn, x, y, batch_size, rng):
        order = rng.permutation(len(x))
        batches = [order[i:i + batch_size] for i in range(0, len(x), batch_size)]
        return float(len(batches))  # forgot to train on them

    assert_caught(check_run_epoch, run_epoch, "step_fn never called")


def test_run_epoch_drops_the_last_batch():
    def run_epoch(step_fn, x, y, batch_size, rng):
        order = rng.permutation(len(x))
        losses = []
        for b in range(len(x) // batch_size):
            idx = order[b * batch_size:(b + 1) * batch_size]
            losses.append(float(step_fn(ms.Tensor(x[idx]), ms.Tensor(y[idx]))))
        return float(np.mean(losses))

    assert_caught(check_run_epoch, run_epoch, "last partial batch dropped")


def test_run_epoch_mean_of_batch_means():
    def run_epoch(step_fn, x, y, batch_size, rng):
        order = rng.permutation(len(x))
        losses = [float(step_fn(ms.Tensor(x[order[i:i + batch_size]]), ms.Tensor(y[order[i:i + batch_size]])))
                  for i in range(0, len(x), batch_size)]
        return sum(losses) / len(losses)

    assert_caught(check_run_epoch, run_epoch, "mean of the batch losses")


def test_run_epoch_averages_twice():
    def run_epoch(step_fn, x, y, batch_size, rng):
        order = rng.permutation(len(x))
        total = 0.0
        for i in range(0, len(x), batch_size):
            batch = order[i:i + batch_size]
            total += float(step_fn(ms.Tensor(x[batch]), ms.Tensor(y[batch])))
        return total / len(x)

    assert_caught(check_run_epoch, run_epoch, "epoch: loss averaged twice")


def test_run_epoch_shuffles_x_and_y_apart():
    def run_epoch(step_fn, x, y, batch_size, rng):
        x, y = x.copy(), y.copy()
        rng.shuffle(x)
        rng.shuffle(y)
        total = 0.0
        for i in range(0, len(x), batch_size):
            total += float(step_fn(ms.Tensor(x[i:i + batch_size]), ms.Tensor(y[i:i + batch_size]))) * len(x[i:i + batch_size])
        return total / len(x)

    assert_caught(check_run_epoch, run_epoch, "x and y shuffled separately")


def test_run_epoch_uses_the_global_generator():
    def run_epoch(step_fn, x, y, batch_size, rng):
        order = np.random.permutation(len(x))
        total = 0.0
        for i in range(0, len(x), batch_size):
            batch = order[i:i + batch_size]
            total += float(step_fn(ms.Tensor(x[batch]), ms.Tensor(y[batch]))) * len(batch)
        return total / len(x)

    assert_caught(check_run_epoch, run_epoch, "another random generator")


def test_run_epoch_returns_the_sum():
    def run_epoch(step_fn, x, y, batch_size, rng):
        order = rng.permutation(len(x))
        total = 0.0
        for i in range(0, len(x), batch_size):
            batch = order[i:i + batch_size]
            total += float(step_fn(ms.Tensor(x[batch]), ms.Tensor(y[batch]))) * len(batch)
        return total

    assert_caught(check_run_epoch, run_epoch, "sum, not mean")


# ----- 06.3 accuracy -------------------------------------------------------------------------------------
def _np(value):
    return value.asnumpy() if isinstance(value, ms.Tensor) else np.asarray(value)


def test_accuracy_on_the_batch_axis():
    def accuracy(logits, labels):
        return float(np.mean(np.argmax(_np(logits), axis=0) == _np(labels)))

    assert_caught(check_accuracy, accuracy, "argmax on the wrong axis")


def test_accuracy_counts():
    def accuracy(logits, labels):
        return float((_np(logits).argmax(-1) == _np(labels)).sum())

    assert_caught(check_accuracy, accuracy, "a count, not a fraction")


def test_accuracy_in_percent():
    def accuracy(logits, labels):
        return 100.0 * float((_np(logits).argmax(1) == _np(labels)).mean())

    assert_caught(check_accuracy, accuracy, "a percentage")


def test_accuracy_compares_the_largest_value():
    def accuracy(logits, labels):
        return float(np.mean(_np(logits).max(axis=1) == _np(labels)))

    assert_caught(check_accuracy, accuracy, "max instead of argmax")


def test_accuracy_forgets_tensors():
    def accuracy(logits, labels):
        return float(np.mean(np.argmax(logits, axis=1) == labels))  # np.mean on a Tensor fails

    assert_caught(check_accuracy, accuracy, "Tensor not converted")


def test_accuracy_returns_an_array():
    def accuracy(logits, labels):
        return (_np(logits).argmax(axis=1) == _np(labels)).mean(keepdims=True)

    assert_caught(check_accuracy, accuracy, "not a float")


# ----- 06.4 StepOptimizer --------------------------------------------------------------------------------
def test_step_optimizer_with_one_state_for_everything():
    class StepOptimizer:
        def __init__(self, params, step, **hyper):
            self.parameters, self.step, self.hyper = tuple(params), step, hyper
            self.state = None

        def __call__(self, grads):
            for param, grad in zip(self.parameters, grads):
                new, self.state = self.step(param.asnumpy(), grad.asnumpy(), self.state, **self.hyper)
                param.set_data(new)
            return (True,) * len(grads)

    assert_caught(check_StepOptimizer, StepOptimizer, "one state shared by all parameters")


def test_step_optimizer_that_forgets_the_state():
    class StepOptimizer:
        def __init__(self, params, step, **hyper):
            self.parameters, self.step, self.hyper = tuple(params), step, hyper

        def __call__(self, grads):
            for param, grad in zip(self.parameters, grads):
                new, state = self.step(param.asnumpy(), grad.asnumpy(), None, **self.hyper)
                param.set_data(new)
            return (True,) * len(grads)

    assert_caught(check_StepOptimizer, StepOptimizer, "state not kept between calls")


def test_step_optimizer_that_rebinds_a_local_name():
    class StepOptimizer:
        def __init__(self, params, step, **hyper):
            self.parameters, self.step, self.hyper = tuple(params), step, hyper
            self.states = [None] * len(self.parameters)

        def __call__(self, grads):
            for i, (param, grad) in enumerate(zip(self.parameters, grads)):
                param, self.states[i] = self.step(param.asnumpy(), grad.asnumpy(), self.states[i], **self.hyper)
            return (True,) * len(grads)

    assert_caught(check_StepOptimizer, StepOptimizer, "parameters not updated")


def test_step_optimizer_writing_into_the_array_is_fine():
    class StepOptimizer:
        def __init__(self, params, step, **hyper):
            self.parameters, self.step, self.hyper = list(params), step, hyper
            self.states = {}

        def __call__(self, grads):
            for param, grad in zip(self.parameters, grads):
                new, self.states[param.name] = self.step(param.asnumpy(), grad.asnumpy(),
                                                         self.states.get(param.name), **self.hyper)
                param.set_data(ms.Tensor(new))
            return tuple(True for _ in grads)

    assert_passes(check_StepOptimizer, StepOptimizer)


def test_step_optimizer_states_reset_in_every_call():
    class StepOptimizer:
        def __init__(self, params, step, **hyper):
            self.parameters, self.step, self.hyper = tuple(params), step, hyper

        def __call__(self, grads):
            self.states = [None] * len(self.parameters)  # belongs in __init__
            for i, (param, grad) in enumerate(zip(self.parameters, grads)):
                new, self.states[i] = self.step(param.asnumpy(), grad.asnumpy(), self.states[i], **self.hyper)
                param.set_data(new)
            return (True,) * len(grads)

    assert_caught(check_StepOptimizer, StepOptimizer, "state not kept between calls")



def test_step_optimizer_without_the_hyperparameters():
    class StepOptimizer:
        def __init__(self, params, step, **hyper):
            self.parameters, self.step, self.hyper = tuple(params), step, hyper
            self.states = [None] * len(self.parameters)

        def __call__(self, grads):
            for i, (param, grad) in enumerate(zip(self.parameters, grads)):
                new, self.states[i] = self.step(param.asnumpy(), grad.asnumpy(), self.states[i])  # no **hyper
                param.set_data(new)
            return (True,) * len(grads)

    assert_caught(check_StepOptimizer, StepOptimizer, "hyperparameters not passed")



def test_step_optimizer_appends_the_states():
    # the states list grows at every call, and index i keeps reading the state of the FIRST call
    class StepOptimizer:
        def __init__(self, params, step, **hyper):
            self.parameters, self.step, self.hyper = tuple(params), step, hyper
            self.states = []

        def __call__(self, grads):
            for i, (param, grad) in enumerate(zip(self.parameters, grads)):
                state = self.states[i] if i < len(self.states) else None
                new, state = self.step(param.asnumpy(), grad.asnumpy(), state, **self.hyper)
                self.states.append(state)
                param.set_data(new)
            return (True,) * len(grads)

    assert_diagnosed(check_StepOptimizer, StepOptimizer, "drift", "right for the first 2")


def test_accuracy_with_integer_division():
    # Python 2 habits: the count of hits // the number of rows
    def accuracy(logits, labels):
        logits = logits.asnumpy() if hasattr(logits, "asnumpy") else logits
        labels = labels.asnumpy() if hasattr(labels, "asnumpy") else labels
        return float(np.sum(logits.argmax(axis=1) == labels) // len(labels))

    assert_caught(check_accuracy, accuracy, "integer division")
