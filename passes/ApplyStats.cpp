//===- ApplyStats.cpp - calibration ranges onto qc.observe ----------------===//

#include "passes/Passes.h"

#include "dialects/qc/IR/QcOps.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>

namespace mlir::qc {
#define GEN_PASS_DEF_APPLYSTATS
#include "passes/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

struct Entry {
  double min, max;
  ObserverKind observer;
};

/// Parses the stats file into `entries`; returns "" or what is wrong.
std::string parseStats(StringRef path, llvm::StringMap<Entry> &entries) {
  if (path.empty())
    return "no stats-file given";
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return "cannot read stats file '" + path.str() +
           "': " + buffer.getError().message();
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return "stats file '" + path.str() +
           "' is not valid JSON: " + llvm::toString(json.takeError());
  const llvm::json::Object *root = json->getAsObject();
  if (!root || root->getString("format") != "quantc-stats" ||
      root->getInteger("version") != 1)
    return "stats file '" + path.str() +
           "' is not a quantc-stats version 1 file";
  const llvm::json::Object *tensors = root->getObject("tensors");
  if (!tensors)
    return "stats file '" + path.str() + "' has no \"tensors\" object";
  for (const auto &[name, value] : *tensors) {
    const llvm::json::Object *o = value.getAsObject();
    std::optional<double> min = o ? o->getNumber("min") : std::nullopt;
    std::optional<double> max = o ? o->getNumber("max") : std::nullopt;
    std::string what = "stats for '" + name.str() + "'";
    if (!min || !max)
      return what + " need numeric \"min\" and \"max\"";
    if (!std::isfinite(*min) || !std::isfinite(*max) || *min > *max)
      return what + " have an invalid range [" + std::to_string(*min) +
             ", " + std::to_string(*max) + "]";
    ObserverKind observer = ObserverKind::MinMax;
    if (std::optional<StringRef> kind = o->getString("observer")) {
      std::optional<ObserverKind> parsed = symbolizeObserverKind(*kind);
      if (!parsed)
        return what + " name an unknown observer '" + kind->str() + "'";
      observer = *parsed;
    }
    entries[name.str()] = {*min, *max, observer};
  }
  return "";
}

struct ApplyStats : qc::impl::ApplyStatsBase<ApplyStats> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *) override {
    error = parseStats(statsFile, entries);
    return success(); // reported per function, at its location
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!error.empty()) {
      func.emitError(error);
      return signalPassFailure();
    }
    WalkResult result = func.walk([&](ObserveOp op) {
      auto it = entries.find(op.getName());
      if (it == entries.end()) {
        if (allowMissing)
          return WalkResult::advance();
        op.emitOpError("has no entry '") << op.getName() << "' in " << statsFile;
        return WalkResult::interrupt();
      }
      const Entry &e = it->second;
      op.setRangeAttr(RangeAttr::get(op.getContext(), llvm::APFloat(e.min),
                                     llvm::APFloat(e.max), e.observer));
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }

  llvm::StringMap<Entry> entries;
  std::string error;
};

} // namespace
