"""`tinyspore.train`: Model, callbacks, metrics and checkpoints, in MindSpore's names.

    from tinyspore.train import Model, LossMonitor
    model = Model(net, loss_fn, optimizer, metrics={'accuracy'})
    model.train(5, train_ds, callbacks=[LossMonitor(per_print_times=10)])

Modules: `metrics` (Accuracy, Loss, MAE, ...), `callback` (Callback, RunContext, LossMonitor, TimeMonitor,
EarlyStopping, History, ProgressBar, ModelCheckpoint), `serialization` (save_checkpoint,
load_checkpoint, load_param_into_net), `model` (Model).
"""

from . import callback, metrics, model, serialization
from .callback import (
    Callback,
    CallbackParam,
    CheckpointConfig,
    EarlyStopping,
    History,
    LambdaCallback,
    LossMonitor,
    ModelCheckpoint,
    ProgressBar,
    RunContext,
    TimeMonitor,
)
from .metrics import (
    MAE,
    MSE,
    Accuracy,
    Loss,
    Metric,
    Precision,
    Recall,
    Top1CategoricalAccuracy,
    Top5CategoricalAccuracy,
    TopKCategoricalAccuracy,
    get_metric_fn,
    get_metrics,
)
from .model import Model
from .serialization import CheckpointError, load_checkpoint, load_param_into_net, save_checkpoint

__all__ = [
    "Model", "Callback", "RunContext", "CallbackParam", "LossMonitor", "TimeMonitor", "EarlyStopping", "History",
    "LambdaCallback", "ProgressBar", "ModelCheckpoint", "CheckpointConfig",
    "Metric", "Accuracy", "Loss", "MAE", "MSE", "Precision", "Recall",
    "TopKCategoricalAccuracy", "Top1CategoricalAccuracy", "Top5CategoricalAccuracy", "get_metric_fn",
    "get_metrics", "save_checkpoint", "load_checkpoint", "load_param_into_net", "CheckpointError",
    "callback", "metrics", "model", "serialization",
]
