"""The check library's messages and the figures' text in the learner's language (see `tinyspore.common.i18n`).

- `_(message)`: a message of the check library (verdicts, hints, diagnoses, the self-check table), from
  `locale/<lang>/LC_MESSAGES/tinyspore_grader.po`; English when the edition is English or the entry is missing.
  A message already formatted from a template with {fields} is found through its template.
- `N_(message)`: marks a message for the catalogue where it is defined (a `Mistake`'s hint, a case's note);
  it is translated where it is shown.
- `figure_text(text)`: a figure's text (title, axis label, legend, annotation) in the edition's language,
  from `locale/<lang>/LC_MESSAGES/figures.po`. The chapters' code is the same in both editions, so in the
  Chinese edition `install_figure_text()` (run when `tinyspore_grader` is imported) makes matplotlib
  translate every text it is given, and sets a font that has Chinese characters. An msgid with `{name}`
  fields matches any text of that shape (`fit: {W}x + {b}` matches `fit: 2.00x + 0.50`), and the fields are
  carried over into the msgstr. A text with English words and no entry is shown as it is, with a warning
  (`untranslated figure text: ...`, on stderr) that the edition tests look for in the Chinese notebooks.
"""

from __future__ import annotations

import functools
import re
import sys
import warnings
from pathlib import Path

from tinyspore.common.i18n import N_, language, parse_po, templates, translator  # noqa: F401 - N_, templates re-exported

LOCALE = Path(__file__).resolve().parent / "locale"
DOMAIN = "tinyspore_grader"
FIGURES = "figures"
UNTRANSLATED = "untranslated figure text"

_ = translator(LOCALE, DOMAIN)

# The words a check gives `run_check(steps=...)` for a trajectory's leading axis, singular and plural: the
# diagnosis puts them into its sentences ("right for the first 2 calls"), where they are translated as fields.
STEP_WORDS = (N_("step"), N_("steps"), N_("call"), N_("calls"), N_("epoch"), N_("epochs"))


@functools.cache
def _figure_catalogue(lang: str) -> tuple[dict[str, str], list[tuple[re.Pattern, str]]]:
    path = LOCALE / lang / "LC_MESSAGES" / f"{FIGURES}.po"
    entries = parse_po(path.read_text(encoding="utf-8")) if path.is_file() else {}
    patterns = []
    for msgid, msgstr in entries.items():
        if "{" in msgid:
            regex = "".join(f"(?P<{part[1:-1]}>.+?)" if re.fullmatch(r"\{\w+\}", part) else re.escape(part)
                            for part in re.split(r"(\{\w+\})", msgid))
            patterns.append((re.compile(regex, re.DOTALL), msgstr))
    return entries, patterns


def _needs_words(text: str) -> bool:
    """Whether a figure text has English in it (not a number, a tick label or a formula in $...$)."""
    plain = re.sub(r"\$[^$]*\$", "", text)
    return re.search(r"[A-Za-z]{2,}", plain) is not None


def figure_text(text: str, lang: str | None = None) -> str:
    """`text` in the edition's language (see the module's docstring); unchanged in English."""
    lang = lang or language()
    if lang == "en" or not text or not _needs_words(text):
        return text
    entries, patterns = _figure_catalogue(lang)
    if text in entries:
        return entries[text]
    for regex, msgstr in patterns:
        found = regex.fullmatch(text)
        if found:
            return msgstr.format(**found.groupdict())
    print(f"{UNTRANSLATED}: {text!r}", file=sys.stderr)
    return text


def _cjk_font() -> str | None:
    """The path of Noto Sans CJK SC shipped by the `mplfonts` package (a course dependency), if installed."""
    import importlib.util

    spec = importlib.util.find_spec("mplfonts")  # found, not imported: we only need its font file
    for folder in (spec.submodule_search_locations or []) if spec else []:
        font = Path(folder) / "fonts" / "NotoSansCJKsc-Regular.otf"
        if font.is_file():
            return str(font)
    return None


@functools.cache
def install_figure_text() -> bool:
    """In a non-English edition: translate matplotlib's texts and use a CJK font. True if installed."""
    if language() == "en":
        return False
    import logging

    import matplotlib
    from matplotlib import font_manager
    from matplotlib.text import Text

    font = _cjk_font()
    if font is not None:
        font_manager.fontManager.addfont(font)
        name = font_manager.FontProperties(fname=font).get_name()
        matplotlib.rcParams["font.sans-serif"] = [name, *matplotlib.rcParams["font.sans-serif"]]
        matplotlib.rcParams["font.family"] = "sans-serif"
        matplotlib.rcParams["axes.unicode_minus"] = False  # the CJK font has no U+2212 minus sign
        logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # it has no bold: regular is fine
    else:
        warnings.warn("no font with Chinese characters found: install the course's dependencies "
                      "(`pip install mplfonts`) to see the figures' Chinese text", stacklevel=2)
    original = Text.set_text

    @functools.wraps(original)
    def set_text(self, s):
        return original(self, figure_text(s) if isinstance(s, str) else s)

    Text.set_text = set_text
    return True
