//===- ChannelScaling.cpp - move a per-channel factor across a layer ------===//

#include "passes/ChannelScaling.h"

#include "passes/LinalgBuilders.h"
#include "passes/ObservedProducts.h"
#include "passes/PackedWeights.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Matchers.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::qc;

namespace {

/// `generic` is a * b elementwise over two tensors of its own shape.
bool isElementwiseProduct(linalg::GenericOp generic) {
  if (generic.getNumDpsInputs() != 2 || generic.getNumDpsInits() != 1 ||
      generic.getNumReductionLoops() != 0 ||
      !llvm::all_of(generic.getIndexingMapsArray(),
                    [](AffineMap m) { return m.isIdentity(); }))
    return false;
  Block &body = generic.getRegion().front();
  auto mul = cast<linalg::YieldOp>(body.getTerminator())
                 .getOperand(0)
                 .getDefiningOp<arith::MulFOp>();
  return mul && &body.front() == mul.getOperation() &&
         ((mul.getLhs() == body.getArgument(0) &&
           mul.getRhs() == body.getArgument(1)) ||
          (mul.getLhs() == body.getArgument(1) &&
           mul.getRhs() == body.getArgument(0)));
}

/// `v` is x W of a constant 2-D f32 weight with k columns that nothing else
/// reads (neither v nor W): the product, whose columns may absorb a factor.
MatmulOp foldableProduct(Value v, int64_t k) {
  auto mm = v.getDefiningOp<MatmulOp>();
  if (!mm || !mm->hasOneUse() || !mm.getRhs().hasOneUse())
    return {};
  auto type = cast<RankedTensorType>(mm.getRhs().getType());
  if (type.getRank() != 2 || type.getDimSize(1) != k ||
      !type.getElementType().isF32() ||
      !matchPattern(mm.getRhs(), m_Constant()))
    return {};
  return mm;
}

/// Multiplies column j of `mm`'s constant weight by factor[j].
bool scaleColumns(OpBuilder &b, MatmulOp mm, ArrayRef<float> factor) {
  Attribute value;
  matchPattern(mm.getRhs(), m_Constant(&value));
  std::optional<std::vector<float>> w = readFloatConstant(value);
  if (!w)
    return false;
  int64_t n = static_cast<int64_t>(factor.size());
  for (size_t i = 0; i < w->size(); ++i)
    (*w)[i] *= factor[i % n];
  setWeight(mm, *w);
  return true;
}

/// x / s into the weight product producing x, directly or as one factor
/// of an elementwise product; false when x has no such producer.
bool foldIntoProduct(OpBuilder &b, Value x, ArrayRef<float> inverse) {
  int64_t k = static_cast<int64_t>(inverse.size());
  if (MatmulOp mm = foldableProduct(x, k))
    return scaleColumns(b, mm, inverse);
  auto generic = x.getDefiningOp<linalg::GenericOp>();
  if (!generic || !generic->hasOneUse() || !isElementwiseProduct(generic))
    return false;
  for (Value factor : generic.getDpsInputs())
    if (MatmulOp mm = foldableProduct(factor, k))
      return scaleColumns(b, mm, inverse);
  return false;
}

/// x * (1/s) along the last dimension, built before `op`.
Value explicitInverse(OpBuilder &b, ObserveOp op, ArrayRef<float> inverse) {
  int64_t k = static_cast<int64_t>(inverse.size());
  b.setInsertionPoint(op);
  Location loc = op.getLoc();
  Value x = op.getInput();
  Value factor = arith::ConstantOp::create(
      b, loc, floatAttr(b.getContext(), {k}, inverse));
  auto type = cast<RankedTensorType>(x.getType());
  unsigned rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap last = AffineMap::get(rank, 0, getAffineDimExpr(rank - 1, ctx));
  Value init = emptyShapedLike(b, loc, x, type.getElementType());
  return linalg::GenericOp::create(
             b, loc, type, ValueRange{x, factor}, ValueRange{init},
             {id, last, id}, iterators(rank, 0),
             [&](OpBuilder &nb, Location l, ValueRange a) {
               linalg::YieldOp::create(
                   nb, l, Value(arith::MulFOp::create(nb, l, a[0], a[1])));
             })
      .getResult(0);
}

/// x / s into what produces x (the constant per-channel multiply of a norm
/// scale, or a weight product); false when nothing can absorb it.
bool foldIntoProducer(OpBuilder &b, ObserveOp op, ArrayRef<float> inverse) {
  int64_t k = static_cast<int64_t>(inverse.size());
  if (!op.getInput().hasOneUse())
    return false;
  if (auto generic = op.getInput().getDefiningOp<linalg::GenericOp>()) {
    int index = constantChannelFactor(generic, k);
    if (index >= 0) {
      Value c = generic.getDpsInputs()[index];
      Attribute value;
      matchPattern(c, m_Constant(&value));
      if (std::optional<std::vector<float>> factors =
              readFloatConstant(value)) {
        for (int64_t i = 0; i < k; ++i)
          (*factors)[i] *= inverse[i];
        b.setInsertionPoint(generic);
        Value folded = arith::ConstantOp::create(
            b, c.getLoc(), floatAttr(b.getContext(), {k}, *factors));
        generic->setOperand(index, folded);
        if (c.use_empty())
          c.getDefiningOp()->erase();
        return true;
      }
    }
  }
  return foldIntoProduct(b, op.getInput(), inverse);
}

/// The observer's statistics of x, rescaled to describe x / s.
void divideStatistics(ObserveOp op, ArrayRef<float> inverse) {
  MLIRContext *ctx = op.getContext();
  int64_t k = static_cast<int64_t>(inverse.size());
  auto rescale = [&](StringRef name, bool squared) {
    std::vector<float> v = channelVector(op, name, k);
    if (v.empty())
      return v;
    for (int64_t i = 0; i < k; ++i)
      v[i] *= squared ? inverse[i] * inverse[i] : inverse[i];
    op->setAttr(name, floatAttr(ctx, {k}, v));
    return v;
  };
  rescale(kChannelMeanAbsAttr, false);
  rescale(kChannelMeanSquareAttr, true);
  std::vector<float> maxAbs = rescale(kChannelMaxAbsAttr, false);
  if (Attribute g = op->getAttr(kInputGramAttr)) {
    std::optional<std::vector<float>> gram = readFloatConstant(g);
    if (gram && gram->size() == static_cast<size_t>(k * k)) {
      for (int64_t i = 0; i < k; ++i)
        for (int64_t j = 0; j < k; ++j)
          (*gram)[i * k + j] *= inverse[i] * inverse[j];
      op->setAttr(kInputGramAttr, floatAttr(ctx, {k, k}, *gram));
    }
  }
  if (Attribute a = op->getAttr(kInputSampleAttr)) {
    std::optional<std::vector<float>> rows = readFloatConstant(a);
    if (rows && !rows->empty() && rows->size() % k == 0) {
      for (size_t i = 0; i < rows->size(); ++i)
        (*rows)[i] *= inverse[i % k];
      op->setAttr(
          kInputSampleAttr,
          floatAttr(ctx, {static_cast<int64_t>(rows->size()) / k, k}, *rows));
    }
  }
  // The range of x / s, from the channel maxima: symmetric (the channels'
  // signs are not kept), exact for min/max calibration.
  if (std::optional<RangeAttr> range = op.getRange();
      range && !maxAbs.empty()) {
    float r = *std::max_element(maxAbs.begin(), maxAbs.end());
    op.setRangeAttr(RangeAttr::get(ctx, APFloat(-static_cast<double>(r)),
                                   APFloat(static_cast<double>(r)),
                                   range->getObserver()));
  }
}

} // namespace

int qc::constantChannelFactor(linalg::GenericOp generic, int64_t k) {
  // Elementwise over the output's own index space: x (identity map) times
  // the factor.
  if (generic.getNumDpsInputs() != 2 || generic.getNumDpsInits() != 1 ||
      generic.getNumReductionLoops() != 0 ||
      !generic.getIndexingMapsArray().back().isIdentity())
    return -1;
  Block &body = generic.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto mul = yield.getOperand(0).getDefiningOp<arith::MulFOp>();
  if (!mul || &body.front() != mul.getOperation() ||
      !llvm::is_contained(ValueRange{mul.getLhs(), mul.getRhs()},
                          body.getArgument(0)) ||
      !llvm::is_contained(ValueRange{mul.getLhs(), mul.getRhs()},
                          body.getArgument(1)))
    return -1;
  for (int i = 0; i < 2; ++i) {
    Value in = generic.getDpsInputs()[i];
    auto type = cast<RankedTensorType>(in.getType());
    AffineMap map = generic.getIndexingMapsArray()[i];
    unsigned last = generic.getNumLoops() - 1;
    if (type.getRank() == 1 && type.getDimSize(0) == k &&
        type.getElementType().isF32() && matchPattern(in, m_Constant()) &&
        map.getNumResults() == 1 && map.getResult(0).isFunctionOfDim(last) &&
        map.getResult(0) == getAffineDimExpr(last, generic.getContext()))
      return i;
  }
  return -1;
}

void qc::moveChannelFactor(ObserveOp op, ArrayRef<MatmulOp> products,
                           std::vector<std::vector<float>> &weights,
                           ArrayRef<float> s) {
  int64_t k = static_cast<int64_t>(s.size());
  OpBuilder b(op);
  for (auto [product, w] : llvm::zip(products, weights)) {
    MatmulOp mm = product;
    int64_t n = cast<RankedTensorType>(mm.getRhs().getType()).getDimSize(1);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j)
        w[i * n + j] *= s[i];
    setWeight(mm, w);
  }
  std::vector<float> inverse(k);
  for (int64_t i = 0; i < k; ++i)
    inverse[i] = 1.0f / s[i];
  // Changing what the observer reads changes what every reader of it sees:
  // only when they all are the scaled products. Either way the products
  // read an observer of x / s (static activation quantization takes its
  // range from the observer it reads).
  bool onlyProducts = llvm::all_of(op->getUsers(), [&](Operation *user) {
    return llvm::is_contained(products, user);
  });
  if (onlyProducts) {
    if (!foldIntoProducer(b, op, inverse))
      op->setOperand(0, explicitInverse(b, op, inverse));
    divideStatistics(op, inverse);
    return;
  }
  // Other readers keep x: the products get their own observer of x / s.
  Value divided = explicitInverse(b, op, inverse);
  b.setInsertionPointAfterValue(divided);
  auto scaled = cast<ObserveOp>(b.clone(*op.getOperation()));
  scaled->setOperand(0, divided);
  divideStatistics(scaled, inverse);
  for (MatmulOp mm : products)
    mm.getLhsMutable().assign(scaled.getResult());
}
