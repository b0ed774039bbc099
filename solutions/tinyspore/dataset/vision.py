"""`tinyspore.dataset.vision`: image operations for `Dataset.map` (MindSpore's names and formulas).

    image_ops = [vision.Rescale(1.0 / 255.0, 0), vision.Normalize(mean=(0.1307,), std=(0.3081,)),
                 vision.HWC2CHW()]
    ds = ds.map(image_ops, input_columns="image")

Images are ndarrays in HWC layout (height, width, channels), as `MnistDataset` gives them; `HWC2CHW`
turns them into the CHW layout that `nn.Conv2d` expects after batching (NCHW).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["Rescale", "Normalize", "HWC2CHW", "ToTensor"]


class Rescale:
    """`image * rescale + shift`, as float32 (e.g. Rescale(1/255, 0) maps 0..255 to 0..1)."""

    def __init__(self, rescale: float, shift: float) -> None:
        self.rescale = rescale
        self.shift = shift

    def __call__(self, image: Any) -> np.ndarray:
        return (np.asarray(image, dtype=np.float32) * np.float32(self.rescale) + np.float32(self.shift)).astype(
            np.float32)


class Normalize:
    """`(image - mean) / std` per channel, as float32. Channels last unless `is_hwc=False`."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], is_hwc: bool = True) -> None:
        if len(mean) != len(std):
            raise ValueError(f"Normalize: mean has {len(mean)} values but std has {len(std)}; give one per channel")
        if any(s <= 0 for s in std):
            raise ValueError(f"Normalize: std must be positive, got {tuple(std)}")
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)
        self.is_hwc = is_hwc

    def __call__(self, image: Any) -> np.ndarray:
        image = np.asarray(image, dtype=np.float32)
        channels = image.shape[-1] if self.is_hwc else image.shape[-3]
        if len(self.mean) not in (1, channels):
            raise ValueError(f"Normalize: {len(self.mean)} means for an image with {channels} channels "
                             f"(shape {image.shape}, is_hwc={self.is_hwc})")
        shape = (-1,) if self.is_hwc else (-1, 1, 1)
        return ((image - self.mean.reshape(shape)) / self.std.reshape(shape)).astype(np.float32)


class HWC2CHW:
    """(height, width, channels) -> (channels, height, width)."""

    def __call__(self, image: Any) -> np.ndarray:
        image = np.asarray(image)
        if image.ndim == 2:
            image = image[..., None]
        if image.ndim != 3:
            raise ValueError(f"HWC2CHW: expected an image of shape (H, W, C), got {image.shape}")
        return np.ascontiguousarray(image.transpose(2, 0, 1))


class ToTensor:
    """An HWC uint8 image -> a CHW float32 image in [0, 1] (MindSpore's vision.ToTensor)."""

    def __call__(self, image: Any) -> np.ndarray:
        return HWC2CHW()(np.asarray(image, dtype=np.float32) / np.float32(255.0))
