"""End to end: a small CNN built only from tinyspore learns scikit-learn's 8x8 digits.

Conv2d -> ReLU -> MaxPool2d -> Conv2d -> ReLU -> MaxPool2d -> Flatten -> Dense, trained with
CrossEntropyLoss, Adam and value_and_grad on a fixed-seed split. It takes well under a second.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import tinyspore as ms
from tinyspore import Tensor, nn


def digits_split() -> tuple[np.ndarray, ...]:
    """(N, 1, 8, 8) images in [0, 1] and int32 labels, 75% train / 25% test, stratified, seed 0."""
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]
    labels = digits.target.astype(np.int32)
    return train_test_split(images, labels, test_size=0.25, random_state=0, stratify=labels)


def small_cnn() -> nn.Cell:
    return nn.SequentialCell([
        nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2, 2),   # (8, 8, 8) -> (8, 4, 4)
        nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2, 2),  # (16, 4, 4) -> (16, 2, 2)
        nn.Flatten(), nn.Dense(16 * 2 * 2, 10),
    ])


def test_small_cnn_learns_digits():
    x_train, x_test, y_train, y_test = digits_split()
    ms.set_seed(0)
    net = small_cnn()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = nn.Adam(net.trainable_params(), learning_rate=0.01)
    grad_fn = ms.value_and_grad(lambda images, labels: loss_fn(net(images), labels), None, optimizer.parameters)

    def test_accuracy() -> float:
        return float((net(Tensor(x_test)).asnumpy().argmax(axis=1) == y_test).mean())

    before = test_accuracy()
    rng = np.random.default_rng(0)
    epoch_losses = []
    for _ in range(12):
        order, losses = rng.permutation(len(x_train)), []
        for start in range(0, len(order), 64):
            batch = order[start:start + 64]
            loss, grads = grad_fn(Tensor(x_train[batch]), Tensor(y_train[batch]))
            optimizer(grads)
            losses.append(float(loss.asnumpy()))
        epoch_losses.append(np.mean(losses))

    accuracy = test_accuracy()
    assert before < 0.3, f"an untrained network should guess, got test accuracy {before:.3f}"
    assert epoch_losses[-1] < 0.1 * epoch_losses[0], f"training loss did not fall: {epoch_losses}"
    assert accuracy >= 0.95, f"test accuracy {accuracy:.3f} < 0.95 (epoch losses {np.round(epoch_losses, 4)})"
