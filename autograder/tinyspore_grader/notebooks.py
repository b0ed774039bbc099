"""Building and releasing chapters: text source -> executed instructor notebook -> nbgrader release.

    solutions/NN_topic/NN_topic.py     the text source (jupytext py:percent), what authors edit
    solutions/NN_topic/NN_topic.ipynb  `build`: converted with jupytext, executed with nbclient, outputs kept
    course/NN_topic/NN_topic.ipynb     `release`: nbgrader generate_assignment (stubs, no hidden tests)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat

PACKAGE_DIR = Path(__file__).resolve().parent
AUTOGRADER_DIR = PACKAGE_DIR.parent
REPO = AUTOGRADER_DIR.parent
SOLUTIONS = REPO / "solutions"
COURSE = REPO / "course"
NBGRADER_CONFIG = AUTOGRADER_DIR / "nbgrader_config.py"

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def chapters(root: Path = SOLUTIONS) -> list[str]:
    """The chapter ids found in `root`: folders named like `01_tensors` that hold `01_tensors.py` or `.ipynb`."""
    found = []
    for folder in sorted(root.glob("[0-9][0-9]_*")):
        if folder.is_dir() and any((folder / f"{folder.name}{ext}").exists() for ext in (".py", ".ipynb")):
            found.append(folder.name)
    return found


def resolve(names: list[str], root: Path = SOLUTIONS) -> list[str]:
    """Chapter ids from command-line names: `01_tensors`, `01`, a path to the folder; all when empty."""
    every = chapters(root)
    if not names:
        return every
    picked = []
    for name in names:
        base = Path(name).name.removesuffix(".py").removesuffix(".ipynb")
        match = [c for c in every if c == base or c.split("_", 1)[0] == base]
        if len(match) != 1:
            raise SystemExit(f"no chapter called {name!r}; chapters: {', '.join(every)}")
        picked.append(match[0])
    return picked


def notebook_from_source(source: Path) -> nbformat.NotebookNode:
    """The notebook of a py:percent text source, with fixed cell ids and metadata (no jupytext pairing)."""
    import jupytext

    nb = jupytext.read(source, fmt="py:percent")
    nb.metadata.pop("jupytext", None)  # the release must not pair itself with a .py in the learner's Lab
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.nbformat, nb.nbformat_minor = 4, 5
    for index, cell in enumerate(nb.cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell["id"] = grade_id or f"cell-{index:03d}"  # stable ids: rebuilding changes nothing
    return nb


def execute(nb: nbformat.NotebookNode, folder: Path, timeout: int = 600,
            allow_errors: bool = False) -> nbformat.NotebookNode:
    """Run every cell of `nb` in a fresh python3 kernel started in `folder`; outputs are stored in `nb`."""
    from nbclient import NotebookClient

    env = dict(os.environ, PYTHONHASHSEED="0", MPLBACKEND="module://matplotlib_inline.backend_inline")
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                            record_timing=False, resources={"metadata": {"path": str(folder)}})
    client.execute(env=env, stderr=subprocess.DEVNULL)  # the kernel process's own log, not cell output
    return nb


def build(chapter: str) -> Path:
    """solutions/<chapter>/<chapter>.py -> the executed solutions/<chapter>/<chapter>.ipynb."""
    folder = SOLUTIONS / chapter
    nb = notebook_from_source(folder / f"{chapter}.py")
    execute(nb, folder)
    target = folder / f"{chapter}.ipynb"
    nbformat.write(nb, target)
    return target


def nbgrader_command(*args: str) -> list[str]:
    """`python -m nbgrader ...` with our config file (nbgrader reads nbgrader_config.py from its cwd)."""
    return [sys.executable, "-m", "nbgrader", *args]


def generate_assignment(chapter: str, *, root: Path | None = None, source: Path | None = None,
                        release: Path | None = None, quiet: bool = True) -> None:
    """Run nbgrader's own generate_assignment on one chapter (defaults: the repo's course, from the config).

    chapter: a chapter id, or a glob such as "[0-9][0-9]_*" (every chapter in one nbgrader run).
    root/source/release override the config, e.g. to release into a temporary course for a comparison.
    """
    args = ["generate_assignment", chapter, "--force"]
    if root is not None:
        args.append(f"--CourseDirectory.root={root}")
        args.append(f"--CourseDirectory.db_url=sqlite:///{Path(root) / 'gradebook.db'}")
    if source is not None:
        args.append(f"--CourseDirectory.source_directory={source}")
    if release is not None:
        args.append(f"--CourseDirectory.release_directory={release}")
    if quiet:
        args.append("--log-level=WARN")
    done = subprocess.run(nbgrader_command(*args), cwd=AUTOGRADER_DIR, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment {chapter} failed:\n{done.stdout}\n{done.stderr}")


def nbgrader(*args: str, root: Path, check: bool = True) -> subprocess.CompletedProcess:
    """Run any nbgrader command with our config, in a course rooted at `root` (e.g. a temporary folder)."""
    overrides = [f"--CourseDirectory.root={root}", f"--CourseDirectory.db_url=sqlite:///{Path(root) / 'gradebook.db'}"]
    done = subprocess.run(nbgrader_command(*args, *overrides), cwd=AUTOGRADER_DIR, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done
