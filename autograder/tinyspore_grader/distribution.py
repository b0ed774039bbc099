"""The learner distribution of a graded class: what an instructor hands out and installs for learners.

    python -m tinyspore_grader distribute OUT

writes OUT/ with
- `tinyspore-<version>-py3-none-any.whl`: the engine (`tinyspore`) and the check library
  (`tinyspore_grader`), built from pyproject.toml, installed with `pip install <wheel>[course]`;
- `course/`: the release notebooks (stubs, visible tests only), what nbgrader's generate_assignment made;
- `INSTALL.txt`: the two commands a learner runs.

It holds no instructor notebook (solutions/NN_topic/), no text source of a chapter, no solution region
and no hidden test: `check` verifies exactly that on what it wrote, and the tests run it. (A learner who
clones the repository instead gets everything: for a graded class, hand out this folder, not the repo.)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from .notebooks import COURSE, REPO

# Text that only instructor material contains (nbgrader's region markers, and the chapter sources).
# (Spelled in two parts, so that this very file, which is in the wheel, does not contain them.)
MARKERS = tuple("### " + m for m in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"))

INSTALL = """\
TinySpore, learner edition
==========================

    python3 -m venv .venv && .venv/bin/pip install "{wheel}[course]"
    .venv/bin/jupyter lab --notebook-dir=course

Each chapter is one notebook in course/. Run a test cell to check your answer.
"""


def build(out: Path) -> Path:
    """Write the learner distribution into `out` (replaced if it exists); return `out`."""
    out = Path(out).resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    with_wheel = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                                 "--wheel-dir", str(out), str(REPO)], capture_output=True, text=True)
    if with_wheel.returncode != 0:
        raise RuntimeError(f"building the wheel failed:\n{with_wheel.stdout}\n{with_wheel.stderr}")
    shutil.copytree(COURSE, out / "course", ignore=shutil.ignore_patterns(
        ".ipynb_checkpoints", "__pycache__", "*.pyc", "feedback", ".pytest_cache"))
    (wheel,) = out.glob("*.whl")
    (out / "INSTALL.txt").write_text(INSTALL.format(wheel=wheel.name))
    problems = check(out)
    if problems:
        raise RuntimeError("the learner distribution holds instructor material:\n" + "\n".join(problems))
    return out


def _files(out: Path):
    """(name, bytes) of every file in `out`, the wheel's members included."""
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.suffix == ".whl":
            with zipfile.ZipFile(path) as wheel:
                for member in wheel.namelist():
                    yield f"{path.name}!{member}", wheel.read(member)
        elif path.is_file():
            yield str(path.relative_to(out)), path.read_bytes()


def check(out: Path) -> list[str]:
    """What in `out` is instructor material: solution regions, hidden tests, instructor notebooks, sources."""
    problems = []
    release = {p.name for p in COURSE.rglob("*.ipynb")}  # every edition (course/zh/ too)
    for name, data in _files(Path(out)):
        base = name.replace("!", "/").rsplit("/", 1)[-1]
        text = data.decode("utf-8", errors="replace") if base.endswith((".py", ".ipynb")) else ""
        for marker in MARKERS:  # in code and notebooks (the README, the wheel's METADATA, explains them)
            if marker in text:
                problems.append(f"{name}: contains {marker!r}")
        if base.endswith(".ipynb") and not name.startswith("course/"):
            problems.append(f"{name}: a notebook outside course/")
        if base.endswith(".ipynb") and name.startswith("course/") and base not in release:
            problems.append(f"{name}: not a release notebook")
        if base[:3].rstrip("_").isdigit() and base.endswith(".py"):
            problems.append(f"{name}: a chapter's text source")
    return problems
