"""`Model`: the training loop of chapter 06, packaged (MindSpore's `mindspore.train.Model`).

    model = Model(net, loss_fn=nn.MSELoss(), optimizer=nn.SGD(net.trainable_params(), 0.1), metrics={'mae'})
    model.train(10, train_ds, callbacks=[LossMonitor()])
    model.eval(test_ds)          # {'mae': 0.03...}
    model.predict(x)             # net(x)

It builds the cells you would write by hand: `WithLossCell(net, loss_fn)` inside a
`TrainOneStepCell(..., optimizer)` for training, and `WithEvalCell(net, loss_fn)` (returning
loss, outputs, label) for evaluation; then it runs them over the dataset and calls the callbacks.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from ..common.unsupported import refuse_unsupported
from ..nn.cell import Cell
from ..nn.wrap import TrainOneStepCell, WithEvalCell, WithLossCell
from ..tensor import Tensor
from .callback import CallbackList, CallbackParam, RunContext
from .metrics import Loss, get_metric_fn, get_metrics

__all__ = ["Model"]


def _positional_arity(cell: Any) -> tuple[int, int | None, list[str]]:
    """(required, maximum or None for *args, names) of the positional inputs of a cell's construct."""
    fn = cell.construct if isinstance(cell, Cell) else cell
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return 0, None, []
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = sum(1 for p in positional if p.default is p.empty)
    has_varargs = any(p.kind == p.VAR_POSITIONAL for p in params)
    return required, None if has_varargs else len(positional), [p.name for p in positional]


def _accepts(cell: Any, n: int) -> bool:
    required, maximum, _ = _positional_arity(cell)
    return required <= n and (maximum is None or n <= maximum)


def _signature_text(cell: Any) -> str:
    _, _, names = _positional_arity(cell)
    return f"{type(cell).__name__}.construct({', '.join(names)})"


class Model:
    """High-level training and evaluation of a network.

    Args:
        network: the Cell to train. With `loss_fn` it maps data -> outputs; without, it must return the
            loss itself and gets every dataset column.
        loss_fn: compares `network(data)` with `label`; the dataset then gives exactly (data, label).
        optimizer: updates the parameters; without one, `train` only runs forward passes.
        metrics: a set of names ({'accuracy', 'loss'}) or a dict {name: Metric}, for `eval`.
        eval_network, eval_indexes: a custom evaluation cell and the positions of (loss, outputs, label)
            in what it returns.
    """

    def __init__(self, network: Cell, loss_fn: Cell | None = None, optimizer: Cell | None = None,
                 metrics: Any = None, eval_network: Cell | None = None, eval_indexes: list[int] | None = None,
                 amp_level: str = "O0", boost_level: str = "O0", *, loss_scale_manager: Any = None,
                 keep_batchnorm_fp32: Any = None) -> None:
        refuse_unsupported("Model", amp_level=None if amp_level == "O0" else amp_level,
                           boost_level=None if boost_level == "O0" else boost_level,
                           loss_scale_manager=loss_scale_manager, keep_batchnorm_fp32=keep_batchnorm_fp32)
        if not isinstance(network, Cell):
            raise TypeError(f"Model: network must be a Cell, got {type(network).__name__}")
        self._network = network
        self._loss_fn = loss_fn
        self._optimizer = optimizer
        self._train_network = self._build_train_network()
        self._metric_fns = get_metrics(metrics) or {}
        self._eval_network, self._eval_indexes = self._build_eval_network(eval_network, eval_indexes)

    # ----- the cells ------------------------------------------------------------------------------
    def _build_train_network(self) -> Cell:
        network = self._network
        if self._loss_fn is not None:
            network = WithLossCell(network, self._loss_fn)
        if self._optimizer is not None:
            network = TrainOneStepCell(network, self._optimizer)
        return network

    def _build_eval_network(self, eval_network: Cell | None, eval_indexes: list[int] | None) -> tuple:
        if not self._metric_fns:
            return None, None
        if eval_network is not None:
            if eval_indexes is not None and not (isinstance(eval_indexes, list) and len(eval_indexes) == 3):
                raise ValueError(f"Model: eval_indexes must be None or a list of 3 positions (loss, outputs, "
                                 f"label), got {eval_indexes!r}")
            return eval_network, eval_indexes
        if self._loss_fn is None:
            raise ValueError("Model: metrics need an evaluation network; give loss_fn (Model then evaluates "
                             "with WithEvalCell(network, loss_fn)) or eval_network")
        return WithEvalCell(self._network, self._loss_fn), [0, 1, 2]

    @property
    def train_network(self) -> Cell:
        return self._train_network

    @property
    def predict_network(self) -> Cell:
        return self._network

    @property
    def eval_network(self) -> Cell | None:
        return self._eval_network

    # ----- checking what the dataset gives --------------------------------------------------------
    def _check_columns(self, dataset: Any, what: str) -> None:
        """A clear error before the first step if the columns do not fit the network and the loss."""
        columns = dataset.get_col_names()
        if self._loss_fn is not None:
            if len(columns) != 2:
                raise ValueError(f"Model.{what}: with loss_fn the dataset must give 2 columns (data, label): data "
                                 f"goes to the network, label to the loss; it gives {len(columns)}: {columns}. "
                                 f"Select two with dataset.project([...]), or put the loss inside the network "
                                 f"and pass loss_fn=None")
            if not _accepts(self._network, 1):
                raise ValueError(f"Model.{what}: with loss_fn the network gets one input (column "
                                 f"'{columns[0]}'), but {_signature_text(self._network)} takes a different "
                                 f"number; with several inputs, put the loss inside the network (loss_fn=None)")
        else:
            network = self._train_network if what == "train" else self._network
            target = network.network if isinstance(network, TrainOneStepCell) else network
            if not _accepts(target, len(columns)):
                raise ValueError(f"Model.{what}: without loss_fn every column goes to the network, so it gets "
                                 f"{len(columns)} inputs {columns}, but {_signature_text(target)} takes a "
                                 f"different number")

    # ----- training -------------------------------------------------------------------------------
    def train(self, epoch: int, train_dataset: Any, callbacks: Any = None, dataset_sink_mode: bool = False,
              sink_size: int = -1, initial_epoch: int = 0) -> None:
        """Train for epochs `initial_epoch + 1 .. epoch` over `train_dataset` (one step per batch).

        `dataset_sink_mode` is accepted and ignored (MindSpore also ignores it on CPU).
        """
        self._run_training(epoch, train_dataset, callbacks, initial_epoch, valid=None)

    def fit(self, epoch: int, train_dataset: Any, valid_dataset: Any = None, valid_frequency: int = 1,
            callbacks: Any = None, dataset_sink_mode: bool = False, valid_dataset_sink_mode: bool = False,
            sink_size: int = -1, initial_epoch: int = 0) -> None:
        """Train, and evaluate on `valid_dataset` every `valid_frequency` epochs; callbacks then see
        `metrics` and `eval_results` (metrics plus 'eval_loss') at the epoch's end."""
        if valid_dataset is not None and not self._metric_fns:
            raise ValueError("Model.fit: evaluating on valid_dataset needs metrics, e.g. metrics={'accuracy'}")
        self._run_training(epoch, train_dataset, callbacks, initial_epoch, valid=(valid_dataset, valid_frequency))

    def _run_training(self, epoch: int, train_dataset: Any, callbacks: Any, initial_epoch: int,
                      valid: tuple | None) -> None:
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 1:
            raise ValueError(f"Model.train: epoch must be a positive int, got {epoch!r}")
        if isinstance(initial_epoch, bool) or not isinstance(initial_epoch, int) or initial_epoch < 0:
            raise ValueError(f"Model.train: initial_epoch must be an int >= 0, got {initial_epoch!r}")
        if initial_epoch >= epoch:
            raise ValueError(f"Model.train: epoch ({epoch}) must be bigger than initial_epoch ({initial_epoch}); "
                             f"epoch is the number of the last epoch, not how many more to run")
        _check_dataset(train_dataset, "train_dataset")
        batch_num = train_dataset.get_dataset_size()
        if batch_num == 0:
            raise ValueError("Model.train: the dataset is empty (0 batches); with drop_remainder=True the "
                             "batch size may be larger than the dataset")
        self._check_columns(train_dataset, "train")
        was_training = self._network.training
        with CallbackList(callbacks) as listeners:
            cb_params = CallbackParam(
                train_network=self._train_network, network=self._network, loss_fn=self._loss_fn,
                optimizer=self._optimizer, train_dataset=train_dataset, epoch_num=epoch - initial_epoch,
                initial_epoch=initial_epoch, batch_num=batch_num, cur_step_num=0, mode="train",
                dataset_sink_mode=False, list_callback=listeners.callbacks, train_dataset_element=None,
                parallel_mode="stand_alone", device_number=1)
            self._train_epochs(range(initial_epoch, epoch), train_dataset, listeners, cb_params, valid)
        self._network.set_train(was_training)  # give the network back in the mode it came in

    def _train_epochs(self, epochs: range, train_dataset: Any, listeners: CallbackList, cb_params: CallbackParam,
                      valid: tuple | None) -> None:
        """The loop itself: epochs of steps, the hooks around them, and an evaluation per epoch in fit."""
        run_context = RunContext(cb_params)
        listeners.on_train_begin(run_context)
        for i in epochs:
            cb_params.cur_epoch_num = i + 1
            listeners.on_train_epoch_begin(run_context)
            for row in train_dataset.create_tuple_iterator(num_epochs=1):
                cb_params.cur_step_num += 1
                cb_params.train_dataset_element = row
                listeners.on_train_step_begin(run_context)
                self._train_network.set_train(True)
                cb_params.net_outputs = self._train_network(*row)
                listeners.on_train_step_end(run_context)
                if run_context.get_stop_requested():
                    break
            if valid is not None and valid[0] is not None and (i + 1) % valid[1] == 0:
                self._eval_during_train(valid[0], cb_params)
            listeners.on_train_epoch_end(run_context)
            cb_params.pop("metrics", None)
            cb_params.pop("eval_results", None)
            if run_context.get_stop_requested():
                break
        listeners.on_train_end(run_context)

    def _eval_during_train(self, valid_dataset: Any, cb_params: CallbackParam) -> None:
        eval_loss = get_metric_fn("loss")
        metrics = self._evaluate(valid_dataset, CallbackList(None), CallbackParam(mode="eval", cur_step_num=0),
                                 extra_loss=eval_loss)
        cb_params.metrics = metrics
        cb_params.eval_results = {**metrics, "eval_loss": eval_loss.eval()}

    # ----- evaluation -----------------------------------------------------------------------------
    def eval(self, valid_dataset: Any, callbacks: Any = None, dataset_sink_mode: bool = False) -> dict[str, Any]:
        """Run the evaluation network over `valid_dataset` and return {metric name: value}.

        Scalar results are Python floats; Precision/Recall give one value per class (an ndarray).
        """
        if not self._metric_fns:
            raise ValueError("Model.eval: the model has no metrics; create it with e.g. "
                             "Model(net, loss_fn, optimizer, metrics={'accuracy', 'loss'})")
        _check_dataset(valid_dataset, "valid_dataset")
        if isinstance(self._eval_network, WithEvalCell):  # the one Model built: (data, label) columns
            self._check_columns(valid_dataset, "eval")
        with CallbackList(callbacks) as listeners:
            cb_params = CallbackParam(eval_network=self._eval_network, network=self._network,
                                      valid_dataset=valid_dataset, batch_num=valid_dataset.get_dataset_size(),
                                      mode="eval", cur_step_num=0, dataset_sink_mode=False,
                                      list_callback=listeners.callbacks)
            return self._evaluate(valid_dataset, listeners, cb_params)

    def _evaluate(self, valid_dataset: Any, listeners: CallbackList, cb_params: CallbackParam,
                  extra_loss: Loss | None = None) -> dict[str, Any]:
        for metric in self._metric_fns.values():
            metric.clear()
        run_context = RunContext(cb_params)
        was_training = self._network.training
        self._eval_network.set_train(False)
        try:
            listeners.on_eval_begin(run_context)
            listeners.on_eval_epoch_begin(run_context)
            for row in valid_dataset.create_tuple_iterator(num_epochs=1):
                cb_params.cur_step_num += 1
                cb_params.eval_dataset_element = row
                listeners.on_eval_step_begin(run_context)
                outputs = self._eval_network(*row)
                cb_params.net_outputs = outputs
                listeners.on_eval_step_end(run_context)
                self._update_metrics(outputs)
                if extra_loss is not None:
                    extra_loss.update(outputs[self._eval_indexes[0]])
                if run_context.get_stop_requested():
                    break
            listeners.on_eval_epoch_end(run_context)
            metrics = {name: _plain(metric.eval()) for name, metric in self._metric_fns.items()}
            cb_params.metrics = metrics
            listeners.on_eval_end(run_context)
        finally:
            self._network.set_train(was_training)
        return metrics

    def _update_metrics(self, outputs: Any) -> None:
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        if not isinstance(outputs, (tuple, list)):
            raise ValueError(f"Model.eval: the eval network must return a Tensor or a tuple, got "
                             f"{type(outputs).__name__}")
        if self._eval_indexes is not None and len(outputs) < 3:
            raise ValueError(f"Model.eval: the eval network must return (loss, outputs, label) or set "
                             f"eval_indexes; it returned {len(outputs)} values")
        for metric in self._metric_fns.values():
            if self._eval_indexes is None:
                metric.update(*outputs)
            elif isinstance(metric, Loss):
                metric.update(outputs[self._eval_indexes[0]])
            else:
                metric.update(outputs[self._eval_indexes[1]], outputs[self._eval_indexes[2]])

    # ----- prediction -----------------------------------------------------------------------------
    def predict(self, *predict_data: Any, backend: Any = None, config: Any = None) -> Any:
        """`network(*predict_data)` in inference mode (Dropout off, BatchNorm on running statistics)."""
        refuse_unsupported("Model.predict", backend=backend, config=config)
        was_training = self._network.training
        self._network.set_train(False)
        try:
            return self._network(*predict_data)
        finally:
            self._network.set_train(was_training)


def _check_dataset(dataset: Any, name: str) -> None:
    if not (hasattr(dataset, "create_tuple_iterator") and hasattr(dataset, "get_col_names")):
        raise TypeError(f"Model: {name} must be a tinyspore.dataset Dataset, got {type(dataset).__name__}; wrap "
                        f"arrays with tinyspore.dataset.NumpySlicesDataset((x, y)).batch(32)")


def _plain(value: Any) -> Any:
    """NumPy scalars as Python floats, so results print as `0.75`, not `np.float64(0.75)`."""
    if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return float(value)
    return value
