"""The learner's self-check: run your notebooks in fresh kernels and list each exercise's verdict.

    python -m tinyspore_grader check course/               every chapter
    python -m tinyspore_grader check course/01_tensors     one chapter (or a path to one .ipynb)

The notebooks are run on copies, so your files and their outputs are left as they are. The table shows, for
each graded test cell: passed, failed (with the check's whole verdict below it: the case, its input, expected,
got and the hint) or not attempted (the stub is still there). Only the visible tests run here; the
instructor's grading adds hidden cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from tinyspore.common.i18n import language_of, using

from .core import NOT_IMPLEMENTED
from .i18n import N_, _


@dataclass
class Verdict:
    chapter: str
    exercise: str  # "01.2 sum_to_shape", or the test cell's grade_id when the output does not say
    points: float
    status: str  # "passed" | "failed" | "not attempted"
    detail: str = ""  # one line: why it failed, when the check's verdict does not say it below
    lines: list[str] = field(default_factory=list)  # a failed check's verdict: case, input, expected, got, hint

    @property
    def earned(self) -> float:
        return self.points if self.status == "passed" else 0.0


def find_notebooks(paths: list[str]) -> list[Path]:
    """The chapter notebooks under `paths`: NN_topic/NN_topic.ipynb files, or the .ipynb files given."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_file() and path.suffix == ".ipynb":
            found.append(path)
        elif (path / f"{path.name}.ipynb").is_file():
            found.append(path / f"{path.name}.ipynb")
        elif path.is_dir():
            found.extend(p for p in sorted(path.glob("[0-9][0-9]_*/*.ipynb")) if ".ipynb_checkpoints" not in p.parts)
        else:
            raise SystemExit(f"no notebook at {name}")
    return found


# The English and the Chinese edition's words for an exercise, and the heading of an exercise.
_EXERCISE = re.compile(r"(?:Exercise|练习) (\d+\.\d+ \w+)")
_HEADING = re.compile(r"^#+ (?:Exercise|练习) (\d+\.\d+)[:：] ?(\w+)", re.MULTILINE)
STATUSES = (N_("passed"), N_("failed"), N_("not attempted"))  # Verdict.status, shown as _(status)


def _text(output: dict) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    if output.get("output_type") == "error":
        return f"{output.get('ename', '')}: {output.get('evalue', '')}"
    return output.get("data", {}).get("text/plain", "")


def verdict_of(cell: dict, chapter: str, label: str | None = None) -> Verdict:
    """Read an executed graded test cell: its outputs say whether the check passed.

    label: how to name the exercise when the outputs do not (e.g. "01.3 matmul_checked", from the heading).
    """
    meta = cell["metadata"]["nbgrader"]
    text = "\n".join(_text(o) for o in cell.get("outputs", []))
    named = _EXERCISE.search(text)
    exercise = named.group(1) if named else label or meta["grade_id"].removesuffix("_test")
    points = float(meta.get("points", 0))
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if cell.get("execution_count") is None:  # the run stopped before this cell (time limit, dead kernel)
        return Verdict(chapter, exercise, points, "failed", _("did not run: the notebook stopped before this cell"))
    if not errors:
        return Verdict(chapter, exercise, points, "passed")
    error = errors[0]
    message = error.get("evalue", "")
    if NOT_IMPLEMENTED in message or _(NOT_IMPLEMENTED) in message or error.get("ename") == "NotImplementedError":
        return Verdict(chapter, exercise, points, "not attempted")
    if error.get("ename") == "NameError":
        return Verdict(chapter, exercise, points, "failed",
                       _("{message}: did the answer cell above fail?").format(message=message))
    lines = [line.rstrip() for line in message.strip().splitlines()]
    if error.get("ename") == "CheckFailure" and lines:
        # "✘ Exercise 01.2 sum_to_shape: case 2 of 6 fails (...)": the row already names the exercise.
        lines[0] = re.split(r": |：", lines[0], maxsplit=1)[-1] if _EXERCISE.search(lines[0]) else lines[0]
        return Verdict(chapter, exercise, points, "failed", lines=[line.strip() for line in lines])
    first = lines[0] if lines else ""
    return Verdict(chapter, exercise, points, "failed", f"{error.get('ename')}: {first}")


def run_notebook(path: Path, timeout: int = 300) -> list[Verdict]:
    """Execute a copy of the notebook at `path` in a fresh kernel (errors allowed) and read its test cells."""
    from .notebooks import execute

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # a learner's saved outputs must not count as this run's
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    try:
        execute(nb, path.parent, timeout=timeout, allow_errors=True)
    except Exception as error:  # noqa: BLE001 - a cell over the time limit or a dead kernel ends the run
        print("  " + _("the run of {name} stopped: {error}").format(
            name=path.name, error=f"{type(error).__name__}: {str(error).strip().splitlines()[0]}"))
    chapter = path.stem
    verdicts, label = [], None
    for cell in nb.cells:
        heading = _HEADING.search(cell.source) if cell.cell_type == "markdown" else None
        if heading:
            label = f"{heading.group(1)} {heading.group(2)}"
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            verdicts.append(verdict_of(cell, chapter, label))
    return verdicts


def _fmt(points: float) -> str:
    return f"{points:g}"


def table(verdicts: list[Verdict]) -> str:
    """The per-exercise table, grouped by chapter, with each failed check's whole verdict, and a total line."""
    lines = []
    width = max([len(v.exercise) for v in verdicts] + [8])
    chapter = None
    for v in verdicts:
        if v.chapter != chapter:
            chapter = v.chapter
            lines.append(f"{chapter}")
        status = _(v.status) + (_(": {detail}").format(detail=v.detail) if v.detail else "")
        lines.append(f"  {v.exercise:<{width}}  {_fmt(v.earned):>3} / {_fmt(v.points):<3}  {status}")
        lines.extend(f"      {line}" for line in v.lines)
    earned = sum(v.earned for v in verdicts)
    total = sum(v.points for v in verdicts)
    counts = {s: sum(v.status == s for v in verdicts) for s in ("passed", "failed", "not attempted")}
    lines.append(_("total: {earned} / {total} points on the visible tests ({passed} passed, {failed} failed, "
                   "{not_attempted} not attempted)").format(
        earned=_fmt(earned), total=_fmt(total), passed=counts["passed"], failed=counts["failed"],
        not_attempted=counts["not attempted"]))
    return "\n".join(lines)


def main(paths: list[str]) -> int:
    notebooks = find_notebooks(paths)
    if not notebooks:
        print(_("no chapter notebooks found"))
        return 1
    editions = {language_of(path.parent) for path in notebooks}
    with using(editions.pop() if len(editions) == 1 else "en"):  # the table speaks the notebooks' language
        verdicts: list[Verdict] = []
        for path in notebooks:
            print(_("running {path} ...").format(path=path), flush=True)
            verdicts.extend(run_notebook(path))
        print(table(verdicts))
    return 0 if all(v.status == "passed" for v in verdicts) else 1
