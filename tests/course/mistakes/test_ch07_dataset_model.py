"""Mistake catalogue of chapter 07 (Dataset and Model): wrong batching stages, metrics, early stoppings and
epochs of Model.train that learners really write, each caught with its hint; and the checks' oracles
against the engine's own Model."""

from __future__ import annotations

import itertools

import numpy as np
from helpers import assert_caught, assert_passes, failure

import tinyspore as ms
from tinyspore import Tensor, nn, train
from tinyspore.dataset import NumpySlicesDataset
from tinyspore.train import Callback, Metric, Model
from tinyspore_grader.checks.ch07_dataset_model import (
    HookRecorder,
    ReferenceConfusionMatrix,
    check_Accuracy,
    check_batch_rows,
    check_ConfusionMatrix,
    check_EarlyStopping,
    check_train_epoch,
    reference_batch_rows,
    reference_early_stopping,
    reference_train_epoch,
    run_fit_hooks,
)


def test_the_references_pass_their_checks():
    assert_passes(check_batch_rows, reference_batch_rows)
    assert_passes(check_Accuracy, train.Accuracy)
    assert_passes(check_ConfusionMatrix, ReferenceConfusionMatrix)
    assert_passes(check_EarlyStopping, reference_early_stopping)
    assert_passes(check_train_epoch, reference_train_epoch)


def test_every_exercise_declares_its_reference_and_the_engine_code_it_must_not_call():
    checks = [check_batch_rows, check_Accuracy, check_ConfusionMatrix, check_EarlyStopping, check_train_epoch]
    assert [callable(check.reference) for check in checks] == [True] * 5
    forbidden = {check.__name__: set(check.forbidden) for check in checks}
    assert forbidden["check_Accuracy"] >= {train.Accuracy, train.TopKCategoricalAccuracy}
    assert forbidden["check_EarlyStopping"] == {train.EarlyStopping}
    assert {Model.train, Model.fit} <= forbidden["check_train_epoch"]
    assert forbidden["check_ConfusionMatrix"] == set()  # the engine has no confusion matrix


def test_reference_confusion_matrix_gives_the_mindspore_docs_example():
    # mindspore.train.ConfusionMatrix docs (2.x): x = [1, 0, 1, 0], y = [1, 0, 0, 1] -> [[1. 1.] [1. 1.]]
    metric = ReferenceConfusionMatrix(num_classes=2, normalize="no_norm")
    metric.update(Tensor(np.array([1, 0, 1, 0])), Tensor(np.array([1, 0, 0, 1])))
    result = metric.eval()
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result, [[1.0, 1.0], [1.0, 1.0]])


class _Scripted(Metric):
    """A metric whose eval() gives the next value of a script: Model.fit's validation results, chosen."""

    def __init__(self, values):
        super().__init__()
        self.values = iter(values)

    def clear(self):
        pass

    def update(self, *inputs):
        pass

    def eval(self):
        return next(self.values)


class _HookLog(Callback):
    def __init__(self):
        self.log = []

    def __getattribute__(self, name):
        if name.startswith("on_train_"):
            log = object.__getattribute__(self, "log")
            return lambda run_context: log.append(
                (name, run_context.original_args().get("cur_epoch_num"),
                 dict(run_context.original_args().get("eval_results") or {}).get("accuracy")))
        return object.__getattribute__(self, name)


def _fit(accuracies, callbacks):
    """A real Model.fit whose validation accuracy after each epoch is the next of `accuracies`."""
    ms.set_seed(0)
    net = nn.Dense(2, 2)
    x = np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32)
    ds = NumpySlicesDataset({"x": x, "y": np.array([0, 1, 0, 1], np.int32)}, shuffle=False).batch(2)
    model = Model(net, nn.CrossEntropyLoss(), nn.SGD(net.trainable_params(), 0.1),
                  metrics={"accuracy": _Scripted(accuracies)})
    model.fit(len(accuracies), ds, ds, callbacks=callbacks)


def test_the_early_stopping_check_drives_the_hooks_as_model_fit_does():
    accuracies = [0.5, 0.6, 0.55, 0.58, 0.7]
    real, simulated = _HookLog(), _HookLog()
    _fit(accuracies, [real])
    run_fit_hooks(simulated, [(a, 0.3, 0.25) for a in accuracies])
    assert real.log == simulated.log and len(real.log) == 2 + 5 * (2 + 2 * 2)

    stopper = train.EarlyStopping(monitor="accuracy", patience=2, mode="max")
    _fit(accuracies, [stopper])
    ran, stopped = run_fit_hooks(reference_early_stopping("accuracy", 0, 2, "max"),
                                 [(a, 0.3, 0.25) for a in accuracies])
    assert stopper.stopped_epoch == stopped == 4 and ran == (1, 2, 3, 4)


def test_reference_train_epoch_inside_a_whole_training_is_model_train():
    """The oracle of 07.5, looped as Model.train loops, gives Model.train's hooks, losses and parameters."""
    def run(use_engine):
        ms.set_seed(3)
        net = nn.Dense(3, 1)
        optimizer = nn.Momentum(net.trainable_params(), learning_rate=0.05, momentum=0.9)
        rng = np.random.default_rng(1)
        ds = NumpySlicesDataset({"x": rng.standard_normal((10, 3)).astype(np.float32),
                                 "y": rng.standard_normal((10, 1)).astype(np.float32)}, shuffle=True).batch(4)
        log, losses = [], []
        callbacks = [HookRecorder("A:", log, losses), train.EarlyStopping(monitor="loss", patience=1)]
        if use_engine:
            Model(net, nn.MSELoss(), optimizer).train(4, ds, callbacks=callbacks)
        else:
            train_network = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), optimizer)
            cb_params = train.CallbackParam(train_network=train_network, network=net, epoch_num=4, initial_epoch=0,
                                            batch_num=ds.get_dataset_size(), cur_step_num=0, mode="train")
            run_context = train.RunContext(cb_params)
            for cb in callbacks:
                cb.on_train_begin(run_context)
            for epoch in range(1, 5):
                cb_params.cur_epoch_num = epoch
                reference_train_epoch(train_network, ds, callbacks, run_context)
                if run_context.get_stop_requested():
                    break
            for cb in callbacks:
                cb.on_train_end(run_context)
        return log, losses, np.concatenate([p.asnumpy().ravel() for p in net.trainable_params()])

    engine, ours = run(True), run(False)
    assert engine[0] == ours[0] and len(engine[0]) > 10
    np.testing.assert_array_equal(engine[1], ours[1])
    np.testing.assert_array_equal(engine[2], ours[2])


# ----- 07.1 batch_rows ---------------------------------------------------------------------------------------
def test_batch_rows_slices_with_len():
    # chapter 06's run_epoch sliced arrays; here the rows are a stream (MindSpore sources can be generators)
    def batch_rows(rows, batch_size, drop_remainder=False):
        for start in range(0, len(rows), batch_size):
            chunk = rows[start:start + batch_size]
            yield tuple(np.stack(c) for c in zip(*chunk))

    assert_caught(check_batch_rows, batch_rows, "needs len() or indexing")


def test_batch_rows_concatenates():
    # np.concatenate for np.stack: the classic collate slip (a (3,) column becomes (12,), scalars fail)
    def batch_rows(rows, batch_size, drop_remainder=False):
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == batch_size:
                yield tuple(np.concatenate(col) for col in zip(*batch))
                batch = []
        if batch and not drop_remainder:
            yield tuple(np.concatenate(col) for col in zip(*batch))

    assert_caught(check_batch_rows, batch_rows, "np.concatenate instead of np.stack")


def test_batch_rows_yields_the_list_of_rows():
    def batch_rows(rows, batch_size, drop_remainder=False):
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == batch_size:
                yield batch
                batch = []
        if batch and not drop_remainder:
            yield batch

    assert_caught(check_batch_rows, batch_rows, "yielded the rows, not the columns")


def test_batch_rows_clears_nothing():
    def batch_rows(rows, batch_size, drop_remainder=False):
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) % batch_size == 0:
                yield tuple(np.stack(col) for col in zip(*batch))
        if len(batch) % batch_size and not drop_remainder:
            yield tuple(np.stack(col) for col in zip(*batch))

    assert_caught(check_batch_rows, batch_rows, "pending rows never emptied")


def test_batch_rows_checks_before_appending_with_greater_than():
    def batch_rows(rows, batch_size, drop_remainder=False):
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) > batch_size:
                yield tuple(np.stack(col) for col in zip(*batch))
                batch = []
        if batch and not drop_remainder:
            yield tuple(np.stack(col) for col in zip(*batch))

    assert_caught(check_batch_rows, batch_rows, "batches one row too long")


def test_batch_rows_forgets_the_remainder():
    # the last, smaller batch lost: afshinea/keras-data-generator#5, wayen820/gender_age_estimation_mxnet#18
    def batch_rows(rows, batch_size, drop_remainder=False):
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == batch_size:
                yield tuple(np.stack(col) for col in zip(*batch))
                batch = []

    assert_caught(check_batch_rows, batch_rows, "last partial batch always dropped")


def test_batch_rows_ignores_drop_remainder():
    def batch_rows(rows, batch_size, drop_remainder=False):
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == batch_size:
                yield tuple(np.stack(col) for col in zip(*batch))
                batch = []
        if batch:
            yield tuple(np.stack(col) for col in zip(*batch))

    assert_caught(check_batch_rows, batch_rows, "drop_remainder ignored")


def test_batch_rows_yields_whatever_is_left():
    # an empty last batch: scverse/annbatch#132 (empty splits at the end of a sampler)
    def batch_rows(rows, batch_size, drop_remainder=False):
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == batch_size:
                yield tuple(np.stack(col) for col in zip(*batch))
                batch = []
        if not drop_remainder:
            columns = list(zip(*batch)) or [[]]
            yield tuple(np.stack(col) for col in columns)

    assert_caught(check_batch_rows, batch_rows, "an empty batch at the end")


def test_batch_rows_makes_float_arrays():
    def batch_rows(rows, batch_size, drop_remainder=False):
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == batch_size:
                yield tuple(np.array(col, dtype=np.float64) for col in zip(*batch))
                batch = []
        if batch and not drop_remainder:
            yield tuple(np.array(col, dtype=np.float64) for col in zip(*batch))

    assert_caught(check_batch_rows, batch_rows, "dtype not kept")



def test_batch_rows_yields_tensors():
    def batch_rows(rows, batch_size, drop_remainder=False):
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == batch_size:
                yield tuple(Tensor(np.stack(col)) for col in zip(*batch))
                batch = []
        if batch and not drop_remainder:
            yield tuple(Tensor(np.stack(col)) for col in zip(*batch))

    assert_caught(check_batch_rows, batch_rows, "Tensors instead of arrays")

def test_batch_rows_reads_everything_first():
    # reading the whole source first, as a list: works on small data, breaks laziness
    def batch_rows(rows, batch_size, drop_remainder=False):
        rows = list(rows)
        stop = len(rows) - len(rows) % batch_size if drop_remainder else len(rows)
        for start in range(0, stop, batch_size):
            yield tuple(np.stack(col) for col in zip(*rows[start:start + batch_size]))

    assert_caught(check_batch_rows, batch_rows, "all rows read before the first batch")


def test_batch_rows_with_islice_passes():
    def batch_rows(rows, batch_size, drop_remainder=False):
        rows = iter(rows)
        while True:
            chunk = list(itertools.islice(rows, batch_size))
            if not chunk or (drop_remainder and len(chunk) < batch_size):
                return
            yield tuple(np.stack(col) for col in zip(*chunk))

    assert_passes(check_batch_rows, batch_rows)


# ----- 07.2 Accuracy ----------------------------------------------------------------------------------------
def _arrays(y_pred, y):
    return (y_pred.asnumpy() if isinstance(y_pred, Tensor) else np.asarray(y_pred),
            y.asnumpy() if isinstance(y, Tensor) else np.asarray(y))


class _AccuracyBase(Metric):
    def __init__(self):
        super().__init__()
        self.clear()

    def clear(self):
        self.correct, self.total = 0, 0

    def eval(self):
        if self.total == 0:
            raise RuntimeError("call update first")
        return self.correct / self.total


def test_accuracy_argmax_axis_0():
    class Accuracy(_AccuracyBase):
        def update(self, y_pred, y):
            y_pred, y = _arrays(y_pred, y)
            if y.ndim == 2:
                y = y.argmax(1)
            self.correct += int(np.sum(np.argmax(y_pred, axis=0) == y))
            self.total += len(y)

    assert_caught(check_Accuracy, Accuracy, "argmax over the batch axis")


def test_accuracy_without_one_hot():
    class Accuracy(_AccuracyBase):
        def update(self, y_pred, y):
            y_pred, y = _arrays(y_pred, y)
            self.correct += int((y_pred.argmax(axis=1) == y).sum())
            self.total += y_pred.shape[0]

    assert_caught(check_Accuracy, Accuracy, "one-hot labels not handled")


def test_accuracy_averages_batches():
    # the mean of the batch accuracies: udacity/deep-learning-v2-pytorch#74, mlcommons/training#89
    class Accuracy(Metric):
        def __init__(self):
            super().__init__()
            self.clear()

        def clear(self):
            self.scores = []

        def update(self, y_pred, y):
            y_pred, y = _arrays(y_pred, y)
            if y.ndim == 2:
                y = y.argmax(1)
            self.scores.append(np.mean(y_pred.argmax(1) == y))

        def eval(self):
            if not self.scores:
                raise RuntimeError("no data")
            return float(np.mean(self.scores))

    assert_caught(check_Accuracy, Accuracy, "mean of the batch accuracies")


def test_accuracy_assigns_instead_of_adding():
    class Accuracy(_AccuracyBase):
        def update(self, y_pred, y):
            y_pred, y = _arrays(y_pred, y)
            if y.ndim == 2:
                y = y.argmax(1)
            self.correct = int((y_pred.argmax(1) == y).sum())
            self.total = len(y)

    assert_caught(check_Accuracy, Accuracy, "update overwrites the counts")


def test_accuracy_clear_is_pass():
    class Accuracy(Metric):
        def __init__(self):
            super().__init__()
            self.correct, self.total = 0, 0

        def clear(self):
            pass

        def update(self, y_pred, y):
            y_pred, y = _arrays(y_pred, y)
            if y.ndim == 2:
                y = y.argmax(1)
            self.correct += int((y_pred.argmax(1) == y).sum())
            self.total += len(y)

        def eval(self):
            if self.total == 0:
                raise RuntimeError("no data")
            return self.correct / self.total

    assert_caught(check_Accuracy, Accuracy, "clear() does not reset")


def test_accuracy_floor_division():
    # `//` on two int counts gives 0 (Python 2 habits; integer counters)
    class Accuracy(_AccuracyBase):
        def update(self, y_pred, y):
            y_pred, y = _arrays(y_pred, y)
            if y.ndim == 2:
                y = y.argmax(1)
            self.correct += int((y_pred.argmax(1) == y).sum())
            self.total += len(y)

        def eval(self):
            if self.total == 0:
                raise RuntimeError("call update first")
            return self.correct // self.total

    assert_caught(check_Accuracy, Accuracy, "integer division")


def test_accuracy_in_percent():
    class Accuracy(_AccuracyBase):
        def update(self, y_pred, y):
            y_pred, y = _arrays(y_pred, y)
            if y.ndim == 2:
                y = y.argmax(1)
            self.correct += int((y_pred.argmax(1) == y).sum())
            self.total += len(y)

        def eval(self):
            if self.total == 0:
                raise RuntimeError("call update first")
            return round(100.0 * self.correct / self.total, 6)

    assert_caught(check_Accuracy, Accuracy, "a percentage")


def test_accuracy_divides_by_zero_when_empty():
    class Accuracy(_AccuracyBase):
        def update(self, y_pred, y):
            y_pred, y = _arrays(y_pred, y)
            if y.ndim == 2:
                y = y.argmax(1)
            self.correct += int((y_pred.argmax(1) == y).sum())
            self.total += len(y)

        def eval(self):
            return self.correct / self.total

    assert_caught(check_Accuracy, Accuracy, "eval() with no samples does not raise")


def test_accuracy_returns_zero_when_empty():
    class Accuracy(_AccuracyBase):
        def update(self, y_pred, y):
            y_pred, y = _arrays(y_pred, y)
            if y.ndim == 2:
                y = y.argmax(1)
            self.correct += int((y_pred.argmax(1) == y).sum())
            self.total += len(y)

        def eval(self):
            return self.correct / self.total if self.total else 0.0

    assert_caught(check_Accuracy, Accuracy, "eval() with no samples does not raise")



def test_accuracy_raises_value_error_when_empty():
    class Accuracy(_AccuracyBase):
        def update(self, y_pred, y):
            y_pred, y = _arrays(y_pred, y)
            if y.ndim == 2:
                y = y.argmax(1)
            self.correct += int((y_pred.argmax(1) == y).sum())
            self.total += len(y)

        def eval(self):
            if self.total == 0:
                raise ValueError("no samples")
            return self.correct / self.total

    assert_caught(check_Accuracy, Accuracy, "eval() with no samples does not raise")

def test_accuracy_with_tensors_left_as_they_are():
    class Accuracy(_AccuracyBase):
        def update(self, y_pred, y):
            if y.ndim == 2:
                y = np.argmax(y, axis=1)
            self.correct += int(np.sum(np.argmax(y_pred, axis=1) == y))
            self.total += len(y)

    assert_caught(check_Accuracy, Accuracy, "Tensors not converted")


# ----- 07.3 ConfusionMatrix ------------------------------------------------------------------------------------
class _ConfusionBase(Metric):
    def __init__(self, num_classes, normalize="no_norm"):
        super().__init__()
        if normalize not in ("no_norm", "target", "prediction", "all"):
            raise ValueError(f"bad normalize {normalize}")
        self.num_classes, self.normalize = num_classes, normalize
        self.clear()

    def clear(self):
        self.m = np.zeros((self.num_classes, self.num_classes))
        self.seen = False

    def _classes(self, y_pred, y):
        y_pred, y = _arrays(y_pred, y)
        if y_pred.ndim == 2:
            y_pred = y_pred.argmax(axis=1)
        return y_pred.astype(int), y.astype(int)

    def update(self, y_pred, y):
        y_pred, y = self._classes(y_pred, y)
        for t, p in zip(y, y_pred):
            self.m[t, p] += 1
        self.seen = True

    def eval(self):
        if not self.seen:
            raise RuntimeError("update first")
        if self.normalize == "no_norm":
            return self.m.copy()
        sums = {"target": self.m.sum(1, keepdims=True), "prediction": self.m.sum(0, keepdims=True),
                "all": self.m.sum()}[self.normalize]
        return np.where(sums > 0, self.m / np.where(sums > 0, sums, 1), 0.0)


def test_confusion_base_passes():
    assert_passes(check_ConfusionMatrix, _ConfusionBase)


def test_confusion_indexed_predicted_first():
    # matrix[predicted, true]: rows and columns the other way round (sklearn and MindSpore put true classes in rows)
    class ConfusionMatrix(_ConfusionBase):
        def update(self, y_pred, y):
            y_pred, y = self._classes(y_pred, y)
            for t, p in zip(y, y_pred):
                self.m[p, t] += 1
            self.seen = True

    assert_caught(check_ConfusionMatrix, ConfusionMatrix, "rows and columns swapped")


def test_confusion_fancy_index_increment():
    # m[y, p] += 1 counts a repeated pair once: numpy/numpy#8866, numpy/numpy#16790
    class ConfusionMatrix(_ConfusionBase):
        def update(self, y_pred, y):
            y_pred, y = self._classes(y_pred, y)
            self.m[y, y_pred] += 1
            self.seen = True

    assert_caught(check_ConfusionMatrix, ConfusionMatrix, "repeated pairs counted once")


def test_confusion_uses_logits_as_indices():
    class ConfusionMatrix(_ConfusionBase):
        def update(self, y_pred, y):
            y_pred, y = _arrays(y_pred, y)
            np.add.at(self.m, (y.astype(int), y_pred.astype(int)), 1)
            self.seen = True

    assert_caught(check_ConfusionMatrix, ConfusionMatrix, "logits used as classes")


def test_confusion_always_argmax():
    class ConfusionMatrix(_ConfusionBase):
        def update(self, y_pred, y):
            y_pred, y = _arrays(y_pred, y)
            np.add.at(self.m, (y.astype(int), np.argmax(y_pred, axis=1)), 1)
            self.seen = True

    assert_caught(check_ConfusionMatrix, ConfusionMatrix, "argmax of class predictions")


def test_confusion_target_divides_columns():
    class ConfusionMatrix(_ConfusionBase):
        def eval(self):
            if not self.seen:
                raise RuntimeError("update first")
            if self.normalize == "no_norm":
                return self.m.copy()
            sums = {"target": self.m.sum(0, keepdims=True), "prediction": self.m.sum(1, keepdims=True),
                    "all": self.m.sum()}[self.normalize]
            return np.where(sums > 0, self.m / np.where(sums > 0, sums, 1), 0.0)

    assert_caught(check_ConfusionMatrix, ConfusionMatrix, "normalize axes swapped")


def test_confusion_plain_division():
    # 0 / 0 for a class that never occurs gives NaN (MindSpore sets those entries to 0)
    class ConfusionMatrix(_ConfusionBase):
        def eval(self):
            if not self.seen:
                raise RuntimeError("update first")
            if self.normalize == "target":
                return self.m / self.m.sum(axis=1, keepdims=True)
            if self.normalize == "prediction":
                return self.m / self.m.sum(axis=0, keepdims=True)
            if self.normalize == "all":
                return self.m / self.m.sum()
            return self.m.copy()

    assert_caught(check_ConfusionMatrix, ConfusionMatrix, "NaN for an empty row or column")


def test_confusion_rebuilt_each_update():
    class ConfusionMatrix(_ConfusionBase):
        def update(self, y_pred, y):
            self.clear()
            super().update(y_pred, y)

    assert_caught(check_ConfusionMatrix, ConfusionMatrix, "confusion: update overwrites")


def test_confusion_clear_forgets_only_the_flag():
    class ConfusionMatrix(_ConfusionBase):
        def __init__(self, num_classes, normalize="no_norm"):
            self.m = np.zeros((num_classes, num_classes))
            super().__init__(num_classes, normalize)

        def clear(self):
            self.seen = False

    assert_caught(check_ConfusionMatrix, ConfusionMatrix, "confusion: clear() does not reset")


def test_confusion_returns_zeros_when_empty():
    class ConfusionMatrix(_ConfusionBase):
        def eval(self):
            self.seen = True
            return super().eval()

    assert_caught(check_ConfusionMatrix, ConfusionMatrix, "eval() with no samples gives zeros")



def test_confusion_normalizes_an_empty_matrix():
    class ConfusionMatrix(_ConfusionBase):
        def eval(self):
            return self.m.copy() if self.normalize == "no_norm" else super().eval()

    assert_caught(check_ConfusionMatrix, ConfusionMatrix, "eval() with no samples gives zeros")

def test_confusion_accepts_any_normalize():
    class ConfusionMatrix(_ConfusionBase):
        def __init__(self, num_classes, normalize="no_norm"):
            Metric.__init__(self)
            self.num_classes, self.normalize = num_classes, normalize
            self.clear()

        def eval(self):
            if self.normalize in ("target", "prediction", "all"):
                return super().eval()
            if not self.seen:
                raise RuntimeError("update first")
            return self.m.copy()

    assert_caught(check_ConfusionMatrix, ConfusionMatrix, "unknown normalize accepted")


# ----- 07.4 EarlyStopping ---------------------------------------------------------------------------------------
class _StopperBase(Callback):
    def __init__(self, monitor="eval_loss", min_delta=0, patience=0, mode="min"):
        self.monitor, self.min_delta, self.patience, self.mode = monitor, abs(min_delta), patience, mode
        self.stopped_epoch = 0

    def on_train_begin(self, run_context):
        self.best = float("inf") if self.mode == "min" else float("-inf")
        self.wait = 0
        self.stopped_epoch = 0

    def better(self, current):
        if self.mode == "min":
            return current < self.best - self.min_delta
        return current > self.best + self.min_delta

    def value(self, run_context):
        return run_context.original_args().eval_results[self.monitor]

    def on_train_epoch_end(self, run_context):
        current = self.value(run_context)
        self.wait += 1
        if self.better(current):
            self.best, self.wait = current, 0
        if self.wait >= self.patience:
            self.stopped_epoch = run_context.original_args().cur_epoch_num
            run_context.request_stop()


def test_stopper_base_passes():
    assert_passes(check_EarlyStopping, _StopperBase)


def test_early_stopping_watches_net_outputs():
    class EarlyStopping(_StopperBase):
        def value(self, run_context):
            return float(run_context.original_args().net_outputs.asnumpy())

    assert_caught(check_EarlyStopping, EarlyStopping, "monitored the training loss")


def test_early_stopping_sets_a_flag_only():
    class EarlyStopping(_StopperBase):
        def on_train_epoch_end(self, run_context):
            current = self.value(run_context)
            self.wait += 1
            if self.better(current):
                self.best, self.wait = current, 0
            if self.wait >= self.patience:
                self.stopped_epoch = run_context.original_args().cur_epoch_num
                self.stop_training = True

    assert_caught(check_EarlyStopping, EarlyStopping, "stop never requested")


def test_early_stopping_always_minimizes():
    class EarlyStopping(_StopperBase):
        def on_train_begin(self, run_context):
            super().on_train_begin(run_context)
            self.best = float("inf")

        def better(self, current):
            return current < self.best - self.min_delta

    assert_caught(check_EarlyStopping, EarlyStopping, "mode ignored")


def test_early_stopping_more_than_patience():
    # `wait > patience` instead of `>=`: keras-team/keras#8100 fixed this off-by-one in Keras' EarlyStopping
    class EarlyStopping(_StopperBase):
        def on_train_epoch_end(self, run_context):
            current = self.value(run_context)
            if self.better(current):
                self.best, self.wait = current, 0
            else:
                self.wait += 1
            if self.wait > self.patience:
                self.stopped_epoch = run_context.original_args().cur_epoch_num
                run_context.request_stop()

    assert_caught(check_EarlyStopping, EarlyStopping, "patience off by one")


def test_early_stopping_counter_only_grows():
    # the counter never set back to 0 on an improvement
    class EarlyStopping(_StopperBase):
        def on_train_epoch_end(self, run_context):
            current = self.value(run_context)
            self.wait += 1
            if self.better(current):
                self.best = current
            if self.wait >= self.patience:
                self.stopped_epoch = run_context.original_args().cur_epoch_num
                run_context.request_stop()

    assert_caught(check_EarlyStopping, EarlyStopping, "wait not reset on improvement")


def test_early_stopping_compares_with_last_epoch():
    class EarlyStopping(_StopperBase):
        def on_train_epoch_end(self, run_context):
            current = self.value(run_context)
            self.wait += 1
            if self.better(current):
                self.wait = 0
            self.best = current
            if self.wait >= self.patience:
                self.stopped_epoch = run_context.original_args().cur_epoch_num
                run_context.request_stop()

    assert_caught(check_EarlyStopping, EarlyStopping, "compared with the previous epoch")


def test_early_stopping_counts_ties():
    class EarlyStopping(_StopperBase):
        def better(self, current):
            if self.mode == "min":
                return current <= self.best - self.min_delta
            return current >= self.best + self.min_delta

    assert_caught(check_EarlyStopping, EarlyStopping, "a tie counts as an improvement")


def test_early_stopping_forgets_min_delta():
    class EarlyStopping(_StopperBase):
        def better(self, current):
            return current < self.best if self.mode == "min" else current > self.best

    assert_caught(check_EarlyStopping, EarlyStopping, "min_delta ignored")


def test_early_stopping_adds_min_delta():
    class EarlyStopping(_StopperBase):
        def better(self, current):
            if self.mode == "min":
                return current < self.best + self.min_delta
            return current > self.best - self.min_delta

    assert_caught(check_EarlyStopping, EarlyStopping, "min_delta the wrong way")



def test_early_stopping_reads_the_metrics():
    # cb_params.metrics lacks 'eval_loss', which Model.fit puts in eval_results only
    class EarlyStopping(_StopperBase):
        def value(self, run_context):
            return run_context.original_args().metrics[self.monitor]

    assert_caught(check_EarlyStopping, EarlyStopping, "read cb_params.metrics")


def test_early_stopping_forgets_stopped_epoch():
    class EarlyStopping(_StopperBase):
        def on_train_epoch_end(self, run_context):
            current = self.value(run_context)
            self.wait += 1
            if self.better(current):
                self.best, self.wait = current, 0
            if self.wait >= self.patience:
                run_context.request_stop()

    assert_caught(check_EarlyStopping, EarlyStopping, "stopped_epoch not set")


def test_early_stopping_with_the_comparison_reversed():
    class EarlyStopping(_StopperBase):
        def better(self, current):
            if self.mode == "min":
                return current > self.best + self.min_delta
            return current < self.best - self.min_delta

    assert_caught(check_EarlyStopping, EarlyStopping, "wait not reset on improvement")

def test_early_stopping_initializes_in_init():
    # state set once in __init__: a second training starts with the first one's counter and best
    class EarlyStopping(_StopperBase):
        def __init__(self, monitor="eval_loss", min_delta=0, patience=0, mode="min"):
            super().__init__(monitor, min_delta, patience, mode)
            _StopperBase.on_train_begin(self, None)

        def on_train_begin(self, run_context):
            pass

    assert_caught(check_EarlyStopping, EarlyStopping, "state kept between trainings")


# ----- 07.5 train_epoch --------------------------------------------------------------------------------------------
def test_train_epoch_hands_cb_params_to_the_hooks():
    # callbacks get the RunContext, not the dict behind it
    def train_epoch(train_network, dataset, callbacks, run_context):
        cb_params = run_context.original_args()
        for cb in callbacks:
            cb.on_train_epoch_begin(cb_params)
        for data, label in dataset.create_tuple_iterator(num_epochs=1):
            cb_params.cur_step_num += 1
            for cb in callbacks:
                cb.on_train_step_begin(cb_params)
            cb_params.net_outputs = train_network(data, label)
            for cb in callbacks:
                cb.on_train_step_end(cb_params)
            if run_context.get_stop_requested():
                break
        for cb in callbacks:
            cb.on_train_epoch_end(cb_params)

    assert_caught(check_train_epoch, train_epoch, "cb_params passed to the hooks")


def test_train_epoch_passes_the_row():
    # train_network(row) with the [data, label] list as one argument
    def train_epoch(train_network, dataset, callbacks, run_context):
        cb_params = run_context.original_args()
        for cb in callbacks:
            cb.on_train_epoch_begin(run_context)
        for row in dataset.create_tuple_iterator(num_epochs=1):
            cb_params.cur_step_num += 1
            for cb in callbacks:
                cb.on_train_step_begin(run_context)
            cb_params.net_outputs = train_network(row)
            for cb in callbacks:
                cb.on_train_step_end(run_context)
        for cb in callbacks:
            cb.on_train_epoch_end(run_context)

    assert_caught(check_train_epoch, train_epoch, "row passed as one argument")


def _epoch(count="+=", store=True, order="right", who="all", epoch_hooks=True, stop="break", epoch_end="after",
           epoch_count=False):
    def train_epoch(train_network, dataset, callbacks, run_context):
        cb_params = run_context.original_args()
        if epoch_count:
            cb_params.cur_epoch_num += 1
        targets = callbacks if who == "all" else callbacks[:1]
        if epoch_hooks:
            for cb in targets:
                cb.on_train_epoch_begin(run_context)
        for step, (data, label) in enumerate(dataset.create_tuple_iterator(num_epochs=1), start=1):
            if count == "+=":
                cb_params.cur_step_num += 1
            elif count == "enumerate":
                cb_params.cur_step_num = step
            for cb in targets:
                cb.on_train_step_begin(run_context)
            if order == "end first":
                for cb in targets:
                    cb.on_train_step_end(run_context)
            loss = train_network(data, label)
            if store:
                cb_params.net_outputs = loss
            if count == "after":
                cb_params.cur_step_num += 1
            if order == "right":
                for cb in targets:
                    cb.on_train_step_end(run_context)
            if stop != "ignore" and run_context.get_stop_requested():
                if stop == "return":
                    return
                break
            if epoch_end == "in the loop":
                for cb in targets:
                    cb.on_train_epoch_end(run_context)
        if epoch_hooks and epoch_end == "after":
            for cb in targets:
                cb.on_train_epoch_end(run_context)
    return train_epoch


def test_train_epoch_learner_base_passes():
    assert_passes(check_train_epoch, _epoch())


def test_train_epoch_never_counts():
    assert_caught(check_train_epoch, _epoch(count="never"), "step counter not increased")


def test_train_epoch_counts_with_enumerate():
    assert_caught(check_train_epoch, _epoch(count="enumerate"), "step counter restarted each epoch")


def test_train_epoch_counts_after_the_step():
    assert_caught(check_train_epoch, _epoch(count="after"), "step counter increased after the step")


def test_train_epoch_keeps_the_loss_local():
    assert_caught(check_train_epoch, _epoch(store=False), "net_outputs not stored")


def test_train_epoch_calls_both_step_hooks_first():
    assert_caught(check_train_epoch, _epoch(order="end first"), "step_end before the step")


def test_train_epoch_calls_the_first_callback():
    assert_caught(check_train_epoch, _epoch(who="first"), "only the first callback called")


def test_train_epoch_without_epoch_hooks():
    assert_caught(check_train_epoch, _epoch(epoch_hooks=False), "epoch hooks missing")


def test_train_epoch_never_stops():
    assert_caught(check_train_epoch, _epoch(stop="ignore"), "stop request ignored")


def test_train_epoch_returns_on_stop():
    assert_caught(check_train_epoch, _epoch(stop="return"), "stop skips on_train_epoch_end")



def test_train_epoch_ends_the_epoch_at_every_step():
    assert_caught(check_train_epoch, _epoch(epoch_end="in the loop"), "on_train_epoch_end inside the loop")


def test_train_epoch_counts_the_epoch_itself():
    assert_caught(check_train_epoch, _epoch(epoch_count=True), "cur_epoch_num changed")


def test_batch_rows_scales_the_rows_in_place():
    # normalizing a column in place while batching would change the source's data for every later epoch
    def batch_rows(rows, batch_size, drop_remainder=False):
        batch = []
        for row in rows:
            np.multiply(row[0], 0.5, out=row[0])
            batch.append(row)
            if len(batch) == batch_size:
                yield tuple(np.stack(col) for col in zip(*batch))
                batch = []
        if batch and not drop_remainder:
            yield tuple(np.stack(col) for col in zip(*batch))

    message = failure(check_batch_rows, batch_rows)
    assert "changed its input `rows` in place" in message, message
    failure(check_batch_rows, batch_rows, hidden=True)


def test_accuracy_shifts_the_logits_in_place():
    class Accuracy(_AccuracyBase):
        def update(self, y_pred, y):
            y_pred, y = _arrays(y_pred, y)
            y_pred -= y_pred.max(axis=1, keepdims=True)  # "for stability", on the caller's array
            if y.ndim == 2:
                y = y.argmax(1)
            self.correct += int((y_pred.argmax(1) == y).sum())
            self.total += len(y)

    message = failure(check_Accuracy, Accuracy)
    assert "changed its input `y_pred` in place" in message, message


def test_the_delegating_answers_of_the_hostile_suite_pass_unprotected():
    """tests/grading/attacks.py hands each exercise of this chapter to the engine (or the answer key): in a plain
    kernel those answers pass their checks, which is why the grader must forbid that code (it scores them 0)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "grading" / "attacks.py"
    spec = importlib.util.spec_from_file_location("attacks_ch07", path)
    attacks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(attacks)
    answers = attacks.DELEGATION["07_dataset_model"]
    checks = {"batch_rows": check_batch_rows, "Accuracy": check_Accuracy, "ConfusionMatrix": check_ConfusionMatrix,
              "EarlyStopping": check_EarlyStopping, "train_epoch": check_train_epoch}
    assert set(answers) == set(checks)
    for name, source in answers.items():
        namespace = {"ms": ms, "np": np, "nn": nn, "train": train, "Tensor": Tensor, "Model": Model}
        exec(source, namespace)  # noqa: S102 - a learner's cell, as the notebook would run it
        assert_passes(checks[name], namespace[name])
