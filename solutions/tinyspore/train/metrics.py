"""Metrics: running scores over a whole evaluation, batch by batch (`mindspore.train` metrics).

Every metric has three methods: `clear()` forgets everything, `update(y_pred, y)` adds one batch,
`eval()` returns the score over all batches since the last `clear()`. `Model.eval` calls them for you;
`metrics={'accuracy', 'loss'}` picks metrics by name.

Formulas follow MindSpore 2.10: `Accuracy`, `MAE`, `MSE` and top-k average over *samples*;
`Loss` averages the per-batch losses over *batches* (a smaller last batch weighs as much as the others).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from ..tensor import Tensor

__all__ = ["Metric", "Accuracy", "Loss", "MAE", "MSE", "Precision", "Recall", "TopKCategoricalAccuracy",
           "Top1CategoricalAccuracy", "Top5CategoricalAccuracy", "get_metric_fn", "get_metrics", "names"]


def _to_numpy(data: Any) -> np.ndarray:
    if isinstance(data, Tensor):
        return data.asnumpy()
    return np.asarray(data)


def _is_one_hot(y: np.ndarray) -> bool:
    return y.ndim > 1 and bool(np.all(y * y == y)) and bool(np.all(y.sum(axis=1) == 1))


class Metric:
    """Base class: subclasses define `clear`, `update(*inputs)` and `eval`."""

    def __init__(self) -> None:
        self._indexes: list[int] | None = None

    def clear(self) -> None:
        raise NotImplementedError

    def update(self, *inputs: Any) -> None:
        raise NotImplementedError

    def eval(self) -> Any:
        raise NotImplementedError

    def set_indexes(self, indexes: list[int]) -> Metric:
        """Use only these positions of the inputs given to `update` (MindSpore's `set_indexes`)."""
        self._indexes = list(indexes)
        return self

    def _pick(self, inputs: tuple) -> tuple:
        return inputs if self._indexes is None else tuple(inputs[i] for i in self._indexes)

    def _need(self, inputs: tuple, n: int, what: str) -> tuple:
        inputs = self._pick(inputs)
        if len(inputs) != n:
            raise ValueError(f"{type(self).__name__}.update: needs {n} inputs ({what}), got {len(inputs)}")
        return inputs

    def _empty_error(self) -> RuntimeError:
        return RuntimeError(f"{type(self).__name__}.eval: no samples yet; call update(...) before eval()")


class _Classification(Metric):
    """Shared input handling for metrics on (logits or probabilities (N, C), labels (N,) or one-hot)."""

    def __init__(self, eval_type: str = "classification") -> None:
        super().__init__()
        if eval_type not in ("classification", "multilabel"):
            raise ValueError(f"{type(self).__name__}: eval_type must be 'classification' or 'multilabel', "
                             f"got {eval_type!r}")
        self._type = eval_type

    def _prepare(self, inputs: tuple) -> tuple[np.ndarray, np.ndarray]:
        y_pred, y = (_to_numpy(v) for v in self._need(inputs, 2, "predictions, labels"))
        if self._type == "classification" and y_pred.ndim == y.ndim and _is_one_hot(y):
            y = y.argmax(axis=1)
        if self._type == "classification":
            if y_pred.ndim != 2 or y.reshape(-1).shape[0] != y_pred.shape[0]:
                raise ValueError(f"{type(self).__name__}.update: predictions must be (N, C) and labels (N,) "
                                 f"or one-hot (N, C); got {y_pred.shape} and {y.shape}")
        elif y_pred.shape != y.shape:
            raise ValueError(f"{type(self).__name__}.update: multilabel predictions and labels need the same "
                             f"shape, got {y_pred.shape} and {y.shape}")
        if self._class_num == 0:
            self._class_num = y_pred.shape[1]
        elif y_pred.shape[1] != self._class_num:
            raise ValueError(f"{type(self).__name__}.update: earlier batches had {self._class_num} classes, "
                             f"this one has {y_pred.shape[1]}")
        return y_pred, y.reshape(-1) if self._type == "classification" else y


class Accuracy(_Classification):
    """The fraction of samples whose predicted class (argmax of the logits) equals the label.

    `update(y_pred, y)`: y_pred (N, C) logits or probabilities; y (N,) class indices or (N, C) one-hot.
    With `eval_type='multilabel'` a sample counts only if all its 0/1 predictions match.
    """

    def __init__(self, eval_type: str = "classification") -> None:
        super().__init__(eval_type)
        self.clear()

    def clear(self) -> None:
        self._correct_num = 0
        self._total_num = 0
        self._class_num = 0

    def update(self, *inputs: Any) -> None:
        y_pred, y = self._prepare(inputs)
        if self._type == "classification":
            result = y_pred.argmax(axis=1) == y
        else:
            result = np.all(y_pred == y, axis=tuple(range(1, y.ndim)))
        self._correct_num += int(result.sum())
        self._total_num += result.shape[0]

    def eval(self) -> float:
        if self._total_num == 0:
            raise self._empty_error()
        return self._correct_num / self._total_num


class _PrecisionRecall(_Classification):
    """Per-class counts; precision divides true positives by predicted positives, recall by actual ones."""

    def __init__(self, eval_type: str = "classification") -> None:
        super().__init__(eval_type)
        self.eps = sys.float_info.min
        self.clear()

    def clear(self) -> None:
        self._class_num = 0
        self._true_positives: Any = 0
        self._denominator: Any = 0

    def update(self, *inputs: Any) -> None:
        y_pred, y = self._prepare(inputs)
        if self._type == "classification":
            if y.max() + 1 > self._class_num:
                raise ValueError(f"{type(self).__name__}.update: label {int(y.max())} but the predictions have "
                                 f"only {self._class_num} classes")
            y = np.eye(self._class_num)[y.astype(np.int64)]
            y_pred = np.eye(self._class_num)[y_pred.argmax(axis=1)]
        self._true_positives = self._true_positives + (y * y_pred).sum(axis=0)
        self._denominator = self._denominator + self._counted(y_pred, y).sum(axis=0)

    def _counted(self, y_pred: np.ndarray, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def eval(self, average: bool = False) -> Any:
        """Per-class scores (an ndarray of C values), or their mean with `average=True`."""
        if self._class_num == 0:
            raise self._empty_error()
        result = self._true_positives / (self._denominator + self.eps)
        return float(result.mean()) if average else result


class Precision(_PrecisionRecall):
    """Per class: of the samples predicted as that class, the fraction that really are (tp / (tp + fp))."""

    def _counted(self, y_pred: np.ndarray, y: np.ndarray) -> np.ndarray:
        return y_pred


class Recall(_PrecisionRecall):
    """Per class: of the samples that are that class, the fraction predicted as it (tp / (tp + fn))."""

    def _counted(self, y_pred: np.ndarray, y: np.ndarray) -> np.ndarray:
        return y


class Loss(Metric):
    """The mean of the losses given to `update`, one per batch (a vector loss is averaged first)."""

    def __init__(self) -> None:
        super().__init__()
        self.clear()

    def clear(self) -> None:
        self._sum_loss: Any = 0
        self._total_num = 0

    def update(self, *inputs: Any) -> None:
        (loss,) = self._need(inputs, 1, "the loss")
        loss = _to_numpy(loss)
        if loss.ndim > 1:
            raise ValueError(f"Loss.update: the loss must be a scalar or a vector, got shape {loss.shape}")
        self._sum_loss += loss.mean()  # in the loss's own dtype, as MindSpore sums (float32 usually)
        self._total_num += 1

    def eval(self) -> float:
        if self._total_num == 0:
            raise self._empty_error()
        return float(self._sum_loss / self._total_num)


class _Regression(Metric):
    def __init__(self) -> None:
        super().__init__()
        self.clear()

    def clear(self) -> None:
        self._error_sum: Any = 0
        self._samples_num = 0

    def update(self, *inputs: Any) -> None:
        y_pred, y = (_to_numpy(v) for v in self._need(inputs, 2, "predictions, targets"))
        if y.size != y_pred.size:
            raise ValueError(f"{type(self).__name__}.update: predictions {y_pred.shape} and targets {y.shape} "
                             f"have different sizes")
        self._error_sum += self._error(y.reshape(y_pred.shape) - y_pred).sum()  # float32 sums, as in MindSpore
        self._samples_num += y.shape[0]

    def eval(self) -> float:
        if self._samples_num == 0:
            raise self._empty_error()
        return float(self._error_sum / self._samples_num)


class MAE(_Regression):
    """Mean absolute error: sum |y_pred - y| over all elements, divided by the number of samples."""

    @staticmethod
    def _error(diff: np.ndarray) -> np.ndarray:
        return np.abs(diff)


class MSE(_Regression):
    """Mean squared error: sum (y_pred - y)^2 over all elements, divided by the number of samples."""

    @staticmethod
    def _error(diff: np.ndarray) -> np.ndarray:
        return diff**2


class TopKCategoricalAccuracy(Metric):
    """The fraction of samples whose label is among the `k` largest predictions."""

    def __init__(self, k: int) -> None:
        super().__init__()
        if isinstance(k, bool) or not isinstance(k, int):
            raise TypeError(f"TopKCategoricalAccuracy: k must be an int, got {type(k).__name__}")
        if k < 1:
            raise ValueError(f"TopKCategoricalAccuracy: k must be at least 1, got {k}")
        self.k = k
        self.clear()

    def clear(self) -> None:
        self._correct_num = 0
        self._samples_num = 0

    def update(self, *inputs: Any) -> None:
        y_pred, y = (_to_numpy(v) for v in self._need(inputs, 2, "predictions, labels"))
        if y_pred.ndim == y.ndim and _is_one_hot(y):
            y = y.argmax(axis=1)
        top_k = np.argsort(-y_pred, axis=1, kind="stable")[:, : self.k]
        self._correct_num += int((top_k == y.reshape(-1, 1)).any(axis=1).sum())
        self._samples_num += y_pred.shape[0]

    def eval(self) -> float:
        if self._samples_num == 0:
            raise self._empty_error()
        return self._correct_num / self._samples_num


class Top1CategoricalAccuracy(TopKCategoricalAccuracy):
    def __init__(self) -> None:
        super().__init__(1)


class Top5CategoricalAccuracy(TopKCategoricalAccuracy):
    def __init__(self) -> None:
        super().__init__(5)


_FACTORY: dict[str, type] = {
    "accuracy": Accuracy, "acc": Accuracy, "precision": Precision, "recall": Recall,
    "topk": TopKCategoricalAccuracy, "top_1_accuracy": Top1CategoricalAccuracy,
    "top_5_accuracy": Top5CategoricalAccuracy, "mae": MAE, "mse": MSE, "loss": Loss,
}


def names() -> list[str]:
    """The metric names `metrics={...}` accepts."""
    return sorted(_FACTORY)


def get_metric_fn(name: str, *args: Any, **kwargs: Any) -> Metric:
    """A new metric by name: `get_metric_fn('accuracy')` -> Accuracy()."""
    if name not in _FACTORY:
        raise KeyError(f"unknown metric {name!r}; known metrics: {names()}")
    return _FACTORY[name](*args, **kwargs)


def get_metrics(metrics: Any) -> dict[str, Metric] | None:
    """`Model`'s metrics argument as {name: Metric}: a set of names, or a dict {name: Metric}."""
    if metrics is None:
        return None
    if isinstance(metrics, str):
        raise TypeError(f"metrics must be a set or a dict, got the string {metrics!r}; write metrics={{{metrics!r}}}")
    if isinstance(metrics, dict):
        for name, metric in metrics.items():
            if not isinstance(name, str) or not isinstance(metric, Metric):
                raise TypeError(f"metrics: a dict must map names to Metric objects, got {name!r}: "
                                f"{type(metric).__name__}")
        return dict(metrics)
    if isinstance(metrics, (set, frozenset, list, tuple)):
        return {name: get_metric_fn(name) for name in metrics}
    raise TypeError(f"metrics must be None, a set of names or a dict of Metrics, got {type(metrics).__name__}")
