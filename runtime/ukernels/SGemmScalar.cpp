//===- SGemmScalar.cpp - f32 GEMM microkernel, portable C++ ---------------===//
//
// The reference every variant matches bit for bit (SGemm.h).
//
//===----------------------------------------------------------------------===//

#include "runtime/ukernels/SGemm.h"

#include <cmath>

namespace quantc::ukernels {

void sgemmScalar(const SGemmTile &t) {
  for (int64_t m = t.m0; m < t.m1; ++m)
    for (int64_t n = t.n0; n < t.n1; ++n) {
      // Indexing from t.w rather than a panel pointer: w may be null when
      // K is 0.
      const int64_t w = (n / kSPanel) * t.k * kSPanel + n % kSPanel;
      float *o = t.out + m * t.ldc + n;
      float acc = t.accumulate ? *o : t.fill;
      for (int64_t k = 0; k < t.k; ++k)
        acc = std::fma(t.a[m * t.lda + k], t.w[w + k * kSPanel], acc);
      *o = acc;
    }
}

} // namespace quantc::ukernels
