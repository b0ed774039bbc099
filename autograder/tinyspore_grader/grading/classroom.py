"""A practice class: a temporary nbgrader course with submissions of known worth (for tests and benchmarks).

    root = make_course(tmp, ["01_tensors"])                 # generate_assignment into tmp (own gradebook)
    add_submission(root, "ann", "01_tensors", "correct")    # -> the points it deserves

Kinds: "correct" (every answer is the solution), "blank" (the release untouched), "partial" (the first half
of the answers), "wrong" (every answer returns None), "raising" (correct answers, then a last cell that
raises), "crashing" (correct answers, then the kernel is killed by the last cell: the answers keep their
points), or any notebook given as `nb`.
"""

from __future__ import annotations

import json
from pathlib import Path

from .. import notebooks

MARKERS = tuple("### " + m for m in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"))
KINDS = ("correct", "blank", "partial", "wrong", "raising", "crashing")


def make_course(root: Path, chapters: list[str]) -> Path:
    """Release `chapters` from solutions/ into a new course at `root` (its own gradebook)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    pattern = chapters[0] if len(chapters) == 1 else "[0-9][0-9]_*"
    notebooks.generate_assignment(pattern, root=root, release=root / "release")
    return root


def _meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _text(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def is_answer(cell: dict) -> bool:
    meta = _meta(cell)
    return cell["cell_type"] == "code" and meta.get("solution", False) and not meta.get("grade", False)


def release_notebook(root: Path, chapter: str) -> dict:
    return json.loads((Path(root) / "release" / chapter / f"{chapter}.ipynb").read_text())


def solutions(chapter: str) -> dict[str, str]:
    """{answer grade_id: the solution's code, nbgrader's markers removed}."""
    nb = json.loads((notebooks.SOLUTIONS / chapter / f"{chapter}.ipynb").read_text())
    return {_meta(c)["grade_id"]: "\n".join(line for line in _text(c).splitlines() if line.strip() not in MARKERS)
            for c in nb["cells"] if is_answer(c)}


def points(nb: dict) -> dict[str, float]:
    """{answer grade_id: the points of its test cell} (the test cell is the answer's id + '_test')."""
    tests = {_meta(c)["grade_id"]: float(_meta(c)["points"]) for c in nb["cells"]
             if _meta(c).get("grade") and not _meta(c).get("solution")}
    return {name.removesuffix("_test"): value for name, value in tests.items()}


def submission(root: Path, chapter: str, kind: str) -> tuple[dict, float]:
    """A submission of `kind` for `chapter` and the points it deserves."""
    nb = release_notebook(root, chapter)
    answers, worth = solutions(chapter), points(nb)
    names = [_meta(c)["grade_id"] for c in nb["cells"] if is_answer(c)]
    solved = {"correct": set(names), "crashing": set(names), "raising": set(names),
              "partial": set(names[: len(names) // 2]), "blank": set(), "wrong": set()}[kind]
    for cell in nb["cells"]:
        name = _meta(cell).get("grade_id")
        if is_answer(cell) and name in solved:
            cell["source"] = answers[name]
        elif is_answer(cell) and kind == "wrong":
            cell["source"] = _text(cell).replace("raise NotImplementedError()", "return None")
    if kind == "raising":
        nb["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                            "source": "1 / 0  # a last cell that fails"})
    if kind == "crashing":
        nb["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                            "source": "import os\nos._exit(1)  # the kernel dies after the last answer"})
    return nb, sum(worth[n] for n in solved)


def add_submission(root: Path, student: str, chapter: str, kind: str | None = None, nb: dict | None = None,
                   files: dict[str, str] | None = None) -> float | None:
    """Write a submission into submitted/<student>/<chapter>/; return its deserved points (kind given)."""
    deserved = None
    if nb is None:
        nb, deserved = submission(root, chapter, kind or "blank")
    folder = Path(root) / "submitted" / student / chapter
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{chapter}.ipynb").write_text(json.dumps(nb))
    for name, text in (files or {}).items():
        (folder / name).write_text(text)
    return deserved


def scores(root: Path) -> dict[tuple[str, str], float]:
    """{(assignment, student): score} from `nbgrader export` of the course at `root`."""
    import csv

    target = Path(root) / "grades.csv"
    notebooks.nbgrader("export", f"--to={target}", "--log-level=WARN", root=Path(root))
    with open(target) as fh:
        return {(r["assignment"], r["student_id"]): float(r["score"]) for r in csv.DictReader(fh)}
