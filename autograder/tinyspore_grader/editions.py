"""The course's editions: English and Chinese, one source of truth for everything but the prose.

    solutions/NN_topic/NN_topic.py        the English text source: every code cell, nbgrader metadata, points,
                                          hidden tests, and the English prose (markdown cells)
    solutions/NN_topic/NN_topic.zh.md     the Chinese prose: one block per markdown cell of the .py
    solutions/zh/NN_topic/NN_topic.ipynb  `build --lang zh`: the .py's notebook with the Chinese markdown, executed
    course/zh/NN_topic/NN_topic.ipynb     `release --lang zh`: nbgrader generate_assignment, course root autograder/zh/

Each block of a `.zh.md` file starts with a header naming the English cell it translates and a fingerprint
of that English text:

    <!-- cell-004 en:3f2a9c1b -->
    ## 1. 我们要去哪里
    ...

When the English cell changes, its fingerprint no longer matches and `python -m tinyspore_grader editions`
(and the edition tests) list the cell with its new English text; translate it and update the fingerprint
(`python -m tinyspore_grader editions --sync` writes new and stale cells' current fingerprints and English text
into the file, marked `TODO` for the translator). Blocks are matched to cells by fingerprint first, so moving
or inserting English cells does not misplace the translations.

The Chinese chapter folders hold a `.tinyspore-lang` file (`zh_CN`): the kernel that runs a Chinese notebook
(in Jupyter, nbgrader or the self-check, always started in the notebook's folder) shows every check message
and figure text in Chinese (see `tinyspore.common.i18n`). nbgrader copies the file into the release and into
each autograded submission, so the learner's Chinese notebook gets Chinese feedback wherever it runs.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from tinyspore.common.i18n import MARKER

from . import notebooks

EDITIONS = {"en": "English", "zh": "中文"}
LANG = {"zh": "zh_CN"}
HEADER = re.compile(r"^<!-- ([\w-]+) en:(\w+) -->$", re.MULTILINE)
TODO = "TODO"


def solutions_dir(edition: str = "en") -> Path:
    """Where the edition's instructor notebooks live (nbgrader's source directory)."""
    return notebooks.SOLUTIONS if edition == "en" else notebooks.SOLUTIONS / edition


def course_dir(edition: str = "en") -> Path:
    """Where the edition's learner notebooks live (nbgrader's release directory)."""
    return notebooks.release_dir(edition)


def text_path(chapter: str, edition: str) -> Path:
    return notebooks.SOLUTIONS / chapter / f"{chapter}.{edition}.md"


def fingerprint(text: str) -> str:
    return hashlib.sha1(text.strip().encode("utf-8")).hexdigest()[:8]


@dataclass
class Block:
    cell_id: str
    english: str  # the fingerprint of the English text it translates
    text: str


def read_blocks(path: Path) -> list[Block]:
    """The blocks of a translation file, in order."""
    text = path.read_text(encoding="utf-8")
    heads = list(HEADER.finditer(text))
    if not heads or text[: heads[0].start()].strip():
        raise ValueError(f"{path}: expected it to start with a block header like `<!-- cell-000 en:1234abcd -->`")
    blocks = []
    for head, after in zip(heads, heads[1:] + [None]):
        body = text[head.end(): after.start() if after else len(text)].strip("\n")
        blocks.append(Block(head.group(1), head.group(2), body.rstrip()))
    return blocks


def english_markdown(chapter: str) -> list[tuple[str, str]]:
    """(cell id, English source) of the chapter's markdown cells, in order."""
    nb = notebooks.notebook_from_source(notebooks.SOLUTIONS / chapter / f"{chapter}.py")
    return [(cell["id"], cell.source) for cell in nb.cells if cell.cell_type == "markdown"]


@dataclass
class Twin:
    cell_id: str
    english: str
    block: Block | None  # None: no translation at all
    fresh: bool  # the block translates the current English text

    @property
    def problem(self) -> str:
        if self.block is None:
            return "not translated"
        if self.block.text.startswith(TODO) or not self.block.text.strip():
            return "marked TODO"
        return "" if self.fresh else "the English text changed since it was translated"


def twins(chapter: str, edition: str) -> list[Twin]:
    """Each English markdown cell with its translation block (matched by fingerprint, else by cell id)."""
    path = text_path(chapter, edition)
    blocks = read_blocks(path) if path.exists() else []
    by_print = {b.english: b for b in blocks}
    by_id = {b.cell_id: b for b in blocks}
    found = []
    for cell_id, english in english_markdown(chapter):
        block = by_print.get(fingerprint(english))
        fresh = block is not None
        block = block or by_id.get(cell_id)
        found.append(Twin(cell_id, english, block, fresh))
    return found


def problems(chapter: str, edition: str) -> list[str]:
    """What keeps the edition's text of `chapter` from being complete and current (empty when it is)."""
    listed = twins(chapter, edition)
    found = [f"{text_path(chapter, edition).name} {t.cell_id}: {t.problem}; the English text is:\n{t.english}"
             for t in listed if t.problem]
    used = [t.block for t in listed if t.block is not None]
    path = text_path(chapter, edition)
    for block in read_blocks(path) if path.exists() else []:
        if block not in used:
            found.append(f"{path.name} {block.cell_id}: translates no English cell (removed?): {block.text[:60]!r}")
    return found


def sync(chapter: str, edition: str) -> Path:
    """Rewrite the translation file in the English cells' order: current blocks kept, new or changed English
    cells written with their current fingerprint, their old translation (if any), and the English text after
    a `TODO` line, for the translator. Blocks that translate no English cell any more are dropped."""
    parts = []
    for twin in twins(chapter, edition):
        if twin.fresh:
            body = twin.block.text
        else:
            old = f"\n\n{twin.block.text}" if twin.block else ""
            body = f"{TODO}: translate the English below{old}\n\n" + twin.english
        parts.append(f"<!-- {twin.cell_id} en:{fingerprint(twin.english)} -->\n{body}\n")
    path = text_path(chapter, edition)
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def notebook(chapter: str, edition: str) -> nbformat.NotebookNode:
    """The chapter's notebook in `edition`: the English source's cells, markdown cells in the edition's text."""
    nb = notebooks.notebook_from_source(notebooks.SOLUTIONS / chapter / f"{chapter}.py")
    if edition == "en":
        return nb
    texts = {t.cell_id: t for t in twins(chapter, edition)}
    missing = [cell_id for cell_id, t in texts.items() if t.block is None]
    if missing:
        raise SystemExit(f"{text_path(chapter, edition)} has no translation of {', '.join(missing)}: "
                         f"run `python -m tinyspore_grader editions --sync {chapter}` and translate them")
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = texts[cell["id"]].block.text
    nb.metadata["tinyspore"] = {"edition": edition, "language": LANG[edition]}
    return nb


def build(chapter: str, edition: str) -> Path:
    """solutions/NN_topic/NN_topic.py + .<edition>.md -> the executed solutions/<edition>/NN_topic/NN_topic.ipynb."""
    folder = solutions_dir(edition) / chapter
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text(LANG[edition] + "\n", encoding="utf-8")
    nb = notebook(chapter, edition)
    notebooks.execute(nb, folder)
    target = folder / f"{chapter}.ipynb"
    nbformat.write(nb, target)
    return target
