"""Batch normalization: `ops.batch_norm`, `nn.BatchNorm1d`, `nn.BatchNorm2d` against the formula, central
differences and MindSpore's conventions (momentum, unbiased moving variance, training flag).

Numbers marked "MindSpore 2.10" were printed by the real MindSpore (CPU) in /opt/msenv on the same inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import assert_gradients_match

import tinyspore as ms
from tinyspore import Tensor, nn, ops


def pattern(shape: tuple, a: float, b: float) -> np.ndarray:
    """Deterministic values sin(a * i + b), the inputs also given to MindSpore."""
    return np.sin(np.arange(int(np.prod(shape))) * a + b).reshape(shape).astype(np.float32)


def normalize(x, axes, gamma, beta, mean=None, var=None, eps=1e-5):
    """The formula, with the batch's biased statistics unless others are given."""
    shape = [1] * x.ndim
    shape[1] = -1
    mean = x.mean(axis=axes) if mean is None else mean
    var = x.var(axis=axes) if var is None else var
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * gamma.reshape(shape) + beta.reshape(shape)


GAMMA = np.array([1.5, 0.5, -1.0], np.float32)
BETA = np.array([0.1, -0.2, 0.3], np.float32)


def bn2d() -> nn.BatchNorm2d:
    return nn.BatchNorm2d(3, gamma_init=Tensor(GAMMA), beta_init=Tensor(BETA))


# ----- the Cells ------------------------------------------------------------------------------------
def test_parameters_names_order_and_trainability():
    bn = nn.BatchNorm2d(3)
    assert [(name, p.requires_grad) for name, p in bn.parameters_and_names()] == [
        ("moving_mean", False), ("moving_variance", False), ("gamma", True), ("beta", True)]
    np.testing.assert_array_equal(bn.moving_mean.asnumpy(), [0, 0, 0])
    np.testing.assert_array_equal(bn.moving_variance.asnumpy(), [1, 1, 1])
    np.testing.assert_array_equal(bn.gamma.asnumpy(), [1, 1, 1])
    np.testing.assert_array_equal(bn.beta.asnumpy(), [0, 0, 0])
    assert [p.name for p in nn.SequentialCell([nn.BatchNorm1d(2)]).get_parameters()] == [
        "0.moving_mean", "0.moving_variance", "0.gamma", "0.beta"]  # MindSpore 2.10 names inside a network
    assert bn.training is False and bn.momentum == 0.9 and bn.eps == 1e-5
    assert repr(bn).startswith("BatchNorm2d(num_features=3, eps=1e-05, momentum=0.9, gamma=Parameter (name=gamma, "
                               "shape=(3,), dtype=Float32, requires_grad=True), beta=Parameter (name=beta,")
    assert [p.requires_grad for p in nn.BatchNorm1d(2, affine=False).get_parameters()] == [False] * 4


def test_training_mode_matches_mindspore():
    bn = bn2d().set_train()
    x = pattern((4, 3, 2, 2), 0.83, 0.1) * 2 + 0.5
    out = bn(Tensor(x)).asnumpy()
    # MindSpore 2.10: nn.BatchNorm2d(3, gamma_init=GAMMA, beta_init=BETA), set_train(), same input
    np.testing.assert_allclose(out[0], [[[0.149761, 1.654959], [2.04217, 1.059612]],
                                        [[-0.327514, -0.770496], [-0.797781, -0.391628]],
                                        [[-0.168387, -0.908946], [-0.758583, 0.184929]]], atol=2e-6)
    np.testing.assert_allclose(out[3, 2], [[1.719392, 0.813068], [-0.322071, -0.947903]], atol=2e-6)
    np.testing.assert_allclose(out, normalize(x, (0, 2, 3), GAMMA, BETA), atol=2e-6)
    # moving = 0.9 * moving + 0.1 * batch statistic, the variance unbiased (divided by M - 1)
    np.testing.assert_allclose(bn.moving_mean.asnumpy(), [0.065327, 0.030738, 0.072585], atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.asnumpy(), [1.108685, 1.109059, 1.109441], atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.asnumpy(), 0.9 + 0.1 * x.var(axis=(0, 2, 3), ddof=1), rtol=1e-6)
    # evaluation: the moving statistics, and no more updates
    bn.set_train(False)
    evaluated = bn(Tensor(x)).asnumpy()
    np.testing.assert_allclose(evaluated[0, 0], [[1.003665, 3.003159], [3.517529, 2.212305]], atol=2e-6)
    np.testing.assert_allclose(evaluated[0, 2], [[-0.943323, -1.928519], [-1.728485, -0.473292]], atol=2e-6)
    np.testing.assert_allclose(bn.moving_mean.asnumpy(), [0.065327, 0.030738, 0.072585], atol=1e-6)


def test_gradients_match_mindspore():
    bn = bn2d().set_train()
    x = Tensor(pattern((4, 3, 2, 2), 0.83, 0.1) * 2 + 0.5)
    sens = Tensor(pattern((4, 3, 2, 2), 0.61, 0.7))
    gx, (ggamma, gbeta) = ms.grad(lambda x: (bn(x) * sens).sum(), 0, bn.trainable_params())(x)
    # MindSpore 2.10: ms.grad(lambda x: (bn(x) * sens).sum(), 0, bn.trainable_params()), same inputs
    np.testing.assert_allclose(gx.asnumpy()[0], [[[0.696854, 0.902442], [0.838045, 0.537297]],
                                                 [[0.076755, -0.130574], [-0.261806, -0.269557]],
                                                 [[0.651262, 0.173742], [-0.228546, -0.415341]]], atol=2e-6)
    np.testing.assert_allclose(gx.asnumpy()[3, 2], [[-0.078263, 0.210544], [0.505801, 0.737597]], atol=2e-6)
    np.testing.assert_allclose(ggamma.asnumpy(), [2.076963, -0.132904, -2.496], atol=2e-6)
    np.testing.assert_allclose(gbeta.asnumpy(), [-0.158303, -3.446985, 5.424026], atol=2e-6)


@pytest.mark.parametrize("use_batch_statistics, train, uses_batch", [
    (None, False, False), (None, True, True), (True, False, True), (True, True, True), (False, True, False),
])
def test_use_batch_statistics_overrides_the_training_flag(use_batch_statistics, train, uses_batch):
    # MindSpore 2.10: None follows set_train; True always uses (and updates) batch statistics; False never
    x = np.random.default_rng(0).normal(size=(4, 3, 2, 2)).astype(np.float32) + 1.0
    bn = nn.BatchNorm2d(3, use_batch_statistics=use_batch_statistics).set_train(train)
    out = bn(Tensor(x)).asnumpy()
    ones, zeros = np.ones(3, np.float32), np.zeros(3, np.float32)
    expected = normalize(x, (0, 2, 3), ones, zeros) if uses_batch else normalize(x, (0, 2, 3), ones, zeros, zeros, ones)
    np.testing.assert_allclose(out, expected, atol=1e-5)
    assert np.any(bn.moving_mean.asnumpy() != 0) == uses_batch


def test_batchnorm1d_on_2d_and_3d_input():
    rng = np.random.default_rng(1)
    for shape, axes in (((8, 3), (0,)), ((4, 3, 5), (0, 2))):
        x = rng.normal(size=shape).astype(np.float32)
        bn = nn.BatchNorm1d(3).set_train()
        np.testing.assert_allclose(bn(Tensor(x)).asnumpy(), normalize(x, axes, np.ones(3), np.zeros(3)), atol=1e-5)
        np.testing.assert_allclose(bn.moving_variance.asnumpy(), 0.9 + 0.1 * x.var(axis=axes, ddof=1), rtol=1e-5)


def test_momentum_is_the_share_of_the_old_statistic():
    x = np.random.default_rng(2).normal(size=(6, 2)).astype(np.float32)
    bn = nn.BatchNorm1d(2, momentum=0.7, moving_mean_init=Tensor(np.array([1.0, -1.0], np.float32))).set_train()
    for _ in range(2):
        bn(Tensor(x))
    mean = x.mean(axis=0)
    expected = 0.7 * (0.7 * np.array([1.0, -1.0]) + 0.3 * mean) + 0.3 * mean
    np.testing.assert_allclose(bn.moving_mean.asnumpy(), expected, rtol=1e-5)


# ----- gradients ------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5, 3), (3, 3, 4), (2, 3, 2, 3)])
def test_training_gradients_match_central_differences(shape):
    rng = np.random.default_rng(3)
    x, gamma, beta = rng.normal(size=shape), rng.normal(size=3), rng.normal(size=3)
    running = [Tensor(np.zeros(3)), Tensor(np.ones(3))]
    assert_gradients_match(lambda x, g, b: ops.batch_norm(x, *running, g, b, training=True), x, gamma, beta,
                           rtol=1e-5, atol=1e-6)


def test_inference_gradients_match_central_differences():
    rng = np.random.default_rng(4)
    x, gamma, beta = rng.normal(size=(4, 3, 2, 2)), rng.normal(size=3), rng.normal(size=3)
    mean, var = rng.normal(size=3), rng.uniform(0.5, 2.0, size=3)
    assert_gradients_match(lambda x, g, b, m, v: ops.batch_norm(x, m, v, g, b, training=False),
                           x, gamma, beta, mean, var)


def test_cell_parameter_gradients_in_training_mode():
    bn = nn.BatchNorm2d(2, dtype=ms.float64).set_train()
    x = Tensor(np.random.default_rng(5).normal(size=(3, 2, 2, 2)))
    weights = Tensor(np.random.default_rng(6).normal(size=(3, 2, 2, 2)))
    ggamma, gbeta = ms.grad(lambda: (bn(x) * weights).sum(), None, bn.trainable_params())()
    xhat = normalize(x.asnumpy(), (0, 2, 3), np.ones(2), np.zeros(2))
    np.testing.assert_allclose(ggamma.asnumpy(), (weights.asnumpy() * xhat).sum(axis=(0, 2, 3)), rtol=1e-10)
    np.testing.assert_allclose(gbeta.asnumpy(), weights.asnumpy().sum(axis=(0, 2, 3)), rtol=1e-10)


# ----- the functional form --------------------------------------------------------------------------
def test_functional_batch_norm_updates_running_statistics_in_place():
    x = pattern((4, 3, 2, 2), 0.83, 0.1)
    running_mean = ms.Parameter(Tensor(np.zeros(3, np.float32)), requires_grad=False)
    running_var = ms.Parameter(Tensor(np.ones(3, np.float32)), requires_grad=False)
    out = ops.batch_norm(Tensor(x), running_mean, running_var, Tensor(np.ones(3, np.float32)),
                         Tensor(np.zeros(3, np.float32)), training=True, momentum=0.1)
    # ops.batch_norm's momentum is the share of the batch: running = 0.9 * running + 0.1 * batch
    np.testing.assert_allclose(running_mean.asnumpy(), 0.1 * x.mean(axis=(0, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(running_var.asnumpy(), 0.9 + 0.1 * x.var(axis=(0, 2, 3), ddof=1), rtol=1e-5)
    np.testing.assert_allclose(out.asnumpy(), normalize(x, (0, 2, 3), np.ones(3), np.zeros(3)), atol=1e-5)


# ----- errors ---------------------------------------------------------------------------------------
def test_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"BatchNorm2d: input has 3 channels \(shape \(2, 3, 5, 5\)\) but num_features=4"):
        nn.BatchNorm2d(4)(Tensor(np.ones((2, 3, 5, 5), np.float32)))
    with pytest.raises(ValueError, match=r"BatchNorm2d: input must be 4-D with channels on axis 1, got shape \(3, 5, 5\)"):
        nn.BatchNorm2d(3)(Tensor(np.ones((3, 5, 5), np.float32)))
    with pytest.raises(ValueError, match=r"BatchNorm1d: input must be 2-D or 3-D .* got shape \(2, 3, 5, 5\)"):
        nn.BatchNorm1d(3)(Tensor(np.ones((2, 3, 5, 5), np.float32)))
    with pytest.raises(ValueError, match=r"BatchNorm1d: momentum must be in \[0, 1\], got 1.5"):
        nn.BatchNorm1d(3, momentum=1.5)
    with pytest.raises(ValueError, match=r"batch_norm: running_mean has shape \(3,\) but input of shape \(2, 4\) "
                                         r"needs \(4,\)"):
        ops.batch_norm(Tensor(np.ones((2, 4), np.float32)), Tensor(np.zeros(3, np.float32)),
                       Tensor(np.ones(3, np.float32)), Tensor(np.ones(3, np.float32)), Tensor(np.zeros(3, np.float32)))
    with pytest.raises(ValueError, match=r"batch_norm: bias has shape \(2,\) but input of shape \(5, 3, 4\) needs \(3,\)"):
        ops.batch_norm(Tensor(np.ones((5, 3, 4), np.float32)), Tensor(np.zeros(3, np.float32)),
                       Tensor(np.ones(3, np.float32)), Tensor(np.ones(3, np.float32)), Tensor(np.zeros(2, np.float32)),
                       training=True)
