"""The Chinese edition (中文版) cannot drift from the English one, and speaks Chinese wherever it runs.

- the Chinese text of every chapter translates every English markdown cell, and its current text;
- each Chinese instructor notebook (solutions/zh/) has exactly the English source's code cells, in the same
  order, with the same cell ids, nbgrader metadata, grade ids and points; only markdown differs;
- course/zh/ is exactly what nbgrader generate_assignment makes from solutions/zh/ with autograder/zh/'s config;
- the message catalogues: every message of the engine and the checks has its Chinese entry, with the same
  {fields}; .po files are read without msgfmt; the language follows the edition's folder, English fallback;
- figures: no English text left in the Chinese notebooks' figures, and a font with Chinese characters;
- a real nbgrader round trip in the Chinese course root scores a Chinese learner like an English one, with
  Chinese feedback; the self-check reads the untouched Chinese release as "还没做" (not attempted).
(nbval replays solutions/zh/00_welcome/ itself: see solutions/zh/conftest.py.)
"""

from __future__ import annotations

import contextlib
import csv
import filecmp
import gettext
import io
import json
import os
import re
import shutil
import string
from pathlib import Path

import nbformat
import pytest
from helpers import (
    COURSE,
    SOLUTIONS,
    chapters,
    is_answer_cell,
    is_test_cell,
    nbgrader_meta,
    points,
    read_notebook,
    source,
)

from tinyspore.common import i18n as engine_i18n
from tinyspore_grader import editions, messages, notebooks, selfcheck
from tinyspore_grader.core import NOT_IMPLEMENTED
from tinyspore_grader.i18n import UNTRANSLATED, _, figure_text, templates

ZH_SOLUTIONS, ZH_COURSE = SOLUTIONS / "zh", COURSE / "zh"
CHAPTERS = chapters()
ZH_CHAPTERS = [c for c in CHAPTERS if (ZH_SOLUTIONS / c).is_dir()]


def _zh_nb(chapter: str) -> dict:
    return read_notebook(ZH_SOLUTIONS / chapter / f"{chapter}.ipynb")


def _en_nb(chapter: str) -> dict:
    return read_notebook(SOLUTIONS / chapter / f"{chapter}.ipynb")


def test_every_chapter_has_its_chinese_edition():
    assert ZH_CHAPTERS == CHAPTERS, (f"no Chinese edition of {sorted(set(CHAPTERS) - set(ZH_CHAPTERS))}: write "
                                     "solutions/NN_topic/NN_topic.zh.md (`python -m tinyspore_grader editions --sync NN` "
                                     "starts it), then `python -m tinyspore_grader build NN --lang zh --release`")
    assert sorted(p.name for p in ZH_COURSE.iterdir() if p.is_dir()) == CHAPTERS or os.environ.get("TINYSPORE_CHAPTERS")


# ----- the text ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("chapter", ZH_CHAPTERS)
def test_chinese_text_translates_every_english_cell_as_it_is_now(chapter):
    found = editions.problems(chapter, "zh")
    assert not found, (f"{len(found)} Chinese cell(s) of {chapter} to do (then `python -m tinyspore_grader build "
                       f"{chapter} --lang zh --release`):\n\n" + "\n\n".join(found))


@pytest.mark.parametrize("chapter", ZH_CHAPTERS)
def test_chinese_text_is_chinese(chapter):
    for twin in editions.twins(chapter, "zh"):
        text = re.sub(r"`[^`]*`|\$[^$]*\$|```.*?```", "", twin.block.text, flags=re.S)
        han = len(re.findall(r"[\u4e00-\u9fff]", text))
        assert han >= 2 or not re.search(r"[A-Za-z]{3,} [A-Za-z]{3,} [A-Za-z]{3,}", text), (
            f"{chapter} {twin.cell_id} reads as English: {twin.block.text[:200]!r}")


@pytest.mark.parametrize("chapter", ZH_CHAPTERS)
def test_chinese_emphasis_renders(chapter):
    """CommonMark does not close `**` after a full-width bracket followed by a Chinese character
    (`**one-hot（独热）**标签` shows its stars): no star may survive rendering, outside code and formulas."""
    from markdown_it import MarkdownIt  # jupytext's markdown parser

    md = MarkdownIt("commonmark")
    for twin in editions.twins(chapter, "zh"):
        html = md.render(re.sub(r"\$\$.*?\$\$|\$[^$\n]*\$", "", twin.block.text, flags=re.S))
        text = re.sub(r"<code>.*?</code>|<pre>.*?</pre>", "", html, flags=re.S)
        assert "*" not in text, f"{chapter} {twin.cell_id}: unrendered emphasis in {text[:300]!r}"


# ----- one source of truth: the code ---------------------------------------------------------------------------
def _code_cells(nb: dict) -> list[tuple]:
    return [(c.get("id"), source(c), c["metadata"].get("nbgrader")) for c in nb["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("chapter", ZH_CHAPTERS)
def test_chinese_notebook_has_the_english_code_cells_and_grading(chapter):
    zh, en = _zh_nb(chapter), _en_nb(chapter)
    built = notebooks.notebook_from_source(SOLUTIONS / chapter / f"{chapter}.py")
    assert _code_cells(zh) == _code_cells(en) == _code_cells(built), (
        f"solutions/zh/{chapter} is stale: run `python -m tinyspore_grader build {chapter} --lang zh --release`")
    assert [(c["cell_type"], c.get("id")) for c in zh["cells"]] == [(c["cell_type"], c.get("id")) for c in en["cells"]]
    assert [nbgrader_meta(c) for c in zh["cells"]] == [nbgrader_meta(c) for c in en["cells"]]
    assert points(zh) == points(en) and sum(points(en).values()) > 0
    texts = {t.cell_id: t.block.text for t in editions.twins(chapter, "zh")}
    assert [source(c) for c in zh["cells"] if c["cell_type"] == "markdown"] == [
        texts[c["id"]] for c in zh["cells"] if c["cell_type"] == "markdown"], (
        f"solutions/zh/{chapter} is not built from the current {chapter}.zh.md: run "
        f"`python -m tinyspore_grader build {chapter} --lang zh --release`")
    assert (ZH_SOLUTIONS / chapter / ".tinyspore-lang").read_text().strip() == "zh_CN"


@pytest.mark.parametrize("chapter", ZH_CHAPTERS)
def test_chinese_exercise_headings_name_the_same_exercises_and_points(chapter):
    zh = _zh_nb(chapter)
    text = "\n".join(source(c) for c in zh["cells"] if c["cell_type"] == "markdown")
    headings = re.findall(r"^### 练习 (\d\d)\.(\d+)：(\w+)（(\d+) 分）$", text, re.M)
    names = [nbgrader_meta(c)["grade_id"] for c in zh["cells"] if is_answer_cell(c)]
    assert [h[2] for h in headings] == names, headings
    assert all(h[0] == chapter[:2] and int(h[1]) == i for i, h in enumerate(headings, start=1)), headings
    assert [float(h[3]) for h in headings] == [points(zh)[f"{n}_test"] for n in names]
    assert not re.search(r"^#+ .*Exercise", text, re.M)


@pytest.mark.parametrize("chapter", ZH_CHAPTERS)
def test_chinese_notebook_ran_in_chinese_with_chinese_figures(chapter):
    """The stored outputs: checks answered in Chinese, every figure text had its translation, no error."""
    zh = nbformat.read(ZH_SOLUTIONS / chapter / f"{chapter}.ipynb", as_version=4)  # output texts as strings
    outputs = [o for c in zh["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    stderr = "".join(o.get("text", "") for o in outputs if o.get("name") == "stderr")
    assert UNTRANSLATED not in stderr, [line for line in stderr.splitlines() if UNTRANSLATED in line]
    assert not [o for o in outputs if o["output_type"] == "error"]
    for cell in zh["cells"]:
        if cell["cell_type"] == "code" and is_test_cell(cell):
            text = "".join(o.get("text", "") for o in cell["outputs"])
            assert re.match(r"✔ 练习 \d\d\.\d+ \w+：\d+ 个用例全部通过", text), text
    assert any("image/png" in o.get("data", {}) for o in outputs)


# ----- course/zh/ is nbgrader's release of solutions/zh/ ----------------------------------------------------------
@pytest.fixture(scope="module")
def fresh_zh_course(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("zh-course")
    # one nbgrader run over solutions/zh/ (its chapters only), or the chosen chapters
    for chapter in ZH_CHAPTERS if os.environ.get("TINYSPORE_CHAPTERS") else ["[0-9][0-9]_*"]:
        notebooks.generate_assignment(chapter, root=root, release=root / "release", edition="zh")
    return root


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("chapter", ZH_CHAPTERS)
def test_chinese_course_is_exactly_the_release(fresh_zh_course, chapter):
    fresh, shipped = fresh_zh_course / "release" / chapter, ZH_COURSE / chapter
    assert _files(shipped) == _files(fresh) == [".tinyspore-lang", f"{chapter}.ipynb"], (
        "course/zh/ differs: run `python -m tinyspore_grader release --lang zh`")
    assert read_notebook(shipped / f"{chapter}.ipynb") == read_notebook(fresh / f"{chapter}.ipynb"), (
        f"course/zh/{chapter} is not what generate_assignment makes: run `python -m tinyspore_grader release --lang zh`")
    assert filecmp.cmp(shipped / ".tinyspore-lang", fresh / ".tinyspore-lang", shallow=False)
    en, zh = read_notebook(COURSE / chapter / f"{chapter}.ipynb"), read_notebook(shipped / f"{chapter}.ipynb")
    assert _code_cells(zh) == _code_cells(en)  # the same stubs, locked cells and points as the English release


# ----- messages -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("domain", list(messages.DOMAINS))
def test_every_message_has_its_chinese_entry(domain):
    todo = messages.missing(domain, "zh_CN")
    assert not todo, (f"{len(todo)} message(s) of {domain} without Chinese (`python -m tinyspore_grader messages "
                      "--update`, then fill in the msgstr lines):\n" + "\n".join(f"{m.places[0]}: {m.msgid!r}" for m in todo))


@pytest.mark.parametrize("domain", list(messages.DOMAINS))
def test_chinese_entries_keep_the_fields_and_are_current(domain):
    path = messages.po_path(domain, "zh_CN")
    entries = engine_i18n.parse_po(path.read_text(encoding="utf-8"))
    current = messages.collect(domain)
    for msgid, msgstr in entries.items():
        fields = {f for _, f, _, _ in string.Formatter().parse(msgid) if f is not None}
        assert {f for _, f, _, _ in string.Formatter().parse(msgstr) if f is not None} == fields, (msgid, msgstr)
        assert msgid in current, f"{path.name}: obsolete entry (run `python -m tinyspore_grader messages --update`): {msgid!r}"


def test_the_catalogue_finds_every_hint_of_every_check():
    """The source scan misses nothing the checks can show: every Mistake's hint and the core's fixed messages."""
    import importlib
    import pkgutil

    import tinyspore_grader.checks as checks

    found = messages.collect("tinyspore_grader")
    hints = []
    for info in pkgutil.iter_modules(checks.__path__):
        module = importlib.import_module(f"tinyspore_grader.checks.{info.name}")
        for name, value in vars(module).items():
            if name.endswith("MISTAKES"):
                hints += [m.hint for m in value]
    assert len(hints) > 100
    shaped = [regex for _, regex, _ in templates({m: m for m in found})]  # hints made from a template
    assert [h for h in hints if h not in found and not any(r.fullmatch(h) for r in shaped)] == []
    assert NOT_IMPLEMENTED in found


def test_every_hint_and_diagnosis_reads_in_chinese(monkeypatch):
    """What a Chinese learner is shown: each known mistake's hint, and each diagnosis sentence filled in."""
    import importlib
    import pkgutil

    import tinyspore_grader.checks as checks
    from tinyspore_grader.diagnose import MESSAGES

    monkeypatch.setenv(engine_i18n.ENV, "zh")
    han = re.compile(r"[\u4e00-\u9fff]")
    shown = []
    for info in pkgutil.iter_modules(checks.__path__):
        module = importlib.import_module(f"tinyspore_grader.checks.{info.name}")
        shown += [m.hint for name, value in vars(module).items() if name.endswith("MISTAKES") for m in value]
    filled = {f: "3" for text in MESSAGES.values() for _, f, _, _ in string.Formatter().parse(text) if f}
    filled["sentence"] = MESSAGES["sign"]
    filled["input_text"] = MESSAGES["positions_input"].format(argument="x", value="3")
    shown += [text.format(**filled) for key, text in MESSAGES.items() if text and key != "positions_input"]
    english = [text for text in shown if not han.search(_(text))]
    assert not english, english


def test_po_files_are_read_without_msgfmt(tmp_path):
    po = tmp_path / "x.po"
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n#, fuzzy\nmsgid "old"\n'
                  'msgstr "旧"\n\nmsgid "a {x}\\n"\n"b"\nmsgstr ""\n"甲 {x}\\n"\n"乙"\n\nmsgid "empty"\nmsgstr ""\n',
                  encoding="utf-8")
    entries = engine_i18n.parse_po(po.read_text(encoding="utf-8"))
    assert entries == {"a {x}\nb": "甲 {x}\n乙"}  # fuzzy and untranslated entries fall back to English
    translations = gettext.GNUTranslations(io.BytesIO(engine_i18n.mo_bytes(entries)))
    assert translations.gettext("a {x}\nb") == "甲 {x}\n乙" and translations.gettext("nope") == "nope"
    (tmp_path / "bad.po").write_text('msgid "a"\nmsgstr oops\n')
    with pytest.raises(ValueError, match="line 2"):
        engine_i18n.parse_po((tmp_path / "bad.po").read_text())


def test_the_language_follows_the_edition_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(engine_i18n.ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert engine_i18n.language() == "en" and _(NOT_IMPLEMENTED) == NOT_IMPLEMENTED
    (tmp_path / ".tinyspore-lang").write_text("zh_CN\n")
    assert engine_i18n.language() == "zh_CN" and _(NOT_IMPLEMENTED).startswith("还没有实现")
    assert _("a message nobody translated") == "a message nobody translated"  # English fallback
    monkeypatch.setenv(engine_i18n.ENV, "en")
    assert _(NOT_IMPLEMENTED) == NOT_IMPLEMENTED
    with engine_i18n.using("zh"):
        assert _(NOT_IMPLEMENTED).startswith("还没有实现")
    assert [engine_i18n.normalize(n) for n in ("zh", "zh-CN", "zh_CN.UTF-8", "en_US", "", "fr")] == [
        "zh_CN", "zh_CN", "zh_CN", "en", "en", "en"]


def test_a_check_failure_reads_in_chinese_in_a_chinese_folder(tmp_path, monkeypatch):
    from tinyspore_grader import CheckFailure
    from tinyspore_grader.checks.ch00_welcome import check_center_columns

    monkeypatch.delenv(engine_i18n.ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".tinyspore-lang").write_text("zh_CN\n")
    with pytest.raises(CheckFailure) as failure:
        check_center_columns(lambda x: x - x.mean(axis=1, keepdims=True))
    text = str(failure.value)
    assert re.match(r"✘ 练习 00\.1 center_columns：第 \d+ 个用例（共 \d+ 个）未通过", text), text
    assert "\n  输入：" in text and "\n  期望：" in text and "\n  得到：" in text and "\n  提示：" in text, text
    assert not re.search(r"[A-Za-z]{4,} [a-z]{3,} [a-z]{3,}", text.split("提示：")[1]), text  # the hint too
    with contextlib.redirect_stdout(io.StringIO()) as out:
        check_center_columns(lambda x: x - x.mean(axis=0, keepdims=True))
    assert out.getvalue().startswith("✔ 练习 00.1 center_columns：")


def test_a_message_formatted_from_a_template_is_translated_through_it(monkeypatch):
    monkeypatch.setenv(engine_i18n.ENV, "zh")
    english = "the result is right, but `sgd_step` changed its input `param` in place"
    assert _(english) == "结果是对的，但 `sgd_step` 原地修改了它的输入 `param`"
    assert _("Exercise 01.2 x: y") == "Exercise 01.2 x: y"  # too few fixed words to recognise a template
    from tinyspore_grader.diagnose import MESSAGES  # two fields side by side, the second a sentence of its own

    where = MESSAGES["positions_input"].format(argument="x", value="1000.0")
    told = _(MESSAGES["positions"].format(wrong=2, total=9, index="(1, 2)", input_text=where,
                                          expected_value="0.5", got_value="nan"))
    assert "第一个错的位置是 (1, 2)，其中 `x` 是 1000.0：期望 0.5，得到 nan" in told, told


def test_figure_text_translates_exact_and_shaped_texts_and_warns_on_the_rest(capsys):
    assert figure_text("fit: 0.60x + 0.09", "zh_CN") == "拟合：0.60x + 0.09"
    assert figure_text("learning rate", "zh_CN") == "学习率"
    assert figure_text("learning rate", "en") == "learning rate"
    assert figure_text("0.5", "zh_CN") == "0.5" and figure_text("$10^{-3}$", "zh_CN") == "$10^{-3}$"
    assert figure_text("a text nobody translated", "zh_CN") == "a text nobody translated"
    assert UNTRANSLATED in capsys.readouterr().err


def test_the_chinese_font_is_installed_and_has_chinese_characters():
    from matplotlib.ft2font import FT2Font

    from tinyspore_grader.i18n import _cjk_font

    font = _cjk_font()
    assert font, "mplfonts (a course dependency) is not installed"
    assert FT2Font(font).get_char_index(ord("张")) != 0


# ----- graded like an English learner, in Chinese ------------------------------------------------------------------
def test_nbgrader_grades_a_chinese_submission_like_an_english_one(tmp_path):
    chapter = "01_tensors" if "01_tensors" in ZH_CHAPTERS else ZH_CHAPTERS[0]
    root = tmp_path / "zh"
    root.mkdir()
    notebooks.generate_assignment(chapter, root=root, release=root / "release", edition="zh")
    solution = {nbgrader_meta(c)["grade_id"]: source(c) for c in _zh_nb(chapter)["cells"] if is_answer_cell(c)}
    names = list(solution)
    solved = set(names[: len(names) // 2])
    for student, answers in (("li", set(names)), ("wang", set()), ("zhao", solved)):
        nb = read_notebook(root / "release" / chapter / f"{chapter}.ipynb")
        for cell in nb["cells"]:
            if is_answer_cell(cell) and nbgrader_meta(cell)["grade_id"] in answers:
                cell["source"] = "\n".join(line for line in solution[nbgrader_meta(cell)["grade_id"]].splitlines()
                                           if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
        folder = root / "submitted" / student / chapter
        folder.mkdir(parents=True)
        (folder / f"{chapter}.ipynb").write_text(json.dumps(nb))
    # The grader's own verdicts are in Chinese too: zhou hands one exercise to the engine and ends in a loop.
    delegated = names[1]
    nb = read_notebook(root / "submitted" / "li" / chapter / f"{chapter}.ipynb")
    engine_name = {"sum_to_shape": "ops.sum_to_shape"}.get(delegated)
    if engine_name:
        for cell in nb["cells"]:
            if is_answer_cell(cell) and nbgrader_meta(cell)["grade_id"] == delegated:
                cell["source"] = f"from tinyspore import ops\n{delegated} = {engine_name}\n"
        nb["cells"].append(nbformat.v4.new_code_cell("while True:\n    pass"))
        (root / "submitted" / "zhou" / chapter).mkdir(parents=True)
        (root / "submitted" / "zhou" / chapter / f"{chapter}.ipynb").write_text(json.dumps(nb))
    notebooks.nbgrader("autograde", chapter, "--force", "--log-level=WARN", "--IsolatedExecute.cell_seconds=5",
                       root=root, edition="zh")
    notebooks.nbgrader("export", f"--to={root / 'grades.csv'}", "--log-level=WARN", root=root, edition="zh")
    with open(root / "grades.csv") as fh:
        scores = {r["student_id"]: float(r["score"]) for r in csv.DictReader(fh)}
    pts = points(_en_nb(chapter))
    expected = {"li": sum(pts.values()), "wang": 0.0, "zhao": sum(pts[f"{n}_test"] for n in solved)}
    if engine_name:
        expected["zhou"] = sum(pts.values()) - pts[f"{delegated}_test"]
    assert scores == expected
    graded = nbformat.read(root / "autograded" / "wang" / chapter / f"{chapter}.ipynb", as_version=4)
    errors = [o for c in graded.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors and all("还没有实现" in e.evalue for e in errors), [e.evalue for e in errors]
    if engine_name:
        graded = nbformat.read(root / "autograded" / "zhou" / chapter / f"{chapter}.ipynb", as_version=4)
        errors = [o.evalue for c in graded.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
        assert any("这是引擎自己对这道练习的实现" in e for e in errors), errors
        assert any(re.search(r"第 \d+ 个单元格运行超过了 5 秒；它之后的单元格都没有运行", e) for e in errors), errors


def test_self_check_of_the_untouched_chinese_release(tmp_path, capsys):
    chapter = ZH_CHAPTERS[0]
    shutil.copytree(ZH_COURSE / chapter, tmp_path / chapter)
    assert selfcheck.main([str(tmp_path / chapter)]) == 1
    out = capsys.readouterr().out
    names = [nbgrader_meta(c)["grade_id"] for c in _zh_nb(chapter)["cells"] if is_answer_cell(c)]
    for name in names:
        assert re.search(rf"^  \d\d\.\d+ {name} +0 / \d+ +还没做$", out, re.M), out
    assert "合计：公开测试得分 0 /" in out, out
