"""`nn.BatchNorm1d` and `nn.BatchNorm2d`: normalize each channel, then scale by gamma and shift by beta.

MindSpore's conventions, checked on MindSpore 2.10:
- `momentum=0.9` is the share of the *old* moving statistic that is kept:
  moving = momentum * moving + (1 - momentum) * batch  (PyTorch's momentum is the other share).
- Training normalizes with the batch mean and the biased batch variance, but moving_variance is
  updated with the *unbiased* batch variance (divided by M - 1).
- Cells start in evaluation mode (`training=False`): until `set_train()`, BatchNorm uses the moving
  statistics. use_batch_statistics=True always uses (and updates) batch statistics; False never does.
- Parameters, in this order: moving_mean, moving_variance (requires_grad=False), gamma, beta.
"""

from __future__ import annotations

from typing import Any

from .. import dtype as mstype
from ..common.initializer import initializer
from ..ops import nn_ops
from ..tensor import Parameter, Tensor
from .cell import Cell

__all__ = ["BatchNorm1d", "BatchNorm2d"]


class _BatchNorm(Cell):
    """Batch normalization over every axis but the channel axis 1; subclasses fix the input rank."""

    _ranks: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.9, affine: bool = True,
                 gamma_init: Any = "ones", beta_init: Any = "zeros", moving_mean_init: Any = "zeros",
                 moving_var_init: Any = "ones", use_batch_statistics: bool | None = None,
                 data_format: str = "NCHW", dtype: Any = mstype.float32) -> None:
        super().__init__()
        name = type(self).__name__
        if not isinstance(num_features, int) or isinstance(num_features, bool) or num_features < 1:
            raise ValueError(f"{name}: num_features must be a positive int, got {num_features!r}")
        if not 0 <= momentum <= 1:
            raise ValueError(f"{name}: momentum must be in [0, 1], got {momentum}")
        if data_format != "NCHW":
            raise ValueError(f"{name}: only data_format='NCHW' is supported, got {data_format!r}")
        self.num_features, self.eps, self.momentum, self.affine = num_features, eps, momentum, affine
        self.use_batch_statistics, self.format = use_batch_statistics, data_format
        shape = (num_features,)
        self.moving_mean = Parameter(initializer(moving_mean_init, shape, dtype), requires_grad=False)
        self.moving_variance = Parameter(initializer(moving_var_init, shape, dtype), requires_grad=False)
        self.gamma = Parameter(initializer(gamma_init, shape, dtype), requires_grad=affine)
        self.beta = Parameter(initializer(beta_init, shape, dtype), requires_grad=affine)

    def construct(self, x: Tensor) -> Tensor:
        if x.ndim not in self._ranks:
            dims = " or ".join(f"{r}-D" for r in self._ranks)
            raise ValueError(f"{type(self).__name__}: input must be {dims} with channels on axis 1, "
                             f"got shape {x.shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}: input has {x.shape[1]} channels (shape {x.shape}) but "
                             f"num_features={self.num_features}")
        use_batch = self.training if self.use_batch_statistics is None else self.use_batch_statistics
        # ops.batch_norm's momentum is the share of the *batch* statistic: 1 - ours.
        return nn_ops.batch_norm(x, self.moving_mean, self.moving_variance, self.gamma, self.beta,
                                 training=bool(use_batch), momentum=1 - self.momentum, eps=self.eps)

    def extend_repr(self) -> str:
        return (f"num_features={self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"gamma={self.gamma!r}, beta={self.beta!r}, moving_mean={self.moving_mean!r}, "
                f"moving_variance={self.moving_variance!r}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) input, per channel C (statistics over N and L)."""

    _ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) input, per channel C (statistics over N, H and W)."""

    _ranks = (4,)
