"""nbgrader's configuration for the Chinese edition (中文版): solutions/zh/ is the source, course/zh/ the release.

Everything else is the English course's configuration (../nbgrader_config.py, loaded first): the same
chapters, cells, grade ids, points and hidden tests (see tinyspore_grader.editions). Run nbgrader from this
folder for the Chinese edition (`cd autograder/zh && nbgrader autograde 01_tensors`); its gradebook and
submissions stay here. Each chapter folder holds a `.tinyspore-lang` file, which nbgrader copies into the
release and into every autograded submission: the checks then answer in Chinese.
"""

import os

c = get_config()  # noqa: F821 - traitlets provides get_config() to config files
load_subconfig(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "nbgrader_config.py"))  # noqa: F821

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

c.CourseDirectory.course_id = "tinyspore-zh"
c.CourseDirectory.root = HERE
c.CourseDirectory.source_directory = os.path.join(REPO, "solutions", "zh")
c.CourseDirectory.release_directory = os.path.join(REPO, "course", "zh")
