"""The functional API and MindSpore's primitive classes give NumPy's answers (and stay differentiable)."""

from __future__ import annotations

import numpy as np
import pytest

import tinyspore as ms
from tinyspore import Tensor, ops

x_np = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
x = Tensor(x_np)


@pytest.mark.parametrize("got, expected", [
    (lambda: ops.sum(x, 1), x_np.sum(1)),
    (lambda: ops.mean(x, 0, keep_dims=True), x_np.mean(0, keepdims=True)),
    (lambda: ops.max(x), x_np.max()),
    (lambda: ops.max(x, 1)[0], x_np.max(1)),
    (lambda: ops.max(x, 1)[1], x_np.argmax(1)),
    (lambda: ops.square(x), x_np ** 2),
    (lambda: ops.transpose(x, (1, 0)), x_np.T),
    (lambda: ops.one_hot(Tensor(np.array([2, 0])), 3), np.eye(3, dtype=np.float32)[[2, 0]]),
    (lambda: ops.tile(x, (2, 1)), np.tile(x_np, (2, 1))),
    (lambda: ops.where(x > 3, x, 0.0), np.where(x_np > 3, x_np, 0)),
    (lambda: ops.clamp(x, 2.0, 4.0), np.clip(x_np, 2, 4)),
    (lambda: ops.Square()(x), x_np ** 2),
    (lambda: ops.Add()(x, 1.0), x_np + 1),
    (lambda: ops.ReduceMean(keep_dims=True)(x, 1), x_np.mean(1, keepdims=True)),
    (lambda: ops.ReduceSum()(x), x_np.sum()),
    (lambda: ops.ReduceMax()(x, 0), x_np.max(0)),
    (lambda: ops.MatMul(transpose_b=True)(x, x), x_np @ x_np.T),
    (lambda: ops.BatchMatMul(transpose_a=True)(x[None], x[None]), (x_np.T @ x_np)[None]),
    (lambda: ops.Concat(axis=1)((x, x)), np.concatenate([x_np, x_np], 1)),
    (lambda: ops.Stack()((x, x)), np.stack([x_np, x_np])),
    (lambda: ops.Squeeze()(x[None]), x_np),
    (lambda: ops.Argmax()(x), x_np.argmax(-1)),
    (lambda: ops.Softmax()(x), np.exp(x_np) / np.exp(x_np).sum(-1, keepdims=True)),
    (lambda: ops.Select()(x > 3, x, x * 0), np.where(x_np > 3, x_np, 0)),
])
def test_values(got, expected):
    np.testing.assert_allclose(got().asnumpy(), expected, rtol=1e-6)


def test_primitive_classes_are_differentiable():
    g = ms.grad(lambda t: ops.ReduceSum()(ops.Mul()(ops.Square()(t), 2.0)))(x)
    np.testing.assert_allclose(g.asnumpy(), 4 * x_np)


def test_argmax_class_dtype_and_print(capsys):
    assert ops.Argmax()(x).dtype == ms.int32 and ops.argmax(x, 1).dtype == ms.int64
    ops.Print()("loss:", Tensor(1.5))
    assert capsys.readouterr().out == "loss:\n1.5\n"
