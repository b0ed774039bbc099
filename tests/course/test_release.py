"""Releasing course/ works on a fresh machine and is atomic.

- nbgrader works whatever the caller's PATH (it runs `alembic` by its bare name to make a gradebook);
- a failed release leaves course/ exactly as it was, and no release leaves a gradebook behind;
- every graded cell carries the tag that lets JupyterLab's Run All go on past it.
"""

from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path

import pytest
from helpers import COURSE, SOLUTIONS

from tinyspore_grader import notebooks

CHAPTER = "00_welcome"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_nbgrader_runs_with_only_system_folders_on_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # what a fresh shell has: no venv, no alembic
    notebooks.generate_assignment(CHAPTER, root=tmp_path, release=tmp_path / "release")
    assert (tmp_path / "gradebook.db").is_file()
    assert (tmp_path / "release" / CHAPTER / f"{CHAPTER}.ipynb").is_file()


def test_release_replaces_the_chapter_and_leaves_no_gradebook(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(COURSE / CHAPTER, course / CHAPTER)
    (course / CHAPTER / "stale.txt").write_text("from an older release")
    gradebook = notebooks.AUTOGRADER_DIR / "gradebook.db"
    before = gradebook.stat().st_mtime_ns if gradebook.exists() else None
    notebooks.generate_assignment(CHAPTER, release=course)
    assert sorted(p.name for p in course.iterdir()) == [CHAPTER], "no staging folder may be left in course/"
    assert not (course / CHAPTER / "stale.txt").exists()
    assert filecmp.cmp(course / CHAPTER / f"{CHAPTER}.ipynb", COURSE / CHAPTER / f"{CHAPTER}.ipynb", shallow=False)
    after = gradebook.stat().st_mtime_ns if gradebook.exists() else None
    assert after == before, "a release must not create or touch autograder/gradebook.db"


def test_failed_release_leaves_course_as_it_was(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(COURSE / CHAPTER, course / CHAPTER)
    before = _snapshot(course)
    # A source nbgrader refuses: two cells with the same grade_id.
    source = tmp_path / "source" / CHAPTER
    source.mkdir(parents=True)
    nb = json.loads((SOLUTIONS / CHAPTER / f"{CHAPTER}.ipynb").read_text())
    graded = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    graded[1]["metadata"]["nbgrader"]["grade_id"] = graded[0]["metadata"]["nbgrader"]["grade_id"]
    (source / f"{CHAPTER}.ipynb").write_text(json.dumps(nb))
    with pytest.raises(RuntimeError, match=f"generate_assignment {CHAPTER} failed"):
        notebooks.generate_assignment(CHAPTER, source=source.parent, release=course)
    assert _snapshot(course) == before


@pytest.mark.parametrize("root", [SOLUTIONS, COURSE], ids=["solutions", "course"])
def test_every_graded_cell_lets_run_all_go_on(root):
    for path in sorted(root.glob("[0-9][0-9]_*/*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            meta = cell["metadata"].get("nbgrader", {})
            if cell["cell_type"] == "code" and (meta.get("grade") or meta.get("solution")):
                assert notebooks.CONTINUE_TAG in cell["metadata"].get("tags", []), (path.name, meta["grade_id"])
