"""Writes an ONNX model adding two 1-D float inputs whose sizes are
independent dynamic dimensions ("n" and "m"): the importer assumes they are
equal, and the compiled model must check it. make_broadcast_add.py OUT"""
import sys

import onnx
from onnx import TensorProto, helper

x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["m"])
z = helper.make_tensor_value_info("z", TensorProto.FLOAT, [None])
graph = helper.make_graph(
    [helper.make_node("Add", ["x", "y"], ["z"], name="sum")], "add", [x, y], [z])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
onnx.save(model, sys.argv[1])
