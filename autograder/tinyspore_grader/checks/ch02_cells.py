"""Checks of chapter 02, cells: a Dense layer as a Cell, the recursive walk that names parameters,
counting parameters (trainable or not), and a Sequential container.

Each `check_<exercise>(answer, hidden=False)` runs the answer against the reference engine (`tinyspore.nn`,
whose naming rules were checked against MindSpore 2.10) on freshly built networks; `hidden=True` uses
other seeds and other networks (the hidden tests of nbgrader).
"""

from __future__ import annotations

import copy
import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import tinyspore as ms
from tinyspore import Parameter, Tensor, nn
from tinyspore.common.initializer import Uniform
from tinyspore.common.seed import seeded
from tinyspore.ops import primitives as P
from tinyspore_grader import BadReturn, Case, Mistake, Raised, describe, exercise, run_check
from tinyspore_grader.diagnose import kind_of
from tinyspore_grader.i18n import _ as _tr


def _rng(hidden: bool, salt: int) -> np.random.Generator:
    return np.random.default_rng(2000 + 100 * salt + (7 if hidden else 0))


def _is_tensor(value: Any) -> bool:
    return isinstance(value, Tensor)


# ----- 02.1 Dense ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DenseCase:
    """One use of a Dense class: build it with these arguments, then look at `kind`.

    kind: 'params' (names, shapes and dtypes of its parameters), 'forward' (the output on x),
    'gradient' (the gradients of sum(output * x_weights) with respect to its trainable parameters),
    'default init' (whether the default initial values follow MindSpore's bounds).
    """

    kind: str
    in_channels: int
    out_channels: int
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None
    has_bias: bool = True
    x: np.ndarray | None = None
    seed: int = 0


def _build_dense(cls: Any, spec: DenseCase) -> Any:
    kwargs: dict[str, Any] = {"has_bias": spec.has_bias}
    if spec.weight is not None:
        kwargs["weight_init"] = Tensor(spec.weight.copy())
    if spec.bias is not None:
        kwargs["bias_init"] = Tensor(spec.bias.copy())
    return cls(spec.in_channels, spec.out_channels, **kwargs)


def _parameter_listing(cell: Any) -> str:
    """`weight (3, 2) float32, bias (3,) float32`, plus `bias=None` when the layer has no bias."""
    items = [f"{name} {tuple(p.shape)} {p.asnumpy().dtype}" for name, p in cell.parameters_and_names()]
    text = ", ".join(items) if items else "no parameters"
    if getattr(cell, "bias", "missing") is None:
        text += "; bias=None"
    return text


def _init_report(cell: Any, in_channels: int) -> str:
    """Whether the default values lie in [-1/sqrt(in), 1/sqrt(in)] and fill most of that range."""
    bound = 1 / math.sqrt(in_channels)
    parts = []
    for name in ("weight", "bias"):
        p = getattr(cell, name, None)
        if p is None:
            parts.append(f"{name}: missing")
            continue
        array = np.asarray(p.asnumpy())
        values = np.abs(array.astype(np.float64))
        inside = bool(values.max() <= bound * (1 + 1e-6))
        spread = bool(values.max() > 0.5 * bound)
        parts.append(f"{name} {array.dtype} within bound {'yes' if inside else 'no'}, "
                     f"spread {'yes' if spread else 'no'}")
    return "; ".join(parts)


def _run_dense(cls: Any, case: Case) -> Any:
    spec: DenseCase = case.args[0]
    if spec.kind == "default init":
        with seeded(spec.seed):
            return _init_report(cls(spec.in_channels, spec.out_channels), spec.in_channels)
    cell = _build_dense(cls, spec)
    if spec.kind == "params":
        return _parameter_listing(cell)
    x = Tensor(spec.x.copy())
    if spec.kind == "forward":
        return cell(x)
    # 'gradient': weighting the outputs makes every output element matter differently.
    out_weights = np.linspace(-1, 1, spec.x.shape[0] * spec.out_channels, dtype=np.float32).reshape(
        spec.x.shape[0], spec.out_channels)
    params = cell.trainable_params()
    return ms.grad(lambda t: (cell(t) * Tensor(out_weights)).sum(), grad_position=None, weights=params)(x)


def _describe_dense(case: Case) -> str:
    spec: DenseCase = case.args[0]
    if spec.kind == "default init":
        return (_tr("Dense({spec_in_channels}, {spec_out_channels}) with the default initializers; bound = "
                    "1/sqrt(in_channels) = {value5:g}, spread = some |value| > bound / 2").format(
                    spec_in_channels=spec.in_channels, spec_out_channels=spec.out_channels,
                    value5=1 / math.sqrt(spec.in_channels)))
    args = [str(spec.in_channels), str(spec.out_channels)]
    if spec.weight is not None:
        args.append(f"weight_init=Tensor {describe(spec.weight)}")
    if spec.bias is not None:
        args.append(f"bias_init=Tensor {describe(spec.bias)}")
    args.append(f"has_bias={spec.has_bias}")
    text = f"Dense({', '.join(args)})"
    if spec.kind == "params":
        return text + ", then list its parameters"
    text += f" on x {describe(spec.x)}"
    if spec.kind == "gradient":
        text += ", gradients of the weighted sum of the output with respect to weight and bias"
    return text


def _dense_cases(hidden: bool) -> list[Case]:
    rng = _rng(hidden, 1)

    def make(kind: str, n_in: int, n_out: int, n: int = 4, has_bias: bool = True) -> Case:
        weight = rng.standard_normal((n_out, n_in)).round(2).astype(np.float32)
        bias = rng.standard_normal(n_out).round(2).astype(np.float32) if has_bias else None
        x = rng.standard_normal((n, n_in)).round(2).astype(np.float32)
        return Case((DenseCase(kind, n_in, n_out, weight, bias, has_bias, x),))

    plans = [("params", 3, 2, 4, True), ("params", 4, 4, 4, False), ("forward", 3, 2, 5, True),
             ("forward", 3, 3, 4, True), ("forward", 2, 4, 4, True), ("forward", 3, 2, 1, True),
             ("forward", 3, 2, 4, False), ("gradient", 3, 2, 4, True)]
    if hidden:
        plans = [("params", 5, 3, 2, True), ("params", 2, 6, 2, False), ("forward", 4, 3, 6, True),
                 ("forward", 5, 5, 3, True), ("forward", 1, 3, 3, True), ("forward", 4, 1, 1, True),
                 ("forward", 2, 2, 3, False), ("gradient", 4, 3, 2, True), ("gradient", 3, 3, 3, False)]
    cases = [make(*plan) for plan in plans]
    # Several shapes: a bound taken from out_channels (or a fixed one) passes when in and out are alike.
    for n_in, n_out in ((16, 32), (3, 50), (64, 2)) if not hidden else ((20, 10), (2, 40), (81, 3)):
        cases.append(Case((DenseCase("default init", n_in, n_out, seed=7 if hidden else 0),)))
    return cases


def _spec(case: Case) -> DenseCase:
    return case.args[0]


def _forward_is(fn: Callable[[DenseCase], np.ndarray]) -> Callable[[Case, Any], bool]:
    """A detector: the learner's forward output equals what `fn` computes with NumPy on the case."""
    def detect(case: Case, got: Any) -> bool:
        spec = _spec(case)
        if spec.kind != "forward" or not _is_tensor(got):
            return False
        wrong = fn(spec)
        return wrong.shape == got.shape and bool(np.allclose(got.asnumpy(), wrong, rtol=1e-5, atol=1e-5))
    return detect


def _no_bias(spec: DenseCase) -> np.ndarray:
    return spec.x @ spec.weight.T


def _weight_not_transposed(spec: DenseCase) -> np.ndarray:
    return spec.x @ spec.weight + (spec.bias if spec.has_bias else 0)


def _bias_along_samples(spec: DenseCase) -> np.ndarray:
    """(W @ x.T + b).T: the bias lands on the sample axis (only runs when N == out_channels)."""
    return (spec.weight @ spec.x.T + spec.bias).T


def _listing_shows(text: Callable[[DenseCase], str]) -> Callable[[Case, Any], bool]:
    def detect(case: Case, got: Any) -> bool:
        return _spec(case).kind == "params" and isinstance(got, str) and text(_spec(case)) in got
    return detect


def _transposed_weight_error(case: Case, got: Any) -> bool:
    spec = _spec(case)
    return (isinstance(got, Raised) and spec.in_channels != spec.out_channels
            and f"({spec.in_channels}, {spec.out_channels})" in str(got.error))


def _dense_bounded_by_out(n_in: int, n_out: int, weight_init: Any = None, bias_init: Any = None,
                          has_bias: bool = True) -> nn.Dense:
    """The mistake "bound from out_channels": default values in +-1/sqrt(out_channels)."""
    return nn.Dense(n_in, n_out, weight_init if weight_init is not None else Uniform(1 / math.sqrt(n_out)),
                    bias_init if bias_init is not None else Uniform(1 / math.sqrt(n_out)), has_bias)


DENSE_MISTAKES = [
    Mistake("weight stored as (in, out)",
            "MindSpore's Dense keeps `weight` with shape (out_channels, in_channels), one row per output "
            "feature, and computes x @ weight.T: create it with shape (out_channels, in_channels).",
            detect=lambda case, got: _transposed_weight_error(case, got) or (
                _spec(case).in_channels != _spec(case).out_channels and _listing_shows(
                    lambda s: f"weight ({s.in_channels}, {s.out_channels})")(case, got))),
    Mistake("bias shaped (out, 1) or (1, out)",
            "the bias holds one number per output feature: shape (out_channels,). Added to the (N, out) "
            "product, it broadcasts over the N rows by itself.",
            detect=_listing_shows(lambda s: f"bias ({s.out_channels}, 1)")),
    Mistake("a bias although has_bias=False",
            "with has_bias=False the layer has no bias at all: set `self.bias = None` and skip the addition "
            "(a zero Parameter would still be trained).",
            detect=lambda case, got: not _spec(case).has_bias and isinstance(got, str) and "bias (" in got),
    Mistake("`or` on a Tensor",
            "test for the default with `if weight_init is None:`; `weight_init or default` asks a Tensor for "
            "a single truth value, which it does not have.",
            detect=lambda case, got: isinstance(got, Raised) and "truth value" in str(got.error)),
    Mistake("not a Parameter",
            "wrap the initial values in `Parameter(...)` and assign them to `self.weight` and `self.bias`: "
            "only Parameters are registered (and named) by the Cell.",
            detect=lambda case, got: _spec(case).kind == "params" and isinstance(got, str)
            and "weight (" not in got),
    Mistake("adds a missing bias",
            "with has_bias=False `self.bias` is None: skip the addition (`if self.bias is not None: ...`).",
            detect=lambda case, got: isinstance(got, Raised) and not _spec(case).has_bias
            and _spec(case).kind != "params"),
    Mistake("weight not transposed in construct",
            "the weight is (out_channels, in_channels): the product is x @ weight.T "
            "(`ops.matmul(x, self.weight.T)`), not x @ weight.",
            detect=lambda case, got: _forward_is(_weight_not_transposed)(case, got) or (
                isinstance(got, Raised) and "matmul" in str(got.error)
                and f"{_spec(case).x.shape} @ ({_spec(case).out_channels}, {_spec(case).in_channels})"
                in str(got.error))),
    Mistake("missing bias",
            "add the bias after the product: y = x @ weight.T + bias (when has_bias is True).",
            detect=_forward_is(_no_bias)),
    Mistake("bias on the wrong axis",
            "compute in the (N, out_channels) layout: x @ weight.T + bias. In (weight @ x.T + bias).T the "
            "bias is added along the samples, not the output features.",
            detect=lambda case, got: _spec(case).x is not None and _spec(case).has_bias and (
                _spec(case).x.shape[0] == _spec(case).out_channels and _forward_is(_bias_along_samples)(case, got)
                or isinstance(got, Raised) and f"({_spec(case).out_channels}, {_spec(case).x.shape[0]})"
                in str(got.error))),
    Mistake("an ndarray instead of a Tensor",
            "construct must return a Tensor computed with tinyspore operations (@, +, ops.matmul), so that "
            "gradients can flow back to weight and bias.",
            detect=lambda case, got: isinstance(got, (np.ndarray, np.generic))),
    Mistake("gradients do not flow",
            "the output is right but the gradients are not: compute with Tensors and tinyspore ops only "
            "(no .asnumpy() detour, no new Tensor(...) around a result), so that autodiff sees every step.",
            detect=lambda case, got: _spec(case).kind == "gradient"),
    Mistake("float64 initial values",
            "the initial values must be float32 like every Parameter of the engine: NumPy's random functions "
            "give float64, so pass `dtype`/`.astype(np.float32)`, or use `initializer(HeUniform(math.sqrt(5)), "
            "shape)`, which does.",
            detect=lambda case, got: _spec(case).kind == "default init" and isinstance(got, str) and "float64" in got),
    Mistake("bound from out_channels",
            "the bound is 1/sqrt(in_channels), the number of INPUTS each output adds up (the fan-in), not "
            "out_channels: `HeUniform(math.sqrt(5))` on the (out, in) weight computes it for you.",
            wrong=lambda n_in, n_out, weight_init=None, bias_init=None, has_bias=True: _dense_bounded_by_out(
                n_in, n_out, weight_init, bias_init, has_bias)),
    Mistake("default initializers",
            "with weight_init=None use `HeUniform(math.sqrt(5))` (values in +-1/sqrt(in_channels)), and with "
            "bias_init=None `Uniform(1 / math.sqrt(in_channels))`: MindSpore's defaults, and not zeros.",
            detect=lambda case, got: _spec(case).kind == "default init"
            and got != _run_dense(_dense_bounded_by_out, case)),
]


reference_dense = nn.Dense  # the oracle of 02.1, MindSpore's layer as the engine implements it


@exercise(reference=nn.Dense, forbidden=[nn.Dense, P.dense])
def check_Dense(Dense: Any, hidden: bool = False) -> None:  # noqa: N802, N803 (named after the class)
    """Exercise 02.1: Dense(in_channels, out_channels, weight_init, bias_init, has_bias) as a Cell."""
    run_check("02.1", "Dense", Dense, _dense_cases(hidden), reference=reference_dense, call=_run_dense,
              mistakes=DENSE_MISTAKES, describe_case=_describe_dense)




# ----- networks for the naming exercises -------------------------------------------------------------
class _Net(nn.Cell):
    """fc1, a SequentialCell head, and a frozen scale assigned last (yet listed first: own params come first)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Dense(2, 3)
        self.head = nn.SequentialCell([nn.Dense(3, 4), nn.ReLU(), nn.Dense(4, 1)])
        self.scale = Parameter(Tensor(np.float32(1.0)), requires_grad=False)

    def construct(self, x: Tensor) -> Tensor:
        return self.head(self.fc1(x)) * self.scale


class _Shared(nn.Cell):
    """b reuses a's weight; one Dense is attached twice (enc and dec): each Parameter must appear once."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Dense(2, 2)
        self.b = nn.Dense(2, 2)
        self.b.weight = self.a.weight
        twice = nn.Dense(2, 3)
        self.enc = twice
        self.dec = twice


class _Inner(nn.Cell):
    def __init__(self) -> None:
        super().__init__()
        self.alpha = Parameter(Tensor(np.zeros(2, np.float32)))
        self.sub = nn.Dense(2, 2, has_bias=False)
        self.frozen = Parameter(Tensor(np.ones(3, np.float32)), requires_grad=False)


class _Deep(nn.Cell):
    """Three levels, own parameters at several levels, a frozen one deep inside."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = _Inner()
        self.beta = Parameter(Tensor(np.zeros((2, 2), np.float32)))
        self.blocks = nn.CellList([_Inner(), nn.ReLU()])


class _Tied(nn.Cell):
    """An encoder/decoder pair sharing one weight, plus a frozen embedding table."""

    def __init__(self) -> None:
        super().__init__()
        self.table = Parameter(Tensor(np.zeros((5, 3), np.float32)), requires_grad=False)
        self.encoder = nn.SequentialCell(OrderedDict([("proj", nn.Dense(3, 3)), ("act", nn.Tanh())]))
        self.decoder = nn.Dense(3, 3)
        self.decoder.weight = self.encoder.proj.weight


def _net_head() -> nn.Cell:
    """A sub-cell: its parameters are *named* 'head.0.weight', ... but their paths from it are '0.weight'."""
    return _Net().head


NETWORKS: dict[str, Callable[[], nn.Cell]] = {
    "Dense(3, 2)": lambda: nn.Dense(3, 2),
    "Net: fc1, head=SequentialCell, frozen scale": _Net,
    "Net().head (a sub-cell)": _net_head,
    "shared weight and a cell attached twice": _Shared,
    "ReLU() (no parameters)": nn.ReLU,
    "three levels with a CellList": _Deep,
    "tied encoder/decoder weight, frozen table": _Tied,
    "BatchNorm1d(4) (moving statistics are frozen)": lambda: nn.BatchNorm1d(4),
    "Dense(4, 3, has_bias=False)": lambda: nn.Dense(4, 3, has_bias=False),
    "SequentialCell of OrderedDict": lambda: nn.SequentialCell(
        OrderedDict([("conv", nn.Dense(2, 3)), ("act", nn.ReLU()), ("out", nn.Dense(3, 1))])),
}


def _network(name: str) -> nn.Cell:
    with seeded(0):
        return NETWORKS[name]()


# ----- 02.2 parameters_and_names -----------------------------------------------------------------------
def reference_parameters_and_names(cell: nn.Cell, name_prefix: str = "") -> list:
    return list(cell.parameters_and_names(name_prefix=name_prefix))


def _own_parameter_ids(cell: nn.Cell) -> set[int]:
    """ids of every Parameter in the tree, found without the engine's walks (unavailable while grading 02.2)."""
    ids, stack, seen = set(), [cell], set()
    while stack:
        c = stack.pop()
        if id(c) not in seen:
            seen.add(id(c))
            ids.update(id(p) for p in c._params.values())
            stack.extend(c._cells.values())
    return ids


def _run_walk(fn: Any, case: Case) -> Any:
    """Build the network afresh, run `fn` on it, and report the names (and whether each object is right)."""
    _, prefix, network = case.args
    cell = copy.deepcopy(network)  # built beforehand: building names parameters with the walks under test
    result = fn(cell, prefix) if prefix else fn(cell)
    if result is None:
        return None
    if isinstance(result, (str, bytes, dict)) or not hasattr(result, "__iter__"):
        raise BadReturn(f"`parameters_and_names` returned {kind_of(result)}: return a list of (name, Parameter) pairs")
    pairs = list(result)
    own = _own_parameter_ids(cell)
    names = []
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            return f"an item that is not a (name, Parameter) pair: {describe(pair)}"
        path, param = pair
        if not isinstance(param, Parameter) or id(param) not in own:
            names.append(f"{path} (not a Parameter of this cell)")
        else:
            names.append(str(path))
    return " ".join(names) if names else "(none)"


def _describe_walk(case: Case) -> str:
    name, prefix, _ = case.args
    return _tr("the network {name}").format(name=name) + (f", name_prefix={prefix!r}" if prefix else "")


def _walk_cases(hidden: bool) -> list[Case]:
    plans = [("Dense(3, 2)", ""), ("Net: fc1, head=SequentialCell, frozen scale", ""),
             ("Net().head (a sub-cell)", ""), ("shared weight and a cell attached twice", ""),
             ("ReLU() (no parameters)", ""),
             ("Net().head (a sub-cell)", "model"),  # the prefix, param.name and the path from here all differ
             ("Net: fc1, head=SequentialCell, frozen scale", "model")]
    if hidden:
        plans = [("three levels with a CellList", ""), ("tied encoder/decoder weight, frozen table", ""),
                 ("BatchNorm1d(4) (moving statistics are frozen)", ""), ("SequentialCell of OrderedDict", ""),
                 ("Net().head (a sub-cell)", "block"), ("Dense(4, 3, has_bias=False)", "")]
    return [Case((name, prefix, _network(name))) for name, prefix in plans]


def _walk_wrong(order: str = "pre", dedup: bool = True, dotted: bool = True, use_name: bool = False,
                lead_dot: bool = False) -> Callable:
    """Wrong walks, written once and configured: post-order, no dedup, no prefix, param.name, '.weight'."""
    def walk(cell: nn.Cell, name_prefix: str = "") -> list:
        seen: set[int] = set()
        out: list = []

        def visit(c: nn.Cell, prefix: str) -> None:
            def join(name: str) -> str:
                if not dotted:
                    return name
                return f"{prefix}.{name}" if (prefix or lead_dot) else name

            own = [(join(n), p) for n, p in c.parameters_and_names(expand=False)]
            if use_name:
                own = [(p.name, p) for _, p in own]
            if order == "pre":
                out.extend(own)
            for child_name, child in c.name_cells().items():
                visit(child, join(child_name))
            if order == "post":
                out.extend(own)

        visit(cell, name_prefix)
        result = []
        for n, p in out:
            if dedup and id(p) in seen:
                continue
            seen.add(id(p))
            result.append((n, p))
        return result
    return walk


PARAMETERS_AND_NAMES_MISTAKES = [
    Mistake("no prefix",
            "a child's parameters are named by their path: the child's attribute name, a dot, then the name "
            "inside it ('fc1.weight', 'head.0.weight'). Pass `prefix + child_name` down the recursion.",
            wrong=_walk_wrong(dotted=False)),
    Mistake("name_prefix ignored",
            "put `name_prefix` in front of every path: with name_prefix='model' the first parameter of "
            "`net.head` is 'model.0.weight'. Start the recursion with the prefix you were given.",
            wrong=lambda cell, name_prefix="": _walk_wrong()(cell)),
    Mistake("leading dot",
            "at the top the prefix is empty, so the names start without a dot: 'fc1.weight', not '.fc1.weight'. "
            "Join with a dot only when the prefix is not empty.",
            wrong=_walk_wrong(lead_dot=True)),
    Mistake("children first",
            "MindSpore lists a cell's own parameters first, then walks its children in the order they were "
            "assigned (depth first): 'scale' comes before 'fc1.weight' although it was assigned last.",
            wrong=_walk_wrong(order="post")),
    Mistake("shared parameter listed twice",
            "a Parameter used in two places is listed once, at its first path: keep a set of the ids of the "
            "Parameters you have already yielded (`id(param)`), shared by the whole recursion.",
            wrong=_walk_wrong(dedup=False)),
    Mistake("param.name instead of the path",
            "use the path from THIS cell, not `param.name`: the name was set when the cell was attached to a "
            "parent ('head.0.weight'), while the path from `net.head` is '0.weight'.",
            wrong=_walk_wrong(use_name=True)),
    Mistake("returns None",
            "return the list of (name, Parameter) pairs (a `return` is missing).",
            detect=lambda case, got: got is None),
]


@exercise(reference=reference_parameters_and_names,
          forbidden=[nn.Cell.parameters_and_names, nn.Cell.cells_and_names, nn.Cell.get_parameters,
                     nn.Cell.trainable_params, nn.Cell.untrainable_params, nn.Cell.parameters_dict])
def check_parameters_and_names(parameters_and_names: Any, hidden: bool = False) -> None:
    """Exercise 02.2: parameters_and_names(cell, name_prefix='') -> [(dotted name, Parameter), ...]."""
    run_check("02.2", "parameters_and_names", parameters_and_names, _walk_cases(hidden),
              reference=reference_parameters_and_names, call=_run_walk,
              mistakes=PARAMETERS_AND_NAMES_MISTAKES, describe_case=_describe_walk)


# ----- 02.3 count_parameters ---------------------------------------------------------------------------
def reference_count_parameters(cell: nn.Cell) -> tuple[int, int]:
    trainable = sum(p.size for p in cell.trainable_params())
    total = sum(p.size for p in cell.get_parameters())
    return int(trainable), int(total)


def _run_count(fn: Any, case: Case) -> Any:
    result = fn(_network(case.args[0]))
    if isinstance(result, list):
        return result  # shown as is: the contract asks for a tuple
    if isinstance(result, tuple):
        return tuple(int(v) if isinstance(v, (np.integer, Tensor)) and np.ndim(v) == 0 else v for v in result)
    return result


def _count_cases(hidden: bool) -> list[Case]:
    names = ["Dense(3, 2)", "Net: fc1, head=SequentialCell, frozen scale", "shared weight and a cell attached twice",
             "ReLU() (no parameters)", "BatchNorm1d(4) (moving statistics are frozen)"]
    if hidden:
        names = ["three levels with a CellList", "tied encoder/decoder weight, frozen table",
                 "Dense(4, 3, has_bias=False)", "Net().head (a sub-cell)", "SequentialCell of OrderedDict"]
    return [Case((name,)) for name in names]


def _count_own_params_of_every_cell(cell: nn.Cell) -> tuple[int, int]:
    """The mistake: walk the cells and add each one's own parameters (a shared one counts twice)."""
    params = [p for _, c in cell.cells_and_names() for _, p in c.parameters_and_names(expand=False)]
    return (sum(p.size for p in params if p.requires_grad), sum(p.size for p in params))


COUNT_PARAMETERS_MISTAKES = [
    Mistake("counted Parameters, not numbers",
            "count the numbers inside the Parameters (`p.size`, e.g. 6 for a (3, 2) weight), not the "
            "Parameter objects.",
            wrong=lambda cell: (len(cell.trainable_params()), len(list(cell.get_parameters())))),
    Mistake("frozen parameters counted as trainable",
            "a Parameter with requires_grad=False is not trainable (it is in `get_parameters()` but not in "
            "`trainable_params()`): count it in the total only.",
            wrong=lambda cell: (sum(p.size for p in cell.get_parameters()),) * 2),
    Mistake("frozen parameters left out of the total",
            "the total counts EVERY parameter value, frozen ones (requires_grad=False) too: take it from "
            "`get_parameters()`, not from `trainable_params()`.",
            wrong=lambda cell: (sum(p.size for p in cell.trainable_params()),) * 2),
    Mistake("shared parameter counted twice",
            "a Parameter shared by two cells is one set of numbers: count each Parameter once "
            "(`get_parameters()` already skips repeats).",
            wrong=_count_own_params_of_every_cell),
    Mistake("swapped",
            "return (trainable, total), in that order.",
            wrong=lambda cell: reference_count_parameters(cell)[::-1]),
    Mistake("not a tuple",
            "return a tuple of two ints: `return trainable, total`.",
            detect=lambda case, got: not isinstance(got, (tuple, Raised))),
]


@exercise(reference=reference_count_parameters, forbidden=[])
def check_count_parameters(count_parameters: Any, hidden: bool = False) -> None:
    """Exercise 02.3: count_parameters(cell) -> (trainable, total), numbers of values (not Parameters)."""
    run_check("02.3", "count_parameters", count_parameters, _count_cases(hidden), reference=reference_count_parameters,
              call=_run_count, mistakes=COUNT_PARAMETERS_MISTAKES,
              describe_case=lambda case: f"the network {case.args[0]}")


# ----- 02.4 Sequential ---------------------------------------------------------------------------------
class _Parent(nn.Cell):
    """Holds the container under the attribute `head`, so that its parameters become 'head.0.weight'."""

    def __init__(self, head: nn.Cell) -> None:
        super().__init__()
        self.head = head

    def construct(self, x: Tensor) -> Tensor:
        return self.head(x)


LAYER_PLANS: dict[str, Callable[[np.random.Generator], list]] = {
    "[Dense(3, 4), ReLU(), Dense(4, 2)]": lambda rng: [_dense(rng, 3, 4), nn.ReLU(), _dense(rng, 4, 2)],
    "[Dense(3, 3), Tanh(), Dense(3, 3), ReLU()]": lambda rng: [_dense(rng, 3, 3), nn.Tanh(), _dense(rng, 3, 3),
                                                               nn.ReLU()],
    "[Dense(3, 5)]": lambda rng: [_dense(rng, 3, 5)],
    "[ReLU(), Dense(3, 2, has_bias=False), Sigmoid()]": lambda rng: [nn.ReLU(), _dense(rng, 3, 2, False),
                                                                     nn.Sigmoid()],
    "[Dense(3, 6), ReLU(), Dense(6, 6), ReLU(), Dense(6, 1)]": lambda rng: [
        _dense(rng, 3, 6), nn.ReLU(), _dense(rng, 6, 6), nn.ReLU(), _dense(rng, 6, 1)],
    "[]": lambda rng: [],
}


def _dense(rng: np.random.Generator, n_in: int, n_out: int, has_bias: bool = True) -> nn.Dense:
    weight = Tensor(rng.standard_normal((n_out, n_in)).round(2).astype(np.float32))
    bias = Tensor(rng.standard_normal(n_out).round(2).astype(np.float32)) if has_bias else None
    return nn.Dense(n_in, n_out, weight_init=weight, bias_init=bias, has_bias=has_bias)


def _listing(names: Any) -> str:
    """`'', 0, 1` for ['', '0', '1']: compact, so that the feedback line shows as many names as it can."""
    return ", ".join(str(n) if n else "''" for n in names) or "(none)"


def _run_sequential(cls: Any, case: Case) -> Any:
    kind, plan, seed = case.args
    layers = LAYER_PLANS[plan](np.random.default_rng(seed))
    seq = cls(layers)
    if kind == "names":
        cells = _listing(name for name, _ in seq.cells_and_names())
        return f"cells: {cells} | parameters: {_listing(p.name for p in seq.trainable_params())}"
    if kind == "inside a parent":
        return f"parameters: {_listing(p.name for p in _Parent(seq).trainable_params())}"
    x = np.random.default_rng(seed + 1).standard_normal((4, 3)).round(2).astype(np.float32)
    return seq(Tensor(x))


def _sequential_cases(hidden: bool) -> list[Case]:
    seed = 11 if hidden else 3
    chain = "[Dense(3, 4), ReLU(), Dense(4, 2)]"
    plans = [("names", chain), ("inside a parent", chain), ("forward", chain),
             ("forward", "[Dense(3, 3), Tanh(), Dense(3, 3), ReLU()]"), ("names", "[Dense(3, 5)]"), ("forward", "[]")]
    if hidden:
        plans = [("names", "[ReLU(), Dense(3, 2, has_bias=False), Sigmoid()]"),
                 ("inside a parent", "[Dense(3, 6), ReLU(), Dense(6, 6), ReLU(), Dense(6, 1)]"),
                 ("forward", "[Dense(3, 6), ReLU(), Dense(6, 6), ReLU(), Dense(6, 1)]"),
                 ("forward", "[ReLU(), Dense(3, 2, has_bias=False), Sigmoid()]"),
                 ("names", "[Dense(3, 3), Tanh(), Dense(3, 3), ReLU()]"), ("forward", "[]"), ("names", "[]")]
    return [Case((kind, plan, seed + i)) for i, (kind, plan) in enumerate(plans)]


def _describe_sequential(case: Case) -> str:
    kind, plan, _ = case.args
    what = {"names": "then list cells_and_names() and the trainable parameters' names",
            "inside a parent": "assigned to a parent as `self.head`, then list the parent's parameter names",
            "forward": "called on x float32 (4, 3)"}[kind]
    return f"Sequential({plan}), {what}"


def _names_case(case: Case) -> bool:
    return case.args[0] in ("names", "inside a parent")


SEQUENTIAL_MISTAKES = [
    Mistake("cells kept in a plain list",
            "a Python list attribute hides the cells from the Cell (no children, no parameters): register each "
            "one as a child, `setattr(self, str(i), cell)`.",
            detect=lambda case, got: _names_case(case) and isinstance(got, str)
            and ("cells: '' |" in got or "parameters: (none)" in got) and case.args[1] != "[]"),
    Mistake("counted from 1",
            "the children are named by their position counted from 0: '0', '1', '2', ... (so the first "
            "Dense's weight is '0.weight').",
            detect=lambda case, got: _names_case(case) and isinstance(got, str)
            and ("cells: '', 1" in got or "parameters: 1." in got or "head.1." in got and "head.0." not in got)),
    Mistake("insert_child_to_cell does not rename",
            "`insert_child_to_cell` registers a child but, in MindSpore, does not rename its parameters "
            "(they stay 'weight'). Assigning an attribute does: `setattr(self, str(i), cell)`.",
            detect=lambda case, got: case.args[0] == "names" and isinstance(got, str)
            and "parameters: weight" in got),
    Mistake("not chained",
            "feed each cell the output of the previous one: `for cell in ...: x = cell(x)`, then return x "
            "(after all cells, in order).",
            detect=lambda case, got: case.args[0] == "forward" and (
                _is_tensor(got) or isinstance(got, Raised) and "in_channels" in str(got.error))),
]


reference_sequential = nn.SequentialCell  # the oracle of 02.4


@exercise(reference=nn.SequentialCell, forbidden=[nn.SequentialCell, nn.CellList])
def check_Sequential(Sequential: Any, hidden: bool = False) -> None:  # noqa: N802, N803 (named after the class)
    """Exercise 02.4: Sequential(cells) registers children '0', '1', ... and chains them in construct."""
    run_check("02.4", "Sequential", Sequential, _sequential_cases(hidden), reference=reference_sequential,
              call=_run_sequential, mistakes=SEQUENTIAL_MISTAKES, describe_case=_describe_sequential)


