"""Mistake catalogue of chapter 04: wrong answers learners really write, each caught with its hint."""

from __future__ import annotations

import numpy as np
from helpers import assert_caught, assert_passes

from tinyspore import ops
from tinyspore.ops import sum_to_shape
from tinyspore.ops.primitives import primitive
from tinyspore_grader.checks.ch04_autodiff import (
    check_backward,
    check_binary_backward,
    check_hypot,
    check_numeric_grad,
    check_topological_order,
    check_unary_backward,
    reference_backward,
    reference_binary_backward,
    reference_numeric_grad,
    reference_topological_order,
    reference_unary_backward,
)


# ----- 04.1 numeric_grad ---------------------------------------------------------------------------------
def test_numeric_grad_forward_difference():
    def numeric_grad(f, x, eps=1e-6):
        grad = np.zeros_like(x)
        fx = f(x)
        for i in np.ndindex(x.shape):
            x2 = x.copy()
            x2[i] += eps
            grad[i] = (f(x2) - fx) / eps
        return grad

    assert_caught(check_numeric_grad, numeric_grad, "forward difference")


def test_numeric_grad_with_len_loops_fails_on_a_0d_x():
    def numeric_grad(f, x, eps=1e-6):
        grad = np.zeros_like(x)
        rows = range(len(x))  # a 0-d x has no len()
        for i in rows:
            for j in (range(len(x[i])) if x.ndim == 2 else [None]):
                index = i if j is None else (i, j)
                old = x[index]
                x[index] = old + eps
                up = f(x)
                x[index] = old - eps
                down = f(x)
                x[index] = old
                grad[index] = (up - down) / (2 * eps)
        return grad

    assert_caught(check_numeric_grad, numeric_grad, "len() of a 0-d x")


def test_numeric_grad_divides_by_eps_only():
    def numeric_grad(f, x, eps=1e-6):
        grad = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            up, down = x.copy(), x.copy()
            up[i] += eps
            down[i] -= eps
            grad[i] = (f(up) - f(down)) / eps
        return grad

    assert_caught(check_numeric_grad, numeric_grad, "no factor 2")


def test_numeric_grad_does_not_put_the_element_back():
    def numeric_grad(f, x, eps=1e-6):
        x = x.copy()
        grad = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            x[i] += eps
            up = f(x)
            x[i] -= 2 * eps
            grad[i] = (up - f(x)) / (2 * eps)
        return grad

    assert_caught(check_numeric_grad, numeric_grad, "x not restored")


def test_numeric_grad_with_its_own_step():
    def numeric_grad(f, x, eps=1e-6):
        h = 1e-5  # "a good eps", ignoring the one passed in
        grad = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            up, down = x.copy(), x.copy()
            up[i] += h
            down[i] -= h
            grad[i] = (f(up) - f(down)) / (2 * h)
        return grad

    assert_caught(check_numeric_grad, numeric_grad, "ignores eps")


def test_numeric_grad_with_a_tiny_step():
    def numeric_grad(f, x, eps=1e-6):
        h = 1e-11  # smaller is more precise, is it not? (no: rounding takes over)
        grad = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            up, down = x.copy(), x.copy()
            up[i] += h
            down[i] -= h
            grad[i] = (f(up) - f(down)) / (2 * h)
        return grad

    assert_caught(check_numeric_grad, numeric_grad, "ignores eps")


def test_numeric_grad_loops_over_rows():
    def numeric_grad(f, x, eps=1e-6):
        grad = np.zeros_like(x)
        for i in range(len(x)):
            up, down = x.copy(), x.copy()
            up[i] += eps
            down[i] -= eps
            grad[i] = (f(up) - f(down)) / (2 * eps)
        return grad

    assert_caught(check_numeric_grad, numeric_grad, "one index per row")


def test_numeric_grad_flat_loop_on_a_0d_x():
    def numeric_grad(f, x, eps=1e-6):
        flat = x.ravel()
        grad = np.zeros(len(x) if x.ndim else len(x.ravel()))
        for i in range(len(flat)):
            up, down = flat.copy(), flat.copy()
            up[i] += eps
            down[i] -= eps
            grad[i] = (f(up.reshape(x.shape)) - f(down.reshape(x.shape))) / (2 * eps)
        return grad.reshape(len(x), -1)

    assert_caught(check_numeric_grad, numeric_grad, "wrong shape")


def test_numeric_grad_in_float32():
    def numeric_grad(f, x, eps=1e-6):
        grad = np.zeros(x.shape, dtype=np.float32)
        for i in np.ndindex(x.shape):
            up, down = x.copy(), x.copy()
            up[i] += eps
            down[i] -= eps
            grad[i] = (f(up) - f(down)) / (2 * eps)
        return grad

    assert_caught(check_numeric_grad, numeric_grad, "float32")


def test_numeric_grad_returns_a_list():
    def numeric_grad(f, x, eps=1e-6):
        grads = []
        for i in np.ndindex(x.shape):
            up, down = x.copy(), x.copy()
            up[i] += eps
            down[i] -= eps
            grads.append((f(up) - f(down)) / (2 * eps))
        return grads

    assert_caught(check_numeric_grad, numeric_grad, "not an ndarray")


def test_numeric_grad_with_flat_indexing_passes():
    def numeric_grad(f, x, eps=1e-6):
        x = x.astype(np.float64).copy()
        grad = np.empty_like(x)
        for k in range(x.size):
            old = x.flat[k]
            x.flat[k] = old + eps
            up = f(x)
            x.flat[k] = old - eps
            down = f(x)
            x.flat[k] = old
            grad.flat[k] = (up - down) / 2 / eps
        return grad

    assert_passes(check_numeric_grad, numeric_grad)
    assert_passes(check_numeric_grad, reference_numeric_grad)


# ----- 04.2 binary_backward ------------------------------------------------------------------------------
def _binary(mul=None, matmul=None):
    """A learner's binary_backward: right, except for the rules given (each a function (g, x, y) -> pair)."""
    def right_mul(g, x, y):
        return sum_to_shape(g * y, x.shape), sum_to_shape(g * x, y.shape)

    def right_matmul(g, x, y):
        return sum_to_shape(g @ np.swapaxes(y, -1, -2), x.shape), sum_to_shape(np.swapaxes(x, -1, -2) @ g, y.shape)

    def binary_backward(op, g, x, y):
        if op == "mul":
            return (mul or right_mul)(g, x, y)
        return (matmul or right_matmul)(g, x, y)

    return binary_backward


def test_mul_backward_without_unbroadcasting():
    assert_caught(check_binary_backward, _binary(mul=lambda g, x, y: (g * y, g * x)),
                  "mul: not summed over broadcast axes")


def test_mul_backward_with_the_wrong_factor():
    assert_caught(check_binary_backward,
                  _binary(mul=lambda g, x, y: (sum_to_shape(g * x, x.shape), sum_to_shape(g * y, y.shape))),
                  "mul: swapped factors")


def test_mul_backward_without_g():
    def mul(g, x, y):
        return sum_to_shape(y * np.ones_like(g), x.shape), sum_to_shape(x * np.ones_like(g), y.shape)

    assert_caught(check_binary_backward, _binary(mul=mul), "mul: forgot g")


def test_binary_backward_returns_a_list():
    def binary_backward(op, g, x, y):
        gx, gy = (g * y, g * x) if op == "mul" else (g @ np.swapaxes(y, -1, -2), np.swapaxes(x, -1, -2) @ g)
        return [sum_to_shape(gx, x.shape), sum_to_shape(gy, y.shape)]

    assert_caught(check_binary_backward, binary_backward, "binary: not a pair")


def test_mul_backward_in_float64():
    def mul(g, x, y):
        g = g.astype(np.float64)
        return sum_to_shape(g * y, x.shape), sum_to_shape(g * x, y.shape)

    assert_caught(check_binary_backward, _binary(mul=mul), "binary: changed the dtype")


def test_matmul_backward_with_dot_T():
    assert_caught(check_binary_backward,
                  _binary(matmul=lambda g, a, b: (sum_to_shape(g @ b.T, a.shape), sum_to_shape(a.T @ g, b.shape))),
                  "matmul: .T on a batch")


def test_matmul_backward_without_summing_the_batch():
    assert_caught(check_binary_backward,
                  _binary(matmul=lambda g, a, b: (g @ np.swapaxes(b, -1, -2), np.swapaxes(a, -1, -2) @ g)),
                  "matmul: batch not summed")


def test_matmul_backward_without_transposes():
    assert_caught(check_binary_backward, _binary(matmul=lambda g, a, b: (np.matmul(g, b), np.matmul(a, g))),
                  "matmul: no transpose")


def test_matmul_backward_with_g_transposed_for_b():
    def matmul(g, a, b):
        ga = g @ np.swapaxes(b, -1, -2)
        gb = np.swapaxes(g, -1, -2) @ a
        return sum_to_shape(ga, a.shape), gb

    assert_caught(check_binary_backward, _binary(matmul=matmul), "matmul: transposed result")


def test_matmul_backward_with_the_factors_swapped():
    def matmul(g, a, b):
        ga = np.swapaxes(b, -1, -2) @ g
        gb = g @ np.swapaxes(a, -1, -2)
        return sum_to_shape(ga, a.shape), sum_to_shape(gb, b.shape)

    assert_caught(check_binary_backward, _binary(matmul=matmul), "matmul: factors in the wrong order")


def test_matmul_backward_sums_the_batch_like_a_layer_weight():
    def matmul(g, a, b):
        ga = g @ np.swapaxes(b, -1, -2)
        gb = np.swapaxes(a, -1, -2) @ g
        if gb.ndim == 3:  # "a batch of inputs: the weight's gradient adds up over the batch", even when b is batched
            gb = gb.sum(axis=0)
        return ga, gb

    message = assert_caught(check_binary_backward, _binary(matmul=matmul), "matmul: wrong shape")
    assert "(batched)" in message, message


def test_binary_backward_with_einsum_passes():
    def matmul(g, a, b):
        ga = np.einsum("...nm,...km->...nk", g, b)
        gb = np.einsum("...nk,...nm->...km", a, g)
        return sum_to_shape(ga, a.shape), sum_to_shape(gb, b.shape)

    assert_passes(check_binary_backward, _binary(matmul=matmul))
    assert_passes(check_binary_backward, reference_binary_backward)


# ----- 04.3 unary_backward -------------------------------------------------------------------------------
def _unary(relu=None, exp=None, log=None, sum=None):  # noqa: A002 (the op's name)
    """A learner's unary_backward: right, except for the rules given."""
    def right_sum(g, x, axis=None, keepdims=False):
        if axis is not None and not keepdims:
            g = np.expand_dims(g, axis)
        return np.broadcast_to(g, x.shape)

    right = {"relu": lambda g, x: g * (x > 0), "exp": lambda g, x: g * np.exp(x), "log": lambda g, x: g / x}
    given = {"relu": relu, "exp": exp, "log": log}

    def unary_backward(op, g, x, axis=None, keepdims=False):
        if op == "sum":
            return (sum or right_sum)(g, x, axis, keepdims)
        return (given[op] or right[op])(g, x)

    return unary_backward


def test_sum_backward_without_keepdims_re_expansion():
    assert_caught(check_unary_backward, _unary(sum=lambda g, x, axis, keepdims: np.broadcast_to(g, x.shape)),
                  "sum: no re-expansion")


def test_sum_backward_expands_even_with_keepdims():
    def sum_rule(g, x, axis, keepdims):
        if axis is not None:
            g = np.expand_dims(g, axis)
        return np.broadcast_to(g, x.shape)

    assert_caught(check_unary_backward, _unary(sum=sum_rule), "sum: expanded twice")


def test_sum_backward_like_a_mean():
    def sum_rule(g, x, axis, keepdims):
        if axis is not None and not keepdims:
            g = np.expand_dims(g, axis)
        count = x.size // g.size
        return np.broadcast_to(g / count, x.shape).astype(g.dtype)

    assert_caught(check_unary_backward, _unary(sum=sum_rule), "sum: divided by the count")


def test_sum_backward_with_ones_in_float64():
    def sum_rule(g, x, axis, keepdims):
        if axis is not None and not keepdims:
            g = np.expand_dims(g, axis)
        return np.ones(x.shape) * g

    assert_caught(check_unary_backward, _unary(sum=sum_rule), "unary: changed the dtype")


def test_sum_backward_returns_g():
    assert_caught(check_unary_backward, _unary(sum=lambda g, x, axis, keepdims: g), "sum: returned g")


def test_sum_backward_with_a_writable_copy_passes():
    def sum_rule(g, x, axis, keepdims):
        if axis is None:
            axis = tuple(range(x.ndim))
        if not keepdims:
            g = np.expand_dims(g, axis)
        return g * np.ones_like(x)

    assert_passes(check_unary_backward, _unary(sum=sum_rule))
    assert_passes(check_unary_backward, reference_unary_backward)


def test_relu_backward_on_the_wrong_side():
    assert_caught(check_unary_backward, _unary(relu=lambda g, x: np.where(x < 0, g, 0).astype(g.dtype)),
                  "relu: wrong side")


def test_relu_backward_masks_with_g():
    assert_caught(check_unary_backward, _unary(relu=lambda g, x: np.maximum(g, 0)), "relu: mask from g")


def test_relu_backward_at_zero_either_way_passes():
    assert_passes(check_unary_backward, _unary(relu=lambda g, x: g * (x >= 0)))


def test_exp_backward_times_x():
    assert_caught(check_unary_backward, _unary(exp=lambda g, x: g * x), "exp: times x")


def test_log_backward_divides_by_g():
    assert_caught(check_unary_backward, _unary(log=lambda g, x: 1 / g), "log: 1 / g")


def test_log_backward_times_x():
    assert_caught(check_unary_backward, _unary(log=lambda g, x: g * x), "log: g * x")


def test_log_backward_forgets_g():
    assert_caught(check_unary_backward, _unary(log=lambda g, x: 1 / x), "log: forgot g")


def test_exp_backward_in_float64():
    assert_caught(check_unary_backward, _unary(exp=lambda g, x: g * np.exp(x.astype(np.float64))),
                  "unary: changed the dtype")


def test_sum_backward_leaves_the_broadcast_to_numpy():
    def sum_rule(g, x, axis, keepdims):
        if axis is None:
            return np.full_like(x, g)
        if not keepdims:
            g = np.expand_dims(g, axis)
        return g  # "broadcasting will stretch it when it is used"

    message = assert_caught(check_unary_backward, _unary(sum=sum_rule), "unary: wrong shape")
    assert "case 9 of 15" in message, message


def test_relu_backward_with_a_python_loop():
    def relu(g, x):
        return [gi if xi > 0 else 0.0 for gi, xi in zip(g, x)]

    assert_caught(check_unary_backward, _unary(relu=relu), "unary: not an ndarray")


# ----- 04.4 topological_order ----------------------------------------------------------------------------
def test_topological_order_without_visited_set():
    def topological_order(root):
        order = []

        def visit(node):
            for parent in node.parents:
                visit(parent)
            order.append(node)

        visit(root)
        return order

    assert_caught(check_topological_order, topological_order, "reused node visited twice")


def test_topological_order_recursing_on_the_node_itself():
    def topological_order(root):
        order, seen = [], set()

        def visit(node):
            for parent in node.parents:
                if parent not in seen:
                    visit(node)  # typo: should be visit(parent)
            seen.add(node)
            order.append(node)

        visit(root)
        return order

    assert_caught(check_topological_order, topological_order, "recursion too deep")


def test_topological_order_root_first():
    def topological_order(root):
        order, seen = [], set()

        def visit(node):
            if node in seen:
                return
            seen.add(node)
            order.append(node)  # before the parents
            for parent in node.parents:
                visit(parent)

        visit(root)
        return order

    assert_caught(check_topological_order, topological_order, "root first")


def test_topological_order_with_direct_parents_only():
    def topological_order(root):
        return list(dict.fromkeys(root.parents)) + [root]

    assert_caught(check_topological_order, topological_order, "nodes missing")


def test_topological_order_breadth_first():
    def topological_order(root):
        order, seen, queue = [], {root}, [root]
        while queue:
            node = queue.pop(0)
            order.append(node)
            for parent in node.parents:
                if parent not in seen:
                    seen.add(parent)
                    queue.append(parent)
        return order[::-1]

    assert_caught(check_topological_order, topological_order, "parent after child")


def test_topological_order_returns_names():
    def topological_order(root):
        return [node.name for node in reference_topological_order(root)]

    assert_caught(check_topological_order, topological_order, "not the nodes")


def test_topological_order_returns_a_set():
    def topological_order(root):
        return set(reference_topological_order(root))

    assert_caught(check_topological_order, topological_order, "not a list")


def test_topological_order_any_valid_order_passes():
    def topological_order(root):  # Kahn's algorithm: sources first, ties broken by name (not depth-first)
        nodes, stack, seen = [], [root], {root}
        while stack:
            node = stack.pop()
            nodes.append(node)
            for parent in node.parents:
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        waiting = {n: len(set(n.parents)) for n in nodes}
        ready = sorted((n for n in nodes if not n.parents), key=lambda n: n.name)
        order = []
        while ready:
            node = ready.pop(0)
            order.append(node)
            for child in nodes:
                if node in child.parents:
                    waiting[child] -= 1
                    if waiting[child] == 0:
                        ready.append(child)
            ready.sort(key=lambda n: n.name)
        return order

    assert_passes(check_topological_order, topological_order)
    assert_passes(check_topological_order, reference_topological_order)


# ----- 04.5 backward -------------------------------------------------------------------------------------
def test_backward_overwrites():
    def backward(root, order):
        grads = {root: np.ones_like(root.value)}
        for node in reversed(order):
            if node.backward is not None:
                for parent, g in zip(node.parents, node.backward(grads[node])):
                    grads[parent] = g
        return grads

    assert_caught(check_backward, backward, "overwritten, not accumulated")


def test_backward_accumulates_in_place():
    def backward(root, order):
        grads = {root: np.ones_like(root.value)}
        for node in reversed(order):
            if node.backward is None:
                continue
            for parent, g in zip(node.parents, node.backward(grads[node])):
                if parent in grads:
                    grads[parent] += g
                else:
                    grads[parent] = g
        return grads

    assert_caught(check_backward, backward, "in place on a read-only array")


def test_backward_in_place_corrupts_a_shared_gradient():
    """After "output array is read-only", a learner copies read-only arrays but keeps `+=`: in y = x + x,
    x's gradient is then the very array of y's gradient, and `+=` doubles both."""
    def backward(root, order):
        grads = {root: np.ones_like(root.value)}
        for node in reversed(order):
            if node.backward is None:
                continue
            for parent, g in zip(node.parents, node.backward(grads[node])):
                if parent not in grads:
                    grads[parent] = np.array(g) if isinstance(g, np.ndarray) and not g.flags.writeable else g
                else:
                    grads[parent] += g
        return grads

    message = assert_caught(check_backward, backward, "accumulated in place")
    assert "we look at grads[y]" in message, message


def test_backward_in_forward_order():
    def backward(root, order):
        grads = {root: np.ones_like(root.value)}
        for node in order:
            if node.backward is not None:
                for parent, g in zip(node.parents, node.backward(grads[node])):
                    grads[parent] = grads.get(parent, 0) + g
        return grads

    assert_caught(check_backward, backward, "forward order")


def test_backward_seeds_with_a_number():
    def backward(root, order):
        grads = {root: 1.0}
        for node in reversed(order):
            if node.backward is not None:
                for parent, g in zip(node.parents, node.backward(np.asarray(grads[node]))):
                    grads[parent] = grads[parent] + g if parent in grads else g
        return grads

    assert_caught(check_backward, backward, "seed without the root's shape")


def test_backward_calls_the_rule_of_an_input():
    def backward(root, order):
        grads = {root: np.ones_like(root.value)}
        for node in reversed(order):
            for parent, g in zip(node.parents, node.backward(grads[node])):
                grads[parent] = grads[parent] + g if parent in grads else g
        return grads

    assert_caught(check_backward, backward, "called backward on an input")


def test_backward_returns_the_inputs_only():
    def backward(root, order):
        grads = reference_backward(root, order)
        return {node: grad for node, grad in grads.items() if not node.parents}

    assert_caught(check_backward, backward, "missing gradients")


def test_backward_keyed_by_name():
    def backward(root, order):
        return {node.name: grad for node, grad in reference_backward(root, order).items()}

    assert_caught(check_backward, backward, "missing gradients")


def test_backward_returns_the_gradients_in_order():
    def backward(root, order):
        grads = reference_backward(root, order)
        return [grads[node] for node in order]  # the same order as `order`, so "we know which is which"

    assert_caught(check_backward, backward, "not a dict")


def test_backward_forgets_to_return():
    def backward(root, order):
        grads = {root: np.ones_like(root.value)}
        for node in reversed(order):
            if node.backward is not None:
                for parent, g in zip(node.parents, node.backward(grads[node])):
                    grads[parent] = grads[parent] + g if parent in grads else g

    assert_caught(check_backward, backward, "not a dict")


def test_backward_reference_passes():
    assert_passes(check_backward, reference_backward)


# ----- the oracle itself ---------------------------------------------------------------------------------
def test_reference_backward_agrees_with_central_differences():
    """The references behind checks 04.4 and 04.5, on a tiny layer, against numeric gradients in float64."""
    from tinyspore_grader.checks.ch04_autodiff import _network

    graph = _network(np.random.default_rng(3), 4, 3, 2)
    root, nodes = graph.build()
    grads = reference_backward(root, reference_topological_order(root))
    x, w, b = (nodes[name].value for name in ("x", "W", "b"))

    def loss(x, w, b):
        h = np.maximum(x @ w + b, 0)
        return np.sum(h * h)

    assert np.isclose(float(root.value), loss(x, w, b))
    numeric = [reference_numeric_grad(lambda v: loss(v, w, b), x), reference_numeric_grad(lambda v: loss(x, v, b), w),
               reference_numeric_grad(lambda v: loss(x, w, v), b)]
    for name, expected in zip(("x", "W", "b"), numeric):
        np.testing.assert_allclose(grads[nodes[name]], expected, rtol=1e-6, atol=1e-8, err_msg=name)


def test_topological_order_without_a_visited_set_is_exponential():
    # micrograd's build_topo with the `visited` check moved after the recursion: correct, but every shared
    # node is walked once per path to it (2**30 paths in a chain of 30 nodes each used twice)
    def topological_order(root):
        order = []

        def visit(node):
            for parent in node.parents:
                visit(parent)
            if node not in order:
                order.append(node)

        visit(root)
        return order

    message = assert_caught(check_topological_order, topological_order, "exponential walk")
    assert "a chain of 30 nodes" in message, message


def test_topological_order_visited_by_name():
    def topological_order(root):
        order, seen = [], set()

        def visit(node):
            if node.name in seen:
                return
            seen.add(node.name)
            for parent in node.parents:
                visit(parent)
            order.append(node)

        visit(root)
        return order

    assert_caught(check_topological_order, topological_order, "visited set of names")


# ----- 04.6 hypot: a primitive of your own --------------------------------------------------------------
def test_hypot_solution_passes():
    @primitive(inputs=2)
    def hypot(x, y):
        out = np.sqrt(x * x + y * y)

        def backward(g):
            return sum_to_shape(g * x / out, x.shape), sum_to_shape(g * y / out, y.shape)

        return out, backward

    assert_passes(check_hypot, hypot)


def test_hypot_with_tensor_ops_and_no_decorator():
    # it computes the right numbers, and autodiff even differentiates it: but it is not a primitive
    def hypot(x, y):
        return ops.sqrt(x * x + y * y)

    assert_caught(check_hypot, hypot, "not a primitive")


def test_hypot_forward_returns_only_the_value():
    @primitive(inputs=2)
    def hypot(x, y):
        return np.sqrt(x ** 2 + y ** 2)

    assert_caught(check_hypot, hypot, "forward returns only the value")


def test_hypot_without_sum_to_shape():
    # needle's and micrograd's elementwise rules never broadcast, so learners leave sum_to_shape out
    @primitive(inputs=2)
    def hypot(x, y):
        out = np.sqrt(x ** 2 + y ** 2)
        return out, lambda g: (g * x / out, g * y / out)

    assert_caught(check_hypot, hypot, "hypot: no sum_to_shape")


def test_hypot_local_slope_without_g():
    @primitive(inputs=2)
    def hypot(x, y):
        out = np.sqrt(x ** 2 + y ** 2)

        def backward(g):
            gx = np.broadcast_to(x / out, g.shape)
            gy = np.broadcast_to(y / out, g.shape)
            return sum_to_shape(gx, x.shape), sum_to_shape(gy, y.shape)

        return out, backward

    assert_caught(check_hypot, hypot, "hypot: forgot g")


def test_hypot_slope_of_the_square():
    @primitive(inputs=2)
    def hypot(x, y):
        out = np.sqrt(x ** 2 + y ** 2)
        return out, lambda g: (sum_to_shape(2 * x * g, x.shape), sum_to_shape(2 * y * g, y.shape))

    assert_caught(check_hypot, hypot, "hypot: slope of x**2 + y**2")


def test_hypot_gradients_in_the_wrong_order():
    @primitive(inputs=2)
    def hypot(x, y):
        out = np.sqrt(x ** 2 + y ** 2)
        return out, lambda g: (sum_to_shape(g * y / out, x.shape), sum_to_shape(g * x / out, y.shape))

    assert_caught(check_hypot, hypot, "hypot: gradients swapped")


def test_hypot_backward_for_x_only():
    @primitive(inputs=2)
    def hypot(x, y):
        out = np.sqrt(x ** 2 + y ** 2)
        return out, lambda g: sum_to_shape(g * x / out, x.shape)

    assert_caught(check_hypot, hypot, "hypot: one gradient")
