"""Grading a class: `python -m tinyspore_grader grade` (2 workers) against `nbgrader autograde` as shipped.

One temporary course, every chapter released by nbgrader; submissions of five kinds for every chapter
(correct, partial, blank, wrong, and correct with a last cell that raises: at least 40 notebooks). Identical
copies are graded in the same run: one by nbgrader's own autograde (its Execute step: a fresh Jupyter kernel
per notebook, one notebook at a time), one by ours as configured (figures shown by their text), and one by
ours drawing every figure as PNG the way a kernel does (`--IsolatedExecute.draw_figures=True`: the same
work as nbgrader's, figure for figure). Prints seconds per submission, the ratios (target: at least 5x), and
checks that all give every submission the same score, the one it deserves.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tinyspore_grader import notebooks
from tinyspore_grader.grading import classroom

KINDS = ("correct", "partial", "blank", "wrong", "raising")
TARGET = 5.0

SHIPPED_CONFIG = """\
# nbgrader as shipped: the course's config with nbgrader's own autograde steps (Execute) put back.
__file__ = {config!r}
exec(open(__file__).read())
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, Execute, IgnorePattern, LimitOutput,
                                    SaveAutoGrades)
c.Autograde.autograde_preprocessors = [Execute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
"""


def _env() -> dict:
    return dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")


def _run(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=_env())
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:4])} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds


def main() -> None:
    chapters = notebooks.chapters()
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        base = classroom.make_course(tmp / "base", chapters)
        deserved = {}
        for chapter in chapters:
            for kind in KINDS:
                deserved[(chapter, f"{kind}-{chapter[:2]}")] = classroom.add_submission(
                    base, f"{kind}-{chapter[:2]}", chapter, kind)
        n = len(deserved)
        shipped, ours, drawn = tmp / "shipped", tmp / "ours", tmp / "drawn"
        for copy in (shipped, ours, drawn):
            shutil.copytree(base, copy)
        config_dir = tmp / "shipped-config"
        config_dir.mkdir()
        (config_dir / "nbgrader_config.py").write_text(SHIPPED_CONFIG.format(config=str(notebooks.NBGRADER_CONFIG)))
        pattern = "[0-9][0-9]_*"
        print(f"{n} submissions ({', '.join(KINDS)}) of {len(chapters)} chapters; 2 cores here: {os.cpu_count()}")

        t_ours = _run([sys.executable, "-m", "tinyspore_grader", "grade", pattern, "--root", str(ours),
                       "--workers", "2"], notebooks.REPO)
        t_drawn = _run([sys.executable, "-m", "tinyspore_grader", "grade", pattern, "--root", str(drawn),
                        "--workers", "2", "--IsolatedExecute.draw_figures=True"], notebooks.REPO)
        t_shipped = _run([sys.executable, "-m", "nbgrader", "autograde", pattern, "--force", "--log-level=WARN",
                          f"--CourseDirectory.root={shipped}",
                          f"--CourseDirectory.db_url=sqlite:///{shipped / 'gradebook.db'}"], config_dir)
        s_ours, s_drawn, s_shipped = classroom.scores(ours), classroom.scores(drawn), classroom.scores(shipped)

    print(f"nbgrader autograde (as shipped)            {t_shipped:7.1f} s   {t_shipped / n:5.2f} s per submission")
    print(f"tinyspore_grader grade --workers 2         {t_ours:7.1f} s   {t_ours / n:5.2f} s per submission")
    print(f"  the same, figures drawn (draw_figures)   {t_drawn:7.1f} s   {t_drawn / n:5.2f} s per submission")
    ratio = t_shipped / t_ours
    print(f"ratio: {ratio:.1f}x faster (target {TARGET:g}x: {'met' if ratio >= TARGET else 'NOT met'}); "
          f"{t_shipped / t_drawn:.1f}x with every figure drawn")
    disagree = {k: (s_shipped.get(k), s_ours.get(k), s_drawn.get(k)) for k in deserved
                if not s_shipped.get(k) == s_ours.get(k) == s_drawn.get(k)}
    undeserved = {k: (s_ours.get(k), v) for k, v in deserved.items() if s_ours.get(k) != v}
    print(f"scores agree on {n - len(disagree)} of {n} submissions; ours as deserved on {n - len(undeserved)} of {n}")
    if disagree or undeserved:
        raise SystemExit(f"scores differ: (shipped, ours, drawn) {disagree}; (ours, deserved) {undeserved}")


if __name__ == "__main__":
    main()
