"""Checkpoints: round trips, MindSpore's return values, and bad files that must not hurt the network.

Return values of load_param_into_net and the '.ckpt' suffix rule were observed on MindSpore 2.10
(/tmp/dt/m2.py). The file format is TinySpore's own (npz + JSON header + SHA-256), never pickle.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

import tinyspore as ts
from tinyspore import Parameter, Tensor, nn
from tinyspore.train import CheckpointError


class Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Dense(3, 4)
        self.head = nn.SequentialCell([nn.ReLU(), nn.Dense(4, 2)])
        self.steps = Parameter(Tensor(np.array([7, 8], np.int32)), requires_grad=False)

    def construct(self, x):
        return self.head(self.fc1(x))


def values(net):
    return {p.name: p.asnumpy().copy() for p in net.get_parameters()}


def test_round_trip_names_values_dtypes(tmp_path):
    ts.set_seed(0)
    net = Net()
    path = str(tmp_path / "net.ckpt")
    ts.save_checkpoint(net, path)
    loaded = ts.load_checkpoint(path)
    assert list(loaded) == ["steps", "fc1.weight", "fc1.bias", "head.1.weight", "head.1.bias"]
    for name, array in values(net).items():
        assert isinstance(loaded[name], Parameter) and loaded[name].name == name
        np.testing.assert_array_equal(loaded[name].asnumpy(), array)
        assert loaded[name].asnumpy().dtype == array.dtype
    other = Net()  # different random weights
    assert ts.load_param_into_net(other, loaded) == ([], [])
    for name, array in values(net).items():
        np.testing.assert_array_equal(values(other)[name], array)


def test_suffix_added_as_mindspore(tmp_path):
    ts.save_checkpoint(nn.Dense(2, 1), str(tmp_path / "ck"))
    assert os.listdir(tmp_path) == ["ck.ckpt"]  # and no temporary file left behind


def test_list_of_dicts_and_partial_load_as_mindspore(tmp_path):
    path = str(tmp_path / "ck2.ckpt")
    ts.save_checkpoint([{"name": "weight", "data": Tensor(np.ones((1, 2), np.float32))},
                        {"name": "extra", "data": Tensor([1.0])}], path)
    assert list(ts.load_checkpoint(path)) == ["weight", "extra"]
    net = nn.Dense(2, 1)
    bias_before = net.bias.asnumpy().copy()
    # MindSpore 2.10: (['bias'], ['extra'])
    assert ts.load_param_into_net(net, ts.load_checkpoint(path)) == (["bias"], ["extra"])
    np.testing.assert_array_equal(net.weight.asnumpy(), [[1.0, 1.0]])
    np.testing.assert_array_equal(net.bias.asnumpy(), bias_before)


def test_load_checkpoint_into_net_and_prefix_filters(tmp_path):
    path = str(tmp_path / "net.ckpt")
    net = Net()
    ts.save_checkpoint(net, path)
    other = Net()
    ts.load_checkpoint(path, net=other)
    np.testing.assert_array_equal(other.fc1.weight.asnumpy(), net.fc1.weight.asnumpy())
    assert list(ts.load_checkpoint(path, specify_prefix="head")) == ["head.1.weight", "head.1.bias"]
    assert "steps" not in ts.load_checkpoint(path, filter_prefix=["steps", "fc1"])


def test_wrapped_network_saves_by_parameter_names(tmp_path):
    net = nn.Dense(2, 1)
    train_net = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.SGD(net.trainable_params(), 0.1))
    path = str(tmp_path / "train.ckpt")
    ts.save_checkpoint(train_net, path)
    loaded = ts.load_checkpoint(path)
    assert {"weight", "bias"} <= set(loaded)
    fresh = nn.Dense(2, 1)
    param_not_load, _ = ts.load_param_into_net(fresh, loaded)
    assert param_not_load == []
    np.testing.assert_array_equal(fresh.weight.asnumpy(), net.weight.asnumpy())


def test_shape_mismatch_names_the_parameter_and_changes_nothing(tmp_path):
    path = str(tmp_path / "ck.ckpt")
    ts.save_checkpoint([{"name": "fc1.weight", "data": Tensor(np.zeros((4, 3), np.float32))},
                        {"name": "fc1.bias", "data": Tensor(np.zeros((5,), np.float32))}], path)
    net = Net()
    before = values(net)
    with pytest.raises(ValueError, match=r"'fc1.bias' has shape \(4,\) in the network but \(5,\) in the checkpoint"):
        ts.load_checkpoint(path, net=net)
    for name, array in values(net).items():  # fc1.weight, checked first and valid, was not written either
        np.testing.assert_array_equal(array, before[name])


def corrupt(path, offset_from_end):
    with open(path, "rb") as f:
        raw = bytearray(f.read())
    return raw, len(raw) - offset_from_end


def test_truncated_file_is_a_clear_error(tmp_path):
    path = str(tmp_path / "net.ckpt")
    ts.save_checkpoint(Net(), path)
    with open(path, "rb") as f:
        raw = f.read()
    for cut in (len(raw) // 2, 10, len(raw) - 1):
        with open(path, "wb") as f:
            f.write(raw[:cut])
        with pytest.raises(CheckpointError, match=f"{path}.*truncated or corrupted"):
            ts.load_checkpoint(path)


def test_flipped_byte_is_caught(tmp_path):
    path = str(tmp_path / "net.ckpt")
    net = Net()
    ts.save_checkpoint(net, path)
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("p1.npy")  # fc1.weight
    with open(path, "r+b") as f:
        f.seek(info.header_offset + 30 + len(info.filename) + 128 + 5)  # inside the array data
        byte = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([byte[0] ^ 0xFF]))
    other = Net()
    before = values(other)
    with pytest.raises(CheckpointError, match=str(path)):
        ts.load_checkpoint(path, net=other)
    for name, array in values(other).items():
        np.testing.assert_array_equal(array, before[name])


def write_npz(path, header, arrays, allow_pickle=False):
    arrays = dict(arrays)
    arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    with open(path, "wb") as f:
        np.savez(f, allow_pickle=allow_pickle, **arrays)


def test_checksum_mismatch_names_the_parameter(tmp_path):
    path = str(tmp_path / "bad.ckpt")
    array = np.ones(3, np.float32)
    header = {"format": "tinyspore-checkpoint", "version": 1,
              "params": [{"name": "w", "key": "p0", "dtype": array.dtype.str, "shape": [3], "sha256": "0" * 64}]}
    write_npz(path, header, {"p0": array})
    with pytest.raises(CheckpointError, match=r"bad.ckpt is corrupted: the checksum of parameter 'w' does not match"):
        ts.load_checkpoint(path)


def test_not_a_checkpoint(tmp_path):
    junk = tmp_path / "junk.ckpt"
    junk.write_bytes(b"hello world")
    with pytest.raises(CheckpointError, match="junk.ckpt: it is truncated or corrupted"):
        ts.load_checkpoint(str(junk))
    plain = tmp_path / "plain.ckpt"
    with open(plain, "wb") as f:
        np.savez(f, weight=np.ones(2))
    with pytest.raises(CheckpointError, match="plain.ckpt is not a TinySpore checkpoint"):
        ts.load_checkpoint(str(plain))
    with pytest.raises(FileNotFoundError, match="nope.ckpt does not exist"):
        ts.load_checkpoint(str(tmp_path / "nope.ckpt"))


def test_pickled_objects_are_never_loaded(tmp_path):
    path = str(tmp_path / "evil.ckpt")
    header = {"format": "tinyspore-checkpoint", "version": 1,
              "params": [{"name": "w", "key": "p0", "dtype": "|O", "shape": [1], "sha256": "0" * 64}]}
    write_npz(path, header, {"p0": np.array([{"x": 1}], dtype=object)}, allow_pickle=True)
    with pytest.raises(CheckpointError, match="evil.ckpt"):
        ts.load_checkpoint(path)


def test_save_argument_errors(tmp_path):
    path = str(tmp_path / "x.ckpt")
    with pytest.raises(TypeError, match="save_obj must be a Cell"):
        ts.save_checkpoint(5, path)
    with pytest.raises(TypeError, match=r"save_obj\[0\] must be a Parameter or a dict with keys 'name' and 'data'"):
        ts.save_checkpoint([{"name": "a"}], path)
    with pytest.raises(ValueError, match=r"the names \['a'\] appear more than once"):
        ts.save_checkpoint([{"name": "a", "data": np.ones(1)}, {"name": "a", "data": np.ones(1)}], path)
    with pytest.raises(TypeError, match="parameter_dict must be a dict"):
        ts.load_param_into_net(nn.Dense(2, 1), [1, 2])
    assert not os.path.exists(path)
    with pytest.raises(FileNotFoundError, match="the folder .*nowhere does not exist"):
        ts.save_checkpoint(nn.Dense(2, 1), str(tmp_path / "nowhere" / "x.ckpt"))


def test_a_crash_mid_write_keeps_the_old_file(tmp_path):
    """A write that fails half way (here: the file-size limit, like a full disk) leaves the old checkpoint
    intact and no temporary file behind."""
    path = str(tmp_path / "big.ckpt")
    ts.save_checkpoint([{"name": "w", "data": np.arange(10, dtype=np.float32)}], path)
    script = textwrap.dedent(f"""
        import resource, signal
        import numpy as np
        import tinyspore as ts
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)      # get an OSError instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))
        try:
            ts.save_checkpoint([{{"name": "w", "data": np.ones(1_000_000, np.float32)}}], {path!r})
        except OSError as e:
            print("failed:", e.errno)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert "failed:" in out.stdout, out.stderr
    np.testing.assert_array_equal(ts.load_checkpoint(path)["w"].asnumpy(), np.arange(10, dtype=np.float32))
    assert os.listdir(tmp_path) == ["big.ckpt"]


def test_model_checkpoint_file_names_and_rotation_as_mindspore(tmp_path):
    import tinyspore.dataset as ds
    from tinyspore.train import CheckpointConfig, Model, ModelCheckpoint

    x = np.linspace(-1, 1, 10, dtype=np.float32).reshape(-1, 1)
    y = (2 * x + 0.5).astype(np.float32)
    net = nn.Dense(1, 1)
    model = Model(net, nn.MSELoss(), nn.SGD(net.trainable_params(), 0.1))
    data = ds.NumpySlicesDataset((x, y), shuffle=False).batch(4)  # 3 steps per epoch
    folder = str(tmp_path / "ck")
    config = CheckpointConfig(save_checkpoint_steps=2, keep_checkpoint_max=3)
    saver = ModelCheckpoint(prefix="lin", directory=folder, config=config)
    model.train(3, data, callbacks=[saver])
    # MindSpore 2.10 (/tmp/dt/m4.py), same run: saved at steps 2, 4, 6, 8 and at the end (9); newest 3 kept
    assert sorted(os.listdir(folder)) == ["lin-2_3.ckpt", "lin-3_2.ckpt", "lin-3_3.ckpt"]
    assert saver.latest_ckpt_file_name == os.path.join(folder, "lin-3_3.ckpt")
    fresh = nn.Dense(1, 1)
    ts.load_checkpoint(saver.latest_ckpt_file_name, net=fresh)
    np.testing.assert_array_equal(fresh.weight.asnumpy(), net.weight.asnumpy())
    # a second run with the same prefix does not overwrite: the prefix becomes lin_1 (MindSpore's rule)
    model.train(1, data, callbacks=[ModelCheckpoint(prefix="lin", directory=folder)])
    assert sorted(f for f in os.listdir(folder) if f.startswith("lin_1")) == [
        "lin_1-1_1.ckpt", "lin_1-1_2.ckpt", "lin_1-1_3.ckpt"]
    with pytest.raises(ValueError, match="save_checkpoint_steps must be an int >= 1"):
        CheckpointConfig(save_checkpoint_steps=0)
