"""nbgrader's configuration for the TinySpore course: solutions/ is the source, course/ the release.

Run nbgrader from this folder (`cd autograder && nbgrader generate_assignment 01_tensors`), or use
`python -m tinyspore_grader release` from anywhere, which runs the same generate_assignment with this file.
The course root is this folder, so nbgrader's own files (gradebook.db, submitted/, autograded/, feedback/)
stay here (and out of git); source and release are the repo's solutions/ and course/, given as absolute
paths because they sit beside this folder, not inside it.
"""

import os

c = get_config()  # noqa: F821 - traitlets provides get_config() to config files

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

c.CourseDirectory.course_id = "tinyspore"
c.CourseDirectory.root = HERE
c.CourseDirectory.source_directory = os.path.join(REPO, "solutions")
c.CourseDirectory.release_directory = os.path.join(REPO, "course")
# What must not reach course/: the chapter's text sources (NN_topic.py, its jupytext twin, and the other
# editions' prose NN_topic.zh.md), caches, checkpoints.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "[0-9][0-9]_*.py",
                            "[0-9][0-9]_*.md",
                            ".pytest_cache"]

# The exchange (release/fetch/submit between accounts on one teaching server) lives in this folder, outside
# git, so `python3 dev.py lab --instructor` and nbgrader's exchange commands work without a system folder.
c.Exchange.root = os.path.join(HERE, "exchange")

# Learners see this in place of a solution region, and nothing of the hidden tests.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Release notebooks start without outputs (generate_assignment's default ClearOutput).
c.ExecutePreprocessor.timeout = 120

# Autograding: nbgrader's own pipeline, with its Execute step replaced by IsolatedExecute. The submission's
# cells run in a confined worker (own uid, no network, no view of the gradebook, source/ or other students,
# time/memory/output/process limits); each graded test cell is evaluated here, in the grading process, and
# scored on its own. See README.md, "Grading with nbgrader", and tinyspore_grader/grading/.
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties,
    CheckCellMetadata,
    IgnorePattern,
    LimitOutput,
    SaveAutoGrades,
)

from tinyspore_grader.grading.preprocessor import IsolatedExecute  # noqa: E402

c.Autograde.autograde_preprocessors = [IsolatedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
c.IsolatedExecute.cell_seconds = 30
c.IsolatedExecute.notebook_seconds = 300
# A submission's figures appear in the graded notebook and its feedback by their text; True draws them as PNG, as
# a Jupyter kernel does (a third of this course's grading time).
c.IsolatedExecute.draw_figures = False
