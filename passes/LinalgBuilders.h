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
#include "mlir/IR/PatternMatch.h"

namespace mlir::qc {

/// The size of dimension `d` of `v`, static or read with tensor.dim.
OpFoldResult sizeOf(OpBuilder &b, Location loc, Value v, int64_t d);

/// `tensor.empty` with `v`'s shape (dynamic sizes read from `v`) and
/// `elementType`.
Value emptyShapedLike(OpBuilder &b, Location loc, Value v, Type elementType);

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

/// Generalizes `op` if it is a named op and interchanges its loops to
/// `order` (loop `order[i]` becomes loop i). A named op without a region
/// builder is left as it is: failure with `*notGeneralizable` set (when
/// given); a failed interchange is reported as an error on the op.
FailureOr<linalg::GenericOp> reorderLoops(RewriterBase &rewriter,
                                          linalg::LinalgOp op,
                                          ArrayRef<unsigned> order,
                                          bool *notGeneralizable = nullptr);

/// Convolution attributes (ONNX Conv): pads are [begin..., end...].
struct ConvGeometry {
  ArrayRef<int64_t> strides, pads, dilations;
  int64_t group = 1;
};

/// Adds one step of a convolution's accumulation: `args` are the input
/// element, the weight element, then one element of each `perChannel`
/// operand; returns the new accumulator.
using ConvUpdate =
    function_ref<Value(OpBuilder &, Location, ValueRange args, Value acc)>;

/// A channels-first N-d convolution of `input` [n, c, d...] with `weight`
/// [m, c / group, k...]: zero padding as tensor.pad, then one
/// linalg.generic over (n, m, o..., c, w...) whose input map carries
/// strides, dilations and the group's channel offset; the bias (or zero)
/// seeds the accumulator. `perChannel` operands ([m]) are read at the output
/// channel; `update` defaults to acc + x * w.
Value buildConvolution(OpBuilder &b, Location loc, Value input, Value weight,
                       Value bias, RankedTensorType resultType,
                       const ConvGeometry &geometry, ValueRange perChannel,
                       ConvUpdate update);

} // namespace mlir::qc

#endif // QUANTC_PASSES_LINALGBUILDERS_H
