"""Builds a small convolutional classifier for the sensitivity tests: two
3x3 convolutions (8 and 8 channels, ReLU), global average pooling and a
Gemm to 10 classes, weights from a fixed seed; and four input samples.

usage: make_convnet.py DIR   (writes DIR/convnet.onnx, DIR/x0.npy .. x3.npy)
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

d = sys.argv[1]
rng = np.random.RandomState(3)


def init(name, shape, scale):
    return numpy_helper.from_array(
        (rng.randn(*shape) * scale).astype(np.float32), name)


inits = [init('w1', (8, 3, 3, 3), 0.3), init('b1', (8,), 0.1),
         init('w2', (8, 8, 3, 3), 0.15), init('b2', (8,), 0.1),
         init('wf', (10, 8), 0.5), init('bf', (10,), 0.1)]
nodes = [
    helper.make_node('Conv', ['x', 'w1', 'b1'], ['c1'], name='conv1',
                     pads=[1, 1, 1, 1]),
    helper.make_node('Relu', ['c1'], ['r1'], name='relu1'),
    helper.make_node('Conv', ['r1', 'w2', 'b2'], ['c2'], name='conv2',
                     pads=[1, 1, 1, 1]),
    helper.make_node('Relu', ['c2'], ['r2'], name='relu2'),
    helper.make_node('GlobalAveragePool', ['r2'], ['p'], name='pool'),
    helper.make_node('Flatten', ['p'], ['f'], name='flatten'),
    helper.make_node('Gemm', ['f', 'wf', 'bf'], ['y'], name='classifier',
                     transB=1),
]
graph = helper.make_graph(
    nodes, 'convnet',
    [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 3, 12, 12])],
    [helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 10])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)])
onnx.save(model, f'{d}/convnet.onnx')
for i in range(4):
    np.save(f'{d}/x{i}.npy', rng.randn(1, 3, 12, 12).astype(np.float32))
