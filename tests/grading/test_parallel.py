"""`python -m tinyspore_grader grade`: local workers and a real Dask cluster (a `dask scheduler` and two
`dask worker` processes started and stopped here) give the same scores, written to nbgrader's gradebook by
the one client, and `nbgrader export` / `generate_feedback` follow as usual."""

from __future__ import annotations

import concurrent.futures
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from grading_helpers import grade_command

from tinyspore_grader import notebooks
from tinyspore_grader.grading import classroom, executor, parallel, sandbox

CHAPTER = "01_tensors"


@pytest.fixture(scope="module")
def small_class(tmp_path_factory) -> tuple[Path, dict]:
    root = classroom.make_course(tmp_path_factory.mktemp("small-class"), [CHAPTER])
    deserved = {}
    for kind in classroom.KINDS:
        for n in range(2):
            deserved[(CHAPTER, f"{kind}{n}")] = classroom.add_submission(root, f"{kind}{n}", CHAPTER, kind)
    return root, deserved


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dask(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_" + args[0], *args[1:]],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_local_workers_and_a_dask_cluster_give_the_same_scores(small_class, tmp_path):
    root, deserved = small_class
    local, cluster = tmp_path / "local", tmp_path / "cluster"
    shutil.copytree(root, local)
    shutil.copytree(root, cluster)

    done = grade_command(local, CHAPTER, "--workers", "2")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert classroom.scores(local) == deserved

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    processes = [_dask("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard")]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        processes += [_dask("worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                            "--name", f"grader-{n}") for n in range(2)]
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
            assert len(client.scheduler_info()["workers"]) == 2
        done = grade_command(cluster, CHAPTER, "--scheduler", address)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert f"on the Dask cluster at {address}" in done.stdout
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    assert classroom.scores(cluster) == deserved

    # nbgrader's own commands follow: feedback for every graded notebook.
    feedback = notebooks.nbgrader("generate_feedback", CHAPTER, "--force", "--log-level=WARN", root=cluster,
                                  check=False)
    assert feedback.returncode == 0, feedback.stderr
    assert len(list((cluster / "feedback").rglob("*.html"))) == len(deserved)


def test_grade_rejects_bad_arguments():
    done = subprocess.run([sys.executable, "-m", "tinyspore_grader", "grade", CHAPTER, "--workers", "0"],
                          capture_output=True, text=True)
    assert done.returncode != 0 and "--workers must be at least 1" in done.stderr


class _ExitsWhenUnpickled:
    """Stands for a grading process that dies: unpickling this request ends the process at once."""

    def __reduce__(self):
        return (os._exit, (3,))


def test_a_grading_process_that_fails_or_dies_costs_only_its_own_notebook(small_class):
    """The grade command's grading processes (forked from the warm fork server): an error or the death of one
    fails that notebook's result with a message naming it, and the next notebook gets a fresh process."""
    root, _ = small_class
    nb, _ = classroom.submission(root, CHAPTER, "correct")
    good = json.dumps(nb)
    zyg = executor.Zygote()
    runner = parallel._Local(1, zyg)
    try:
        broken = runner.submit("not a notebook", {}, sandbox.Limits(), "broken")
        dying = runner.submit(good, {}, _ExitsWhenUnpickled(), "dying")
        fine = runner.submit(good, {}, sandbox.Limits(), CHAPTER)
        with pytest.raises(RuntimeError, match="grading broken failed in grading process .*JSONDecodeError"):
            broken.result()
        with pytest.raises(RuntimeError, match="grading process .* died while grading dying"):
            dying.result()
        graded, report = fine.result()
    finally:
        runner.close()
        zyg.stop()
    assert report == []
    tests = [c for c in nbformat.reads(graded, as_version=4).cells
             if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")]
    assert tests and all(c.outputs for c in tests)
    assert not [o for c in tests for o in c.outputs if o.output_type == "error"]


def test_gradebooks_share_one_engine_only_within_the_grade_command(tmp_path, monkeypatch):
    """`grade` lets nbgrader's Gradebooks share one SQLAlchemy engine (its compiled SQL is kept); each Gradebook
    still commits and closes as nbgrader does, and nbgrader is left as it was afterwards."""
    import nbgrader.api
    from nbgrader.api import Gradebook

    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")  # alembic

    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    original = nbgrader.api.create_engine
    with parallel._one_engine_per_database():
        with Gradebook(url) as first:
            engine = first.engine
            first.add_student("ann")
        with Gradebook(url) as second:
            assert second.engine is engine
            assert second.find_student("ann").id == "ann"  # the first one's commit, read through a new connection
            second.add_student("bob")
    assert nbgrader.api.create_engine is original
    with Gradebook(url) as after:
        assert after.engine is not engine
        assert sorted(s.id for s in after.students) == ["ann", "bob"]


def test_a_notebook_graded_ahead_gets_its_outputs_only_if_its_cells_are_unchanged(small_class, tmp_path):
    """What `grade` computed ahead is used only when nbgrader hands IsolatedExecute the very cells that were
    graded (a submission or a release changed in between is graded again), and then only the outputs move
    into nbgrader's copy of the notebook: its metadata (the restored kernelspec, ...) stays nbgrader's."""
    from traitlets.config import Config

    from tinyspore_grader.grading import preprocessor

    root, _ = small_class
    submitted, _ = classroom.submission(root, CHAPTER, "correct")
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    step = preprocessor.IsolatedExecute(config=config)
    key = (CHAPTER, "ann", CHAPTER)
    resources = {"nbgrader": {"assignment": CHAPTER, "student": "ann", "notebook": CHAPTER},
                 "metadata": {"path": str(tmp_path)}}

    def ahead(nb):
        """A result graded ahead for `nb`, recognizable by its outputs and by metadata nbgrader never writes."""
        done = nbformat.from_dict(json.loads(json.dumps(nb)))
        done.metadata["graded-ahead"] = True
        for cell in done.cells:
            if cell.cell_type == "code":
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="graded ahead\n")]
        future = concurrent.futures.Future()
        future.set_result((done, []))
        preprocessor.PRECOMPUTED[key] = (preprocessor.fingerprint(nb), future)

    nb = nbformat.from_dict(submitted)
    ahead(nb)
    graded, _ = step.preprocess(nb, resources)
    assert "graded-ahead" not in graded.metadata
    assert all(cell.outputs[0].text == "graded ahead\n" for cell in graded.cells if cell.cell_type == "code")

    nb = nbformat.from_dict(submitted)
    ahead(nb)
    test_cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))
    test_cell.source += "\nassert False, 'a hidden test added since'"  # the release changed after grading ahead
    try:
        graded, _ = step.preprocess(nb, resources)
    finally:
        preprocessor.PRECOMPUTED.clear()
    outputs = [o for cell in graded.cells if cell.cell_type == "code" for o in cell.outputs]
    assert outputs and not [o for o in outputs if o.get("text") == "graded ahead\n"]
    assert "a hidden test added since" in "".join(o.get("evalue", "") for o in test_cell.outputs)
