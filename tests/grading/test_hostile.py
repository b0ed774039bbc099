"""The hostile suite: honest, partial, blank and hostile submissions graded by `python -m tinyspore_grader grade`
(nbgrader's autograde with IsolatedExecute); each scores exactly what it deserves, each attack fails for its
own reason (read in its feedback), and nothing outside a submission is touched."""

from __future__ import annotations

import os
import re

import pytest
from grading_helpers import CHAPTERS

from tinyspore_grader.grading import sandbox


def test_every_submission_scores_exactly_what_it_deserves(graded_class):
    wrong = {name: (graded_class.scores.get((s.chapter, name)), s.deserved)
             for name, s in graded_class.students.items()
             if graded_class.scores.get((s.chapter, name)) != pytest.approx(s.deserved)}
    assert not wrong, f"(got, deserved): {wrong}"


def test_honest_work_gets_full_partial_and_zero(graded_class):
    for chapter in CHAPTERS:
        full = graded_class.students[f"correct-{chapter[:2]}"].deserved
        assert full > 0 and graded_class.scores[(chapter, f"correct-{chapter[:2]}")] == full
        assert 0 < graded_class.scores[(chapter, f"partial-{chapter[:2]}")] < full or full == 0


def test_each_attack_fails_for_its_own_reason(graded_class):
    for name, student in graded_class.students.items():
        for grade_id, text in student.expect.items():
            output = graded_class.test_output(name, grade_id)
            if name.startswith("delegation-"):
                assert "which a graded answer may not use" in output, f"{name} {grade_id}: {output}"
                assert re.search(r"calls [\w.]+", output), output
            else:
                assert text in output, f"{name} {grade_id}: expected {text!r} in\n{output}"


def test_delegation_feedback_names_what_was_called(graded_class):
    output = graded_class.test_output("delegation-02", "Dense_test")
    assert "tinyspore.nn.layers.Dense" in output
    output = graded_class.test_output("delegation-01", "sum_to_shape_test")
    assert "sum_to_shape" in output and "tinyspore" in output
    output = graded_class.test_output("delegation-01", "broadcast_shape_test")
    assert "reference_broadcast_shape" in output


def test_gradebook_and_other_students_are_untouched(graded_class):
    root = graded_class.root
    assert (root / "gradebook.db").exists()
    from grading_helpers import _hashes

    assert _hashes(root / "submitted") == graded_class.submitted_before
    assert graded_class.scores[(CHAPTERS[1], "victim")] == graded_class.students["victim"].deserved


def test_no_process_of_a_submission_outlives_grading(graded_class):
    if os.geteuid() != 0:
        pytest.skip("per-submission uids need root")  # noqa - the sandbox's uid isolation is a root feature
    left = {uid: sandbox._processes_of(uid) for uid in range(sandbox.UID_BASE, sandbox.UID_BASE + 2 * sandbox.SLOTS)}
    assert not {uid: pids for uid, pids in left.items() if pids}


def test_submissions_have_no_network(graded_class):
    assert graded_class.listener_hits == []
    assert "no network:" in graded_class.printed("network")


def test_the_fork_server_is_out_of_reach(graded_class):
    """Its socket (it forks the trusted grading processes too) is hidden from the cells and from the answer."""
    assert "fork server reached: none" in graded_class.printed("fork-server")
    student = graded_class.students["fork-server"]
    assert graded_class.scores[(student.chapter, "fork-server")] == student.deserved > 0


def test_feedback_never_shows_hidden_tests_or_hidden_inputs(graded_class):
    for name in graded_class.students:
        html = graded_class.feedback(name)
        assert "HIDDEN TESTS" not in html and "hidden=True" not in html, name
    message = graded_class.test_output("visible-only", "broadcast_shape_test")
    hidden_part = message[message.index("a hidden case fails"):]
    assert "input:" not in hidden_part and "expected:" not in hidden_part and "hint:" in hidden_part


def test_limits_are_enforced_and_reported(graded_class):
    printed = graded_class.printed
    assert re.search(r"cell \d+ ran past 8 s; the cells after it did not run", printed("endless-cell"))
    assert re.search(r"cell \d+ printed more than \d+ characters", printed("output-flood"))
    assert "MemoryError" in printed("memory-hog")
    assert re.search(r"the kernel died in cell \d+", printed("kill-kernel"))
    assert re.search(r"the kernel died in cell \d+", printed("crashing-01"))


def test_a_graded_answer_cannot_pass_hidden_inputs_to_later_cells(graded_class):
    """The answer writes every input it gets to three files, and the last cell prints them. In the notebook's
    own demos (pick) it sees visible cases: those may show. The hidden ones, seen only by the graded answer's
    process, must not."""
    from tinyspore_grader.checks.ch01_tensors import _sum_to_shape_cases

    printed = graded_class.printed("leak-hidden-inputs")
    shown = [repr((c.args[0].tolist(), c.args[1])) for c in _sum_to_shape_cases(False)]
    hidden = [repr((c.args[0].tolist(), c.args[1])) for c in _sum_to_shape_cases(True)]
    assert any(text in printed for text in shown), "the leak channel itself does not work"
    assert not [text for text in hidden if text in printed]
