"""Central-difference gradients, the yardstick every backward rule is measured against."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

import tinyspore as ms
from tinyspore import Tensor


def numeric_grads(fn: Callable[..., Tensor], arrays: Sequence[np.ndarray], eps: float = 1e-6) -> list[np.ndarray]:
    """d sum(fn(*arrays) * w) / d arrays, by central differences, for a fixed random weighting w.

    The weighting makes a non-scalar output a scalar without hiding errors that a plain sum would
    cancel (for example a transposed gradient of a symmetric sum).
    """
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    out = fn(*[Tensor(a) for a in arrays]).asnumpy()
    weights = np.random.default_rng(123).normal(size=out.shape)

    def scalar(values: list[np.ndarray]) -> float:
        return float((fn(*[Tensor(v) for v in values]).asnumpy() * weights).sum())

    grads = []
    for i, a in enumerate(arrays):
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            plus = [v.copy() for v in arrays]
            minus = [v.copy() for v in arrays]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            g[idx] = (scalar(plus) - scalar(minus)) / (2 * eps)
        grads.append(g)
    return grads


def analytic_grads(fn: Callable[..., Tensor], arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The same weighted gradient, from tinyspore's autodiff."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    out = fn(*[Tensor(a) for a in arrays]).asnumpy()
    weights = Tensor(np.random.default_rng(123).normal(size=out.shape))
    positions = tuple(range(len(arrays)))
    grads = ms.grad(lambda *xs: (fn(*xs) * weights).sum(), grad_position=positions)(*[Tensor(a) for a in arrays])
    grads = grads if isinstance(grads, tuple) else (grads,)
    return [g.asnumpy() for g in grads]


def assert_gradients_match(fn: Callable[..., Tensor], *arrays: np.ndarray, rtol: float = 1e-5,
                           atol: float = 1e-7) -> None:
    """Autodiff and central differences agree, input by input (float64)."""
    numeric = numeric_grads(fn, arrays)
    analytic = analytic_grads(fn, arrays)
    for i, (n, a) in enumerate(zip(numeric, analytic)):
        assert a.shape == n.shape, f"input {i}: gradient shape {a.shape}, expected {n.shape}"
        np.testing.assert_allclose(a, n, rtol=rtol, atol=atol, err_msg=f"gradient of input {i}")
