//===- WqGemm.cpp - f32 GEMM over any weight-only quantized weight --------===//

#include "runtime/ukernels/WqGemm.h"

#include "runtime/ukernels/DecodedGemm.h"
#include "runtime/ukernels/W4Gemm.h"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace quantc::ukernels {

WqLayout WqLayout::of(int64_t bits, int64_t groupRows, int64_t k, int64_t n) {
  WqLayout l;
  // Sizes up to 2^30 keep groups * words * n (at most 2 * k * n) and
  // groups * n inside int64; no weight comes near them.
  constexpr int64_t kMaxSize = int64_t(1) << 30;
  if (bits < 1 || bits > 8 || groupRows < 1 || k < 1 || n < 1 || k > kMaxSize ||
      n > kMaxSize || groupRows > kMaxSize)
    return l;
  const int64_t bytes = bits / std::gcd(bits, int64_t(8));
  if (bytes > 3)
    return l;
  l.bits = bits;
  l.bytes = bytes;
  l.perWord = 8 * bytes / bits;
  l.groups = (k + groupRows - 1) / groupRows;
  l.groupRows = groupRows;
  l.words = (groupRows + l.perWord - 1) / l.perWord;
  l.n = n;
  return l;
}

namespace {

#if defined(__GNUC__)
#define QUANTC_ALWAYS_INLINE __attribute__((always_inline)) inline
#else
#define QUANTC_ALWAYS_INLINE inline
#endif

/// How many words ahead each plane's row stream is prefetched.
constexpr int64_t kPrefetchWords = 16;

/// One row of a panel: kSPanel codes from the planes' bytes (`b1`, `b2`
/// read only for words that wide), as floats. The restrict parameters tell
/// the compiler the output does not alias the bytes, so the loop
/// vectorizes without run-time checks.
template <int Bytes, bool Codebook>
QUANTC_ALWAYS_INLINE void
decodeRow(const uint8_t *__restrict b0, const uint8_t *__restrict b1,
          const uint8_t *__restrict b2, int up, int shift,
          const int32_t *__restrict zero, const float *__restrict scale,
          const float *__restrict codebook, int32_t levelOffset,
          float *__restrict out) {
  for (int64_t c = 0; c < kSPanel; ++c) {
    uint32_t w = b0[c];
    if (Bytes > 1)
      w |= uint32_t(b1[c]) << 8;
    if (Bytes > 2)
      w |= uint32_t(b2[c]) << 16;
    const int32_t v = (int32_t(w << up) >> shift) - zero[c];
    out[c] = (Codebook ? codebook[v + levelOffset] : float(v)) * scale[c];
  }
}

/// The decoder for words of `Bytes` bytes, with or without a codebook: the
/// loops over a panel's columns have no branches, so the compiler
/// vectorizes them for the ISA of the function they are inlined into.
template <int Bytes, bool Codebook>
QUANTC_ALWAYS_INLINE void decode(const WqGemmTile &t, int64_t p0, int64_t p1,
                                 int64_t k0, int64_t k1, float *dst) {
  const WqLayout &l = t.layout;
  const int64_t rows = k1 - k0;
  const int shift = 32 - int(l.bits);
  const int32_t levelOffset = int32_t(1) << (l.bits - 1);
  float scale[kSPanel];
  int32_t zero[kSPanel];
  for (int64_t p = p0; p < p1; ++p) {
    const int64_t c0 = p * kSPanel, width = std::min(kSPanel, l.n - c0);
    float *out = dst + (p - p0) * rows * kSPanel;
    // The last panel's columns past N are zeros (scale 0, code 0).
    for (int64_t c = width; c < kSPanel; ++c)
      scale[c] = 0.0f, zero[c] = 0;
    // Row k's group g, its row r in the group, and r's word and position
    // in it, stepped along k: divisions per row (two 64-bit divs) were
    // most of an 8-bit GEMV's decode.
    int64_t g = k0 / l.groupRows, r = k0 % l.groupRows;
    int64_t wordInGroup = r / l.perWord, position = r % l.perWord;
    bool newGroup = true;
    // A whole panel's bytes are read where they are; the last panel's are
    // copied out first, past N zeros.
    uint8_t partial[Bytes][kSPanel] = {};
    for (int64_t k = k0; k < k1; ++k, out += kSPanel) {
      if (newGroup) { // a group's scales and zero points, once
        newGroup = false;
        for (int64_t c = 0; c < width; ++c) {
          const int64_t at = g * l.n + c0 + c;
          scale[c] =
              t.halfScales ? halfToFloat(t.halfScales[at]) : t.floatScales[at];
          zero[c] = t.zeros ? t.zeros[at] : 0;
        }
      }
      // Code j's bits moved to the top, then an arithmetic shift: its own
      // sign bit extends it (qc-lower-quantized's unpackCode).
      const int up = shift - int(position) * int(l.bits);
      const int64_t word = (g * l.words + wordInGroup) * l.n + c0;
      const uint8_t *src[3] = {};
      for (int b = 0; b < Bytes; ++b) {
        // A panel walks down K, N bytes a word: a stride the hardware
        // prefetchers do not follow across pages. 16 words ahead (8-bit
        // 4096 x 4096 at M = 1 on Zen 3: the loads were 38% of the decode).
        if (position == 0)
          __builtin_prefetch(t.planes[b] + word + kPrefetchWords * l.n);
        src[b] = t.planes[b] + word;
        if (width < kSPanel) {
          std::memcpy(partial[b], src[b], size_t(width));
          src[b] = partial[b];
        }
      }
      decodeRow<Bytes, Codebook>(src[0], src[1], src[2], up, shift, zero, scale,
                                 t.codebook, levelOffset, out);
      if (++r == l.groupRows) {
        ++g, r = 0, wordInGroup = 0, position = 0, newGroup = true;
      } else if (++position == l.perWord) {
        ++wordInGroup, position = 0;
      }
    }
  }
}

template <int Bytes, bool Codebook>
void decodePortable(const WqGemmTile &t, int64_t p0, int64_t p1, int64_t k0,
                    int64_t k1, float *dst) {
  decode<Bytes, Codebook>(t, p0, p1, k0, k1, dst);
}

#if defined(__x86_64__)
template <int Bytes, bool Codebook>
__attribute__((target("avx512f,avx512bw"))) void
decodeAvx512(const WqGemmTile &t, int64_t p0, int64_t p1, int64_t k0,
             int64_t k1, float *dst) {
  decode<Bytes, Codebook>(t, p0, p1, k0, k1, dst);
}

template <int Bytes, bool Codebook>
__attribute__((target("avx2,fma,f16c"))) void
decodeAvx2(const WqGemmTile &t, int64_t p0, int64_t p1, int64_t k0, int64_t k1,
           float *dst) {
  decode<Bytes, Codebook>(t, p0, p1, k0, k1, dst);
}
#endif

template <int Bytes, bool Codebook>
WqDecodeFn decoderFor(Isa isa) {
#if defined(__x86_64__)
  if (isa == Isa::Avx512Vnni || isa == Isa::Amx)
    return decodeAvx512<Bytes, Codebook>;
  if (isa == Isa::Avx2)
    return decodeAvx2<Bytes, Codebook>;
#else
  (void)isa;
#endif
  return decodePortable<Bytes, Codebook>;
}

template <int Bytes>
WqDecodeFn decoderFor(Isa isa, bool codebook) {
  return codebook ? decoderFor<Bytes, true>(isa)
                  : decoderFor<Bytes, false>(isa);
}

} // namespace

WqDecodeFn wqDecodeFor(Isa isa, int64_t bytes, bool codebook) {
  switch (bytes) {
  case 1:
    return decoderFor<1>(isa, codebook);
  case 2:
    return decoderFor<2>(isa, codebook);
  case 3:
    return decoderFor<3>(isa, codebook);
  default:
    return nullptr;
  }
}

void wqGemm(const WqGemmTile &t, WqDecodeFn decode, SGemmFn sgemm) {
  decodedGemm(t.a, t.lda, t.out, t.ldc, t.k, t.m0, t.m1, t.n0, t.n1, sgemm,
              [&](int64_t p0, int64_t p1, int64_t k0, int64_t k1, float *dst) {
                decode(t, p0, p1, k0, k1, dst);
              });
}

} // namespace quantc::ukernels
