"""Messages in the learner's language: gettext catalogues, chosen by the edition of the notebook.

The course has an English and a Chinese edition that share their code. Which language a message is shown
in is decided when it is shown, by the first of:

0. inside `with using(lang):`, that language;
1. the environment variable `TINYSPORE_LANG` (`en`, `zh`, `zh_CN`, ...);
2. a file `.tinyspore-lang` in the current folder (every chapter folder of the Chinese edition holds one,
   and Jupyter, nbgrader and the self-check run a notebook in its own folder), whose text is the language;
3. English.

Catalogues are standard gettext `.po` files (`<package>/locale/<lang>/LC_MESSAGES/<domain>.po`), compiled to
the `.mo` format in memory when first needed (no `msgfmt` tool is required) and read by Python's `gettext`.
A message without a translation falls back to English.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import gettext
import io
import os
import re
import struct
from collections.abc import Callable
from pathlib import Path

ENV = "TINYSPORE_LANG"
MARKER = ".tinyspore-lang"
LANGUAGES = ("en", "zh_CN")


def normalize(name: str) -> str:
    """`zh`, `zh-CN`, `zh_CN.UTF-8` -> `zh_CN`; `en...`, empty or unknown -> `en` (English is the fallback)."""
    base = name.strip().split(".")[0].replace("-", "_")
    if base.lower().startswith("zh"):
        return "zh_CN"
    return "en"


_override: list[str] = []


@contextlib.contextmanager
def using(lang: str):
    """Messages in `lang` inside the `with` block, whatever the environment says (e.g. the self-check's table
    in the language of the notebooks it ran)."""
    _override.append(normalize(lang))
    try:
        yield
    finally:
        _override.pop()


def language_of(folder: str | Path) -> str:
    """The edition of the notebooks in `folder`: its `.tinyspore-lang` file, else en."""
    try:
        return normalize((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except OSError:
        return "en"


def language() -> str:
    """The language of the messages now: `TINYSPORE_LANG`, else the current folder's `.tinyspore-lang`, else en."""
    if _override:
        return _override[-1]
    chosen = os.environ.get(ENV)
    if chosen:
        return normalize(chosen)
    return language_of(".")


def parse_po(text: str) -> dict[str, str]:
    """The msgid -> msgstr pairs of a `.po` file (no plural forms or contexts: the course uses neither).

    Untranslated entries (empty msgstr) and fuzzy ones are left out, so they fall back to English.
    """
    entries: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    current: list[str] | None = None
    fuzzy = next_fuzzy = False

    def flush() -> None:
        if msgid is not None and msgstr is not None and not fuzzy:
            key, value = "".join(msgid), "".join(msgstr)
            if key and value:
                entries[key] = value

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#,") and "fuzzy" in line:
            next_fuzzy = True
        if not line or line.startswith("#"):
            continue
        if line.startswith("msgid "):
            flush()
            msgid, msgstr, fuzzy, next_fuzzy = [], None, next_fuzzy, False
            current, line = msgid, line[len("msgid "):]
        elif line.startswith("msgstr "):
            msgstr = []
            current, line = msgstr, line[len("msgstr "):]
        if not line.startswith('"') or current is None:
            raise ValueError(f".po line {number}: cannot read {raw!r}")
        current.append(ast.literal_eval(line))
    flush()
    return entries


def mo_bytes(entries: dict[str, str]) -> bytes:
    """The GNU `.mo` file of `entries` (the format `msgfmt` writes and `gettext.GNUTranslations` reads)."""
    header = "Content-Type: text/plain; charset=UTF-8\n"
    items = sorted({"": header, **entries}.items())
    ids = [k.encode() for k, _ in items]
    strs = [v.encode() for _, v in items]
    count = len(items)
    ids_start = 7 * 4 + 16 * count
    offsets, blob_ids, blob_strs = [], b"", b""
    for key, value in zip(ids, strs):
        offsets.append((len(key), len(blob_ids), len(value), len(blob_strs)))
        blob_ids += key + b"\0"
        blob_strs += value + b"\0"
    strs_start = ids_start + len(blob_ids)
    table = []
    for key_len, key_off, val_len, val_off in offsets:
        table.append((key_len, ids_start + key_off, val_len, strs_start + val_off))
    out = struct.pack("<7I", 0x950412DE, 0, count, 7 * 4, 7 * 4 + 8 * count, 0, 0)
    out += b"".join(struct.pack("<2I", n, o) for n, o, _, _ in table)
    out += b"".join(struct.pack("<2I", n, o) for _, _, n, o in table)
    return out + blob_ids + blob_strs


def catalogue_path(localedir: Path, domain: str, lang: str) -> Path:
    return Path(localedir) / lang / "LC_MESSAGES" / f"{domain}.po"


@functools.cache
def translations(localedir: str, domain: str, lang: str) -> gettext.NullTranslations:
    """The translations of `domain` into `lang`, from its `.po` file; English (no-op) when there is none."""
    path = catalogue_path(Path(localedir), domain, lang)
    if lang == "en" or not path.is_file():
        return gettext.NullTranslations()
    entries = parse_po(path.read_text(encoding="utf-8"))
    return gettext.GNUTranslations(io.BytesIO(mo_bytes(entries)))


_FIELD = re.compile(r"\{(\w+)(?::[^{}]*)?\}")


def templates(entries: dict[str, str]) -> list[tuple[int, re.Pattern, str]]:
    """The msgids with {fields} as patterns (with their number of fixed letters and their msgstr), most
    specific first; only those with some fixed words (`{title}: {message}` would match anything)."""
    found = []
    for msgid, msgstr in entries.items():
        parts = _FIELD.split(msgid)  # text, field, text, field, ...
        letters = len(re.findall(r"[A-Za-z]", "".join(parts[0::2])))
        if len(parts) == 1 or letters < 5:
            continue
        seen: set[str] = set()
        regex = ""
        for i, part in enumerate(parts):
            if i % 2 == 0:
                regex += re.escape(part)
            else:
                regex += f"(?P={part})" if part in seen else f"(?P<{part}>.+?)"
                seen.add(part)
        found.append((letters, re.compile(regex, re.DOTALL), msgstr))
    return sorted(found, key=lambda f: -f[0])


def _adjacent(regex: re.Pattern) -> list[tuple[str, str]]:
    """Pairs of fields with no text between them (`{index}{input_text}`): where one ends is a guess."""
    names = re.findall(r"\(\?P<(\w+)>\.\+\?\)(?=\(\?P<(\w+)>)", regex.pattern)
    return [(a, b) for a, b in names]


@functools.cache
def _shaped(localedir: str, domain: str, lang: str) -> list[tuple[int, re.Pattern, str]]:
    path = catalogue_path(Path(localedir), domain, lang)
    return templates(parse_po(path.read_text(encoding="utf-8")) if path.is_file() else {})


def translator(localedir: str | Path, domain: str) -> Callable[[str], str]:
    """A `_(message)` for one package's catalogue: the message in the language chosen now (see `language`).

    A message already formatted from a template (an error built before it is shown again, a hint made from
    a template) is recognised by its template's msgid, and its fields are carried over, each translated
    too when the catalogue has it (also a whole sentence put into a field)."""
    localedir = str(localedir)

    def _(message: str, _depth: int = 0) -> str:
        lang = language()
        translated = translations(localedir, domain, lang).gettext(message)
        if translated != message or lang == "en" or not isinstance(message, str) or _depth > 2:
            return translated
        for letters, regex, msgstr in _shaped(localedir, domain, lang):
            if letters < (12 if _depth == 0 else 5):  # a whole message needs more words than a field
                continue
            found = regex.fullmatch(message)
            if found:
                raw = found.groupdict()
                for first, second in _adjacent(regex):  # move the boundary to where the second field is a
                    joined = raw[first] + raw[second]    # message of its own (a translatable fragment)
                    split = next((k for k in range(1, len(joined)) if _(joined[k:], _depth + 1) != joined[k:]),
                                 None)
                    if split is not None:
                        raw[first], raw[second] = joined[:split], joined[split:]
                values = {name: _(value, _depth + 1) for name, value in raw.items()}
                return _FIELD.sub(lambda m, values=values: values[m.group(1)], msgstr)
        return message

    return _


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark for translation, translate later"
    """Marks a message for the catalogue without translating it here (it is translated where it is shown)."""
    return message


_ = translator(Path(__file__).resolve().parent.parent / "locale", "tinyspore")
"""The engine's own messages (its errors): catalogue `tinyspore/locale/<lang>/LC_MESSAGES/tinyspore.po`."""
