#!/usr/bin/python3
"""Builds a one-node ONNX model for a lit test.

  node.py OUT.onnx OP_TYPE [--opset N] [--name NODE]
          [--input NAME:TYPE:SHAPE]... [--const NAME:TYPE:SHAPE=V,V,...]...
          [--output NAME]... [--attr KEY=VALUE]...

TYPE is an ONNX data type name (float, int64, uint8, bool, ...). SHAPE is
dims joined by 'x' ('?' or a letter for a dynamic dim, empty for a scalar).
An input named '' is an omitted optional input. Attribute values: an int,
a float, [list], 's:STRING', or 'g:ONNX_FILE' for a graph attribute (the
file's graph).
"""
import argparse
import ast

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto


def dtype(name):
    return getattr(TensorProto, name.upper())


def shape(text):
    if text == "":
        return []
    dims = []
    for d in text.split("x"):
        if d.lstrip("-").isdigit():
            dims.append(int(d))
        else:
            dims.append(None if d == "?" else d)
    return dims


def attr_value(text):
    if text.startswith("s:"):
        return text[2:]
    if text.startswith("g:"):
        return onnx.load(text[2:]).graph
    return ast.literal_eval(text)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("op")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--name", default="node0")
    p.add_argument("--domain", default="")
    p.add_argument("--input", action="append", default=[])
    p.add_argument("--const", action="append", default=[])
    p.add_argument("--output", action="append", default=[])
    p.add_argument("--attr", action="append", default=[])
    a = p.parse_args()

    inputs, node_inputs, inits = [], [], []
    for spec in a.input:
        name, t, s = (spec.split(":") + ["", ""])[:3]
        node_inputs.append(name)
        if name:
            inputs.append(helper.make_tensor_value_info(name, dtype(t), shape(s)))
    for spec in a.const:
        head, values = spec.split("=")
        name, t, s = head.split(":")
        dims = [int(d) for d in s.split("x")] if s else []
        np_type = onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[dtype(t)]
        data = np.array([float(v) for v in values.split(",")] if values else [],
                        dtype=np.float64).astype(np_type).reshape(dims)
        inits.append(numpy_helper.from_array(data, name))
        node_inputs.append(name)
    attrs = dict(kv.split("=", 1) for kv in a.attr)
    node = helper.make_node(a.op, node_inputs, a.output, name=a.name,
                            domain=a.domain,
                            **{k: attr_value(v) for k, v in attrs.items()})
    outputs = [helper.make_tensor_value_info(o, TensorProto.UNDEFINED, None)
               for o in a.output]
    graph = helper.make_graph([node], "test", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", a.opset)])
    onnx.save(model, a.out)


if __name__ == "__main__":
    main()
