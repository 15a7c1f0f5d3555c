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

/// Q^T A Q for K x K row-major A and Q (the Gram matrix of x Q).
std::vector<float> rotateGram(const std::vector<float> &a,
                              const std::vector<float> &q, int64_t k);

/// Q^T W for K x N row-major W.
std::vector<float> rotateRows(const float *w, const std::vector<float> &q,
                              int64_t k, int64_t n);

} // namespace quantc::algorithms

#endif // QUANTC_PASSES_ALGORITHMS_ROTATION_H
