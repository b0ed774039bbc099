"""The check runner: run a learner's answer against the reference on cases, and explain a failure.

A check module (one per chapter, in `tinyspore_grader.checks`) describes each exercise with
- a reference implementation (the oracle, usually a call into `tinyspore` or NumPy),
- a function that makes the cases (`Case` objects; fixed seeds, different ones when `hidden=True`),
- the exercise's known mistakes (`Mistake` objects), which choose the hint on a failure,
and calls `run_check(...)`. On success the learner sees one line; on failure a `CheckFailure` whose
message names the exercise, the case, expected vs got (summarized), and one hint.
"""

from __future__ import annotations

import copy
import math
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .summary import describe

NOT_IMPLEMENTED = "not implemented yet: replace `raise NotImplementedError()` with your code"
RAISED_HINT = "your code raised an error on this case: read its message and the line it points to."
GENERIC_HINT = ("compare your result with `expected` on this case: check the shape first, "
                "then the dtype, then the numbers.")


class CheckFailure(AssertionError):
    """A check failed. The message is the whole feedback: verdict, case, expected vs got, hint."""

    def _render_traceback_(self) -> list[str]:
        # IPython (Jupyter) calls this to display the error: the message says everything, so the learner
        # sees it without the frames of the check library. Plain Python still shows a short traceback.
        return ["CheckFailure:", *str(self).splitlines()]


@dataclass(frozen=True)
class Case:
    """One call of the answer: `answer(*args, **kwargs)`, with an optional note shown on failure.

    Arguments are deep-copied before each call, so an answer that modifies its inputs in place
    cannot change what the reference sees (and the mistake is caught by the comparison).
    """

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Raised:
    """The outcome "the call raised this exception" (for cases where an error is the right answer)."""

    error: BaseException

    def __str__(self) -> str:
        return f"raises {type(self.error).__name__}: {_first_line(str(self.error))}"


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer of one exercise and the hint that helps a learner who made it.

    Give `wrong` (a wrong implementation with the answer's signature: the mistake matches when the
    learner's output equals what `wrong` gives on the failing case) or `detect(case, got) -> bool`
    (for mistakes seen in the shape, the dtype or the exception; `got` may be a `Raised`).
    """

    name: str
    hint: str
    wrong: Callable | None = None
    detect: Callable[[Case, Any], bool] | None = None

    def matches(self, case: Case, got: Any, call: Callable, same: Callable) -> bool:
        try:
            if self.detect is not None and self.detect(case, got):
                return True
            if self.wrong is not None:
                return same(_outcome(call, self.wrong, case), got, case)
        except Exception:  # a hint must never hide the real failure
            return False
        return False


# ----- comparing outcomes ---------------------------------------------------------------------------
def _is_tensor(value: Any) -> bool:
    return any(c.__name__ == "Tensor" and c.__module__.startswith("tinyspore") for c in type(value).__mro__)


def _as_array(value: Any) -> np.ndarray | None:
    """The ndarray inside a Tensor or ndarray or NumPy scalar; None for anything else."""
    if isinstance(value, (np.ndarray, np.generic)):
        return np.asarray(value)
    if _is_tensor(value):
        return value.asnumpy()
    return None


def same(expected: Any, got: Any, case: Case | None = None, *, rtol: float = 1e-5, atol: float = 1e-6,
         check_dtype: bool = True) -> bool:
    """Whether `got` matches `expected`: same kind (Tensor / ndarray / tuple / number), shape, dtype, values.

    Arrays compare with `np.allclose(rtol, atol, equal_nan=True)`; tuples and lists element by element;
    exceptions (`Raised`) by type. Python numbers compare with the same tolerances.
    """
    if isinstance(expected, Raised) or isinstance(got, Raised):
        return (isinstance(expected, Raised) and isinstance(got, Raised)
                and isinstance(got.error, type(expected.error)))
    exp_arr = _as_array(expected)
    if exp_arr is not None:
        got_arr = _as_array(got)
        if got_arr is None or _is_tensor(expected) != _is_tensor(got):
            return False  # a Tensor where an ndarray was asked for, or the other way round
        if got_arr.shape != exp_arr.shape or (check_dtype and got_arr.dtype != exp_arr.dtype):
            return False
        if exp_arr.dtype.kind in "biu" or got_arr.dtype.kind in "biuOUS":
            return bool(np.array_equal(exp_arr, got_arr))
        return bool(np.allclose(got_arr, exp_arr, rtol=rtol, atol=atol, equal_nan=True))
    if isinstance(expected, (tuple, list)):
        return (type(got) is type(expected) and len(got) == len(expected)
                and all(same(e, g, case, rtol=rtol, atol=atol, check_dtype=check_dtype)
                        for e, g in zip(expected, got)))
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        return type(got) is type(expected) and got == expected
    if isinstance(expected, (int, float)):
        if isinstance(got, bool) or not isinstance(got, (int, float, np.integer, np.floating)):
            return False
        return math.isclose(float(got), float(expected), rel_tol=rtol, abs_tol=atol) or (
            math.isnan(float(got)) and math.isnan(float(expected)))
    return bool(got == expected)


_plain_same = same  # run_check's parameter `same` shadows the function


# ----- running cases --------------------------------------------------------------------------------
def _call(answer: Callable, case: Case) -> Any:
    """The default way to run an answer on a case: a plain call on copies of the arguments."""
    return answer(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))


def _outcome(call: Callable, fn: Callable, case: Case) -> Any:
    """What `fn` gives on `case`: its result, or `Raised(error)` if it raises an ordinary exception."""
    try:
        # Overflow and 0/0 warnings from a wrong answer would only clutter the feedback: the result says it.
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return call(fn, case)
    except NotImplementedError:
        raise
    except Exception as error:  # noqa: BLE001 - any error of the learner's code is an outcome to explain
        return Raised(error)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


_HERE = os.path.dirname(os.path.abspath(__file__))


def _learner_line(error: BaseException) -> str:
    """`line 5: return grad.sum(axis=0)`: the deepest line of the traceback outside libraries."""
    skip = (_HERE, os.path.dirname(np.__file__), sys.prefix, sys.base_prefix)
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if not os.path.abspath(f.filename).startswith(skip) and f.line]
    engine = sys.modules.get("tinyspore")
    if engine is not None and getattr(engine, "__file__", None):
        engine_dir = os.path.dirname(os.path.abspath(engine.__file__))
        frames = [f for f in frames if not os.path.abspath(f.filename).startswith(engine_dir)]
    if not frames:
        return ""
    return f"line {frames[-1].lineno}: {frames[-1].line.strip()}"


def _describe_inputs(reference: Callable, case: Case) -> str:
    """`grad float32 (4, 3) [...], shape=(1, 3)`: the case's arguments with the reference's parameter names."""
    import inspect

    try:
        bound = inspect.signature(reference).bind(*case.args, **case.kwargs)
        items = list(bound.arguments.items())
    except (TypeError, ValueError):
        items = [(f"arg{i}", a) for i, a in enumerate(case.args)] + list(case.kwargs.items())
    parts = []
    for name, value in items:
        text = describe(value)
        parts.append(f"{name} {text}" if _as_array(value) is not None else f"{name}={text}")
    return ", ".join(parts)


def _title(exercise: str, name: str) -> str:
    return f"Exercise {exercise} {name}"


def run_check(exercise: str, name: str, answer: Any, cases: Iterable[Case], *, reference: Callable,
              mistakes: Sequence[Mistake] = (), call: Callable = _call,
              same: Callable[[Any, Any, Case], bool] = same, match: Callable[[Any, Any, Case], bool] | None = None,
              describe_case: Callable[[Case], str] | None = None, generic_hint: str = GENERIC_HINT,
              quiet: bool = False) -> None:
    """Run `answer` and `reference` on every case; print one line if all agree, else raise `CheckFailure`.

    exercise: the id shown to the learner ("01.2"); name: the exercise name ("sum_to_shape").
    call(fn, case): how to run an answer or the reference on a case (default: `fn(*args, **kwargs)`
        on deep copies). Exercises on classes pass a `call` that builds the object and runs it.
    same(expected, got, case) -> bool: the comparison (default `same` above; pass a `functools.partial`
        of it for other tolerances, or your own for error messages that must name shapes).
    match(wrong_outcome, got, case) -> bool: when a `Mistake(wrong=...)` matches the learner's outcome
        (default: the module's plain `same`, under which two exceptions match when their types do).
    describe_case(case) -> str: how to show the inputs (default: argument names of `reference`).
    """
    match = match or _plain_same
    title = _title(exercise, name)
    if answer is None or not callable(answer):
        raise CheckFailure(f"✘ {title}: expected a function or class called `{name}`, got {describe(answer)}")
    cases = list(cases)
    for number, case in enumerate(cases, start=1):
        expected = _outcome(call, reference, case)
        try:
            got = _outcome(call, answer, case)
        except NotImplementedError:
            raise CheckFailure(f"✘ {title}: {NOT_IMPLEMENTED}") from None
        if same(expected, got, case):
            continue
        hint = next((m.hint for m in mistakes if m.matches(case, got, call, match)),
                    RAISED_HINT if isinstance(got, Raised) else generic_hint)
        shown = describe_case(case) if describe_case else _describe_inputs(reference, case)
        lines = [f"✘ {title}: case {number} of {len(cases)} fails" + (f" ({case.note})" if case.note else ""),
                 f"  input:    {shown}",
                 f"  expected: {describe(expected)}"]
        if isinstance(got, Raised):
            where = _learner_line(got.error)
            lines.append(f"  got:      {type(got.error).__name__}: {_first_line(str(got.error))}")
            if where:
                lines.append(f"  raised at {where}")
        else:
            lines.append(f"  got:      {describe(got)}")
        lines.append(f"  hint:     {hint}")
        raise CheckFailure("\n".join(lines)) from None
    if not quiet:
        print(f"✔ {title}: all {len(cases)} cases pass")


def pick(answer: Any, reference: Any, check: Callable[..., None]) -> Any:
    """The learner's `answer` if it passes `check`, else `reference` (with one line saying so).

    Notebooks use it so that a demo after an exercise always runs: with the learner's own code once it
    passes, with the reference engine's until then. Nothing later ever depends on a wrong answer.
    """
    import contextlib
    import io

    name = getattr(reference, "__name__", "") or getattr(answer, "__name__", "answer")
    name = name.removeprefix("reference_") if name != "<lambda>" else getattr(answer, "__name__", "answer")
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            check(answer)
    except Exception:  # CheckFailure, or anything a broken answer manages to raise
        print(f"(Using the reference {name} here: yours does not pass its check yet.)")
        return reference
    return answer
