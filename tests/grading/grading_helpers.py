"""Helpers of the grading tests (a module of its own: `conftest` is a name other folders use too)."""

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

from tinyspore_grader import notebooks

sys.path.insert(0, str(Path(__file__).resolve().parent))

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


