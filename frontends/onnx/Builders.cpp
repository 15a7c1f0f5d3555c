//===- Builders.cpp - linalg/tensor building blocks for the importer ------===//

#include "frontends/onnx/Builders.h"

#include "dialects/qc/IR/QcOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/AffineMap.h"

#include <cmath>
#include <functional>

using namespace mlir;
using namespace mlir::qc::onnx;

OpFoldResult mlir::qc::onnx::dimOf(OpBuilder &b, Location loc, Value tensor,
                                   int64_t d) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (!type.isDynamicDim(d))
    return b.getIndexAttr(type.getDimSize(d));
  return tensor::DimOp::create(b, loc, tensor, d).getResult();
}

SmallVector<OpFoldResult> mlir::qc::onnx::dimsOf(OpBuilder &b, Location loc,
                                                 Value tensor) {
  SmallVector<OpFoldResult> dims;
  for (int64_t d = 0, e = cast<RankedTensorType>(tensor.getType()).getRank();
       d < e; ++d)
    dims.push_back(dimOf(b, loc, tensor, d));
  return dims;
}

std::optional<int64_t> mlir::qc::onnx::constantOf(OpFoldResult ofr) {
  return getConstantIntValue(ofr);
}

Value mlir::qc::onnx::indexValue(OpBuilder &b, Location loc, OpFoldResult ofr) {
  if (auto v = dyn_cast<Value>(ofr)) {
    if (v.getType().isIndex())
      return v;
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
  }
  return arith::ConstantIndexOp::create(b, loc, *getConstantIntValue(ofr));
}

SmallVector<int64_t> mlir::qc::onnx::staticShape(ArrayRef<OpFoldResult> sizes) {
  SmallVector<int64_t> shape;
  for (OpFoldResult s : sizes)
    shape.push_back(constantOf(s).value_or(ShapedType::kDynamic));
  return shape;
}

Value mlir::qc::onnx::emptyTensor(OpBuilder &b, Location loc,
                                  ArrayRef<OpFoldResult> sizes,
                                  Type elementType) {
  return tensor::EmptyOp::create(b, loc, sizes, elementType);
}

Value mlir::qc::onnx::filledTensor(OpBuilder &b, Location loc,
                                   ArrayRef<OpFoldResult> sizes, Value scalar) {
  Value empty = emptyTensor(b, loc, sizes, scalar.getType());
  return linalg::FillOp::create(b, loc, scalar, empty).getResult(0);
}

int64_t mlir::qc::onnx::saturatingInt64(double value) {
  if (!(value == value))
    return 0;
  if (value >= 9223372036854775808.0)
    return INT64_MAX;
  if (value <= -9223372036854775808.0)
    return INT64_MIN;
  return static_cast<int64_t>(value);
}

Value mlir::qc::onnx::scalarConstant(OpBuilder &b, Location loc, Type type,
                                     double value) {
  if (type.isIndex())
    return arith::ConstantIndexOp::create(b, loc, saturatingInt64(value));
  if (auto it = dyn_cast<IntegerType>(type)) {
    if (it.getWidth() == 1)
      return arith::ConstantOp::create(b, loc,
                                       b.getIntegerAttr(it, value != 0));
    return arith::ConstantOp::create(
        b, loc,
        b.getIntegerAttr(it, APInt(it.getWidth(), saturatingInt64(value),
                                   /*isSigned=*/true, /*implicitTrunc=*/true)));
  }
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

Value mlir::qc::onnx::combineScalars(OpBuilder &b, Location loc, Combine op,
                                     Value x, Value y, bool isUnsigned) {
  bool isFloat = isa<FloatType>(x.getType());
  switch (op) {
  case Combine::Add:
    return isFloat ? arith::AddFOp::create(b, loc, x, y).getResult()
                   : arith::AddIOp::create(b, loc, x, y).getResult();
  case Combine::Mul:
    return isFloat ? arith::MulFOp::create(b, loc, x, y).getResult()
                   : arith::MulIOp::create(b, loc, x, y).getResult();
  case Combine::Max:
    return isFloat      ? arith::MaximumFOp::create(b, loc, x, y).getResult()
           : isUnsigned ? arith::MaxUIOp::create(b, loc, x, y).getResult()
                        : arith::MaxSIOp::create(b, loc, x, y).getResult();
  case Combine::Min:
    return isFloat      ? arith::MinimumFOp::create(b, loc, x, y).getResult()
           : isUnsigned ? arith::MinUIOp::create(b, loc, x, y).getResult()
                        : arith::MinSIOp::create(b, loc, x, y).getResult();
  }
  llvm_unreachable("covered switch");
}

Value mlir::qc::onnx::combineIdentity(OpBuilder &b, Location loc, Combine op,
                                      Type type, bool isUnsigned) {
  if (op == Combine::Add || op == Combine::Mul)
    return scalarConstant(b, loc, type, op == Combine::Add ? 0 : 1);
  bool lowest = op == Combine::Max;
  if (isa<FloatType>(type))
    return scalarConstant(b, loc, type, lowest ? -INFINITY : INFINITY);
  unsigned w = type.getIntOrFloatBitWidth();
  APInt v = isUnsigned
                ? (lowest ? APInt::getMinValue(w) : APInt::getMaxValue(w))
                : (lowest ? APInt::getSignedMinValue(w)
                          : APInt::getSignedMaxValue(w));
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, v));
}

Value mlir::qc::onnx::sizeScalar(OpBuilder &b, Location loc, OpFoldResult size,
                                 Type type) {
  if (auto c = constantOf(size))
    return scalarConstant(b, loc, type, *c);
  return convertScalar(b, loc, indexValue(b, loc, size), type, false, false);
}

Value mlir::qc::onnx::convertScalar(OpBuilder &b, Location loc, Value v,
                                    Type to, bool srcUnsigned,
                                    bool dstUnsigned) {
  Type from = v.getType();
  if (from == to)
    return v;
  if (from.isIndex() || to.isIndex()) {
    if (isa<FloatType>(to)) {
      Value i = arith::IndexCastOp::create(b, loc, b.getI64Type(), v);
      return arith::SIToFPOp::create(b, loc, to, i);
    }
    if (isa<FloatType>(from)) {
      Value i = arith::FPToSIOp::create(b, loc, b.getI64Type(), v);
      return arith::IndexCastOp::create(b, loc, to, i);
    }
    if (srcUnsigned)
      return arith::IndexCastUIOp::create(b, loc, to, v);
    return arith::IndexCastOp::create(b, loc, to, v);
  }
  auto fromInt = dyn_cast<IntegerType>(from);
  auto toInt = dyn_cast<IntegerType>(to);
  if (toInt && toInt.getWidth() == 1) {
    Value zero = scalarConstant(b, loc, from, 0);
    if (fromInt)
      return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v, zero);
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v, zero);
  }
  if (fromInt && fromInt.getWidth() == 1)
    srcUnsigned = true;
  if (fromInt && toInt) {
    if (toInt.getWidth() < fromInt.getWidth())
      return arith::TruncIOp::create(b, loc, to, v);
    if (srcUnsigned)
      return arith::ExtUIOp::create(b, loc, to, v);
    return arith::ExtSIOp::create(b, loc, to, v);
  }
  if (fromInt) {
    if (srcUnsigned)
      return arith::UIToFPOp::create(b, loc, to, v);
    return arith::SIToFPOp::create(b, loc, to, v);
  }
  if (toInt) {
    if (dstUnsigned)
      return arith::FPToUIOp::create(b, loc, to, v);
    return arith::FPToSIOp::create(b, loc, to, v);
  }
  auto fromF = cast<FloatType>(from), toF = cast<FloatType>(to);
  if (toF.getWidth() > fromF.getWidth())
    return arith::ExtFOp::create(b, loc, to, v);
  return arith::TruncFOp::create(b, loc, to, v);
}

Value mlir::qc::onnx::convertTensor(OpBuilder &b, Location loc, Value v,
                                    Type to, bool srcUnsigned,
                                    bool dstUnsigned) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getElementType() == to)
    return v;
  return buildElementwiseTo(b, loc, {v}, dimsOf(b, loc, v), to,
                            [&](OpBuilder &nb, Location l, ValueRange args) {
                              return convertScalar(nb, l, args[0], to,
                                                   srcUnsigned, dstUnsigned);
                            });
}

FailureOr<SmallVector<OpFoldResult>>
mlir::qc::onnx::broadcastShape(OpBuilder &b, Location loc, ValueRange inputs,
                               std::string &error) {
  int64_t rank = 0;
  for (Value v : inputs)
    rank = std::max(rank, cast<RankedTensorType>(v.getType()).getRank());
  SmallVector<OpFoldResult> shape;
  for (int64_t j = 0; j < rank; ++j) {
    std::optional<int64_t> known;
    Value dynamicFrom;
    int64_t dynamicDim = 0;
    for (Value v : inputs) {
      auto t = cast<RankedTensorType>(v.getType());
      int64_t i = j - (rank - t.getRank());
      if (i < 0)
        continue;
      int64_t d = t.getDimSize(i);
      if (ShapedType::isDynamic(d)) {
        if (!dynamicFrom) {
          dynamicFrom = v;
          dynamicDim = i;
        }
        continue;
      }
      if (d == 1)
        continue;
      if (known && *known != d) {
        error = "shapes do not broadcast: dimension " + std::to_string(j) +
                " has sizes " + std::to_string(*known) + " and " +
                std::to_string(d);
        return failure();
      }
      known = d;
    }
    if (known)
      shape.push_back(b.getIndexAttr(*known));
    else if (dynamicFrom)
      shape.push_back(
          tensor::DimOp::create(b, loc, dynamicFrom, dynamicDim).getResult());
    else
      shape.push_back(b.getIndexAttr(1));
    // A dynamic size is indexed like the result's dimension j (it is not
    // broadcast from 1): it must equal the result's size at run time,
    // which the compiled code checks before indexing with it.
    for (Value v : inputs) {
      auto t = cast<RankedTensorType>(v.getType());
      int64_t i = j - (rank - t.getRank());
      if (i < 0 || !t.isDynamicDim(i) || (v == dynamicFrom && i == dynamicDim))
        continue;
      Value size = tensor::DimOp::create(b, loc, v, i);
      qc::AssumeEqualOp::create(
          b, loc, size, getValueOrCreateConstantIndexOp(b, loc, shape[j]),
          b.getStringAttr("broadcast dimension " + std::to_string(j)));
    }
  }
  return shape;
}

Value mlir::qc::onnx::buildElementwiseTo(OpBuilder &b, Location loc,
                                         ValueRange inputs,
                                         ArrayRef<OpFoldResult> shape,
                                         Type resultType, BodyBuilder body) {
  int64_t rank = shape.size();
  SmallVector<int64_t> outShape = staticShape(shape);
  SmallVector<AffineMap> maps;
  for (Value v : inputs) {
    auto t = cast<RankedTensorType>(v.getType());
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i < t.getRank(); ++i) {
      int64_t j = i + rank - t.getRank();
      if (t.getDimSize(i) == 1 && outShape[j] != 1)
        exprs.push_back(b.getAffineConstantExpr(0));
      else
        exprs.push_back(b.getAffineDimExpr(j));
    }
    maps.push_back(AffineMap::get(rank, 0, exprs, b.getContext()));
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  Value init = emptyTensor(b, loc, shape, resultType);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), inputs, init, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value r = body(nb, l, args.drop_back());
        linalg::YieldOp::create(nb, l, r);
      });
  return generic.getResult(0);
}

FailureOr<Value> mlir::qc::onnx::buildElementwise(OpBuilder &b, Location loc,
                                                  ValueRange inputs,
                                                  Type resultType,
                                                  BodyBuilder body,
                                                  std::string &error) {
  auto shape = broadcastShape(b, loc, inputs, error);
  if (failed(shape))
    return failure();
  return buildElementwiseTo(b, loc, inputs, *shape, resultType, body);
}

Value mlir::qc::onnx::buildReduction(OpBuilder &b, Location loc, Value input,
                                     ArrayRef<int64_t> axes, bool keepDims,
                                     Value init, BodyBuilder body) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  llvm::SmallDenseSet<int64_t> reduced(axes.begin(), axes.end());
  SmallVector<OpFoldResult> outSizes;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    if (reduced.contains(d)) {
      iterators.push_back(utils::IteratorType::reduction);
      continue;
    }
    iterators.push_back(utils::IteratorType::parallel);
    outSizes.push_back(dimOf(b, loc, input, d));
    outExprs.push_back(b.getAffineDimExpr(d));
  }
  Value acc = filledTensor(b, loc, outSizes, init);
  SmallVector<AffineMap> maps = {
      b.getMultiDimIdentityMap(rank),
      AffineMap::get(rank, 0, outExprs, b.getContext())};
  Value result = linalg::GenericOp::create(
                     b, loc, acc.getType(), input, acc, maps, iterators,
                     [&](OpBuilder &nb, Location l, ValueRange args) {
                       linalg::YieldOp::create(nb, l, body(nb, l, args));
                     })
                     .getResult(0);
  if (!keepDims)
    return result;
  SmallVector<int64_t> keep;
  for (int64_t d = 0; d < rank; ++d)
    if (!reduced.contains(d))
      keep.push_back(d);
  SmallVector<int64_t> unitAxes(axes.begin(), axes.end());
  llvm::sort(unitAxes);
  return buildUnsqueeze(b, loc, result, unitAxes);
}

SmallVector<int64_t> mlir::qc::onnx::spatialAxes(int64_t rank) {
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  return axes;
}

FailureOr<int64_t> mlir::qc::onnx::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return failure();
  return axis < 0 ? axis + rank : axis;
}

/// Reassociation that maps the lower-rank shape onto the higher-rank one by
/// attaching each unit dimension `units` of the higher rank to a neighbour.
static SmallVector<ReassociationIndices>
unitReassociation(int64_t highRank, ArrayRef<int64_t> units) {
  SmallVector<ReassociationIndices> groups;
  llvm::SmallDenseSet<int64_t> unitSet(units.begin(), units.end());
  ReassociationIndices pending;
  for (int64_t d = 0; d < highRank; ++d) {
    pending.push_back(d);
    if (!unitSet.contains(d)) {
      groups.push_back(pending);
      pending.clear();
    }
  }
  if (!pending.empty() && !groups.empty())
    groups.back().append(pending.begin(), pending.end());
  return groups;
}

Value mlir::qc::onnx::buildUnsqueeze(OpBuilder &b, Location loc, Value input,
                                     ArrayRef<int64_t> axes) {
  if (axes.empty())
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  int64_t outRank = type.getRank() + axes.size();
  llvm::SmallDenseSet<int64_t> unitSet(axes.begin(), axes.end());
  SmallVector<OpFoldResult> sizes;
  int64_t src = 0;
  for (int64_t d = 0; d < outRank; ++d) {
    if (unitSet.contains(d))
      sizes.push_back(b.getIndexAttr(1));
    else
      sizes.push_back(dimOf(b, loc, input, src++));
  }
  auto resultType =
      RankedTensorType::get(staticShape(sizes), type.getElementType());
  return tensor::ExpandShapeOp::create(b, loc, resultType, input,
                                       unitReassociation(outRank, axes), sizes);
}

Value mlir::qc::onnx::buildSqueeze(OpBuilder &b, Location loc, Value input,
                                   ArrayRef<int64_t> axes) {
  if (axes.empty())
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  // A squeezed size known only at run time must be 1 (ONNX); checked there,
  // and cast to 1 so that the collapse groups it with a static neighbour.
  SmallVector<int64_t> unitShape(type.getShape());
  for (int64_t a : axes) {
    if (!type.isDynamicDim(a))
      continue;
    qc::AssumeEqualOp::create(
        b, loc, tensor::DimOp::create(b, loc, input, a),
        arith::ConstantIndexOp::create(b, loc, 1),
        b.getStringAttr("Squeeze dimension " + std::to_string(a)));
    unitShape[a] = 1;
  }
  if (unitShape != type.getShape()) {
    type = type.clone(unitShape);
    input = tensor::CastOp::create(b, loc, type, input);
  }
  llvm::SmallDenseSet<int64_t> unitSet(axes.begin(), axes.end());
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (!unitSet.contains(d))
      shape.push_back(type.getDimSize(d));
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  return tensor::CollapseShapeOp::create(
      b, loc, resultType, input, unitReassociation(type.getRank(), axes));
}

Value mlir::qc::onnx::buildShapeTensor(OpBuilder &b, Location loc,
                                       ArrayRef<OpFoldResult> elems,
                                       Type elementType) {
  auto type =
      RankedTensorType::get({static_cast<int64_t>(elems.size())}, elementType);
  if (llvm::all_of(elems, [](OpFoldResult e) { return constantOf(e); })) {
    SmallVector<APInt> values;
    unsigned width =
        elementType.isIndex() ? 64 : elementType.getIntOrFloatBitWidth();
    for (OpFoldResult e : elems)
      values.push_back(APInt(width, *constantOf(e), /*isSigned=*/true,
                             /*implicitTrunc=*/true));
    return arith::ConstantOp::create(b, loc,
                                     DenseElementsAttr::get(type, values));
  }
  SmallVector<Value> values;
  for (OpFoldResult e : elems) {
    if (auto c = constantOf(e))
      values.push_back(scalarConstant(b, loc, elementType, *c));
    else
      values.push_back(convertScalar(b, loc, indexValue(b, loc, e), elementType,
                                     false, false));
  }
  return tensor::FromElementsOp::create(b, loc, type, values);
}

Value mlir::qc::onnx::buildReshape(OpBuilder &b, Location loc, Value input,
                                   ArrayRef<OpFoldResult> sizes) {
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape = staticShape(sizes);
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  if (resultType == type && !resultType.getNumDynamicDims())
    return input;
  // A reshape that only splits or merges dimensions is expand_shape or
  // collapse_shape, which fusion sees through. Dynamic sizes are only trusted
  // where a dimension passes through unchanged (the same size value on both
  // sides): otherwise the grouping the static types suggest may be wrong.
  int64_t srcRank = type.getRank(), dstRank = resultType.getRank();
  if (srcRank != dstRank) {
    if (auto groups = getReassociationIndicesForReshape(type, resultType)) {
      SmallVector<OpFoldResult> srcDims = dimsOf(b, loc, input);
      bool collapse = srcRank > dstRank;
      auto same = [](OpFoldResult x, OpFoldResult y) {
        auto cx = constantOf(x), cy = constantOf(y);
        if (cx || cy)
          return cx && cy && *cx == *cy;
        Value vx = cast<Value>(x), vy = cast<Value>(y);
        if (vx == vy)
          return true;
        // Two tensor.dim ops reading the same dimension of the same tensor.
        auto dx = vx.getDefiningOp<tensor::DimOp>();
        auto dy = vy.getDefiningOp<tensor::DimOp>();
        return dx && dy && dx.getSource() == dy.getSource() &&
               dx.getConstantIndex() &&
               dx.getConstantIndex() == dy.getConstantIndex();
      };
      bool trusted = llvm::all_of(llvm::enumerate(*groups), [&](auto group) {
        ArrayRef<int64_t> many = group.value();
        int64_t one = group.index();
        auto manySize = [&](int64_t i) {
          return collapse ? srcDims[i] : sizes[i];
        };
        OpFoldResult oneSize = collapse ? sizes[one] : srcDims[one];
        bool dynamic =
            !constantOf(oneSize) || llvm::any_of(many, [&](int64_t i) {
              return !constantOf(manySize(i));
            });
        return !dynamic ||
               (many.size() == 1 && same(manySize(many[0]), oneSize));
      });
      if (trusted) {
        if (collapse)
          return tensor::CollapseShapeOp::create(b, loc, resultType, input,
                                                 *groups);
        return tensor::ExpandShapeOp::create(b, loc, resultType, input, *groups,
                                             sizes);
      }
    }
  }
  Value shapeTensor = buildShapeTensor(b, loc, sizes, b.getIndexType());
  return tensor::ReshapeOp::create(b, loc, resultType, input, shapeTensor);
}

Value mlir::qc::onnx::buildTranspose(OpBuilder &b, Location loc, Value input,
                                     ArrayRef<int64_t> perm) {
  // An identity permutation (every one of a rank-0 tensor, which
  // linalg.transpose cannot take: a fuzzed model crashed it) moves nothing.
  if (llvm::all_of(llvm::enumerate(perm),
                   [](auto p) { return p.value() == int64_t(p.index()); }))
    return input;
  SmallVector<OpFoldResult> dims = dimsOf(b, loc, input), outDims;
  for (int64_t p : perm)
    outDims.push_back(dims[p]);
  Value init =
      emptyTensor(b, loc, outDims,
                  cast<RankedTensorType>(input.getType()).getElementType());
  return linalg::TransposeOp::create(b, loc, input, init, perm).getResult()[0];
}

/// Folds as arith's index ops compute: two's complement, wrapping (sizes
/// from a hostile file may overflow; the verifier refuses what results).
static int64_t wrapping(int64_t p, int64_t q,
                        std::function<uint64_t(uint64_t, uint64_t)> op) {
  return static_cast<int64_t>(
      op(static_cast<uint64_t>(p), static_cast<uint64_t>(q)));
}

template <typename OpTy, typename Fold>
static OpFoldResult indexBinary(OpBuilder &b, Location loc, OpFoldResult x,
                                OpFoldResult y, Fold fold) {
  auto cx = constantOf(x), cy = constantOf(y);
  if (cx && cy)
    return b.getIndexAttr(fold(*cx, *cy));
  return OpTy::create(b, loc, indexValue(b, loc, x), indexValue(b, loc, y))
      .getResult();
}

OpFoldResult mlir::qc::onnx::addIndex(OpBuilder &b, Location loc,
                                      OpFoldResult x, OpFoldResult y) {
  if (constantOf(y) == 0)
    return x;
  if (constantOf(x) == 0)
    return y;
  return indexBinary<arith::AddIOp>(b, loc, x, y, [](int64_t p, int64_t q) {
    return wrapping(p, q, std::plus<uint64_t>());
  });
}

OpFoldResult mlir::qc::onnx::subIndex(OpBuilder &b, Location loc,
                                      OpFoldResult x, OpFoldResult y) {
  if (constantOf(y) == 0)
    return x;
  return indexBinary<arith::SubIOp>(b, loc, x, y, [](int64_t p, int64_t q) {
    return wrapping(p, q, std::minus<uint64_t>());
  });
}

OpFoldResult mlir::qc::onnx::mulIndex(OpBuilder &b, Location loc,
                                      OpFoldResult x, OpFoldResult y) {
  if (constantOf(y) == 1)
    return x;
  if (constantOf(x) == 1)
    return y;
  return indexBinary<arith::MulIOp>(b, loc, x, y, [](int64_t p, int64_t q) {
    return wrapping(p, q, std::multiplies<uint64_t>());
  });
}

OpFoldResult mlir::qc::onnx::divIndex(OpBuilder &b, Location loc,
                                      OpFoldResult x, OpFoldResult y,
                                      bool ceil) {
  if (constantOf(y) == 1)
    return x;
  if (ceil)
    return indexBinary<arith::CeilDivSIOp>(
        b, loc, x, y, [](int64_t p, int64_t q) {
          if (q == 0 || (q == -1 && p == INT64_MIN))
            return int64_t(0); // undefined at run time too: sizes from it
                               // are refused or checked later
          return p / q + ((p % q != 0) && ((p < 0) == (q < 0)));
        });
  return indexBinary<arith::DivSIOp>(b, loc, x, y, [](int64_t p, int64_t q) {
    return q == 0 || (q == -1 && p == INT64_MIN) ? int64_t(0) : p / q;
  });
}

OpFoldResult mlir::qc::onnx::minIndex(OpBuilder &b, Location loc,
                                      OpFoldResult x, OpFoldResult y) {
  return indexBinary<arith::MinSIOp>(
      b, loc, x, y, [](int64_t p, int64_t q) { return std::min(p, q); });
}

OpFoldResult mlir::qc::onnx::maxIndex(OpBuilder &b, Location loc,
                                      OpFoldResult x, OpFoldResult y) {
  return indexBinary<arith::MaxSIOp>(
      b, loc, x, y, [](int64_t p, int64_t q) { return std::max(p, q); });
}

OpFoldResult mlir::qc::onnx::productOf(OpBuilder &b, Location loc,
                                       ArrayRef<OpFoldResult> sizes) {
  OpFoldResult p = b.getIndexAttr(1);
  for (OpFoldResult s : sizes)
    p = mulIndex(b, loc, p, s);
  return p;
}

Value mlir::qc::onnx::selectByIndex(OpBuilder &b, Location loc, Value index,
                                    ArrayRef<OpFoldResult> values,
                                    OpFoldResult fallback) {
  Value result = indexValue(b, loc, fallback);
  for (auto [i, v] : llvm::enumerate(values)) {
    Value is = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, index,
                                     arith::ConstantIndexOp::create(b, loc, i));
    result = arith::SelectOp::create(b, loc, is, indexValue(b, loc, v), result);
  }
  return result;
}

Value mlir::qc::onnx::hasAxis(OpBuilder &b, Location loc, ArrayRef<Value> axes,
                              int64_t d) {
  Value found = arith::ConstantIntOp::create(b, loc, b.getI1Type(), 0);
  Value dv = arith::ConstantIndexOp::create(b, loc, d);
  for (Value a : axes)
    found = arith::OrIOp::create(
        b, loc, found,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, a, dv));
  return found;
}

SmallVector<OpFoldResult>
mlir::qc::onnx::squeezedSizes(OpBuilder &b, Location loc,
                              ArrayRef<OpFoldResult> dims, ArrayRef<Value> axes,
                              int64_t outRank) {
  // Output j is the j-th input dimension that is not an axis.
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value yes = arith::ConstantIntOp::create(b, loc, b.getI1Type(), 1);
  SmallVector<Value> keep, pos;
  Value count = zero;
  for (int64_t d = 0, e = dims.size(); d < e; ++d) {
    Value k = arith::XOrIOp::create(b, loc, hasAxis(b, loc, axes, d), yes);
    keep.push_back(k);
    pos.push_back(count);
    count = arith::AddIOp::create(
        b, loc, count, arith::SelectOp::create(b, loc, k, one, zero));
  }
  SmallVector<OpFoldResult> out;
  for (int64_t j = 0; j < outRank; ++j) {
    Value size = one;
    Value jv = arith::ConstantIndexOp::create(b, loc, j);
    for (int64_t d = 0, e = dims.size(); d < e; ++d) {
      Value here = arith::AndIOp::create(
          b, loc, keep[d],
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, pos[d], jv));
      size = arith::SelectOp::create(b, loc, here, indexValue(b, loc, dims[d]),
                                     size);
    }
    out.push_back(size);
  }
  return out;
}

Value mlir::qc::onnx::buildStridedSlice(OpBuilder &b, Location loc, Value input,
                                        ArrayRef<SliceDim> dims) {
  SmallVector<OpFoldResult> offsets, sizes, strides;
  bool negative = false;
  for (const SliceDim &d : dims) {
    offsets.push_back(d.offset);
    sizes.push_back(d.size);
    strides.push_back(b.getIndexAttr(d.step));
    negative |= d.step < 0;
  }
  auto type = cast<RankedTensorType>(input.getType());
  // Empty results read nothing (and an offset into an empty dimension would
  // not verify).
  if (llvm::any_of(sizes, [](OpFoldResult s) { return constantOf(s) == 0; }) ||
      llvm::any_of(type.getShape(), [](int64_t d) { return d == 0; }))
    return emptyTensor(b, loc, sizes, type.getElementType());
  if (!negative)
    return tensor::ExtractSliceOp::create(b, loc, input, offsets, sizes,
                                          strides);
  Value init = emptyTensor(b, loc, sizes, type.getElementType());
  SmallVector<utils::IteratorType> iterators(dims.size(),
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{}, init,
             SmallVector<AffineMap>{b.getMultiDimIdentityMap(dims.size())},
             iterators,
             [&](OpBuilder &nb, Location l, ValueRange) {
               SmallVector<Value> idx;
               for (auto [i, d] : llvm::enumerate(dims)) {
                 Value iv = linalg::IndexOp::create(nb, l, i);
                 Value scaled = arith::MulIOp::create(
                     nb, l, iv, arith::ConstantIndexOp::create(nb, l, d.step));
                 idx.push_back(arith::AddIOp::create(
                     nb, l, indexValue(nb, l, d.offset), scaled));
               }
               linalg::YieldOp::create(
                   nb, l,
                   tensor::ExtractOp::create(nb, l, input, idx).getResult());
             })
      .getResult(0);
}

Value mlir::qc::onnx::buildIndexed(OpBuilder &b, Location loc,
                                   ArrayRef<OpFoldResult> outSizes,
                                   Type elementType, IndexedBody body,
                                   ValueRange inputs,
                                   ArrayRef<AffineMap> inputMaps) {
  int64_t rank = outSizes.size();
  Value init = emptyTensor(b, loc, outSizes, elementType);
  SmallVector<AffineMap> maps(inputMaps.begin(), inputMaps.end());
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, init.getType(), inputs, init, maps, iterators,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               SmallVector<Value> idx;
               for (int64_t d = 0; d < rank; ++d)
                 idx.push_back(linalg::IndexOp::create(nb, l, d));
               SmallVector<Value> all(args.drop_back());
               all.append(idx.begin(), idx.end());
               linalg::YieldOp::create(nb, l, body(nb, l, all));
             })
      .getResult(0);
}

Value mlir::qc::onnx::wrapIndex(OpBuilder &b, Location l, Value raw,
                                OpFoldResult dim) {
  Value i = convertScalar(b, l, raw, b.getIndexType(), false, false);
  Value d = indexValue(b, l, dim);
  Value zero = arith::ConstantIndexOp::create(b, l, 0);
  Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero);
  Value wrapped = arith::AddIOp::create(b, l, i, d);
  Value r = arith::SelectOp::create(b, l, neg, wrapped, i);
  // Out-of-range indices are undefined in ONNX; clamp so reads stay inside.
  Value hi =
      arith::SubIOp::create(b, l, d, arith::ConstantIndexOp::create(b, l, 1));
  r = arith::MinSIOp::create(b, l, arith::MaxSIOp::create(b, l, r, zero), hi);
  return r;
}
