"""Optimizers and learning-rate schedules, with MindSpore 2.x's names and update rules.

An optimizer is a Cell that owns the network's Parameters and is called with their gradients:

    optimizer = nn.SGD(net.trainable_params(), learning_rate=0.1)
    loss, grads = grad_fn(x, y)          # grads: a tuple, one Tensor per parameter, in the same order
    optimizer(grads)                     # updates every parameter, returns (True, True, ...)

Every call does the same four things before the update rule itself:

    1. weight decay      g <- g + lambda * S * w    (S = loss_scale; skipped for names with 'beta'/'gamma')
    2. loss scale        g <- g / S                 (so together: g <- g/S + lambda * w)
    3. learning rate     lr <- the value for step t  (a constant, a list indexed by t, or a schedule(t))
    4. step counter      global_step <- t + 1

Then each optimizer applies its own rule to each parameter w with gradient g (t counts from 1 here):

    SGD         v <- g on the first step, else v <- u*v + (1 - dampening)*g       (only if u = momentum > 0)
                w <- w - lr*v,  or with nesterov  w <- w - lr*(g + u*v);  with u = 0: w <- w - lr*g
    Momentum    v <- u*v + g;   w <- w - lr*v,  or with use_nesterov  w <- w - lr*(g + u*v)
    Adam        m <- m + (1-b1)*(g - m);  v <- v + (1-b2)*(g*g - v)
                w <- w - lr * sqrt(1 - b2^t)/(1 - b1^t) * m / (sqrt(v) + eps)     (eps outside the correction)
    AdamWeightDecay   m, v as Adam, no bias correction;  w <- w - lr*(m/(sqrt(v) + eps) + lambda*w)
    RMSProp     s <- rho*s + (1-rho)*g*g      (s starts at ONE, not zero)
                m <- u*m + lr*g/sqrt(s + eps);  w <- w - m          (eps inside the square root)
                centered: gbar <- rho*gbar + (1-rho)*g;  the root is sqrt(s - gbar*gbar + eps)

These are the formulas of MindSpore 2.10's docstrings and kernels, checked number by number against
MindSpore on CPU (see tests/engine/test_optim.py). They are not all PyTorch's: PyTorch adds Adam's eps
after the bias correction, and starts RMSProp's average at zero with eps outside the square root.

Every update rebinds `param._data` to a new array; nothing is written in place, so an array a learner
saved with `asnumpy()` keeps its values after a step.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..common.i18n import _ as _tr
from ..tensor import Parameter, Tensor
from .cell import Cell

__all__ = [
    "Optimizer", "SGD", "Momentum", "Adam", "AdamWeightDecay", "RMSProp",
    "LearningRateSchedule", "ExponentialDecayLR", "CosineDecayLR", "PolynomialDecayLR", "WarmUpLR",
    "piecewise_constant_lr", "exponential_decay_lr", "cosine_decay_lr", "polynomial_decay_lr", "warmup_lr",
]

_GROUP_KEYS = ("params", "lr", "weight_decay", "order_params", "grad_centralization")


# ============================================================================================
# Learning-rate schedules: Cells that map the step number to a learning rate
# ============================================================================================
def _step_value(global_step: Any) -> np.ndarray:
    """The step as a float32 array (a Tensor, an ndarray or an int; shape kept)."""
    raw = global_step._data if isinstance(global_step, Tensor) else np.asarray(global_step)
    return raw.astype(np.float32)


def _check_float(value: Any, name: str, owner: str, positive: bool = True) -> None:
    """MindSpore's rule for schedule arguments: a float (not an int), > 0 (or >= 0)."""
    if not isinstance(value, float):
        raise TypeError(f"{owner}: {name} must be a float, got {type(value).__name__} {value!r}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{owner}: {name} must be {'> 0' if positive else '>= 0'}, got {value}")


def _check_positive_int(value: Any, name: str, owner: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value <= 0:
        raise ValueError(f"{owner}: {name} must be > 0, got {value}")


class LearningRateSchedule(Cell):
    """Base class of learning-rate schedules: `construct(global_step)` returns the rate for that step.

    An optimizer given a schedule calls it with its `global_step` (0 on the first call) before each
    update. Subclasses return a float32 Tensor; a shape-() or shape-(1,) result are both fine.
    """

    def construct(self, global_step: Any) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define construct(self, global_step)")


class ExponentialDecayLR(LearningRateSchedule):
    """lr(t) = learning_rate * decay_rate ** p, with p = t / decay_steps (floored if `is_stair`).

    Example: ExponentialDecayLR(0.1, 0.9, 2) gives 0.1, 0.0949, 0.09, 0.0854, ... for t = 0, 1, 2, 3.
    """

    def __init__(self, learning_rate: float, decay_rate: float, decay_steps: int, is_stair: bool = False) -> None:
        super().__init__()
        _check_float(learning_rate, "learning_rate", "ExponentialDecayLR")
        _check_float(decay_rate, "decay_rate", "ExponentialDecayLR")
        _check_positive_int(decay_steps, "decay_steps", "ExponentialDecayLR")
        self.learning_rate, self.decay_rate = learning_rate, decay_rate
        self.decay_steps, self.is_stair = decay_steps, bool(is_stair)

    def construct(self, global_step: Any) -> Tensor:
        p = _step_value(global_step) / np.float32(self.decay_steps)
        if self.is_stair:
            p = np.floor(p)
        return Tensor._wrap((self.learning_rate * np.power(np.float32(self.decay_rate), p)).astype(np.float32))


class CosineDecayLR(LearningRateSchedule):
    """lr(t) = min_lr + (max_lr - min_lr)/2 * (1 + cos(pi * min(t, decay_steps) / decay_steps)).

    Half a cosine from max_lr (t = 0) down to min_lr (t >= decay_steps), then constant.
    """

    def __init__(self, min_lr: float, max_lr: float, decay_steps: int) -> None:
        super().__init__()
        _check_float(min_lr, "min_lr", "CosineDecayLR", positive=False)
        _check_float(max_lr, "max_lr", "CosineDecayLR")
        _check_positive_int(decay_steps, "decay_steps", "CosineDecayLR")
        if min_lr >= max_lr:
            raise ValueError(f"CosineDecayLR: max_lr must be greater than min_lr, got max_lr={max_lr}, "
                             f"min_lr={min_lr}")
        self.min_lr, self.max_lr, self.decay_steps = min_lr, max_lr, decay_steps

    def construct(self, global_step: Any) -> Tensor:
        p = np.minimum(_step_value(global_step), np.float32(self.decay_steps))
        delta = 0.5 * (self.max_lr - self.min_lr)
        lr = self.min_lr + delta * (1.0 + np.cos(np.float32(math.pi) * p / np.float32(self.decay_steps)))
        return Tensor._wrap(lr.astype(np.float32))


class PolynomialDecayLR(LearningRateSchedule):
    """lr(t) = (learning_rate - end_learning_rate) * (1 - t/T) ** power + end_learning_rate.

    T = decay_steps and t = min(t, T); with `update_decay_steps`, T grows instead to the next multiple
    of decay_steps, T = decay_steps * max(ceil(t / decay_steps), 1), so the decay restarts.
    """

    def __init__(self, learning_rate: float, end_learning_rate: float, decay_steps: int, power: float,
                 update_decay_steps: bool = False) -> None:
        super().__init__()
        _check_float(learning_rate, "learning_rate", "PolynomialDecayLR")
        _check_float(end_learning_rate, "end_learning_rate", "PolynomialDecayLR", positive=False)
        _check_positive_int(decay_steps, "decay_steps", "PolynomialDecayLR")
        _check_float(power, "power", "PolynomialDecayLR")
        self.learning_rate, self.end_learning_rate = learning_rate, end_learning_rate
        self.decay_steps, self.power, self.update_decay_steps = decay_steps, power, bool(update_decay_steps)

    def construct(self, global_step: Any) -> Tensor:
        t = _step_value(global_step)
        total = np.float32(self.decay_steps)
        if self.update_decay_steps:
            total = total * np.maximum(np.ceil(t / total), np.float32(1.0))
        else:
            t = np.minimum(t, total)
        lr = (self.learning_rate - self.end_learning_rate) * np.power(1.0 - t / total, np.float32(self.power))
        return Tensor._wrap((lr + self.end_learning_rate).astype(np.float32))


class WarmUpLR(LearningRateSchedule):
    """lr(t) = learning_rate * min(t, warmup_steps) / warmup_steps (so the first step uses 0)."""

    def __init__(self, learning_rate: float, warmup_steps: int) -> None:
        super().__init__()
        _check_float(learning_rate, "learning_rate", "WarmUpLR", positive=False)
        _check_positive_int(warmup_steps, "warmup_steps", "WarmUpLR")
        self.learning_rate, self.warmup_steps = learning_rate, warmup_steps

    def construct(self, global_step: Any) -> Tensor:
        fraction = np.minimum(_step_value(global_step), np.float32(self.warmup_steps)) / np.float32(self.warmup_steps)
        return Tensor._wrap((self.learning_rate * fraction).astype(np.float32))


class _IteratorLearningRate(LearningRateSchedule):
    """A list of per-step rates as a schedule: step t uses `learning_rate[t]` (MindSpore's inner class)."""

    def __init__(self, values: np.ndarray, name: str) -> None:
        super().__init__()
        self.learning_rate = Parameter(values.astype(np.float32), name=name)

    def construct(self, global_step: Any) -> Tensor:
        step = int(np.asarray(_step_value(global_step)).reshape(-1)[0])
        count = self.learning_rate.shape[0]
        if step >= count:
            # MindSpore fails here too (a Gather index error); we say what happened.
            raise RuntimeError(f"learning_rate: the list of per-step learning rates has {count} values "
                               f"(steps 0..{count - 1}) but this is step {step}; give one value per step")
        return Tensor._wrap(np.array(self.learning_rate._data[step]))


# ----- the same schedules as plain lists, one value per step (MindSpore's nn.dynamic_lr) ------------
def piecewise_constant_lr(milestone: list[int], learning_rates: list[float]) -> list[float]:
    """Step i gets learning_rates[k] for milestone[k-1] <= i < milestone[k]; the list has milestone[-1] values.

    piecewise_constant_lr([2, 5], [0.1, 0.05]) == [0.1, 0.1, 0.05, 0.05, 0.05]
    """
    if not isinstance(milestone, (list, tuple)) or not isinstance(learning_rates, (list, tuple)):
        raise TypeError("piecewise_constant_lr: milestone and learning_rates must be lists or tuples")
    if len(milestone) != len(learning_rates):
        raise ValueError(f"piecewise_constant_lr: milestone has {len(milestone)} entries but learning_rates "
                         f"has {len(learning_rates)}; they must be the same size")
    lr: list[float] = []
    last = 0
    for i, (end, rate) in enumerate(zip(milestone, learning_rates)):
        _check_positive_int(end, f"milestone[{i}]", "piecewise_constant_lr")
        if not isinstance(rate, float):
            raise TypeError(f"piecewise_constant_lr: learning_rates[{i}] must be a float, got {rate!r}")
        if end < last:
            raise ValueError(f"piecewise_constant_lr: milestone must increase, but milestone[{i}] = {end} "
                             f"< milestone[{i - 1}] = {last}")
        lr += [rate] * (end - last)
        last = end
    return lr


def _check_dynamic_lr_args(owner: str, total_step: int, step_per_epoch: int, decay_epoch: int) -> None:
    for name, value in (("total_step", total_step), ("step_per_epoch", step_per_epoch),
                        ("decay_epoch", decay_epoch)):
        _check_positive_int(value, name, owner)


def exponential_decay_lr(learning_rate: float, decay_rate: float, total_step: int, step_per_epoch: int,
                         decay_epoch: int, is_stair: bool = False) -> list[float]:
    """lr[i] = learning_rate * decay_rate ** (epoch / decay_epoch), epoch = floor(i / step_per_epoch).

    With `is_stair` the exponent is floored too. Returns `total_step` values.
    """
    _check_dynamic_lr_args("exponential_decay_lr", total_step, step_per_epoch, decay_epoch)
    _check_float(learning_rate, "learning_rate", "exponential_decay_lr")
    _check_float(decay_rate, "decay_rate", "exponential_decay_lr")
    lr = []
    for i in range(total_step):
        exponent = math.floor(i / step_per_epoch) / decay_epoch
        lr.append(learning_rate * decay_rate ** (math.floor(exponent) if is_stair else exponent))
    return lr


def cosine_decay_lr(min_lr: float, max_lr: float, total_step: int, step_per_epoch: int,
                    decay_epoch: int) -> list[float]:
    """lr[i] = min_lr + (max_lr - min_lr)/2 * (1 + cos(pi * e / decay_epoch)), e = min(epoch, decay_epoch)."""
    _check_float(min_lr, "min_lr", "cosine_decay_lr", positive=False)
    _check_float(max_lr, "max_lr", "cosine_decay_lr")
    _check_dynamic_lr_args("cosine_decay_lr", total_step, step_per_epoch, decay_epoch)
    delta = 0.5 * (max_lr - min_lr)
    lr = []
    for i in range(total_step):
        epoch = min(math.floor(i / step_per_epoch), decay_epoch)
        lr.append(min_lr + delta * (1 + math.cos(math.pi * epoch / decay_epoch)))
    return lr


def polynomial_decay_lr(learning_rate: float, end_learning_rate: float, total_step: int, step_per_epoch: int,
                        decay_epoch: int, power: float, update_decay_epoch: bool = False) -> list[float]:
    """lr[i] = (learning_rate - end_learning_rate) * (1 - e/D) ** power + end_learning_rate, per epoch.

    e = min(epoch, D) with D = decay_epoch; with `update_decay_epoch`, e = epoch and D grows to
    decay_epoch * max(ceil(epoch / decay_epoch), 1).
    """
    _check_float(learning_rate, "learning_rate", "polynomial_decay_lr")
    _check_float(end_learning_rate, "end_learning_rate", "polynomial_decay_lr", positive=False)
    _check_float(power, "power", "polynomial_decay_lr")
    _check_dynamic_lr_args("polynomial_decay_lr", total_step, step_per_epoch, decay_epoch)
    lr = []
    delta = learning_rate - end_learning_rate
    for i in range(total_step):
        epoch = math.floor(i / step_per_epoch)
        if update_decay_epoch:
            total = decay_epoch * max(math.ceil(epoch / decay_epoch), 1)
        else:
            total, epoch = decay_epoch, min(epoch, decay_epoch)
        lr.append(delta * (1 - epoch / total) ** power + end_learning_rate)
    return lr


def warmup_lr(learning_rate: float, total_step: int, step_per_epoch: int, warmup_epoch: int) -> list[float]:
    """lr[i] = learning_rate * min(epoch, warmup_epoch) / warmup_epoch, epoch = floor(i / step_per_epoch)."""
    _check_float(learning_rate, "learning_rate", "warmup_lr", positive=False)
    _check_dynamic_lr_args("warmup_lr", total_step, step_per_epoch, warmup_epoch)
    return [learning_rate * min(math.floor(i / step_per_epoch), warmup_epoch) / warmup_epoch
            for i in range(total_step)]


# ============================================================================================
# The optimizer base class
# ============================================================================================
def _state_like(params: tuple[Parameter, ...], prefix: str, fill: float) -> tuple[Parameter, ...]:
    """One state buffer per parameter, named '<prefix>.<param name>' as in MindSpore (moment1.fc.weight)."""
    return tuple(Parameter(np.full_like(p._data, fill), name=f"{prefix}.{p.name}") for p in params)


def _assign(param: Parameter, new: np.ndarray) -> None:
    """Give `param` a NEW array (never write into the old one, which a learner may still hold)."""
    dtype = param._data.dtype
    param._data = new if type(new) is np.ndarray and new.dtype == dtype else np.asarray(new).astype(dtype, copy=False)


def _is_number(value: Any) -> bool:
    """An int or float, NumPy scalars included (np.float32(0.1) is not a Python float); not a bool."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


class Optimizer(Cell):
    """Base class of the optimizers: parameters, learning rate, weight decay, loss scale, step counter.

    Args:
        learning_rate: a float or int (>= 0); a scalar Tensor; a list, 1-D ndarray or 1-D Tensor of
            per-step values (step t uses entry t, and running past the end is an error, as in MindSpore);
            or a `LearningRateSchedule`, called with the step number t = 0, 1, 2, ...
        parameters: an iterable of Parameters, or a list of group dicts
            `{'params': [...], 'lr': ..., 'weight_decay': ...}` plus optionally `{'order_params': [...]}`
            to fix the order of `self.parameters`.
        weight_decay: lambda >= 0, added to the gradient as g + lambda * w. Without groups it skips
            parameters whose name contains 'beta' or 'gamma' (normalization layers); with groups, every
            parameter of a group with lambda > 0 is decayed, whatever its name (MindSpore's rule).
        loss_scale: S > 0; gradients are divided by S (they came from a loss multiplied by S).

    Call it with a tuple of gradients aligned with `self.parameters`: `optimizer(grads)` updates the
    parameters and returns a tuple of True, one per parameter. Subclasses write `construct(gradients)`.
    """

    def __init__(self, learning_rate: Any, parameters: Any, weight_decay: float = 0.0,
                 loss_scale: float = 1.0) -> None:
        super().__init__(auto_prefix=False)
        parameters = self._check_parameter_list(parameters)
        if _is_number(loss_scale):
            loss_scale = float(loss_scale)
        if not isinstance(loss_scale, float) or loss_scale <= 0:
            raise ValueError(f"{self.cls_name}: loss_scale must be a float > 0, got {loss_scale!r}")
        self.loss_scale = loss_scale
        self.need_scale = loss_scale != 1.0
        self.global_step = Parameter(np.zeros(1, np.int32), name="global_step", requires_grad=False)
        self.dynamic_lr = False
        self.is_group = isinstance(parameters[0], dict)
        self.is_group_lr = False
        default_lr = self._build_single_lr(learning_rate, "learning_rate")
        if self.is_group:
            params, lrs, decays = self._parse_groups(parameters, default_lr, weight_decay)
        else:
            params = parameters
            lrs = [default_lr] * len(params)
            decays = [self._check_weight_decay(weight_decay)] * len(params)
        self.parameters = tuple(params)  # MindSpore's ParameterTuple
        self._parameters = self.parameters
        self._lr_per_param = lrs
        if self.is_group_lr:
            self.learning_rate = tuple(lrs)
        else:
            self.learning_rate = default_lr  # a Parameter named 'learning_rate', or a schedule Cell
        if self.is_group:
            self.decay_flags = tuple(wd > 0 for wd in decays)
            self.weight_decay = tuple(wd * loss_scale for wd in decays)
        else:
            self.decay_flags = tuple("beta" not in p.name and "gamma" not in p.name for p in params)
            self.weight_decay = decays[0] * loss_scale
        self.exec_weight_decay = any(wd > 0 and flag for wd, flag in zip(decays, self.decay_flags))

    @property
    def cls_name(self) -> str:
        return type(self).__name__

    # ----- construction helpers ------------------------------------------------------------------
    def _check_parameter_list(self, parameters: Any, what: str = "parameters") -> list:
        """A non-empty list of Parameters, or (for the top level) of group dicts, never a mix."""
        if parameters is None:
            raise ValueError(f"{self.cls_name}: the argument {what} can not be None")
        if isinstance(parameters, (Parameter, dict)) or not isinstance(parameters, Iterable):
            raise TypeError(f"{self.cls_name}: {what} must be a list of Parameters or of group dicts, got "
                            f"{type(parameters).__name__}; e.g. {self.cls_name}(net.trainable_params(), ...)")
        parameters = list(parameters)
        if not parameters:
            raise ValueError(f"{self.cls_name}: the argument {what} must not be empty")
        groups_allowed = what == "parameters"
        if groups_allowed and all(isinstance(item, dict) for item in parameters):
            return parameters
        for item in parameters:
            if not isinstance(item, Parameter):
                raise TypeError(f"{self.cls_name}: every element of {what} must be a Parameter"
                                f"{' (or every one a group dict)' if groups_allowed else ''}, "
                                f"got {type(item).__name__}")
        return parameters

    def _check_weight_decay(self, weight_decay: Any) -> float:
        if not _is_number(weight_decay):
            raise TypeError(f"{self.cls_name}: weight_decay must be an int or a float, got "
                            f"{type(weight_decay).__name__} {weight_decay!r}")
        if weight_decay < 0:
            raise ValueError(f"{self.cls_name}: weight_decay must be >= 0, got {weight_decay}")
        return float(weight_decay)

    def _build_single_lr(self, learning_rate: Any, name: str) -> Any:
        """A constant rate becomes a shape-() float32 Parameter `name`; anything per-step, a schedule."""
        if _is_number(learning_rate):
            if learning_rate < 0:
                raise ValueError(f"{self.cls_name}: learning_rate must be >= 0, got {learning_rate}")
            return Parameter(np.array(learning_rate, np.float32), name=name)
        if isinstance(learning_rate, LearningRateSchedule):
            self.dynamic_lr = True
            return learning_rate
        if isinstance(learning_rate, (Tensor, np.ndarray)) and learning_rate.ndim == 0:
            return self._build_single_lr(float(learning_rate), name)
        if isinstance(learning_rate, (Tensor, np.ndarray, list, tuple)):
            values = np.asarray(learning_rate._data if isinstance(learning_rate, Tensor) else learning_rate,
                                np.float32)
            if values.ndim != 1 or values.size == 0:
                raise ValueError(f"{self.cls_name}: a per-step learning_rate must be 1-D and non-empty, "
                                 f"got shape {values.shape}")
            if (values < 0).any():
                raise ValueError(f"{self.cls_name}: learning rates must be >= 0, got {values.min()}")
            self.dynamic_lr = True
            return _IteratorLearningRate(values, name)
        raise TypeError(f"{self.cls_name}: learning_rate must be a float, an int, a Tensor, a list or a "
                        f"LearningRateSchedule, got {type(learning_rate).__name__}")

    def _parse_groups(self, groups: list[dict], default_lr: Any, weight_decay: Any) -> tuple[list, list, list]:
        """Flatten group dicts into aligned lists: parameters, their lr objects, their weight decays."""
        params: list[Parameter] = []
        lrs: list[Any] = []
        decays: list[float] = []
        order = None
        for index, group in enumerate(groups):
            unknown = [key for key in group if key not in _GROUP_KEYS]
            if unknown:
                raise KeyError(f"{self.cls_name}: group keys must be among {list(_GROUP_KEYS)}, got {unknown}")
            if "order_params" in group:
                if len(group) > 1:
                    raise ValueError(f"{self.cls_name}: the 'order_params' dict must have no other key, got "
                                     f"{list(group)}")
                order = list(group["order_params"])
                continue
            if group.get("grad_centralization", False):
                raise NotImplementedError(f"{self.cls_name}: grad_centralization is not supported in TinySpore")
            members = self._check_parameter_list(group.get("params"), f"group {index} 'params'")
            lr = self._build_single_lr(group["lr"], f"learning_rate_group_{index}") if "lr" in group else default_lr
            self.is_group_lr = self.is_group_lr or "lr" in group
            wd = self._check_weight_decay(group.get("weight_decay", weight_decay))
            for param in members:
                if any(param is p for p in params):
                    raise RuntimeError(f"{self.cls_name}: parameter '{param.name}' appears in two groups")
                params.append(param)
                lrs.append(lr)
                decays.append(wd)
        if order is not None:
            positions = self._order_positions(order, params)
            params, lrs, decays = ([seq[i] for i in positions] for seq in (params, lrs, decays))
        return params, lrs, decays

    def _order_positions(self, order: list, params: list[Parameter]) -> list[int]:
        if len(order) != len(params):
            raise ValueError(f"{self.cls_name}: 'order_params' has {len(order)} parameters but the groups have "
                             f"{len(params)}; it must list each grouped parameter once")
        positions = []
        for param in order:
            where = [i for i, p in enumerate(params) if p is param]
            if not where:
                raise ValueError(f"{self.cls_name}: 'order_params' lists '{getattr(param, 'name', param)}', "
                                 f"which is in no group")
            positions.append(where[0])
        return positions

    # ----- what every step does first ------------------------------------------------------------
    def __call__(self, gradients: Any) -> Any:
        return self.construct(self._check_gradients(gradients))

    def _check_gradients(self, gradients: Any) -> tuple[Tensor, ...]:
        """A tuple with one gradient per parameter, each of the parameter's shape."""
        # Speed: what grad/value_and_grad returns (a tuple of Tensors of the right shapes) passes with one
        # test per gradient; anything else goes through the checks below, which say what is wrong.
        if (type(gradients) is tuple and len(gradients) == len(self._parameters)
                and all([type(g) is Tensor and g._data.shape == p._data.shape
                         for g, p in zip(gradients, self._parameters)])):
            return gradients
        name = self.cls_name
        if isinstance(gradients, (Tensor, np.ndarray)):
            raise TypeError(_tr("{name}: expected a tuple of gradients, one per parameter ({count}), but got a "
                                "single {kind} of shape {shape}; pass the whole tuple that grad/value_and_grad "
                                "returned").format(name=name, count=len(self.parameters),
                                                   kind=type(gradients).__name__, shape=gradients.shape))
        if isinstance(gradients, list):
            raise TypeError(f"{name}: gradients must be a tuple (MindSpore rejects a list); use tuple(grads)")
        if not isinstance(gradients, tuple):
            raise TypeError(f"{name}: gradients must be a tuple of Tensors, got {type(gradients).__name__}")
        if len(gradients) != len(self.parameters):
            names = ", ".join(p.name for p in self.parameters)
            raise ValueError(f"{name}: got {len(gradients)} gradients for {len(self.parameters)} parameters "
                             f"({names}); the tuple must be aligned with optimizer.parameters")
        checked = []
        for i, (grad, param) in enumerate(zip(gradients, self.parameters)):
            if not isinstance(grad, (Tensor, np.ndarray)):
                raise TypeError(f"{name}: gradient {i} (for parameter '{param.name}') is a "
                                f"{type(grad).__name__}, not a Tensor")
            if grad.shape != param.shape:
                raise ValueError(f"{name}: gradient {i} for parameter '{param.name}' has shape {tuple(grad.shape)} "
                                 f"but the parameter has shape {param.shape}")
            checked.append(grad if isinstance(grad, Tensor) else Tensor(grad))
        return tuple(checked)

    def decay_weight(self, gradients: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
        """g + weight_decay * w for each parameter whose decay flag is set (the others unchanged)."""
        if not self.exec_weight_decay:
            return gradients
        decays = self.weight_decay if self.is_group else (self.weight_decay,) * len(gradients)
        return tuple(
            Tensor._wrap(g._data + np.float32(wd) * p._data) if flag and wd > 0 else g
            for g, p, wd, flag in zip(gradients, self._parameters, decays, self.decay_flags))

    def scale_grad(self, gradients: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
        """g / loss_scale (the gradients of a loss that was multiplied by loss_scale)."""
        if not self.need_scale:
            return gradients
        reciprocal = np.float32(1.0 / self.loss_scale)
        return tuple(Tensor._wrap(g._data * reciprocal) for g in gradients)

    def get_weight_decay(self) -> Any:
        return self.weight_decay

    def _lr_value(self, lr: Any) -> np.ndarray:
        """The float32 learning rate of one lr object at the current step."""
        if isinstance(lr, Parameter):
            return lr._data
        out = lr(self.global_step)
        out = out._data if isinstance(out, Tensor) else np.asarray(out)
        return np.asarray(out, np.float32).reshape(())

    def get_lr(self) -> Any:
        """The learning rate for the current step: the Parameter, or a shape-() Tensor if it changes
        per step; a tuple of them (one per parameter) when groups set their own 'lr'."""
        def current(lr: Any) -> Any:
            return lr if isinstance(lr, Parameter) else Tensor._wrap(self._lr_value(lr))
        if self.is_group_lr:
            return tuple(current(lr) for lr in self._lr_per_param)
        return current(self.learning_rate)

    def get_lr_parameter(self, param: Any) -> Any:
        """The lr object (Parameter or schedule) used for `param`, or a list of them for a list."""
        params = param if isinstance(param, list) else [param]
        found = []
        for p in params:
            where = [i for i, q in enumerate(self._parameters) if q is p]
            if not where:
                raise ValueError(f"get_lr_parameter: parameter {getattr(p, 'name', p)!r} is not in this optimizer")
            lr = self._lr_per_param[where[0]]
            found.append(lr.learning_rate if isinstance(lr, _IteratorLearningRate) else lr)
        return found if isinstance(param, list) else found[0]

    def _prepare(self, gradients: tuple[Tensor, ...]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Steps 1-4 of every update: decay, unscale, read the learning rates, count the step.

        Returns the gradients as float32 arrays and one learning rate per parameter.
        """
        gradients = self.scale_grad(self.decay_weight(gradients))
        if self.dynamic_lr or self.is_group_lr:
            lrs = [self._lr_value(lr) for lr in self._lr_per_param]  # read at step t, before counting it
        else:  # one constant rate for all (the common case): read it once
            lrs = [self.learning_rate._data] * len(self._lr_per_param)
        self.global_step._data = self.global_step._data + 1
        grads = [g._data if g._data.dtype == p._data.dtype else g._data.astype(p._data.dtype)
                 for g, p in zip(gradients, self._parameters)]
        return grads, lrs

    def construct(self, gradients: tuple[Tensor, ...]) -> tuple[bool, ...]:
        raise NotImplementedError(f"{self.cls_name} must define construct(self, gradients)")

    def extend_repr(self) -> str:
        lr = self.learning_rate
        if isinstance(lr, Parameter):
            return f"learning_rate={float(lr._data):g}"
        return "learning_rate=<per group>" if self.is_group_lr else f"learning_rate={type(lr).__name__}"


# ============================================================================================
# The optimizers
# ============================================================================================
class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum u, dampening d and Nesterov momentum.

        with u = 0:      w <- w - lr * g
        with u > 0:      v <- g                        on the first step (no dampening there)
                         v <- u * v + (1 - d) * g      afterwards
                         w <- w - lr * v               or, with nesterov,  w <- w - lr * (g + u * v)

    State: `accum` (v, named 'accum.<param>', zeros) and `stat` ('stat.<param>', ones until the first
    momentum step marks it 0), as in MindSpore. nesterov needs momentum > 0 and dampening = 0.
    """

    def __init__(self, params: Any, learning_rate: Any = 0.1, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, loss_scale: float = 1.0) -> None:
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        momentum = self._non_negative_float(momentum, "momentum")
        dampening = self._non_negative_float(dampening, "dampening")
        if not isinstance(nesterov, bool):
            raise TypeError(f"SGD: nesterov must be a bool, got {type(nesterov).__name__}")
        if nesterov and (momentum <= 0.0 or dampening != 0.0):
            raise ValueError(f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum={momentum}, "
                             f"dampening={dampening}")
        self.momentum, self.dampening, self.nesterov = momentum, dampening, nesterov
        self.accum = _state_like(self._parameters, "accum", 0.0)
        self.stat = _state_like(self._parameters, "stat", 1.0)

    def _non_negative_float(self, value: Any, name: str) -> float:
        if not _is_number(value):
            raise TypeError(f"SGD: {name} must be a float, got {type(value).__name__} {value!r}")
        if value < 0:
            raise ValueError(f"SGD: {name} must be >= 0, got {value}")
        return float(value)

    def construct(self, gradients: tuple[Tensor, ...]) -> tuple[bool, ...]:
        grads, lrs = self._prepare(gradients)
        if self.momentum == 0:
            # Speed: the plain rule w <- w - lr*g with one temporary instead of two: lr*g is a new
            # array, and w - (lr*g) is written into it (`out=`). Correct because that array is ours
            # alone; `g` (the caller's gradient) and the old `w` (a learner may hold it) are untouched.
            for param, g, lr in zip(self._parameters, grads, lrs):
                step = lr * g
                _assign(param, np.subtract(param._data, step, out=step))
            return (True,) * len(grads)
        u = np.float32(self.momentum)
        for param, g, lr, accum, stat in zip(self._parameters, grads, lrs, self.accum, self.stat):
            step = g
            if self.momentum > 0:
                first = stat._data > 0
                v = np.where(first, g, u * accum._data + np.float32(1.0 - self.dampening) * g)
                _assign(accum, v)
                _assign(stat, np.zeros_like(stat._data))
                step = g + u * v if self.nesterov else v
            _assign(param, param._data - lr * step)
        return (True,) * len(grads)

    def extend_repr(self) -> str:
        return (f"{super().extend_repr()}, momentum={self.momentum}, dampening={self.dampening}, "
                f"nesterov={self.nesterov}")


class Momentum(Optimizer):
    """Gradient descent with momentum u (no dampening, no special first step):

        v <- u * v + g
        w <- w - lr * v               or, with use_nesterov,  w <- w - lr * (g + u * v)

    State: `moments` (v, named 'moments.<param>', zeros). learning_rate and momentum are required;
    momentum must be a float >= 0 (values above 1 are accepted, as in MindSpore, and diverge).
    Note: MindSpore 2.10's CPU kernel ignores use_nesterov (measured: same numbers as without it);
    we follow its documented formula above, as SGD(nesterov=True) does on every device.
    """

    def __init__(self, params: Any, learning_rate: Any, momentum: float, weight_decay: float = 0.0,
                 loss_scale: float = 1.0, use_nesterov: bool = False) -> None:
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        if not isinstance(momentum, float):
            raise TypeError(f"Momentum: momentum must be a float, got {type(momentum).__name__} {momentum!r}")
        if momentum < 0.0:
            raise ValueError(f"Momentum: momentum must be >= 0, got {momentum}")
        if not isinstance(use_nesterov, bool):
            raise TypeError(f"Momentum: use_nesterov must be a bool, got {type(use_nesterov).__name__}")
        self.momentum, self.use_nesterov = momentum, use_nesterov
        self.moments = _state_like(self._parameters, "moments", 0.0)

    def construct(self, gradients: tuple[Tensor, ...]) -> tuple[bool, ...]:
        grads, lrs = self._prepare(gradients)
        u = np.float32(self.momentum)
        for param, g, lr, moment in zip(self._parameters, grads, lrs, self.moments):
            v = u * moment._data + g
            _assign(moment, v)
            step = g + u * v if self.use_nesterov else v
            _assign(param, param._data - lr * step)
        return (True,) * len(grads)

    def extend_repr(self) -> str:
        return f"{super().extend_repr()}, momentum={self.momentum}, use_nesterov={self.use_nesterov}"


def _check_betas(owner: str, beta1: Any, beta2: Any, eps: Any) -> None:
    """MindSpore's checks: floats, 0 < beta < 1, eps > 0."""
    for name, value in (("beta1", beta1), ("beta2", beta2), ("eps", eps)):
        if not isinstance(value, float):
            raise TypeError(f"{owner}: {name} must be a float, got {type(value).__name__} {value!r}")
    for name, value in (("beta1", beta1), ("beta2", beta2)):
        if not 0.0 < value < 1.0:
            raise ValueError(f"{owner}: {name} must be in the open range (0, 1), got {value}")
    if eps <= 0:
        raise ValueError(f"{owner}: eps must be > 0, got {eps}")


class Adam(Optimizer):
    """Adam: running averages of g and g*g with bias correction (t = 1 on the first step):

        m <- b1 * m + (1 - b1) * g
        v <- b2 * v + (1 - b2) * g * g
        w <- w - lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)

    eps is added to sqrt(v), outside the bias correction (MindSpore's kernel; it equals the textbook
    m_hat / (sqrt(v_hat) + eps_hat) with eps_hat = eps / sqrt(1 - b2^t)). With use_nesterov, m in the
    update is replaced by b1 * m + (1 - b1) * g. weight_decay is L2 on the gradient (g + lambda*w),
    not AdamW: for decoupled decay use AdamWeightDecay.

    State: `moment1` (m), `moment2` (v), named 'moment1.<param>', 'moment2.<param>'; `beta1_power`
    and `beta2_power` (b1^t, b2^t, shape () Parameters starting at 1).
    """

    def __init__(self, params: Any, learning_rate: Any = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, use_locking: bool = False, use_nesterov: bool = False,
                 weight_decay: float = 0.0, loss_scale: float = 1.0) -> None:
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        _check_betas("Adam", beta1, beta2, eps)
        for name, flag in (("use_locking", use_locking), ("use_nesterov", use_nesterov)):
            if not isinstance(flag, bool):
                raise TypeError(f"Adam: {name} must be a bool, got {type(flag).__name__}")
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.use_locking, self.use_nesterov = use_locking, use_nesterov
        self.beta1_power = Parameter(np.array(1.0, np.float32), name="beta1_power", requires_grad=False)
        self.beta2_power = Parameter(np.array(1.0, np.float32), name="beta2_power", requires_grad=False)
        self.moment1 = _state_like(self._parameters, "moment1", 0.0)
        self.moment2 = _state_like(self._parameters, "moment2", 0.0)

    def construct(self, gradients: tuple[Tensor, ...]) -> tuple[bool, ...]:
        grads, lrs = self._prepare(gradients)
        b1, b2, eps = np.float32(self.beta1), np.float32(self.beta2), np.float32(self.eps)
        _assign(self.beta1_power, self.beta1_power._data * b1)  # b1^t
        _assign(self.beta2_power, self.beta2_power._data * b2)  # b2^t
        correction = np.sqrt(1 - self.beta2_power._data) / (1 - self.beta1_power._data)
        for param, g, lr, m_buf, v_buf in zip(self._parameters, grads, lrs, self.moment1, self.moment2):
            m = m_buf._data + (g - m_buf._data) * (1 - b1)
            v = v_buf._data + (g * g - v_buf._data) * (1 - b2)
            _assign(m_buf, m)
            _assign(v_buf, v)
            numerator = b1 * m + (1 - b1) * g if self.use_nesterov else m
            _assign(param, param._data - (lr * correction) * numerator / (np.sqrt(v) + eps))
        return (True,) * len(grads)

    def extend_repr(self) -> str:
        return f"{super().extend_repr()}, beta1={self.beta1}, beta2={self.beta2}, eps={self.eps}"


class AdamWeightDecay(Optimizer):
    """Adam with decoupled weight decay (AdamW-like) and NO bias correction, as MindSpore computes it:

        m <- b1 * m + (1 - b1) * g
        v <- b2 * v + (1 - b2) * g * g
        w <- w - lr * (m / (sqrt(v) + eps) + lambda * w)      (lambda * w only where decay applies)

    State: `moments1` ('adam_m.<param>') and `moments2` ('adam_v.<param>'). No loss_scale argument.
    """

    def __init__(self, params: Any, learning_rate: Any = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-6, weight_decay: float = 0.0) -> None:
        super().__init__(learning_rate, params, weight_decay)
        _check_betas("AdamWeightDecay", beta1, beta2, eps)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.moments1 = _state_like(self._parameters, "adam_m", 0.0)
        self.moments2 = _state_like(self._parameters, "adam_v", 0.0)

    def construct(self, gradients: tuple[Tensor, ...]) -> tuple[bool, ...]:
        # No decay_weight/scale_grad here: the decay is part of the update, not of the gradient.
        lrs = [self._lr_value(lr) for lr in self._lr_per_param]
        self.global_step._data = self.global_step._data + 1
        b1, b2, eps = np.float32(self.beta1), np.float32(self.beta2), np.float32(self.eps)
        decays = self.weight_decay if self.is_group else (self.weight_decay,) * len(gradients)
        for i, (param, grad, lr) in enumerate(zip(self._parameters, gradients, lrs)):
            g = grad._data.astype(param._data.dtype, copy=False)
            m = b1 * self.moments1[i]._data + (1 - b1) * g
            v = b2 * self.moments2[i]._data + (1 - b2) * g * g
            _assign(self.moments1[i], m)
            _assign(self.moments2[i], v)
            update = m / (np.sqrt(v) + eps)
            if self.decay_flags[i] and decays[i] > 0:
                update = update + np.float32(decays[i]) * param._data
            _assign(param, param._data - lr * update)
        return (True,) * len(gradients)


class RMSProp(Optimizer):
    """RMSProp: divide the gradient by a running root mean square (rho = decay, u = momentum):

        s <- rho * s + (1 - rho) * g * g                 (s starts at 1, not 0)
        m <- u * m + lr * g / sqrt(s + epsilon)          (epsilon inside the square root)
        w <- w - m

    centered=True also tracks the mean gradient gbar <- rho * gbar + (1 - rho) * g and uses
    sqrt(s - gbar * gbar + epsilon), an estimate of the variance instead of the raw second moment.

    State: `ms` ('mean_square.<param>', ones), `moment` ('moment.<param>', zeros) and, if centered,
    `mg` ('mean_grad.<param>', zeros): MindSpore's attribute and parameter names.
    """

    def __init__(self, params: Any, learning_rate: Any = 0.1, decay: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-10, use_locking: bool = False, centered: bool = False,
                 loss_scale: float = 1.0, weight_decay: float = 0.0) -> None:
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        for name, value in (("decay", decay), ("momentum", momentum), ("epsilon", epsilon)):
            if not isinstance(value, float):
                raise TypeError(f"RMSProp: {name} must be a float, got {type(value).__name__} {value!r}")
        if decay < 0 or momentum < 0:
            raise ValueError(f"RMSProp: decay and momentum must be >= 0, got decay={decay}, momentum={momentum}")
        if epsilon <= 0:
            raise ValueError(f"RMSProp: epsilon must be > 0, got {epsilon}")
        for name, flag in (("use_locking", use_locking), ("centered", centered)):
            if not isinstance(flag, bool):
                raise TypeError(f"RMSProp: {name} must be a bool, got {type(flag).__name__}")
        self.decay, self.momentum, self.epsilon = decay, momentum, epsilon
        self.use_locking, self.centered = use_locking, centered
        self.ms = _state_like(self._parameters, "mean_square", 1.0)
        self.moment = _state_like(self._parameters, "moment", 0.0)
        if centered:
            self.mg = _state_like(self._parameters, "mean_grad", 0.0)

    def construct(self, gradients: tuple[Tensor, ...]) -> tuple[bool, ...]:
        grads, lrs = self._prepare(gradients)
        rho, u, eps = np.float32(self.decay), np.float32(self.momentum), np.float32(self.epsilon)
        for i, (param, g, lr) in enumerate(zip(self._parameters, grads, lrs)):
            s = rho * self.ms[i]._data + (1 - rho) * g * g
            _assign(self.ms[i], s)
            if self.centered:
                gbar = rho * self.mg[i]._data + (1 - rho) * g
                _assign(self.mg[i], gbar)
                s = s - gbar * gbar
            m = u * self.moment[i]._data + lr * g / np.sqrt(s + eps)
            _assign(self.moment[i], m)
            _assign(param, param._data - m)
        return (True,) * len(grads)

    def extend_repr(self) -> str:
        return (f"{super().extend_repr()}, decay={self.decay}, momentum={self.momentum}, "
                f"epsilon={self.epsilon}, centered={self.centered}")
