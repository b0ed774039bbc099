"""The engine's speed machinery: recycled memory (`tinyspore.workspace`) and intra-op threads
(`tinyspore.threads`). What matters: a block is reused only when nothing can see its old contents, and
threads change no result, not even the last bit; a failure in a part is reported, a fork does not hang,
and a process that may not start threads still computes (and says why it is slower)."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import tinyspore as ms
from tinyspore import nn, ops, threads, workspace

BIG = (64, 8, 28, 28)  # 1.6 MB of float32: pooled and split


@pytest.fixture
def two_threads():
    before = threads.get_num_threads()
    threads.set_num_threads(2)
    yield
    threads.set_num_threads(before)


# ----- workspace ----------------------------------------------------------------------------------
def test_empty_and_zeros_are_ordinary_arrays():
    a = workspace.empty(BIG, np.float32)
    assert a.shape == BIG and a.dtype == np.float32 and a.flags.c_contiguous and a.flags.writeable
    z = workspace.zeros((300, 300), "float64")
    assert z.dtype == np.float64 and not z.any()
    assert workspace.empty(5, np.int32).shape == (5,)


def test_a_freed_block_is_reused_and_a_small_array_is_not_pooled():
    a = workspace.empty(BIG, np.float32)
    address = a.ctypes.data
    before = workspace.stats()
    del a
    b = workspace.empty(BIG, np.float32)
    assert b.ctypes.data == address
    assert workspace.stats()["reused"] == before["reused"] + 1
    small = workspace.empty((10, 10), np.float32)
    assert small.flags.owndata  # plain np.empty: malloc keeps small arrays well enough
    assert workspace.stats()["mapped"] == before["mapped"]


def test_a_block_is_not_reused_while_a_view_of_it_lives():
    a = workspace.empty(BIG, np.float32)
    a[...] = 1.5
    view = a.reshape(64, -1)[10:20]
    address = a.ctypes.data
    del a
    b = workspace.empty(BIG, np.float32)
    assert b.ctypes.data != address
    b[...] = -7.0
    assert (view == 1.5).all()  # the old contents are untouched
    del b


def test_limit_zero_keeps_nothing_and_bad_limits_are_refused():
    before = workspace.limit()
    try:
        workspace.set_limit(0)
        a = workspace.empty(BIG, np.float32)
        del a
        assert workspace.stats()["idle"] == 0
        with pytest.raises(ValueError, match="set_limit: nbytes must be a non-negative int, got -1"):
            workspace.set_limit(-1)
        with pytest.raises(ValueError, match="got '1GB'"):
            workspace.set_limit("1GB")
    finally:
        workspace.set_limit(before)


def test_disable_gives_plain_arrays():
    try:
        workspace.disable()
        assert workspace.empty(BIG, np.float32).flags.owndata
        assert workspace.stats()["idle"] == 0
    finally:
        workspace.enable()
    assert not workspace.empty(BIG, np.float32).flags.owndata


def test_allocating_and_freeing_on_many_threads_keeps_the_books_straight():
    workspace.clear()

    def churn():
        for i in range(200):
            arrays = [workspace.empty((300 + (i % 3), 300), np.float32) for _ in range(3)]
            for a in arrays:
                a.fill(i)
            assert all((a == i).all() for a in arrays)

    workers = [threading.Thread(target=churn) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    idle = sum(size * len(blocks) for size, blocks in workspace._free.items())
    assert workspace.stats()["idle"] == idle <= workspace.limit()


# ----- threads ------------------------------------------------------------------------------------
def test_over_batch_covers_the_batch_once_on_two_threads(two_threads):
    seen, idents = [], set()

    def part(start, stop):
        seen.append((start, stop))
        idents.add(threading.get_ident())

    threads.over_batch(64, threads.MIN_WORK * 4, part)
    assert sorted(seen) == [(0, 32), (32, 64)]
    assert len(idents) == 2 and threading.get_ident() in idents
    seen.clear()
    threads.over_batch(64, threads.MIN_WORK - 1, part)  # too little work for a hand-off
    assert seen == [(0, 64)]
    seen.clear()
    threads.over_batch(1, threads.MIN_WORK * 4, part)  # one image cannot be split
    assert seen == [(0, 1)]


def test_a_failing_part_is_raised_after_every_part_is_done(two_threads):
    finished = []

    def part(start, stop):
        if start:
            raise ValueError(f"part {start}..{stop} failed")
        threading.Event().wait(0.05)
        finished.append(start)

    with pytest.raises(ValueError, match="part 32..64 failed"):
        threads.over_batch(64, threads.MIN_WORK * 4, part)
    assert finished == [0]


def test_set_num_threads_refuses_nonsense():
    for bad in (0, -2, 1.5, True, "2"):
        with pytest.raises(ValueError, match="set_num_threads: n must be a positive int"):
            threads.set_num_threads(bad)


def _conv_pool_relu_net(seed: int) -> nn.Cell:
    ms.set_seed(seed)
    return nn.SequentialCell([
        nn.Conv2d(3, 8, 3), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(8, 6, 3, stride=2, pad_mode="pad", padding=(1, 0, 2, 1), dilation=(1, 2), has_bias=True),
        nn.ReLU(), nn.MaxPool2d(3, 2, pad_mode="same"),
        nn.Conv2d(6, 6, (2, 3), group=3, pad_mode="valid"), nn.Flatten(),
    ])


def _step(x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    net = _conv_pool_relu_net(3)
    fn = ms.value_and_grad(lambda t: (net(t) ** 2).sum(), 0, net.trainable_params())
    loss, (gx, gw) = fn(ms.Tensor(x))
    return loss.asnumpy(), [gx.asnumpy(), *[g.asnumpy() for g in gw]]


def test_threads_change_no_result_not_even_the_last_bit(two_threads):
    x = np.random.default_rng(0).standard_normal((48, 3, 30, 31)).astype(np.float32)
    threads.set_num_threads(1)
    loss_1, grads_1 = _step(x)
    threads.set_num_threads(2)
    loss_2, grads_2 = _step(x)
    assert loss_1.tobytes() == loss_2.tobytes()
    assert len(grads_1) == len(grads_2) == 5
    for a, b in zip(grads_1, grads_2):
        assert a.shape == b.shape and a.tobytes() == b.tobytes()


def test_threaded_max_pool_finds_the_first_maximum_and_nan(two_threads):
    x = np.zeros((64, 8, 28, 28), np.float32)  # every window a tie: the first tap takes the gradient
    x[5, 2, 0, 1] = np.nan  # a NaN is the maximum of its window, and takes the gradient
    t = ms.Tensor(x)
    out, grad = ms.value_and_grad(lambda v: ops.max_pool2d(v, 2, 2).sum())(t)
    g = grad.asnumpy()
    assert np.isnan(out.asnumpy())
    assert g[5, 2, 0, 1] == 1 and g[5, 2, 0, 0] == 0
    expected = np.zeros_like(g)
    expected[:, :, ::2, ::2] = 1
    expected[5, 2, 0, 0], expected[5, 2, 0, 1] = 0, 1
    assert np.array_equal(g, expected)


def _big_relu_in_child(queue) -> None:
    x = ms.Tensor(np.linspace(-1, 1, 64 * 8 * 28 * 28, dtype=np.float32).reshape(BIG))
    queue.put(float(ops.relu(x).sum().asnumpy()))


def test_a_forked_child_runs_big_ops(two_threads):
    ops.relu(ms.Tensor(np.ones(BIG, np.float32)))  # the parent's threads exist now
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_big_relu_in_child, args=(queue,))
    child.start()
    child.join(60)
    assert child.exitcode == 0, "the forked child hung or failed on a big op"
    assert queue.get(timeout=5) == pytest.approx(64 * 8 * 28 * 28 / 4, rel=1e-3)


CHILD = """
import resource, os, warnings, numpy as np
import tinyspore as ms
from tinyspore import ops, threads
if os.getuid() == 0:
    os.setgid(65534); os.setuid(65534)  # root is not held to RLIMIT_NPROC
resource.setrlimit(resource.RLIMIT_NPROC, (1, 1))
threads.set_num_threads(2)
x = np.linspace(-1, 1, 64 * 8 * 28 * 28, dtype=np.float32).reshape(64, 8, 28, 28)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    total = float(ops.relu(ms.Tensor(x)).sum().asnumpy())
print(total, threads.get_num_threads())
print(caught[0].category.__name__, caught[0].message)
"""


def test_a_process_that_may_not_start_threads_computes_on_one_and_says_so():
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, OPENBLAS_NUM_THREADS="1"), cwd="/")
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()[:2]
    total, count = first.split()
    assert float(total) == pytest.approx(64 * 8 * 28 * 28 / 4, rel=1e-3) and count == "1"
    assert second.startswith("RuntimeWarning tinyspore: cannot start a thread for intra-op parallelism")
    assert "ops run on one thread from now on" in second
