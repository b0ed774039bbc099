"""Difference diagnosis: when no known mistake of an exercise matches, say HOW the learner's outcome differs.

`diagnose(expected, got, context)` tries the diagnosers below in order and returns the first `Diagnosis`
(a stable name and a whole sentence for the learner), or None. Every diagnoser works on plain data
(ndarrays, NumPy and Python numbers, tuples, lists, strings, None, `Raised`) and on Tensors only through
`asnumpy()`, so outcomes decoded from another process diagnose the same way.

Each sentence is one format string with named placeholders (`MESSAGES`), never assembled from pieces,
so a translated edition can wrap every one of them in `_()`.

A check can help the diagnosers speak in the exercise's terms through `Context`:
- `name`: the function the learner wrote (`sgd_step`), used in the sentences;
- `inputs`: the case's arguments by parameter name (for "the first wrong position is x[3] = 1000.0");
- `quantities`: {phrase: number} the case is made of ("the batch size": 4, "`lr`": 0.1); a constant factor
  equal to one of them is named (default: the numeric arguments and the sizes of the array arguments);
- `steps`: the word for the leading axis when the outcome is a trajectory ("step", "epoch"), so that
  "right for 2 steps, then drifting" can be said;
- `changed`: the inputs the answer modified in place (found by run_check);
- `start`: where a trajectory starts (the value before its first step), for "the first step is 0.1 times
  too long".
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# ----- the sentences (whole sentences with named placeholders: one msgid each) -------------------------
MESSAGES = {
    "in_place": ("`{name}` changed its input `{argument}` in place: leave the inputs as they are and return "
                 "a new value (write `x = x - step`, not `x -= step` or `x[...] = ...`)."),
    "none": "`{name}` returned None: end it with a `return` statement that gives the result.",
    "tensor_for_array": ("`{name}` returned a Tensor where an ndarray is expected: work on NumPy arrays "
                         "(or return `.asnumpy()` of your Tensor)."),
    "array_for_tensor": ("`{name}` returned an ndarray where a Tensor is expected: stay with Tensor operations "
                         "(no `.asnumpy()`, no `np.` functions), so the result is a Tensor."),
    "not_a_tuple": "`{name}` should return a tuple of {count} items ({kinds}); it returned {got_kind}.",
    "tuple_length": "`{name}` should return {count} items ({kinds}); it returned {got_count}.",
    "tuple_order": ("`{name}` returned the right items in the wrong order: return them as ({kinds}); yours "
                    "has item {got_index} where item {expected_index} belongs."),
    "list_for_tuple": "`{name}` returned a list where a tuple is expected: return `tuple(...)`.",
    "tuple_for_list": "`{name}` returned a tuple where a list is expected: return `list(...)`.",
    "in_item": "item {index} of what `{name}` returns is wrong: {sentence}",
    "should_raise": ("this case should raise {error}, but `{name}` returned {got_kind}: check the condition "
                     "that makes the input invalid."),
    "should_not_raise": "",  # an error where a value is expected is explained by the error itself
    "kind": "`{name}` returned {got_kind} where {expected_kind} is expected.",
    "extra_axis": ("your result has an extra size-1 axis: shape {got_shape} instead of {expected_shape} "
                   "(keepdims=True where the axis should go, or a reshape that keeps it)."),
    "missing_axis": ("your result lost a size-1 axis: shape {got_shape} instead of {expected_shape}; reduce "
                     "with keepdims=True or reshape to {expected_shape}."),
    "transposed": ("your result holds the right numbers with the axes swapped: shape {got_shape} instead of "
                   "{expected_shape}; check which axis is which (a transpose too many or too few)."),
    "reshaped": ("your result holds the right numbers in the wrong shape {got_shape} instead of "
                 "{expected_shape}: keep the axes the input gives (no reshape or flatten at the end)."),
    "dtype": ("the numbers are right but the dtype is {got_dtype}, not {expected_dtype}: a {got_dtype} value "
              "leaked in (np.zeros or np.ones without dtype=, a Python list turned into an array, a "
              "{got_dtype} constant); keep the input's dtype."),
    "shape": "your result has shape {got_shape}, but the expected shape is {expected_shape}.",
    "nonfinite": ("your result is {bad} at position {index} where the expected value is finite "
                  "({expected_value}): the formula overflows or divides by zero there; use a numerically "
                  "stable form."),
    "nonfinite_number": ("your result is {bad} where the expected value is finite ({expected_value}): the "
                         "formula overflows or divides by zero on this case; use a numerically stable form."),
    "sign": "your result has the sign flipped: it is exactly minus the expected value.",
    "factor_named": ("your result is {factor} times the expected one, and {factor} is {quantity} on this case: "
                     "check where {quantity} enters your formula (used twice, or once too few)."),
    "factor_inverse_named": ("your result is the expected one divided by {divisor}, and {divisor} is "
                             "{quantity} on this case: check where {quantity} enters your formula (used "
                             "twice, or once too few)."),
    "factor": ("your result is {factor} times the expected one: a constant factor is off (mean vs sum, "
               "a missing 1/n or 2?)."),
    "offset": "your result is the expected one plus {offset} everywhere: a constant term is off.",
    "offset_per_column": ("your result differs from the expected one by a term that is the same in every row "
                          "but differs by column ({offsets}): a per-column term, like a bias, is off (its sign?)."),
    "step_factor": ("the first {step} moves the value {factor} times as far as it should: the size of one update "
                    "is off by a constant factor."),
    "step_factor_named": ("the first {step} moves the value {factor} times as far as it should, and {factor} is "
                          "{quantity} on this case: check where {quantity} enters the update (used twice, or "
                          "once too few)."),
    "order": ("your result holds the right values in the wrong order: check the order (of the axes, the "
              "loop, or a sort) that produces them."),
    "drift": ("your result is right for the first {count} {steps} and wrong from {step} {first_wrong} on: "
              "what is carried from one {step} to the next (the state you return or feed back) is off."),
    "positions": ("your result is right except at {wrong} of {total} positions; the first wrong one is "
                  "{index}{input_text}: expected {expected_value}, got {got_value}."),
    "positions_input": ", where `{argument}` is {value}",
    "number": ("your number is {got_value}, the expected one {expected_value}: work out this case by hand "
               "and compare it with your formula."),
    "array": ("the shape and dtype of your result are right, but the numbers differ: work out one entry of "
              "this case by hand and compare it with your formula."),
    "text": "your text is {got_value}, the expected text is {expected_value}.",
    "other": "compare what `{name}` returns with `expected` on this case.",
    "item": ("item {index} of what `{name}` returns is {got_value}, but {expected_value} is expected there; the "
             "items before it are right."),
}


@dataclass(frozen=True)
class Diagnosis:
    """What differs, by a stable `name` (for tests and statistics) and the learner's `sentence`."""

    name: str
    sentence: str
    fields: dict[str, Any] = field(default_factory=dict, compare=False)

    def told(self, explain: dict[str, str]) -> str:
        """The sentence, or the exercise's own wording of this diagnosis (`explain[name]`, a format string
        with the same named fields)."""
        try:
            return explain[self.name].format(**self.fields) if self.name in explain else self.sentence
        except (KeyError, IndexError):
            return self.sentence


def _found(diagnosis: str, key: str | None = None, /, **fields: Any) -> Diagnosis:
    """A diagnosis called `diagnosis` whose sentence is MESSAGES[key or diagnosis] filled with `fields`."""
    return Diagnosis(diagnosis, MESSAGES[key or diagnosis].format(**fields), fields)


@dataclass
class Context:
    """What the diagnosers know about the case besides the two outcomes (see the module docstring)."""

    name: str = "your function"
    inputs: dict[str, Any] = field(default_factory=dict)
    quantities: dict[str, float] = field(default_factory=dict)
    steps: str | None = None
    changed: list[str] = field(default_factory=list)
    start: Any = None  # the value a trajectory starts from (before its first step), when there is one


def _say(key: str, **values: Any) -> str:
    return MESSAGES[key].format(**values)


# ----- plain-data helpers -------------------------------------------------------------------------------
def array_of(value: Any) -> np.ndarray | None:
    """The ndarray in an ndarray, NumPy scalar or Tensor-like (anything with `asnumpy()`); None otherwise."""
    if isinstance(value, (np.ndarray, np.generic)):
        return np.asarray(value)
    if hasattr(value, "asnumpy") and callable(value.asnumpy):
        try:
            return np.asarray(value.asnumpy())
        except Exception:  # noqa: BLE001 - a broken object is simply not an array
            return None
    return None


def is_tensor(value: Any) -> bool:
    """A Tensor (of tinyspore, or any class called Tensor/Parameter with `asnumpy`, as decoded outcomes are)."""
    return (not isinstance(value, (np.ndarray, np.generic)) and hasattr(value, "asnumpy")
            and any(c.__name__ in ("Tensor", "Parameter") for c in type(value).__mro__))


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def kind_of(value: Any) -> str:
    """`a Tensor`, `an ndarray`, `a float`, `a tuple of 2`, `None`: how to name an outcome's kind in a sentence."""
    if value is None:
        return "None"
    if is_tensor(value):
        return "a Tensor"
    if isinstance(value, np.ndarray):
        return "an ndarray"
    if isinstance(value, np.generic):
        return f"a NumPy {value.dtype} scalar"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)}"
    if isinstance(value, int):
        return "an int"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a dict"
    if _is_raised(value):
        return f"an error ({type(value.error).__name__})"
    return f"a {type(value).__name__}"


def _item_kind(value: Any) -> str:
    """The kinds in a tuple, for `(a Tensor, a float)`."""
    return kind_of(value)


def _is_raised(value: Any) -> bool:
    return type(value).__name__ == "Raised" and hasattr(value, "error")


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal within a loose float32 tolerance (diagnosis must see through rounding, not through mistakes)."""
    if a.shape != b.shape:
        return False
    try:
        return bool(np.allclose(a.astype(np.float64), b.astype(np.float64), rtol=1e-4, atol=1e-5, equal_nan=True))
    except (TypeError, ValueError):
        return bool(np.array_equal(a, b))


def _numeric(a: np.ndarray) -> bool:
    return a.dtype.kind in "biuf"


def _fmt(x: float) -> str:
    return f"{float(x):.4g}"


def _show(value: Any) -> str:
    array = array_of(value)
    if array is not None and array.ndim == 0:
        return _fmt(array) if _numeric(array) else repr(array.item())
    if is_number(value):
        return _fmt(value)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ----- the diagnosers -----------------------------------------------------------------------------------
# Each takes (expected, got, context) and returns a Diagnosis or None. They are tried in the order of
# DIAGNOSERS; the first that fires wins, so a specific one comes before a general one.
def diagnose_in_place(expected: Any, got: Any, context: Context) -> Diagnosis | None:
    if not context.changed:
        return None
    return _found("in_place", name=context.name, argument="`, `".join(context.changed))


def diagnose_none(expected: Any, got: Any, context: Context) -> Diagnosis | None:
    if got is None and expected is not None and not _is_raised(expected):
        return _found("none", name=context.name)
    return None


def diagnose_raise_expected(expected: Any, got: Any, context: Context) -> Diagnosis | None:
    if _is_raised(expected) and not _is_raised(got):
        return _found("should_raise", name=context.name,
                                              error=type(expected.error).__name__, got_kind=kind_of(got))
    return None


def diagnose_tensor_or_array(expected: Any, got: Any, context: Context) -> Diagnosis | None:
    if is_tensor(got) and isinstance(expected, (np.ndarray, np.generic)):
        return _found("tensor_for_array", name=context.name)
    if is_tensor(expected) and isinstance(got, (np.ndarray, np.generic)):
        return _found("array_for_tensor", name=context.name)
    return None


def _kinds(items: Any) -> str:
    return ", ".join(_item_kind(v) for v in items)


def diagnose_tuple(expected: Any, got: Any, context: Context) -> Diagnosis | None:
    """Tuples: wrong container, wrong length, right items in the wrong order, or one wrong item (diagnosed)."""
    if not isinstance(expected, (tuple, list)) or _is_raised(got):
        return None
    kinds = _kinds(expected)
    if not isinstance(got, (tuple, list)):
        if isinstance(expected, list) and got is not None:
            return _found("kind", name=context.name, got_kind=kind_of(got), expected_kind="a list")
        return _found("not_a_tuple", name=context.name, count=len(expected), kinds=kinds,
                                             got_kind=kind_of(got))
    if len(got) != len(expected):
        if isinstance(expected, tuple):
            return _found("tuple_length", name=context.name, count=len(expected),
                                                  kinds=kinds, got_count=len(got))
        return None  # lists of different lengths: the generic comparison says it
    if _equal_items(expected, got):
        if isinstance(expected, tuple) and isinstance(got, list):
            return _found("list_for_tuple", name=context.name)
        if isinstance(expected, list) and isinstance(got, tuple):
            return _found("tuple_for_list", name=context.name)
        return None
    if len(expected) <= 6 and isinstance(expected, tuple):
        for perm in itertools.permutations(range(len(expected))):
            if perm != tuple(range(len(expected))) and all(_equal(expected[i], got[j]) for i, j in enumerate(perm)):
                moved = next(i for i, j in enumerate(perm) if i != j)
                return _found("tuple_order", name=context.name, kinds=kinds,
                                                     got_index=perm[moved], expected_index=moved)
    wrong = [i for i in range(len(expected)) if not _equal(expected[i], got[i])]
    if len(wrong) > 1 and isinstance(expected, tuple):
        joined = _joined(expected, got, wrong)
        if joined is not None:
            for diagnoser in (diagnose_nonfinite, diagnose_sign, diagnose_factor, diagnose_offset):
                found = diagnoser(*joined, context)
                if found is not None:
                    return found
    if len(wrong) == 1 and isinstance(expected, tuple):
        inner = diagnose(expected[wrong[0]], got[wrong[0]], Context(
            name=context.name, inputs=context.inputs, quantities=context.quantities, steps=context.steps))
        if inner is not None:
            return Diagnosis(inner.name, _say("in_item", index=wrong[0], name=context.name, sentence=inner.sentence),
                             {**inner.fields, "index": wrong[0], "name": context.name, "sentence": inner.sentence})
    return None


def _joined(expected: tuple, got: tuple, items: list[int]) -> tuple[np.ndarray, np.ndarray] | None:
    """The wrong items of two tuples as two flat float arrays, when each pair is numeric with one shape."""
    es, gs = [], []
    for i in items:
        pair = _pair(expected[i], got[i])
        if pair is None or pair[0].shape != pair[1].shape:
            return None
        es.append(pair[0].astype(np.float64).ravel())
        gs.append(pair[1].astype(np.float64).ravel())
    return np.concatenate(es), np.concatenate(gs)


def _equal(a: Any, b: Any) -> bool:
    """Loose equality of plain data (arrays, numbers, tuples, strings) for the diagnosers."""
    if _is_raised(a) or _is_raised(b):
        return (_is_raised(a) and _is_raised(b) and type(a.error) is type(b.error)
                and str(a.error) == str(b.error))
    ea, eb = array_of(a), array_of(b)
    if ea is not None or eb is not None:
        if ea is None and is_number(a):
            ea = np.asarray(a)
        if eb is None and is_number(b):
            eb = np.asarray(b)
        if ea is None or eb is None or is_tensor(a) != is_tensor(b):
            return False
        return ea.dtype == eb.dtype and _close(ea, eb) if _numeric(ea) and _numeric(eb) else np.array_equal(ea, eb)
    if is_number(a) and is_number(b):
        return _close(np.asarray(float(a)), np.asarray(float(b)))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and _equal_items(a, b)
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001
        return False


def _equal_items(a: Any, b: Any) -> bool:
    return all(_equal(x, y) for x, y in zip(a, b))


def _pair(expected: Any, got: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """Both outcomes as numeric arrays of the same kind (array/array, Tensor/Tensor or number/number)."""
    if is_tensor(expected) != is_tensor(got):
        return None
    e, g = array_of(expected), array_of(got)
    if e is None and is_number(expected):
        e = np.asarray(expected, dtype=np.float64)
    if g is None and is_number(got):
        g = np.asarray(got, dtype=np.float64)
    if e is None or g is None or not _numeric(e) or not _numeric(g):
        return None
    return e, g


def diagnose_shape(expected: Any, got: Any, context: Context) -> Diagnosis | None:
    """Same numbers, other shape: an extra or missing size-1 axis, swapped or reversed axes, a reshape."""
    pair = _pair(expected, got)
    if pair is None:
        return None
    e, g = pair
    if e.shape == g.shape or array_of(expected) is None:
        return None  # a number against an array is a matter of kind (diagnose_kind), not of shape
    shapes = {"got_shape": tuple(g.shape), "expected_shape": tuple(e.shape)}
    if e.size == g.size and _close(g.reshape(e.shape), e.astype(g.dtype)):
        squeezed_e = tuple(s for s in e.shape if s != 1)
        squeezed_g = tuple(s for s in g.shape if s != 1)
        if squeezed_e == squeezed_g:
            return _found("extra_axis" if g.ndim > e.ndim else "missing_axis", **shapes)
    if e.ndim == g.ndim >= 2 and sorted(e.shape) == sorted(g.shape):
        for perm in itertools.permutations(range(g.ndim)):
            if perm != tuple(range(g.ndim)) and tuple(g.shape[i] for i in perm) == e.shape \
                    and _close(np.transpose(g, perm), e.astype(g.dtype)):
                return _found("transposed", **shapes)
    if e.size == g.size and e.size > 1 and _close(g.reshape(e.shape), e.astype(g.dtype)):
        return _found("reshaped", **shapes)
    return _found("shape", **shapes)


def diagnose_dtype(expected: Any, got: Any, context: Context) -> Diagnosis | None:
    pair = _pair(expected, got)
    if pair is None or not isinstance(array_of(expected), np.ndarray) or array_of(got) is None:
        return None
    e, g = pair
    if e.shape == g.shape and e.dtype != g.dtype and _close(g, e):
        return _found("dtype", got_dtype=g.dtype, expected_dtype=e.dtype)
    return None


def _same_layout(expected: Any, got: Any) -> tuple[np.ndarray, np.ndarray] | None:
    pair = _pair(expected, got)
    if pair is None or pair[0].shape != pair[1].shape:
        return None
    return pair[0].astype(np.float64), pair[1].astype(np.float64)


def _index_text(index: tuple) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def diagnose_nonfinite(expected: Any, got: Any, context: Context) -> Diagnosis | None:
    pair = _same_layout(expected, got)
    if pair is None:
        return None
    e, g = pair
    bad = np.isfinite(e) & ~np.isfinite(g)
    if not bad.any():
        return None
    index = tuple(np.argwhere(bad)[0])
    what = "nan" if np.isnan(g[index]) else ("inf" if g[index] > 0 else "-inf")
    if e.ndim == 0:
        return _found("nonfinite", "nonfinite_number", bad=what, index="", expected_value=_fmt(e[index]))
    return _found("nonfinite", bad=what, index=_index_text(index),
                                       expected_value=_fmt(e[index]))


def _meaningful(e: np.ndarray) -> bool:
    return bool(np.isfinite(e).all() and np.abs(e).max(initial=0.0) > 1e-6)


def diagnose_sign(expected: Any, got: Any, context: Context) -> Diagnosis | None:
    pair = _same_layout(expected, got)
    if pair is None or not _meaningful(pair[0]):
        return None
    e, g = pair
    if _close(g, -e) and not _close(g, e):
        return _found("sign")
    return None


def _default_quantities(context: Context) -> dict[str, float]:
    """`lr` = 0.1, `x.shape[0]` = 4 ...: the numbers a case is made of, by how the learner sees them
    (the numeric arguments, and the first size and the size of each array argument)."""
    found: dict[str, float] = {}
    for name, value in context.inputs.items():
        if is_number(value) and value not in (0, 1):
            found.setdefault(f"`{name}`", float(value))
        array = array_of(value)
        if array is not None and array.ndim >= 1 and array.shape[0] > 2:
            found.setdefault(f"`{name}.shape[0]`", float(array.shape[0]))
            if array.ndim > 1 and array.size > array.shape[0]:
                found.setdefault(f"`{name}.size`", float(array.size))
    return found


def _named(c: float, quantities: dict[str, float]) -> str | None:
    """The one quantity equal to `c` (None when none is, or when several are: then naming one would guess)."""
    equal = [phrase for phrase, value in quantities.items() if value and math.isclose(c, value, rel_tol=1e-3)]
    return equal[0] if len(equal) == 1 else None


def _ratio(e: np.ndarray, g: np.ndarray) -> float | None:
    """The constant c with g = c * e everywhere (e not all zero), or None."""
    if not _meaningful(e) or not np.isfinite(g).all():
        return None
    mask = np.abs(e) > 1e-6 * np.abs(e).max()
    c = float(np.median(g[mask] / e[mask]))
    if not math.isfinite(c) or abs(c) < 1e-12 or math.isclose(abs(c), 1.0, rel_tol=1e-3):
        return None
    return c if _close(g, c * e) else None


def diagnose_factor(expected: Any, got: Any, context: Context) -> Diagnosis | None:
    pair = _same_layout(expected, got)
    if pair is None:
        return None
    c = _ratio(*pair)
    if c is None:
        return None
    quantities = context.quantities or _default_quantities(context)
    phrase = _named(c, quantities)
    if phrase is not None:
        return _found("factor", "factor_named", factor=_fmt(c), quantity=phrase)
    phrase = _named(1.0 / c, quantities)
    if phrase is not None:
        return _found("factor", "factor_inverse_named", divisor=_fmt(1.0 / c), quantity=phrase)
    if pair[0].size < 2 and not any(math.isclose(c, r, rel_tol=1e-4) for r in _ROUND):
        return None  # any two numbers differ by some factor: only a named or a round one means something
    return _found("factor", factor=_fmt(c))


# Factors that a single number is unlikely to be off by unless a formula has them (a 1/2 or a missing 2, a
# percentage); not 3 or 4, which ratios of small counts (an accuracy of 1/4 against 3/4) hit by chance.
_ROUND = (2.0, 0.5, 100.0, 0.01)


def diagnose_offset(expected: Any, got: Any, context: Context) -> Diagnosis | None:
    pair = _same_layout(expected, got)
    if pair is None or pair[0].size < 2 or not np.isfinite(pair[0]).all() or not np.isfinite(pair[1]).all():
        return None
    e, g = pair
    d = float(np.median(g - e))
    if abs(d) > 1e-6 * max(1.0, float(np.abs(e).max())) and _close(g, e + d):
        return _found("offset", offset=_fmt(d))
    return None


def diagnose_offset_per_column(expected: Any, got: Any, context: Context) -> Diagnosis | None:
    pair = _same_layout(expected, got)
    if pair is None or pair[0].ndim != 2 or pair[0].shape[0] < 2 or pair[0].shape[1] < 2:
        return None
    e, g = pair
    d = g - e
    if not np.isfinite(d).all() or np.allclose(d, 0, atol=1e-5) or not _close(d, np.broadcast_to(d[:1], d.shape)):
        return None
    return _found("offset", "offset_per_column", offsets=" ".join(_fmt(v) for v in d[0][:4]))


def diagnose_step_factor(expected: Any, got: Any, context: Context) -> Diagnosis | None:
    """A trajectory whose first update (from `context.start`) is a constant multiple of the right one."""
    if not context.steps or context.start is None:
        return None
    pair = _same_layout(expected, got)
    start = array_of(context.start)
    if pair is None or start is None or pair[0].ndim < 1 or pair[0][0].shape != start.shape:
        return None
    e, g = pair[0][0] - start, pair[1][0] - start
    c = _ratio(e, g)
    if c is None or c < 0:
        return None  # a negative factor is a sign, which the sign diagnosis (or a known mistake) says
    quantities = context.quantities or _default_quantities(context)
    phrase = _named(c, quantities)
    if phrase is not None:
        return _found("factor", "step_factor_named", step=context.steps, factor=_fmt(c), quantity=phrase)
    return _found("factor", "step_factor", step=context.steps, factor=_fmt(c))


def diagnose_drift(expected: Any, got: Any, context: Context) -> Diagnosis | None:
    """A trajectory (leading axis = steps) right for k >= 1 steps, then wrong."""
    if not context.steps:
        return None
    pair = _same_layout(expected, got)
    if pair is None or pair[0].ndim < 1 or pair[0].shape[0] < 2:
        return None
    e, g = pair
    k = 0
    while k < e.shape[0] and _close(g[k], e[k]):
        k += 1
    if 1 <= k < e.shape[0]:
        plural = context.steps + ("s" if k > 1 else "")
        return _found("drift", count=k, steps=plural, step=context.steps, first_wrong=k + 1)
    return None


def diagnose_order(expected: Any, got: Any, context: Context) -> Diagnosis | None:
    pair = _same_layout(expected, got)
    if pair is None or pair[0].size < 2:
        return None
    e, g = pair
    if _close(np.sort(g, axis=None), np.sort(e, axis=None)) and not _close(g, e) and len(np.unique(e)) > 1:
        return _found("order")
    return None


def diagnose_positions(expected: Any, got: Any, context: Context) -> Diagnosis | None:
    """Right almost everywhere: name the first wrong position, and the input there when it has the same shape."""
    pair = _same_layout(expected, got)
    if pair is None or pair[0].size < 2:
        return None
    e, g = pair
    wrong = ~np.isclose(g, e, rtol=1e-4, atol=1e-5, equal_nan=True)
    count = int(wrong.sum())
    if count == 0 or count > e.size // 2:
        return None
    index = tuple(int(i) for i in np.argwhere(wrong)[0])
    input_text = ""
    for argument, value in context.inputs.items():
        array = array_of(value)
        if array is not None and array.shape == e.shape:
            input_text = _say("positions_input", argument=f"{argument}{_index_text(index)}", value=_show(array[index]))
            break
    return _found("positions", wrong=count, total=e.size, index=_index_text(index),
                                       input_text=input_text, expected_value=_fmt(e[index]),
                                       got_value=_fmt(g[index]))


def diagnose_kind(expected: Any, got: Any, context: Context) -> Diagnosis | None:
    """A different kind of value altogether (a list for an ndarray, a string for a number ...)."""
    if _is_raised(expected) or _is_raised(got):
        return None
    e_kind, g_kind = kind_of(expected), kind_of(got)
    numbers = is_number(expected) and (is_number(got) or isinstance(got, np.generic))
    if numbers or e_kind == g_kind:
        return None
    if isinstance(expected, (np.generic, float, int)) and isinstance(got, np.ndarray) and got.ndim == 0:
        return None
    if is_number(expected) and isinstance(got, np.ndarray):
        return _found("kind", name=context.name, got_kind=f"an ndarray of shape {got.shape}",
                                      expected_kind="one number")
    return _found("kind", name=context.name, got_kind=g_kind, expected_kind=e_kind)


DIAGNOSERS: list[Callable[[Any, Any, Context], Diagnosis | None]] = [
    diagnose_in_place, diagnose_none, diagnose_raise_expected, diagnose_tensor_or_array, diagnose_tuple,
    diagnose_shape, diagnose_dtype, diagnose_nonfinite, diagnose_sign, diagnose_drift, diagnose_step_factor,
    diagnose_factor, diagnose_offset, diagnose_offset_per_column, diagnose_order, diagnose_positions, diagnose_kind,
]


def diagnose(expected: Any, got: Any, context: Context | None = None) -> Diagnosis | None:
    """The first diagnoser that explains how `got` differs from `expected`, or None."""
    context = context or Context()
    for diagnoser in DIAGNOSERS:
        try:
            found = diagnoser(expected, got, context)
        except Exception:  # noqa: BLE001 - a diagnosis must never hide the real failure
            found = None
        if found is not None:
            return found
    return None


def generic(expected: Any, got: Any, context: Context | None = None) -> str:
    """The fallback sentence, fitting the kind of outcome (no "dtype" for a tuple or a number)."""
    context = context or Context()
    pair = _pair(expected, got)
    if pair is not None and array_of(expected) is not None and np.ndim(pair[0]) > 0:
        return _say("array")
    if pair is not None:
        return _say("number", got_value=_show(got), expected_value=_show(expected))
    if isinstance(expected, str) and isinstance(got, str):
        return _say("text", got_value=_show(got), expected_value=_show(expected))
    if isinstance(expected, (tuple, list)) and isinstance(got, (tuple, list)) and len(got) == len(expected):
        index = next((i for i in range(len(expected)) if not _equal(expected[i], got[i])), None)
        if index is not None and array_of(expected[index]) is None and array_of(got[index]) is None:
            return _say("item", index=index, name=context.name, got_value=_show(got[index]),
                        expected_value=_show(expected[index]))
    return _say("other", name=context.name)
