//===- StatsFile.h - the quantc-stats calibration file ----------*- C++ -*-===//
//
// Calibrated activation ranges travel from `quantc calibrate` (or the
// driver's in-process calibration) to `qc-apply-stats` in one JSON format,
// read and written only here:
//
//   {"format": "quantc-stats", "version": 2, "samples": N,
//    "tensors": {"NAME": {"min": A, "max": B, "observer": "minmax",
//                         "channels": {"mean_abs": [...], "max_abs": [...],
//                                      "mean_square": [...], "rows": R,
//                                      "gram_offset": O,
//                                      "sample_offset": P,
//                                      "sample_rows": S}},
//                ...},
//    "gram_file": "stats.json.gram"}
//
// NAME is a `qc.observe` name; the observer is one of qc::ObserverKind.
// "channels" (version 2) holds per-channel statistics over the tensor's last
// dimension and the R rows they were gathered over; version 1 files (no
// "channels") are still read.
//
// E[x x^T] over the channels (K x K, what GPTQ needs) is too large for JSON:
// when calibration gathered it, the matrices live in a binary side file named
// by "gram_file" (relative to the JSON file's folder): the 8 bytes
// "QCGRAM01", then each matrix as K * K little-endian f32, row-major, at the
// byte offset its tensor's "gram_offset" gives. A sample of the tensor's
// rows (S x K f32, for searches that need real rows) lives in the same file
// at "sample_offset".
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_STATSFILE_H
#define QUANTC_PASSES_STATSFILE_H

#include "dialects/qc/IR/QcAttrs.h"

#include "llvm/Support/Error.h"
#include <map>
#include <string>
#include <vector>

namespace mlir::qc {

/// The calibrated range of one observed tensor, and (when calibration
/// gathered them) per-channel statistics over its last dimension.
struct TensorStats {
  double min = 0, max = 0;
  ObserverKind observer = ObserverKind::MinMax;
  std::vector<double> meanAbs, maxAbs, meanSquare; // empty, or one per channel
  int64_t rows = 0;                                // rows they cover
  /// E[x x^T] over the channels, K x K row-major (empty when not gathered).
  std::vector<float> gram;
  /// A uniform sample of the tensor's rows, S x K row-major (empty when not
  /// gathered).
  std::vector<float> sample;
};

/// The contents of a quantc-stats file.
struct CalibrationStats {
  /// The format version this module writes; it reads 1 and 2.
  static constexpr int64_t kVersion = 2;
  /// Runs the ranges were gathered over.
  int64_t samples = 0;
  /// Ranges by observer name (sorted: files are written deterministically).
  std::map<std::string, TensorStats> tensors;
};

/// Parses the text of a stats file; a "gram_file" is read from the folder
/// of `path`. Errors name `path` and what is wrong.
llvm::Expected<CalibrationStats> parseStats(llvm::StringRef text,
                                            llvm::StringRef path);

/// Reads and parses a stats file.
llvm::Expected<CalibrationStats> readStatsFile(llvm::StringRef path);

/// Writes `stats` as a version-2 file ("-": standard output); nothing is
/// left at `path` on failure (it is written to a temporary and renamed).
/// Gram matrices and row samples go to `path` + ".gram" (not with "-").
llvm::Error writeStatsFile(llvm::StringRef path, const CalibrationStats &stats);

} // namespace mlir::qc

#endif // QUANTC_PASSES_STATSFILE_H
