//===- Rotation.h - randomized Hadamard rotations ---------------*- C++ -*-===//
//
// QuaRot/HIGGS-style incoherence processing (../shared/DESIGN.md): a linear
// layer y = x W equals (x Q)(Q^T W) for any orthogonal Q; a randomized
// Walsh-Hadamard Q spreads a few large input channels over all of them, so
// Q^T W has fewer outliers to round. Plain C++.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_ALGORITHMS_ROTATION_H
#define QUANTC_PASSES_ALGORITHMS_ROTATION_H

#include <cstdint>
#include <vector>

namespace quantc::algorithms {

/// A K x K orthogonal matrix (row-major): diag(signs) times a block-diagonal
/// of normalised Walsh-Hadamard matrices whose sizes are the powers of two
/// in K's binary expansion, largest first (K = 172: 128, 32, 8, 4; a power
/// of two is one block). The signs (+-1) come from a fixed generator seeded
/// with `seed`, so a compile is reproducible.
std::vector<float> randomizedHadamard(int64_t k, uint64_t seed);

/// randomizedHadamard(k, seed) in factored form: x Q = blockWHT(x * scale),
/// scale[j] = sign[j] / sqrt(size of j's block); `blocks` are the block
/// sizes in order (each block starts at a multiple of its size). What a
/// fast transform applies online in O(K log K) instead of a K x K product.
struct HadamardFactors {
  std::vector<float> scale;
  std::vector<int64_t> blocks;
};
HadamardFactors hadamardFactors(int64_t k, uint64_t seed);

/// x Q for one row x of K values, in place: x * scale, then per block the
/// butterflies (a, b) -> (a + b, a - b) over strides 1, 2, 4, ... (the
/// order the compiled transform follows; the reference for its tests).
void applyHadamard(const HadamardFactors &factors, float *x);

/// Q^T A Q for K x K row-major A and Q (the Gram matrix of x Q).
std::vector<float> rotateGram(const std::vector<float> &a,
                              const std::vector<float> &q, int64_t k);

/// Q^T W for K x N row-major W.
std::vector<float> rotateRows(const float *w, const std::vector<float> &q,
                              int64_t k, int64_t n);

/// W Q for K x N row-major W and N x N Q (a layer writing a rotated
/// activation: its output columns, or an embedding table's).
std::vector<float> rotateColumns(const float *w, const std::vector<float> &q,
                                 int64_t k, int64_t n);

} // namespace quantc::algorithms

#endif // QUANTC_PASSES_ALGORITHMS_ROTATION_H
