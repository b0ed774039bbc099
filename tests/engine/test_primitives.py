"""Every primitive's backward rule against central differences (float64), with broadcasting and size-1 axes."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import assert_gradients_match

from tinyspore import Tensor, ops
from tinyspore.ops.primitives import sum_to_shape

rng = np.random.default_rng(0)


def r(*shape: int) -> np.ndarray:
    return rng.normal(size=shape)


def positive(*shape: int) -> np.ndarray:
    return rng.uniform(0.5, 2.0, size=shape)


def away_from_zero(*shape: int) -> np.ndarray:
    """Values at least 0.1 from 0, so kinks (relu, abs) are not straddled by the finite difference."""
    values = rng.uniform(0.1, 2.0, size=shape)
    return values * rng.choice([-1.0, 1.0], size=shape)


# Shapes that exercise broadcasting: equal, trailing, size-1 in the middle, scalar.
BROADCAST_PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((3, 4), ()), ((1,), (2, 3))]


@pytest.mark.parametrize("shape_x, shape_y", BROADCAST_PAIRS)
@pytest.mark.parametrize("op", [ops.add, ops.sub, ops.mul, ops.maximum, ops.minimum])
def test_binary_backward_with_broadcasting(op, shape_x, shape_y):
    assert_gradients_match(op, r(*shape_x), r(*shape_y) + 0.05)


@pytest.mark.parametrize("shape_x, shape_y", BROADCAST_PAIRS)
def test_div_backward(shape_x, shape_y):
    assert_gradients_match(ops.div, r(*shape_x), positive(*shape_y))


@pytest.mark.parametrize("shape_x, shape_y", [((3, 4), (3, 4)), ((3, 4), ()), ((2, 3), (3,))])
def test_pow_backward_in_base_and_exponent(shape_x, shape_y):
    assert_gradients_match(ops.pow, positive(*shape_x), r(*shape_y))


def test_operators_are_the_primitives():
    x, y = r(2, 3), positive(3)
    assert_gradients_match(lambda a, b: (a + b) * a - b / (a * a + 1) + (-a) ** 2, x, y)
    assert_gradients_match(lambda a: 2.0 * a + 1.0 - a / 3.0 + 2.0 ** a - 1.0 / (a * a + 1.0), x)


@pytest.mark.parametrize("fn, make", [
    (ops.neg, r), (ops.exp, r), (ops.log, positive), (ops.log1p, positive), (ops.sqrt, positive),
    (ops.sin, r), (ops.cos, r), (ops.tanh, r), (ops.sigmoid, r), (ops.softplus, r), (ops.square, r),
    (ops.relu, away_from_zero), (ops.abs, away_from_zero),
])
def test_unary_backward(fn, make):
    assert_gradients_match(fn, make(3, 4))


@pytest.mark.parametrize("shape_a, shape_b", [
    ((3, 4), (4, 2)),          # 2-D
    ((5, 3, 4), (5, 4, 2)),    # batched
    ((5, 3, 4), (4, 2)),       # batch broadcast on the left only
    ((2, 1, 3, 4), (5, 4, 2)),  # batch axes broadcast both ways
    ((4,), (4, 2)),            # vector @ matrix
    ((3, 4), (4,)),            # matrix @ vector
    ((4,), (4,)),              # dot product
])
def test_matmul_backward(shape_a, shape_b):
    assert_gradients_match(ops.matmul, r(*shape_a), r(*shape_b))


@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), (1, True), ((0, 2), False),
                                            (-1, True), ((), False)])
def test_reductions_backward(axis, keepdims):
    x = r(2, 3, 4)
    assert_gradients_match(lambda t: ops.primitives.reduce_sum(t, axis, keepdims), x)
    assert_gradients_match(lambda t: ops.primitives.reduce_mean(t, axis, keepdims), x)
    assert_gradients_match(lambda t: ops.primitives.reduce_max(t, axis, keepdims), x)
    assert_gradients_match(lambda t: ops.primitives.reduce_min(t, axis, keepdims), x)


def test_max_splits_the_gradient_between_ties():
    x = Tensor(np.array([1.0, 3.0, 3.0]))
    import tinyspore as ms

    g = ms.grad(lambda t: t.max())(x)
    np.testing.assert_allclose(g.asnumpy(), [0.0, 0.5, 0.5])


def test_shape_ops_backward():
    x = r(2, 3, 4)
    assert_gradients_match(lambda t: t.reshape(4, 6), x)
    assert_gradients_match(lambda t: t.reshape(-1), x)
    assert_gradients_match(lambda t: ops.transpose(t, (2, 0, 1)), x)
    assert_gradients_match(lambda t: t.T, x)
    assert_gradients_match(lambda t: ops.broadcast_to(t[:, :1, :], (5, 2, 3, 4)), x)
    assert_gradients_match(lambda t: ops.expand_dims(t, 1), x)
    assert_gradients_match(lambda t: ops.squeeze(ops.expand_dims(t, 0), 0), x)
    assert_gradients_match(lambda t: t.flatten(), x)
    assert_gradients_match(lambda t: ops.flatten(t), x)
    assert_gradients_match(lambda t: ops.tile(t, (2, 1, 3)), x)


@pytest.mark.parametrize("index", [
    (0,), (slice(None), 1), (slice(1, None), slice(None, None, 2)), (Ellipsis, -1), (None, 0),
    (np.array([0, 0, 1]),),                    # a row picked twice accumulates
    (np.array([[True, False, True, True], [False, True, False, False], [True, True, True, False]]),),
    (slice(None), np.array([3, 0, 3])),
])
def test_getitem_backward(index):
    x = r(3, 4)
    assert_gradients_match(lambda t: t[index if len(index) > 1 else index[0]], x)


def test_concat_and_stack_backward():
    a, b, c = r(2, 3), r(4, 3), r(2, 3)
    assert_gradients_match(lambda x, y: ops.concat([x, y], 0), a, b)
    assert_gradients_match(lambda x, y: ops.concat([x, y.T], axis=1), a, c.T.copy())
    assert_gradients_match(lambda x, y: ops.stack([x, y], 1), a, c)


def test_where_and_clip_backward():
    x, y = away_from_zero(3, 4), r(4)
    cond = Tensor(x > 0)
    assert_gradients_match(lambda a, b: ops.where(cond, a, b), x, y)
    assert_gradients_match(lambda a: ops.clip(a, -0.5, 0.7), away_from_zero(3, 4) * 0.4 + 0.05)


def test_cast_backward_returns_the_input_dtype():
    import tinyspore as ms

    x = Tensor(np.array([1.0, 2.0], dtype=np.float64))
    g = ms.grad(lambda t: (t.astype(ms.float32) * 3).sum())(x)
    assert g.dtype == ms.float64
    np.testing.assert_allclose(g.asnumpy(), [3.0, 3.0])


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_family_backward(axis):
    x = r(3, 5)
    assert_gradients_match(lambda t: ops.softmax(t, axis), x)
    assert_gradients_match(lambda t: ops.log_softmax(t, axis), x)
    assert_gradients_match(lambda t: ops.logsumexp(t, axis), x)
    assert_gradients_match(lambda t: ops.logsumexp(t, axis, keep_dims=True), x)


def test_softmax_family_is_finite_at_extreme_logits():
    import tinyspore as ms

    x = Tensor(np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]], dtype=np.float32))
    for fn in (ops.softmax, ops.log_softmax, ops.logsumexp, ops.sigmoid, ops.softplus):
        value, grad = ms.value_and_grad(lambda t, fn=fn: fn(t).sum())(x)
        assert np.isfinite(value.asnumpy()).all(), fn.__name__
        assert np.isfinite(grad.asnumpy()).all(), fn.__name__
    np.testing.assert_allclose(ops.log_softmax(x).asnumpy()[0], [0.0, -2000.0, -1000.0])
    np.testing.assert_allclose(ops.softmax(x).asnumpy().sum(axis=-1), [1.0, 1.0], rtol=1e-6)


@pytest.mark.parametrize("grad_shape, shape, expected_axes", [
    ((4, 3), (3,), (0,)),
    ((4, 3), (4, 1), (1,)),
    ((4, 3), (1, 3), (0,)),
    ((4, 3), (), (0, 1)),
    ((2, 4, 3), (4, 1), (0, 2)),
    ((4, 3), (4, 3), ()),
    ((0, 3), (3,), (0,)),  # an empty batch sums to zeros
])
def test_sum_to_shape(grad_shape, shape, expected_axes):
    g = rng.normal(size=grad_shape)
    out = sum_to_shape(g, shape)
    assert out.shape == shape
    expected = g.sum(axis=expected_axes, keepdims=True).reshape(shape) if expected_axes else g
    np.testing.assert_allclose(out, expected)


def test_a_primitive_keeps_float32():
    x = Tensor(np.ones((2, 2), dtype=np.float32))
    for out in (x + 1.5, x * 2, x / 3, x ** 2, ops.exp(x), ops.softmax(x), x @ x, x.mean(), 2.0 - x):
        assert out.dtype == np.float32, out


@pytest.mark.parametrize("x_shape", [(5, 3), (2, 5, 3), (3,)])
def test_dense_backward(x_shape):
    assert_gradients_match(ops.dense, r(*x_shape), r(4, 3), r(4))
    assert_gradients_match(lambda x, w: ops.dense(x, w), r(*x_shape), r(4, 3))


def test_dense_is_x_times_weight_transposed_plus_bias():
    x, w, b = r(5, 3), r(4, 3), r(4)
    np.testing.assert_allclose(ops.dense(Tensor(x), Tensor(w), Tensor(b)).asnumpy(), x @ w.T + b)
    with pytest.raises(ValueError, match=r"dense: input \(5, 3\) and weight \(3, 4\)"):
        ops.dense(Tensor(x), Tensor(w.T))


def test_sparse_softmax_cross_entropy():
    from tinyspore.ops.primitives import sparse_softmax_cross_entropy

    logits, labels = r(6, 4), Tensor(np.array([0, 3, 1, 1, 2, 0]))
    expected = -ops.log_softmax(Tensor(logits)).asnumpy()[np.arange(6), labels.asnumpy()]
    np.testing.assert_allclose(sparse_softmax_cross_entropy(Tensor(logits), labels).asnumpy(), expected)
    assert_gradients_match(lambda z: sparse_softmax_cross_entropy(z, labels), logits)
    extreme = Tensor(np.array([[1000.0, -1000.0], [-1000.0, 1000.0]], np.float32))
    np.testing.assert_allclose(sparse_softmax_cross_entropy(extreme, Tensor(np.array([1, 1]))).asnumpy(), [2000.0, 0.0])
