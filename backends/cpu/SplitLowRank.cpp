//===- SplitLowRank.cpp - LoRC products as three kernel products ----------===//
//
// A qc.quantized_matmul with a low-rank correction (LoRC) and float
// activations,
//
//   y = x W + (x A) B      (A [K, r], B [r, N]: 8-bit per-column factors)
//
// becomes three products without one and an add:
//
//   p = qc.quantized_matmul x, W
//   t = qc.quantized_matmul x, A
//   c = qc.quantized_matmul t, B
//   y = linalg.generic { p + c }
//
// so that the weight-only kernel passes after it (qc-cpu-w4-matmuls,
// qc-cpu-wq-matmuls) take each one: qc-lower-quantized's generic kernel
// for the fused form ran stories260k's LoRC products at 1.6x the fp32
// time. Float factors are left alone (no kernel takes a float weight
// through qc.quantized_matmul), as are integer activations (LoRC is a
// float-activation scheme; qc-lower-quantized refuses it there).
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/Passes.h"

#include "passes/LinalgBuilders.h"

#include "dialects/qc/IR/QcOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::qc::cpu {
#define GEN_PASS_DEF_SPLITLOWRANK
#include "backends/cpu/Passes.h.inc"
} // namespace mlir::qc::cpu

using namespace mlir;
using namespace mlir::qc;

namespace {

bool isQuantizedFactor(Value v) {
  return v && isa<quant::QuantizedType>(
                  cast<RankedTensorType>(v.getType()).getElementType());
}

/// Whether `op` is a LoRC product this pass splits.
bool splittable(QuantizedMatmulOp op) {
  auto lhs = cast<RankedTensorType>(op.getLhs().getType());
  auto result = cast<RankedTensorType>(op.getType());
  return op.getLrcA() && isQuantizedFactor(op.getLrcA()) &&
         isQuantizedFactor(op.getLrcB()) &&
         isa<FloatType>(lhs.getElementType()) &&
         result.getElementType() == lhs.getElementType();
}

/// `x` (an [..., K] float tensor) times the quantized `weight` [K, N], of
/// the type `like` (the split product's result: its leading sizes may be
/// more static than x's) with N columns.
Value product(OpBuilder &b, Location loc, Value x, Value weight,
              RankedTensorType like, Value codebook = {}) {
  SmallVector<int64_t> shape(like.getShape());
  shape.back() = cast<RankedTensorType>(weight.getType()).getDimSize(1);
  auto type = RankedTensorType::get(shape, like.getElementType());
  return QuantizedMatmulOp::create(b, loc, type, x, /*lhs_scale=*/Value(),
                                   weight, /*lrc_a=*/Value(), /*lrc_b=*/Value(),
                                   codebook)
      .getResult();
}

void split(IRRewriter &b, QuantizedMatmulOp op) {
  b.setInsertionPoint(op);
  Location loc = op.getLoc();
  Value x = op.getLhs();
  auto type = cast<RankedTensorType>(op.getType());
  Value main = product(b, loc, x, op.getRhs(), type, op.getCodebook());
  Value correction = product(b, loc, product(b, loc, x, op.getLrcA(), type),
                             op.getLrcB(), type);
  AffineMap id =
      AffineMap::getMultiDimIdentityMap(type.getRank(), b.getContext());
  Value init = emptyShapedLike(b, loc, main, type.getElementType());
  Value sum = linalg::GenericOp::create(
                  b, loc, type, ValueRange{main, correction}, ValueRange{init},
                  SmallVector<AffineMap>(3, id), iterators(type.getRank(), 0),
                  [](OpBuilder &nb, Location l, ValueRange a) {
                    linalg::YieldOp::create(
                        nb, l, Value(arith::AddFOp::create(nb, l, a[0], a[1])));
                  })
                  .getResult(0);
  b.replaceOp(op, sum);
}

struct SplitLowRank : qc::cpu::impl::SplitLowRankBase<SplitLowRank> {
  void runOnOperation() override {
    SmallVector<QuantizedMatmulOp> ops;
    getOperation().walk([&](QuantizedMatmulOp op) {
      if (splittable(op))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (QuantizedMatmulOp op : ops)
      split(rewriter, op);
  }
};

} // namespace
