"""How fast is one CNN training step in tinyspore, next to PyTorch on the CPU?

The network (batch 64 of 1x28x28 images, MNIST-sized):
    conv 1->8 3x3 ('same'), ReLU, max-pool 2, conv 8->16 3x3 ('same'), ReLU, max-pool 2, Dense 784->10
One step = forward, cross-entropy loss, backward, SGD update. Each framework's step is timed many
times and the median is reported, then the ratio tinyspore / PyTorch.

Run: python benchmarks/bench_cnn.py   (PyTorch is optional: without it, only tinyspore is timed)
"""

from __future__ import annotations

import statistics
import time
from typing import Callable

import numpy as np

BATCH, CLASSES = 64, 10
WARMUP, REPEATS = 5, 60


def median_ms(step: Callable[[], object], warmup: int = WARMUP, repeats: int = REPEATS) -> float:
    """Median wall time of `step()` in milliseconds, after a few untimed warm-up calls."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def make_batch(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.random((BATCH, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, CLASSES, BATCH).astype(np.int32)
    return images, labels


def tinyspore_step(images: np.ndarray, labels: np.ndarray) -> Callable[[], object]:
    """One training step of the network in tinyspore, as a closure."""
    import tinyspore as ms
    from tinyspore import nn

    ms.set_seed(0)
    net = nn.SequentialCell([
        nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.Dense(16 * 7 * 7, CLASSES),
    ])
    loss_fn = nn.CrossEntropyLoss()
    optimizer = nn.SGD(net.trainable_params(), learning_rate=0.01)

    def forward(x, y):
        return loss_fn(net(x), y)

    grad_fn = ms.value_and_grad(forward, None, optimizer.parameters)
    x, y = ms.Tensor(images), ms.Tensor(labels)

    def step():
        loss, grads = grad_fn(x, y)
        optimizer(grads)
        return loss

    return step


def torch_step(images: np.ndarray, labels: np.ndarray) -> Callable[[], object] | None:
    """The same step in PyTorch (CPU, float32), or None when PyTorch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1, bias=False), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3, padding=1, bias=False), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(16 * 7 * 7, CLASSES),
    )
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
    x, y = torch.from_numpy(images), torch.from_numpy(labels.astype(np.int64))

    def step():
        optimizer.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


def main() -> None:
    images, labels = make_batch()
    print(f"one training step, batch {BATCH} of 1x28x28, median of {REPEATS} runs")
    ours = median_ms(tinyspore_step(images, labels))
    print(f"  tinyspore : {ours:7.2f} ms")
    theirs_step = torch_step(images, labels)
    if theirs_step is None:
        print("  PyTorch   : not installed (pip install torch), no comparison")
        return
    import torch

    theirs = median_ms(theirs_step)
    print(f"  PyTorch   : {theirs:7.2f} ms  (torch {torch.__version__}, {torch.get_num_threads()} threads)")
    print(f"  ratio     : {ours / theirs:.2f}x PyTorch")


if __name__ == "__main__":
    main()
