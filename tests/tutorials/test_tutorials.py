"""MindSpore's beginner tutorials, run on tinyspore with only the import changed, give MindSpore's numbers.

Each `beginner_*.py` here is one tutorial from MindSpore's docs (tutorials/source_en/beginner), written as
a reader types it, with fixed initial weights and a small generated MNIST instead of the download.
`expected/<script>.json` holds what the script recorded on real MindSpore 2.10.0 (CPU); see
expected/README.md for how. This test runs each script on tinyspore in a fresh process and compares.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest
from compare import differences

HERE = pathlib.Path(__file__).resolve().parent
SCRIPTS = sorted(p.name for p in HERE.glob("beginner_*.py"))


def test_every_script_has_recorded_numbers():
    assert SCRIPTS, "no tutorial scripts found"
    missing = [s for s in SCRIPTS if not (HERE / "expected" / s.replace(".py", ".json")).exists()]
    assert not missing, f"record these on MindSpore 2.10 first (expected/README.md): {missing}"


@pytest.mark.parametrize("script", SCRIPTS)
def test_tutorial_reproduces_mindspore(script, tmp_path):
    output = tmp_path / "got.json"
    run = subprocess.run([sys.executable, str(HERE / "run.py"), "--engine", "tinyspore", script, str(output)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"{script} failed on tinyspore:\n{run.stderr[-3000:]}"
    expected = json.loads((HERE / "expected" / script.replace(".py", ".json")).read_text())
    got = json.loads(output.read_text())
    problems = differences(expected, got)
    assert not problems, f"{script}: {len(problems)} differences from MindSpore 2.10:\n" + "\n".join(problems[:20])
