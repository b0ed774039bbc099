"""`tinyspore.dataset.config`: the dataset's own seed (MindSpore's `mindspore.dataset.config`).

Shuffling normally draws from the engine's generator, so `tinyspore.set_seed(s)` makes it reproducible.
`ds.config.set_seed(s)` gives the datasets a seed of their own instead, until the next
`tinyspore.set_seed`, which (as in MindSpore) sets the seed of everything again.
"""

from __future__ import annotations

import numpy as np

from ..common.seed import numpy_generator

__all__ = ["set_seed", "get_seed"]

_seed: int | None = None
_generator: np.random.Generator | None = None
_engine_generator_then: np.random.Generator | None = None  # which engine generator was current at set_seed


def set_seed(seed: int) -> None:
    """Seed the shuffling of datasets built from now on."""
    global _seed, _generator, _engine_generator_then
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"dataset.config.set_seed: seed must be a non-negative int, got {seed!r}")
    _seed = int(seed)
    _generator = np.random.default_rng(_seed)
    _engine_generator_then = numpy_generator()


def get_seed() -> int | None:
    return _seed


def dataset_generator() -> np.random.Generator:
    """Where shuffling stages draw their seeds: the dataset seed's generator, unless
    `tinyspore.set_seed` has been called since (it replaces the engine's generator)."""
    if _generator is not None and numpy_generator() is _engine_generator_then:
        return _generator
    return numpy_generator()
