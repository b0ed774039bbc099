"""Recycled memory for the engine's big arrays: what a training step frees, the next step reuses.

Why: a CNN step makes the same few-megabyte arrays every time (padded images, im2col columns, layer
outputs, their gradients) and drops them at the end of the step. glibc's malloc hands memory that big
back to the operating system, and takes it back on the next step; every fresh 4 KiB page then costs a
page fault, where the kernel zeroes the page. On the course's CNN that is about 3,000 faults a step,
more time in the kernel than in NumPy's arithmetic. PyTorch keeps freed GPU memory for the same reason
(its "caching allocator"); this module is the same idea for tinyspore's own arrays, and nothing else in
the process is affected (compare `allocator.keep_freed_memory()`, which changes malloc for everyone).

How: `empty(shape, dtype)` returns an ordinary ndarray whose memory is an anonymous `mmap` block. When
the last array using a block (the array itself or any view of it) is garbage, a `weakref.finalize`
callback puts the block on a free list, and the next request of the same size gets it back, its pages
already mapped. Correct because a block is handed out again only when no Python object can reach its
old contents. Small arrays (below `MIN_BYTES`) and whatever NumPy allocates by itself keep using malloc,
and at most `limit()` bytes of free blocks are kept (the oldest go back to the OS first).

The plain version is `np.empty(shape, dtype)`; `disable()` makes `empty` exactly that.
"""

from __future__ import annotations

import math
import mmap
import threading
import weakref
from collections import OrderedDict
from typing import Any

import numpy as np

__all__ = ["empty", "zeros", "limit", "set_limit", "enable", "disable", "clear", "stats"]

MIN_BYTES = 256 << 10  # below this malloc keeps its memory anyway (its heap), so pooling saves nothing
_PAGE = mmap.PAGESIZE

_free: OrderedDict[int, list[mmap.mmap]] = OrderedDict()  # block size -> idle blocks, oldest size first
_state = {"enabled": True, "limit": 128 << 20, "idle": 0, "reused": 0, "mapped": 0}
_lock = threading.Lock()  # arrays may be freed on any thread (see `threads`)


def empty(shape: Any, dtype: Any) -> np.ndarray:
    """Like `np.empty(shape, dtype)` (C order, contents undefined), on recycled memory when big."""
    dtype = np.dtype(dtype)
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
    nbytes = dtype.itemsize * math.prod(shape)
    if nbytes < MIN_BYTES or not _state["enabled"] or dtype.hasobject:
        return np.empty(shape, dtype)
    size = -(-nbytes // _PAGE) * _PAGE
    with _lock:
        blocks = _free.get(size)
        if blocks:
            block = blocks.pop()
            if not blocks:
                del _free[size]
            _state["idle"] -= size
            _state["reused"] += 1
        else:
            block = None
            _state["mapped"] += 1
    if block is None:
        block = mmap.mmap(-1, size)
    array = np.ndarray(shape, dtype, buffer=block)
    # Views of `array` keep `array` itself alive (its base is the mmap, not an ndarray, so NumPy does not
    # skip over it), so this runs only when nothing can read or write the block any more.
    weakref.finalize(array, _release, block, size)
    return array


def zeros(shape: Any, dtype: Any) -> np.ndarray:
    """Like `np.zeros(shape, dtype)`, on recycled memory when big."""
    array = empty(shape, dtype)
    array.fill(0)
    return array


def _release(block: mmap.mmap, size: int) -> None:
    if not _state["enabled"] or size > _state["limit"]:
        return  # dropped: the mmap object unmaps its pages when it is collected
    with _lock:
        _free.setdefault(size, []).append(block)
        _free.move_to_end(size)
        _state["idle"] += size
        _release_excess()


def limit() -> int:
    """How many bytes of freed blocks are kept for reuse (128 MiB unless `set_limit` changed it)."""
    return _state["limit"]


def set_limit(nbytes: int) -> None:
    """Keep at most `nbytes` of freed blocks for reuse; 0 keeps none (every block goes back to the OS)."""
    if not isinstance(nbytes, (int, np.integer)) or isinstance(nbytes, bool) or nbytes < 0:
        raise ValueError(f"workspace.set_limit: nbytes must be a non-negative int, got {nbytes!r}")
    with _lock:
        _state["limit"] = int(nbytes)
        _release_excess()


def _release_excess() -> None:
    """Give the least recently freed sizes back to the OS until at most `limit()` bytes are idle (hold _lock)."""
    while _state["idle"] > _state["limit"]:
        oldest = next(iter(_free))
        _free[oldest].pop(0)
        _state["idle"] -= oldest
        if not _free[oldest]:
            del _free[oldest]


def enable() -> None:
    """Recycle big arrays (the default)."""
    _state["enabled"] = True


def disable() -> None:
    """Plain `np.empty` from now on, and give every idle block back to the OS."""
    _state["enabled"] = False
    clear()


def clear() -> None:
    """Give every idle block back to the OS (arrays in use are not affected)."""
    with _lock:
        _free.clear()
        _state["idle"] = 0


def stats() -> dict[str, int]:
    """Counters: `idle` bytes kept for reuse, blocks `reused` and freshly `mapped` since import."""
    return {"idle": _state["idle"], "reused": _state["reused"], "mapped": _state["mapped"],
            "limit": _state["limit"], "enabled": int(_state["enabled"])}
