"""The held-out set's registry: `@held(check, expect)` records an answer and what its feedback must name."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Entry:
    check: Callable
    answer: Any
    expect: tuple[str, ...] | None  # None: a correct answer
    where: str  # file:line of the answer, for the report

    @property
    def label(self) -> str:
        return f"{self.check.__name__.removeprefix('check_')} @ {self.where}"


ENTRIES: list[Entry] = []


def held(check: Callable, expect: str | tuple[str, ...] | None) -> Callable:
    """Record the decorated answer of `check`'s exercise; `expect` names what its hint must name (None: correct)."""
    def record(answer: Any) -> Any:
        frame = inspect.getframeinfo(inspect.currentframe().f_back)
        names = None if expect is None else ((expect,) if isinstance(expect, str) else tuple(expect))
        ENTRIES.append(Entry(check, answer, names, f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"))
        return answer
    return record
