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

from tinyspore.common.i18n import _ as _engine
from tinyspore.common.i18n import using

from .diagnose import Context, Diagnosis, array_of, diagnose, generic
from .i18n import N_, _
from .summary import describe

# Messages are written in English and translated where they are shown (tinyspore_grader.i18n): `_(RAISED_HINT)`.
NOT_IMPLEMENTED = N_("not implemented yet: replace `raise NotImplementedError()` with your code")
RAISED_HINT = N_("your code raised an error on this case: read its message and the line it points to.")
RETURNED_HINT = N_("the check could not use what `{name}` returned: read the exercise again for what it must "
                 "return, and in which order.")
IN_PLACE_VERDICT = N_("the result is right, but `{name}` changed its input `{argument}` in place")


class CheckFailure(AssertionError):
    """A check failed. The message is the whole feedback: verdict, case, expected vs got, hint."""

    def _render_traceback_(self) -> list[str]:
        # IPython (Jupyter) calls this to display the error: the message says everything, so the learner
        # sees it without the frames of the check library. Plain Python still shows a short traceback.
        return ["CheckFailure:", *str(self).splitlines()]

    #: the known mistake whose hint was shown (its `name`), or the diagnosis (its `name`; "returned" for an
    #: error about the returned value), or neither
    mistake: str | None = None
    diagnosis: str | None = None


class BadReturn(Exception):
    """Raised by a check's own `call` when the answer returned something the check cannot use.

    Its message is a whole sentence about the return value, in the exercise's words ("`train_step` returned
    `(logits, loss)`: return the loss first"); the feedback shows it as what the answer returned, never as
    an error at a line of the learner's code.
    """


class ModifiedInput(Exception):
    """Raised by a check's own `call` when the answer changed one of its inputs in place (named in `argument`)."""

    def __init__(self, argument: str) -> None:
        super().__init__(_("changed its input `{argument}` in place").format(argument=argument))
        self.argument = argument


@dataclass(frozen=True)
class Case:
    """One call of the answer: `answer(*args, **kwargs)`, with an optional note shown on failure.

    Arguments are deep-copied before each call, so an answer that modifies its inputs in place cannot
    change what the reference sees; run_check compares the copies with the originals after the call and
    fails an answer that changed one of them (naming the argument).
    """

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Raised:
    """The outcome "the call raised this exception" (for cases where an error is the right answer)."""

    error: BaseException

    def __str__(self) -> str:
        return _("raises {error}").format(error=f"{type(self.error).__name__}: {_said(self.error)}")


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
        """Whether the learner's outcome `got` on `case` is this mistake's.

        A `wrong` answer that raises matches only an error of the same type AND the same message: two
        different bugs raise TypeError, one hint does not fit both.
        """
        try:
            if self.detect is not None and self.detect(case, got):
                return True
            if self.wrong is not None:
                wrong = _outcome(call, self.wrong, _copied(case))
                if isinstance(wrong, Raised) or isinstance(got, Raised):
                    return _same_error(wrong, got)
                return bool(same(wrong, got, case))
        except Exception:  # a hint must never hide the real failure
            return False
        return False


# ----- comparing outcomes ---------------------------------------------------------------------------
def _is_tensor(value: Any) -> bool:
    from tinyspore.tensor import Tensor  # the class itself: a class merely *named* Tensor is not one

    return isinstance(value, Tensor)


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
    """The default way to run an answer on a case: a plain call (run_check hands it copies of the arguments)."""
    return answer(*case.args, **case.kwargs)


def _copied(case: Case) -> Case:
    """A copy of `case` whose arguments the answer may change without touching the case itself."""
    return Case(copy.deepcopy(case.args), copy.deepcopy(case.kwargs), case.note)


def _same_error(a: Any, b: Any) -> bool:
    """Two `Raised` outcomes of the same error: the same type, and the same message unless both are the code's
    own `raise` statements (the learner words a deliberate error their own way)."""
    if not (isinstance(a, Raised) and isinstance(b, Raised) and type(a.error) is type(b.error)):
        return False
    if isinstance(a.error, (BadReturn, ModifiedInput)):  # the check's own words about the answer: exact
        return str(a.error) == str(b.error)
    return str(a.error) == str(b.error) or (_deliberate(a.error) and _deliberate(b.error))


def _deliberate(error: BaseException) -> bool:
    """The error comes from a `raise` statement of the answer's own code (not from NumPy or the engine)."""
    if isinstance(getattr(error, "deliberate", None), bool):  # decided where the traceback was (`error_facts`)
        return error.deliberate
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and (frames[-1].line or "").lstrip().startswith("raise ") and not os.path.abspath(
        frames[-1].filename).startswith(_library_dirs())


def _unchanged(before: Any, after: Any) -> bool:
    """Whether an argument is as it was (arrays, Tensors, numbers, strings and containers of them;
    other objects count as unchanged, since they compare by identity)."""
    a, b = array_of(before), array_of(after)
    if a is not None or b is not None:
        return a is not None and b is not None and a.shape == b.shape and a.dtype == b.dtype and bool(
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(before, (tuple, list)):
        return (isinstance(after, (tuple, list)) and len(before) == len(after)
                and all(_unchanged(x, y) for x, y in zip(before, after)))
    if isinstance(before, dict):
        return (isinstance(after, dict) and before.keys() == after.keys()
                and all(_unchanged(before[k], after[k]) for k in before))
    if isinstance(before, (int, float, str, bytes, bool)) or before is None:
        return type(before) is type(after) and (before == after or before != before)
    return True


def watch_inputs(names: Sequence[str], values: Sequence[Any]) -> Callable[[], None]:
    """For a check's own `call`, which builds the answer's inputs itself (Tensors from the case's arrays):
    remember `values` now; the returned function raises `ModifiedInput(name)` for the first one that the
    answer has changed since. Arrays and Tensors are compared by their numbers."""
    def snapshot(value: Any) -> Any:
        array = array_of(value)
        return array.copy() if array is not None else copy.deepcopy(value)

    saved = [snapshot(v) for v in values]

    def verify() -> None:
        for name, before, value in zip(names, saved, values):
            if not _unchanged(before, snapshot(value)):
                raise ModifiedInput(name)

    return verify


def _changed_inputs(names: list[str], case: Case, live: Case) -> list[str]:
    """The names of the arguments of `case` that differ in `live` (the copy the answer was called with)."""
    changed = [name for name, a, b in zip(names, case.args, live.args) if not _unchanged(a, b)]
    changed += [k for k in case.kwargs if not _unchanged(case.kwargs[k], live.kwargs.get(k))]
    return changed


def _outcome(call: Callable, fn: Callable, case: Case) -> Any:
    """What `fn` gives on `case`: its result, or `Raised(error)` if it raises an ordinary exception.

    The result is given as plain data (`grading.codec.roundtrip`): arrays, Tensors, numbers, strings,
    tuples, lists, dicts, errors by type and message. When grading, the learner's answer runs in a separate
    worker process and its outcome arrives in exactly that form (`_remote_outcome`), so expected and actual
    outcomes are compared the same way, and never through an object of the learner's.
    """
    remote = getattr(type(fn), "_remote_outcome", None)  # the grader's stand-in for an answer in its worker
    if remote is not None:
        return remote(fn, call, case)
    from .grading.codec import roundtrip

    try:
        # Overflow and 0/0 warnings from a wrong answer would only clutter the feedback: the result says it.
        # Errors are made in English whatever the edition, so that a mistake is recognised by its message
        # the same way in every edition; they are translated where they are shown (`_said`).
        with np.errstate(all="ignore"), warnings.catch_warnings(), using("en"):
            warnings.simplefilter("ignore")
            result = call(fn, case)
    except NotImplementedError:
        raise
    except Exception as error:  # noqa: BLE001 - any error of the learner's code is an outcome to explain
        result = Raised(error)
    return roundtrip(result)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _said(error: BaseException) -> str:
    """The first line of an error's message in the edition's language (the engine's or the checks' catalogue)."""
    return _engine(_(_first_line(str(error))))


_HERE = os.path.dirname(os.path.abspath(__file__))


def _library_dirs() -> tuple[str, ...]:
    """Where NumPy, the installed packages and the engine live: never the learner's code."""
    skip = [os.path.dirname(np.__file__), sys.prefix, sys.base_prefix]
    engine = sys.modules.get("tinyspore")
    if engine is not None and getattr(engine, "__file__", None):
        skip.append(os.path.dirname(os.path.abspath(engine.__file__)))
    return tuple(skip)


def _learner_frames(error: BaseException) -> list:
    """The traceback frames of `error` in the learner's code or the check library (not NumPy, not the
    engine, not installed packages), innermost last, each as (frame, is_grader)."""
    frames = []
    for f in traceback.extract_tb(error.__traceback__):
        path = os.path.abspath(f.filename)
        if path.startswith(_HERE):
            frames.append((f, True))
        elif not path.startswith(_library_dirs()) and f.line:
            frames.append((f, False))
    return frames


def _learner_line(error: BaseException) -> str:
    """`line 5: return grad.sum(axis=0)`: the deepest line of the traceback outside libraries."""
    if isinstance(getattr(error, "learner_line", None), str):  # found in the grading worker, with the traceback
        return error.learner_line
    frames = [f for f, grader in _learner_frames(error) if not grader]
    if not frames:
        return ""
    return _("line {number}: {code}").format(number=frames[-1].lineno, code=frames[-1].line.strip())


def _about_return(got: Any) -> bool:
    """The error is about the value the answer returned, not about a line of the learner's code: a `BadReturn`,
    or an error raised while no frame of the learner's code was running (the check's own code, or the engine
    called by it, choked on the returned value)."""
    if not isinstance(got, Raised):
        return False
    if isinstance(got.error, (BadReturn, ModifiedInput)):
        return True
    if isinstance(getattr(got.error, "about_return", None), bool):  # decided where the traceback was
        return got.error.about_return
    frames = _learner_frames(got.error)
    return bool(frames) and all(grader for _, grader in frames)


def error_facts(error: BaseException) -> dict:
    """What the feedback needs to know about an error, taken where its traceback is (the grading worker):
    the learner's line, whether it is a deliberate `raise`, whether it is about the returned value."""
    return {"where": _learner_line(error), "deliberate": _deliberate(error),
            "about_return": _about_return(Raised(error)),
            "argument": error.argument if isinstance(error, ModifiedInput) else None}


def _named_inputs(reference: Callable, case: Case, defaults: bool = False) -> dict[str, Any]:
    """The case's arguments by the reference's parameter names (`arg0`, `arg1`... when they do not bind);
    with `defaults`, also the parameters the case leaves at their default values."""
    import inspect

    try:
        bound = inspect.signature(reference).bind(*case.args, **case.kwargs)
        if defaults:
            bound.apply_defaults()
        return dict(bound.arguments)
    except (TypeError, ValueError):
        return {**{f"arg{i}": a for i, a in enumerate(case.args)}, **case.kwargs}


def _describe_inputs(reference: Callable, case: Case) -> str:
    """`grad float32 (4, 3) [...], shape=(1, 3)`: the case's arguments with the reference's parameter names."""
    parts = []
    for name, value in _named_inputs(reference, case).items():
        text = describe(value)
        parts.append(f"{name} {text}" if _as_array(value) is not None else f"{name}={text}")
    return ", ".join(parts)


def _title(exercise: str, name: str) -> str:
    return _("Exercise {exercise} {name}").format(exercise=exercise, name=name)


@dataclass
class CheckSpec:
    """Everything one `run_check` call was given (for tests of the checks: see `recorded_checks`)."""

    exercise: str
    name: str
    cases: list[Case]
    reference: Callable
    mistakes: Sequence[Mistake]
    call: Callable
    same: Callable
    match: Callable
    quantities: Callable[[Case], dict[str, float]] | None
    steps: str | None
    inputs_unchanged: bool
    explain: dict[str, str] = field(default_factory=dict)
    start: Callable[[Case], Any] | None = None

    def outcome(self, fn: Callable, case: Case) -> Any:
        """What `fn` gives on `case`, called the way the check calls answers (on copies of the arguments)."""
        return _outcome(self.call, fn, _copied(case))

    def verdict(self, answer: Callable) -> Verdict:
        """How the check judges `answer`, without raising (see `Verdict`)."""
        return _judge(self, answer)


@dataclass
class Verdict:
    """The first failing case of an answer, and what explains it (a known mistake, a diagnosis or neither)."""

    number: int | None = None  # None: every case passed
    case: Case | None = None
    expected: Any = None
    got: Any = None
    changed: list[str] = field(default_factory=list)
    mistake: Mistake | None = None
    diagnosis: Diagnosis | None = None
    hint: str = ""

    @property
    def passed(self) -> bool:
        return self.number is None


_RECORDING: list[CheckSpec] | None = None


class recorded_checks:  # noqa: N801 - used as a context manager, like a function
    """`with recorded_checks() as specs: check_x(answer)`: run_check records its `CheckSpec` instead of running."""

    def __enter__(self) -> list[CheckSpec]:
        global _RECORDING
        self.saved, _RECORDING = _RECORDING, []
        return _RECORDING

    def __exit__(self, *exc: Any) -> None:
        global _RECORDING
        _RECORDING = self.saved


def _judge(spec: CheckSpec, answer: Callable, generic_hint: str | None = None) -> Verdict:
    """Run `answer` and the reference on every case until one differs; explain the first difference.

    NotImplementedError from the answer propagates (the stub's message is the caller's business).
    """
    names = list(_named_inputs(spec.reference, spec.cases[0]).keys()) if spec.cases else []
    for number, case in enumerate(spec.cases, start=1):
        expected = spec.outcome(spec.reference, case)
        live = _copied(case)
        got = _outcome(spec.call, answer, live)
        changed: list[str] = []
        if isinstance(got, Raised) and isinstance(got.error, ModifiedInput):
            changed = [got.error.argument]
        elif spec.inputs_unchanged:
            names = list(_named_inputs(spec.reference, case).keys())
            changed = _changed_inputs(names, case, live)
        if not changed and spec.same(expected, got, case):
            continue
        verdict = Verdict(number, case, expected, got, changed)
        if not changed:
            verdict.mistake = next((m for m in spec.mistakes if m.matches(case, got, spec.call, spec.match)), None)
        if verdict.mistake is not None:
            verdict.hint = verdict.mistake.hint
            return verdict
        context = Context(name=spec.name, inputs=_named_inputs(spec.reference, case, defaults=True),
                          quantities=spec.quantities(case) if spec.quantities else {},
                          steps=spec.steps, changed=changed, start=spec.start(case) if spec.start else None)
        verdict.diagnosis = diagnose(expected, got, context)
        if verdict.diagnosis is not None:
            verdict.hint = verdict.diagnosis.told(spec.explain)
        elif _about_return(got):
            verdict.hint = _(RETURNED_HINT).format(name=spec.name)
        elif isinstance(got, Raised):
            verdict.hint = RAISED_HINT
        else:
            verdict.hint = generic_hint or generic(expected, got, context)
        return verdict
    return Verdict()


def run_check(exercise: str, name: str, answer: Any, cases: Iterable[Case], *, reference: Callable,
              mistakes: Sequence[Mistake] = (), call: Callable = _call,
              same: Callable[[Any, Any, Case], bool] = same, match: Callable[[Any, Any, Case], bool] | None = None,
              describe_case: Callable[[Case], str] | None = None, generic_hint: str | None = None,
              quantities: Callable[[Case], dict[str, float]] | None = None, steps: str | None = None,
              inputs_unchanged: bool = True, explain: dict[str, str] | None = None,
              start: Callable[[Case], Any] | None = None, quiet: bool = False) -> None:
    """Run `answer` and `reference` on every case; print one line if all agree, else raise `CheckFailure`.

    exercise: the id shown to the learner ("01.2"); name: the exercise name ("sum_to_shape").
    call(fn, case): how to run an answer or the reference on a case (default: `fn(*args, **kwargs)`;
        run_check always hands it copies of the case's arguments). Exercises on classes pass a `call` that
        builds the object and runs it. A `call` raises `BadReturn("<sentence>")` when the answer returned
        something it cannot use, and `ModifiedInput(name)` when it sees an input changed in place.
    same(expected, got, case) -> bool: the comparison (default `same` above; pass a `functools.partial`
        of it for other tolerances, or your own for error messages that must name shapes).
    match(wrong_outcome, got, case) -> bool: when a `Mistake(wrong=...)` matches the learner's outcome
        (default: the module's plain `same`); errors match by type and message whatever `match` says.
    describe_case(case) -> str: how to show the inputs (default: argument names of `reference`).
    quantities(case) -> {phrase: number}: what a constant factor may equal ("the batch size": 4), for the
        diagnosis (default: the numeric arguments and the sizes of the array arguments).
    steps: the word for the leading axis of a trajectory outcome ("step"), for the drift diagnosis;
    start(case): the value the trajectory starts from, for "the first step is 0.1 times too long".
    inputs_unchanged: fail an answer that changes one of its arguments in place (default True).
    explain: {diagnosis name: sentence}: the exercise's own wording of a diagnosis (a whole-sentence format
        string with that diagnosis' named fields, e.g. {"nonfinite": "... at position {index} ..."}).
    When no known mistake matches, `tinyspore_grader.diagnose` explains the difference; `generic_hint`
    replaces the last-resort sentence.
    """
    spec = CheckSpec(exercise, name, list(cases), reference, mistakes, call, same, match or _plain_same,
                     quantities, steps, inputs_unchanged, dict(explain or {}), start)
    if _RECORDING is not None:
        _RECORDING.append(spec)
        return
    title = _title(exercise, name)
    if answer is None or not callable(answer):
        raise CheckFailure("✘ " + _("{title}: expected a function or class called `{name}`, got {got}").format(
            title=title, name=name, got=describe(answer)))
    try:
        verdict = _judge(spec, answer, generic_hint)
    except NotImplementedError:
        raise CheckFailure("✘ " + _("{title}: {message}").format(title=title, message=_(NOT_IMPLEMENTED))) from None
    if verdict.passed:
        if not quiet:
            print("✔ " + _("{title}: all {count} cases pass").format(title=title, count=len(spec.cases)))
        return
    case, got = verdict.case, verdict.got
    shown = describe_case(case) if describe_case else _describe_inputs(reference, case)
    fails = _("{title}: case {number} of {total} fails").format(title=title, number=verdict.number,
                                                                 total=len(spec.cases))
    lines = ["✘ " + (_("{verdict} ({note})").format(verdict=fails, note=_(case.note)) if case.note else fails),
             "  " + _("input:    {value}").format(value=shown),
             "  " + _("expected: {value}").format(value=describe(verdict.expected))]
    got_line = _("got:      {value}")
    if verdict.changed and not isinstance(got, Raised) and spec.same(verdict.expected, got, case):
        lines.append("  " + got_line.format(value=_(IN_PLACE_VERDICT).format(
            name=name, argument="`, `".join(verdict.changed))))
    elif isinstance(got, Raised) and _about_return(got):
        error = f"{type(got.error).__name__}: {_said(got.error)}"
        lines.append("  " + got_line.format(
            value=_said(got.error) if isinstance(got.error, (BadReturn, ModifiedInput))
            else _("a return value the check could not use ({error})").format(error=error)))
    elif isinstance(got, Raised):
        where = _learner_line(got.error)
        lines.append("  " + got_line.format(value=f"{type(got.error).__name__}: {_said(got.error)}"))
        if where:
            lines.append("  " + _("raised at {where}").format(where=where))
    else:
        lines.append("  " + got_line.format(value=describe(got)))
    lines.append("  " + _("hint:     {hint}").format(hint=_(verdict.hint)))
    failure = CheckFailure("\n".join(lines))
    failure.mistake = verdict.mistake.name if verdict.mistake else None
    failure.diagnosis = verdict.diagnosis.name if verdict.diagnosis else ("returned" if _about_return(got) else None)
    raise failure from None


def pick(answer: Any, check: Callable[..., None]) -> Any:
    """The learner's `answer` if it passes `check`, else the check's reference (with one line saying so).

    Notebooks use it so that a demo after an exercise always runs: with the learner's own code once it
    passes, with the reference until then. Nothing later ever depends on a wrong answer. The reference comes
    from the check (`@exercise(reference=...)`), so a notebook never imports the answer key.
    """
    import contextlib
    import io

    reference = getattr(check, "reference", None)
    if reference is None:
        raise TypeError(f"pick(answer, check): {getattr(check, '__name__', check)!r} declares no reference "
                        "(decorate it with @exercise(reference=...))")
    name = getattr(check, "__name__", "answer").removeprefix("check_")
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            check(answer)
    except Exception:  # CheckFailure, or anything a broken answer manages to raise
        print(_("(Using the reference {name} here: yours does not pass its check yet.)").format(name=name))
        return reference
    return answer
