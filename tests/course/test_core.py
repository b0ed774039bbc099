"""The check runner itself: feedback layout and length, isolation of the inputs, `same`, `pick`."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

import tinyspore as ms
from tinyspore_grader import Case, CheckFailure, Mistake, Raised, exercise, pick, run_check, same
from tinyspore_grader.core import NOT_IMPLEMENTED


def _reference(x, scale=2.0):
    return x * scale


def _cases():
    rng = np.random.default_rng(0)
    return [Case((rng.standard_normal((3, 2)).astype(np.float32),)),
            Case((rng.standard_normal((400, 300)).astype(np.float32),), {"scale": 3.0}, note="a big one")]


def _check(answer, mistakes=()):
    run_check("99.1", "double", answer, _cases(), reference=_reference, mistakes=mistakes)


def test_success_prints_one_line():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        _check(_reference)
    assert out.getvalue() == "✔ Exercise 99.1 double: all 2 cases pass\n"


def test_failure_message_is_short_even_for_big_inputs():
    with pytest.raises(CheckFailure) as info:
        _check(lambda x, scale=2.0: x * 2.0)  # ignores scale: case 2 fails
    message = str(info.value)
    lines = message.splitlines()
    assert lines[0] == "✘ Exercise 99.1 double: case 2 of 2 fails (a big one)"
    assert lines[1].startswith("  input:    x float32 (400, 300) [[") and lines[1].endswith(", scale=3.0")
    assert lines[2].startswith("  expected: float32 (400, 300) ")
    assert lines[3].startswith("  got:      float32 (400, 300) ")
    assert lines[4].startswith("  hint:     your result is 0.6667 times the expected one: a constant")
    assert info.value.diagnosis == "factor" and info.value.mistake is None
    assert len(lines) == 5 and all(len(line) < 130 for line in lines), message
    assert isinstance(info.value, AssertionError) and info.value.__suppress_context__


def test_first_matching_mistake_gives_the_hint():
    mistakes = [Mistake("never", "not this one", detect=lambda case, got: False),
                Mistake("fixed scale", "use the `scale` argument", wrong=lambda x, scale=2.0: x * 2.0),
                Mistake("also fixed", "too late", wrong=lambda x, scale=2.0: x * 2.0)]
    with pytest.raises(CheckFailure, match="hint:     use the `scale` argument$"):
        _check(lambda x, scale=2.0: x + x, mistakes)


def test_a_broken_mistake_never_hides_the_failure():
    mistakes = [Mistake("broken", "never shown", detect=lambda case, got: 1 / 0)]
    with pytest.raises(CheckFailure, match="hint:     your result is the expected one divided by 2, and 2 is `scale`") as info:
        _check(lambda x, scale=2.0: x, mistakes)
    assert info.value.diagnosis == "factor"


def test_stub_gets_one_line():
    def double(x, scale=2.0):
        raise NotImplementedError()

    with pytest.raises(CheckFailure) as info:
        _check(double)
    assert str(info.value) == f"✘ Exercise 99.1 double: {NOT_IMPLEMENTED}"
    assert info.value._render_traceback_() == ["CheckFailure:", str(info.value)]


def test_an_error_shows_its_type_message_and_the_learners_line():
    def double(x, scale=2.0):
        y = x.reshape(-1)
        return y.reshape(7, -1) * scale

    with pytest.raises(CheckFailure) as info:
        _check(double)
    message = str(info.value)
    assert "  got:      ValueError: cannot reshape array of size 6 into shape (7,newaxis)" in message
    assert "  raised at line " in message and ": return y.reshape(7, -1) * scale" in message
    assert "hint:     your code raised an error on this case" in message


def test_inputs_are_copied_and_an_in_place_edit_fails_naming_the_argument():
    cases = _cases()
    originals = [case.args[0].copy() for case in cases]

    def double(x, scale=2.0):
        x *= scale  # in place: the result is right, the input is gone
        return x

    with pytest.raises(CheckFailure) as info:
        run_check("99.1", "double", double, cases, reference=_reference)
    assert all(np.array_equal(case.args[0], original) for case, original in zip(cases, originals))
    lines = str(info.value).splitlines()
    assert lines[3] == "  got:      the result is right, but `double` changed its input `x` in place"
    assert lines[4].startswith("  hint:     `double` changed its input `x` in place: leave the inputs")
    assert info.value.diagnosis == "in_place"


def test_in_place_edits_are_allowed_when_the_check_says_so():
    def double(x, scale=2.0):
        x *= scale
        return x

    with contextlib.redirect_stdout(io.StringIO()):
        run_check("99.1", "double", double, _cases(), reference=_reference, inputs_unchanged=False)


def test_a_wrong_answer_that_raises_matches_by_type_and_message():
    def wrong(x, scale=2.0):
        raise TypeError("scale must be an int")

    mistakes = [Mistake("int scale", "the hint for that TypeError", wrong=wrong)]
    with pytest.raises(CheckFailure) as info:  # another TypeError: not that mistake
        _check(lambda x, scale=2.0: x * None, mistakes)
    assert info.value.mistake is None and "the hint for that TypeError" not in str(info.value)
    with pytest.raises(CheckFailure) as info:
        _check(wrong, mistakes)
    assert info.value.mistake == "int scale"


def test_an_error_about_the_return_value_is_not_shown_as_a_line_of_the_learners_code():
    from tinyspore_grader import BadReturn

    def call(fn, case):
        out = fn(*case.args, **case.kwargs)
        if isinstance(out, tuple):
            raise BadReturn("`double` returned a tuple: return the doubled array alone")
        return out

    reference = lambda x, scale=2.0: x * scale  # noqa: E731
    for answer, got in [(lambda x, scale=2.0: (x * scale,), "  got:      `double` returned a tuple: return")]:
        with pytest.raises(CheckFailure) as info:
            run_check("99.1", "double", answer, _cases(), reference=reference, call=call)
        message = str(info.value)
        assert got in message and "raised at" not in message, message
        assert "hint:     the check could not use what `double` returned" in message


def test_not_a_function():
    with pytest.raises(CheckFailure, match="expected a function or class called `double`, got None"):
        _check(None)


def test_same_compares_kind_shape_dtype_and_values():
    a = np.array([1.0, 2.0], np.float32)
    assert same(a, a.copy() + 1e-7)
    assert not same(a, a.astype(np.float64))
    assert not same(a, ms.Tensor(a))
    assert not same(ms.Tensor(a), a)
    assert same(ms.Tensor(a), ms.Tensor(a))
    assert not same(a, a[None])
    assert not same((a, a), [a, a])
    assert same((1, 2), (1, 2)) and not same((1, 2), [1, 2])
    assert same(0.1 + 0.2, 0.3) and not same(1.0, True)
    assert same(Raised(ValueError("x")), Raised(ValueError("y")))
    assert not same(Raised(ValueError("x")), Raised(TypeError("x")))
    assert not same(np.array([1, 2]), np.array([1, 3]))


def test_pick_uses_the_answer_once_it_passes():
    def reference_double(x, scale=2.0):
        return x * scale

    @exercise(reference=reference_double)
    def check_double(answer, hidden=False):
        run_check("99.2", "double", answer, _cases(), reference=_reference)

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert pick(_reference, check_double) is _reference
        wrong = lambda x, scale=2.0: x  # noqa: E731
        assert pick(wrong, check_double) is reference_double
    assert out.getvalue() == "(Using the reference double here: yours does not pass its check yet.)\n"


def test_pick_needs_a_check_that_declares_its_reference():
    with pytest.raises(TypeError, match="declares no reference"):
        pick(_reference, lambda answer: None)
