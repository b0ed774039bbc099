"""The hostile class: one temporary nbgrader course with honest and hostile submissions, graded ONCE by the
real command (`python -m tinyspore_grader grade`, nbgrader's autograde inside), then read by many tests."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tinyspore_grader import notebooks
from tinyspore_grader.grading import classroom

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attacks import DELEGATION  # noqa: E402
from hostile import ATTACKS  # noqa: E402

CHAPTERS = notebooks.chapters()
# Short limits keep the loops and floods of the hostile class cheap; the defaults are in sandbox.Limits.
LIMITS = ["--IsolatedExecute.cell_seconds=8", "--IsolatedExecute.call_seconds=8", "--IsolatedExecute.check_seconds=30"]


@dataclass
class Student:
    name: str
    chapter: str
    deserved: float
    expect: dict[str, str] = field(default_factory=dict)  # test grade_id -> text its feedback must contain


@dataclass
class GradedClass:
    root: Path
    students: dict[str, Student]
    scores: dict[tuple[str, str], float]
    submitted_before: dict[str, str]
    output: str
    listener_hits: list

    def autograded(self, student: str) -> dict:
        chapter = self.students[student].chapter
        return json.loads((self.root / "autograded" / student / chapter / f"{chapter}.ipynb").read_text())

    def test_output(self, student: str, grade_id: str) -> str:
        for cell in self.autograded(student)["cells"]:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
                return "\n".join(output_text(o) for o in cell.get("outputs", []))
        raise KeyError(grade_id)

    def printed(self, student: str) -> str:
        """Everything the submission's code cells show in its graded notebook."""
        return "\n".join(output_text(o) for c in self.autograded(student)["cells"] if c["cell_type"] == "code"
                         for o in c.get("outputs", []))

    def feedback(self, student: str) -> str:
        chapter = self.students[student].chapter
        return (self.root / "feedback" / student / chapter / f"{chapter}.html").read_text()


def output_text(output: dict) -> str:
    """A stored output's text (nbformat stores multi-line strings as lists of lines)."""
    def join(value):
        return "".join(value) if isinstance(value, list) else (value or "")

    return join(output.get("text")) + join(output.get("evalue")) + join(output.get("data", {}).get("text/plain"))


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


class _Listener:
    """A TCP server on this machine's loopback: a submission that reaches it has the network."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.hits: list = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, addr = self.sock.accept()
            except OSError:
                return
            self.hits.append(addr)
            conn.close()


def grade_command(root: Path, pattern: str, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    return subprocess.run([sys.executable, "-m", "tinyspore_grader", "grade", pattern, "--root", str(root), *extra],
                          capture_output=True, text=True, env=env, timeout=1800)


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
