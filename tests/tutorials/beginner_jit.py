# MindSpore beginner tutorial "Accelerating with Static Graphs"
# (tutorials/source_en/beginner/accelerate_with_static_graph.md): mindspore.jit in its three forms and
# GRAPH_MODE. Fixed initial weights (the WEIGHTS below) so that the outputs are the same on every run.
import numpy as np
import mindspore as ms
from mindspore import nn, Tensor
from tutorial_record import record

rng = np.random.default_rng(7)
WEIGHTS = [Tensor(rng.uniform(-0.05, 0.05, shape).astype(np.float32))
           for shape in [(512, 784), (512,), (512, 512), (512,), (10, 512), (10,)]]


class Network(nn.Cell):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.dense_relu_sequential = nn.SequentialCell(
            nn.Dense(28*28, 512, weight_init=WEIGHTS[0], bias_init=WEIGHTS[1]),
            nn.ReLU(),
            nn.Dense(512, 512, weight_init=WEIGHTS[2], bias_init=WEIGHTS[3]),
            nn.ReLU(),
            nn.Dense(512, 10, weight_init=WEIGHTS[4], bias_init=WEIGHTS[5])
        )

    def construct(self, x):
        x = self.flatten(x)
        logits = self.dense_relu_sequential(x)
        return logits


input = Tensor(np.ones([64, 1, 28, 28]).astype(np.float32))

ms.set_context(mode=ms.PYNATIVE_MODE)
model = Network()
output = model(input)
print(output)
record("pynative", output[:2])


@ms.jit  # Use the ms.jit decorator to make the decorated function run in static graph mode
def run(x):
    model = Network()
    return model(x)


output = run(input)
print(output)
record("jit_decorator", output[:2])


def run(x):
    model = Network()
    return model(x)


run_with_jit = ms.jit(run)  # Transforming a function to execute as a static graph by calling jit
output = run_with_jit(input)
print(output)
record("jit_function", output[:2])


class JitNetwork(Network):
    @ms.jit  # Use the ms.jit decorator to make the decorated function run in static graph mode
    def construct(self, x):
        x = self.flatten(x)
        logits = self.dense_relu_sequential(x)
        return logits


model = JitNetwork()
output = model(input)
print(output)
record("jit_construct", output[:2])


@ms.jit(capture_mode="ast")
def double(x):
    return x * 2


record("jit_with_settings", double(Tensor([1.0, 2.5])))
record("grad_through_jit", ms.grad(double)(Tensor([1.0, 2.5])))

ms.set_context(mode=ms.GRAPH_MODE)  # Configuration for running static graph mode using set_context
model = Network()
output = model(input)
print(output)
record("graph_mode", output[:2])
ms.set_context(mode=ms.PYNATIVE_MODE)
