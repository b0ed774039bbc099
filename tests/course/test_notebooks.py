"""Generic tests of the chapters, over every solutions/NN_topic/ (adding a chapter needs no edit here).

- the instructor notebook is what `build` makes from its .py text source (cells and nbgrader metadata);
- course/ is exactly what nbgrader generate_assignment makes now from solutions/, with no solution code,
  no hidden test, no outputs and no .py twin;
- every check fails on the release stub (not-implemented message) and passes on the solution, visible and
  hidden cases, with the answer cells extracted from the notebooks and run in-process;
- a release notebook executed untouched in a real kernel: every graded test cell fails with the
  not-implemented message, no other cell errors, and the self-check table says "not attempted";
- a real nbgrader round trip in one temporary course with every chapter: generate_assignment, three
  submissions (all correct, untouched, half done), autograde, export to CSV; scores full, zero, partial.
(nbval replays the instructor notebooks themselves: see [tool.pytest.ini_options] in pyproject.toml.)
"""

from __future__ import annotations

import contextlib
import csv
import filecmp
import io
import json
import os
import re
import shutil
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pytest
from helpers import (
    COURSE,
    SOLUTIONS,
    assert_not_implemented,
    assert_passes,
    chapters,
    is_answer_cell,
    is_test_cell,
    nbgrader_meta,
    points,
    read_notebook,
    source,
)

from tinyspore.common.seed import seeded
from tinyspore_grader import notebooks, selfcheck
from tinyspore_grader.core import NOT_IMPLEMENTED

CHAPTERS = chapters()
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def test_there_are_chapters():
    assert CHAPTERS and all(re.fullmatch(r"\d\d_[a-z0-9_]+", c) for c in CHAPTERS), CHAPTERS
    if not os.environ.get("TINYSPORE_CHAPTERS"):
        assert "00_welcome" in CHAPTERS and "01_tensors" in CHAPTERS, CHAPTERS


def _solution_nb(chapter: str) -> dict:
    return read_notebook(SOLUTIONS / chapter / f"{chapter}.ipynb")


def _release_nb(chapter: str) -> dict:
    return read_notebook(COURSE / chapter / f"{chapter}.ipynb")


def _exercises(nb: dict) -> list[str]:
    """Exercise names in order: the grade_ids of the answer cells."""
    return [nbgrader_meta(c)["grade_id"] for c in nb["cells"] if is_answer_cell(c)]


# ----- the chapter's files ---------------------------------------------------------------------------------
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_notebook_is_built_from_its_text_source(chapter):
    built = notebooks.notebook_from_source(SOLUTIONS / chapter / f"{chapter}.py")
    stored = _solution_nb(chapter)
    assert [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in built.cells] == [
        (c["cell_type"], source(c), c["metadata"].get("nbgrader")) for c in stored["cells"]
    ], f"solutions/{chapter}/{chapter}.ipynb is stale: run `python -m tinyspore_grader build {chapter} --release`"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_exercise_cells_follow_the_pattern(chapter):
    nb = _solution_nb(chapter)
    names = _exercises(nb)
    tests = [nbgrader_meta(c) for c in nb["cells"] if is_test_cell(c)]
    assert 3 <= len(names) <= 6 or chapter == "00_welcome" and 2 <= len(names) <= 3, names
    assert [t["grade_id"] for t in tests] == [f"{n}_test" for n in names]
    for cell in nb["cells"]:
        meta = nbgrader_meta(cell)
        if is_test_cell(cell):
            name = meta["grade_id"].removesuffix("_test")
            assert meta["locked"] and meta["points"] > 0, meta
            assert source(cell) == (f"check_{name}({name})\n### BEGIN HIDDEN TESTS\n"
                                    f"check_{name}({name}, hidden=True)\n### END HIDDEN TESTS"), source(cell)
        elif is_answer_cell(cell):
            text = source(cell)
            assert "### BEGIN SOLUTION" in text and re.search(rf"^(def|class) {meta['grade_id']}\b", text, re.M), text
        else:
            assert not any(m in source(cell) for m in SOLUTION_MARKERS), source(cell)
    headings = re.findall(r"^### Exercise (\d\d)\.(\d+): (\w+) \((\d+) points?\)",
                          "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown"), re.M)
    assert [h[2] for h in headings] == names, headings
    assert all(h[0] == chapter[:2] and int(h[1]) == i for i, h in enumerate(headings, start=1)), headings
    assert [float(h[3]) for h in headings] == [float(t["points"]) for t in tests]


# ----- course/ is nbgrader's release of solutions/ -----------------------------------------------------------
@pytest.fixture(scope="session")
def fresh_course(tmp_path_factory) -> Path:
    """A temporary nbgrader course with every chapter released from solutions/ by generate_assignment now."""
    root = tmp_path_factory.mktemp("course")
    for pattern in _patterns():
        notebooks.generate_assignment(pattern, root=root, release=root / "release")
    return root


def _patterns() -> list[str]:
    """The nbgrader assignment ids to run: one glob for every chapter (one nbgrader run), or the chosen ones."""
    return CHAPTERS if os.environ.get("TINYSPORE_CHAPTERS") else ["[0-9][0-9]_*"]


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_course_is_exactly_the_release_of_solutions(fresh_course, chapter):
    fresh, shipped = fresh_course / "release" / chapter, COURSE / chapter
    assert _files(shipped) == _files(fresh), "course/ differs: run `python -m tinyspore_grader release`"
    for name in _files(fresh):
        if name.endswith(".ipynb"):
            assert read_notebook(shipped / name) == read_notebook(fresh / name), (
                f"course/{chapter}/{name} is not what generate_assignment makes: run `python -m tinyspore_grader release`")
        else:
            assert filecmp.cmp(shipped / name, fresh / name, shallow=False), name


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_release_has_no_solution_no_hidden_test_no_output(chapter):
    assert not list((COURSE / chapter).glob("*.py")), "the .py text source must not reach course/"
    assert not list((COURSE / chapter).rglob("__pycache__")) and not list((COURSE / chapter).rglob(".ipynb_checkpoints"))
    release, solution = _release_nb(chapter), _solution_nb(chapter)
    text = json.dumps(release)
    for marker in SOLUTION_MARKERS + ("hidden=True",):
        assert marker not in text, marker
    assert all(not c.get("outputs") for c in release["cells"] if c["cell_type"] == "code")
    stubs = {nbgrader_meta(c)["grade_id"]: source(c) for c in release["cells"] if is_answer_cell(c)}
    for cell in solution["cells"]:
        if not is_answer_cell(cell):
            continue
        stub = stubs[nbgrader_meta(cell)["grade_id"]]
        assert "raise NotImplementedError()" in stub
        body = source(cell).split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
        for line in body.splitlines():
            if len(line.strip()) > 12:  # a real line of the solution (not `return x` or `)`)
                assert line.strip() not in stub, f"solution line in the release: {line.strip()}"


# ----- stubs fail, solutions pass (answer cells run in-process) ----------------------------------------------
def _answers(nb: dict, folder: Path) -> dict:
    """Run the notebook's code cells in-process up to its last answer cell, skipping the graded test cells.

    Returns the namespace: the answers (the names the answer cells define) and the notebook's checks.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    last = max(i for i, c in enumerate(cells) if is_answer_cell(c))
    namespace: dict = {"__name__": "__main__"}
    cwd, numpy_state = os.getcwd(), np.random.get_state()
    os.chdir(folder)
    try:  # leave no trace in this process: seeds, NumPy's global RNG, cwd
        with seeded(0), contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for index, cell in enumerate(cells[:last + 1]):
                if not is_test_cell(cell):
                    exec(compile(source(cell), f"<{folder.name} code cell {index}>", "exec"), namespace)
                    plt.close("all")
    finally:
        os.chdir(cwd)
        np.random.set_state(numpy_state)
    return namespace


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_check_passes_on_the_solution_and_fails_on_the_stub(chapter):
    solution = _answers(_solution_nb(chapter), SOLUTIONS / chapter)
    release = _answers(_release_nb(chapter), COURSE / chapter)
    for name in _exercises(_solution_nb(chapter)):
        check = solution[f"check_{name}"]
        assert_passes(check, solution[name])
        assert_not_implemented(check, release[name])


# ----- the untouched release, executed in a real kernel -------------------------------------------------------
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_untouched_release_fails_only_in_its_test_cells(chapter, tmp_path):
    folder = tmp_path / chapter
    shutil.copytree(COURSE / chapter, folder)
    nb = nbformat.read(folder / f"{chapter}.ipynb", as_version=4)
    notebooks.execute(nb, folder, allow_errors=True)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if is_test_cell(cell):
            assert len(errors) == 1 and errors[0].ename == "CheckFailure", cell.outputs
            assert errors[0].evalue.endswith(NOT_IMPLEMENTED) and "\n" not in errors[0].evalue, errors[0].evalue
        elif is_answer_cell(cell):
            assert not errors, cell.outputs  # the stub only raises when it is called
        else:
            assert not errors, f"cell {cell.source[:80]!r} of the untouched release fails: {errors}"
    verdicts = [selfcheck.verdict_of(c, chapter) for c in nb.cells if c.cell_type == "code" and is_test_cell(c)]
    assert [v.status for v in verdicts] == ["not attempted"] * len(verdicts)
    assert [v.exercise.split()[1] for v in verdicts] == _exercises(_solution_nb(chapter))
    assert all(re.fullmatch(rf"{chapter[:2]}\.\d+", v.exercise.split()[0]) for v in verdicts)


# ----- nbgrader round trip -------------------------------------------------------------------------------------
def _strip_markers(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if line.strip() not in SOLUTION_MARKERS)


def _submission(chapter: str, release: Path, solved: set[str]) -> dict:
    """The release notebook with the answers in `solved` written in (the solution code, markers removed)."""
    nb = read_notebook(release / chapter / f"{chapter}.ipynb")
    answers = {nbgrader_meta(c)["grade_id"]: _strip_markers(source(c))
               for c in _solution_nb(chapter)["cells"] if is_answer_cell(c)}
    for cell in nb["cells"]:
        name = nbgrader_meta(cell).get("grade_id")
        if is_answer_cell(cell) and name in solved:
            cell["source"] = answers[name]
    return nb


# Passes every visible case of Exercise 01.1 but not the hidden ones (two 3-D shapes): grading must see it.
VISIBLE_ONLY_BROADCAST_SHAPE = """def broadcast_shape(shape_a, shape_b):
    if len(shape_a) == 3 and len(shape_b) == 3:
        return tuple(shape_a)
    return tuple(np.broadcast_shapes(shape_a, shape_b))
"""


def test_nbgrader_round_trip_full_zero_partial(fresh_course):
    root, release = fresh_course, fresh_course / "release"
    expected: dict[tuple[str, str], float] = {}
    if "01_tensors" in CHAPTERS:  # dave passes the visible test of 01.1 only: the hidden cases cost him its points
        nb = _submission("01_tensors", release, set())
        next(c for c in nb["cells"] if nbgrader_meta(c).get("grade_id") == "broadcast_shape")["source"] = (
            VISIBLE_ONLY_BROADCAST_SHAPE)
        folder = root / "submitted" / "dave" / "01_tensors"
        folder.mkdir(parents=True)
        (folder / "01_tensors.ipynb").write_text(json.dumps(nb))
        expected[("01_tensors", "dave")] = 0.0
        with contextlib.redirect_stdout(io.StringIO()):  # ...while the visible check passes
            namespace: dict = {"np": __import__("numpy")}
            exec(VISIBLE_ONLY_BROADCAST_SHAPE, namespace)
            from tinyspore_grader.checks.ch01_tensors import check_broadcast_shape

            check_broadcast_shape(namespace["broadcast_shape"])
    for chapter in CHAPTERS:
        names = _exercises(_solution_nb(chapter))
        pts = points(_solution_nb(chapter))
        half = set(names[: len(names) // 2])
        for student, solved in (("alice", set(names)), ("bob", set()), ("carol", half)):
            folder = root / "submitted" / student / chapter
            folder.mkdir(parents=True)
            (folder / f"{chapter}.ipynb").write_text(json.dumps(_submission(chapter, release, solved)))
            expected[(chapter, student)] = sum(pts[f"{n}_test"] for n in solved)
        assert 0 < expected[(chapter, "carol")] < sum(pts.values()) or len(names) < 2

    for pattern in _patterns():
        notebooks.nbgrader("autograde", pattern, "--force", "--log-level=WARN", root=root)
    notebooks.nbgrader("export", f"--to={root / 'grades.csv'}", "--log-level=WARN", root=root)

    with open(root / "grades.csv") as fh:
        rows = list(csv.DictReader(fh))
    got = {(r["assignment"], r["student_id"]): float(r["score"]) for r in rows
           if (r["assignment"], r["student_id"]) in expected or r["student_id"] != "dave"}
    assert got == expected
    for r in rows:
        assert float(r["max_score"]) == sum(points(_solution_nb(r["assignment"])).values())
    assert any(0 < got[(c, "carol")] < float(next(r["max_score"] for r in rows if r["assignment"] == c))
               for c in CHAPTERS)
