//===- CpuPipeline.h - imported IR to the LLVM dialect ----------*- C++ -*-===//

#ifndef QUANTC_BACKENDS_CPU_CPUPIPELINE_H
#define QUANTC_BACKENDS_CPU_CPUPIPELINE_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
namespace qc::cpu {

struct CpuPipelineOptions : PassPipelineOptions<CpuPipelineOptions> {
  PassOptions::Option<bool> instrumentObservers{
      *this, "instrument-observers",
      llvm::cl::desc("Calibration build: report observed tensors through "
                     "quantc_observe instead of dropping qc.observe"),
      llvm::cl::init(false)};
};

/// Builds the CPU pipeline, anchored on `builtin.module`: qc ops to linalg,
/// elementwise fusion, one-shot bufferization with caller-owned results,
/// loops, and the LLVM dialect with a C interface on the entry function.
void buildCpuPipeline(OpPassManager &pm, const CpuPipelineOptions &options);

/// Registers `qc-cpu-pipeline` and the CPU backend's passes.
void registerCpuPipeline();

} // namespace qc::cpu
} // namespace mlir

#endif // QUANTC_BACKENDS_CPU_CPUPIPELINE_H
