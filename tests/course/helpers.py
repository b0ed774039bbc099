"""Shared helpers of the course tests: assert what a check says about an answer, and read the chapters.

In a mistake catalogue (tests/course/mistakes/test_chNN_topic.py):

    from helpers import assert_caught, assert_passes   # tests/course/ is on sys.path (conftest.py)
    from tinyspore_grader.checks.ch01_tensors import SUM_TO_SHAPE_MISTAKES, check_sum_to_shape

    def test_sum_to_shape_forgets_keepdims():
        def sum_to_shape(grad, shape):          # written the way a learner writes it
            return grad.sum(axis=0)
        assert_caught(check_sum_to_shape, sum_to_shape, "dropped the size-1 axis")
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tinyspore_grader import CheckFailure
from tinyspore_grader.core import NOT_IMPLEMENTED

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS = REPO / "solutions"
COURSE = REPO / "course"


def chapters() -> list[str]:
    """Every chapter of the course: the folders solutions/NN_topic/ (the generic tests run on each).

    While writing a chapter, `TINYSPORE_CHAPTERS=02_cells python -m pytest tests/course` limits the generic
    tests to the chapters listed (comma-separated); CI sets nothing and tests every chapter.
    """
    found = sorted(p.name for p in SOLUTIONS.glob("[0-9][0-9]_*") if p.is_dir())
    wanted = os.environ.get("TINYSPORE_CHAPTERS")
    if wanted:
        found = [c for c in found if c in wanted.split(",")]
    return found


def failure(check: Callable, answer: Any, hidden: bool = False) -> str:
    """The message of the CheckFailure that `check(answer)` raises (the test fails if it passes)."""
    with contextlib.redirect_stdout(io.StringIO()) as out:
        try:
            check(answer, hidden=hidden)
        except CheckFailure as error:
            return str(error)
    raise AssertionError(f"{check.__name__} accepted a wrong answer; it printed: {out.getvalue().strip()}")


def _mistake_hint(check: Callable, mistake: str) -> str:
    """The hint of the known mistake called `mistake`, from the check's module (its *_MISTAKES lists)."""
    import sys

    module = sys.modules[check.__module__]
    for name, value in vars(module).items():
        if name.endswith("MISTAKES") and isinstance(value, (list, tuple)):
            for m in value:
                if getattr(m, "name", None) == mistake:
                    return m.hint
    raise AssertionError(f"no known mistake called {mistake!r} in {module.__name__}")


def assert_caught(check: Callable, answer: Any, mistake: str) -> str:
    """`check` rejects `answer` (visible and hidden cases) and the visible feedback gives `mistake`'s hint.

    Also asserts the message's layout: verdict line with the exercise id, the case, expected, got, hint.
    Returns the message, for extra assertions.
    """
    message = failure(check, answer)
    hint = _mistake_hint(check, mistake)
    assert re.match(r"✘ Exercise \d\d\.\d+ \w+: ", message), message
    assert f"hint:     {hint}" in message, f"expected the hint of {mistake!r}, got:\n{message}"
    if "not implemented" not in message:
        assert "\n  input:    " in message and "\n  expected: " in message and "\n  got:      " in message, message
    failure(check, answer, hidden=True)
    return message


def assert_diagnosed(check: Callable, answer: Any, diagnosis: str, phrase: str = "") -> str:
    """`check` rejects `answer` (visible and hidden), no known mistake claims it, and the visible feedback is
    the diagnosis called `diagnosis` (see tinyspore_grader.diagnose), containing `phrase`. Returns the message."""
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            check(answer)
        except CheckFailure as error:
            message = str(error)
            assert error.mistake is None, f"known mistake {error.mistake!r} claimed it:\n{message}"
            assert error.diagnosis == diagnosis, f"expected the diagnosis {diagnosis!r}, got {error.diagnosis!r}:\n{message}"
            assert phrase in message, f"expected {phrase!r} in:\n{message}"
        else:
            raise AssertionError(f"{check.__name__} accepted a wrong answer")
    failure(check, answer, hidden=True)
    return message


def assert_passes(check: Callable, answer: Any) -> None:
    """`check` accepts `answer` on the visible and the hidden cases, printing one ✔ line each time."""
    for hidden in (False, True):
        with contextlib.redirect_stdout(io.StringIO()) as out:
            check(answer, hidden=hidden)
        lines = out.getvalue().strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("✔ Exercise "), lines


def assert_not_implemented(check: Callable, answer: Any) -> None:
    """`check` answers a stub with the friendly not-implemented message (visible and hidden)."""
    for hidden in (False, True):
        message = failure(check, answer, hidden=hidden)
        assert message.startswith("✘ Exercise ") and message.endswith(NOT_IMPLEMENTED), message
        assert "\n" not in message, message


# ----- reading the notebooks -------------------------------------------------------------------------
def read_notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def nbgrader_meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_answer_cell(cell: dict) -> bool:
    meta = nbgrader_meta(cell)
    return cell["cell_type"] == "code" and meta.get("solution", False) and not meta.get("grade", False)


def is_test_cell(cell: dict) -> bool:
    meta = nbgrader_meta(cell)
    return cell["cell_type"] == "code" and meta.get("grade", False) and not meta.get("solution", False)


def source(cell: dict) -> str:
    text = cell["source"]
    return "".join(text) if isinstance(text, list) else text


def test_cells(nb: dict) -> list[dict]:
    """The graded test cells of a notebook, in order."""
    return [c for c in nb["cells"] if is_test_cell(c)]


def points(nb: dict) -> dict[str, float]:
    """{test cell grade_id: points} from the nbgrader metadata."""
    return {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c)["points"]) for c in test_cells(nb)}
