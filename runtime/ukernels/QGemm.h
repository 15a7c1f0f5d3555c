//===- QGemm.h - int8 GEMM microkernels ------------------------*- C++ -*-===//
//
// out = dequantize(A x W) for int8 activation codes A [M, K] and int8 weight
// codes W [K, N] prepacked at compile time (backends/cpu/Int8Matmuls.cpp),
// one output tile per call; the generated code's parallel loop hands each
// thread its tiles.
//
// Weight layout (read by every variant, written by the compiler):
//   Kp = K rounded up to kKBlock, Np = N rounded up to kPanel;
//   panel p (columns [16p, 16p + 16)) is Kp * 16 bytes at w + p * Kp * 16;
//   inside it, byte ((k / 4) * 16 + c) * 4 + k % 4 is W[k][16p + c];
//   rows k >= K and columns n >= N are zero.
// This is VNNI's operand order (4 consecutive k of one column in one dword)
// and, 16 rows of k/4 at a time, an AMX B tile (16 rows x 64 bytes).
//
// Every variant computes, for m in [m0, m1) and n in [n0, n1):
//   acc = sum_k A[m][k] * W[k][n]            (exact, int32)
//   out[m][n] = float(acc - aZero * colSums[n]) * (colScales[n] * rowScale(m))
// with rowScale(m) = rowScales[m * rowScaleStride]; the float operations are
// these, in this order, so every variant's output is bit-identical.
//
// Plain C++ with intrinsics: upstream MLIR has no op that emits vpdpbusd
// and its AMX lowering reloads C every step (../shared/PIPELINES.md).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_RUNTIME_UKERNELS_QGEMM_H
#define QUANTC_RUNTIME_UKERNELS_QGEMM_H

#include <cstdint>

namespace quantc::ukernels {

constexpr int64_t kPanel = 16;  // columns per weight panel
constexpr int64_t kKBlock = 64; // K is padded to a multiple of this

inline int64_t roundUp(int64_t v, int64_t to) { return (v + to - 1) / to * to; }

struct QGemmTile {
  const int8_t *a = nullptr; // row m's K codes at a + m * lda
  int64_t lda = 0;
  const int8_t *w = nullptr;        // packed weights, Np * Kp bytes
  const int32_t *colSums = nullptr; // [Np]: sum over k of W[k][n]
  const float *colScales = nullptr; // [Np]
  const float *rowScales = nullptr; // read at m * rowScaleStride
  int64_t rowScaleStride = 0;       // 0: one scale for every row
  int32_t aZero = 0;                // the activation's zero point
  float *out = nullptr;             // row m at out + m * ldc
  int64_t ldc = 0;
  int64_t k = 0;
  int64_t m0 = 0, m1 = 0; // rows [m0, m1)
  int64_t n0 = 0, n1 = 0; // columns [n0, n1); n0 is a multiple of kPanel
};

using QGemmFn = void (*)(const QGemmTile &);

/// Instruction sets with a variant, weakest first.
enum class Isa { Scalar, Avx2, Avx512Vnni, Amx };

/// The variant for `isa`; null when this build has none.
QGemmFn qgemmFor(Isa isa);

/// The best `Isa` this CPU and OS support (for AMX the process is granted
/// XTILEDATA first; a refusal means no AMX).
Isa detectIsa();

/// `detectIsa()` capped by the environment variable QUANTC_ISA (scalar,
/// avx2, avx512-vnni, amx; an unknown name or a cap above what the machine
/// supports leaves the detected one). Computed once.
Isa selectedIsa();

/// "scalar", "avx2", "avx512-vnni", "amx".
const char *isaName(Isa isa);

/// `detected` capped by the name `cap` (as QUANTC_ISA; null or unknown
/// leaves `detected`); what `selectedIsa` applies, exposed for tests.
Isa capIsa(Isa detected, const char *cap);

/// The variants qgemmFor hands out, one per file QGemm<Isa>.cpp; only call
/// one the CPU supports. Builds for other architectures define only
/// qgemmScalar.
void qgemmScalar(const QGemmTile &tile);
void qgemmAvx2(const QGemmTile &tile);
void qgemmAvx512Vnni(const QGemmTile &tile);
void qgemmAmx(const QGemmTile &tile);

} // namespace quantc::ukernels

#endif // QUANTC_RUNTIME_UKERNELS_QGEMM_H
