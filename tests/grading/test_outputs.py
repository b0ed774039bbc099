"""What a graded notebook shows of the submission's own cells: their outputs as a Jupyter kernel shows them
(printed text, the value of a last expression, displays, errors, figures), each figure by its text unless
`IsolatedExecute.draw_figures` asks for PNG images."""

from __future__ import annotations

import nbformat
import pytest

from tinyspore_grader.grading import executor, sandbox

CELLS = [
    "print('hello')",
    "6 * 7",
    "from IPython.display import display\ndisplay('shown')",
    "import matplotlib.pyplot as plt\nprint(plt.get_fignums())\nplt.plot([1, 2, 3])\nplt.show()",
    "fig, ax = plt.subplots(figsize=(3, 2))\n_ = ax.plot([1, 2])",  # left open: shown at the end of the cell
    "print(plt.get_fignums())",
    "1 / 0",
]


@pytest.mark.parametrize("draw", [False, True], ids=["figures as text", "figures drawn"])
def test_the_cells_outputs_are_those_of_a_kernel(tmp_path, draw):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in CELLS])
    executor.execute_notebook(nb, tmp_path, sandbox.Limits(draw_figures=draw))
    printed, value, shown, show, left_open, after, error = (cell.outputs for cell in nb.cells)

    assert [(o.output_type, o.text) for o in printed] == [("stream", "hello\n")]
    assert [(o.output_type, o.data) for o in value] == [("execute_result", {"text/plain": "42"})]
    assert [(o.output_type, o.data) for o in shown] == [("display_data", {"text/plain": "'shown'"})]
    assert show[0].text == "[]\n"  # no figure is left open by the fork server's own warm-up
    for figure in (show[1], left_open[0]):
        assert figure.output_type == "display_data"
        assert figure.data["text/plain"].startswith("<Figure size")
        assert ("image/png" in figure.data) is draw
    assert len(show) == 2 and len(left_open) == 1
    assert after[0].text == "[]\n"  # a shown figure is closed, as in a kernel
    assert [(o.output_type, o.ename) for o in error] == [("error", "ZeroDivisionError")]
