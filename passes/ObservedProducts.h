//===- ObservedProducts.h - the weight products an observer feeds -*- C++ -*-//
//
// The passes that transform an activation and the weights reading it
// together (qc-awq, qc-rotate-inputs) start from a calibrated `qc.observe`:
// the `qc.matmul`s with constant 2-D f32 weights that read it, its
// statistics, and the rounding qc-quantize-weights will apply.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_OBSERVEDPRODUCTS_H
#define QUANTC_PASSES_OBSERVEDPRODUCTS_H

#include "dialects/qc/IR/QcOps.h"

#include <vector>

namespace mlir::qc {

struct ObservedProducts {
  int64_t k = 0;                           // channels of the activation
  SmallVector<MatmulOp> products;          // reading the observer
  std::vector<std::vector<float>> weights; // theirs, K x N_i row-major
  std::vector<float> gram;                 // E[x x^T], K x K
  std::vector<float> meanAbs, meanSquare;  // per channel (may be empty)
};

/// The products reading `op` with their weights and `op`'s statistics;
/// nullopt when no such product reads it. Fails (with an error) on an
/// unreadable weight and, with `needGram`, when products read it but it has
/// no qc.input_gram.
FailureOr<std::optional<ObservedProducts>>
observedProducts(ObserveOp op, bool needGram = true);

/// Replaces `mm`'s constant weight by a constant of `values` (its shape,
/// row-major), built before `mm`; the old constant goes when unused.
void setWeight(MatmulOp mm, ArrayRef<float> values);

/// Rounding settings as qc-quantize-weights takes them.
struct WeightRounding {
  unsigned bits = 4;
  int64_t groupSize = 0;
  bool symmetric = true;
  WeightClip clip = WeightClip::None;

  /// W (K x N) quantized round-to-nearest and dequantized; `importance`
  /// (K values or null) weights the clip search.
  std::vector<float> roundTrip(const std::vector<float> &w, int64_t k,
                               int64_t n, const float *importance) const;

  /// tr((W - What)^T H (W - What)) for What = roundTrip(W) with H's
  /// diagonal as the importance: the output error rounding adds, summed
  /// over calibration rows with Gram matrix H (K x K).
  double outputError(const std::vector<float> &w, int64_t k, int64_t n,
                     const std::vector<float> &gram) const;
};

/// The f32 vector attribute `name` of `k` values on `op` (a per-channel
/// statistic qc-apply-stats set), or empty.
std::vector<float> channelVector(Operation *op, StringRef name, int64_t k);

/// A [K] or [K, K] f32 attribute of `values`.
DenseElementsAttr floatAttr(MLIRContext *ctx, ArrayRef<int64_t> shape,
                            ArrayRef<float> values);

} // namespace mlir::qc

#endif // QUANTC_PASSES_OBSERVEDPRODUCTS_H
