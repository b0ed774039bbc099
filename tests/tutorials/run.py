"""Run one tutorial script on MindSpore or on tinyspore and save what it records as JSON.

    python tests/tutorials/run.py --engine tinyspore beginner_autograd.py out.json
    /work/ms-venv/bin/python tests/tutorials/run.py --engine mindspore beginner_autograd.py out.json

The script runs in a fresh temporary folder that holds a small MNIST in the tutorials' layout
(MNIST_Data/train with only the train files, MNIST_Data/test with only the t10k files), made here from
a fixed random generator instead of downloaded. With `--engine tinyspore`, the only change to the
script is the import: `tinyspore.compat.alias_as_mindspore()` runs first, so `import mindspore` means
tinyspore.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import runpy
import sys
import tempfile

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent


def _write_idx(path: pathlib.Path, array: np.ndarray) -> None:
    """An IDX file (MNIST's format): 00 00 08 <ndim>, big-endian uint32 sizes, then uint8 data."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    path.write_bytes(header + array.tobytes())


def make_mnist(folder: pathlib.Path, n_train: int = 192, n_test: int = 64) -> None:
    """A learnable stand-in for MNIST: digit k is a bright 7x7 block at a place of its own, plus noise."""
    rng = np.random.default_rng(2024)

    def images_and_labels(n: int) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.integers(0, 10, n)
        images = rng.integers(0, 60, (n, 28, 28))
        for i, k in enumerate(labels):
            row, col = divmod(int(k), 4)
            images[i, 2 + 7 * row: 9 + 7 * row, 2 + 6 * col: 9 + 6 * col] += 180
        return images.clip(0, 255), labels

    train, test = folder / "MNIST_Data" / "train", folder / "MNIST_Data" / "test"
    train.mkdir(parents=True)
    test.mkdir(parents=True)
    images, labels = images_and_labels(n_train)
    _write_idx(train / "train-images-idx3-ubyte", images)
    _write_idx(train / "train-labels-idx1-ubyte", labels)
    images, labels = images_and_labels(n_test)
    _write_idx(test / "t10k-images-idx3-ubyte", images)
    _write_idx(test / "t10k-labels-idx1-ubyte", labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["mindspore", "tinyspore"], required=True)
    parser.add_argument("script")
    parser.add_argument("output")
    args = parser.parse_args()
    script = (HERE / args.script).resolve()
    output = pathlib.Path(args.output).resolve()
    if args.engine == "tinyspore":
        sys.path.insert(0, str(REPO / "solutions"))
        import tinyspore.compat

        tinyspore.compat.alias_as_mindspore()
    sys.path.insert(0, str(HERE))
    import tutorial_record

    with tempfile.TemporaryDirectory() as tmp:
        make_mnist(pathlib.Path(tmp))
        os.chdir(tmp)
        runpy.run_path(str(script), run_name="__main__")
    output.write_text(json.dumps(tutorial_record.RECORDS, indent=1))


if __name__ == "__main__":
    main()
