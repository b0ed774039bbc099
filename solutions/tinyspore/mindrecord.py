"""`mindspore.mindrecord` is not in tinyspore: its names are here only to say so clearly.

MindRecord is MindSpore's own binary file format for large datasets (`FileWriter` writes it,
`dataset.MindDataset` reads it). A NumPy engine that reads its data from arrays, generators and MNIST
files has no use for a second file format, and copying MindSpore's would teach nothing about training.
Use `NumpySlicesDataset` or `GeneratorDataset` (and `np.save`/`np.load` for files) instead.
"""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = ["FileWriter", "FileReader", "MindDataset"]

_WHY = ("is MindSpore's MindRecord file format, which tinyspore does not implement; keep the data in NumPy "
        "arrays (np.save/np.load) and read it with NumpySlicesDataset or GeneratorDataset")


class _NotInTinySpore:
    def __init__(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise NotImplementedError(f"{type(self).__name__} {_WHY}")


class FileWriter(_NotInTinySpore):
    """Not implemented: MindRecord writing (see the module docstring)."""


class FileReader(_NotInTinySpore):
    """Not implemented: MindRecord reading (see the module docstring)."""


class MindDataset(_NotInTinySpore):
    """Not implemented: a dataset over MindRecord files (see the module docstring)."""
