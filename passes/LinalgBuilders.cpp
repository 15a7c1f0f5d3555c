//===- LinalgBuilders.cpp - small builders shared by qc lowerings ---------===//

#include "passes/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

OpFoldResult qc::sizeOf(OpBuilder &b, Location loc, Value v, int64_t d) {
  auto type = cast<RankedTensorType>(v.getType());
  if (!type.isDynamicDim(d))
    return b.getIndexAttr(type.getDimSize(d));
  return tensor::DimOp::create(b, loc, v, d).getResult();
}

Value qc::emptyShapedLike(OpBuilder &b, Location loc, Value v,
                          Type elementType) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<Value> dynamic;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      dynamic.push_back(tensor::DimOp::create(b, loc, v, d));
  return tensor::EmptyOp::create(b, loc, type.getShape(), elementType, dynamic);
}

Value qc::zeroFilled(OpBuilder &b, Location loc, Value empty) {
  Type elem = cast<RankedTensorType>(empty.getType()).getElementType();
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(elem));
  return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
}

SmallVector<utils::IteratorType> qc::iterators(unsigned parallel,
                                               unsigned reduction) {
  SmallVector<utils::IteratorType> it(parallel, utils::IteratorType::parallel);
  it.append(reduction, utils::IteratorType::reduction);
  return it;
}

FailureOr<linalg::GenericOp> qc::reorderLoops(RewriterBase &rewriter,
                                              linalg::LinalgOp op,
                                              ArrayRef<unsigned> order,
                                              bool *notGeneralizable) {
  if (notGeneralizable)
    *notGeneralizable = false;
  rewriter.setInsertionPoint(op);
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic) {
    FailureOr<linalg::GenericOp> g = linalg::generalizeNamedOp(rewriter, op);
    if (failed(g)) {
      if (notGeneralizable)
        *notGeneralizable = true;
      return failure();
    }
    generic = *g;
  }
  FailureOr<linalg::GenericOp> result =
      linalg::interchangeGenericOp(rewriter, generic, order);
  if (failed(result))
    generic.emitOpError("cannot interchange its loops");
  return result;
}

/// [[0, ..., rank-2], [rank-1]].
static SmallVector<ReassociationIndices> rowsReassociation(int64_t rank) {
  SmallVector<ReassociationIndices> reassoc(2);
  for (int64_t i = 0; i < rank - 1; ++i)
    reassoc[0].push_back(i);
  reassoc[1].push_back(rank - 1);
  return reassoc;
}

Value qc::collapseToRows(OpBuilder &b, Location loc, Value v) {
  int64_t rank = cast<RankedTensorType>(v.getType()).getRank();
  if (rank == 2)
    return v;
  return tensor::CollapseShapeOp::create(b, loc, v, rowsReassociation(rank));
}

Value qc::expandRows(OpBuilder &b, Location loc, Value rows2d, Value like,
                     RankedTensorType resultType) {
  int64_t rank = resultType.getRank();
  if (rank == 2)
    return rows2d;
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < rank - 1; ++d)
    sizes.push_back(sizeOf(b, loc, like, d));
  sizes.push_back(sizeOf(b, loc, rows2d, 1));
  return tensor::ExpandShapeOp::create(b, loc, resultType, rows2d,
                                       rowsReassociation(rank), sizes);
}

Value qc::buildConvolution(OpBuilder &b, Location loc, Value input,
                           Value weight, Value bias,
                           RankedTensorType resultType,
                           const ConvGeometry &geometry, ValueRange perChannel,
                           ConvUpdate update) {
  MLIRContext *ctx = b.getContext();
  auto inputType = cast<RankedTensorType>(input.getType());
  auto weightType = cast<RankedTensorType>(weight.getType());
  Type elem = resultType.getElementType();
  int64_t rank = inputType.getRank(), k = rank - 2;
  int64_t group = geometry.group;
  int64_t outChannels = weightType.getDimSize(0);
  int64_t groupChannels = weightType.getDimSize(1);

  // Zero padding as its own op; the window then reads in bounds.
  ArrayRef<int64_t> pads = geometry.pads;
  if (llvm::any_of(pads, [](int64_t p) { return p != 0; })) {
    SmallVector<OpFoldResult> low(rank, b.getIndexAttr(0));
    SmallVector<OpFoldResult> high(low);
    SmallVector<int64_t> shape(inputType.getShape());
    for (int64_t i = 0; i < k; ++i) {
      low[2 + i] = b.getIndexAttr(pads[i]);
      high[2 + i] = b.getIndexAttr(pads[k + i]);
      if (!ShapedType::isDynamic(shape[2 + i]))
        shape[2 + i] += pads[i] + pads[k + i];
    }
    Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(elem));
    input = tensor::PadOp::create(b, loc, RankedTensorType::get(shape, elem),
                                  input, low, high, zero);
  }

  // Loops: (n, m, o_1..o_k, c, w_1..w_k).
  unsigned numLoops = 2 + 2 * k + 1;
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  ArrayRef<int64_t> strides = geometry.strides, dilations = geometry.dilations;
  AffineExpr channel = d(2 + k);
  if (group > 1)
    channel = d(1).floorDiv(outChannels / group) * groupChannels + channel;
  SmallVector<AffineExpr> inExprs{d(0), channel};
  SmallVector<AffineExpr> wExprs{d(1), d(2 + k)};
  SmallVector<AffineExpr> outExprs{d(0), d(1)};
  for (int64_t i = 0; i < k; ++i) {
    AffineExpr o = d(2 + i), w = d(3 + k + i);
    inExprs.push_back(o * strides[i] + w * dilations[i]);
    wExprs.push_back(w);
    outExprs.push_back(o);
  }
  SmallVector<AffineMap> maps{AffineMap::get(numLoops, 0, inExprs, ctx),
                              AffineMap::get(numLoops, 0, wExprs, ctx),
                              AffineMap::get(numLoops, 0, outExprs, ctx)};

  // Output sizes: batch from the input, channels from the weight, spatial
  // sizes from the padded input and the dilated window.
  SmallVector<Value> dynamic;
  for (int64_t i = 0; i < rank; ++i) {
    if (!resultType.isDynamicDim(i))
      continue;
    if (i == 0) {
      dynamic.push_back(tensor::DimOp::create(b, loc, input, 0));
    } else if (i == 1) {
      dynamic.push_back(tensor::DimOp::create(b, loc, weight, 0));
    } else {
      auto idx = [&](OpFoldResult f) {
        return getValueOrCreateConstantIndexOp(b, loc, f);
      };
      auto cst = [&](int64_t v) {
        return arith::ConstantIndexOp::create(b, loc, v).getResult();
      };
      Value size = idx(sizeOf(b, loc, input, i));
      Value window = idx(sizeOf(b, loc, weight, i));
      // floor((D - dilation * (K - 1) - 1) / stride) + 1 on the padded D.
      Value span = arith::AddIOp::create(
          b, loc,
          arith::MulIOp::create(b, loc, cst(dilations[i - 2]),
                                arith::SubIOp::create(b, loc, window, cst(1))),
          cst(1));
      Value out = arith::DivSIOp::create(
          b, loc, arith::SubIOp::create(b, loc, size, span),
          cst(strides[i - 2]));
      dynamic.push_back(arith::AddIOp::create(b, loc, out, cst(1)));
    }
  }
  Value empty =
      tensor::EmptyOp::create(b, loc, resultType.getShape(), elem, dynamic);
  Value init;
  if (bias) {
    AffineMap biasMap = AffineMap::get(rank, 0, {d(1)}, ctx);
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    init = linalg::GenericOp::create(
               b, loc, resultType, ValueRange{bias}, ValueRange{empty},
               ArrayRef<AffineMap>{biasMap, id}, iterators(rank, 0),
               [](OpBuilder &nb, Location l, ValueRange a) {
                 linalg::YieldOp::create(nb, l, a[0]);
               })
               .getResult(0);
  } else {
    init = zeroFilled(b, loc, empty);
  }
  SmallVector<Value> inputs = {input, weight};
  AffineMap channelMap = AffineMap::get(numLoops, 0, {d(1)}, ctx);
  for (Value v : perChannel) {
    inputs.push_back(v);
    maps.insert(maps.end() - 1, channelMap);
  }
  return linalg::GenericOp::create(
             b, loc, init.getType(), inputs, ValueRange{init}, maps,
             iterators(2 + k, 1 + k),
             [&](OpBuilder &nb, Location l, ValueRange a) {
               Value acc = a.back();
               Value next = update
                                ? update(nb, l, a.drop_back(), acc)
                                : arith::AddFOp::create(
                                      nb, l, acc,
                                      arith::MulFOp::create(nb, l, a[0], a[1]))
                                      .getResult();
               linalg::YieldOp::create(nb, l, next);
             })
      .getResult(0);
}
