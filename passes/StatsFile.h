//===- StatsFile.h - the quantc-stats calibration file ----------*- C++ -*-===//
//
// Calibrated activation ranges travel from `quantc calibrate` (or the
// driver's in-process calibration) to `qc-apply-stats` in one JSON format,
// read and written only here:
//
//   {"format": "quantc-stats", "version": 1, "samples": N,
//    "tensors": {"NAME": {"min": A, "max": B, "observer": "minmax"}, ...}}
//
// NAME is a `qc.observe` name; the observer is one of qc::ObserverKind.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_STATSFILE_H
#define QUANTC_PASSES_STATSFILE_H

#include "dialects/qc/IR/QcAttrs.h"

#include "llvm/Support/Error.h"
#include <map>

#include <string>

namespace mlir::qc {

/// The calibrated range of one observed tensor.
struct TensorStats {
  double min = 0, max = 0;
  ObserverKind observer = ObserverKind::MinMax;
};

/// The contents of a quantc-stats file.
struct CalibrationStats {
  /// The format version this module writes and the only one it reads.
  static constexpr int64_t kVersion = 1;
  /// Runs the ranges were gathered over.
  int64_t samples = 0;
  /// Ranges by observer name (sorted: files are written deterministically).
  std::map<std::string, TensorStats> tensors;
};

/// Parses the text of a stats file. Errors name `path` and what is wrong.
llvm::Expected<CalibrationStats> parseStats(llvm::StringRef text,
                                            llvm::StringRef path);

/// Reads and parses a stats file.
llvm::Expected<CalibrationStats> readStatsFile(llvm::StringRef path);

/// Writes `stats` as a version-1 file ("-": standard output); nothing is
/// left at `path` on failure (it is written to a temporary and renamed).
llvm::Error writeStatsFile(llvm::StringRef path, const CalibrationStats &stats);

} // namespace mlir::qc

#endif // QUANTC_PASSES_STATSFILE_H
