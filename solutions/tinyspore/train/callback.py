"""Callbacks: code that `Model.train` and `Model.eval` call at fixed moments of the loop.

The loop calls, in this order (MindSpore 2.10):

    on_train_begin
      on_train_epoch_begin
        on_train_step_begin, on_train_step_end      (once per batch)
      on_train_epoch_end                            (once per epoch)
    on_train_end

and `on_eval_begin`, `on_eval_epoch_begin`, `on_eval_step_begin`, `on_eval_step_end`, `on_eval_epoch_end`,
`on_eval_end` for evaluation. Each hook receives a `RunContext`; `run_context.original_args()` is the
loop's state (`cur_epoch_num`, `cur_step_num`, `batch_num`, `epoch_num`, `net_outputs`, ...), and
`run_context.request_stop()` ends training after the current step. The old names `begin`, `epoch_begin`,
`step_begin`, `step_end`, `epoch_end`, `end` still work: the default `on_*` hooks call them.
"""

from __future__ import annotations

import contextlib
import os
import time
import warnings
from typing import Any

import numpy as np

from ..common.unsupported import refuse_unsupported
from ..tensor import Tensor

__all__ = ["Callback", "RunContext", "CallbackParam", "LossMonitor", "TimeMonitor", "EarlyStopping", "History",
           "LambdaCallback", "ProgressBar", "ModelCheckpoint", "CheckpointConfig"]


class CallbackParam(dict):
    """The loop's state: a dict whose keys are also attributes (`cb_params.cur_epoch_num`)."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"the run context has no {key!r}; it has {sorted(self)}") from None

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value


class RunContext:
    """What a callback receives: the loop's state and a way to ask the loop to stop."""

    def __init__(self, original_args: dict) -> None:
        if not isinstance(original_args, dict):
            raise TypeError(f"RunContext: original_args must be a dict, got {type(original_args).__name__}")
        self._original_args = original_args
        self._stop_requested = False

    def original_args(self) -> CallbackParam:
        return self._original_args

    def request_stop(self) -> None:
        """Stop training after the current step (the epoch ends early, then `on_train_end` runs)."""
        self._stop_requested = True

    def get_stop_requested(self) -> bool:
        return self._stop_requested


class Callback:
    """Base class: override the hooks you need; the others do nothing."""

    def __enter__(self) -> Callback:
        return self

    def __exit__(self, *err: Any) -> None:
        return None

    # The old names, still called by the default hooks below.
    def begin(self, run_context: RunContext) -> None:
        """Before training or evaluation (old name of on_train_begin / on_eval_begin)."""

    def epoch_begin(self, run_context: RunContext) -> None:
        """Before each epoch (old name)."""

    def epoch_end(self, run_context: RunContext) -> None:
        """After each epoch (old name)."""

    def step_begin(self, run_context: RunContext) -> None:
        """Before each step (old name)."""

    def step_end(self, run_context: RunContext) -> None:
        """After each step (old name)."""

    def end(self, run_context: RunContext) -> None:
        """After training or evaluation (old name)."""

    def on_train_begin(self, run_context: RunContext) -> None:
        self.begin(run_context)

    def on_train_epoch_begin(self, run_context: RunContext) -> None:
        self.epoch_begin(run_context)

    def on_train_epoch_end(self, run_context: RunContext) -> None:
        self.epoch_end(run_context)

    def on_train_step_begin(self, run_context: RunContext) -> None:
        self.step_begin(run_context)

    def on_train_step_end(self, run_context: RunContext) -> None:
        self.step_end(run_context)

    def on_train_end(self, run_context: RunContext) -> None:
        self.end(run_context)

    def on_eval_begin(self, run_context: RunContext) -> None:
        self.begin(run_context)

    def on_eval_epoch_begin(self, run_context: RunContext) -> None:
        self.epoch_begin(run_context)

    def on_eval_epoch_end(self, run_context: RunContext) -> None:
        self.epoch_end(run_context)

    def on_eval_step_begin(self, run_context: RunContext) -> None:
        self.step_begin(run_context)

    def on_eval_step_end(self, run_context: RunContext) -> None:
        self.step_end(run_context)

    def on_eval_end(self, run_context: RunContext) -> None:
        self.end(run_context)


HOOKS = ("on_train_begin", "on_train_epoch_begin", "on_train_step_begin", "on_train_step_end",
         "on_train_epoch_end", "on_train_end", "on_eval_begin", "on_eval_epoch_begin", "on_eval_step_begin",
         "on_eval_step_end", "on_eval_epoch_end", "on_eval_end")


class CallbackList:
    """Several callbacks called in order, as one."""

    def __init__(self, callbacks: Any) -> None:
        if callbacks is None:
            callbacks = []
        elif isinstance(callbacks, Callback):
            callbacks = [callbacks]
        elif not isinstance(callbacks, (list, tuple)):
            raise TypeError(f"callbacks must be a Callback or a list of Callbacks, got {type(callbacks).__name__}")
        for i, cb in enumerate(callbacks):
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks[{i}] is a {type(cb).__name__}, not a Callback; subclass "
                                f"tinyspore.train.Callback")
        self.callbacks = list(callbacks)
        self._stack: contextlib.ExitStack | None = None

    def __enter__(self) -> CallbackList:
        """Enter every callback as a context manager (MindSpore does), so `__exit__` can clean up."""
        self._stack = contextlib.ExitStack()
        self._stack.__enter__()
        self.callbacks = [self._stack.enter_context(cb) or cb for cb in self.callbacks]
        return self

    def __exit__(self, *err: Any) -> Any:
        return self._stack.__exit__(*err) if self._stack is not None else None

    def __getattr__(self, hook: str) -> Any:
        if hook not in HOOKS:
            raise AttributeError(hook)

        def call_all(run_context: RunContext) -> None:
            for cb in self.callbacks:
                getattr(cb, hook)(run_context)

        return call_all


def loss_value(net_outputs: Any) -> Any:
    """The loss as a Python float: the mean of a Tensor, or of the first Tensor of a tuple (MindSpore)."""
    if isinstance(net_outputs, (tuple, list)) and net_outputs and isinstance(net_outputs[0], Tensor):
        net_outputs = net_outputs[0]
    if isinstance(net_outputs, Tensor):
        return float(np.mean(net_outputs.asnumpy()))
    return net_outputs


class LossMonitor(Callback):
    """Print the loss every `per_print_times` steps, as MindSpore does:

        epoch: 1 step: 3, loss is 0.3888888955116272

    `step` counts within the epoch; the loss is printed with Python's float repr. A NaN or infinite loss
    stops training with a ValueError. `per_print_times=0` prints nothing.
    """

    def __init__(self, per_print_times: int = 1) -> None:
        if isinstance(per_print_times, bool) or not isinstance(per_print_times, int) or per_print_times < 0:
            raise ValueError(f"LossMonitor: per_print_times must be an int >= 0, got {per_print_times!r}")
        self._per_print_times = per_print_times
        self._last_print_time = 0

    def on_train_begin(self, run_context: RunContext) -> None:
        self._last_print_time = 0  # a new train() call counts its steps from 1 again

    def step_end(self, run_context: RunContext) -> None:
        cb_params = run_context.original_args()
        cur_epoch_num = cb_params.get("cur_epoch_num", 1)
        loss = loss_value(cb_params.net_outputs)
        step_in_epoch = (cb_params.cur_step_num - 1) % cb_params.batch_num + 1
        if isinstance(loss, float) and not np.isfinite(loss):
            raise ValueError(f"In epoch: {cur_epoch_num} step: {step_in_epoch}, loss is NAN or INF, training "
                             f"process cannot continue, terminating training.")
        if self._per_print_times and cb_params.cur_step_num - self._last_print_time >= self._per_print_times:
            self._last_print_time = cb_params.cur_step_num
            print(f"epoch: {cur_epoch_num} step: {step_in_epoch}, loss is {loss}", flush=True)

    def on_train_epoch_end(self, run_context: RunContext) -> None:
        metrics = run_context.original_args().get("metrics")
        if metrics:  # in Model.fit, the evaluation of this epoch
            print(f"Eval result: epoch {run_context.original_args().cur_epoch_num}, metrics: {metrics}")


class TimeMonitor(Callback):
    """Print the time of each epoch and of an average step:

        Train epoch time: 12.345 ms, per step time: 4.115 ms
    """

    def __init__(self, data_size: int | None = None, data_time: bool = False) -> None:
        self.data_size = data_size
        self.epoch_time = time.time()

    def epoch_begin(self, run_context: RunContext) -> None:
        self.epoch_time = time.time()

    def epoch_end(self, run_context: RunContext) -> None:
        epoch_ms = (time.time() - self.epoch_time) * 1000
        cb_params = run_context.original_args()
        steps = cb_params.get("batch_num") or self.data_size
        if not steps or steps <= 0:
            raise ValueError("TimeMonitor: the number of steps per epoch is unknown; pass data_size")
        mode = cb_params.get("mode", "")
        print(f"{mode.title()} epoch time: {epoch_ms:5.3f} ms, per step time: {epoch_ms / steps:5.3f} ms",
              flush=True)


class History(Callback):
    """Record the loss (the last step's, per epoch) and any metrics into `self.history`.

    After `model.train(3, ds, callbacks=[h])`: `h.epoch == {'epoch': [1, 2, 3]}` and
    `h.history == {'net_output': [loss1, loss2, loss3]}` (plus metric lists in `Model.fit`).
    """

    def __init__(self) -> None:
        self.history: dict[str, list] = {}
        self.epoch: dict[str, list] | None = None

    def begin(self, run_context: RunContext) -> None:
        self.epoch = {"epoch": []}

    def epoch_end(self, run_context: RunContext) -> None:
        cb_params = run_context.original_args()
        if self.epoch is None:
            self.epoch = {"epoch": []}
        self.epoch["epoch"].append(cb_params.get("cur_epoch_num", 1))
        current = {"net_output": loss_value(cb_params.get("net_outputs"))}
        current.update(cb_params.get("metrics") or {})
        for key, value in current.items():
            self.history.setdefault(key, []).append(value)


_SMALLER_IS_BETTER = {"loss", "eval_loss", "mae", "mse"}


class EarlyStopping(Callback):
    """Stop training when the monitored value has not improved for `patience` epochs.

    Args:
        monitor: 'loss' (the last training step's loss of each epoch, in `Model.train`), or 'eval_loss' or a
            metric name (in `Model.fit`, which evaluates every epoch).
        min_delta: a change smaller than this does not count as an improvement.
        patience: how many epochs without improvement to accept. The counter rises every epoch and resets
            on an improvement; training stops when it reaches `patience` (so patience=0 stops after the
            first epoch, as in MindSpore).
        mode: 'min', 'max', or 'auto' (min for losses and errors, max for anything else).
        restore_best_weights: load the parameters of the best epoch back when stopping.
    """

    def __init__(self, monitor: str = "eval_loss", min_delta: float = 0, patience: int = 0, verbose: bool = False,
                 mode: str = "auto", baseline: float | None = None, restore_best_weights: bool = False) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an int >= 0, got {patience!r}")
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.patience = patience
        self.verbose = verbose
        self.mode = mode
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self._minimize = mode == "min" or (mode == "auto" and monitor in _SMALLER_IS_BETTER)
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best = np.inf if self._minimize else -np.inf
        self.best_weights: dict[str, np.ndarray] | None = None

    def _improves(self, current: float, reference: float) -> bool:
        if self._minimize:
            return current < reference - self.min_delta
        return current > reference + self.min_delta

    def on_train_begin(self, run_context: RunContext) -> None:
        self._reset()

    def _monitored(self, cb_params: CallbackParam) -> float | None:
        if self.monitor == "loss":
            value = loss_value(cb_params.get("net_outputs"))
        else:
            value = (cb_params.get("eval_results") or {}).get(self.monitor)
        if value is None:
            available = ["loss", *(cb_params.get("eval_results") or {})]
            warnings.warn(f"EarlyStopping: '{self.monitor}' is not available, so it never stops; available: "
                          f"{available} ('eval_loss' and metrics need Model.fit with a valid_dataset)", stacklevel=2)
            return None
        return float(value)

    def on_train_epoch_end(self, run_context: RunContext) -> None:
        cb_params = run_context.original_args()
        current = self._monitored(cb_params)
        if current is None:
            return
        network = cb_params.get("train_network") or cb_params.get("network")
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = _snapshot(network)
        self.wait += 1
        if self._improves(current, self.best):
            self.best = current
            if self.restore_best_weights:
                self.best_weights = _snapshot(network)
            if self.baseline is None or self._improves(current, self.baseline):
                self.wait = 0
        if self.wait >= self.patience:
            self.stopped_epoch = cb_params.get("cur_epoch_num", 0)
            run_context.request_stop()
            if self.restore_best_weights and self.best_weights is not None:
                if self.verbose:
                    print("Restoring model weights from the end of the best epoch.")
                for name, param in network.parameters_and_names():
                    if name in self.best_weights:
                        param.set_data(self.best_weights[name])

    def on_train_end(self, run_context: RunContext) -> None:
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch:05d}: early stopping")


def _snapshot(network: Any) -> dict[str, np.ndarray]:
    return {name: param.asnumpy().copy() for name, param in network.parameters_and_names()}


class LambdaCallback(Callback):
    """A callback from plain functions: `LambdaCallback(on_train_epoch_end=lambda rc: ...)`."""

    def __init__(self, **hooks: Any) -> None:
        for name, fn in hooks.items():
            if name not in HOOKS and name not in ("begin", "end", "epoch_begin", "epoch_end", "step_begin",
                                                  "step_end"):
                raise ValueError(f"LambdaCallback: unknown hook {name!r}; hooks are {list(HOOKS)}")
            setattr(self, name, fn)


class ProgressBar(Callback):
    """A tqdm progress bar per epoch with the current loss: a widget in Jupyter, text in a terminal.

    Not in MindSpore; TinySpore adds it so a learner sees long training move. Args are passed to tqdm
    (`leave=False` removes finished bars; `disable=True` shows nothing).
    """

    def __init__(self, leave: bool = True, **tqdm_kwargs: Any) -> None:
        self.tqdm_kwargs = {"leave": leave, **tqdm_kwargs}
        self._bar: Any = None

    def on_train_epoch_begin(self, run_context: RunContext) -> None:
        try:
            from tqdm.auto import tqdm
        except ImportError as e:  # tqdm is a course dependency, not an engine one
            raise ImportError("ProgressBar needs tqdm: pip install tqdm") from e
        cb_params = run_context.original_args()
        last_epoch = cb_params.get("initial_epoch", 0) + cb_params.get("epoch_num", 1)
        desc = f"epoch {cb_params.get('cur_epoch_num', 1)}/{last_epoch}"
        self._bar = tqdm(total=cb_params.get("batch_num"), desc=desc, unit="step", **self.tqdm_kwargs)

    def on_train_step_end(self, run_context: RunContext) -> None:
        if self._bar is not None:
            self._bar.update(1)
            loss = loss_value(run_context.original_args().get("net_outputs"))
            if isinstance(loss, float):
                self._bar.set_postfix(loss=f"{loss:.4g}", refresh=False)

    def on_train_epoch_end(self, run_context: RunContext) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    on_train_end = on_train_epoch_end  # a stop request mid-epoch still closes the bar


class CheckpointConfig:
    """When `ModelCheckpoint` saves: every `save_checkpoint_steps` steps (and at the end of training),
    keeping the newest `keep_checkpoint_max` files. `saved_network` saves that cell instead of the
    training network (which also holds the optimizer's state)."""

    def __init__(self, save_checkpoint_steps: int = 1, save_checkpoint_seconds: int = 0, keep_checkpoint_max: int = 5,
                 keep_checkpoint_per_n_minutes: int = 0, integrated_save: bool = True, async_save: bool = False,
                 saved_network: Any = None, append_info: Any = None, enc_key: Any = None, enc_mode: str = "AES-GCM",
                 exception_save: bool = False) -> None:
        # integrated_save and async_save change how MindSpore writes, not what: accepted.
        refuse_unsupported("CheckpointConfig", save_checkpoint_seconds=save_checkpoint_seconds or None,
                           keep_checkpoint_per_n_minutes=keep_checkpoint_per_n_minutes or None,
                           append_info=append_info, enc_key=enc_key, exception_save=exception_save or None)
        for name, value in (("save_checkpoint_steps", save_checkpoint_steps),
                            ("keep_checkpoint_max", keep_checkpoint_max)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"CheckpointConfig: {name} must be an int >= 1, got {value!r}")
        self.save_checkpoint_steps = save_checkpoint_steps
        self.keep_checkpoint_max = keep_checkpoint_max
        self.saved_network = saved_network


class ModelCheckpoint(Callback):
    """Save checkpoints during training as `{prefix}-{epoch}_{step in epoch}.ckpt` in `directory`.

    If files with this prefix already exist there, the prefix becomes `prefix_1`, `prefix_2`, ... so
    that a second run never overwrites the first (MindSpore's rule).
    """

    def __init__(self, prefix: str = "CKP", directory: str | None = None,
                 config: CheckpointConfig | None = None) -> None:
        self._directory = os.path.abspath(directory if directory is not None else os.getcwd())
        self._base_prefix = prefix
        self._prefix: str | None = None
        self._config = config if config is not None else CheckpointConfig()
        self._saved: list[str] = []
        self._last_saved_step = 0
        self.latest_ckpt_file_name = ""

    def _unique_prefix(self) -> str:
        existing = os.listdir(self._directory)
        prefix, k = self._base_prefix, 0
        while any(f.startswith(prefix + "-") and f.endswith(".ckpt") for f in existing):
            k += 1
            prefix = f"{self._base_prefix}_{k}"
        return prefix

    def on_train_begin(self, run_context: RunContext) -> None:
        os.makedirs(self._directory, exist_ok=True)
        if self._prefix is None:
            self._prefix = self._unique_prefix()
        self._last_saved_step = 0

    def on_train_step_end(self, run_context: RunContext) -> None:
        cb_params = run_context.original_args()
        if cb_params.cur_step_num % self._config.save_checkpoint_steps == 0:
            self._save(cb_params)

    def on_train_end(self, run_context: RunContext) -> None:
        cb_params = run_context.original_args()
        if cb_params.cur_step_num != self._last_saved_step:
            self._save(cb_params)

    def _save(self, cb_params: CallbackParam) -> None:
        from .serialization import save_checkpoint

        step_in_epoch = (cb_params.cur_step_num - 1) % cb_params.batch_num + 1
        path = os.path.join(self._directory, f"{self._prefix}-{cb_params.cur_epoch_num}_{step_in_epoch}.ckpt")
        network = self._config.saved_network or cb_params.train_network
        save_checkpoint(network, path)
        self._last_saved_step = cb_params.cur_step_num
        self.latest_ckpt_file_name = path
        cb_params.latest_ckpt_file = path
        cb_params.last_save_ckpt_step = cb_params.cur_step_num
        if path in self._saved:
            self._saved.remove(path)
        self._saved.append(path)
        while len(self._saved) > self._config.keep_checkpoint_max:
            old = self._saved.pop(0)
            if os.path.exists(old):
                os.remove(old)
