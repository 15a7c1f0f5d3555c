//===- Scheme.cpp - quantization schemes as qc pass pipelines -------------===//

#include "tools/quantc/Scheme.h"

#include "tools/quantc/Compiler.h"

#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"

using namespace mlir;

bool quantc::parseScheme(llvm::StringRef scheme, unsigned &weightBits,
                         unsigned &activationBits) {
  if (!scheme.consume_front("w"))
    return false;
  auto [w, a] = scheme.split('a');
  if (w.getAsInteger(10, weightBits) || a.getAsInteger(10, activationBits))
    return false;
  return (weightBits == 2 || weightBits == 3 || weightBits == 4 ||
          weightBits == 8) &&
         (activationBits == 8 || activationBits == 16);
}

/// Runs `build`'s passes on `module`, keeping the first error.
static bool runPasses(ModuleOp module,
                      llvm::function_ref<void(OpPassManager &)> build,
                      std::string &error) {
  quantc::FirstError diag(module.getContext());
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  build(pm.nest<func::FuncOp>());
  if (succeeded(pm.run(module)))
    return true;
  error = diag.text.empty() ? "quantization failed" : diag.text;
  return false;
}

bool quantc::applyScheme(ModuleOp module, const SchemeOptions &options,
                         std::string &error) {
  if (options.scheme == "fp32")
    return true;
  unsigned weightBits, activationBits;
  if (!parseScheme(options.scheme, weightBits, activationBits)) {
    error = "unknown scheme '" + options.scheme +
            "' (fp32, w8a8, w4a16, w4a8, or wBaA with B in 2, 3, 4, 8 and A "
            "in 8, 16)";
    return false;
  }
  if (options.activations != "static" && options.activations != "dynamic") {
    error = "--activations must be static or dynamic";
    return false;
  }
  if (options.groupSize < -1) {
    error = "--group-size must be -1 (per tensor), 0 (per channel) or "
            "positive";
    return false;
  }
  bool staticActivations =
      activationBits == 8 && options.activations == "static";

  if (staticActivations) {
    if (!runPasses(
            module,
            [](OpPassManager &pm) {
              qc::InsertObserversOptions o;
              o.activationProducts = false; // only weight matmuls quantize
              pm.addPass(qc::createInsertObservers(o));
            },
            error))
      return false;
    std::string stats = options.statsFile;
    TemporaryFile temp;
    if (stats.empty()) {
      if (options.calibration.samples.empty()) {
        error = "scheme " + options.scheme +
                " with static activations needs calibration: give --calib "
                "SAMPLE... or --stats FILE (or --activations dynamic)";
        return false;
      }
      if (!temp.create("quantc-stats", "json", error))
        return false;
      stats = std::string(temp.path);
      if (!calibrate(module, options.calibration, stats, error))
        return false;
    }
    if (!runPasses(
            module,
            [&](OpPassManager &pm) {
              qc::ApplyStatsOptions o;
              o.statsFile = stats;
              pm.addPass(qc::createApplyStats(o));
            },
            error))
      return false;
  }
  return runPasses(
      module,
      [&](OpPassManager &pm) {
        qc::QuantizeWeightsOptions w;
        w.bits = weightBits;
        w.groupSize = options.groupSize;
        w.symmetric = options.symmetricWeights;
        pm.addPass(qc::createQuantizeWeights(w));
        if (activationBits == 8) {
          qc::QuantizeActivationsOptions a;
          a.mode = options.activations;
          pm.addPass(qc::createQuantizeActivations(a));
        }
      },
      error);
}
