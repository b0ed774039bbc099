"""Mistake catalogue of chapter 01: wrong answers learners really write, each caught with its hint."""

from __future__ import annotations

import numpy as np
from helpers import assert_caught

from tinyspore_grader.checks.ch01_tensors import check_broadcast_shape, check_sum_to_shape


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
