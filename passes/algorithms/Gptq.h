//===- Gptq.h - second-order weight rounding (GPTQ) -------------*- C++ -*-===//
//
// GPTQ (Frantar et al. 2022; ../shared/ALGORITHMS.md, "GPTQ"): rounds the
// rows of W[K][N] one at a time and spreads each row's rounding error onto
// the rows not yet rounded, weighted by the inverse of the calibration Gram
// matrix H = E[x x^T], so that the layer output X * W moves as little as it
// can. The result has exactly quantizeRTN's layout, so everything that
// consumes RTN weights consumes GPTQ weights. Plain C++ (Eigen inside, not
// in this header), so gtest checks it directly. quantizeGPTQCodebook runs
// the same loop on a non-uniform grid (Codebook.h).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_ALGORITHMS_GPTQ_H
#define QUANTC_PASSES_ALGORITHMS_GPTQ_H

#include "passes/algorithms/Codebook.h"
#include "passes/algorithms/UniformQuant.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace quantc::algorithms {

struct GptqOptions {
  /// Width of the signed grid, 2..8 (codes are stored as int8).
  unsigned bits = 4;
  Granularity granularity = Granularity::PerChannel;
  /// Rows per scale for PerGroup (the last group holds the K % groupSize
  /// rest); ignored otherwise.
  int64_t groupSize = 0;
  bool symmetric = true;
  /// Mse: each scale is chooseMseParams' choice, its values weighted by the
  /// diag(H) entry of their row.
  RangeChoice choice = RangeChoice::MinMax;
  /// lambda = dampening * mean(diag H) is added to diag(H). 0 adds nothing,
  /// and then nothing can be raised either (see quantizeGPTQ).
  double dampening = 0.01;
  /// Process rows in order of decreasing diag(H) (stable). Groups still are
  /// groups of consecutive rows in the original order.
  bool actOrder = false;
  /// Rows per lazy batch: the error of a block reaches the rows after it in
  /// one matrix product. Any value >= 1 gives the same result up to
  /// rounding in the last bits of double.
  int64_t blockSize = 128;
};

/// GPTQ of W[K][N] (row-major; Y = X * W, so row k meets input channel k and
/// a "column" in the paper's notation is our row). `gram` is the K x K
/// row-major symmetric matrix H = E[x x^T] over calibration rows (any
/// positive multiple works; it is read whole (symmetric)). Returns codes
/// and scales in exactly quantizeRTN's layout.
///
/// - A dead input (H[k][k] == 0) gets H[k][k] = 1 and weight row k = 0 first:
///   its codes dequantize to exactly 0.
/// - Scales: PerTensor takes one QuantParams from all of W (after the dead
///   rows are zeroed) up front. PerChannel (one group of K rows) and PerGroup
///   take a group's N params when the first of its rows is reached in
///   processing order, from the current (error-updated) values of its rows.
/// - With an H that is diagonal no error propagates, and the result equals
///   quantizeRTN(..., rowImportance = diag(H)).
///
/// Returns std::nullopt when a weight or a gram entry is not finite, or when
/// H + lambda * I cannot be factorized for lambda = dampening * mean(diag H)
/// times 1, 10, 100, 1000 and 10000 (with dampening = 0, or a non-positive
/// mean diagonal, every try is the first: an H that is not positive
/// definite then always gives std::nullopt).
std::optional<QuantizedWeights> quantizeGPTQ(const float *weights, int64_t rows,
                                             int64_t cols, const float *gram,
                                             const GptqOptions &options);

/// GPTQ whose rounding step takes the nearest level of `table` (normalized,
/// as CodebookWeights: 4..256 levels, a power of two, ascending; asserted)
/// times the group's scale: the codebook counterpart of quantizeGPTQ, with
/// its damping, act-order, block, dead-input and std::nullopt rules.
///
/// - Scales: PerChannel (one group of K rows) and PerGroup (groupSize rows;
///   >= K is one group) take a group's N scales when the first of its rows
///   is reached in processing order: the absmax of its current (error-
///   updated) rows in each column, 1 for an all-zero group. PerTensor takes
///   one absmax from all of W (after the dead rows are zeroed) up front and
///   stores it as N equal per-channel scales (groupSize K).
/// - Rounding: u = float(w) / scale (in float), its nearestLevel, and
///   w^ = scale * table[index]. Values past the scale (a group's later rows,
///   after updates) take the extreme level.
/// - bits, symmetric and choice are not used: the table is the grid, and
///   the result's bits are log2(table.size()).
/// - A dead input's row (zeroed first) takes the level nearest 0: it
///   dequantizes to exactly 0 when the table holds 0 (NF4 does), and its
///   value does not reach the output either way.
/// - With a diagonal H nothing propagates, and the result equals
///   quantizeCodebook with the same table (CodebookOptions::groupSize as
///   here) bit for bit.
///
/// For a k-means grid, fit the table first on the original W with
/// quantizeCodebook(KMeans, rowImportance = diag(H)) and pass its table.
std::optional<CodebookWeights>
quantizeGPTQCodebook(const float *weights, int64_t rows, int64_t cols,
                     const float *gram, const std::vector<float> &table,
                     const GptqOptions &options);

/// The layer-output error GPTQ minimises: trace((W - What)^T H (W - What)),
/// What = q.dequantized. For tests and reports.
double gramWeightedError(const float *weights, const QuantizedWeights &q,
                         const float *gram);
double gramWeightedError(const float *weights, const CodebookWeights &q,
                         const float *gram);

} // namespace quantc::algorithms

#endif // QUANTC_PASSES_ALGORITHMS_GPTQ_H
