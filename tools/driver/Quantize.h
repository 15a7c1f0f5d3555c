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
  mlir::qc::WeightClip clip = mlir::qc::WeightClip::None; // weight ranges
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

/// Static activations without a stats file: calibrates `module` (a copy gets
/// the observers the quantization pipeline inserts; `module` is unchanged)
/// into `stats`, a temporary the caller keeps alive while compiling, and
/// points `options.statsFile` at it. Otherwise does nothing.
llvm::Error prepareCalibration(mlir::ModuleOp module, QuantizeOptions &options,
                               TemporaryFile &stats);

/// Runs qc-quantize-pipeline on `module` (calibrating first when needed).
llvm::Error quantize(mlir::ModuleOp module, const QuantizeOptions &options);

} // namespace quantc

#endif // QUANTC_TOOLS_DRIVER_QUANTIZE_H
