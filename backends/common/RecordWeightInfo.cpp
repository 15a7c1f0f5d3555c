//===- RecordWeightInfo.cpp - the artifact's weight counts ----------------===//

#include "backends/common/Passes.h"

#include "dialects/qc/IR/QcOps.h"
#include "passes/PackedWeights.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"

namespace mlir::qc {
#define GEN_PASS_DEF_RECORDWEIGHTINFO
#include "backends/common/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {

struct RecordWeightInfo : qc::impl::RecordWeightInfoBase<RecordWeightInfo> {
  using Base::Base;

  void runOnOperation() override {
    int64_t quantizedParams = 0, quantizedBytes = 0, floatParams = 0,
            floatBytes = 0;
    getOperation().walk([&](Operation *op) {
      if (auto mm = dyn_cast<qc::QuantizedMatmulOp>(op)) {
        auto rhs = cast<RankedTensorType>(mm.getRhs().getType());
        auto lhs = cast<RankedTensorType>(mm.getLhs().getType());
        quantizedParams += lhs.getShape().back() * rhs.getDimSize(1);
        quantizedBytes += qc::PackedWeightLayout::get(rhs).storageBytes();
        // LoRC factors stored as 8-bit codes with f32 scales per column
        // count with the weight they correct (float factors are float
        // constants, counted below).
        for (Value factor : {mm.getLrcA(), mm.getLrcB()}) {
          auto type = factor ? cast<RankedTensorType>(factor.getType())
                             : RankedTensorType();
          if (type && isa<quant::QuantizedType>(type.getElementType()))
            quantizedBytes += type.getNumElements() + 4 * type.getDimSize(1);
        }
      } else if (auto conv = dyn_cast<qc::QuantizedConvOp>(op)) {
        auto weight = cast<RankedTensorType>(conv.getWeight().getType());
        quantizedParams += weight.getNumElements();
        quantizedBytes += qc::quantizedConvBytes(weight);
      } else if (auto cst = dyn_cast<arith::ConstantOp>(op)) {
        auto type = dyn_cast<RankedTensorType>(cst.getType());
        if (type && type.getRank() > 0 && type.hasStaticShape() &&
            isa<FloatType>(type.getElementType())) {
          floatParams += type.getNumElements();
          floatBytes += type.getNumElements() *
                        type.getElementType().getIntOrFloatBitWidth() / 8;
        }
      }
    });
    Builder b(&getContext());
    getOperation()->setAttr(
        "qc.weights",
        b.getDictionaryAttr(
            {b.getNamedAttr("quantized_params",
                            b.getI64IntegerAttr(quantizedParams)),
             b.getNamedAttr("quantized_bytes",
                            b.getI64IntegerAttr(quantizedBytes)),
             b.getNamedAttr("float_params", b.getI64IntegerAttr(floatParams)),
             b.getNamedAttr("float_bytes", b.getI64IntegerAttr(floatBytes))}));
  }
};

} // namespace
