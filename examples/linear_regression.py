#!/usr/bin/env python3
"""The seed tutorial's linear regression, y = 2x + 0.5: first as the tutorial trained it, then the way that works.

The tutorial's data (100 points, noise from np.random.seed(0)), one Dense(1, 1) started at W = 0.5, b = 0,
the MSE loss and SGD, with value_and_grad(..., has_aux=True) for the gradients (the tutorial's
GradOperation returns no loss and a bias gradient off by the batch size: chapter 04, section 7).

    python examples/linear_regression.py

prints W = 0.598, b = 0.092 after the tutorial's 10 epochs at lr 0.01 (nowhere near 2 and 0.5), then
W = 1.993, b = 0.503 after 200 epochs at lr 0.1: the numbers MindSpore 2.10 gives on the same data and start.
"""

import numpy as np

import tinyspore as ms
from tinyspore import Tensor, nn

ms.set_context(mode=ms.PYNATIVE_MODE)

# 1. Data: y = 2x + 0.5 plus the tutorial's noise.
x_data = np.linspace(-1, 1, 100, dtype=np.float32).reshape(-1, 1)
noise = np.random.RandomState(0).normal(0, 0.05, x_data.shape)  # the tutorial's np.random.seed(0) stream
y_data = (2 * x_data + 0.5 + noise).astype(np.float32)
data, label = Tensor(x_data), Tensor(y_data)


def fit(lr: float, epochs: int) -> nn.Dense:
    """Full-batch SGD from W = 0.5, b = 0; prints the loss now and then and returns the trained layer."""
    # 2. Network, loss and optimizer.
    net = nn.Dense(1, 1, weight_init=Tensor(np.array([[0.5]], np.float32)), bias_init="zeros")
    loss_fn = nn.MSELoss()
    optimizer = nn.SGD(net.trainable_params(), learning_rate=lr)

    def forward_fn(x, y):
        logits = net(x)
        return loss_fn(logits, y), logits

    # value_and_grad returns (loss, logits) and the gradients of the loss alone.
    grad_fn = ms.value_and_grad(forward_fn, None, optimizer.parameters, has_aux=True)

    # 3. Train: one step per epoch on all 100 points.
    for epoch in range(epochs):
        (loss, _), grads = grad_fn(data, label)
        optimizer(grads)
        if (epoch + 1) % max(epochs // 4, 1) == 0:
            print(f"  epoch {epoch + 1:3d}, loss {loss.asnumpy().item():.6f}")
    return net


for lr, epochs, note in ((0.01, 10, "the tutorial's setting"), (0.1, 200, "what it takes")):
    print(f"lr {lr}, {epochs} epochs ({note}):")
    net = fit(lr, epochs)
    weight, bias = net.weight.asnumpy().item(), net.bias.asnumpy().item()
    print(f"  learned W = {weight:.3f}, b = {bias:.3f}   (true 2.0 and 0.5)")
