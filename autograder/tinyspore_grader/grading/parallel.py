"""Grading a whole assignment in parallel, on this machine or on a Dask cluster, with ONE gradebook writer.

    python -m tinyspore_grader grade ASSIGNMENT [--workers N] [--scheduler tcp://HOST:8786] [--root COURSE]

1. This process reads each submission and prepares its cells exactly as `nbgrader autograde` will (nbgrader's
   own sanitizing preprocessors; the gradebook is only read), then hands every notebook to a worker at once:
   N local grading processes (forked, with everything imported, from one warm fork server, which also forks
   every sandboxed worker), or one Dask task per notebook on an existing cluster (`--scheduler`).
2. Meanwhile this process runs nbgrader's own `autograde` for the assignment (the one writer of the
   gradebook). Its execute step (IsolatedExecute) takes each notebook's outputs as soon as they are ready,
   after checking that they come from these very cells; anything not graded ahead is graded there and then.
So the gradebook, `nbgrader generate_feedback`, `export` and formgrader see what a plain `nbgrader autograde`
would have written, and the scores are the same whichever way the notebooks were executed.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import glob
import json
import os
import queue
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any


# ----- the task: one notebook, wherever it runs ---------------------------------------------------------------
def grade_one(nb_json: str, files: dict[str, bytes], limits: Any, name: str) -> tuple[str, list[str]]:
    """Execute one prepared notebook whose folder holds `files` (path -> bytes); (notebook JSON, report).

    The task of a Dask worker: a trusted grading process (it computes the expected outcomes), with its own warm
    fork server for the sandboxed workers. (Local grading processes do the same in `executor.serve_grader`.)
    """
    from . import executor

    return executor.grade_files(nb_json, files, limits, name)


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
    """N trusted grading processes on this machine, forked from the one warm fork server that also forks every
    sandboxed worker: they start with NumPy, the engine and the checks imported, in a process no submission
    ever touched, and each takes the next notebook as soon as it is done with one."""

    def __init__(self, workers: int, zyg: Any) -> None:
        self.zygote = zyg
        self.tasks: queue.SimpleQueue = queue.SimpleQueue()
        self.threads = [threading.Thread(target=self._serve, name=f"grader-{n}", daemon=True)
                        for n in range(workers)]
        for thread in self.threads:
            thread.start()

    def submit(self, *args: Any) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        self.tasks.put((future, args))
        return future

    def _serve(self) -> None:
        channel = None
        try:
            while True:
                task = self.tasks.get()
                if task is None:
                    return
                future, args = task
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    if channel is None:
                        channel = self.zygote.grader()
                    future.set_result(channel.grade(*args))
                except BaseException as error:  # noqa: BLE001 - the notebook's future says what went wrong
                    if channel is not None:
                        channel.close()
                        channel = None  # a fresh grading process for the next notebook
                    future.set_exception(error)
        finally:
            if channel is not None:
                channel.close()

    def close(self) -> None:
        """Cancel the notebooks not started yet, let the ones being graded finish, end the grading processes."""
        while True:
            try:
                future, _ = self.tasks.get_nowait()
            except queue.Empty:
                break
            future.cancel()
        for _ in self.threads:
            self.tasks.put(None)
        for thread in self.threads:
            thread.join()


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
    from . import executor, skip_iri_grammar

    skip_iri_grammar()
    zyg = None
    if not scheduler:  # the fork server first: its imports run while this process imports nbgrader
        zyg = executor.zygote()
        zyg.launch()
    from nbgrader.apps import AutogradeApp
    from nbgrader.preprocessors import ClearOutput, DeduplicateIds, OverwriteCells

    from ..notebooks import AUTOGRADER_DIR
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
        with _one_engine_per_database():
            app = AutogradeApp()
            app.initialize(argv)
            course = app.coursedir
            limits = preprocessor.IsolatedExecute(config=app.config).limits()
            pattern = course.format_path(course.submitted_directory, "*", assignment)
            submissions = sorted(glob.glob(os.path.join(pattern, "*.ipynb")))
            runner = _Dask(scheduler) if scheduler else _Local(max(1, workers), zyg)
            prepared = 0
            for path in submissions:
                folder = os.path.dirname(path)
                student, assignment_id, notebook = Path(folder).parent.name, Path(folder).name, Path(path).stem
                try:  # nbgrader's sanitizing steps that decide the cells (its kernelspec and metadata checks
                    # leave them as they are: nbgrader does those on its own copy, which gets our outputs)
                    nb = _sanitized(path, student, assignment_id, notebook, course,
                                    (ClearOutput, DeduplicateIds, OverwriteCells), app.config)
                except Exception as error:  # noqa: BLE001 - nbgrader will meet the same problem and report it
                    print(f"{student}/{assignment_id}/{notebook}: not graded ahead ({error})", file=sys.stderr)
                    continue
                future = runner.submit(json.dumps(nb), _folder_files(folder), limits, notebook)
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
        if zyg is not None:
            zyg.stop()
        os.chdir(cwd)


@contextlib.contextmanager
def _one_engine_per_database() -> Iterator[None]:
    """Within the block, nbgrader's Gradebooks in this process share one SQLAlchemy engine per database URL.

    nbgrader opens a new `Gradebook` about a dozen times per notebook, and each makes a new engine, whose cache
    of compiled SQL starts empty: every query is compiled again, about half of the writer's time here. A shared
    engine keeps its compiled statements; the SQL, the sessions and the commits are nbgrader's own, unchanged
    (a Gradebook's close still disposes of the engine's connections; the next one opens a new connection).
    """
    import nbgrader.api

    original = nbgrader.api.create_engine
    engines: dict[tuple, Any] = {}

    def shared(url: Any, **options: Any) -> Any:
        key = (str(url), tuple(sorted(options.items())))
        if key not in engines:
            engines[key] = original(url, **options)
        return engines[key]

    nbgrader.api.create_engine = shared
    try:
        yield
    finally:
        nbgrader.api.create_engine = original
        for engine in engines.values():
            engine.dispose()


class _Converted:
    """A future of (notebook JSON, report), read back as (notebook, report)."""

    def __init__(self, future: Any) -> None:
        self.future = future

    def result(self) -> tuple[Any, list[str]]:
        import nbformat

        text, report = self.future.result()  # from our own grading process: read, not validated again
        return nbformat.from_dict(json.loads(text)), list(report)


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
