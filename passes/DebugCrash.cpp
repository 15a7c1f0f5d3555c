//===- DebugCrash.cpp - a crash on purpose --------------------------------===//
//
// qc-debug-crash: aborts, so that the driver's crash recovery and MLIR's
// crash reproducers can be tested without depending on an upstream bug.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include <cstdlib>

namespace mlir::qc {
#define GEN_PASS_DEF_DEBUGCRASH
#include "passes/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {

struct DebugCrash : qc::impl::DebugCrashBase<DebugCrash> {
  using Base::Base;

  void runOnOperation() override {
    if (!onlyIfFunction.empty() &&
        !getOperation().lookupSymbol<func::FuncOp>(onlyIfFunction))
      return;
    std::abort();
  }
};

} // namespace
