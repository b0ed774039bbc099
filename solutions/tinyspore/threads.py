"""Intra-op parallelism: the images of a batch split over a few threads, inside one big op.

Why: one NumPy call (a ufunc, a copy) runs on one core; BLAS uses more only for big matrix products,
and a convolution's products are many small ones (one per image). PyTorch splits the loop of every big
op across the cores (`at::parallel_for`); tinyspore does the same by hand, at the coarsest grain. In a
convolution, a pooling or a ReLU every image is computed independently of the others, so the first half
of the batch and the second half can be computed at the same time, each into its own part of the
output arrays. NumPy releases the GIL inside its loops and BLAS calls, so two Python threads really run
on two cores.

Why it is correct: every image goes through exactly the operations it would go through on one thread,
so the results are the same bit for bit; what sums over images (a weight's gradient) is summed after
all the parts are done. The parts write to disjoint slices, and nothing else runs in the worker threads.

When: only for ops that touch at least `MIN_WORK` elements; handing a part to a thread costs tens of
microseconds. `set_num_threads(1)` turns it off; the plain version is `fn(0, n)`.
"""

from __future__ import annotations

import os
import queue
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import Future

__all__ = ["set_num_threads", "get_num_threads", "over_batch"]

MIN_WORK = 1 << 18  # elements (read or written) below which an op stays on the calling thread


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


_state: dict = {"threads": max(1, min(_cores(), 8)), "pool": None, "failed": False}
_lock = threading.Lock()


def set_num_threads(n: int) -> None:
    """Use up to `n` threads inside one op (1: no threads). The default is the number of usable cores
    (at most 8)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_threads: n must be a positive int, got {n!r}")
    with _lock:
        _state["threads"] = n
        _state["failed"] = False


def get_num_threads() -> int:
    """How many threads one op may use."""
    return 1 if _state["failed"] else _state["threads"]


class _Workers:
    """Threads started up front, each running parts from one queue until told to stop."""

    def __init__(self, count: int) -> None:
        self.tasks: queue.SimpleQueue = queue.SimpleQueue()
        self.threads: list[threading.Thread] = []
        try:
            for i in range(count):
                thread = threading.Thread(target=self._serve, name=f"tinyspore-op-{i}", daemon=True)
                thread.start()  # RuntimeError when the process may not have more threads (RLIMIT_NPROC)
                self.threads.append(thread)
        except RuntimeError:
            self.stop()
            raise

    def _serve(self) -> None:
        while (job := self.tasks.get()) is not None:
            fn, start, stop, future = job
            try:
                future.set_result(fn(start, stop))
            except BaseException as error:  # noqa: BLE001 (handed to the caller through the future)
                future.set_exception(error)

    def submit(self, fn: Callable[[int, int], object], start: int, stop: int) -> Future:
        future: Future = Future()
        self.tasks.put((fn, start, stop, future))
        return future

    def stop(self) -> None:
        for _ in self.threads:
            self.tasks.put(None)


def _workers(count: int) -> _Workers:
    with _lock:
        pool = _state["pool"]
        if pool is None or len(pool.threads) < count:
            if pool is not None:
                pool.stop()
            _state["pool"] = pool = _Workers(count)
        return pool


def _forget_pool() -> None:
    # A forked child has the pool object but not its threads: work sent to it would wait forever.
    _state["pool"] = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def over_batch(n: int, work: int, fn: Callable[[int, int], object]) -> None:
    """Call `fn(start, stop)` on parts of `range(n)` that together cover it once, on up to
    `get_num_threads()` threads when the op touches `work` >= MIN_WORK elements, else as `fn(0, n)`.

    The calling thread does the first part itself. Exceptions from any part are raised here, after
    every part has finished (so no part is still writing when the caller moves on).
    """
    parts = min(get_num_threads(), n, work // MIN_WORK)
    if parts <= 1:
        fn(0, n)
        return
    bounds = [n * i // parts for i in range(parts + 1)]
    try:
        pool = _workers(parts - 1)
    except RuntimeError as error:  # "can't start new thread": a process limit (RLIMIT_NPROC) is reached
        _state["failed"] = True
        warnings.warn(f"tinyspore: cannot start a thread for intra-op parallelism ({error}); "
                      f"ops run on one thread from now on (set_num_threads resets this)", RuntimeWarning,
                      stacklevel=3)
        fn(0, n)
        return
    futures = [pool.submit(fn, bounds[i], bounds[i + 1]) for i in range(1, parts)]
    errors = []
    try:
        fn(bounds[0], bounds[1])
    except BaseException as error:  # noqa: BLE001 (re-raised below, once the other parts are done)
        errors.append(error)
    for future in futures:
        try:
            future.result()
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
    if errors:
        raise errors[0]
