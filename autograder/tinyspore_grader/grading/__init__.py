"""Grading submissions in isolation: see README.md, "Grading with nbgrader", and the modules' docstrings."""

from __future__ import annotations

import sys


def skip_iri_grammar() -> None:
    """Spare this process the IRI grammar that jsonschema's format checker builds when it is imported.

    nbformat imports jsonschema, and jsonschema imports `rfc3987_syntax` (Jupyter installs it) for its "iri"
    string format; that module builds a Lark parser as it is imported: 1.1-1.4 s of CPU, in every grading
    process and in the fork server. Neither nbformat nor nbgrader checks string formats (no FormatChecker, no
    "iri" in their schemas), so without the module nothing they validate changes: jsonschema then just has no
    "iri" check. Call it before jsonschema is imported; afterwards it does nothing.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # None: `import rfc3987_syntax` raises ImportError
