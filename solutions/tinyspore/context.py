"""`set_context`: accepted for MindSpore compatibility. TinySpore always executes eagerly."""

from __future__ import annotations

from typing import Any

GRAPH_MODE = 0
PYNATIVE_MODE = 1

_context: dict[str, Any] = {"mode": PYNATIVE_MODE, "device_target": "CPU"}
_KNOWN = {"mode", "device_target", "device_id", "max_call_depth", "save_graphs", "pynative_synchronize",
          "jit_config", "jit_level", "max_device_memory"}


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
