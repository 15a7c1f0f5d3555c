//===- PackedWeightLayout.h - how qc-lower-quantized stores weights -*- C++ -*-===//
//
// The storage of a quantized [K, N] weight in an artifact (see
// qc-lower-quantized): `bytes` planes of [groups, words, N] bytes, each word
// holding `perWord` codes of `bits` bits, plus per-(group, column) scales
// (f16 for group-wise weights, else f32) and i8 zero points when any is
// non-zero. The driver reports weight bytes from the same numbers.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_PACKEDWEIGHTLAYOUT_H
#define QUANTC_PASSES_PACKEDWEIGHTLAYOUT_H

#include "mlir/IR/BuiltinTypes.h"

namespace mlir::qc {

struct PackedWeightLayout {
  unsigned bits = 8, perWord = 1, bytes = 1;
  int64_t groups = 1, groupRows = 0, words = 0, n = 0;
  bool halfScales = false, zeroPoints = false;

  /// The layout of a 2-D weight with a quantized element type.
  static PackedWeightLayout get(RankedTensorType weight);

  int64_t paddedRows() const { return words * perWord; }
  int64_t storageBytes() const {
    int64_t params = groups * n;
    return bytes * groups * words * n + params * (halfScales ? 2 : 4) +
           (zeroPoints ? params : 0);
  }
};

/// Bytes of a quantized convolution weight [M, ...] as stored: one byte per
/// code, f32 scales and (when any is non-zero) i8 zero points per output
/// channel.
int64_t quantizedConvBytes(RankedTensorType weight);

} // namespace mlir::qc

#endif // QUANTC_PASSES_PACKEDWEIGHTLAYOUT_H
