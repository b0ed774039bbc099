"""What a check says about its exercise: the reference answer, and the engine code that IS the answer.

    @exercise(reference=reference_sum_to_shape, forbidden=[ops.sum_to_shape])
    def check_sum_to_shape(sum_to_shape, hidden=False): ...

- `reference`: a drop-in replacement for the learner's answer (same signature). Notebooks never import it:
  `pick(answer, check)` falls back to `check.reference` while the answer does not pass yet.
- `forbidden`: the engine's own implementations of this very exercise (functions, classes, or
  `rule_of(primitive)` for the backward rule inside a primitive). While the grader runs the answer on the
  check's cases, these (and `reference`) raise in the learner's process; an answer that calls them scores 0
  and its feedback names what it called. See autograder/AUTHORING.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rule:
    """The functions named `nested` defined inside `function` (a primitive's backward closure)."""

    function: Callable
    nested: str = "backward"

    def __str__(self) -> str:
        return f"the backward rule of {_dotted(self.function)}"


def rule_of(primitive: Callable, nested: str = "backward") -> Rule:
    """The backward rule of an engine primitive (`rule_of(P.mul)`): the closure its forward returns."""
    forward = getattr(primitive, "forward", primitive)
    if not any(getattr(c, "co_name", None) == nested for c in forward.__code__.co_consts):
        raise ValueError(f"rule_of: {_dotted(forward)} defines no nested function called {nested!r}")
    return Rule(forward, nested)


def _dotted(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', getattr(obj, '__name__', repr(obj)))}"


def exercise(*, reference: Any, forbidden: Iterable[Any] = ()) -> Callable[[Callable], Callable]:
    """Declare a check's reference answer and the engine implementations its answer must not call."""
    forbidden = tuple(forbidden)
    for item in forbidden:
        if not (isinstance(item, (Rule, type)) or callable(item)):
            raise TypeError(f"exercise(forbidden=...): {item!r} is not a function, a class or a rule_of(...)")

    def declare(check: Callable) -> Callable:
        check.reference = reference
        check.forbidden = forbidden
        return check

    return declare


# Outcome classes a check's `call` may return besides plain values: rebuilt on the trusted side from their
# attributes (themselves plain values), by the class registered here, never by a name the worker sends.
OUTCOME_CLASSES: dict[str, type] = {}


def outcome_class(cls: type) -> type:
    """Register a small class whose instances a check's `call` returns as an outcome (e.g. a marker holding
    what the answer returned); its attributes must be plain values (numbers, strings, arrays, tuples, ...)."""
    OUTCOME_CLASSES[f"{cls.__module__}:{cls.__qualname__}"] = cls
    return cls
