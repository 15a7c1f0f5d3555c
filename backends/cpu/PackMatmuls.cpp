//===- PackMatmuls.cpp - f32 matmuls on prepacked weight panels -----------===//
//
// A linalg.matmul C[M, N] += A[M, K] * W[K, N] whose W is an f32 constant
// (static K and N; a ragged N needs a fill init and computes into padding
// columns that are sliced off) becomes, on tensors:
//
//   Wp = W repacked at compile time into panels [N/32][K][32]
//   scf.forall (nb, mb) in (N/32, M/8)            -> threads over panels
//     acc[0..7] : vector<32xf32>, C's rows (or the fill value)
//     scf.for k in [0, K):
//       b = Wp[nb, k, 0:32]                         (contiguous, 2 zmm)
//       acc[r] = fma(broadcast(A[8 mb + r, k]), b, acc[r])   r = 0..7
//     C[8 mb .. 8 mb + 7, 32 nb .. 32 nb + 31] = acc
//   the M mod 8 remaining rows one at a time, 4 (or 2) panels per tile so
//   that a row still has several independent FMA chains
//
// This is the schedule ../shared/PIPELINES.md measured at ONNX Runtime parity
// on one core (an 8 x 32 register tile: 16 zmm accumulators, 8 broadcasts and
// 2 panel loads per 16 FMAs), written directly instead of through the
// transform dialect: the tile, the loop order and the packed layout are fixed,
// and a direct rewrite keeps the accumulators in loop-carried vectors without
// relying on hoisting. Upstream has no pass that packs a constant operand.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/Passes.h"

#include "passes/PackedWeights.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

namespace mlir::qc::cpu {
#define GEN_PASS_DEF_PACKMATMULS
#include "backends/cpu/Passes.h.inc"
} // namespace mlir::qc::cpu

using namespace mlir;

namespace {

constexpr int64_t kPanel = 32; // columns per panel: two zmm registers
constexpr int64_t kRows = 8;   // rows per register tile

/// What a matmul is rewritten from.
struct PackableMatmul {
  Value lhs, init;
  Value weight; // the [K][N] constant
  int64_t k, n;
  int64_t paddedN; // N rounded up to whole panels (zero weight columns)
  std::optional<Value> fillValue; // the init is linalg.fill of this scalar
};

std::optional<PackableMatmul> match(linalg::MatmulOp op) {
  if (!op.hasPureTensorSemantics() || op.hasUserDefinedMaps())
    return std::nullopt;
  auto lhsType = dyn_cast<RankedTensorType>(op.getInputs()[0].getType());
  auto rhsType = dyn_cast<RankedTensorType>(op.getInputs()[1].getType());
  auto outType = dyn_cast<RankedTensorType>(op.getOutputs()[0].getType());
  if (!lhsType || !rhsType || !outType || !lhsType.getElementType().isF32() ||
      !rhsType.getElementType().isF32() || !outType.getElementType().isF32() ||
      !rhsType.hasStaticShape())
    return std::nullopt;
  PackableMatmul m;
  m.k = rhsType.getDimSize(0);
  m.n = rhsType.getDimSize(1);
  m.paddedN = llvm::divideCeil(m.n, kPanel) * kPanel;
  if (m.k == 0 || m.n == 0)
    return std::nullopt;
  if (!matchPattern(op.getInputs()[1], m_Constant()))
    return std::nullopt;
  m.weight = op.getInputs()[1];
  m.lhs = op.getInputs()[0];
  m.init = op.getOutputs()[0];
  if (auto fill = m.init.getDefiningOp<linalg::FillOp>()) {
    m.fillValue = fill.getInputs()[0];
    m.init = fill.getOutputs()[0];
  }
  // A ragged last panel computes into padding columns: only a fill's value
  // can start them, an arbitrary init has none.
  if (m.paddedN != m.n && !m.fillValue)
    return std::nullopt;
  return m;
}

/// The weight as panels [N/32][K][32], a resource blob like the importer's,
/// built right after the weight's constant; none when its values cannot be
/// read (an elided blob).
std::optional<Value> packWeight(OpBuilder &b, const PackableMatmul &m) {
  Attribute value;
  matchPattern(m.weight, m_Constant(&value));
  std::optional<std::vector<float>> weight = qc::readFloatConstant(value);
  if (!weight)
    return std::nullopt;
  int64_t panels = m.paddedN / kPanel;
  std::vector<float> packed(panels * m.k * kPanel, 0.0f);
  for (int64_t p = 0; p < panels; ++p)
    for (int64_t k = 0; k < m.k; ++k)
      for (int64_t j = 0; j < kPanel && p * kPanel + j < m.n; ++j)
        packed[(p * m.k + k) * kPanel + j] =
            (*weight)[k * m.n + p * kPanel + j];
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointAfter(m.weight.getDefiningOp());
  auto type = RankedTensorType::get({panels, m.k, kPanel}, b.getF32Type());
  auto attr = DenseResourceElementsAttr::get(
      type, "packed_weight",
      HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<float>(packed)));
  return arith::ConstantOp::create(b, m.weight.getLoc(), type, attr)
      .getResult();
}

/// Offsets, sizes and unit strides of a 2-d slice.
struct Slice2d {
  SmallVector<OpFoldResult> offsets, sizes, strides;
  Slice2d(OpBuilder &b, OpFoldResult row, OpFoldResult col, OpFoldResult rows,
          OpFoldResult cols)
      : offsets{row, col}, sizes{rows, cols},
        strides{b.getIndexAttr(1), b.getIndexAttr(1)} {}
};

/// The shape of one register tile: `rows` rows of A times `panels`
/// consecutive panels, rows * panels vector<32xf32> accumulators.
struct TileShape {
  int64_t rows, panels;
  int64_t columns() const { return panels * kPanel; }
};

/// Rows [row0, row0 + rows) times the panels from `panel0` on, accumulated
/// over all of K, as a [rows, columns] slice of `out` (the forall's shared
/// output) starting at column `col0`.
Value emitTile(OpBuilder &b, Location loc, const PackableMatmul &m,
               Value packed, Value out, Value row0, Value panel0, Value col0,
               TileShape shape) {
  Type f32 = b.getF32Type();
  auto vecType = VectorType::get({kPanel}, f32);
  auto index = [&](OpBuilder &ib, Location l, int64_t v) -> Value {
    return arith::ConstantIndexOp::create(ib, l, v);
  };
  Value zero = index(b, loc, 0);
  Slice2d slice(b, row0, col0, b.getIndexAttr(shape.rows),
                b.getIndexAttr(shape.columns()));
  Value tile = tensor::ExtractSliceOp::create(b, loc, out, slice.offsets,
                                              slice.sizes, slice.strides);
  Value padding = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
  SmallVector<bool> inBounds = {true};

  // Accumulator (r, p) is element r * panels + p.
  SmallVector<Value> accs;
  for (int64_t r = 0; r < shape.rows; ++r)
    for (int64_t p = 0; p < shape.panels; ++p) {
      if (m.fillValue) {
        accs.push_back(
            vector::BroadcastOp::create(b, loc, vecType, *m.fillValue));
        continue;
      }
      accs.push_back(vector::TransferReadOp::create(
          b, loc, vecType, tile,
          ValueRange{index(b, loc, r), index(b, loc, p * kPanel)}, padding,
          inBounds));
    }
  auto loop = scf::ForOp::create(
      b, loc, zero, index(b, loc, m.k), index(b, loc, 1), accs,
      [&](OpBuilder &nb, Location l, Value k, ValueRange iter) {
        SmallVector<Value> w;
        for (int64_t p = 0; p < shape.panels; ++p) {
          Value panel = arith::AddIOp::create(nb, l, panel0, index(nb, l, p));
          w.push_back(vector::TransferReadOp::create(nb, l, vecType, packed,
                                                     ValueRange{panel, k, zero},
                                                     padding, inBounds));
        }
        SmallVector<Value> next;
        for (int64_t r = 0; r < shape.rows; ++r) {
          Value row = arith::AddIOp::create(nb, l, row0, index(nb, l, r));
          Value a = tensor::ExtractOp::create(nb, l, m.lhs, ValueRange{row, k});
          Value splat = vector::BroadcastOp::create(nb, l, vecType, a);
          for (int64_t p = 0; p < shape.panels; ++p)
            next.push_back(vector::FMAOp::create(nb, l, splat, w[p],
                                                 iter[r * shape.panels + p]));
        }
        scf::YieldOp::create(nb, l, next);
      });
  for (int64_t r = 0; r < shape.rows; ++r)
    for (int64_t p = 0; p < shape.panels; ++p)
      tile =
          vector::TransferWriteOp::create(
              b, loc, loop.getResult(r * shape.panels + p), tile,
              ValueRange{index(b, loc, r), index(b, loc, p * kPanel)}, inBounds)
              .getResult();
  return tile;
}

/// scf.forall over (panel groups, row blocks starting at row `first`): each
/// iteration computes one `shape` tile into `out`.
Value emitTiles(OpBuilder &b, Location loc, const PackableMatmul &m,
                Value packed, Value out, Value first, Value blocks,
                TileShape shape) {
  SmallVector<OpFoldResult> ubs = {b.getIndexAttr(m.paddedN / shape.columns()),
                                   blocks};
  auto forall = scf::ForallOp::create(b, loc, ubs, ValueRange{out},
                                      /*mapping=*/std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getTerminator());
  Value row0 = arith::AddIOp::create(
      b, loc, first,
      arith::MulIOp::create(
          b, loc, forall.getInductionVar(1),
          arith::ConstantIndexOp::create(b, loc, shape.rows)));
  Value panel0 = arith::MulIOp::create(
      b, loc, forall.getInductionVar(0),
      arith::ConstantIndexOp::create(b, loc, shape.panels));
  Value col0 = arith::MulIOp::create(
      b, loc, panel0, arith::ConstantIndexOp::create(b, loc, kPanel));
  Value shared = forall.getRegionIterArgs()[0];
  Value tile = emitTile(b, loc, m, packed, shared, row0, panel0, col0, shape);
  b.setInsertionPointToStart(forall.getTerminator().getBody());
  Slice2d slice(b, row0, col0, b.getIndexAttr(shape.rows),
                b.getIndexAttr(shape.columns()));
  tensor::ParallelInsertSliceOp::create(b, loc, tile, shared, slice.offsets,
                                        slice.sizes, slice.strides);
  return forall.getResult(0);
}

/// The tile for single rows: as many panels (up to 4) as divide the panel
/// count, so that one row still has several independent FMA chains.
TileShape singleRowTile(int64_t panels) {
  for (int64_t p : {4, 2})
    if (panels % p == 0)
      return {1, p};
  return {1, 1};
}

struct PackMatmuls : qc::cpu::impl::PackMatmulsBase<PackMatmuls> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::MatmulOp> matmuls;
    getOperation().walk([&](linalg::MatmulOp op) { matmuls.push_back(op); });
    // A weight several matmuls share is packed once.
    DenseMap<Value, Value> packedWeights;
    for (linalg::MatmulOp op : matmuls) {
      std::optional<PackableMatmul> m = match(op);
      if (!m)
        continue;
      OpBuilder b(op);
      Location loc = op.getLoc();
      auto cached = packedWeights.find(m->weight);
      if (cached == packedWeights.end()) {
        std::optional<Value> fresh = packWeight(b, *m);
        if (!fresh)
          continue;
        cached = packedWeights.try_emplace(m->weight, *fresh).first;
      }
      Value packed = cached->second;
      Value rowsTotal = tensor::DimOp::create(b, loc, m->lhs, 0);
      Value tileRows = arith::ConstantIndexOp::create(b, loc, kRows);
      Value blocks = arith::DivUIOp::create(b, loc, rowsTotal, tileRows);
      Value zero = arith::ConstantIndexOp::create(b, loc, 0);
      // A ragged N computes into a padded output, sliced afterwards.
      Value out = m->init;
      if (m->paddedN != m->n) {
        auto paddedType = RankedTensorType::get(
            {cast<RankedTensorType>(out.getType()).getDimSize(0), m->paddedN},
            b.getF32Type());
        SmallVector<Value> dynamic;
        if (paddedType.isDynamicDim(0))
          dynamic.push_back(rowsTotal);
        out = tensor::EmptyOp::create(b, loc, paddedType, dynamic);
      }
      Value result =
          emitTiles(b, loc, *m, packed, out, zero, blocks, TileShape{kRows, 1});
      // The rows below a whole tile, one row and several panels at a time.
      int64_t staticRows =
          cast<RankedTensorType>(m->lhs.getType()).getDimSize(0);
      if (ShapedType::isDynamic(staticRows) || staticRows % kRows != 0) {
        Value done = arith::MulIOp::create(b, loc, blocks, tileRows);
        Value rest = arith::SubIOp::create(b, loc, rowsTotal, done);
        result = emitTiles(b, loc, *m, packed, result, done, rest,
                           singleRowTile(m->paddedN / kPanel));
      }
      if (m->paddedN != m->n) {
        Slice2d slice(b, b.getIndexAttr(0), b.getIndexAttr(0),
                      tensor::getMixedSize(b, loc, m->init, 0),
                      b.getIndexAttr(m->n));
        result = tensor::ExtractSliceOp::create(b, loc, result, slice.offsets,
                                                slice.sizes, slice.strides);
      }
      op.getResult(0).replaceAllUsesWith(result);
      op.erase();
    }
  }
};

} // namespace
