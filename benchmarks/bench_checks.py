"""How fast each exercise's check answers: the learner waits for it after every run of a test cell.

For every exercise, the visible and the hidden cases are run on the reference answer (every case runs)
and on the first known wrong answer (stops at the first failing case, then looks for the hint). The
design's target is "well under a second"; this prints each check's time and the slowest against 0.3 s.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import pkgutil
import time

import tinyspore_grader.checks
from tinyspore_grader import CheckFailure

TARGET_SECONDS = 0.3


def _named(module, prefix: str, key: str):
    """The attribute `<prefix><name>` whose name, without underscores and case, is `key` (or None)."""
    return next((value for attr, value in vars(module).items()
                 if attr.startswith(prefix) and attr.removeprefix(prefix).replace("_", "").lower() == key), None)


def _exercises():
    """(chapter, check, [reference, first wrong answer]) for every exercise (every `<NAME>_MISTAKES` list)."""
    for info in pkgutil.iter_modules(tinyspore_grader.checks.__path__):
        if not info.name.startswith("ch"):
            continue
        module = importlib.import_module(f"tinyspore_grader.checks.{info.name}")
        for attr, mistakes in list(vars(module).items()):
            if not (attr.endswith("_MISTAKES") and attr.isupper()):
                continue
            key = attr.removesuffix("_MISTAKES").replace("_", "").lower()
            reference = _named(module, "reference_", key)
            wrong = next((m.wrong for m in mistakes if m.wrong is not None), None)
            yield info.name, _named(module, "check_", key), [a for a in (reference, wrong) if a is not None]


def _time_check(check, answers) -> float:
    start = time.perf_counter()
    for answer in answers:
        for hidden in (False, True):
            with contextlib.suppress(CheckFailure), contextlib.redirect_stdout(io.StringIO()):
                check(answer, hidden=hidden)
    return time.perf_counter() - start


def main() -> None:
    print(f"each check, visible + hidden cases, on the reference and on a wrong answer (target < {TARGET_SECONDS} s)")
    timings = [(f"{chapter}.{check.__name__}", _time_check(check, answers))
               for chapter, check, answers in _exercises()]
    for name, seconds in timings:
        print(f"  {name:<45} {seconds * 1e3:8.1f} ms")
    name, slowest = max(timings, key=lambda item: item[1])
    verdict = "meets" if slowest < TARGET_SECONDS else "MISSES"
    print(f"  slowest: {name}, {slowest * 1e3:.1f} ms: {verdict} the target of < {TARGET_SECONDS} s")
