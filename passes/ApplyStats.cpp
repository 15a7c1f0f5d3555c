//===- ApplyStats.cpp - calibration ranges onto qc.observe ----------------===//

#include "passes/Passes.h"

#include "dialects/qc/IR/QcOps.h"
#include "passes/StatsFile.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace mlir::qc {
#define GEN_PASS_DEF_APPLYSTATS
#include "passes/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

struct ApplyStats : qc::impl::ApplyStatsBase<ApplyStats> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *) override {
    llvm::Expected<CalibrationStats> stats = readStatsFile(statsFile);
    if (stats)
      entries = std::move(stats->tensors);
    else
      error = llvm::toString(stats.takeError());
    return success(); // reported per function, at its location
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!error.empty()) {
      func.emitError(error);
      return signalPassFailure();
    }
    WalkResult result = func.walk([&](ObserveOp op) {
      auto it = entries.find(op.getName().str());
      if (it == entries.end()) {
        if (allowMissing)
          return WalkResult::advance();
        op.emitOpError("has no entry '")
            << op.getName() << "' in " << statsFile;
        return WalkResult::interrupt();
      }
      const TensorStats &e = it->second;
      op.setRangeAttr(RangeAttr::get(op.getContext(), llvm::APFloat(e.min),
                                     llvm::APFloat(e.max), e.observer));
      // Per-channel mean x^2 over the last dimension (stats version 2), for
      // the weight passes that weight a weight row by its input channel.
      auto type = cast<RankedTensorType>(op.getType());
      if (!e.meanSquare.empty() && type.getRank() > 0 &&
          type.getDimSize(type.getRank() - 1) ==
              static_cast<int64_t>(e.meanSquare.size())) {
        auto vector = [&](const std::vector<double> &v) {
          std::vector<float> values(v.begin(), v.end());
          return DenseElementsAttr::get(
              RankedTensorType::get({static_cast<int64_t>(values.size())},
                                    Float32Type::get(op.getContext())),
              ArrayRef<float>(values));
        };
        op->setAttr(kChannelMeanSquareAttr, vector(e.meanSquare));
        op->setAttr(kChannelMeanAbsAttr, vector(e.meanAbs));
        op->setAttr(kChannelMaxAbsAttr, vector(e.maxAbs));
      }
      // E[x x^T] as a resource blob: K x K floats are too many for an
      // inline attribute in printed IR.
      int64_t k = static_cast<int64_t>(e.meanSquare.size());
      if (!e.gram.empty() && type.getRank() > 0 &&
          type.getDimSize(type.getRank() - 1) == k) {
        auto gramType =
            RankedTensorType::get({k, k}, Float32Type::get(op.getContext()));
        op->setAttr(kInputGramAttr,
                    DenseResourceElementsAttr::get(
                        gramType, (op.getName() + ".gram").str(),
                        HeapAsmResourceBlob::allocateAndCopyInferAlign(
                            ArrayRef<float>(e.gram))));
      }
      // The row sample likewise (S x K floats).
      if (k > 0 && !e.sample.empty() && type.getRank() > 0 &&
          type.getDimSize(type.getRank() - 1) == k) {
        auto sampleType = RankedTensorType::get(
            {static_cast<int64_t>(e.sample.size()) / k, k},
            Float32Type::get(op.getContext()));
        op->setAttr(kInputSampleAttr,
                    DenseResourceElementsAttr::get(
                        sampleType, (op.getName() + ".sample").str(),
                        HeapAsmResourceBlob::allocateAndCopyInferAlign(
                            ArrayRef<float>(e.sample))));
      }
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }

  std::map<std::string, TensorStats> entries;
  std::string error;
};

} // namespace
