"""Callbacks: hook order, run context, stopping, LossMonitor's exact lines, EarlyStopping, History,
TimeMonitor, ProgressBar. Hook orders and LossMonitor lines were observed on MindSpore 2.10
(/tmp/ms/g9.py, /tmp/ms/g9b.py) with the same data and initial weights.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import tinyspore.dataset as ds
from tinyspore import Tensor, nn
from tinyspore.train import (
    Callback,
    EarlyStopping,
    History,
    LambdaCallback,
    LossMonitor,
    Model,
    ProgressBar,
    TimeMonitor,
)

X = np.linspace(-1, 1, 10, dtype=np.float32).reshape(-1, 1)
Y = (2 * X + 0.5).astype(np.float32)


def make_model(lr=0.1, metrics=None):
    net = nn.Dense(1, 1, weight_init=Tensor(np.array([[0.5]], np.float32)), bias_init="zeros")
    optimizer = nn.SGD(net.trainable_params(), learning_rate=lr) if lr else None
    return Model(net, loss_fn=nn.MSELoss(), optimizer=optimizer, metrics=metrics)


def data(batch_size):
    return ds.NumpySlicesDataset((X, Y), column_names=["data", "label"], shuffle=False).batch(batch_size)


class Recorder(Callback):
    """Records every hook, new and old names."""

    def __init__(self):
        self.seen = []

    def __getattribute__(self, name):
        attr = object.__getattribute__(self, name)
        if name.startswith("on_") or name in ("begin", "end", "epoch_begin", "epoch_end", "step_begin", "step_end"):
            def record(run_context):
                object.__getattribute__(self, "seen").append(name)
                return attr(run_context)
            return record
        return attr


def test_train_hook_order_as_mindspore():
    rec = Recorder()
    make_model().train(1, data(5), callbacks=rec)
    # MindSpore 2.10 order (g9b.py); each on_* hook then calls its old-name alias
    new = [h for h in rec.seen if h.startswith("on_")]
    assert new == ["on_train_begin", "on_train_epoch_begin", "on_train_step_begin", "on_train_step_end",
                   "on_train_step_begin", "on_train_step_end", "on_train_epoch_end", "on_train_end"]
    assert rec.seen[:4] == ["on_train_begin", "begin", "on_train_epoch_begin", "epoch_begin"]
    assert rec.seen.count("step_end") == 2 and rec.seen[-1] == "end"


def test_eval_hook_order():
    rec = Recorder()
    make_model(metrics={"mae"}).eval(data(5), callbacks=[rec])
    new = [h for h in rec.seen if h.startswith("on_")]
    assert new == ["on_eval_begin", "on_eval_epoch_begin", "on_eval_step_begin", "on_eval_step_end",
                   "on_eval_step_begin", "on_eval_step_end", "on_eval_epoch_end", "on_eval_end"]


def test_old_names_are_called_as_mindspore():
    calls = []

    class Legacy(Callback):
        def step_end(self, run_context):
            calls.append(("step_end", run_context.original_args().cur_step_num))

        def epoch_end(self, run_context):
            calls.append(("epoch_end", run_context.original_args().cur_epoch_num))

    make_model().train(1, data(5), callbacks=Legacy())
    assert calls == [("step_end", 1), ("step_end", 2), ("epoch_end", 1)]  # MindSpore 2.10 (g9b.py)


def test_run_context_contents():
    snapshots = []

    class Probe(Callback):
        def on_train_step_end(self, run_context):
            args = run_context.original_args()
            snapshots.append((args.cur_epoch_num, args.cur_step_num, args.batch_num, args.epoch_num,
                              float(args.net_outputs.asnumpy()), args["mode"], type(args.train_network).__name__))

    make_model().train(2, data(4), callbacks=[Probe()])
    # MindSpore 2.10 (g9.py): first step net_outputs 0.388889, cur_step_num counts across epochs
    assert [s[:4] for s in snapshots] == [(1, 1, 3, 2), (1, 2, 3, 2), (1, 3, 3, 2), (2, 4, 3, 2), (2, 5, 3, 2),
                                          (2, 6, 3, 2)]
    assert snapshots[0][4] == pytest.approx(0.3888888955116272)
    assert snapshots[0][5] == "train" and snapshots[0][6] == "TrainOneStepCell"


def test_request_stop_ends_training_after_the_current_step():
    rec = Recorder()

    class Stop(Callback):
        def on_train_step_end(self, run_context):
            run_context.request_stop()

    model = make_model()
    model.train(3, data(5), callbacks=[Stop(), rec])
    new = [h for h in rec.seen if h.startswith("on_")]
    assert new == ["on_train_begin", "on_train_epoch_begin", "on_train_step_begin", "on_train_step_end",
                   "on_train_epoch_end", "on_train_end"]


# ----- LossMonitor -----------------------------------------------------------------------------------
def test_loss_monitor_prints_mindspore_lines(capsys):
    model = make_model()
    model.train(2, data(4), callbacks=[LossMonitor()])
    model.train(1, data(4), callbacks=[LossMonitor(per_print_times=2)])
    lines = capsys.readouterr().out.splitlines()
    # MindSpore 2.10, the same run (g9.py), verbatim:
    expected = [
        "epoch: 1 step: 1, loss is 0.3888888955116272",
        "epoch: 1 step: 2, loss is 0.9596952199935913",
        "epoch: 1 step: 3, loss is 2.657118797302246",
        "epoch: 2 step: 1, loss is 0.45113515853881836",
        "epoch: 2 step: 2, loss is 0.24409762024879456",
        "epoch: 2 step: 3, loss is 0.9395120739936829",
        "epoch: 1 step: 2, loss is 0.06938710063695908",
    ]
    assert lines == expected


def test_loss_monitor_per_print_times_counts_steps_across_epochs(capsys):
    history = History()
    make_model().train(2, data(4), callbacks=[LossMonitor(2), history])
    # MindSpore 2.10 (/tmp/dt/m5.py), verbatim: every 2nd global step, labelled by step within its epoch
    assert capsys.readouterr().out.splitlines() == [
        "epoch: 1 step: 2, loss is 0.9596952199935913",
        "epoch: 2 step: 1, loss is 0.45113515853881836",
        "epoch: 2 step: 3, loss is 0.9395120739936829",
    ]
    assert history.epoch == {"epoch": [1, 2]}
    assert history.history["net_output"] == pytest.approx([2.6571188, 0.9395121])  # MindSpore 2.10


def test_loss_monitor_stops_on_nan():
    net = nn.Dense(1, 1, weight_init=Tensor(np.array([[np.nan]], np.float32)), bias_init="zeros")
    model = Model(net, nn.MSELoss(), nn.SGD(net.trainable_params(), 0.1))
    with pytest.raises(ValueError, match="In epoch: 1 step: 1, loss is NAN or INF"):
        model.train(1, data(5), callbacks=LossMonitor())


def test_loss_monitor_argument_check():
    with pytest.raises(ValueError, match="per_print_times must be an int >= 0"):
        LossMonitor(-1)


# ----- EarlyStopping ---------------------------------------------------------------------------------
def count_epochs(model, epochs, callbacks):
    rec = Recorder()
    model.train(epochs, data(5), callbacks=[*callbacks, rec])
    return rec.seen.count("on_train_epoch_end")


def test_early_stopping_on_a_flat_loss():
    # no optimizer: the loss is the same every epoch, so it improves only once (from +inf)
    stopper = EarlyStopping(monitor="loss", patience=2)
    assert count_epochs(make_model(lr=None), 10, [stopper]) == 3
    assert stopper.stopped_epoch == 3  # MindSpore 2.10, same setup (/tmp/dt/m5.py): stopped at epoch 3


def test_early_stopping_patience_zero_stops_after_one_epoch():
    stopper = EarlyStopping(monitor="loss", patience=0)  # MindSpore: wait (1) >= patience (0) at once
    assert count_epochs(make_model(), 10, [stopper]) == 1


def test_early_stopping_waits_while_improving():
    stopper = EarlyStopping(monitor="loss", patience=3)
    assert count_epochs(make_model(lr=0.05), 8, [stopper]) == 8  # a learning model keeps improving
    assert stopper.stopped_epoch == 0


def test_early_stopping_mode_and_restore_best_weights():
    with pytest.raises(ValueError, match="mode must be 'auto', 'min' or 'max'"):
        EarlyStopping(mode="up")
    model = make_model(lr=0.1, metrics={"mae"})
    # 'max' on eval_loss: the first epoch is the "best", later (smaller) losses are not improvements
    stopper = EarlyStopping(monitor="eval_loss", patience=2, mode="max", restore_best_weights=True)
    weights = []

    class Keep(Callback):
        def on_train_epoch_end(self, run_context):
            weights.append(model.predict_network.weight.asnumpy().copy())

    model.fit(10, data(5), data(10), callbacks=[Keep(), stopper])
    assert stopper.stopped_epoch == 3
    np.testing.assert_array_equal(model.predict_network.weight.asnumpy(), weights[0])


# ----- History, TimeMonitor, LambdaCallback, ProgressBar ---------------------------------------------
def test_history_records_epoch_losses():
    history = History()
    losses = []
    make_model().train(3, data(5), callbacks=[
        history, LambdaCallback(on_train_epoch_end=lambda rc: losses.append(float(rc.original_args().net_outputs.asnumpy())))])
    assert history.epoch == {"epoch": [1, 2, 3]}
    assert history.history["net_output"] == pytest.approx(losses)


def test_time_monitor_format(capsys):
    make_model().train(2, data(5), callbacks=TimeMonitor())
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert all(re.fullmatch(r"Train epoch time: \d+\.\d{3} ms, per step time: \d+\.\d{3} ms", ln) for ln in lines)


def test_progress_bar_shows_steps_and_loss(capsys):
    make_model().train(2, data(4), callbacks=ProgressBar())
    err = capsys.readouterr().err
    assert "epoch 1/2" in err and "epoch 2/2" in err and "3/3" in err and "loss=" in err


def test_callbacks_must_be_callbacks():
    with pytest.raises(TypeError, match=r"callbacks\[1\] is a function, not a Callback"):
        make_model().train(1, data(5), callbacks=[LossMonitor(), lambda rc: None])
    with pytest.raises(ValueError, match="unknown hook 'on_step'"):
        LambdaCallback(on_step=print)


def test_callbacks_are_context_managers_closed_even_on_errors():
    events = []

    class Resource(Callback):
        def __enter__(self):
            events.append("enter")
            return self

        def __exit__(self, *err):
            events.append(("exit", err[0].__name__ if err[0] else None))

    make_model().train(1, data(5), callbacks=Resource())
    net = nn.Dense(1, 1, weight_init=Tensor(np.array([[np.nan]], np.float32)), bias_init="zeros")
    with pytest.raises(ValueError):
        Model(net, nn.MSELoss(), nn.SGD(net.trainable_params(), 0.1)).train(1, data(5),
                                                                            callbacks=[Resource(), LossMonitor()])
    assert events == ["enter", ("exit", None), "enter", ("exit", "ValueError")]
