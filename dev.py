#!/usr/bin/env python3
"""The project's two commands, for a fresh machine with only Python 3.10+.

    python3 dev.py lab     set everything up (a .venv beside this file) and open the course in JupyterLab
    python3 dev.py test    set everything up and run every test (what CI runs)

Other commands, for maintainers:

    python3 dev.py release     regenerate course/ from solutions/ with nbgrader generate_assignment
    python3 dev.py bench       run the benchmarks (prints ratios against baselines measured in the same run)

Setup is skipped when .venv is already installed from the current pyproject.toml.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".tinyspore-installed"


def _say(message: str) -> None:
    print(f"[dev.py] {message}", flush=True)


def _run(*args: str | Path, **kwargs) -> int:
    return subprocess.call([str(a) for a in args], cwd=ROOT, **kwargs)


def setup() -> None:
    """Create .venv and install the project with its course and test dependencies (editable)."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        _say(f"creating {VENV.relative_to(ROOT)}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    _say("installing tinyspore with the course and test dependencies (a few minutes the first time)")
    if _run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip") != 0:
        sys.exit("pip could not upgrade itself; see the messages above")
    if _run(PYTHON, "-m", "pip", "install", "--quiet", "-e", ".[dev]") != 0:
        sys.exit("installing the project failed; see the messages above")
    STAMP.write_text(wanted)


def lab_argv(python: str | Path, extra: list[str]) -> list[str]:
    """The JupyterLab command line on course/ (tests/test_lab.py runs exactly this)."""
    as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []  # containers run as root
    return [str(python), "-m", "jupyterlab", f"--notebook-dir={ROOT / 'course'}", *as_root, *extra]


def lab(extra: list[str]) -> int:
    setup()
    _say("opening the course in JupyterLab (Ctrl-C to stop)")
    return _run(*lab_argv(PYTHON, extra))


def test(extra: list[str]) -> int:
    setup()
    code = _run(PYTHON, "-m", "pytest", *extra)
    if code == 5:
        _say("pytest ran no test: that is a failure here")
        return 1
    return code


def release(extra: list[str]) -> int:
    setup()
    return _run(PYTHON, "-m", "tinyspore_grader", "release", *extra)


def bench(extra: list[str]) -> int:
    setup()
    return _run(PYTHON, ROOT / "benchmarks" / "run.py", *extra)


COMMANDS = {"lab": lab, "test": test, "release": release, "bench": bench}


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 10):  # noqa: UP036 (this file must run on old Pythons to say so)
        sys.exit(f"TinySpore needs Python 3.10 or newer; this is {sys.version.split()[0]}")
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
