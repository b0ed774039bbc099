"""Mistake catalogue of chapter 05 (optimizers): wrong step functions learners really write, each caught with
its hint; and the references and the check's oracle against numbers measured on real MindSpore 2.10."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import assert_caught, assert_diagnosed, assert_passes

import tinyspore as ms
from tinyspore import nn
from tinyspore_grader.checks.ch05_optimizers import (
    _ADAM,
    _MOMENTUM,
    _RMSPROP,
    _SGD,
    check_adam_step,
    check_best_lr,
    check_momentum_step,
    check_rmsprop_step,
    check_sgd_step,
    reference_adam_step,
    reference_best_lr,
    reference_momentum_step,
    reference_rmsprop_step,
    reference_sgd_step,
)

# MindSpore 2.10 (CPU) on p0 = [1, -2, 3] with the gradients g1, g2, g3 below, one `opt((Tensor(g),))` per
# step: the parameter after each step, copied from /tmp/ms/findings.md section 6 (script g6.py).
P0 = np.array([1.0, -2.0, 3.0], np.float32)
GRADS = [np.array(g, np.float32) for g in ([0.1, 0.2, -0.3], [0.5, -0.1, 0.2], [-0.2, 0.3, 0.1])]
MINDSPORE = {
    "SGD(lr=0.1)": [[0.99, -2.02, 3.03], [0.94, -2.01, 3.01], [0.96, -2.04, 3.0]],
    "SGD(lr=0.1, weight_decay=0.01)": [[0.989, -2.018, 3.027], [0.93801105, -2.005982, 3.003973],
                                       [0.95707303, -2.0339758, 2.990969]],
    "Momentum(lr=0.1, momentum=0.9)": [[0.99, -2.02, 3.03], [0.931, -2.0279999, 3.037],
                                       [0.8979, -2.0651999, 3.0333]],
    "Momentum(lr=0.1, momentum=0.9, weight_decay=0.01)": [[0.989, -2.018, 3.027], [0.928111, -2.022182, 3.0282729],
                                                          [0.8923828, -2.0539236, 3.0163903]],
    "SGD(lr=0.1, momentum=0.9, nesterov=True)": [[0.981, -2.038, 3.057], [0.8779, -2.0352, 3.0433],
                                                 [0.86811, -2.09868, 3.02997]],
    "RMSProp(lr=0.1)": [[0.98946494, -2.0210352, 3.0314658], [0.93477684, -2.0099554, 3.0094078],
                        [0.95777434, -2.0447793, 2.9977899]],
    "RMSProp(lr=0.1, weight_decay=0.01)": [[0.9884128, -2.0189395, 3.0283458], [0.93268317, -2.005621, 3.0029442],
                                           [0.95459795, -2.038147, 2.9878426]],
    "Adam(lr=0.1)": [[0.90000033, -2.1, 3.1], [0.81389606, -2.1266334, 3.114452], [0.77527416, -2.1901648, 3.10813]],
    "Adam(lr=0.1, weight_decay=0.01)": [[0.9000003, -2.1, 3.1], [0.81311727, -2.1140716, 3.1025136],
                                        [0.77219754, -2.171187, 3.0822203]],
}


def _run(step, stateful: bool, **hyper) -> np.ndarray:
    param, state, path = P0.copy(), None, []
    for grad in GRADS:
        if stateful:
            param, state = step(param, grad.copy(), state, **hyper)
        else:
            param = step(param, grad.copy(), **hyper)
        path.append(param)
    return np.array(path)


@pytest.mark.parametrize("name, step, stateful, hyper", [
    ("SGD(lr=0.1)", reference_sgd_step, False, {"lr": 0.1}),
    ("SGD(lr=0.1, weight_decay=0.01)", reference_sgd_step, False, {"lr": 0.1, "weight_decay": 0.01}),
    ("Momentum(lr=0.1, momentum=0.9)", reference_momentum_step, True, {"lr": 0.1, "momentum": 0.9}),
    ("Momentum(lr=0.1, momentum=0.9, weight_decay=0.01)", reference_momentum_step, True,
     {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
    # MindSpore's Momentum(use_nesterov=True) ignored the flag on CPU (findings section 6); its documented
    # formula, which SGD(nesterov=True) follows, is the one we teach. From v0 = 0 the two rules agree.
    ("SGD(lr=0.1, momentum=0.9, nesterov=True)", reference_momentum_step, True,
     {"lr": 0.1, "momentum": 0.9, "use_nesterov": True}),
    ("RMSProp(lr=0.1)", reference_rmsprop_step, True, {"lr": 0.1}),
    ("RMSProp(lr=0.1, weight_decay=0.01)", reference_rmsprop_step, True, {"lr": 0.1, "weight_decay": 0.01}),
    ("Adam(lr=0.1)", reference_adam_step, True, {"lr": 0.1}),
    ("Adam(lr=0.1, weight_decay=0.01)", reference_adam_step, True, {"lr": 0.1, "weight_decay": 0.01}),
])
def test_reference_steps_give_mindspores_numbers(name, step, stateful, hyper):
    np.testing.assert_allclose(_run(step, stateful, **hyper), MINDSPORE[name], rtol=2e-6, atol=2e-7)


@pytest.mark.parametrize("engine, name, hyper", [
    (_SGD, "SGD(lr=0.1, weight_decay=0.01)", {"lr": 0.1, "weight_decay": 0.01}),
    (_MOMENTUM, "Momentum(lr=0.1, momentum=0.9)", {"lr": 0.1, "momentum": 0.9}),
    (_RMSPROP, "RMSProp(lr=0.1, weight_decay=0.01)", {"lr": 0.1, "weight_decay": 0.01}),
    (_ADAM, "Adam(lr=0.1)", {"lr": 0.1}),
])
def test_the_checks_oracle_gives_mindspores_numbers(engine, name, hyper):
    np.testing.assert_allclose(engine(P0, GRADS, **hyper), MINDSPORE[name], rtol=2e-6, atol=2e-7)


def test_epsilon_placement_matches_mindspore():
    # MindSpore 2.10: p0 = [0.47, 0.32, -0.44], one step with g below, lr = 0.1. RMSProp(epsilon=0.5) puts
    # epsilon INSIDE the root; Adam(eps=1e-3) on tiny gradients adds eps to sqrt(v), before the correction.
    p0 = np.array([0.47, 0.32, -0.44], np.float32)
    g = np.array([-1.0096, -0.2992, -0.1804], np.float32)
    new, _ = reference_rmsprop_step(p0, g, None, 0.1, epsilon=0.5)
    np.testing.assert_allclose(new, [0.55238056, 0.34520656, -0.4247711], rtol=1e-6)
    new, _ = reference_adam_step(p0, g * np.float32(1e-3), None, 0.1, eps=1e-3)
    np.testing.assert_allclose(new, [0.47309384, 0.32093728, -0.43943277], rtol=1e-6)


def test_references_pass_their_checks():
    assert_passes(check_sgd_step, reference_sgd_step)
    assert_passes(check_best_lr, reference_best_lr)
    assert_passes(check_momentum_step, reference_momentum_step)
    assert_passes(check_rmsprop_step, reference_rmsprop_step)
    assert_passes(check_adam_step, reference_adam_step)


def test_the_engine_follows_the_step_functions_on_a_network():
    """One Dense layer trained 3 steps by nn.Adam == the same with reference_adam_step on each parameter."""
    ms.set_seed(3)
    net = nn.Dense(3, 2)
    arrays = [p.asnumpy().copy() for p in net.trainable_params()]
    adam = nn.Adam(net.trainable_params(), learning_rate=0.05)
    rng = np.random.default_rng(0)
    states = [None, None]
    for _ in range(3):
        grads = [rng.standard_normal(a.shape).astype(np.float32) for a in arrays]
        adam(tuple(ms.Tensor(g) for g in grads))
        for i, g in enumerate(grads):
            arrays[i], states[i] = reference_adam_step(arrays[i], g, states[i], 0.05)
    for p, a in zip(net.trainable_params(), arrays):
        np.testing.assert_allclose(p.asnumpy(), a, rtol=1e-5, atol=1e-7)


# ----- 05.1 sgd_step -------------------------------------------------------------------------------------
def test_sgd_climbs_uphill():
    def sgd_step(param, grad, lr, weight_decay=0.0):
        return param + lr * (grad + weight_decay * param)

    assert_caught(check_sgd_step, sgd_step, "update with the wrong sign")


def test_sgd_forgets_weight_decay():
    def sgd_step(param, grad, lr, weight_decay=0.0):
        return param - lr * grad

    assert_caught(check_sgd_step, sgd_step, "weight decay ignored")


def test_sgd_decoupled_weight_decay():
    def sgd_step(param, grad, lr, weight_decay=0.0):
        param = param * (1 - weight_decay)  # AdamW-style decay, outside the learning rate
        return param - lr * grad

    assert_caught(check_sgd_step, sgd_step, "weight decay not scaled by lr")


def test_sgd_returns_a_pair_like_the_others():
    def sgd_step(param, grad, lr, weight_decay=0.0):
        return param - lr * (grad + weight_decay * param), None

    assert_caught(check_sgd_step, sgd_step, "returned a pair")


def test_sgd_returns_a_tensor():
    def sgd_step(param, grad, lr, weight_decay=0.0):
        return ms.Tensor(param) - lr * (ms.Tensor(grad) + weight_decay * ms.Tensor(param))

    assert_caught(check_sgd_step, sgd_step, "returned a Tensor")


def test_sgd_in_place_update_fails_naming_param():
    # the numbers are right, but the caller's array is gone (the exercise asks for a new array: the optimizer
    # of chapter 06 and the sweeps reuse the old parameter)
    def sgd_step(param, grad, lr, weight_decay=0.0):
        param -= lr * (grad + weight_decay * param)
        return param

    message = assert_diagnosed(check_sgd_step, sgd_step, "in_place", "changed its input `param` in place")
    assert "got:      the result is right" not in message or "`sgd_step` changed its input `param`" in message


# ----- 05.2 best_lr --------------------------------------------------------------------------------------
def test_best_lr_keeps_nan_runs():
    def best_lr(final_losses):
        best = None
        for lr, loss in final_losses.items():
            if best is None or loss < final_losses[best]:
                best = lr
        return best

    assert_caught(check_best_lr, best_lr, "diverged runs not skipped")


def test_best_lr_returns_the_loss():
    def best_lr(final_losses):
        return min(loss for loss in final_losses.values() if np.isfinite(loss))

    assert_caught(check_best_lr, best_lr, "returned the loss")


def test_best_lr_bigger_is_better():
    def best_lr(final_losses):
        return sorted(final_losses)[-1]

    assert_caught(check_best_lr, best_lr, "largest learning rate")


def test_best_lr_takes_the_worst_run():
    def best_lr(final_losses):
        finite = [(loss, lr) for lr, loss in final_losses.items() if not math.isnan(loss) and not math.isinf(loss)]
        return max(finite)[1]

    assert_caught(check_best_lr, best_lr, "largest loss")


# ----- 05.3 momentum_step --------------------------------------------------------------------------------
def test_momentum_restarts_every_step():
    def momentum_step(param, grad, moment, lr, momentum=0.9, use_nesterov=False, weight_decay=0.0):
        grad = grad + weight_decay * param
        v = np.zeros_like(param)  # forgot to use `moment`
        v = momentum * v + grad
        step = grad + momentum * v if use_nesterov else v
        return param - lr * step, v

    assert_caught(check_momentum_step, momentum_step, "momentum buffer not kept between steps")


def test_momentum_returns_the_old_moment():
    def momentum_step(param, grad, moment, lr, momentum=0.9, use_nesterov=False, weight_decay=0.0):
        grad = grad + weight_decay * param
        v = momentum * (0 if moment is None else moment) + grad
        step = grad + momentum * v if use_nesterov else v
        return param - lr * step, moment  # the next call gets None back

    assert_caught(check_momentum_step, momentum_step, "momentum buffer not kept between steps")


def test_momentum_as_a_moving_average():
    def momentum_step(param, grad, moment, lr, momentum=0.9, use_nesterov=False, weight_decay=0.0):
        grad = grad + weight_decay * param
        if moment is None:
            moment = np.zeros_like(param)
        moment = momentum * moment + (1 - momentum) * grad
        if use_nesterov:
            return param - lr * (grad + momentum * moment), moment
        return param - lr * moment, moment

    assert_caught(check_momentum_step, momentum_step, "moving average instead of MindSpore's sum")


def test_momentum_climbs():
    def momentum_step(param, grad, moment, lr, momentum=0.9, use_nesterov=False, weight_decay=0.0):
        grad = grad + weight_decay * param
        moment = grad if moment is None else momentum * moment + grad
        return param + lr * (grad + momentum * moment if use_nesterov else moment), moment

    assert_caught(check_momentum_step, momentum_step, "momentum: update with the wrong sign")


def test_momentum_ignores_nesterov():
    def momentum_step(param, grad, moment, lr, momentum=0.9, use_nesterov=False, weight_decay=0.0):
        grad = grad + weight_decay * param
        moment = grad if moment is None else momentum * moment + grad
        return param - lr * moment, moment

    assert_caught(check_momentum_step, momentum_step, "Nesterov ignored")


def test_momentum_ignores_weight_decay():
    def momentum_step(param, grad, moment, lr, momentum=0.9, use_nesterov=False, weight_decay=0.0):
        moment = grad if moment is None else momentum * moment + grad
        return param - lr * (grad + momentum * moment if use_nesterov else moment), moment

    assert_caught(check_momentum_step, momentum_step, "momentum: weight decay ignored")


def test_momentum_returns_only_the_param():
    def momentum_step(param, grad, moment, lr, momentum=0.9, use_nesterov=False, weight_decay=0.0):
        return param - lr * grad

    assert_caught(check_momentum_step, momentum_step, "momentum: not a pair")


# ----- 05.4 rmsprop_step ---------------------------------------------------------------------------------
def test_rmsprop_starts_at_zero_like_pytorch():
    def rmsprop_step(param, grad, mean_square, lr, decay=0.9, epsilon=1e-10, weight_decay=0.0):
        grad = grad + weight_decay * param
        if mean_square is None:
            mean_square = np.zeros_like(param)
        mean_square = decay * mean_square + (1 - decay) * grad**2
        return param - lr * grad / np.sqrt(mean_square + epsilon), mean_square

    assert_caught(check_rmsprop_step, rmsprop_step, "mean_square starting at zero")


def test_rmsprop_epsilon_outside_the_root():
    def rmsprop_step(param, grad, mean_square, lr, decay=0.9, epsilon=1e-10, weight_decay=0.0):
        grad = grad + weight_decay * param
        s = np.ones_like(param) if mean_square is None else mean_square
        s = decay * s + (1 - decay) * grad**2
        return param - lr * grad / (np.sqrt(s) + epsilon), s

    assert_caught(check_rmsprop_step, rmsprop_step, "epsilon outside the square root")


def test_rmsprop_decay_on_the_new_square():
    def rmsprop_step(param, grad, mean_square, lr, decay=0.9, epsilon=1e-10, weight_decay=0.0):
        grad = grad + weight_decay * param
        s = np.ones_like(param) if mean_square is None else mean_square
        s = (1 - decay) * s + decay * grad**2
        return param - lr * grad / np.sqrt(s + epsilon), s

    assert_caught(check_rmsprop_step, rmsprop_step, "decay on the wrong term")


def test_rmsprop_divides_before_updating_the_average():
    def rmsprop_step(param, grad, mean_square, lr, decay=0.9, epsilon=1e-10, weight_decay=0.0):
        grad = grad + weight_decay * param
        s = np.ones_like(param) if mean_square is None else mean_square
        new_param = param - lr * grad / np.sqrt(s + epsilon)
        return new_param, decay * s + (1 - decay) * grad**2

    assert_caught(check_rmsprop_step, rmsprop_step, "divided by the old average")


def test_rmsprop_forgets_its_state():
    def rmsprop_step(param, grad, mean_square, lr, decay=0.9, epsilon=1e-10, weight_decay=0.0):
        grad = grad + weight_decay * param
        s = decay * np.ones_like(param) + (1 - decay) * grad**2
        return param - lr * grad / np.sqrt(s + epsilon), s

    assert_caught(check_rmsprop_step, rmsprop_step, "RMSProp: state not kept between steps")


def test_rmsprop_ignores_weight_decay():
    def rmsprop_step(param, grad, mean_square, lr, decay=0.9, epsilon=1e-10, weight_decay=0.0):
        s = np.ones_like(param) if mean_square is None else mean_square
        s = decay * s + (1 - decay) * grad**2
        return param - lr * grad / np.sqrt(s + epsilon), s

    assert_caught(check_rmsprop_step, rmsprop_step, "RMSProp: weight decay ignored")


def test_rmsprop_returns_only_the_param_like_sgd_step():
    def rmsprop_step(param, grad, mean_square, lr, decay=0.9, epsilon=1e-10, weight_decay=0.0):
        grad = grad + weight_decay * param
        s = np.ones_like(param) if mean_square is None else mean_square
        s = decay * s + (1 - decay) * grad**2
        return param - lr * grad / np.sqrt(s + epsilon)  # the new mean_square is lost

    message = assert_caught(check_rmsprop_step, rmsprop_step, "RMSProp: not a pair")
    assert "got:      `rmsprop_step` must return a pair (new_param, new_state), got ndarray" in message, message


# ----- 05.5 adam_step ------------------------------------------------------------------------------------
def _adam(param, grad, state, lr, beta1, beta2, eps, weight_decay, *, correct=True, torch_eps=False,
          eps_inside=False, t0=False, keep=True, use_wd=True):
    """A learner's Adam, written plainly, with switches for the slips of the tests below."""
    if use_wd:
        grad = grad + weight_decay * param
    if state is None or not keep:
        state = (np.zeros_like(param), np.zeros_like(param), 0)
    m, v, t = state
    if not t0:
        t += 1
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    if torch_eps:
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        new = param - lr * m_hat / (np.sqrt(v_hat) + eps)
    else:
        scale = math.sqrt(1 - beta2**t) / (1 - beta1**t) if correct else 1.0
        denom = np.sqrt(v + eps) if eps_inside else np.sqrt(v) + eps
        new = param - lr * scale * m / denom
    if t0:
        t += 1
    return new, (m, v, t)


@pytest.mark.parametrize("slip, mistake", [
    ({"correct": False}, "no bias correction"),
    ({"torch_eps": True}, "eps after the bias correction (PyTorch's Adam)"),
    ({"eps_inside": True}, "eps inside the square root"),
    ({"t0": True}, "step count starting at 0"),
    ({"keep": False}, "Adam: state not kept between steps"),
    ({"use_wd": False}, "Adam: weight decay ignored"),
])
def test_adam_slips(slip, mistake):
    def adam_step(param, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        return _adam(param, grad, state, lr, beta1, beta2, eps, weight_decay, **slip)

    assert_caught(check_adam_step, adam_step, mistake)


def test_adam_swaps_the_betas():
    def adam_step(param, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        return _adam(param, grad, state, lr, beta2, beta1, eps, weight_decay)

    assert_caught(check_adam_step, adam_step, "betas swapped")


def test_adam_returns_a_triple():
    def adam_step(param, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        new, (m, v, t) = _adam(param, grad, state, lr, beta1, beta2, eps, weight_decay)
        return new, m, v

    assert_caught(check_adam_step, adam_step, "Adam: not a pair")


def test_adam_in_float64_is_fine():
    def adam_step(param, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        return _adam(param.astype(np.float64), grad.astype(np.float64), state, lr, beta1, beta2, eps, weight_decay)

    assert_passes(check_adam_step, adam_step)


# ----- more learner answers ---------------------------------------------------------------------------------
def test_sgd_learning_rate_applied_twice():
    # the step is scaled once by lr, then "the update" is scaled again
    def sgd_step(param, grad, lr, weight_decay=0.0):
        update = lr * (grad + weight_decay * param)
        return param - lr * update

    assert_diagnosed(check_sgd_step, sgd_step, "factor", "and 0.1 is `lr` on this case")


def test_best_lr_nan_test_with_equality():
    # `loss == float("nan")` is always False, so nothing is skipped (a Stack Overflow classic)
    def best_lr(final_losses):
        kept = {lr: loss for lr, loss in final_losses.items() if loss != float("nan")}
        return min(kept, key=kept.get)

    assert_caught(check_best_lr, best_lr, "diverged runs not skipped")


def test_best_lr_sorted_by_rate():
    def best_lr(final_losses):
        finite = sorted(lr for lr, loss in final_losses.items() if math.isfinite(loss))
        return finite[0]  # the smallest RATE, not the smallest loss

    assert_caught(check_best_lr, best_lr, "smallest learning rate")


def test_momentum_returns_the_moment_first():
    def momentum_step(param, grad, moment, lr, momentum=0.9, use_nesterov=False, weight_decay=0.0):
        new, moment = reference_momentum_step(param, grad, moment, lr, momentum, use_nesterov, weight_decay)
        return moment, new

    assert_caught(check_momentum_step, momentum_step, "momentum: pair in the wrong order")


def test_adam_t_advanced_after_the_correction():
    # cs231n assignment 2 (cs231n.github.io issue 179): t starts at 1 and is advanced after it is used,
    # which is right for step 1 only
    def adam_step(param, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        grad = grad + weight_decay * param
        m, v, t = state if state is not None else (np.zeros_like(param), np.zeros_like(param), 1)
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad * grad
        new = param - lr * math.sqrt(1 - beta2**t) / (1 - beta1**t) * m / (np.sqrt(v) + eps)
        return new, (m, v, t)  # t is never advanced

    assert_diagnosed(check_adam_step, adam_step, "drift", "right for the first 1 step and wrong from step 2 on")


def test_momentum_with_lr_in_the_moment_too():
    # PyTorch-style "v = mu * v + lr * g; p -= v" half-converted to MindSpore's form
    def momentum_step(param, grad, moment, lr, momentum=0.9, use_nesterov=False, weight_decay=0.0):
        grad = grad + weight_decay * param
        moment = lr * grad if moment is None else momentum * moment + lr * grad
        step = grad + momentum * moment if use_nesterov else moment
        return param - lr * step, moment

    assert_caught(check_momentum_step, momentum_step, "momentum: lr applied twice")
