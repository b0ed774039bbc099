#!/usr/bin/env python3
"""Run every benchmark: `python3 dev.py bench [core|cnn|checks|grading]` (all of them without a name)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BENCHMARKS = {"core": "benchmarks.bench_core", "cnn": "benchmarks.bench_cnn", "checks": "benchmarks.bench_checks",
              "grading": "benchmarks.bench_grading"}


def main(names: list[str]) -> None:
    for name in names or list(BENCHMARKS):
        if name not in BENCHMARKS:
            sys.exit(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
        print(f"===== {name} =====")
        importlib.import_module(BENCHMARKS[name]).main()
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
