//===- ActivationCodes.cpp - int8 codes of activations --------------------===//

#include "passes/ActivationCodes.h"

#include "passes/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::qc;

/// clamp(round-half-even(x / s) + z, qmin, qmax) as `storage`; NaN gives z.
Value quantizeScalar(OpBuilder &b, Location loc, Value x, Value s, double z,
                     int64_t qmin, int64_t qmax, Type storage) {
  Type f = x.getType();
  auto c = [&](double v) {
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(f, v)).getResult();
  };
  Value v =
      math::RoundEvenOp::create(b, loc, arith::DivFOp::create(b, loc, x, s));
  v = arith::AddFOp::create(b, loc, v, c(z));
  v = arith::MaximumFOp::create(b, loc, v, c(qmin));
  v = arith::MinimumFOp::create(b, loc, v, c(qmax));
  Value nan = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
  v = arith::SelectOp::create(b, loc, nan, c(z), v);
  return arith::FPToSIOp::create(b, loc, storage, v);
}

/// Elementwise over `x` (any rank), with `scaleMap` reading `scale` (or a
/// constant scale when `scale` is null).
Value qc::quantizeTensor(OpBuilder &b, Location loc, Value x, Value scale,
                         AffineMap scaleMap, double constScale, double zero,
                         int64_t qmin, int64_t qmax, Type storage) {
  auto type = cast<RankedTensorType>(x.getType());
  MLIRContext *ctx = b.getContext();
  unsigned rank = type.getRank();
  auto resultType = RankedTensorType::get(type.getShape(), storage);
  Value init = emptyShapedLike(b, loc, x, storage);
  SmallVector<Value> inputs = {x};
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  SmallVector<AffineMap> maps = {id};
  if (scale) {
    inputs.push_back(scale);
    maps.push_back(scaleMap);
  }
  maps.push_back(id);
  return linalg::GenericOp::create(
             b, loc, resultType, inputs, ValueRange{init}, maps,
             iterators(rank, 0),
             [&](OpBuilder &nb, Location l, ValueRange a) {
               Value s =
                   scale
                       ? a[1]
                       : arith::ConstantOp::create(
                             nb, l, nb.getFloatAttr(a[0].getType(), constScale))
                             .getResult();
               linalg::YieldOp::create(
                   nb, l,
                   quantizeScalar(nb, l, a[0], s, zero, qmin, qmax, storage));
             })
      .getResult(0);
}

/// qc.dynamic_quantize: max|x| per row (or over the tensor), the scale
/// max / qmax (1 where the row is all zero), then the codes.
LogicalResult qc::lowerDynamicQuantize(IRRewriter &b, DynamicQuantizeOp op) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  b.setInsertionPoint(op);
  Value x = op.getInput();
  auto type = cast<RankedTensorType>(x.getType());
  auto f = cast<FloatType>(type.getElementType());
  unsigned rank = type.getRank();
  bool perToken = op.getGranularity() == Granularity::PerToken;
  if (!perToken && op.getGranularity() != Granularity::PerTensor)
    return op.emitOpError("lowering supports per_token and per_tensor only");
  unsigned kept = perToken ? rank - 1 : 0;
  SmallVector<int64_t> maxShape(type.getShape().take_front(kept));
  SmallVector<Value> dynamic;
  for (unsigned d = 0; d < kept; ++d)
    if (type.isDynamicDim(d))
      dynamic.push_back(tensor::DimOp::create(b, loc, x, d));
  Value init =
      zeroFilled(b, loc, tensor::EmptyOp::create(b, loc, maxShape, f, dynamic));
  SmallVector<AffineExpr> keptDims;
  for (unsigned d = 0; d < kept; ++d)
    keptDims.push_back(getAffineDimExpr(d, ctx));
  AffineMap keptMap = AffineMap::get(rank, 0, keptDims, ctx);
  Value absMax = linalg::GenericOp::create(
                     b, loc, init.getType(), ValueRange{x}, ValueRange{init},
                     {AffineMap::getMultiDimIdentityMap(rank, ctx), keptMap},
                     iterators(kept, rank - kept),
                     [&](OpBuilder &nb, Location l, ValueRange a) {
                       Value m = arith::MaximumFOp::create(
                           nb, l, a[1], math::AbsFOp::create(nb, l, a[0]));
                       linalg::YieldOp::create(nb, l, m);
                     })
                     .getResult(0);
  int64_t qmax = (int64_t(1) << (op.getBits() - 1)) - 1;
  AffineMap elementwise = AffineMap::getMultiDimIdentityMap(kept, ctx);
  Value scaleInit =
      tensor::EmptyOp::create(b, loc, maxShape, f, dynamic).getResult();
  Value scale =
      linalg::GenericOp::create(
          b, loc, scaleInit.getType(), ValueRange{absMax},
          ValueRange{scaleInit}, {elementwise, elementwise}, iterators(kept, 0),
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value zero =
                arith::ConstantOp::create(nb, l, nb.getFloatAttr(f, 0.0));
            Value one =
                arith::ConstantOp::create(nb, l, nb.getFloatAttr(f, 1.0));
            Value s = arith::DivFOp::create(
                nb, l, a[0],
                arith::ConstantOp::create(nb, l, nb.getFloatAttr(f, qmax)));
            Value isZero = arith::CmpFOp::create(
                nb, l, arith::CmpFPredicate::OEQ, s, zero);
            linalg::YieldOp::create(
                nb, l, Value(arith::SelectOp::create(nb, l, isZero, one, s)));
          })
          .getResult(0);
  Type storage = cast<RankedTensorType>(op.getQ().getType()).getElementType();
  Value q = quantizeTensor(b, loc, x, scale, keptMap, 0.0, 0.0, -qmax - 1, qmax,
                           storage);
  Value scaleOut = scale;
  auto scaleType = cast<RankedTensorType>(op.getScale().getType());
  if (scaleType != scale.getType()) {
    SmallVector<ReassociationIndices> reassoc;
    for (unsigned d = 0; d < kept; ++d)
      reassoc.push_back({d});
    if (reassoc.empty())
      scaleOut = tensor::ExpandShapeOp::create(
          b, loc, scaleType, scale, ArrayRef<ReassociationIndices>{});
    else {
      reassoc.back().push_back(kept);
      SmallVector<OpFoldResult> sizes;
      for (unsigned d = 0; d < kept; ++d)
        sizes.push_back(sizeOf(b, loc, x, d));
      sizes.push_back(b.getIndexAttr(1));
      scaleOut = tensor::ExpandShapeOp::create(b, loc, scaleType, scale,
                                               reassoc, sizes);
    }
  }
  b.replaceOp(op, {q, scaleOut});
  return success();
}
