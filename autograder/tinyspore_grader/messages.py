"""The message catalogues: find every message a learner can read, and keep the `.po` files in step.

    python -m tinyspore_grader messages            list the messages without a Chinese translation
    python -m tinyspore_grader messages --update   add them to the .po files (empty msgstr), drop obsolete ones

A message is found in the source, without running it:
- the argument of `_("...")` or `N_("...")` (engine: `tinyspore.common.i18n`; checks: `tinyspore_grader.i18n`);
- the hint of a `Mistake(name, hint, ...)`, the `note=` of a `Case(...)`, a `generic_hint=` of `run_check`,
  the sentences of an `explain=` dict, and the strings of a constant whose name ends in
  `HINT`/`HINTS`/`MESSAGES`/`EXPLAIN`, which the check library translates where
  it shows them.
Engine messages go to `solutions/tinyspore/locale/<lang>/LC_MESSAGES/tinyspore.po`, the check library's to
`autograder/tinyspore_grader/locale/<lang>/LC_MESSAGES/tinyspore_grader.po`. Figure texts have their own
catalogue (`figures.po`, see `tinyspore_grader.i18n`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from tinyspore.common.i18n import parse_po

from .notebooks import REPO

ENGINE = REPO / "solutions" / "tinyspore"
GRADER = REPO / "autograder" / "tinyspore_grader"
DOMAINS = {  # domain -> (the package whose sources hold its messages, its locale folder)
    "tinyspore": (ENGINE, ENGINE / "locale"),
    "tinyspore_grader": (GRADER, GRADER / "locale"),
}
TRANSLATED = ("zh_CN",)
_MARKERS = {"_", "N_", "_tr"}  # _tr: the engine's name for _ (where _ is a throwaway variable)


@dataclass
class Message:
    msgid: str
    places: list[str] = field(default_factory=list)


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def messages_in(path: Path, root: Path) -> list[tuple[str, str]]:
    """(msgid, "file:line") of every message in one source file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        named = [t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
        if isinstance(node, ast.Assign) and any(re.search(r"(HINTS?|MESSAGES|EXPLAIN)$", n) for n in named):
            for item in ast.walk(node.value):  # a hint constant, or a table of them
                value = _literal(item)
                if value and " " in value:
                    found.append((value, f"{path.relative_to(root).as_posix()}:{item.lineno}"))
            continue
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        texts = []
        if name in _MARKERS and node.args:
            texts.append(node.args[0])
        if name == "Mistake":
            texts += node.args[1:2] + [k.value for k in node.keywords if k.arg == "hint"]
        if name == "Case":
            texts += [k.value for k in node.keywords if k.arg == "note"]
        if name == "run_check":
            texts += [k.value for k in node.keywords if k.arg == "generic_hint"]
            texts += [v for k in node.keywords if k.arg == "explain" and isinstance(k.value, ast.Dict)
                      for v in k.value.values]
        for text in texts:
            value = _literal(text)
            if value:
                found.append((value, f"{path.relative_to(root).as_posix()}:{node.lineno}"))
    return found


def collect(domain: str) -> dict[str, Message]:
    """Every message of `domain`, in the order of first appearance."""
    package, _locale = DOMAINS[domain]
    found: dict[str, Message] = {}
    for path in sorted(package.rglob("*.py")):
        for msgid, place in messages_in(path, package.parent):
            found.setdefault(msgid, Message(msgid)).places.append(place)
    return found


def po_path(domain: str, lang: str) -> Path:
    return DOMAINS[domain][1] / lang / "LC_MESSAGES" / f"{domain}.po"


def _quote(text: str) -> str:
    """A .po string: one line, or several (split after newlines) under an empty first line."""
    def q(part: str) -> str:
        return '"' + part.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'
    lines = text.splitlines(keepends=True)
    if len(lines) <= 1:
        return q(text)
    return '""\n' + "\n".join(q(part) for part in lines)


def missing(domain: str, lang: str) -> list[Message]:
    """The messages of `domain` without a translation into `lang`."""
    path = po_path(domain, lang)
    done = parse_po(path.read_text(encoding="utf-8")) if path.exists() else {}
    return [m for m in collect(domain).values() if m.msgid not in done]


def update(domain: str, lang: str, new: dict[str, str] | None = None) -> Path:
    """Rewrite the .po file: every current message in source order, with its translation if it has one
    (`new`: translations to add or replace)."""
    path = po_path(domain, lang)
    done = parse_po(path.read_text(encoding="utf-8")) if path.exists() else {}
    done.update(new or {})
    out = [f'# {domain}: {lang} messages of the TinySpore course. Edit the msgstr lines; keep {{fields}} as they are.',
           'msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=UTF-8\\n"', '"Language: ' + lang + '\\n"', ""]
    for message in collect(domain).values():
        out.append("#: " + " ".join(message.places[:3]))
        out.append("msgid " + _quote(message.msgid))
        out.append("msgstr " + _quote(done.get(message.msgid, "")))
        out.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out), encoding="utf-8")
    return path


def main(update_files: bool) -> int:
    left = 0
    for domain in DOMAINS:
        for lang in TRANSLATED:
            if update_files:
                print(f"wrote {update(domain, lang).relative_to(REPO)}")
            todo = missing(domain, lang)
            left += len(todo)
            print(f"{domain} ({lang}): {len(todo)} message(s) without a translation")
            for message in todo:
                print(f"  {message.places[0]}: {message.msgid[:100]!r}")
    return 1 if left else 0
