//===- Observers.cpp - calibration range observers ------------------------===//

#include "passes/algorithms/Observers.h"

#include <Eigen/Core>

#include <cassert>

#include <algorithm>
#include <cmath>

using namespace quantc::algorithms;

AbsHistogram::AbsHistogram(int64_t bins) : counts(bins, 0.0) {}

void AbsHistogram::grow(float needed) {
  if (limit_ == 0) {
    // The first nonzero magnitude sets the range, with room above it.
    limit_ = needed * 1.0009765625f;
    return;
  }
  // Double the range, merging neighbouring bins, until `needed` fits.
  int64_t n = bins();
  while (limit_ <= needed) {
    for (int64_t i = 0; i < n / 2; ++i)
      counts[i] = counts[2 * i] + counts[2 * i + 1];
    std::fill(counts.begin() + n / 2, counts.end(), 0.0);
    limit_ *= 2;
  }
}

void AbsHistogram::update(const float *values, int64_t count) {
  float peak = 0;
  for (int64_t i = 0; i < count; ++i) {
    float v = values[i];
    if (!std::isfinite(v))
      continue;
    peak = std::max(peak, std::fabs(v));
    if (!seen_) {
      min_ = max_ = v;
      seen_ = true;
    }
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }
  if (peak > 0 && peak >= limit_)
    grow(peak);
  float scale = limit_ > 0 ? static_cast<float>(bins()) / limit_ : 0;
  for (int64_t i = 0; i < count; ++i) {
    float v = values[i];
    if (!std::isfinite(v)) {
      ++nonFinite_;
      continue;
    }
    int64_t bin = std::min<int64_t>(bins() - 1,
                                    static_cast<int64_t>(std::fabs(v) * scale));
    counts[bin] += 1;
    total_ += 1;
  }
}

float quantc::algorithms::percentileClip(const AbsHistogram &h,
                                         double percentile) {
  double target = percentile * h.total(), sum = 0;
  for (int64_t i = 0; i < h.bins(); ++i) {
    sum += h.histogram()[i];
    if (sum >= target)
      return static_cast<float>(i + 1) * h.binWidth();
  }
  return h.limit();
}

float quantc::algorithms::mseClip(const AbsHistogram &h, unsigned bits) {
  double qmax = static_cast<double>((1 << (bits - 1)) - 1);
  double width = h.binWidth(), best = INFINITY;
  float bestClip = h.limit();
  const std::vector<double> &counts = h.histogram();
  for (int64_t c = 1; c <= h.bins(); ++c) {
    double clip = c * width, step = clip / qmax, error = 0;
    for (int64_t i = 0; i < h.bins(); ++i) {
      if (counts[i] == 0)
        continue;
      double x = (i + 0.5) * width; // the bin's centre stands for its values
      double e = x >= clip ? x - clip : x - step * std::nearbyint(x / step);
      error += counts[i] * e * e;
    }
    if (error < best) {
      best = error;
      bestClip = static_cast<float>(clip);
    }
  }
  return bestClip;
}

namespace {

/// Makes a distribution safe for KL: zero bins get `eps`, taken evenly from
/// the nonzero ones. False when it has no mass.
bool smooth(std::vector<double> &p, double eps = 1e-4) {
  int64_t zeros = std::count(p.begin(), p.end(), 0.0);
  int64_t nonzeros = static_cast<int64_t>(p.size()) - zeros;
  if (nonzeros == 0)
    return false;
  double take = eps * static_cast<double>(zeros) / nonzeros;
  for (double &v : p)
    v = v == 0 ? eps : v - take;
  return true;
}

double klDivergence(std::vector<double> p, std::vector<double> q) {
  double sp = 0, sq = 0;
  for (double v : p)
    sp += v;
  for (double v : q)
    sq += v;
  if (sp <= 0 || sq <= 0)
    return INFINITY;
  for (double &v : p)
    v /= sp;
  for (double &v : q)
    v /= sq;
  if (!smooth(p) || !smooth(q))
    return INFINITY;
  double kl = 0;
  for (size_t i = 0; i < p.size(); ++i)
    if (p[i] > 0 && q[i] > 0)
      kl += p[i] * std::log(p[i] / q[i]);
  return kl;
}

} // namespace

float quantc::algorithms::klClip(const AbsHistogram &h, unsigned bits) {
  int64_t levels = int64_t(1) << (bits - 1);
  const std::vector<double> &counts = h.histogram();
  int64_t bins = h.bins();
  if (levels >= bins)
    return h.limit();
  double best = INFINITY;
  int64_t bestBins = bins;
  for (int64_t i = levels; i <= bins; ++i) {
    // P: the first i bins with the tail folded into the last.
    std::vector<double> p(counts.begin(), counts.begin() + i);
    for (int64_t j = i; j < bins; ++j)
      p[i - 1] += counts[j];
    // Q: the first i bins merged into `levels` chunks, each chunk's mass
    // spread evenly over its nonzero bins.
    std::vector<double> q(i, 0.0);
    int64_t merged = i / levels;
    for (int64_t c = 0; c < levels; ++c) {
      int64_t start = c * merged, stop = c + 1 == levels ? i : start + merged;
      double mass = 0;
      int64_t nonzero = 0;
      for (int64_t j = start; j < stop; ++j) {
        mass += counts[j];
        nonzero += counts[j] != 0;
      }
      for (int64_t j = start; j < stop; ++j)
        if (counts[j] != 0)
          q[j] = mass / nonzero;
    }
    double kl = klDivergence(p, q);
    if (kl < best) {
      best = kl;
      bestBins = i;
    }
  }
  return static_cast<float>(bestBins) * h.binWidth();
}

void ChannelStats::update(const float *values, int64_t count,
                          int64_t channels) {
  assert(channels > 0 && count % channels == 0 && "whole rows");
  if (sumAbs.empty()) {
    sumAbs.assign(channels, 0.0);
    sumSquare.assign(channels, 0.0);
    maxAbs_.assign(channels, 0.0);
    finite.assign(channels, 0);
  }
  assert(channels == this->channels() && "the channel count is fixed");
  for (int64_t i = 0; i < count; i += channels, ++rows_)
    for (int64_t c = 0; c < channels; ++c) {
      float x = values[i + c];
      if (!std::isfinite(x)) {
        ++nonFinite_;
        continue;
      }
      double a = std::fabs(static_cast<double>(x));
      sumAbs[c] += a;
      sumSquare[c] += a * a;
      maxAbs_[c] = std::max(maxAbs_[c], a);
      ++finite[c];
    }
}

std::vector<double> ChannelStats::meanAbs() const {
  std::vector<double> mean(sumAbs.size(), 0.0);
  for (size_t c = 0; c < mean.size(); ++c)
    if (finite[c])
      mean[c] = sumAbs[c] / static_cast<double>(finite[c]);
  return mean;
}

std::vector<double> ChannelStats::meanSquare() const {
  std::vector<double> mean(sumSquare.size(), 0.0);
  for (size_t c = 0; c < mean.size(); ++c)
    if (finite[c])
      mean[c] = sumSquare[c] / static_cast<double>(finite[c]);
  return mean;
}

// Eigen's rank update (a SYRK) keeps accumulation at matrix-matrix speed:
// calibrating an LLM layer adds thousands of rows of width 4096 per sample.
void GramStats::update(const float *values, int64_t count, int64_t channels) {
  assert(channels > 0 && count % channels == 0 && "whole rows");
  if (channels_ == 0) {
    channels_ = channels;
    sum.assign(channels * channels, 0.0f);
  }
  assert(channels == channels_ && "the channel count is fixed");
  int64_t rows = count / channels;
  const float *data = values;
  int64_t kept = rows;
  if (!std::all_of(values, values + count,
                   [](float x) { return std::isfinite(x); })) {
    finiteRows.clear();
    for (int64_t r = 0; r < rows; ++r) {
      const float *row = values + r * channels;
      if (std::all_of(row, row + channels,
                      [](float x) { return std::isfinite(x); }))
        finiteRows.insert(finiteRows.end(), row, row + channels);
    }
    data = finiteRows.data();
    kept = static_cast<int64_t>(finiteRows.size()) / channels;
    skipped_ += rows - kept;
  }
  if (kept == 0)
    return;
  // Rows are row-major [kept][K]: as a column-major K x kept matrix each
  // column is one row x, and the update adds X^T X = sum of x x^T.
  Eigen::Map<const Eigen::MatrixXf> xt(data, channels, kept);
  Eigen::Map<Eigen::MatrixXf> acc(sum.data(), channels, channels);
  acc.selfadjointView<Eigen::Lower>().rankUpdate(xt);
  rows_ += kept;
}

std::vector<float> GramStats::mean() const {
  std::vector<float> out(channels_ * channels_, 0.0f);
  if (rows_ == 0)
    return out;
  float inv = 1.0f / static_cast<float>(rows_);
  for (int64_t j = 0; j < channels_; ++j)
    for (int64_t i = j; i < channels_; ++i) {
      float v = sum[j * channels_ + i] * inv; // column-major (i, j), i >= j
      out[i * channels_ + j] = v;
      out[j * channels_ + i] = v;
    }
  return out;
}

void RowSample::update(const float *values, int64_t count, int64_t channels) {
  assert(channels > 0 && count % channels == 0 && "whole rows");
  if (channels_ == 0)
    channels_ = channels;
  assert(channels == channels_ && "the channel count is fixed");
  if (capacity_ <= 0)
    return;
  for (const float *row = values; row < values + count; row += channels) {
    if (!std::all_of(row, row + channels,
                     [](float x) { return std::isfinite(x); }))
      continue;
    int64_t slot = seen_++;
    if (slot >= capacity_) {
      // splitmix64 (fixed by its definition, unlike std distributions):
      // row `seen` replaces a kept one with probability capacity / seen.
      generator += 0x9e3779b97f4a7c15ull;
      uint64_t z = generator;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      z ^= z >> 31;
      slot = static_cast<int64_t>(z % static_cast<uint64_t>(seen_));
      if (slot >= capacity_)
        continue;
      std::copy(row, row + channels, rows_.begin() + slot * channels);
      continue;
    }
    rows_.insert(rows_.end(), row, row + channels);
  }
}
