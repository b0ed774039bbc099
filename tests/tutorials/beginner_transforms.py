# MindSpore beginner tutorial "Transforms" (tutorials/source_en/beginner/transforms.md, r2.3), without its
# text section (dataset.text is not in tinyspore; see the README's MindSpore compatibility section).
import numpy as np
from PIL import Image
from mindspore.dataset import transforms, vision
from mindspore.dataset import GeneratorDataset, MnistDataset
from tutorial_record import record

train_dataset = MnistDataset('MNIST_Data/train', shuffle=False)
image, label = next(train_dataset.create_tuple_iterator())
print(image.shape)
record("image", [image.shape, str(image.dtype), str(label.dtype), int(label)])

composed = transforms.Compose(
    [
        vision.Rescale(1.0 / 255.0, 0),
        vision.Normalize(mean=(0.1307,), std=(0.3081,)),
        vision.HWC2CHW()
    ]
)
train_dataset = train_dataset.map(composed, 'image')
image, label = next(train_dataset.create_tuple_iterator())
print(image.shape)
record("composed", [image.shape, str(image.dtype), float(image.asnumpy().mean()), float(image.asnumpy()[0, 5, 7])])

np.random.seed(0)
random_np = np.random.randint(0, 255, (48, 48), np.uint8)
random_image = Image.fromarray(random_np)
print(random_np)

rescale = vision.Rescale(1.0 / 255.0, 0)
rescaled_image = rescale(random_image)
print(rescaled_image)
record("rescaled", [type(rescaled_image).__name__, str(rescaled_image.dtype), rescaled_image[:2, :4]])

normalize = vision.Normalize(mean=(0.1307,), std=(0.3081,))
normalized_image = normalize(rescaled_image)
print(normalized_image)
record("normalized", [str(normalized_image.dtype), normalized_image[:2, :4]])

hwc_image = np.expand_dims(normalized_image, -1)
hwc2chw = vision.HWC2CHW()
chw_image = hwc2chw(hwc_image)
print(hwc_image.shape, chw_image.shape)
record("hwc2chw", [hwc_image.shape, chw_image.shape, bool((chw_image[0] == normalized_image).all())])

type_cast = transforms.TypeCast(np.int32)
record("type_cast", str(type_cast(np.array([1.7, 2.2])).dtype))

# Lambda Transforms
test_dataset = GeneratorDataset([1, 2, 3], 'data', shuffle=False)
test_dataset = test_dataset.map(lambda x: x * 2)
print(list(test_dataset.create_tuple_iterator()))
record("lambda", list(test_dataset.create_tuple_iterator()))


def func(x):
    return x * x + 2


test_dataset = test_dataset.map(lambda x: func(x))
print(list(test_dataset.create_tuple_iterator()))
record("lambda_func", list(test_dataset.create_tuple_iterator()))
