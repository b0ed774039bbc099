"""Tensor and Parameter: dtypes, printing, operators, indexing, as MindSpore 2.10 does them."""

from __future__ import annotations

import numpy as np
import pytest

import tinyspore as ms
from tinyspore import Parameter, Tensor, ops


@pytest.mark.parametrize("data, dtype", [
    (1.0, ms.float32), (1, ms.int64), ([1, 2], ms.int64), ([1.0, 2.0], ms.float32), (True, ms.bool_),
    (np.zeros(2, np.float64), ms.float64), (np.zeros(2, np.int32), ms.int32), (np.float32(2.5), ms.float32),
])
def test_default_dtypes_follow_mindspore(data, dtype):
    assert Tensor(data).dtype == dtype


def test_dtype_argument_and_astype():
    t = Tensor(np.arange(6, dtype=np.float64).reshape(2, 3), dtype=ms.float32)
    assert t.dtype == ms.float32 and t.shape == (2, 3) and t.ndim == 2 and t.size == 6
    assert t.astype(ms.int32).dtype == ms.int32
    assert t.astype("float16").dtype == ms.float16
    assert t.astype(np.float64).dtype == ms.float64
    assert str(ms.float32) == "Float32" and repr(ms.float32) == "tinyspore.float32"
    assert ms.float32 == np.float32 and ms.float32 != ms.float64


@pytest.mark.parametrize("expr, dtype", [
    (lambda a, i: a + 1.5, ms.float32), (lambda a, i: a * np.float64(2), ms.float32),
    (lambda a, i: i + 1, ms.int32), (lambda a, i: i + 1.5, ms.float32), (lambda a, i: i / i, ms.float32),
    (lambda a, i: a > 2, ms.bool_), (lambda a, i: a == a, ms.bool_),
])
def test_result_dtypes_follow_mindspore(expr, dtype):
    a = Tensor([[1.5, 2.0, -3.25], [4.0, 5.0, 6.0]])
    i = Tensor(np.array([7, -7, 2], dtype=np.int32))
    assert expr(a, i).dtype == dtype


def test_repr_and_str_match_mindspore():
    a = Tensor([[1.5, 2.0, -3.25], [4.0, 5.0, 6.0]])
    assert repr(a) == ("Tensor(shape=[2, 3], dtype=Float32, value=\n"
                       "[[ 1.50000000e+00,  2.00000000e+00, -3.25000000e+00],\n"
                       " [ 4.00000000e+00,  5.00000000e+00,  6.00000000e+00]])")
    assert str(a) == "[[ 1.5   2.   -3.25]\n [ 4.    5.    6.  ]]"
    assert repr(Tensor(1.0)) == "Tensor(shape=[], dtype=Float32, value= 1)"
    assert repr(Tensor(15.25)) == "Tensor(shape=[], dtype=Float32, value= 15.25)"
    assert repr(Tensor([1, 2, 3])) == "Tensor(shape=[3], dtype=Int64, value= [1, 2, 3])"
    assert repr(Tensor([True, False])) == "Tensor(shape=[2], dtype=Bool, value= [ True, False])"
    assert f"{Tensor(0.123456):.3f}" == "0.123"


def test_operators_broadcast_like_numpy():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    ta, tb = Tensor(a), Tensor(b)
    for got, expected in [(ta + tb, a + b), (ta - tb, a - b), (ta * tb, a * b), (ta / tb, a / b),
                          (ta ** 2, a ** 2), (2 - ta, 2 - a), (1 / (ta + 1), 1 / (a + 1)), (-ta, -a),
                          (ta @ tb, a @ b), (abs(tb), np.abs(b)), (b * ta, b * a)]:
        assert isinstance(got, Tensor)
        np.testing.assert_allclose(got.asnumpy(), expected, rtol=1e-6)


def test_methods():
    a = Tensor([[1.5, 2.0, -3.25], [4.0, 5.0, 6.0]])
    assert float(a.sum()) == 15.25
    np.testing.assert_allclose(a.mean(axis=0).asnumpy(), [2.75, 3.5, 1.375])
    assert a.sum(1, keepdims=True).shape == (2, 1)
    assert a.T.shape == (3, 2) and a.reshape(3, 2).shape == (3, 2) and a.reshape((3, 2)).shape == (3, 2)
    assert a.argmax(axis=1).tolist() == [1, 2] and a.argmax(axis=1).dtype == ms.int64
    assert float(a.max()) == 6.0 and Tensor(2.5).item() == 2.5 and len(a) == 2
    assert [row.shape for row in a] == [(3,), (3,)]
    assert a.transpose(1, 0).shape == (3, 2) and a.expand_dims(0).shape == (1, 2, 3)


def test_indexing_and_writing():
    a = Tensor(np.arange(12, dtype=np.float32).reshape(3, 4))
    assert a[0].shape == (4,) and a[:, 1].tolist() == [1, 5, 9] and float(a[1, 2]) == 6.0
    assert a[a > 9].tolist() == [10, 11]
    assert a[Tensor(np.array([2, 0]))].shape == (2, 4)
    a[0, 0] = 100.0
    a[1] = Tensor(np.zeros(4, np.float32))
    assert float(a[0, 0]) == 100.0 and a[1].tolist() == [0, 0, 0, 0]


def test_comparisons_carry_no_gradient():
    g = ms.grad(lambda t: (t * (t > 1)).sum())(Tensor([0.5, 2.0]))
    np.testing.assert_allclose(g.asnumpy(), [0.0, 1.0])


def test_parameter():
    p = Parameter(np.array([1.0, 2.0], dtype=np.float32), name="w")
    assert isinstance(p, Tensor) and p.requires_grad and p.name == "w"
    assert repr(p) == "Parameter (name=w, shape=(2,), dtype=Float32, requires_grad=True)"
    assert type(p + 1) is Tensor
    p.set_data(Tensor([3.0, 4.0]))
    assert p.tolist() == [3.0, 4.0] and p.dtype == ms.float32
    with pytest.raises(ValueError, match=r"Parameter 'w': set_data got shape \(3,\), expected \(2,\)"):
        p.set_data(np.zeros(3))
    assert Parameter(1.0).name.startswith("Parameter#")
    assert not Parameter(1.0, requires_grad=False).requires_grad


def test_parameter_copies_its_input():
    data = np.zeros(2, np.float32)
    p = Parameter(data)
    p[0] = 5.0
    assert data[0] == 0.0


@pytest.mark.parametrize("call, message", [
    (lambda: ops.matmul(Tensor(np.ones((3, 4))), Tensor(np.ones((5, 2)))), r"matmul: \(3, 4\) @ \(5, 2\): inner sizes 4 and 5 differ"),
    (lambda: Tensor(np.ones((2, 3))) + Tensor(np.ones(2)), r"add: shapes \(2, 3\) and \(2,\) do not broadcast: sizes 3 and 2 at axis -1"),
    (lambda: Tensor(np.ones((2, 3))).reshape(4, 2), r"reshape: cannot reshape \(2, 3\) \(6 elements\) to \(4, 2\)"),
    (lambda: ops.concat([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))]), r"concat: shapes \[\(2, 3\), \(2, 4\)\]"),
    (lambda: ops.matmul(Tensor(np.ones((2, 3, 4))), Tensor(np.ones((5, 4, 2)))), r"batch shapes \(2,\) and \(5,\) do not broadcast"),
])
def test_shape_errors_name_the_op_and_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_context_and_seed():
    ms.set_context(mode=ms.PYNATIVE_MODE)
    ms.set_context(mode=ms.GRAPH_MODE)  # accepted; execution stays eager
    assert ms.get_context("mode") == ms.GRAPH_MODE
    ms.set_context(mode=ms.PYNATIVE_MODE)
    with pytest.raises(ValueError, match="unknown setting 'colour'"):
        ms.set_context(colour="blue")
    ms.set_seed(7)
    first = ms.initializer("normal", (3,)).asnumpy()
    ms.set_seed(7)
    np.testing.assert_array_equal(first, ms.initializer("normal", (3,)).asnumpy())


def test_initializer_forms():
    assert ms.initializer("ones", (2, 3)).asnumpy().sum() == 6
    assert ms.initializer(0.5, 2).tolist() == [0.5, 0.5]
    assert Tensor(shape=(2, 3), dtype=ms.float32, init="zeros").shape == (2, 3)
    bound = 1 / np.sqrt(50)
    values = ms.initializer(ms.common.initializer.HeUniform(np.sqrt(5)), (400, 50)).asnumpy()
    assert values.min() >= -bound and values.max() <= bound and values.max() > 0.9 * bound
    with pytest.raises(ValueError, match=r"has shape \(3,\), but the parameter needs shape \(2,\)"):
        ms.initializer(Tensor([1.0, 2.0, 3.0]), (2,))
    with pytest.raises(ValueError, match="unknown name 'gaussian'"):
        ms.initializer("gaussian", (2,))


def test_seeded_leaves_no_trace():
    from tinyspore.common.seed import seeded

    ms.set_seed(3)
    expected = ms.initializer("normal", (4,)).asnumpy()
    ms.set_seed(3)
    with seeded(99):
        ms.initializer("normal", (4,))
    assert ms.get_seed() == 3
    np.testing.assert_array_equal(ms.initializer("normal", (4,)).asnumpy(), expected)
