"""One rule for MindSpore options that tinyspore does not have: refuse them by name, never ignore them."""

from __future__ import annotations

from typing import Any


def refuse_unsupported(op: str, **options: Any) -> None:
    """NotImplementedError naming every option that was given (not None) to `op`.

    Call it with each unsupported option, or `None` when the caller left it at its default.
    """
    given = [name for name, value in options.items() if value is not None]
    if given:
        raise NotImplementedError(f"{op}: {', '.join(given)} {'is' if len(given) == 1 else 'are'} not implemented "
                                  f"in tinyspore")
