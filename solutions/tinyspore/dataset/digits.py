"""scikit-learn's handwritten digits: 1,797 images of 8x8 pixels, shipped inside scikit-learn, so the
course trains on real images without a download.

    images, labels = load_digits()                      # (1797, 8, 8) float32 in [0, 1], (1797,) int32
    (x_train, y_train), (x_test, y_test) = split_train_test(images, labels, test_fraction=0.2, seed=0)
    train_ds = digits_dataset(x_train, y_train, batch_size=32)
"""

from __future__ import annotations

import numpy as np

from .datasets import Dataset, NumpySlicesDataset


def load_digits(flatten: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 digit images and their labels.

    Returns:
        images: float32, shape (1797, 8, 8) (or (1797, 64) with `flatten=True`), scaled from the
            original 0..16 gray levels to [0, 1].
        labels: int32, shape (1797,), the digit 0..9 each image shows.
    """
    try:
        from sklearn.datasets import load_digits as sklearn_load_digits
    except ImportError as e:  # scikit-learn is a course dependency, not an engine one
        raise ImportError("load_digits needs scikit-learn: pip install scikit-learn") from e
    bunch = sklearn_load_digits()
    images = (bunch.images / 16.0).astype(np.float32)
    labels = bunch.target.astype(np.int32)
    return (images.reshape(len(images), -1) if flatten else images), labels


def split_train_test(images: np.ndarray, labels: np.ndarray, test_fraction: float = 0.2,
                     seed: int = 0) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """A fixed random split: ((train_images, train_labels), (test_images, test_labels)).

    The split depends only on `seed` (not on `tinyspore.set_seed`), so every learner and every test gets
    the same test set. `round(test_fraction * n)` samples go to the test set.
    """
    images, labels = np.asarray(images), np.asarray(labels)
    if len(images) != len(labels):
        raise ValueError(f"split_train_test: {len(images)} images but {len(labels)} labels")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"split_train_test: test_fraction must be between 0 and 1, got {test_fraction}")
    order = np.random.default_rng(seed).permutation(len(images))
    n_test = int(round(test_fraction * len(images)))
    test, train = order[:n_test], order[n_test:]
    return (images[train], labels[train]), (images[test], labels[test])


def digits_dataset(images: np.ndarray, labels: np.ndarray, batch_size: int = 32, shuffle: bool = True,
                   drop_remainder: bool = False) -> Dataset:
    """A ready `NumpySlicesDataset` with columns ['image', 'label'], batched."""
    ds = NumpySlicesDataset({"image": images, "label": labels}, shuffle=shuffle)
    return ds.batch(batch_size, drop_remainder=drop_remainder)
