"""`dev.py lab` starts a real JupyterLab: the learner's on course/ (Validate only among nbgrader's panels),
the instructor's on the repo with formgrader and Create Assignment working on this course.

The servers run exactly `dev.py`'s command line and environment (tests/browser/ drives the learner's one
in Chromium).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from labserver import ROOT, dev_module, free_port, get, start_lab, status, stop


def test_learner_lab_serves_the_course_with_validate_only(tmp_path):
    port = free_port()
    server = start_lab(tmp_path, port)
    try:
        listing = json.loads(get(port, "/api/contents"))
        chapters = sorted(item["name"] for item in listing["content"] if item["type"] == "directory")
        assert chapters == sorted(p.name for p in (ROOT / "course").iterdir() if p.is_dir())
        notebook = json.loads(get(port, "/api/contents/01_tensors/01_tensors.ipynb"))
        assert notebook["type"] == "notebook" and notebook["content"]["cells"]
        assert "python3" in json.loads(get(port, "/api/kernelspecs"))["kernelspecs"]
        page = get(port, "/lab").decode()
        assert "JupyterLab" in page
        # Lab side: the exchange and instructor panels are disabled in the page config, Validate is not.
        config = json.loads(page.split('id="jupyter-config-data"', 1)[1].split(">", 1)[1].split("</script>", 1)[0])
        disabled = config["disabledExtensions"]
        for name in ("assignment-list", "course-list", "formgrader", "create-assignment"):
            assert f"@jupyter/nbgrader:{name}" in disabled, disabled
        assert "@jupyter/nbgrader:validate-assignment" not in disabled
        # Server side: no exchange or formgrader handlers (they would fail without an exchange), Validate works.
        assert status(port, "/formgrader/api/assignments") == 404
        assert status(port, "/assignments?course_id=tinyspore") == 404
        answer = json.loads(get(port, "/assignments/validate", "POST",
                                b"path=01_tensors/01_tensors.ipynb"))
        assert answer["success"], answer
        assert "NotImplementedError" in json.dumps(answer["value"]) or "failed" in json.dumps(answer["value"])
    finally:
        stop(server)


def test_instructor_lab_refuses_an_edition_it_cannot_open():
    done = subprocess.run([sys.executable, str(ROOT / "dev.py"), "lab", "--lang", "zh", "--instructor"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "--instructor opens the English course root (autograder/) only, not --lang zh" in done.stderr
    assert "cd autograder/zh && nbgrader autograde 01_tensors" in done.stderr


def test_learner_lab_in_chinese_serves_the_chinese_edition(tmp_path):
    dev = dev_module()
    lang, rest = dev._lang(["--no-browser", "--lang", "zh"])
    assert (lang, rest) == ("zh", ["--no-browser"]) and dev._lang(["--lang=en"]) == ("en", [])
    port = free_port()
    server = start_lab(tmp_path, port, notebook_dir=dev.EDITIONS[lang])
    try:
        listing = json.loads(get(port, "/api/contents"))
        chapters = sorted(item["name"] for item in listing["content"] if item["type"] == "directory")
        assert chapters == sorted(p.name for p in (ROOT / "course" / "zh").iterdir() if p.is_dir())
        notebook = json.loads(get(port, "/api/contents/01_tensors/01_tensors.ipynb"))
        assert notebook["content"]["cells"][0]["source"].startswith("# 第 01 章")
    finally:
        stop(server)


def test_jupyterlab_terminals_and_kernels_see_the_venv(tmp_path):
    env = dev_module().lab_env("learner")
    found = subprocess.run(["python", "-c", "import sys, tinyspore_grader; print(sys.prefix)"], env=env,
                           capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    assert Path(found.stdout.strip()).resolve() == (ROOT / ".venv").resolve()


def test_instructor_lab_has_formgrader_on_this_course(tmp_path):
    port = free_port()
    server = start_lab(tmp_path, port, mode="instructor")
    try:
        assignments = json.loads(get(port, "/formgrader/api/assignments"))
        names = {a["name"] for a in assignments}
        # Every chapter of solutions/ (nbgrader also lists solutions/tinyspore/, the engine's folder, and
        # solutions/zh/, the Chinese edition's source, as assignments without notebooks: its source listing
        # takes every folder of the source directory).
        chapters = {p.name for p in (ROOT / "solutions").glob("[0-9][0-9]_*") if p.is_dir()}
        assert chapters <= names and names - chapters <= {"tinyspore", "zh"}, names
        page = get(port, "/lab").decode()
        config = json.loads(page.split('id="jupyter-config-data"', 1)[1].split(">", 1)[1].split("</script>", 1)[0])
        for name in ("formgrader", "create-assignment", "assignment-list", "course-list"):
            assert f"@jupyter/nbgrader:{name}" not in config["disabledExtensions"]
        courses = json.loads(get(port, "/courses"))
        assert courses["success"], courses  # the exchange folder exists and is writable
    finally:
        stop(server)
