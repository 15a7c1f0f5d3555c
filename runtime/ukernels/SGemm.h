//===- SGemm.h - f32 GEMM microkernels -------------------------*- C++ -*-===//
//
// out = base + A x W for f32 activations A [M, K] and an f32 weight W [K, N]
// prepacked at compile time (backends/cpu/PackMatmuls.cpp), one output tile
// per call; the generated code's parallel loop hands each thread its tiles.
//
// Weight layout (written by the compiler):
//   Np = N rounded up to kSPanel;
//   panel p (columns [32p, 32p + 32)) is K * 32 floats at w + p * K * 32;
//   element (k, c) of panel p is w[p * K * 32 + k * 32 + c] = W[k][32p + c];
//   columns n >= N are zero.
//
// Every variant computes, for m in [m0, m1) and n in [n0, n1), with one
// fused multiply-add per k in increasing k:
//   acc = base(m, n)
//   for k in [0, K): acc = fma(A[m][k], W[k][n], acc)
//   out[m][n] = acc
// where base(m, n) is out[m][n] as it was before the call when
// `accumulate`, else `fill`. Every variant's output is therefore
// bit-identical to the scalar one (std::fma).
//
// Plain C++ with intrinsics: the generated register tiles reached ~50% of the
// FMA peak; a hand-scheduled kernel with prefetch and cache blocking along K
// is what ONNX Runtime's MLAS does to reach ~65-80%.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_RUNTIME_UKERNELS_SGEMM_H
#define QUANTC_RUNTIME_UKERNELS_SGEMM_H

#include "runtime/ukernels/QGemm.h"

#include <cstdint>

namespace quantc::ukernels {

constexpr int64_t kSPanel = 32; // columns per f32 weight panel

struct SGemmTile {
  const float *a = nullptr; // row m's K values at a + m * lda
  int64_t lda = 0;
  const float *w = nullptr; // packed weights, Np * K floats
  float *out = nullptr;     // row m at out + m * ldc
  int64_t ldc = 0;
  int64_t k = 0;
  int64_t m0 = 0, m1 = 0;  // rows [m0, m1)
  int64_t n0 = 0, n1 = 0;  // columns [n0, n1); n0 is a multiple of kSPanel
  bool accumulate = false; // start from out's values instead of `fill`
  float fill = 0.0f;
};

using SGemmFn = void (*)(const SGemmTile &);

/// The f32 variant for `isa` (Amx and Avx512Vnni use the AVX-512 one);
/// null when this build has none.
SGemmFn sgemmFor(Isa isa);

void sgemmScalar(const SGemmTile &tile);
void sgemmAvx2(const SGemmTile &tile);   // AVX2 + FMA
void sgemmAvx512(const SGemmTile &tile); // AVX-512F

} // namespace quantc::ukernels

#endif // QUANTC_RUNTIME_UKERNELS_SGEMM_H
