//===- Sensitivity.h - per-layer loss sensitivity ---------------*- C++ -*-===//
//
// Part of the driver library (QuantcDriver). `quantc sensitivity`: the
// perturbation lens of ../shared/DESIGN.md. The model is compiled once with
// qc-perturbation-points (weights as inputs, noise points on activations);
// then, one layer at a time, its weight is replaced by its quantized
// version at each bit width (RTN or GPTQ, the chosen granularity), or noise
// is added to its weight or its input, and the loss change over the
// calibration runs is recorded (cross-entropy for token models, output MSE
// against the unperturbed model otherwise). The report is a
// passes/SensitivityFile.h file, what qc-allocate-bits reads.
//
// Single-layer changes add up to less than the joint damage of a low-bit
// mix (2-4x on stories260k). For the budgets given to `refine`, the
// knapsack's mix is therefore improved against the measured loss by local
// search: each round measures every one-layer change of the current mix in
// its context (the other layers at their widths), re-solves the knapsack
// on those conditional changes and tries its answer and the best predicted
// single and paired moves, keeping the first that measures better.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TOOLS_DRIVER_SENSITIVITY_H
#define QUANTC_TOOLS_DRIVER_SENSITIVITY_H

#include "tools/driver/Calibration.h"

#include "passes/SensitivityFile.h"

#include "mlir/IR/BuiltinOps.h"

namespace quantc {

struct SensitivityOptions {
  std::vector<int> bits = {2, 3, 4, 8};
  int64_t groupSize = 32;
  bool symmetric = false;
  bool gptq = false;
  bool actOrder = false;
  bool clipMse = false;
  /// Noise kinds ("gaussian", "uniform", "laplace") added to weights and to
  /// activations, of noiseSize times the tensor's RMS; none by default.
  std::vector<std::string> noise;
  double noiseSize = 0.1;
  /// Token models: windows of the ids scored per measurement.
  int64_t runs = 8;
  /// Samples (as calibration takes them), window, threads.
  CalibrationOptions calibration;
  /// Also measure every layer at each width at once ("joint").
  bool joint = true;
  /// Budgets (average code bits per weight) to refine a mix for against
  /// the measured loss: the report's "allocations".
  std::vector<double> refine;
  /// Rounds of local search per refined budget.
  int64_t refineRounds = 6;
};

/// Measures `module` (float, as imported) and returns the report.
llvm::Expected<mlir::qc::SensitivityReport>
measureSensitivity(mlir::ModuleOp module, const SensitivityOptions &options);

/// The per-component summary: one line per component class, most
/// sensitive first (by the change at the fewest bits).
std::string summarizeSensitivity(const mlir::qc::SensitivityReport &report);

} // namespace quantc

#endif // QUANTC_TOOLS_DRIVER_SENSITIVITY_H
