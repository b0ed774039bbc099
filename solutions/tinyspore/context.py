"""`set_context` and `jit`: accepted for MindSpore compatibility. TinySpore always executes eagerly.

MindSpore can compile Python into a static graph (GRAPH_MODE, or `@mindspore.jit` on one function) to run
it faster; the results are the same as running it line by line (PYNATIVE_MODE). TinySpore has no
compiler, so both run the Python as written: the numbers agree, only MindSpore's speed-up is missing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

GRAPH_MODE = 0
PYNATIVE_MODE = 1

_context: dict[str, Any] = {"mode": PYNATIVE_MODE, "device_target": "CPU"}
# jit_syntax_level's values (how much Python MindSpore's graph compiler accepts)
STRICT, COMPATIBLE, LAX = 0, 1, 2

_KNOWN = {"mode", "device_target", "device_id", "max_call_depth", "save_graphs", "pynative_synchronize",
          "jit_config", "jit_level", "max_device_memory", "jit_syntax_level"}


def set_context(**kwargs: Any) -> None:
    """Record settings such as `mode=PYNATIVE_MODE`; GRAPH_MODE runs eagerly too (same results)."""
    for key, value in kwargs.items():
        if key not in _KNOWN:
            raise ValueError(f"set_context: unknown setting {key!r}; known: {sorted(_KNOWN)}")
        if key == "mode" and value not in (GRAPH_MODE, PYNATIVE_MODE):
            raise ValueError(f"set_context: mode must be GRAPH_MODE (0) or PYNATIVE_MODE (1), got {value!r}")
        if key == "device_target" and value not in ("CPU", "cpu"):
            raise ValueError(f"set_context: tinyspore runs on the CPU only, got device_target={value!r}")
        _context[key] = value


def get_context(key: str) -> Any:
    if key not in _context:
        raise ValueError(f"get_context: {key!r} is not set")
    return _context[key]


_JIT_CAPTURE_MODES = ("ast", "bytecode", "trace")


def jit(function: Callable | None = None, *, capture_mode: str = "ast", jit_level: str = "O0", dynamic: int = 0,
        fullgraph: bool = False, backend: str = "", **options: Any) -> Callable:
    """MindSpore's `jit` in its three forms, as a faithful pass-through: the function runs as written.

        @mindspore.jit                 # a decorator
        fast_run = mindspore.jit(run)  # a function transformation
        @mindspore.jit                 # on a Cell's construct
        def construct(self, x): ...

    Also `@mindspore.jit(capture_mode="ast", ...)` with settings. MindSpore compiles the function into a
    static graph to run it faster; tinyspore has no compiler, so the results are the same and only the
    speed-up is missing. MindSpore's `**options` configure its compiler backend, which tinyspore does not
    have, so any option is refused by name.
    """
    if capture_mode not in _JIT_CAPTURE_MODES:
        raise ValueError(f"jit: capture_mode must be one of {list(_JIT_CAPTURE_MODES)}, got {capture_mode!r}")
    if jit_level not in ("O0", "O1", "O2"):
        raise ValueError(f"jit: jit_level must be 'O0', 'O1' or 'O2', got {jit_level!r}")
    if options:
        raise NotImplementedError(f"jit: backend options {sorted(options)} are not supported: tinyspore has no "
                                  f"graph compiler (capture_mode, jit_level, dynamic, fullgraph, backend are accepted)")

    def wrap(fn: Callable) -> Callable:
        if not callable(fn):
            raise TypeError(f"jit: expected a function to compile, got {type(fn).__name__} {fn!r}")

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            return fn(*args, **kwargs)
        return run

    return wrap if function is None else wrap(function)
