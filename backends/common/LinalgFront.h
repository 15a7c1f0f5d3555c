//===- LinalgFront.h - imported qc IR to fused linalg on tensors -*- C++
//-*-===//

#ifndef QUANTC_BACKENDS_COMMON_LINALGFRONT_H
#define QUANTC_BACKENDS_COMMON_LINALGFRONT_H

namespace mlir {
class OpPassManager;
namespace qc {

struct LinalgFrontOptions {
  /// Calibration builds: observers report their tensors (qc-lower-observers
  /// {instrument}) instead of being dropped.
  bool instrumentObservers = false;
};

/// The front both backends share, anchored on `builtin.module`: the weight
/// counts recorded (qc-record-weight-info), observers lowered, qc ops (float
/// and quantized) to linalg, aggregated ops decomposed, anything left in qc
/// rejected (qc-check-lowered), canonicalize + cse, elementwise chains fused
/// into their consumers (qc-fuse-elementwise).
void buildLinalgFront(OpPassManager &pm, const LinalgFrontOptions &options);

/// Bufferization both backends use after the front: one-shot across
/// function boundaries with identity layouts, then ownership-based
/// deallocation, so every returned buffer is a fresh allocation the caller
/// (the runtime) owns.
void addBufferization(OpPassManager &pm);

} // namespace qc
} // namespace mlir

#endif // QUANTC_BACKENDS_COMMON_LINALGFRONT_H
