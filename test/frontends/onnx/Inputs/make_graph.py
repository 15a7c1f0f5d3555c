#!/usr/bin/python3
"""Builds the multi-node or malformed ONNX models of the frontend lit tests.

  make_graph.py KIND OUT

KIND: mlp (two layers, weights as initializers), constant-nodes (weights in
Constant nodes, paddle2onnx style), external-data (weights in a sibling file),
unsorted (nodes out of order), odd-names (names any string may be),
odd-names-error (a newline and a control character in a failing node's name), if (an If with branches reading an outer
value), if-known-then / if-known-else (an If on a size known at import,
branches of different ranks), if-ranks (the same If on an input), if-dynamic
(the same If on a dynamic size, dim_param "batch"), if-ranks-tail /
if-dynamic-tail (those Ifs followed by a Mul and a Reshape to [-1, 3], so
that the graph's output has one rank whichever branch ran), if-ranks-repeat
(five such Ifs in a row on one input condition), if-ranks-many (the same
on five different conditions), cycle, missing-input, unsupported-op, foreign-domain, type-mismatch,
malformed, truncated-external, string-input; invalid graphs: two-writers (two
nodes write one value), writes-input (a node writes a graph input),
duplicate-input, negative-dim, huge-dims (an element count past 64 bits),
lying-initializer (2^40 elements declared, 16 bytes held); empty-concat (a
Concat with a [0, 3] initializer, which is valid).
"""
import os
import sys

import numpy as np
import onnx
from onnx import helper as h, numpy_helper as nh, TensorProto as T


def model(nodes, inputs, outputs, inits=(), opset=17, name="g"):
    g = h.make_graph(nodes, name, inputs, outputs, list(inits))
    return h.make_model(g, opset_imports=[h.make_opsetid("", opset)])


def vi(name, t=T.FLOAT, shape=None):
    return h.make_tensor_value_info(name, t, shape)


def mlp(out, constants=False):
    rng = np.random.default_rng(0)
    w1 = rng.standard_normal((16, 32)).astype(np.float32)
    w2 = rng.standard_normal((32, 4)).astype(np.float32)
    b1 = np.zeros(32, np.float32)
    nodes = [
        h.make_node("MatMul", ["x", "w1"], ["h0"], name="fc1"),
        h.make_node("Add", ["h0", "b1"], ["h1"], name="fc1.bias"),
        h.make_node("Relu", ["h1"], ["h2"], name="act"),
        h.make_node("MatMul", ["h2", "w2"], ["y"], name="fc2"),
    ]
    inits = [nh.from_array(w1, "w1"), nh.from_array(b1, "b1"), nh.from_array(w2, "w2")]
    if constants:
        nodes = [h.make_node("Constant", [], [t.name], name="const." + t.name, value=t)
                 for t in inits] + nodes
        inits = []
    return model(nodes, [vi("x", T.FLOAT, ["batch", 16])], [vi("y", T.FLOAT, ["batch", 4])],
                 inits, name="mlp")


def main():
    kind, out = sys.argv[1], sys.argv[2]
    x = vi("x", T.FLOAT, [2, 3])
    y = vi("y", T.FLOAT, [2, 3])
    if kind == "mlp":
        m = mlp(out)
    elif kind == "constant-nodes":
        m = mlp(out, constants=True)
    elif kind in ("external-data", "truncated-external"):
        w = nh.from_array(np.arange(64, dtype=np.float32).reshape(8, 8), "w")
        m = model([h.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                  [vi("x", T.FLOAT, [1, 8])], [vi("y", T.FLOAT, [1, 8])], [w])
        onnx.save(m, out, save_as_external_data=True, all_tensors_to_one_file=True,
                  location=os.path.basename(out) + ".data", size_threshold=0)
        if kind == "truncated-external":
            with open(out + ".data", "r+b") as f:
                f.truncate(100)
        return
    elif kind == "unsorted":
        m = model([h.make_node("Neg", ["t"], ["y"], name="second"),
                   h.make_node("Abs", ["x"], ["t"], name="first")], [x], [y])
    elif kind == "if":
        c = vi("c", T.BOOL, [])
        then = h.make_graph([h.make_node("Neg", ["x"], ["t"], name="then.neg")], "then", [],
                            [vi("t", T.FLOAT, [2, 3])])
        other = h.make_graph([h.make_node("Abs", ["x"], ["e"], name="else.abs")], "else", [],
                             [vi("e", T.FLOAT, [2, 3])])
        m = model([h.make_node("If", ["c"], ["y"], name="branch",
                               then_branch=then, else_branch=other)], [c, x], [y])
    elif kind in ("if-known-then", "if-known-else", "if-ranks", "if-dynamic",
                  "if-ranks-tail", "if-dynamic-tail"):
        # The exporters' "squeeze dim 0 if it is 1": the branches differ in
        # rank; the condition is known at import unless it is an input.
        rows = {"if-known-else": 2, "if-dynamic": "batch",
                "if-dynamic-tail": "batch"}.get(kind, 1)
        xs = vi("x", T.FLOAT, [rows, 3])
        then = h.make_graph([h.make_node("Squeeze", ["x", "axes"], ["t"], name="then.squeeze")],
                            "then", [], [vi("t", T.FLOAT, [3])])
        other = h.make_graph([h.make_node("Identity", ["x"], ["e"], name="else.id")], "else", [],
                             [vi("e", T.FLOAT, [rows, 3])])
        branch = h.make_node("If", ["c"], ["y"], name="squeeze_if_1",
                             then_branch=then, else_branch=other)
        inits = [nh.from_array(np.array(v, np.int64), n)
                 for v, n in ((0, "zero"), (1, "one"), ([0], "axes"))]
        nodes, result = [branch], "y"
        if kind.endswith("-tail"):
            inits += [nh.from_array(np.array(2, np.float32), "two"),
                      nh.from_array(np.array([-1, 3], np.int64), "rows")]
            nodes += [h.make_node("Mul", ["y", "two"], ["y2"], name="double"),
                      h.make_node("Reshape", ["y2", "rows"], ["z"], name="as_rows")]
            result = "z"
        if kind.startswith("if-ranks"):
            m = model(nodes, [vi("c", T.BOOL, []), xs], [vi(result, T.FLOAT)], inits)
        else:
            m = model([h.make_node("Shape", ["x"], ["s"], name="shape"),
                       h.make_node("Gather", ["s", "zero"], ["d"], name="dim0", axis=0),
                       h.make_node("Equal", ["d", "one"], ["c"], name="is_one")] + nodes,
                      [xs], [vi(result, T.FLOAT)], inits)
    elif kind in ("if-ranks-repeat", "if-ranks-many"):
        conds = [f"c{i}" if kind == "if-ranks-many" else "c" for i in range(5)]
        nodes, prev = [], "x"
        for i in range(5):
            then = h.make_graph([h.make_node("Squeeze", [prev, "axes"], [f"t{i}"],
                                             name=f"then{i}.squeeze")],
                                f"then{i}", [], [vi(f"t{i}", T.FLOAT, [3])])
            other = h.make_graph([h.make_node("Identity", [prev], [f"e{i}"],
                                              name=f"else{i}.id")],
                                 f"else{i}", [], [vi(f"e{i}", T.FLOAT, [1, 3])])
            nodes += [h.make_node("If", [conds[i]], [f"s{i}"], name=f"squeeze_if_{i}",
                                  then_branch=then, else_branch=other),
                      h.make_node("Reshape", [f"s{i}", "rows"], [f"x{i}"],
                                  name=f"as_rows_{i}")]
            prev = f"x{i}"
        inits = [nh.from_array(np.array([0], np.int64), "axes"),
                 nh.from_array(np.array([1, 3], np.int64), "rows")]
        m = model(nodes, [vi(c, T.BOOL, []) for c in dict.fromkeys(conds)]
                  + [vi("x", T.FLOAT, [1, 3])], [vi(prev, T.FLOAT, [1, 3])], inits)
    elif kind == "cycle":
        m = model([h.make_node("Add", ["x", "b"], ["a"], name="loop.a"),
                   h.make_node("Neg", ["a"], ["b"], name="loop.b")], [x], [vi("a")])
    elif kind == "missing-input":
        m = model([h.make_node("Add", ["x", "w"], ["y"], name="uses_w")], [x], [y])
    elif kind == "unsupported-op":
        m = model([h.make_node("NonZero", ["x"], ["y"], name="nz")], [x], [vi("y", T.INT64)])
    elif kind == "foreign-domain":
        m = model([h.make_node("FusedGemm", ["x", "x"], ["y"], name="fused",
                               domain="com.microsoft")], [x], [y])
        m.opset_import.append(h.make_opsetid("com.microsoft", 1))
    elif kind == "type-mismatch":
        m = model([h.make_node("Add", ["x", "i"], ["y"], name="mixed")],
                  [x, vi("i", T.INT64, [2, 3])], [y])
    elif kind == "string-input":
        m = model([h.make_node("Identity", ["s"], ["y"], name="id")],
                  [vi("s", T.STRING, [2])], [vi("y", T.STRING, [2])])
    elif kind == "odd-names":
        w = nh.from_array(np.ones((3, 3), np.float32) * 0.5, "weight::0 (tied)")
        m = model([h.make_node("MatMul", ["onnx::Flatten_0", "weight::0 (tied)"], ['{"out": 1}'],
                               name="/fc/MatMul\nsecond line")],
                  [vi("onnx::Flatten_0", T.FLOAT, [2, 3])], [vi('{"out": 1}', T.FLOAT, [2, 3])], [w])
    elif kind == "odd-names-error":
        m = model([h.make_node("NonZero", ["x"], ["y"], name="bad\nname\x01")], [x],
                  [vi("y", T.INT64)])
    elif kind == "two-writers":
        m = model([h.make_node("Relu", ["x"], ["y"], name="first"),
                   h.make_node("Neg", ["x"], ["y"], name="second")], [x], [y])
    elif kind == "writes-input":
        m = model([h.make_node("Relu", ["y"], ["x"], name="over"),
                   h.make_node("Neg", ["x"], ["y"], name="neg")], [x], [y])
    elif kind == "duplicate-input":
        m = model([h.make_node("Add", ["x", "x"], ["y"], name="sum")], [x, x], [y])
    elif kind == "negative-dim":
        m = model([h.make_node("Relu", ["n"], ["y"], name="act")],
                  [vi("n", T.FLOAT, [2, -3])], [y])
    elif kind == "huge-dims":
        m = model([h.make_node("Relu", ["n"], ["y"], name="act")],
                  [vi("n", T.FLOAT, [1 << 40, 1 << 40])], [y])
    elif kind == "empty-concat":
        e = nh.from_array(np.zeros((0, 3), np.float32), "e")
        m = model([h.make_node("Concat", ["x", "e"], ["y"], name="cat", axis=0)],
                  [x], [y], [e])
    elif kind == "lying-initializer":
        w = onnx.TensorProto()
        w.name, w.data_type = "w", T.FLOAT
        w.dims.extend([1 << 20, 1 << 20])
        w.raw_data = bytes(16)
        m = model([h.make_node("Add", ["x", "w"], ["y"], name="add")], [x], [y], [w])
    elif kind == "malformed":
        with open(out, "wb") as f:
            f.write(b"\x08\x07\x12\xff\xff\xff\x0fnot a protobuf")
        return
    else:
        sys.exit(f"unknown kind {kind}")
    onnx.save(m, out)


if __name__ == "__main__":
    main()
