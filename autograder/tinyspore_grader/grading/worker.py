"""What runs inside the sandbox: the learner's cells (role "cells") and the graded calls (role "answer").

Both roles are children of the zygote (see `zygote.py`), forked with everything imported, then confined
(`sandbox.confine`). Everything here runs in a process the learner's code controls, so the trusted side
believes nothing it says: it only reads outcomes through the codec.

- cells: an IPython shell runs the submission's non-test cells one by one and reports their outputs as
  plain data; on request it exports the answers a test cell names (cloudpickle bytes, by value).
- answer: a fresh child that has never run learner code. It first makes the exercise's forbidden engine code
  unavailable (`forbid`: code replaced in place, originals dropped, so no saved reference can reach them),
  then loads the answer and runs the check's `call(answer, case)` on each case the trusted side sends.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import pickle
import struct
import sys
import types
import warnings
import weakref
from typing import Any

import numpy as np

from . import codec

# ----- messages from the trusted side (pickle: trusted -> worker only) -----------------------------------------
MAX_REQUEST = 512 << 20


def receive(sock) -> Any:
    (size,) = struct.unpack("!Q", codec._recv_exactly(sock, 8))
    if size > MAX_REQUEST:
        raise EOFError("request too big")
    return pickle.loads(codec._recv_exactly(sock, size))


def request(sock, message: Any) -> None:
    """Trusted side: send one request to a worker (cloudpickle: a check's cases may hold lambdas)."""
    import cloudpickle

    data = cloudpickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(struct.pack("!Q", len(data)) + data)


# ----- state taken in the zygote, before any learner code ------------------------------------------------------
class _Pristine:
    tensor_types: tuple = ()
    raised_type: Any = None
    checks: dict[str, Any] = {}  # "module:name" -> check function


PRISTINE = _Pristine()


# The course tools in tinyspore_grader that neither a submission nor a grading process uses (the command line,
# building and releasing chapters, the self-check, the editions, nbgrader's side of grading). The zygote does not
# import them: together they cost it about 2 s (nbgrader, jupytext, nbclient) on every start.
TOOLING = ("tinyspore_grader.__main__", "tinyspore_grader.notebooks", "tinyspore_grader.selfcheck",
           "tinyspore_grader.editions", "tinyspore_grader.messages", "tinyspore_grader.distribution",
           "tinyspore_grader.grading.parallel", "tinyspore_grader.grading.preprocessor",
           "tinyspore_grader.grading.classroom")


def warm_up() -> None:
    """Import what notebooks use, every check module, and what the grading processes forked from the zygote
    use (the zygote calls this once)."""
    import importlib
    import pkgutil

    import matplotlib

    matplotlib.use("module://matplotlib_inline.backend_inline")
    import matplotlib.pyplot  # noqa: F401
    import matplotlib_inline.backend_inline  # noqa: F401
    import nbformat  # noqa: F401 - the grading processes read and write notebooks
    from IPython.core.interactiveshell import InteractiveShell  # noqa: F401

    import tinyspore
    import tinyspore_grader
    import tinyspore_grader.checks

    for package in (tinyspore, tinyspore_grader):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name in TOOLING:
                continue
            with contextlib.suppress(Exception):
                importlib.import_module(info.name)
    for name in ("sklearn.datasets", "sklearn.model_selection", "scipy", "tqdm", "cloudpickle"):
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    register()
    _draw_a_figure()
    gc.collect()
    gc.freeze()  # fork-friendly: the imported world is not touched by the collector


def _draw_a_figure() -> None:
    """Draw one small figure with text, a legend, math and an image, off pyplot (no figure is left open): the
    fonts, text layout and math parser that every notebook's first figure would set up are ready in each worker
    (about 70 ms less per notebook here, whether figures are drawn as PNG or only laid out)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4, 3))
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    axes.plot([0, 1], [0, 1], label=r"$\alpha$")
    axes.imshow(np.zeros((2, 2)))
    axes.set_title("warm")
    axes.legend()
    figure.tight_layout()
    figure.savefig(io.BytesIO(), format="png", bbox_inches="tight")


def register() -> None:
    """Take the pristine references the workers use (the zygote does it before any learner code runs)."""
    import importlib
    import pkgutil

    import tinyspore_grader.checks
    from tinyspore.tensor import Parameter, Tensor
    from tinyspore_grader.core import Raised, _unchanged, error_facts

    PRISTINE.tensor_types = (Tensor, Parameter)
    PRISTINE.raised_type = Raised
    PRISTINE.where = error_facts
    PRISTINE.unchanged = _unchanged
    for info in pkgutil.iter_modules(tinyspore_grader.checks.__path__):
        module = importlib.import_module(f"tinyspore_grader.checks.{info.name}")
        for name, value in vars(module).items():
            if name.startswith("check_") and callable(value) and hasattr(value, "forbidden"):
                PRISTINE.checks[f"{module.__name__}:{name}"] = value


def encoder() -> codec.Encoder:
    return codec.Encoder(PRISTINE.tensor_types, PRISTINE.raised_type, PRISTINE.where)


def reply(sock, value: Any) -> None:
    codec.send(sock, value, encoder())


# ----- role "cells": the submission's own cells in an IPython shell --------------------------------------------
MIMES = ("text/plain", "image/png", "image/jpeg")


class _Capture(io.TextIOBase):
    """A stream that records what a cell prints, up to a limit."""

    def __init__(self, name: str, outputs: list, budget: list) -> None:
        self.name, self.outputs, self.budget = name, outputs, budget

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        text = str(text)
        if self.budget[0] <= 0:
            raise OutputLimit("this cell printed more than the output limit")
        text = text[:self.budget[0]]
        self.budget[0] -= len(text)
        last = self.outputs[-1] if self.outputs else None
        if last and last["output_type"] == "stream" and last["name"] == self.name:
            last["text"] += text
        else:
            self.outputs.append({"output_type": "stream", "name": self.name, "text": text})
        return len(text)


class OutputLimit(Exception):
    pass


def _shell(outputs: list, budget: list, draw_figures: bool = False):
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    def _data(data: dict) -> dict:
        out = {}
        for mime in MIMES:
            value = data.get(mime)
            if isinstance(value, str) and len(value) <= budget[0]:
                budget[0] -= len(value)
                out[mime] = value
        return out

    class Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            kept = _data(data or {})
            if kept:
                outputs.append({"output_type": "display_data", "data": kept})

        def clear_output(self, wait=False):
            outputs.clear()

    class Hook(DisplayHook):
        def start_displayhook(self):
            self._format = None

        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            kept = _data(format_dict or {})
            if kept:
                outputs.append({"output_type": "execute_result", "data": kept,
                                "execution_count": self.shell.execution_count})

        def finish_displayhook(self):
            pass

    class GraderShell(InteractiveShell):
        def _showtraceback(self, etype, evalue, stb):
            outputs.append({"output_type": "error", "ename": getattr(etype, "__name__", "Error"),
                            "evalue": str(evalue)[:2000], "traceback": [str(line)[:4000] for line in stb][:60]})

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "NoColor"
    # display_pub_class and displayhook_class are not configurable traits: they are set on the instance. The
    # instance is the one IPython's display() and get_ipython() find (else display() just prints a repr).
    shell = GraderShell.instance(config=config, display_pub_class=Publisher, displayhook_class=Hook)
    # Figures are shown as in a Jupyter kernel (the inline backend: plt.show(), and open figures at the end of a
    # cell): the zygote imported the backend before any shell existed, so its IPython integration is switched on
    # here, as importing it in a kernel does. Drawn as PNG only with `draw_figures`; else each figure is shown by
    # its text, `<Figure size 640x480 with 1 Axes>` (drawing them is a third of the grading time of this course).
    from IPython.core.pylabtools import activate_matplotlib, select_figure_formats
    from matplotlib_inline.backend_inline import configure_inline_support

    activate_matplotlib("module://matplotlib_inline.backend_inline")
    configure_inline_support(shell, "module://matplotlib_inline.backend_inline")
    if not draw_figures:
        select_figure_formats(shell, set())
    return shell


def serve_cells(sock, output_limit: int, draw_figures: bool = False) -> None:
    """Role "cells": run each cell sent, answer its outputs; export answers by name."""
    outputs: list = []
    budget = [output_limit]
    shell = _shell(outputs, budget, draw_figures)
    out_stream, err_stream = _Capture("stdout", outputs, budget), _Capture("stderr", outputs, budget)
    while True:
        try:
            message = receive(sock)
        except EOFError:
            return
        kind = message[0]
        if kind == "cell":
            outputs.clear()
            budget[0] = output_limit
            with contextlib.redirect_stdout(out_stream), contextlib.redirect_stderr(err_stream):
                try:
                    shell.run_cell(message[1], store_history=False, silent=False)
                except OutputLimit:
                    pass
                _flush_figures()
            reply(sock, {"outputs": list(outputs), "flooded": budget[0] <= 0})
        elif kind == "export":
            reply(sock, export(shell.user_ns, message[1]))
        elif kind == "quit":
            return


def _flush_figures() -> None:
    if "matplotlib.pyplot" in sys.modules:
        with contextlib.suppress(Exception):
            from matplotlib_inline.backend_inline import flush_figures

            flush_figures()


def export(namespace: dict, names: list[str]) -> dict:
    """The answers a test cell names, by value (cloudpickle), or what is wrong with each."""
    import cloudpickle

    out = {}
    for name in names:
        if name not in namespace:
            out[name] = {"kind": "missing"}
            continue
        try:
            data = cloudpickle.dumps(namespace[name], protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as error:  # noqa: BLE001 - anything the learner's object does while pickled
            out[name] = {"kind": "unpicklable", "error": f"{type(error).__name__}: {str(error)[:200]}"}
            continue
        out[name] = {"kind": "value", "data": data}
    return out


# ----- role "answer": forbidden code, then the graded calls -----------------------------------------------------
class ForbiddenCall(BaseException):
    """Raised by the stub of a forbidden engine function (a BaseException: `except Exception` misses it)."""


CALLED: list[str] = []


def forbidden(label: str) -> None:
    CALLED.append(label)
    raise ForbiddenCall(f"{label} is the engine's own implementation of this exercise")


def _stub_code(original: types.CodeType, label: str) -> types.CodeType:
    """A code object that raises ForbiddenCall(label), with `original`'s free variables (for closures)."""
    free = original.co_freevars
    lines = ["def _outer():"] + [f"    {v} = None" for v in free] + [
        "    def _stub(*args, **kwargs):",
        f"        ({', '.join(free)}{',' if free else ''})" if free else "        pass",
        f"        __import__({__name__!r}, fromlist=['forbidden']).forbidden({label!r})",
        "    return _stub"]
    namespace: dict = {}
    exec(compile("\n".join(lines), f"<forbidden {label}>", "exec"), namespace)  # noqa: S102 - our own text
    stub = namespace["_outer"]().__code__
    assert stub.co_freevars == free
    return stub.replace(co_name=original.co_name, co_qualname=getattr(original, "co_qualname", original.co_name))


def _label(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or "?"
    return f"{module}.{getattr(obj, '__qualname__', getattr(obj, '__name__', '?'))}"


def _functions_of(item: Any) -> list[tuple[Any, str]]:
    """(function object, label) pairs whose code to replace for one forbidden item."""
    from ..exercises import Rule

    if isinstance(item, Rule):
        return [(item.function, str(item))]
    if isinstance(item, type):
        found = []
        for name, value in vars(item).items():
            for fn in (getattr(value, "__func__", None), getattr(value, "fget", None), getattr(value, "fset", None),
                       value):
                if isinstance(fn, types.FunctionType):
                    found.append((fn, f"{_label(item)}.{name}"))
                    break
        return found
    fn = item
    while isinstance(fn, types.FunctionType) or hasattr(fn, "__wrapped__"):
        if isinstance(fn, types.FunctionType):
            break
        fn = fn.__wrapped__
    if isinstance(fn, types.FunctionType):
        forward = getattr(fn, "forward", None)  # an engine primitive: its NumPy rule is the answer (the op
        if isinstance(forward, types.FunctionType):  # wrapper's code is shared by every primitive)
            return [(forward, _label(item))]
        return [(fn, _label(item))]
    return []


def _fingerprint(code: types.CodeType) -> tuple:
    """The same code object, however it was copied (cloudpickle renames the file of a code it copies): the
    bytecode, names and constants, and where it starts and how it is called (so a learner's text that happens
    to compile to the same bytes, in a notebook cell, is not taken for the engine's)."""
    return (code.co_qualname, code.co_firstlineno, code.co_code, code.co_names, code.co_varnames, code.co_freevars,
            tuple(_fingerprint(c) if isinstance(c, types.CodeType) else repr(c) for c in code.co_consts))


def _without_nested(code: types.CodeType, nested: str, label: str) -> types.CodeType:
    return code.replace(co_consts=tuple(_stub_code(c, label) if isinstance(c, types.CodeType) and c.co_name == nested
                                        else c for c in code.co_consts))


def forbid(items: list[Any]) -> dict:
    """Make every item unavailable in this process for good: replace code in place, drop the originals.

    Returns the fingerprints of the replaced code (to find copies that arrive later, e.g. inside a pickled
    answer) and how many originals are still alive after a collection (0: none can be reached any more).
    """
    from ..exercises import Rule

    fingerprints: dict[tuple, tuple[str, str | None]] = {}
    alive = []
    for item in items:
        for fn, label in _functions_of(item):
            original = fn.__code__
            if isinstance(item, Rule):  # the forward stays; the backward closure it makes raises
                fingerprints[_fingerprint(original)] = (label, item.nested)
                fn.__code__ = _without_nested(original, item.nested, label)
            else:
                fingerprints[_fingerprint(original)] = (label, None)
                fn.__code__ = _stub_code(original, label)
            alive.append(weakref.ref(original))
            del original
    gc.collect()
    return {"fingerprints": fingerprints, "alive": sum(ref() is not None for ref in alive)}


def sweep(fingerprints: dict) -> list[str]:
    """Treat every function whose code is a copy of forbidden code (e.g. rebuilt by unpickling) the same way."""
    found = []
    if not fingerprints:
        return found
    for obj in gc.get_objects():
        if isinstance(obj, types.FunctionType):
            hit = fingerprints.get(_fingerprint(obj.__code__))
            if hit is None:
                continue
            label, nested = hit
            obj.__code__ = _without_nested(obj.__code__, nested, label) if nested else _stub_code(obj.__code__, label)
            found.append(label)
    return found


def forbidden_items(check: Any) -> list[Any]:
    items = list(getattr(check, "forbidden", ()))
    reference = getattr(check, "reference", None)
    if reference is not None:
        items.append(reference)
    return items


def serve_answer(sock) -> None:
    """Role "answer": ('load', [check keys], {name: bytes}), then ('call', name, call, case) until EOF."""
    import cloudpickle  # noqa: F401 - unpickling by-value functions needs it imported

    message = receive(sock)
    assert message[0] == "load"
    _, check_keys, payloads = message
    items = [item for key in check_keys if key in PRISTINE.checks for item in forbidden_items(PRISTINE.checks[key])]
    status = forbid(items)
    fingerprints = status.pop("fingerprints")
    answers: dict[str, Any] = {}
    loaded = {}
    sink = io.StringIO()
    for name, data in payloads.items():
        try:
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                answers[name] = pickle.loads(data)
            value = answers[name]
            loaded[name] = {"callable": callable(value), "describe": _describe(value)}
        except BaseException as error:  # noqa: BLE001
            loaded[name] = {"callable": False,
                            "describe": f"an object that could not be loaded ({type(error).__name__})"}
    swept = sweep(fingerprints)
    reply(sock, {"loaded": loaded, "alive": status["alive"], "swept": swept})
    del payloads, message
    while True:
        try:
            message = receive(sock)
        except EOFError:
            return
        _, name, call, case = message
        reply(sock, run_call(answers.get(name), call, case))
        sink.seek(0)
        sink.truncate()


def _describe(value: Any) -> str:
    try:
        from ..summary import describe

        return str(describe(value))[:300]
    except BaseException:  # noqa: BLE001
        return f"an object of type {type(value).__name__}"


def run_call(answer: Any, call: Any, case: Any) -> dict:
    """One graded call: {"ok": outcome} | {"raised": error} | {"not_implemented": True} | {"forbidden": [...]},
    with "changed": {position or keyword: new value} for the arguments the answer changed in place."""
    import copy

    del CALLED[:]
    sink = io.StringIO()
    result: dict
    try:
        original = copy.deepcopy((case.args, case.kwargs))
    except Exception:  # noqa: BLE001 - then in-place changes go unnoticed; the outcome still counts
        original = None
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings(), contextlib.redirect_stdout(sink), \
                contextlib.redirect_stderr(sink):
            warnings.simplefilter("ignore")
            value = call(answer, case)
        result = {"ok": value}
    except NotImplementedError:
        result = {"not_implemented": True}
    except ForbiddenCall:
        result = {"forbidden": list(CALLED)}
    except BaseException as error:  # noqa: BLE001 - every error of the answer is an outcome
        result = {"raised": PRISTINE.raised_type(error)}
    if CALLED:
        return {"forbidden": list(dict.fromkeys(CALLED))}
    if original is not None:
        changed = {}
        for i, (a, b) in enumerate(zip(original[0], case.args)):
            if not _same_input(a, b):
                changed[i] = b
        for key, a in original[1].items():
            if not _same_input(a, case.kwargs.get(key)):
                changed[key] = case.kwargs.get(key)
        if changed:
            result["changed"] = changed
    return result


def _same_input(a: Any, b: Any) -> bool:
    try:
        return bool(PRISTINE.unchanged(a, b))
    except Exception:  # noqa: BLE001
        return True


def serve(sock, role: str, settings: dict) -> None:
    if role == "cells":
        serve_cells(sock, settings.get("output_limit", 1 << 20), bool(settings.get("draw_figures", False)))
    elif role == "answer":
        serve_answer(sock)
    os._exit(0)
