"""Wrapper cells that turn a network into a trainable or evaluable one, as `Model` builds them.

    net_with_loss = nn.WithLossCell(net, loss_fn)            # (data, label) -> loss
    train_net = nn.TrainOneStepCell(net_with_loss, optimizer)  # (data, label) -> loss, and one update
    for data, label in dataset:
        loss = train_net(data, label)

`TrainOneStepCell` is the whole training step of chapter 06 in one cell: forward, gradients with
`value_and_grad` over the optimizer's parameters, and the optimizer's update.
"""

from __future__ import annotations

from typing import Any

from ..autodiff import value_and_grad
from ..tensor import Tensor
from .cell import Cell

__all__ = ["WithLossCell", "WithEvalCell", "TrainOneStepCell"]


class WithLossCell(Cell):
    """`loss_fn(backbone(data), label)`: a network and its loss as one cell.

    Inputs: `data` (what the backbone takes), `label` (what the loss compares with). Output: the loss.
    Parameter names are not prefixed (MindSpore's `auto_prefix=False`), so they stay `fc.weight`.
    """

    def __init__(self, backbone: Cell, loss_fn: Cell) -> None:
        super().__init__(auto_prefix=False)
        self._backbone = backbone
        self._loss_fn = loss_fn

    def construct(self, data: Tensor, label: Tensor) -> Tensor:
        return self._loss_fn(self._backbone(data), label)

    @property
    def backbone_network(self) -> Cell:
        return self._backbone


class WithEvalCell(Cell):
    """Evaluation: returns `(loss, outputs, label)` with `outputs = network(data)`, what metrics need."""

    def __init__(self, network: Cell, loss_fn: Cell, add_cast_fp32: bool = False) -> None:
        super().__init__(auto_prefix=False)
        self._network = network
        self._loss_fn = loss_fn

    def construct(self, data: Tensor, label: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        outputs = self._network(data)
        return self._loss_fn(outputs, label), outputs, label


class TrainOneStepCell(Cell):
    """One training step: loss and gradients of `network(*inputs)`, then `optimizer(grads)`.

    Args:
        network: a cell that returns the loss (usually a `WithLossCell`).
        optimizer: called with the tuple of gradients, one per `optimizer.parameters`.
        sens: the sensitivity, the gradient fed in at the loss (MindSpore scales the gradients by it);
            None means 1.0.

    Inputs: whatever `network` takes. Output: the loss before the update.
    """

    def __init__(self, network: Cell, optimizer: Cell, sens: float | None = None, return_grad: bool = False) -> None:
        super().__init__(auto_prefix=False)
        if sens == 0:
            raise ValueError("TrainOneStepCell: sens can not be 0 (every gradient would be zero)")
        self.network = network
        self.optimizer = optimizer
        # The optimizer knows which parameters it updates; differentiate exactly those, in its order.
        weights = getattr(optimizer, "parameters", None)
        self.weights = list(weights) if weights is not None else network.trainable_params()
        self.sens = 1.0 if sens is None else float(sens)
        self.return_grad = return_grad
        self._grad_fn = value_and_grad(network, grad_position=None, weights=self.weights)

    def construct(self, *inputs: Any) -> Any:
        loss, grads = self._grad_fn(*inputs)
        if self.sens != 1.0:
            grads = tuple(g * self.sens for g in grads)
        self.optimizer(grads)
        if self.return_grad:
            return loss, {w.name: g for w, g in zip(self.weights, grads)}
        return loss


# MindSpore's `nn` also exports the metrics (`nn.Accuracy is mindspore.train.Accuracy`). They live in
# `tinyspore.train.metrics`; imported here, after the classes above exist, because `tinyspore.train`
# itself imports this module.
from ..train.metrics import (  # noqa: E402
    MAE,
    MSE,
    Accuracy,
    Loss,
    Metric,
    Precision,
    Recall,
    TopKCategoricalAccuracy,
)

__all__ += ["Metric", "Accuracy", "Loss", "MAE", "MSE", "Precision", "Recall", "TopKCategoricalAccuracy"]
