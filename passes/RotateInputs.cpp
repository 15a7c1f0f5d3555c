//===- RotateInputs.cpp - randomized Hadamard rotation of layer inputs ----===//
//
// qc-rotate-inputs: per calibrated activation, Q^T W for its products and x Q
// computed before the observer (as a fast Walsh-Hadamard transform), where
// the rounding error (measured with the calibrated E[x x^T]) is lower
// rotated. The numeric parts are
// passes/algorithms (Rotation) and WeightRounding::outputError.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/qc/IR/QcOps.h"
#include "passes/LinalgBuilders.h"
#include "passes/ObservedProducts.h"
#include "passes/algorithms/Rotation.h"

namespace mlir::qc {
#define GEN_PASS_DEF_ROTATEINPUTS
#include "passes/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;
namespace alg = quantc::algorithms;

namespace {

/// rows [R, K] times diag(scale) elementwise.
Value scaleColumns(OpBuilder &b, Location loc, Value rows,
                   ArrayRef<float> scale) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(rows.getType());
  Value factor = arith::ConstantOp::create(
      b, loc, floatAttr(ctx, {static_cast<int64_t>(scale.size())}, scale));
  AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
  AffineMap last = AffineMap::get(2, 0, getAffineDimExpr(1, ctx));
  return linalg::GenericOp::create(
             b, loc, type, ValueRange{rows, factor},
             ValueRange{emptyShapedLike(b, loc, rows, type.getElementType())},
             {id, last, id}, iterators(2, 0),
             [&](OpBuilder &nb, Location l, ValueRange a) {
               linalg::YieldOp::create(
                   nb, l, Value(arith::MulFOp::create(nb, l, a[0], a[1])));
             })
      .getResult(0);
}

/// One butterfly stage of stride h on rows [R, K] over columns [0, limit)
/// (the blocks wider than h; the rest pass through): column j pairs with
/// j ^ h, the lower of the pair becomes a + b, the upper a - b.
Value butterflies(OpBuilder &b, Location loc, Value rows, int64_t h,
                  int64_t limit) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(rows.getType());
  AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
  return linalg::GenericOp::create(
             b, loc, type, ValueRange{rows},
             ValueRange{emptyShapedLike(b, loc, rows, type.getElementType())},
             {id, id}, iterators(2, 0),
             [&](OpBuilder &nb, Location l, ValueRange a) {
               auto cst = [&](int64_t v) {
                 return arith::ConstantIndexOp::create(nb, l, v).getResult();
               };
               Value r = linalg::IndexOp::create(nb, l, 0);
               Value j = linalg::IndexOp::create(nb, l, 1);
               Value inBlocks = arith::CmpIOp::create(
                   nb, l, arith::CmpIPredicate::ult, j, cst(limit));
               // The partner index only inside the blocks, so the read
               // stays in bounds.
               Value partner = arith::SelectOp::create(
                   nb, l, inBlocks, arith::XOrIOp::create(nb, l, j, cst(h)), j);
               Value other = tensor::ExtractOp::create(nb, l, rows,
                                                       ValueRange{r, partner});
               Value lower = arith::CmpIOp::create(
                   nb, l, arith::CmpIPredicate::eq,
                   arith::AndIOp::create(nb, l, j, cst(h)), cst(0));
               Value sum = arith::AddFOp::create(nb, l, a[0], other);
               Value difference = arith::SubFOp::create(nb, l, other, a[0]);
               Value pair =
                   arith::SelectOp::create(nb, l, lower, sum, difference);
               linalg::YieldOp::create(
                   nb, l,
                   Value(arith::SelectOp::create(nb, l, inBlocks, pair, a[0])));
             })
      .getResult(0);
}

/// rows Q for Q = randomizedHadamard in factored form: a per-column scale,
/// then log2(widest block) butterfly stages (alg::applyHadamard's order):
/// O(R K log K) and no K x K constant.
Value hadamardRows(OpBuilder &b, Location loc, Value rows,
                   const alg::HadamardFactors &factors) {
  rows = scaleColumns(b, loc, rows, factors.scale);
  for (int64_t h = 1; h < factors.blocks.front(); h *= 2) {
    int64_t limit = 0;
    for (int64_t size : factors.blocks)
      if (size > h)
        limit += size;
    rows = butterflies(b, loc, rows, h, limit);
  }
  return rows;
}

struct RotateInputs : qc::impl::RotateInputsBase<RotateInputs> {
  using Base::Base;

  void runOnOperation() override {
    if (bits < 2 || bits > 8 || groupSize < -1) {
      emitError(getOperation().getLoc())
          << "qc-rotate-inputs: bits must be in [2, 8] and group-size >= -1";
      return signalPassFailure();
    }
    SmallVector<ObserveOp> observers;
    getOperation().walk([&](ObserveOp op) {
      if (!op->hasAttr(kRotatedAttr))
        observers.push_back(op);
    });
    for (ObserveOp op : observers)
      if (failed(rotate(op)))
        return signalPassFailure();
  }

  /// The products' summed output error after rounding their weights `ws`
  /// against Gram matrix `gram`.
  double roundingError(const std::vector<std::vector<float>> &ws,
                       ArrayRef<MatmulOp> products, int64_t k,
                       const std::vector<float> &gram) const {
    WeightRounding rounding{bits, groupSize, symmetric, clip};
    double error = 0;
    for (auto [w, product] : llvm::zip(ws, products)) {
      MatmulOp mm = product;
      int64_t n = cast<RankedTensorType>(mm.getRhs().getType()).getDimSize(1);
      error += rounding.outputError(w, k, n, gram);
    }
    return error;
  }

  LogicalResult rotate(ObserveOp op) {
    FailureOr<std::optional<ObservedProducts>> found = observedProducts(op);
    if (failed(found))
      return failure();
    if (!*found)
      return success();
    ObservedProducts &o = **found;
    // x Q replaces what the observer reads: every reader must be a product
    // whose weight becomes Q^T W.
    if (!llvm::all_of(op->getUsers(), [&](Operation *user) {
          return llvm::is_contained(o.products, user);
        }))
      return success();
    int64_t k = o.k;
    std::vector<float> q = alg::randomizedHadamard(k, seed);
    std::vector<std::vector<float>> rotated;
    for (auto [w, mm] : llvm::zip(o.weights, o.products))
      rotated.push_back(alg::rotateRows(
          w.data(), q, k,
          cast<RankedTensorType>(mm.getRhs().getType()).getDimSize(1)));
    std::vector<float> gram = alg::rotateGram(o.gram, q, k);
    double before = roundingError(o.weights, o.products, k, o.gram);
    double after = roundingError(rotated, o.products, k, gram);
    bool keep = always || after < before;
    op.emitRemark() << "Hadamard rotation: output error " << before << " -> "
                    << after << (keep ? ", rotated" : ", left unrotated");
    if (!keep)
      return success();

    MLIRContext *ctx = &getContext();
    OpBuilder b(op);
    for (auto [w, mm] : llvm::zip(rotated, o.products))
      setWeight(mm, w);
    // x Q before the observer, as a fast transform on rows [R, K].
    b.setInsertionPoint(op);
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    Value rows = hadamardRows(b, loc, collapseToRows(b, loc, x),
                              alg::hadamardFactors(k, seed));
    op->setOperand(0, expandRows(b, loc, rows, x, type));
    std::vector<float> diag(k);
    for (int64_t i = 0; i < k; ++i)
      diag[i] = gram[i * k + i];
    op->setAttr(kInputGramAttr, floatAttr(ctx, {k, k}, gram));
    op->setAttr(kChannelMeanSquareAttr, floatAttr(ctx, {k}, diag));
    // Per-channel |x| statistics and sampled rows describe x, not x Q.
    op->removeAttr(kChannelMeanAbsAttr);
    op->removeAttr(kChannelMaxAbsAttr);
    op->removeAttr(kInputSampleAttr);
    return success();
  }
};

} // namespace
