# MindSpore beginner tutorial "Data Loading and Processing" (tutorials/source_en/beginner/dataset.md),
# plus the pipeline operations of its earlier editions (shuffle, repeat, take, skip). MNIST_Data is the
# small generated one that run.py writes (only the train files in MNIST_Data/train, as downloaded).
# Where the order is random (shuffle), the comparison records what does not depend on it.
import numpy as np
from mindspore import dtype as mstype
from mindspore.dataset import transforms
from mindspore.dataset import vision
from mindspore.dataset import GeneratorDataset, MnistDataset, NumpySlicesDataset
from tutorial_record import record

train_dataset = MnistDataset("MNIST_Data/train", shuffle=False)
print(type(train_dataset))
record("columns", train_dataset.get_col_names())
record("size", train_dataset.get_dataset_size())

for idx, (image, label) in enumerate(train_dataset.create_tuple_iterator()):
    if idx == 0:
        record("first_image", [image.shape, str(image.dtype), int(image.asnumpy().sum())])
    if idx == 9 - 1:
        break
record("first_labels", [int(row[1]) for row, _ in zip(train_dataset.create_tuple_iterator(), range(9))])

# Shuffle, map, batch
train_dataset = MnistDataset('MNIST_Data/train')
train_dataset = train_dataset.shuffle(buffer_size=64)
train_dataset = train_dataset.map(operations=[vision.Rescale(1.0 / 255.0, 0),
                                              vision.Normalize(mean=(0.1307,), std=(0.3081,)),
                                              vision.HWC2CHW()],
                                  input_columns=['image'])
train_dataset = train_dataset.map(operations=[transforms.TypeCast(mstype.int32)],
                                  input_columns=['label'])
for data in train_dataset:
    print(data[0].shape, data[0].dtype)
    print(data[1].shape, data[1].dtype)
    record("mapped", [data[0].shape, str(data[0].dtype), data[1].shape, str(data[1].dtype)])
    break
record("shuffled_label_counts", np.bincount([int(d[1]) for d in train_dataset], minlength=10).tolist())

train_dataset = MnistDataset('MNIST_Data/train', shuffle=False)


def rescale_normalize_hwc2chw(input_col):
    trans_result = input_col / 255.0
    trans_result = (trans_result - 0.1307) / 0.3081
    trans_result = trans_result.transpose(2, 0, 1)
    return trans_result.astype(np.float32)


train_dataset = train_dataset.map(operations=rescale_normalize_hwc2chw,
                                  input_columns=['image'])


def typecast(input_col):
    trans_result = input_col.astype(np.int32)
    return trans_result


train_dataset = train_dataset.map(operations=typecast,
                                  input_columns=['label'])
for data in train_dataset:
    print(data[0].shape, data[0].dtype)
    print(data[1].shape, data[1].dtype)
    record("mapped_by_functions", [data[0].shape, str(data[0].dtype), float(data[0].asnumpy().mean()), data[1]])
    break

# Batch
data = ([[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12]], [0, 1, 0, 1, 0, 1])
dataset = NumpySlicesDataset(data=data, column_names=["data", "label"], shuffle=False)
dataset = dataset.batch(2)
record("batch_shapes", [[d[0].shape, d[1].shape] for d in dataset.create_tuple_iterator()])
for data in dataset.create_tuple_iterator():
    print(data[0].shape, data[1].shape)

data = ([1, 2, 3, 4, 5, 6, 7, 8], [0, 1, 0, 1, 0, 1, 0, 1])
dataset = NumpySlicesDataset(data=data, column_names=["data", "label"], shuffle=False)
dataset = dataset.map(lambda x: x * 2, input_columns=["data"])
dataset = dataset.batch(2)
record("tuple_iterator", list(dataset.create_tuple_iterator()))
for data in dataset.create_tuple_iterator():
    print(data)
record("dict_iterator", list(dataset.create_dict_iterator()))
for data in dataset.create_dict_iterator():
    print(data)
record("dataset_size", dataset.get_dataset_size())
record("batch_size", dataset.get_batch_size())


# Custom datasets: random-accessible
class RandomAccessDataset:
    def __init__(self):
        self._data = np.ones((5, 2))
        self._label = np.zeros((5, 1))

    def __getitem__(self, index):
        return self._data[index], self._label[index]

    def __len__(self):
        return len(self._data)


loader = RandomAccessDataset()
dataset = GeneratorDataset(source=loader, column_names=["data", "label"])
record("random_access", list(dataset))
for data in dataset:
    print(data)

loader = [np.array(0), np.array(1), np.array(2)]
dataset = GeneratorDataset(source=loader, column_names=["data"])
record("list_source_sorted", sorted(int(d[0]) for d in dataset))
record("list_source_dtype", [str(d[0].dtype) for d in dataset])
for data in dataset:
    print(data)


# Iterable
class IterableDataset():
    def __init__(self, start, end):
        '''init the class object to hold the data'''
        self.start = start
        self.end = end

    def __next__(self):
        '''iter one data and return'''
        return next(self.data)

    def __iter__(self):
        '''reset the iter'''
        self.data = iter(range(self.start, self.end))
        return self


loader = IterableDataset(1, 5)
dataset = GeneratorDataset(source=loader, column_names=["data"])
record("iterable", list(dataset))
for d in dataset:
    print(d)


# Generator
def my_generator(start, end):
    for i in range(start, end):
        yield i


dataset = GeneratorDataset(source=lambda: my_generator(3, 6), column_names=["data"])
record("generator", list(dataset))
for d in dataset:
    print(d)

# Pipeline operations: repeat, take, skip, shuffle (earlier editions of this tutorial). MindSpore
# wants every pipeline to be a tree, so each one starts from a source of its own.
def numbers():
    return NumpySlicesDataset(np.arange(10), column_names=["data"], shuffle=False)


record("take", [int(d[0]) for d in numbers().take(3)])
record("skip", [int(d[0]) for d in numbers().skip(7)])
record("skip_take", [int(d[0]) for d in numbers().skip(2).take(3)])
record("repeat", [int(d[0]) for d in numbers().take(3).repeat(2)])
record("repeat_size", numbers().repeat(3).get_dataset_size())
record("skip_size", numbers().skip(4).get_dataset_size())
record("batch_drop_remainder", [d[0] for d in numbers().batch(4, drop_remainder=True)])
record("shuffle_is_a_permutation", sorted(int(d[0]) for d in numbers().shuffle(buffer_size=10)))
record("output_numpy", [type(d[0]).__name__ for d in numbers().take(1).create_tuple_iterator(output_numpy=True)])
record("dict_numpy", [sorted(d) for d in numbers().take(1).create_dict_iterator(output_numpy=True)])
