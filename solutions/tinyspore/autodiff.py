"""Autodiff, the compass: reverse mode over the graph that primitives record.

While `grad` runs the function, every primitive whose input is *tracked* (a differentiated input or
weight) records its inputs and a `backward` closure on its output. Afterwards one iterative walk in
reverse topological order pushes the sensitivity from the output back to the sources, summing the
gradients of a tensor that is used more than once. Gradients live in a dictionary local to that walk,
so nothing is left behind on the tensors for the next call.

The walk's order comes from one of two places. `topological_order(roots)` finds it by a depth-first
search from the outputs, as in chapter 04. `grad` itself takes it from the *tape*: the list of the
tensors its primitives recorded, in the order they ran. That order is topological already (an op runs
after the ops that made its inputs), so the search is not needed. It is what TensorFlow's
`GradientTape` keeps.

MindSpore's return structures are kept exactly:

    grad(fn)(x, y)                               -> dx
    grad(fn, grad_position=(0, 1))(x, y)         -> (dx, dy)
    grad(fn, None, weights)(x)                   -> (dw1, dw2, ...)
    grad(fn, 0, weights)(x)                      -> (dx, (dw1, dw2, ...))
    grad(fn, ..., has_aux=True)(x)               -> (grads, (aux1, ...))
    value_and_grad(fn, ...)(x)                   -> (value, grads); value is every output of fn
    GradOperation(get_all, get_by_list, sens_param)(fn, weights)(x) -> gradients only, never the value
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .common.i18n import _ as _tr
from .tensor import Parameter, Tensor

# How many `grad` calls are running; primitives record the graph only while it is > 0.
recording = 0
# The tape of the innermost running `grad` call: every tensor a primitive recorded, in the order the
# primitives ran (None outside grad). Primitives append to it; see `_run`.
tape: list[Tensor] | None = None


# ----- the graph walk ---------------------------------------------------------------------------
def topological_order(roots: Sequence[Tensor]) -> list[Tensor]:
    """Every tracked tensor that the roots depend on, each once, inputs before the ops that use them.

    An explicit stack instead of recursion, so a deep chain (10,000 ops in the tests) does not hit Python's limit.
    """
    order: list[Tensor] = []
    visited: set[int] = set()
    for root in roots:
        if not root._tracked or id(root) in visited:
            continue
        visited.add(id(root))
        stack = [(root, iter(root._parents))]
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if parent is not None and parent._tracked and id(parent) not in visited:
                    visited.add(id(parent))
                    stack.append((parent, iter(parent._parents)))
                    break
            else:  # all parents done: the node comes after them
                stack.pop()
                order.append(node)
    return order


def backpropagate(roots: Sequence[Tensor], sensitivities: Sequence[np.ndarray],
                  order: list[Tensor] | None = None) -> dict[int, np.ndarray]:
    """Gradients of `sum(sens * root)` for the leaves (inputs, weights), keyed by `id(tensor)`.

    `order` is a topological order of the graph (a tape); without it, `topological_order(roots)`. The
    walk empties the list it is given, so each node can be freed as soon as its gradient is passed on.
    A node of the order that the roots do not depend on receives no gradient and is skipped.
    """
    grads: dict[int, np.ndarray] = {}
    for root, sens in zip(roots, sensitivities):
        if root._tracked:
            key = id(root)
            grads[key] = grads[key] + sens if key in grads else sens
    if order is None:
        order = topological_order(roots)
    while order:
        node = order.pop()
        backward = node._backward
        if backward is None:  # a leaf: its gradient stays in `grads` for the caller
            continue
        # pop, not get: every op that uses this node came earlier in the walk and has sent its part,
        # so nobody reads it again, and the array can be freed as soon as it is used (less memory).
        g_node = grads.pop(id(node), None)
        if g_node is None:
            continue
        for parent, g in zip(node._parents, backward(g_node)):
            if g is None or parent is None or not parent._tracked:
                continue
            key = id(parent)
            # Accumulate, never overwrite: a tensor used twice gets both contributions.
            # Not in place: `g` may be the very array another parent also received.
            grads[key] = grads[key] + g if key in grads else g
    return grads


# ----- grad and value_and_grad ------------------------------------------------------------------
def _as_weight_list(weights: Any) -> tuple[list[Parameter], bool]:
    """(list of Parameters, whether the caller passed a single Parameter)."""
    if weights is None:
        return [], False
    if isinstance(weights, Tensor):
        return [weights], True
    weights = list(weights)
    for i, w in enumerate(weights):
        if not isinstance(w, Tensor):
            raise TypeError(_tr("grad: weights[{i}] is a {w_type}, expected a Parameter").format(
                                i=i, w_type=type(w).__name__))
    return weights, False


def _check_differentiable(t: Tensor, what: str) -> None:
    if t._data.dtype.kind != "f":
        raise TypeError(_tr("grad: {what} has dtype {t_dtype}; gradients need a float tensor (convert it "
                            "with .astype(tinyspore.float32))").format(what=what, t_dtype=t.dtype))


def _detach(value: Any) -> Any:
    """Outputs handed back to the user carry no graph (so old graphs can be freed)."""
    if isinstance(value, Tensor):
        return Tensor._wrap(value._data)
    if isinstance(value, tuple):
        return tuple(_detach(v) for v in value)
    if isinstance(value, list):
        return [_detach(v) for v in value]
    return value


def _run(fn: Callable, args: tuple, positions: tuple[int, ...], weights: list[Parameter],
         has_aux: bool, sens: Any = None) -> tuple[Any, list[Tensor], list[Tensor]]:
    """Run fn recording the graph; return (outputs, input gradients, weight gradients).

    Positions whose argument is a Python number are skipped, as in MindSpore (they get no gradient).
    """
    global recording
    args = list(args)
    sources: list[Tensor] = []
    for p in positions:
        if p >= len(args) or p < -len(args):
            raise IndexError(_tr("grad: grad_position {p}, but the function got {len_args} inputs").format(
                                 p=p, len_args=len(args)))
        if isinstance(args[p], (int, float)) and not isinstance(args[p], bool):
            continue
        if not isinstance(args[p], Tensor):
            raise TypeError(_tr("grad: input {p} is a {args_p_type}, expected a Tensor").format(
                                p=p, args_p_type=type(args[p]).__name__))
        _check_differentiable(args[p], f"input {p}")
        source = Tensor._wrap(args[p]._data)  # a fresh leaf, so the caller's tensor is untouched
        source._tracked = True
        args[p] = source
        sources.append(source)
    was_tracked = []
    for w in weights:
        if w._data.dtype.kind != "f":  # the message is built only when it is needed
            _check_differentiable(w, f"weight {getattr(w, 'name', len(was_tracked))}")
        was_tracked.append(w._tracked)
    for w in weights:
        w._tracked = True
    global tape
    outer_tape, tape = tape, []
    own_tape = tape
    try:
        recording += 1
        try:
            outputs = fn(*args)
        finally:
            recording -= 1
            tape = outer_tape
            if outer_tape is not None:  # a grad inside a grad: the outer walk needs these nodes too
                outer_tape.extend(own_tape)
        roots = _roots(outputs, has_aux)
        grads = backpropagate(roots, _sensitivities(roots, sens), own_tape if outer_tape is None else list(own_tape))
    finally:
        for w, flag in zip(weights, was_tracked):
            w._tracked = flag

    return outputs, _gradients_of(sources, grads), _gradients_of(weights, grads)


def _gradients_of(tensors: list[Tensor], grads: dict[int, np.ndarray]) -> list[Tensor]:
    """The gradient of each tensor, as a Tensor of its shape and dtype (zeros if the output does not depend on it)."""
    out = []
    for t in tensors:
        g, data = grads.get(id(t)), t._data
        if g is None:
            g = np.zeros_like(data)
        elif not (type(g) is np.ndarray and g.dtype == data.dtype and g.shape == data.shape):
            g = np.asarray(g, dtype=data.dtype).reshape(data.shape)
        out.append(Tensor._wrap(g))
    return out


def _roots(outputs: Any, has_aux: bool) -> list[Tensor]:
    """The outputs to differentiate: the first one with has_aux, else all of them."""
    outputs = list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]
    if has_aux and len(outputs) < 2:
        raise ValueError(_tr("grad: has_aux=True needs a function that returns (loss, aux, ...)"))
    roots = outputs[:1] if has_aux else outputs
    for i, root in enumerate(roots):
        if not isinstance(root, Tensor):
            raise TypeError(_tr("grad: output {i} of the function is a {root_type}, expected a Tensor").format(
                                i=i, root_type=type(root).__name__))
    return roots


def _sensitivities(roots: list[Tensor], sens: Any) -> list[np.ndarray]:
    """MindSpore's default sensitivity is ones, for scalar and non-scalar outputs alike."""
    if sens is None:
        # (np.array(1) is np.ones(()) without np.ones's Python layer: a scalar loss is the usual root)
        return [np.ones(r._data.shape, r._data.dtype) if r._data.ndim else np.array(1, r._data.dtype) for r in roots]
    sens_list = list(sens) if isinstance(sens, (tuple, list)) else [sens]
    if len(sens_list) != len(roots):
        raise ValueError(_tr("grad: got {len_sens_list} sensitivities for {len_roots} outputs").format(
                             len_sens_list=len(sens_list), len_roots=len(roots)))
    out = []
    for s, r in zip(sens_list, roots):
        s = np.asarray(s._data if isinstance(s, Tensor) else s, dtype=r._data.dtype)
        if s.shape != r.shape:
            s = np.broadcast_to(s, r.shape)
        out.append(s)
    return out


def _positions(grad_position: Any) -> tuple[int, ...]:
    if grad_position is None:
        return ()
    if isinstance(grad_position, int):
        return (grad_position,)
    return tuple(grad_position)


def _structure(input_grads: list, weight_grads: list, has_positions: bool, has_weights: bool,
               single_weight: bool) -> Any:
    """MindSpore's nesting: one input gradient is returned bare, several as a tuple; weights likewise
    bare for a single Parameter, a tuple for a list; both together as (inputs, weights)."""
    inputs = input_grads[0] if len(input_grads) == 1 else tuple(input_grads)
    weights = weight_grads[0] if single_weight else tuple(weight_grads)
    if has_positions and has_weights:
        return inputs, weights
    return weights if has_weights else inputs


def grad(fn: Callable, grad_position: Any = 0, weights: Any = None, has_aux: bool = False,
         return_ids: bool = False) -> Callable:
    """A function that returns the gradients of `fn` (MindSpore's `mindspore.grad`)."""
    _refuse_return_ids("grad", return_ids)
    return _make_grad(fn, grad_position, weights, has_aux, with_value=False)


def value_and_grad(fn: Callable, grad_position: Any = 0, weights: Any = None, has_aux: bool = False,
                   return_ids: bool = False) -> Callable:
    """A function that returns `(value, gradients)` of `fn` (MindSpore's `mindspore.value_and_grad`).

    With `has_aux=True`, `fn` returns `(loss, aux, ...)`: only `loss` is differentiated and the value is
    the whole tuple. With `grad_position=None` and `weights`, the gradients are for the weights only.
    """
    _refuse_return_ids("value_and_grad", return_ids)
    return _make_grad(fn, grad_position, weights, has_aux, with_value=True)


def _refuse_return_ids(name: str, return_ids: bool) -> None:
    if return_ids:
        raise NotImplementedError(_tr("{name}(return_ids=True) is not implemented in tinyspore: gradients "
                                      "come back in the order of grad_position and weights, without ids").format(
                                      name=name))


def _make_grad(fn: Callable, grad_position: Any, weights: Any, has_aux: bool, with_value: bool) -> Callable:
    positions = _positions(grad_position)
    weight_list, single_weight = _as_weight_list(weights)
    if grad_position is None and weights is None:
        raise ValueError(_tr("grad: grad_position and weights are both None, so there is nothing to "
                             "differentiate"))

    def grad_fn(*args: Any) -> Any:
        outputs, input_grads, weight_grads = _run(fn, args, positions, weight_list, has_aux)
        grads = _structure(input_grads, weight_grads, grad_position is not None, weights is not None,
                           single_weight)
        if with_value:
            return _detach(outputs), grads
        if has_aux:
            return grads, _detach(tuple(outputs[1:]))
        return grads

    grad_fn.__name__ = f"{'value_and_grad' if with_value else 'grad'}_of_{getattr(fn, '__name__', 'fn')}"
    return grad_fn


class GradOperation:
    """MindSpore's older gradient API. It returns the gradients only, never the function's value.

    `GradOperation()(fn)(x, y)` -> dx; `get_all=True` -> (dx, dy); `get_by_list=True` with
    `(fn, weights)` -> (dw1, dw2, ...); both -> ((dx, dy), (dw1, ...)); `sens_param=True` takes the
    sensitivity as an extra last argument. If `fn` returns several outputs, all of them are differentiated
    (each with a sensitivity of ones), which is rarely what you want: see chapter 04.
    """

    def __init__(self, get_all: bool = False, get_by_list: bool = False, sens_param: bool = False) -> None:
        self.get_all = get_all
        self.get_by_list = get_by_list
        self.sens_param = sens_param

    def __call__(self, fn: Callable, weights: Any = None) -> Callable:
        if self.get_by_list and weights is None:
            raise ValueError(_tr("GradOperation(get_by_list=True) needs the weights: grad_op(fn, "
                                 "net.trainable_params())"))
        weight_list, single_weight = _as_weight_list(weights) if self.get_by_list else ([], False)

        def grad_fn(*args: Any) -> Any:
            sens = None
            if self.sens_param:
                if not args:
                    raise TypeError(_tr("GradOperation(sens_param=True): pass the sensitivity as the last "
                                        "argument"))
                args, sens = args[:-1], args[-1]
            tensor_positions = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
            if self.get_all:
                positions = tensor_positions
            elif self.get_by_list:
                positions = ()
            else:
                positions = tensor_positions[:1]
            _, input_grads, weight_grads = _run(fn, args, positions, weight_list, False, sens)
            inputs = tuple(input_grads)
            by_list = weight_grads[0] if single_weight else tuple(weight_grads)
            if self.get_all and self.get_by_list:
                return inputs, by_list
            if self.get_by_list:
                return by_list
            if self.get_all:
                return inputs
            if not inputs:
                raise TypeError(_tr("GradOperation: the function got no Tensor input to differentiate"))
            return inputs[0]

        return grad_fn
