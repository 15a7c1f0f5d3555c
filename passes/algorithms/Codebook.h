//===- Codebook.h - non-uniform (codebook) weight quantization --*- C++ -*-===//
//
// Non-uniform formats (../shared/ALGORITHMS.md, "Non-uniform formats"): each
// weight of W[K][N] is stored as an index into one table of 2^b levels in
// [-1, 1] per layer, times a per-group scale: w^ = scale * table[index]. The
// table is either fixed (NF4, the normal-float levels of QLoRA) or fitted to
// the layer's weights by a weighted k-means (Lloyd). Heavy-tailed weights
// lose less on such a grid than on a uniform one. Plain C++ without MLIR, so
// gtest checks it directly; GPTQ on a codebook grid is in Gptq.h.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_ALGORITHMS_CODEBOOK_H
#define QUANTC_PASSES_ALGORITHMS_CODEBOOK_H

#include <cassert>
#include <cstdint>
#include <vector>

namespace quantc::algorithms {

enum class CodebookKind { NF4, KMeans };

/// Codes are indices into one table per layer (2^bits levels in [-1, 1],
/// ascending), scaled per group: w^ = scale[g][n] * table[index[k][n]].
/// Weights are row-major W[K][N] (Y = X * W); a group is `groupSize`
/// consecutive rows of one column, the last group of a column holding the
/// K % groupSize rest (quantizeRTN's PerGroup layout; per channel is one
/// group of K rows).
struct CodebookWeights {
  int64_t rows = 0, cols = 0, groupSize = 0; // groupSize = K for per channel
  unsigned bits = 4;
  std::vector<float> table;     // 2^bits levels
  std::vector<uint8_t> indices; // K * N, row-major, < 2^bits
  std::vector<float> scales;    // [numGroups][N], >= 0

  int64_t numGroups() const {
    return groupSize > 0 ? (rows + groupSize - 1) / groupSize : 1;
  }
  /// scale[k / groupSize][n] * table[index[k][n]], in float.
  float dequantized(int64_t k, int64_t n) const {
    return scales[(k / groupSize) * cols + n] * table[indices[k * cols + n]];
  }
};

/// The 16 NF4 levels (QLoRA: normal quantiles, with an exact 0), ascending.
/// The published float32 constants (bitsandbytes): 8 quantiles of N(0, 1)
/// for the positive half, 7 for the negative half, and 0, all divided by
/// the largest (the extremes are symmetric: -1 and 1).
const std::vector<float> &nf4Levels();

/// The index of the level of `table` (`count` levels, ascending) nearest to
/// u; ties go to the lower index (also between repeated levels). Distances
/// are compared in double, where the difference of two floats in [-1, 1]
/// of similar magnitude is exact.
///
/// Inline, as the layout above: Gptq.cpp needs nothing from Codebook.cpp.
inline uint8_t nearestLevel(const float *table, int64_t count, float u) {
  assert(count > 0 && count <= 256 && "a table of 1..256 levels");
  // The first level not below u (std::lower_bound, without <algorithm> in
  // this header); the only candidates are it and the one before.
  int64_t above = 0;
  for (int64_t end = count; above < end;) {
    const int64_t mid = (above + end) / 2;
    if (table[mid] < u)
      above = mid + 1;
    else
      end = mid;
  }
  int64_t pick;
  if (above == 0)
    pick = 0;
  else if (above == count)
    pick = count - 1;
  else
    pick =
        double(u) - double(table[above - 1]) <= double(table[above]) - double(u)
            ? above - 1
            : above;
  // A repeated level: its first copy.
  while (pick > 0 && table[pick - 1] == table[pick])
    --pick;
  return static_cast<uint8_t>(pick);
}

struct CodebookOptions {
  CodebookKind kind = CodebookKind::NF4;
  unsigned bits = 4;         // NF4: must be 4; k-means: 2..8
  int64_t groupSize = 0;     // rows per scale (0 or >= K: per channel)
  int kmeansIterations = 50; // Lloyd iterations cap (stop early when no
                             // assignment changes)
};

/// Codebook quantization of W[K][N] (finite, K, N > 0; asserted).
///
/// - Scales are the absmax of each group (an all-zero group gets scale 1);
///   values are normalized u = w / scale (in float) into [-1, 1].
/// - NF4 uses nf4Levels(). KMeans fits 2^bits levels to all normalized
///   values of the layer with fitKMeansLevels, value (k, n) weighted by
///   rowImportance[k] * scale^2 (the error in w-space; scales relative to
///   the largest one, which changes no result but keeps the weights in
///   float's range), or by scale^2 when rowImportance is null. Values of
///   weight 0 (rows of importance 0) do not take part at all. When no value
///   has a positive weight, every value counts with weight 1.
/// - Each value takes the nearest level (nearestLevel: ties to the lower
///   index).
CodebookWeights quantizeCodebook(const float *weights, int64_t rows,
                                 int64_t cols, const CodebookOptions &options,
                                 const float *rowImportance = nullptr);

/// Weighted 1-D k-means (Lloyd): `levels` (2..256) levels minimising
/// sum_i weights[i] * (values[i] - level(i))^2 over the `count` values of
/// positive weight (weights must be finite and >= 0; those of weight 0 are
/// ignored; count > 0 values of positive weight are needed, asserted).
///
/// - Deterministic: the values are sorted (by value, then weight) first, so
///   the result does not depend on their order.
/// - Initialisation: the optimal clustering whose cluster ends fall on the
///   edges of a histogram of the values (max(1024, 16 * levels) equal bins
///   over [min, max]), by dynamic programming; each level the weighted mean
///   of its cluster. `initialLevels` (`levels` finite values, any order),
///   when given, replaces it (e.g. to refine NF4, or as a test hook).
/// - One iteration: every level moves to the weighted mean of the values
///   assigned to it, then every value is assigned to its nearest level. At
///   most `maxIterations` (>= 0) iterations; it stops early when an
///   assignment changes nothing.
/// - A level left without weight is re-seeded (in index order) at the value
///   that contributes most to the error (the first such in sorted order;
///   equal values are not taken twice); when every value already sits on a
///   level it stays where it is, unused (possible only with fewer distinct
///   values than levels; values all equal give `levels` equal levels).
/// - The error never increases from one iteration to the next (up to the
///   rounding of double). `errorHistory`, when given, receives it: entry 0
///   for the initial levels, entry t after iteration t (a test hook).
///
/// Returns the levels in ascending order, rounded to float once at the end.
std::vector<float> fitKMeansLevels(const float *values, const float *weights,
                                   int64_t count, unsigned levels,
                                   int maxIterations,
                                   const float *initialLevels = nullptr,
                                   std::vector<double> *errorHistory = nullptr);

} // namespace quantc::algorithms

#endif // QUANTC_PASSES_ALGORITHMS_CODEBOOK_H
