"""The check library and grading tools of the TinySpore course.

- `CheckFailure`, `Case`, `Mistake`, `run_check`, `same`, `pick`: what check modules and notebooks use
  (see `tinyspore_grader.core`).
- `tinyspore_grader.checks.chNN_topic`: the checks of chapter NN, one `check_<exercise>` per exercise.
- `python -m tinyspore_grader build|release|check ...`: see `tinyspore_grader.__main__`.
"""

from .core import BadReturn, Case, CheckFailure, Mistake, ModifiedInput, Raised, pick, run_check, same
from .diagnose import Diagnosis, diagnose
from .summary import describe

__all__ = ["BadReturn", "Case", "CheckFailure", "Diagnosis", "Mistake", "ModifiedInput", "Raised", "describe",
           "diagnose", "pick", "run_check", "same"]
