"""The check library and grading tools of the TinySpore course.

- `CheckFailure`, `Case`, `Mistake`, `run_check`, `same`, `pick`: what check modules and notebooks use
  (see `tinyspore_grader.core`); `exercise`, `rule_of`: a check's reference and forbidden engine code.
- `tinyspore_grader.checks.chNN_topic`: the checks of chapter NN, one `check_<exercise>` per exercise.
- `python -m tinyspore_grader build|release|check|editions|messages ...`: see `tinyspore_grader.__main__`.
- Messages in the edition's language: `tinyspore_grader.i18n`; the editions: `tinyspore_grader.editions`.
"""

from .core import BadReturn, Case, CheckFailure, Mistake, ModifiedInput, Raised, pick, run_check, same, watch_inputs
from .diagnose import Diagnosis, diagnose
from .exercises import exercise, rule_of
from .i18n import install_figure_text
from .summary import describe

install_figure_text()  # the Chinese edition's figures: Chinese text and a CJK font (nothing in English)

__all__ = ["BadReturn", "Case", "CheckFailure", "Diagnosis", "Mistake", "ModifiedInput", "Raised", "describe",
           "diagnose", "exercise", "pick", "rule_of", "run_check", "same", "watch_inputs"]
