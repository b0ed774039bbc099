"""Checkpoints: save a network's parameters to a file and load them back.

    tinyspore.save_checkpoint(net, "mlp.ckpt")
    param_dict = tinyspore.load_checkpoint("mlp.ckpt")            # {name: Parameter}
    param_not_load, ckpt_not_load = tinyspore.load_param_into_net(net, param_dict)

The file format is TinySpore's own, not MindSpore's protobuf: a NumPy `.npz` archive (a zip of `.npy`
arrays) holding one array per parameter plus a JSON header with a magic string, the names, shapes,
dtypes and a SHA-256 of every array. It never contains pickled objects (loading uses
`allow_pickle=False`), so opening a checkpoint from someone else cannot run their code.

Safety rules:
- writing goes to a temporary file in the same folder, which then replaces the target with `os.replace`
  (atomic): a crash mid-write leaves the old checkpoint intact, never half a file;
- loading checks everything (header, every array's shape, dtype and checksum) before returning, and
  `load_param_into_net` checks every shape before it changes any parameter, so a bad file leaves the
  network exactly as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..common.unsupported import refuse_unsupported
from ..tensor import Parameter, Tensor

__all__ = ["save_checkpoint", "load_checkpoint", "load_param_into_net", "CheckpointError"]

MAGIC = "tinyspore-checkpoint"
VERSION = 1
_HEADER_KEY = "__header__"


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read: missing, truncated, corrupted or not a checkpoint."""


def _sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def _named_arrays(save_obj: Any) -> list[tuple[str, np.ndarray]]:
    """(name, array) pairs from a Cell, a list of {'name': ..., 'data': ...} dicts, or a dict name -> value."""
    from ..nn.cell import Cell  # here, not at the top: nn imports train-free modules only

    if isinstance(save_obj, Cell):
        # By each Parameter's own name, as MindSpore: a wrapper like TrainOneStepCell keeps 'fc.weight'.
        items = [{"name": param.name, "data": param} for param in save_obj.get_parameters()]
    elif isinstance(save_obj, dict):
        items = [{"name": k, "data": v} for k, v in save_obj.items()]
    elif isinstance(save_obj, (list, tuple)):
        # Parameters by their own names, as MindSpore 2.10 does; or {'name': ..., 'data': ...} dicts.
        items = [{"name": item.name, "data": item} if isinstance(item, Parameter) else item for item in save_obj]
    else:
        raise TypeError(f"save_checkpoint: save_obj must be a Cell, a list of Parameters or of {{'name': ..., "
                        f"'data': ...}} dicts, or a dict, got {type(save_obj).__name__}")
    pairs = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or "name" not in item or "data" not in item:
            raise TypeError(f"save_checkpoint: save_obj[{i}] must be a Parameter or a dict with keys 'name' "
                            f"and 'data', got {item!r}")
        name, data = item["name"], item["data"]
        if not isinstance(name, str):
            raise TypeError(f"save_checkpoint: save_obj[{i}]['name'] must be a str, got {type(name).__name__}")
        if isinstance(data, Tensor):
            data = data.asnumpy()
        elif not isinstance(data, (np.ndarray, np.generic, int, float)):
            raise TypeError(f"save_checkpoint: the data of '{name}' is a {type(data).__name__}; give a "
                            f"Parameter, Tensor or ndarray")
        pairs.append((name, np.asarray(data)))
    names = [n for n, _ in pairs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"save_checkpoint: the names {duplicates} appear more than once")
    for name, array in pairs:
        if array.dtype.kind not in "biuf":
            raise TypeError(f"save_checkpoint: '{name}' has dtype {array.dtype}; only numbers can be saved")
    return pairs


def _with_suffix(ckpt_file_name: str) -> str:
    """MindSpore adds '.ckpt' when the name has no such suffix."""
    ckpt_file_name = os.fspath(ckpt_file_name)
    return ckpt_file_name if ckpt_file_name.endswith(".ckpt") else ckpt_file_name + ".ckpt"


def save_checkpoint(save_obj: Any, ckpt_file_name: str, integrated_save: bool = True, async_save: bool = False,
                    append_dict: dict | None = None, enc_key: Any = None, enc_mode: str = "AES-GCM",
                    choice_func: Any = None, crc_check: bool = False, format: str = "ckpt") -> None:  # noqa: A002
    """Save parameters to `ckpt_file_name` ('.ckpt' is added if missing).

    Args:
        save_obj: a Cell (all its parameters, by their dotted names), a list of Parameters (by their
            names, e.g. `net.trainable_params()`), a list of dicts `{'name': str, 'data':
            Parameter/Tensor/ndarray}`, or a dict {name: value}.
        ckpt_file_name: the file to write; an existing file is replaced atomically.
        append_dict: extra numbers to store, {name: int/float/Tensor}, saved like parameters.
    """
    refuse_unsupported("save_checkpoint", enc_key=enc_key, choice_func=choice_func,
                       format=None if format == "ckpt" else format)
    pairs = _named_arrays(save_obj)
    if append_dict:
        pairs += _named_arrays(dict(append_dict))
        names = [n for n, _ in pairs]
        if len(set(names)) != len(names):
            raise ValueError("save_checkpoint: append_dict repeats a parameter name")
    path = _with_suffix(ckpt_file_name)
    header = {"format": MAGIC, "version": VERSION,
              "params": [{"name": name, "key": f"p{i}", "dtype": array.dtype.str, "shape": list(array.shape),
                          "sha256": _sha256(array)} for i, (name, array) in enumerate(pairs)]}
    arrays = {entry["key"]: array for entry, (_, array) in zip(header["params"], pairs)}
    arrays[_HEADER_KEY] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    _atomic_write(path, arrays)


def _atomic_write(path: str, arrays: dict[str, np.ndarray]) -> None:
    """Write an .npz to a temp file beside `path`, flush it to disk, then rename it over `path`."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"save_checkpoint: cannot write {path}: the folder {folder} does not exist")
    fd, tmp_path = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes it private (0600); give it a normal file's mode
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
        raise


def _read_checkpoint(path: str) -> list[tuple[str, np.ndarray]]:
    """Every (name, array) of a checkpoint file, fully checked; CheckpointError naming the file if not."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load_checkpoint: the checkpoint file {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as archive:
            if _HEADER_KEY not in archive.files:
                raise CheckpointError(f"load_checkpoint: {path} is not a TinySpore checkpoint (no header)")
            header = json.loads(archive[_HEADER_KEY].tobytes().decode("utf-8"))
            if not isinstance(header, dict) or header.get("format") != MAGIC:
                raise CheckpointError(f"load_checkpoint: {path} is not a TinySpore checkpoint (wrong magic)")
            if header.get("version") != VERSION:
                raise CheckpointError(f"load_checkpoint: {path} has format version {header.get('version')}; "
                                      f"this TinySpore reads version {VERSION}")
            pairs = []
            for entry in header["params"]:
                name = entry["name"]
                array = archive[entry["key"]]
                if array.dtype.str != entry["dtype"] or list(array.shape) != entry["shape"]:
                    raise CheckpointError(f"load_checkpoint: {path} is corrupted: parameter '{name}' should be "
                                          f"{entry['dtype']} {tuple(entry['shape'])}, found {array.dtype.str} "
                                          f"{array.shape}")
                if _sha256(array) != entry["sha256"]:
                    raise CheckpointError(f"load_checkpoint: {path} is corrupted: the checksum of parameter "
                                          f"'{name}' does not match")
                pairs.append((name, array))
            return pairs
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"load_checkpoint: failed to read the checkpoint file {path}: it is truncated or "
                              f"corrupted ({type(e).__name__}: {e})") from None


def load_checkpoint(ckpt_file_name: str, net: Any = None, strict_load: bool = False,
                    filter_prefix: str | Iterable[str] | None = None, dec_key: Any = None, dec_mode: str = "AES-GCM",
                    specify_prefix: str | Iterable[str] | None = None, choice_func: Any = None, crc_check: bool = False,
                    remove_redundancy: bool = False, format: str = "ckpt") -> dict[str, Parameter]:  # noqa: A002
    """Read a checkpoint: {name: Parameter}, in the saved order. With `net`, also load it into the net
    (as `load_param_into_net`). `filter_prefix` drops names starting with it; `specify_prefix` keeps only
    names starting with it."""
    refuse_unsupported("load_checkpoint", dec_key=dec_key, choice_func=choice_func,
                       remove_redundancy=remove_redundancy or None, format=None if format == "ckpt" else format)
    pairs = _read_checkpoint(os.fspath(ckpt_file_name))
    drop = _prefixes(filter_prefix)
    keep = _prefixes(specify_prefix)
    parameter_dict = {}
    for name, array in pairs:
        if drop and name.startswith(drop):
            continue
        if keep and not name.startswith(keep):
            continue
        parameter_dict[name] = Parameter(array, name=name)
    if net is not None:
        load_param_into_net(net, parameter_dict, strict_load=strict_load)
    return parameter_dict


def _prefixes(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def load_param_into_net(net: Any, parameter_dict: dict, strict_load: bool = False,
                        remove_redundancy: bool = False) -> tuple[list[str], list[str]]:
    """Copy values from `parameter_dict` into the parameters of `net` with the same names.

    Every shape is checked first: if any differs, ValueError naming the parameter and both shapes, and no
    parameter of `net` is changed. Values are cast to each parameter's dtype.

    Returns:
        (param_not_load, ckpt_not_load): the names of `net`'s parameters that got no value, and the names
        in `parameter_dict` that matched no parameter of `net` (MindSpore's return value).
    """
    from ..nn.cell import Cell

    if not isinstance(net, Cell):
        raise TypeError(f"load_param_into_net: net must be a Cell, got {type(net).__name__}")
    if not isinstance(parameter_dict, dict):
        raise TypeError(f"load_param_into_net: parameter_dict must be a dict, got {type(parameter_dict).__name__}")
    updates = []
    param_not_load = []
    for param in net.get_parameters():  # matched by each Parameter's own name, as MindSpore does
        name = param.name
        if name not in parameter_dict:
            param_not_load.append(name)
            continue
        value = parameter_dict[name]
        if not isinstance(value, (Tensor, np.ndarray)):
            raise TypeError(f"load_param_into_net: parameter_dict['{name}'] is a {type(value).__name__}; "
                            f"expected a Parameter")
        array = value.asnumpy() if isinstance(value, Tensor) else value
        if array.shape != param.shape:
            raise ValueError(f"load_param_into_net: '{name}' has shape {param.shape} in the network but "
                             f"{array.shape} in the checkpoint; nothing was loaded (is it the same network?)")
        updates.append((param, array))
    for param, array in updates:  # all checked: now write
        param.set_data(array)
    used = {param.name for param in net.get_parameters()}
    ckpt_not_load = [name for name in parameter_dict if name not in used]
    return param_not_load, ckpt_not_load
