//===- Passes.td - quantc's qc-level passes ----------------*- tablegen -*-===//
//
// Passes that work on the qc dialect, grouped by stage and kept alphabetical
// within a group.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_PASSES_TD
#define QUANTC_PASSES_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Calibration
//===----------------------------------------------------------------------===//

def ApplyStats : Pass<"qc-apply-stats", "func::FuncOp"> {
  let summary = "Set each observer's range from a calibration stats file";
  let description = [{
    Reads the JSON file that calibration writes and sets `range` on every
    `qc.observe` whose name it lists:

    ```json
    {"format": "quantc-stats", "version": 1,
     "tensors": {"layers.0.attn.wq.input":
                   {"min": -1.5, "max": 2.25, "observer": "minmax"}}}
    ```

    `observer` is one of `minmax`, `percentile`, `mse`, `kl` (default
    `minmax`). An observer the file does not list is an error unless
    `allow-missing` is set; so are an unreadable or malformed file and an
    entry whose bounds are not finite or have min > max.
  }];
  let options = [
    Option<"statsFile", "stats-file", "std::string", /*default=*/"\"\"",
           "The stats file (JSON) to read">,
    Option<"allowMissing", "allow-missing", "bool", /*default=*/"false",
           "Leave observers the file does not list without a range">,
  ];
}

def InsertObservers : Pass<"qc-insert-observers", "func::FuncOp"> {
  let summary = "Observe the activations that quantized matmuls and convs read";
  let description = [{
    Inserts `qc.observe` on every non-constant float operand of `qc.matmul`,
    `qc.gemm` and `qc.conv`: the inputs whose ranges static activation
    quantization needs. A value feeding several such ops (x feeding q, k and
    v) gets one observer, named after its first consumer's location name and
    role (`layers.0.attn.wq.input`; `.lhs`/`.rhs` when both operands are
    activations, as in attention's q * k^T). Constants (weights), values that
    are already observed, and mask-like values (computed with a constant of
    magnitude 1e30 or more, e.g. a causal mask's -3.4e38 fill) are left out.
    An observer name that already exists in the function is an error.
  }];
  let options = [
    Option<"activationProducts", "activation-products", "bool",
           /*default=*/"true",
           "Also observe matmuls whose operands are both activations">,
  ];
}

def FuseElementwise : Pass<"qc-fuse-elementwise", "func::FuncOp"> {
  let summary = "Fuse elementwise linalg producers into elementwise consumers";
  let description = [{
    Upstream's elementwise fusion (the patterns of
    `linalg-fuse-elementwise-ops`), restricted to consumers whose loops are
    all parallel. Fusing a producer into a reduction (a matmul's operand
    into the matmul) would recompute it for every reduced output: an RMSNorm
    scale fused into a `[T, 64] x [64, 172]` matmul runs 172 times. Named
    contractions stay named (upstream's pass also folds reshapes by
    expansion, which turns `linalg.matmul` into `linalg.generic`).
  }];
  let dependentDialects = ["linalg::LinalgDialect"];
}

def DecomposeAggregatedOps : Pass<"qc-decompose-aggregated-ops",
                                  "func::FuncOp"> {
  let summary = "Decompose aggregated linalg ops such as linalg.softmax";
  let description = [{
    Replaces every op implementing `linalg::AggregatedOpInterface` (upstream:
    `linalg.softmax`) with its decomposition into plain reductions and
    elementwise `linalg.generic` ops. Neither backend has a lowering for the
    aggregated form: `convert-linalg-to-loops` leaves `linalg.softmax`
    untouched, and upstream exposes the decomposition only through the
    transform dialect.
  }];
  let dependentDialects = ["arith::ArithDialect", "linalg::LinalgDialect",
                           "math::MathDialect", "tensor::TensorDialect"];
}

def LowerToLinalg : Pass<"qc-lower-to-linalg", "func::FuncOp"> {
  let summary = "Lower qc's float graph ops to linalg, tensor and arith";
  let description = [{
    Rewrites the float graph ops into destination-style linalg on tensors,
    the form both backends start from:

    - `qc.matmul` becomes `linalg.matmul` when the right operand is a 2-D
      weight (the left operand's leading dimensions are collapsed into rows
      and expanded back afterwards), and a `linalg.generic` contraction with
      broadcast batch maps otherwise;
    - `qc.gemm` becomes a contraction with the transposes folded into its
      indexing maps, then one elementwise `alpha * ab + beta * c`;
    - `qc.conv` becomes `tensor.pad` (when padded) and one `linalg.generic`
      whose input map carries strides, dilations and the group's channel
      offset; the bias seeds the accumulator;
    - `qc.layer_norm` and `qc.rms_norm` become row reductions followed by one
      elementwise normalization.

    Accumulation happens in the operands' element type. Dynamic sizes are
    read with `tensor.dim` or, for convolution outputs, computed with index
    arithmetic. A grouped convolution needs static channel counts; other qc
    ops (quantization) are left for their own lowerings.
  }];
  let dependentDialects = ["arith::ArithDialect", "linalg::LinalgDialect",
                           "math::MathDialect", "tensor::TensorDialect"];
}

#endif // QUANTC_PASSES_PASSES_TD
