"""`tinyspore.nn` layers: Cell naming, Dense, SequentialCell/CellList, activations, Flatten, Dropout.

Numbers marked "MindSpore 2.10" were printed by the real MindSpore (CPU) in /opt/msenv on the same inputs.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import pytest
from gradcheck import assert_gradients_match

import tinyspore as ms
from tinyspore import Parameter, Tensor, nn
from tinyspore.common.initializer import Normal


class Net(nn.Cell):
    """The small tree used for naming and repr (the same one was built in MindSpore 2.10)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Dense(2, 3)
        self.head = nn.SequentialCell([nn.Dense(3, 4), nn.ReLU(), nn.Dense(4, 1)])

    def construct(self, x):
        return self.head(self.fc1(x))


def names(cell: nn.Cell) -> list[str]:
    return [p.name for p in cell.trainable_params()]


def param_grads_match(net: nn.Cell, loss_fn, eps: float = 1e-6) -> None:
    """Autodiff gradients of `loss_fn()` w.r.t. every trainable parameter equal central differences."""
    params = net.trainable_params()
    analytic = ms.grad(loss_fn, grad_position=None, weights=params)()
    for param, g in zip(params, analytic):
        numeric = np.zeros_like(param._data)
        for idx in np.ndindex(param.shape):
            original = param._data[idx]
            param._data[idx] = original + eps
            up = float(loss_fn().asnumpy())
            param._data[idx] = original - eps
            down = float(loss_fn().asnumpy())
            param._data[idx] = original
            numeric[idx] = (up - down) / (2 * eps)
        np.testing.assert_allclose(g.asnumpy(), numeric, rtol=1e-5, atol=1e-8, err_msg=param.name)


# ----- naming and the tree ----------------------------------------------------------------------
def test_nested_parameter_names_follow_attribute_paths():
    net = Net()
    # MindSpore 2.10: trainable names and cells_and_names of this very tree.
    assert names(net) == ["fc1.weight", "fc1.bias", "head.0.weight", "head.0.bias", "head.2.weight", "head.2.bias"]
    assert [n for n, _ in net.parameters_and_names()] == names(net)
    assert [n for n, _ in net.cells_and_names()] == ["", "fc1", "head", "head.0", "head.1", "head.2"]
    assert [type(c).__name__ for _, c in net.cells_and_names()] == [
        "Net", "Dense", "SequentialCell", "Dense", "ReLU", "Dense"]
    assert list(net.name_cells()) == ["fc1", "head"]


def test_standalone_names():
    assert names(nn.Dense(2, 3)) == ["weight", "bias"]
    assert names(nn.SequentialCell([nn.Dense(2, 2)])) == ["0.weight", "0.bias"]
    seq = nn.SequentialCell(OrderedDict([("conv", nn.Dense(2, 3)), ("act", nn.ReLU()), ("out", nn.Dense(3, 1))]))
    assert [n for n, _ in seq.cells_and_names()] == ["", "conv", "act", "out"]
    assert names(seq) == ["conv.weight", "conv.bias", "out.weight", "out.bias"]


def test_frozen_parameter_is_listed_but_not_trainable():
    class Scaled(nn.Cell):
        def __init__(self):
            super().__init__()
            self.fc = nn.Dense(2, 2)
            self.scale = Parameter(Tensor([2.0, 3.0]), name="scale", requires_grad=False)

        def construct(self, x):
            return self.fc(x) * self.scale

    net = Scaled()
    # A cell's own parameters come before its children's (MindSpore walks cells_and_names()).
    assert [n for n, _ in net.parameters_and_names()] == ["scale", "fc.weight", "fc.bias"]
    assert names(net) == ["fc.weight", "fc.bias"]
    assert [p.name for p in net.untrainable_params()] == ["scale"]
    grads = ms.grad(lambda x: net(x).sum(), grad_position=None, weights=net.trainable_params())(
        Tensor(np.ones((1, 2), np.float32)))
    assert len(grads) == 2


def test_repr_of_a_small_tree_matches_mindspore():
    # MindSpore 2.10, print(Net()):
    expected = (
        "Net(\n"
        "  (fc1): Dense(input_channels=2, output_channels=3, has_bias=True)\n"
        "  (head): SequentialCell(\n"
        "    (0): Dense(input_channels=3, output_channels=4, has_bias=True)\n"
        "    (1): ReLU()\n"
        "    (2): Dense(input_channels=4, output_channels=1, has_bias=True)\n"
        "  )\n"
        ")"
    )
    assert repr(Net()) == expected
    assert str(Net()) == expected


def test_layer_reprs_match_mindspore():
    # MindSpore 2.10 prints these exactly.
    assert repr(nn.Dense(2, 3, has_bias=False)) == "Dense(input_channels=2, output_channels=3)"
    assert repr(nn.Dense(2, 3, activation="relu")) == (
        "Dense(\n  input_channels=2, output_channels=3, has_bias=True, activation=ReLU()\n  (activation): ReLU()\n)")
    assert repr(nn.Dropout()) == "Dropout(keep_prob=0.5)"
    assert repr(nn.Dropout(p=0.5)) == "Dropout(p=0.5)"
    assert repr(nn.Dropout(p=0.5, keep_prob=0.5)) == "Dropout(p=0.5)"
    for cell in (nn.Flatten(), nn.ReLU(), nn.Softmax(), nn.LeakyReLU(), nn.GELU()):
        assert repr(cell) == f"{type(cell).__name__}()"


# ----- Dense ------------------------------------------------------------------------------------
def test_dense_shapes_dtype_and_default_init_bounds():
    ms.set_seed(0)
    dense = nn.Dense(16, 400)
    w, b = dense.weight.asnumpy(), dense.bias.asnumpy()
    assert w.shape == (400, 16) and b.shape == (400,)
    assert w.dtype == np.float32 and b.dtype == np.float32
    # HeUniform(sqrt(5)) and MindSpore's bias Uniform(1/sqrt(in)): both U(-0.25, 0.25) for in_channels=16.
    # (MindSpore 2.10 printed weight min/max -0.2499 / 0.2500 and bias min/max -0.2486 / 0.2492.)
    for values in (w, b):
        assert np.abs(values).max() <= 0.25
        assert np.abs(values).max() > 0.24
    assert abs(w.std() - 0.25 / math.sqrt(3)) < 0.01  # a uniform's std, not a normal's
    assert nn.Dense(2, 3, has_bias=False).bias is None


def test_dense_init_is_reproducible_with_set_seed():
    ms.set_seed(7)
    first = nn.Dense(3, 2).weight.asnumpy().copy()
    ms.set_seed(7)
    np.testing.assert_array_equal(nn.Dense(3, 2).weight.asnumpy(), first)


@pytest.mark.parametrize("init, low, high", [
    ("zeros", 0.0, 0.0),
    ("ones", 1.0, 1.0),
    ("uniform", -0.07, 0.07),                                      # Uniform(scale=0.07)
    ("he_uniform", -math.sqrt(6 / 50), math.sqrt(6 / 50)),         # gain sqrt(2): sqrt(6 / fan_in)
    ("xavier_uniform", -math.sqrt(6 / 80), math.sqrt(6 / 80)),     # sqrt(6 / (fan_in + fan_out))
    ("XavierUniform", -math.sqrt(6 / 80), math.sqrt(6 / 80)),
])
def test_dense_weight_init_by_name(init, low, high):
    w = nn.Dense(50, 30, weight_init=init).weight.asnumpy()
    assert w.min() >= low - 1e-7 and w.max() <= high + 1e-7
    if low != high:
        assert w.max() - w.min() > 0.9 * (high - low)


def test_dense_other_init_forms():
    ms.set_seed(1)
    assert abs(nn.Dense(100, 100, weight_init="normal").weight.asnumpy().std() - 0.01) < 0.001  # Normal(0.01)
    assert abs(nn.Dense(100, 100, weight_init=Normal(sigma=0.02)).weight.asnumpy().std() - 0.02) < 0.002
    np.testing.assert_array_equal(nn.Dense(2, 2, weight_init=0.3).weight.asnumpy(), np.full((2, 2), 0.3, np.float32))
    bias = nn.Dense(2, 2, bias_init=2).bias
    np.testing.assert_array_equal(bias.asnumpy(), [2.0, 2.0])
    assert bias.dtype == ms.float32
    given = np.arange(6, dtype=np.float32).reshape(3, 2)
    dense = nn.Dense(2, 3, weight_init=Tensor(given), bias_init=np.array([1.0, 2.0, 3.0], np.float32))
    np.testing.assert_array_equal(dense.weight.asnumpy(), given)
    np.testing.assert_array_equal(dense.bias.asnumpy(), [1.0, 2.0, 3.0])
    given[0, 0] = 100.0
    assert dense.weight.asnumpy()[0, 0] == 0.0  # the parameter owns a copy
    assert nn.Dense(2, 3, dtype=ms.float64).weight.dtype == ms.float64


def test_dense_init_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"Dense: weight_init has shape \(2, 3\).*needs shape \(3, 2\)"):
        nn.Dense(2, 3, weight_init=Tensor(np.ones((2, 3), np.float32)))
    with pytest.raises(ValueError, match=r"Dense: bias_init has shape \(2,\).*needs shape \(3,\)"):
        nn.Dense(2, 3, bias_init=Tensor(np.ones(2, np.float32)))
    with pytest.raises(ValueError, match="foo"):
        nn.Dense(2, 3, weight_init="foo")
    with pytest.raises(ValueError, match="in_channels must be a positive int, got 0"):
        nn.Dense(0, 2)


def test_dense_forward_is_x_times_weight_transposed_plus_bias():
    rng = np.random.default_rng(0)
    w, b = rng.normal(size=(3, 2)).astype(np.float32), rng.normal(size=3).astype(np.float32)
    dense = nn.Dense(2, 3, weight_init=Tensor(w), bias_init=Tensor(b))
    x = rng.normal(size=(4, 2)).astype(np.float32)
    np.testing.assert_allclose(dense(Tensor(x)).asnumpy(), x @ w.T + b, rtol=1e-6)
    no_bias = nn.Dense(2, 3, weight_init=Tensor(w), has_bias=False)
    np.testing.assert_allclose(no_bias(Tensor(x)).asnumpy(), x @ w.T, rtol=1e-6)


def test_dense_flattens_leading_axes_and_restores_them():
    dense = nn.Dense(4, 5)
    x = np.random.default_rng(1).normal(size=(2, 3, 4)).astype(np.float32)
    out = dense(Tensor(x)).asnumpy()
    assert out.shape == (2, 3, 5)  # MindSpore 2.10: (2, 3, 5)
    np.testing.assert_allclose(out[1, 2], dense(Tensor(x[1, 2:3])).asnumpy()[0], rtol=1e-6)
    assert dense(Tensor(x[0, 0])).shape == (5,)  # MindSpore 2.10: a 1-D (4,) input gives (5,)


def test_dense_input_errors():
    dense = nn.Dense(2, 3)
    with pytest.raises(ValueError, match=r"Dense: input has 3 features \(shape \(4, 3\)\) but in_channels=2"):
        dense(Tensor(np.ones((4, 3), np.float32)))
    with pytest.raises(TypeError, match="Dense: input dtype Float64 differs from the weight dtype Float32"):
        dense(Tensor(np.ones((4, 2), np.float64)))
    with pytest.raises(TypeError, match="Dense: input dtype Int32"):
        dense(Tensor(np.ones((4, 2), np.int32)))


def test_dense_activation_by_name_or_cell():
    x = Tensor(np.random.default_rng(2).normal(size=(5, 4)).astype(np.float32))
    linear = nn.Dense(4, 3)
    relu = nn.Dense(4, 3, weight_init=Tensor(linear.weight), bias_init=Tensor(linear.bias), activation="relu")
    np.testing.assert_allclose(relu(x).asnumpy(), np.maximum(linear(x).asnumpy(), 0), rtol=1e-6)
    soft = nn.Dense(4, 3, activation="softmax")
    np.testing.assert_allclose(soft(x).asnumpy().sum(axis=1), np.ones(5), rtol=1e-6)
    leaky = nn.Dense(4, 3, activation=nn.LeakyReLU(0.1))
    assert isinstance(leaky.activation, nn.LeakyReLU)
    assert [n for n, _ in leaky.cells_and_names()] == ["", "activation"]
    assert names(leaky) == ["weight", "bias"]
    with pytest.raises(TypeError, match="Dense: activation must be None, a name or a Cell, got int"):
        nn.Dense(4, 3, activation=3)
    with pytest.raises(KeyError, match="unknown activation 'relu7'"):
        nn.Dense(4, 3, activation="relu7")


def test_dense_gradients_match_central_differences():
    rng = np.random.default_rng(3)
    dense = nn.Dense(3, 2, activation="tanh", dtype=ms.float64)
    x = rng.normal(size=(4, 3))
    assert_gradients_match(lambda t: dense(t), x)
    target = Tensor(rng.normal(size=(4, 2)))
    param_grads_match(dense, lambda: ((dense(Tensor(x)) - target) ** 2).sum())
    deep = nn.Dense(3, 2, dtype=ms.float64)
    x3 = Tensor(rng.normal(size=(2, 2, 3)))  # leading axes flattened and restored: the gradient too
    param_grads_match(deep, lambda: (deep(x3) ** 2).sum())


# ----- SequentialCell and CellList --------------------------------------------------------------
def test_sequential_cell_accepts_list_varargs_and_ordered_dict():
    a, b = nn.Dense(2, 3), nn.Dense(3, 1)
    assert [n for n, _ in nn.SequentialCell(a, b).cells_and_names()] == ["", "0", "1"]
    assert [n for n, _ in nn.SequentialCell([nn.ReLU()]).cells_and_names()] == ["", "0"]
    assert len(nn.SequentialCell()) == 0
    with pytest.raises(TypeError, match="SequentialCell: takes Cells, a list of Cells or an OrderedDict, got int"):
        nn.SequentialCell(3)
    with pytest.raises(TypeError, match="element '1' is a str"):
        nn.SequentialCell([nn.ReLU(), "relu"])


def test_sequential_cell_construct_chains_its_children():
    seq = nn.SequentialCell([nn.Dense(2, 3), nn.ReLU(), nn.Dense(3, 1)])
    x = Tensor(np.random.default_rng(4).normal(size=(5, 2)).astype(np.float32))
    manual = seq[2](seq[1](seq[0](x)))
    np.testing.assert_array_equal(seq(x).asnumpy(), manual.asnumpy())
    assert [type(c).__name__ for c in seq] == ["Dense", "ReLU", "Dense"]


def test_sequential_cell_indexing():
    first, act, last = nn.Dense(2, 3), nn.ReLU(), nn.Dense(3, 1)
    seq = nn.SequentialCell(OrderedDict([("conv", first), ("act", act), ("out", last)]))
    assert seq[0] is first and seq[-1] is last and seq[-3] is first
    part = seq[0:2]
    assert isinstance(part, nn.SequentialCell)
    assert [n for n, _ in part.cells_and_names()] == ["", "conv", "act"]  # MindSpore 2.10: the same
    assert len(seq) == 3
    with pytest.raises(IndexError, match=r"SequentialCell: index 5 is out of range \[-3, 3\)"):
        seq[5]
    with pytest.raises(TypeError, match="index must be an int or a slice, got str"):
        seq["conv"]


def test_sequential_cell_append_insert_delete_rename_like_mindspore():
    net = Net()
    net.head.append(nn.Dense(1, 2))
    # Each list below was printed by MindSpore 2.10 after the same operation (insert is its `_insert`).
    assert names(net) == ["fc1.weight", "fc1.bias", "head.0.weight", "head.0.bias", "head.2.weight",
                          "head.2.bias", "head.3.weight", "head.3.bias"]
    net.head.insert(1, nn.Dense(4, 4))
    assert names(net) == ["fc1.weight", "fc1.bias", "head.0.weight", "head.0.bias", "head.1.weight", "head.1.bias",
                          "head.3.weight", "head.3.bias", "head.4.weight", "head.4.bias"]
    assert list(net.head.name_cells()) == ["0", "1", "2", "3", "4"]
    del net.head[0]
    assert names(net) == ["fc1.weight", "fc1.bias", "head.0.weight", "head.0.bias", "head.2.weight",
                          "head.2.bias", "head.3.weight", "head.3.bias"]
    assert list(net.head.name_cells()) == ["0", "1", "2", "3"]
    assert net.head[0].weight.shape == (4, 4)
    assert net.head(Tensor(np.ones((2, 4), np.float32))).shape == (2, 2)  # the chain runs 4->4->1->2


def test_sequential_cell_append_to_dict_named_and_negative_insert():
    seq = nn.SequentialCell(OrderedDict([("conv", nn.Dense(2, 3)), ("act", nn.ReLU()), ("out", nn.Dense(3, 1))]))
    assert seq.append(nn.Dense(1, 1)) is None
    assert [n for n, _ in seq.cells_and_names()] == ["", "conv", "act", "out", "3"]  # MindSpore 2.10
    assert len(seq) == 4
    seq = nn.SequentialCell([nn.Dense(2, 2), nn.ReLU()])
    seq.insert(-1, nn.Dense(2, 2))
    assert [type(c).__name__ for c in seq] == ["Dense", "Dense", "ReLU"]  # MindSpore 2.10: the same
    assert names(seq) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    with pytest.raises(IndexError, match=r"SequentialCell.insert: index 4 is out of range \[-3, 3\]"):
        seq.insert(4, nn.ReLU())
    seq[0] = nn.Dense(2, 5)
    assert [(p.name, p.shape) for p in seq.trainable_params()] == [
        ("0.weight", (5, 2)), ("0.bias", (5,)), ("1.weight", (2, 2)), ("1.bias", (2,))]


def test_cell_list_holds_cells_without_running_them():
    layers = nn.CellList([nn.Dense(2, 2)])
    layers.insert(0, nn.ReLU())
    layers.append(nn.Dense(2, 3))
    layers.extend([nn.Tanh()])
    # MindSpore 2.10 after the same four calls:
    assert list(layers.name_cells()) == ["0", "1", "2", "3"]
    assert names(layers) == ["1.weight", "1.bias", "2.weight", "2.bias"]
    assert len(layers) == 4 and isinstance(layers[1:3], nn.CellList) and isinstance(layers[-1], nn.Tanh)
    assert repr(layers) == ("CellList(\n  (0): ReLU()\n  (1): Dense(input_channels=2, output_channels=2, "
                            "has_bias=True)\n  (2): Dense(input_channels=2, output_channels=3, has_bias=True)\n"
                            "  (3): Tanh()\n)")
    with pytest.raises(NotImplementedError, match="CellList has no construct"):
        layers(Tensor([1.0, 2.0]))

    class Residual(nn.Cell):
        def __init__(self):
            super().__init__()
            self.blocks = nn.CellList([nn.Dense(2, 2), nn.Dense(2, 2)])

        def construct(self, x):
            for block in self.blocks:
                x = x + block(x)
            return x

    net = Residual()
    assert names(net) == ["blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias"]
    assert net(Tensor(np.ones((3, 2), np.float32))).shape == (3, 2)


# ----- activations ------------------------------------------------------------------------------
X = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 2.0, 25.0], np.float32)
# MindSpore 2.10 outputs of nn.get_activation(name)(X) (and nn.GELU(approximate=False), ops.softplus).
MINDSPORE_ACTIVATIONS = {
    "relu": [0.0, 0.0, 0.0, 0.0, 0.5, 2.0, 25.0],
    "sigmoid": [0.047425848, 0.26894155, 0.37754065, 0.5, 0.6224594, 0.88079715, 1.0],
    "tanh": [-0.9950557, -0.7615942, -0.46211717, 0.0, 0.46211717, 0.9640276, 1.0],
    "gelu": [-3.6374331e-03, -1.5880799e-01, -1.5428600e-01, 0.0, 3.4571400e-01, 1.9545977e+00, 25.0],
    "silu": [-0.14227754, -0.26894155, -0.18877032, 0.0, 0.3112297, 1.7615943, 25.0],
    "leakyrelu": [-0.6, -0.2, -0.1, 0.0, 0.5, 2.0, 25.0],
    "softmax": [6.9143459e-13, 5.1090464e-12, 8.4234087e-12, 1.3887855e-11, 2.2897200e-11, 1.0261820e-10, 1.0],
    "logsoftmax": [-28.0, -26.0, -25.5, -25.0, -24.5, -23.0, 0.0],
    "softplus": [0.04858733, 0.3132612, 0.47407684, 0.693147, 0.97407705, 2.1269286, 25.0],
}


@pytest.mark.parametrize("name", sorted(MINDSPORE_ACTIVATIONS))
def test_activations_match_mindspore(name):
    out = nn.get_activation(name)(Tensor(X))
    assert out.dtype == ms.float32
    np.testing.assert_allclose(out.asnumpy(), MINDSPORE_ACTIVATIONS[name], rtol=2e-6, atol=1e-7)


def test_activation_options():
    x = Tensor(X)
    # MindSpore 2.10: nn.GELU(approximate=False) and nn.LeakyReLU(0.1) on X.
    np.testing.assert_allclose(nn.GELU(approximate=False)(x).asnumpy(), [
        -4.0496886e-03, -1.5865526e-01, -1.5426877e-01, 0.0, 3.4573123e-01, 1.9544997e+00, 25.0], rtol=2e-6)
    np.testing.assert_allclose(nn.LeakyReLU(0.1)(x).asnumpy(), [-0.3, -0.1, -0.05, 0.0, 0.5, 2.0, 25.0], rtol=1e-6)
    np.testing.assert_allclose(nn.Softplus(beta=2)(x).asnumpy(), np.logaddexp(0, 2 * X) / 2, rtol=1e-6)
    m = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(nn.Softmax(axis=0)(Tensor(m)).asnumpy().sum(axis=0), np.ones(3), rtol=1e-6)
    np.testing.assert_allclose(nn.LogSoftmax(axis=0)(Tensor(m)).asnumpy(), m - np.log(np.exp(m).sum(0)), rtol=1e-6)
    assert nn.Identity()(x) is x
    assert nn.get_activation(None) is None
    assert isinstance(nn.get_activation("log_softmax"), nn.LogSoftmax)
    assert isinstance(nn.get_activation("ReLU"), nn.ReLU)
    with pytest.raises(KeyError, match="get_activation: unknown activation 'swish'"):
        nn.get_activation("swish")


@pytest.mark.parametrize("cell", [
    nn.Sigmoid(), nn.Tanh(), nn.Softmax(), nn.LogSoftmax(), nn.GELU(), nn.GELU(approximate=False), nn.SiLU(),
    nn.Softplus(), nn.Softplus(beta=2, threshold=1), nn.ReLU(), nn.LeakyReLU(0.3),
], ids=repr)
def test_activation_gradients_match_central_differences(cell):
    x = np.array([[-2.3, -0.7, 0.4], [1.1, 2.9, -0.2]])  # no point at a kink (0 for ReLU)
    assert_gradients_match(lambda t: cell(t), x)


# ----- Flatten and Dropout ----------------------------------------------------------------------
def test_flatten_shapes_match_mindspore():
    x = Tensor(np.zeros((2, 3, 4, 5), np.float32))
    # MindSpore 2.10: (2, 60), (2, 3, 20), (120,), (2, 12, 5).
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(start_dim=2)(x).shape == (2, 3, 20)
    assert nn.Flatten(0, -1)(x).shape == (120,)
    assert nn.Flatten(1, 2)(x).shape == (2, 12, 5)
    assert_gradients_match(lambda t: nn.Flatten()(t) * Tensor(np.arange(6.0)), np.ones((2, 2, 3)))


def test_dropout_is_identity_until_set_train():
    drop = nn.Dropout(p=0.5)
    x = Tensor(np.ones(8, np.float32))
    assert drop.training is False  # MindSpore's default, unlike PyTorch
    assert drop(x) is x
    drop.set_train()
    out = drop(x).asnumpy()
    assert set(np.unique(out)) <= {0.0, 2.0}  # kept values are scaled by 1 / (1 - p)
    drop.set_train(False)
    assert drop(x) is x


def test_dropout_in_training_drops_about_p_and_keeps_the_mean():
    ms.set_seed(0)
    net = nn.SequentialCell([nn.Dropout(p=0.3)])
    net.set_train()  # reaches the child
    out = net(Tensor(np.ones(20000, np.float32))).asnumpy()
    assert abs((out == 0).mean() - 0.3) < 0.02
    assert abs(out.mean() - 1.0) < 0.03
    np.testing.assert_allclose(out[out != 0], 1 / 0.7, rtol=1e-6)
    ms.set_seed(0)
    np.testing.assert_array_equal(net(Tensor(np.ones(20000, np.float32))).asnumpy(), out)  # set_seed replays it


def test_dropout_gradient_is_the_mask():
    ms.set_seed(3)
    drop = nn.Dropout(p=0.5)
    drop.set_train()
    x = Tensor(np.ones((4, 5), np.float32))
    ms.set_seed(5)
    out = drop(x).asnumpy()
    ms.set_seed(5)
    grad = ms.grad(lambda t: drop(t).sum())(x).asnumpy()
    np.testing.assert_array_equal(grad, out)  # d out / d x = mask / (1 - p) = out for x = 1


def test_dropout_arguments():
    assert nn.Dropout().p == 0.5 and nn.Dropout(0.8).p == pytest.approx(0.2)  # the first argument is keep_prob
    assert nn.Dropout(keep_prob=0.9, p=0.1).p == 0.1  # p wins
    assert nn.Dropout(keep_prob=1.0).set_train()(Tensor([1.0, 2.0])).asnumpy().tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match=r"Dropout: p must be a number in \[0, 1\), got 1.0"):
        nn.Dropout(p=1.0)
    with pytest.raises(ValueError, match=r"Dropout: keep_prob must be a number in \(0, 1\], got 0"):
        nn.Dropout(keep_prob=0)
    with pytest.raises(ValueError, match="Dropout: p must be"):
        nn.Dropout(p=-0.1)
