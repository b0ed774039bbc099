"""Compare what a tutorial script recorded on tinyspore with what it recorded on MindSpore 2.10."""

from __future__ import annotations

import math
from typing import Any

RTOL, ATOL = 1e-4, 1e-5  # float32 sums in another order, over a few training steps


def differences(expected: Any, got: Any, where: str = "") -> list[str]:
    """Every place where `got` differs from `expected`: exact for shapes, dtypes, ints and strings;
    floats within RTOL/ATOL."""
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return [f"{where}: expected a dict, got {type(got).__name__} {got!r}"]
        out = []
        if set(expected) != set(got):
            out.append(f"{where}: keys {sorted(got)} instead of {sorted(expected)}")
        for key in expected:
            if key in got:
                out += differences(expected[key], got[key], f"{where}.{key}" if where else key)
        return out
    if isinstance(expected, list):
        if not isinstance(got, list) or len(got) != len(expected):
            return [f"{where}: expected {_short(expected)}, got {_short(got)}"]
        out = []
        for i, (e, g) in enumerate(zip(expected, got)):
            out += differences(e, g, f"{where}[{i}]")
        return out
    if isinstance(expected, float) or (isinstance(expected, int) and isinstance(got, float)):
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return [f"{where}: expected {expected!r}, got {got!r}"]
        if math.isnan(expected) and math.isnan(got):
            return []
        if not math.isclose(got, expected, rel_tol=RTOL, abs_tol=ATOL):
            return [f"{where}: expected {expected!r}, got {got!r}"]
        return []
    if expected != got or type(expected) is not type(got):
        return [f"{where}: expected {expected!r}, got {got!r}"]
    return []


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 120 else text[:117] + "..."
