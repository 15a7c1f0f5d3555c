//===- AlgorithmsTest.cpp - quantization arithmetic vs closed forms -------===//
//
// Uniform quantization (ranges, rounding, saturation, group-wise RTN with a
// ragged last group), sub-byte packing, fixed-point requantization, and the
// calibration observers on distributions whose answers are known.
//
//===----------------------------------------------------------------------===//

#include "passes/algorithms/Awq.h"
#include "passes/algorithms/BitAllocation.h"
#include "passes/algorithms/Observers.h"
#include "passes/algorithms/Packing.h"
#include "passes/algorithms/Requantize.h"
#include "passes/algorithms/Rotation.h"
#include "passes/algorithms/Smooth.h"
#include "passes/algorithms/UniformQuant.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

using namespace quantc::algorithms;

namespace {

TEST(UniformQuant, ChoosesSymmetricAndAsymmetricParams) {
  QuantRange i8 = QuantRange::signedBits(8);
  EXPECT_EQ(i8.qmin, -128);
  EXPECT_EQ(i8.qmax, 127);
  QuantParams s = chooseParams(-2.0f, 1.0f, i8, /*symmetric=*/true);
  EXPECT_FLOAT_EQ(s.scale, 2.0f / 127);
  EXPECT_EQ(s.zeroPoint, 0);
  // [-1, 3]: s = 4/255, z = -128 - round(-63.75) = -64.
  QuantParams a = chooseParams(-1.0f, 3.0f, i8, /*symmetric=*/false);
  EXPECT_FLOAT_EQ(a.scale, 4.0f / 255);
  EXPECT_EQ(a.zeroPoint, -64);
  // The range always holds 0, so zero is exact.
  QuantParams positive = chooseParams(2.0f, 4.0f, i8, false);
  EXPECT_EQ(dequantize(quantize(0.0f, positive, i8), positive), 0.0f);
  // Only zeros seen: a usable scale.
  EXPECT_EQ(chooseParams(0, 0, i8, false).scale, 1.0f);
}

TEST(UniformQuant, RoundsHalfToEvenAndSaturates) {
  QuantRange i8 = QuantRange::signedBits(8);
  QuantParams unit{1.0f, 0};
  EXPECT_EQ(quantize(2.5f, unit, i8), 2);
  EXPECT_EQ(quantize(3.5f, unit, i8), 4);
  EXPECT_EQ(quantize(-2.5f, unit, i8), -2);
  EXPECT_EQ(quantize(1000.0f, unit, i8), 127);
  EXPECT_EQ(quantize(-1000.0f, unit, i8), -128);
  EXPECT_EQ(quantize(-INFINITY, unit, i8), -128);
  EXPECT_EQ(quantize(NAN, QuantParams{1.0f, 5}, i8), 5);
  QuantRange i4 = QuantRange::signedBits(4);
  EXPECT_EQ(quantize(7.6f, unit, i4), 7);
  EXPECT_EQ(quantize(-9.0f, unit, i4), -8);
}

TEST(UniformQuant, GroupWiseRTNWithARaggedLastGroup) {
  // stories260k's FFN input width: K = 172 = 5 * 32 + 12.
  const int64_t K = 172, N = 3, g = 32;
  std::vector<float> w(K * N);
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float &v : w)
    v = normal(rng);
  w[170 * N + 1] = 9.0f; // an outlier in the last (ragged) group of column 1
  QuantizedWeights q =
      quantizeRTN(w.data(), K, N, 4, Granularity::PerGroup, g, true);
  EXPECT_EQ(q.numGroups(), 6);
  ASSERT_EQ(q.params.size(), 6u * N);
  // The outlier sets only its own group's scale.
  EXPECT_FLOAT_EQ(q.paramsAt(170, 1).scale, 9.0f / 7);
  EXPECT_LT(q.paramsAt(159, 1).scale, 9.0f / 7);
  EXPECT_EQ(q.values[170 * N + 1], 7);
  // Every element is within half a step of its weight (no clipping: the
  // symmetric scale covers each group's largest magnitude).
  for (int64_t k = 0; k < K; ++k)
    for (int64_t n = 0; n < N; ++n)
      EXPECT_LE(std::fabs(q.dequantized(k, n) - w[k * N + n]),
                0.5f * q.paramsAt(k, n).scale * 1.0001f)
          << "at " << k << ", " << n;
}

TEST(UniformQuant, PerChannelAndPerTensor) {
  // Columns with different ranges: per-channel gives each its own scale.
  std::vector<float> w = {1.0f, -100.0f, -0.5f, 50.0f};
  QuantizedWeights pc =
      quantizeRTN(w.data(), 2, 2, 8, Granularity::PerChannel, 0, true);
  EXPECT_FLOAT_EQ(pc.paramsAt(0, 0).scale, 1.0f / 127);
  EXPECT_FLOAT_EQ(pc.paramsAt(1, 1).scale, 100.0f / 127);
  EXPECT_EQ(pc.values[0], 127);
  QuantizedWeights pt =
      quantizeRTN(w.data(), 2, 2, 8, Granularity::PerTensor, 0, true);
  EXPECT_EQ(pt.params.size(), 1u);
  EXPECT_EQ(pt.values[0], 1); // 1.0 / (100/127) = 1.27 -> 1
  // Asymmetric 2-bit: four levels span [min, max].
  std::vector<float> v = {-1.0f, 0.0f, 1.0f, 2.0f};
  QuantizedWeights a2 =
      quantizeRTN(v.data(), 4, 1, 2, Granularity::PerChannel, 0, false);
  for (int64_t k = 0; k < 4; ++k)
    EXPECT_NEAR(a2.dequantized(k, 0), v[k], 0.5f * a2.params[0].scale);
}

/// Squared reconstruction error of `values` under `p`, computed here
/// independently of the library: round half to even (nearbyint), saturate.
double reconstructionError(const std::vector<float> &values, QuantParams p,
                           QuantRange range) {
  double error = 0;
  for (float x : values) {
    float q = std::nearbyint(x / p.scale) + float(p.zeroPoint);
    q = std::min(std::max(q, float(range.qmin)), float(range.qmax));
    double d = double(x) - double(p.scale * (q - float(p.zeroPoint)));
    error += d * d;
  }
  return error;
}

TEST(UniformQuant, MseClipIsTheBestRatioOnTheGrid) {
  // A heavy-tailed group: 31 values in [-1, 1] and one outlier at 12. At 4
  // bits the full range spends its levels on the outlier; some clipping
  // reconstructs the group with less squared error.
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> small(-1.0f, 1.0f);
  std::vector<float> values(32);
  for (float &v : values)
    v = small(rng);
  values[5] = 12.0f;
  QuantRange range = QuantRange::signedBits(4);
  for (bool symmetric : {true, false}) {
    QuantParams chosen =
        chooseMseParams(values.data(), values.size(), 1, range, symmetric);
    // Brute force over the same grid of ratios: no ratio does better.
    float lo = *std::min_element(values.begin(), values.end());
    float hi = *std::max_element(values.begin(), values.end());
    double best = 1e300;
    for (int step = 0; step <= 50; ++step) {
      float r = 1.0f - 0.01f * float(step);
      best = std::min(best,
                      reconstructionError(values,
                                          chooseParams(r * std::min(lo, 0.0f),
                                                       r * std::max(hi, 0.0f),
                                                       range, symmetric),
                                          range));
    }
    double got = reconstructionError(values, chosen, range);
    EXPECT_DOUBLE_EQ(got, best) << "symmetric " << symmetric;
    double full = reconstructionError(
        values, chooseParams(lo, hi, range, symmetric), range);
    EXPECT_LT(got, full) << "clipping should help this group";
    EXPECT_LT(chosen.scale, chooseParams(lo, hi, range, symmetric).scale);
  }
}

TEST(UniformQuant, MseClipKeepsTheFullRangeWhenNothingIsBetter) {
  // Evenly spread values on the 3-bit symmetric grid of the full range are
  // reconstructed exactly: no clipping can do better, and ties keep r = 1.
  std::vector<float> values = {-3, -2, -1, 0, 1, 2, 3};
  QuantRange range = QuantRange::signedBits(3);
  QuantParams p = chooseMseParams(values.data(), values.size(), 1, range,
                                  /*symmetric=*/true);
  EXPECT_FLOAT_EQ(p.scale, 1.0f);
  EXPECT_EQ(reconstructionError(values, p, range), 0.0);
}

TEST(UniformQuant, MseClipWeightsEachValuesError) {
  // The column of qc-quantize-weights.mlir's @weighted case: with the
  // outlier's importance 0 only the other values count. The choice equals
  // a brute force over the grid of the weighted error, and unit weights
  // give the unweighted choice.
  std::vector<float> v = {0.5f, -0.5f, 0.25f, 1.0f, -1.0f, 0.75f, -0.25f, 7.0f};
  std::vector<float> importance = {1, 1, 1, 1, 1, 1, 1, 0};
  QuantRange range = QuantRange::signedBits(4);
  QuantParams weighted = chooseMseParams(v.data(), v.size(), 1, range,
                                         /*symmetric=*/true, importance.data());
  double best = 1e300;
  float bestScale = 0;
  for (int step = 0; step <= 50; ++step) {
    float r = 1.0f - 0.01f * float(step);
    QuantParams p = chooseParams(-r, r * 7.0f, range, true);
    double e = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      float q = std::min(std::max(std::nearbyint(v[i] / p.scale), -8.0f), 7.0f);
      double d = double(v[i]) - double(p.scale * q);
      e += importance[i] * d * d;
    }
    if (e < best) {
      best = e;
      bestScale = p.scale;
    }
  }
  EXPECT_FLOAT_EQ(weighted.scale, bestScale);
  EXPECT_FLOAT_EQ(weighted.scale, 0.52f);
  std::vector<float> ones(v.size(), 1.0f);
  EXPECT_FLOAT_EQ(
      chooseMseParams(v.data(), v.size(), 1, range, true, ones.data()).scale,
      chooseMseParams(v.data(), v.size(), 1, range, true).scale);
}

TEST(UniformQuant, MseClipRTNSearchesEachGroup) {
  // W[5][2], groups of 2 rows (a ragged last group): each (group, column)
  // gets chooseMseParams of exactly its own values.
  std::vector<float> w = {0.1f, -4.0f, 0.3f, 0.2f, -0.2f,
                          0.1f, 5.0f,  0.3f, 0.4f, -0.1f};
  QuantizedWeights q = quantizeRTN(w.data(), 5, 2, 4, Granularity::PerGroup, 2,
                                   /*symmetric=*/true, RangeChoice::Mse);
  QuantRange range = QuantRange::signedBits(4);
  for (int64_t g = 0; g < 3; ++g)
    for (int64_t n = 0; n < 2; ++n) {
      int64_t rows = std::min<int64_t>(2, 5 - 2 * g);
      QuantParams want =
          chooseMseParams(w.data() + 2 * g * 2 + n, rows, 2, range, true);
      EXPECT_FLOAT_EQ(q.paramsAt(2 * g, n).scale, want.scale)
          << "group " << g << " column " << n;
    }
}

TEST(Packing, FourBitsAreTwoPerByteLowNibbleFirst) {
  int8_t values[] = {1, -1, -8, 7};
  std::vector<uint8_t> packed = packBits(values, 4, 4);
  ASSERT_EQ(packed.size(), 2u);
  EXPECT_EQ(packed[0], 0xF1);
  EXPECT_EQ(packed[1], 0x78);
  EXPECT_EQ(packedBytes(172 * 64, 4), 5504);
  EXPECT_EQ(packedBytes(8, 3), 3);
}

TEST(Packing, RoundTripsEveryWidth) {
  std::mt19937 rng(3);
  for (unsigned bits : {2u, 3u, 4u, 8u}) {
    int lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
    std::uniform_int_distribution<int> dist(lo, hi);
    std::vector<int8_t> values(1001);
    for (int8_t &v : values)
      v = static_cast<int8_t>(dist(rng));
    values[0] = static_cast<int8_t>(lo);
    values[1] = static_cast<int8_t>(hi);
    std::vector<uint8_t> packed = packBits(values.data(), 1001, bits);
    EXPECT_EQ(static_cast<int64_t>(packed.size()), packedBytes(1001, bits));
    for (int64_t i = 0; i < 1001; ++i)
      ASSERT_EQ(unpackBits(packed.data(), i, bits), values[i])
          << bits << " bits, value " << i;
  }
}

TEST(Requantize, FixedPointScaleRepresentsTheScale) {
  FixedPointScale half = toFixedPoint(0.5);
  EXPECT_EQ(half.multiplier, 1 << 30);
  EXPECT_EQ(half.shift, 0);
  for (double s : {1e-6, 0.0123, 0.3, 0.999999999, 1.0, 3.75}) {
    FixedPointScale f = toFixedPoint(s);
    EXPECT_GE(f.multiplier, 1 << 30);
    double represented = f.multiplier * std::ldexp(1.0, -31 - f.shift);
    EXPECT_NEAR(represented, s, s * 1e-9);
  }
}

TEST(Requantize, RoundsHalfAwayFromZeroAndSaturates) {
  FixedPointScale half = toFixedPoint(0.5);
  EXPECT_EQ(requantize(3, half, 0, -128, 127), 2);   // 1.5 -> 2
  EXPECT_EQ(requantize(-3, half, 0, -128, 127), -2); // -1.5 -> -2
  EXPECT_EQ(requantize(5, half, 10, -128, 127), 13); // 2.5 -> 3, + 10
  EXPECT_EQ(requantize(1000, half, 0, -128, 127), 127);
  EXPECT_EQ(requantize(-1000, half, 0, -128, 127), -128);
  EXPECT_EQ(requantize(INT32_MAX, toFixedPoint(1000.0), 0, -128, 127), 127);
  // Against exact arithmetic with the represented scale, random cases.
  std::mt19937 rng(11);
  std::uniform_int_distribution<int32_t> acc(-(1 << 24), 1 << 24);
  std::uniform_real_distribution<double> scale(1e-5, 0.1);
  for (int i = 0; i < 10000; ++i) {
    int32_t a = acc(rng);
    FixedPointScale f = toFixedPoint(scale(rng));
    long double exact = static_cast<long double>(a) * f.multiplier *
                        std::ldexp(1.0L, -31 - f.shift);
    long double rounded = std::round(exact); // half away from zero
    long double expected = std::clamp<long double>(rounded, -128, 127);
    ASSERT_EQ(requantize(a, f, 0, -128, 127), static_cast<int32_t>(expected))
        << a << " * " << f.multiplier << " >> " << 31 + f.shift;
  }
}

template <typename Draw>
std::vector<float> samples(int seed, int64_t n, Draw draw) {
  std::mt19937 rng(seed);
  std::vector<float> v(n);
  for (float &x : v)
    x = draw(rng);
  return v;
}

TEST(Observers, MinMaxAndStreamingRangeGrowth) {
  AbsHistogram h(2048);
  std::vector<float> a = {0.0f, 0.5f, -1.0f}, b = {100.0f, -3.0f, NAN};
  h.update(a.data(), a.size());
  float first = h.limit();
  h.update(b.data(), b.size());
  EXPECT_GT(h.limit(), 100.0f);
  EXPECT_GT(h.limit(), first);
  EXPECT_EQ(h.bins(), 2048); // memory does not grow
  EXPECT_EQ(h.total(), 5);   // NaN counted apart
  EXPECT_EQ(h.nonFinite(), 1);
  EXPECT_EQ(h.minMax().min, -3.0f);
  EXPECT_EQ(h.minMax().max, 100.0f);
  // After merging, the counts still sum to the samples.
  double sum = 0;
  for (double c : h.histogram())
    sum += c;
  EXPECT_EQ(sum, 5);
}

TEST(Observers, ChannelStatsMatchBruteForce) {
  // Two batches of rows with 3 channels, streamed; NaN and inf skipped (and
  // counted) without touching the other channels of their row.
  std::vector<float> a = {1, -2, 0.5f, -3, 4, 0.25f};
  std::vector<float> b = {2, NAN, -0.5f, 0, INFINITY, 1};
  ChannelStats s;
  s.update(a.data(), a.size(), 3);
  s.update(b.data(), b.size(), 3);
  EXPECT_EQ(s.channels(), 3);
  EXPECT_EQ(s.rows(), 4);
  EXPECT_EQ(s.nonFinite(), 2);
  // Channel 0: 1, -3, 2, 0; channel 1: -2, 4 (NaN, inf skipped); channel 2:
  // 0.5, 0.25, -0.5, 1.
  std::vector<double> meanAbs = s.meanAbs(), meanSquare = s.meanSquare();
  EXPECT_DOUBLE_EQ(meanAbs[0], 6.0 / 4);
  EXPECT_DOUBLE_EQ(meanAbs[1], 6.0 / 2);
  EXPECT_DOUBLE_EQ(meanAbs[2], 2.25 / 4);
  EXPECT_DOUBLE_EQ(meanSquare[0], 14.0 / 4);
  EXPECT_DOUBLE_EQ(meanSquare[1], 20.0 / 2);
  EXPECT_DOUBLE_EQ(meanSquare[2], 1.5625 / 4);
  EXPECT_EQ(s.maxAbs(), (std::vector<double>{3, 4, 1}));
}

TEST(Observers, GramStatsMatchBruteForce) {
  // Rows streamed in three updates of different sizes; the row holding NaN
  // is skipped whole. E[x x^T] against a double-precision brute force over
  // the kept rows: small integers, so float sums are exact (tolerance 0
  // up to the final division, hence a relative 1e-6).
  std::vector<float> a = {1, -2, 3, 0, 4, -1};
  std::vector<float> b = {2, 2, 2};
  std::vector<float> c = {1, NAN, 0, -3, 1, 5, 0, 0, 1};
  GramStats g;
  g.update(a.data(), a.size(), 3);
  g.update(b.data(), b.size(), 3);
  g.update(c.data(), c.size(), 3);
  EXPECT_EQ(g.channels(), 3);
  EXPECT_EQ(g.rows(), 5);
  EXPECT_EQ(g.skippedRows(), 1);
  std::vector<std::vector<float>> rows = {
      {1, -2, 3}, {0, 4, -1}, {2, 2, 2}, {-3, 1, 5}, {0, 0, 1}};
  std::vector<float> mean = g.mean();
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      double expected = 0;
      for (const auto &r : rows)
        expected += double(r[i]) * r[j];
      expected /= rows.size();
      EXPECT_NEAR(mean[i * 3 + j], expected, 1e-6 * std::fabs(expected))
          << i << "," << j;
    }
}

TEST(Observers, RowSampleKeepsEveryRowUntilFullThenAUniformSample) {
  // Fewer rows than the capacity: all kept, in order; a row with NaN is
  // skipped.
  std::vector<float> a = {1, 2, NAN, 0, 3, 4};
  RowSample small(5);
  small.update(a.data(), a.size(), 2);
  EXPECT_EQ(small.seen(), 2);
  EXPECT_EQ(small.rows(), (std::vector<float>{1, 2, 3, 4}));
  // 20000 rows (row i = (i, -i)) through a reservoir of 100, in updates of
  // 1000: exactly 100 distinct rows kept, each a row that was offered, and
  // uniform over the stream: the kept indices' mean is (N - 1) / 2 within
  // 4 standard errors (sd of U(0, N) / sqrt(100) ~ 577).
  RowSample big(100, /*seed=*/3);
  std::vector<float> rows;
  for (int i = 0; i < 20000; ++i) {
    rows.push_back(float(i));
    rows.push_back(float(-i));
  }
  for (int i = 0; i < 20000; i += 1000)
    big.update(rows.data() + 2 * i, 2000, 2);
  EXPECT_EQ(big.seen(), 20000);
  ASSERT_EQ(big.rows().size(), 200u);
  std::set<float> kept;
  double mean = 0;
  for (size_t r = 0; r < 100; ++r) {
    EXPECT_EQ(big.rows()[2 * r + 1], -big.rows()[2 * r]);
    kept.insert(big.rows()[2 * r]);
    mean += big.rows()[2 * r] / 100.0;
  }
  EXPECT_EQ(kept.size(), 100u);
  EXPECT_NEAR(mean, 9999.5, 4 * 577.0);
  // More than the first 100 rows were replaced (not a prefix).
  EXPECT_GT(*kept.rbegin(), 100.0f);
  // The same seed gives the same sample.
  RowSample again(100, 3);
  for (int i = 0; i < 20000; i += 1000)
    again.update(rows.data() + 2 * i, 2000, 2);
  EXPECT_EQ(again.rows(), big.rows());
}

TEST(Observers, PercentileOfUniform) {
  // |U(-1, 1)| is U(0, 1): the p-th percentile of |x| is p. Tolerance: one
  // bin (limit / 2048) plus sampling noise of 1e6 draws (~1e-3).
  auto v = samples(1, 1000000, [](std::mt19937 &r) {
    return std::uniform_real_distribution<float>(-1.0f, 1.0f)(r);
  });
  AbsHistogram h;
  for (int64_t i = 0; i < 1000000; i += 10000)
    h.update(v.data() + i, 10000); // in batches, as calibration feeds it
  EXPECT_NEAR(percentileClip(h, 0.99), 0.99, 3e-3);
  EXPECT_NEAR(percentileClip(h, 0.5), 0.5, 3e-3);
}

TEST(Observers, MseClipOfGaussianMatchesKnownOptima) {
  // MSE-optimal clipping of N(0, 1) (Banner et al., ACIQ): about 2.55 sigma
  // at 4 bits and 1.71 at 2 bits for 2^b levels; our symmetric grid has
  // 2^b - 1 levels, so allow 0.25 sigma. More bits clip later.
  auto v = samples(2, 400000, [](std::mt19937 &r) {
    return std::normal_distribution<float>(0.0f, 1.0f)(r);
  });
  AbsHistogram h;
  h.update(v.data(), v.size());
  float c4 = mseClip(h, 4), c3 = mseClip(h, 3), c8 = mseClip(h, 8);
  EXPECT_NEAR(c4, 2.55f, 0.25f);
  EXPECT_LT(c3, c4);
  EXPECT_LT(c4, c8);
  EXPECT_LE(c8, h.limit());
}

TEST(Observers, KlClipIgnoresARareOutlier) {
  // N(0, 1) plus one value at 50: min/max would take 50; the entropy
  // threshold stays with the bulk (TensorRT reports about 3-5 sigma at 8
  // bits). Its smallest candidate is 2^(b-1) bins, here 128 * 50/2048 = 3.1.
  auto v = samples(3, 200000, [](std::mt19937 &r) {
    return std::normal_distribution<float>(0.0f, 1.0f)(r);
  });
  v.push_back(50.0f);
  AbsHistogram h;
  h.update(v.data(), v.size());
  EXPECT_EQ(h.minMax().max, 50.0f);
  float kl = klClip(h, 8);
  EXPECT_GT(kl, 3.0f);
  EXPECT_LT(kl, 8.0f);
  // Fewer bits: a coarser grid, an earlier clip.
  EXPECT_LE(klClip(h, 4), kl);
  EXPECT_LT(percentileClip(h, 0.9999), 5.0f);
}

} // namespace

TEST(Awq, OutputErrorIsTheQuadraticForm) {
  // tr(D^T H D) against the explicit double sum over (k, k', n); small
  // integers, so exact.
  std::vector<float> w = {1, 2, -1, 0, 3, 1};    // 3 x 2
  std::vector<float> what = {0, 2, -1, 1, 1, 1}; // D = (1,0; -1,-1; 2,0)
  std::vector<float> h = {2, 1, 0, 1, 3, -1, 0, -1, 1};
  double expected = 0;
  for (int n = 0; n < 2; ++n)
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b)
        expected += (w[a * 2 + n] - what[a * 2 + n]) * h[a * 3 + b] *
                    (w[b * 2 + n] - what[b * 2 + n]);
  EXPECT_EQ(outputError(w.data(), what.data(), 3, 2, h.data()), expected);
}

TEST(Awq, SearchKeepsPlainRoundingUnlessScalingHelps) {
  // A lossless "rounding": every alpha has error 0, ties keep alpha 0 and
  // s = 1. A rounding to multiples of 1 with a channel whose weights are
  // small (0.3) and whose activations are large: scaling that row up lets
  // it survive rounding, so some alpha > 0 wins and lowers the error.
  std::vector<float> w = {0.3f, -0.3f, 1, 2}; // 2 x 2
  std::vector<float> meanAbs = {8, 0.5f};
  std::vector<float> h = {64, 0, 0, 0.25f};
  std::vector<AwqLayer> layers = {{w.data(), 2}};
  AwqChoice lossless =
      searchAwqScales(layers, 2, meanAbs.data(), h.data(),
                      [](const std::vector<float> &v, int64_t, int64_t,
                         const std::vector<float> &) { return v; });
  EXPECT_EQ(lossless.alpha, 0);
  EXPECT_EQ(lossless.scales, (std::vector<float>{1, 1}));
  EXPECT_EQ(lossless.error, 0);
  auto integers = [](const std::vector<float> &v, int64_t, int64_t,
                     const std::vector<float> &) {
    std::vector<float> out(v.size());
    for (size_t i = 0; i < v.size(); ++i)
      out[i] = std::nearbyint(v[i]);
    return out;
  };
  AwqChoice scaled =
      searchAwqScales(layers, 2, meanAbs.data(), h.data(), integers);
  // alpha = 0: row 0 rounds to 0, error 64 * (0.09 + 0.09) = 11.52.
  EXPECT_NEAR(scaled.unscaledError, 11.52, 1e-5);
  EXPECT_GT(scaled.alpha, 0);
  EXPECT_LT(scaled.error, scaled.unscaledError);
  // max(s) min(s) = 1.
  EXPECT_NEAR(scaled.scales[0] * scaled.scales[1], 1.0, 1e-5);
}

TEST(Rotation, RandomizedHadamardIsOrthogonal) {
  // Q^T Q = I for powers of two and for sizes split into power-of-two
  // blocks (172 = 128 + 32 + 8 + 4, 13 = 8 + 4 + 1); entries of a block of
  // size b are +-1/sqrt(b). Tolerance: float sums of up to 128 products of
  // +-1/128, a few ulps.
  for (int64_t k : {1, 2, 13, 64, 172}) {
    std::vector<float> q = randomizedHadamard(k, /*seed=*/7);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j) {
        double dot = 0;
        for (int64_t r = 0; r < k; ++r)
          dot += double(q[r * k + i]) * q[r * k + j];
        EXPECT_NEAR(dot, i == j ? 1.0 : 0.0, 1e-6) << k << ": " << i << j;
      }
  }
  // The first block of 172 is 128 wide: |q| = 1/sqrt(128) there.
  std::vector<float> q = randomizedHadamard(172, 7);
  EXPECT_NEAR(std::fabs(q[5 * 172 + 100]), 1.0 / std::sqrt(128.0), 1e-7);
  EXPECT_EQ(q[5 * 172 + 130], 0.0f); // outside the block
  // A fixed seed gives the same matrix; another seed other signs.
  EXPECT_EQ(randomizedHadamard(64, 7), randomizedHadamard(64, 7));
  EXPECT_NE(randomizedHadamard(64, 7), randomizedHadamard(64, 8));
}

TEST(Rotation, FastTransformEqualsTheDenseProduct) {
  // applyHadamard (the butterflies the pass compiles) computes x Q with Q
  // from randomizedHadamard, for powers of two and sums of them. Tolerance:
  // float sums over up to 128 terms of size ~1 (the dense product is summed
  // in double), 1e-5.
  for (int64_t k : {1, 2, 13, 64, 100, 172}) {
    HadamardFactors f = hadamardFactors(k, /*seed=*/11);
    std::vector<float> q = randomizedHadamard(k, 11);
    std::vector<float> x(k);
    for (int64_t i = 0; i < k; ++i)
      x[i] = std::sin(0.7 * i + 0.3) * (i % 5 == 0 ? 4.0f : 1.0f);
    std::vector<float> fast = x;
    applyHadamard(f, fast.data());
    for (int64_t j = 0; j < k; ++j) {
      double dense = 0;
      for (int64_t i = 0; i < k; ++i)
        dense += double(x[i]) * q[i * k + j];
      EXPECT_NEAR(fast[j], dense, 1e-5) << k << ": " << j;
    }
  }
  // 172 = 128 + 32 + 8 + 4: the blocks in order.
  EXPECT_EQ(hadamardFactors(172, 1).blocks,
            (std::vector<int64_t>{128, 32, 8, 4}));
}

TEST(Rotation, RotatedLayerComputesTheSameProduct) {
  // (x Q)(Q^T W) = x W, and the Gram matrix of x Q is Q^T H Q: checked on
  // small integers against direct sums (tolerance 1e-5, float rounding).
  int64_t k = 6, n = 2;
  std::vector<float> w = {1, -2, 0.5f, 3, -1, 0, 2, 2, -3, 1, 0.25f, -0.5f};
  std::vector<float> x = {1, 2, -1, 0.5f, 3, -2};
  std::vector<float> q = randomizedHadamard(k, 3);
  std::vector<float> qw = rotateRows(w.data(), q, k, n);
  std::vector<float> xq(k, 0.0f);
  for (int64_t j = 0; j < k; ++j)
    for (int64_t i = 0; i < k; ++i)
      xq[j] += x[i] * q[i * k + j];
  for (int64_t c = 0; c < n; ++c) {
    double direct = 0, rotated = 0;
    for (int64_t i = 0; i < k; ++i) {
      direct += double(x[i]) * w[i * n + c];
      rotated += double(xq[i]) * qw[i * n + c];
    }
    EXPECT_NEAR(rotated, direct, 1e-5);
  }
  std::vector<float> h(k * k), hq;
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j)
      h[i * k + j] = x[i] * x[j];
  hq = rotateGram(h, q, k);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j)
      EXPECT_NEAR(hq[i * k + j], xq[i] * xq[j], 1e-5);
}

TEST(Rotation, ColumnsRotateWhatALayerWrites) {
  // A layer writing a rotated stream: x (W Q) = (x W) Q, and a reader
  // Q^T V after it undoes Q: (x W Q)(Q^T V) = x W V. K = 3 rows, N = 6
  // (blocks 4 + 2). Tolerance: float products of O(1) values, 1e-5.
  const int64_t k = 3, n = 6;
  std::vector<float> w(k * n), v(n);
  for (int64_t i = 0; i < k * n; ++i)
    w[i] = 0.25f * static_cast<float>((i * 7) % 11) - 1.0f;
  for (int64_t j = 0; j < n; ++j)
    v[j] = 0.5f * static_cast<float>(j) - 1.0f;
  std::vector<float> q = randomizedHadamard(n, 5);
  std::vector<float> wq = rotateColumns(w.data(), q, k, n);
  std::vector<float> qv = rotateRows(v.data(), q, n, 1);
  for (int64_t i = 0; i < k; ++i) {
    double direct = 0, rotated = 0;
    for (int64_t j = 0; j < n; ++j) {
      direct += double(w[i * n + j]) * v[j];
      rotated += double(wq[i * n + j]) * qv[j];
      double column = 0;
      for (int64_t c = 0; c < n; ++c)
        column += double(w[i * n + c]) * q[c * n + j];
      EXPECT_NEAR(wq[i * n + j], column, 1e-5);
    }
    EXPECT_NEAR(rotated, direct, 1e-5);
  }
}

TEST(Smooth, ScalesFollowTheClosedForm) {
  // s = maxX^a / maxW^(1-a): alpha 0.5 gives sqrt(maxX / maxW), alpha 1
  // maxX, alpha 0 1 / maxW; a channel with a zero maximum keeps 1.
  // Tolerance: float pow, 1e-6 relative.
  const float maxX[] = {16, 1, 0, 4};
  const float maxW[] = {0.25f, 1, 2, 0};
  std::vector<float> half = smoothingScales(maxX, maxW, 4, 0.5);
  EXPECT_NEAR(half[0], 8.0f, 8e-6);
  EXPECT_NEAR(half[1], 1.0f, 1e-6);
  EXPECT_EQ(half[2], 1.0f);
  EXPECT_EQ(half[3], 1.0f);
  EXPECT_NEAR(smoothingScales(maxX, maxW, 4, 1.0)[0], 16.0f, 2e-5);
  EXPECT_NEAR(smoothingScales(maxX, maxW, 4, 0.0)[0], 4.0f, 4e-6);
}

TEST(Smooth, ExactGridsHaveNoError) {
  // Rows whose values are integers with max 127 per row and weights whose
  // columns are integers with max 127: both int8 grids (dynamic rows,
  // per-column weights) hold them exactly, so the error is 0 (exactly:
  // every product is an integer below 2^24).
  const int64_t k = 3;
  std::vector<float> rows = {127, -5, 3, 1, 127, -127, -127, 0, 64};
  std::vector<float> w = {127, 1, -2, -127, 5, 3};
  const float maxX[] = {127, 127, 127};
  SmoothSettings dynamic;
  dynamic.dynamicActivations = true;
  EXPECT_EQ(smoothedOutputError({{w.data(), 2}}, k, rows.data(), 3, maxX, {},
                                dynamic),
            0.0);
}

TEST(Smooth, SearchTamesAnOutlierChannel) {
  // 64 rows of 8 channels; channel 0 carries outliers 50x the others. With
  // one static int8 scale per tensor the small channels round to a few
  // levels; smoothing moves channel 0's range into the weights. Checked
  // against the brute-force error of every grid alpha: the search returns
  // the minimum, beats s = 1 by more than 10x, and alpha is interior.
  const int64_t k = 8, n = 4, rowsCount = 64;
  std::mt19937 gen(5);
  std::normal_distribution<float> normal;
  std::vector<float> rows(rowsCount * k), w(k * n);
  for (int64_t r = 0; r < rowsCount; ++r)
    for (int64_t i = 0; i < k; ++i)
      rows[r * k + i] = normal(gen) * (i == 0 ? 50.0f : 1.0f);
  for (float &v : w)
    v = normal(gen) * 0.1f;
  std::vector<float> maxX(k, 0.0f);
  for (int64_t r = 0; r < rowsCount; ++r)
    for (int64_t i = 0; i < k; ++i)
      maxX[i] = std::max(maxX[i], std::fabs(rows[r * k + i]));
  std::vector<SmoothLayer> layers = {{w.data(), n}};
  SmoothSettings settings; // static, 8/8 bits, grid 20
  SmoothChoice c =
      searchSmoothing(layers, k, maxX.data(), rows.data(), rowsCount, settings);
  EXPECT_TRUE(c.kept);
  EXPECT_LT(c.error, c.unsmoothedError / 10);
  EXPECT_GT(c.alpha, 0.0);
  EXPECT_LT(c.alpha, 1.0);
  std::vector<float> maxW(k, 0.0f);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < n; ++j)
      maxW[i] = std::max(maxW[i], std::fabs(w[i * n + j]));
  for (int a = 0; a <= 20; ++a) {
    std::vector<float> s =
        smoothingScales(maxX.data(), maxW.data(), k, a / 20.0);
    EXPECT_GE(smoothedOutputError(layers, k, rows.data(), rowsCount,
                                  maxX.data(), s, settings),
              c.error)
        << a;
  }
  // A fixed alpha is taken as given.
  settings.alpha = 0.5;
  EXPECT_EQ(
      searchSmoothing(layers, k, maxX.data(), rows.data(), rowsCount, settings)
          .alpha,
      0.5);
}

TEST(BitAllocation, ExactMatchesBruteForce) {
  // Random instances of 5 layers x 4 options (cost = bits x params, loss
  // decreasing with bits), every budget from the cheapest to the dearest
  // mix: the DP's loss equals brute force over all 4^5 mixes within the
  // budget, and its cost fits the budget. Costs are whole multiples of the
  // unit (budget / steps), so the discretisation loses nothing; tolerance
  // 1e-12 (summation order).
  std::mt19937 gen(11);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const int bits[] = {2, 3, 4, 8};
  for (int instance = 0; instance < 20; ++instance) {
    std::vector<std::vector<AllocationOption>> layers(5);
    for (auto &options : layers) {
      int params = 16 * (1 + int(u(gen) * 4));
      double scale = u(gen);
      for (int b : bits)
        options.push_back({double(b * params), scale * std::pow(0.25, b)});
    }
    double lo = 0, hi = 0;
    for (const auto &options : layers) {
      lo += options.front().cost;
      hi += options.back().cost;
    }
    for (double budget = lo; budget <= hi; budget += 16) {
      double brute = INFINITY;
      for (int mix = 0; mix < 1024; ++mix) {
        double cost = 0, loss = 0;
        for (int l = 0, m = mix; l < 5; ++l, m /= 4) {
          cost += layers[l][m % 4].cost;
          loss += layers[l][m % 4].loss;
        }
        if (cost <= budget)
          brute = std::min(brute, loss);
      }
      Allocation a = allocateExact(layers, budget, int64_t(budget / 16));
      ASSERT_TRUE(a.feasible) << instance << " " << budget;
      EXPECT_NEAR(a.loss, brute, 1e-12) << instance << " " << budget;
      EXPECT_LE(a.cost, budget);
    }
  }
  // Below the cheapest mix nothing fits.
  std::vector<std::vector<AllocationOption>> one = {{{10, 1}, {20, 0.5}}};
  EXPECT_FALSE(allocateExact(one, 9).feasible);
}

TEST(BitAllocation, LagrangianPointsAreOptimalForTheirCost) {
  // Every point of the sweep is an exact optimum at its own cost (checked
  // with the DP at that budget), the points get cheaper, and the first is
  // the least-loss mix, the last the cheapest.
  std::vector<std::vector<AllocationOption>> layers = {
      {{2, 9}, {3, 4}, {4, 1}, {8, 0}},
      {{4, 5}, {6, 2}, {8, 1.5}, {16, 0}},
      {{2, 1}, {3, 0.9}, {4, 0.85}, {8, 0.8}}};
  std::vector<Allocation> curve = lagrangianSweep(layers);
  ASSERT_GE(curve.size(), 3u);
  EXPECT_EQ(curve.front().loss, 0.8);
  EXPECT_EQ(curve.back().cost, 8.0);
  for (size_t i = 0; i < curve.size(); ++i) {
    if (i)
      EXPECT_LT(curve[i].cost, curve[i - 1].cost);
    Allocation exact =
        allocateExact(layers, curve[i].cost, int64_t(curve[i].cost));
    EXPECT_NEAR(exact.loss, curve[i].loss, 1e-12) << i;
  }
}
