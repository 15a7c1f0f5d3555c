//===- LowerQuantized.cpp - quantized qc ops to integer linalg ------------===//
//
// qc.quantized_matmul, qc.dynamic_quantize and quant.qcast of activations
// become linalg on tensors over integer storage; no float copy of a
// quantized weight is ever built.
//
// A b-bit weight is repacked for reading inside the kernel: the codes of one
// column and one group are cut along K into words of `bytes` bytes holding
// `perWord` codes (code j at bits [j*b, (j+1)*b), little-endian, as in
// passes/algorithms/Packing.h), and byte p of every word goes to plane p, a
// [groups, words, N] i8 constant. Every read of the kernel is then
// contiguous along N, the dimension the CPU backend vectorizes:
//
//   4 bits: 1 plane, 2 codes per byte     3 bits: 3 planes, 8 codes per word
//   2 bits: 1 plane, 4 codes per byte     8 bits: the codes themselves
//
// The activation is padded with zeros to match (the ragged last group and
// the word padding), so padded codes never contribute.
//
// Upstream's lower-quant-ops is not used for quant.qcast: it truncates
// (arith.fptosi) where quantc rounds half to even and saturates.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/qc/IR/QcOps.h"
#include "passes/ActivationCodes.h"
#include "passes/LinalgBuilders.h"
#include "passes/PackedWeights.h"
#include "passes/algorithms/Requantize.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/APFloat.h"

#include <numeric>

namespace mlir::qc {
#define GEN_PASS_DEF_LOWERQUANTIZED
#include "passes/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

/// `[R, K]` padded with zeros and reshaped to `[R, groups, words, perWord]`,
/// the shape the weight planes are read against.
Value shapeActivation(OpBuilder &b, Location loc, Value rows2d,
                      const PackedWeight &w) {
  auto type = cast<RankedTensorType>(rows2d.getType());
  Type elt = type.getElementType();
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(elt));
  int64_t r = type.getDimSize(0);
  auto pad = [&](Value v, ArrayRef<int64_t> shape) -> Value {
    auto vt = cast<RankedTensorType>(v.getType());
    if (vt.getShape() == shape)
      return v;
    SmallVector<OpFoldResult> low(shape.size(), b.getIndexAttr(0));
    SmallVector<OpFoldResult> high;
    for (auto [have, want] : llvm::zip(vt.getShape(), shape))
      high.push_back(
          b.getIndexAttr(ShapedType::isDynamic(want) ? 0 : want - have));
    return tensor::PadOp::create(b, loc, RankedTensorType::get(shape, elt), v,
                                 low, high, zero);
  };
  Value x = pad(rows2d, {r, w.groups * w.groupRows});
  OpFoldResult rows = sizeOf(b, loc, rows2d, 0);
  x = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get({r, w.groups, w.groupRows}, elt), x,
      {{0}, {1, 2}},
      {rows, b.getIndexAttr(w.groups), b.getIndexAttr(w.groupRows)});
  x = pad(x, {r, w.groups, w.paddedRows()});
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get({r, w.groups, w.words, w.perWord}, elt), x,
      {{0}, {1}, {2, 3}},
      {rows, b.getIndexAttr(w.groups), b.getIndexAttr(w.words),
       b.getIndexAttr(w.perWord)});
}

/// `q - zero` in i32 (`zero` is an i8 block argument or null).
Value subtractZero(OpBuilder &b, Location loc, Value q, Value zero) {
  if (!zero)
    return q;
  Value z = arith::ExtSIOp::create(b, loc, b.getI32Type(), zero);
  return arith::SubIOp::create(b, loc, q, z);
}

/// Code j (linalg.index `jDim`) of the word that `planes` (block arguments)
/// form, sign-extended to i32, minus the zero point when there is one.
Value unpackCode(OpBuilder &b, Location loc, ValueRange planes, Value zero,
                 const PackedWeight &w, unsigned jDim) {
  if (w.perWord == 1) {
    Value q = arith::ExtSIOp::create(b, loc, b.getI32Type(), planes[0]);
    return subtractZero(b, loc, q, zero);
  }
  unsigned width = w.bytes * 8 <= 32 ? 32 : 64;
  Type wordType = b.getIntegerType(width);
  Value word;
  for (auto [p, plane] : llvm::enumerate(planes)) {
    Value part = arith::ExtUIOp::create(b, loc, wordType, plane);
    if (p)
      part = arith::ShLIOp::create(
          b, loc, part,
          arith::ConstantOp::create(b, loc, b.getIntegerAttr(wordType, 8 * p)));
    word = word ? arith::OrIOp::create(b, loc, word, part).getResult() : part;
  }
  // (word << (width - b - j*b)) >> (width - b), arithmetic: the code's own
  // sign bit extends it.
  auto constant = [&](int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(wordType, v))
        .getResult();
  };
  Value j = arith::IndexCastOp::create(b, loc, wordType,
                                       linalg::IndexOp::create(b, loc, jDim));
  Value left =
      arith::SubIOp::create(b, loc, constant(width - w.bits),
                            arith::MulIOp::create(b, loc, j, constant(w.bits)));
  Value q =
      arith::ShRSIOp::create(b, loc, arith::ShLIOp::create(b, loc, word, left),
                             constant(width - w.bits));
  if (width != 32)
    q = arith::TruncIOp::create(b, loc, b.getI32Type(), q);
  return subtractZero(b, loc, q, zero);
}

/// Maps of the kernel loops (m, group, word, j, n) for the weight operands:
/// planes [group, word, n], then scales and zero points [group, n].
void weightMaps(MLIRContext *ctx, const PackedWeight &w,
                SmallVector<AffineMap> &maps, bool withScales) {
  AffineExpr g = getAffineDimExpr(1, ctx), wd = getAffineDimExpr(2, ctx),
             n = getAffineDimExpr(4, ctx);
  for (size_t i = 0; i < w.planes.size(); ++i)
    maps.push_back(AffineMap::get(5, 0, {g, wd, n}, ctx));
  if (withScales)
    maps.push_back(AffineMap::get(5, 0, {g, n}, ctx));
  if (w.zeroPoints)
    maps.push_back(AffineMap::get(5, 0, {g, n}, ctx));
}

/// Weight-only: out[m, n] += x[m, k] * s[g, n] * (q[k, n] - z[g, n]) in the
/// activation's float type, one pass over the packed weight. With a
/// `codebook` ([2^b] levels) the code indexes it instead:
/// out[m, n] += x[m, k] * s[g, n] * codebook[q[k, n] - qmin], a table
/// lookup inside the kernel (no float copy of the weight).
Value floatKernel(OpBuilder &b, Location loc, Value rows2d,
                  const PackedWeight &w, Value codebook = Value()) {
  MLIRContext *ctx = b.getContext();
  auto rowsType = cast<RankedTensorType>(rows2d.getType());
  Type f = rowsType.getElementType();
  Value x = shapeActivation(b, loc, rows2d, w);
  SmallVector<Value> inputs = {x};
  inputs.append(w.planes.begin(), w.planes.end());
  inputs.push_back(w.scales);
  if (w.zeroPoints)
    inputs.push_back(w.zeroPointValues);
  SmallVector<AffineMap> maps = {
      AffineMap::get(5, 0,
                     {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx),
                      getAffineDimExpr(2, ctx), getAffineDimExpr(3, ctx)},
                     ctx)};
  weightMaps(ctx, w, maps, /*withScales=*/true);
  maps.push_back(AffineMap::get(
      5, 0, {getAffineDimExpr(0, ctx), getAffineDimExpr(4, ctx)}, ctx));
  auto outType = RankedTensorType::get({rowsType.getDimSize(0), w.n}, f);
  SmallVector<Value> dynamic;
  if (outType.isDynamicDim(0))
    dynamic.push_back(tensor::DimOp::create(b, loc, rows2d, 0));
  Value init = zeroFilled(
      b, loc, tensor::EmptyOp::create(b, loc, outType.getShape(), f, dynamic));
  using IT = utils::IteratorType;
  SmallVector<IT> its = {IT::parallel, IT::reduction, IT::reduction,
                         IT::reduction, IT::parallel};
  size_t numPlanes = w.planes.size();
  bool hasZero = w.zeroPoints;
  auto generic = linalg::GenericOp::create(
      b, loc, outType, inputs, ValueRange{init}, maps, its,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        ValueRange planes = a.slice(1, numPlanes);
        Value scale = a[1 + numPlanes];
        Value zero = hasZero ? a[2 + numPlanes] : Value();
        Value q = unpackCode(nb, l, planes, zero, w, /*jDim=*/3);
        Value wq;
        if (codebook) {
          Value index = arith::AddIOp::create(
              nb, l, arith::IndexCastOp::create(nb, l, nb.getIndexType(), q),
              arith::ConstantIndexOp::create(nb, l,
                                             int64_t(1) << (w.bits - 1)));
          wq = tensor::ExtractOp::create(nb, l, codebook, ValueRange{index});
        } else {
          wq = arith::SIToFPOp::create(nb, l, f, q);
        }
        if (scale.getType() != f)
          scale = arith::ExtFOp::create(nb, l, f, scale);
        Value prod = arith::MulFOp::create(
            nb, l, a[0], arith::MulFOp::create(nb, l, wq, scale));
        linalg::YieldOp::create(
            nb, l, Value(arith::AddFOp::create(nb, l, a.back(), prod)));
      });
  return generic.getResult(0);
}

/// Integer activations: acc[m, g, n] = sum over the group's rows of
/// x[m, k] * (q[k, n] - z[g, n]) in i32.
Value accumulate(OpBuilder &b, Location loc, Value rows2d,
                 const PackedWeight &w) {
  MLIRContext *ctx = b.getContext();
  auto rowsType = cast<RankedTensorType>(rows2d.getType());
  int64_t r = rowsType.getDimSize(0);
  SmallVector<Value> dynamic;
  if (ShapedType::isDynamic(r))
    dynamic.push_back(tensor::DimOp::create(b, loc, rows2d, 0));
  using IT = utils::IteratorType;
  auto dim = [&](unsigned i) { return getAffineDimExpr(i, ctx); };

  Value acc;
  if (w.bits == 8 && w.groups == 1 && !w.zeroPoints) {
    // Plain int8 weights (one group of K rows): the named matmul,
    // i8 x i8 -> i32.
    Value weight =
        tensor::CollapseShapeOp::create(b, loc, w.planes[0], {{0, 1}, {2}});
    Value x = rows2d;
    auto accType = RankedTensorType::get({r, w.n}, b.getI32Type());
    Value init = zeroFilled(b, loc,
                            tensor::EmptyOp::create(b, loc, accType.getShape(),
                                                    b.getI32Type(), dynamic));
    acc = linalg::MatmulOp::create(b, loc, ValueRange{x, weight},
                                   ValueRange{init})
              .getResult(0);
    acc = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get({r, 1, w.n}, b.getI32Type()), acc,
        {{0}, {1, 2}},
        {sizeOf(b, loc, acc, 0), b.getIndexAttr(1), b.getIndexAttr(w.n)});
  } else {
    Value x = shapeActivation(b, loc, rows2d, w);
    SmallVector<Value> inputs = {x};
    inputs.append(w.planes.begin(), w.planes.end());
    if (w.zeroPoints)
      inputs.push_back(w.zeroPointValues);
    SmallVector<AffineMap> maps = {
        AffineMap::get(5, 0, {dim(0), dim(1), dim(2), dim(3)}, ctx)};
    weightMaps(ctx, w, maps, /*withScales=*/false);
    maps.push_back(AffineMap::get(5, 0, {dim(0), dim(1), dim(4)}, ctx));
    auto accType = RankedTensorType::get({r, w.groups, w.n}, b.getI32Type());
    Value init = zeroFilled(b, loc,
                            tensor::EmptyOp::create(b, loc, accType.getShape(),
                                                    b.getI32Type(), dynamic));
    size_t numPlanes = w.planes.size();
    bool hasZero = w.zeroPoints;
    acc = linalg::GenericOp::create(
              b, loc, accType, inputs, ValueRange{init}, maps,
              {IT::parallel, IT::parallel, IT::reduction, IT::reduction,
               IT::parallel},
              [&](OpBuilder &nb, Location l, ValueRange a) {
                ValueRange planes = a.slice(1, numPlanes);
                Value zero = hasZero ? a[1 + numPlanes] : Value();
                Value q = unpackCode(nb, l, planes, zero, w, /*jDim=*/3);
                Value xv = arith::ExtSIOp::create(nb, l, nb.getI32Type(), a[0]);
                Value prod = arith::MulIOp::create(nb, l, xv, q);
                linalg::YieldOp::create(
                    nb, l, Value(arith::AddIOp::create(nb, l, a.back(), prod)));
              })
              .getResult(0);
  }

  return acc;
}

/// The weight's column sums of (q - z) per group, for an activation zero
/// point: sum (x - zx)(q - z) = sum x (q - z) - zx * colsum.
Value columnSums(OpBuilder &b, Location loc, const PackedWeight &w) {
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(
          RankedTensorType::get({w.groups, w.n}, b.getI32Type()),
          ArrayRef<int32_t>(w.columnSums)));
}

/// out[m, n] = sum_g sx[m] * s[g, n] * (acc[m, g, n] - zx * colsum[g, n]),
/// in float.
Value dequantize(OpBuilder &b, Location loc, Value acc, Value rowScale,
                 double staticScale, int32_t lhsZero, const PackedWeight &w,
                 FloatType f) {
  MLIRContext *ctx = b.getContext();
  auto dim = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  using IT = utils::IteratorType;
  int64_t r = cast<RankedTensorType>(acc.getType()).getDimSize(0);
  SmallVector<Value> dynamic;
  if (ShapedType::isDynamic(r))
    dynamic.push_back(tensor::DimOp::create(b, loc, acc, 0));
  SmallVector<Value> inputs = {acc, w.scales};
  SmallVector<AffineMap> maps = {
      AffineMap::get(3, 0, {dim(0), dim(1), dim(2)}, ctx),
      AffineMap::get(3, 0, {dim(1), dim(2)}, ctx)};
  if (lhsZero != 0) {
    inputs.push_back(columnSums(b, loc, w));
    maps.push_back(AffineMap::get(3, 0, {dim(1), dim(2)}, ctx));
  }
  if (rowScale) {
    inputs.push_back(rowScale);
    auto rank = cast<RankedTensorType>(rowScale.getType()).getRank();
    maps.push_back(rank == 0 ? AffineMap::get(3, 0, {}, ctx)
                             : AffineMap::get(3, 0, {dim(0)}, ctx));
  }
  maps.push_back(AffineMap::get(3, 0, {dim(0), dim(2)}, ctx));
  auto outType = RankedTensorType::get({r, w.n}, f);
  Value init = zeroFilled(
      b, loc, tensor::EmptyOp::create(b, loc, outType.getShape(), f, dynamic));
  bool hasSums = lhsZero != 0;
  return linalg::GenericOp::create(
             b, loc, outType, inputs, ValueRange{init}, maps,
             {IT::parallel, IT::reduction, IT::parallel},
             [&](OpBuilder &nb, Location l, ValueRange a) {
               Value v = a[0];
               unsigned next = 2;
               if (hasSums) {
                 Value zx = arith::ConstantOp::create(
                     nb, l, nb.getI32IntegerAttr(lhsZero));
                 v = arith::SubIOp::create(
                     nb, l, v, arith::MulIOp::create(nb, l, zx, a[next++]));
               }
               Value fv = arith::SIToFPOp::create(nb, l, f, v);
               Value s = a[1];
               if (s.getType() != f)
                 s = arith::ExtFOp::create(nb, l, f, s);
               Value sx = rowScale ? a[next++]
                                   : arith::ConstantOp::create(
                                         nb, l, nb.getFloatAttr(f, staticScale))
                                         .getResult();
               Value scaled = arith::MulFOp::create(
                   nb, l, fv, arith::MulFOp::create(nb, l, s, sx));
               linalg::YieldOp::create(
                   nb, l,
                   Value(arith::AddFOp::create(nb, l, a.back(), scaled)));
             })
      .getResult(0);
}

//===----------------------------------------------------------------------===//
// qc.quantized_matmul
//===----------------------------------------------------------------------===//

/// int8 output: y[m, n] = clamp(round(acc' * sx * s[n] / sy) + zy) with
/// acc' = acc - zx * colsum, the scale as a Q31 multiplier and a right
/// shift per column (passes/algorithms/Requantize.h), rounded half away from
/// zero in i64 arithmetic: |acc'| < 2^31 and the multiplier < 2^31 keep the
/// product below 2^62.
FailureOr<Value> requantize(OpBuilder &b, Location loc, Operation *op,
                            Value acc, double sx, int32_t lhsZero,
                            const PackedWeight &w,
                            quant::UniformQuantizedType out) {
  if (w.groups != 1)
    return op->emitOpError("an int8 output needs per-channel or per-tensor "
                           "weights (one scale per column)");
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> multipliers, shifts;
  for (int64_t c = 0; c < w.n; ++c) {
    double real = sx * w.scaleValues[c] / out.getScale();
    quantc::algorithms::FixedPointScale fixed =
        quantc::algorithms::toFixedPoint(real);
    int64_t total = 31 + fixed.shift;
    if (real >= 1.0 || total >= 63)
      return op->emitOpError("requantization scale ")
             << real << " is outside (2^-32, 1)";
    multipliers.push_back(fixed.multiplier);
    shifts.push_back(total);
  }
  auto vec = [&](ArrayRef<int64_t> v) {
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(RankedTensorType::get({w.n}, b.getI64Type()),
                               v));
  };
  // acc is [R, 1, N]: read it as [R, N].
  Value acc2 = tensor::CollapseShapeOp::create(b, loc, acc, {{0}, {1, 2}});
  SmallVector<Value> inputs = {acc2, vec(multipliers), vec(shifts)};
  auto dim = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
  AffineMap col = AffineMap::get(2, 0, {dim(1)}, ctx);
  SmallVector<AffineMap> maps = {id, col, col};
  if (lhsZero != 0) {
    inputs.push_back(tensor::CollapseShapeOp::create(
        b, loc, columnSums(b, loc, w), {{0, 1}}));
    maps.push_back(col);
  }
  maps.push_back(id);
  Type storage = out.getStorageType();
  auto accType = cast<RankedTensorType>(acc2.getType());
  SmallVector<Value> dynamic;
  if (accType.isDynamicDim(0))
    dynamic.push_back(tensor::DimOp::create(b, loc, acc2, 0));
  Value init =
      tensor::EmptyOp::create(b, loc, accType.getShape(), storage, dynamic);
  bool hasSums = lhsZero != 0;
  int64_t zy = out.getZeroPoint(), qmin = out.getStorageTypeMin(),
          qmax = out.getStorageTypeMax();
  return linalg::GenericOp::create(
             b, loc, init.getType(), inputs, ValueRange{init}, maps,
             iterators(2, 0),
             [&](OpBuilder &nb, Location l, ValueRange a) {
               auto i64 = [&](int64_t v) {
                 return arith::ConstantOp::create(nb, l,
                                                  nb.getI64IntegerAttr(v))
                     .getResult();
               };
               Value v = arith::ExtSIOp::create(nb, l, nb.getI64Type(), a[0]);
               if (hasSums)
                 v = arith::SubIOp::create(
                     nb, l, v,
                     arith::MulIOp::create(
                         nb, l, i64(lhsZero),
                         arith::ExtSIOp::create(nb, l, nb.getI64Type(), a[3])));
               Value product = arith::MulIOp::create(nb, l, v, a[1]);
               Value negative = arith::CmpIOp::create(
                   nb, l, arith::CmpIPredicate::slt, product, i64(0));
               Value magnitude = math::AbsIOp::create(nb, l, product);
               Value half = arith::ShLIOp::create(
                   nb, l, i64(1), arith::SubIOp::create(nb, l, a[2], i64(1)));
               Value q = arith::ShRUIOp::create(
                   nb, l, arith::AddIOp::create(nb, l, magnitude, half), a[2]);
               q = arith::SelectOp::create(
                   nb, l, negative, arith::SubIOp::create(nb, l, i64(0), q), q);
               q = arith::AddIOp::create(nb, l, q, i64(zy));
               q = arith::MaxSIOp::create(nb, l, q, i64(qmin));
               q = arith::MinSIOp::create(nb, l, q, i64(qmax));
               linalg::YieldOp::create(
                   nb, l, Value(arith::TruncIOp::create(nb, l, storage, q)));
             })
      .getResult(0);
}

/// A LoRC factor as the correction kernels read it: its values (f32, or
/// the i8 codes of an 8-bit per-column type) and, for codes, the per-column
/// scales (an f32 [cols] constant).
struct LowRankFactor {
  Value values, scales;
};

FailureOr<LowRankFactor> lowRankFactor(OpBuilder &b, Operation *op, Value v,
                                       FloatType f) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getElementType() == f)
    return LowRankFactor{v, Value()};
  FailureOr<DenseElementsAttr> codesAttr = weightCodes(op, v);
  if (failed(codesAttr))
    return failure();
  auto qtype = cast<quant::UniformQuantizedPerAxisType>(type.getElementType());
  if (anyZeroPoint(qtype))
    return op->emitOpError("low-rank factors must be symmetric (zero points "
                           "0)");
  int64_t cols = type.getDimSize(1);
  std::vector<int8_t> codes = readCodes(*codesAttr, 8);
  std::vector<double> scales;
  std::vector<int32_t> zeros;
  readParams(qtype, /*groups=*/1, cols, scales, zeros);
  Location loc = op->getLoc();
  Value values = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(
          RankedTensorType::get(type.getShape(), b.getI8Type()),
          ArrayRef<int8_t>(codes)));
  return LowRankFactor{values, scaleConstant(b, loc, scales, {cols}, f)};
}

/// `v` (a factor element) as a float: codes are converted (their scale is
/// applied by the caller, once per column).
Value factorValue(OpBuilder &b, Location loc, Value v, Type f) {
  return v.getType() == f ? v : arith::SIToFPOp::create(b, loc, f, v);
}

/// LoRC: product[m, n] + ((x A)[m, r] * sa[r]) * B[r, n] * sb[n], as two
/// reductions (the factor scales are per column, so each applies after
/// its own sum: t = x * codes(A), then t * sa meets codes(B), times sb).
/// `rows2d` is the float activation [M, K], `product` the [M, N] product.
FailureOr<Value> addLowRank(OpBuilder &b, QuantizedMatmulOp op, Value rows2d,
                            Value product) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  auto f = cast<FloatType>(
      cast<RankedTensorType>(product.getType()).getElementType());
  FailureOr<LowRankFactor> a = lowRankFactor(b, op, op.getLrcA(), f);
  FailureOr<LowRankFactor> bf = lowRankFactor(b, op, op.getLrcB(), f);
  if (failed(a) || failed(bf))
    return failure();
  int64_t rank = cast<RankedTensorType>(op.getLrcA().getType()).getDimSize(1);
  auto rowsType = cast<RankedTensorType>(rows2d.getType());
  auto tType = RankedTensorType::get({rowsType.getDimSize(0), rank}, f);
  SmallVector<Value> dynamic;
  if (tType.isDynamicDim(0))
    dynamic.push_back(tensor::DimOp::create(b, loc, rows2d, 0));
  Value tInit = zeroFilled(
      b, loc, tensor::EmptyOp::create(b, loc, tType.getShape(), f, dynamic));
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  // t[m, r] = sum_k x[m, k] * A[k, r]   (loops m, r, k)
  Value t =
      linalg::GenericOp::create(
          b, loc, tType, ValueRange{rows2d, a->values}, ValueRange{tInit},
          {AffineMap::get(3, 0, {d(0), d(2)}, ctx),
           AffineMap::get(3, 0, {d(2), d(1)}, ctx),
           AffineMap::get(3, 0, {d(0), d(1)}, ctx)},
          iterators(2, 1),
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value prod = arith::MulFOp::create(nb, l, args[0],
                                               factorValue(nb, l, args[1], f));
            linalg::YieldOp::create(
                nb, l, Value(arith::AddFOp::create(nb, l, args[2], prod)));
          })
          .getResult(0);
  // product[m, n] += t[m, r] * sa[r] * B[r, n] * sb[n]   (loops m, n, r)
  SmallVector<Value> inputs = {t, bf->values};
  SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {d(0), d(2)}, ctx),
                                 AffineMap::get(3, 0, {d(2), d(1)}, ctx)};
  if (a->scales) {
    inputs.push_back(a->scales);
    maps.push_back(AffineMap::get(3, 0, {d(2)}, ctx));
  }
  if (bf->scales) {
    inputs.push_back(bf->scales);
    maps.push_back(AffineMap::get(3, 0, {d(1)}, ctx));
  }
  maps.push_back(AffineMap::get(3, 0, {d(0), d(1)}, ctx));
  bool scaleA = static_cast<bool>(a->scales), scaleB = bool(bf->scales);
  return linalg::GenericOp::create(
             b, loc, product.getType(), inputs, ValueRange{product}, maps,
             iterators(2, 1),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value tv = args[0];
               unsigned next = 2;
               if (scaleA)
                 tv = arith::MulFOp::create(nb, l, tv, args[next++]);
               Value bv = factorValue(nb, l, args[1], f);
               if (scaleB)
                 bv = arith::MulFOp::create(nb, l, bv, args[next++]);
               Value prod = arith::MulFOp::create(nb, l, tv, bv);
               linalg::YieldOp::create(
                   nb, l,
                   Value(arith::AddFOp::create(nb, l, args.back(), prod)));
             })
      .getResult(0);
}

LogicalResult lowerQuantizedMatmul(IRRewriter &b, QuantizedMatmulOp op) {
  // LoRC's correction reads the float activation; integer activations
  // would need it dequantized first (not done: W4A16-style schemes only).
  if (op.getLrcA() &&
      !isa<FloatType>(
          cast<RankedTensorType>(op.getLhs().getType()).getElementType()))
    return op.emitOpError("with a low-rank correction needs float "
                          "activations");
  Location loc = op.getLoc();
  auto resultType = cast<RankedTensorType>(op.getType());
  auto f = dyn_cast<FloatType>(resultType.getElementType());
  auto outType =
      dyn_cast<quant::UniformQuantizedType>(resultType.getElementType());
  if (outType &&
      !isa<quant::UniformQuantizedType>(
          cast<RankedTensorType>(op.getLhs().getType()).getElementType()))
    return op.emitOpError("an int8 output needs a statically quantized lhs "
                          "(its scale must be known when compiling)");
  if (outType)
    f = cast<FloatType>(outType.getExpressedType());
  b.setInsertionPoint(op);
  FailureOr<PackedWeight> w = packWeight(b, op);
  if (failed(w))
    return failure();
  Value lhs = op.getLhs();
  Type lhsElt = cast<RankedTensorType>(lhs.getType()).getElementType();
  Value product;
  Value shapeSource = lhs; // what the result's leading sizes are read from
  if (isa<FloatType>(lhsElt)) {
    Value rows = collapseToRows(b, loc, lhs);
    if (op.getCodebook() && w->zeroPoints)
      return op.emitOpError("a codebook weight must have zero points 0");
    product = floatKernel(b, loc, rows, *w, op.getCodebook());
    if (op.getLrcA()) {
      FailureOr<Value> corrected = addLowRank(b, op, rows, product);
      if (failed(corrected))
        return failure();
      product = *corrected;
    }
  } else if (auto q = dyn_cast<quant::UniformQuantizedType>(lhsElt)) {
    auto qcast = lhs.getDefiningOp<quant::QuantizeCastOp>();
    if (!qcast)
      return op.emitOpError("a quantized lhs must come from quant.qcast to "
                            "be lowered");
    shapeSource = qcast.getInput();
    Value rows = collapseToRows(b, loc, shapeSource);
    Value codes = quantizeTensor(
        b, loc, rows, Value(), AffineMap(), q.getScale(), q.getZeroPoint(),
        q.getStorageTypeMin(), q.getStorageTypeMax(), q.getStorageType());
    Value acc = accumulate(b, loc, codes, *w);
    if (outType) {
      FailureOr<Value> requantized = requantize(b, loc, op, acc, q.getScale(),
                                                q.getZeroPoint(), *w, outType);
      if (failed(requantized))
        return failure();
      auto storageType = RankedTensorType::get(resultType.getShape(),
                                               outType.getStorageType());
      Value codesOut =
          expandRows(b, loc, *requantized, shapeSource, storageType);
      b.replaceOp(op, quant::StorageCastOp::create(b, loc, resultType, codesOut)
                          .getResult());
      return success();
    }
    product =
        dequantize(b, loc, acc, Value(), q.getScale(), q.getZeroPoint(), *w, f);
  } else {
    Value scale = op.getLhsScale();
    auto scaleType = cast<RankedTensorType>(scale.getType());
    if (scaleType.getRank() > 0) {
      SmallVector<ReassociationIndices> all(1);
      for (int64_t d = 0; d < scaleType.getRank(); ++d)
        all[0].push_back(d);
      scale = tensor::CollapseShapeOp::create(b, loc, scale, all);
    }
    Value acc = accumulate(b, loc, collapseToRows(b, loc, lhs), *w);
    product = dequantize(b, loc, acc, scale, 0.0, 0, *w, f);
  }
  b.replaceOp(op, expandRows(b, loc, product, shapeSource, resultType));
  return success();
}

/// qc.quantized_conv with float activations: the codes stay one per byte
/// (i8, the weight's shape) and each step of the convolution computes
/// acc + x * s[m] * (q - z[m]).
LogicalResult lowerQuantizedConv(IRRewriter &b, QuantizedConvOp op) {
  auto inputType = cast<RankedTensorType>(op.getInput().getType());
  if (!isa<FloatType>(inputType.getElementType()))
    return op.emitOpError("lowering supports float activations only");
  FailureOr<DenseElementsAttr> codesAttr = weightCodes(op, op.getWeight());
  if (failed(codesAttr))
    return failure();
  auto weightType = cast<RankedTensorType>(op.getWeight().getType());
  auto qtype = cast<quant::QuantizedType>(weightType.getElementType());
  int64_t m = weightType.getDimSize(0);
  std::vector<int8_t> codes =
      readCodes(*codesAttr, qtype.getStorageTypeIntegralWidth());
  std::vector<double> scales;
  std::vector<int32_t> zeros;
  readParams(qtype, /*groups=*/1, m, scales, zeros);

  b.setInsertionPoint(op);
  Location loc = op.getLoc();
  auto resultType = cast<RankedTensorType>(op.getType());
  auto f = cast<FloatType>(resultType.getElementType());
  Value weight = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(
          RankedTensorType::get(weightType.getShape(), b.getI8Type()),
          ArrayRef<int8_t>(codes)));
  SmallVector<Value> perChannel = {scaleConstant(b, loc, scales, {m}, f)};
  bool hasZero = anyZeroPoint(qtype);
  if (hasZero)
    perChannel.push_back(zeroPointConstant(b, loc, zeros, {m}));
  ConvGeometry geometry{op.getStrides(), op.getPads(), op.getDilations(),
                        static_cast<int64_t>(op.getGroup())};
  Value result = buildConvolution(
      b, loc, op.getInput(), weight, op.getBias(), resultType, geometry,
      perChannel, [&](OpBuilder &nb, Location l, ValueRange a, Value acc) {
        Value q = subtractZero(
            nb, l, arith::ExtSIOp::create(nb, l, nb.getI32Type(), a[1]),
            hasZero ? a[3] : Value());
        Value w = arith::MulFOp::create(
            nb, l, arith::SIToFPOp::create(nb, l, f, q), a[2]);
        return arith::AddFOp::create(nb, l, acc,
                                     arith::MulFOp::create(nb, l, a[0], w))
            .getResult();
      });
  b.replaceOp(op, result);
  return success();
}

/// quant.dcast of a per-tensor quantized tensor that is quant.scast of
/// integers (what an int8-output product lowers to): s * (q - z).
LogicalResult lowerDequantizeCast(IRRewriter &b, quant::DequantizeCastOp op) {
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  auto q = dyn_cast<quant::UniformQuantizedType>(inType.getElementType());
  auto scast = op.getInput().getDefiningOp<quant::StorageCastOp>();
  if (!q || !scast)
    return op.emitOpError("lowering needs a per-tensor type over integers "
                          "(quant.scast)");
  b.setInsertionPoint(op);
  Location loc = op.getLoc();
  Value codes = scast.getInput();
  auto resultType = cast<RankedTensorType>(op.getType());
  Type f = resultType.getElementType();
  unsigned rank = resultType.getRank();
  Value init = emptyShapedLike(b, loc, codes, f);
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
  Value result = linalg::GenericOp::create(
                     b, loc, resultType, ValueRange{codes}, ValueRange{init},
                     {id, id}, iterators(rank, 0),
                     [&](OpBuilder &nb, Location l, ValueRange a) {
                       Value v = arith::SIToFPOp::create(nb, l, f, a[0]);
                       v = arith::SubFOp::create(
                           nb, l, v,
                           arith::ConstantOp::create(
                               nb, l, nb.getFloatAttr(f, q.getZeroPoint())));
                       v = arith::MulFOp::create(
                           nb, l, v,
                           arith::ConstantOp::create(
                               nb, l, nb.getFloatAttr(f, q.getScale())));
                       linalg::YieldOp::create(nb, l, v);
                     })
                     .getResult(0);
  b.replaceOp(op, result);
  return success();
}

struct LowerQuantized : qc::impl::LowerQuantizedBase<LowerQuantized> {
  using Base::Base;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<DynamicQuantizeOp> dynamic;
    SmallVector<QuantizedMatmulOp> matmuls;
    getOperation().walk([&](Operation *op) {
      if (auto d = dyn_cast<DynamicQuantizeOp>(op))
        dynamic.push_back(d);
      else if (auto m = dyn_cast<QuantizedMatmulOp>(op))
        matmuls.push_back(m);
    });
    for (DynamicQuantizeOp op : dynamic)
      if (failed(lowerDynamicQuantize(rewriter, op)))
        return signalPassFailure();
    for (QuantizedMatmulOp op : matmuls)
      if (failed(lowerQuantizedMatmul(rewriter, op)))
        return signalPassFailure();
    SmallVector<QuantizedConvOp> convs;
    getOperation().walk([&](QuantizedConvOp op) { convs.push_back(op); });
    for (QuantizedConvOp op : convs)
      if (failed(lowerQuantizedConv(rewriter, op)))
        return signalPassFailure();
    SmallVector<quant::DequantizeCastOp> dequantizes;
    getOperation().walk(
        [&](quant::DequantizeCastOp op) { dequantizes.push_back(op); });
    for (quant::DequantizeCastOp op : dequantizes)
      if (failed(lowerDequantizeCast(rewriter, op)))
        return signalPassFailure();
    // The casts that fed the products are dead now; anything of the quant
    // dialect still used has no lowering.
    SmallVector<Operation *> quantOps;
    getOperation().walk([&](Operation *op) {
      if (isa<quant::QuantDialect>(op->getDialect()))
        quantOps.push_back(op);
    });
    for (Operation *op : llvm::reverse(quantOps)) { // users first
      if (!op->use_empty()) {
        op->emitOpError("has no lowering outside qc.quantized_matmul");
        return signalPassFailure();
      }
      Value arg = op->getOperand(0);
      rewriter.eraseOp(op);
      if (Operation *def = arg.getDefiningOp())
        if (def->use_empty() && isa<arith::ConstantOp>(def))
          rewriter.eraseOp(def);
    }
  }
};

} // namespace
