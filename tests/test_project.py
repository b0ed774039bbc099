"""The project's own wiring: packaging, the conda environment, the two README commands, CI, lint."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pip vendors the same parser
    from pip._vendor import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _requirement(spec: str) -> tuple[str, str]:
    """'numpy>=1.24' -> ('numpy', '>=1.24')."""
    name, bound = re.match(r"([A-Za-z0-9_.\-]+)\s*(.*)", spec).groups()
    return name.lower().replace("_", "-"), bound.replace(" ", "")


def test_environment_yml_lists_what_pyproject_installs():
    project = PYPROJECT["project"]
    pip_side = dict(_requirement(s) for s in project["dependencies"])
    for group in project["optional-dependencies"].values():
        pip_side.update(_requirement(s) for s in group if not s.startswith("tinyspore"))
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda_side = dict(_requirement(s) for s in env["dependencies"] if isinstance(s, str))
    python_bound = conda_side.pop("python")
    conda_side.pop("pip")
    pip_entries = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    # What conda-forge lacks comes from PyPI, in the env's pip section, before the project itself.
    conda_side.update(_requirement(s) for s in pip_entries[:-1])
    assert conda_side == pip_side
    assert python_bound == project["requires-python"]
    assert pip_entries[-1] == "-e .", "the conda env installs the project itself, editable"


def test_every_package_directory_is_listed_for_setuptools():
    mapping = PYPROJECT["tool"]["setuptools"]["package-dir"]
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = set()
    for top, folder in mapping.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            if "__pycache__" in init.parts:
                continue
            relative = init.parent.relative_to(ROOT / folder)
            found.add(".".join((top, *relative.parts)))
    assert found == listed, "pyproject's packages list must match the package folders (a wheel would miss them)"


def test_import_names_are_unique_and_specific():
    assert set(PYPROJECT["tool"]["setuptools"]["package-dir"]) == {"tinyspore", "tinyspore_grader"}
    for generic in ("autograder", "checks", "utils"):
        assert not (ROOT / f"{generic}.py").exists() and not (ROOT / generic / "__init__.py").exists()


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "python3 dev.py lab" in readme and "python3 dev.py test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 dev.py test" in ci


def test_dev_py_without_a_command_explains_itself():
    result = subprocess.run([sys.executable, str(ROOT / "dev.py")], capture_output=True, text=True)
    assert result.returncode == 2 and "python3 dev.py test" in result.stdout


def test_the_example_trains_the_seed_regression():
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "linear_regression.py")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    w, b = (float(v) for v in re.findall(r"learned W = (\S+), b = (\S+)", result.stdout)[-1])  # the last run
    assert abs(w - 2.0) < 0.02 and abs(b - 0.5) < 0.02


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    result = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
