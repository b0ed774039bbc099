"""Hostile answers, written the way a learner would, for the hostile suite (test_hostile.py).

DELEGATION[chapter][answer id] = an answer that hands the exercise to the engine's own implementation (or to
the check's reference, the answer key). Each one PASSES its check in a plain kernel (test_delegation_passes_
unprotected proves it), and must score 0 under the grader, with feedback naming what it called.
"""

from __future__ import annotations

DELEGATION: dict[str, dict[str, str]] = {
    "00_welcome": {
        "center_columns": """def center_columns(x):
    from tinyspore_grader.checks.ch00_welcome import reference_center_columns
    return reference_center_columns(x)""",
        "pairwise_sq_distances": """def pairwise_sq_distances(a, b):
    from tinyspore_grader.checks import ch00_welcome as key
    return key.reference_pairwise_sq_distances(a, b)""",
        "one_hot": """def one_hot(labels, num_classes):
    import tinyspore_grader.checks.ch00_welcome as key
    return key.check_one_hot.reference(labels, num_classes)""",
    },
    "01_tensors": {
        "broadcast_shape": """from tinyspore_grader.checks.ch01_tensors import reference_broadcast_shape as broadcast_shape""",
        "sum_to_shape": """from tinyspore.ops import sum_to_shape as _engine_sum_to_shape

def sum_to_shape(grad, shape):
    return _engine_sum_to_shape(grad, shape)""",
        "matmul_checked": """def matmul_checked(a, b):
    from tinyspore_grader.checks.ch01_tensors import reference_matmul_checked
    return reference_matmul_checked(a, b)""",
        "standardize": """def standardize(x, axis=0):
    from tinyspore_grader.checks.ch01_tensors import check_standardize
    return check_standardize.reference(x, axis=axis)""",
    },
    "02_cells": {
        "Dense": """class Dense(nn.Dense):
    pass""",
        "parameters_and_names": """def parameters_and_names(cell, name_prefix=""):
    return list(cell.parameters_and_names(name_prefix=name_prefix))""",
        "count_parameters": """def count_parameters(cell):
    from tinyspore_grader.checks.ch02_cells import reference_count_parameters
    return reference_count_parameters(cell)""",
        "Sequential": """Sequential = nn.SequentialCell""",
    },
    "03_losses": {
        "mse_loss": """def mse_loss(logits, labels, reduction="mean"):
    return nn.MSELoss(reduction)(logits, labels)""",
        "log_softmax": """def log_softmax(x, axis=-1):
    return ops.log_softmax(Tensor(x), axis).asnumpy()""",
        "cross_entropy": """def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):
    return nn.CrossEntropyLoss(ignore_index=ignore_index, label_smoothing=label_smoothing)(logits, labels)""",
        "bce_with_logits": """def bce_with_logits(logits, labels):
    return nn.BCEWithLogitsLoss()(logits, labels)""",
    },
    "04_autodiff": {
        "numeric_grad": """def numeric_grad(f, x, eps=1e-6):
    from tinyspore_grader.checks.ch04_autodiff import reference_numeric_grad
    return reference_numeric_grad(f, x, eps)""",
        "binary_backward": """_RULES = {"mul": P.mul.forward, "matmul": P.matmul.forward}

def binary_backward(op, g, x, y):
    if op not in _RULES:
        raise ValueError(f"binary_backward: unknown op {op!r}")
    rule = _RULES[op](x, y)[1]
    return tuple(rule(g, needs=(True, True))) if op == "matmul" else tuple(rule(g))""",
        "unary_backward": """def unary_backward(op, g, x, axis=None, keepdims=False):
    from tinyspore_grader.checks.ch04_autodiff import reference_unary_backward
    return reference_unary_backward(op, g, x, axis, keepdims)""",
        "topological_order": """def topological_order(root):
    from tinyspore_grader.checks.ch04_autodiff import reference_topological_order
    return reference_topological_order(root)""",
        "backward": """def backward(root, order):
    from tinyspore_grader.checks.ch04_autodiff import reference_backward
    return reference_backward(root, order)""",
    },
    "05_optimizers": {
        "sgd_step": """from tinyspore_grader.checks.ch05_optimizers import reference_sgd_step as sgd_step""",
        "best_lr": """from tinyspore_grader.checks.ch05_optimizers import reference_best_lr as best_lr""",
        "momentum_step": """from tinyspore_grader.checks.ch05_optimizers import reference_momentum_step as momentum_step""",
        "rmsprop_step": """from tinyspore_grader.checks.ch05_optimizers import reference_rmsprop_step as rmsprop_step""",
        "adam_step": """from tinyspore_grader.checks.ch05_optimizers import reference_adam_step as adam_step""",
    },
    "06_train_loop": {
        "train_step": """def train_step(net, loss_fn, optimizer, x, y):
    return nn.TrainOneStepCell(nn.WithLossCell(net, loss_fn), optimizer)(x, y)""",
        "run_epoch": """def run_epoch(step_fn, x, y, batch_size, rng):
    from tinyspore_grader.checks.ch06_train_loop import reference_run_epoch
    return reference_run_epoch(step_fn, x, y, batch_size, rng)""",
        "accuracy": """def accuracy(logits, labels):
    metric = ms.train.Accuracy()
    metric.update(logits, labels)
    return float(metric.eval())""",
        "StepOptimizer": """from tinyspore_grader.checks.ch06_train_loop import ReferenceStepOptimizer as StepOptimizer""",
    },
    "07_dataset_model": {
        "batch_rows": """def batch_rows(rows, batch_size, drop_remainder=False):
    import itertools
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    source = ms.dataset.GeneratorDataset(itertools.chain([first], rows), column_names=[f"c{i}" for i in range(len(first))])
    for batch in source.batch(batch_size, drop_remainder).create_tuple_iterator(num_epochs=1, output_numpy=True):
        yield tuple(batch)""",
        "Accuracy": """class Accuracy(train.Top1CategoricalAccuracy):
    def eval(self):
        if self._samples_num == 0:
            raise RuntimeError("call update first")
        return super().eval()

    def update(self, y_pred, y):
        y = y.asnumpy() if isinstance(y, Tensor) else y
        super().update(y_pred, y.argmax(axis=1) if y.ndim == 2 else y)""",
        "ConfusionMatrix": """def ConfusionMatrix(num_classes, normalize="no_norm"):
    from tinyspore_grader.checks.ch07_dataset_model import check_ConfusionMatrix
    return check_ConfusionMatrix.reference(num_classes, normalize)""",
        "EarlyStopping": """class EarlyStopping(train.EarlyStopping):
    def __init__(self, monitor="eval_loss", min_delta=0, patience=0, mode="min"):
        super().__init__(monitor=monitor, min_delta=min_delta, patience=patience, mode=mode)""",
        "train_epoch": """class _PassStop(train.Callback):
    def __init__(self, outer):
        self.outer = outer

    def on_train_step_end(self, run_context):
        if run_context.get_stop_requested():
            self.outer.request_stop()


def train_epoch(train_network, dataset, callbacks, run_context):
    cb_params = run_context.original_args()
    model = Model.__new__(Model)
    model._train_network = train_network
    epoch = cb_params.cur_epoch_num
    listeners = train.callback.CallbackList([*callbacks, _PassStop(run_context)])
    model._train_epochs(range(epoch - 1, epoch), dataset, listeners, cb_params, None)""",
    },
}
