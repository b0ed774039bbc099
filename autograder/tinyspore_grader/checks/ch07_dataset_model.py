"""Checks of chapter 07, Dataset and Model: the pieces that `Model.train` is made of.

    batches = batch_rows(rows, batch_size, drop_remainder=False)   the `.batch` stage of a dataset pipeline
    metric = Accuracy(); metric.clear(); metric.update(y_pred, y); metric.eval()
    metric = ConfusionMatrix(num_classes, normalize='no_norm')     the same protocol, a matrix as result
    callback = EarlyStopping(monitor, min_delta, patience, mode)   stops Model.fit on a validation metric
    train_epoch(train_network, dataset, callbacks, run_context)    one epoch of Model.train, hooks included

The oracle is the reference engine: `batch_rows` against a `tinyspore.dataset` pipeline ending in `.batch`,
`Accuracy` against `tinyspore.train.Accuracy`, `EarlyStopping` against `tinyspore.train.EarlyStopping` driven
through the hooks in the order `Model.fit` calls them, `train_epoch` against the loop of `Model.train`
(a test in the mistake catalogue runs it inside a whole training and compares with `Model.train` itself).
`ConfusionMatrix` has no engine twin: its reference follows MindSpore 2.10's `mindspore.train.ConfusionMatrix`.

Every `call` below runs the answer on plain inputs (arrays, numbers, strings) and returns a plain outcome
(strings, numbers, arrays, tuples): nothing of the learner's objects leaves the call. Each check declares its
reference and the engine code that IS the answer (`@exercise(forbidden=...)`): `.batch`'s BatchDataset,
the engine's Accuracy (and top-k accuracy, whose top-1 is the same thing), EarlyStopping, and the loop of
`Model.train`/`Model.fit`; the graded calls cannot use them.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import numpy as np

import tinyspore as ms
from tinyspore import nn
from tinyspore.dataset import GeneratorDataset, NumpySlicesDataset
from tinyspore.dataset.datasets import BatchDataset
from tinyspore.nn.wrap import TrainOneStepCell, WithLossCell
from tinyspore.train import Callback, CallbackParam, Metric, RunContext
from tinyspore.train import EarlyStopping as EngineEarlyStopping
from tinyspore.train.metrics import Accuracy as EngineAccuracy
from tinyspore.train.metrics import TopKCategoricalAccuracy
from tinyspore.train.model import Model
from tinyspore_grader import BadReturn, Case, Mistake, ModifiedInput, Raised, exercise, run_check, same, watch_inputs
from tinyspore_grader.i18n import _ as _tr


def _rng(hidden: bool, salt: int) -> np.random.Generator:
    return np.random.default_rng(700 + 100 * salt + (7 if hidden else 0))


def _raised(error_type: type, *words: str):
    """A detector: the answer raised `error_type` with all of `words` in its message."""
    return lambda case, got: (isinstance(got, Raised) and isinstance(got.error, error_type)
                              and all(w in str(got.error) for w in words))


def _match(expected: Any, got: Any, case: Case | None = None) -> bool:
    """How a wrong answer's outcome is matched with the learner's: exceptions by type AND message."""
    if isinstance(expected, Raised) or isinstance(got, Raised):
        return (isinstance(expected, Raised) and isinstance(got, Raised) and type(got.error) is type(expected.error)
                and str(got.error) == str(expected.error))
    return same(expected, got, case, check_dtype=False)


# ----- 07.1 batch_rows ---------------------------------------------------------------------------------------
class RowStream:
    """The rows of a case handed out one at a time, as a dataset's source does: an iterator without len() or
    indexing. It counts the rows read, so that a check can see whether batching waits for the whole data."""

    def __init__(self, rows: list) -> None:
        self._rows = rows
        self.read = 0
        self.handed_out: list[tuple] = []

    def __iter__(self) -> RowStream:
        return self

    def __next__(self) -> tuple:
        if self.read >= len(self._rows):
            raise StopIteration
        row = self._rows[self.read]
        self.read += 1
        copies = tuple(np.array(column, copy=True) for column in row)
        self.handed_out.append(copies)
        return copies

    def verify_unchanged(self) -> None:
        """ModifiedInput('rows') if the answer changed a row it was given (in a pipeline that would change the
        source's data for every later epoch)."""
        for original, given in zip(self._rows, self.handed_out):
            if any(not np.array_equal(a, b) for a, b in zip(original, given)):
                raise ModifiedInput("rows")


def reference_batch_rows(rows: Any, batch_size: int, drop_remainder: bool = False) -> Any:
    """The engine's `.batch` stage over the rows: a GeneratorDataset on the stream, batched, read lazily."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return iter(())
    names = [f"column_{i}" for i in range(len(first))]
    source = GeneratorDataset(itertools.chain([first], rows), column_names=names)
    iterator = source.batch(batch_size, drop_remainder=drop_remainder).create_tuple_iterator(
        num_epochs=1, output_numpy=True)
    return (tuple(batch) for batch in iterator)


def _column_text(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.dtype} {tuple(value.shape)}"
    if hasattr(value, "asnumpy"):
        return f"Tensor {_column_text(value.asnumpy())}"
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__} of {len(value)}"
    return type(value).__name__


def _batch_text(batch: Any) -> str:
    """`(float32 (4, 3), int32 (4,))`: what one batch holds, column by column."""
    if isinstance(batch, (tuple, list)):
        return "(" + ", ".join(_column_text(c) for c in batch) + ")"
    return f"a {_column_text(batch)}, not a tuple of columns"


def _layout(batches: list) -> str:
    """`3 batches: 2 x (float32 (4, 3), int32 (4,)), then (float32 (2, 3), int32 (2,))`."""
    if not batches:
        return "0 batches"
    groups = [(text, len(list(run))) for text, run in itertools.groupby(_batch_text(b) for b in batches)]
    parts = [f"{count} x {text}" if count > 1 else text for text, count in groups]
    return f"{len(batches)} batch{'es' if len(batches) > 1 else ''}: " + ", then ".join(parts)


def _columns(batches: list) -> tuple:
    """Every column's values, batches concatenated (given the layout, this pins down each batch)."""
    if not batches or not all(isinstance(b, (tuple, list)) for b in batches):
        return ()
    width = len(batches[0])
    if any(len(b) != width for b in batches):
        return ()
    try:
        return tuple(np.concatenate([np.asarray(b[k]) for b in batches]) for k in range(width))
    except ValueError:  # 0-d values or ragged shapes: the layout already shows what is wrong
        return ()


def _batch_rows_call(fn: Any, case: Case) -> Any:
    rows, batch_size, drop_remainder, take = case.args
    stream = RowStream(rows)
    result = fn(stream, batch_size, drop_remainder=drop_remainder)
    if result is None or not hasattr(result, "__iter__"):
        raise BadReturn(f"`batch_rows` returned {type(result).__name__}, not batches: yield each batch "
                        f"(a generator function) or return an iterable of them.")
    batches = list(itertools.islice(iter(result), take)) if take else list(result)
    stream.verify_unchanged()
    return (_layout(batches), *_columns(batches), f"{stream.read} rows read from the stream")


def _make_rows(rng: np.random.Generator, n: int, columns: tuple) -> list:
    """n rows; each column is (dtype, shape of one sample)."""
    rows = []
    for _ in range(n):
        row = []
        for dtype, shape in columns:
            if np.dtype(dtype).kind in "iu":
                row.append(np.asarray(rng.integers(0, 10, shape), dtype=dtype))
            else:
                row.append(np.asarray(rng.standard_normal(shape).round(3), dtype=dtype))
        rows.append(tuple(row))
    return rows


_XY = (("float32", (3,)), ("int32", ()))


def _batch_rows_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 1)
    plans = [(10, _XY, 4, False, None, ""), (10, _XY, 4, True, None, "drop_remainder=True"),
             (12, _XY, 4, False, None, "the rows divide evenly"),
             (7, (("float32", (2, 2)),), 3, True, None, "one column of 2x2 images"),
             (5, _XY, 8, False, None, "a batch size larger than the data"),
             (5, _XY, 8, True, None, "a batch size larger than the data, drop_remainder=True"),
             (20, _XY, 3, False, 2, "only the first 2 batches are read: a pipeline is lazy"),
             (6, (("float64", (2,)), ("int64", ()), ("float32", (1, 3))), 2, False, None, "three columns")]
    if hidden:
        plans = [(9, _XY, 2, False, None, ""), (11, _XY, 5, True, None, "drop_remainder=True"),
                 (8, (("float32", (4,)), ("int64", ())), 4, False, None, "the rows divide evenly"),
                 (3, _XY, 4, True, None, "a batch size larger than the data, drop_remainder=True"),
                 (30, (("float32", (2, 3)),), 4, True, 3, "only the first 3 batches are read: a pipeline is lazy"),
                 (7, (("int32", (2,)), ("float64", ()), ("float32", ())), 3, False, None, "three columns"),
                 (4, _XY, 1, False, None, "batch_size=1")]
    return [Case((_make_rows(rng, n, cols), bs, drop, take), note=note) for n, cols, bs, drop, take, note in plans]


def _describe_batch_rows(case: Case) -> str:
    rows, batch_size, drop_remainder, take = case.args
    row = "(" + ", ".join(f"{c.dtype} {c.shape}" for c in rows[0]) + ")"
    read = _tr("; the check reads only the first {take} batches").format(
               take=take) if take else ""
    return (_tr("rows: a stream of {len_rows} rows {row}, batch_size={batch_size}, "
                "drop_remainder={drop_remainder}{read}  [expected/got = (the batches' layout, each column's "
                "values over all batches, rows read)]").format(
                len_rows=len(rows), row=row, batch_size=batch_size, drop_remainder=drop_remainder,
                read=read))


def _batching(keep_last: str = "flag", stack: str = "stack", reset: bool = True, greedy: bool = False,
              extra: int = 0, empty_last: bool = False):
    """Wrong batch_rows variants: keep_last 'flag' (right), 'always' or 'never'; stack 'stack' (right),
    'concatenate' or 'rows' (yield the list of rows); reset=False never empties the pending list;
    greedy reads every row before the first batch; extra=1 makes batches one row too long."""
    def batch_rows(rows, batch_size, drop_remainder=False):
        source = list(rows) if greedy else rows

        def pack(pending):
            if stack == "rows":
                return list(pending)
            if not pending:
                return (np.stack([]),)  # what stacking an empty remainder does: it raises
            join = np.concatenate if stack == "concatenate" else np.stack
            return tuple(join([row[k] for row in pending]) for k in range(len(pending[0])))

        def generate():
            pending = []
            for row in source:
                pending.append(row)
                if len(pending) == batch_size + extra:
                    yield pack(pending)
                    if reset:
                        pending = []
            keep = {"flag": not drop_remainder, "always": True, "never": False}[keep_last]
            if keep and (pending or empty_last):
                yield pack(pending)
        return generate()
    return batch_rows


def _only_dtypes_differ(case: Case, got: Any) -> bool:
    """The batches have the right shapes and values but another dtype in some column."""
    if not (isinstance(got, tuple) and got and isinstance(got[0], str)):
        return False
    expected = _batch_rows_call(reference_batch_rows, case)
    without_dtypes = re.compile(r"\b(?:float|int|uint)\d+ ")
    return (got[0] != expected[0] and without_dtypes.sub("", got[0]) == without_dtypes.sub("", expected[0])
            and len(got) == len(expected)
            and all(np.array_equal(g, e) for g, e in zip(got[1:-1], expected[1:-1])))


def _cast_to_float32(batch_rows: Any):
    def cast(rows, batch_size, drop_remainder=False):
        for batch in batch_rows(rows, batch_size, drop_remainder):
            yield tuple(column.astype(np.float32) for column in batch)
    return cast


BATCH_ROWS_MISTAKES = [
    Mistake("needs len() or indexing",
            "rows arrive one at a time, like the rows of a dataset's source: you cannot ask for len(rows) or "
            "slice them. Loop with `for row in rows:` and collect rows until you have batch_size of them.",
            detect=lambda case, got: (isinstance(got, Raised) and isinstance(got.error, TypeError)
                                      and "RowStream" in str(got.error))),
    Mistake("np.concatenate instead of np.stack",
            "a batch adds a NEW first axis: np.stack turns batch_size arrays of shape (3,) into one (batch_size, "
            "3) array, and scalars into a (batch_size,) vector; np.concatenate joins along an existing axis.",
            wrong=_batching(stack="concatenate")),
    Mistake("yielded the rows, not the columns",
            "a batch is one stacked array PER COLUMN, `(x_batch, label_batch)`, not a list of rows: stack the "
            "first values of the rows, then the second values, and so on.",
            wrong=_batching(stack="rows")),
    Mistake("pending rows never emptied",
            "start a new, empty list after yielding a batch; otherwise every batch also holds all the rows of "
            "the batches before it.",
            wrong=_batching(reset=False),
            detect=lambda case, got: (isinstance(got, tuple) and len(got) > 2 and isinstance(got[1], np.ndarray)
                                      and len(got[1]) > len(case.args[0]))),
    Mistake("batches one row too long",
            "yield a batch as soon as it has batch_size rows (`len(pending) == batch_size`), not when it has one "
            "more.",
            wrong=_batching(extra=1)),
    Mistake("last partial batch always dropped",
            "with drop_remainder=False (the default) the rows left at the end form a last, smaller batch: yield "
            "it after the loop if it is not empty.",
            wrong=_batching(keep_last="never")),
    Mistake("drop_remainder ignored",
            "with drop_remainder=True a last batch with fewer than batch_size rows is dropped, so that every "
            "batch has exactly batch_size rows.",
            wrong=_batching(keep_last="always")),
    Mistake("an empty batch at the end",
            "when the rows divide evenly, nothing is left after the loop: yield the remainder only if there "
            "is one (stacking an empty list fails).",
            wrong=_batching(empty_last=True),
            detect=_raised(ValueError, "need at least one array")),
    Mistake("Tensors instead of arrays",
            "inside a pipeline the columns are NumPy arrays: stack them with np.stack and yield the arrays; the "
            "dataset's iterator turns them into Tensors only when it hands out a batch.",
            detect=lambda case, got: isinstance(got, tuple) and bool(got) and isinstance(got[0], str)
            and "Tensor " in got[0]),
    Mistake("dtype not kept",
            "a batch keeps each column's dtype (np.stack does): int32 labels stay int32, because the loss "
            "needs class indices; do not convert the columns with a dtype of your own.",
            wrong=_cast_to_float32(reference_batch_rows), detect=_only_dtypes_differ),
    Mistake("all rows read before the first batch",
            "a pipeline is lazy: yield each batch as soon as its rows have arrived, without reading the whole "
            "stream first (`list(rows)` reads everything; a real dataset may not even fit in memory).",
            wrong=_batching(greedy=True)),
]


@exercise(reference=reference_batch_rows, forbidden=[BatchDataset])
def check_batch_rows(batch_rows: Any, hidden: bool = False) -> None:
    """Exercise 07.1: batch_rows(rows, batch_size, drop_remainder=False) yields stacked batches lazily."""
    run_check("07.1", "batch_rows", batch_rows, _batch_rows_cases(hidden), reference=reference_batch_rows,
              mistakes=BATCH_ROWS_MISTAKES, call=_batch_rows_call, match=_match,
              describe_case=_describe_batch_rows)


# ----- metrics: 07.2 Accuracy and 07.3 ConfusionMatrix ---------------------------------------------------------
def _plain_result(value: Any) -> Any:
    """A metric's result as plain data: arrays stay arrays, NumPy and 0-d values become Python floats."""
    if hasattr(value, "asnumpy"):
        value = value.asnumpy()
    if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return float(value)
    return value


def _metric_call(cls: Any, case: Case) -> tuple:
    """Build the metric, run the case's script of update/clear/eval calls; the results of every eval."""
    init_kwargs, script, as_tensor = case.args
    metric = cls(**init_kwargs)
    results = []
    for step in script:
        if step[0] == "update":
            inputs = [ms.Tensor(a) if as_tensor else a.copy() for a in step[1:]]
            unchanged = watch_inputs(("y_pred", "y"), inputs)
            metric.update(*inputs)
            unchanged()
        elif step[0] == "clear":
            metric.clear()
        else:
            results.append(_plain_result(metric.eval()))
    return tuple(results)


def _evals_on_nothing(case: Case) -> bool:
    """Whether the case's script calls eval() with no update() since the start or the last clear()."""
    updated = False
    for step in case.args[1]:
        if step[0] == "eval" and not updated:
            return True
        updated = step[0] == "update" or (updated and step[0] != "clear")
    return False


def _no_runtime_error_when_empty(case: Case, got: Any) -> bool:
    """On a script that evaluates nothing: a number, NaN, or an error other than RuntimeError."""
    if not _evals_on_nothing(case):
        return False
    if isinstance(got, Raised):
        return not isinstance(got.error, (RuntimeError, TypeError, AttributeError, NameError))
    return True


def _describe_script(case: Case, name: str) -> str:
    init_kwargs, script, as_tensor = case.args
    args = ", ".join(f"{k}={v!r}" for k, v in init_kwargs.items())
    kind = "Tensor " if as_tensor else ""
    calls = []
    for step in script:
        if step[0] == "update":
            y_pred, y = step[1], step[2]
            calls.append(f"update({kind}{y_pred.dtype} {y_pred.shape}, {kind}{y.dtype} {y.shape} {y.tolist()[:6]})")
        else:
            calls.append(f"{step[0]}()")
    return f"m = {name}({args}); then m." + ", m.".join(calls) + "  [expected/got = the results of the eval() calls]"


def _logits_for(rng: np.random.Generator, labels: np.ndarray, classes: int, right: int) -> np.ndarray:
    """Logits (N, C) whose argmax equals the label on exactly the first `right` rows (then a shuffle)."""
    n = len(labels)
    logits = rng.standard_normal((n, classes)).astype(np.float32)
    predicted = labels.copy()
    predicted[right:] = (labels[right:] + rng.integers(1, classes, n - right)) % classes
    logits[np.arange(n), predicted] = logits.max(axis=1) + 1.0 + rng.random(n).astype(np.float32)
    order = rng.permutation(n)
    return logits[order], labels[order]


def _batch(rng: np.random.Generator, n: int, classes: int, right: int, one_hot: bool = False) -> tuple:
    labels = rng.integers(0, classes, n).astype(np.int32)
    logits, labels = _logits_for(rng, labels, classes, right)
    if one_hot:
        labels = np.eye(classes, dtype=np.float32)[labels]
    return ("update", logits, labels)


def _accuracy_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 2)
    if not hidden:
        scripts = [
            ([_batch(rng, 6, 3, 4), ("eval",)], False, "one batch"),
            ([_batch(rng, 5, 4, 3), _batch(rng, 2, 4, 1), ("eval",)], False, "two batches of different sizes"),
            ([_batch(rng, 4, 3, 3), ("eval",), _batch(rng, 4, 3, 1), ("eval",)], True, "eval after each batch"),
            ([_batch(rng, 4, 3, 0), ("clear",), _batch(rng, 3, 3, 2), ("eval",)], False, "clear() in between"),
            ([_batch(rng, 4, 3, 1, one_hot=True), _batch(rng, 5, 3, 5, one_hot=True), ("eval",)], False,
             "one-hot labels"),
            ([("eval",)], False, "eval() before any update()"),
            ([_batch(rng, 3, 2, 3), ("clear",), ("eval",)], True, "eval() right after clear()"),
        ]
    else:
        scripts = [
            ([_batch(rng, 8, 5, 5), _batch(rng, 3, 5, 3), ("eval",)], True, "two batches of different sizes"),
            ([_batch(rng, 6, 4, 2, one_hot=True), ("eval",)], True, "one-hot labels"),
            ([_batch(rng, 5, 3, 1), ("eval",), ("clear",), _batch(rng, 2, 3, 2), ("eval",)], False,
             "clear() in between"),
            ([_batch(rng, 7, 2, 4), _batch(rng, 1, 2, 0), _batch(rng, 4, 2, 4), ("eval",)], False, "three batches"),
            ([("clear",), ("eval",)], False, "eval() with no update()"),
        ]
    return [Case(({}, script, as_tensor), note=note) for script, as_tensor, note in scripts]


def _np(value: Any) -> np.ndarray:
    return value.asnumpy() if hasattr(value, "asnumpy") else np.asarray(value)


class _CountingAccuracy(Metric):
    """Wrong Accuracy variants for the mistake list; `kind` picks the mistake."""

    kind = "right"

    def __init__(self) -> None:
        super().__init__()
        self._correct, self._total, self._batch_scores = 0, 0, []

    def clear(self) -> None:
        if self.kind != "no clear":
            self._correct, self._total, self._batch_scores = 0, 0, []

    def update(self, y_pred: Any, y: Any) -> None:
        y_pred, y = _np(y_pred), _np(y)
        if y.ndim == 2 and self.kind != "no one-hot":
            y = y.argmax(axis=1)
        hits = y_pred.argmax(axis=0 if self.kind == "axis 0" else 1) == y
        if self.kind == "overwrite":
            self._correct, self._total = 0, 0
        self._correct += int(hits.sum())
        self._total += len(hits)
        self._batch_scores.append(float(hits.mean()))

    def eval(self) -> float:
        if self.kind == "zero when empty" and self._total == 0:
            return 0.0
        if self._total == 0:
            raise RuntimeError("no samples")
        if self.kind == "mean of batches":
            return float(np.mean(self._batch_scores))
        if self.kind == "integer division":
            return self._correct // self._total
        if self.kind == "percentage":
            return 100 * self._correct / self._total
        return self._correct / self._total


def _accuracy_variant(kind: str) -> type:
    return type(f"Accuracy_{kind.replace(' ', '_')}", (_CountingAccuracy,), {"kind": kind})


ACCURACY_MISTAKES = [
    Mistake("argmax over the batch axis",
            "the predicted class of a sample is the argmax over the CLASS axis, `y_pred.argmax(axis=1)`: one "
            "class per row. axis=0 gives one row number per class.",
            wrong=_accuracy_variant("axis 0")),
    Mistake("one-hot labels not handled",
            "labels may come one-hot, shape (N, C), as MindSpore's Accuracy accepts: turn them into class "
            "indices with `y.argmax(axis=1)` before comparing.",
            wrong=_accuracy_variant("no one-hot")),
    Mistake("mean of the batch accuracies",
            "count correct samples and samples over all updates and divide once in eval(): averaging the "
            "accuracy of each batch over-weights a small batch.",
            wrong=_accuracy_variant("mean of batches")),
    Mistake("update overwrites the counts",
            "update() must ADD this batch's counts to the totals (`+=`): eval() covers every batch since the "
            "last clear(), not just the last one.",
            wrong=_accuracy_variant("overwrite")),
    Mistake("clear() does not reset",
            "clear() must set the counts back to zero: Model.eval calls it before every evaluation, so that "
            "one evaluation does not mix with the previous one.",
            wrong=_accuracy_variant("no clear")),
    Mistake("integer division", "divide with `/`, not `//`: the counts are integers and the accuracy a fraction.",
            wrong=_accuracy_variant("integer division")),
    Mistake("a percentage", "return a fraction between 0 and 1, as MindSpore's Accuracy does, not a percentage.",
            wrong=_accuracy_variant("percentage")),
    Mistake("eval() with no samples does not raise",
            "with no sample since the last clear() there is no accuracy to give: raise a RuntimeError that says "
            "update() must be called first (MindSpore does), rather than returning a number.",
            wrong=_accuracy_variant("zero when empty"), detect=_no_runtime_error_when_empty),
    Mistake("Tensors not converted",
            "y_pred and y may be Tensors: convert them with `.asnumpy()` first, then work with NumPy.",
            detect=lambda case, got: case.args[2] and isinstance(got, Raised) and "Tensor" in str(got.error)),
]


@exercise(reference=EngineAccuracy, forbidden=[EngineAccuracy, TopKCategoricalAccuracy])  # top-1 is accuracy
def check_Accuracy(Accuracy: Any, hidden: bool = False) -> None:  # noqa: N802, N803 - named after the class
    """Exercise 07.2: Accuracy() with clear/update/eval, as tinyspore.train.Accuracy (MindSpore's)."""
    run_check("07.2", "Accuracy", Accuracy, _accuracy_cases(hidden), reference=EngineAccuracy,
              mistakes=ACCURACY_MISTAKES, call=_metric_call, match=_match,
              describe_case=lambda case: _describe_script(case, "Accuracy"))


class ReferenceConfusionMatrix(Metric):
    """MindSpore 2.10's ConfusionMatrix for class predictions: rows are the true classes, columns the predicted
    ones; `normalize` 'target' divides each row by its sum, 'prediction' each column, 'all' the whole matrix
    (a row or column with no sample gives zeros, not NaN)."""

    def __init__(self, num_classes: int, normalize: str = "no_norm") -> None:
        super().__init__()
        if normalize not in ("no_norm", "target", "prediction", "all"):
            raise ValueError(f"ConfusionMatrix: normalize must be 'no_norm', 'target', 'prediction' or 'all', "
                             f"got {normalize!r}")
        self.num_classes = num_classes
        self.normalize = normalize
        self.clear()

    def clear(self) -> None:
        self.matrix = np.zeros((self.num_classes, self.num_classes))
        self._updated = False

    def update(self, y_pred: Any, y: Any) -> None:
        y_pred, y = _np(y_pred), _np(y)
        if y_pred.ndim == y.ndim + 1:
            y_pred = y_pred.argmax(axis=1)
        pairs = y.reshape(-1).astype(np.int64) * self.num_classes + y_pred.reshape(-1).astype(np.int64)
        self.matrix += np.bincount(pairs, minlength=self.num_classes**2).reshape(self.num_classes, self.num_classes)
        self._updated = True

    def eval(self) -> np.ndarray:
        if not self._updated:
            raise RuntimeError("ConfusionMatrix.eval: call update(...) before eval()")
        if self.normalize == "no_norm":
            return self.matrix.copy()
        total = {"target": self.matrix.sum(axis=1, keepdims=True), "prediction": self.matrix.sum(axis=0, keepdims=True),
                 "all": self.matrix.sum()}[self.normalize]
        with np.errstate(invalid="ignore", divide="ignore"):
            result = self.matrix / total
        return np.nan_to_num(result, nan=0.0)


def _class_batch(rng: np.random.Generator, n: int, classes: int, as_logits: bool, labels: np.ndarray | None = None,
                 absent: int | None = None, never_predicted: int | None = None) -> tuple:
    """An update: labels (N,) int32 and predictions (logits (N, C) or classes (N,) int32), about 60% right."""
    choices = [c for c in range(classes) if c != absent]
    y = labels if labels is not None else rng.choice(choices, n).astype(np.int32)
    predicted = np.where(rng.random(n) < 0.6, y, rng.integers(0, classes, n)).astype(np.int32)
    if never_predicted is not None:
        predicted = np.where(predicted == never_predicted, (never_predicted + 1) % classes, predicted)
    if not as_logits:
        return ("update", predicted, y)
    logits = rng.standard_normal((n, classes)).astype(np.float32)
    logits[np.arange(n), predicted] = logits.max(axis=1) + 0.5
    return ("update", logits, y)


def _confusion_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 3)
    b = _class_batch
    # Case 1 repeats (true, predicted) pairs and is not symmetric, so several classic slips show there.
    first = ("update", np.eye(3, dtype=np.float32)[[0, 0, 1, 2, 2, 2, 1, 0]] * 2 - 0.5,
             np.array([0, 0, 1, 2, 1, 2, 1, 1], np.int32))
    if not hidden:
        plans = [
            (3, "no_norm", [first, ("eval",)], False, "logits, one batch"),
            (4, "no_norm", [b(rng, 6, 4, False), b(rng, 5, 4, False), ("eval",)], True,
             "predicted classes (N,), two batches"),
            (3, "target", [b(rng, 8, 3, True, absent=1), ("eval",)], False, "normalize='target', class 1 never true"),
            (3, "prediction", [b(rng, 8, 3, True, never_predicted=2), ("eval",)], False,
             "normalize='prediction', class 2 never predicted"),
            (4, "all", [b(rng, 7, 4, True), b(rng, 3, 4, True), ("eval",)], True, "normalize='all'"),
            (3, "no_norm", [b(rng, 5, 3, True), ("clear",), b(rng, 4, 3, True), ("eval",)], False,
             "clear() in between"),
            (2, "no_norm", [("eval",)], False, "eval() before any update()"),
            (3, "rows", [], False, "an unknown normalize"),
        ]
    else:
        plans = [
            (4, "target", [b(rng, 9, 4, True, absent=3), b(rng, 4, 4, True, absent=3), ("eval",)], True,
             "normalize='target', class 3 never true"),
            (2, "no_norm", [b(rng, 6, 2, False), ("eval",), b(rng, 6, 2, True), ("eval",)], False,
             "eval after each batch"),
            (5, "prediction", [b(rng, 12, 5, False, never_predicted=0), ("eval",)], True,
             "normalize='prediction', class 0 never predicted"),
            (3, "all", [b(rng, 5, 3, True), ("clear",), b(rng, 6, 3, False), ("eval",)], False, "clear() in between"),
            (3, "no_norm", [("clear",), ("eval",)], False, "eval() with no update()"),
            (2, "columns", [], False, "an unknown normalize"),
        ]
    return [Case(({"num_classes": k, "normalize": mode}, script, as_tensor), note=note)
            for k, mode, script, as_tensor, note in plans]


class _WrongConfusion(ReferenceConfusionMatrix):
    """Wrong ConfusionMatrix variants for the mistake list; `kind` picks the mistake."""

    kind = "right"

    def __init__(self, num_classes: int, normalize: str = "no_norm") -> None:
        Metric.__init__(self)
        self.num_classes, self.normalize = num_classes, normalize
        if self.kind != "no validation" and normalize not in ("no_norm", "target", "prediction", "all"):
            raise ValueError(f"unknown normalize {normalize!r}")
        self.matrix, self._updated = np.zeros((num_classes, num_classes)), False

    def clear(self) -> None:
        if self.kind != "no clear":
            self.matrix, self._updated = np.zeros((self.num_classes, self.num_classes)), False

    def update(self, y_pred: Any, y: Any) -> None:
        y_pred, y = _np(y_pred), _np(y)
        if self.kind == "always argmax" or (self.kind != "no argmax" and y_pred.ndim == y.ndim + 1):
            y_pred = y_pred.argmax(axis=1)
        y_pred = y_pred.astype(np.int64)
        if self.kind == "overwrite":
            self.matrix = np.zeros((self.num_classes, self.num_classes))
        if self.kind == "fancy +=":
            self.matrix[y, y_pred] += 1
        elif self.kind == "swapped":
            np.add.at(self.matrix, (y_pred, y), 1)
        else:
            np.add.at(self.matrix, (y, y_pred), 1)
        self._updated = True

    def eval(self) -> np.ndarray:
        if not self._updated and self.kind != "zeros when empty":
            raise RuntimeError("no samples")
        m = self.matrix
        if self.normalize == "no_norm" or self.normalize not in ("target", "prediction", "all"):
            return m.copy()
        axis = {"target": 1, "prediction": 0}.get(self.normalize)
        if self.kind == "normalize axes swapped" and axis is not None:
            axis = 1 - axis
        total = m.sum() if axis is None else m.sum(axis=axis, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            result = m / total
        return result if self.kind == "nan kept" else np.nan_to_num(result, nan=0.0)


def _confusion_variant(kind: str) -> type:
    return type(f"ConfusionMatrix_{kind.replace(' ', '_')}", (_WrongConfusion,), {"kind": kind})


CONFUSION_MATRIX_MISTAKES = [
    Mistake("rows and columns swapped",
            "row i is the TRUE class i and column j the PREDICTED class j: count each sample at "
            "matrix[true, predicted].",
            wrong=_confusion_variant("swapped")),
    Mistake("repeated pairs counted once",
            "`matrix[y, y_pred] += 1` adds 1 only ONCE for a (true, predicted) pair that appears several times in "
            "the batch (NumPy's fancy-index assignment does not accumulate): use `np.add.at(matrix, (y, y_pred), "
            "1)` or np.bincount.",
            wrong=_confusion_variant("fancy +=")),
    Mistake("logits used as classes",
            "y_pred may be logits of shape (N, C): take `y_pred.argmax(axis=1)` to get one predicted class per "
            "sample (when y_pred has one axis more than y).",
            wrong=_confusion_variant("no argmax")),
    Mistake("argmax of class predictions",
            "y_pred may already be classes, shape (N,) like y: take the argmax only when y_pred has one axis "
            "more than y.",
            wrong=_confusion_variant("always argmax")),
    Mistake("normalize axes swapped",
            "'target' normalizes by the true classes, so each ROW sums to 1 (divide by matrix.sum(axis=1, "
            "keepdims=True)); 'prediction' makes each COLUMN sum to 1.",
            wrong=_confusion_variant("normalize axes swapped")),
    Mistake("NaN for an empty row or column",
            "a class that never occurs gives a row (or column) of zeros, and 0 / 0 is NaN: set those entries to "
            "0, as MindSpore does (np.nan_to_num, or divide only where the sum is not zero).",
            wrong=_confusion_variant("nan kept")),
    Mistake("confusion: update overwrites",
            "update() must ADD this batch's counts to the matrix: eval() covers every batch since the last "
            "clear().",
            wrong=_confusion_variant("overwrite")),
    Mistake("confusion: clear() does not reset",
            "clear() must start a new, all-zero matrix: Model.eval calls it before every evaluation.",
            wrong=_confusion_variant("no clear")),
    Mistake("eval() with no samples gives zeros",
            "before any update() there is nothing to count: raise a RuntimeError saying that update() must come "
            "first (MindSpore does), instead of returning an empty matrix.",
            wrong=_confusion_variant("zeros when empty"), detect=_no_runtime_error_when_empty),
    Mistake("unknown normalize accepted",
            "normalize must be one of 'no_norm', 'target', 'prediction', 'all': raise a ValueError naming the "
            "bad value in __init__, so that a typo does not silently give counts.",
            wrong=_confusion_variant("no validation")),
]


@exercise(reference=ReferenceConfusionMatrix, forbidden=[])  # the engine has no confusion matrix
def check_ConfusionMatrix(ConfusionMatrix: Any, hidden: bool = False) -> None:  # noqa: N802, N803
    """Exercise 07.3: ConfusionMatrix(num_classes, normalize) with clear/update/eval, as MindSpore's."""
    run_check("07.3", "ConfusionMatrix", ConfusionMatrix, _confusion_cases(hidden),
              reference=ReferenceConfusionMatrix, mistakes=CONFUSION_MATRIX_MISTAKES, call=_metric_call,
              match=_match, describe_case=lambda case: _describe_script(case, "ConfusionMatrix"))


# ----- 07.4 EarlyStopping ---------------------------------------------------------------------------------------
_STEPS_PER_EPOCH = 2


def run_fit_hooks(callback: Any, epochs: list) -> tuple:
    """Drive `callback` through the hooks of one `Model.fit` run, in the engine's order, without a network.

    epochs: per epoch (accuracy, eval_loss, train_loss); Model.fit puts the first two in
    `cb_params.eval_results` (and `metrics`) at the end of the epoch, the last is every step's
    `net_outputs`. Returns (the epochs that ran, `callback.stopped_epoch`).
    """
    cb_params = CallbackParam(epoch_num=len(epochs), initial_epoch=0, batch_num=_STEPS_PER_EPOCH, cur_step_num=0,
                              mode="train", dataset_sink_mode=False, list_callback=[callback])
    run_context = RunContext(cb_params)
    callback.on_train_begin(run_context)
    ran = []
    for epoch, (accuracy, eval_loss, train_loss) in enumerate(epochs, start=1):
        cb_params.cur_epoch_num = epoch
        callback.on_train_epoch_begin(run_context)
        for _ in range(_STEPS_PER_EPOCH):
            cb_params.cur_step_num += 1
            callback.on_train_step_begin(run_context)
            cb_params.net_outputs = ms.Tensor(np.float32(train_loss))
            callback.on_train_step_end(run_context)
        cb_params.metrics = {"accuracy": accuracy}
        cb_params.eval_results = {"accuracy": accuracy, "eval_loss": eval_loss}
        callback.on_train_epoch_end(run_context)
        ran.append(epoch)
        cb_params.pop("metrics", None)
        cb_params.pop("eval_results", None)
        if run_context.get_stop_requested():
            break
    callback.on_train_end(run_context)
    stopped = getattr(callback, "stopped_epoch", "missing")
    return tuple(ran), stopped if isinstance(stopped, str) else _plain_result(stopped)


def _early_stopping_call(cls: Any, case: Case) -> tuple:
    """Build the callback, run one or more Model.fit runs with it; for each run what run_fit_hooks gives."""
    kwargs, runs = case.args
    callback = cls(**kwargs)
    return tuple(run_fit_hooks(callback, epochs) for epochs in runs)


def reference_early_stopping(monitor: str = "eval_loss", min_delta: float = 0, patience: int = 0,
                             mode: str = "min") -> Callback:
    """The engine's EarlyStopping (MindSpore's rule) with the exercise's arguments."""
    return EngineEarlyStopping(monitor=monitor, min_delta=min_delta, patience=patience, mode=mode)


_TRAIN_LOSSES = (0.5, 0.6, 0.55, 0.5, 0.52, 0.45, 0.47, 0.4)  # the last batch's loss: noisy, its own pattern


def _curve(values: list, monitor: str, rng: np.random.Generator) -> list:
    """Epoch triples (accuracy, eval_loss, train_loss): `values` for the monitored one, unrelated values for
    the other, and a training loss with a pattern of its own (so that watching it gives a telling result)."""
    rows = []
    for v, train_loss in zip(values, itertools.cycle(_TRAIN_LOSSES)):
        other = round(float(rng.uniform(0.05, 0.95)), 3)
        rows.append((v, other, train_loss) if monitor == "accuracy" else (other, v, train_loss))
    return rows


def _early_stopping_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 4)
    acc = {"monitor": "accuracy", "mode": "max"}
    loss = {"monitor": "eval_loss", "mode": "min"}
    if not hidden:
        plans = [
            (dict(loss, patience=2), [[0.9, 0.7, 0.6, 0.65, 0.62, 0.61, 0.5]], "eval_loss, patience=2"),
            (dict(acc, patience=2), [[0.5, 0.6, 0.7, 0.65, 0.75, 0.74, 0.72, 0.8]], "accuracy (mode='max')"),
            (dict(loss, patience=2), [[0.8, 0.6, 0.6, 0.6, 0.7, 0.7, 0.5]],
             "a value equal to the best is no improvement"),
            (dict(loss, patience=2, min_delta=0.05), [[0.8, 0.7, 0.68, 0.67, 0.69, 0.695, 0.5]], "min_delta=0.05"),
            (dict(acc, patience=3), [[0.3, 0.4, 0.35, 0.45, 0.44, 0.43, 0.42, 0.6]], "patience=3, a late plateau"),
            (dict(loss, patience=0), [[0.5, 0.4, 0.3]], "patience=0: MindSpore stops after the first epoch"),
            (dict(loss, patience=2), [[0.5, 0.6, 0.7, 0.2], [0.9, 0.8, 0.7, 0.6]],
             "the same callback in two trainings"),
            (dict(acc, patience=2), [[0.2, 0.3, 0.4, 0.5]], "always improving: never stops"),
        ]
    else:
        plans = [
            (dict(loss, patience=2), [[0.9, 0.6, 0.7, 0.65, 0.64, 0.63, 0.62]], "eval_loss, patience=2"),
            (dict(acc, patience=1), [[0.6, 0.7, 0.65, 0.8]], "accuracy, patience=1"),
            (dict(acc, patience=2), [[0.5, 0.6, 0.6, 0.6, 0.55, 0.58, 0.9]], "ties"),
            (dict(acc, patience=2, min_delta=0.1), [[0.3, 0.45, 0.5, 0.52, 0.48, 0.47, 0.9]], "min_delta=0.1"),
            (dict(loss, patience=1), [[0.4, 0.5, 0.3], [0.6, 0.7, 0.2]], "the same callback in two trainings"),
            (dict(acc, patience=0), [[0.3, 0.6]], "patience=0"),
            (dict(loss, patience=2), [[0.5, 0.45, 0.4, 0.35, 0.3]], "always improving: never stops"),
        ]
    return [Case((kwargs, [_curve(values, kwargs["monitor"], rng) for values in runs]), note=note)
            for kwargs, runs, note in plans]


def _describe_early_stopping(case: Case) -> str:
    kwargs, runs = case.args
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    index = {"accuracy": 0, "eval_loss": 1}[kwargs["monitor"]]
    seen = "; then ".join(str([epoch[index] for epoch in run]) for run in runs)
    return (_tr("EarlyStopping({args}); Model.fit gives {kwargs_monitor} = {seen} at the ends of the epochs  "
                "[expected/got = per training: (the epochs that ran, stopped_epoch)]").format(
                args=args, kwargs_monitor=kwargs['monitor'], seen=seen))


class _WrongStopper(Callback):
    """Wrong EarlyStopping variants for the mistake list; `kind` picks the mistake."""

    kind = "right"

    def __init__(self, monitor: str = "eval_loss", min_delta: float = 0, patience: int = 0, mode: str = "min") -> None:
        self.monitor, self.min_delta, self.patience, self.mode = monitor, min_delta, patience, mode
        self._reset()

    def _reset(self) -> None:
        minimize = self.mode == "min" or self.kind == "mode ignored"
        self.wait, self.stopped_epoch = 0, 0
        self.best = np.inf if minimize else -np.inf
        self.last = None

    def on_train_begin(self, run_context: RunContext) -> None:
        if self.kind != "no reset":
            self._reset()

    def _improves(self, current: float) -> bool:
        reference = self.last if self.kind == "compared with last" and self.last is not None else self.best
        minimize = self.mode == "min" or self.kind == "mode ignored"
        delta = 0 if self.kind == "min_delta ignored" else self.min_delta
        if self.kind == "min_delta wrong way":
            delta = -delta
        if self.kind == "ties improve":
            return current <= reference - delta if minimize else current >= reference + delta
        return current < reference - delta if minimize else current > reference + delta

    def on_train_epoch_end(self, run_context: RunContext) -> None:
        cb_params = run_context.original_args()
        if self.kind == "train loss":
            current = float(cb_params.net_outputs.asnumpy())
        elif self.kind == "metrics":
            current = cb_params.metrics[self.monitor]
        else:
            current = cb_params.eval_results[self.monitor]
        self.wait += 1
        if self._improves(current):
            self.best = current
            if self.kind != "wait not reset":
                self.wait = 0
        self.last = current
        stop = self.wait > self.patience if self.kind == "patience off by one" else self.wait >= self.patience
        if stop:
            if self.kind != "no stopped_epoch":
                self.stopped_epoch = cb_params.cur_epoch_num
            if self.kind != "no request_stop":
                run_context.request_stop()


def _stopper_variant(kind: str) -> type:
    return type(f"EarlyStopping_{kind.replace(' ', '_')}", (_WrongStopper,), {"kind": kind})


EARLY_STOPPING_MISTAKES = [
    Mistake("stop never requested",
            "to stop, call `run_context.request_stop()`: the training loop checks it after every step and every "
            "epoch. Setting an attribute of your own does not reach the loop.",
            wrong=_stopper_variant("no request_stop")),
    Mistake("mode ignored",
            "with mode='max' (accuracy) bigger is better: an improvement is `current > best + min_delta`, and "
            "best starts at -inf.",
            wrong=_stopper_variant("mode ignored")),
    Mistake("monitored the training loss",
            "watch the VALIDATION value: `run_context.original_args().eval_results[self.monitor]` (Model.fit "
            "fills eval_results at the end of each epoch); net_outputs is the loss of the last training batch.",
            wrong=_stopper_variant("train loss")),
    Mistake("patience off by one",
            "count the epochs without improvement and stop as soon as that count REACHES patience (`wait >= "
            "patience`), as MindSpore does: with patience=2, two epochs without improvement stop training.",
            wrong=_stopper_variant("patience off by one")),
    Mistake("wait not reset on improvement",
            "training stopped after exactly `patience` epochs, as if no epoch were an improvement: when the value "
            "improves on the best (`current < best - min_delta` for 'min', `current > best + min_delta` for "
            "'max', with best starting at +inf or -inf), remember it as the new best AND set the counter back "
            "to 0.",
            wrong=_stopper_variant("wait not reset")),
    Mistake("compared with the previous epoch",
            "compare each value with the BEST value so far, not with the previous epoch's: a small recovery "
            "after a bad epoch is not a new best.",
            wrong=_stopper_variant("compared with last")),
    Mistake("a tie counts as an improvement",
            "an equal value is not an improvement: use a strict comparison (`current < best - min_delta` for "
            "'min').",
            wrong=_stopper_variant("ties improve")),
    Mistake("min_delta ignored",
            "an improvement must beat the best by MORE than min_delta: `current < best - min_delta` ('min') or "
            "`current > best + min_delta` ('max').",
            wrong=_stopper_variant("min_delta ignored")),
    Mistake("min_delta the wrong way",
            "min_delta makes improving HARDER: for 'min' the value must fall below `best - min_delta`; "
            "`best + min_delta` would count a slightly worse value as an improvement.",
            wrong=_stopper_variant("min_delta wrong way")),
    Mistake("read cb_params.metrics",
            "read the monitored value from `eval_results`: Model.fit puts the metrics AND 'eval_loss' there, "
            "while `cb_params.metrics` holds the metrics only.",
            wrong=_stopper_variant("metrics")),
    Mistake("stopped_epoch not set",
            "when you request the stop, also set `self.stopped_epoch` to the current epoch, "
            "`cb_params.cur_epoch_num` (0 means the training was never stopped).",
            wrong=_stopper_variant("no stopped_epoch")),
    Mistake("state kept between trainings",
            "reset the counter, the best value and stopped_epoch in on_train_begin: Model.train calls it at the "
            "start of every training, and one callback object may serve several trainings.",
            wrong=_stopper_variant("no reset")),
]


@exercise(reference=EngineEarlyStopping, forbidden=[EngineEarlyStopping])
def check_EarlyStopping(EarlyStopping: Any, hidden: bool = False) -> None:  # noqa: N802, N803
    """Exercise 07.4: EarlyStopping(monitor, min_delta, patience, mode) stops as tinyspore.train.EarlyStopping."""
    run_check("07.4", "EarlyStopping", EarlyStopping, _early_stopping_cases(hidden),
              reference=reference_early_stopping, mistakes=EARLY_STOPPING_MISTAKES, call=_early_stopping_call,
              match=_match, describe_case=_describe_early_stopping)


# ----- 07.5 train_epoch ---------------------------------------------------------------------------------------
def reference_train_epoch(train_network: Any, dataset: Any, callbacks: list, run_context: RunContext) -> None:
    """One epoch of Model.train (the engine's loop): epoch hooks around, per batch a step between step hooks."""
    cb_params = run_context.original_args()
    for callback in callbacks:
        callback.on_train_epoch_begin(run_context)
    for row in dataset.create_tuple_iterator(num_epochs=1):
        cb_params.cur_step_num += 1
        for callback in callbacks:
            callback.on_train_step_begin(run_context)
        cb_params.net_outputs = train_network(*row)
        for callback in callbacks:
            callback.on_train_step_end(run_context)
        if run_context.get_stop_requested():
            break
    for callback in callbacks:
        callback.on_train_epoch_end(run_context)


class HookRecorder(Callback):
    """Writes down every training hook called on it, with the epoch and step numbers it sees, and the loss at
    the end of each step (NaN when cb_params has no `net_outputs`)."""

    def __init__(self, name: str, log: list, losses: list, epochs: list | None = None) -> None:
        self.name, self.log, self.losses = name, log, losses
        self.epochs = epochs if epochs is not None else []

    def _note(self, hook: str, run_context: Any) -> dict:
        cb_params = run_context.original_args()
        self.log.append(f"{self.name}{hook}({cb_params.get('cur_step_num')})")
        return cb_params

    def on_train_epoch_begin(self, run_context: Any) -> None:
        cb_params = self._note("epoch_begin", run_context)
        self.epochs.append(f"{self.name}begin {cb_params.get('cur_epoch_num')}")

    def on_train_step_begin(self, run_context: Any) -> None:
        self._note("step_begin", run_context)

    def on_train_step_end(self, run_context: Any) -> None:
        cb_params = self._note("step_end", run_context)
        outputs = cb_params.get("net_outputs")
        self.losses.append(float(np.mean(outputs.asnumpy())) if hasattr(outputs, "asnumpy") else float("nan"))

    def on_train_epoch_end(self, run_context: Any) -> None:
        cb_params = self._note("epoch_end", run_context)
        self.epochs.append(f"{self.name}end {cb_params.get('cur_epoch_num')}")


class StopAtStep(Callback):
    """Requests a stop at the end of step number `step` (counted over the whole training)."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_step_end(self, run_context: Any) -> None:
        if run_context.original_args().cur_step_num == self.step:
            run_context.request_stop()


def _train_parts(seed: int, n_in: int) -> TrainOneStepCell:
    rng = np.random.default_rng(seed)
    net = nn.Dense(n_in, 1, weight_init=ms.Tensor(rng.uniform(-0.5, 0.5, (1, n_in)).astype(np.float32)),
                   bias_init=ms.Tensor(np.zeros(1, np.float32)))
    return TrainOneStepCell(WithLossCell(net, nn.MSELoss()), nn.SGD(net.trainable_params(), learning_rate=0.1))


def _train_epoch_call(fn: Any, case: Case) -> tuple:
    """Run `fn` for each epoch of the case as Model.train would; (hook log, losses, parameters, steps)."""
    x, y, batch_size, drop_remainder, recorders, stop_at, epochs, seed = case.args
    train_network = _train_parts(seed, x.shape[1])
    dataset = NumpySlicesDataset({"data": x, "label": y}, shuffle=False).batch(batch_size, drop_remainder)
    log: list[str] = []
    losses: list[float] = []
    epoch_log: list[str] = []
    callbacks: list[Callback] = [HookRecorder(name, log, losses, epoch_log) for name in recorders]
    if stop_at:
        callbacks.insert(1, StopAtStep(stop_at))
    cb_params = CallbackParam(train_network=train_network, epoch_num=epochs, initial_epoch=0,
                              batch_num=dataset.get_dataset_size(), cur_step_num=0, mode="train",
                              dataset_sink_mode=False, list_callback=callbacks)
    run_context = RunContext(cb_params)
    for epoch in range(1, epochs + 1):
        cb_params.cur_epoch_num = epoch
        fn(train_network, dataset, callbacks, run_context)
        if run_context.get_stop_requested():
            break
    params = np.concatenate([p.asnumpy().ravel() for p in train_network.trainable_params()])
    return (" ".join(log), np.array(losses, np.float32), params, f"cur_step_num = {cb_params.get('cur_step_num')}",
            "cur_epoch_num at the epoch hooks: " + ", ".join(epoch_log))


def _train_epoch_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 5)
    # (samples, features, batch_size, drop_remainder, recorders, stop_at, epochs, note)
    plans = [(10, 3, 4, False, ("",), 0, 1, "one epoch of 3 steps"),
             (6, 2, 3, False, ("",), 0, 2, "two epochs: cur_step_num counts on"),
             (7, 2, 3, True, ("A:", "B:"), 0, 1, "two callbacks, A then B; drop_remainder=True"),
             (9, 3, 3, False, ("",), 2, 2, "a stop requested at step 2"),
             (4, 1, 2, False, ("",), 0, 3, "three epochs")]
    if hidden:
        plans = [(8, 2, 3, False, ("",), 0, 2, "two epochs"),
                 (10, 1, 4, True, ("A:", "B:"), 0, 1, "two callbacks, A then B"),
                 (12, 2, 5, False, ("",), 4, 3, "a stop requested at step 4"),
                 (5, 3, 5, False, ("",), 0, 2, "one step per epoch")]
    cases = []
    for number, (n, d, bs, drop, recorders, stop_at, epochs, note) in enumerate(plans):
        x = rng.standard_normal((n, d)).round(2).astype(np.float32)
        y = rng.standard_normal((n, 1)).round(2).astype(np.float32)
        cases.append(Case((x, y, bs, drop, recorders, stop_at, epochs, 50 + number + (20 if hidden else 0)),
                          note=note))
    return cases


def _describe_train_epoch(case: Case) -> str:
    x, y, batch_size, drop_remainder, recorders, stop_at, epochs, _ = case.args
    names = " and ".join(f"recorder {r.rstrip(':')}" for r in recorders if r) or "a recorder"
    stop = _tr(", a callback that requests a stop at step {stop_at}").format(
               stop_at=stop_at) if stop_at else ""
    return (_tr("{epochs} epoch(s) of a Dense({x_shape_1}, 1) MSE/SGD train network over {x_shape_0} samples, "
                "batch({batch_size}, drop_remainder={drop_remainder}); callbacks: {names}{stop}  [expected/got "
                "= (hooks seen, with cur_step_num; losses seen at step_end; final parameters; cur_step_num at "
                "the end; cur_epoch_num seen)]").format(
                epochs=epochs, x_shape_1=x.shape[1], x_shape_0=x.shape[0], batch_size=batch_size,
                drop_remainder=drop_remainder, names=names, stop=stop))


def _epoch_variant(kind: str):
    """Wrong train_epoch variants for the mistake list."""
    def train_epoch(train_network, dataset, callbacks, run_context):
        cb_params = run_context.original_args()
        if kind == "epoch counted":
            cb_params.cur_epoch_num += 1
        hooks_on = callbacks[:1] if kind == "first callback only" else callbacks
        context = cb_params if kind == "cb_params passed" else run_context
        if kind != "no epoch hooks":
            for cb in hooks_on:
                cb.on_train_epoch_begin(context)
        for i, row in enumerate(dataset.create_tuple_iterator(num_epochs=1)):
            if kind == "counter from the epoch":
                cb_params.cur_step_num = i + 1
            elif kind not in ("no counter", "counter after the step"):
                cb_params.cur_step_num += 1
            for cb in hooks_on:
                cb.on_train_step_begin(context)
            if kind == "step_end before the step":
                for cb in hooks_on:
                    cb.on_train_step_end(context)
            outputs = train_network(row) if kind == "row as one argument" else train_network(*row)
            if kind != "net_outputs not stored":
                cb_params.net_outputs = outputs
            if kind == "counter after the step":
                cb_params.cur_step_num += 1
            if kind != "step_end before the step":
                for cb in hooks_on:
                    cb.on_train_step_end(context)
            if run_context.get_stop_requested() and kind != "stop ignored":
                if kind == "stop skips epoch_end":
                    return
                break
            if kind == "epoch_end in the loop":
                for cb in hooks_on:
                    cb.on_train_epoch_end(context)
        if kind not in ("no epoch hooks", "epoch_end in the loop"):
            for cb in hooks_on:
                cb.on_train_epoch_end(context)
    return train_epoch


TRAIN_EPOCH_MISTAKES = [
    Mistake("cb_params passed to the hooks",
            "every hook takes the RunContext, `callback.on_train_step_end(run_context)`; the callbacks reach the "
            "state themselves with `run_context.original_args()`.",
            wrong=_epoch_variant("cb_params passed")),
    Mistake("row passed as one argument",
            "each row of the dataset is a list `[data, label]`: unpack it into the train network's arguments, "
            "`train_network(*row)`.",
            wrong=_epoch_variant("row as one argument")),
    Mistake("step counter not increased",
            "count each step in the shared state before its hooks run: `cb_params.cur_step_num += 1`, where "
            "`cb_params = run_context.original_args()`. Callbacks such as LossMonitor and ModelCheckpoint read it.",
            wrong=_epoch_variant("no counter")),
    Mistake("step counter restarted each epoch",
            "cur_step_num counts the steps of the WHOLE training, not of this epoch: add 1 to it "
            "(`cb_params.cur_step_num += 1`) instead of setting it from the batch's position.",
            wrong=_epoch_variant("counter from the epoch")),
    Mistake("step counter increased after the step",
            "increase cur_step_num BEFORE on_train_step_begin, so that both hooks of a step see that step's "
            "number.",
            wrong=_epoch_variant("counter after the step")),
    Mistake("net_outputs not stored",
            "store what the train network returns (the loss) as `cb_params.net_outputs` before on_train_step_end: "
            "that is where LossMonitor, History and EarlyStopping read the loss.",
            wrong=_epoch_variant("net_outputs not stored")),
    Mistake("step_end before the step",
            "the order of one step is: on_train_step_begin, the train network on the batch, on_train_step_end.",
            wrong=_epoch_variant("step_end before the step")),
    Mistake("only the first callback called",
            "call each hook on EVERY callback of the list, in the list's order.",
            wrong=_epoch_variant("first callback only")),
    Mistake("epoch hooks missing",
            "an epoch starts with on_train_epoch_begin and ends with on_train_epoch_end, on every callback: "
            "History, EarlyStopping and ModelCheckpoint work there.",
            wrong=_epoch_variant("no epoch hooks")),
    Mistake("on_train_epoch_end inside the loop",
            "on_train_epoch_end comes once per epoch, after the loop over the batches: check its indentation.",
            wrong=_epoch_variant("epoch_end in the loop")),
    Mistake("cur_epoch_num changed",
            "the caller sets cb_params.cur_epoch_num before each epoch; train_epoch only reads it (changing it "
            "makes every callback see the wrong epoch).",
            wrong=_epoch_variant("epoch counted")),
    Mistake("stop request ignored",
            "after each step, `if run_context.get_stop_requested(): break`: a callback such as EarlyStopping "
            "asks the loop to stop this way.",
            wrong=_epoch_variant("stop ignored")),
    Mistake("stop skips on_train_epoch_end",
            "a stop request ends the loop over the batches (`break`), but the epoch still ends properly: call "
            "on_train_epoch_end on every callback after the loop.",
            wrong=_epoch_variant("stop skips epoch_end")),
]


@exercise(reference=reference_train_epoch,
          forbidden=[Model.train, Model.fit, Model._run_training, Model._train_epochs])
def check_train_epoch(train_epoch: Any, hidden: bool = False) -> None:
    """Exercise 07.5: train_epoch(train_network, dataset, callbacks, run_context) is one epoch of Model.train."""
    run_check("07.5", "train_epoch", train_epoch, _train_epoch_cases(hidden), reference=reference_train_epoch,
              mistakes=TRAIN_EPOCH_MISTAKES, call=_train_epoch_call, match=_match,
              same=lambda expected, got, case: same(expected, got, case, rtol=1e-5, atol=1e-6),
              describe_case=_describe_train_epoch)
