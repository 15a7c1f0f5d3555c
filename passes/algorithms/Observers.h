//===- Observers.h - calibration range observers ----------------*- C++ -*-===//
//
// Streaming statistics of a tensor over calibration samples and the ranges
// the calibration observers choose from them (../shared/ALGORITHMS.md,
// "Calibration observers"): min/max, percentile, MSE-optimal clipping and
// KL/entropy. Memory does not grow with the number of samples: the
// histogram has a fixed number of bins over a range that doubles (merging
// neighbouring bins) whenever a sample falls outside it.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_ALGORITHMS_OBSERVERS_H
#define QUANTC_PASSES_ALGORITHMS_OBSERVERS_H

#include <cstdint>
#include <vector>

namespace quantc::algorithms {

struct Range {
  float min = 0, max = 0;
};

/// A histogram of |x| over [0, limit) with `bins` equal bins, plus the
/// running signed extrema. Non-finite values are counted apart and ignored.
class AbsHistogram {
public:
  explicit AbsHistogram(int64_t bins = 2048);

  void update(const float *values, int64_t count);

  int64_t bins() const { return static_cast<int64_t>(counts.size()); }
  float limit() const { return limit_; }
  float binWidth() const { return limit_ / static_cast<float>(bins()); }
  const std::vector<double> &histogram() const { return counts; }
  double total() const { return total_; }
  int64_t nonFinite() const { return nonFinite_; }
  Range minMax() const { return {min_, max_}; }

private:
  void grow(float needed);

  std::vector<double> counts;
  float limit_ = 0;
  double total_ = 0;
  int64_t nonFinite_ = 0;
  float min_ = 0, max_ = 0;
  bool seen_ = false;
};

/// Per-channel statistics of a tensor whose last dimension is the channel
/// (an activation a linear layer reads: channel k meets row k of the
/// weight): mean |x|, max |x| and mean x^2 over every row of every sample,
/// streamed (memory is O(channels)). mean x^2 times the row count is the
/// diagonal of X^T X, what GPTQ-style and activation-aware methods weight
/// the weight rows by. Non-finite values are skipped (counted apart).
class ChannelStats {
public:
  /// `count` values, `channels` per row, row-major.
  void update(const float *values, int64_t count, int64_t channels);

  int64_t channels() const { return static_cast<int64_t>(sumAbs.size()); }
  int64_t rows() const { return rows_; }
  int64_t nonFinite() const { return nonFinite_; }
  /// Per channel (0 for a channel that saw no finite value).
  std::vector<double> meanAbs() const;
  std::vector<double> meanSquare() const;
  const std::vector<double> &maxAbs() const { return maxAbs_; }

private:
  std::vector<double> sumAbs, sumSquare, maxAbs_;
  std::vector<int64_t> finite; // finite values per channel
  int64_t rows_ = 0, nonFinite_ = 0;
};

/// The second moment E[x x^T] of a tensor's rows (last dimension = the K
/// channels a linear layer's weight rows meet), streamed: memory is K x K
/// floats whatever the number of samples. Times the row count it is the
/// X^T X that GPTQ's Hessian is made of. Rows holding a non-finite value are
/// skipped whole (counted apart): a partial row would bias the cross terms.
class GramStats {
public:
  /// `count` values, `channels` per row, row-major. The channel count is
  /// fixed by the first call.
  void update(const float *values, int64_t count, int64_t channels);

  int64_t channels() const { return channels_; }
  /// Rows accumulated (finite ones).
  int64_t rows() const { return rows_; }
  int64_t skippedRows() const { return skipped_; }
  /// E[x x^T], K x K row-major and symmetric (zeros when no row was seen).
  std::vector<float> mean() const;

private:
  int64_t channels_ = 0, rows_ = 0, skipped_ = 0;
  std::vector<float> sum;        // lower triangle of sum x x^T, column-major
  std::vector<float> finiteRows; // scratch: the finite rows of one update
};

/// A uniform random sample of at most `capacity` of a tensor's rows (last
/// dimension = K channels), streamed: reservoir sampling (Vitter's
/// algorithm R) keeps every row seen so far with equal probability, in
/// capacity x K floats whatever the number of samples. What searches that
/// need real rows (an activation quantizer's error, which no second moment
/// gives) evaluate on. Deterministic: the generator is seeded once. Rows
/// holding a non-finite value are skipped.
class RowSample {
public:
  explicit RowSample(int64_t capacity = 0, uint64_t seed = 0x5eed)
      : capacity_(capacity), generator(seed) {}

  /// `count` values, `channels` per row, row-major. The channel count is
  /// fixed by the first call.
  void update(const float *values, int64_t count, int64_t channels);

  int64_t channels() const { return channels_; }
  /// Finite rows offered so far.
  int64_t seen() const { return seen_; }
  /// The kept rows, min(seen, capacity) x K row-major, in no set order.
  const std::vector<float> &rows() const { return rows_; }

private:
  int64_t capacity_, channels_ = 0, seen_ = 0;
  uint64_t generator; // splitmix64 state: the same sample on every platform
  std::vector<float> rows_;
};

/// The symmetric clip c such that a fraction `percentile` (e.g. 0.9999) of
/// the observed |x| lies at or below c (upper edge of the bin reaching it).
float percentileClip(const AbsHistogram &h, double percentile);

/// The symmetric clip c minimizing the expected squared error of a
/// `bits`-bit symmetric grid over the histogram (grid search over the bin
/// edges; rounding and clipping error both counted).
float mseClip(const AbsHistogram &h, unsigned bits);

/// TensorRT's entropy calibration: for each candidate threshold (bin edge
/// from 2^(bits-1) bins up), fold the tail into the last bin, quantize the
/// distribution to 2^(bits-1) levels, expand back, and keep the threshold
/// with the smallest KL(P || Q).
float klClip(const AbsHistogram &h, unsigned bits);

} // namespace quantc::algorithms

#endif // QUANTC_PASSES_ALGORITHMS_OBSERVERS_H
