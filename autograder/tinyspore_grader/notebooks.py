"""Building and releasing chapters: text source -> executed instructor notebook -> nbgrader release.

    solutions/NN_topic/NN_topic.py     the text source (jupytext py:percent), what authors edit
    solutions/NN_topic/NN_topic.ipynb  `build`: converted with jupytext, executed with nbclient, outputs kept
    course/NN_topic/NN_topic.ipynb     `release`: nbgrader generate_assignment (stubs, no hidden tests)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
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


# Run All in JupyterLab sends each cell with `stop_on_error`, so the first error aborts every cell queued
# after it, unless the cell carries this tag (JupyterLab's OutputArea.execute honours it; so do nbclient and
# nbval, which still compare the cell's outputs). Graded cells fail in an untouched chapter by design (their
# stubs raise NotImplementedError), so they carry it: Run All goes on to every demo and figure below them.
CONTINUE_TAG = "raises-exception"


def is_graded(cell: nbformat.NotebookNode) -> bool:
    """An nbgrader answer cell or test cell: the cells that fail, on purpose, in an untouched chapter."""
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade") or meta.get("solution"))


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
        if is_graded(cell) and CONTINUE_TAG not in cell.metadata.get("tags", []):
            cell.metadata["tags"] = [*cell.metadata.get("tags", []), CONTINUE_TAG]
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


def course_root(edition: str = "en") -> Path:
    """The folder nbgrader runs in for an edition: its nbgrader_config.py (English: autograder/, Chinese:
    autograder/zh/, whose source is solutions/zh/ and release course/zh/; see `tinyspore_grader.editions`)."""
    return AUTOGRADER_DIR if edition == "en" else AUTOGRADER_DIR / edition


def release_dir(edition: str = "en") -> Path:
    """The edition's learner notebooks, nbgrader's release directory (English: course/, Chinese: course/zh/)."""
    return COURSE if edition == "en" else COURSE / edition


def nbgrader_command(*args: str) -> list[str]:
    """`python -m nbgrader ...` with our config file (nbgrader reads nbgrader_config.py from its cwd)."""
    return [sys.executable, "-m", "nbgrader", *args]


def nbgrader_env() -> dict[str, str]:
    """The environment for nbgrader: this Python's bin/ first on PATH, whatever the caller's PATH.

    nbgrader creates a gradebook by running `alembic` by its bare name, which lives beside this Python.
    """
    here = os.path.dirname(sys.executable)
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != here]
    return dict(os.environ, PATH=os.pathsep.join([here, *path]))


def _run_nbgrader(args: list[str], what: str, check: bool = True, edition: str = "en") -> subprocess.CompletedProcess:
    done = subprocess.run(nbgrader_command(*args), cwd=course_root(edition), capture_output=True, text=True,
                          env=nbgrader_env())
    if check and done.returncode != 0:
        raise RuntimeError(f"nbgrader {what} failed:\n{done.stdout}\n{done.stderr}")
    return done


def generate_assignment(chapter: str, *, root: Path | None = None, source: Path | None = None,
                        release: Path | None = None, quiet: bool = True, edition: str = "en") -> None:
    """Run nbgrader's own generate_assignment on one chapter (defaults: the repo's course, from the config).

    chapter: a chapter id, or a glob such as "[0-9][0-9]_*" (every chapter in one nbgrader run).
    root/source/release override the config, e.g. to release into a temporary course for a comparison.
    Without `root`, nbgrader works in a temporary course (its gradebook included) and the chapters it made
    replace those in course/ only once it succeeded: a failed release leaves course/ as it was.
    edition: "en" (solutions/ -> course/) or "zh" (solutions/zh/ -> course/zh/, config autograder/zh/).
    """
    if root is None:
        with tempfile.TemporaryDirectory(prefix="tinyspore-release-") as tmp:
            staged = Path(tmp) / "release"
            generate_assignment(chapter, root=Path(tmp), source=source, release=staged, quiet=quiet, edition=edition)
            _replace_chapters(staged, release or release_dir(edition))
        return
    args = ["generate_assignment", chapter, "--force",
            f"--CourseDirectory.root={root}", f"--CourseDirectory.db_url=sqlite:///{Path(root) / 'gradebook.db'}"]
    if source is not None:
        args.append(f"--CourseDirectory.source_directory={source}")
    if release is not None:
        args.append(f"--CourseDirectory.release_directory={release}")
    if quiet:
        args.append("--log-level=WARN")
    _run_nbgrader(args, f"generate_assignment {chapter}", edition=edition)


def _replace_chapters(staged: Path, course: Path) -> None:
    """Move each chapter folder of `staged` into `course`, replacing the old one by a rename."""
    made = sorted(p for p in staged.iterdir() if p.is_dir())
    if not made:
        raise RuntimeError(f"nbgrader made no chapter in {staged}")
    course.mkdir(parents=True, exist_ok=True)
    for folder in made:
        target = course / folder.name
        incoming = course / f".{folder.name}.incoming"
        shutil.rmtree(incoming, ignore_errors=True)
        shutil.copytree(folder, incoming)  # on course/'s own file system, so the swap below is a rename
        if target.exists():
            old = course / f".{folder.name}.old"
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
            incoming.rename(target)
            shutil.rmtree(old)
        else:
            incoming.rename(target)


def nbgrader(*args: str, root: Path, check: bool = True, edition: str = "en") -> subprocess.CompletedProcess:
    """Run any nbgrader command with the edition's config, in a course rooted at `root` (e.g. a temporary folder)."""
    overrides = [f"--CourseDirectory.root={root}", f"--CourseDirectory.db_url=sqlite:///{Path(root) / 'gradebook.db'}"]
    return _run_nbgrader([*args, *overrides], " ".join(args), check=check, edition=edition)
