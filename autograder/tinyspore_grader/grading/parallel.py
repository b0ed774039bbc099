"""Grading a whole assignment in parallel, on this machine or on a Dask cluster, with ONE gradebook writer.

    python -m tinyspore_grader grade ASSIGNMENT [--workers N] [--scheduler tcp://HOST:8786] [--root COURSE]

1. This process reads each submission and prepares it exactly as `nbgrader autograde` will (nbgrader's own
   sanitizing preprocessors; the gradebook is only read), then hands every notebook to a worker at once:
   N local grading processes (each with its own warm fork server), or one Dask task per notebook on an
   existing cluster (`--scheduler`).
2. Meanwhile this process runs nbgrader's own `autograde` for the assignment (the one writer of the
   gradebook). Its execute step (IsolatedExecute) takes each notebook's result as soon as it is ready,
   after checking that it graded this very notebook; anything not graded ahead is graded there and then.
So the gradebook, `nbgrader generate_feedback`, `export` and formgrader see what a plain `nbgrader autograde`
would have written, and the scores are the same whichever way the notebooks were executed.
"""

from __future__ import annotations

import concurrent.futures
import glob
import multiprocessing
import os
import sys
import time
from pathlib import Path
from typing import Any

from ..notebooks import AUTOGRADER_DIR


# ----- the task: one notebook, wherever it runs ---------------------------------------------------------------
def grade_one(nb_json: str, files: dict[str, bytes], limits: Any, name: str) -> tuple[str, list[str]]:
    """Execute one prepared notebook whose folder holds `files` (path -> bytes); (notebook JSON, report).

    Runs in a local grading process or on a Dask worker: both are trusted grading processes (they compute
    the expected outcomes), with their own warm fork server for the sandboxed workers.
    """
    import shutil
    import tempfile

    import nbformat

    from . import executor

    nb = nbformat.reads(nb_json, as_version=4)
    folder = tempfile.mkdtemp(prefix="tinyspore-grade-")
    try:
        for relative, data in files.items():
            target = os.path.join(folder, relative)
            if not os.path.abspath(target).startswith(folder + os.sep):
                continue  # a path outside the folder: never written
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as fh:
                fh.write(data)
        nb, report = executor.execute_notebook(nb, folder, limits, name=name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return nbformat.writes(nb), report


def _folder_files(folder: str) -> dict[str, bytes]:
    """The submission's other files (data it reads), without notebooks; at most 64 MB in all."""
    out, total = {}, 0
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file() and path.suffix != ".ipynb" and ".ipynb_checkpoints" not in path.parts:
            data = path.read_bytes()
            total += len(data)
            if total > 64 << 20:
                break
            out[str(path.relative_to(folder))] = data
    return out


class _Done:
    """A finished result, shaped like a future (for notebooks prepared but failed before dispatch)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def result(self) -> Any:
        return self.value


class _Local:
    """N grading processes (spawned: a clean interpreter each), each keeping its fork server warm."""

    def __init__(self, workers: int) -> None:
        self.pool = concurrent.futures.ProcessPoolExecutor(max_workers=workers,
                                                           mp_context=multiprocessing.get_context("spawn"))

    def submit(self, *args: Any) -> Any:
        return self.pool.submit(grade_one, *args)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class _Dask:
    """One task per notebook on an existing Dask distributed cluster; results come back to this client."""

    def __init__(self, address: str) -> None:
        from distributed import Client

        self.client = Client(address, timeout="30s")

    def submit(self, *args: Any) -> Any:
        return self.client.submit(grade_one, *args, pure=False, retries=0)

    def close(self) -> None:
        self.client.close()


def grade(assignment: str, workers: int = 2, scheduler: str | None = None, root: str | None = None,
          extra: list[str] | None = None) -> int:
    """Grade every submission of `assignment` (an id, or a glob like nbgrader's: "0[1-3]_*"); nbgrader's
    gradebook gets the results. Returns an exit code."""
    from nbgrader.apps import AutogradeApp
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearOutput,
        DeduplicateIds,
        OverwriteCells,
        OverwriteKernelspec,
    )

    from . import preprocessor

    argv = [assignment, "--force", *(extra or [])]
    if root:
        root = os.path.abspath(root)
        argv += [f"--CourseDirectory.root={root}", f"--CourseDirectory.db_url=sqlite:///{root}/gradebook.db"]
    start = time.monotonic()
    cwd = os.getcwd()
    os.chdir(AUTOGRADER_DIR)  # nbgrader reads nbgrader_config.py from the working directory
    runner = None
    try:
        app = AutogradeApp()
        app.initialize(argv)
        course = app.coursedir
        limits = preprocessor.IsolatedExecute(config=app.config).limits()
        pattern = course.format_path(course.submitted_directory, "*", assignment)
        submissions = sorted(glob.glob(os.path.join(pattern, "*.ipynb")))
        runner = _Dask(scheduler) if scheduler else _Local(max(1, workers))
        prepared = 0
        for path in submissions:
            folder = os.path.dirname(path)
            student, assignment_id, notebook = Path(folder).parent.name, Path(folder).name, Path(path).stem
            try:
                nb = _sanitized(path, student, assignment_id, notebook, course,
                                (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata),
                                app.config)
            except Exception as error:  # noqa: BLE001 - nbgrader will meet the same problem and report it
                print(f"{student}/{assignment_id}/{notebook}: not graded ahead ({error})", file=sys.stderr)
                continue
            import nbformat

            future = runner.submit(nbformat.writes(nb), _folder_files(folder), limits, notebook)
            preprocessor.PRECOMPUTED[(assignment_id, student, notebook)] = (preprocessor.fingerprint(nb),
                                                                           _Converted(future))
            prepared += 1
        print(f"grading {prepared} notebooks of {assignment} on "
              + (f"the Dask cluster at {scheduler}" if scheduler else f"{max(1, workers)} local workers"),
              flush=True)
        app.start()  # nbgrader's own autograde: the one writer of the gradebook
        print(f"graded {prepared} notebooks in {time.monotonic() - start:.1f} s", flush=True)
        return 0
    finally:
        preprocessor.PRECOMPUTED.clear()
        if runner is not None:
            runner.close()
        os.chdir(cwd)


class _Converted:
    """A future of (notebook JSON, report), read back as (notebook, report)."""

    def __init__(self, future: Any) -> None:
        self.future = future

    def result(self) -> tuple[Any, list[str]]:
        import nbformat

        text, report = self.future.result()
        return nbformat.reads(text, as_version=4), list(report)


def _sanitized(path: str, student: str, assignment: str, notebook: str, course: Any, steps: tuple,
               config: Any) -> Any:
    """The submission as nbgrader's autograde hands it to its execute step (the gradebook is only read)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    resources = {"unique_key": notebook, "output_files_dir": f"{notebook}_files",
                 "nbgrader": {"student": student, "assignment": assignment, "notebook": notebook,
                              "db_url": course.db_url},
                 "metadata": {"path": os.path.dirname(path), "name": notebook}}
    for step in steps:
        nb, resources = step(config=config).preprocess(nb, resources)
    return nb
