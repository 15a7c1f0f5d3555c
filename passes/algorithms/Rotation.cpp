//===- Rotation.cpp - randomized Hadamard rotations -----------------------===//

#include "passes/algorithms/Rotation.h"

#include <Eigen/Core>

#include <cmath>
#include <random>

using namespace quantc::algorithms;

namespace {
using RowMajorF =
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMajorD =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
} // namespace

HadamardFactors quantc::algorithms::hadamardFactors(int64_t k, uint64_t seed) {
  HadamardFactors f;
  // Signs first, from a generator whose output is fixed by the standard.
  std::mt19937_64 generator(seed);
  f.scale.resize(k);
  for (float &s : f.scale)
    s = (generator() & 1) ? -1.0f : 1.0f;
  int64_t offset = 0;
  for (int bit = 62; bit >= 0; --bit) {
    int64_t size = int64_t(1) << bit;
    if (!(k & size))
      continue;
    f.blocks.push_back(size);
    float norm = 1.0f / std::sqrt(static_cast<float>(size));
    for (int64_t i = 0; i < size; ++i)
      f.scale[offset + i] *= norm;
    offset += size;
  }
  return f;
}

std::vector<float> quantc::algorithms::randomizedHadamard(int64_t k,
                                                          uint64_t seed) {
  HadamardFactors f = hadamardFactors(k, seed);
  std::vector<float> q(k * k, 0.0f);
  int64_t offset = 0;
  for (int64_t size : f.blocks) {
    // Sylvester's construction: H[i][j] = (-1)^popcount(i & j), here
    // scaled by the row's sign / sqrt(size).
    for (int64_t i = 0; i < size; ++i)
      for (int64_t j = 0; j < size; ++j) {
        float h = f.scale[offset + i];
        q[(offset + i) * k + offset + j] =
            (__builtin_popcountll(static_cast<uint64_t>(i & j)) & 1) ? -h : h;
      }
    offset += size;
  }
  return q;
}

void quantc::algorithms::applyHadamard(const HadamardFactors &factors,
                                       float *x) {
  int64_t k = static_cast<int64_t>(factors.scale.size());
  for (int64_t j = 0; j < k; ++j)
    x[j] *= factors.scale[j];
  int64_t offset = 0;
  for (int64_t size : factors.blocks) {
    for (int64_t h = 1; h < size; h *= 2)
      for (int64_t j = offset; j < offset + size; ++j)
        if (!(j & h)) {
          float a = x[j], b = x[j + h];
          x[j] = a + b;
          x[j + h] = a - b;
        }
    offset += size;
  }
}

std::vector<float> quantc::algorithms::rotateGram(const std::vector<float> &a,
                                                  const std::vector<float> &q,
                                                  int64_t k) {
  Eigen::Map<const RowMajorF> am(a.data(), k, k), qm(q.data(), k, k);
  RowMajorD qd = qm.cast<double>();
  RowMajorD r = qd.transpose() * am.cast<double>() * qd;
  // Symmetric up to rounding: average the halves so the file-level
  // symmetry checks and Cholesky see an exactly symmetric matrix.
  r = (0.5 * (r + r.transpose())).eval();
  std::vector<float> out(k * k);
  Eigen::Map<RowMajorF>(out.data(), k, k) = r.cast<float>();
  return out;
}

std::vector<float> quantc::algorithms::rotateRows(const float *w,
                                                  const std::vector<float> &q,
                                                  int64_t k, int64_t n) {
  Eigen::Map<const RowMajorF> wm(w, k, n), qm(q.data(), k, k);
  std::vector<float> out(k * n);
  Eigen::Map<RowMajorF>(out.data(), k, n) =
      (qm.cast<double>().transpose() * wm.cast<double>()).cast<float>();
  return out;
}

std::vector<float>
quantc::algorithms::rotateColumns(const float *w, const std::vector<float> &q,
                                  int64_t k, int64_t n) {
  Eigen::Map<const RowMajorF> wm(w, k, n), qm(q.data(), n, n);
  std::vector<float> out(k * n);
  Eigen::Map<RowMajorF>(out.data(), k, n) =
      (wm.cast<double>() * qm.cast<double>()).cast<float>();
  return out;
}
