"""The README's test command collects the right things: tests/, and nbval on solutions/*/*.ipynb only.

course/ notebooks are stubs meant to fail, so nbval must not collect them; the chapters' .py text sources
are not tests either.
"""

from __future__ import annotations

import subprocess
import sys

from helpers import REPO, SOLUTIONS


def test_plain_pytest_collects_tests_and_instructor_notebooks_only():
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    ids = [line for line in done.stdout.splitlines() if "::" in line]
    files = {line.split("::")[0] for line in ids}
    notebooks = {f for f in files if f.endswith(".ipynb")}
    # ...and one Chinese instructor notebook (solutions/zh/conftest.py says which and why)
    assert notebooks == {str(p.relative_to(REPO)) for p in SOLUTIONS.glob("[0-9][0-9]_*/*.ipynb")} | {
        "solutions/zh/00_welcome/00_welcome.ipynb"}
    assert all(f.startswith("tests/") for f in files - notebooks), sorted(files - notebooks)
    assert not any(f.startswith("course/") for f in files)
    assert not any(f.startswith("solutions/") and f.endswith(".py") for f in files)
    # every code cell of every instructor notebook is an nbval test item
    assert any(i.startswith("solutions/01_tensors/01_tensors.ipynb::Cell ") for i in ids)
