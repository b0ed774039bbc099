"""The hostile class: one temporary nbgrader course with honest and hostile submissions, graded ONCE by the
real command (`python -m tinyspore_grader grade`, nbgrader's autograde inside), then read by many tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attacks import DELEGATION  # noqa: E402
from grading_helpers import (  # noqa: E402
    CHAPTERS,
    LIMITS,
    GradedClass,
    Student,
    _hashes,
    _Listener,
    grade_command,
)
from hostile import ATTACKS  # noqa: E402

from tinyspore_grader import notebooks  # noqa: E402
from tinyspore_grader.grading import classroom  # noqa: E402


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory) -> GradedClass:
    root = classroom.make_course(tmp_path_factory.mktemp("hostile-class"), CHAPTERS)
    listener = _Listener()
    students: dict[str, Student] = {}

    def add(name: str, chapter: str, kind: str | None = None, nb: dict | None = None, deserved: float | None = None,
            expect: dict | None = None) -> None:
        got = classroom.add_submission(root, name, chapter, kind, nb)
        students[name] = Student(name, chapter, deserved if deserved is not None else got, expect or {})

    for chapter in CHAPTERS:  # honest work
        for kind in ("correct", "partial"):
            add(f"{kind}-{chapter[:2]}", chapter, kind)
    for chapter in CHAPTERS[:3]:
        add(f"blank-{chapter[:2]}", chapter, "blank")
        add(f"wrong-{chapter[:2]}", chapter, "wrong")
    for chapter in (CHAPTERS[1], CHAPTERS[-1]):
        add(f"crashing-{chapter[:2]}", chapter, "crashing")
    for chapter, answers in DELEGATION.items():  # every exercise handed to the engine or the answer key
        if chapter not in CHAPTERS:
            continue
        nb = classroom.release_notebook(root, chapter)
        for cell in nb["cells"]:
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if classroom.is_answer(cell) and gid in answers:
                cell["source"] = answers[gid]
        add(f"delegation-{chapter[:2]}", chapter, nb=nb, deserved=0.0,
            expect={f"{gid}_test": "" for gid in answers})
    context = {"root": str(root), "port": listener.port}
    for attack in ATTACKS:
        nb, deserved, expect = attack.build(root, context)
        add(attack.name, attack.chapter, nb=nb, deserved=deserved, expect=expect)
    # A victim whose files and grade the attacks go after.
    add("victim", CHAPTERS[1], "correct")
    (root / "submitted" / "victim" / CHAPTERS[1] / "notes.txt").write_text("mine\n")

    submitted_before = _hashes(root / "submitted")
    done = grade_command(root, "[0-9][0-9]_*", "--workers", "2", *LIMITS)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    feedback = notebooks.nbgrader("generate_feedback", "[0-9][0-9]_*", "--force", "--log-level=WARN", root=root,
                                  check=False)
    assert feedback.returncode == 0, feedback.stdout + feedback.stderr
    return GradedClass(root, students, classroom.scores(root), submitted_before, done.stdout + done.stderr,
                       listener.hits)
