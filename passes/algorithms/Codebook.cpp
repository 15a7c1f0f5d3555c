//===- Codebook.cpp - non-uniform (codebook) weight quantization ----------===//
//
// The k-means is one-dimensional, so it needs no distance search: with the
// values sorted once, every cluster is a run of consecutive values between
// two midpoints of neighbouring levels, found by binary search, and its
// sums come mostly from precomputed block sums. O(M log M) for the sort of
// the M values, then far less than O(M) per iteration, with 8 bytes per
// value (16 while sorting). Lloyd starts from an exact solution on a
// histogram of the values, so it needs few iterations.
//
//===----------------------------------------------------------------------===//

#include "passes/algorithms/Codebook.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <utility>

using namespace quantc::algorithms;

//===----------------------------------------------------------------------===//
// NF4
//===----------------------------------------------------------------------===//

const std::vector<float> &quantc::algorithms::nf4Levels() {
  // bitsandbytes' NF4 table (QLoRA, appendix E), as published.
  static const std::vector<float> levels = {-1.0f,
                                            -0.6961928009986877f,
                                            -0.5250730514526367f,
                                            -0.39491748809814453f,
                                            -0.28444138169288635f,
                                            -0.18477343022823334f,
                                            -0.09105003625154495f,
                                            0.0f,
                                            0.07958029955625534f,
                                            0.16093020141124725f,
                                            0.24611230194568634f,
                                            0.33791524171829224f,
                                            0.44070982933044434f,
                                            0.5626170039176941f,
                                            0.7229568362236023f,
                                            1.0f};
  return levels;
}

//===----------------------------------------------------------------------===//
// Weighted 1-D k-means
//===----------------------------------------------------------------------===//

namespace {

/// A float's bits as an unsigned key in the float's order (-0 just below
/// +0): sign set, flip everything; clear, set the sign.
uint32_t orderedBits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits & 0x80000000u ? ~bits : bits | 0x80000000u;
}

float fromOrderedBits(uint32_t key) {
  const uint32_t bits = key & 0x80000000u ? key & 0x7fffffffu : ~key;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

/// A Lloyd run over sorted values: the centres (ascending), the runs of
/// values they own and each run's weighted sums. Double throughout: the
/// sums run over millions of values.
///
/// In 1-D a run is the values between two midpoints of neighbouring
/// centres, so an assignment is L binary searches; a run's sums add the
/// precomputed sums of the blocks of kBlock values inside it and the
/// values of its partial blocks one by one (all in a fixed order: the
/// result depends on nothing else). An iteration is O(M / kBlock +
/// L (kBlock + log M)), not O(M); only the error (for errorHistory) and a
/// re-seed pass over all M values.
class Lloyd {
public:
  static constexpr int64_t kBlock = 256;

  Lloyd(std::vector<float> sortedValues, std::vector<float> sortedWeights,
        unsigned levels)
      : value(std::move(sortedValues)), weight(std::move(sortedWeights)),
        centre(levels), start(levels + 1), runWeight(levels),
        runMoment(levels) {
    const int64_t M = value.size();
    blockWeight.assign((M + kBlock - 1) / kBlock, 0.0);
    blockMoment.assign(blockWeight.size(), 0.0);
    for (int64_t i = 0; i < M; ++i) {
      blockWeight[i / kBlock] += weight[i];
      blockMoment[i / kBlock] += double(weight[i]) * value[i];
    }
  }

  /// The levels of the best clustering whose cluster ends fall on the
  /// edges of a histogram of the values (max(1024, 16 L) equal bins over
  /// [min, max]): 1-D k-means restricted to the bin edges is solved exactly
  /// by dynamic programming over the bins (Ckmeans.1d.dp on a histogram; a
  /// cluster's cost comes from the exact weighted sums of its values), in
  /// O(L B log B) by divide and conquer, the best split being monotone in
  /// the bin. Lloyd then only refines the ends. Plain (weighted) quantiles
  /// crowd the levels into the dense middle of heavy tails and take Lloyd
  /// hundreds of iterations; density-based starts (Panter-Dite) miss
  /// isolated spikes and leave Lloyd in a poor local minimum.
  void initialise() {
    const int64_t L = centre.size();
    const double lo = value.front(), hi = value.back();
    if (!(hi > lo)) {
      std::fill(centre.begin(), centre.end(), lo);
      return;
    }
    const int64_t B = std::max<int64_t>(1024, 16 * L);
    const double width = (hi - lo) / double(B);
    // Prefix sums over the bins of sum w, sum w u and sum w u^2. The bin
    // index is monotone in u, so a run of bins is a run of sorted values.
    std::vector<double> s0(B + 1, 0.0), s1(B + 1, 0.0), s2(B + 1, 0.0);
    for (size_t i = 0; i < value.size(); ++i) {
      const double u = value[i], w = weight[i];
      const int64_t bin = std::min<int64_t>(B - 1, int64_t((u - lo) / width));
      s0[bin + 1] += w;
      s1[bin + 1] += w * u;
      s2[bin + 1] += w * u * u;
    }
    for (int64_t b = 0; b < B; ++b) {
      s0[b + 1] += s0[b];
      s1[b + 1] += s1[b];
      s2[b + 1] += s2[b];
    }
    // The weighted squared error of bins [a, b) around their mean.
    auto cost = [&](int64_t a, int64_t b) {
      const double w = s0[b] - s0[a];
      if (!(w > 0))
        return 0.0;
      const double m = s1[b] - s1[a];
      return std::max(0.0, (s2[b] - s2[a]) - m * m / w);
    };

    // best[b]: the least cost of bins [0, b) in j runs (a run may be
    // empty); split[j][b]: where the last of them starts.
    std::vector<double> best(B + 1), next(B + 1);
    std::vector<std::vector<int32_t>> split(L, std::vector<int32_t>(B + 1, 0));
    for (int64_t b = 0; b <= B; ++b)
      best[b] = cost(0, b);
    for (int64_t j = 1; j < L; ++j) {
      // Fills next[b] for b in [bLo, bHi], the split searched in
      // [aLo, min(b, aHi)] (ties: the first split).
      auto solve = [&](auto &self, int64_t bLo, int64_t bHi, int64_t aLo,
                       int64_t aHi) -> void {
        if (bLo > bHi)
          return;
        const int64_t b = (bLo + bHi) / 2;
        int64_t arg = aLo;
        double least = best[aLo] + cost(aLo, b);
        for (int64_t a = aLo + 1; a <= std::min(b, aHi); ++a) {
          const double c = best[a] + cost(a, b);
          if (c < least) {
            least = c;
            arg = a;
          }
        }
        next[b] = least;
        split[j][b] = static_cast<int32_t>(arg);
        self(self, bLo, b - 1, aLo, arg);
        self(self, b + 1, bHi, arg, aHi);
      };
      solve(solve, 0, B, 0, B);
      best.swap(next);
    }
    // The runs, last first; an empty run's level sits in its (empty) bins.
    for (int64_t j = L - 1, b = B; j >= 0; --j) {
      const int64_t a = j > 0 ? split[j][b] : 0;
      const double w = s0[b] - s0[a];
      centre[j] =
          w > 0 ? (s1[b] - s1[a]) / w : lo + width * 0.5 * double(a + b);
      b = a;
    }
    std::sort(centre.begin(), centre.end());
  }

  /// Given levels, in any order.
  void startAt(const float *levels) {
    for (size_t j = 0; j < centre.size(); ++j) {
      assert(std::isfinite(levels[j]) && "a level is not finite");
      centre[j] = levels[j];
    }
    std::sort(centre.begin(), centre.end());
  }

  /// Assigns every value to its nearest centre (ties to the lower one):
  /// run j ends after the last value at or below the midpoint of centres j
  /// and j + 1. Then the sums of every run.
  void assign() {
    const int64_t L = centre.size(), M = value.size();
    start[0] = 0;
    for (int64_t j = 0; j + 1 < L; ++j) {
      const double mid = 0.5 * (centre[j] + centre[j + 1]);
      start[j + 1] =
          std::upper_bound(value.begin() + start[j], value.end(), mid,
                           [](double m, float u) { return m < u; }) -
          value.begin();
    }
    start[L] = M;
    for (int64_t j = 0; j < L; ++j)
      sums(start[j], start[j + 1], runWeight[j], runMoment[j]);
  }

  /// The weighted error of the current runs around the current centres,
  /// value by value.
  double error() const {
    double sum = 0;
    for (size_t j = 0; j < centre.size(); ++j)
      for (int64_t i = start[j]; i < start[j + 1]; ++i) {
        const double d = double(value[i]) - centre[j];
        sum += weight[i] * d * d;
      }
    return sum;
  }

  /// Moves every centre to the weighted mean of its run; re-seeds the
  /// centres of empty runs; sorts the centres.
  void update() {
    const int64_t L = centre.size();
    std::vector<int64_t> empty;
    for (int64_t j = 0; j < L; ++j) {
      if (start[j] < start[j + 1])
        centre[j] = runMoment[j] / runWeight[j];
      else
        empty.push_back(j);
    }
    if (!empty.empty())
      reseed(empty);
    std::sort(centre.begin(), centre.end());
  }

  const std::vector<int64_t> &runs() const { return start; }
  const std::vector<double> &centres() const { return centre; }

private:
  /// sum w and sum w u over values [a, b).
  void sums(int64_t a, int64_t b, double &w, double &wu) const {
    w = wu = 0;
    auto direct = [&](int64_t from, int64_t to) {
      for (int64_t i = from; i < to; ++i) {
        w += weight[i];
        wu += double(weight[i]) * value[i];
      }
    };
    // Blocks [firstBlock, lastBlock) lie inside [a, b).
    const int64_t firstBlock = (a + kBlock - 1) / kBlock;
    const int64_t lastBlock = b / kBlock;
    if (firstBlock >= lastBlock) {
      direct(a, b);
      return;
    }
    direct(a, firstBlock * kBlock);
    for (int64_t block = firstBlock; block < lastBlock; ++block) {
      w += blockWeight[block];
      wu += blockMoment[block];
    }
    direct(lastBlock * kBlock, b);
  }

  /// Each empty centre (in index order) moves to the value that contributes
  /// most to the error with the updated centres (the first in sorted
  /// order); that value and its equals then contribute nothing. Moving a
  /// centre that owns no value cannot raise the next assignment's error.
  void reseed(const std::vector<int64_t> &empty) {
    const int64_t L = centre.size(), M = value.size();
    std::vector<double> contribution(M);
    for (int64_t j = 0; j < L; ++j)
      for (int64_t i = start[j]; i < start[j + 1]; ++i) {
        const double d = double(value[i]) - centre[j];
        contribution[i] = weight[i] * d * d;
      }
    for (int64_t j : empty) {
      const int64_t worst =
          std::max_element(contribution.begin(), contribution.end()) -
          contribution.begin();
      if (!(contribution[worst] > 0))
        return; // every value sits on a centre already
      const float u = value[worst];
      centre[j] = u;
      for (int64_t i = worst; i >= 0 && value[i] == u; --i)
        contribution[i] = 0;
      for (int64_t i = worst + 1; i < M && value[i] == u; ++i)
        contribution[i] = 0;
    }
  }

  std::vector<float> value, weight;             // sorted by value, then weight
  std::vector<double> blockWeight, blockMoment; // per block of kBlock values
  std::vector<double> centre;
  std::vector<int64_t> start; // run j: values [start[j], start[j + 1])
  std::vector<double> runWeight, runMoment; // per run: sum w, sum w u
};

} // namespace

std::vector<float> quantc::algorithms::fitKMeansLevels(
    const float *values, const float *weights, int64_t count, unsigned levels,
    int maxIterations, const float *initialLevels,
    std::vector<double> *errorHistory) {
  assert(levels >= 2 && levels <= 256 && "indices are stored as uint8");
  assert(maxIterations >= 0 && "a negative iteration count");
  // Sorted by value, then weight, as one 64-bit key each (a positive
  // float's bits are in its order): equal inputs in any order give the
  // same sums in the same order.
  std::vector<uint64_t> keys;
  keys.reserve(count);
  for (int64_t i = 0; i < count; ++i) {
    assert(std::isfinite(values[i]) && std::isfinite(weights[i]) &&
           weights[i] >= 0 && "values and weights must be finite");
    if (weights[i] > 0)
      keys.push_back(uint64_t(orderedBits(values[i])) << 32 |
                     orderedBits(weights[i]));
  }
  assert(!keys.empty() && "no value of positive weight");
  std::sort(keys.begin(), keys.end());
  std::vector<float> sortedValues(keys.size()), sortedWeights(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    sortedValues[i] = fromOrderedBits(uint32_t(keys[i] >> 32));
    sortedWeights[i] = fromOrderedBits(uint32_t(keys[i]));
  }
  std::vector<uint64_t>().swap(keys);

  Lloyd lloyd(std::move(sortedValues), std::move(sortedWeights), levels);
  if (initialLevels)
    lloyd.startAt(initialLevels);
  else
    lloyd.initialise();
  if (errorHistory)
    errorHistory->clear();
  lloyd.assign();
  if (errorHistory)
    errorHistory->push_back(lloyd.error());
  for (int iteration = 0; iteration < maxIterations; ++iteration) {
    lloyd.update();
    const std::vector<int64_t> before = lloyd.runs();
    lloyd.assign();
    if (errorHistory)
      errorHistory->push_back(lloyd.error());
    if (lloyd.runs() == before)
      break; // the centres are the means of this assignment already
  }

  std::vector<float> table(levels);
  for (unsigned j = 0; j < levels; ++j)
    table[j] = static_cast<float>(lloyd.centres()[j]);
  std::sort(table.begin(), table.end());
  return table;
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

CodebookWeights quantc::algorithms::quantizeCodebook(
    const float *weights, int64_t rows, int64_t cols,
    const CodebookOptions &options, const float *rowImportance) {
  assert(rows > 0 && cols > 0 && "an empty weight");
  assert((options.kind != CodebookKind::NF4 || options.bits == 4) &&
         "NF4 has 16 levels");
  assert(options.bits >= 2 && options.bits <= 8 &&
         "indices are stored as uint8");
  const int64_t K = rows, N = cols;
  CodebookWeights q;
  q.rows = K;
  q.cols = N;
  q.groupSize =
      options.groupSize <= 0 || options.groupSize >= K ? K : options.groupSize;
  q.bits = options.bits;
  const int64_t groupSize = q.groupSize;

  // Absmax scales; an all-zero group gets 1 (its values are 0 either way).
  q.scales.assign(q.numGroups() * N, 0.0f);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t n = 0; n < N; ++n) {
      assert(std::isfinite(weights[k * N + n]) && "a weight is not finite");
      float &scale = q.scales[(k / groupSize) * N + n];
      scale = std::max(scale, std::fabs(weights[k * N + n]));
    }
  for (float &scale : q.scales)
    if (!(scale > 0))
      scale = 1.0f;
  auto scaleAt = [&](int64_t k, int64_t n) {
    return q.scales[(k / groupSize) * N + n];
  };
  std::vector<float> normalized(K * N);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t n = 0; n < N; ++n)
      normalized[k * N + n] = weights[k * N + n] / scaleAt(k, n);

  if (options.kind == CodebookKind::NF4) {
    q.table = nf4Levels();
  } else {
    // The squared error of u in w-space is scale^2 times its own; scales
    // relative to the largest keep scale^2 in float's range.
    const double largest = *std::max_element(q.scales.begin(), q.scales.end());
    std::vector<float> valueWeights(K * N);
    bool anyPositive = false;
    for (int64_t k = 0; k < K; ++k)
      for (int64_t n = 0; n < N; ++n) {
        const double relative = double(scaleAt(k, n)) / largest;
        const double importance = rowImportance ? rowImportance[k] : 1.0;
        valueWeights[k * N + n] =
            static_cast<float>(importance * relative * relative);
        anyPositive |= valueWeights[k * N + n] > 0;
      }
    if (!anyPositive)
      std::fill(valueWeights.begin(), valueWeights.end(), 1.0f);
    q.table = fitKMeansLevels(normalized.data(), valueWeights.data(), K * N,
                              1u << options.bits, options.kmeansIterations);
    for (float &level : q.table) // means of values in [-1, 1]: only rounding
      level = std::clamp(level, -1.0f, 1.0f);
  }

  q.indices.resize(K * N);
  const int64_t levels = q.table.size();
  for (int64_t i = 0; i < K * N; ++i)
    q.indices[i] = nearestLevel(q.table.data(), levels, normalized[i]);
  return q;
}
