"""Mistake catalogue of chapter 02: wrong Cells and walks learners really write, each caught with its hint."""

from __future__ import annotations

import math

import numpy as np
from helpers import assert_caught, assert_passes

from tinyspore import Parameter, Tensor, nn, ops
from tinyspore.common.initializer import HeUniform, Uniform, initializer
from tinyspore_grader.checks.ch02_cells import (
    NETWORKS,
    check_count_parameters,
    check_Dense,
    check_parameters_and_names,
    check_Sequential,
    reference_count_parameters,
    reference_parameters_and_names,
)

# What MindSpore 2.10 (CPU) gives for the same networks built with mindspore.nn: parameters_and_names()
# paths, and (trainable, total) numbers of values. Obtained with /opt/msenv/bin/python on 2026-11-25.
MINDSPORE_NAMES = {
    "Dense(3, 2)": (["weight", "bias"], (8, 8)),
    "Net: fc1, head=SequentialCell, frozen scale": (
        ["scale", "fc1.weight", "fc1.bias", "head.0.weight", "head.0.bias", "head.2.weight", "head.2.bias"], (30, 31)),
    "Net().head (a sub-cell)": (["0.weight", "0.bias", "2.weight", "2.bias"], (21, 21)),
    "shared weight and a cell attached twice": (["a.weight", "a.bias", "b.bias", "enc.weight", "enc.bias"], (17, 17)),
    "ReLU() (no parameters)": ([], (0, 0)),
    "three levels with a CellList": (["beta", "inner.alpha", "inner.frozen", "inner.sub.weight", "blocks.0.alpha",
                                      "blocks.0.frozen", "blocks.0.sub.weight"], (16, 22)),
    "tied encoder/decoder weight, frozen table": (["table", "encoder.proj.weight", "encoder.proj.bias",
                                                   "decoder.bias"], (15, 30)),
    "BatchNorm1d(4) (moving statistics are frozen)": (["moving_mean", "moving_variance", "gamma", "beta"], (8, 16)),
    "Dense(4, 3, has_bias=False)": (["weight"], (12, 12)),
    "SequentialCell of OrderedDict": (["conv.weight", "conv.bias", "out.weight", "out.bias"], (13, 13)),
}


def test_the_oracle_walks_every_check_network_as_mindspore_does():
    assert set(MINDSPORE_NAMES) == set(NETWORKS)
    for name, (paths, counts) in MINDSPORE_NAMES.items():
        cell = NETWORKS[name]()
        assert [path for path, _ in reference_parameters_and_names(cell)] == paths, name
        assert [path for path, _ in reference_parameters_and_names(cell, "model")] == [f"model.{p}" for p in paths]
        assert reference_count_parameters(cell) == counts, name


# ----- 02.1 Dense ----------------------------------------------------------------------------------------
class GoodDense(nn.Cell):
    """A correct answer written differently from the notebook's (x @ W.T with the operator)."""

    def __init__(self, in_channels, out_channels, weight_init=None, bias_init=None, has_bias=True):
        super().__init__()
        self.weight = Parameter(initializer(HeUniform(math.sqrt(5)) if weight_init is None else weight_init,
                                            (out_channels, in_channels)))
        self.bias = None
        if has_bias:
            bound = 1 / math.sqrt(in_channels)
            self.bias = Parameter(initializer(Uniform(bound) if bias_init is None else bias_init, out_channels))

    def construct(self, x):
        y = x @ self.weight.T
        return y if self.bias is None else y + self.bias


def test_dense_correct_variant_passes():
    assert_passes(check_Dense, GoodDense)


def test_dense_weight_stored_in_out():
    class Dense(GoodDense):
        def __init__(self, in_channels, out_channels, weight_init=None, bias_init=None, has_bias=True):
            nn.Cell.__init__(self)
            w_init = "he_uniform" if weight_init is None else weight_init
            b_init = "zeros" if bias_init is None else bias_init
            self.weight = Parameter(initializer(w_init, (in_channels, out_channels)))
            self.bias = Parameter(initializer(b_init, (out_channels,))) if has_bias else None

        def construct(self, x):
            return x @ self.weight + self.bias

    assert_caught(check_Dense, Dense, "weight stored as (in, out)")


def test_dense_forgets_the_transpose():
    class Dense(GoodDense):
        def construct(self, x):
            y = ops.matmul(x, self.weight)
            return y if self.bias is None else y + self.bias

    assert_caught(check_Dense, Dense, "weight not transposed in construct")


def test_dense_forgets_the_bias():
    class Dense(GoodDense):
        def construct(self, x):
            return ops.matmul(x, self.weight.T)

    assert_caught(check_Dense, Dense, "missing bias")


def test_dense_column_bias():
    class Dense(GoodDense):
        def __init__(self, in_channels, out_channels, weight_init=None, bias_init=None, has_bias=True):
            super().__init__(in_channels, out_channels, weight_init, None, has_bias)
            if has_bias:
                values = bias_init.asnumpy() if bias_init is not None else np.zeros(out_channels, np.float32)
                self.bias = Parameter(Tensor(values.reshape(out_channels, 1)))

    assert_caught(check_Dense, Dense, "bias shaped (out, 1) or (1, out)")


def test_dense_bias_added_in_the_transposed_layout():
    class Dense(GoodDense):
        def construct(self, x):
            y = self.weight @ x.T
            if self.bias is not None:
                y = y + self.bias
            return y.T

    assert_caught(check_Dense, Dense, "bias on the wrong axis")


def test_dense_zero_bias_instead_of_none():
    class Dense(GoodDense):
        def __init__(self, in_channels, out_channels, weight_init=None, bias_init=None, has_bias=True):
            super().__init__(in_channels, out_channels, weight_init, bias_init, True)
            if not has_bias:
                self.bias = Parameter(Tensor(np.zeros(out_channels, np.float32)))

    assert_caught(check_Dense, Dense, "a bias although has_bias=False")


def test_dense_plain_tensors_are_not_registered():
    class Dense(GoodDense):
        def __init__(self, in_channels, out_channels, weight_init=None, bias_init=None, has_bias=True):
            nn.Cell.__init__(self)
            self.w = initializer("he_uniform" if weight_init is None else weight_init, (out_channels, in_channels))
            self.b = initializer("zeros" if bias_init is None else bias_init, (out_channels,)) if has_bias else None
            self.bias = None

        def construct(self, x):
            y = x @ self.w.T
            return y if self.b is None else y + self.b

    assert_caught(check_Dense, Dense, "not a Parameter")


def test_dense_numpy_in_construct():
    class Dense(GoodDense):
        def construct(self, x):
            y = x.asnumpy() @ self.weight.asnumpy().T
            if self.bias is not None:
                y = y + self.bias.asnumpy()
            return y

    assert_caught(check_Dense, Dense, "an ndarray instead of a Tensor")


def test_dense_numpy_detour_wrapped_back_in_a_tensor():
    class Dense(GoodDense):
        def construct(self, x):
            y = np.dot(x.asnumpy(), self.weight.asnumpy().T)
            if self.bias is not None:
                y += self.bias.asnumpy()
            return Tensor(y)

    assert_caught(check_Dense, Dense, "gradients do not flow")


def test_dense_zero_initialization():
    class Dense(GoodDense):
        def __init__(self, in_channels, out_channels, weight_init="zeros", bias_init="zeros", has_bias=True):
            super().__init__(in_channels, out_channels, weight_init, bias_init, has_bias)

    assert_caught(check_Dense, Dense, "default initializers")


def test_dense_pytorch_like_normal_initialization():
    class Dense(GoodDense):
        def __init__(self, in_channels, out_channels, weight_init=None, bias_init=None, has_bias=True):
            super().__init__(in_channels, out_channels, "normal" if weight_init is None else weight_init,
                             "zeros" if bias_init is None else bias_init, has_bias)

    assert_caught(check_Dense, Dense, "default initializers")


def test_dense_defaults_with_or():
    class Dense(GoodDense):
        def __init__(self, in_channels, out_channels, weight_init=None, bias_init=None, has_bias=True):
            super().__init__(in_channels, out_channels, weight_init or HeUniform(math.sqrt(5)),
                             bias_init or Uniform(1 / math.sqrt(in_channels)), has_bias)

    assert_caught(check_Dense, Dense, "`or` on a Tensor")


# ----- 02.2 parameters_and_names ------------------------------------------------------------------------
def _join(prefix, name):
    return f"{prefix}.{name}" if prefix else name


def test_walk_without_prefix():
    def parameters_and_names(cell, name_prefix=""):
        out = list(cell._params.items())
        for child in cell._cells.values():
            out += parameters_and_names(child)
        return out

    assert_caught(check_parameters_and_names, parameters_and_names, "no prefix")


def test_walk_always_adds_a_dot():
    def parameters_and_names(cell, name_prefix=""):
        out = [(name_prefix + "." + name, p) for name, p in cell._params.items()]
        for child_name, child in cell._cells.items():
            out += parameters_and_names(child, name_prefix + "." + child_name)
        return out

    assert_caught(check_parameters_and_names, parameters_and_names, "leading dot")


def test_walk_children_before_own_parameters():
    def parameters_and_names(cell, name_prefix="", seen=None):
        seen = set() if seen is None else seen
        out = []
        for child_name, child in cell._cells.items():
            out += parameters_and_names(child, _join(name_prefix, child_name), seen)
        for name, p in cell._params.items():
            if id(p) not in seen:
                seen.add(id(p))
                out.append((_join(name_prefix, name), p))
        return out

    assert_caught(check_parameters_and_names, parameters_and_names, "children first")


def test_walk_lists_shared_parameters_twice():
    def parameters_and_names(cell, name_prefix=""):
        out = [(_join(name_prefix, name), p) for name, p in cell._params.items()]
        for child_name, child in cell._cells.items():
            out.extend(parameters_and_names(child, _join(name_prefix, child_name)))
        return out

    assert_caught(check_parameters_and_names, parameters_and_names, "shared parameter listed twice")


def test_walk_uses_param_name():
    def parameters_and_names(cell, name_prefix=""):
        return [(_join(name_prefix, p.name), p) for p in cell.get_parameters()]

    assert_caught(check_parameters_and_names, parameters_and_names, "param.name instead of the path")


def test_walk_forgets_to_return():
    def parameters_and_names(cell, name_prefix=""):
        found = []
        for name, p in cell._params.items():
            found.append((_join(name_prefix, name), p))

    assert_caught(check_parameters_and_names, parameters_and_names, "returns None")


def test_walk_as_a_generator_passes():
    def parameters_and_names(cell, name_prefix="", seen=None):
        seen = set() if seen is None else seen
        for name, p in cell._params.items():
            if id(p) not in seen:
                seen.add(id(p))
                yield _join(name_prefix, name), p
        for child_name, child in cell.name_cells().items():
            yield from parameters_and_names(child, _join(name_prefix, child_name), seen)

    assert_passes(check_parameters_and_names, parameters_and_names)


# ----- 02.3 count_parameters ----------------------------------------------------------------------------
def test_count_parameter_objects():
    def count_parameters(cell):
        return len(cell.trainable_params()), len(list(cell.get_parameters()))

    assert_caught(check_count_parameters, count_parameters, "counted Parameters, not numbers")


def test_count_ignores_requires_grad():
    def count_parameters(cell):
        total = 0
        for p in cell.get_parameters():
            total += int(np.prod(p.shape))
        return total, total

    assert_caught(check_count_parameters, count_parameters, "frozen parameters counted as trainable")


def test_count_shared_twice():
    def count_parameters(cell):
        trainable = total = 0
        for _, c in cell.cells_and_names():
            for p in c._params.values():
                total += p.size
                if p.requires_grad:
                    trainable += p.size
        return trainable, total

    assert_caught(check_count_parameters, count_parameters, "shared parameter counted twice")


def test_count_swapped():
    def count_parameters(cell):
        params = list(cell.get_parameters())
        return sum(p.size for p in params), sum(p.size for p in params if p.requires_grad)

    assert_caught(check_count_parameters, count_parameters, "swapped")


def test_count_returns_a_dict():
    def count_parameters(cell):
        return {"trainable": sum(p.size for p in cell.trainable_params()),
                "total": sum(p.size for p in cell.get_parameters())}

    assert_caught(check_count_parameters, count_parameters, "not a tuple")


# ----- 02.4 Sequential ----------------------------------------------------------------------------------
def test_sequential_python_list():
    class Sequential(nn.Cell):
        def __init__(self, cells):
            super().__init__()
            self.layers = list(cells)

        def construct(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    assert_caught(check_Sequential, Sequential, "cells kept in a plain list")


def test_sequential_counts_from_one():
    class Sequential(nn.Cell):
        def __init__(self, cells):
            super().__init__()
            for i, cell in enumerate(cells, start=1):
                setattr(self, str(i), cell)

        def construct(self, x):
            for cell in self.cells():
                x = cell(x)
            return x

    assert_caught(check_Sequential, Sequential, "counted from 1")


def test_sequential_insert_child_to_cell():
    class Sequential(nn.Cell):
        def __init__(self, cells):
            super().__init__()
            for i, cell in enumerate(cells):
                self.insert_child_to_cell(str(i), cell)

        def construct(self, x):
            for cell in self.cells():
                x = cell(x)
            return x

    assert_caught(check_Sequential, Sequential, "insert_child_to_cell does not rename")


def test_sequential_applies_every_cell_to_the_input():
    class Sequential(nn.Cell):
        def __init__(self, cells):
            super().__init__()
            for i, cell in enumerate(cells):
                setattr(self, str(i), cell)

        def construct(self, x):
            out = x
            for cell in self.cells():
                out = cell(x)
            return out

    assert_caught(check_Sequential, Sequential, "not chained")


def test_sequential_reversed_order():
    class Sequential(nn.Cell):
        def __init__(self, cells):
            super().__init__()
            for i, cell in enumerate(cells):
                setattr(self, str(i), cell)

        def construct(self, x):
            for cell in reversed(list(self.cells())):
                x = cell(x)
            return x

    assert_caught(check_Sequential, Sequential, "not chained")


def test_dense_always_adds_the_bias():
    class Dense(GoodDense):
        def construct(self, x):
            return x @ self.weight.T + self.bias

    assert_caught(check_Dense, Dense, "adds a missing bias")


def _dense_with_default_init(init_weight, init_bias):
    """A learner's Dense whose only difference from the right one is how the default values are drawn."""
    class Dense(nn.Cell):
        def __init__(self, in_channels, out_channels, weight_init=None, bias_init=None, has_bias=True):
            super().__init__()
            self.in_channels, self.out_channels, self.has_bias = in_channels, out_channels, has_bias
            weight = init_weight(in_channels, out_channels) if weight_init is None else weight_init
            self.weight = Parameter(Tensor(weight), name="weight")
            self.bias = None
            if has_bias:
                bias = init_bias(in_channels, out_channels) if bias_init is None else bias_init
                self.bias = Parameter(Tensor(bias), name="bias")

        def construct(self, x):
            out = ops.matmul(x, self.weight.T)
            return out + self.bias if self.bias is not None else out

    return Dense


def test_dense_default_values_from_numpy_are_float64():
    def weight(n_in, n_out):
        bound = 1 / np.sqrt(n_in)
        return np.random.uniform(-bound, bound, (n_out, n_in))  # float64

    def bias(n_in, n_out):
        return np.random.uniform(-1 / np.sqrt(n_in), 1 / np.sqrt(n_in), n_out)

    assert_caught(check_Dense, _dense_with_default_init(weight, bias), "float64 initial values")


def test_dense_bound_from_the_number_of_outputs():
    def weight(n_in, n_out):
        bound = 1 / np.sqrt(n_out)  # fan-out instead of fan-in
        return np.random.uniform(-bound, bound, (n_out, n_in)).astype(np.float32)

    def bias(n_in, n_out):
        return np.random.uniform(-1 / np.sqrt(n_out), 1 / np.sqrt(n_out), n_out).astype(np.float32)

    assert_caught(check_Dense, _dense_with_default_init(weight, bias), "bound from out_channels")


# ----- count_parameters and Sequential: more learner answers ----------------------------------------------
def test_count_parameters_returns_a_list():
    def count_parameters(cell):
        params = list(cell.get_parameters())
        return [sum(p.size for p in params if p.requires_grad), sum(p.size for p in params)]

    assert_caught(check_count_parameters, count_parameters, "not a tuple")


def test_count_parameters_trainable_params_twice():
    # trainable_params() for both numbers: frozen parameters (requires_grad=False) vanish from the total
    def count_parameters(cell):
        trainable = sum(p.size for p in cell.trainable_params())
        return trainable, sum(p.size for p in cell.trainable_params())

    assert_caught(check_count_parameters, count_parameters, "frozen parameters left out of the total")


def test_sequential_applies_the_cells_in_reverse():
    class Sequential(nn.Cell):
        def __init__(self, cells):
            super().__init__()
            for i, cell in enumerate(cells):
                setattr(self, str(i), cell)

        def construct(self, x):
            for cell in reversed(list(self._cells.values())):  # "last layer first", as in backward
                x = cell(x)
            return x

    assert_caught(check_Sequential, Sequential, "not chained")
