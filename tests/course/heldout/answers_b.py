"""Held-out answers, set B: written after the checks and diagnoses were done, and never used to tune them
(set A, in answers_00_03.py and answers_04_06.py, was measured while the diagnosis was being built)."""

from __future__ import annotations

import math

import numpy as np

import tinyspore as ms
from tinyspore import Tensor, nn, ops
from tinyspore.ops import primitives as P
from tinyspore.ops.primitives import primitive
from tinyspore_grader.checks import ch00_welcome as c0
from tinyspore_grader.checks import ch01_tensors as c1
from tinyspore_grader.checks import ch02_cells as c2
from tinyspore_grader.checks import ch03_losses as c3
from tinyspore_grader.checks import ch04_autodiff as c4
from tinyspore_grader.checks import ch05_optimizers as c5
from tinyspore_grader.checks import ch06_train_loop as c6

from .registry import held


def _np(v):
    return v.asnumpy() if hasattr(v, "asnumpy") else np.asarray(v)


# ----- chapter 00 ---------------------------------------------------------------------------------------------
@held(c0.check_center_columns, ("@offset", "@positions", "centered the rows", "subtracted the overall mean"))
def center_columns(x):
    return x - x.mean(axis=0).mean()  # the mean of the column means


@held(c0.check_pairwise_sq_distances, ("@sign", "forgot to square"))
def pairwise_sq_distances(a, b):
    return -((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)  # "distances are costs, costs are negative"


@held(c0.check_one_hot, ("@dtype", "kept the label dtype", "float64"))
def one_hot(labels, num_classes):
    return (labels[:, None] == np.arange(num_classes)).astype(int)


# ----- chapter 01 ---------------------------------------------------------------------------------------------
@held(c1.check_broadcast_shape, ("@kind", "returns a list", "@list_for_tuple"))
def broadcast_shape(shape_a, shape_b):
    return list(np.broadcast_shapes(tuple(shape_a), tuple(shape_b)))


@held(c1.check_sum_to_shape, ("@extra_axis", "@missing_axis", "dropped the size-1 axis", "@shape"))
def sum_to_shape(grad, shape):
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and grad.shape[lead + i] != 1)
    return grad.sum(axis=axes) if axes else grad  # forgot to keep the stretched axes


@held(c1.check_matmul_checked, ("returns an ndarray", "@array_for_tensor"))
def matmul_checked(a, b):
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"matmul_checked: {a.shape} @ {b.shape}: shapes do not fit")
    return a.asnumpy() @ b.asnumpy()


@held(c1.check_standardize, ("divided by n - 1", "@factor"))
def standardize(x, axis=0):
    n = x.shape[axis]
    centered = x - x.mean(axis=axis, keep_dims=True)
    return centered / ops.sqrt((centered * centered).sum(axis=axis, keepdims=True) / (n - 1) + 1e-5)


@held(c1.check_standardize, None)
def standardize(x, axis=0):  # noqa: F811 - (ops.rsqrt, MindSpore's, is not in the engine: ** -0.5 instead)
    centered = x - ops.mean(x, axis=axis, keep_dims=True)
    return centered * (ops.mean(centered ** 2, axis=axis, keep_dims=True) + 1e-5) ** -0.5


# ----- chapter 02 ---------------------------------------------------------------------------------------------
class _Dense(nn.Cell):
    def __init__(self, in_channels, out_channels, weight_init=None, bias_init=None, has_bias=True):
        super().__init__()
        self.in_channels, self.out_channels, self.has_bias = in_channels, out_channels, has_bias
        self.weight = c2.nn.Dense(in_channels, out_channels, weight_init, bias_init, has_bias).weight
        self.bias = c2.nn.Dense(in_channels, out_channels, weight_init, bias_init, has_bias).bias if has_bias else None


@held(c2.check_Dense, ("weight not transposed in construct", "@transposed", "@shape"))
class Dense(_Dense):
    def construct(self, x):
        out = ops.matmul(self.weight, x.T).T  # (W x^T)^T: right ... then a second transpose by mistake
        out = out.T.T.T if out.shape[0] == out.shape[1] else out
        return out + self.bias if self.bias is not None else out


@held(c2.check_parameters_and_names, ("no prefix", "name_prefix ignored"))
def parameters_and_names(cell, name_prefix=""):
    out, seen = [], set()

    def visit(c, prefix):
        for name, p in c._params.items():
            if id(p) not in seen:
                seen.add(id(p))
                out.append((f"{prefix}.{name}" if prefix else name, p))
        for child_name, child in c._cells.items():
            visit(child, f"{prefix}.{child_name}" if prefix else child_name)

    visit(cell, "")  # name_prefix forgotten
    return out


@held(c2.check_count_parameters, ("shared parameter counted twice",))
def count_parameters(cell):
    total = trainable = 0
    for _, c in cell.cells_and_names():
        for p in c._params.values():
            total += p.size
            trainable += p.size if p.requires_grad else 0
    return trainable, total


@held(c2.check_Sequential, None)
class Sequential(nn.Cell):
    def __init__(self, cells):
        super().__init__()
        for i in range(len(cells)):
            setattr(self, str(i), cells[i])
        self.n = len(cells)

    def construct(self, x):
        out = x
        for i in range(self.n):
            out = self._cells[str(i)](out)
        return out


# ----- chapter 03 ---------------------------------------------------------------------------------------------
@held(c3.check_mse_loss, ("sum instead of mean", "@factor"))
def mse_loss(logits, labels, reduction="mean"):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(reduction)
    sq = ops.square(logits - labels)
    if reduction == "mean":
        return ops.sum(sq) / logits.shape[0]  # divided by the batch, not by every element
    return ops.sum(sq) if reduction == "sum" else sq


@held(c3.check_log_softmax, ("ignored axis", "@positions", "@order"))
def log_softmax(x, axis=-1):
    z = x - x.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


@held(c3.check_cross_entropy, ("ignore_index not applied", "ignored label used as an index", "@nonfinite"))
def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):
    log_probs = ops.log_softmax(logits, -1).asnumpy()
    y = labels.asnumpy()
    picked = log_probs[np.arange(len(y)), y]  # -100 indexes from the end
    loss = -(1 - label_smoothing) * picked - label_smoothing * log_probs.mean(axis=1)
    return Tensor(np.float32(loss.mean()))


@held(c3.check_bce_with_logits, ("clipped probabilities", "@positions", "@nonfinite"))
def bce_with_logits(logits, labels):
    p = ops.sigmoid(logits)
    p = ops.clip(p, 1e-12, 1.0)  # protects log(p) only
    return ops.mean(-(labels * ops.log(p) + (1 - labels) * ops.log(1 - p + 1e-12)))


@held(c3.check_mse_loss, None)
def mse_loss(logits, labels, reduction="mean"):  # noqa: F811
    diff = logits - labels
    if reduction == "none":
        return diff * diff
    if reduction in ("mean", "sum"):
        total = (diff * diff).sum()
        return total / diff.size if reduction == "mean" else total
    raise ValueError(f"mse_loss: reduction {reduction!r}?")


# ----- chapter 04 ---------------------------------------------------------------------------------------------
@held(c4.check_numeric_grad, ("forward difference",))
def numeric_grad(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    fx = f(x)
    for i in np.ndindex(x.shape):
        up = x.copy()
        up[i] += eps
        grad[i] = (f(up) - fx) / eps
    return grad


@held(c4.check_binary_backward, ("matmul: factors in the wrong order", "@transposed", "@shape",
                                 "matmul: transposed result"))
def binary_backward(op, g, x, y):
    if op == "mul":
        return P.sum_to_shape(g * y, x.shape), P.sum_to_shape(g * x, y.shape)
    yt, xt = np.swapaxes(y, -1, -2), np.swapaxes(x, -1, -2)
    return P.sum_to_shape(yt @ g if g.shape[-1] == y.shape[-2] else g @ yt, x.shape), P.sum_to_shape(xt @ g, y.shape)


@held(c4.check_unary_backward, ("log: g * x", "@positions", "log: 1 / g", "log: log instead of its slope"))
def unary_backward(op, g, x, axis=None, keepdims=False):
    if op == "relu":
        return g * (x > 0)
    if op == "exp":
        return g * np.exp(x)
    if op == "log":
        return g * np.log(x)  # the derivative of log is ... log?
    if op == "sum":
        return np.broadcast_to(g if axis is None or keepdims else np.expand_dims(g, axis), x.shape)
    raise ValueError(op)


@held(c4.check_topological_order, ("root first", "parent after child"))
def topological_order(root):
    order, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        stack.extend(node.parents)
    return order  # from the root down


@held(c4.check_backward, ("forward order", "@positions", "missing gradients", "@kind"))
def backward(root, order):
    grads = {root: np.ones_like(root.value)}
    for node in order:  # not reversed
        if node.backward is not None and node in grads:
            for parent, g in zip(node.parents, node.backward(grads[node])):
                grads[parent] = grads[parent] + g if parent in grads else g
    return grads


@held(c4.check_hypot, ("hypot: no sum_to_shape",))
@primitive(inputs=2)
def hypot(x, y):
    out = np.hypot(x, y)

    def backward(g):
        return g * x / out, g * y / out

    return out, backward


@held(c4.check_hypot, None)  # written as wrong (float64 gradients), but the engine casts them back: right
@primitive(inputs=2)
def hypot(x, y):  # noqa: F811
    out = np.sqrt(x * x + y * y)

    def backward(g):  # "float64 for precision"
        gx, gy = np.float64(g) * x / out, np.float64(g) * y / out
        return P.sum_to_shape(gx.astype(np.float64), x.shape), P.sum_to_shape(gy.astype(np.float64), y.shape)

    return out, backward


@held(c4.check_hypot, ("hypot: forgot g",))
@primitive(inputs=2)
def hypot(x, y):  # noqa: F811
    out = np.sqrt(x * x + y * y)
    ones = np.ones_like(out)  # "the upstream gradient of a sum is 1"
    return out, lambda g: (P.sum_to_shape(ones * x / out, x.shape), P.sum_to_shape(ones * y / out, y.shape))


@held(c4.check_hypot, None)
@primitive(inputs=2)
def hypot(x, y):  # noqa: F811
    out = np.hypot(x, y)
    return out, lambda g: (P.sum_to_shape(g * x / out, np.shape(x)), P.sum_to_shape(g * y / out, np.shape(y)))


# ----- chapter 05 ---------------------------------------------------------------------------------------------
@held(c5.check_sgd_step, ("weight decay subtracted", "@drift", "weight decay ignored"))
def sgd_step(param, grad, lr, weight_decay=0.0):
    return param - lr * grad + lr * weight_decay * param


@held(c5.check_momentum_step, ("Nesterov ignored",))
def momentum_step(param, grad, moment, lr, momentum=0.9, use_nesterov=False, weight_decay=0.0):
    grad = grad + weight_decay * param
    moment = grad if moment is None else momentum * moment + grad
    return param - lr * moment, moment


@held(c5.check_rmsprop_step, ("epsilon outside the square root",))
def rmsprop_step(param, grad, mean_square, lr, decay=0.9, epsilon=1e-10, weight_decay=0.0):
    grad = grad + weight_decay * param
    s = decay * (1.0 if mean_square is None else mean_square) + (1 - decay) * grad ** 2
    return param - lr * grad / (np.sqrt(s) + epsilon), s


@held(c5.check_adam_step, ("no bias correction", "@drift"))
def adam_step(param, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    grad = grad + weight_decay * param
    m, v, t = state if state is not None else (np.zeros_like(param), np.zeros_like(param), 0)
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    return param - lr * m / (np.sqrt(v) + eps), (m, v, t + 1)


@held(c5.check_best_lr, None)
def best_lr(final_losses):
    best = None
    for lr, loss in final_losses.items():
        if math.isfinite(loss) and (best is None or loss < final_losses[best]):
            best = lr
    return best


# ----- chapter 06 ---------------------------------------------------------------------------------------------
@held(c6.check_train_step, ("loss returned after the update",))
def train_step(net, loss_fn, optimizer, x, y):
    def forward_fn(data, label):
        return loss_fn(net(data), label)

    grads = ms.grad(forward_fn, None, optimizer.parameters)(x, y)
    optimizer(grads)
    return forward_fn(x, y)


@held(c6.check_run_epoch, ("mean of the batch losses",))
def run_epoch(step_fn, x, y, batch_size, rng):
    order = rng.permutation(len(x))
    losses = [float(step_fn(Tensor(x[order[i:i + batch_size]]), Tensor(y[order[i:i + batch_size]])))
              for i in range(0, len(x), batch_size)]
    return sum(losses) / len(losses)


@held(c6.check_accuracy, ("a percentage", "@factor"))
def accuracy(logits, labels):
    return float(100.0 * np.mean(_np(logits).argmax(1) == _np(labels)))


@held(c6.check_StepOptimizer, ("one state shared by all parameters", "@drift"))
class StepOptimizer:
    def __init__(self, params, step, **hyper):
        self.parameters, self.step, self.hyper = tuple(params), step, hyper
        self.states = [None] * len(self.parameters)

    def __call__(self, grads):
        for param, grad in zip(self.parameters, grads):
            new, self.states[0] = self.step(param.asnumpy(), grad.asnumpy(), self.states[0], **self.hyper)
            param.set_data(new)
        return True


@held(c6.check_accuracy, None)
def accuracy(logits, labels):  # noqa: F811
    predicted = ops.argmax(logits if isinstance(logits, Tensor) else Tensor(logits), 1).asnumpy()
    return float((predicted == _np(labels)).sum()) / len(predicted)
