"""Run MindSpore tutorial code unchanged: make `import mindspore` (and its submodules) mean tinyspore.

    import tinyspore.compat
    tinyspore.compat.alias_as_mindspore()
    import mindspore                      # now tinyspore
    from mindspore import nn, ops, Tensor

Only the subset of MindSpore that tinyspore implements is there; anything else raises AttributeError
or ImportError naming what is missing.
"""

from __future__ import annotations

import importlib
import sys

# mindspore's module path -> tinyspore's
_MODULES = {
    "mindspore": "tinyspore",
    "mindspore.nn": "tinyspore.nn",
    "mindspore.ops": "tinyspore.ops",
    "mindspore.dataset": "tinyspore.dataset",
    "mindspore.dataset.vision": "tinyspore.dataset.vision",
    "mindspore.dataset.transforms": "tinyspore.dataset.transforms",
    "mindspore.dataset.config": "tinyspore.dataset.config",
    "mindspore.dataset.text": "tinyspore.dataset.text",
    "mindspore.mindrecord": "tinyspore.mindrecord",
    "mindspore.train": "tinyspore.train",
    "mindspore.train.callback": "tinyspore.train.callback",
    "mindspore.train.metrics": "tinyspore.train.metrics",
    "mindspore.train.serialization": "tinyspore.train.serialization",
    "mindspore.common": "tinyspore.common",
    "mindspore.common.initializer": "tinyspore.common.initializer",
    "mindspore.common.dtype": "tinyspore.dtype",
    "mindspore.context": "tinyspore.context",
}


def alias_as_mindspore() -> None:
    """Register tinyspore's modules under MindSpore's names in `sys.modules`."""
    for ms_name, ts_name in _MODULES.items():
        sys.modules[ms_name] = importlib.import_module(ts_name)
