"""`examples/` prints what the README quotes: the seed tutorial's numbers, run for real."""

from __future__ import annotations

import re
import subprocess
import sys

from helpers import REPO


def test_linear_regression_prints_the_numbers_the_readme_quotes():
    out = subprocess.run([sys.executable, str(REPO / "examples" / "linear_regression.py")], capture_output=True,
                         text=True, check=True, timeout=120).stdout
    fits = re.findall(r"learned W = ([\d.-]+), b = ([\d.-]+)", out)
    assert fits == [("0.598", "0.092"), ("1.993", "0.503")], out
    readme = (REPO / "README.md").read_text()
    assert "ends at W = 0.598, b = 0.092" in readme and "(W = 1.993,\n   b = 0.503" in readme
    assert "98.994 instead of -1.006" in readme


def test_the_gradoperation_numbers_the_readme_quotes():
    import numpy as np

    import tinyspore as ms
    from tinyspore import nn, ops

    x = np.linspace(-1, 1, 100, dtype=np.float32).reshape(-1, 1)
    y = (2 * x + 0.5 + np.random.RandomState(0).normal(0, 0.05, x.shape)).astype(np.float32)
    net = nn.Dense(1, 1, weight_init=ms.Tensor(np.array([[0.5]], np.float32)), bias_init="zeros")
    loss_fn = nn.MSELoss()

    def forward_fn(data, label):
        logits = net(data)
        return loss_fn(logits, label), logits

    _, db_op = ops.GradOperation(get_by_list=True)(forward_fn, net.trainable_params())(ms.Tensor(x), ms.Tensor(y))
    _, (_, db) = ms.value_and_grad(forward_fn, None, net.trainable_params(), has_aux=True)(ms.Tensor(x), ms.Tensor(y))
    assert f"{db_op.asnumpy().item():.3f}" == "98.994" and f"{db.asnumpy().item():.3f}" == "-1.006"
