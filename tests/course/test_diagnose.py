"""The difference diagnosers: each fires where it applies and stays silent where it does not.

Every diagnoser is tested on outcomes as plain data (ndarrays, numbers, tuples, strings, None), the form in
which outcomes may arrive from a grading worker, and on Tensors where the exercise returns them.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import tinyspore as ms
from tinyspore_grader.core import Raised
from tinyspore_grader.diagnose import Context, diagnose, generic

dg = importlib.import_module("tinyspore_grader.diagnose")  # the module (the package exports the function)

RNG = np.random.default_rng(0)
E = RNG.standard_normal((4, 3)).astype(np.float32)  # a typical expected array, no zeros, no ties


def name_of(expected, got, context=None):
    found = diagnose(expected, got, context or Context(name="f"))
    return found.name if found else None


def fires(diagnoser, expected, got, context=None):
    return diagnoser(expected, got, context or Context(name="f")) is not None


# ----- each diagnoser fires on its own difference ------------------------------------------------------
CASES = [  # (diagnoser name, expected, got, context or None, a phrase of the sentence)
    ("in_place", E, E, Context(name="sgd_step", changed=["param"]), "`sgd_step` changed its input `param` in place"),
    ("none", E, None, None, "returned None"),
    ("should_raise", Raised(ValueError("bad")), (4, 3), None, "should raise ValueError"),
    ("tensor_for_array", E, ms.Tensor(E), None, "a Tensor where an ndarray is expected"),
    ("array_for_tensor", ms.Tensor(E), E, None, "an ndarray where a Tensor is expected"),
    ("not_a_tuple", (E, 1.5), E, None, "should return a tuple of 2 items (an ndarray, a float)"),
    ("tuple_length", (E, 1.5), (E, 1.5, 2.0), None, "it returned 3"),
    ("tuple_order", (1.5, E), (E, 1.5), Context(name="train_step"), "`train_step` returned the right items in the wrong order"),
    ("list_for_tuple", (3, 4), [3, 4], None, "a list where a tuple is expected"),
    ("extra_axis", E.sum(axis=0), E.sum(axis=0, keepdims=True), None, "extra size-1 axis: shape (1, 3) instead of (3,)"),
    ("missing_axis", E.sum(axis=1, keepdims=True), E.sum(axis=1), None, "lost a size-1 axis: shape (4,) instead of (4, 1)"),
    ("transposed", E, np.ascontiguousarray(E.T), None, "axes swapped: shape (3, 4) instead of (4, 3)"),
    ("reshaped", E, E.reshape(2, 6), None, "wrong shape (2, 6) instead of (4, 3)"),
    ("shape", E, np.zeros((5,), np.float32), None, "shape (5,), but the expected shape is (4, 3)"),
    ("dtype", E, E.astype(np.float64), None, "the dtype is float64, not float32"),
    ("nonfinite", E, np.where(np.arange(12).reshape(4, 3) == 4, np.nan, E).astype(np.float32), None,
     "nan at position [1, 1]"),
    ("nonfinite", np.float32(0.5), np.float32(np.inf), None, "inf where the expected value is finite (0.5)"),
    ("sign", E, -E, None, "sign flipped"),
    ("factor", E, 3 * E, None, "3 times the expected one"),
    ("factor", E, 0.1 * E, Context(name="sgd_step", quantities={"the learning rate `lr`": 0.1}),
     "0.1 is the learning rate `lr` on this case"),
    ("factor", E, E / 4, Context(name="mse", inputs={"x": np.ones((4, 2))}), "divided by 4, and 4 is `x.shape[0]`"),
    ("factor", 2.5, 10.0, Context(quantities={"the batch size": 4}), "4 times the expected one, and 4 is the batch size"),
    ("offset", E, E + 0.5, None, "plus 0.5 everywhere"),
    ("offset", E, E + np.float32([0.5, -1.0, 2.0]), None, "same in every row but differs by column (0.5 -1 2)"),
    ("factor", np.cumsum(np.ones((3, 2)), axis=0), 0.9 + 0.1 * (np.cumsum(np.ones((3, 2)), axis=0) - 0.9),
     Context(steps="step", start=np.full(2, 0.9), quantities={"`lr`": 0.1}),
     "the first step moves the value 0.1 times as far as it should, and 0.1 is `lr`"),
    ("drift", np.cumsum(np.ones((4, 3)), axis=0), np.array([[1, 1, 1], [2, 2, 2], [2.5, 3, 3], [3, 4, 4.0]]),
     Context(steps="step"), "right for the first 2 steps and wrong from step 3 on"),
    ("order", np.arange(6.0), np.arange(6.0)[::-1].copy(), None, "right values in the wrong order"),
    ("positions", np.arange(1.0, 7.0), np.array([1, 2, 3, 4, 0, 6.0]),
     Context(inputs={"x": np.array([0, 1, 2, 3, 1000, 5.0])}), "first wrong one is [4], where `x[4]` is 1000"),
    ("kind", np.float32(2.0), "2.0", None, "a string where a NumPy float32 scalar is expected"),
    ("kind", 0.5, np.array([0.5, 0.5]), None, "an ndarray of shape (2,) where one number is expected"),
]


@pytest.mark.parametrize("name, expected, got, context, phrase", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_diagnosis_fires_on_its_own_difference(name, expected, got, context, phrase):
    found = diagnose(expected, got, context or Context(name="f"))
    assert found is not None and found.name == name, found
    assert phrase in found.sentence, found.sentence


def test_one_wrong_item_of_a_tuple_is_diagnosed_in_its_words():
    found = diagnose((E, 2.0), (E, -2.0), Context(name="value_and_grad"))
    assert found.name == "sign"
    assert found.sentence.startswith("item 1 of what `value_and_grad` returns is wrong: your result has the sign")


# ----- and never where it does not apply --------------------------------------------------------------
UNRELATED = {  # outcomes that differ from E in some other way, or not at all
    "equal": E.copy(),
    "random": RNG.standard_normal((4, 3)).astype(np.float32),
    "one entry": np.where(np.arange(12).reshape(4, 3) == 7, 9.0, E).astype(np.float32),
}


# Every diagnoser that looks at a returned value (diagnose_positions is tested apart).
VALUE_DIAGNOSERS = [dg.diagnose_in_place, dg.diagnose_none, dg.diagnose_raise_expected, dg.diagnose_tensor_or_array,
                    dg.diagnose_tuple, dg.diagnose_shape, dg.diagnose_dtype, dg.diagnose_nonfinite, dg.diagnose_sign,
                    dg.diagnose_factor, dg.diagnose_offset, dg.diagnose_offset_per_column, dg.diagnose_step_factor,
                    dg.diagnose_drift, dg.diagnose_order, dg.diagnose_kind]


@pytest.mark.parametrize("diagnoser", VALUE_DIAGNOSERS)
def test_every_diagnoser_is_tried_and_tested(diagnoser):
    assert diagnoser in dg.DIAGNOSERS and len(dg.DIAGNOSERS) == 17  # (and diagnose_positions, tested apart)


@pytest.mark.parametrize("diagnoser", VALUE_DIAGNOSERS)
def test_silent_on_equal_and_on_unrelated_values(diagnoser):
    for label, got in UNRELATED.items():
        assert not fires(diagnoser, E, got, Context(name="f")), label
    for label in ("equal", "random"):  # a trajectory: right at first, then wrong IS drift, so not "one entry"
        assert not fires(diagnoser, E, UNRELATED[label], Context(name="f", steps="step")), label


@pytest.mark.parametrize("got", [E.copy(), -E, 2 * E, E + 1, E[::-1].copy()])
def test_positions_is_silent_when_most_positions_differ_or_none_does(got):
    assert not fires(dg.diagnose_positions, E, got) or got is E


def test_positions_does_not_fire_when_everything_differs():
    assert not fires(dg.diagnose_positions, E, E + 1)


def test_no_false_diagnoses_across_kinds():
    assert name_of(E, E) is None  # nothing to explain (the in-place diagnoser needs `changed`)
    assert not fires(dg.diagnose_sign, np.zeros(3), np.zeros(3))  # minus zero is zero: no sign to flip
    assert not fires(dg.diagnose_factor, np.zeros(3), np.ones(3))  # no factor turns zeros into ones
    assert not fires(dg.diagnose_factor, E, E)  # a factor of 1 is no difference
    assert not fires(dg.diagnose_factor, E, -E)  # -1 is the sign diagnosis
    assert not fires(dg.diagnose_factor, 2.0, 3.0)  # two numbers always differ by some factor: say it only if named
    assert fires(dg.diagnose_factor, 2.0, 1.0)  # ... or round (a 1/2 of a textbook formula)
    assert fires(dg.diagnose_factor, 2.0, 3.0, Context(quantities={"`n`": 1.5}))
    assert not fires(dg.diagnose_shape, E, E.astype(np.float64))  # same shape: not a shape matter
    assert not fires(dg.diagnose_dtype, E, E.astype(np.float64) + 1)  # other numbers: not only the dtype
    assert not fires(dg.diagnose_dtype, (E, 1.0), (E, 1.0))  # no dtype for a tuple
    assert not fires(dg.diagnose_nonfinite, np.array([np.nan, 1.0]), np.array([np.nan, 2.0]))  # expected nan too
    assert not fires(dg.diagnose_order, np.ones(4), np.ones(4))  # ties: there is no order to get wrong
    assert not fires(dg.diagnose_drift, np.cumsum(np.ones((4, 3)), axis=0), np.zeros((4, 3)), Context(steps="step"))
    assert not fires(dg.diagnose_drift, E, E + 1)  # no `steps`: not a trajectory
    assert not fires(dg.diagnose_tuple, (E, 1.0), Raised(TypeError("x")))  # an error is explained by itself
    assert not fires(dg.diagnose_tuple, (1.0, 2.0), (1.0, 3.0))  # one wrong number: said by the item's diagnosis
    assert not fires(dg.diagnose_kind, 2.0, np.float32(2.5))  # numbers of two flavours are both numbers
    assert not fires(dg.diagnose_tensor_or_array, E, E + 1)
    assert not fires(dg.diagnose_none, None, None)
    assert not fires(dg.diagnose_offset_per_column, E, E + 0.5 * np.arange(4, dtype=np.float32)[:, None])  # per ROW
    assert not fires(dg.diagnose_step_factor, E, 2 * E, Context(steps="step"))  # no start: no step to measure
    assert not fires(dg.diagnose_step_factor, E, -E, Context(steps="step", start=np.zeros(3)))  # -1: the sign


def test_a_factor_equal_to_two_quantities_is_not_named():
    found = diagnose(E, 4 * E, Context(quantities={"the batch size": 4, "the number of classes": 4}))
    assert found.name == "factor" and "is the batch size" not in found.sentence and "4 times" in found.sentence


def test_the_generic_sentence_fits_the_kind_of_outcome():
    assert "dtype" in generic(E, RNG.standard_normal((4, 3)).astype(np.float32))
    assert "dtype" not in generic((E, 1.0), (E, 2.0)) and "`f`" in generic((E, 1.0), (E, 2.0), Context(name="f"))
    assert generic(2.0, 3.0).startswith("your number is 3, the expected one 2")
    assert "text" in generic("a", "b") and "dtype" not in generic("a", "b")
    assert generic((30, 31), (30, 30), Context(name="count")).startswith(
        "item 1 of what `count` returns is 30, but 31 is expected there")


def test_messages_are_whole_format_strings_with_named_placeholders():
    """One msgid per sentence (a translation wraps each in `_()`): no positional `{}` and no `%`."""
    import string

    for key, text in dg.MESSAGES.items():
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
        assert all(f and not f.isdigit() for f in fields), key
        assert "%s" not in text, key


def test_a_broken_diagnoser_never_hides_the_failure(monkeypatch):
    def broken(expected, got, context):
        raise RuntimeError("bug")

    monkeypatch.setattr(dg, "DIAGNOSERS", [broken, *dg.DIAGNOSERS])
    assert diagnose(E, -E).name == "sign"
