//===- Quantize.h - quantization schemes over qc-quantize-pipeline -*- C++
//-*-===//
//
// Part of the driver library (QuantcDriver). `quantc compile --scheme`:
// fp32, or wBaA with B in {2, 3, 4, 8} weight bits and A in {8, 16}
// activation bits (16: float activations). The passes are
// `qc-quantize-pipeline` (passes/QuantizePipeline.h); static int8
// activations first need calibrated ranges, from a stats file or from
// calibration samples run here.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TOOLS_DRIVER_QUANTIZE_H
#define QUANTC_TOOLS_DRIVER_QUANTIZE_H

#include "tools/driver/Calibration.h"
#include "tools/driver/Support.h"

#include "dialects/qc/IR/QcAttrs.h"

namespace mlir::qc {
struct QuantizePipelineOptions;
} // namespace mlir::qc

namespace quantc {

struct QuantizeOptions {
  unsigned weightBits = 0;      // 0: float model, nothing quantized
  unsigned activationBits = 16; // 8: integer activations
  int64_t groupSize = 0;        // 0 per channel, -1 per tensor
  bool symmetricWeights = true;
  mlir::qc::WeightClip clip = mlir::qc::WeightClip::None;      // weight ranges
  mlir::qc::WeightMethod method = mlir::qc::WeightMethod::Rtn; // weight codes
  bool actOrder = false;                                       // GPTQ row order
  int64_t lorcRank = 0; // LoRC correction rank (0: none)
  bool awq = false;     // activation-aware weight scaling first
  mlir::qc::WeightCodebook codebook = mlir::qc::WeightCodebook::None;
  bool rotate = false;        // randomized Hadamard rotation of layer inputs
  bool rotateResidual = true; // with rotate: the residual stream too
  bool smooth = false;        // SmoothQuant before integer activations
  /// Mixed precision: per-layer widths from this `quantc sensitivity`
  /// report with `budget` average code bits per weight (or `sizeBudget`
  /// bytes for the whole model's weights); `layerBits` fixes
  /// widths by name pattern (PATTERN=BITS).
  std::string sensitivityFile;
  double budget = 0;
  int64_t sizeBudget = 0;
  std::vector<std::string> layerBits;
  /// Print every pass remark (per-layer AWQ, rotation and smoothing
  /// choices) to stderr; without it smoothing prints one summary line.
  bool remarks = false;
  double smoothAlpha = -1; // its alpha; negative: searched per layer
  /// Rows sampled per activation for the smoothing search.
  static constexpr int64_t kSmoothRows = 512;
  /// GPTQ: each stage of layers calibrated on the outputs of the layers
  /// before it already quantized (one calibration build and run per
  /// stage), or all on the float model's activations (one run). Float is
  /// the default: on stories260k sequential GPTQ was no better (W4 g32
  /// 4.6675 against 4.6605) and took 30x longer (docs/quantization.md).
  bool sequentialGptq = false;
  mlir::qc::ActivationMode activations = mlir::qc::ActivationMode::Static;
  std::string statsFile;          // calibrated ranges, else calibrate
  CalibrationOptions calibration; // samples and observer

  /// Whether integer activations take calibrated ranges.
  bool staticActivations() const {
    return weightBits != 0 && activationBits == 8 &&
           activations == mlir::qc::ActivationMode::Static;
  }
  /// The pipeline options these settings stand for.
  void toPipelineOptions(mlir::qc::QuantizePipelineOptions &options) const;
};

/// Sets the bits of `options` from "fp32" or "wBaA".
llvm::Error parseScheme(llvm::StringRef scheme, QuantizeOptions &options);

/// What quantization needs from calibration samples, before the pipeline:
/// - static activations (or the weighted clip search, or GPTQ on the float
///   model's activations) without a stats file: calibrates a copy of
///   `module` into `stats`, a temporary the caller keeps alive while
///   compiling, and points `options.statsFile` at it;
/// - sequential GPTQ: quantizes the weight products of `module` stage by
///   stage (passes/LayerOrder.h), each stage calibrated with the stages
///   before it quantized, and sets `options.method` to rtn: what is left
///   for the pipeline is convolutions and activations.
/// Otherwise does nothing.
llvm::Error prepareCalibration(mlir::ModuleOp module, QuantizeOptions &options,
                               TemporaryFile &stats);

/// Runs qc-quantize-pipeline on `module` (calibrating first when needed).
llvm::Error quantize(mlir::ModuleOp module, const QuantizeOptions &options);

/// Prints what the quantization passes reported (`remarks`, as FirstError
/// gathers them): all of them with `options.remarks`, and with smoothing
/// a summary line of how many activations it was kept for.
void reportRemarks(const QuantizeOptions &options,
                   llvm::ArrayRef<std::string> remarks,
                   llvm::ArrayRef<std::string> warnings = {});

} // namespace quantc

#endif // QUANTC_TOOLS_DRIVER_QUANTIZE_H
