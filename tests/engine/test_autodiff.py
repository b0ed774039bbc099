"""Autodiff: the graph walk and MindSpore's return structures (as observed on MindSpore 2.10)."""

from __future__ import annotations

import numpy as np
import pytest

import tinyspore as ms
from tinyspore import Parameter, Tensor, ops
from tinyspore.autodiff import topological_order

x = Tensor([1.0, 2.0, 3.0])
y = Tensor([4.0, 5.0, 6.0])
w = Parameter(Tensor([2.0, 3.0, 4.0]), name="w")


def f(a, b):
    return (a * b).sum()


def fw(a, b):
    return (a * b * w).sum()


def faux(a, b):
    return (a * b).sum(), a + b


def faux_w(a, b):
    return (a * b * w).sum(), a + b


def values(tree):
    """Nested tuples of Tensors -> nested lists of plain lists, for comparison."""
    if isinstance(tree, Tensor):
        return tree.asnumpy().tolist()
    assert isinstance(tree, tuple), f"expected a Tensor or a tuple, got {type(tree).__name__}"
    return [values(t) for t in tree]


# Each row: the call, and what MindSpore 2.10 returns for it (tuples and Tensors, by nesting).
STRUCTURES = [
    (lambda: ms.grad(f, 0)(x, y), [4, 5, 6]),
    (lambda: ms.grad(f, (0, 1))(x, y), [[4, 5, 6], [1, 2, 3]]),
    (lambda: ms.grad(f, (1,))(x, y), [1, 2, 3]),  # a one-element tuple gives a bare Tensor
    (lambda: ms.grad(fw, 0, weights=w)(x, y), [[8, 15, 24], [4, 10, 18]]),
    (lambda: ms.grad(fw, 0, weights=[w])(x, y), [[8, 15, 24], [[4, 10, 18]]]),
    (lambda: ms.grad(fw, (0, 1), weights=w)(x, y), [[[8, 15, 24], [2, 6, 12]], [4, 10, 18]]),
    (lambda: ms.grad(fw, None, weights=w)(x, y), [4, 10, 18]),
    (lambda: ms.grad(fw, None, weights=[w])(x, y), [[4, 10, 18]]),
    (lambda: ms.grad(faux, 0, has_aux=True)(x, y), [[4, 5, 6], [[5, 7, 9]]]),
    (lambda: ms.grad(faux_w, None, weights=[w], has_aux=True)(x, y), [[[4, 10, 18]], [[5, 7, 9]]]),
    (lambda: ms.grad(faux, 0)(x, y), [5, 6, 7]),  # tuple output, no aux: every output differentiated
    (lambda: ms.value_and_grad(f, 0)(x, y), [32, [4, 5, 6]]),
    (lambda: ms.value_and_grad(fw, 0, weights=[w])(x, y), [110, [[8, 15, 24], [[4, 10, 18]]]]),
    (lambda: ms.value_and_grad(faux_w, 0, weights=w, has_aux=True)(x, y), [[110, [5, 7, 9]], [[8, 15, 24], [4, 10, 18]]]),
    (lambda: ms.value_and_grad(faux, 0)(x, y), [[32, [5, 7, 9]], [5, 6, 7]]),
    (lambda: ms.value_and_grad(fw, None, weights=[w])(x, y), [110, [[4, 10, 18]]]),
    (lambda: ms.grad(lambda a, b: a * b, 0)(x, y), [4, 5, 6]),  # non-scalar output: sensitivity of ones
    (lambda: ms.grad(lambda a, b: (a * a).sum(), 1)(x, y), [0, 0, 0]),  # unused input: zeros
    (lambda: ms.grad(f, (0, 1))(x, 2.0), [2, 2, 2]),  # a Python number gets no gradient
    (lambda: ops.GradOperation()(fw)(x, y), [8, 15, 24]),
    (lambda: ops.GradOperation(get_all=True)(fw)(x, y), [[8, 15, 24], [2, 6, 12]]),
    (lambda: ops.GradOperation(get_by_list=True)(fw, [w])(x, y), [[4, 10, 18]]),
    (lambda: ops.GradOperation(get_by_list=True)(fw, w)(x, y), [4, 10, 18]),
    (lambda: ops.GradOperation(get_all=True, get_by_list=True)(fw, [w])(x, y), [[[8, 15, 24], [2, 6, 12]], [[4, 10, 18]]]),
    (lambda: ops.GradOperation(sens_param=True)(fw)(x, y, Tensor(2.0)), [16, 30, 48]),
    (lambda: ops.GradOperation(sens_param=True)(faux)(x, y, (Tensor(1.0), Tensor([2.0, 2.0, 2.0]))), [6, 7, 8]),
    (lambda: ops.GradOperation()(faux)(x, y), [5, 6, 7]),
]


@pytest.mark.parametrize("call, expected", STRUCTURES)
def test_return_structures_match_mindspore(call, expected):
    assert values(call()) == expected


def test_grad_operation_never_returns_the_loss():
    """The seed tutorial's pitfall: `loss, grads = grad_fn(...)` unpacks (dW, db), not (loss, grads)."""
    net_w, net_b = Parameter(Tensor([[0.5]]), name="weight"), Parameter(Tensor([0.0]), name="bias")
    data, label = Tensor([[1.0], [2.0]]), Tensor([[2.5], [4.5]])

    def forward_fn(d, lbl):
        logits = d @ net_w.T + net_b
        return ((logits - lbl) ** 2).mean(), logits

    loss, grads = ops.GradOperation(get_by_list=True)(forward_fn, [net_w, net_b])(data, label)
    assert loss.shape == (1, 1) and grads.shape == (1,)  # the weight's and the bias's gradients
    # and both outputs were differentiated: the bias gradient includes d(sum(logits))/db = batch size
    (value, _), (dw, db) = ms.value_and_grad(forward_fn, None, [net_w, net_b], has_aux=True)(data, label)
    np.testing.assert_allclose(grads.asnumpy(), db.asnumpy() + 2.0, rtol=1e-6)


def test_a_reused_node_accumulates():
    def fn(a):
        b = a * a      # used three times below
        return (b + b * b + ops.exp(b)).sum()

    a = np.array([0.3, -0.7])
    expected = 2 * a + 4 * a ** 3 + 2 * a * np.exp(a ** 2)
    np.testing.assert_allclose(ms.grad(fn)(Tensor(a)).asnumpy(), expected, rtol=1e-12)


def test_the_same_input_twice():
    np.testing.assert_allclose(ms.grad(lambda a, b: (a * b).sum(), (0, 1))(x, x)[0].asnumpy(), [1, 2, 3])
    np.testing.assert_allclose(ms.grad(lambda a: (a * a).sum())(x).asnumpy(), [2, 4, 6])


def test_a_deep_chain_of_10000_ops_needs_no_recursion():
    def chain(a):
        for _ in range(10_000):
            a = a * 1.0001 + 0.0
        return a.sum()

    g = ms.grad(chain)(Tensor(np.array([1.0])))
    np.testing.assert_allclose(g.asnumpy(), [1.0001 ** 10_000], rtol=1e-9)


def test_topological_order_puts_inputs_first_and_each_node_once():
    a = Tensor(np.array([1.0]))
    a._tracked = True
    ms.autodiff.recording += 1
    try:
        b = a * 2
        c = b + b
        d = c * b
    finally:
        ms.autodiff.recording -= 1
    order = topological_order([d])
    assert [id(t) for t in order] == [id(a), id(b), id(c), id(d)]


def test_repeated_calls_leave_no_stale_gradient():
    grad_fn = ms.grad(fw, None, weights=[w])
    first = grad_fn(x, y)[0].asnumpy().copy()
    second = grad_fn(x, y)[0].asnumpy()
    np.testing.assert_array_equal(first, second)
    assert not hasattr(w, "grad")
    assert w._tracked is False and not w._parents


def test_returned_values_carry_no_graph():
    (loss, aux), _ = ms.value_and_grad(faux_w, 0, weights=[w], has_aux=True)(x, y)
    assert not loss._tracked and not aux._tracked and aux._parents == ()


def test_the_callers_tensors_are_untouched():
    a = Tensor([1.0, 2.0])
    ms.grad(lambda t: (t * t).sum())(a)
    assert a._tracked is False and a._parents == ()


def test_ops_outside_grad_record_nothing():
    out = (w * 2).sum()
    assert out._backward is None and not out._tracked


def test_gradients_keep_the_input_dtype():
    g = ms.grad(lambda t: (t * 2).sum())(Tensor(np.ones(3, dtype=np.float64)))
    assert g.dtype == ms.float64


@pytest.mark.parametrize("call, error, message", [
    (lambda: ms.grad(f)(Tensor([1, 2, 3]), y), TypeError, "input 0 has dtype Int64; gradients need a float"),
    (lambda: ms.grad(f, None)(x, y), ValueError, "grad_position and weights are both None"),
    (lambda: ms.grad(f, 2)(x, y), IndexError, "grad_position 2, but the function got 2 inputs"),
    (lambda: ms.grad(lambda a: (a * a).sum(), has_aux=True)(x), ValueError, "has_aux=True needs a function"),
    (lambda: ms.grad(lambda a: 3.0)(x), TypeError, "output 0 of the function is a float"),
    (lambda: ms.grad(f)(np.ones(3), y), TypeError, "input 0 is a ndarray, expected a Tensor"),
    (lambda: ms.grad(fw, None, weights=[w, 3])(x, y), TypeError, "weights[1] is a int"),
    (lambda: ops.GradOperation(get_by_list=True)(fw)(x, y), ValueError, "needs the weights"),
])
def test_errors_name_the_problem(call, error, message):
    with pytest.raises(error, match=message.replace("[", r"\[").replace("]", r"\]")):
        call()


def test_grad_inside_a_failed_forward_restores_state():
    def broken(a):
        (a * w).sum()
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        ms.grad(broken, None, weights=[w])(x)
    assert ms.autodiff.recording == 0 and w._tracked is False


# ----- the walk: intermediate gradients are dropped once used, leaves keep theirs ------------------
def test_backpropagate_keeps_leaf_gradients_and_drops_used_intermediate_ones():
    """A tensor used twice still gets both contributions (the walk reaches it after all its users),
    and once its gradient has been passed on it is dropped, so only leaves remain in the result."""
    a = Tensor(np.array([1.5, -2.0]))
    a._tracked = True
    ms.autodiff.recording += 1
    try:
        b = ops.sin(a) * a
        c = b + b * a  # b used twice
        d = (c * b).sum()
    finally:
        ms.autodiff.recording -= 1
    grads = ms.autodiff.backpropagate([d], [np.ones_like(d.asnumpy())])
    assert list(grads) == [id(a)]
    v = a.asnumpy()
    s, co = np.sin(v), np.cos(v)
    bv, db = s * v, co * v + s  # b and db/da
    expected = db * (1 + v) * bv + bv * bv + (bv + bv * v) * db  # d/da of (b + b*a) * b
    np.testing.assert_allclose(grads[id(a)], expected, rtol=1e-6)


def test_grad_state_is_reset_even_when_fn_raises():
    def broken(t):
        _ = t * 2
        raise KeyError("boom")

    with pytest.raises(KeyError):
        ms.grad(broken)(Tensor([1.0]))
    assert ms.autodiff.recording == 0
    np.testing.assert_allclose(ms.grad(f)(x, y).asnumpy(), y.asnumpy())


def test_grad_inside_the_function_of_another_grad():
    def outer(a):
        inner = ms.grad(lambda t: (t * t * t).sum())(a)  # 3 a^2, a constant to the outer grad
        return (a * a).sum() + (inner * a).sum()

    a = Tensor([1.0, 2.0])
    np.testing.assert_allclose(ms.grad(outer)(a).asnumpy(), 2 * a.asnumpy() + 3 * a.asnumpy() ** 2)


# ----- the tape: grad walks what this call's ops recorded, in the order they ran -----------------------
def test_a_tensor_kept_from_an_earlier_call_is_a_constant():
    """A tensor cached by an earlier call still carries that call's graph; walking it would send the
    weights a stale gradient (from their old values). grad walks only its own call's tape."""
    cache = []

    def fn(a):
        if not cache:
            cache.append(w * 2.0)  # made in the first call, then reused as a constant
        return (cache[0] * a * w).sum()

    grad_fn = ms.grad(fn, None, weights=[w])
    first = grad_fn(x)[0].asnumpy()
    second = grad_fn(x)[0].asnumpy()
    np.testing.assert_allclose(first, 4 * w.asnumpy() * x.asnumpy())   # d/dw of 2w * a * w
    np.testing.assert_allclose(second, 2 * w.asnumpy() * x.asnumpy())  # d/dw of c * a * w, c = 2w held fixed


def test_the_tape_is_empty_outside_grad_and_emptied_by_the_walk():
    seen = []

    def fn(a):
        out = (a * a).sum()
        seen.append(ms.autodiff.tape)
        return out

    ms.grad(fn)(x)
    assert ms.autodiff.tape is None
    assert seen[0] == []  # the walk pops each node once it has passed its gradient on


def test_ops_recorded_but_unused_by_the_output_get_no_gradient_and_no_error():
    def fn(a):
        _ = ops.exp(a) * 3.0  # on the tape, not on the way to the output
        return (a * 2.0).sum()

    np.testing.assert_allclose(ms.grad(fn)(x).asnumpy(), [2.0, 2.0, 2.0])
