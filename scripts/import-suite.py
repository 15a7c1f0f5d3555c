#!/usr/bin/python3
"""Runs `quantc import` on every model of the ONNX backend conformance suite.

For each test folder (a model.onnx beside test_data_set_*), the model's op
types decide what must happen:
  * every op in Tier A (../shared/ONNX_OPS.md) -> the import must succeed;
  * otherwise -> it must fail with exactly one line of the form
      quantc: error: MODEL: node 'NAME' (OpType, domain 'D', opset N): WHAT
    or, for file-level problems, `quantc: error: MODEL: WHAT`.
A crash, a multi-line error or a failed Tier A model is a failure of this
script. The last line is `imported N of M`.

Tier A models listed in an --xfail file (`SUITE/TEST  # why` per line) may
fail; one that imports although listed is reported, so the list only shrinks.

Usage: import-suite.py [--binary PATH] [--xfail FILE] [--jobs N] [--verbose] [DIR...]
"""
import argparse
import concurrent.futures
import os
import re
import subprocess
import sys

import onnx

TIER_A = set("""
MatMul Gemm Add Sub Mul Div Pow Sqrt Reciprocal Neg Exp Log Erf Tanh Sigmoid Sin Cos
Softmax LogSoftmax LayerNormalization ReduceMean ReduceSum ReduceMax ReduceMin Reshape
Transpose Gather GatherElements GatherND ScatterND Concat Slice Split Unsqueeze Squeeze
Flatten Cast CastLike Where Expand Tile Shape Size ConstantOfShape Range Constant Identity
Equal Less LessOrEqual Greater GreaterOrEqual Not And Or Xor Trilu Min Max Sum Mean CumSum
ArgMax ArgMin TopK Einsum OneHot EyeLike Mod Abs Floor Ceil Round Sign IsNaN IsInf Dropout
Conv ConvTranspose BatchNormalization InstanceNormalization Relu LeakyRelu PRelu Elu Selu
Celu Softplus Softsign ThresholdedRelu Shrink HardSigmoid HardSwish Hardmax Clip MaxPool
AveragePool GlobalAveragePool GlobalMaxPool Resize Pad DepthToSpace SpaceToDepth ReduceL1
ReduceL2 ReduceLogSum ReduceLogSumExp ReduceProd ReduceSumSquare LSTM If QuantizeLinear
DequantizeLinear DynamicQuantizeLinear MatMulInteger ConvInteger QLinearMatMul QLinearConv
NegativeLogLikelihoodLoss SoftmaxCrossEntropyLoss
""".split())
# ONNX_OPS.md says 121 op types; its list names 120 distinct ones.
assert len(TIER_A) == 120, len(TIER_A)

SUITE = "/usr/share/libonnx-testdata/data"
DEFAULT_DIRS = [os.path.join(SUITE, d) for d in
                ("node", "pytorch-converted", "pytorch-operator", "simple")]
ERROR_LINE = re.compile(r"^quantc: error: [^\n]+: .+$")


def op_types(graph, out):
    for node in graph.node:
        out.add((node.domain or "", node.op_type))
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                op_types(attr.g, out)
            for g in attr.graphs:
                op_types(g, out)
    return out


def tests(dirs):
    for d in dirs:
        for name in sorted(os.listdir(d)):
            model = os.path.join(d, name, "model.onnx")
            if os.path.isfile(model):
                yield model


def run_one(quantc, model):
    try:
        ops = op_types(onnx.load(model, load_external_data=False).graph, set())
        tier_a = all(dom in ("", "ai.onnx") and op in TIER_A for dom, op in ops)
        unsupported = sorted(op for dom, op in ops
                             if dom not in ("", "ai.onnx") or op not in TIER_A)
    except Exception:  # the suite's python package cannot read it
        tier_a, unsupported = False, ["<unreadable>"]
    proc = subprocess.run([quantc, "import", model, "-o", os.devnull],
                          capture_output=True, text=True, errors="replace", timeout=300)
    return model, tier_a, unsupported, proc.returncode, proc.stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--binary", default=os.path.join(here, "..", "build", "bin", "quantc"),
                        help="the quantc executable")
    parser.add_argument("--xfail", help="Tier A tests expected to fail")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("dirs", nargs="*", default=DEFAULT_DIRS)
    args = parser.parse_args()

    models = list(tests(args.dirs))
    xfail = set()
    if args.xfail:
        with open(args.xfail) as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if line:
                    xfail.add(line)
    imported, problems, reasons, expected = 0, [], {}, 0
    tier_a_total, tier_a_imported = 0, 0
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for model, tier_a, unsupported, rc, err in pool.map(
                lambda m: run_one(args.binary, m), models):
            name = os.path.relpath(os.path.dirname(model), SUITE)
            lines = [l for l in err.splitlines() if not l.startswith("quantc: note:")]
            tier_a_total += tier_a
            if rc == 0:
                imported += 1
                tier_a_imported += tier_a
                if name in xfail:
                    problems.append(f"UNEXPECTED IMPORT {name}: remove it from the xfail list")
                if args.verbose and not tier_a:
                    print(f"note: {name} imported although it uses {unsupported}")
                continue
            clean = rc == 1 and len(lines) == 1 and ERROR_LINE.match(lines[0])
            if not clean:
                problems.append(f"CRASH/BAD ERROR {name} (exit {rc}): {err.strip()[:300]}")
            elif tier_a and name in xfail:
                expected += 1
                if args.verbose:
                    print(f"xfail: {name}: {lines[0]}")
            elif tier_a:
                problems.append(f"TIER-A FAILURE {name}: {lines[0]}")
                m = re.search(r"\((\w+), domain", lines[0])
                key = m.group(1) if m else lines[0][:80]
                reasons[key] = reasons.get(key, 0) + 1
            elif args.verbose:
                print(f"ok (unsupported {unsupported}): {name}: {lines[0]}")
    for p in problems:
        print(p)
    if reasons:
        print("Tier A failures by op:", ", ".join(f"{k} {v}" for k, v in
                                                   sorted(reasons.items(), key=lambda kv: -kv[1])))
    print(f"{len(problems)} problems, {expected} expected Tier A failures")
    print(f"Tier A: {tier_a_imported} of {tier_a_total} imported")
    print(f"imported {imported} of {len(models)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
