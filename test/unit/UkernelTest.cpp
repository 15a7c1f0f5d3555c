//===- UkernelTest.cpp - the GEMM microkernels against a reference -------===//
//
// Every variant this machine can run (each Isa up to detectIsa()) is run on
// ragged shapes, sub-tiles, padded rows and extreme codes, and compared with
// a straightforward reference that packs the weights itself from the layout
// documented in QGemm.h (int8) or SGemm.h (f32). Also checks that nothing
// outside the tile is written, and the QUANTC_ISA capping.
//
//===----------------------------------------------------------------------===//

#include "runtime/ukernels/QGemm.h"
#include "runtime/ukernels/QGemmGrouped.h"
#include "runtime/ukernels/SGemm.h"
#include "runtime/ukernels/W4Gemm.h"
#include "runtime/ukernels/WqGemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace quantc::ukernels;

namespace {

// Outputs outside the tile keep this NaN pattern (no kernel can produce it:
// it is a NaN with a payload, the products are finite).
constexpr uint32_t kSentinel = 0x7fc0dead;

uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

struct Problem {
  int64_t m, n, k, lda;
  std::vector<int8_t> a; // [m][lda], no padding after the last row's K
  std::vector<int8_t> w; // [k][n], unpacked
  std::vector<int8_t> packed;
  std::vector<int32_t> colSums;
  std::vector<float> colScales, rowScales;
};

// Packs w as QGemm.h documents it; written independently of the compiler.
void pack(Problem &p) {
  const int64_t kp = roundUp(p.k, kKBlock), np = roundUp(p.n, kPanel);
  p.packed.assign(np * kp, 0);
  p.colSums.assign(np, 0);
  for (int64_t k = 0; k < p.k; ++k)
    for (int64_t n = 0; n < p.n; ++n) {
      const int64_t panel = n / kPanel, c = n % kPanel;
      p.packed[panel * kp * kPanel + ((k / 4) * 16 + c) * 4 + k % 4] =
          p.w[k * p.n + n];
      p.colSums[n] += p.w[k * p.n + n];
    }
}

enum class Codes { Random, AllMin, AllMax, MinMax };

Problem makeProblem(int64_t m, int64_t n, int64_t k, int64_t ldaExtra,
                    Codes codes, std::mt19937 &rng) {
  Problem p{m, n, k, k + ldaExtra, {}, {}, {}, {}, {}, {}};
  std::uniform_int_distribution<int> code(-128, 127);
  auto pick = [&](bool isA) -> int8_t {
    switch (codes) {
    case Codes::AllMin:
      return -128;
    case Codes::AllMax:
      return 127;
    case Codes::MinMax:
      return isA ? -128 : 127;
    default:
      return int8_t(code(rng));
    }
  };
  // A is exactly m rows: the last row ends the buffer, so ASan catches
  // reads past K.
  p.a.assign((m - 1) * p.lda + k, 0);
  for (int64_t r = 0; r < m; ++r)
    for (int64_t c = 0; c < p.lda && r * p.lda + c < int64_t(p.a.size()); ++c)
      p.a[r * p.lda + c] = c < k ? pick(true) : int8_t(code(rng));
  p.w.resize(k * n);
  for (auto &v : p.w)
    v = pick(false);
  pack(p);
  std::uniform_real_distribution<float> scale(1e-4f, 1e-1f);
  const int64_t np = roundUp(n, kPanel);
  p.colScales.assign(np, 0.0f);
  for (int64_t c = 0; c < n; ++c)
    p.colScales[c] = scale(rng);
  p.rowScales.resize(m);
  for (auto &v : p.rowScales)
    v = scale(rng);
  return p;
}

// The contract of QGemm.h, in its float operation order.
float reference(const Problem &p, int64_t m, int64_t n, int32_t aZero,
                int64_t rowScaleStride) {
  int64_t acc = 0;
  for (int64_t k = 0; k < p.k; ++k)
    acc += int32_t(p.a[m * p.lda + k]) * int32_t(p.w[k * p.n + n]);
  const int32_t v = int32_t(acc - int64_t(aZero) * p.colSums[n]);
  const float scale = p.colScales[n] * p.rowScales[m * rowScaleStride];
  return float(v) * scale;
}

struct Case {
  int64_t m, n, k;
  int64_t m0, m1, n0, n1;
  int64_t ldaExtra;
  int32_t aZero;
  int64_t rowScaleStride;
  Codes codes;
};

void runCase(Isa isa, const Case &cs, std::mt19937 &rng) {
  SCOPED_TRACE(std::string(isaName(isa)) + " M=" + std::to_string(cs.m) +
               " N=" + std::to_string(cs.n) + " K=" + std::to_string(cs.k) +
               " rows [" + std::to_string(cs.m0) + "," + std::to_string(cs.m1) +
               ") cols [" + std::to_string(cs.n0) + "," +
               std::to_string(cs.n1) + ") lda+" + std::to_string(cs.ldaExtra) +
               " aZero=" + std::to_string(cs.aZero) +
               " rowScaleStride=" + std::to_string(cs.rowScaleStride) +
               " codes=" + std::to_string(int(cs.codes)));
  Problem p = makeProblem(cs.m, cs.n, cs.k, cs.ldaExtra, cs.codes, rng);
  const int64_t ldc = cs.n + 3;
  std::vector<float> out(cs.m * ldc);
  for (auto &v : out)
    std::memcpy(&v, &kSentinel, sizeof v);

  QGemmTile t;
  t.a = p.a.data();
  t.lda = p.lda;
  t.w = p.packed.data();
  t.colSums = p.colSums.data();
  t.colScales = p.colScales.data();
  t.rowScales = p.rowScales.data();
  t.rowScaleStride = cs.rowScaleStride;
  t.aZero = cs.aZero;
  t.out = out.data();
  t.ldc = ldc;
  t.k = cs.k;
  t.m0 = cs.m0;
  t.m1 = cs.m1;
  t.n0 = cs.n0;
  t.n1 = cs.n1;
  qgemmFor(isa)(t);

  int failures = 0;
  for (int64_t m = 0; m < cs.m && failures < 5; ++m)
    for (int64_t n = 0; n < ldc && failures < 5; ++n) {
      const uint32_t got = bitsOf(out[m * ldc + n]);
      const bool inside = m >= cs.m0 && m < cs.m1 && n >= cs.n0 && n < cs.n1;
      // Bit-exact: QGemm.h fixes the integer arithmetic and the order of
      // the float operations, so every variant must equal the reference
      // exactly (no tolerance would catch an FMA or a reassociation).
      const uint32_t want =
          inside ? bitsOf(reference(p, m, n, cs.aZero, cs.rowScaleStride))
                 : kSentinel;
      if (got != want)
        ++failures;
      EXPECT_EQ(got, want) << "at m=" << m << " n=" << n
                           << (inside ? " (inside)" : " (outside the tile)");
    }
}

/// The ISAs whose variant (`variantFor`: qgemmFor or sgemmFor) this machine
/// can run.
template <typename VariantFor>
std::vector<Isa> runnableIsas(VariantFor variantFor) {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512Vnni, Isa::Amx})
    if (isa <= detectIsa() && variantFor(isa))
      isas.push_back(isa);
  return isas;
}

TEST(UkernelTest, ScalarAlwaysAvailable) {
  EXPECT_NE(qgemmFor(Isa::Scalar), nullptr);
}

// Whole tiles over ragged shapes; the aZero, stride and lda vary with the
// shape so that every value is seen without the full product.
TEST(UkernelTest, Shapes) {
  const int64_t ms[] = {1, 3, 17, 33, 70};
  const int64_t ns[] = {1, 15, 16, 17, 100, 172};
  const int64_t ks[] = {1, 3, 63, 64, 65, 172, 300};
  const int32_t zeros[] = {0, -3, 127};
  for (Isa isa : runnableIsas(qgemmFor)) {
    std::mt19937 rng(42);
    int i = 0;
    for (int64_t m : ms)
      for (int64_t n : ns)
        for (int64_t k : ks) {
          ++i;
          Case cs{m,
                  n,
                  k,
                  0,
                  m,
                  0,
                  n,
                  i % 3 == 0 ? 5 : 0,
                  zeros[i % 3],
                  (i / 3) % 2,
                  Codes::Random};
          runCase(isa, cs, rng);
          if (HasFailure())
            return;
        }
  }
}

// Sub-tiles: first row > 0, first column a later panel, last column inside
// a panel; lda > K.
TEST(UkernelTest, SubTiles) {
  const Case cases[] = {
      {70, 172, 300, 5, 69, 16, 150, 7, -3, 1, Codes::Random},
      {70, 172, 65, 33, 70, 32, 170, 0, 127, 0, Codes::Random},
      {33, 100, 172, 1, 2, 32, 33, 64, 0, 1, Codes::Random},
      {17, 100, 64, 16, 17, 16, 31, 1, -3, 1, Codes::Random},
      {40, 48, 3, 3, 38, 16, 48, 13, 127, 1, Codes::Random},
      {70, 172, 1, 2, 70, 0, 160, 0, 0, 0, Codes::Random},
  };
  for (Isa isa : runnableIsas(qgemmFor)) {
    std::mt19937 rng(7);
    for (const Case &cs : cases)
      runCase(isa, cs, rng);
  }
}

// -128 / 127 everywhere: the largest products and sums (vpmaddubsw would
// saturate here, the u8 + 128 form of VNNI reaches 255 * 127). K = 4100
// also crosses the VNNI variant's K blocking.
TEST(UkernelTest, ExtremeCodes) {
  for (Isa isa : runnableIsas(qgemmFor)) {
    std::mt19937 rng(3);
    for (Codes codes : {Codes::AllMin, Codes::AllMax, Codes::MinMax})
      for (int32_t aZero : {0, -3, 127})
        for (int64_t k : {64, 300, 1031, 4100}) {
          Case cs{35, 40, k, 1, 35, 0, 37, 3, aZero, 1, codes};
          runCase(isa, cs, rng);
        }
  }
}

TEST(UkernelTest, Selection) {
  EXPECT_LE(selectedIsa(), detectIsa());
  if (!std::getenv("QUANTC_ISA"))
    EXPECT_EQ(selectedIsa(), detectIsa());
  EXPECT_NE(qgemmFor(selectedIsa()), nullptr);
}

TEST(UkernelTest, CapIsa) {
  EXPECT_EQ(capIsa(Isa::Amx, nullptr), Isa::Amx);
  EXPECT_EQ(capIsa(Isa::Amx, "avx2"), Isa::Avx2);
  EXPECT_EQ(capIsa(Isa::Amx, "scalar"), Isa::Scalar);
  EXPECT_EQ(capIsa(Isa::Amx, "avx512-vnni"), Isa::Avx512Vnni);
  EXPECT_EQ(capIsa(Isa::Avx512Vnni, "amx"), Isa::Avx512Vnni);
  EXPECT_EQ(capIsa(Isa::Avx2, "bogus"), Isa::Avx2);
  EXPECT_EQ(capIsa(Isa::Scalar, "amx"), Isa::Scalar);
  for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512Vnni, Isa::Amx})
    EXPECT_EQ(capIsa(Isa::Amx, isaName(isa)), isa);
}

//===----------------------------------------------------------------------===//
// f32 (SGemm.h)
//===----------------------------------------------------------------------===//

struct SProblem {
  int64_t m, n, k, lda;
  std::vector<float> a;      // [m][lda], no padding after the last row's K
  std::vector<float> w;      // [k][n], unpacked
  std::vector<float> packed; // exactly Np * K floats
};

// Packs w as SGemm.h documents it; written independently of the compiler.
void packF32(SProblem &p) {
  const int64_t np = roundUp(p.n, kSPanel);
  p.packed.assign(np * p.k, 0.0f);
  for (int64_t k = 0; k < p.k; ++k)
    for (int64_t n = 0; n < p.n; ++n)
      p.packed[(n / kSPanel) * p.k * kSPanel + k * kSPanel + n % kSPanel] =
          p.w[k * p.n + n];
}

SProblem makeSProblem(int64_t m, int64_t n, int64_t k, int64_t ldaExtra,
                      std::mt19937 &rng) {
  SProblem p{m, n, k, k + ldaExtra, {}, {}, {}};
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  // A is exactly m rows: the last row ends the buffer, so ASan catches
  // reads past K. The padding between rows holds NaNs, which would show in
  // any output that read them.
  p.a.assign((m - 1) * p.lda + k, std::nanf(""));
  for (int64_t r = 0; r < m; ++r)
    for (int64_t c = 0; c < k; ++c)
      p.a[r * p.lda + c] = value(rng);
  p.w.resize(k * n);
  for (auto &v : p.w)
    v = value(rng);
  packF32(p);
  return p;
}

struct SCase {
  int64_t m, n, k;
  int64_t m0, m1, n0, n1;
  int64_t ldaExtra;
  bool accumulate;
  float fill;
};

void runSCase(Isa isa, const SCase &cs, std::mt19937 &rng) {
  SCOPED_TRACE(
      std::string("f32 ") + isaName(isa) + " M=" + std::to_string(cs.m) +
      " N=" + std::to_string(cs.n) + " K=" + std::to_string(cs.k) + " rows [" +
      std::to_string(cs.m0) + "," + std::to_string(cs.m1) + ") cols [" +
      std::to_string(cs.n0) + "," + std::to_string(cs.n1) + ") lda+" +
      std::to_string(cs.ldaExtra) + (cs.accumulate ? " accumulate" : " fill=") +
      (cs.accumulate ? std::string() : std::to_string(cs.fill)));
  SProblem p = makeSProblem(cs.m, cs.n, cs.k, cs.ldaExtra, rng);
  const int64_t ldc = cs.n + 3;
  std::vector<float> out(cs.m * ldc), before;
  std::uniform_real_distribution<float> value(-4.0f, 4.0f);
  for (int64_t m = 0; m < cs.m; ++m)
    for (int64_t n = 0; n < ldc; ++n) {
      const bool inside = m >= cs.m0 && m < cs.m1 && n >= cs.n0 && n < cs.n1;
      if (inside)
        out[m * ldc + n] = value(rng);
      else
        std::memcpy(&out[m * ldc + n], &kSentinel, sizeof(float));
    }
  before = out;

  SGemmTile t;
  t.a = p.a.data();
  t.lda = p.lda;
  t.w = p.packed.data();
  t.out = out.data();
  t.ldc = ldc;
  t.k = cs.k;
  t.m0 = cs.m0;
  t.m1 = cs.m1;
  t.n0 = cs.n0;
  t.n1 = cs.n1;
  t.accumulate = cs.accumulate;
  t.fill = cs.fill;
  sgemmFor(isa)(t);

  int failures = 0;
  for (int64_t m = 0; m < cs.m && failures < 5; ++m)
    for (int64_t n = 0; n < ldc && failures < 5; ++n) {
      const bool inside = m >= cs.m0 && m < cs.m1 && n >= cs.n0 && n < cs.n1;
      uint32_t want = kSentinel;
      if (inside) {
        // SGemm.h's contract: one fma per k, in increasing k, from the base.
        float acc = cs.accumulate ? before[m * ldc + n] : cs.fill;
        for (int64_t k = 0; k < cs.k; ++k)
          acc = std::fma(p.a[m * p.lda + k], p.w[k * p.n + n], acc);
        want = bitsOf(acc);
      }
      // Bit-exact: SGemm.h fixes the operations (a single rounding per k,
      // k in order, partial sums carried exactly), so every variant must
      // equal the reference exactly; a tolerance would let a separate
      // multiply and add, or a reordered K, pass.
      const uint32_t got = bitsOf(out[m * ldc + n]);
      if (got != want)
        ++failures;
      EXPECT_EQ(got, want) << "at m=" << m << " n=" << n
                           << (inside ? " (inside)" : " (outside the tile)");
    }
}

TEST(UkernelTest, F32ScalarAlwaysAvailable) {
  EXPECT_NE(sgemmFor(Isa::Scalar), nullptr);
  EXPECT_NE(sgemmFor(selectedIsa()), nullptr);
}

// Whole tiles over ragged shapes (K = 1100 spans several K blocks of the
// SIMD variants); lda, accumulate and fill vary with the shape.
TEST(UkernelTest, F32Shapes) {
  const int64_t ms[] = {1, 3, 13, 70};
  const int64_t ns[] = {1, 17, 32, 33, 100};
  const int64_t ks[] = {1, 7, 172, 300, 1100};
  for (Isa isa : runnableIsas(sgemmFor)) {
    std::mt19937 rng(11);
    int i = 0;
    for (int64_t m : ms)
      for (int64_t n : ns)
        for (int64_t k : ks) {
          ++i;
          SCase cs{m,          n,
                   k,          0,
                   m,          0,
                   n,          i % 3 == 0 ? 5 : 0,
                   i % 2 == 0, i % 4 == 1 ? 0.0f : 0.375f};
          runSCase(isa, cs, rng);
          if (HasFailure())
            return;
        }
  }
}

// Sub-tiles: first row > 0, first column a later panel, last column inside
// a panel, lda > K; a K of 0 (the base values alone); row strides that
// alias in L1.
TEST(UkernelTest, F32SubTiles) {
  const SCase cases[] = {
      {70, 100, 300, 5, 69, 32, 90, 7, false, -1.5f},
      {70, 100, 1100, 13, 70, 32, 65, 0, true, 0.0f},
      {13, 100, 172, 1, 2, 32, 33, 64, true, 0.0f},
      {13, 100, 7, 3, 13, 64, 100, 1, false, 2.0f},
      {70, 33, 1, 2, 70, 32, 33, 3, true, 0.0f},
      {3, 300, 1100, 0, 3, 32, 290, 9, false, 0.25f},
      {40, 512, 300, 1, 38, 32, 480, 2, true, 0.0f},
      {20, 40, 0, 2, 19, 0, 37, 3, false, 1.0f},
      {20, 40, 0, 2, 19, 32, 37, 3, true, 0.0f},
      // lda a multiple of 1 KiB: the AVX-512 variant copies A's blocks.
      {70, 100, 1024, 5, 69, 32, 90, 0, true, 0.0f},
      {40, 70, 2000, 1, 40, 0, 70, 48, false, 0.5f},
  };
  for (Isa isa : runnableIsas(sgemmFor)) {
    std::mt19937 rng(5);
    for (const SCase &cs : cases)
      runSCase(isa, cs, rng);
  }
}

//===----------------------------------------------------------------------===//
// 4-bit weights (W4Gemm.h)
//===----------------------------------------------------------------------===//

/// An f16's value from its fields, independently of halfToFloat (normal
/// numbers only, which is what the cases draw).
float halfValue(uint16_t h) {
  const int exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  const double v = std::ldexp(1.0 + mantissa / 1024.0, exponent - 15);
  return static_cast<float>(h & 0x8000 ? -v : v);
}

/// kSentinel as a float: what a tile must leave outside itself.
float sentinelFloat() {
  float v;
  std::memcpy(&v, &kSentinel, sizeof v);
  return v;
}

struct W4Case {
  int64_t m, n, k, groupRows;
  bool zeros;
  int64_t m0, m1, n0, n1;
};

void runW4Case(Isa isa, const W4Case &cs, std::mt19937 &rng) {
  SCOPED_TRACE(std::string(isaName(isa)) + " m=" + std::to_string(cs.m) +
               " n=" + std::to_string(cs.n) + " k=" + std::to_string(cs.k) +
               " g=" + std::to_string(cs.groupRows) +
               (cs.zeros ? " with zero points" : ""));
  const int64_t np = roundUp(cs.n, kSPanel), kp = roundUp(cs.k, cs.groupRows);
  const int64_t groups = kp / cs.groupRows;
  std::uniform_int_distribution<int> code(-8, 7), exponent(10, 17),
      mantissa(0, 1023), sign(0, 1);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::vector<int> q(cs.k * cs.n), z(groups * cs.n, 0);
  std::vector<uint16_t> h(groups * cs.n);
  for (int &v : q)
    v = code(rng);
  for (int64_t i = 0; i < groups * cs.n; ++i) {
    h[i] = uint16_t(sign(rng) << 15 | exponent(rng) << 10 | mantissa(rng));
    if (cs.zeros)
      z[i] = code(rng);
  }
  // The layout W4Gemm.h documents, written independently of the compiler.
  std::vector<uint8_t> codes(np * kp / 2, 0);
  std::vector<uint16_t> scales(np * groups, 0);
  std::vector<int8_t> zeros(cs.zeros ? np * groups : 0, 0);
  for (int64_t k = 0; k < cs.k; ++k)
    for (int64_t c = 0; c < cs.n; ++c) {
      const int64_t j = c % kSPanel;
      const uint8_t u = uint8_t(q[k * cs.n + c] + 8);
      codes[(c / kSPanel) * kp * 16 + k * 16 + j % 16] |= j < 16 ? u : u << 4;
    }
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t c = 0; c < cs.n; ++c) {
      const int64_t at =
          (c / kSPanel) * groups * kSPanel + g * kSPanel + c % kSPanel;
      scales[at] = h[g * cs.n + c];
      if (cs.zeros)
        zeros[at] = int8_t(z[g * cs.n + c] + 8);
    }
  std::vector<float> a(cs.m * cs.k);
  for (float &v : a)
    v = value(rng);
  std::vector<float> out(cs.m * cs.n, sentinelFloat());
  W4GemmTile t;
  t.a = a.data();
  t.lda = cs.k;
  t.codes = codes.data();
  t.scales = scales.data();
  t.zeros = cs.zeros ? zeros.data() : nullptr;
  t.groupRows = cs.groupRows;
  t.out = out.data();
  t.ldc = cs.n;
  t.k = cs.k;
  t.m0 = cs.m0;
  t.m1 = cs.m1;
  t.n0 = cs.n0;
  t.n1 = cs.n1;
  w4Gemm(t, w4DecodeFor(isa), sgemmFor(isa), w4GemvFor(isa));
  // Bit-exact: the f32 kernels' fma chain over the dequantized weight,
  // (q - z) * scale in f32.
  for (int64_t m = 0; m < cs.m; ++m)
    for (int64_t n = 0; n < cs.n; ++n) {
      const bool inside = m >= cs.m0 && m < cs.m1 && n >= cs.n0 && n < cs.n1;
      float want = sentinelFloat();
      if (inside) {
        want = 0.0f;
        for (int64_t k = 0; k < cs.k; ++k) {
          const int64_t g = k / cs.groupRows;
          const float w = float(q[k * cs.n + n] - z[g * cs.n + n]) *
                          halfValue(h[g * cs.n + n]);
          want = std::fma(a[m * cs.k + k], w, want);
        }
      }
      ASSERT_EQ(bitsOf(out[m * cs.n + n]), bitsOf(want))
          << "at m=" << m << " n=" << n;
    }
}

TEST(UkernelTest, HalfToFloat) {
  EXPECT_EQ(halfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(halfToFloat(0xb800), -0.5f);
  EXPECT_EQ(halfToFloat(0x7bff), 65504.0f);
  EXPECT_EQ(halfToFloat(0x0001), std::ldexp(1.0f, -24)); // smallest subnormal
  EXPECT_EQ(halfToFloat(0x03ff), std::ldexp(1023.0f, -24));
  EXPECT_EQ(bitsOf(halfToFloat(0x8000)), 0x80000000u);
  EXPECT_TRUE(std::isinf(halfToFloat(0x7c00)));
  EXPECT_TRUE(std::isnan(halfToFloat(0x7e00)));
}

struct WqCase {
  int64_t m, n, k, bits, groupRows; // groupRows = k: one scale per column
  bool zeros, codebook;
  int64_t m0, m1, n0, n1;
};

void runWqCase(Isa isa, const WqCase &cs, std::mt19937 &rng) {
  SCOPED_TRACE(std::string(isaName(isa)) + " m=" + std::to_string(cs.m) +
               " n=" + std::to_string(cs.n) + " k=" + std::to_string(cs.k) +
               " bits=" + std::to_string(cs.bits) +
               " g=" + std::to_string(cs.groupRows) +
               (cs.zeros ? " with zero points" : "") +
               (cs.codebook ? " with a codebook" : ""));
  const WqLayout l = WqLayout::of(cs.bits, cs.groupRows, cs.k, cs.n);
  ASSERT_GT(l.bytes, 0);
  const int qmin = -(1 << (cs.bits - 1)), qmax = (1 << (cs.bits - 1)) - 1;
  const bool half = cs.groupRows < cs.k;
  std::uniform_int_distribution<int> code(qmin, qmax), exponent(10, 17),
      mantissa(0, 1023), sign(0, 1);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::vector<int> q(cs.k * cs.n), z(l.groups * cs.n, 0);
  for (int &v : q)
    v = code(rng);
  std::vector<uint16_t> h(l.groups * cs.n);
  std::vector<float> f(l.groups * cs.n);
  for (int64_t i = 0; i < l.groups * cs.n; ++i) {
    h[i] = uint16_t(sign(rng) << 15 | exponent(rng) << 10 | mantissa(rng));
    f[i] = value(rng);
    if (cs.zeros)
      z[i] = code(rng);
  }
  std::vector<float> levels(cs.codebook ? size_t(1) << cs.bits : 0);
  for (float &v : levels)
    v = value(rng);
  // The layout WqGemm.h documents, written independently of the compiler:
  // code j of a word at bits [j*b, (j+1)*b), byte p of the word in plane p.
  std::vector<std::vector<uint8_t>> planes(
      3, std::vector<uint8_t>(l.planeBytes(), 0));
  for (int64_t g = 0; g < l.groups; ++g)
    for (int64_t w = 0; w < l.words; ++w)
      for (int64_t c = 0; c < cs.n; ++c) {
        uint32_t word = 0;
        for (int64_t j = 0; j < l.perWord; ++j) {
          const int64_t r = w * l.perWord + j, k = g * cs.groupRows + r;
          // Padding rows hold the zero point (they are never read).
          const int v =
              r < cs.groupRows && k < cs.k ? q[k * cs.n + c] : z[g * cs.n + c];
          word |= (uint32_t(v) & ((1u << cs.bits) - 1)) << (j * cs.bits);
        }
        for (int64_t p = 0; p < l.bytes; ++p)
          planes[p][(g * l.words + w) * cs.n + c] = uint8_t(word >> (8 * p));
      }
  std::vector<int8_t> zeros(z.begin(), z.end());
  std::vector<float> a(cs.m * cs.k);
  for (float &v : a)
    v = value(rng);
  std::vector<float> out(cs.m * cs.n, sentinelFloat());
  WqGemmTile t;
  t.a = a.data();
  t.lda = cs.k;
  t.layout = l;
  for (int64_t p = 0; p < l.bytes; ++p)
    t.planes[p] = planes[p].data();
  t.halfScales = half ? h.data() : nullptr;
  t.floatScales = half ? nullptr : f.data();
  t.zeros = cs.zeros ? zeros.data() : nullptr;
  t.codebook = cs.codebook ? levels.data() : nullptr;
  t.out = out.data();
  t.ldc = cs.n;
  t.k = cs.k;
  t.m0 = cs.m0;
  t.m1 = cs.m1;
  t.n0 = cs.n0;
  t.n1 = cs.n1;
  wqGemm(t, wqDecodeFor(isa, l.bytes, cs.codebook), sgemmFor(isa));
  // Bit-exact: the f32 kernels' fma chain over the dequantized weight.
  for (int64_t m = 0; m < cs.m; ++m)
    for (int64_t n = 0; n < cs.n; ++n) {
      const bool inside = m >= cs.m0 && m < cs.m1 && n >= cs.n0 && n < cs.n1;
      float want = sentinelFloat();
      if (inside) {
        want = 0.0f;
        for (int64_t k = 0; k < cs.k; ++k) {
          const int64_t at = (k / cs.groupRows) * cs.n + n;
          const int v = q[k * cs.n + n] - z[at];
          const float level = cs.codebook ? levels[size_t(v - qmin)] : float(v);
          want = std::fma(a[m * cs.k + k],
                          level * (half ? halfValue(h[at]) : f[at]), want);
        }
      }
      ASSERT_EQ(bitsOf(out[m * cs.n + n]), bitsOf(want))
          << "at m=" << m << " n=" << n;
    }
}

TEST(UkernelTest, WqShapes) {
  const WqCase cases[] = {
      // stories260k's w1: 4 bits per column, N = 172 (a narrow last panel).
      {9, 172, 64, 4, 64, false, false, 0, 9, 0, 172},
      // 3 bits (3 planes, 8 codes a word), groups of 32, K past one
      // decode block and ragged, zero points.
      {5, 40, 300, 3, 32, true, false, 1, 5, 32, 40},
      // 2 bits, odd groups (words straddle none: 4 codes a byte, 5 rows).
      {4, 64, 23, 2, 5, true, false, 0, 4, 0, 64},
      // 6 bits (3 bytes, 4 codes a word), lda and ldc as in the tile.
      {4, 48, 50, 6, 16, true, false, 0, 4, 0, 48},
      // 8 bits per column and 1 bit.
      {3, 33, 17, 8, 17, true, false, 0, 3, 0, 33},
      {3, 32, 40, 1, 8, false, false, 0, 3, 0, 32},
      // A 4-bit codebook (NF4-like), group-wise.
      {6, 96, 64, 4, 32, false, true, 2, 6, 64, 96},
      // Decode blocks that start inside a group and inside a word: at most
      // 4 rows take 32-row blocks (row 32: group 1, row 12 of it, word 1,
      // position 4 at 3 bits), more rows 256-row ones (row 256: group 2,
      // row 56).
      {4, 40, 100, 3, 20, true, false, 0, 4, 0, 40},
      {6, 40, 300, 3, 100, false, false, 0, 6, 0, 40},
  };
  for (Isa isa : runnableIsas(sgemmFor)) {
    std::mt19937 rng(11);
    for (const WqCase &cs : cases)
      runWqCase(isa, cs, rng);
  }
}

struct GroupedCase {
  int64_t m, n, k, bits, groupRows;
  int32_t aZero;
  bool perRowScales, extreme;
  int64_t m0, m1, n0, n1;
};

void runGroupedCase(Isa isa, const GroupedCase &cs, std::mt19937 &rng) {
  SCOPED_TRACE(std::string(isaName(isa)) + " m=" + std::to_string(cs.m) +
               " n=" + std::to_string(cs.n) + " k=" + std::to_string(cs.k) +
               " bits=" + std::to_string(cs.bits) +
               " G=" + std::to_string(cs.groupRows));
  const GroupedLayout l = GroupedLayout::of(cs.bits, cs.groupRows, cs.k, cs.n);
  ASSERT_GT(l.bits, 0);
  const int qmin = -(1 << (cs.bits - 1)), qmax = (1 << (cs.bits - 1)) - 1;
  std::uniform_int_distribution<int> code(qmin, qmax), act(-128, 127);
  std::uniform_real_distribution<float> scale(1e-3f, 1e-1f);
  std::vector<int> q(cs.k * cs.n);
  for (int &v : q)
    v = cs.extreme ? qmax : code(rng);
  // A is exactly m rows of K: ASan catches a read past the last one.
  std::vector<int8_t> a(cs.m * cs.k);
  for (int8_t &v : a)
    v = int8_t(cs.extreme ? -128 : act(rng));
  std::vector<float> scales(l.groups * l.paddedN, 0.0f), rowScales(cs.m);
  std::vector<int32_t> colSums(l.groups * l.paddedN, 0);
  // Panel-major: (g, n) at ((n / 16) * groups + g) * 16 + n % 16.
  auto param = [&](int64_t g, int64_t n) {
    return ((n / 16) * l.groups + g) * 16 + n % 16;
  };
  // Group-wise weights carry f16 scales (random positive normal halves),
  // one group per column f32 ones.
  const bool half = cs.groupRows < cs.k;
  std::vector<uint16_t> halfScales(half ? l.groups * l.paddedN : 0, 0);
  std::uniform_int_distribution<int> exponent(8, 13), mantissa(0, 1023);
  for (int64_t g = 0; g < l.groups; ++g)
    for (int64_t n = 0; n < cs.n; ++n) {
      if (half) {
        halfScales[param(g, n)] = uint16_t(exponent(rng) << 10 | mantissa(rng));
        scales[param(g, n)] = halfValue(halfScales[param(g, n)]);
      } else {
        scales[param(g, n)] = scale(rng);
      }
    }
  for (int64_t k = 0; k < cs.k; ++k)
    for (int64_t n = 0; n < cs.n; ++n)
      colSums[param(k / cs.groupRows, n)] += q[k * cs.n + n];
  for (float &v : rowScales)
    v = scale(rng);
  // The layout QGemmGrouped.h documents, written independently of the
  // compiler: per panel, group and 8 rows, 64 bytes; byte 4c + r holds rows
  // 8j + r (low nibble) and 8j + 4 + r (high) of column c, offset by 2^(b-1).
  std::vector<uint8_t> codes(l.codeBytes(), 0);
  const int64_t gs = (cs.groupRows + 7) / 8 * 8;
  for (int64_t k = 0; k < cs.k; ++k)
    for (int64_t n = 0; n < cs.n; ++n) {
      const int64_t g = k / cs.groupRows, row = k % cs.groupRows;
      const int64_t j = row / 8, r = row % 4, high = row % 8 / 4;
      const int64_t at =
          (n / 16) * l.groups * gs * 8 + g * gs * 8 + j * 64 + 4 * (n % 16) + r;
      codes[at] |= uint8_t((q[k * cs.n + n] - qmin) << (4 * high));
    }
  std::vector<float> out(cs.m * cs.n, sentinelFloat());
  QGemmGroupedTile t;
  t.a = a.data();
  t.lda = cs.k;
  t.layout = l;
  t.codes = codes.data();
  t.halfScales = half ? halfScales.data() : nullptr;
  t.floatScales = half ? nullptr : scales.data();
  // Read only with a zero point: a null table must then be fine.
  t.colSums = cs.aZero != 0 ? colSums.data() : nullptr;
  t.rowScales = rowScales.data();
  t.rowScaleStride = cs.perRowScales ? 1 : 0;
  t.aZero = cs.aZero;
  t.out = out.data();
  t.ldc = cs.n;
  t.k = cs.k;
  t.m0 = cs.m0;
  t.m1 = cs.m1;
  t.n0 = cs.n0;
  t.n1 = cs.n1;
  qgemmGroupedFor(isa)(t);
  // Bit-exact: the contract's order of float operations.
  for (int64_t m = 0; m < cs.m; ++m)
    for (int64_t n = 0; n < cs.n; ++n) {
      const bool inside = m >= cs.m0 && m < cs.m1 && n >= cs.n0 && n < cs.n1;
      float want = sentinelFloat();
      if (inside) {
        float f = 0.0f;
        for (int64_t g = 0; g < l.groups; ++g) {
          int32_t sum = 0;
          for (int64_t k = g * cs.groupRows;
               k < std::min((g + 1) * cs.groupRows, cs.k); ++k)
            sum += (int32_t(a[m * cs.k + k]) - cs.aZero) * q[k * cs.n + n];
          f = std::fma(float(sum), scales[param(g, n)], f);
        }
        want = f * rowScales[cs.perRowScales ? m : 0];
      }
      ASSERT_EQ(bitsOf(out[m * cs.n + n]), bitsOf(want))
          << "at m=" << m << " n=" << n;
    }
}

TEST(UkernelTest, GroupedShapes) {
  const GroupedCase cases[] = {
      // stories260k-like: 4 bits, groups of 32, N = 172 (a narrow panel).
      {9, 172, 64, 4, 32, 0, true, false, 0, 9, 0, 172},
      // K ragged in its last group (300 = 9 * 32 + 12), a zero point,
      // 40 rows (AMX: a 32-row block and a 16-row one), a sub-tile.
      {40, 64, 300, 4, 32, -5, true, false, 3, 38, 16, 64},
      // Groups longer than an AMX tile's 64 bytes of K (128, and a
      // per-column 172 padded to 176 stored and 192 in the tiles).
      {33, 48, 256, 3, 128, 0, false, false, 0, 33, 0, 48},
      {20, 32, 172, 4, 172, 7, true, false, 0, 20, 0, 30},
      // 2 bits, groups of 5 (each stored as 8 rows).
      {17, 40, 23, 2, 5, 0, true, false, 0, 17, 0, 40},
      // Decode: one row, K = 4096 in groups of 32.
      {1, 256, 4096, 4, 32, 0, true, false, 0, 1, 0, 256},
      // Extreme codes: every product -128 * 7 (the sums stay exact), and
      // with a zero point of 127, (-128 - 127) * 7.
      {16, 32, 1024, 4, 1024, 0, true, true, 0, 16, 0, 32},
      {3, 32, 1024, 4, 64, 127, true, true, 0, 3, 0, 32},
      {16, 32, 1024, 4, 64, 127, true, true, 0, 16, 0, 32},
      // Several groups longer than a tile's 64 bytes and not a multiple of
      // them (100 rows: 104 stored, 128 in AMX tiles), a zero point, 24
      // rows (AMX with a ragged row block).
      {24, 40, 300, 4, 100, -3, true, false, 0, 24, 0, 40},
      // GPT-like: K = 768 in 24 groups of 32 (AMX: A rows copied whole,
      // groups three ahead through the C tiles), three row blocks, a zero
      // point.
      {48, 48, 768, 4, 32, 3, true, false, 0, 48, 0, 48},
      // Rows in a 4-row block and a 2-row rest; groups of 24 (3 blocks of
      // 8 rows between widenings on AVX2).
      {6, 32, 96, 4, 24, 0, true, false, 0, 6, 0, 32},
  };
  for (Isa isa : runnableIsas(qgemmGroupedFor)) {
    std::mt19937 rng(5);
    for (const GroupedCase &cs : cases)
      runGroupedCase(isa, cs, rng);
  }
}

TEST(UkernelTest, W4Shapes) {
  const W4Case cases[] = {
      // K over two decode blocks (256) and ragged in its last group.
      {5, 64, 600, 32, false, 0, 5, 0, 64},
      {5, 64, 600, 32, true, 1, 4, 32, 64},
      {70, 96, 300, 2, true, 3, 69, 0, 70},
      {1, 256, 4096, 128, false, 0, 1, 0, 256},
      {3, 32, 7, 4, true, 0, 3, 0, 17},
      // At most 4 rows take the GEMV path where the ISA has one.
      {6, 96, 600, 32, true, 1, 5, 32, 90},
      {2, 64, 300, 2, false, 0, 2, 0, 64},
  };
  for (Isa isa : runnableIsas(sgemmFor)) {
    std::mt19937 rng(9);
    for (const W4Case &cs : cases)
      runW4Case(isa, cs, rng);
  }
}

} // namespace
