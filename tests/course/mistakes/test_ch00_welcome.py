"""Mistake catalogue of chapter 00: wrong warm-up answers learners really write, each caught with its hint."""

from __future__ import annotations

import numpy as np
from helpers import assert_caught, assert_diagnosed, assert_passes

from tinyspore_grader.checks.ch00_welcome import (
    check_center_columns,
    check_one_hot,
    check_pairwise_sq_distances,
    reference_center_columns,
    reference_one_hot,
    reference_pairwise_sq_distances,
)


# ----- 00.1 center_columns -------------------------------------------------------------------------------
def test_center_columns_axis_1():
    def center_columns(x):
        means = np.mean(x, axis=1)
        return x - means[:, np.newaxis]

    assert_caught(check_center_columns, center_columns, "centered the rows")


def test_center_columns_global_mean():
    def center_columns(x):
        return x - np.mean(x)

    assert_caught(check_center_columns, center_columns, "subtracted the overall mean")


def test_center_columns_returns_means():
    def center_columns(x):
        return x.mean(axis=0)

    assert_caught(check_center_columns, center_columns, "returned the means")


def test_center_columns_float64_output():
    def center_columns(x):
        out = np.zeros(x.shape)
        for j in range(x.shape[1]):
            out[:, j] = x[:, j] - x[:, j].mean()
        return out

    message = assert_caught(check_center_columns, center_columns, "changed the dtype")
    assert "expected: float32 (5, 3)" in message and "got:      float64 (5, 3)" in message


# ----- 00.2 pairwise_sq_distances ------------------------------------------------------------------------
def test_distances_with_sqrt():
    def pairwise_sq_distances(a, b):
        return np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)

    assert_caught(check_pairwise_sq_distances, pairwise_sq_distances, "took the square root")


def test_distances_transposed():
    def pairwise_sq_distances(a, b):
        return ((b[:, None, :] - a[None, :, :]) ** 2).sum(axis=2)

    assert_caught(check_pairwise_sq_distances, pairwise_sq_distances, "transposed result")


def test_distances_not_squared():
    def pairwise_sq_distances(a, b):
        return np.sum(a[:, None] - b[None], axis=-1)

    assert_caught(check_pairwise_sq_distances, pairwise_sq_distances, "forgot to square")


def test_distances_summed_over_points():
    def pairwise_sq_distances(a, b):
        return ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=1)

    assert_caught(check_pairwise_sq_distances, pairwise_sq_distances, "summed the wrong axis")


def test_distances_without_new_axes():
    def pairwise_sq_distances(a, b):
        return ((a - b) ** 2).sum(axis=1)

    message = assert_caught(check_pairwise_sq_distances, pairwise_sq_distances, "no broadcasting")
    assert "got:      ValueError: operands could not be broadcast" in message
    assert "raised at line" in message and "((a - b) ** 2).sum(axis=1)" in message


# ----- 00.3 one_hot --------------------------------------------------------------------------------------
def test_one_hot_float64():
    def one_hot(labels, num_classes):
        out = np.zeros((len(labels), num_classes))
        out[np.arange(len(labels)), labels] = 1
        return out

    message = assert_caught(check_one_hot, one_hot, "float64")
    assert "got:      float64 (6, 4)" in message


def test_one_hot_integer_matrix():
    def one_hot(labels, num_classes):
        return (labels[:, None] == np.arange(num_classes)).astype(labels.dtype)

    assert_caught(check_one_hot, one_hot, "kept the label dtype")


def test_one_hot_width_from_labels():
    def one_hot(labels, num_classes):
        width = labels.max() + 1 if len(labels) else num_classes
        return np.eye(width, dtype=np.float32)[labels]

    assert_caught(check_one_hot, one_hot, "wrong width")


def test_one_hot_classes_by_rows():
    def one_hot(labels, num_classes):
        out = np.zeros((num_classes, len(labels)), dtype=np.float32)
        out[labels, np.arange(len(labels))] = 1.0
        return out

    assert_caught(check_one_hot, one_hot, "transposed")


def test_chapter_00_solutions_pass():
    assert_passes(check_center_columns, reference_center_columns)
    assert_passes(check_pairwise_sq_distances, reference_pairwise_sq_distances)
    assert_passes(check_one_hot, reference_one_hot)


# ----- more learner answers (forum classics: in-place updates, .T "to fix" a shape, np.eye) ---------------
def test_center_columns_in_place():
    # `x -= ...` saves a copy and silently changes the caller's data (the d2l forum's "why did my input change")
    def center_columns(x):
        x -= x.mean(axis=0)
        return x

    assert_diagnosed(check_center_columns, center_columns, "in_place", "changed its input `x` in place")


def test_center_columns_transposed_to_make_it_broadcast():
    def center_columns(x):
        return (x.T - x.mean(axis=0)[:, None]).T.T  # one .T too many

    assert_diagnosed(check_center_columns, center_columns, "transposed", "axes swapped")


def test_distances_mean_over_the_coordinates():
    def pairwise_sq_distances(a, b):
        return ((a[:, None, :] - b[None, :, :]) ** 2).mean(axis=-1)

    assert_diagnosed(check_pairwise_sq_distances, pairwise_sq_distances, "factor", "times the expected one")


def test_one_hot_with_np_eye():
    def one_hot(labels, num_classes):
        return np.eye(num_classes)[labels]  # float64

    assert_caught(check_one_hot, one_hot, "float64")


def test_one_hot_classes_counted_from_one():
    def one_hot(labels, num_classes):
        out = np.zeros((len(labels), num_classes), np.float32)
        for i, label in enumerate(labels):
            out[i, label - 1] = 1.0  # 1-based classes, as in a label file
        return out

    assert_diagnosed(check_one_hot, one_hot, "order", "right values in the wrong order")
