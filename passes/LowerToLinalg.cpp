//===- LowerToLinalg.cpp - qc float graph ops to linalg -------------------===//
//
// Rewrites qc.matmul, qc.gemm, qc.conv, qc.layer_norm and qc.rms_norm into
// destination-style linalg on tensors. Broadcasting follows NumPy: operands
// align on their trailing dimensions and a static size-1 dimension that
// meets a larger one reads index 0; two dynamic sizes are taken to be equal,
// as the importer does.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "passes/LinalgBuilders.h"

#include "dialects/qc/IR/QcOps.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::qc {
#define GEN_PASS_DEF_LOWERTOLINALG
#include "passes/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// A map from `numLoops` loop dimensions to an operand of `operandType` that
/// is broadcast against the loops listed in `loopDims` (aligned on the right:
/// the operand's last dimension reads `loopDims.back()`). A static size-1
/// dimension facing a loop of another size reads index 0.
AffineMap broadcastMap(MLIRContext *ctx, unsigned numLoops,
                       RankedTensorType operandType,
                       ArrayRef<unsigned> loopDims,
                       ArrayRef<int64_t> loopSizes) {
  int64_t rank = operandType.getRank();
  int64_t skip = static_cast<int64_t>(loopDims.size()) - rank;
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < rank; ++i) {
    unsigned loop = loopDims[skip + i];
    if (operandType.getDimSize(i) == 1 && loopSizes[loop] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(loop, ctx));
  }
  return AffineMap::get(numLoops, 0, exprs, ctx);
}

/// `tensor.empty` of `type`, taking each dynamic size from the first operand
/// in `sources` whose aligned dimension is not a broadcast size 1.
Value emptyLike(OpBuilder &b, Location loc, RankedTensorType type,
                ArrayRef<Value> sources) {
  SmallVector<Value> dynamic;
  int64_t rank = type.getRank();
  for (int64_t d = 0; d < rank; ++d) {
    if (!type.isDynamicDim(d))
      continue;
    Value size;
    for (Value s : sources) {
      auto st = cast<RankedTensorType>(s.getType());
      int64_t sd = d - (rank - st.getRank());
      if (sd < 0 || st.getDimSize(sd) == 1)
        continue;
      size = tensor::DimOp::create(b, loc, s, sd);
      break;
    }
    if (!size) // every source broadcasts here: the size is 1
      size = arith::ConstantIndexOp::create(b, loc, 1);
    dynamic.push_back(size);
  }
  return tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType(),
                                 dynamic);
}

/// `(d0, ..., d[numLoops-1]) -> (d0, ..., d[n-1])`; unlike
/// AffineMap::getMajorSubMap it is also valid for n = 0.
AffineMap leadingDims(MLIRContext *ctx, unsigned numLoops, unsigned n) {
  SmallVector<AffineExpr> exprs;
  for (unsigned i = 0; i < n; ++i)
    exprs.push_back(getAffineDimExpr(i, ctx));
  return AffineMap::get(numLoops, 0, exprs, ctx);
}

/// Appends to `init` the multiply-accumulate `init += a * b` over the given
/// maps, as one linalg.generic.
Value contract(OpBuilder &b, Location loc, Value lhs, Value rhs, Value init,
               ArrayRef<AffineMap> maps, unsigned parallel,
               unsigned reduction) {
  auto op = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{lhs, rhs}, ValueRange{init}, maps,
      iterators(parallel, reduction),
      [](OpBuilder &nb, Location l, ValueRange a) {
        Value p = arith::MulFOp::create(nb, l, a[0], a[1]);
        linalg::YieldOp::create(nb, l,
                                Value(arith::AddFOp::create(nb, l, a[2], p)));
      });
  return op.getResult(0);
}

//===----------------------------------------------------------------------===//
// qc.matmul
//===----------------------------------------------------------------------===//

struct LowerMatmul : OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    auto lhsType = cast<RankedTensorType>(lhs.getType());
    auto rhsType = cast<RankedTensorType>(rhs.getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    if (rhsType.getRank() == 2 && lhsType.getRank() >= 2) {
      rewriter.replaceOp(op, weightMatmul(rewriter, loc, lhs, rhs, resultType));
      return success();
    }

    // General case: loops (batch..., m, n, k).
    MLIRContext *ctx = getContext();
    unsigned rank = resultType.getRank();
    unsigned numLoops = rank + 1;
    SmallVector<int64_t> loopSizes(resultType.getShape());
    loopSizes.push_back(lhsType.getShape().back());
    SmallVector<unsigned> batchLoops;
    for (unsigned i = 0; i + 2 < rank; ++i)
      batchLoops.push_back(i);
    auto operandMap = [&](RankedTensorType t, unsigned row, unsigned col) {
      SmallVector<unsigned> dims(batchLoops);
      dims.push_back(row);
      dims.push_back(col);
      return broadcastMap(ctx, numLoops, t, dims, loopSizes);
    };
    AffineMap lhsMap = operandMap(lhsType, rank - 2, rank);
    AffineMap rhsMap = operandMap(rhsType, rank, rank - 1);
    AffineMap outMap = leadingDims(ctx, numLoops, rank);

    // Batch sizes come from whichever operand does not broadcast; m from
    // lhs, n from rhs.
    SmallVector<Value> dynamic;
    for (unsigned d = 0; d < rank; ++d) {
      if (!resultType.isDynamicDim(d))
        continue;
      auto pick = [&](Value v, int64_t dim) {
        return tensor::DimOp::create(rewriter, loc, v, dim).getResult();
      };
      int64_t lr = lhsType.getRank(), rr = rhsType.getRank();
      if (d == rank - 2) {
        dynamic.push_back(pick(lhs, lr - 2));
      } else if (d == rank - 1) {
        dynamic.push_back(pick(rhs, rr - 1));
      } else {
        int64_t ld = d - (rank - lr), rd = d - (rank - rr);
        if (ld >= 0 && lhsType.getDimSize(ld) != 1)
          dynamic.push_back(pick(lhs, ld));
        else
          dynamic.push_back(pick(rhs, rd));
      }
    }
    Value init = zeroFilled(
        rewriter, loc,
        tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                resultType.getElementType(), dynamic));
    rewriter.replaceOp(op, contract(rewriter, loc, lhs, rhs, init,
                                    {lhsMap, rhsMap, outMap}, rank, 1));
    return success();
  }

  /// `[..., m, k] x [k, n]`: the leading dimensions fold into the rows of one
  /// linalg.matmul, the shape every backend tiles best.
  static Value weightMatmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
                            RankedTensorType resultType) {
    Value rows2d = collapseToRows(b, loc, lhs);
    auto rowsType = cast<RankedTensorType>(rows2d.getType());
    auto outType = RankedTensorType::get(
        {rowsType.getDimSize(0), resultType.getShape().back()},
        resultType.getElementType());
    // Rows from the activation, columns from the weight (emptyLike aligns
    // trailing dimensions, which would take N from the activation's K).
    SmallVector<Value> dynamic;
    if (outType.isDynamicDim(0))
      dynamic.push_back(tensor::DimOp::create(b, loc, rows2d, 0));
    if (outType.isDynamicDim(1))
      dynamic.push_back(tensor::DimOp::create(b, loc, rhs, 1));
    Value init =
        zeroFilled(b, loc,
                   tensor::EmptyOp::create(b, loc, outType.getShape(),
                                           outType.getElementType(), dynamic));
    Value product = linalg::MatmulOp::create(b, loc, ValueRange{rows2d, rhs},
                                             ValueRange{init})
                        .getResult(0);
    return expandRows(b, loc, product, lhs, resultType);
  }
};

//===----------------------------------------------------------------------===//
// qc.gemm
//===----------------------------------------------------------------------===//

struct LowerGemm : OpConversionPattern<GemmOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(GemmOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    auto resultType = cast<RankedTensorType>(op.getType());
    Type elem = resultType.getElementType();
    Value a = adaptor.getA(), b = adaptor.getB();
    AffineExpr m, n, k;
    bindDims(ctx, m, n, k);
    auto map = [&](AffineExpr r, AffineExpr c) {
      return AffineMap::get(3, 0, {r, c}, ctx);
    };
    AffineMap aMap = op.getTransA() ? map(k, m) : map(m, k);
    AffineMap bMap = op.getTransB() ? map(n, k) : map(k, n);
    SmallVector<Value> dynamic;
    if (resultType.isDynamicDim(0))
      dynamic.push_back(
          tensor::DimOp::create(rewriter, loc, a, op.getTransA() ? 1 : 0));
    if (resultType.isDynamicDim(1))
      dynamic.push_back(
          tensor::DimOp::create(rewriter, loc, b, op.getTransB() ? 0 : 1));
    Value empty = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                          elem, dynamic);
    Value ab = contract(rewriter, loc, a, b, zeroFilled(rewriter, loc, empty),
                        {aMap, bMap, map(m, n)}, 2, 1);

    double alpha = op.getAlpha().convertToDouble();
    double beta = op.getBeta().convertToDouble();
    Value c = adaptor.getC();
    if (alpha == 1.0 && !c) {
      rewriter.replaceOp(op, ab);
      return success();
    }
    // result = alpha * ab (+ beta * c), c broadcast to [m, n].
    SmallVector<Value> ins{ab};
    AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
    SmallVector<AffineMap> maps{id};
    if (c) {
      ins.push_back(c);
      maps.push_back(broadcastMap(ctx, 2, cast<RankedTensorType>(c.getType()),
                                  {0, 1}, resultType.getShape()));
    }
    maps.push_back(id);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, resultType, ins, ValueRange{empty}, maps,
        iterators(2, 0), [&](OpBuilder &nb, Location l, ValueRange args) {
          auto constant = [&](double v) {
            return arith::ConstantOp::create(nb, l, nb.getFloatAttr(elem, v))
                .getResult();
          };
          Value r = args[0];
          if (alpha != 1.0)
            r = arith::MulFOp::create(nb, l, r, constant(alpha));
          if (c) {
            Value bc = args[1];
            if (beta != 1.0)
              bc = arith::MulFOp::create(nb, l, bc, constant(beta));
            r = arith::AddFOp::create(nb, l, r, bc);
          }
          linalg::YieldOp::create(nb, l, r);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// qc.conv
//===----------------------------------------------------------------------===//

struct LowerConv : OpConversionPattern<ConvOp> {
  using OpConversionPattern::OpConversionPattern;

  /// The one convolution this lowering cannot express: a grouped one whose
  /// channel counts are only known at run time (the channel map needs them).
  static LogicalResult checkLowerable(ConvOp op, bool report = false) {
    auto weightType = cast<RankedTensorType>(op.getWeight().getType());
    if (op.getGroup() > 1 &&
        (weightType.isDynamicDim(0) || weightType.isDynamicDim(1))) {
      if (report)
        op.emitOpError(
            "grouped convolution needs static weight channel counts");
      return failure();
    }
    return success();
  }

  LogicalResult
  matchAndRewrite(ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(checkLowerable(op)))
      return rewriter.notifyMatchFailure(op, "dynamic grouped channels");
    ConvGeometry geometry{op.getStrides(), op.getPads(), op.getDilations(),
                          static_cast<int64_t>(op.getGroup())};
    rewriter.replaceOp(
        op, buildConvolution(rewriter, op.getLoc(), adaptor.getInput(),
                             adaptor.getWeight(), adaptor.getBias(),
                             cast<RankedTensorType>(op.getType()), geometry,
                             /*perChannel=*/{}, /*update=*/nullptr));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// qc.layer_norm and qc.rms_norm
//===----------------------------------------------------------------------===//

/// Shared by both norms: the loops are the input's dimensions; `axis` splits
/// them into kept rows and normalized columns.
struct NormLowering {
  OpBuilder &b;
  Location loc;
  Value input;
  RankedTensorType type;
  int64_t axis;

  Type elem() const { return type.getElementType(); }
  int64_t rank() const { return type.getRank(); }

  /// `sum over columns of f(x, extra...)`, one value per row.
  Value rowSum(ArrayRef<Value> extra,
               function_ref<Value(OpBuilder &, Location, ValueRange)> f) {
    MLIRContext *ctx = b.getContext();
    SmallVector<int64_t> rowShape(type.getShape().take_front(axis));
    auto rowType = RankedTensorType::get(rowShape, elem());
    SmallVector<Value> dynamic;
    for (int64_t i = 0; i < axis; ++i)
      if (type.isDynamicDim(i))
        dynamic.push_back(tensor::DimOp::create(b, loc, input, i));
    Value init = zeroFilled(
        b, loc, tensor::EmptyOp::create(b, loc, rowShape, elem(), dynamic));
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank(), ctx);
    AffineMap rowMap = leadingDims(ctx, rank(), axis);
    SmallVector<Value> ins{input};
    ins.append(extra.begin(), extra.end());
    SmallVector<AffineMap> maps{id};
    maps.append(extra.size(), rowMap);
    maps.push_back(rowMap);
    return linalg::GenericOp::create(
               b, loc, rowType, ins, ValueRange{init}, maps,
               iterators(axis, rank() - axis),
               [&](OpBuilder &nb, Location l, ValueRange a) {
                 Value v = f(nb, l, a.drop_back());
                 linalg::YieldOp::create(
                     nb, l, Value(arith::AddFOp::create(nb, l, a.back(), v)));
               })
        .getResult(0);
  }

  /// The number of normalized elements per row, as a float.
  Value columnCount() {
    Value count = arith::ConstantIndexOp::create(b, loc, 1);
    for (int64_t i = axis; i < rank(); ++i)
      count = arith::MulIOp::create(
          b, loc, count,
          getValueOrCreateConstantIndexOp(b, loc, sizeOf(b, loc, input, i)));
    Value asInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), count);
    return arith::SIToFPOp::create(b, loc, elem(), asInt);
  }

  /// The map of a per-column parameter (scale, bias) aligned on the right.
  AffineMap paramMap(Value param) {
    SmallVector<unsigned> dims;
    for (int64_t i = axis; i < rank(); ++i)
      dims.push_back(i);
    SmallVector<int64_t> sizes(type.getShape());
    return broadcastMap(b.getContext(), rank(),
                        cast<RankedTensorType>(param.getType()), dims, sizes);
  }

  /// One elementwise pass over the input: `f(x, row values..., params...)`.
  Value elementwise(ArrayRef<Value> rows, ArrayRef<Value> params,
                    function_ref<Value(OpBuilder &, Location, ValueRange)> f) {
    MLIRContext *ctx = b.getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank(), ctx);
    SmallVector<Value> ins{input};
    SmallVector<AffineMap> maps{id};
    for (Value r : rows) {
      ins.push_back(r);
      maps.push_back(leadingDims(ctx, rank(), axis));
    }
    for (Value p : params) {
      ins.push_back(p);
      maps.push_back(paramMap(p));
    }
    maps.push_back(id);
    Value empty = emptyLike(b, loc, type, {input});
    return linalg::GenericOp::create(
               b, loc, type, ins, ValueRange{empty}, maps, iterators(rank(), 0),
               [&](OpBuilder &nb, Location l, ValueRange a) {
                 linalg::YieldOp::create(nb, l, f(nb, l, a.drop_back()));
               })
        .getResult(0);
  }

  /// Row values `g(sum) ` computed elementwise on a rows tensor.
  Value mapRows(Value rows,
                function_ref<Value(OpBuilder &, Location, Value)> g) {
    auto rowType = cast<RankedTensorType>(rows.getType());
    AffineMap id = AffineMap::getMultiDimIdentityMap(axis, b.getContext());
    Value empty = emptyLike(b, loc, rowType, {rows});
    return linalg::GenericOp::create(
               b, loc, rowType, ValueRange{rows}, ValueRange{empty},
               ArrayRef<AffineMap>{id, id}, iterators(axis, 0),
               [&](OpBuilder &nb, Location l, ValueRange a) {
                 linalg::YieldOp::create(nb, l, g(nb, l, a[0]));
               })
        .getResult(0);
  }

  /// `rsqrt(sum / count + epsilon)` per row.
  Value invRms(Value sums, Value count, double epsilon) {
    return mapRows(sums, [&](OpBuilder &nb, Location l, Value s) {
      Value eps =
          arith::ConstantOp::create(nb, l, nb.getFloatAttr(elem(), epsilon));
      Value mean = arith::DivFOp::create(nb, l, s, count);
      return math::RsqrtOp::create(nb, l,
                                   arith::AddFOp::create(nb, l, mean, eps))
          .getResult();
    });
  }
};

int64_t normalizedAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

struct LowerLayerNorm : OpConversionPattern<LayerNormOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LayerNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    NormLowering n{rewriter, op.getLoc(), adaptor.getInput(), type,
                   normalizedAxis(op.getAxis(), type.getRank())};
    Value count = n.columnCount();
    Value sums =
        n.rowSum({}, [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    Value means = n.mapRows(sums, [&](OpBuilder &nb, Location l, Value s) {
      return arith::DivFOp::create(nb, l, s, count).getResult();
    });
    Value squares =
        n.rowSum({means}, [](OpBuilder &nb, Location l, ValueRange a) {
          Value c = arith::SubFOp::create(nb, l, a[0], a[1]);
          return arith::MulFOp::create(nb, l, c, c).getResult();
        });
    Value inv = n.invRms(squares, count, op.getEpsilon().convertToDouble());
    SmallVector<Value> params{adaptor.getScale()};
    Value bias = adaptor.getBias();
    if (bias)
      params.push_back(bias);
    rewriter.replaceOp(
        op, n.elementwise({means, inv}, params,
                          [&](OpBuilder &nb, Location l, ValueRange a) {
                            Value c = arith::SubFOp::create(nb, l, a[0], a[1]);
                            Value y = arith::MulFOp::create(
                                nb, l, arith::MulFOp::create(nb, l, c, a[2]),
                                a[3]);
                            if (bias)
                              y = arith::AddFOp::create(nb, l, y, a[4]);
                            return y;
                          }));
    return success();
  }
};

struct LowerRmsNorm : OpConversionPattern<RmsNormOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(RmsNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    NormLowering n{rewriter, op.getLoc(), adaptor.getInput(), type,
                   normalizedAxis(op.getAxis(), type.getRank())};
    Value count = n.columnCount();
    Value squares = n.rowSum({}, [](OpBuilder &nb, Location l, ValueRange a) {
      return arith::MulFOp::create(nb, l, a[0], a[0]).getResult();
    });
    Value inv = n.invRms(squares, count, op.getEpsilon().convertToDouble());
    rewriter.replaceOp(
        op, n.elementwise(
                {inv}, {adaptor.getScale()},
                [](OpBuilder &nb, Location l, ValueRange a) {
                  Value y = arith::MulFOp::create(nb, l, a[0], a[1]);
                  return arith::MulFOp::create(nb, l, y, a[2]).getResult();
                }));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

struct LowerToLinalg : qc::impl::LowerToLinalgBase<LowerToLinalg> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    // Report what no pattern can lower with its own message, up front.
    WalkResult unsupported = getOperation().walk([](ConvOp op) {
      return failed(LowerConv::checkLowerable(op, /*report=*/true))
                 ? WalkResult::interrupt()
                 : WalkResult::advance();
    });
    if (unsupported.wasInterrupted())
      return signalPassFailure();
    ConversionTarget target(*ctx);
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, tensor::TensorDialect>();
    target.addIllegalOp<MatmulOp, GemmOp, ConvOp, LayerNormOp, RmsNormOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(ctx);
    patterns
        .add<LowerMatmul, LowerGemm, LowerConv, LowerLayerNorm, LowerRmsNorm>(
            ctx);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
