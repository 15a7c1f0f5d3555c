"""Writes y = MatMul(Relu(a), b) with the contraction size dynamic on both
sides (a [n, k1], b [k2, 3]): the Relu's buffer is allocated before the
MatMul's run-time check can fail."""
import sys

from onnx import TensorProto, helper

graph = helper.make_graph(
    [helper.make_node('Relu', ['a'], ['r'], name='relu'),
     helper.make_node('MatMul', ['r', 'b'], ['y'], name='mm')], 'g',
    [helper.make_tensor_value_info('a', TensorProto.FLOAT, ['n', 'k1']),
     helper.make_tensor_value_info('b', TensorProto.FLOAT, ['k2', 3])],
    [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['n', 3])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)])
open(sys.argv[1], 'wb').write(model.SerializeToString())
