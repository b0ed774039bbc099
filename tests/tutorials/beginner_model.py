# MindSpore beginner tutorial "Building a Network" (tutorials/source_en/beginner/model.md), with fixed
# initial weights (from `rng` below; not np.random, which MindSpore's initializers also draw from) so that the printed numbers are the same on every run.
import numpy as np
import mindspore
from mindspore import nn, ops
from tutorial_record import record


class Network(nn.Cell):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.dense_relu_sequential = nn.SequentialCell(
            nn.Dense(28*28, 512, weight_init="normal", bias_init="zeros"),
            nn.ReLU(),
            nn.Dense(512, 512, weight_init="normal", bias_init="zeros"),
            nn.ReLU(),
            nn.Dense(512, 10, weight_init="normal", bias_init="zeros")
        )

    def construct(self, x):
        x = self.flatten(x)
        logits = self.dense_relu_sequential(x)
        return logits


model = Network()
print(model)
record("print_model", str(model))

rng = np.random.default_rng(1)
for param in model.trainable_params():
    param.set_data(mindspore.Tensor(rng.normal(0, 0.05, param.shape).astype(np.float32)))

X = ops.ones((1, 28, 28), mindspore.float32)
logits = model(X)
print(logits)
record("logits", logits)

pred_probab = nn.Softmax(axis=1)(logits)
y_pred = pred_probab.argmax(1)
print(f"Predicted class: {y_pred}")
record("y_pred", y_pred)

input_image = ops.ones((3, 28, 28), mindspore.float32)
print(input_image.shape)
flatten = nn.Flatten()
flat_image = flatten(input_image)
print(flat_image.shape)
record("flat_image_shape", flat_image.shape)

layer1 = nn.Dense(in_channels=28*28, out_channels=20)
layer1.weight.set_data(mindspore.Tensor(rng.normal(0, 0.05, (20, 784)).astype(np.float32)))
layer1.bias.set_data(mindspore.Tensor(rng.normal(0, 0.05, (20,)).astype(np.float32)))
hidden1 = layer1(flat_image)
print(hidden1.shape)
print(f"Before ReLU: {hidden1}\n\n")
record("before_relu", hidden1)
hidden1 = nn.ReLU()(hidden1)
print(f"After ReLU: {hidden1}")
record("after_relu", hidden1)

dense2 = nn.Dense(20, 10)
seq_modules = nn.SequentialCell(
    flatten,
    layer1,
    nn.ReLU(),
    dense2
)
dense2.weight.set_data(mindspore.Tensor(rng.normal(0, 0.05, (10, 20)).astype(np.float32)))
dense2.bias.set_data(mindspore.Tensor(rng.normal(0, 0.05, (10,)).astype(np.float32)))
logits = seq_modules(input_image)
print(logits.shape)
record("seq_logits_shape", logits.shape)
record("print_seq_modules", str(seq_modules))

softmax = nn.Softmax(axis=1)
pred_probab = softmax(logits)
record("pred_probab", pred_probab)

print(f"Model structure: {model}\n\n")
for name, param in model.parameters_and_names():
    print(f"Layer: {name}\nSize: {param.shape}\nValues : {param[:2]} \n")
record("parameters", [[name, param.shape, param[:2]] for name, param in model.parameters_and_names()])
record("parameter_names", [param.name for param in model.get_parameters()])
record("cells", [name for name, _ in model.cells_and_names()])
