//===- Scheme.h - quantization schemes as qc pass pipelines -----*- C++ -*-===//
//
// `quantc compile --scheme`: fp32, or wBaA with B in {2, 3, 4, 8} weight
// bits and A in {8, 16} activation bits (16: float activations). Static
// int8 activations are calibrated first (a stats file or samples).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TOOLS_QUANTC_SCHEME_H
#define QUANTC_TOOLS_QUANTC_SCHEME_H

#include "tools/quantc/Calibration.h"

namespace quantc {

struct SchemeOptions {
  std::string scheme = "fp32";
  int64_t groupSize = 0; // 0 per channel, -1 per tensor
  bool symmetricWeights = true;
  std::string activations = "static"; // static | dynamic (A8 schemes)
  std::string statsFile;              // calibrated ranges, else calibrate
  CalibrationOptions calibration;     // samples and observer
};

/// Parses "wBaA"; false for anything else (fp32 is handled by the caller).
bool parseScheme(llvm::StringRef scheme, unsigned &weightBits,
                 unsigned &activationBits);

/// Rewrites `module` for the scheme (observers, calibration, weight and
/// activation quantization). Returns false with a one-line `error`.
bool applyScheme(mlir::ModuleOp module, const SchemeOptions &options,
                 std::string &error);

} // namespace quantc

#endif // QUANTC_TOOLS_QUANTC_SCHEME_H
