//===- Quantize.cpp - quantization schemes over qc-quantize-pipeline ------===//

#include "tools/driver/Quantize.h"

#include "passes/QuantizePipeline.h"

#include "mlir/Pass/PassManager.h"

using namespace mlir;

void quantc::QuantizeOptions::toPipelineOptions(
    qc::QuantizePipelineOptions &options) const {
  options.weightBits = weightBits;
  options.activationBits = activationBits;
  options.groupSize = groupSize;
  options.symmetricWeights = symmetricWeights;
  options.clip = clip;
  options.activations = activations;
  options.statsFile = statsFile;
}

llvm::Error quantc::parseScheme(StringRef scheme, QuantizeOptions &options) {
  if (scheme == "fp32") {
    options.weightBits = 0;
    options.activationBits = 16;
    return llvm::Error::success();
  }
  unsigned w = 0, a = 0;
  StringRef rest = scheme;
  bool ok = rest.consume_front("w");
  auto [wText, aText] = rest.split('a');
  ok = ok && !wText.getAsInteger(10, w) && !aText.getAsInteger(10, a) &&
       (w == 2 || w == 3 || w == 4 || w == 8) && (a == 8 || a == 16);
  if (!ok)
    return makeError("unknown scheme '" + scheme +
                     "' (fp32, w8a8, w4a16, w4a8, or wBaA with B in 2, 3, 4, "
                     "8 and A in 8, 16)");
  options.weightBits = w;
  options.activationBits = a;
  return llvm::Error::success();
}

llvm::Error quantc::prepareCalibration(ModuleOp module,
                                       QuantizeOptions &options,
                                       TemporaryFile &stats) {
  if (options.weightBits != 0 && options.groupSize < -1)
    return makeError("--group-size must be -1 (per tensor), 0 (per channel) "
                     "or positive");
  // --clip mse uses calibration when samples are given (per-channel mean
  // x^2 weights the search); without them it is unweighted.
  bool clipStats = options.weightBits != 0 &&
                   options.clip == qc::WeightClip::Mse &&
                   !options.calibration.samples.empty();
  if ((!options.staticActivations() && !clipStats) ||
      !options.statsFile.empty())
    return llvm::Error::success();
  if (options.calibration.samples.empty())
    return makeError("static int8 activations need calibration: give --calib "
                     "SAMPLE... or --stats FILE (or --activations dynamic)");
  // The observers qc-quantize-pipeline inserts (activation-products=false),
  // on a copy.
  OwningOpRef<ModuleOp> copy(cast<ModuleOp>(module->clone()));
  if (llvm::Error e = insertObservers(*copy, /*activationProducts=*/false))
    return e;
  if (llvm::Error e = stats.create("quantc-stats", "json"))
    return e;
  if (llvm::Error e = calibrate(*copy, options.calibration, stats.path))
    return e;
  options.statsFile = std::string(stats.path);
  return llvm::Error::success();
}

llvm::Error quantc::quantize(ModuleOp module, const QuantizeOptions &options) {
  QuantizeOptions resolved = options;
  TemporaryFile stats;
  if (llvm::Error e = prepareCalibration(module, resolved, stats))
    return e;
  qc::QuantizePipelineOptions pipeline;
  resolved.toPipelineOptions(pipeline);
  FirstError diag(module.getContext());
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  qc::buildQuantizePipeline(pm, pipeline);
  if (failed(pm.run(module)))
    return diag.takeError("quantization failed");
  return llvm::Error::success();
}
