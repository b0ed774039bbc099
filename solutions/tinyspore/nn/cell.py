"""`Cell`, the production line: a network part that owns Parameters and child Cells.

Assigning an attribute registers it: `self.fc1 = nn.Dense(2, 3)` makes `fc1` a child and renames its
parameters `fc1.weight`, `fc1.bias`, exactly as MindSpore does, so names are dotted paths through the
tree (`head.0.weight` for the first layer of a SequentialCell called `head`). Calling a cell runs its
`construct`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from ..common.i18n import _ as _tr
from ..tensor import Parameter, Tensor


class Cell:
    """Base class of every layer, loss, network and optimizer.

    Subclasses call `super().__init__()` first, assign Parameters and child Cells as attributes, and
    define `construct(self, *inputs)`.
    """

    def __init__(self, auto_prefix: bool = True, flags: Any = None) -> None:
        object.__setattr__(self, "_params", OrderedDict())
        object.__setattr__(self, "_cells", OrderedDict())
        object.__setattr__(self, "_auto_prefix", auto_prefix)
        object.__setattr__(self, "training", False)  # MindSpore's default; set_train() switches it on

    # ----- registration ---------------------------------------------------------------------------
    def _registries(self) -> tuple[OrderedDict, OrderedDict]:
        try:
            return self.__dict__["_params"], self.__dict__["_cells"]
        except KeyError:
            raise AttributeError(_tr("{cls}.__init__ must call super().__init__() before "
                                     "assigning parameters or cells").format(
                                     cls=type(self).__name__)) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Parameter):
            params, cells = self._registries()
            cells.pop(name, None)
            self.insert_param_to_cell(name, value)
        elif isinstance(value, Cell):
            params, cells = self._registries()
            params.pop(name, None)
            self._adopt(name, value)
        else:
            if "_params" in self.__dict__:
                self._params.pop(name, None)
                self._cells.pop(name, None)
            object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self.__dict__.get("_params", {}).pop(name, None)
        self.__dict__.get("_cells", {}).pop(name, None)
        object.__delattr__(self, name)

    def insert_param_to_cell(self, param_name: str, param: Parameter, check_name_contain_dot: bool = True) -> None:
        """Register `param` under `param_name`; an unnamed Parameter takes that name."""
        if check_name_contain_dot and "." in param_name:
            raise KeyError(_tr("insert_param_to_cell: the name {param_name!r} must not contain '.'").format(
                               param_name=param_name))
        if not isinstance(param, Parameter):
            raise TypeError(_tr("insert_param_to_cell: {param_name!r} is a {param_type}, not a "
                                "Parameter").format(
                                param_name=param_name, param_type=type(param).__name__))
        params, _ = self._registries()
        if param._name_is_default:
            param.name = param_name
            param._name_is_default = False
        params[param_name] = param
        object.__setattr__(self, param_name, param)

    def insert_child_to_cell(self, child_name: str, child_cell: Cell) -> None:
        """Register `child_cell` under `child_name`.

        As in MindSpore, this does not rename the child's parameters (assigning an attribute does).
        """
        if child_name is None or "." in str(child_name):
            raise KeyError(_tr("insert_child_to_cell: the name {child_name!r} must not be None or contain '.'").format(
                               child_name=child_name))
        if not isinstance(child_cell, Cell):
            raise TypeError(_tr("insert_child_to_cell: {child_name!r} is a {child_cell_type}, not a "
                                "Cell").format(
                                child_name=child_name,
                                child_cell_type=type(child_cell).__name__))
        _, cells = self._registries()
        cells[str(child_name)] = child_cell
        object.__setattr__(self, str(child_name), child_cell)

    def _adopt(self, name: str, child: Cell) -> None:
        """`self.name = child`: register it and rename its parameters `name.<path in child>`."""
        self.insert_child_to_cell(name, child)
        if self._auto_prefix:
            child.update_parameters_name(f"{name}.")

    def update_parameters_name(self, prefix: str = "", recurse: bool = True) -> None:
        """Name every parameter below this cell `prefix + <its path in this cell>` (MindSpore's rule)."""
        for path, param in self.parameters_and_names(expand=recurse):
            param.name = prefix + path
            param._name_is_default = False

    # ----- running --------------------------------------------------------------------------------
    def construct(self, *inputs: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(_tr("{cls} has no construct method; define construct(self, "
                                      "...) to say what the cell computes").format(
                                      cls=type(self).__name__))

    def __call__(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.construct(*inputs, **kwargs)

    def set_train(self, mode: bool = True) -> Cell:
        """Training mode on (Dropout drops, BatchNorm uses batch statistics) or off, for the whole tree."""
        for _, cell in self.cells_and_names():
            object.__setattr__(cell, "training", mode)
        return self

    def set_grad(self, requires_grad: bool = True) -> Cell:
        """Accepted for MindSpore compatibility; gradients here come from `grad`/`value_and_grad`."""
        return self

    # ----- walking the tree -----------------------------------------------------------------------
    def cells_and_names(self, cells: Any = None, name_prefix: str = "") -> Iterator[tuple[str, Cell]]:
        """This cell (named '') and every cell below it, each once, with dotted names."""
        seen: set[int] = set()
        stack = [(name_prefix, self)]
        while stack:
            name, cell = stack.pop()
            if id(cell) in seen:
                continue
            seen.add(id(cell))
            yield name, cell
            children = [(f"{name}.{child_name}" if name else child_name, child)
                        for child_name, child in cell._cells.items()]
            stack.extend(reversed(children))

    def name_cells(self) -> OrderedDict[str, Cell]:
        """The direct children by name."""
        return OrderedDict(self._cells)

    def cells(self) -> Iterator[Cell]:
        return iter(self._cells.values())

    def parameters_and_names(self, name_prefix: str = "", expand: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Every Parameter (trainable or not) with its dotted path, each once."""
        seen: set[int] = set()
        walk = self.cells_and_names(name_prefix=name_prefix) if expand else [(name_prefix, self)]
        for cell_name, cell in walk:
            for param_name, param in cell._params.items():
                if id(param) not in seen:
                    seen.add(id(param))
                    yield (f"{cell_name}.{param_name}" if cell_name else param_name), param

    def get_parameters(self, expand: bool = True) -> Iterator[Parameter]:
        for _, param in self.parameters_and_names(expand=expand):
            yield param

    def trainable_params(self, recurse: bool = True) -> list[Parameter]:
        """The Parameters with requires_grad=True, in registration order: what an optimizer updates."""
        return [p for p in self.get_parameters(expand=recurse) if p.requires_grad]

    def untrainable_params(self, recurse: bool = True) -> list[Parameter]:
        return [p for p in self.get_parameters(expand=recurse) if not p.requires_grad]

    def parameters_dict(self, recurse: bool = True) -> OrderedDict[str, Parameter]:
        return OrderedDict((p.name, p) for p in self.get_parameters(expand=recurse))

    def apply(self, fn: Any) -> Cell:
        for _, cell in self.cells_and_names():
            fn(cell)
        return self

    def to_float(self, dst_type: Any) -> Cell:
        """Cast every parameter to `dst_type`."""
        for param in self.get_parameters():
            param._data = param._data.astype(Tensor(0, dst_type)._data.dtype)
        return self

    # ----- printing -------------------------------------------------------------------------------
    def extend_repr(self) -> str:
        """What goes inside the parentheses of this cell's repr; subclasses state their settings."""
        return ""

    def __repr__(self) -> str:
        extra = self.extend_repr()
        if not self._cells:
            return f"{type(self).__name__}({extra})"
        lines = [f"{type(self).__name__}("] + ([f"  {extra}"] if extra else [])
        for name, cell in self._cells.items():
            child = repr(cell).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child}")
        return "\n".join(lines) + "\n)"
