"""Timing helpers shared by the benchmarks: interleaved repeats, medians, ratios against a baseline."""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable
from typing import Any


def samples_of(candidates: dict[str, Callable[[], object]], repeats: int, warmup: int = 20,
               clock: Callable[[], float] = time.perf_counter) -> dict[str, list[float]]:
    """Seconds of every call of each candidate, as measured by `clock` (wall clock by default;
    `time.process_time` gives CPU time, steadier on a shared machine).

    The candidates take turns call by call, so that a slow moment of the machine hits all of them alike.
    """
    for fn in candidates.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            start = clock()
            fn()
            samples[name].append(clock() - start)
    return samples


def best_of(candidates: dict[str, Callable[[], object]], repeats: int, warmup: int = 20,
            clock: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Median seconds per call of each candidate (see `samples_of`)."""
    return {name: statistics.median(times) for name, times in samples_of(candidates, repeats, warmup, clock).items()}


def report(medians: dict[str, float], baseline: str, unit: str, target: tuple[str, float] | None = None) -> None:
    """Print each median with its ratio to the baseline, and whether the target ratio is met."""
    scale = {"ms": 1e3, "us": 1e6}[unit]
    base = medians[baseline]
    for name, seconds in medians.items():
        print(f"  {name:<22} {seconds * scale:9.3f} {unit}   {seconds / base:5.2f}x {baseline}")
    if target is not None:
        name, limit = target
        ratio = medians[name] / base
        verdict = "meets" if ratio <= limit else "MISSES"
        print(f"  {name} {verdict} the target of <= {limit:.2f}x {baseline} ({ratio:.2f}x)")


def single_threaded() -> Any:
    """A context in which NumPy's BLAS uses one thread (threadpoolctl, shipped with scikit-learn)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(1)
