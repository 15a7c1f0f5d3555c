//===- QuantizePipeline.h - float qc IR to quantized qc IR ------*- C++ -*-===//
//
// The quantization recipe as one registered pipeline, so that
// `quant-opt --pass-pipeline='builtin.module(qc-quantize-pipeline{...})'`
// reproduces what `quantc compile --scheme wBaA` does to a model:
//
//   static int8 activations: qc-insert-observers{activation-products=false},
//                            qc-apply-stats{stats-file=...}
//   rotation (rotate=true):  qc-rotate-residual{bits group-size symmetric
//                            clip} (unless rotate-residual=false),
//                            qc-rotate-inputs{bits group-size symmetric clip}
//   AWQ (awq=true):          qc-awq{bits group-size symmetric clip}
//   allocation (sensitivity-file): qc-allocate-bits{sensitivity-file
//                                               budget size-budget
//                                               layer-bits default-bits}
//   smoothing (smooth=true): qc-smooth-outliers{alpha weight-bits
//                                               activation-bits dynamic}
//   weights:                 qc-quantize-weights{bits group-size symmetric
//                                               clip method act-order
//                                               lorc-rank codebook}
//   int8 activations:        qc-quantize-activations{mode}
//
// Observers and stats are also applied for what the weight passes read
// from calibration: clip=mse with a stats file, method=gptq.
//
// Calibration itself (running the model) is not a pass: the stats file comes
// from `quantc calibrate` or the driver's calibration step.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_QUANTIZEPIPELINE_H
#define QUANTC_PASSES_QUANTIZEPIPELINE_H

#include "dialects/qc/IR/QcAttrs.h"
#include "passes/Passes.h"

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
namespace qc {

struct QuantizePipelineOptions : PassPipelineOptions<QuantizePipelineOptions> {
  PassOptions::Option<unsigned> weightBits{
      *this, "weight-bits",
      llvm::cl::desc("Bits per matmul/conv weight (2 to 8); 0 keeps float "
                     "weights and quantizes nothing"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> groupSize{
      *this, "group-size",
      llvm::cl::desc("Input channels per weight scale: 0 per channel, -1 per "
                     "tensor, g > 0 groups of g"),
      llvm::cl::init(0)};
  PassOptions::Option<bool> symmetricWeights{
      *this, "symmetric-weights", llvm::cl::desc("Weights without zero points"),
      llvm::cl::init(true)};
  PassOptions::Option<WeightClip> clip{
      *this, "clip", llvm::cl::desc("How each weight scale's range is chosen"),
      llvm::cl::init(WeightClip::None),
      llvm::cl::values(
          clEnumValN(WeightClip::None, "none", "the values' min/max"),
          clEnumValN(WeightClip::Mse, "mse",
                     "the clipping with the least squared error"))};
  PassOptions::Option<WeightMethod> method{
      *this, "method", llvm::cl::desc("How weight codes are chosen"),
      llvm::cl::init(WeightMethod::Rtn),
      llvm::cl::values(
          clEnumValN(WeightMethod::Rtn, "rtn", "round to nearest"),
          clEnumValN(WeightMethod::Gptq, "gptq",
                     "GPTQ (needs a stats file with gram matrices)"))};
  PassOptions::Option<WeightCodebook> codebook{
      *this, "codebook", llvm::cl::desc("A non-uniform grid for the weights"),
      llvm::cl::init(WeightCodebook::None),
      llvm::cl::values(
          clEnumValN(WeightCodebook::None, "none", "uniform levels"),
          clEnumValN(WeightCodebook::Nf4, "nf4", "the 16 NF4 levels"),
          clEnumValN(WeightCodebook::Kmeans, "kmeans",
                     "2^bits levels per layer by weighted k-means"))};
  PassOptions::Option<bool> rotate{
      *this, "rotate",
      llvm::cl::desc("qc-rotate-inputs before rounding: randomized Hadamard "
                     "rotation of the layers' inputs where it lowers the "
                     "rounding error (needs a stats file with gram matrices; "
                     "float activations)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> rotateResidual{
      *this, "rotate-residual",
      llvm::cl::desc("With rotate: qc-rotate-residual first, the residual "
                     "stream rotated with Q folded into its writers and "
                     "readers where that lowers the rounding error"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> awq{
      *this, "awq",
      llvm::cl::desc("qc-awq before rounding: weight rows scaled by the "
                     "activation's calibrated mean |x|^alpha (needs a stats "
                     "file with gram matrices; float activations)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> smooth{
      *this, "smooth",
      llvm::cl::desc("qc-smooth-outliers before rounding: SmoothQuant's "
                     "per-channel factors where they lower the quantized "
                     "layers' error (needs a stats file with row samples; "
                     "integer activations)"),
      llvm::cl::init(false)};
  PassOptions::Option<double> smoothAlpha{
      *this, "smooth-alpha",
      llvm::cl::desc("SmoothQuant's alpha in [0, 1]; negative: searched per "
                     "layer"),
      llvm::cl::init(-1.0)};
  PassOptions::Option<std::string> sensitivityFile{
      *this, "sensitivity-file",
      llvm::cl::desc("qc-allocate-bits before rounding: per-layer widths "
                     "from this `quantc sensitivity` report under `budget`")};
  PassOptions::Option<double> budget{
      *this, "budget",
      llvm::cl::desc("With sensitivity-file: average code bits per weight"),
      llvm::cl::init(4.0)};
  PassOptions::Option<int64_t> sizeBudget{
      *this, "size-budget",
      llvm::cl::desc("With sensitivity-file, instead of budget: bytes for "
                     "the whole model's weights"),
      llvm::cl::init(0)};
  PassOptions::ListOption<std::string> layerBits{
      *this, "layer-bits",
      llvm::cl::desc("With sensitivity-file: PATTERN=BITS fixed widths")};
  PassOptions::Option<bool> actOrder{
      *this, "act-order",
      llvm::cl::desc("GPTQ: rows in order of decreasing diag(H)"),
      llvm::cl::init(false)};
  PassOptions::Option<int64_t> lorcRank{
      *this, "lorc-rank",
      llvm::cl::desc("LoRC: rank of each matmul weight's low-rank correction "
                     "(0: none; float activations only)"),
      llvm::cl::init(0)};
  PassOptions::Option<unsigned> activationBits{
      *this, "activation-bits",
      llvm::cl::desc("8: integer activations for quantized matmuls; 16 (or "
                     "0): float activations"),
      llvm::cl::init(16)};
  PassOptions::Option<ActivationMode> activations{
      *this, "activations",
      llvm::cl::desc("How integer activations get their scales"),
      llvm::cl::init(ActivationMode::Static),
      llvm::cl::values(
          clEnumValN(ActivationMode::Static, "static",
                     "calibrated per-tensor ranges (needs stats-file)"),
          clEnumValN(ActivationMode::Dynamic, "dynamic",
                     "one scale per token at run time"))};
  PassOptions::Option<std::string> statsFile{
      *this, "stats-file",
      llvm::cl::desc("Static activations: the quantc-stats file of calibrated "
                     "ranges")};

  /// Whether the options quantize activations to integers.
  bool integerActivations() const {
    return weightBits != 0 && activationBits == 8;
  }
  /// Whether integer activations take calibrated ranges.
  bool staticActivations() const {
    return integerActivations() && activations == ActivationMode::Static;
  }
  /// Whether qc.observe ops and a stats file feed the passes.
  bool needsStats() const {
    return staticActivations() || method == WeightMethod::Gptq || awq ||
           rotate || (smooth && integerActivations()) ||
           ((clip == WeightClip::Mse || codebook == WeightCodebook::Kmeans) &&
            !statsFile.empty());
  }
};

/// The qc-quantize-weights options `options` stand for (the sequential GPTQ
/// driver runs that pass itself, stage by stage, with these).
QuantizeWeightsOptions
quantizeWeightsOptions(const QuantizePipelineOptions &options);

/// Builds the quantization pipeline, anchored on `builtin.module` (its passes
/// run on every func.func). Adds nothing when weightBits is 0.
void buildQuantizePipeline(OpPassManager &pm,
                           const QuantizePipelineOptions &options);

/// Registers `qc-quantize-pipeline`.
void registerQuantizePipeline();

} // namespace qc
} // namespace mlir

#endif // QUANTC_PASSES_QUANTIZEPIPELINE_H
