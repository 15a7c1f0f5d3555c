//===- ActivationCodes.h - int8 codes of activations ------------*- C++ -*-===//
//
// clamp(round_half_even(x / s) + z, qmin, qmax), NaN to z: the static
// (quant.qcast) and dynamic (qc.dynamic_quantize) activation quantization of
// qc-lower-quantized. Upstream's lower-quant-ops truncates instead.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_ACTIVATIONCODES_H
#define QUANTC_PASSES_ACTIVATIONCODES_H

#include "dialects/qc/IR/QcOps.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::qc {

/// The codes of `x` (any rank) as `storage`, elementwise; `scale` is read
/// through `scaleMap`, or `constScale` is used when `scale` is null.
Value quantizeTensor(OpBuilder &b, Location loc, Value x, Value scale,
                     AffineMap scaleMap, double constScale, double zero,
                     int64_t qmin, int64_t qmax, Type storage);

/// qc.dynamic_quantize: max|x| per row (or over the tensor), the scale
/// max / qmax (1 where the row is all zero), then the codes.
LogicalResult lowerDynamicQuantize(IRRewriter &b, DynamicQuantizeOp op);

} // namespace mlir::qc

#endif // QUANTC_PASSES_ACTIVATIONCODES_H
