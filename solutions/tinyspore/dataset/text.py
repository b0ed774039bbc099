"""`mindspore.dataset.text` is not in tinyspore: its names are here only to say so clearly.

Text pipelines (tokenizers, `Vocab`, `Lookup`) need string tensors, and tinyspore's Tensors hold numbers
only (the course builds vision and tabular models). Tokenize in plain Python inside a `GeneratorDataset`
source or a `.map` operation, and map words to ids with a dict, to get integer columns.
"""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = ["BasicTokenizer", "PythonTokenizer", "WhitespaceTokenizer", "Vocab", "Lookup", "SentencePieceVocab",
           "ToNumber"]

_WHY = ("is part of mindspore.dataset.text, which tinyspore does not implement (its Tensors hold numbers, not "
        "strings); tokenize in Python and map words to integer ids with a dict in a GeneratorDataset or .map")


class _NotInTinySpore:
    def __init__(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise NotImplementedError(f"dataset.text.{type(self).__name__} {_WHY}")


class BasicTokenizer(_NotInTinySpore):
    """Not implemented (see the module docstring)."""


class PythonTokenizer(_NotInTinySpore):
    """Not implemented (see the module docstring)."""


class WhitespaceTokenizer(_NotInTinySpore):
    """Not implemented (see the module docstring)."""


class Lookup(_NotInTinySpore):
    """Not implemented (see the module docstring)."""


class ToNumber(_NotInTinySpore):
    """Not implemented (see the module docstring)."""


class SentencePieceVocab(_NotInTinySpore):
    """Not implemented (see the module docstring)."""


class Vocab(_NotInTinySpore):
    """Not implemented (see the module docstring); `Vocab.from_dataset`, `from_list`, ... raise too."""

    @classmethod
    def from_dataset(cls, *args: Any, **kwargs: Any) -> NoReturn:
        raise NotImplementedError(f"dataset.text.Vocab.from_dataset {_WHY}")

    from_list = from_dict = from_file = from_dataset
