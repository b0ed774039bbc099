# MindSpore beginner tutorial "Model Training" (tutorials/source_en/beginner/train.md), then the same
# network trained with the high-level `Model` API (metrics, LossMonitor, a custom Callback,
# ModelCheckpoint), as MindSpore's earlier training tutorials write it. Changes: the small generated MNIST,
# shuffle=False and fixed initial weights so that the numbers are the same on every run.
import contextlib
import io
import os

import numpy as np
import mindspore
from mindspore import nn
from mindspore.dataset import vision, transforms
from mindspore.dataset import MnistDataset
from mindspore.train import Model, LossMonitor, Callback, CheckpointConfig, ModelCheckpoint
from tutorial_record import record


def datapipe(path, batch_size):
    image_transforms = [
        vision.Rescale(1.0 / 255.0, 0),
        vision.Normalize(mean=(0.1307,), std=(0.3081,)),
        vision.HWC2CHW()
    ]
    label_transform = transforms.TypeCast(mindspore.int32)

    dataset = MnistDataset(path, shuffle=False)
    dataset = dataset.map(image_transforms, 'image')
    dataset = dataset.map(label_transform, 'label')
    dataset = dataset.batch(batch_size)
    return dataset


train_dataset = datapipe('MNIST_Data/train', batch_size=64)
test_dataset = datapipe('MNIST_Data/test', batch_size=64)


class Network(nn.Cell):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.dense_relu_sequential = nn.SequentialCell(
            nn.Dense(28*28, 512),
            nn.ReLU(),
            nn.Dense(512, 512),
            nn.ReLU(),
            nn.Dense(512, 10)
        )

    def construct(self, x):
        x = self.flatten(x)
        logits = self.dense_relu_sequential(x)
        return logits


def fixed_weights(model):
    rng = np.random.default_rng(3)
    for param in model.trainable_params():
        param.set_data(mindspore.Tensor(rng.uniform(-0.05, 0.05, param.shape).astype(np.float32)))


model = Network()
fixed_weights(model)

epochs = 3
batch_size = 64
learning_rate = 1e-2

loss_fn = nn.CrossEntropyLoss()
optimizer = nn.SGD(model.trainable_params(), learning_rate=learning_rate)


def forward_fn(data, label):
    logits = model(data)
    loss = loss_fn(logits, label)
    return loss, logits


grad_fn = mindspore.value_and_grad(forward_fn, None, optimizer.parameters, has_aux=True)


def train_step(data, label):
    (loss, _), grads = grad_fn(data, label)
    optimizer(grads)
    return loss


losses = []


def train_loop(model, dataset):
    size = dataset.get_dataset_size()
    model.set_train()
    for batch, (data, label) in enumerate(dataset.create_tuple_iterator()):
        loss = train_step(data, label)
        losses.append(float(loss.asnumpy()))

        if batch % 100 == 0:
            loss, current = loss.asnumpy(), batch
            print(f"loss: {loss:>7f}  [{current:>3d}/{size:>3d}]")


results = []


def test_loop(model, dataset, loss_fn):
    num_batches = dataset.get_dataset_size()
    model.set_train(False)
    total, test_loss, correct = 0, 0, 0
    for data, label in dataset.create_tuple_iterator():
        pred = model(data)
        total += len(data)
        test_loss += loss_fn(pred, label).asnumpy()
        correct += (pred.argmax(1) == label).asnumpy().sum()
    test_loss /= num_batches
    correct /= total
    print(f"Test: \n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
    results.append([float(correct), float(test_loss)])


for t in range(epochs):
    print(f"Epoch {t+1}\n-------------------------------")
    train_loop(model, train_dataset)
    test_loop(model, test_dataset, loss_fn)
print("Done!")
record("train_losses", losses)
record("test_results", results)


# The same training with Model, metrics and callbacks
class StepLosses(Callback):
    """A custom callback: note the loss after every step."""

    def __init__(self):
        super().__init__()
        self.losses = []

    def on_train_step_end(self, run_context):
        cb_params = run_context.original_args()
        self.losses.append(float(cb_params.net_outputs.asnumpy()))


network = Network()
fixed_weights(network)
net_loss = nn.CrossEntropyLoss()
net_opt = nn.Momentum(network.trainable_params(), learning_rate=0.01, momentum=0.9)
model = Model(network, loss_fn=net_loss, optimizer=net_opt, metrics={'accuracy', 'loss'})
step_losses = StepLosses()
config = CheckpointConfig(save_checkpoint_steps=3, keep_checkpoint_max=2)
ckpoint = ModelCheckpoint(prefix="mnist", directory="./checkpoints", config=config)
printed = io.StringIO()
with contextlib.redirect_stdout(printed):
    model.train(2, train_dataset, callbacks=[LossMonitor(1), step_losses, ckpoint])
print(printed.getvalue())
record("model_step_losses", step_losses.losses)
record("loss_monitor_lines", [[line.split(", loss is ")[0], float(line.split(", loss is ")[1])]
                              for line in printed.getvalue().splitlines() if "loss is" in line])
record("checkpoint_files", sorted(f for f in os.listdir("./checkpoints") if f.endswith(".ckpt")))
acc = model.eval(test_dataset)
print(acc)
record("model_eval", acc)
predictions = model.predict(next(test_dataset.create_tuple_iterator())[0])
record("model_predict", predictions.argmax(1)[:10])
