# MindSpore beginner tutorial "Tensor" (tutorials/source_en/beginner/tensor.md), as a reader types it.
# Each `record(...)` notes what the tutorial prints, for the comparison with MindSpore 2.10.
import numpy as np
import mindspore
from mindspore import ops
from mindspore import Tensor
from tutorial_record import record

# Creating a Tensor
data = [1, 0, 1, 0]
x_data = Tensor(data)
print(x_data, x_data.shape, x_data.dtype)
record("from_list", x_data)

np_array = np.array(data)
x_np = Tensor(np_array)
print(x_np, x_np.shape, x_np.dtype)
record("from_ndarray", x_np)

from mindspore.common.initializer import One, Normal

tensor1 = mindspore.Tensor(shape=(2, 2), dtype=mindspore.float32, init=One())
tensor2 = mindspore.Tensor(shape=(2, 2), dtype=mindspore.float32, init=Normal())
print("tensor1:\n", tensor1)
print("tensor2:\n", tensor2)
record("init_one", tensor1)
record("init_normal_shape_dtype", [tensor2.shape, str(tensor2.dtype)])

x_ones = ops.ones_like(x_data)
print(f"Ones Tensor: \n {x_ones} \n")
x_zeros = ops.zeros_like(x_data)
print(f"Zeros Tensor: \n {x_zeros} \n")
record("ones_like", x_ones)
record("zeros_like", x_zeros)

# Tensor attributes
x = Tensor(np.array([[1, 2], [3, 4]]), mindspore.int32)
print("x_shape:", x.shape)
print("x_dtype:", x.dtype)
print("x_itemsize:", x.itemsize)
print("x_nbytes:", x.nbytes)
print("x_ndim:", x.ndim)
print("x_size:", x.size)
print("x_strides:", x.strides)
record("attributes", [x.shape, str(x.dtype), x.itemsize, x.nbytes, x.ndim, x.size, x.strides])

# Tensor indexing
tensor = Tensor(np.array([[0, 1], [2, 3]]).astype(np.float32))
print("First row: {}".format(tensor[0]))
print("value of bottom right corner: {}".format(tensor[1, 1]))
print("Last column: {}".format(tensor[:, -1]))
print("First column: {}".format(tensor[..., 0]))
record("indexing", [tensor[0], tensor[1, 1], tensor[:, -1], tensor[..., 0]])

# Tensor operation
x = Tensor(np.array([1, 2, 3]), mindspore.float32)
y = Tensor(np.array([4, 5, 6]), mindspore.float32)
output_add = x + y
output_sub = x - y
output_mul = x * y
output_div = y / x
output_mod = y % x
output_floordiv = y // x
print("add:", output_add)
print("sub:", output_sub)
print("mul:", output_mul)
print("div:", output_div)
print("mod:", output_mod)
print("floordiv:", output_floordiv)
record("arithmetic", [output_add, output_sub, output_mul, output_div, output_mod, output_floordiv])

data1 = Tensor(np.array([[0, 1], [2, 3]]).astype(np.float32))
data2 = Tensor(np.array([[4, 5], [6, 7]]).astype(np.float32))
output = ops.concat((data1, data2), axis=0)
print(output)
print("shape:\n", output.shape)
record("concat", output)

output = ops.stack([data1, data2])
print(output)
print("shape:\n", output.shape)
record("stack", output)

# Conversion between Tensor and NumPy
t = Tensor([1., 1., 1., 1., 1.])
print(f"t: {t}", type(t))
n = t.asnumpy()
print(f"n: {n}", type(n))
record("asnumpy", n)

n = np.ones(5)
t = Tensor.from_numpy(n)
np.add(n, 1, out=n)
print(f"n: {n}", type(n))
print(f"t: {t}", type(t))
record("from_numpy_shares", t)

# (Not in the tutorial: Tensor(ndarray) copies, only from_numpy shares.)
n = np.ones(5)
t = Tensor(n)
np.add(n, 1, out=n)
record("constructor_copies", t)

# Tensor methods a reader meets in the other tutorials
m = Tensor(np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]]), mindspore.float32)
record("methods", [m.sum(), m.sum(1), m.mean(0), m.max(), m.min(1), m.argmax(1), m.abs(), m.T, m.reshape(3, 2),
                   m.transpose(1, 0), m.astype(mindspore.int32), m.exp(), m.square(), m.flatten(),
                   m.expand_dims(0).shape, m.clip(-1.0, 1.0), (m > 0).all(), (m > 0).any(), m[1, 1].item()])
record("ops_functions", [ops.matmul(m, m.T), ops.relu(m), ops.sigmoid(m), ops.softmax(m, axis=1), ops.exp(m),
                         ops.reshape(m, (3, 2)), ops.transpose(m, (1, 0)), ops.sum(m, 1), ops.mean(m),
                         ops.argmax(m, 1), ops.ones((2, 3), mindspore.float32), ops.zeros(2, mindspore.int32),
                         ops.cast(m, mindspore.float16), ops.square(m), ops.sqrt(ops.abs(m)), ops.log(ops.abs(m)),
                         ops.maximum(m, 0.0), ops.where(m > 0, m, 0.0), ops.expand_dims(m, 0).shape])
