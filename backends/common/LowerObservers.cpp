//===- LowerObservers.cpp - qc.observe in CPU artifacts -------------------===//

#include "backends/common/Passes.h"

#include "dialects/qc/IR/QcOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::qc {
#define GEN_PASS_DEF_LOWEROBSERVERS
#include "backends/common/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {

constexpr StringLiteral kObserveFn = "quantc_observe";

struct LowerObservers : qc::impl::LowerObserversBase<LowerObservers> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<qc::ObserveOp> observers;
    module.walk([&](qc::ObserveOp op) { observers.push_back(op); });
    if (!instrument) {
      for (qc::ObserveOp op : observers) {
        op.replaceAllUsesWith(op.getInput());
        op.erase();
      }
      return;
    }
    if (observers.empty())
      return;
    MLIRContext *ctx = &getContext();
    auto unranked = UnrankedTensorType::get(Float32Type::get(ctx));
    OpBuilder b(ctx);
    b.setInsertionPointToStart(module.getBody());
    auto fnType = b.getFunctionType({b.getI64Type(), unranked}, {});
    if (module.lookupSymbol(kObserveFn)) {
      module.emitError() << "the module already defines @" << kObserveFn;
      return signalPassFailure();
    }
    auto fn = func::FuncOp::create(b, module.getLoc(), kObserveFn, fnType);
    fn.setPrivate();
    fn.setArgAttr(1, bufferization::BufferizationDialect::kBufferAccessAttrName,
                  b.getStringAttr("read"));
    // Observers of one name (copies of a node in the two branches of an If,
    // see qc::inExclusiveBranches) record into one entry.
    SmallVector<Attribute> names;
    llvm::StringMap<int64_t> ids;
    for (qc::ObserveOp op : observers) {
      auto type = cast<RankedTensorType>(op.getType());
      if (!type.getElementType().isF32()) {
        op.emitOpError("calibration observes f32 tensors only, got ")
            << type.getElementType();
        return signalPassFailure();
      }
      b.setInsertionPoint(op);
      auto [entry, fresh] = ids.try_emplace(op.getName(), names.size());
      if (fresh)
        names.push_back(op.getNameAttr());
      Value id = arith::ConstantOp::create(b, op.getLoc(),
                                           b.getI64IntegerAttr(entry->second));
      Value cast =
          tensor::CastOp::create(b, op.getLoc(), unranked, op.getInput());
      func::CallOp::create(b, op.getLoc(), fn, ValueRange{id, cast});
      op.replaceAllUsesWith(op.getInput());
      op.erase();
    }
    module->setAttr("qc.observers", ArrayAttr::get(ctx, names));
  }
};

} // namespace
