//===- RotateInputs.cpp - randomized Hadamard rotation of layer inputs ----===//
//
// qc-rotate-inputs: per calibrated activation, Q^T W for its products and x Q
// computed before the observer, where the rounding error (measured with the
// calibrated E[x x^T]) is lower rotated. The numeric parts are
// passes/algorithms (Rotation, Awq's outputError).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/qc/IR/QcOps.h"
#include "passes/LinalgBuilders.h"
#include "passes/ObservedProducts.h"
#include "passes/algorithms/Awq.h"
#include "passes/algorithms/Rotation.h"

namespace mlir::qc {
#define GEN_PASS_DEF_ROTATEINPUTS
#include "passes/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;
namespace alg = quantc::algorithms;

namespace {

struct RotateInputs : qc::impl::RotateInputsBase<RotateInputs> {
  using Base::Base;

  void runOnOperation() override {
    if (bits < 2 || bits > 8 || groupSize < -1) {
      emitError(getOperation().getLoc())
          << "qc-rotate-inputs: bits must be in [2, 8] and group-size >= -1";
      return signalPassFailure();
    }
    SmallVector<ObserveOp> observers;
    getOperation().walk([&](ObserveOp op) { observers.push_back(op); });
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
    std::vector<float> diag(k);
    for (int64_t i = 0; i < k; ++i)
      diag[i] = gram[i * k + i];
    double error = 0;
    for (auto [w, product] : llvm::zip(ws, products)) {
      MatmulOp mm = product;
      int64_t n = cast<RankedTensorType>(mm.getRhs().getType()).getDimSize(1);
      std::vector<float> what = rounding.roundTrip(w, k, n, diag.data());
      error += alg::outputError(w.data(), what.data(), k, n, gram.data());
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
    for (auto [w, mm] : llvm::zip(rotated, o.products)) {
      auto rhsType = cast<RankedTensorType>(mm.getRhs().getType());
      b.setInsertionPoint(mm);
      Value constant = arith::ConstantOp::create(
          b, mm.getLoc(), rhsType,
          DenseElementsAttr::get(rhsType, ArrayRef<float>(w)));
      Operation *old = mm.getRhs().getDefiningOp();
      mm.getRhsMutable().assign(constant);
      if (old->use_empty())
        old->erase();
    }
    // x Q before the observer: rows [R, K] times the constant Q (a float
    // product the CPU backend packs like any constant-weight matmul).
    b.setInsertionPoint(op);
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    Value rows = collapseToRows(b, loc, x);
    Value qConst = arith::ConstantOp::create(b, loc, floatAttr(ctx, {k, k}, q));
    auto rowsType = cast<RankedTensorType>(rows.getType());
    Value init = zeroFilled(
        b, loc, emptyShapedLike(b, loc, rows, rowsType.getElementType()));
    Value product =
        linalg::MatmulOp::create(b, loc, rowsType, ValueRange{rows, qConst},
                                 ValueRange{init})
            .getResult(0);
    op->setOperand(0, expandRows(b, loc, product, x, type));
    std::vector<float> diag(k);
    for (int64_t i = 0; i < k; ++i)
      diag[i] = gram[i * k + i];
    op->setAttr(kInputGramAttr, floatAttr(ctx, {k, k}, gram));
    op->setAttr(kChannelMeanSquareAttr, floatAttr(ctx, {k}, diag));
    op->removeAttr(kChannelMeanAbsAttr);
    return success();
  }
};

} // namespace
