//===- QuantizeActivations.cpp - integer activations for quantized matmuls ===//

#include "passes/Passes.h"

#include "dialects/qc/IR/QcOps.h"
#include "passes/algorithms/UniformQuant.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"

namespace mlir::qc {
#define GEN_PASS_DEF_QUANTIZEACTIVATIONS
#include "passes/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;
namespace alg = quantc::algorithms;

namespace {

struct QuantizeActivations
    : qc::impl::QuantizeActivationsBase<QuantizeActivations> {
  using Base::Base;

  void runOnOperation() override {
    if (bits < 2 || bits > 8) {
      emitError(getOperation().getLoc())
          << "qc-quantize-activations: bits must be in [2, 8], got "
          << static_cast<int64_t>(bits);
      return signalPassFailure();
    }
    SmallVector<QuantizedMatmulOp> matmuls;
    getOperation().walk([&](QuantizedMatmulOp op) {
      if (isa<FloatType>(
              cast<RankedTensorType>(op.getLhs().getType()).getElementType()))
        matmuls.push_back(op);
    });
    for (QuantizedMatmulOp op : matmuls)
      if (failed(mode == ActivationMode::Static ? quantizeStatic(op)
                                                : quantizeDynamic(op)))
        return signalPassFailure();
  }

  LogicalResult quantizeStatic(QuantizedMatmulOp op) {
    auto observe = op.getLhs().getDefiningOp<ObserveOp>();
    if (!observe)
      return op.emitOpError("static activation quantization needs an "
                            "observed lhs (run qc-insert-observers and "
                            "calibration)");
    std::optional<RangeAttr> range = observe.getRange();
    if (!range)
      return op.emitOpError("activation '")
             << observe.getName()
             << "' has no calibrated range (run calibration and "
                "qc-apply-stats)";
    auto type = cast<RankedTensorType>(observe.getType());
    alg::QuantRange grid = alg::QuantRange::signedBits(bits);
    alg::QuantParams p = alg::chooseParams(
        static_cast<float>(range->getMin().convertToDouble()),
        static_cast<float>(range->getMax().convertToDouble()), grid, symmetric);
    auto qtype = quant::UniformQuantizedType::get(
        quant::QuantizationFlags::Signed, IntegerType::get(&getContext(), bits),
        type.getElementType(), p.scale, p.zeroPoint, grid.qmin, grid.qmax);
    OpBuilder b(op);
    Value q = quant::QuantizeCastOp::create(
        b, op.getLoc(), RankedTensorType::get(type.getShape(), qtype),
        observe.getResult());
    op.getLhsMutable().assign(q);
    return success();
  }

  LogicalResult quantizeDynamic(QuantizedMatmulOp op) {
    OpBuilder b(op);
    auto type = cast<RankedTensorType>(op.getLhs().getType());
    SmallVector<int64_t> scaleShape(type.getShape());
    scaleShape.back() = 1;
    auto dq = DynamicQuantizeOp::create(
        b, op.getLoc(),
        RankedTensorType::get(type.getShape(),
                              IntegerType::get(&getContext(), bits)),
        RankedTensorType::get(scaleShape, type.getElementType()), op.getLhs(),
        GranularityAttr::get(&getContext(), Granularity::PerToken),
        b.getI64IntegerAttr(bits));
    op.getLhsMutable().assign(dq.getQ());
    op.getLhsScaleMutable().assign(dq.getScale());
    return success();
  }
};

} // namespace
