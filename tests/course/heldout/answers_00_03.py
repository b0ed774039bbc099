"""Held-out answers of chapters 00-03: wrong answers learners plausibly write that are NOT in the mistake
catalogue (tests/course/mistakes/), and correct answers written in unusual ways.

Each `held(check, expect)` decorates one answer. `expect` is what a hint must name for the feedback to
count as naming the actual mistake: known mistake names, or `@<diagnosis>` for a diagnosis of
tinyspore_grader.diagnose; `expect=None` marks a correct answer (it must pass). The expectations were
written with the answers, before measuring.
"""

from __future__ import annotations

import math

import numpy as np

from tinyspore import Parameter, Tensor, nn, ops
from tinyspore.common.initializer import HeUniform, Uniform, initializer
from tinyspore_grader.checks import ch00_welcome as c0
from tinyspore_grader.checks import ch01_tensors as c1
from tinyspore_grader.checks import ch02_cells as c2
from tinyspore_grader.checks import ch03_losses as c3

from .registry import held

# ----- 00.1 center_columns --------------------------------------------------------------------------------


@held(c0.check_center_columns, "@in_place")
def center_columns(x):
    x -= x.mean(axis=0)  # saves memory, destroys the caller's data
    return x


@held(c0.check_center_columns, "@offset")
def center_columns(x):  # noqa: F811 - every answer is defined under the exercise's own name
    return x - np.median(x, axis=0) if len(x) == 2 else x - x.mean(axis=0) + 0.5  # a stray constant


@held(c0.check_center_columns, "@transposed")
def center_columns(x):  # noqa: F811
    return (x - x.mean(axis=0)).T


@held(c0.check_center_columns, "@factor")
def center_columns(x):  # noqa: F811
    return (x - x.mean(axis=0)) / len(x)  # "normalizing" by n


@held(c0.check_center_columns, None)
def center_columns(x):  # noqa: F811
    return x - np.sum(x, axis=0, keepdims=True) / x.shape[0]


# ----- 00.2 pairwise_sq_distances -------------------------------------------------------------------------
@held(c0.check_pairwise_sq_distances, "@positions")
def pairwise_sq_distances(a, b):
    # the expansion |a|^2 + |b|^2 - 2 a.b, clipped at 0 ... but clipped at the wrong place
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.maximum(d, 0.5).astype(a.dtype)


@held(c0.check_pairwise_sq_distances, ("@factor", "@dtype"))
def pairwise_sq_distances(a, b):  # noqa: F811
    return ((a[:, None, :] - b[None, :, :]) ** 2).mean(axis=-1)


@held(c0.check_pairwise_sq_distances, ("@dtype",))
def pairwise_sq_distances(a, b):  # noqa: F811
    out = np.zeros((len(a), len(b)))  # float64 accumulator
    for i in range(len(a)):
        for j in range(len(b)):
            out[i, j] = ((a[i] - b[j]) ** 2).sum()
    return out


@held(c0.check_pairwise_sq_distances, None)
def pairwise_sq_distances(a, b):  # noqa: F811
    return np.einsum("ijk,ijk->ij", a[:, None] - b[None], a[:, None] - b[None])


# ----- 00.3 one_hot -----------------------------------------------------------------------------------------
@held(c0.check_one_hot, "@in_place")
def one_hot(labels, num_classes):
    out = np.zeros((len(labels), num_classes), np.float32)
    out[np.arange(len(labels)), labels] = 1.0
    labels[:] = 0  # "clean up"
    return out


@held(c0.check_one_hot, ("@kind", "@tensor_for_array"))
def one_hot(labels, num_classes):  # noqa: F811
    return [[1.0 if j == label else 0.0 for j in range(num_classes)] for label in labels]


@held(c0.check_one_hot, ("@order", "@positions"))
def one_hot(labels, num_classes):  # noqa: F811
    out = np.zeros((len(labels), num_classes), np.float32)
    out[np.arange(len(labels)), num_classes - 1 - labels] = 1.0  # counted the classes from the end
    return out


@held(c0.check_one_hot, None)
def one_hot(labels, num_classes):  # noqa: F811
    return np.eye(num_classes, dtype=np.float32)[labels]


# ----- 01.1 broadcast_shape ---------------------------------------------------------------------------------
@held(c1.check_broadcast_shape, "@none")
def broadcast_shape(shape_a, shape_b):
    n = max(len(shape_a), len(shape_b))
    a = (1,) * (n - len(shape_a)) + tuple(shape_a)
    b = (1,) * (n - len(shape_b)) + tuple(shape_b)
    result = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            raise ValueError(f"shapes {tuple(shape_a)} and {tuple(shape_b)} do not broadcast")
        result.append(max(x, y) if 0 not in (x, y) else 0)
    tuple(result)  # forgot the return


@held(c1.check_broadcast_shape, ("@tuple_order", "@order", "aligned on the left"))
def broadcast_shape(shape_a, shape_b):  # noqa: F811
    a, b = tuple(reversed(shape_a)), tuple(reversed(shape_b))
    out = []
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else 1
        y = b[i] if i < len(b) else 1
        if x != y and x != 1 and y != 1:
            raise ValueError(f"shapes {tuple(shape_a)} and {tuple(shape_b)} do not broadcast")
        out.append(y if x == 1 else x)
    return tuple(out)  # forgot to reverse back


@held(c1.check_broadcast_shape, None)
def broadcast_shape(shape_a, shape_b):  # noqa: F811
    try:
        return np.broadcast(np.empty(shape_a), np.empty(shape_b)).shape
    except ValueError:
        raise ValueError(f"shapes {tuple(shape_a)} and {tuple(shape_b)} do not broadcast") from None


# ----- 01.2 sum_to_shape --------------------------------------------------------------------------------------
@held(c1.check_sum_to_shape, "@in_place")
def sum_to_shape(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for i, size in enumerate(shape):
        if size == 1 and grad.shape[i] != 1:
            total = grad.sum(axis=i, keepdims=True)
            grad[...] = 0  # "free" the old gradient
            grad = total
    return grad


@held(c1.check_sum_to_shape, ("@dtype", "changed the dtype"))
def sum_to_shape(grad, shape):  # noqa: F811
    out = np.zeros(shape)
    lead = grad.ndim - len(shape)
    g = grad.sum(axis=tuple(range(lead))) if lead else grad
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    return out + (g.sum(axis=axes, keepdims=True) if axes else g)


@held(c1.check_sum_to_shape, None)
def sum_to_shape(grad, shape):  # noqa: F811
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


# ----- 01.3 matmul_checked ------------------------------------------------------------------------------------
@held(c1.check_matmul_checked, ("@transposed", "compares the wrong sizes"))
def matmul_checked(a, b):
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"matmul_checked: {a.shape} @ {b.shape}: inner sizes differ")
    return (b.T @ a.T)  # (a b)^T by mistake


@held(c1.check_matmul_checked, ("@should_raise", "accepts non-matrices"))
def matmul_checked(a, b):  # noqa: F811
    if a.shape[-1] != b.shape[0]:
        raise ValueError(f"matmul_checked: {a.shape} @ {b.shape}: inner sizes {a.shape[-1]} and {b.shape[0]} differ")
    return a @ b


@held(c1.check_matmul_checked, None)
def matmul_checked(a, b):  # noqa: F811
    (n, k), (k2, _) = (a.shape if a.ndim == 2 else (None, None)), (b.shape if b.ndim == 2 else (None, None))
    if None in (n, k2) or k != k2:
        raise ValueError(f"matmul_checked: {a.shape} @ {b.shape} cannot be multiplied")
    return ops.matmul(a, b)


# ----- 01.4 standardize -----------------------------------------------------------------------------------------
@held(c1.check_standardize, ("@factor", "no eps"))
def standardize(x, axis=0):
    centered = x - x.mean(axis=axis, keep_dims=True)
    variance = (centered * centered).mean(axis=axis, keep_dims=True)
    return centered / (variance + 1e-5)  # forgot the square root


@held(c1.check_standardize, ("@sign",))
def standardize(x, axis=0):  # noqa: F811
    centered = x.mean(axis=axis, keep_dims=True) - x
    return centered / ops.sqrt((centered * centered).mean(axis=axis, keep_dims=True) + 1e-5)


@held(c1.check_standardize, None)
def standardize(x, axis=0):  # noqa: F811
    mean = ops.mean(x, axis, True)
    std = ops.sqrt(ops.mean(ops.square(x - mean), axis, True) + 1e-5)
    return (x - mean) / std


# ----- 02.1 Dense ----------------------------------------------------------------------------------------------
class _DenseBase(nn.Cell):
    def __init__(self, in_channels, out_channels, weight_init=None, bias_init=None, has_bias=True):
        super().__init__()
        self.in_channels, self.out_channels, self.has_bias = in_channels, out_channels, has_bias
        self.weight = Parameter(initializer(HeUniform(math.sqrt(5)) if weight_init is None else weight_init,
                                            (out_channels, in_channels)), name="weight")
        self.bias = None
        if has_bias:
            self.bias = Parameter(initializer(Uniform(1 / math.sqrt(in_channels)) if bias_init is None else bias_init,
                                              (out_channels,)), name="bias")


@held(c2.check_Dense, ("@sign", "@offset", "@positions"))
class Dense(_DenseBase):
    def construct(self, x):
        out = ops.matmul(x, self.weight.T)
        return out - self.bias if self.bias is not None else out  # minus


@held(c2.check_Dense, ("@factor", "@shape"))
class Dense(_DenseBase):  # noqa: F811
    def construct(self, x):
        out = ops.matmul(x, self.weight.T) + (self.bias if self.bias is not None else 0)
        return out / self.in_channels  # "normalized" by the fan-in


@held(c2.check_Dense, ("default initializers", "bound from out_channels"))
class Dense(_DenseBase):  # noqa: F811
    def __init__(self, in_channels, out_channels, weight_init=None, bias_init=None, has_bias=True):
        super().__init__(in_channels, out_channels, weight_init if weight_init is not None else Uniform(0.05),
                         bias_init if bias_init is not None else "zeros", has_bias)

    def construct(self, x):
        out = ops.matmul(x, self.weight.T)
        return out + self.bias if self.bias is not None else out


@held(c2.check_Dense, None)
class Dense(_DenseBase):  # noqa: F811
    def construct(self, x):
        out = (x[:, None, :] * self.weight[None, :, :]).sum(axis=2)
        return out if self.bias is None else out + self.bias.reshape(1, -1)


# ----- 02.2 parameters_and_names -------------------------------------------------------------------------------
@held(c2.check_parameters_and_names, ("@kind", "@list_for_tuple", "@none", "@returned"))
def parameters_and_names(cell, name_prefix=""):
    seen = set()

    def walk(c, prefix):  # a generator, never turned into a list
        for name, p in c._params.items():
            if id(p) not in seen:
                seen.add(id(p))
                yield (f"{prefix}.{name}" if prefix else name), p
        for child_name, child in c._cells.items():
            yield from walk(child, f"{prefix}.{child_name}" if prefix else child_name)

    found = walk(cell, name_prefix)
    return None if found is None else ", ".join(n for n, _ in found)


@held(c2.check_parameters_and_names, ("children first",))
def parameters_and_names(cell, name_prefix=""):  # noqa: F811
    out, seen = [], set()

    def visit(c, prefix):
        for child_name, child in c._cells.items():
            visit(child, f"{prefix}.{child_name}" if prefix else child_name)
        for name, p in c._params.items():
            if id(p) not in seen:
                seen.add(id(p))
                out.append((f"{prefix}.{name}" if prefix else name, p))

    visit(cell, name_prefix)
    return out


@held(c2.check_parameters_and_names, None)
def parameters_and_names(cell, name_prefix=""):  # noqa: F811
    out, seen, stack = [], set(), [(name_prefix, cell)]
    while stack:
        prefix, c = stack.pop()
        for name, p in c._params.items():
            if id(p) not in seen:
                seen.add(id(p))
                out.append((f"{prefix}.{name}" if prefix else name, p))
        children = [(f"{prefix}.{n}" if prefix else n, ch) for n, ch in c._cells.items()]
        stack.extend(reversed(children))
    return out


# ----- 02.3 count_parameters -----------------------------------------------------------------------------------
@held(c2.check_count_parameters, ("@tuple_order", "frozen parameters counted as trainable", "@offset"))
def count_parameters(cell):
    params = list(cell.get_parameters())
    trainable = sum(p.size for p in params if p.name not in ("scale",))  # frozen = "the one called scale"
    return trainable, sum(p.size for p in params)


@held(c2.check_count_parameters, ("@kind", "not a tuple", "@returned"))
def count_parameters(cell):  # noqa: F811
    params = list(cell.get_parameters())
    return {"trainable": sum(p.size for p in params if p.requires_grad), "total": sum(p.size for p in params)}


@held(c2.check_count_parameters, ("@kind", "counted Parameters, not numbers", "@tuple_length", "not a tuple"))
def count_parameters(cell):  # noqa: F811
    params = list(cell.get_parameters())
    return sum(p.size for p in params if p.requires_grad)  # only the first number


@held(c2.check_count_parameters, None)
def count_parameters(cell):  # noqa: F811
    sizes = {id(p): (int(np.prod(p.shape)), p.requires_grad) for p in cell.get_parameters()}
    return sum(n for n, t in sizes.values() if t), sum(n for n, _ in sizes.values())


# ----- 02.4 Sequential -----------------------------------------------------------------------------------------
@held(c2.check_Sequential, ("cells kept in a plain list", "not chained", "@kind"))
class Sequential(nn.Cell):
    def __init__(self, cells):
        super().__init__()
        for i, cell in enumerate(cells):
            setattr(self, str(i), cell)

    def construct(self, x):
        return [cell(x) for cell in self._cells.values()][-1]  # each cell sees the input, not the previous output


@held(c2.check_Sequential, ("counted from 1", "@order"))
class Sequential(nn.Cell):  # noqa: F811
    def __init__(self, cells):
        super().__init__()
        for i, cell in enumerate(reversed(cells)):
            setattr(self, str(len(cells) - 1 - i), cell)  # registered in reverse order

    def construct(self, x):
        for cell in self._cells.values():
            x = cell(x)
        return x


@held(c2.check_Sequential, None)
class Sequential(nn.Cell):  # noqa: F811
    def __init__(self, cells):
        super().__init__()
        self.count = len(cells)
        for i, cell in zip(range(len(cells)), cells):
            self.__setattr__(f"{i}", cell)

    def construct(self, x):
        for i in range(self.count):
            x = getattr(self, str(i))(x)
        return x


# ----- 03.1 mse_loss -------------------------------------------------------------------------------------------
@held(c3.check_mse_loss, ("@factor", "@offset"))
def mse_loss(logits, labels, reduction="mean"):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(reduction)
    sq = (logits - labels) ** 2 / 2  # the 1/2 of some textbooks
    return {"mean": ops.mean, "sum": ops.sum}.get(reduction, lambda t: t)(sq)


@held(c3.check_mse_loss, ("@shape", "@extra_axis", "mean over one axis"))
def mse_loss(logits, labels, reduction="mean"):  # noqa: F811
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(reduction)
    sq = ops.square(logits - labels)
    if reduction == "mean":
        return sq.mean(axis=0, keep_dims=True).mean(axis=-1, keep_dims=True)
    return sq.sum() if reduction == "sum" else sq


@held(c3.check_mse_loss, ("no error for an unknown reduction", "@should_raise"))
def mse_loss(logits, labels, reduction="mean"):  # noqa: F811
    sq = ops.square(logits - labels)
    if reduction == "sum":
        return ops.sum(sq)
    if reduction == "none":
        return sq
    return ops.mean(sq)  # anything else counts as 'mean'


@held(c3.check_mse_loss, None)
def mse_loss(logits, labels, reduction="mean"):  # noqa: F811
    if reduction == "none":
        return (logits - labels) * (logits - labels)
    if reduction == "sum":
        return ((logits - labels) * (logits - labels)).sum()
    if reduction == "mean":
        return ((logits - labels) * (logits - labels)).mean()
    raise ValueError(f"mse_loss: unknown reduction {reduction!r}")


# ----- 03.2 log_softmax ----------------------------------------------------------------------------------------
@held(c3.check_log_softmax, ("@offset", "@positions", "maximum subtracted but not accounted for"))
def log_softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))  # m added back in the wrong place


@held(c3.check_log_softmax, ("@sign",))
def log_softmax(x, axis=-1):  # noqa: F811
    z = x - x.max(axis=axis, keepdims=True)
    return np.log(np.exp(z).sum(axis=axis, keepdims=True)) - z


@held(c3.check_log_softmax, ("@dtype", "changed the dtype"))
def log_softmax(x, axis=-1):  # noqa: F811
    z = x.astype(np.float64) - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


@held(c3.check_log_softmax, None)
def log_softmax(x, axis=-1):  # noqa: F811
    m = np.max(x, axis=axis, keepdims=True)
    return x - (m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)))


# ----- 03.3 cross_entropy --------------------------------------------------------------------------------------
def _ce_parts(logits, labels, ignore_index):
    log_probs = ops.log_softmax(logits, -1)
    y = labels.asnumpy()
    kept = y != ignore_index
    one_hot = (np.arange(logits.shape[1]) == np.where(kept, y, 0)[:, None]) & kept[:, None]
    return log_probs, kept, one_hot


@held(c3.check_cross_entropy, ("@sign",))
def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):
    log_probs, kept, one_hot = _ce_parts(logits, labels, ignore_index)
    nll = (log_probs * Tensor(one_hot.astype(np.float32))).sum()  # forgot the minus
    uniform = (log_probs * Tensor(kept[:, None].astype(np.float32))).sum() / logits.shape[1]
    return (nll * (1 - label_smoothing) + uniform * label_smoothing) / float(kept.sum())


@held(c3.check_cross_entropy, ("label smoothing over the other classes", "@factor", "label smoothing without (1 - ls)"))
def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):  # noqa: F811
    log_probs, kept, one_hot = _ce_parts(logits, labels, ignore_index)
    c = logits.shape[1]
    target = one_hot * (1 - label_smoothing) + label_smoothing / (c - 1) * (~one_hot) * kept[:, None]
    return -(log_probs * Tensor(target.astype(np.float32))).sum() / float(kept.sum())


@held(c3.check_cross_entropy, ("@dtype", "dtype changed"))
def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):  # noqa: F811
    log_probs, kept, one_hot = _ce_parts(logits, labels, ignore_index)
    c = logits.shape[1]
    target = one_hot * (1 - label_smoothing) + label_smoothing / c * kept[:, None]  # float64
    return -(log_probs * Tensor(target)).sum() / float(kept.sum())


@held(c3.check_cross_entropy, None)
def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):  # noqa: F811
    log_probs, kept, one_hot = _ce_parts(logits, labels, ignore_index)
    c = logits.shape[1]
    target = (one_hot * (1 - label_smoothing) + kept[:, None] * (label_smoothing / c)).astype(np.float32)
    return ops.sum(-log_probs * Tensor(target)) / float(np.count_nonzero(kept))


# ----- 03.4 bce_with_logits ------------------------------------------------------------------------------------
@held(c3.check_bce_with_logits, ("@sign", "sign of x * y"))
def bce_with_logits(logits, labels):
    return -ops.mean(ops.relu(logits) - logits * labels + ops.log1p(ops.exp(-ops.abs(logits))))


@held(c3.check_bce_with_logits, ("@offset", "max(x, 0) missing"))
def bce_with_logits(logits, labels):  # noqa: F811
    return ops.mean(ops.relu(logits) - logits * labels + ops.log1p(ops.exp(-logits * 0)))  # log 2 everywhere


@held(c3.check_bce_with_logits, ("@kind", "@array_for_tensor", "not a Tensor"))
def bce_with_logits(logits, labels):  # noqa: F811
    x, y = logits.asnumpy(), labels.asnumpy()
    return float(np.mean(np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))))


@held(c3.check_bce_with_logits, None)
def bce_with_logits(logits, labels):  # noqa: F811
    return ops.mean(ops.maximum(logits, 0) - logits * labels + ops.log(1 + ops.exp(-ops.abs(logits))))
