"""`IsolatedExecute`: the step of `nbgrader autograde` that runs a submission, replaced by ours.

nbgrader's Autograde converter runs a configurable list of preprocessors (`Autograde.autograde_preprocessors`);
autograder/nbgrader_config.py puts this one where nbgrader's `Execute` was. Everything else (sanitizing,
restoring the locked test cells from the gradebook, scoring each graded cell from its outputs, late penalties,
the gradebook, `generate_feedback`, `export`, formgrader) is nbgrader's own.

Options (nbgrader_config.py or the command line, `--IsolatedExecute.cell_seconds=60`): see `sandbox.Limits`.
"""

from __future__ import annotations

import os
from typing import Any

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Float, Integer, List, Unicode

from . import executor, sandbox

# Results computed ahead by `python -m tinyspore_grader grade` (in parallel): (student, notebook) -> future,
# each checked against the notebook nbgrader hands us before it is used.
PRECOMPUTED: dict[tuple[str, str, str], Any] = {}


def fingerprint(nb: Any) -> str:
    """What identifies a sanitized submission: its cells' types, sources and nbgrader ids."""
    import hashlib
    import json

    cells = [(c.get("cell_type"), c.get("source"), c.get("metadata", {}).get("nbgrader", {}).get("grade_id"))
             for c in nb.cells]
    return hashlib.sha256(json.dumps(cells, sort_keys=True).encode()).hexdigest()


class IsolatedExecute(NbGraderPreprocessor):
    """Run the submission's cells in a confined worker and grade its test cells in this process."""

    cell_seconds = Float(30.0, help="Wall time of one cell of a submission, in seconds.").tag(config=True)
    notebook_seconds = Float(300.0, help="Wall time of all the cells of a notebook.").tag(config=True)
    call_seconds = Float(20.0, help="Wall time of one graded call of an answer.").tag(config=True)
    check_seconds = Float(60.0, help="Wall time of one test cell.").tag(config=True)
    cpu_seconds = Integer(300, help="CPU time of each worker process.").tag(config=True)
    memory_mb = Integer(4096, help="Address space of each worker process, in MB.").tag(config=True)
    file_mb = Integer(64, help="Largest file a worker may write, in MB.").tag(config=True)
    processes = Integer(64, help="Processes a submission may have at once.").tag(config=True)
    output_chars = Integer(200_000, help="Characters one cell may print.").tag(config=True)
    extra_hidden = List(Unicode(), help="More paths the worker must not see.").tag(config=True)
    draw_figures = Bool(False, help="Draw the submission's figures as PNG images, as a Jupyter kernel does (a third "
                        "of the grading time of this course); without, each figure is shown by its text, "
                        "<Figure size 640x480 with 1 Axes>.").tag(config=True)

    def limits(self) -> sandbox.Limits:
        return sandbox.Limits(cell_seconds=self.cell_seconds, notebook_seconds=self.notebook_seconds,
                              call_seconds=self.call_seconds, check_seconds=self.check_seconds,
                              cpu_seconds=self.cpu_seconds, memory_mb=self.memory_mb, file_mb=self.file_mb,
                              processes=self.processes, output_chars=self.output_chars,
                              draw_figures=self.draw_figures,
                              hide=hidden_paths(self.config) + list(self.extra_hidden))

    def preprocess(self, nb: Any, resources: dict) -> tuple[Any, dict]:
        info = resources.get("nbgrader", {})
        key = (str(info.get("assignment")), str(info.get("student")), str(info.get("notebook")))
        ahead = PRECOMPUTED.pop(key, None)
        if ahead is not None:
            expected, future = ahead
            if expected == fingerprint(nb):
                done, report = future.result()
                _take_execution(nb, done)
                self._log(key, report)
                return nb, resources
            self.log.warning("%s changed since it was graded ahead; grading it again", key)
        path = resources.get("metadata", {}).get("path") or os.getcwd()
        nb, report = executor.execute_notebook(nb, path, self.limits(), name=str(info.get("notebook", "")))
        self._log(key, report)
        return nb, resources

    def _log(self, key: tuple, report: list[str]) -> None:
        for line in report:
            self.log.warning("%s/%s/%s: %s", key[1], key[0], key[2], line)


def _take_execution(nb: Any, done: Any) -> None:
    """Put into `nb` what executing `done`, a copy of it with the same cells (same fingerprint), produced: each
    code cell's outputs and execution count, and the test cells' sources without their hidden tests (all that
    `executor.execute_notebook` changes). The rest of `nb`, its metadata included, is nbgrader's own."""
    for cell, ran in zip(nb.cells, done.cells, strict=True):
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count, cell.source = ran.outputs, ran.execution_count, ran.source


def hidden_paths(config: Any) -> list[str]:
    """What a worker must not see: the course's nbgrader folders, the gradebook, the instructor's sources,
    the engine's and the checks' files (their code is in memory; their text would be a copy of the answer)."""
    from nbgrader.coursedir import CourseDirectory

    import tinyspore
    import tinyspore_grader.checks

    paths = []
    try:
        course = CourseDirectory(config=config)
        root = os.path.abspath(course.root)
        paths.append(root)
        for name in ("source_directory", "release_directory", "submitted_directory", "autograded_directory",
                     "feedback_directory", "solution_directory"):
            folder = getattr(course, name, None)
            if folder:
                paths.append(folder if os.path.isabs(folder) else os.path.join(root, folder))
        if course.db_url.startswith("sqlite:///"):
            paths.append(os.path.abspath(course.db_url[len("sqlite:///"):]))
    except Exception:  # noqa: BLE001 - no course configured (a bare call): hide the packages only
        pass
    try:
        from nbgrader.exchange import Exchange

        paths.append(Exchange(config=config).root)
    except Exception:  # noqa: BLE001
        pass
    paths += [os.path.dirname(tinyspore.__file__), os.path.dirname(tinyspore_grader.checks.__file__)]
    return sorted({os.path.realpath(p) for p in paths})
