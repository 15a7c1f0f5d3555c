//===- QcOps.cpp - qc dialect operations ----------------------------------===//
//
// Verifiers say what is wrong in the terms of the op's description, and
// canonicalizations are limited to rewrites that are obviously right.
//
//===----------------------------------------------------------------------===//

#include "dialects/qc/IR/QcOps.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::qc;

#define GET_OP_CLASSES
#include "dialects/qc/IR/QcOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Two sizes agree when either is dynamic or both are equal.
static bool sizesAgree(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

static std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "[";
  llvm::interleave(
      shape, os,
      [&](int64_t d) {
        if (ShapedType::isDynamic(d))
          os << "?";
        else
          os << d;
      },
      ", ");
  os << "]";
  return s;
}

/// Checks `[..., m, k] x [..., k, n] -> [..., m, n]` with NumPy batch
/// broadcasting. `what` names the operands in messages.
static LogicalResult verifyBatchedMatmulShapes(Operation *op,
                                               RankedTensorType lhs,
                                               RankedTensorType rhs,
                                               RankedTensorType result) {
  if (lhs.getRank() < 2 || rhs.getRank() < 2)
    return op->emitOpError("operands must have rank >= 2, got ranks ")
           << lhs.getRank() << " and " << rhs.getRank();
  int64_t k1 = lhs.getDimSize(lhs.getRank() - 1);
  int64_t k2 = rhs.getDimSize(rhs.getRank() - 2);
  if (!sizesAgree(k1, k2))
    return op->emitOpError("contraction sizes differ: lhs has ")
           << k1 << " columns, rhs has " << k2 << " rows";
  int64_t rank = std::max(lhs.getRank(), rhs.getRank());
  if (result.getRank() != rank)
    return op->emitOpError("result must have rank ")
           << rank << ", got " << result.getRank();
  // Batch dimensions, aligned from the right.
  for (int64_t i = 0; i < rank - 2; ++i) {
    int64_t li = lhs.getRank() - 3 - i, ri = rhs.getRank() - 3 - i;
    int64_t l = li >= 0 ? lhs.getDimSize(li) : 1;
    int64_t r = ri >= 0 ? rhs.getDimSize(ri) : 1;
    if (l != 1 && r != 1 && !sizesAgree(l, r))
      return op->emitOpError("batch dimensions ")
             << shapeString(lhs.getShape().drop_back(2)) << " and "
             << shapeString(rhs.getShape().drop_back(2)) << " do not broadcast";
    int64_t expected =
        l == 1 ? r : (r == 1 ? l : (ShapedType::isDynamic(l) ? r : l));
    if (!sizesAgree(result.getDimSize(rank - 3 - i), expected))
      return op->emitOpError("result shape ")
             << shapeString(result.getShape())
             << " does not match the broadcast batch dimensions";
  }
  if (!sizesAgree(result.getDimSize(rank - 2),
                  lhs.getDimSize(lhs.getRank() - 2)) ||
      !sizesAgree(result.getDimSize(rank - 1),
                  rhs.getDimSize(rhs.getRank() - 1)))
    return op->emitOpError("result shape ")
           << shapeString(result.getShape()) << " does not end in [m, n] = ["
           << lhs.getDimSize(lhs.getRank() - 2) << ", "
           << rhs.getDimSize(rhs.getRank() - 1) << "]";
  return success();
}

static LogicalResult verifySameElementType(Operation *op, Type expected,
                                           ValueRange values) {
  for (Value v : values) {
    if (!v)
      continue;
    Type t = cast<ShapedType>(v.getType()).getElementType();
    if (t != expected)
      return op->emitOpError("element types must all be ")
             << expected << ", got " << t;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::verify() {
  auto resultType = getResult().getType();
  if (failed(verifySameElementType(*this, resultType.getElementType(),
                                   {getLhs(), getRhs()})))
    return failure();
  return verifyBatchedMatmulShapes(*this, getLhs().getType(),
                                   getRhs().getType(), resultType);
}

//===----------------------------------------------------------------------===//
// GemmOp
//===----------------------------------------------------------------------===//

LogicalResult GemmOp::verify() {
  auto a = getA().getType(), b = getB().getType();
  auto result = getResult().getType();
  if (failed(verifySameElementType(*this, result.getElementType(),
                                   {getA(), getB(), getC()})))
    return failure();
  if (a.getRank() != 2 || b.getRank() != 2 || result.getRank() != 2)
    return emitOpError("a, b and the result must be 2-D");
  int64_t m = a.getDimSize(getTransA() ? 1 : 0);
  int64_t ka = a.getDimSize(getTransA() ? 0 : 1);
  int64_t kb = b.getDimSize(getTransB() ? 1 : 0);
  int64_t n = b.getDimSize(getTransB() ? 0 : 1);
  if (!sizesAgree(ka, kb))
    return emitOpError("contraction sizes differ: op(a) has ")
           << ka << " columns, op(b) has " << kb << " rows";
  if (!sizesAgree(result.getDimSize(0), m) ||
      !sizesAgree(result.getDimSize(1), n))
    return emitOpError("result shape ")
           << shapeString(result.getShape()) << " is not [m, n] = [" << m
           << ", " << n << "]";
  if (Value c = getC()) {
    auto cType = cast<RankedTensorType>(c.getType());
    if (cType.getRank() > 2)
      return emitOpError("c must have rank <= 2, got ") << cType.getRank();
    ArrayRef<int64_t> mn = result.getShape();
    for (int64_t i = 0; i < cType.getRank(); ++i) {
      int64_t d = cType.getDimSize(cType.getRank() - 1 - i);
      if (d != 1 && !sizesAgree(d, mn[1 - i]))
        return emitOpError("c of shape ")
               << shapeString(cType.getShape()) << " does not broadcast to "
               << shapeString(mn);
    }
  }
  return success();
}

namespace {
/// `beta == 0` makes `c` dead: drop it so that later passes see a plain
/// product.
struct DropZeroBetaC : OpRewritePattern<GemmOp> {
  using Base::Base;
  LogicalResult matchAndRewrite(GemmOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getC())
      return rewriter.notifyMatchFailure(op, "no c operand");
    if (!op.getBeta().isZero())
      return rewriter.notifyMatchFailure(op, "beta is not zero");
    rewriter.modifyOpInPlace(op, [&] { op.getCMutable().clear(); });
    return success();
  }
};

/// A gemm that only multiplies (alpha 1, no transposes, no c) is a plain
/// qc.matmul: later passes then see one form of linear layer.
struct PlainGemmToMatmul : OpRewritePattern<GemmOp> {
  using Base::Base;
  LogicalResult matchAndRewrite(GemmOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getC() || op.getTransA() || op.getTransB() ||
        !op.getAlpha().isExactlyValue(1.0))
      return rewriter.notifyMatchFailure(op, "not a plain product");
    rewriter.replaceOpWithNewOp<MatmulOp>(op, op.getType(), op.getA(),
                                          op.getB());
    return success();
  }
};
} // namespace

void GemmOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<DropZeroBetaC, PlainGemmToMatmul>(context);
}

//===----------------------------------------------------------------------===//
// Convolutions
//===----------------------------------------------------------------------===//

static LogicalResult
verifyConvGeometry(Operation *op, RankedTensorType input,
                   RankedTensorType weight, Value bias, RankedTensorType result,
                   ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                   ArrayRef<int64_t> dilations, int64_t group) {
  if (input.getRank() < 3 || weight.getRank() != input.getRank())
    return op->emitOpError("input and weight must have the same rank >= 3, "
                           "got ranks ")
           << input.getRank() << " and " << weight.getRank();
  if (result.getRank() != input.getRank())
    return op->emitOpError("result must have rank ") << input.getRank();
  int64_t spatial = input.getRank() - 2;
  if (static_cast<int64_t>(strides.size()) != spatial ||
      static_cast<int64_t>(dilations.size()) != spatial ||
      static_cast<int64_t>(pads.size()) != 2 * spatial)
    return op->emitOpError("expected ")
           << spatial << " strides, " << spatial << " dilations and "
           << 2 * spatial << " pads for " << spatial << " spatial dimensions";
  if (llvm::any_of(strides, [](int64_t s) { return s <= 0; }) ||
      llvm::any_of(dilations, [](int64_t s) { return s <= 0; }))
    return op->emitOpError("strides and dilations must be positive");
  if (llvm::any_of(pads, [](int64_t s) { return s < 0; }))
    return op->emitOpError("pads must be non-negative");
  if (group <= 0)
    return op->emitOpError("group must be positive, got ") << group;
  int64_t c = input.getDimSize(1), cw = weight.getDimSize(1);
  int64_t m = weight.getDimSize(0);
  if (!ShapedType::isDynamic(c) && !ShapedType::isDynamic(cw) &&
      c != cw * group)
    return op->emitOpError("input has ") << c << " channels but weight expects "
                                         << cw << " x group " << group;
  if (!ShapedType::isDynamic(m) && m % group != 0)
    return op->emitOpError("group ")
           << group << " does not divide the " << m << " output channels";
  if (bias) {
    auto b = cast<RankedTensorType>(bias.getType());
    if (b.getRank() != 1 || !sizesAgree(b.getDimSize(0), m))
      return op->emitOpError("bias must be 1-D of size ") << m;
  }
  if (!sizesAgree(result.getDimSize(0), input.getDimSize(0)) ||
      !sizesAgree(result.getDimSize(1), m))
    return op->emitOpError("result shape ")
           << shapeString(result.getShape()) << " must start with [N, M]";
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t d = input.getDimSize(2 + i), k = weight.getDimSize(2 + i);
    if (ShapedType::isDynamic(d) || ShapedType::isDynamic(k))
      continue;
    int64_t span = d + pads[i] + pads[spatial + i] - dilations[i] * (k - 1) - 1;
    if (span < 0)
      return op->emitOpError("kernel does not fit spatial dimension ") << i;
    int64_t out = span / strides[i] + 1;
    if (!sizesAgree(result.getDimSize(2 + i), out))
      return op->emitOpError("result spatial dimension ")
             << i << " is " << result.getDimSize(2 + i) << ", expected " << out;
  }
  return success();
}

LogicalResult ConvOp::verify() {
  if (failed(verifySameElementType(*this,
                                   getResult().getType().getElementType(),
                                   {getInput(), getWeight(), getBias()})))
    return failure();
  return verifyConvGeometry(*this, getInput().getType(), getWeight().getType(),
                            getBias(), getResult().getType(), getStrides(),
                            getPads(), getDilations(), getGroup());
}

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

static LogicalResult verifyNorm(Operation *op, RankedTensorType input,
                                int64_t axis, ValueRange params) {
  int64_t rank = input.getRank();
  if (axis < -rank || axis >= rank)
    return op->emitOpError("axis ")
           << axis << " is out of range for rank " << rank;
  if (axis < 0)
    axis += rank;
  ArrayRef<int64_t> normalized = input.getShape().drop_front(axis);
  for (Value p : params) {
    if (!p)
      continue;
    auto t = cast<RankedTensorType>(p.getType());
    if (t.getElementType() != input.getElementType())
      return op->emitOpError("scale and bias must have element type ")
             << input.getElementType();
    if (t.getRank() > static_cast<int64_t>(normalized.size()))
      return op->emitOpError("scale/bias shape ")
             << shapeString(t.getShape())
             << " has more dimensions than the normalized shape "
             << shapeString(normalized);
    for (int64_t i = 0; i < t.getRank(); ++i) {
      int64_t d = t.getDimSize(t.getRank() - 1 - i);
      if (d != 1 && !sizesAgree(d, normalized[normalized.size() - 1 - i]))
        return op->emitOpError("scale/bias shape ")
               << shapeString(t.getShape())
               << " does not broadcast to the normalized shape "
               << shapeString(normalized);
    }
  }
  return success();
}

LogicalResult LayerNormOp::verify() {
  return verifyNorm(*this, getInput().getType(), getAxis(),
                    {getScale(), getBias()});
}

LogicalResult RmsNormOp::verify() {
  return verifyNorm(*this, getInput().getType(), getAxis(), {getScale()});
}

//===----------------------------------------------------------------------===//
// ObserveOp
//===----------------------------------------------------------------------===//

LogicalResult AssumeEqualOp::canonicalize(AssumeEqualOp op,
                                          PatternRewriter &rewriter) {
  std::optional<int64_t> lhs = getConstantIntValue(op.getLhs());
  std::optional<int64_t> rhs = getConstantIntValue(op.getRhs());
  if (op.getLhs() != op.getRhs() && !(lhs && rhs && *lhs == *rhs))
    return failure();
  rewriter.eraseOp(op);
  return success();
}

LogicalResult AssumeInRangeOp::canonicalize(AssumeInRangeOp op,
                                            PatternRewriter &rewriter) {
  std::optional<int64_t> index = getConstantIntValue(op.getIndex());
  std::optional<int64_t> size = getConstantIntValue(op.getSize());
  if (!index || !size || *index < -*size || *index >= *size)
    return failure();
  rewriter.eraseOp(op);
  return success();
}

LogicalResult ObserveOp::verify() {
  if (getName().empty())
    return emitOpError("needs a non-empty 'name' to key its statistics");
  return success();
}

//===----------------------------------------------------------------------===//
// DynamicQuantizeOp
//===----------------------------------------------------------------------===//

LogicalResult DynamicQuantizeOp::verify() {
  auto input = getInput().getType();
  auto q = getQ().getType();
  auto scale = getScale().getType();
  if (q.getShape() != input.getShape())
    return emitOpError("q must have the input's shape ")
           << shapeString(input.getShape());
  if (static_cast<int64_t>(q.getElementType().getIntOrFloatBitWidth()) <
      static_cast<int64_t>(getBits()))
    return emitOpError("storage type ") << q.getElementType() << " cannot hold "
                                        << getBits() << "-bit values";
  if (scale.getElementType() != input.getElementType())
    return emitOpError("scale must have element type ")
           << input.getElementType();
  if (getGranularity() == Granularity::PerTensor) {
    if (scale.getRank() != 0)
      return emitOpError("a per-tensor scale must be a 0-d tensor");
    return success();
  }
  SmallVector<int64_t> expected(input.getShape());
  expected.back() = 1;
  if (scale.getRank() != input.getRank() ||
      llvm::any_of(llvm::seq<int64_t>(0, input.getRank()), [&](int64_t i) {
        return !sizesAgree(scale.getDimSize(i), expected[i]);
      }))
    return emitOpError("a per-token scale must have shape ")
           << shapeString(expected);
  return success();
}

//===----------------------------------------------------------------------===//
// Quantized weights
//===----------------------------------------------------------------------===//

/// Checks a quantized weight's element type: at most 8 storage bits, the
/// expected expressed type, and per-axis quantization only along `axis`.
/// Sub-channel types are accepted when `allowSubChannel` is set and their
/// block size along `axis` is 1.
static LogicalResult verifyQuantizedWeight(Operation *op,
                                           RankedTensorType weight,
                                           Type expressed, int64_t axis,
                                           bool allowSubChannel) {
  auto qtype = dyn_cast<quant::QuantizedType>(weight.getElementType());
  if (!qtype)
    return op->emitOpError("weight must have a quantized element type, got ")
           << weight.getElementType();
  if (qtype.getStorageTypeIntegralWidth() > 8)
    return op->emitOpError("weight storage must be at most 8 bits, got ")
           << qtype.getStorageTypeIntegralWidth();
  if (qtype.getExpressedType() != expressed)
    return op->emitOpError("weight expresses ")
           << qtype.getExpressedType() << " but the result is " << expressed;
  if (isa<quant::UniformQuantizedType>(qtype))
    return success();
  if (auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(qtype)) {
    if (perAxis.getQuantizedDimension() != axis)
      return op->emitOpError("per-axis weight must be quantized along axis ")
             << axis << ", got " << perAxis.getQuantizedDimension();
    return success();
  }
  if (auto sub = dyn_cast<quant::UniformQuantizedSubChannelType>(qtype)) {
    if (!allowSubChannel)
      return op->emitOpError("sub-channel (group-wise) weights are not "
                             "supported here");
    for (auto [dim, size] : sub.getBlockSizeInfo())
      if (dim == axis && size == 1)
        return success();
    return op->emitOpError("sub-channel weight must have block size 1 along "
                           "axis ")
           << axis;
  }
  return op->emitOpError("unsupported quantized weight type ") << qtype;
}

//===----------------------------------------------------------------------===//
// QuantizedMatmulOp
//===----------------------------------------------------------------------===//

int64_t mlir::qc::groupRows(RankedTensorType weight) {
  if (auto sub = dyn_cast<quant::UniformQuantizedSubChannelType>(
          weight.getElementType()))
    for (auto [dim, size] : sub.getBlockSizeInfo())
      if (dim == 0)
        return size;
  return 0;
}

LogicalResult QuantizedMatmulOp::verify() {
  auto lhs = getLhs().getType();
  auto rhs = getRhs().getType();
  auto result = getResult().getType();
  Type resultElt = result.getElementType();
  Type expressed = resultElt;
  if (auto q = dyn_cast<quant::UniformQuantizedType>(resultElt))
    expressed = q.getExpressedType();
  else if (!isa<FloatType>(resultElt))
    return emitOpError("result must be float or per-tensor quantized, got ")
           << resultElt;
  if (rhs.getRank() != 2)
    return emitOpError("weight must be 2-D [K, N], got rank ") << rhs.getRank();
  if (failed(verifyQuantizedWeight(*this, rhs, expressed, /*axis=*/1,
                                   /*allowSubChannel=*/true)))
    return failure();

  Type lhsElt = lhs.getElementType();
  bool plainInt = isa<IntegerType>(lhsElt);
  if (!isa<FloatType>(lhsElt) && !plainInt &&
      !isa<quant::UniformQuantizedType>(lhsElt))
    return emitOpError("lhs must be float, per-tensor quantized or integer "
                       "with run-time scales, got ")
           << lhsElt;
  if (isa<FloatType>(lhsElt) && lhsElt != expressed)
    return emitOpError("lhs element type ")
           << lhsElt << " differs from " << expressed;
  if (plainInt != static_cast<bool>(getLhsScale()))
    return emitOpError(plainInt ? "integer lhs needs its run-time scales "
                                  "('scaled by')"
                                : "'scaled by' is only for integer lhs");
  if (lhs.getRank() < 2)
    return emitOpError("lhs must have rank >= 2, got ") << lhs.getRank();
  int64_t k = rhs.getDimSize(0), n = rhs.getDimSize(1);
  int64_t lhsK = lhs.getShape().back();
  int64_t block = groupRows(rhs);
  // A group-wise weight is padded to whole groups: K real rows, then zero
  // rows up to the next multiple of the group size.
  bool padded = block > 1 && !ShapedType::isDynamic(lhsK) &&
                !ShapedType::isDynamic(k) && k % block == 0 && lhsK < k &&
                k - lhsK < block;
  if (!padded && !sizesAgree(lhsK, k))
    return emitOpError("lhs has ")
           << lhsK << " columns but the weight has " << k << " rows";
  SmallVector<int64_t> expected(lhs.getShape());
  expected.back() = n;
  if (result.getRank() != lhs.getRank() ||
      llvm::any_of(llvm::seq<int64_t>(0, lhs.getRank()), [&](int64_t i) {
        return !sizesAgree(result.getDimSize(i), expected[i]);
      }))
    return emitOpError("result shape ")
           << shapeString(result.getShape()) << " does not match "
           << shapeString(expected);
  if (Value table = getCodebook()) {
    auto tableType = cast<RankedTensorType>(table.getType());
    auto storage = cast<quant::QuantizedType>(rhs.getElementType());
    int64_t levels = int64_t(1) << storage.getStorageTypeIntegralWidth();
    if (tableType.getRank() != 1 || tableType.getDimSize(0) != levels ||
        tableType.getElementType() != expressed)
      return emitOpError("codebook must be [")
             << levels << "] of " << expressed << " (one level per code), got "
             << table.getType();
    if (!isa<FloatType>(lhsElt))
      return emitOpError("a codebook weight needs float activations");
    // Codes index the table at q + 2^(b-1): signed, full range.
    if (!storage.isSigned() || storage.getStorageTypeMin() != -(levels / 2) ||
        storage.getStorageTypeMax() != levels / 2 - 1)
      return emitOpError("a codebook weight needs signed full-range codes "
                         "(the table is indexed at q + 2^(b-1))");
  }
  if (static_cast<bool>(getLrcA()) != static_cast<bool>(getLrcB()))
    return emitOpError("low-rank correction needs both factors");
  if (Value a = getLrcA()) {
    auto at = cast<RankedTensorType>(a.getType());
    auto bt = cast<RankedTensorType>(getLrcB().getType());
    if (at.getRank() != 2 || bt.getRank() != 2 || at.isDynamicDim(1) ||
        !sizesAgree(at.getDimSize(0), lhsK) ||
        !sizesAgree(at.getDimSize(1), bt.getDimSize(0)) ||
        !sizesAgree(bt.getDimSize(1), n))
      return emitOpError("low-rank factors must be [K, r] and [r, N] with "
                         "K = ")
             << lhsK << " and N = " << n << ", got "
             << shapeString(at.getShape()) << " and "
             << shapeString(bt.getShape());
    // Float factors, or 8-bit integers with one scale per column (axis 1)
    // over the product's float type.
    auto factorOk = [&](RankedTensorType t) {
      if (t.getElementType() == expressed)
        return true;
      auto q = dyn_cast<quant::UniformQuantizedPerAxisType>(t.getElementType());
      return q && q.getQuantizedDimension() == 1 &&
             q.getStorageTypeIntegralWidth() == 8 &&
             q.getExpressedType() == expressed;
    };
    if (!factorOk(at) || !factorOk(bt))
      return emitOpError("low-rank factors must have element type ")
             << expressed << " or an 8-bit per-axis (axis 1) quantized type "
             << "over it";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizedConvOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizedConvOp::verify() {
  auto input = getInput().getType();
  Type resultElt = getResult().getType().getElementType();
  Type inElt = input.getElementType();
  if (auto q = dyn_cast<quant::UniformQuantizedType>(inElt))
    inElt = q.getExpressedType();
  if (inElt != resultElt)
    return emitOpError("input must be ")
           << resultElt << " or quantized from it";
  if (failed(verifyQuantizedWeight(*this, getWeight().getType(), resultElt,
                                   /*axis=*/0, /*allowSubChannel=*/false)))
    return failure();
  if (failed(verifySameElementType(*this, resultElt, {getBias()})))
    return failure();
  return verifyConvGeometry(*this, input, getWeight().getType(), getBias(),
                            getResult().getType(), getStrides(), getPads(),
                            getDilations(), getGroup());
}

//===----------------------------------------------------------------------===//
// CodebookDecodeOp
//===----------------------------------------------------------------------===//

LogicalResult CodebookDecodeOp::verify() {
  auto indices = getIndices().getType();
  auto codebook = getCodebook().getType();
  auto result = getResult().getType();
  if (indices.getRank() != 2)
    return emitOpError("indices must be 2-D [K, N], got rank ")
           << indices.getRank();
  unsigned bits = indices.getElementType().getIntOrFloatBitWidth();
  if (bits > 8 || cast<IntegerType>(indices.getElementType()).isSigned())
    return emitOpError("indices must be signless or unsigned integers of at "
                       "most 8 bits, got ")
           << indices.getElementType();
  int64_t levels = int64_t(1) << bits;
  if (codebook.getRank() < 1 || codebook.getRank() > 3)
    return emitOpError("codebook must be [L], [N, L] or [G, N, L], got rank ")
           << codebook.getRank();
  if (!sizesAgree(codebook.getShape().back(), levels))
    return emitOpError("codebook has ")
           << codebook.getShape().back() << " levels but " << bits
           << "-bit indices need " << levels;
  int64_t k = indices.getDimSize(0), n = indices.getDimSize(1);
  if (codebook.getRank() >= 2 &&
      !sizesAgree(codebook.getDimSize(codebook.getRank() - 2), n))
    return emitOpError("codebook has ")
           << codebook.getDimSize(codebook.getRank() - 2)
           << " tables per group but there are " << n << " output channels";
  if ((codebook.getRank() == 3) != getGroupSize().has_value())
    return emitOpError("'group_size' is required exactly for a 3-D codebook");
  if (codebook.getRank() == 3 && !ShapedType::isDynamic(k)) {
    int64_t groups = llvm::divideCeil(k, *getGroupSize());
    if (!sizesAgree(codebook.getDimSize(0), groups))
      return emitOpError("codebook has ")
             << codebook.getDimSize(0) << " groups but K = " << k
             << " with group size " << *getGroupSize() << " needs " << groups;
  }
  if (result.getElementType() != codebook.getElementType())
    return emitOpError("result must have the codebook's element type ")
           << codebook.getElementType();
  if (result.getShape() != indices.getShape())
    return emitOpError("result must have the indices' shape ")
           << shapeString(indices.getShape());
  return success();
}
