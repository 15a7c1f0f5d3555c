//===- Builders.h - linalg/tensor building blocks for the importer -*- C++
//-*-===//
//
// The shapes ONNX ops share: NumPy-broadcast elementwise maps, reductions
// over a set of axes, reshapes and transposes, and scalar conversions that
// honour ONNX's unsigned integers. Dynamic sizes travel as OpFoldResults:
// an attribute when known at import time, an `index` value otherwise.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_FRONTENDS_ONNX_BUILDERS_H
#define QUANTC_FRONTENDS_ONNX_BUILDERS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"

#include <string>

namespace mlir::qc::onnx {

/// Size of dimension `d` of a ranked tensor: static or a `tensor.dim`.
OpFoldResult dimOf(OpBuilder &b, Location loc, Value tensor, int64_t d);
SmallVector<OpFoldResult> dimsOf(OpBuilder &b, Location loc, Value tensor);
/// The constant of an OpFoldResult, if it has one.
std::optional<int64_t> constantOf(OpFoldResult ofr);
/// An `index` value for an OpFoldResult.
Value indexValue(OpBuilder &b, Location loc, OpFoldResult ofr);
/// Static shape for a list of sizes (dynamic where not constant).
SmallVector<int64_t> staticShape(ArrayRef<OpFoldResult> sizes);
/// `tensor.empty` of the given sizes.
Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                  Type elementType);
/// `tensor.empty` + `linalg.fill` with a scalar.
Value filledTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                   Value scalar);

/// A scalar constant of an int, index or float type.
Value scalarConstant(OpBuilder &b, Location loc, Type type, double value);
/// A scalar of `type` holding a size: a constant when the size is known.
Value sizeScalar(OpBuilder &b, Location loc, OpFoldResult size, Type type);
/// How reductions and variadic ops combine two elements.
enum class Combine { Add, Mul, Max, Min };
/// `x op y` with the float, signed or unsigned arith op the type calls for
/// (float max/min propagate NaN, as ONNX's do).
Value combineScalars(OpBuilder &b, Location loc, Combine op, Value x, Value y,
                     bool isUnsigned = false);
/// The identity of `op` for `type`: 0, 1, the lowest or the highest value.
Value combineIdentity(OpBuilder &b, Location loc, Combine op, Type type,
                      bool isUnsigned = false);

/// Converts a scalar between int/float types with ONNX Cast semantics
/// (float→int truncates toward zero; bool is `x != 0`).
Value convertScalar(OpBuilder &b, Location loc, Value v, Type to,
                    bool srcUnsigned, bool dstUnsigned);
/// Converts every element of a tensor (a no-op when the type is unchanged).
Value convertTensor(OpBuilder &b, Location loc, Value v, Type to,
                    bool srcUnsigned, bool dstUnsigned);

using BodyBuilder =
    function_ref<Value(OpBuilder &b, Location loc, ValueRange args)>;

/// Result shape of NumPy broadcasting of `inputs`; sets `error` and returns
/// failure when static sizes conflict.
FailureOr<SmallVector<OpFoldResult>> broadcastShape(OpBuilder &b, Location loc,
                                                    ValueRange inputs,
                                                    std::string &error);

/// A `linalg.generic` computing `body(inputs...)` elementwise with NumPy
/// broadcasting. The result has element type `resultType`.
FailureOr<Value> buildElementwise(OpBuilder &b, Location loc, ValueRange inputs,
                                  Type resultType, BodyBuilder body,
                                  std::string &error);
/// Same, onto an explicit result shape (inputs broadcast to it).
Value buildElementwiseTo(OpBuilder &b, Location loc, ValueRange inputs,
                         ArrayRef<OpFoldResult> shape, Type resultType,
                         BodyBuilder body);

/// Reduces `input` over `axes` (normalized, sorted, unique) starting from
/// `init`, combining with `body(element, accumulator)`. With `keepDims` the
/// reduced dimensions stay as size 1.
Value buildReduction(OpBuilder &b, Location loc, Value input,
                     ArrayRef<int64_t> axes, bool keepDims, Value init,
                     BodyBuilder body);

/// Reshape to `sizes`, which must have the same element count.
Value buildReshape(OpBuilder &b, Location loc, Value input,
                   ArrayRef<OpFoldResult> sizes);
/// Inserts size-1 dimensions at `axes` of the result (sorted, normalized).
Value buildUnsqueeze(OpBuilder &b, Location loc, Value input,
                     ArrayRef<int64_t> axes);
/// Removes the size-1 dimensions at `axes` (sorted, normalized).
Value buildSqueeze(OpBuilder &b, Location loc, Value input,
                   ArrayRef<int64_t> axes);
/// `linalg.transpose` with ONNX's permutation convention.
Value buildTranspose(OpBuilder &b, Location loc, Value input,
                     ArrayRef<int64_t> perm);
/// Materializes a list of index sizes as a 1-D tensor of `elementType`.
Value buildShapeTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> elems,
                       Type elementType);

/// `values[i]` for a run-time index `i` (a select chain; ranks are small),
/// `fallback` when `i` is out of range.
Value selectByIndex(OpBuilder &b, Location loc, Value index,
                    ArrayRef<OpFoldResult> values, OpFoldResult fallback);
/// True (i1) where a run-time axis list contains `d`.
Value hasAxis(OpBuilder &b, Location loc, ArrayRef<Value> axes, int64_t d);
/// The sizes left when the run-time `axes` are removed from `dims`; the
/// result has `outRank` entries.
SmallVector<OpFoldResult> squeezedSizes(OpBuilder &b, Location loc,
                                        ArrayRef<OpFoldResult> dims,
                                        ArrayRef<Value> axes, int64_t outRank);

/// One dimension of a strided read: `size` elements from `offset`, `step`
/// apart (negative steps read backwards).
struct SliceDim {
  OpFoldResult offset, size;
  int64_t step;
};
/// Reads `input` along every dimension as `dims` say: a plain extract_slice
/// for positive steps, a gather for negative ones, an empty tensor when
/// nothing is read.
Value buildStridedSlice(OpBuilder &b, Location loc, Value input,
                        ArrayRef<SliceDim> dims);

using IndexedBody = function_ref<Value(OpBuilder &, Location, ArrayRef<Value>)>;
/// A linalg.generic over `outSizes` whose body computes each element from
/// `inputs` (read through `inputMaps`) followed by the iteration indices.
Value buildIndexed(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> outSizes,
                   Type elementType, IndexedBody body, ValueRange inputs = {},
                   ArrayRef<AffineMap> inputMaps = {});

/// An index read from an ONNX index tensor element: negative values wrap,
/// and out-of-range ones (undefined in ONNX) clamp so reads stay inside.
Value wrapIndex(OpBuilder &b, Location loc, Value raw, OpFoldResult dim);

/// The spatial axes [2, rank) of a channels-first tensor.
SmallVector<int64_t> spatialAxes(int64_t rank);

/// Normalizes an axis in [-rank, rank) to [0, rank); failure if out of range.
FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank);

} // namespace mlir::qc::onnx

#endif // QUANTC_FRONTENDS_ONNX_BUILDERS_H

namespace mlir::qc::onnx {
/// Index arithmetic on OpFoldResults that folds when both sides are known.
OpFoldResult addIndex(OpBuilder &b, Location loc, OpFoldResult x,
                      OpFoldResult y);
OpFoldResult subIndex(OpBuilder &b, Location loc, OpFoldResult x,
                      OpFoldResult y);
OpFoldResult mulIndex(OpBuilder &b, Location loc, OpFoldResult x,
                      OpFoldResult y);
/// Signed division rounding toward zero (`ceil` rounds up for positives).
OpFoldResult divIndex(OpBuilder &b, Location loc, OpFoldResult x,
                      OpFoldResult y, bool ceil = false);
OpFoldResult minIndex(OpBuilder &b, Location loc, OpFoldResult x,
                      OpFoldResult y);
OpFoldResult maxIndex(OpBuilder &b, Location loc, OpFoldResult x,
                      OpFoldResult y);
/// `value` as an int64, saturating (NaN: 0): a double outside the range
/// converts with undefined behaviour, and files may hold any value
/// (ignore_index, Resize scales, ConstantOfShape values).
int64_t saturatingInt64(double value);
/// Product of sizes.
OpFoldResult productOf(OpBuilder &b, Location loc,
                       ArrayRef<OpFoldResult> sizes);
} // namespace mlir::qc::onnx
