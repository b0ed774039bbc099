"""Held-out answers of chapters 04-06 (see answers_00_03.py for the conventions)."""

from __future__ import annotations

import math

import numpy as np

import tinyspore as ms
from tinyspore import Tensor
from tinyspore.ops.primitives import sum_to_shape
from tinyspore_grader.checks import ch04_autodiff as c4
from tinyspore_grader.checks import ch05_optimizers as c5
from tinyspore_grader.checks import ch06_train_loop as c6

from .registry import held

# ----- 04.1 numeric_grad ------------------------------------------------------------------------------------


@held(c4.check_numeric_grad, ("@in_place", "x not restored"))
def numeric_grad(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += eps  # nudges the caller's array ...
        up = f(x)
        x[i] -= 2 * eps
        down = f(x)
        x[i] += eps  # ... and puts it back, with rounding: x is no longer exactly what it was
        grad[i] = (up - down) / (2 * eps)
    x += 1e-3  # and "to be safe" moves it
    return grad


@held(c4.check_numeric_grad, ("@sign",))
def numeric_grad(f, x, eps=1e-6):  # noqa: F811
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        grad[i] = (f(down) - f(up)) / (2 * eps)  # the two ends swapped
    return grad


@held(c4.check_numeric_grad, ("@factor", "no factor 2"))
def numeric_grad(f, x, eps=1e-6):  # noqa: F811
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        grad[i] = (f(up) - f(down)) / 2 * eps  # precedence: multiplies by eps
    return grad


@held(c4.check_numeric_grad, None)
def numeric_grad(f, x, eps=1e-6):  # noqa: F811
    flat = x.astype(np.float64).ravel()
    grad = np.empty_like(flat)
    for k in range(flat.size):
        e = np.zeros_like(flat)
        e[k] = eps
        grad[k] = (f((flat + e).reshape(x.shape)) - f((flat - e).reshape(x.shape))) / (2 * eps)
    return grad.reshape(x.shape)


# ----- 04.2 binary_backward -------------------------------------------------------------------------------------
@held(c4.check_binary_backward, ("@tuple_order",))
def binary_backward(op, g, x, y):
    if op == "mul":
        return sum_to_shape(g * x, y.shape), sum_to_shape(g * y, x.shape)  # (gy, gx)
    gx = g @ np.swapaxes(y, -1, -2)
    gy = np.swapaxes(x, -1, -2) @ g
    return sum_to_shape(gy, y.shape), sum_to_shape(gx, x.shape)


@held(c4.check_binary_backward, ("@dtype", "binary: changed the dtype"))
def binary_backward(op, g, x, y):  # noqa: F811
    if op == "mul":
        gx, gy = g * y, g * x
    else:
        gx, gy = np.einsum("...ij,...kj->...ik", g, y * 1.0), np.einsum("...ji,...jk->...ik", x, g)
    gx = sum_to_shape(np.asarray(gx, np.float64), x.shape)  # "more precision"
    return gx, sum_to_shape(gy, y.shape)


@held(c4.check_binary_backward, ("@in_place",))
def binary_backward(op, g, x, y):  # noqa: F811
    if op not in ("mul", "matmul"):
        raise ValueError(f"unknown op {op}")
    if op == "mul":
        g *= 1  # harmless ... but then
        gx = sum_to_shape(g * y, x.shape)
        g *= x  # reuses g's memory for gy
        return gx, sum_to_shape(g, y.shape)
    return sum_to_shape(g @ np.swapaxes(y, -1, -2), x.shape), sum_to_shape(np.swapaxes(x, -1, -2) @ g, y.shape)


@held(c4.check_binary_backward, None)
def binary_backward(op, g, x, y):  # noqa: F811
    if op == "mul":
        gx, gy = np.multiply(g, y), np.multiply(g, x)
    elif op == "matmul":
        gx = np.matmul(g, np.moveaxis(y, -1, -2))
        gy = np.matmul(np.moveaxis(x, -1, -2), g)
    else:
        raise ValueError(f"binary_backward: no rule for {op!r}")
    return sum_to_shape(gx, np.shape(x)), sum_to_shape(gy, np.shape(y))


# ----- 04.3 unary_backward ---------------------------------------------------------------------------------------
def _unary(op, g, x, axis=None, keepdims=False, **changes):
    rules = {"relu": lambda: g * (x > 0), "exp": lambda: g * np.exp(x), "log": lambda: g / x,
             "sum": lambda: np.broadcast_to(g if axis is None or keepdims else np.expand_dims(g, axis), x.shape)}
    rules.update(changes)
    if op not in rules:
        raise ValueError(f"unknown op {op!r}")
    return rules[op]()


@held(c4.check_unary_backward, ("@dtype", "unary: changed the dtype"))
def unary_backward(op, g, x, axis=None, keepdims=False):
    return _unary(op, g, x, axis, keepdims, relu=lambda: g * np.where(x > 0, 1.0, 0.0))


@held(c4.check_unary_backward, ("@factor", "sum: divided by the count"))
def unary_backward(op, g, x, axis=None, keepdims=False):  # noqa: F811
    return _unary(op, g, x, axis, keepdims, log=lambda: g / x / x.size)  # log of the mean


@held(c4.check_unary_backward, None)
def unary_backward(op, g, x, axis=None, keepdims=False):  # noqa: F811
    return _unary(op, g, x, axis, keepdims, relu=lambda: g * (x >= 0))  # slope 1 at exactly 0: accepted


@held(c4.check_unary_backward, None)
def unary_backward(op, g, x, axis=None, keepdims=False):  # noqa: F811
    if op == "sum":
        shape = list(x.shape)
        if axis is not None:
            for a in np.atleast_1d(axis):
                shape[a] = 1
            return np.broadcast_to(g.reshape(shape), x.shape)
        return np.broadcast_to(g, x.shape)
    return _unary(op, g, x)


# ----- 04.4 topological_order ------------------------------------------------------------------------------------
@held(c4.check_topological_order, ("visited set of names",))
def topological_order(root):
    order, seen = [], {}

    def visit(node):
        if node.name not in seen:
            seen[node.name] = True
            for p in node.parents:
                visit(p)
            order.append(node)

    visit(root)
    return order


@held(c4.check_topological_order, ("exponential walk",))
def topological_order(root):  # noqa: F811
    def deps(node):  # every path, then deduplicate
        out = []
        for p in node.parents:
            out += deps(p)
        return out + [node]

    order = []
    for node in deps(root):
        if node not in order:
            order.append(node)
    return order


@held(c4.check_topological_order, ("@none",))
def topological_order(root):  # noqa: F811
    order, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            for p in node.parents:
                visit(p)
            order.append(node)

    visit(root)  # forgot to return


@held(c4.check_topological_order, None)
def topological_order(root):  # noqa: F811
    # Kahn's algorithm from the root's side, then reversed
    nodes, stack = {id(root): root}, [root]
    while stack:
        for p in stack.pop().parents:
            if id(p) not in nodes:
                nodes[id(p)] = p
                stack.append(p)
    children = {k: 0 for k in nodes}
    for n in nodes.values():
        for p in {id(p) for p in n.parents}:
            children[p] += 1
    ready, out = [root], []
    while ready:
        n = ready.pop()
        out.append(n)
        for p in {id(p): p for p in n.parents}.values():
            children[id(p)] -= 1
            if children[id(p)] == 0:
                ready.append(p)
    return out[::-1]


# ----- 04.5 backward ----------------------------------------------------------------------------------------------
@held(c4.check_backward, ("@factor", "seed without the root's shape"))
def backward(root, order):
    grads = {root: np.ones_like(root.value) / root.value.size}  # the gradient of the MEAN
    for node in reversed(order):
        if node.backward is not None:
            for parent, g in zip(node.parents, node.backward(grads[node])):
                grads[parent] = grads[parent] + g if parent in grads else g
    return grads


@held(c4.check_backward, ("overwritten, not accumulated", "@factor"))
def backward(root, order):  # noqa: F811
    grads = {root: np.ones_like(root.value)}
    for node in reversed(order):
        if node.backward is not None:
            pairs = dict(zip(node.parents, node.backward(grads[node])))  # a parent used twice keeps one share
            for parent, g in pairs.items():
                grads[parent] = grads[parent] + g if parent in grads else g
    return grads


@held(c4.check_backward, ("missing gradients", "@kind"))
def backward(root, order):  # noqa: F811
    grads = {root: np.ones_like(root.value)}
    for node in reversed(order):
        if node.backward is not None:
            for parent, g in zip(node.parents, node.backward(grads[node])):
                grads[parent] = grads[parent] + g if parent in grads else g
    return {n: g for n, g in grads.items() if n.parents}  # only the computed nodes, not the inputs


@held(c4.check_backward, None)
def backward(root, order):  # noqa: F811
    grads = {id(n): np.zeros_like(n.value) for n in order}
    grads[id(root)] = np.ones_like(root.value)
    for node in order[::-1]:
        if node.backward is None:
            continue
        for parent, g in zip(node.parents, node.backward(grads[id(node)])):
            grads[id(parent)] = grads[id(parent)] + g
    return {n: grads[id(n)] for n in order}


# ----- 05.1 sgd_step -----------------------------------------------------------------------------------------------
@held(c5.check_sgd_step, ("@factor", "weight decay not scaled by lr"))
def sgd_step(param, grad, lr, weight_decay=0.0):
    return param - lr * lr * (grad + weight_decay * param)  # lr applied twice


@held(c5.check_sgd_step, ("@in_place",))
def sgd_step(param, grad, lr, weight_decay=0.0):  # noqa: F811
    grad += weight_decay * param  # folds the decay into the caller's gradient
    return param - lr * grad


@held(c5.check_sgd_step, None)
def sgd_step(param, grad, lr, weight_decay=0.0):  # noqa: F811
    return (1 - lr * weight_decay) * param - lr * grad


# ----- 05.2 best_lr ---------------------------------------------------------------------------------------------------
@held(c5.check_best_lr, None)
def best_lr(final_losses):  # nan counted as a huge loss; inf already is one
    return min(final_losses, key=lambda lr: final_losses[lr] if not math.isnan(final_losses[lr]) else 1e9)


@held(c5.check_best_lr, ("diverged runs not skipped", "@number"))
def best_lr(final_losses):  # noqa: F811
    return min(final_losses, key=lambda lr: final_losses[lr] if final_losses[lr] < 1e30 else -1)  # nan < 1e30 is False


@held(c5.check_best_lr, ("returned the loss", "@number"))
def best_lr(final_losses):  # noqa: F811
    finite = [loss for loss in final_losses.values() if math.isfinite(loss)]
    return min(finite)


@held(c5.check_best_lr, None)
def best_lr(final_losses):  # noqa: F811
    ranked = sorted((loss, lr) for lr, loss in final_losses.items() if not (math.isnan(loss) or math.isinf(loss)))
    return ranked[0][1]


# ----- 05.3 momentum_step ----------------------------------------------------------------------------------------------
@held(c5.check_momentum_step, ("@in_place",))
def momentum_step(param, grad, moment, lr, momentum=0.9, use_nesterov=False, weight_decay=0.0):
    grad += weight_decay * param
    moment = momentum * moment + grad if moment is not None else grad.copy()
    step = grad + momentum * moment if use_nesterov else moment
    return param - lr * step, moment


@held(c5.check_momentum_step, ("@drift", "moving average instead of MindSpore's sum"))
def momentum_step(param, grad, moment, lr, momentum=0.9, use_nesterov=False, weight_decay=0.0):  # noqa: F811
    grad = grad + weight_decay * param
    moment = grad if moment is None else momentum * moment + (1 - momentum) * grad  # PyTorch's dampening
    step = grad + momentum * moment if use_nesterov else moment
    return param - lr * step, moment


@held(c5.check_momentum_step, None)
def momentum_step(param, grad, moment, lr, momentum=0.9, use_nesterov=False, weight_decay=0.0):  # noqa: F811
    g = grad + weight_decay * param
    v = g if moment is None else momentum * moment + g
    return (param - lr * (g + momentum * v), v) if use_nesterov else (param - lr * v, v)


# ----- 05.4 rmsprop_step ------------------------------------------------------------------------------------------------
@held(c5.check_rmsprop_step, ("@tuple_order", "RMSProp: not a pair", "RMSProp: pair in the wrong order"))
def rmsprop_step(param, grad, mean_square, lr, decay=0.9, epsilon=1e-10, weight_decay=0.0):
    if isinstance(mean_square, tuple):
        mean_square = mean_square[0]
    grad = grad + weight_decay * param
    s = decay * (np.ones_like(param) if mean_square is None else mean_square) + (1 - decay) * grad * grad
    return s, param - lr * grad / np.sqrt(s + epsilon)


@held(c5.check_rmsprop_step, ("@drift", "mean_square starting at zero"))
def rmsprop_step(param, grad, mean_square, lr, decay=0.9, epsilon=1e-10, weight_decay=0.0):  # noqa: F811
    grad = grad + weight_decay * param
    s = grad * grad if mean_square is None else decay * mean_square + (1 - decay) * grad * grad  # first step: g^2
    return param - lr * grad / np.sqrt(s + epsilon), s


@held(c5.check_rmsprop_step, None)
def rmsprop_step(param, grad, mean_square, lr, decay=0.9, epsilon=1e-10, weight_decay=0.0):  # noqa: F811
    grad = grad + weight_decay * param
    s = 1.0 if mean_square is None else mean_square
    s = decay * s + (1 - decay) * np.square(grad)
    return param - lr * grad * (s + epsilon) ** -0.5, s


# ----- 05.5 adam_step ----------------------------------------------------------------------------------------------------
@held(c5.check_adam_step, ("@drift", "step count starting at 0"))
def adam_step(param, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    grad = grad + weight_decay * param
    m, v, t = state if state is not None else (np.zeros_like(param), np.zeros_like(param), 1)
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    lr_t = lr * math.sqrt(1 - beta2**t) / (1 - beta1**t)
    return param - lr_t * m / (np.sqrt(v) + eps), (m, v, t)  # t never advances


@held(c5.check_adam_step, ("@in_place",))
def adam_step(param, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):  # noqa: F811
    grad = grad + weight_decay * param
    m, v, t = state if state is not None else (np.zeros_like(param), np.zeros_like(param), 0)
    t += 1
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    param -= lr * math.sqrt(1 - beta2**t) / (1 - beta1**t) * m / (np.sqrt(v) + eps)
    return param, (m, v, t)


@held(c5.check_adam_step, None)
def adam_step(param, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):  # noqa: F811
    grad = grad + weight_decay * param
    if state is None:
        state = (0.0 * param, 0.0 * param, 0)
    m, v, t = state
    t += 1
    m = m + (1 - beta1) * (grad - m)
    v = v + (1 - beta2) * (grad * grad - v)
    return param - lr * math.sqrt(1 - beta2**t) / (1 - beta1**t) * m / (np.sqrt(v) + eps), (m, v, t)


# ----- 06.1 train_step -----------------------------------------------------------------------------------------------------
def _forward(net, loss_fn):
    def forward_fn(data, label):
        logits = net(data)
        return loss_fn(logits, label), logits
    return forward_fn


@held(c6.check_train_step, ("returned (loss, logits)",))
def train_step(net, loss_fn, optimizer, x, y):
    grad_fn = ms.value_and_grad(_forward(net, loss_fn), None, optimizer.parameters, has_aux=True)
    (loss, logits), grads = grad_fn(x, y)
    optimizer(grads)
    return logits, loss


@held(c6.check_train_step, ("@factor", "gradients accumulated across steps"))
def train_step(net, loss_fn, optimizer, x, y):  # noqa: F811
    grad_fn = ms.value_and_grad(_forward(net, loss_fn), None, optimizer.parameters, has_aux=True)
    (loss, _), grads = grad_fn(x, y)
    optimizer(tuple(2 * g for g in grads))  # "a bigger step trains faster"
    return loss


@held(c6.check_train_step, ("no update", "@positions"))
def train_step(net, loss_fn, optimizer, x, y):  # noqa: F811
    grad_fn = ms.value_and_grad(_forward(net, loss_fn), None, optimizer.parameters, has_aux=True)
    (loss, _), grads = grad_fn(x, y)
    if float(loss) > 1.0:  # only "when the loss is bad"
        optimizer(grads)
    return loss


@held(c6.check_train_step, None)
def train_step(net, loss_fn, optimizer, x, y):  # noqa: F811
    def loss_only(data, label):
        return loss_fn(net(data), label)

    loss, grads = ms.value_and_grad(loss_only, None, optimizer.parameters)(x, y)
    optimizer(grads)
    return loss


# ----- 06.2 run_epoch ------------------------------------------------------------------------------------------------------
@held(c6.check_run_epoch, ("another random generator",))
def run_epoch(step_fn, x, y, batch_size, rng):
    order = np.random.permutation(len(x))
    total = 0.0
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        total += float(step_fn(Tensor(x[idx]), Tensor(y[idx]))) * len(idx)
    return total / len(x)


@held(c6.check_run_epoch, ("@in_place", "no shuffle", "x and y shuffled separately"))
def run_epoch(step_fn, x, y, batch_size, rng):  # noqa: F811
    rng.shuffle(x)  # shuffles the caller's x in place (and not y)
    total = 0.0
    for start in range(0, len(x), batch_size):
        total += float(step_fn(Tensor(x[start:start + batch_size]), Tensor(y[start:start + batch_size]))) \
            * len(x[start:start + batch_size])
    return total / len(x)


@held(c6.check_run_epoch, ("last partial batch dropped",))
def run_epoch(step_fn, x, y, batch_size, rng):  # noqa: F811
    order = rng.permutation(len(x))
    losses = []
    for b in range(len(x) // batch_size):  # integer division drops the remainder
        idx = order[b * batch_size:(b + 1) * batch_size]
        losses.append(float(step_fn(Tensor(x[idx]), Tensor(y[idx]))))
    return float(np.mean(losses)) if losses else 0.0


@held(c6.check_run_epoch, None)
def run_epoch(step_fn, x, y, batch_size, rng):  # noqa: F811
    order = rng.permutation(len(x))
    sums, count = 0.0, 0
    for idx in np.array_split(order, range(batch_size, len(x), batch_size)):
        loss = step_fn(Tensor(x[idx]), Tensor(y[idx]))
        sums += loss.asnumpy().item() * idx.size
        count += idx.size
    return sums / count


# ----- 06.3 accuracy -------------------------------------------------------------------------------------------------------
def _np(v):
    return v.asnumpy() if hasattr(v, "asnumpy") else np.asarray(v)


@held(c6.check_accuracy, ("@factor", "a count, not a fraction"))
def accuracy(logits, labels):
    logits, labels = _np(logits), _np(labels)
    return float((logits.argmax(axis=1) == labels).sum() / logits.shape[1])  # divided by the classes


@held(c6.check_accuracy, ("@kind", "not a float"))
def accuracy(logits, labels):  # noqa: F811
    logits, labels = _np(logits), _np(labels)
    return logits.argmax(axis=1) == labels  # the per-row hits, not their mean


@held(c6.check_accuracy, ("@number", "@positions"))
def accuracy(logits, labels):  # noqa: F811
    logits, labels = _np(logits), _np(labels)
    return float(np.mean(np.argsort(logits, axis=1)[:, 0] == labels))  # argsort's first is the SMALLEST


@held(c6.check_accuracy, None)
def accuracy(logits, labels):  # noqa: F811
    hits = [int(np.argmax(row)) == int(label) for row, label in zip(_np(logits), _np(labels))]
    return sum(hits) / len(hits)


# ----- 06.4 StepOptimizer ---------------------------------------------------------------------------------------------------
@held(c6.check_StepOptimizer, ("@drift", "state not kept between calls"))
class StepOptimizer:
    def __init__(self, params, step, **hyper):
        self.parameters, self.step, self.hyper = tuple(params), step, hyper
        self.state = {}

    def __call__(self, grads):
        for i, (p, g) in enumerate(zip(self.parameters, grads)):
            new, state = self.step(p.asnumpy(), g.asnumpy(), self.state.get(p.name), **self.hyper)
            self.state[i] = state  # stored under i, read under the name: never found again
            p.set_data(new)
        return True


@held(c6.check_StepOptimizer, ("parameters not updated",))
class StepOptimizer:  # noqa: F811
    def __init__(self, params, step, **hyper):
        self.parameters, self.step, self.hyper = tuple(params), step, hyper
        self.states = [None] * len(self.parameters)

    def __call__(self, grads):
        for i, (p, g) in enumerate(zip(self.parameters, grads)):
            new, self.states[i] = self.step(p.asnumpy(), g.asnumpy(), self.states[i], **self.hyper)
            p = ms.Parameter(new, name=p.name)  # rebinds the local name; the network keeps the old one
        return True


@held(c6.check_StepOptimizer, None)
class StepOptimizer:  # noqa: F811
    def __init__(self, params, step, **hyper):
        self.parameters, self.step, self.hyper = list(params), step, hyper
        self.states = {}

    def __call__(self, grads):
        for p, g in zip(self.parameters, grads):
            new, self.states[id(p)] = self.step(p.asnumpy(), g.asnumpy(), self.states.get(id(p)), **self.hyper)
            p.set_data(np.asarray(new, dtype=p.asnumpy().dtype))
        return True
