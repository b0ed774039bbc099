#!/usr/bin/env python3
"""The seed tutorial's linear regression, y = 2x + 0.5, trained the way that works.

The tutorial wrote `loss, grads = ops.GradOperation(get_by_list=True)(forward_fn, params)(x, y)`, but
GradOperation returns the gradients only, and with lr = 0.01 for 10 epochs the fit is nowhere near.
Here: value_and_grad with has_aux=True, SGD with lr 0.1, 200 full-batch epochs.

    python examples/linear_regression.py      # prints W close to 2.0 and b close to 0.5
"""

import numpy as np

import tinyspore as ms
from tinyspore import Tensor, nn

ms.set_context(mode=ms.PYNATIVE_MODE)

# 1. Data: y = 2x + 0.5 plus a little noise.
rng = np.random.default_rng(0)
x_data = np.linspace(-1, 1, 100, dtype=np.float32).reshape(-1, 1)
y_data = (2 * x_data + 0.5 + rng.normal(0, 0.05, x_data.shape)).astype(np.float32)

# 2. Network, loss and optimizer.
ms.set_seed(0)
net = nn.Dense(in_channels=1, out_channels=1)
loss_fn = nn.MSELoss()
optimizer = nn.SGD(net.trainable_params(), learning_rate=0.1)


def forward_fn(data, label):
    logits = net(data)
    return loss_fn(logits, label), logits


# value_and_grad returns (loss, logits) and the gradients of the loss alone.
grad_fn = ms.value_and_grad(forward_fn, None, optimizer.parameters, has_aux=True)

# 3. Train: 200 full-batch epochs.
data, label = Tensor(x_data), Tensor(y_data)
for epoch in range(200):
    (loss, _), grads = grad_fn(data, label)
    optimizer(grads)
    if (epoch + 1) % 50 == 0:
        print(f"Epoch {epoch + 1:3d}, Loss: {loss.asnumpy():.6f}")

weight, bias = net.trainable_params()
print(f"learned W: {weight.asnumpy()[0][0]:.4f}   (true 2.0)")
print(f"learned b: {bias.asnumpy()[0]:.4f}   (true 0.5)")
