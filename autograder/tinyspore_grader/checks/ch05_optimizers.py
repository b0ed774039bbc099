"""Checks of chapter 05, optimizers (the executor): one step of SGD, Momentum, RMSProp and Adam with
MindSpore's update formulas, and choosing a learning rate from a sweep.

The step exercises are pure functions on NumPy arrays. A stateful one takes the state its previous call
returned (None on the first call) and returns `(new_param, new_state)`:

    new_param = sgd_step(param, grad, lr, weight_decay=0.0)
    new_param, moment = momentum_step(param, grad, moment, lr, momentum=0.9, use_nesterov=False, weight_decay=0.0)
    new_param, mean_square = rmsprop_step(param, grad, mean_square, lr, decay=0.9, epsilon=1e-10, weight_decay=0.0)
    new_param, state = adam_step(param, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0)

The oracle is the reference engine: a check chains the learner's function over several gradients,
feeding back the state, and compares the parameter after every step with what `tinyspore.nn.SGD`,
`Momentum`, `RMSProp` or `Adam` give on a Parameter with the same gradients (those follow MindSpore 2.10
number for number). The trajectory is compared as one array of shape (steps, *param.shape): row i is
the parameter after step i + 1.

The `reference_*` functions are the same rules written as step functions; chapter 06 and the notebooks
use them (they are tested against the engine in tests/course/mistakes/test_ch05_optimizers.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

import tinyspore as ms
from tinyspore import nn
from tinyspore_grader import BadReturn, Case, Mistake, ModifiedInput, Raised, exercise, run_check
from tinyspore_grader.i18n import _ as _tr

# ----- the rules as step functions (used by chapter 06 and the notebook demos) --------------------------


def reference_sgd_step(param: np.ndarray, grad: np.ndarray, lr: float, weight_decay: float = 0.0) -> np.ndarray:
    """MindSpore's SGD without momentum: w <- w - lr * (g + weight_decay * w)."""
    return param - lr * (grad + weight_decay * param)


def reference_momentum_step(param: np.ndarray, grad: np.ndarray, moment: np.ndarray | None, lr: float,
                            momentum: float = 0.9, use_nesterov: bool = False,
                            weight_decay: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """MindSpore's Momentum: v <- momentum * v + g (v starts at 0); w <- w - lr * v.

    With use_nesterov: w <- w - lr * (g + momentum * v). Weight decay is added to g first.
    """
    grad = grad + weight_decay * param
    moment = np.zeros_like(param) if moment is None else moment
    moment = momentum * moment + grad
    step = grad + momentum * moment if use_nesterov else moment
    return param - lr * step, moment


def reference_rmsprop_step(param: np.ndarray, grad: np.ndarray, mean_square: np.ndarray | None, lr: float,
                           decay: float = 0.9, epsilon: float = 1e-10,
                           weight_decay: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """MindSpore's RMSProp (momentum 0): s <- decay * s + (1 - decay) * g^2, s starting at ONE.

    w <- w - lr * g / sqrt(s + epsilon): epsilon inside the root. Weight decay is added to g first.
    """
    grad = grad + weight_decay * param
    mean_square = np.ones_like(param) if mean_square is None else mean_square
    mean_square = decay * mean_square + (1 - decay) * grad * grad
    return param - lr * grad / np.sqrt(mean_square + epsilon), mean_square


def reference_adam_step(param: np.ndarray, grad: np.ndarray, state: tuple | None, lr: float, beta1: float = 0.9,
                        beta2: float = 0.999, eps: float = 1e-8,
                        weight_decay: float = 0.0) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, int]]:
    """MindSpore's Adam with state (m, v, t): m, v running means of g and g^2, t the step count from 1.

    lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t); w <- w - lr_t * m / (sqrt(v) + eps): eps outside the root
    and outside the bias correction. Weight decay is added to g first.
    """
    grad = grad + weight_decay * param
    m, v, t = (np.zeros_like(param), np.zeros_like(param), 0) if state is None else state
    t += 1
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    lr_t = lr * math.sqrt(1 - beta2**t) / (1 - beta1**t)
    return param - lr_t * m / (np.sqrt(v) + eps), (m, v, t)


# ----- running a step function, or the engine, over several gradients ----------------------------------
class _Engine:
    """The oracle of one exercise: runs a `tinyspore.nn` optimizer on a Parameter, step after step."""

    def __init__(self, name: str, make: Callable[[list, dict], Any]) -> None:
        self.__name__ = name
        self.make = make

    def __call__(self, param: np.ndarray, grads: list, **hyper: Any) -> np.ndarray:
        w = ms.Parameter(np.array(param, np.float32), name="w")  # not 'beta'/'gamma': weight decay applies
        optimizer = self.make([w], hyper)
        path = []
        for grad in grads:
            optimizer((ms.Tensor(np.asarray(grad, np.float32)),))
            path.append(w.asnumpy().copy())
        return np.stack(path)


def _as_param(value: Any, name: str, shape: tuple) -> np.ndarray:
    """The learner's new parameter as an ndarray, or a TypeError that says what came back instead."""
    if type(value).__name__ in ("Tensor", "Parameter") and hasattr(value, "asnumpy"):
        raise BadReturn(f"`{name}` returned a Tensor; work on NumPy arrays and return an ndarray")
    if isinstance(value, tuple):
        raise BadReturn(f"`{name}` returned a tuple of {len(value)} where one new parameter (an ndarray) was expected")
    if value is None:
        raise BadReturn(f"`{name}` returned None: end it with `return` and the new parameter")
    array = np.asarray(value)
    if array.shape != shape:
        raise BadReturn(f"`{name}` returned shape {array.shape}, but the parameter has shape {shape}")
    return array


def _chain(fn: Callable, case: Case, stateful: bool) -> np.ndarray:
    """Call a step function once per gradient, feeding back the state; stack the parameters."""
    param, grads = case.args
    param = np.array(param, copy=True)
    name = getattr(fn, "__name__", "your function")
    state = None
    path = []
    for grad in grads:
        grad = np.array(grad, copy=True)
        given = (param.copy(), grad.copy())
        if stateful:
            out = fn(param, grad, state, **case.kwargs)
            if not isinstance(out, (tuple, list)) or len(out) != 2:
                raise BadReturn(f"`{name}` must return a pair (new_param, new_state), got {type(out).__name__}")
            new, state = out
        else:
            new = fn(param, grad, **case.kwargs)
        for argument, before, after in zip(("param", "grad"), given, (param, grad)):
            if not np.array_equal(before, after, equal_nan=True):
                raise ModifiedInput(argument)
        param = _as_param(new, name, np.shape(case.args[0]))
        path.append(np.array(param, copy=True))  # copied: a later in-place update cannot rewrite it
    return np.stack(path)


def _call(stateful: bool, fn: Callable, case: Case) -> np.ndarray:
    if isinstance(fn, _Engine):
        return fn(*case.args, **case.kwargs)
    return _chain(fn, case, stateful)


def _same_path(expected: Any, got: Any, case: Case | None = None) -> bool:
    """Trajectories agree within float32 accuracy, whatever the dtype (float64 answers are fine); errors agree
    by type. Used both to grade and to match a known mistake."""
    if isinstance(expected, Raised) or isinstance(got, Raised):
        return isinstance(expected, Raised) and isinstance(got, Raised) and type(got.error) is type(expected.error)
    if not isinstance(got, np.ndarray) or got.shape != expected.shape:
        return False
    return bool(np.allclose(got, expected, rtol=2e-5, atol=2e-6, equal_nan=True))


def _describe(case: Case) -> str:
    param, grads = case.args
    hyper = ", ".join(f"{k}={v}" for k, v in case.kwargs.items())
    first = np.array2string(np.asarray(grads[0]), precision=4, threshold=6, edgeitems=2, separator=" ")
    first = " ".join(first.split())
    start = " ".join(np.array2string(np.asarray(param), precision=4, threshold=6, edgeitems=2).split())
    return (_tr("param float32 {np_shape_param} {start}, {len_grads} steps (first grad {first}), {hyper}  "
                "[rows of expected/got = the parameter after each step]").format(
                np_shape_param=np.shape(param), start=start, len_grads=len(grads), first=first,
                hyper=hyper))


def _quantities(case: Case) -> dict[str, float]:
    """The hyperparameters of a case, by name, for "off by a factor of lr"."""
    return {f"`{k}`": float(v) for k, v in case.kwargs.items() if isinstance(v, (int, float)) and v not in (0, 1)}


# How the diagnosis speaks about a trajectory: rows are steps, starting from the case's param.
_TRAJECTORY = {"steps": "step", "start": lambda case: np.asarray(case.args[0], np.float32), "quantities": _quantities}


def _swapped_pair(reference: Callable) -> Callable:
    """The mistake "(new_state, new_param)": the right values in the wrong order."""
    def wrong(*args: Any, **kwargs: Any) -> tuple:
        new_param, new_state = reference(*args, **kwargs)
        return new_state, new_param
    return wrong


_PAIR_ORDER_HINT = "return the pair in the order the exercise gives: `(new_param, {state})`, the parameter first."


def _rng(hidden: bool, salt: int) -> np.random.Generator:
    return np.random.default_rng(500 + 100 * salt + (7 if hidden else 0))


def _path(rng: np.random.Generator, shape: tuple, steps: int, scale: float = 1.0) -> tuple:
    param = rng.uniform(-2, 2, shape).round(2).astype(np.float32)
    grads = [(scale * rng.standard_normal(shape)).astype(np.float32) for _ in range(steps)]
    return param, grads


# The gradients of MindSpore's own test in /tmp/ms/findings.md section 6 (p0 = [1, -2, 3]).
_MS_PARAM = np.array([1.0, -2.0, 3.0], np.float32)
_MS_GRADS = [np.array(g, np.float32) for g in ([0.1, 0.2, -0.3], [0.5, -0.1, 0.2], [-0.2, 0.3, 0.1])]


def _returned_kind(kind: type, text: str = "") -> Callable[[Case, Any], bool]:
    return lambda case, got: isinstance(got, Raised) and isinstance(got.error, kind) and text in str(got.error)


# ----- 05.1 sgd_step --------------------------------------------------------------------------------------
_SGD = _Engine("sgd_step", lambda ps, h: nn.SGD(ps, learning_rate=h["lr"], weight_decay=h.get("weight_decay", 0.0)))


def _sgd_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 1)
    cases = [Case((_MS_PARAM, _MS_GRADS), {"lr": 0.1}, "MindSpore's own example")]
    plans = [((2, 3), 3, {"lr": 0.5}), ((4,), 2, {"lr": 0.1, "weight_decay": 0.01}),
             ((3,), 2, {"lr": 0.0}), ((1,), 4, {"lr": 1.0}), ((2, 2), 3, {"lr": 0.05, "weight_decay": 0.5})]
    if hidden:
        plans = [((5,), 3, {"lr": 0.3}), ((3, 2), 2, {"lr": 0.01, "weight_decay": 0.1}), ((1, 1), 3, {"lr": 2.0}),
                 ((4,), 4, {"lr": 0.2, "weight_decay": 1.0}), ((2,), 1, {"lr": 0.0, "weight_decay": 0.1})]
    cases += [Case(_path(rng, shape, steps), hyper) for shape, steps, hyper in plans]
    return cases


SGD_STEP_MISTAKES = [
    Mistake("update with the wrong sign",
            "step DOWNHILL: the gradient points uphill, so subtract it: `param - lr * grad` (a plus sign climbs).",
            wrong=lambda p, g, lr, weight_decay=0.0: p + lr * (g + weight_decay * p)),
    Mistake("weight decay ignored",
            "MindSpore adds weight decay to the gradient before the step: use `grad + weight_decay * param`.",
            wrong=lambda p, g, lr, weight_decay=0.0: p - lr * g),
    Mistake("weight decay subtracted",
            "weight decay pulls the parameter TOWARD zero: the gradient becomes `grad + weight_decay * param`.",
            wrong=lambda p, g, lr, weight_decay=0.0: p - lr * (g - weight_decay * p)),
    Mistake("weight decay not scaled by lr",
            "the decay term goes through the learning rate like the gradient: `param - lr * (grad + "
            "weight_decay * param)`.",
            wrong=lambda p, g, lr, weight_decay=0.0: p - lr * g - weight_decay * p),
    Mistake("learning rate ignored", "multiply the gradient by the learning rate `lr` before subtracting it.",
            wrong=lambda p, g, lr, weight_decay=0.0: p - (g + weight_decay * p)),
    Mistake("returned a pair", "sgd_step keeps no state: return only the new parameter (an ndarray).",
            detect=lambda case, got: isinstance(got, Raised) and "tuple" in str(got.error)),
    Mistake("returned a Tensor", "work on NumPy arrays: `param` and `grad` are ndarrays, return an ndarray.",
            detect=lambda case, got: isinstance(got, Raised) and "Tensor" in str(got.error)),
]


@exercise(reference=reference_sgd_step, forbidden=[nn.SGD])
def check_sgd_step(sgd_step: Any, hidden: bool = False) -> None:
    """Exercise 05.1: sgd_step(param, grad, lr, weight_decay=0.0) -> the new param, as nn.SGD does it."""
    run_check("05.1", "sgd_step", sgd_step, _sgd_cases(hidden), reference=_SGD, mistakes=SGD_STEP_MISTAKES,
              call=partial(_call, False), same=_same_path, match=_same_path,
              describe_case=_describe, **_TRAJECTORY)


# ----- 05.2 best_lr ---------------------------------------------------------------------------------------
def reference_best_lr(final_losses: dict) -> float:
    finite = {lr: loss for lr, loss in final_losses.items() if math.isfinite(loss)}
    return min(finite, key=finite.get)


def _best_lr_cases(hidden: bool) -> list[Case]:
    nan, inf = float("nan"), float("inf")
    # First a sweep without divergence whose largest rate is not the best: "the largest rate" shows itself
    # there, and "diverged runs not skipped" only where a run diverged.
    tables = [{0.01: 0.4, 0.03: 0.6, 0.1: 0.2, 0.3: 0.3},  # best, largest rate, largest loss, smallest rate: all differ
              {0.01: 0.5, 0.1: 0.2, 1.0: nan},
              {0.5: nan, 2.0: 0.3, 0.1: 0.2},
              {0.05: 2.71, 0.2: 0.80, 0.5: 0.067, 0.9: 0.0021, 1.05: 8193.5},
              {0.3: inf, 0.1: 0.04, 0.03: 0.3},
              {1.0: nan, 0.5: 0.1, 0.2: 0.02, 0.1: 0.07},
              {0.001: 1.5},
              {0.5: nan, 0.05: 0.9, 0.005: 1.2, 5.0: inf}]
    if hidden:
        tables = [{0.02: 0.5, 0.05: 0.9, 0.2: 0.3, 0.4: 0.6},
                  {0.2: 0.3, 0.02: 0.9, 2.0: nan, 0.6: 0.1},
                  {0.3: nan, 3.0: 0.5, 0.03: 0.4},
                  {0.4: inf, 0.04: 0.2, 0.004: 0.8},
                  {1e-3: 2.0, 1e-2: 1.0, 1e-1: 0.5},
                  {3.0: nan, 1.0: nan, 0.3: 0.6, 0.1: 0.4},
                  {0.7: 0.01}]
    return [Case((table,)) for table in tables]


def _min_ignoring_nothing(final_losses: dict) -> float:
    return min(final_losses, key=final_losses.get)


BEST_LR_MISTAKES = [
    Mistake("diverged runs not skipped",
            "a diverged run ends in nan or inf: skip those (`math.isfinite(loss)`) before taking the minimum; "
            "comparisons with nan are always False, so `min` can return it.",
            wrong=_min_ignoring_nothing,
            detect=lambda case, got: got in case.args[0] and not math.isfinite(case.args[0][got])),
    Mistake("returned the loss", "return the learning rate (the key of the dict), not its loss.",
            wrong=lambda d: min(v for v in d.values() if math.isfinite(v))),
    Mistake("largest learning rate",
            "bigger is not better: look at the losses and take the learning rate whose final loss is smallest.",
            wrong=lambda d: max(d)),
    Mistake("smallest learning rate",
            "take the rate whose final LOSS is smallest (`min(finite, key=finite.get)`), not the smallest rate.",
            wrong=lambda d: min(lr for lr in d if math.isfinite(d[lr]))),
    Mistake("largest loss", "take the SMALLEST final loss: the lower the loss, the better the run.",
            wrong=lambda d: max((lr for lr in d if math.isfinite(d[lr])), key=d.get)),
]


@exercise(reference=reference_best_lr, forbidden=[])
def check_best_lr(best_lr: Any, hidden: bool = False) -> None:
    """Exercise 05.2: best_lr({lr: final_loss}) -> the lr with the smallest finite final loss."""
    run_check("05.2", "best_lr", best_lr, _best_lr_cases(hidden), reference=reference_best_lr,
              mistakes=BEST_LR_MISTAKES)


# ----- 05.3 momentum_step ---------------------------------------------------------------------------------
_MOMENTUM = _Engine("momentum_step", lambda ps, h: nn.Momentum(
    ps, learning_rate=h["lr"], momentum=float(h.get("momentum", 0.9)), weight_decay=h.get("weight_decay", 0.0),
    use_nesterov=h.get("use_nesterov", False)))


def _momentum_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 3)
    # First a case where lr and 1 - momentum differ: with lr = 0.1 and momentum = 0.9, "lr also in the moment"
    # gives exactly the numbers of "(1 - momentum) * grad", and would get that mistake's hint.
    cases = [Case(_path(rng, (3,), 3), {"lr": 0.05, "momentum": 0.8})]
    cases += [Case((_MS_PARAM, _MS_GRADS), {"lr": 0.1, "momentum": 0.9}, "MindSpore's own example")]
    plans = [((2, 3), 4, {"lr": 0.1, "momentum": 0.9}), ((4,), 3, {"lr": 0.05, "momentum": 0.5}),
             ((3,), 3, {"lr": 0.1, "momentum": 0.9, "use_nesterov": True}),
             ((2, 2), 3, {"lr": 0.1, "momentum": 0.8, "weight_decay": 0.1}),
             ((1,), 4, {"lr": 0.2, "momentum": 0.0})]
    if hidden:
        plans = [((5,), 4, {"lr": 0.02, "momentum": 0.95}), ((3, 2), 3, {"lr": 0.3, "momentum": 0.7}),
                 ((4,), 4, {"lr": 0.05, "momentum": 0.9, "use_nesterov": True, "weight_decay": 0.05}),
                 ((2,), 3, {"lr": 0.1, "momentum": 0.6, "weight_decay": 0.5})]
    cases += [Case(_path(rng, shape, steps), hyper) for shape, steps, hyper in plans]
    return cases


def _momentum_fresh_each_step(p, g, moment, lr, momentum=0.9, use_nesterov=False, weight_decay=0.0):
    return reference_momentum_step(p, g, None, lr, momentum, use_nesterov, weight_decay)


def _momentum_ema(p, g, moment, lr, momentum=0.9, use_nesterov=False, weight_decay=0.0):
    g = g + weight_decay * p
    v = np.zeros_like(p) if moment is None else moment
    v = momentum * v + (1 - momentum) * g
    return p - lr * (g + momentum * v if use_nesterov else v), v


def _momentum_lr_twice(p, g, moment, lr, momentum=0.9, use_nesterov=False, weight_decay=0.0):
    """The mistake: the learning rate goes into the moment AND into the step."""
    g = g + weight_decay * p
    moment = momentum * (np.zeros_like(p) if moment is None else moment) + lr * g
    step = g + momentum * moment if use_nesterov else moment
    return p - lr * step, moment


MOMENTUM_STEP_MISTAKES = [
    Mistake("momentum: lr applied twice",
            "MindSpore's moment adds the plain gradient, `moment = momentum * moment + grad`; the learning rate "
            "comes in once, in the step `param - lr * moment` (with lr in the moment too, every step is lr "
            "times too short).",
            wrong=_momentum_lr_twice),
    Mistake("momentum buffer not kept between steps",
            "the moment must carry over: return the NEW moment and use the one you are given (it is None only "
            "on the first step). Starting from zero at every step makes momentum plain SGD.",
            wrong=_momentum_fresh_each_step),
    Mistake("momentum: update with the wrong sign",
            "step downhill: `param - lr * moment` (the moment accumulates gradients, which point uphill).",
            wrong=lambda p, g, m, lr, momentum=0.9, use_nesterov=False, weight_decay=0.0: (
                lambda new, v: (2 * p - new, v))(*reference_momentum_step(p, g, m, lr, momentum, use_nesterov,
                                                                          weight_decay))),
    Mistake("moving average instead of MindSpore's sum",
            "MindSpore's Momentum is `moment = momentum * moment + grad` (no `(1 - momentum)` factor on the "
            "gradient, unlike an exponential moving average).",
            wrong=_momentum_ema),
    Mistake("Nesterov ignored",
            "with use_nesterov=True the step looks ahead: `param - lr * (grad + momentum * moment)` with the "
            "NEW moment.",
            wrong=lambda p, g, m, lr, momentum=0.9, use_nesterov=False, weight_decay=0.0: reference_momentum_step(
                p, g, m, lr, momentum, False, weight_decay)),
    Mistake("momentum: weight decay ignored",
            "MindSpore adds weight decay to the gradient first: `grad = grad + weight_decay * param`.",
            wrong=lambda p, g, m, lr, momentum=0.9, use_nesterov=False, weight_decay=0.0: reference_momentum_step(
                p, g, m, lr, momentum, use_nesterov, 0.0)),
    Mistake("momentum: pair in the wrong order", _PAIR_ORDER_HINT.format(state="new_moment"),
            wrong=_swapped_pair(reference_momentum_step)),
    Mistake("momentum: not a pair", "return a pair `(new_param, new_moment)`; the next call gets new_moment back.",
            detect=_returned_kind(BadReturn, "must return a pair")),
]


@exercise(reference=reference_momentum_step, forbidden=[nn.Momentum, nn.SGD])
def check_momentum_step(momentum_step: Any, hidden: bool = False) -> None:
    """Exercise 05.3: momentum_step(param, grad, moment, lr, momentum, use_nesterov, weight_decay).

    Returns (new_param, new_moment), as nn.Momentum does it.
    """
    run_check("05.3", "momentum_step", momentum_step, _momentum_cases(hidden), reference=_MOMENTUM,
              mistakes=MOMENTUM_STEP_MISTAKES, call=partial(_call, True), same=_same_path, match=_same_path,
              **_TRAJECTORY,
              describe_case=_describe)


# ----- 05.4 rmsprop_step ----------------------------------------------------------------------------------
_RMSPROP = _Engine("rmsprop_step", lambda ps, h: nn.RMSProp(
    ps, learning_rate=h["lr"], decay=h.get("decay", 0.9), epsilon=h.get("epsilon", 1e-10),
    weight_decay=h.get("weight_decay", 0.0)))


def _rmsprop_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 4)
    cases = [Case((_MS_PARAM, _MS_GRADS), {"lr": 0.1}, "MindSpore's own example")]
    plans = [((2, 3), 3, 3.0, {"lr": 0.1}), ((4,), 4, 1.0, {"lr": 0.01, "decay": 0.5}),
             ((3,), 3, 0.5, {"lr": 0.1, "epsilon": 0.5}), ((2, 2), 3, 1.0, {"lr": 0.05, "weight_decay": 0.1}),
             ((1,), 4, 10.0, {"lr": 0.1, "decay": 0.99})]
    if hidden:
        plans = [((5,), 4, 2.0, {"lr": 0.2, "decay": 0.8}), ((3, 2), 3, 0.1, {"lr": 0.1, "epsilon": 1.0}),
                 ((4,), 3, 5.0, {"lr": 0.02, "weight_decay": 0.5}), ((2,), 4, 1.0, {"lr": 0.3, "decay": 0.0})]
    cases += [Case(_path(rng, shape, steps, scale), hyper) for shape, steps, scale, hyper in plans]
    return cases


def _rmsprop_zero_start(p, g, s, lr, decay=0.9, epsilon=1e-10, weight_decay=0.0):
    return reference_rmsprop_step(p, g, np.zeros_like(p) if s is None else s, lr, decay, epsilon, weight_decay)


def _rmsprop_eps_outside(p, g, s, lr, decay=0.9, epsilon=1e-10, weight_decay=0.0):
    g = g + weight_decay * p
    s = decay * (np.ones_like(p) if s is None else s) + (1 - decay) * g * g
    return p - lr * g / (np.sqrt(s) + epsilon), s


def _rmsprop_decay_swapped(p, g, s, lr, decay=0.9, epsilon=1e-10, weight_decay=0.0):
    g = g + weight_decay * p
    s = (1 - decay) * (np.ones_like(p) if s is None else s) + decay * g * g
    return p - lr * g / np.sqrt(s + epsilon), s


def _rmsprop_old_square(p, g, s, lr, decay=0.9, epsilon=1e-10, weight_decay=0.0):
    g = g + weight_decay * p
    s = np.ones_like(p) if s is None else s
    new_s = decay * s + (1 - decay) * g * g
    return p - lr * g / np.sqrt(s + epsilon), new_s


RMSPROP_STEP_MISTAKES = [
    Mistake("mean_square starting at zero",
            "MindSpore starts mean_square at ONES (`np.ones_like(param)`), not zeros: with zeros the first "
            "step is lr * g / sqrt(0.1 * g^2), about 3 * lr whatever the gradient.",
            wrong=_rmsprop_zero_start),
    Mistake("epsilon outside the square root",
            "MindSpore's RMSProp puts epsilon INSIDE the root: `grad / np.sqrt(mean_square + epsilon)` "
            "(Adam puts it outside; they differ).",
            wrong=_rmsprop_eps_outside),
    Mistake("decay on the wrong term",
            "decay weighs the OLD average: `mean_square = decay * mean_square + (1 - decay) * grad**2`.",
            wrong=_rmsprop_decay_swapped),
    Mistake("divided by the old average",
            "update mean_square first, then divide by the root of the NEW value.",
            wrong=_rmsprop_old_square),
    Mistake("RMSProp: state not kept between steps",
            "return the new mean_square and use the one you are given (None only on the first step).",
            wrong=lambda p, g, s, lr, decay=0.9, epsilon=1e-10, weight_decay=0.0: reference_rmsprop_step(
                p, g, None, lr, decay, epsilon, weight_decay)),
    Mistake("RMSProp: weight decay ignored",
            "MindSpore adds weight decay to the gradient first: `grad = grad + weight_decay * param`.",
            wrong=lambda p, g, s, lr, decay=0.9, epsilon=1e-10, weight_decay=0.0: reference_rmsprop_step(
                p, g, s, lr, decay, epsilon, 0.0)),
    Mistake("RMSProp: update with the wrong sign",
            "step downhill: subtract `lr * grad / np.sqrt(mean_square + epsilon)`.",
            wrong=lambda p, g, s, lr, decay=0.9, epsilon=1e-10, weight_decay=0.0: (
                lambda new, s2: (2 * p - new, s2))(*reference_rmsprop_step(p, g, s, lr, decay, epsilon,
                                                                           weight_decay))),
    Mistake("RMSProp: pair in the wrong order", _PAIR_ORDER_HINT.format(state="new_mean_square"),
            wrong=_swapped_pair(reference_rmsprop_step)),
    Mistake("RMSProp: not a pair", "return a pair `(new_param, new_mean_square)`.",
            detect=_returned_kind(BadReturn, "must return a pair")),
]


@exercise(reference=reference_rmsprop_step, forbidden=[nn.RMSProp])
def check_rmsprop_step(rmsprop_step: Any, hidden: bool = False) -> None:
    """Exercise 05.4: rmsprop_step(param, grad, mean_square, lr, decay, epsilon, weight_decay).

    Returns (new_param, new_mean_square), as nn.RMSProp does it.
    """
    run_check("05.4", "rmsprop_step", rmsprop_step, _rmsprop_cases(hidden), reference=_RMSPROP,
              mistakes=RMSPROP_STEP_MISTAKES, call=partial(_call, True), same=_same_path, match=_same_path,
              **_TRAJECTORY,
              describe_case=_describe)


# ----- 05.5 adam_step -------------------------------------------------------------------------------------
_ADAM = _Engine("adam_step", lambda ps, h: nn.Adam(
    ps, learning_rate=h["lr"], beta1=h.get("beta1", 0.9), beta2=h.get("beta2", 0.999), eps=h.get("eps", 1e-8),
    weight_decay=h.get("weight_decay", 0.0)))


def _adam_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 5)
    cases = [Case((_MS_PARAM, _MS_GRADS), {"lr": 0.1}, "MindSpore's own example")]
    plans = [((2, 3), 4, 1.0, {"lr": 0.01}), ((4,), 4, 1.0, {"lr": 0.1, "beta1": 0.5, "beta2": 0.9}),
             ((3,), 3, 1e-3, {"lr": 0.1, "eps": 1e-3}), ((2, 2), 3, 1.0, {"lr": 0.05, "weight_decay": 0.1}),
             ((1,), 5, 2.0, {"lr": 0.2, "beta1": 0.8, "beta2": 0.99})]
    if hidden:
        plans = [((5,), 4, 1.0, {"lr": 0.03, "beta1": 0.7, "beta2": 0.95}),
                 ((3, 2), 3, 1e-4, {"lr": 0.01, "eps": 1e-4}),
                 ((4,), 5, 1.0, {"lr": 0.1, "weight_decay": 0.3, "beta1": 0.6, "beta2": 0.9}),
                 ((2,), 4, 3.0, {"lr": 0.5})]
    cases += [Case(_path(rng, shape, steps, scale), hyper) for shape, steps, scale, hyper in plans]
    return cases


def _adam_rule(p, g, state, lr, beta1, beta2, eps, weight_decay, *, correct=True, eps_where="mindspore",
               fresh=False, t_from_zero=False):
    """Adam with one thing changed, for the known mistakes."""
    g = g + weight_decay * p
    m, v, t = (np.zeros_like(p), np.zeros_like(p), 0) if state is None or fresh else state
    t += 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    tc = t - 1 if t_from_zero else t
    if eps_where == "pytorch":  # eps after the bias correction of v
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        return p - lr * m_hat / (np.sqrt(v_hat) + eps), (m, v, t)
    if eps_where == "inside":
        denom = np.sqrt(v + eps)
    else:
        denom = np.sqrt(v) + eps
    lr_t = lr * math.sqrt(1 - beta2**tc) / (1 - beta1**tc) if correct else lr
    return p - lr_t * m / denom, (m, v, t)


def _adam_mistake(**change: Any) -> Callable:
    def wrong(p, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        return _adam_rule(p, g, state, lr, beta1, beta2, eps, weight_decay, **change)
    return wrong


ADAM_STEP_MISTAKES = [
    Mistake("no bias correction",
            "correct the bias of m and v, which start at zero: MindSpore scales the learning rate by "
            "`sqrt(1 - beta2**t) / (1 - beta1**t)` with t = 1 on the first step.",
            wrong=_adam_mistake(correct=False)),
    Mistake("eps after the bias correction (PyTorch's Adam)",
            "MindSpore adds eps to sqrt(v) BEFORE the correction: `lr_t * m / (np.sqrt(v) + eps)` with "
            "`lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)`, not `lr * m_hat / (sqrt(v_hat) + eps)`.",
            wrong=_adam_mistake(eps_where="pytorch")),
    Mistake("eps inside the square root",
            "Adam adds eps OUTSIDE the root: `np.sqrt(v) + eps` (RMSProp is the one with it inside).",
            wrong=_adam_mistake(eps_where="inside")),
    Mistake("step count starting at 0",
            "count the step before using it: the first step has t = 1 (with t = 0, 1 - beta1**0 is 0).",
            wrong=_adam_mistake(t_from_zero=True)),
    Mistake("Adam: state not kept between steps",
            "return the new state `(m, v, t)` and use the one you are given: None only on the first step.",
            wrong=_adam_mistake(fresh=True)),
    Mistake("Adam: weight decay ignored",
            "MindSpore's Adam adds weight decay to the gradient first: `grad = grad + weight_decay * param`.",
            wrong=lambda p, g, s, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0: reference_adam_step(
                p, g, s, lr, beta1, beta2, eps, 0.0)),
    Mistake("betas swapped",
            "beta1 goes with the mean of the gradients m, beta2 with the mean of the squares v.",
            wrong=lambda p, g, s, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0: reference_adam_step(
                p, g, s, lr, beta2, beta1, eps, weight_decay)),
    Mistake("Adam: pair in the wrong order", _PAIR_ORDER_HINT.format(state="(m, v, t)"),
            wrong=_swapped_pair(reference_adam_step)),
    Mistake("Adam: not a pair", "return a pair `(new_param, (m, v, t))`.",
            detect=_returned_kind(BadReturn, "must return a pair")),
]


@exercise(reference=reference_adam_step, forbidden=[nn.Adam, nn.AdamWeightDecay])
def check_adam_step(adam_step: Any, hidden: bool = False) -> None:
    """Exercise 05.5: adam_step(param, grad, state, lr, beta1, beta2, eps, weight_decay) -> (param, (m, v, t))."""
    run_check("05.5", "adam_step", adam_step, _adam_cases(hidden), reference=_ADAM, mistakes=ADAM_STEP_MISTAKES,
              call=partial(_call, True), same=_same_path, match=_same_path,
              **_TRAJECTORY,
              describe_case=_describe)
