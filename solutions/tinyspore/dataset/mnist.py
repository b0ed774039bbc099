"""MNIST from its standard IDX files, as `mindspore.dataset.MnistDataset` reads them.

An IDX file is a tiny header followed by raw bytes:

    bytes 0-1  zero            byte 2  element type (0x08 = uint8)    byte 3  number of dimensions n
    then n big-endian uint32 sizes, then the elements in C order.

`train-images-idx3-ubyte` holds (60000, 28, 28) uint8 pixels, `train-labels-idx1-ubyte` (60000,) digits;
the test files start with `t10k-`. The reader checks every header against the file size, so a truncated
or corrupt download fails at once with the file's name instead of deep inside training.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..common.unsupported import refuse_unsupported as _not_implemented
from .datasets import NumpySlicesDataset

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
              0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}

_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def read_idx(path: str) -> np.ndarray:
    """The array stored in one IDX file; ValueError naming the file if it is corrupt or truncated."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"{path}: not an IDX file (it should start with bytes 00 00 <type> <ndim>, "
                         f"got {raw[:4].hex(' ') or 'an empty file'})")
    dtype, ndim = np.dtype(_IDX_TYPES[raw[2]]), raw[3]
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise ValueError(f"{path}: truncated header ({len(raw)} bytes, the header needs {header_size})")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = header_size + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "has extra bytes"
        raise ValueError(f"{path}: {what}: the header says shape {shape} of {dtype.name}, which needs "
                         f"{expected} bytes, but the file has {len(raw)}")
    data = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def _read_split(dataset_dir: str, usage: str) -> tuple[np.ndarray, np.ndarray]:
    images_name, labels_name = _FILES[usage]
    paths = [os.path.join(dataset_dir, name) for name in (images_name, labels_name)]
    for path in paths:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"MnistDataset: {path} not found; usage='{usage}' needs the files "
                                    f"{images_name} and {labels_name} in {dataset_dir}")
    images, labels = read_idx(paths[0]), read_idx(paths[1])
    if images.ndim != 3:
        raise ValueError(f"MnistDataset: {paths[0]}: expected images of shape (n, rows, cols), got {images.shape}")
    if labels.ndim != 1:
        raise ValueError(f"MnistDataset: {paths[1]}: expected labels of shape (n,), got {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(f"MnistDataset: {paths[0]} has {len(images)} images but {paths[1]} has "
                         f"{len(labels)} labels")
    return images, labels


class MnistDataset(NumpySlicesDataset):
    """MNIST images and labels read from the IDX files in `dataset_dir` (no download).

    Columns: `image`, uint8 of shape (28, 28, 1) (height, width, channel, as MindSpore gives it), and
    `label`, a scalar uint32, as in MindSpore (the losses want int32: map `transforms.TypeCast(int32)`).

    Args:
        dataset_dir: the folder with the IDX files: train-images-idx3-ubyte and train-labels-idx1-ubyte,
            and/or t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte.
        usage: 'train' (60,000), 'test' (10,000) or 'all'; None means 'all', which reads the splits whose
            files are in the folder (test before train, as MindSpore orders them): a folder with only the
            train files, like the tutorials' MNIST_Data/train, gives the training set.
        num_samples: use only this many samples per epoch.
        shuffle: None or True shuffles every epoch (MindSpore's default); False keeps the file order.
    """

    def __init__(self, dataset_dir: str, usage: str | None = None, num_samples: int | None = None,
                 num_parallel_workers: int | None = None, shuffle: bool | None = None, sampler: Any = None,
                 num_shards: int | None = None, shard_id: int | None = None, cache: Any = None) -> None:
        _not_implemented("MnistDataset", sampler=sampler, num_shards=num_shards, shard_id=shard_id, cache=cache)
        usage = "all" if usage is None else usage
        if usage not in ("train", "test", "all"):
            raise ValueError(f"MnistDataset: usage must be 'train', 'test' or 'all', got {usage!r}")
        if not os.path.isdir(dataset_dir):
            raise FileNotFoundError(f"MnistDataset: the folder {dataset_dir} does not exist")
        splits = [usage]
        if usage == "all":
            splits = [split for split in ("test", "train") if any(
                os.path.isfile(os.path.join(dataset_dir, name)) for name in _FILES[split])]
            if not splits:
                names = [name for split in ("train", "test") for name in _FILES[split]]
                raise FileNotFoundError(f"MnistDataset: no MNIST files in {dataset_dir}; expected {names[0]} and "
                                        f"{names[1]} (train) and/or {names[2]} and {names[3]} (test)")
        parts = [_read_split(dataset_dir, split) for split in splits]
        images = np.concatenate([p[0] for p in parts])[..., None]  # (n, 28, 28, 1)
        labels = np.concatenate([p[1] for p in parts]).astype(np.uint32)
        super().__init__({"image": images, "label": labels}, num_samples=num_samples, shuffle=shuffle)
        self.dataset_dir = dataset_dir
        self.usage = usage
