"""Writes an ONNX model whose output size comes from an input's values:
ConstantOfShape(shape) with shape an int64[1] graph input.
make_constant_of_shape.py OUT"""
import sys

import onnx
from onnx import TensorProto, helper

shape = helper.make_tensor_value_info("shape", TensorProto.INT64, [1])
out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None])
node = helper.make_node(
    "ConstantOfShape", ["shape"], ["y"], name="fill",
    value=helper.make_tensor("value", TensorProto.FLOAT, [1], [1.5]))
graph = helper.make_graph([node], "fill", [shape], [out])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
onnx.save(model, sys.argv[1])
