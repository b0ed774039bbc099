"""tinyspore.Model, WithLossCell/WithEvalCell/TrainOneStepCell and metrics.

Reference numbers come from MindSpore 2.10 on /opt/msenv (script /tmp/dt/m3.py, same data and initial
weights); they agree with ours to float32 rounding.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinyspore as ts
import tinyspore.dataset as ds
from tinyspore import Tensor, nn
from tinyspore.train import MAE, MSE, Accuracy, Callback, Loss, Model, Precision, Recall, TopKCategoricalAccuracy


def seed_data():
    """The seed tutorial's data: y = 2x + 0.5 plus a little noise, 100 points."""
    rng = np.random.RandomState(0)
    x = np.linspace(-1, 1, 100, dtype=np.float32).reshape(-1, 1)
    y = (2 * x + 0.5 + rng.normal(0, 0.05, x.shape)).astype(np.float32)
    return x, y


def line_net():
    return nn.Dense(1, 1, weight_init=Tensor(np.array([[0.5]], np.float32)), bias_init="zeros")


# ----- the seed regression through Model ------------------------------------------------------------
def test_model_train_fits_the_seed_line_full_batch():
    x, y = seed_data()
    net = line_net()
    model = Model(net, nn.MSELoss(), nn.SGD(net.trainable_params(), learning_rate=0.1))
    model.train(200, ds.NumpySlicesDataset((x, y), column_names=["data", "label"], shuffle=False).batch(100))
    w, b = net.weight.asnumpy().item(), net.bias.asnumpy().item()
    assert abs(w - 2.0) < 0.01
    # MindSpore 2.10, same setup: W = 1.992565631866455, b = 0.5029903054237366
    assert w == pytest.approx(1.992565631866455, abs=1e-5)
    assert b == pytest.approx(0.5029903054237366, abs=1e-5)


def test_model_train_minibatches():
    x, y = seed_data()
    net = line_net()
    model = Model(net, nn.MSELoss(), nn.SGD(net.trainable_params(), learning_rate=0.1))
    model.train(20, ds.NumpySlicesDataset((x, y), column_names=["data", "label"], shuffle=False).batch(10))
    # MindSpore 2.10: W = 2.007378339767456, b = 0.5032601356506348
    assert net.weight.asnumpy().item() == pytest.approx(2.007378339767456, abs=1e-5)
    assert net.bias.asnumpy().item() == pytest.approx(0.5032601356506348, abs=1e-5)


def test_model_train_with_shuffle_reaches_the_line():
    ts.set_seed(0)
    x, y = seed_data()
    net = line_net()
    model = Model(net, nn.MSELoss(), nn.SGD(net.trainable_params(), learning_rate=0.1))
    model.train(20, ds.NumpySlicesDataset({"x": x, "y": y}).batch(10))
    assert abs(net.weight.asnumpy().item() - 2.0) < 0.02
    assert abs(net.bias.asnumpy().item() - 0.5) < 0.02


# ----- classification: train, eval, predict vs MindSpore --------------------------------------------
def classification_setup():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 4)).astype(np.float32)
    w_true = rng.normal(size=(4, 3)).astype(np.float32)
    y = (x @ w_true).argmax(1).astype(np.int32)
    w0 = (rng.normal(size=(3, 4)) * 0.1).astype(np.float32)
    net = nn.Dense(4, 3, weight_init=Tensor(w0), bias_init="zeros")
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    model = Model(net, loss, nn.Momentum(net.trainable_params(), 0.1, 0.9), metrics={"accuracy", "loss"})
    return net, model, ds.NumpySlicesDataset({"x": x, "y": y}, shuffle=False).batch(8), x, y


def test_classification_matches_mindspore():
    net, model, data, _, _ = classification_setup()
    before = model.eval(data)
    assert before["accuracy"] == pytest.approx(0.1)
    assert before["loss"] == pytest.approx(1.1698978543281555, rel=1e-5)  # MindSpore 2.10
    model.train(5, data)
    after = model.eval(data)
    assert after["accuracy"] == pytest.approx(0.9666666666666667)
    assert after["loss"] == pytest.approx(0.1943063586950302, rel=1e-5)
    assert isinstance(after["loss"], float) and isinstance(after["accuracy"], float)
    np.testing.assert_allclose(net.weight.asnumpy(), [[0.31592467, -1.1206025, -2.0690782, -0.7360191],
                                                      [0.8080213, 0.8888363, 1.6341223, -0.74506235],
                                                      [-0.91389036, 0.52140564, 0.23415668, 1.7464095]], atol=1e-5)
    np.testing.assert_allclose(net.bias.asnumpy(), [0.12996055, 0.03197939, -0.16193992], atol=1e-5)


def test_eval_metrics_match_hand_computation():
    net, model, data, x, y = classification_setup()
    result = model.eval(data)
    logits = x @ net.weight.asnumpy().T + net.bias.asnumpy()
    accuracy = np.mean(logits.argmax(1) == y)
    # Loss averages the per-batch mean losses over batches (8, 8, 8, 6): MindSpore's definition
    log_p = logits - np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True)) - logits.max(
        1, keepdims=True)
    per_sample = -log_p[np.arange(30), y]
    batch_means = [per_sample[i:i + 8].mean() for i in range(0, 30, 8)]
    assert result["accuracy"] == pytest.approx(accuracy)
    assert result["loss"] == pytest.approx(np.mean(batch_means), rel=1e-5)
    assert result["loss"] != pytest.approx(per_sample.mean(), rel=1e-6)  # not the per-sample mean


def test_eval_leaves_training_mode_and_predict():
    net, model, _, x, _ = classification_setup()
    net.set_train(True)
    out = model.predict(Tensor(x[:2]))
    np.testing.assert_allclose(out.asnumpy(), x[:2] @ net.weight.asnumpy().T + net.bias.asnumpy(), rtol=1e-6)
    assert net.training  # restored after predict


def test_regression_metrics_in_eval():
    x, y = seed_data()
    net = line_net()
    model = Model(net, nn.MSELoss(), metrics={"mae", "mse"})
    result = model.eval(ds.NumpySlicesDataset((x, y), shuffle=False).batch(30))
    error = 0.5 * x - y
    assert result["mae"] == pytest.approx(np.abs(error).mean(), rel=1e-5)
    assert result["mse"] == pytest.approx((error**2).mean(), rel=1e-5)


# ----- metrics on their own -------------------------------------------------------------------------
def test_metric_classes():
    logits = np.array([[0.1, 0.7, 0.2], [0.8, 0.1, 0.1], [0.2, 0.3, 0.5], [0.3, 0.4, 0.3]])
    labels = np.array([1, 0, 1, 2])
    acc = Accuracy()
    acc.update(logits, labels)
    assert acc.eval() == pytest.approx(0.5)
    acc.update(logits[:1], np.eye(3)[[1]])  # one-hot labels work too
    assert acc.eval() == pytest.approx(3 / 5)
    acc.clear()
    with pytest.raises(RuntimeError, match="no samples yet"):
        acc.eval()
    # predicted classes 1, 0, 2, 1; true 1, 0, 1, 2
    precision, recall = Precision(), Recall()
    precision.update(logits, labels)
    recall.update(logits, labels)
    np.testing.assert_allclose(precision.eval(), [1.0, 0.5, 0.0])
    np.testing.assert_allclose(recall.eval(), [1.0, 0.5, 0.0])
    assert precision.eval(average=True) == pytest.approx(0.5)
    top2 = TopKCategoricalAccuracy(2)
    top2.update(logits, labels)
    assert top2.eval() == pytest.approx(3 / 4)  # sample 3: label 2 is tied 3rd
    loss = Loss()
    loss.update(Tensor(np.float32(1.0)))
    loss.update(Tensor(np.array([2.0, 4.0], np.float32)))
    assert loss.eval() == pytest.approx(2.0)  # (1 + 3) / 2 batches
    mae, mse = MAE(), MSE()
    for m in (mae, mse):
        m.update(np.array([[1.0], [2.0]]), np.array([1.5, 4.0]))
    assert mae.eval() == pytest.approx(1.25) and mse.eval() == pytest.approx((0.25 + 4) / 2)
    with pytest.raises(ValueError, match=r"Accuracy.update: needs 2 inputs"):
        Accuracy().update(logits)


def test_metrics_are_also_in_nn_as_in_mindspore():
    assert nn.Accuracy is Accuracy and nn.Loss is Loss and nn.MAE is MAE  # mindspore.nn.Accuracy exists too


def test_metrics_by_name_and_errors():
    net = nn.Dense(4, 3)
    model = Model(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True), metrics={"acc", "top_5_accuracy", "recall"})
    assert sorted(model._metric_fns) == ["acc", "recall", "top_5_accuracy"]
    with pytest.raises(KeyError, match="unknown metric 'acuracy'"):
        Model(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True), metrics={"acuracy"})
    with pytest.raises(ValueError, match="the model has no metrics"):
        Model(net, nn.MSELoss()).eval(ds.NumpySlicesDataset((np.ones((2, 4)), np.ones((2, 3)))))
    with pytest.raises(ValueError, match="metrics need an evaluation network"):
        Model(net, metrics={"accuracy"})


# ----- what the dataset gives vs what the network takes ---------------------------------------------
def test_columns_that_do_not_fit_the_loss_are_named():
    x, y = seed_data()
    net = line_net()
    model = Model(net, nn.MSELoss(), nn.SGD(net.trainable_params(), 0.1))
    three = ds.NumpySlicesDataset({"x": x, "y": y, "w": y}).batch(10)
    with pytest.raises(ValueError, match=r"dataset must give 2 columns \(data, label\).*gives 3: \['x', 'y', 'w'\]"):
        model.train(1, three)
    assert net.weight.asnumpy().item() == 0.5  # nothing ran


class TwoInputNet(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(1, 1)

    def construct(self, x, y):
        return ((self.fc(x) - y) ** 2).mean()


def test_columns_that_do_not_fit_the_network_are_named():
    x, y = seed_data()
    net = TwoInputNet()
    model = Model(net, optimizer=nn.SGD(net.trainable_params(), 0.1))
    three = ds.NumpySlicesDataset({"x": x, "y": y, "w": y}).batch(10)
    with pytest.raises(ValueError, match=r"gets 3 inputs \['x', 'y', 'w'\], but TwoInputNet.construct\(x, y\)"):
        model.train(1, three)
    with pytest.raises(ValueError, match=r"network gets one input .*TwoInputNet.construct\(x, y\)"):
        Model(net, nn.MSELoss(), nn.SGD(net.trainable_params(), 0.1)).train(1, ds.NumpySlicesDataset((x, y)))


def test_network_that_returns_the_loss_itself():
    x, y = seed_data()
    net = TwoInputNet()
    model = Model(net, optimizer=nn.SGD(net.trainable_params(), 0.1))
    model.train(100, ds.NumpySlicesDataset((x, y), shuffle=False).batch(100))
    assert abs(net.fc.weight.asnumpy().item() - 2.0) < 0.05


def test_train_argument_checks():
    x, y = seed_data()
    net = line_net()
    model = Model(net, nn.MSELoss(), nn.SGD(net.trainable_params(), 0.1))
    data = ds.NumpySlicesDataset((x, y)).batch(10)
    with pytest.raises(ValueError, match=r"epoch \(2\) must be bigger than initial_epoch \(2\)"):
        model.train(2, data, initial_epoch=2)
    with pytest.raises(ValueError, match="epoch must be a positive int"):
        model.train(0, data)
    with pytest.raises(TypeError, match="train_dataset must be a tinyspore.dataset Dataset, got list"):
        model.train(1, [(x, y)])
    with pytest.raises(ValueError, match="the dataset is empty"):
        model.train(1, ds.NumpySlicesDataset((x, y)).batch(200, drop_remainder=True))


def test_initial_epoch_runs_the_last_epochs():
    seen = []

    class Record(Callback):
        def on_train_epoch_begin(self, run_context):
            args = run_context.original_args()
            seen.append((args.cur_epoch_num, args.epoch_num))

    x, y = seed_data()
    net = line_net()
    Model(net, nn.MSELoss(), nn.SGD(net.trainable_params(), 0.1)).train(
        4, ds.NumpySlicesDataset((x, y)).batch(50), callbacks=Record(), initial_epoch=1)
    assert seen == [(2, 3), (3, 3), (4, 3)]


# ----- the wrapper cells ----------------------------------------------------------------------------
def test_train_one_step_cell_is_one_sgd_step():
    x = Tensor(np.array([[1.0], [2.0]], np.float32))
    y = Tensor(np.array([[3.0], [5.0]], np.float32))
    net = line_net()
    with_loss = nn.WithLossCell(net, nn.MSELoss())
    assert [p.name for p in with_loss.trainable_params()] == ["weight", "bias"]  # not prefixed
    step = nn.TrainOneStepCell(with_loss, nn.SGD(net.trainable_params(), learning_rate=0.1))
    loss = step(x, y)
    # by hand: pred = 0.5x, err = pred - y = [-2.5, -4]; loss = mean(err^2) = 11.125
    # dW = mean(2 err x) = (-5 - 16)/2 = -10.5; db = mean(2 err) = -6.5
    assert loss.asnumpy() == pytest.approx(11.125)
    assert net.weight.asnumpy().item() == pytest.approx(0.5 + 1.05)
    assert net.bias.asnumpy().item() == pytest.approx(0.65)


def test_train_one_step_cell_sens_scales_the_gradient():
    x = Tensor(np.array([[1.0], [2.0]], np.float32))
    y = Tensor(np.array([[3.0], [5.0]], np.float32))
    net = line_net()
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.SGD(net.trainable_params(), 0.1), sens=2.0)
    step(x, y)
    assert net.weight.asnumpy().item() == pytest.approx(0.5 + 2.1)
    with pytest.raises(ValueError, match="sens can not be 0"):
        nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.SGD(net.trainable_params(), 0.1), sens=0)


def test_with_eval_cell_returns_loss_outputs_label():
    net = line_net()
    x = Tensor(np.array([[1.0], [2.0]], np.float32))
    y = Tensor(np.array([[1.0], [1.0]], np.float32))
    loss, outputs, label = nn.WithEvalCell(net, nn.MSELoss())(x, y)
    assert loss.asnumpy() == pytest.approx(0.125)
    np.testing.assert_allclose(outputs.asnumpy(), [[0.5], [1.0]])
    assert label is y


def test_fit_evaluates_every_epoch():
    x, y = seed_data()
    net = line_net()
    seen = []

    class Record(Callback):
        def on_train_epoch_end(self, run_context):
            seen.append(dict(run_context.original_args().eval_results))

    model = Model(net, nn.MSELoss(), nn.SGD(net.trainable_params(), 0.1), metrics={"mae"})
    model.fit(3, ds.NumpySlicesDataset((x, y)).batch(10), ds.NumpySlicesDataset((x, y), shuffle=False).batch(50),
              callbacks=[Record()])
    assert len(seen) == 3 and sorted(seen[0]) == ["eval_loss", "mae"]
    assert seen[2]["eval_loss"] < seen[0]["eval_loss"]
    assert seen[2]["mae"] == pytest.approx(model.eval(ds.NumpySlicesDataset((x, y), shuffle=False).batch(50))["mae"])


def test_train_runs_in_training_mode_and_gives_the_mode_back():
    modes = []

    class Mode(Callback):
        def on_train_step_end(self, run_context):
            modes.append(run_context.original_args().network.training)

    x, y = seed_data()
    net = nn.SequentialCell([nn.Dense(1, 1), nn.Dropout(p=0.5)])
    model = Model(net, nn.MSELoss(), nn.SGD(net.trainable_params(), 0.1))
    assert not net.training
    model.train(1, ds.NumpySlicesDataset((x, y)).batch(50), callbacks=Mode())
    assert modes == [True, True] and not net.training
    out1, out2 = model.predict(Tensor(x)), model.predict(Tensor(x))
    np.testing.assert_array_equal(out1.asnumpy(), out2.asnumpy())  # no dropout in predict


def test_custom_eval_network_with_eval_indexes():
    class ThreeColumnEval(nn.Cell):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def construct(self, x, y, weight):
            out = self.net(x)
            return out, y, (((out - y) ** 2) * weight).mean()

    net = nn.Dense(1, 1, weight_init="ones", bias_init="zeros")
    model = Model(net, nn.MSELoss(), metrics={"mae", "loss"}, eval_network=ThreeColumnEval(net),
                  eval_indexes=[2, 0, 1])
    x = np.arange(4, dtype=np.float32).reshape(-1, 1)
    weight = np.array([[1], [1], [3], [3]], np.float32)
    result = model.eval(ds.NumpySlicesDataset((x, x + 1, weight), shuffle=False).batch(2))
    assert result == {"mae": 1.0, "loss": 2.0}  # loss: batch means 1 and 3, averaged over batches
    with pytest.raises(ValueError, match="eval_indexes must be None or a list of 3"):
        Model(net, nn.MSELoss(), metrics={"mae"}, eval_network=ThreeColumnEval(net), eval_indexes=[0, 1])
