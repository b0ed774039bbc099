#!/usr/bin/env python3
"""The project's two commands, for a fresh machine with only Python 3.10+.

    python3 dev.py lab     set everything up (a .venv beside this file) and open the course in JupyterLab
    python3 dev.py test    set everything up and run every test (what CI runs)

    python3 dev.py lab --lang zh      the Chinese edition (中文版): JupyterLab on course/zh/
    python3 dev.py lab --instructor   JupyterLab on the whole repo with nbgrader's formgrader and
                                      Create Assignment working on this course (exchange in autograder/exchange)

Other commands, for maintainers:

    python3 dev.py release     regenerate course/ from solutions/ with nbgrader generate_assignment
    python3 dev.py bench       run the benchmarks (prints ratios against baselines measured in the same run)

Setup is skipped when .venv is already installed from the current pyproject.toml.
Every process started here runs with the venv's bin/ first on PATH (nbgrader, for one, runs `alembic` by its
bare name), so nothing depends on how the calling shell was set up.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".tinyspore-installed"


def _say(message: str) -> None:
    print(f"[dev.py] {message}", flush=True)


def venv_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of every process dev.py starts: the venv active, as `source .venv/bin/activate` makes it.

    JupyterLab's terminals and kernels inherit it, so `python -m tinyspore_grader check` works there too.
    """
    env = dict(os.environ if base is None else base)
    env.pop("PYTHONHOME", None)
    env["VIRTUAL_ENV"] = str(VENV)
    env["PATH"] = _prepend(str(BIN), env.get("PATH", ""))
    return env


def _prepend(first: str, paths: str) -> str:
    """A search path (PATH, JUPYTER_CONFIG_PATH) with `first` in front of the non-empty entries of `paths`."""
    return os.pathsep.join([first, *[p for p in paths.split(os.pathsep) if p]])


def _run(*args: str | Path, env: dict[str, str] | None = None, **kwargs) -> int:
    return subprocess.call([str(a) for a in args], cwd=kwargs.pop("cwd", ROOT), env=env or venv_env(), **kwargs)


def setup() -> None:
    """Create .venv and install the project with its course and test dependencies (editable)."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        _say(f"creating {VENV.relative_to(ROOT)}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    _say("installing tinyspore with the course and test dependencies (a few minutes the first time)")
    if _run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip") != 0:
        sys.exit("pip could not upgrade itself; see the messages above")
    if _run(PYTHON, "-m", "pip", "install", "--quiet", "-e", ".[dev]") != 0:
        sys.exit("installing the project failed; see the messages above")
    STAMP.write_text(wanted)


# nbgrader's JupyterLab extensions, by what they need. A learner's Lab keeps Validate only: the assignment
# and course lists need an nbgrader exchange (a shared folder on a teaching server), and formgrader and
# Create Assignment are the instructor's. JupyterLab's news and extension manager are off in both modes:
# they fetch from the internet, which a classroom machine may not reach.
EXCHANGE_PANELS = ["@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:course-list"]
INSTRUCTOR_PANELS = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"]
ONLINE_PANELS = ["@jupyterlab/apputils-extension:announcements", "@jupyterlab/extensionmanager-extension"]
NBGRADER_SERVER = "nbgrader.server_extensions."


def lab_config(mode: str) -> Path:
    """Write and return the Jupyter config folder of a lab mode ("learner" or "instructor").

    It goes on JUPYTER_CONFIG_PATH, ahead of the venv's own config, so it switches nbgrader's panels (lab
    side: page_config's disabledExtensions; server side: jpserver_extensions) without touching the venv.
    """
    learner = mode == "learner"
    disabled = ONLINE_PANELS + (EXCHANGE_PANELS + INSTRUCTOR_PANELS if learner else [])
    server = {f"{NBGRADER_SERVER}{name}": not learner for name in ("formgrader", "assignment_list", "course_list")}
    server[f"{NBGRADER_SERVER}validate_assignment"] = True
    folder = VENV / "tinyspore-lab" / mode
    (folder / "labconfig").mkdir(parents=True, exist_ok=True)
    (folder / "jupyter_server_config.d").mkdir(parents=True, exist_ok=True)
    (folder / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {name: True for name in disabled}}, indent=1))
    (folder / "jupyter_server_config.d" / "zz-tinyspore.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": server}}, indent=1))
    course_config = folder / "nbgrader_config.py"
    if learner:
        course_config.unlink(missing_ok=True)
    else:
        # nbgrader's server extensions read nbgrader_config.py from the Jupyter config path (and some from the
        # server's root folder): point them at the course's own configuration, and make its exchange.
        course_config.write_text("# Written by dev.py: the instructor's Lab uses the course's nbgrader configuration.\n"
                                 f"load_subconfig({str(ROOT / 'autograder' / 'nbgrader_config.py')!r})\n")
        (ROOT / "autograder" / "exchange").mkdir(exist_ok=True)
    return folder


def lab_env(mode: str = "learner", base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment `dev.py lab` starts JupyterLab with (tests/test_lab.py and the browser test use it)."""
    env = venv_env(base)
    env["JUPYTER_CONFIG_PATH"] = _prepend(str(lab_config(mode)), env.get("JUPYTER_CONFIG_PATH", ""))
    return env


def lab_argv(python: str | Path, extra: list[str], *, mode: str = "learner",
             notebook_dir: Path | None = None) -> list[str]:
    """The JupyterLab command line (tests/test_lab.py and tests/browser run exactly this).

    learner: on course/. instructor: on the repo (nbgrader's course root autograder/ must lie inside the
    server's root for formgrader).
    """
    as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []  # containers run as root
    folder = notebook_dir or (ROOT / "course" if mode == "learner" else ROOT)
    return [str(python), "-m", "jupyterlab", f"--notebook-dir={folder}", *as_root, *extra]


EDITIONS = {"en": ROOT / "course", "zh": ROOT / "course" / "zh"}  # each edition's learner notebooks


def _lang(extra: list[str]) -> tuple[str, list[str]]:
    """`--lang zh` or `--lang=zh` anywhere in `extra`: the edition, and the other arguments."""
    lang, rest = "en", []
    args = iter(extra)
    for arg in args:
        if arg == "--lang" or arg.startswith("--lang="):
            lang = arg.partition("=")[2] if "=" in arg else next(args, "")
            if lang not in EDITIONS:
                sys.exit(f"dev.py lab --lang: {lang!r} is not an edition; choose one of: {', '.join(EDITIONS)}")
        else:
            rest.append(arg)
    return lang, rest


def lab(extra: list[str]) -> int:
    lang, extra = _lang(extra)
    mode = "instructor" if "--instructor" in extra else "learner"
    extra = [a for a in extra if a != "--instructor"]
    if lang != "en" and mode == "instructor":
        sys.exit(f"dev.py lab: --instructor opens the English course root (autograder/) only, not --lang {lang}; "
                 f"grade the {lang} edition with nbgrader in autograder/{lang}/ (for example "
                 f"`cd autograder/{lang} && nbgrader autograde 01_tensors`, see the README)")
    setup()
    if lang != "en" and mode == "learner":
        _say("在 JupyterLab 中打开中文版课程（course/zh/）；有浏览器时会自动打开，否则请打开 JupyterLab 在下面打印的 "
             "http://127.0.0.1:8888/lab?token=... 地址（按 Ctrl-C 停止）")
        folder = EDITIONS[lang]
    else:
        _say(f"opening the {'whole repo for the instructor' if mode == 'instructor' else 'course'} in JupyterLab; "
             "a browser opens by itself where there is one, otherwise open the http://127.0.0.1:8888/lab?token=... "
             "address that JupyterLab prints below (Ctrl-C to stop)")
        folder = None
    return _run(*lab_argv(PYTHON, extra, mode=mode, notebook_dir=folder), env=lab_env(mode))


def test(extra: list[str]) -> int:
    setup()
    code = _run(PYTHON, "-m", "pytest", *extra)
    if code == 5:
        _say("pytest ran no test: that is a failure here")
        return 1
    return code


def release(extra: list[str]) -> int:
    setup()
    return _run(PYTHON, "-m", "tinyspore_grader", "release", *extra)


def bench(extra: list[str]) -> int:
    setup()
    return _run(PYTHON, ROOT / "benchmarks" / "run.py", *extra)


COMMANDS = {"lab": lab, "test": test, "release": release, "bench": bench}


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 10):  # noqa: UP036 (this file must run on old Pythons to say so)
        sys.exit(f"TinySpore needs Python 3.10 or newer; this is {sys.version.split()[0]}")
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
