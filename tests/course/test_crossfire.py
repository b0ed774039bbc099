"""Cross-fire: a known mistake's hint names THAT mistake, never another one of the same exercise.

For every exercise (visible and hidden cases) and every `Mistake(wrong=...)`:
- the check shows the mistake's own hint on its wrong answer (and the wrong answer fails at all);
- on the case where it first fails, no other known wrong answer gives the same outcome, and no other
  mistake's detector recognizes it: the cases are chosen so that two mistakes never look alike (e.g.
  "lr applied twice" and "momentum applied twice" must not give equal numbers), and every detector looks
  at the whole outcome. So the order of the mistake list never decides which hint a learner gets.
"""

from __future__ import annotations

import pytest
from test_checks import EXERCISES

from tinyspore_grader.core import Raised, _same_error, recorded_checks


def spec_of(check, hidden):
    with recorded_checks() as specs:
        check(lambda *a, **k: None, hidden=hidden)
    assert len(specs) == 1, f"{check.__name__} should call run_check once"
    return specs[0]


def _same_outcome(spec, a, b, case):
    if isinstance(a, Raised) or isinstance(b, Raised):
        return _same_error(a, b)
    return bool(spec.match(a, b, case))


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("module, name, check, mistakes", EXERCISES)
def test_each_known_mistake_is_told_apart_from_the_others(module, name, check, mistakes, hidden):
    spec = spec_of(check, hidden)
    problems = []
    for mistake in mistakes:
        if mistake.wrong is None:
            continue
        verdict = spec.verdict(mistake.wrong)
        if verdict.passed:
            problems.append(f"{mistake.name!r}: the wrong answer passes")
            continue
        if verdict.mistake is not mistake:
            shown = verdict.mistake.name if verdict.mistake else verdict.diagnosis
            problems.append(f"{mistake.name!r}: case {verdict.number} shows the hint of {shown!r}")
        for other in mistakes:
            if other is mistake:
                continue
            if other.detect is not None and other.detect(verdict.case, verdict.got):
                problems.append(f"{mistake.name!r}: case {verdict.number} is also recognized by {other.name!r}")
            elif other.wrong is not None and _same_outcome(
                    spec, spec.outcome(other.wrong, verdict.case), verdict.got, verdict.case):
                problems.append(f"{mistake.name!r}: case {verdict.number} gives the same outcome as {other.name!r}")
    assert not problems, "\n".join(problems)


def _catalogue_entries(chapter: str) -> dict[str, int]:
    """{check name: number of learner answers in the chapter's catalogue that fail it with a named hint}:
    the assert_caught / assert_diagnosed calls of each test, times the test's parametrize cases."""
    import ast
    from pathlib import Path

    path = Path(__file__).resolve().parent / "mistakes" / f"test_{chapter}.py"
    counts: dict[str, int] = {}
    for node in ast.parse(path.read_text()).body if path.exists() else []:
        if not isinstance(node, ast.FunctionDef):
            continue
        times = 1
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call) and getattr(decorator.func, "attr", "") == "parametrize":
                values = decorator.args[1]
                times *= len(values.elts) if isinstance(values, (ast.List, ast.Tuple)) else 1
        for call in ast.walk(node):
            if (isinstance(call, ast.Call) and getattr(call.func, "id", "") in ("assert_caught", "assert_diagnosed")
                    and call.args and isinstance(call.args[0], ast.Name)):
                counts[call.args[0].id.lower()] = counts.get(call.args[0].id.lower(), 0) + times
    return counts


@pytest.mark.parametrize("module, name, check, mistakes", EXERCISES)
def test_every_exercise_has_six_learner_mistakes_in_its_catalogue(module, name, check, mistakes):
    chapter = module.__name__.rsplit(".", 1)[1]
    found = _catalogue_entries(chapter).get(check.__name__.lower(), 0)
    assert found >= 6, f"tests/course/mistakes/test_{chapter}.py has {found} wrong answers for {check.__name__}"
