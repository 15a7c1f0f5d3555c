//===- PackedWeights.h - quantized weights as the kernels read them -*- C++
//-*-===//
//
// The storage of a quantized weight in an artifact (see qc-lower-quantized):
// for a [K, N] matmul weight, `bytes` planes of [groups, words, N] bytes,
// each word holding `perWord` codes of `bits` bits, plus per-(group, column)
// scales (f16 for group-wise weights, else f32) and i8 zero points when any
// is non-zero; for a convolution weight, one byte per code and per-channel
// scales. The driver reports weight bytes from the same numbers.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_PACKEDWEIGHTS_H
#define QUANTC_PASSES_PACKEDWEIGHTS_H

#include "dialects/qc/IR/QcOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

#include <vector>

namespace mlir::qc {

/// The values of an f32 tensor constant (inline or a resource blob), if
/// readable.
std::optional<std::vector<float>> readFloatConstant(Attribute attr);

struct PackedWeightLayout {
  unsigned bits = 8, perWord = 1, bytes = 1;
  int64_t groups = 1, groupRows = 0, words = 0, n = 0;
  bool halfScales = false, zeroPoints = false;

  /// The layout of a 2-D weight with a quantized element type.
  static PackedWeightLayout get(RankedTensorType weight);
  /// The layout a [rows, n] weight of `bits`-bit codes will have, with one
  /// scale per column for each `groupRows` rows (0: per column; rows are
  /// padded to whole groups).
  static PackedWeightLayout of(int64_t rows, int64_t n, unsigned bits,
                               int64_t groupRows, bool zeroPoints);

  int64_t paddedRows() const { return words * perWord; }
  /// The code planes' bytes.
  int64_t codeBytes() const { return bytes * groups * words * n; }
  /// Everything: codes, scales and zero points.
  int64_t storageBytes() const {
    int64_t params = groups * n;
    return codeBytes() + params * (halfScales ? 2 : 4) +
           (zeroPoints ? params : 0);
  }
};

/// Bytes of a quantized convolution weight [M, ...] as stored: one byte per
/// code, f32 scales and (when any is non-zero) i8 zero points per output
/// channel.
int64_t quantizedConvBytes(RankedTensorType weight);
/// The same for `elements` codes over `channels` output channels.
int64_t quantizedConvBytes(int64_t elements, int64_t channels, bool zeroPoints);

/// A quantized matmul weight repacked into constants.
struct PackedWeight : PackedWeightLayout {
  int64_t k = 0;                   // the rows the activation has
  SmallVector<Value> planes;       // [groups, words, N] i8 each
  Value scales;                    // [groups, N], f16 when group-wise, else f32
  Value zeroPointValues;           // [groups, N] i8; null when all are 0
  std::vector<int32_t> columnSums; // sum over a group's rows of (q - z)
  std::vector<double> scaleValues; // [groups, N], as the type states them
};

/// Whether any zero point of a quantized element type is non-zero.
bool anyZeroPoint(Type elementType);

/// A weight's integer codes, row-major, sign-extended from `bits`.
std::vector<int8_t> readCodes(DenseElementsAttr attr, unsigned bits);

/// Scale and zero point of every (group, column) from the weight's type.
void readParams(Type elementType, int64_t groups, int64_t n,
                std::vector<double> &scales, std::vector<int32_t> &zeros);

/// The integer constant behind a quantized weight (`quant.scast` of an
/// `arith.constant`); reports an error on `op` when there is none.
FailureOr<DenseElementsAttr> weightCodes(Operation *op, Value weight);

/// Scales as a constant of `shape` in `type` (rounded to nearest even).
Value scaleConstant(OpBuilder &b, Location loc, ArrayRef<double> scales,
                    ArrayRef<int64_t> shape, FloatType type);

/// Zero points as an i8 constant of `shape`.
Value zeroPointConstant(OpBuilder &b, Location loc, ArrayRef<int32_t> zeros,
                        ArrayRef<int64_t> shape);

/// Repacks the `quant.scast` of a constant that `op` multiplies by;
/// reports an error on `op` when the weight is no such constant.
FailureOr<PackedWeight> packWeight(OpBuilder &b, QuantizedMatmulOp op);

} // namespace mlir::qc

#endif // QUANTC_PASSES_PACKEDWEIGHTS_H
