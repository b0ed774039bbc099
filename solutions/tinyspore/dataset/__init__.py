"""`tinyspore.dataset`: data pipelines in MindSpore's names.

    import tinyspore.dataset as ds
    train = ds.NumpySlicesDataset({"data": x, "label": y}, shuffle=True).batch(32)
    for data, label in train: ...

Modules: `datasets` (the pipeline: sources, batch, shuffle, map, repeat, take, iterators), `mnist` (the
IDX-file reader), `digits` (scikit-learn's 8x8 digits, no download), `transforms` and `vision` (operations
for `.map`: TypeCast, Rescale, Normalize, HWC2CHW, ...).
"""

from ..mindrecord import MindDataset  # not implemented: says why
from . import config, text, transforms, vision
from .datasets import (
    BatchDataset,
    Dataset,
    DictIterator,
    GeneratorDataset,
    MapDataset,
    NumpySlicesDataset,
    ProjectDataset,
    RenameDataset,
    RepeatDataset,
    ShuffleDataset,
    TakeDataset,
    TupleIterator,
)
from .digits import digits_dataset, load_digits, split_train_test
from .mnist import MnistDataset, read_idx

__all__ = [
    "Dataset", "NumpySlicesDataset", "GeneratorDataset", "MnistDataset", "BatchDataset", "ShuffleDataset",
    "MapDataset", "RepeatDataset", "TakeDataset", "ProjectDataset", "RenameDataset", "TupleIterator",
    "DictIterator", "load_digits", "split_train_test", "digits_dataset", "read_idx", "transforms", "vision",
    "config", "text", "MindDataset",
]
