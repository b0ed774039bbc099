"""Cell: registration and MindSpore 2.10's naming rules, as probed on the real thing."""

from __future__ import annotations

import numpy as np
import pytest

from tinyspore import Parameter, Tensor, nn


class Inner(nn.Cell):
    def __init__(self):
        super().__init__()
        self.alpha = Parameter(Tensor([1.0]))                      # unnamed: takes the attribute name
        self.beta = Parameter(Tensor([1.0]), name="custom")        # named: keeps its name while top level
        self.frozen = Parameter(Tensor([0.0]), requires_grad=False)
        self.sub = nn.Dense(2, 2)

    def construct(self, x):
        return self.sub(x) * self.alpha


class Outer(nn.Cell):
    def __init__(self):
        super().__init__()
        self.inner = Inner()

    def construct(self, x):
        return self.inner(x)


def test_names_at_top_level():
    cell = Inner()
    assert [p.name for p in cell.get_parameters()] == ["alpha", "custom", "frozen", "sub.weight", "sub.bias"]
    assert [p.name for p in cell.trainable_params()] == ["alpha", "custom", "sub.weight", "sub.bias"]
    assert [p.name for p in cell.untrainable_params()] == ["frozen"]


def test_adopting_a_cell_renames_its_parameters_by_path():
    outer = Outer()
    names = ["inner.alpha", "inner.beta", "inner.frozen", "inner.sub.weight", "inner.sub.bias"]
    assert [p.name for p in outer.get_parameters()] == names  # 'custom' becomes its path, as in MindSpore
    assert [n for n, _ in outer.parameters_and_names()] == names
    assert [n for n, _ in outer.cells_and_names()] == ["", "inner", "inner.sub"]


def test_insert_child_to_cell_does_not_rename():
    holder = nn.Cell()
    holder.insert_child_to_cell("fc", nn.Dense(2, 3))
    assert [p.name for p in holder.get_parameters()] == ["weight", "bias"]
    assert [n for n, _ in holder.parameters_and_names()] == ["fc.weight", "fc.bias"]
    with pytest.raises(KeyError, match="must not be None or contain '.'"):
        holder.insert_child_to_cell("a.b", nn.Dense(2, 3))
    with pytest.raises(TypeError, match="'x' is a int, not a Cell"):
        holder.insert_child_to_cell("x", 3)


def test_a_shared_parameter_is_listed_once():
    class Tied(nn.Cell):
        def __init__(self):
            super().__init__()
            self.a = nn.Dense(2, 2)
            self.b = nn.Dense(2, 2)
            self.b.weight = self.a.weight

    assert [p.name for p in Tied().trainable_params()] == ["a.weight", "a.bias", "b.bias"]


def test_reassigning_and_deleting_attributes():
    cell = Inner()
    cell.sub = nn.Dense(2, 5)
    assert cell.sub.weight.shape == (5, 2)
    cell.alpha = 3  # a plain value replaces the parameter
    assert "alpha" not in dict(cell.parameters_and_names())
    del cell.sub
    assert [n for n, _ in cell.cells_and_names()] == [""]


def test_set_train_reaches_every_cell():
    outer = Outer()
    assert not outer.training and not outer.inner.sub.training  # MindSpore's default
    outer.set_train()
    assert outer.inner.training and outer.inner.sub.training
    outer.set_train(False)
    assert not outer.inner.sub.training


def test_calling_runs_construct():
    out = Outer()(Tensor(np.ones((4, 2), np.float32)))
    assert out.shape == (4, 2)


def test_a_cell_without_construct_says_what_to_write():
    class Forgot(nn.Cell):
        pass

    with pytest.raises(NotImplementedError, match="Forgot has no construct method; define construct"):
        Forgot()(Tensor([1.0]))


def test_forgetting_super_init_is_named():
    class NoInit(nn.Cell):
        def __init__(self):
            self.w = Parameter(Tensor([1.0]))

    with pytest.raises(AttributeError, match=r"NoInit.__init__ must call super\(\).__init__\(\)"):
        NoInit()


def test_repr_is_the_tree():
    assert repr(Outer()) == (
        "Outer(\n"
        "  (inner): Inner(\n"
        "    (sub): Dense(input_channels=2, output_channels=2, has_bias=True)\n"
        "  )\n"
        ")")
