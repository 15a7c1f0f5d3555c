//===- LinalgBuilders.h - small builders shared by qc lowerings -*- C++ -*-===//
//
// Helpers that the lowerings of float and quantized qc ops to linalg both
// use: sizes, zero-filled accumulators, iterator lists, and folding the
// leading dimensions of a [..., K] operand into rows.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_LINALGBUILDERS_H
#define QUANTC_PASSES_LINALGBUILDERS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"

namespace mlir::qc {

/// The size of dimension `d` of `v`, static or read with tensor.dim.
OpFoldResult sizeOf(OpBuilder &b, Location loc, Value v, int64_t d);

/// `empty` filled with zeros of its element type.
Value zeroFilled(OpBuilder &b, Location loc, Value empty);

/// `parallel` parallel iterators followed by `reduction` reductions.
SmallVector<utils::IteratorType> iterators(unsigned parallel,
                                           unsigned reduction);

/// `[d0, ..., dn-1, K]` as `[d0 * ... * dn-1, K]` (unchanged when 2-D).
Value collapseToRows(OpBuilder &b, Location loc, Value v);

/// The inverse of collapseToRows for a product: `rows2d` is `[R, N]` and
/// the result takes `like`'s leading sizes and N.
Value expandRows(OpBuilder &b, Location loc, Value rows2d, Value like,
                 RankedTensorType resultType);

} // namespace mlir::qc

#endif // QUANTC_PASSES_LINALGBUILDERS_H
