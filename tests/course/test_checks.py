"""Generic tests of the check library, over every chapter's check module (nothing to register).

Every known mistake that comes with a wrong implementation (`Mistake(wrong=...)`) must be caught by its own
exercise's check, with its own hint: otherwise the hint could never be shown, or would be shown for the
wrong reason. Checks must also answer fast, and stubs get the one-line not-implemented message.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from pathlib import Path

import pytest
from helpers import assert_not_implemented, failure

import tinyspore_grader.checks
from tinyspore_grader import Mistake


def _check_modules():
    return [importlib.import_module(f"tinyspore_grader.checks.{m.name}")
            for m in pkgutil.iter_modules(tinyspore_grader.checks.__path__) if m.name.startswith("ch")]


def _exercises():
    """(module, exercise name, check, mistakes) for every `<NAME>_MISTAKES` list and its check.

    The check is `check_<name>` spelled as the exercise is: SUM_TO_SHAPE_MISTAKES goes with check_sum_to_shape,
    DENSE_MISTAKES with check_Dense (a class exercise), STEP_OPTIMIZER_MISTAKES with check_StepOptimizer.
    """
    def key(text: str) -> str:
        return text.replace("_", "").lower()

    found = []
    for module in _check_modules():
        checks = {key(attr.removeprefix("check_")): value for attr, value in vars(module).items()
                  if attr.startswith("check_") and callable(value)}
        for attr, value in vars(module).items():
            if attr.endswith("_MISTAKES") and attr.isupper():
                name = attr.removesuffix("_MISTAKES").lower()
                check = checks.get(key(name))
                assert check is not None, f"{module.__name__}.{attr} has no check_<{name}> in any spelling"
                found.append(pytest.param(module, name, check, value, id=f"{module.__name__.rsplit('.', 1)[1]}.{name}"))
    return found


EXERCISES = _exercises()
MISTAKES_DIR = Path(__file__).resolve().parent / "mistakes"


@pytest.mark.parametrize("module, name, check, mistakes", EXERCISES)
def test_every_wrong_mistake_gets_its_own_hint(module, name, check, mistakes):
    for mistake in mistakes:
        assert isinstance(mistake, Mistake)
        if mistake.wrong is None:
            continue
        message = failure(check, mistake.wrong)
        assert f"hint:     {mistake.hint}" in message, f"mistake {mistake.name!r} got another hint:\n{message}"


@pytest.mark.parametrize("module, name, check, mistakes", EXERCISES)
def test_every_detect_only_mistake_has_a_catalogue_test(module, name, check, mistakes):
    """A `Mistake(detect=...)` is only proven to fire by a learner-style wrong answer in the catalogue."""
    chapter = module.__name__.rsplit(".", 1)[1]
    catalogue = MISTAKES_DIR / f"test_{chapter}.py"
    calls = _assert_caught_calls(catalogue.read_text() if catalogue.exists() else "", check.__name__)
    missing = [m.name for m in mistakes if m.wrong is None
               and not any(repr(m.name) in call or json.dumps(m.name) in call for call in calls)]
    assert not missing, f"no assert_caught({check.__name__}, ..., <name>) in {catalogue.name} for: {missing}"


def _assert_caught_calls(text: str, check_name: str) -> list[str]:
    """The argument text of each `assert_caught(<check_name>, ...)` call in a catalogue (any letter case)."""
    chunks = [chunk.split("\ndef ")[0] for chunk in text.split("assert_caught(")[1:]]
    return [c for c in chunks if re.match(rf"\s*{re.escape(check_name)}\s*,", c, re.IGNORECASE)]


@pytest.mark.parametrize("module, name, check, mistakes", EXERCISES)
def test_stub_gets_the_not_implemented_message(module, name, check, mistakes):
    def stub(*args, **kwargs):
        raise NotImplementedError()

    assert_not_implemented(check, stub)


