"""Datasets, the conveyor belt: rows of NumPy arrays flowing through a chain of operations.

A dataset is a *pipeline*: a source (`NumpySlicesDataset`, `GeneratorDataset`, `MnistDataset`) and a chain
of operations on it, each one a new Dataset that wraps its parent:

    ds = NumpySlicesDataset({"x": x, "y": y})      # a source: one row per sample
    ds = ds.map(normalize, input_columns="x")      # change a column, row by row
    ds = ds.shuffle(buffer_size=64).batch(32)      # mix the rows, then stack 32 of them into one row

Every stage is lazy: nothing happens until you iterate. One pass over the data is an *epoch*; every
epoch asks the pipeline again for its rows, so a shuffling stage gives a new order each epoch. A row is a
tuple of ndarrays, one per column; the iterators hand them out as lists of Tensors (or of ndarrays with
`output_numpy=True`), as MindSpore does.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ..common.unsupported import refuse_unsupported as _not_implemented
from ..tensor import Tensor
from .config import dataset_generator

Row = tuple  # one sample (or one batch): a tuple of ndarrays, one per column


def _as_array(value: Any) -> np.ndarray:
    """A column value as an ndarray; Tensors give their data, Python numbers keep NumPy's dtype."""
    if isinstance(value, Tensor):
        return value.asnumpy()
    return np.asarray(value)


def _check_positive_int(value: Any, name: str, op: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value}")
    return int(value)


def _child_generator() -> np.random.Generator:
    """A generator of its own for one shuffling stage, seeded from the engine's generator (or the
    dataset seed, see `config`).

    Drawn when the stage is built, so after `tinyspore.set_seed(s)` the same program sees the same
    orders, and adding dropout (which also draws from the engine) does not change the batch order.
    """
    return np.random.default_rng(int(dataset_generator().integers(2**63)))


class Dataset:
    """The base of every stage. Subclasses define `_rows()` (one epoch) and `get_dataset_size()`."""

    def __init__(self, parent: Dataset | None = None) -> None:
        self.parent = parent

    # ----- what a stage must say -----------------------------------------------------------------
    def _rows(self) -> Iterator[Row]:
        """The rows of one epoch, in order; each call starts a new epoch."""
        raise NotImplementedError

    def get_dataset_size(self) -> int:
        """How many rows (batches, after `.batch`) one epoch gives."""
        raise NotImplementedError

    def get_col_names(self) -> list[str]:
        """The column names, in row order."""
        return self.parent.get_col_names()

    def get_batch_size(self) -> int:
        """The batch size of the last `.batch` in the pipeline (1 if there is none)."""
        return self.parent.get_batch_size() if self.parent is not None else 1

    def get_repeat_count(self) -> int:
        return self.parent.get_repeat_count() if self.parent is not None else 1

    def reset(self) -> None:
        """Accepted for MindSpore compatibility: every iteration already starts a fresh epoch."""

    # ----- chaining ------------------------------------------------------------------------------
    def batch(self, batch_size: int, drop_remainder: bool = False, num_parallel_workers: int | None = None, *,
              per_batch_map: Callable | None = None, input_columns: Any = None, output_columns: Any = None,
              python_multiprocessing: bool = False, max_rowsize: Any = None) -> BatchDataset:
        """Stack `batch_size` consecutive rows into one; the last, smaller batch is kept unless
        `drop_remainder=True`. A column of shape (d,) becomes (batch_size, d); scalars become (batch_size,).
        (num_parallel_workers, python_multiprocessing and max_rowsize tune MindSpore's worker processes;
        tinyspore reads in one process, so they change nothing.)"""
        _not_implemented("batch", per_batch_map=per_batch_map, input_columns=input_columns,
                         output_columns=output_columns)
        return BatchDataset(self, batch_size, drop_remainder)

    def shuffle(self, buffer_size: int) -> ShuffleDataset:
        """Mix the rows with a buffer of `buffer_size` rows (MindSpore's buffered shuffle): a buffer as
        large as the dataset gives a uniform random order; a small one only mixes neighbours."""
        return ShuffleDataset(self, buffer_size)

    def map(self, operations: Callable | Sequence[Callable], input_columns: str | Sequence[str] | None = None,
            output_columns: str | Sequence[str] | None = None, num_parallel_workers: int | None = None, *,
            python_multiprocessing: bool = False, max_rowsize: Any = None, cache: Any = None, callbacks: Any = None,
            offload: Any = None) -> MapDataset:
        """Apply `operations` (a callable or a list of them, applied in order) to `input_columns` of every
        row; the results become `output_columns` (default: the input columns). Default input: the first
        column. The operations receive and return ndarrays. (Worker settings change nothing, as in batch.)"""
        _not_implemented("map", cache=cache, callbacks=callbacks, offload=offload)
        return MapDataset(self, operations, input_columns, output_columns)

    def repeat(self, count: int | None = None) -> RepeatDataset:
        """Chain `count` epochs of the parent into one epoch (None or -1: forever)."""
        return RepeatDataset(self, count)

    def take(self, count: int = -1) -> TakeDataset:
        """Only the first `count` rows of each epoch (-1: all)."""
        return TakeDataset(self, count)

    def skip(self, count: int) -> SkipDataset:
        """Every row of each epoch except the first `count`."""
        return SkipDataset(self, count)

    def project(self, columns: str | Sequence[str]) -> ProjectDataset:
        """Keep only `columns`, in the given order."""
        return ProjectDataset(self, columns)

    def rename(self, input_columns: str | Sequence[str], output_columns: str | Sequence[str]) -> RenameDataset:
        return RenameDataset(self, input_columns, output_columns)

    # ----- reading -------------------------------------------------------------------------------
    def create_tuple_iterator(self, columns: Sequence[str] | None = None, num_epochs: int = -1,
                              output_numpy: bool = False, do_copy: bool = True) -> TupleIterator:
        """An iterator over rows as lists (one entry per column) of Tensors, or of ndarrays with
        `output_numpy=True`. It serves `num_epochs` epochs (-1: any number); each `for` loop over it
        is one epoch."""
        return TupleIterator(self, columns, num_epochs, output_numpy)

    def create_dict_iterator(self, num_epochs: int = -1, output_numpy: bool = False,
                             do_copy: bool = True) -> DictIterator:
        """Like `create_tuple_iterator`, but each row is a dict {column name: value}."""
        return DictIterator(self, None, num_epochs, output_numpy)

    def __len__(self) -> int:
        return self.get_dataset_size()

    def __iter__(self) -> Iterator[list]:
        """`for data, label in ds:` runs one epoch (MindSpore: a tuple iterator with num_epochs=1)."""
        return iter(self.create_tuple_iterator(num_epochs=1))

    def output_shapes(self) -> list[list[int]]:
        """The shape of each column in the first row."""
        return [list(a.shape) for a in next(self._rows())]

    def output_types(self) -> list[np.dtype]:
        """The dtype of each column in the first row."""
        return [a.dtype for a in next(self._rows())]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(columns={self.get_col_names()}, size={self.get_dataset_size()})"


# ----- sources ------------------------------------------------------------------------------------
def _columns_from_data(data: Any, column_names: Sequence[str] | None) -> tuple[list[np.ndarray], list[str]]:
    """Split NumpySlicesDataset's `data` into columns: a dict by key, a tuple by position, anything
    else (an array, a list) is one column. Default names: the dict's keys, else column_0, column_1, ..."""
    if isinstance(data, dict):
        names, columns = list(data.keys()), [_as_array(v) for v in data.values()]
    elif isinstance(data, tuple):
        columns = [_as_array(v) for v in data]
        names = [f"column_{i}" for i in range(len(columns))]
    else:
        columns = [_as_array(data)]
        names = ["column_0"]
    if column_names is not None:
        column_names = [column_names] if isinstance(column_names, str) else list(column_names)
        if len(column_names) != len(columns):
            raise ValueError(f"NumpySlicesDataset: {len(column_names)} column_names {column_names} given "
                             f"for data with {len(columns)} columns")
        names = column_names
    for name, column in zip(names, columns):
        if column.ndim == 0:
            raise ValueError(f"NumpySlicesDataset: column '{name}' is a scalar; give one value per sample")
        if column.dtype.kind == "O":
            raise TypeError(f"NumpySlicesDataset: column '{name}' has rows of different shapes or non-numbers; "
                            f"every sample of a column must have the same shape")
    lengths = {name: len(column) for name, column in zip(names, columns)}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"'{n}' has {k}" for n, k in lengths.items())
        raise ValueError(f"NumpySlicesDataset: columns have different lengths ({detail}); every column "
                         f"needs one entry per sample")
    return columns, names


class _SampledSource(Dataset):
    """A source with random access to `n` samples: shuffles (a new permutation per epoch) and
    truncates to `num_samples`, as MindSpore's default sampler does."""

    def __init__(self, n: int, num_samples: int | None, shuffle: bool, op: str) -> None:
        super().__init__(None)
        self._n = n
        if num_samples is not None:
            num_samples = _check_positive_int(num_samples, "num_samples", op, minimum=0)
        self._num_samples = n if not num_samples else min(num_samples, n)  # 0 or None: all
        self._shuffle = bool(shuffle)
        self._rng = _child_generator() if self._shuffle else None

    def _order(self) -> np.ndarray:
        order = self._rng.permutation(self._n) if self._shuffle else np.arange(self._n)
        return order[: self._num_samples]

    def get_dataset_size(self) -> int:
        return self._num_samples

    def get_batch_size(self) -> int:
        return 1


class NumpySlicesDataset(_SampledSource):
    """A dataset made by slicing arrays along their first axis: sample i is `(x[i], y[i], ...)`.

    Args:
        data: a dict {name: array} (columns by key), a tuple of arrays (column_0, column_1, ...), or a
            single array or list (one column, column_0). All columns need the same length.
        column_names: names overriding the defaults, one per column.
        num_samples: use only this many samples per epoch (None: all).
        shuffle: None or True shuffles (MindSpore's default!), every epoch anew; False keeps the order.
    """

    def __init__(self, data: Any, column_names: Sequence[str] | None = None, num_samples: int | None = None,
                 num_parallel_workers: int = 1, shuffle: bool | None = None, sampler: Any = None,
                 num_shards: int | None = None, shard_id: int | None = None) -> None:
        _not_implemented(type(self).__name__, sampler=sampler, num_shards=num_shards, shard_id=shard_id)
        columns, names = _columns_from_data(data, column_names)
        super().__init__(len(columns[0]), num_samples, True if shuffle is None else shuffle,
                         "NumpySlicesDataset")
        self._columns = columns
        self._names = names

    def _rows(self) -> Iterator[Row]:
        for i in self._order():
            # np.asarray: indexing a 1-D column gives a NumPy scalar; rows hold 0-d arrays instead
            yield tuple(np.asarray(column[i]) for column in self._columns)

    def get_col_names(self) -> list[str]:
        return list(self._names)


def _row_from_item(item: Any, names: list[str], where: str) -> Row:
    """One item of a user's source as a row: a tuple/list with one value per column, or (for a single
    column) the value itself."""
    if len(names) == 1 and not isinstance(item, (tuple, list)):
        item = (item,)
    if not isinstance(item, (tuple, list)):
        raise TypeError(f"GeneratorDataset: {where} gave a {type(item).__name__}; give a tuple with one "
                        f"value per column {names}")
    if len(item) != len(names):
        raise ValueError(f"GeneratorDataset: {where} gave {len(item)} values but there are {len(names)} "
                         f"columns {names}")
    return tuple(_as_array(v) for v in item)


class GeneratorDataset(Dataset):
    """A dataset over your own Python source.

    Args:
        source: one of
            - a random-access source: an object with `__getitem__(i)` and `__len__()`; shuffled by default;
            - a generator function (called with no arguments at the start of every epoch);
            - an iterable (a list, or an object with `__iter__`; iterated anew every epoch).
            Each item is a tuple with one value per column (or just the value, for a single column).
        column_names: the names of the columns (required), a str or a list of str.
        num_samples: use only this many samples per epoch (None: all).
        shuffle: for random-access sources None means True, as in MindSpore; other sources cannot shuffle
            (use `.shuffle(buffer_size)`).
    """

    def __init__(self, source: Any, column_names: str | Sequence[str] | None = None, column_types: Any = None,
                 schema: Any = None, num_samples: int | None = None, num_parallel_workers: int = 1,
                 shuffle: bool | None = None, sampler: Any = None, num_shards: int | None = None,
                 shard_id: int | None = None, python_multiprocessing: bool = True, max_rowsize: Any = None,
                 batch_sampler: Any = None, collate_fn: Any = None) -> None:
        super().__init__(None)
        _not_implemented("GeneratorDataset", column_types=column_types, schema=schema, sampler=sampler,
                         num_shards=num_shards, shard_id=shard_id, batch_sampler=batch_sampler, collate_fn=collate_fn)
        if column_names is None:
            raise ValueError("GeneratorDataset: give column_names, e.g. column_names=['data', 'label']")
        if inspect.isgenerator(source):  # it could run only once, but every epoch needs a fresh pass
            raise TypeError("GeneratorDataset: source is a generator object, which runs only once; pass the "
                            "generator function itself, without calling it: GeneratorDataset(gen, ...)")
        self._names = [column_names] if isinstance(column_names, str) else list(column_names)
        self._source = source
        self._random_access = hasattr(source, "__getitem__") and hasattr(source, "__len__")
        if self._random_access:
            self._sampler = _SampledSource(len(source), num_samples, True if shuffle is None else shuffle,
                                           "GeneratorDataset")
        else:
            if shuffle:
                raise ValueError("GeneratorDataset: shuffle=True needs a random-access source (with __getitem__ "
                                 "and __len__); for a generator or iterable use .shuffle(buffer_size)")
            if not (callable(source) or hasattr(source, "__iter__")):
                raise TypeError(f"GeneratorDataset: source is a {type(source).__name__}; give a generator "
                                f"function, an iterable, or an object with __getitem__ and __len__")
            self._num_samples = num_samples
        self._size: int | None = None

    def _items(self) -> Iterator[Any]:
        if self._random_access:
            for i in self._sampler._order():
                yield self._source[int(i)]
            return
        items = self._source() if callable(self._source) and not hasattr(self._source, "__iter__") else self._source
        for k, item in enumerate(items):
            if self._num_samples and k >= self._num_samples:
                return
            yield item

    def _rows(self) -> Iterator[Row]:
        for k, item in enumerate(self._items()):
            yield _row_from_item(item, self._names, f"item {k} of the source")

    def get_dataset_size(self) -> int:
        if self._random_access:
            return self._sampler.get_dataset_size()
        if self._size is None:  # like MindSpore, count by running one epoch of the source
            self._size = sum(1 for _ in self._items())
        return self._size

    def get_col_names(self) -> list[str]:
        return list(self._names)

    def get_batch_size(self) -> int:
        return 1


# ----- operations ---------------------------------------------------------------------------------
def _stack_column(values: list[np.ndarray], name: str) -> np.ndarray:
    shapes = {v.shape for v in values}
    if len(shapes) > 1:
        raise ValueError(f"batch: column '{name}' has samples of different shapes {sorted(shapes)}; a batch "
                         f"stacks samples, so they must have the same shape (pad or resize them in a .map)")
    return np.stack(values)


class BatchDataset(Dataset):
    """`batch_size` consecutive rows stacked into one row (see `Dataset.batch`)."""

    def __init__(self, parent: Dataset, batch_size: int, drop_remainder: bool = False) -> None:
        super().__init__(parent)
        self.batch_size = _check_positive_int(batch_size, "batch_size", "batch")
        self.drop_remainder = bool(drop_remainder)

    def _rows(self) -> Iterator[Row]:
        names = self.get_col_names()
        pending: list[Row] = []
        for row in self.parent._rows():
            pending.append(row)
            if len(pending) == self.batch_size:
                yield self._stack(pending, names)
                pending = []
        if pending and not self.drop_remainder:
            yield self._stack(pending, names)

    @staticmethod
    def _stack(rows: list[Row], names: list[str]) -> Row:
        return tuple(_stack_column([row[c] for row in rows], names[c]) for c in range(len(names)))

    def get_dataset_size(self) -> int:
        n = self.parent.get_dataset_size()
        return n // self.batch_size if self.drop_remainder else -(-n // self.batch_size)

    def get_batch_size(self) -> int:
        return self.batch_size


class ShuffleDataset(Dataset):
    """Buffered shuffle: keep `buffer_size` rows; emit a random one and put the next row in its place."""

    def __init__(self, parent: Dataset, buffer_size: int) -> None:
        super().__init__(parent)
        self.buffer_size = _check_positive_int(buffer_size, "buffer_size", "shuffle", minimum=2)
        self._rng = _child_generator()

    def _rows(self) -> Iterator[Row]:
        buffer: list[Row] = []
        for row in self.parent._rows():
            if len(buffer) < self.buffer_size:
                buffer.append(row)
                continue
            k = int(self._rng.integers(len(buffer)))
            yield buffer[k]
            buffer[k] = row
        while buffer:  # the source is empty: drain the buffer in random order
            yield buffer.pop(int(self._rng.integers(len(buffer))))

    def get_dataset_size(self) -> int:
        return self.parent.get_dataset_size()


def _names_arg(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


class MapDataset(Dataset):
    """Rows with some columns replaced by the result of `operations` (see `Dataset.map`)."""

    def __init__(self, parent: Dataset, operations: Callable | Sequence[Callable],
                 input_columns: str | Sequence[str] | None, output_columns: str | Sequence[str] | None) -> None:
        super().__init__(parent)
        self.operations = list(operations) if isinstance(operations, (list, tuple)) else [operations]
        for op in self.operations:
            if not callable(op):
                raise TypeError(f"map: operations must be callables, got {type(op).__name__} {op!r}")
        names = parent.get_col_names()
        self.input_columns = _names_arg(input_columns) or names[:1]
        missing = [c for c in self.input_columns if c not in names]
        if missing:
            raise ValueError(f"map: input_columns {missing} not in the dataset's columns {names}")
        self.output_columns = _names_arg(output_columns) or list(self.input_columns)
        # The outputs take the place of the first input column; the other input columns go away.
        first = names.index(self.input_columns[0])
        kept = [c for c in names if c not in self.input_columns]
        before = [c for c in names[:first] if c not in self.input_columns]
        self._names = before + self.output_columns + kept[len(before):]
        if len(set(self._names)) != len(self._names):
            raise ValueError(f"map: the columns after the map would be {self._names}, with a name twice")
        self._in_index = [names.index(c) for c in self.input_columns]
        self._keep_index = [names.index(c) for c in kept]
        self._n_before = len(before)

    def _apply(self, values: tuple) -> tuple:
        for op in self.operations:
            out = op(*values)
            values = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        if len(values) != len(self.output_columns):
            raise ValueError(f"map: the operations returned {len(values)} values but output_columns are "
                             f"{self.output_columns}")
        return tuple(_as_array(v) for v in values)

    def _rows(self) -> Iterator[Row]:
        for row in self.parent._rows():
            outputs = self._apply(tuple(row[i] for i in self._in_index))
            kept = [row[i] for i in self._keep_index]
            yield tuple(kept[: self._n_before]) + outputs + tuple(kept[self._n_before:])

    def get_dataset_size(self) -> int:
        return self.parent.get_dataset_size()

    def get_col_names(self) -> list[str]:
        return list(self._names)


class RepeatDataset(Dataset):
    """`count` epochs of the parent in a row, as one epoch (each repetition reshuffles)."""

    def __init__(self, parent: Dataset, count: int | None = None) -> None:
        super().__init__(parent)
        if count is None or count == -1:
            self.count = -1
        else:
            self.count = _check_positive_int(count, "count", "repeat")

    def _rows(self) -> Iterator[Row]:
        k = 0
        while self.count == -1 or k < self.count:
            yield from self.parent._rows()
            k += 1

    def get_dataset_size(self) -> int:
        return -1 if self.count == -1 else self.parent.get_dataset_size() * self.count

    def get_repeat_count(self) -> int:
        return self.count


class TakeDataset(Dataset):
    """The first `count` rows of each epoch."""

    def __init__(self, parent: Dataset, count: int = -1) -> None:
        super().__init__(parent)
        self.count = -1 if count == -1 else _check_positive_int(count, "count", "take")

    def _rows(self) -> Iterator[Row]:
        for k, row in enumerate(self.parent._rows()):
            if k == self.count:
                return
            yield row

    def get_dataset_size(self) -> int:
        n = self.parent.get_dataset_size()
        return n if self.count == -1 or n == -1 else min(n, self.count)


class SkipDataset(Dataset):
    """Each epoch without its first `count` rows."""

    def __init__(self, parent: Dataset, count: int) -> None:
        super().__init__(parent)
        self.count = _check_positive_int(count, "count", "skip", minimum=0)

    def _rows(self) -> Iterator[Row]:
        for k, row in enumerate(self.parent._rows()):
            if k >= self.count:
                yield row

    def get_dataset_size(self) -> int:
        n = self.parent.get_dataset_size()
        return n if n == -1 else max(n - self.count, 0)


class ProjectDataset(Dataset):
    """Only some columns, in a chosen order."""

    def __init__(self, parent: Dataset, columns: str | Sequence[str]) -> None:
        super().__init__(parent)
        names = parent.get_col_names()
        self._names = _names_arg(columns)
        missing = [c for c in self._names if c not in names]
        if missing:
            raise ValueError(f"project: columns {missing} not in the dataset's columns {names}")
        self._index = [names.index(c) for c in self._names]

    def _rows(self) -> Iterator[Row]:
        for row in self.parent._rows():
            yield tuple(row[i] for i in self._index)

    def get_dataset_size(self) -> int:
        return self.parent.get_dataset_size()

    def get_col_names(self) -> list[str]:
        return list(self._names)


class RenameDataset(Dataset):
    def __init__(self, parent: Dataset, input_columns: str | Sequence[str],
                 output_columns: str | Sequence[str]) -> None:
        super().__init__(parent)
        old, new = _names_arg(input_columns), _names_arg(output_columns)
        names = parent.get_col_names()
        if len(old) != len(new) or any(c not in names for c in old):
            raise ValueError(f"rename: cannot rename {old} to {new} in columns {names}")
        mapping = dict(zip(old, new))
        self._names = [mapping.get(c, c) for c in names]

    def _rows(self) -> Iterator[Row]:
        return self.parent._rows()

    def get_dataset_size(self) -> int:
        return self.parent.get_dataset_size()

    def get_col_names(self) -> list[str]:
        return list(self._names)


# ----- iterators ----------------------------------------------------------------------------------
class TupleIterator:
    """Serves `num_epochs` epochs of a dataset; each `for` loop over it (or run of `next`) is one epoch."""

    def __init__(self, dataset: Dataset, columns: Sequence[str] | None, num_epochs: int, output_numpy: bool) -> None:
        self.dataset = dataset
        names = dataset.get_col_names()
        self._columns = names if columns is None else _names_arg(columns)
        missing = [c for c in self._columns if c not in names]
        if missing:
            raise ValueError(f"create_tuple_iterator: columns {missing} not in the dataset's columns {names}")
        self._index = [names.index(c) for c in self._columns]
        if num_epochs != -1:
            _check_positive_int(num_epochs, "num_epochs", "create_tuple_iterator")
        self.num_epochs = num_epochs
        self.output_numpy = output_numpy
        self._epochs_started = 0
        self._current: Iterator[Row] | None = None

    def __iter__(self) -> TupleIterator:
        return self

    def __next__(self) -> Any:
        if self._current is None:
            if self.num_epochs != -1 and self._epochs_started >= self.num_epochs:
                raise RuntimeError(f"the iterator was made for num_epochs={self.num_epochs} and all of them "
                                   f"have been read; make a new iterator, or pass a larger num_epochs")
            self._epochs_started += 1
            self._current = self.dataset._rows()
        try:
            row = next(self._current)
        except StopIteration:
            self._current = None  # the epoch is over; the next call starts the next one
            raise
        values = [row[i] if self.output_numpy else Tensor._wrap(row[i]) for i in self._index]
        return self._package(values)

    def _package(self, values: list) -> Any:
        return values

    def get_col_names(self) -> list[str]:
        return list(self._columns)


class DictIterator(TupleIterator):
    """Like TupleIterator, but each row is a dict {column name: value}."""

    def _package(self, values: list) -> dict:
        return dict(zip(self._columns, values))
