"""Mistake catalogue of chapter 01: wrong answers learners really write, each caught with its hint."""

from __future__ import annotations

import numpy as np
from helpers import assert_caught, assert_passes

import tinyspore as ms
from tinyspore import ops
from tinyspore_grader.checks.ch01_tensors import (
    check_broadcast_shape,
    check_matmul_checked,
    check_standardize,
    check_sum_to_shape,
    reference_broadcast_shape,
    reference_matmul_checked,
    reference_standardize,
    reference_sum_to_shape,
)


# ----- 01.1 broadcast_shape ------------------------------------------------------------------------------
def test_broadcast_shape_pads_on_the_right():
    def broadcast_shape(shape_a, shape_b):
        a, b = list(shape_a), list(shape_b)
        while len(a) < len(b):
            a.append(1)
        while len(b) < len(a):
            b.append(1)
        out = []
        for x, y in zip(a, b):
            if x != y and 1 not in (x, y):
                raise ValueError(f"shapes {tuple(shape_a)} and {tuple(shape_b)} do not broadcast")
            out.append(max(x, y))
        return tuple(out)

    assert_caught(check_broadcast_shape, broadcast_shape, "aligned on the left")


def test_broadcast_shape_takes_the_max():
    def broadcast_shape(shape_a, shape_b):
        n = max(len(shape_a), len(shape_b))
        a = (1,) * (n - len(shape_a)) + tuple(shape_a)
        b = (1,) * (n - len(shape_b)) + tuple(shape_b)
        return tuple(max(x, y) for x, y in zip(a, b))

    assert_caught(check_broadcast_shape, broadcast_shape, "max of the sizes")


def test_broadcast_shape_error_without_shapes():
    def broadcast_shape(shape_a, shape_b):
        try:
            return np.broadcast_shapes(shape_a, shape_b)
        except ValueError:
            raise ValueError("shapes do not broadcast") from None

    assert_caught(check_broadcast_shape, broadcast_shape, "error without the shapes")


# ----- 01.2 sum_to_shape ---------------------------------------------------------------------------------
def test_sum_to_shape_without_keepdims():
    def sum_to_shape(grad, shape):
        lead = grad.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1)
        return grad.sum(axis=axes)

    assert_caught(check_sum_to_shape, sum_to_shape, "dropped the size-1 axis")


def test_sum_to_shape_mean():
    def sum_to_shape(grad, shape):
        while grad.ndim > len(shape):
            grad = grad.mean(axis=0)
        for axis, size in enumerate(shape):
            if size == 1:
                grad = grad.mean(axis=axis, keepdims=True)
        return grad

    assert_caught(check_sum_to_shape, sum_to_shape, "averaged instead of summed")


def test_sum_to_shape_only_leading_axes():
    def sum_to_shape(grad, shape):
        while grad.ndim > len(shape):
            grad = grad.sum(axis=0)
        return grad

    assert_caught(check_sum_to_shape, sum_to_shape, "summed the leading axes only")


def test_sum_to_shape_float64_accumulator():
    def sum_to_shape(grad, shape):
        out = np.zeros(shape)  # float64, whatever grad was
        out += reference_sum_to_shape(grad, shape)
        return out

    message = assert_caught(check_sum_to_shape, sum_to_shape, "changed the dtype")
    assert "expected: float32" in message and "got:      float64" in message


# ----- 01.3 matmul_checked -------------------------------------------------------------------------------
def test_matmul_checked_elementwise():
    def matmul_checked(a, b):
        return a * b

    assert_caught(check_matmul_checked, matmul_checked, "elementwise product")


def test_matmul_checked_without_own_check():
    def matmul_checked(a, b):
        return ops.matmul(a, b)

    message = assert_caught(check_matmul_checked, matmul_checked, "relies on the engine's error")
    assert "got:      ValueError: matmul: (3, 4) @ (5, 2)" in message


def test_matmul_checked_in_numpy():
    def matmul_checked(a, b):
        if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
            raise ValueError(f"matmul_checked: {a.shape} @ {b.shape}")
        return a.asnumpy() @ b.asnumpy()

    assert_caught(check_matmul_checked, matmul_checked, "returns an ndarray")


def test_matmul_checked_only_inner_sizes():
    def matmul_checked(a, b):
        if a.shape[-1] != b.shape[0]:
            raise ValueError(f"matmul_checked: {a.shape} @ {b.shape}: inner sizes differ")
        return a @ b

    assert_caught(check_matmul_checked, matmul_checked, "accepts non-matrices")


def test_matmul_checked_compares_outer_sizes():
    def matmul_checked(a, b):
        if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[1]:
            raise ValueError(f"matmul_checked: {a.shape} @ {b.shape}: sizes differ")
        return a @ b

    assert_caught(check_matmul_checked, matmul_checked, "compares the wrong sizes")


def test_matmul_checked_vague_message():
    def matmul_checked(a, b):
        if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
            raise ValueError("matmul_checked: incompatible shapes")
        return a @ b

    assert_caught(check_matmul_checked, matmul_checked, "message without the shapes")


# ----- 01.4 standardize ----------------------------------------------------------------------------------
def test_standardize_through_numpy():
    def standardize(x, axis=0):
        v = x.asnumpy()
        return ms.Tensor((v - v.mean(axis=axis, keepdims=True)) / np.sqrt(v.var(axis=axis, keepdims=True) + 1e-5))

    assert_caught(check_standardize, standardize, "left the Tensor world")


def test_standardize_shortcut_variance():
    def standardize(x, axis=0):
        mean = x.mean(axis=axis, keep_dims=True)
        var = (x ** 2).mean(axis=axis, keep_dims=True) - mean ** 2
        return (x - mean) / ops.sqrt(var + 1e-5)

    message = assert_caught(check_standardize, standardize, "variance by the shortcut")
    assert "values near 10000" in message


def test_standardize_sample_variance():
    def standardize(x, axis=0):
        n = x.shape[axis]
        d = x - x.mean(axis=axis, keep_dims=True)
        return d / ops.sqrt((d * d).sum(axis=axis, keepdims=True) / (n - 1) + 1e-5)

    assert_caught(check_standardize, standardize, "divided by n - 1")


def test_standardize_without_eps():
    def standardize(x, axis=0):
        d = x - x.mean(axis=axis, keep_dims=True)
        return d / ops.sqrt((d * d).mean(axis=axis, keep_dims=True))

    assert_caught(check_standardize, standardize, "no eps")


def test_standardize_without_keep_dims():
    def standardize(x, axis=0):
        d = x - x.mean(axis=axis)
        return d / ops.sqrt((d * d).mean(axis=axis) + 1e-5)

    assert_caught(check_standardize, standardize, "dropped the reduced axis")


def test_standardize_fixed_axis():
    def standardize(x, axis=0):
        d = x - x.mean(axis=0, keep_dims=True)
        return d / ops.sqrt((d * d).mean(axis=0, keep_dims=True) + 1e-5)

    assert_caught(check_standardize, standardize, "normalized the wrong axis")


def test_chapter_01_solutions_pass():
    assert_passes(check_broadcast_shape, reference_broadcast_shape)
    assert_passes(check_sum_to_shape, reference_sum_to_shape)
    assert_passes(check_matmul_checked, reference_matmul_checked)
    assert_passes(check_standardize, reference_standardize)


def test_sum_to_shape_always_axis_0():
    def sum_to_shape(grad, shape):
        return np.sum(grad, axis=0)

    assert_caught(check_sum_to_shape, sum_to_shape, "always summed axis 0")


def test_standardize_numpy_spelling_of_keep_dims():
    def standardize(x, axis=0):
        d = x - x.mean(axis=axis, keepdims=True)
        return d / ops.sqrt((d * d).mean(axis=axis, keepdims=True) + 1e-5)

    message = assert_caught(check_standardize, standardize, "keepdims spelling")
    assert "got:      TypeError: Tensor.mean() got an unexpected keyword argument 'keepdims'" in message


def test_broadcast_shape_returns_none_on_a_mismatch():
    def broadcast_shape(shape_a, shape_b):
        a, b = list(shape_a), list(shape_b)
        a = [1] * (len(b) - len(a)) + a
        b = [1] * (len(a) - len(b)) + b
        out = []
        for x, y in zip(a, b):
            if x == y or y == 1:
                out.append(x)
            elif x == 1:
                out.append(y)
            else:
                return None
        return tuple(out)

    assert_caught(check_broadcast_shape, broadcast_shape, "no error on a mismatch")


def test_broadcast_shape_asserts():
    def broadcast_shape(shape_a, shape_b):
        n = max(len(shape_a), len(shape_b))
        a = (1,) * (n - len(shape_a)) + tuple(shape_a)
        b = (1,) * (n - len(shape_b)) + tuple(shape_b)
        for x, y in zip(a, b):
            assert x == y or x == 1 or y == 1, f"shapes {shape_a} and {shape_b} do not broadcast"
        return tuple(y if x == 1 else x for x, y in zip(a, b))

    assert_caught(check_broadcast_shape, broadcast_shape, "wrong exception type")


def test_broadcast_shape_returns_a_list():
    def broadcast_shape(shape_a, shape_b):
        return list(np.broadcast_shapes(shape_a, shape_b))

    assert_caught(check_broadcast_shape, broadcast_shape, "returns a list")


def test_sum_to_shape_sums_everything():
    def sum_to_shape(grad, shape):
        return np.sum(grad, keepdims=True)

    assert_caught(check_sum_to_shape, sum_to_shape, "summed everything")


def test_sum_to_shape_returns_a_tensor():
    def sum_to_shape(grad, shape):
        return ms.Tensor(grad).sum(axis=0)

    assert_caught(check_sum_to_shape, sum_to_shape, "returned a Tensor or list")


def test_standardize_returns_an_ndarray():
    def standardize(x, axis=0):
        d = x - x.mean(axis=axis, keep_dims=True)
        return (d / ops.sqrt((d * d).mean(axis=axis, keep_dims=True) + 1e-5)).asnumpy()

    assert_caught(check_standardize, standardize, "returned an ndarray")


def test_broadcast_shape_error_may_write_the_shapes_its_own_way():
    # the exercise asks that the message name both shapes, not that it use Python's tuple syntax
    def broadcast_shape(shape_a, shape_b):
        try:
            return tuple(np.broadcast_shapes(tuple(shape_a), tuple(shape_b)))
        except ValueError:
            a = "x".join(map(str, shape_a)) if len(shape_a) > 1 else str(list(shape_a))
            b = "x".join(map(str, shape_b)) if len(shape_b) > 1 else str(list(shape_b))
            raise ValueError(f"cannot broadcast {a} with {b}") from None

    assert_passes(check_broadcast_shape, broadcast_shape)
