//===- LinalgFront.h - imported qc IR to fused linalg on tensors -*- C++
//-*-===//

#ifndef QUANTC_BACKENDS_COMMON_LINALGFRONT_H
#define QUANTC_BACKENDS_COMMON_LINALGFRONT_H

#include <functional>

namespace mlir {
class OpPassManager;
namespace qc {

struct LinalgFrontOptions {
  /// Calibration builds: observers report their tensors (qc-lower-observers
  /// {instrument}) instead of being dropped.
  bool instrumentObservers = false;
  /// Adds a target's own lowering of quantized products (module passes),
  /// run after the observers and before qc-lower-quantized lowers the rest;
  /// e.g. the CPU's calls to int8 microkernels.
  std::function<void(OpPassManager &)> addTargetKernels;
};

/// The front both backends share, anchored on `builtin.module`: the weight
/// counts recorded (qc-record-weight-info), observers lowered, the target's
/// kernels, qc ops (float and quantized) to linalg, aggregated ops decomposed,
/// anything left in qc rejected (qc-check-lowered), canonicalize + cse,
/// elementwise chains fused into their consumers (qc-fuse-elementwise).
void buildLinalgFront(OpPassManager &pm, const LinalgFrontOptions &options);

/// Bufferization both backends use after the front: one-shot across
/// function boundaries with identity layouts, then ownership-based
/// deallocation, so every returned buffer is a fresh allocation the caller
/// (the runtime) owns.
void addBufferization(OpPassManager &pm);

} // namespace qc
} // namespace mlir

#endif // QUANTC_BACKENDS_COMMON_LINALGFRONT_H
