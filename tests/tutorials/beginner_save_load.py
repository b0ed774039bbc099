# MindSpore beginner tutorial "Saving and Loading the Model" (tutorials/source_en/beginner/save_load.md):
# save_checkpoint / load_checkpoint / load_param_into_net, and the other forms a checkpoint takes
# (a list of Parameters, a list of {'name', 'data'} dicts, append_dict, load_checkpoint(net=...),
# filter_prefix). Not here: export to MindIR, which tinyspore does not have.
import numpy as np
import mindspore
from mindspore import nn
from mindspore import Tensor
from tutorial_record import record


def network():
    model = nn.SequentialCell(
                nn.Flatten(),
                nn.Dense(28*28, 512),
                nn.ReLU(),
                nn.Dense(512, 512),
                nn.ReLU(),
                nn.Dense(512, 10))
    return model


rng = np.random.default_rng(5)
model = network()
for param in model.trainable_params():
    param.set_data(Tensor(rng.uniform(-0.05, 0.05, param.shape).astype(np.float32)))
inputs = Tensor(np.ones([1, 1, 28, 28]).astype(np.float32))
record("before", model(inputs))
mindspore.save_checkpoint(model, "model.ckpt")

model = network()
param_dict = mindspore.load_checkpoint("model.ckpt")
param_not_load, _ = mindspore.load_param_into_net(model, param_dict)
print(param_not_load)
record("param_not_load", param_not_load)
record("param_dict_names", list(param_dict))
record("after", model(inputs))

# A list of Parameters
mindspore.save_checkpoint(model.trainable_params()[:2], "first_layer.ckpt")
record("list_of_parameters", [[name, p.shape] for name, p in mindspore.load_checkpoint("first_layer.ckpt").items()])

# A list of {'name': ..., 'data': ...}
save_list = [{"name": "lr", "data": Tensor(0.01, mindspore.float32)},
             {"name": "weight", "data": Tensor(np.arange(6).reshape(2, 3), mindspore.float32)}]
mindspore.save_checkpoint(save_list, "list.ckpt")
loaded = mindspore.load_checkpoint("list.ckpt")
record("list_of_dicts", [[name, p] for name, p in loaded.items()])

# append_dict: extra values saved next to the parameters
mindspore.save_checkpoint(model, "appended.ckpt", append_dict={"epoch_num": 2, "lr": 0.5})
appended = mindspore.load_checkpoint("appended.ckpt")
record("append_dict", [list(appended)[-2:], float(appended["lr"].asnumpy()), int(appended["epoch_num"].asnumpy())])

# load_checkpoint(net=...) loads straight into a network; filter_prefix leaves some parameters out
model = network()
mindspore.load_checkpoint("model.ckpt", net=model)
record("load_into_net", model(inputs))
filtered = mindspore.load_checkpoint("model.ckpt", filter_prefix="5.")
record("filter_prefix", list(filtered))
model = network()
param_not_load, ckpt_not_load = mindspore.load_param_into_net(model, filtered)
record("partial_load", [param_not_load, ckpt_not_load])
