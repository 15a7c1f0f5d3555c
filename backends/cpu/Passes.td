//===- Passes.td - CPU backend passes ----------------------*- tablegen -*-===//

#ifndef QUANTC_BACKENDS_CPU_PASSES_TD
#define QUANTC_BACKENDS_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def CheckLowered : Pass<"qc-cpu-check-lowered", "func::FuncOp"> {
  let summary = "Reject qc ops that the CPU backend cannot lower";
  let description = [{
    Runs after `qc-lower-to-linalg`: any qc op still present (observers,
    quantized ops whose lowering is not in the pipeline) is reported at its
    location with its name, instead of surfacing later as a bufferization
    or legalization failure.
  }];
}

def LowerStridedCopies : Pass<"qc-cpu-lower-strided-copies", "func::FuncOp"> {
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

#endif // QUANTC_BACKENDS_CPU_PASSES_TD
