"""The learner's self-check command on a half-done chapter 01: one line per exercise, with the right verdict."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import nbformat
from helpers import COURSE, is_answer_cell, nbgrader_meta, read_notebook

ANSWERS = {
    # right
    "broadcast_shape": "def broadcast_shape(shape_a, shape_b):\n    return tuple(np.broadcast_shapes(shape_a, shape_b))\n",
    # the classic keepdims mistake
    "sum_to_shape": "def sum_to_shape(grad, shape):\n    return grad.sum(axis=0)\n",
    # a syntax error: the test cell then fails with NameError
    "matmul_checked": "def matmul_checked(a, b)\n    return a @ b\n",
    # standardize stays untouched
}


def test_check_command_prints_one_verdict_per_exercise(tmp_path):
    chapter = tmp_path / "01_tensors"
    shutil.copytree(COURSE / "01_tensors", chapter)
    nb = read_notebook(chapter / "01_tensors.ipynb")
    for cell in nb["cells"]:
        name = nbgrader_meta(cell).get("grade_id")
        if is_answer_cell(cell) and name in ANSWERS:
            cell["source"] = ANSWERS[name]
    (chapter / "01_tensors.ipynb").write_text(json.dumps(nb))
    before = (chapter / "01_tensors.ipynb").read_text()

    done = subprocess.run([sys.executable, "-m", "tinyspore_grader", "check", str(chapter)],
                          capture_output=True, text=True, timeout=300)

    lines = done.stdout.splitlines()
    assert done.returncode == 1, done.stdout + done.stderr
    assert lines[1] == "01_tensors"
    assert lines[2].split() == ["01.1", "broadcast_shape", "2", "/", "2", "passed"]
    assert lines[3].split() == ["01.2", "sum_to_shape", "0", "/", "3", "failed"]
    # The check's whole verdict, in full, under the row: the case, its input, expected, got, the hint.
    verdict = []
    for line in lines[4:]:
        if not line.startswith("      "):
            break
        verdict.append(line.strip())
    assert re.fullmatch(r"case \d+ of \d+ fails.*", verdict[0]), verdict
    assert [v.split(":")[0] for v in verdict[1:]] == ["input", "expected", "got", "hint"], verdict
    assert "summing axis 0 only undoes one kind of broadcasting" in verdict[-1]
    rest = lines[4 + len(verdict):]
    assert rest[0].split()[:7] == ["01.3", "matmul_checked", "0", "/", "2", "failed:", "name"]
    assert rest[0].endswith("name 'matmul_checked' is not defined: did the answer cell above fail?")
    assert rest[1].split() == ["01.4", "standardize", "0", "/", "3", "not", "attempted"]
    assert rest[2] == "total: 2 / 10 points on the visible tests (1 passed, 2 failed, 1 not attempted)"
    assert (chapter / "01_tensors.ipynb").read_text() == before, "the check must not modify the learner's notebook"


def test_a_dying_kernel_leaves_the_rest_failed_not_passed(tmp_path):
    from tinyspore_grader import selfcheck

    def test_cell(grade_id, source):
        meta = {"grade": True, "grade_id": grade_id, "locked": True, "points": 1, "schema_version": 3,
                "solution": False, "task": False}
        return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("### Exercise 99.1: first (1 point)"),
        test_cell("first_test", "print('✔ Exercise 99.1 first: all 3 cases pass')"),
        nbformat.v4.new_code_cell("import os\nos._exit(1)"),
        nbformat.v4.new_markdown_cell("### Exercise 99.2: second (1 point)"),
        test_cell("second_test", "print('✔ Exercise 99.2 second: all 3 cases pass')"),
    ])
    nb.cells[4].outputs = [nbformat.v4.new_output("stream", text="✔ stale output from an earlier run\n")]
    nb.cells[4].execution_count = 7
    nbformat.write(nb, tmp_path / "99_demo.ipynb")

    verdicts = selfcheck.run_notebook(tmp_path / "99_demo.ipynb", timeout=60)

    assert [(v.exercise, v.status) for v in verdicts] == [("99.1 first", "passed"), ("99.2 second", "failed")]
    assert verdicts[1].detail == "did not run: the notebook stopped before this cell"
