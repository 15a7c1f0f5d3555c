//===- Quantize.cpp - quantization schemes over qc-quantize-pipeline ------===//

#include "tools/driver/Quantize.h"

#include "dialects/qc/IR/QcOps.h"
#include "passes/LayerOrder.h"
#include "passes/Passes.h"
#include "passes/QuantizePipeline.h"
#include "passes/SensitivityFile.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

void quantc::QuantizeOptions::toPipelineOptions(
    qc::QuantizePipelineOptions &options) const {
  options.weightBits = weightBits;
  options.activationBits = activationBits;
  options.groupSize = groupSize;
  options.symmetricWeights = symmetricWeights;
  options.clip = clip;
  options.method = method;
  options.actOrder = actOrder;
  options.lorcRank = lorcRank;
  options.awq = awq;
  options.codebook = codebook;
  options.rotate = rotate;
  options.rotateResidual = rotateResidual;
  options.smooth = smooth;
  options.smoothAlpha = smoothAlpha;
  options.sensitivityFile = sensitivityFile;
  options.budget = budget;
  options.sizeBudget = sizeBudget;
  options.layerBits = llvm::ArrayRef<std::string>(layerBits);
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

/// Sequential GPTQ (see prepareCalibration): observers on `module`, then
/// per stage a calibration of a copy (gram matrices of that stage's inputs
/// only) and qc-apply-stats + qc-quantize-weights{method=gptq
/// calibrated-only} on `module`; the observers go at the end.
static llvm::Error gptqInStages(ModuleOp module,
                                const quantc::QuantizeOptions &options) {
  if (llvm::Error e = quantc::insertObservers(module, false))
    return e;
  std::vector<std::vector<std::string>> stages = qc::observedStages(module);
  bool progress = llvm::sys::Process::StandardErrIsDisplayed();
  for (size_t s = 0; s < stages.size(); ++s) {
    if (progress)
      llvm::errs() << "GPTQ stage " << s + 1 << "/" << stages.size() << " ("
                   << stages[s].front() << (stages[s].size() > 1 ? ", ..." : "")
                   << ")\n";
    OwningOpRef<ModuleOp> copy(cast<ModuleOp>(module->clone()));
    quantc::TemporaryFile stats;
    if (llvm::Error e = stats.create("quantc-stats", "json"))
      return e;
    stats.companionSuffixes.push_back(".gram");
    quantc::CalibrationOptions calibration = options.calibration;
    calibration.grams = true;
    calibration.gramTensors = stages[s];
    if (llvm::Error e = quantc::calibrate(*copy, calibration, stats.path))
      return quantc::prefixError("GPTQ stage " + std::to_string(s + 1),
                                 std::move(e));
    quantc::FirstError diag(module.getContext());
    PassManager pm(module.getContext(), ModuleOp::getOperationName());
    OpPassManager &funcs = pm.nest<func::FuncOp>();
    qc::ApplyStatsOptions apply;
    apply.statsFile = std::string(stats.path);
    funcs.addPass(qc::createApplyStats(apply));
    qc::QuantizePipelineOptions pipeline;
    options.toPipelineOptions(pipeline);
    qc::QuantizeWeightsOptions weights = qc::quantizeWeightsOptions(pipeline);
    weights.calibratedOnly = true; // this stage's layers only
    funcs.addPass(qc::createQuantizeWeights(weights));
    if (failed(pm.run(module)))
      return diag.takeError("GPTQ stage " + std::to_string(s + 1) + " failed");
    // The Hessians of quantized layers are not needed again.
    module.walk([](qc::ObserveOp op) { op->removeAttr(qc::kInputGramAttr); });
  }
  module.walk([](qc::ObserveOp op) {
    op.replaceAllUsesWith(op.getInput());
    op.erase();
  });
  return llvm::Error::success();
}

llvm::Error quantc::prepareCalibration(ModuleOp module,
                                       QuantizeOptions &options,
                                       TemporaryFile &stats) {
  if (options.weightBits != 0 && options.groupSize < -1)
    return makeError("--group-size must be -1 (per tensor), 0 (per channel) "
                     "or positive");
  if (options.weightBits != 0 && options.lorcRank < 0)
    return makeError("--lorc-rank must be non-negative");
  if (options.weightBits != 0 && options.codebook != qc::WeightCodebook::None &&
      options.activationBits == 8)
    return makeError("--codebook needs float activations (a wBa16 scheme): "
                     "the kernels look codes up in a float table");
  if (options.weightBits != 0 && options.rotate &&
      (options.activationBits == 8 ||
       (options.method == qc::WeightMethod::Gptq && options.sequentialGptq)))
    return makeError("--rotate hadamard needs float activations (a wBa16 "
                     "scheme) and GPTQ on float statistics (not --gptq-inputs "
                     "quantized)");
  if (options.weightBits != 0 && options.awq &&
      options.method == qc::WeightMethod::Gptq && options.sequentialGptq)
    return makeError("--weights awq does not combine with --gptq-inputs "
                     "quantized");
  if (options.weightBits != 0 && options.rotate && options.awq)
    return makeError("--rotate hadamard and --weights awq do not combine: "
                     "AWQ's per-channel scales are not defined in the "
                     "rotated basis");
  if (options.weightBits != 0 && options.awq && options.activationBits == 8)
    return makeError("--weights awq needs float activations (a wBa16 "
                     "scheme): it divides the activation by its scales");
  if (options.weightBits != 0 && options.lorcRank > 0 &&
      options.activationBits == 8)
    return makeError("--lorc-rank needs float activations (a wBa16 scheme): "
                     "the correction reads the float activation");
  if (options.weightBits != 0 && options.smooth && options.activationBits != 8)
    return makeError("--smooth needs integer activations (a wBa8 scheme): "
                     "it flattens what the activation grid must hold");
  if (options.weightBits != 0 && !options.sensitivityFile.empty()) {
    // The widths were measured with one granularity and rounding; compiling
    // with another would allocate on the wrong numbers.
    llvm::Expected<qc::SensitivityReport> report =
        qc::readSensitivityFile(options.sensitivityFile);
    if (!report)
      return report.takeError();
    if (report->groupSize != options.groupSize ||
        report->symmetric != options.symmetricWeights)
      return makeError("--sensitivity: the report was measured with "
                       "--group-size " +
                       std::to_string(report->groupSize) +
                       (report->symmetric ? "" : " --asymmetric-weights") +
                       "; compile with the same");
    if (!(options.budget > 0) && options.sizeBudget <= 0)
      return makeError("--sensitivity needs --budget BITS (average code bits "
                       "per weight) or --size-budget BYTES");
    if (options.budget > 0 && options.sizeBudget > 0)
      return makeError("--budget and --size-budget exclude each other");
    if (options.codebook != qc::WeightCodebook::None)
      return makeError("--sensitivity does not combine with --codebook");
    if (options.method == qc::WeightMethod::Gptq && options.sequentialGptq)
      return makeError("--sensitivity does not combine with --gptq-inputs "
                       "quantized (the stages round every layer at the "
                       "scheme's width before the allocation)");
  }
  if (options.smooth && options.smoothAlpha > 1)
    return makeError("--smooth-alpha must lie in [0, 1] (or auto)");
  bool smooth = options.weightBits != 0 && options.smooth;
  // --clip mse and --codebook kmeans use calibration when samples are
  // given (per-channel mean x^2 weights the search); without them they are
  // unweighted.
  bool clipStats = options.weightBits != 0 &&
                   (options.clip == qc::WeightClip::Mse ||
                    options.codebook == qc::WeightCodebook::Kmeans) &&
                   !options.calibration.samples.empty();
  // GPTQ, AWQ and rotation read E[x x^T] from calibration.
  bool gptq =
      options.weightBits != 0 && (options.method == qc::WeightMethod::Gptq ||
                                  options.awq || options.rotate);
  if (gptq && options.method == qc::WeightMethod::Gptq &&
      options.sequentialGptq && options.statsFile.empty()) {
    if (options.calibration.samples.empty())
      return makeError("--weights gptq needs calibration samples (--calib "
                       "SAMPLE...), or --stats FILE from `quantc calibrate "
                       "--gram` with --gptq-inputs float");
    if (llvm::Error e = gptqInStages(module, options))
      return e;
    options.method = qc::WeightMethod::Rtn; // the weight products are done
    gptq = false;
  }
  if ((!options.staticActivations() && !clipStats && !gptq && !smooth) ||
      !options.statsFile.empty())
    return llvm::Error::success();
  if (options.calibration.samples.empty())
    return makeError(
        gptq     ? std::string(options.awq ? "--weights awq"
                               : options.method == qc::WeightMethod::Gptq
                                   ? "--weights gptq"
                                   : "--rotate hadamard") +
                       " needs calibration: give --calib SAMPLE... "
                       "or --stats FILE (from quantc calibrate "
                       "--gram)"
        : smooth ? "--smooth needs calibration: give --calib SAMPLE... or "
                   "--stats FILE (from quantc calibrate --row-samples N)"
                 : "static int8 activations need calibration: give "
                   "--calib SAMPLE... or --stats FILE (or "
                   "--activations dynamic)");
  // The observers qc-quantize-pipeline inserts (activation-products=false),
  // on a copy.
  OwningOpRef<ModuleOp> copy(cast<ModuleOp>(module->clone()));
  if (llvm::Error e = insertObservers(*copy, /*activationProducts=*/false))
    return e;
  if (llvm::Error e = stats.create("quantc-stats", "json"))
    return e;
  stats.companionSuffixes.push_back(".gram");
  CalibrationOptions calibration = options.calibration;
  calibration.grams = calibration.grams || gptq;
  if (smooth)
    calibration.rowSamples =
        std::max(calibration.rowSamples, QuantizeOptions::kSmoothRows);
  if (llvm::Error e = calibrate(*copy, calibration, stats.path))
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
  reportRemarks(options, diag.remarks, diag.warnings);
  return llvm::Error::success();
}

void quantc::reportRemarks(const QuantizeOptions &options,
                           ArrayRef<std::string> remarks,
                           ArrayRef<std::string> warnings) {
  for (const std::string &warning : warnings)
    llvm::errs() << "quantc: warning: " << warning << "\n";
  if (options.remarks)
    for (const std::string &remark : remarks)
      llvm::errs() << "quantc: remark: " << remark << "\n";
  // The allocation is the result the user asked for: its summary and, per
  // layer, the chosen width (a table of remarks; printed above already
  // with --remarks).
  if (!options.remarks)
    for (StringRef remark : remarks)
      if (remark.contains("bit allocation:"))
        llvm::errs() << "quantc: note: " << remark << "\n";
  // Whether smoothing helped is part of the result (SmoothQuant matters
  // for some models and not others).
  if (options.weightBits != 0 && options.smooth &&
      options.activationBits == 8) {
    int kept = 0, total = 0;
    for (StringRef remark : remarks)
      if (remark.contains("SmoothQuant:")) {
        ++total;
        kept += remark.ends_with(", smoothed");
      }
    llvm::errs() << "quantc: note: smoothing kept for " << kept << " of "
                 << total << " activations"
                 << (options.remarks ? "" : " (per-layer errors: --remarks)")
                 << "\n";
  }
}
