"""The trusted side of grading one notebook: run its cells in a sandboxed worker, grade its test cells here.

`execute_notebook(nb, folder)` is what replaces nbgrader's Execute step. For each code cell, in order:
- a cell of the submission runs in the worker ("cells" role); its outputs come back as plain data; a cell
  that runs past its time, floods, or kills the worker is reported in the cell, and the cells after a dead
  worker are not run;
- a graded test cell runs HERE, in the grading process: the worker only exports the answers the cell
  names (bytes this process never unpickles), a fresh sandboxed process ("answer" role) loads them after
  making the exercise's forbidden engine code unavailable, and each graded call comes back through the
  codec. The check computes its cases and expected outcomes here, so nothing the submission does can change
  a verdict. A failing hidden case is reported by its verdict and hint only; the hidden test source is
  removed from the cell.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import copy
import importlib
import io
import os
import pkgutil
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinyspore.common.i18n import using

from ..i18n import _
from . import codec, sandbox, worker
from .sandbox import Limits

HIDDEN_REGION = re.compile(r"^[ \t]*###\s*BEGIN HIDDEN TESTS.*?###\s*END HIDDEN TESTS[ \t]*\n?", re.S | re.M)


class GradingStop(BaseException):
    """A graded call could not produce an outcome (time limit, dead process, malformed reply, forbidden code).

    A BaseException, so that run_check's `except Exception` lets it through to the test cell's verdict.
    """


class ForbiddenUse(GradingStop):
    pass


# ----- the fork server ----------------------------------------------------------------------------------------
class Zygote:
    """One warm fork server (a child process of this grader), started on first use.

    `Zygote(attach=SOCKET)` uses a fork server another process started: the grading processes of
    `python -m tinyspore_grader grade`, themselves forked from it, ask it for their workers.
    """

    def __init__(self, attach: str | None = None) -> None:
        self.process: subprocess.Popen | None = None
        self.lock = threading.Lock()
        self.dir = None
        self.path = attach
        self.ready = attach is not None

    def launch(self) -> None:
        """Start the fork server's process (its imports take a few seconds); `start` waits until it is ready."""
        with self.lock:
            self._launch()

    def _launch(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        sandbox.STATE.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix="zygote-", dir=sandbox.STATE)
        os.chmod(self.dir, 0o700)
        self.path = os.path.join(self.dir, "socket")
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   MPLBACKEND="module://matplotlib_inline.backend_inline", PYTHONHASHSEED="0")
        self.ready = False
        self.process = subprocess.Popen([sys.executable, "-m", "tinyspore_grader.grading.zygote", self.path],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)

    def start(self) -> None:
        with self.lock:
            if self.ready and (self.process is None or self.process.poll() is None):
                return  # attached, or running
            self._launch()  # unless `launch` already started it
            line = self.process.stdout.readline()
            if line.strip() != b"ready":
                raise RuntimeError("the grading fork server did not start (see the messages above)")
            self.ready = True

    def _connect(self, request: dict) -> tuple[socket.socket, dict]:
        self.start()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(30)
        sock.connect(self.path)
        worker.request(sock, request)
        hello = codec.read(sock)
        if not isinstance(hello, dict) or not isinstance(hello.get("pid"), int):
            sock.close()
            raise RuntimeError(f"a grading {request['role']} process failed to start: {hello!r}")
        return sock, hello

    def spawn(self, role: str, uid: int, workdir: str, limits: Limits) -> Channel:
        sock, hello = self._connect({"role": role, "uid": uid, "workdir": workdir, "limits": limits})
        return Channel(sock, hello["pid"])

    def grader(self) -> GraderChannel:
        """A trusted grading process forked from this server (not confined: it runs no submission's code, it
        grades them, asking this same server for their workers)."""
        sock, hello = self._connect({"role": "grader", "uid": None, "workdir": None, "limits": None})
        sock.settimeout(None)
        return GraderChannel(sock, hello["pid"])

    def stop(self) -> None:
        with self.lock:
            if self.process is not None:
                with contextlib.suppress(Exception):
                    self.process.stdin.close()
                    self.process.wait(timeout=10)
                if self.process.poll() is None:
                    self.process.kill()
                self.process = None
                self.ready = False
            if self.dir:
                shutil.rmtree(self.dir, ignore_errors=True)


_ZYGOTE: Zygote | None = None


def zygote() -> Zygote:
    global _ZYGOTE
    if _ZYGOTE is None:
        import atexit

        _ZYGOTE = Zygote()
        atexit.register(_ZYGOTE.stop)
    return _ZYGOTE


class GraderChannel:
    """The connection to one grading process forked from the fork server (see `serve_grader`)."""

    def __init__(self, sock: socket.socket, pid: int) -> None:
        self.sock, self.pid = sock, pid

    def grade(self, nb_json: str, files: dict[str, bytes], limits: Limits, name: str) -> tuple[str, list[str]]:
        """Grade one prepared notebook there: (notebook JSON, report)."""
        try:
            worker.request(self.sock, ("grade", nb_json, files, limits, name))
            reply = codec.read(self.sock)
        except (EOFError, OSError) as error:
            raise RuntimeError(f"grading process {self.pid} died while grading {name} ({error})") from None
        if isinstance(reply, dict) and isinstance(reply.get("notebook"), bytes) and isinstance(reply.get("report"),
                                                                                              list):
            return reply["notebook"].decode("utf-8"), [str(line) for line in reply["report"]]
        if isinstance(reply, dict) and isinstance(reply.get("error"), str):
            raise RuntimeError(f"grading {name} failed in grading process {self.pid}: {reply['error']}")
        raise RuntimeError(f"grading process {self.pid} sent a malformed reply for {name}")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def serve_grader(sock: socket.socket, zygote_path: str) -> None:
    """A grading process forked from the fork server: grade each notebook sent, until the connection closes.

    The requests come from the grade command (the trusted process that asked for this one); the replies are
    plain data through the codec: the graded notebook's JSON and the notes on limits hit.
    """
    import traceback

    zyg = Zygote(attach=zygote_path)
    while True:
        try:
            kind, nb_json, files, limits, name = worker.receive(sock)
        except EOFError:
            return
        if kind != "grade":
            raise ValueError(f"a grading process got an unknown request {kind!r}")
        try:
            graded, report = grade_files(nb_json, files, limits, name, zyg)
            codec.send(sock, {"notebook": graded.encode("utf-8"), "report": list(report)})
        except Exception as error:  # noqa: BLE001 - reported to the grade command, which grades it again there
            lines = traceback.format_exc().splitlines()[-6:]
            codec.send(sock, {"error": f"{type(error).__name__}: {error}\n" + "\n".join(lines)})


def grade_files(nb_json: str, files: dict[str, bytes], limits: Limits, name: str,
                zyg: Zygote | None = None) -> tuple[str, list[str]]:
    """Execute one prepared notebook (JSON) whose folder holds `files` (path -> bytes); (notebook JSON, report).

    The folder is written to a temporary directory first (paths outside it are never written)."""
    import json

    import nbformat

    nb = nbformat.from_dict(json.loads(nb_json))  # prepared by the grade command: read, not validated again
    folder = tempfile.mkdtemp(prefix="tinyspore-grade-")
    try:
        for relative, data in files.items():
            target = os.path.join(folder, relative)
            if not os.path.abspath(target).startswith(folder + os.sep):
                continue  # a path outside the folder: never written
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as fh:
                fh.write(data)
        nb, report = execute_notebook(nb, folder, limits, name=name, zyg=zyg)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return json.dumps(nb), report


class Channel:
    """The connection to one worker process. Its pid was said by our own code before the worker was confined."""

    def __init__(self, sock: socket.socket, pid: int) -> None:
        self.sock, self.pid = sock, pid
        try:
            self.pidfd = os.pidfd_open(pid)
        except (OSError, AttributeError):
            self.pidfd = None

    def ask(self, message: Any, timeout: float) -> Any:
        self.sock.settimeout(max(timeout, 0.01))
        worker.request(self.sock, message)
        return codec.read(self.sock)

    def kill(self, wait: float = 1.0) -> None:
        """SIGKILL the worker and wait (at most `wait` s) until it is gone: the sweep of its uid that follows
        (`sandbox.kill_uid`) then finds nothing left to kill, unless the worker left processes behind."""
        with contextlib.suppress(OSError):
            self.sock.close()
        if self.pidfd is not None:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
                select.select([self.pidfd], [], [], wait)  # a pidfd is readable once its process has ended
            with contextlib.suppress(OSError):
                os.close(self.pidfd)
            self.pidfd = None


# ----- checks, as the trusted side knows them --------------------------------------------------------------------
def _check_modules() -> list:
    import tinyspore_grader.checks as package

    return [importlib.import_module(f"{package.__name__}.{info.name}")
            for info in pkgutil.iter_modules(package.__path__)]


def find_check(name: str, notebook: str = "") -> tuple[str, Any] | None:
    """("module:name", function) of `check_...`, preferring the module of the notebook's chapter (ch01_...)."""
    found = [(m, getattr(m, name)) for m in _check_modules()
             if callable(getattr(m, name, None)) and getattr(getattr(m, name), "__module__", "") == m.__name__]
    prefix = "ch" + notebook[:2] if notebook[:2].isdigit() else None
    found.sort(key=lambda mf: not (prefix and mf[0].__name__.rsplit(".", 1)[-1].startswith(prefix)))
    if not found:
        return None
    module, function = found[0]
    return f"{module.__name__}:{name}", function


class RemoteAnswer:
    """Stands for the learner's answer in the trusted process; graded calls go to the answer's worker."""

    def __init__(self, name: str, session: AnswerSession) -> None:
        self.__name__ = self.__qualname__ = name
        self._session = session

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{self.__name__} runs in the grading worker; only a check can run it")

    def __repr__(self) -> str:
        return self._session.loaded.get(self.__name__, {}).get("describe", self.__name__)

    def _remote_outcome(self, call: Any, case: Any) -> Any:
        return self._session.call(self.__name__, call, case)


class Unavailable:
    """A name the test cell uses that is not a usable answer: shown as what it is, never callable."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


@dataclass
class AnswerSession:
    channel: Channel | None
    limits: Limits
    deadline: float
    loaded: dict = field(default_factory=dict)

    def call(self, name: str, call: Any, case: Any) -> Any:
        from ..core import Raised

        left = self.deadline - time.monotonic()
        if self.channel is None:
            raise GradingStop(_("the answer's grading process is gone"))
        if left <= 0:
            raise GradingStop(_("the graded calls ran past {seconds} s in total").format(
                seconds=f"{self.limits.check_seconds:g}"))
        timeout = min(self.limits.call_seconds, left)
        try:
            reply = self.channel.ask(("call", name, call, case), timeout)
        except TimeoutError:
            self.close()
            raise GradingStop(_("your {name} ran past {seconds} s on one case (an endless loop?)").format(
                name=name, seconds=f"{timeout:g}")) from None
        except (EOFError, OSError):
            self.close()
            raise GradingStop(_("your {name} crashed its process (it exited or was killed) on one case").format(
                name=name)) from None
        except codec.CodecError as error:
            self.close()
            raise GradingStop(_("your {name} sent back something the grader cannot read ({error})").format(
                name=name, error=error)) from None
        if not isinstance(reply, dict) or not 1 <= len(reply) <= 2:
            raise GradingStop(_("the grading worker sent a malformed reply"))
        changed = reply.pop("changed", {})
        if len(reply) != 1 or not isinstance(changed, dict):
            raise GradingStop(_("the grading worker sent a malformed reply"))
        _show_changes(case, changed)
        (kind, value), = reply.items()
        if kind == "ok":
            return value
        if kind == "raised" and isinstance(value, Raised):
            return value
        if kind == "not_implemented":
            raise NotImplementedError()
        if kind == "forbidden" and isinstance(value, list):
            label = str(value[0]) if value else _("a forbidden function")
            if label.startswith("tinyspore_grader."):
                text = _("your {name} calls {label}, the check's reference answer, which a graded answer may not "
                         "use: write it yourself.")
            elif label.startswith("numpy."):
                text = _("your {name} calls {label}, NumPy's own implementation of this exercise, which a graded "
                         "answer may not use: write it yourself.")
            else:
                text = _("your {name} calls {label}, the engine's own implementation of this exercise, which a "
                         "graded answer may not use: write it yourself.")
            raise ForbiddenUse(text.format(name=name, label=label))
        raise GradingStop(_("the grading worker sent a malformed reply"))

    def close(self) -> None:
        if self.channel is not None:
            self.channel.kill()
            self.channel = None


def _show_changes(case: Any, changed: dict) -> None:
    """Put the arguments the answer changed in place (as the worker saw them) into the trusted copy of the case,
    so that run_check notices the change exactly as it does for a local call."""
    if not changed:
        return
    args, kwargs = list(case.args), dict(case.kwargs)
    for key, value in changed.items():
        if isinstance(key, int) and 0 <= key < len(args):
            args[key] = value
        elif isinstance(key, str) and key in kwargs:
            kwargs[key] = value
    object.__setattr__(case, "args", tuple(args))
    object.__setattr__(case, "kwargs", kwargs)


class _Names(dict):
    """The test cell's namespace: `check_*` are the trusted checks, other names the learner's answers."""

    def __init__(self, resolve) -> None:
        super().__init__()
        self.resolve = resolve

    def __missing__(self, name: str) -> Any:
        if hasattr(builtins, name):
            raise KeyError(name)
        value = self.resolve(name)
        self[name] = value
        return value


# ----- the notebook ---------------------------------------------------------------------------------------------
def _source(cell: Any) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else str(text)


def _is_test_cell(cell: Any) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _stream(text: str, name: str = "stdout") -> dict:
    import nbformat

    return nbformat.v4.new_output("stream", name=name, text=text)


def _error(ename: str, evalue: str, lines: list[str] | None = None) -> dict:
    import nbformat

    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=lines or [f"{ename}: {evalue}"])


def _safe_output(raw: Any) -> dict | None:
    """A worker's output as an nbformat output, if it is well formed (else dropped)."""
    import nbformat

    if not isinstance(raw, dict):
        return None
    kind = raw.get("output_type")
    if kind == "stream" and raw.get("name") in ("stdout", "stderr") and isinstance(raw.get("text"), str):
        return nbformat.v4.new_output("stream", name=raw["name"], text=raw["text"])
    if kind in ("display_data", "execute_result") and isinstance(raw.get("data"), dict):
        data = {k: v for k, v in raw["data"].items() if k in worker.MIMES and isinstance(v, str)}
        for mime in ("image/png", "image/jpeg"):
            if mime in data and not re.fullmatch(r"[A-Za-z0-9+/=\s]*", data[mime]):
                del data[mime]
        if not data:
            return None
        if kind == "execute_result":
            count = raw.get("execution_count")
            return nbformat.v4.new_output("execute_result", data=data,
                                          execution_count=count if isinstance(count, int) else None)
        return nbformat.v4.new_output("display_data", data=data)
    if kind == "error" and isinstance(raw.get("ename"), str) and isinstance(raw.get("evalue"), str):
        trace = raw.get("traceback") if isinstance(raw.get("traceback"), list) else []
        lines = [x for x in trace if isinstance(x, str)]
        return _error(raw["ename"][:200], raw["evalue"][:2000], lines[:60] or None)
    return None


def _answer_names(source: str) -> tuple[list[str], list[str]]:
    """(check function names, other names) that a test cell loads."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [], []
    loads = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in loads:
            loads.append(node.id)
    checks = [n for n in loads if n.startswith("check_")]
    others = [n for n in loads if not n.startswith("check_") and not hasattr(builtins, n)]
    return checks, others


def _redact(message: str) -> str:
    """A hidden case's failure: the verdict and the hint, not its inputs or expected values."""
    lines = message.splitlines()
    head = re.sub(r": case \d+ of \d+ fails.*$", ": a hidden case fails", lines[0] if lines else "✘ this check")
    hints = [line for line in lines[1:] if line.lstrip().startswith("hint:")]
    return "\n".join([head, *hints])


class NotebookRun:
    def __init__(self, nb: Any, folder: str | os.PathLike, limits: Limits, notebook_name: str = "",
                 zyg: Zygote | None = None) -> None:
        self.nb, self.folder, self.limits = nb, Path(folder), limits
        self.name = notebook_name
        self.zygote = zyg or zygote()
        self.report: list[str] = []
        from tinyspore.common.i18n import language_of

        self.lang = language_of(folder)  # the edition's `.tinyspore-lang`: the checks answer in its language

    def run(self) -> list[str]:
        with sandbox.slot() as (uid, answer_uid):
            self.answer_uid = answer_uid
            stage = Path(sandbox.STAGING) / uuid.uuid4().hex
            workdir = stage / "submission"
            try:
                self._stage(stage, workdir, uid)
                self._run_cells(uid, str(workdir))
            finally:
                sandbox.kill_uid(uid)
                sandbox.kill_uid(answer_uid)
                shutil.rmtree(stage, ignore_errors=True)
        return self.report

    def _stage(self, stage: Path, workdir: Path, uid: int) -> None:
        """A throwaway copy of the submission's folder (without notebooks), owned by the submission's uid."""
        sandbox.STAGING.mkdir(mode=0o711, parents=True, exist_ok=True)
        stage.mkdir(mode=0o711)
        shutil.copytree(self.folder, workdir, ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"),
                        symlinks=False)
        if os.geteuid() == 0:
            for path in [workdir, *workdir.rglob("*")]:
                os.lchown(path, uid, uid)
        os.chmod(workdir, 0o755)  # the answer's process (another uid) reads it; only the cells' uid writes

    def _run_cells(self, uid: int, workdir: str) -> None:
        limits = self.limits
        cells_channel: Channel | None = None
        stopped: str | None = None  # why the submission's cells stopped running
        start = time.monotonic()
        try:
            cells_channel = self.zygote.spawn("cells", uid, workdir, limits)
            for index, cell in enumerate(self.nb.cells):
                if cell.get("cell_type") != "code":
                    continue
                cell["outputs"] = []
                cell["execution_count"] = None
                number = index + 1
                if _is_test_cell(cell):
                    self._grade_test_cell(cell, number, cells_channel if stopped is None else None, uid, workdir,
                                          stopped)
                    continue
                if stopped is not None:
                    continue
                left = limits.notebook_seconds - (time.monotonic() - start)
                timeout = min(limits.cell_seconds, left)
                try:
                    reply = cells_channel.ask(("cell", _source(cell)), timeout)
                except TimeoutError:
                    with using(self.lang):
                        stopped = (_("cell {number} ran past {seconds} s; the cells after it did not run").format(
                            number=number, seconds=f"{timeout:g}") if timeout == limits.cell_seconds else
                            _("the notebook ran past {seconds} s in cell {number}; the cells after it did not "
                              "run").format(number=number, seconds=f"{limits.notebook_seconds:g}"))
                    cell["outputs"].append(_error("CellTimeoutError", stopped))
                    cells_channel.kill()
                    continue
                except (EOFError, OSError):
                    with using(self.lang):
                        stopped = _("the kernel died in cell {number} (it exited or was killed); the cells after it "
                                    "did not run").format(number=number)
                    cell["outputs"].append(_error("DeadKernelError", stopped))
                    cells_channel.kill()
                    continue
                except codec.CodecError as error:
                    with using(self.lang):
                        stopped = _("cell {number} sent output the grader cannot read ({error}); the cells after it "
                                    "did not run").format(number=number, error=error)
                    cell["outputs"].append(_error("WorkerError", stopped))
                    cells_channel.kill()
                    continue
                outputs = reply.get("outputs", []) if isinstance(reply, dict) else []
                for raw in outputs if isinstance(outputs, list) else []:
                    output = _safe_output(raw)
                    if output is not None:
                        cell["outputs"].append(output)
                if isinstance(reply, dict) and reply.get("flooded"):
                    with using(self.lang):
                        note = _("cell {number} printed more than {chars} characters; the rest was cut").format(
                            number=number, chars=limits.output_chars)
                    cell["outputs"].append(_stream(f"\n[{note}]\n", "stderr"))
                    self.report.append(note)
            if stopped:
                self.report.append(stopped)
        finally:
            if cells_channel is not None:
                cells_channel.kill()

    def _grade_test_cell(self, cell: Any, number: int, cells_channel: Channel | None, uid: int, workdir: str,
                         stopped: str | None) -> None:
        source = _source(cell)
        check_names, answer_names = _answer_names(source)
        exported: dict = {}
        if cells_channel is not None and answer_names:
            try:
                exported = cells_channel.ask(("export", answer_names), self.limits.cell_seconds)
            except (TimeoutError, EOFError, OSError, codec.CodecError):
                exported = {}
            if not isinstance(exported, dict):
                exported = {}
        checks = {}
        for name in check_names:
            found = find_check(name, self.name)
            if found is not None:
                checks[name] = found
        session = AnswerSession(None, self.limits, time.monotonic() + self.limits.check_seconds)
        payloads = {n: v["data"] for n, v in exported.items()
                    if isinstance(v, dict) and v.get("kind") == "value" and isinstance(v.get("data"), bytes)}
        keys = [key for key, _ in checks.values()]
        if payloads:
            try:
                session.channel = self.zygote.spawn("answer", self.answer_uid, workdir, self.limits)
                status = session.channel.ask(("load", keys, payloads), self.limits.call_seconds)
                session.loaded = status.get("loaded", {}) if isinstance(status, dict) else {}
            except (TimeoutError, EOFError, OSError, codec.CodecError, RuntimeError):
                session.close()

        def resolve(name: str) -> Any:
            if name in checks:
                return _redacting(checks[name][1])
            entry = exported.get(name) if isinstance(exported, dict) else None
            loaded = session.loaded.get(name) if isinstance(session.loaded, dict) else None
            if stopped is not None:
                return Unavailable(_("nothing: {reason}").format(reason=stopped))
            if not isinstance(entry, dict) or entry.get("kind") == "missing":
                return None
            if entry.get("kind") == "unpicklable":
                return Unavailable(_("an object the grader could not copy out of the notebook ({error})").format(
                    error=entry.get("error")))
            if isinstance(loaded, dict) and loaded.get("callable") is True:
                return RemoteAnswer(name, session)
            if isinstance(loaded, dict):
                return Unavailable(str(loaded.get("describe", "not a function"))[:300])
            return Unavailable(_("an object the grader could not load"))

        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out), using(self.lang):
                exec(compile(source, f"<test cell {number}>", "exec"), {"__builtins__": builtins}, _Names(resolve))  # noqa: S102
            if out.getvalue():
                cell["outputs"].append(_stream(out.getvalue()))
        except GradingStop as stop:
            if out.getvalue():
                cell["outputs"].append(_stream(out.getvalue()))
            title = _title_of(check_names, checks)
            message = f"✘ {title}: {stop}"
            cell["outputs"].append(_error(type(stop).__name__, message, ["GradingError:", *message.splitlines()]))
            self.report.append(f"cell {number}: {stop}")
        except BaseException as failure:  # noqa: BLE001 - CheckFailure, or a check that broke
            if out.getvalue():
                cell["outputs"].append(_stream(out.getvalue()))
            message = str(failure)
            name = type(failure).__name__
            cell["outputs"].append(_error(name, message, [f"{name}:", *message.splitlines()]))
        finally:
            session.close()
        cell["source"] = HIDDEN_REGION.sub("", source).rstrip("\n")


def _redacting(check: Any) -> Any:
    """The check, reporting a hidden run's failure by its verdict and hint only."""
    from ..core import CheckFailure

    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return check(*args, **kwargs)
        except CheckFailure as failure:
            if kwargs.get("hidden"):
                raise CheckFailure(_redact(str(failure))) from None
            raise

    return run


def _title_of(check_names: list[str], checks: dict) -> str:
    """`Exercise 01.2 sum_to_shape`, from the check's docstring (`Exercise 01.2: ...`) and name."""
    for name in check_names:
        if name in checks:
            number = re.search(r"Exercise (\d+\.\d+)", checks[name][1].__doc__ or "")
            return f"Exercise {number.group(1) + ' ' if number else ''}{name.removeprefix('check_')}"
    return "this test"


def execute_notebook(nb: Any, folder: str | os.PathLike, limits: Limits | None = None, name: str = "",
                     zyg: Zygote | None = None) -> tuple[Any, list[str]]:
    """Run `nb` (an nbformat notebook, changed in place) whose files are in `folder`; (nb, notes on limits)."""
    run = NotebookRun(nb, folder, limits or Limits(), name, zyg)
    return nb, run.run()


def copy_notebook(nb: Any) -> Any:
    return copy.deepcopy(nb)
