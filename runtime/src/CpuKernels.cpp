//===- CpuKernels.cpp - the artifact's calls into the microkernels --------===//

#include "runtime/src/CpuKernels.h"

#include "runtime/ukernels/QGemm.h"
#include "runtime/ukernels/QGemmGrouped.h"
#include "runtime/ukernels/SGemm.h"
#include "runtime/ukernels/W4Gemm.h"
#include "runtime/ukernels/WqGemm.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <limits>

namespace {

using namespace quantc::ukernels;

/// The layout of `quantc_ukernels` this runtime fills (kUkernelsAbi in
/// backends/common/EmitSharedLibrary.cpp): version 1 had qgemm_s8 only,
/// version 2 added sgemm_f32, version 3 sgemm_w4, version 4 sgemm_wq,
/// version 5 qgemm_grouped.
constexpr int64_t kAbi = 5;

/// A ranked memref descriptor as MLIR's C interface passes it.
template <typename T, int Rank>
struct MemRef {
  T *allocated;
  T *aligned;
  int64_t offset;
  int64_t sizes[Rank];
  int64_t strides[Rank];

  T *data() const { return aligned + offset; }
};

using QGemmEntry = void (*)(const MemRef<int8_t, 2> *,
                            const MemRef<int8_t, 1> *,
                            const MemRef<int32_t, 1> *,
                            const MemRef<float, 1> *, const MemRef<float, 1> *,
                            const MemRef<float, 2> *, int32_t, int64_t, int64_t,
                            int64_t, int64_t);

using SGemmEntry = void (*)(const MemRef<float, 2> *, const MemRef<float, 1> *,
                            const MemRef<float, 2> *, float, int32_t, int64_t,
                            int64_t, int64_t, int64_t);

using W4GemmEntry = void (*)(const MemRef<float, 2> *,
                             const MemRef<int8_t, 1> *,
                             const MemRef<uint16_t, 1> *,
                             const MemRef<int8_t, 1> *,
                             const MemRef<float, 2> *, int64_t, int64_t,
                             int64_t, int64_t, int64_t);

using WqGemmEntry =
    void (*)(const MemRef<float, 2> *, const MemRef<uint8_t, 1> *,
             const MemRef<uint8_t, 1> *, const MemRef<uint8_t, 1> *,
             const MemRef<uint16_t, 1> *, const MemRef<float, 1> *,
             const MemRef<int8_t, 1> *, const MemRef<float, 1> *,
             const MemRef<float, 2> *, int64_t, int64_t, int64_t, int64_t,
             int64_t, int64_t);
using QGemmGroupedEntry = void (*)(const MemRef<int8_t, 2> *,
                                   const MemRef<uint8_t, 1> *,
                                   const MemRef<uint16_t, 1> *,
                                   const MemRef<float, 1> *,
                                   const MemRef<int32_t, 1> *,
                                   const MemRef<float, 1> *,
                                   const MemRef<float, 2> *, int32_t, int64_t,
                                   int64_t, int64_t, int64_t, int64_t, int64_t);
struct UkernelTable {
  int64_t abi;
  QGemmEntry qgemmS8;
  SGemmEntry sgemmF32;            // version >= 2
  W4GemmEntry sgemmW4;            // version >= 3
  WqGemmEntry sgemmWq;            // version >= 4
  QGemmGroupedEntry qgemmGrouped; // version >= 5
};

QGemmFn selectedQGemm() {
  static const QGemmFn fn = [] {
    QGemmFn f = qgemmFor(selectedIsa());
    return f ? f : qgemmFor(Isa::Scalar);
  }();
  return fn;
}

SGemmFn selectedSGemm() {
  static const SGemmFn fn = [] {
    SGemmFn f = sgemmFor(selectedIsa());
    return f ? f : sgemmFor(Isa::Scalar);
  }();
  return fn;
}

/// Whether a kernel should compute its tile. `valid` says its operands
/// agree, which they always should: the generated code derives every size
/// from the same buffers. A mismatch is a compiler bug: it is reported once
/// and the tile's part inside `out` (when out has the M rows) is set to NaN
/// instead of being read or written out of bounds. An empty tile needs no
/// work.
bool runTile(bool valid, const char *kernel, const MemRef<float, 2> *out,
             int64_t m, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  if (valid)
    return m0 < m1 && n0 < n1;
  static std::atomic<bool> reported{false};
  if (!reported.exchange(true))
    std::fprintf(stderr,
                 "quantc runtime: internal error: inconsistent %s operands; "
                 "its output is NaN\n",
                 kernel);
  if (out->sizes[0] != m || out->strides[1] != 1)
    return false;
  for (int64_t r = std::max<int64_t>(m0, 0); r < std::min(m1, out->sizes[0]);
       ++r)
    for (int64_t c = std::max<int64_t>(n0, 0); c < std::min(n1, out->sizes[1]);
         ++c)
      out->data()[r * out->strides[0] + c] =
          std::numeric_limits<float>::quiet_NaN();
  return false;
}

/// The checks both kernels need: A [M, K] and out [M, N] with unit inner
/// strides, and a tile inside them whose first column starts a panel of
/// `panel` columns.
template <typename T>
bool tileFits(const MemRef<T, 2> *a, const MemRef<float, 2> *out, int64_t m0,
              int64_t m1, int64_t n0, int64_t n1, int64_t panel) {
  int64_t m = a->sizes[0], k = a->sizes[1], n = out->sizes[1];
  return k > 0 && (a->strides[1] == 1 || k == 1) && a->strides[0] >= k &&
         out->sizes[0] == m && (out->strides[1] == 1 || n == 1) &&
         out->strides[0] >= n && 0 <= m0 && m0 <= m1 && m1 <= m && 0 <= n0 &&
         n0 <= n1 && n1 <= n && n0 % panel == 0;
}

/// The fields QGemmTile and SGemmTile share, from the same operands.
template <typename Tile, typename T>
void setTile(Tile &tile, const MemRef<T, 2> *a, const MemRef<float, 2> *out,
             int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  tile.a = a->data();
  tile.lda = a->strides[0];
  tile.k = a->sizes[1];
  tile.out = out->data();
  tile.ldc = out->strides[0];
  tile.m0 = m0;
  tile.m1 = m1;
  tile.n0 = n0;
  tile.n1 = n1;
}

/// `quantc_qgemm_s8(A [M, K] i8, W packed, column sums [Np], column scales
/// [Np], row scales [M] or [1], out [M, N] f32, activation zero point, rows
/// [m0, m1), columns [n0, n1))`, one tile of a W8A8 product
/// (backends/cpu/Int8Matmuls.cpp). The generated code derives every size
/// from the same buffers, so a mismatch is a compiler bug: it is reported
/// once and the tile is filled with NaN rather than read or written out of
/// bounds.
void qgemmS8(const MemRef<int8_t, 2> *a, const MemRef<int8_t, 1> *w,
             const MemRef<int32_t, 1> *sums, const MemRef<float, 1> *colScales,
             const MemRef<float, 1> *rowScales, const MemRef<float, 2> *out,
             int32_t zero, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  int64_t m = a->sizes[0], k = a->sizes[1], n = out->sizes[1];
  int64_t np = sums->sizes[0];
  bool valid = tileFits(a, out, m0, m1, n0, n1, kPanel) && np % kPanel == 0 &&
               n <= np && colScales->sizes[0] == np &&
               w->sizes[0] == np * roundUp(k, kKBlock) && w->strides[0] == 1 &&
               sums->strides[0] == 1 && colScales->strides[0] == 1 &&
               (rowScales->sizes[0] == m || rowScales->sizes[0] == 1);
  if (!runTile(valid, "int8 matmul", out, m, m0, m1, n0, n1))
    return;
  QGemmTile tile;
  setTile(tile, a, out, m0, m1, n0, n1);
  tile.w = w->data();
  tile.colSums = sums->data();
  tile.colScales = colScales->data();
  tile.rowScales = rowScales->data();
  tile.rowScaleStride = rowScales->sizes[0] == 1 ? 0 : rowScales->strides[0];
  tile.aZero = zero;
  selectedQGemm()(tile);
}

/// `quantc_sgemm_f32(A [M, K], W packed [Np * K], out [M, N], fill,
/// accumulate, rows [m0, m1), columns [n0, n1))`, one tile of an f32
/// product with a constant weight (backends/cpu/PackMatmuls.cpp); checked
/// like qgemmS8.
void sgemmF32(const MemRef<float, 2> *a, const MemRef<float, 1> *w,
              const MemRef<float, 2> *out, float fill, int32_t accumulate,
              int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  int64_t m = a->sizes[0], k = a->sizes[1], n = out->sizes[1];
  bool valid = tileFits(a, out, m0, m1, n0, n1, kSPanel) &&
               w->sizes[0] == roundUp(n, kSPanel) * k && w->strides[0] == 1;
  if (!runTile(valid, "f32 matmul", out, m, m0, m1, n0, n1))
    return;
  SGemmTile tile;
  setTile(tile, a, out, m0, m1, n0, n1);
  tile.w = w->data();
  tile.accumulate = accumulate != 0;
  tile.fill = fill;
  selectedSGemm()(tile);
}

/// `quantc_sgemm_w4(A [M, K] f32, codes, scales (f16), zero points (empty
/// when all are zero), out [M, N] f32, rows per group, rows [m0, m1),
/// columns [n0, n1))`, one tile of a W4A16 product with the layout of
/// runtime/ukernels/W4Gemm.h (backends/cpu/W4Matmuls.cpp); checked like
/// qgemmS8.
void sgemmW4(const MemRef<float, 2> *a, const MemRef<int8_t, 1> *codes,
             const MemRef<uint16_t, 1> *scales, const MemRef<int8_t, 1> *zeros,
             const MemRef<float, 2> *out, int64_t groupRows, int64_t m0,
             int64_t m1, int64_t n0, int64_t n1) {
  static const W4DecodeFn decode = w4DecodeFor(selectedIsa());
  static const W4GemvFn gemv = w4GemvFor(selectedIsa());
  int64_t m = a->sizes[0], k = a->sizes[1], n = out->sizes[1];
  int64_t np = roundUp(n, kSPanel);
  int64_t groups = groupRows > 0 ? roundUp(k, groupRows) / groupRows : 0;
  bool valid = tileFits(a, out, m0, m1, n0, n1, kSPanel) && groupRows > 0 &&
               codes->sizes[0] == np * groups * groupRows / 2 &&
               codes->strides[0] == 1 && scales->sizes[0] == np * groups &&
               scales->strides[0] == 1 &&
               (zeros->sizes[0] == 0 ||
                (zeros->sizes[0] == np * groups && zeros->strides[0] == 1));
  if (!runTile(valid, "4-bit matmul", out, m, m0, m1, n0, n1))
    return;
  W4GemmTile tile;
  setTile(tile, a, out, m0, m1, n0, n1);
  tile.codes = reinterpret_cast<const uint8_t *>(codes->data());
  tile.scales = scales->data();
  tile.zeros = zeros->sizes[0] ? zeros->data() : nullptr;
  tile.groupRows = groupRows;
  w4Gemm(tile, decode, selectedSGemm(), gemv);
}

/// `quantc_sgemm_wq(A [M, K] f32, planes 0..2 (i8, the last unused ones
/// empty), f16 scales, f32 scales (one of them empty), zero points (empty
/// when all are zero), codebook (empty when none), out [M, N] f32, bits,
/// rows per group, rows [m0, m1), columns [n0, n1))`, one tile of a
/// weight-only product in qc-lower-quantized's layout
/// (runtime/ukernels/WqGemm.h, backends/cpu/WqMatmuls.cpp); checked like
/// qgemmS8. A codebook with zero points could index past its levels, so
/// that pair is refused too.
void sgemmWq(const MemRef<float, 2> *a, const MemRef<uint8_t, 1> *plane0,
             const MemRef<uint8_t, 1> *plane1, const MemRef<uint8_t, 1> *plane2,
             const MemRef<uint16_t, 1> *halfScales,
             const MemRef<float, 1> *floatScales,
             const MemRef<int8_t, 1> *zeros, const MemRef<float, 1> *codebook,
             const MemRef<float, 2> *out, int64_t bits, int64_t groupRows,
             int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  int64_t m = a->sizes[0], k = a->sizes[1], n = out->sizes[1];
  WqLayout layout = WqLayout::of(bits, groupRows, k, n);
  const MemRef<uint8_t, 1> *planes[3] = {plane0, plane1, plane2};
  auto dense = [](auto *v, int64_t size) {
    return v->sizes[0] == size && (size == 0 || v->strides[0] == 1);
  };
  int64_t params = layout.groups * n;
  bool valid = tileFits(a, out, m0, m1, n0, n1, kSPanel) && layout.bytes > 0;
  for (int64_t p = 0; p < 3 && valid; ++p)
    valid = dense(planes[p], p < layout.bytes ? layout.planeBytes() : 0);
  bool half = halfScales->sizes[0] != 0;
  valid = valid &&
          (half ? dense(halfScales, params) && dense(floatScales, 0)
                : dense(floatScales, params)) &&
          (dense(zeros, 0) || dense(zeros, params)) &&
          (dense(codebook, 0) ||
           (dense(codebook, int64_t(1) << bits) && zeros->sizes[0] == 0));
  if (!runTile(valid, "quantized-weight matmul", out, m, m0, m1, n0, n1))
    return;
  WqGemmTile tile;
  setTile(tile, a, out, m0, m1, n0, n1);
  tile.layout = layout;
  for (int64_t p = 0; p < layout.bytes; ++p)
    tile.planes[p] = planes[p]->data();
  tile.halfScales = half ? halfScales->data() : nullptr;
  tile.floatScales = half ? nullptr : floatScales->data();
  tile.zeros = zeros->sizes[0] ? zeros->data() : nullptr;
  tile.codebook = codebook->sizes[0] ? codebook->data() : nullptr;
  wqGemm(tile,
         wqDecodeFor(selectedIsa(), layout.bytes, tile.codebook != nullptr),
         selectedSGemm());
}

/// `quantc_qgemm_grouped(A [M, K] i8, codes, f16 scales or f32 scales
/// [groups * Np] (the other empty), column sums (as many; empty when the
/// zero point is 0), row scales [M] or [1], out
/// [M, N] f32, activation zero point, bits, rows per group, rows [m0, m1),
/// columns [n0, n1))`, one tile of a WbA8 product with group-wise (or
/// per-column) b-bit weights in the layout of runtime/ukernels/QGemmGrouped.h
/// (backends/cpu/Int8Matmuls.cpp); checked like qgemmS8.
void qgemmGrouped(const MemRef<int8_t, 2> *a, const MemRef<uint8_t, 1> *codes,
                  const MemRef<uint16_t, 1> *halfScales,
                  const MemRef<float, 1> *floatScales,
                  const MemRef<int32_t, 1> *colSums,
                  const MemRef<float, 1> *rowScales,
                  const MemRef<float, 2> *out, int32_t zero, int64_t bits,
                  int64_t groupRows, int64_t m0, int64_t m1, int64_t n0,
                  int64_t n1) {
  static const QGemmGroupedFn fn = qgemmGroupedFor(selectedIsa());
  int64_t m = a->sizes[0], k = a->sizes[1], n = out->sizes[1];
  GroupedLayout layout = GroupedLayout::of(bits, groupRows, k, n);
  auto dense = [](auto *v, int64_t size) {
    return v->sizes[0] == size && v->strides[0] == 1;
  };
  // A zero point outside int8 could take the exact sums past int32.
  bool valid =
      tileFits(a, out, m0, m1, n0, n1, kPanel) && layout.bits != 0 &&
      -128 <= zero && zero <= 127 && dense(codes, layout.codeBytes()) &&
      (halfScales->sizes[0] != 0 ? dense(halfScales, layout.paramCount()) &&
                                       floatScales->sizes[0] == 0
                                 : dense(floatScales, layout.paramCount())) &&
      (zero == 0 || dense(colSums, layout.paramCount())) &&
      (rowScales->sizes[0] == m || rowScales->sizes[0] == 1);
  if (!runTile(valid, "grouped int8 matmul", out, m, m0, m1, n0, n1))
    return;
  QGemmGroupedTile tile;
  setTile(tile, a, out, m0, m1, n0, n1);
  tile.layout = layout;
  tile.codes = codes->data();
  bool half = halfScales->sizes[0] != 0;
  tile.halfScales = half ? halfScales->data() : nullptr;
  tile.floatScales = half ? nullptr : floatScales->data();
  tile.colSums = zero == 0 ? nullptr : colSums->data();
  tile.rowScales = rowScales->data();
  tile.rowScaleStride = rowScales->sizes[0] == 1 ? 0 : rowScales->strides[0];
  tile.aZero = zero;
  fn(tile);
}

} // namespace

quantc::Error quantc::bindCpuKernels(const char *path, void *table) {
  if (!table)
    return {};
  auto *t = static_cast<UkernelTable *>(table);
  if (t->abi < 1 || t->abi > kAbi)
    return {QUANTC_IO_ERROR,
            std::string("'") + path + "' needs microkernel table version " +
                std::to_string(t->abi) + "; this runtime has versions 1 to " +
                std::to_string(kAbi)};
  t->qgemmS8 = qgemmS8;
  if (t->abi >= 2)
    t->sgemmF32 = sgemmF32;
  if (t->abi >= 3)
    t->sgemmW4 = sgemmW4;
  if (t->abi >= 4)
    t->sgemmWq = sgemmWq;
  if (t->abi >= 5)
    t->qgemmGrouped = qgemmGrouped;
  return {};
}

const char *quantc::cpuKernelIsa() {
  return isaName(qgemmFor(selectedIsa()) ? selectedIsa() : Isa::Scalar);
}

const char *quantc_cpu_isa(void) { return quantc::cpuKernelIsa(); }
