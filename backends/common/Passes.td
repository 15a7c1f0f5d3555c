//===- Passes.td - passes both backends run --------------*- tablegen -*-===//
//
// The linalg front shared by the CPU and Vulkan pipelines and the lowering
// steps both need after it.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_BACKENDS_COMMON_PASSES_TD
#define QUANTC_BACKENDS_COMMON_PASSES_TD

include "mlir/Pass/PassBase.td"

def RecordWeightInfo : Pass<"qc-record-weight-info", "ModuleOp"> {
  let summary = "Record what the model's weights take, for the artifact";
  let description = [{
    Sets the module attribute `qc.weights` to a dictionary of four `i64`
    counts that the shared-library emitter embeds and the runtime reports
    (`quantc_model_weight_info`): `quantized_params` and `quantized_bytes`
    (the weights of `qc.quantized_matmul` and `qc.quantized_conv`, as
    `qc-lower-quantized` stores them: codes, scales and zero points), and
    `float_params` and `float_bytes` (every ranked, static, non-scalar float
    `arith.constant`). Runs before the quantized ops are lowered.
  }];
}

def ApproximateMath : Pass<"qc-approximate-math", "func::FuncOp"> {
  let summary = "Replace f32 transcendental math ops by polynomials";
  let description = [{
    LLVM lowers `math.exp`, `math.erf`, `math.tanh`, `math.log`, ... to libm
    calls, one scalar call per element, and glibc's `expf` takes a slow
    error-reporting path (errno) for every underflow: softmax over a causal
    mask filled with -3.4e38 underflows for half its elements, which cost a
    quarter of stories260k's run time. Upstream's polynomial approximations
    (the patterns behind the test-only `test-math-polynomial-approximation`)
    turn them into plain arithmetic that saturates instead and that LLVM can
    vectorize. f32 only; other types keep libm. Accuracy is a few ulp; the
    conformance suite (rtol 1e-3) and stories260k (logits within 1e-4 of
    ONNX Runtime) check it.
  }];
  let dependentDialects = ["arith::ArithDialect", "math::MathDialect",
                           "vector::VectorDialect", "x86vector::X86VectorDialect"];
}

def CheckLowered : Pass<"qc-check-lowered", "func::FuncOp"> {
  let summary = "Reject qc ops that no pass of the pipeline lowered";
  let description = [{
    Runs after `qc-lower-to-linalg`: any qc op still present (observers,
    quantized ops whose lowering is not in the pipeline) is reported at its
    location with its name, instead of surfacing later as a bufferization
    or legalization failure.
  }];
}

def LowerChecks : Pass<"qc-lower-checks", "ModuleOp"> {
  let summary = "Turn qc.assume_* ops into run-time checks that stop the run";
  let description = [{
    Check `i` (in walk order) becomes `scf.if lhs != rhs` around a call to
    `quantc_check_failed(i, lhs, rhs)` (i64 arguments), an external
    function, and the module gets `qc.checks`, the checks' messages by
    index: "node 'NAME': WHAT: sizes {0} and {1} differ" with NAME from the op's
    location (the ONNX node the importer named it after). The shared-library
    emitter defines `quantc_check_failed` to call through a function pointer
    the runtime installs, which returns from the run with that message
    (sizes filled in) as its status. The checks compare sizes where the op
    stands, outside the loops, so they cost a comparison per op and run.

    `qc.assume_in_range index, size` becomes the same kind of check on
    `-size <= index < size`, with the message "node 'NAME': WHAT: index {0}
    is out of range for a dimension of size {1}".

    Every `tensor.empty` with dynamic sizes (outside linalg bodies) gets the
    same kind of check on its size: each dynamic size d must satisfy
    d <= 2^46 / (bytes of the sizes before it), unsigned, so a negative size
    or one that would make the buffer pass 2^46 bytes (where the byte count
    could wrap into a small allocation) stops the run; the message names
    the op's node.
  }];
  let dependentDialects = ["arith::ArithDialect", "func::FuncDialect",
                           "scf::SCFDialect", "tensor::TensorDialect"];
}

def LowerObservers : Pass<"qc-lower-observers", "ModuleOp"> {
  let summary = "Drop qc.observe, or turn it into a calibration callback";
  let description = [{
    Without `instrument`, every `qc.observe` forwards its operand: the
    artifact computes exactly what the float graph does.

    With `instrument` (the calibration build), observer `i` (in walk order)
    becomes a call to `quantc_observe(i, tensor<*xf32>)`, an external
    function that reads its argument (`bufferization.access = "read"`, so
    bufferization does not copy the tensor), and the module gets
    `qc.observers`, the observers' names by index. The shared-library
    emitter defines `quantc_observe` to call through a function pointer the
    runtime installs (`quantc_model_set_observer`). Observed tensors must be
    f32.
  }];
  let options = [
    Option<"instrument", "instrument", "bool", /*default=*/"false",
           "Report every observed tensor through quantc_observe">,
  ];
  let dependentDialects = ["func::FuncDialect", "tensor::TensorDialect"];
}

def LowerStridedCopies : Pass<"qc-lower-strided-copies", "func::FuncOp"> {
  let summary = "Turn memref.copy of strided views into linalg.copy";
  let description = [{
    `finalize-memref-to-llvm` lowers a `memref.copy` between identity-layout
    buffers to `memcpy`, but any other copy to a call of `memrefCopy` from
    MLIR's C runner utilities, a library artifacts must not depend on. This
    pass rewrites exactly those copies into `linalg.copy`, which the loop
    lowering turns into plain code; contiguous copies stay `memref.copy`.
  }];
  let dependentDialects = ["linalg::LinalgDialect"];
}

def LowerDynamicExpands : Pass<"qc-lower-dynamic-expands", "func::FuncOp"> {
  let summary = "memref.expand_shape into several dynamic sizes as a "
                "reinterpret_cast";
  let description = [{
    Upstream `expand-strided-metadata` (LLVM 22.1) crashes on a
    `memref.expand_shape` that splits one dimension into two or more
    dynamic sizes (llvm-project issue 186830): a matmul of an activation
    `[B, T, K]` by a weight, whose rows `[B*T, N]` are expanded back to
    `[B, T, N]`, is enough. Where source and result have the identity
    layout, the expanded view is the same bytes with row-major strides, so
    this pass replaces it by the `memref.reinterpret_cast` that says so
    (offset 0, the output sizes, each stride the product of the sizes to its
    right). It runs right before `expand-strided-metadata`; other expands
    are left to it.
  }];
  let dependentDialects = ["arith::ArithDialect", "memref::MemRefDialect"];
}

#endif // QUANTC_BACKENDS_COMMON_PASSES_TD
