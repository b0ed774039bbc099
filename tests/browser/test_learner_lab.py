"""The learner's path in a real browser: `dev.py lab`'s JupyterLab, driven by Playwright in Debian's Chromium.

Run All on an untouched chapter reaches its last cell (the failing test cells show their short verdict and
execution goes on), every figure draws, a typed answer is graded at once, and nothing in the page fails: no
error dialog, no failed request, no console error. Screenshots of a failure land in the test's tmp folder.

Locally without Chromium the test is skipped with a line saying how to install it; under CI=true a missing
browser is a failure (`.ci/run` installs Debian's `chromium`; Playwright's own browser download is not used).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from labserver import TOKEN, free_port, start_lab  # noqa: E402

# Flags for a sandboxed, offline Chromium: no first-run work, no background calls to Google's services.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage"]
RUN_ALL_TIMEOUT_MS = 180_000


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    missing = []
    if not found:
        missing.append("Chromium (Debian: `apt-get install chromium`)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("Playwright for Python (`pip install -e .[dev]`, which `python3 dev.py test` does)")
    if missing:
        message = "browser test needs " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: a missing browser is a failure, not a skip)")
        pytest.skip(message)
    return found


class Lab:
    """A JupyterLab started with `dev.py lab`'s command line on a copy of course/, and one browser page."""

    def __init__(self, page, base: str, shots: Path):
        self.page, self.base, self.shots = page, base, shots
        self.problems: list[str] = []
        page.on("console", lambda msg: msg.type == "error" and self.problems.append(f"console error: {msg.text}"))
        page.on("pageerror", lambda err: self.problems.append(f"page error: {err}"))
        page.on("requestfailed", lambda req: self._failed(req.url, req.failure))
        page.on("response", lambda res: res.status >= 400 and self._failed(res.url, f"HTTP {res.status}"))

    def _failed(self, url: str, why) -> None:
        self.problems.append(f"request failed: {url}: {why}")

    def open(self, path: str, reset: bool = False) -> None:
        """Open a notebook; with `reset`, in a fresh workspace (the notebooks opened before are closed)."""
        self.page.goto(f"{self.base}/lab/tree/{path}?{'reset&' if reset else ''}token={TOKEN}")
        self.page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
        # The kernel is ready when the status bar, showing this notebook, says "Python 3 (ipykernel) | Idle".
        self.page.wait_for_function(
            "name => { const bar = document.querySelector('.jp-StatusBar-Widget');"
            " return bar && bar.innerText.includes(name) && bar.innerText.includes('| Idle'); }",
            arg=path.rsplit("/", 1)[-1], timeout=90_000)

    def menu(self, top: str, item: str) -> None:
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).click()
        self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$")).click()

    def wait_idle(self, timeout_ms: int = RUN_ALL_TIMEOUT_MS) -> None:
        """Until the run is over: the last code cell has run and none is running, or nothing moved for 5 s.

        (JupyterLab runs the cells of Run All one after the other, so a queued cell still shows `[ ]`.)
        """
        deadline = time.monotonic() + timeout_ms / 1000
        last, since = None, time.monotonic()
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(250)
            prompts = self.prompts()
            busy = any("*" in p for p in prompts) or not self.page.locator(
                ".jp-StatusBar-Widget", has_text="| Idle").count()
            if prompts and not busy and re.fullmatch(r"\[\d+\]:", prompts[-1]):
                return
            if prompts != last or busy:
                last, since = prompts, time.monotonic()
            elif time.monotonic() - since > 5:
                return
        raise AssertionError(f"the notebook was still running after {timeout_ms / 1000:.0f} s: {self.prompts()}")

    def code_cells(self):
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell")

    def prompts(self) -> list[str]:
        return [t.strip() for t in self.code_cells().locator(".jp-InputPrompt").all_text_contents()]

    def output_text(self, index: int) -> str:
        return self.code_cells().nth(index).locator(".jp-OutputArea").inner_text()

    def cell_index(self, needle: str) -> int:
        """The index of the first code cell whose source contains `needle`."""
        sources = self.code_cells().locator(".jp-InputArea-editor").all_inner_texts()
        for i, text in enumerate(sources):
            if needle in text:
                return i
        raise AssertionError(f"no code cell contains {needle!r}")

    def replace_source(self, index: int, text: str) -> None:
        """Put `text` into a cell's editor as a paste would (no auto-indent, no closing brackets)."""
        editor = self.code_cells().nth(index).locator(".cm-content")
        editor.click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.press("Delete")
        self.page.keyboard.insert_text(text)

    def run_cell(self, index: int) -> None:
        self.code_cells().nth(index).locator(".jp-InputArea-editor").click()
        self.page.keyboard.press("Control+Enter")
        self.wait_idle(60_000)

    def images(self) -> int:
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-RenderedImage img").count()

    def dialogs(self) -> list[str]:
        return self.page.locator(".jp-Dialog").all_inner_texts()


def _solution_answer(chapter: str, grade_id: str) -> str:
    nb = json.loads((ROOT / "solutions" / chapter / f"{chapter}.ipynb").read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            lines = "".join(cell["source"]).splitlines()
            return "\n".join(line for line in lines if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
    raise AssertionError(f"no cell {grade_id} in {chapter}")


def _figures_in_solution(chapter: str, name: str | None = None) -> int:
    nb = json.loads((ROOT / "solutions" / chapter / f"{name or chapter}.ipynb").read_text())
    return sum("image/png" in out.get("data", {}) for cell in nb["cells"] for out in cell.get("outputs", []))


@pytest.fixture
def lab(tmp_path, request):
    chromium = _chromium()
    from playwright.sync_api import sync_playwright

    course = tmp_path / "course"
    shutil.copytree(ROOT / "course", course)  # the browser runs and edits a copy, never the repo's course/
    # JupyterLab 4 renders only the cells in view by default; this test reads every cell, so it renders all.
    tracker = tmp_path / "settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    port = free_port()
    server = start_lab(tmp_path, port, notebook_dir=course)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            lab = Lab(page, f"http://127.0.0.1:{port}", shots)
            yield lab
            report = getattr(request.node, "report_call", None)
            if report is None or report.failed:
                page.screenshot(path=str(shots / "failure.png"), full_page=True)
                print(f"screenshot of the failure: {shots / 'failure.png'}")
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def test_learner_runs_chapters_in_jupyterlab(lab):
    # Chapter 01, untouched: Run All goes through every cell.
    lab.open("01_tensors/01_tensors.ipynb")
    lab.menu("Run", "Run All Cells")
    lab.wait_idle()
    prompts = lab.prompts()
    assert all(re.fullmatch(r"\[\d+\]:", p) for p in prompts), f"cells that did not run: {prompts}"

    first_test = lab.cell_index("check_broadcast_shape(broadcast_shape)")
    verdict = lab.output_text(first_test)
    assert "CheckFailure" in verdict and "not implemented yet" in verdict, verdict
    assert "Traceback" not in verdict and "File " not in verdict, verdict
    assert len(verdict.strip().splitlines()) <= 3, verdict  # the short box, not a wall of frames
    assert lab.images() >= 1, "the broadcasting figure was not drawn"

    # A correct answer, typed in: its test cell shows the ✔ line.
    answer = lab.cell_index("def broadcast_shape(")
    lab.replace_source(answer, _solution_answer("01_tensors", "broadcast_shape"))
    lab.run_cell(answer)
    lab.run_cell(first_test)
    passed = lab.output_text(first_test)
    assert "✔ Exercise 01.1 broadcast_shape" in passed, passed

    # A wrong one: the verdict shows the case, expected, got and a hint.
    lab.replace_source(answer, "def broadcast_shape(shape_a, shape_b):\n    return tuple(shape_a)\n")
    lab.run_cell(answer)
    lab.run_cell(first_test)
    failed = lab.output_text(first_test)
    for part in ("✘ Exercise 01.1 broadcast_shape", "input:", "expected:", "got:", "hint:"):
        assert part in failed, failed
    assert "Traceback" not in failed, failed
    lab.page.screenshot(path=str(lab.shots / "chapter01.png"), full_page=False)

    # Chapter 05, untouched: Run All reaches the end and draws every figure of the instructor's notebook.
    lab.open("05_optimizers/05_optimizers.ipynb")
    lab.menu("Run", "Run All Cells")
    lab.wait_idle()
    prompts = lab.prompts()
    assert all(re.fullmatch(r"\[\d+\]:", p) for p in prompts), f"cells that did not run: {prompts}"
    assert lab.images() == _figures_in_solution("05_optimizers")

    # The Chinese edition (course/zh/, what `dev.py lab --lang zh` serves): Chinese text, verdicts and figures.
    lab.open("zh/00_welcome/00_welcome.ipynb", reset=True)
    lab.menu("Run", "Run All Cells")
    lab.wait_idle()
    prompts = lab.prompts()
    assert all(re.fullmatch(r"\[\d+\]:", p) for p in prompts), f"cells that did not run: {prompts}"
    assert "第 00 章" in lab.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-MarkdownOutput").first.inner_text()
    verdict = lab.output_text(lab.cell_index("check_center_columns(center_columns)"))
    assert "✘ 练习 00.1 center_columns：还没有实现" in verdict, verdict
    assert lab.images() == _figures_in_solution("zh/00_welcome", "00_welcome")
    lab.page.screenshot(path=str(lab.shots / "chapter00-zh.png"), full_page=False)

    assert not lab.dialogs(), lab.dialogs()
    assert not lab.problems, "\n".join(lab.problems)


def test_learner_lab_offers_validate_but_no_exchange_or_instructor_panels(lab):
    lab.open("00_welcome/00_welcome.ipynb")
    lab.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Nbgrader$")).click()
    items = [t.strip() for t in lab.page.locator(".lm-Menu-content .lm-Menu-itemLabel").all_inner_texts()]
    lab.page.keyboard.press("Escape")
    assert items, "the Nbgrader menu is empty"
    assert not any(name in " ".join(items) for name in ("Assignment List", "Course List", "Formgrader")), items
    toolbar = lab.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar")
    toolbar.get_by_text("Validate", exact=True).click()
    dialog = lab.page.locator(".jp-Dialog")
    dialog.wait_for(timeout=120_000)
    text = dialog.inner_text()
    assert "Validation failed" in text or "NotImplementedError" in text, text  # the untouched chapter fails
    dialog.get_by_role("button").last.click()
    assert not lab.dialogs(), lab.dialogs()
    assert not lab.problems, "\n".join(lab.problems)

