"""Every exercise declares the engine code that is its answer, and while it is graded that code is gone:
calling it (or the check's reference) raises, also through references saved before, and no original survives."""

from __future__ import annotations

import multiprocessing
import types

import pytest

from tinyspore_grader.exercises import Rule
from tinyspore_grader.grading import worker

worker.register()
CHECKS = sorted(worker.PRISTINE.checks)


def _calls(item) -> list:
    """Ways to run a forbidden item: the thing itself (no arguments needed: the stub raises first)."""
    if isinstance(item, Rule):
        nested = [c for c in item.function.__code__.co_consts
                  if isinstance(c, types.CodeType) and c.co_name == item.nested]
        return [types.FunctionType(c, item.function.__globals__, closure=tuple(types.CellType(None)
                                                                               for _ in c.co_freevars))
                for c in nested]
    functions = [fn for fn, _ in worker._functions_of(item)]
    assert functions, f"{item!r} has no code of its own to forbid (name the class that defines its methods)"
    return functions


def _child(key: str, saved, queue) -> None:
    try:
        check = worker.PRISTINE.checks[key]
        items = worker.forbidden_items(check)
        status = worker.forbid(items)
        results = []
        for item in items + [saved]:
            for run in _calls(item):
                try:
                    run()
                    results.append((repr(item), "ran"))
                except worker.ForbiddenCall as error:
                    results.append((repr(item), f"forbidden: {error}"))
                except BaseException as error:  # noqa: BLE001
                    results.append((repr(item), f"{type(error).__name__}: {error}"))
        queue.put((status["alive"], results, len(items)))
    except BaseException as error:  # noqa: BLE001
        queue.put((None, [("setup", repr(error))], 0))


@pytest.mark.parametrize("key", CHECKS, ids=lambda k: k.rsplit(":", 1)[-1])
def test_forbidden_code_raises_while_graded(key):
    check = worker.PRISTINE.checks[key]
    assert isinstance(check.forbidden, tuple) and callable(check.reference)
    items = worker.forbidden_items(check)
    saved = items[-1]  # a reference taken before grading: the same object, so it is stubbed too
    queue = multiprocessing.get_context("fork").Queue()
    process = multiprocessing.get_context("fork").Process(target=_child, args=(key, saved, queue))
    process.start()
    alive, results, count = queue.get(timeout=60)
    process.join(timeout=30)
    assert count == len(items) and results
    assert all(outcome.startswith("forbidden: ") for _, outcome in results), results
    assert alive == 0, f"{alive} original code objects can still be reached"


def test_every_chapter_forbids_some_engine_code():
    """Beyond the references: chapters 01-06 each name engine code (the warm-ups of 00 are NumPy only)."""
    engine = {k.split(":")[0].rsplit(".", 1)[-1][:4] for k in CHECKS if worker.PRISTINE.checks[k].forbidden}
    assert {"ch01", "ch02", "ch03", "ch04", "ch05", "ch06"} <= engine
