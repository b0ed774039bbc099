"""The answer key is out of the learner's reach: notebooks import no reference, every check declares its
reference and forbidden engine code, and the learner distribution holds no instructor material."""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import tinyspore_grader.checks
from tinyspore_grader import distribution
from tinyspore_grader.notebooks import COURSE, SOLUTIONS

ROOT = Path(__file__).resolve().parents[2]


def _check_functions():
    for info in pkgutil.iter_modules(tinyspore_grader.checks.__path__):
        module = importlib.import_module(f"tinyspore_grader.checks.{info.name}")
        for name, value in vars(module).items():
            if name.startswith("check_") and callable(value) and value.__module__ == module.__name__:
                yield f"{info.name}.{name}", value


def _imported_names(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    return names


@pytest.mark.parametrize("notebook", sorted(COURSE.glob("[0-9][0-9]_*/*.ipynb")), ids=lambda p: p.parent.name)
def test_release_notebooks_import_no_reference(notebook):
    cells = json.loads(notebook.read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    imported = _imported_names(code.replace("raise NotImplementedError()", "pass"))
    leaked = sorted(n for n in imported if n.startswith("reference") or n.startswith("Reference"))
    assert not leaked, f"{notebook.name} imports the answer key: {leaked}"
    assert "reference_" not in code


@pytest.mark.parametrize("source", sorted(SOLUTIONS.glob("[0-9][0-9]_*/[0-9][0-9]_*.py")), ids=lambda p: p.name)
def test_chapter_sources_pick_with_the_check_only(source):
    tree = ast.parse(source.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "pick":
            assert len(node.args) == 2 and getattr(node.args[1], "id", "").startswith("check_"), (
                f"{source.name} line {node.lineno}: use pick(answer, check_...)")


def test_every_check_declares_its_reference_and_forbidden_code():
    checks = dict(_check_functions())
    assert len(checks) >= 29
    for name, check in checks.items():
        assert callable(getattr(check, "reference", None)), f"{name} declares no reference (@exercise)"
        assert isinstance(getattr(check, "forbidden", None), tuple), f"{name} declares no forbidden set"


def test_learner_distribution_holds_no_instructor_material(tmp_path):
    out = distribution.build(tmp_path / "learner")
    assert distribution.check(out) == []
    (wheel,) = out.glob("*.whl")
    members = zipfile.ZipFile(wheel).namelist()
    assert "tinyspore/__init__.py" in members and "tinyspore_grader/checks/ch01_tensors.py" in members
    assert not [m for m in members if m.endswith(".ipynb") or "solutions" in m]
    released = sorted(p.relative_to(COURSE) for p in COURSE.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    assert sorted(p.relative_to(out / "course") for p in (out / "course").rglob("*.ipynb")) == released

    # Installed from the wheel, nothing instructor-only sits beside the engine (tinyspore.__file__).
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True)
    found = subprocess.run([sys.executable, "-c", "import tinyspore, pathlib; "
                            "print(pathlib.Path(tinyspore.__file__).resolve().parents[1])"],
                           cwd=tmp_path, env={"PYTHONPATH": str(target), "PATH": ""}, capture_output=True, text=True)
    assert Path(found.stdout.strip()) == target.resolve(), found.stderr
    assert not list(target.rglob("*.ipynb")) and not list(target.rglob("[0-9][0-9]_*.py"))

    # The check itself can fail: plant an instructor notebook and a solution region.
    (out / "course" / "00_welcome" / "extra.ipynb").write_text("### BEGIN " + "SOLUTION")
    problems = distribution.check(out)
    assert any("not a release notebook" in p for p in problems) and any("BEGIN SOLUTION" in p for p in problems)
