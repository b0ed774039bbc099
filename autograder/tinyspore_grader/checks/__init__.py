"""The checks of each chapter: `tinyspore_grader.checks.chNN_topic.check_<exercise>(answer, hidden=False)`."""
