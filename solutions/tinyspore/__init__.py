"""TinySpore: a small deep-learning engine on NumPy with the API of MindSpore 2.x.

    import tinyspore as ms
    from tinyspore import nn, ops, Tensor

Modules in the order the course teaches them: `tensor` (Tensor, Parameter), `ops` (primitives with
their backward rules, the functional API), `autodiff` (grad, value_and_grad, GradOperation), `nn`
(Cell, layers, losses, optimizers), `dataset`, `train` (Model, callbacks, checkpoints).
Speed machinery, each explained where it lives: `workspace` (big arrays on recycled memory), `threads`
(a big op split over the batch), `allocator` (an opt-in malloc setting).
"""

# isort: skip_file
# (The order is the course's: Tensor first, then what is built on it.)
from . import allocator, dtype, threads, workspace
from .dtype import (bool_, double, float16, float32, float64, float_, half, int8, int16, int32, int64, int_,
                    single, uint8, uint16, uint32, uint64)
from .tensor import Parameter, Tensor
from .autodiff import GradOperation, grad, value_and_grad
from .common.initializer import initializer
from .common.seed import get_seed, set_seed
from .context import (COMPATIBLE, GRAPH_MODE, LAX, PYNATIVE_MODE, STRICT, get_context, jit,
                      set_context)
from . import ops, nn, dataset, train, mindrecord
from .train import (Callback, CheckpointConfig, EarlyStopping, History, LambdaCallback, LossMonitor, Model,
                    ModelCheckpoint, RunContext, TimeMonitor, load_checkpoint, load_param_into_net,
                    save_checkpoint)

ParameterTuple = tuple


def export(net: object, *inputs: object, file_name: str = "", file_format: str = "MINDIR", **kwargs: object) -> None:
    """Not implemented: MindSpore writes a compiled graph (MindIR, ONNX, AIR); tinyspore has no graph
    compiler. Save the parameters with `save_checkpoint` instead."""
    raise NotImplementedError(f"export(file_format={file_format!r}) is not implemented: tinyspore has no graph "
                              f"compiler to export; save the parameters with save_checkpoint(net, 'net.ckpt')")


def load(file_name: str, **kwargs: object) -> None:
    """Not implemented: loading a MindIR graph (see `export`)."""
    raise NotImplementedError(f"load({file_name!r}): loading a MindIR graph is not implemented in tinyspore; "
                              f"rebuild the network and use load_checkpoint + load_param_into_net")
__version__ = "0.1.0"

__all__ = [
    "Tensor", "Parameter", "ParameterTuple", "dtype", "initializer", "set_seed", "get_seed",
    "set_context", "get_context", "GRAPH_MODE", "PYNATIVE_MODE", "jit", "STRICT", "COMPATIBLE", "LAX",
    "grad", "value_and_grad", "GradOperation", "ops", "nn", "dataset", "train", "mindrecord", "allocator",
    "threads", "workspace",
    "export", "load", "bool_", "float16", "float32", "float64", "int8", "int16", "int32", "int64",
    "uint8", "uint16", "uint32", "uint64", "half", "single", "double", "int_", "float_",
    "Model", "save_checkpoint", "load_checkpoint", "load_param_into_net", "Callback", "CheckpointConfig",
    "EarlyStopping", "History", "LambdaCallback", "LossMonitor", "ModelCheckpoint", "RunContext", "TimeMonitor",
]
