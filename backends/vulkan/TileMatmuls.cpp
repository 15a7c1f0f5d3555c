//===- TileMatmuls.cpp - matmul kernels with workgroup-memory tiles -------===//
//
// The generic parallel-loop path gives a matmul one thread per output (or a
// 4 x 4 register block, qc-vulkan-block-registers) reading A and B from
// global memory on every step. This pass writes f32 `linalg.matmul`s on
// buffers directly as a `gpu.launch` in the classic tiled form (integer
// matmuls too: W8A8's i8 x i8 -> i32, staged widened to i32): a workgroup
// of 16 x 16 threads owns a 64 x 64 tile of C; per 16-wide slice of K the
// threads copy the A (64 x 16) and B (16 x 64) slices into workgroup memory
// (memref.alloc in memory space 3, which SPIR-V conversion makes Workgroup
// variables) between barriers, then each thread accumulates its 4 x 4 block
// of C in registers from workgroup memory. Loads and stores are guarded, so
// any shape works (ragged and dynamic sizes included).
//
//===----------------------------------------------------------------------===//

#include "backends/vulkan/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::qc::vulkan {
#define GEN_PASS_DEF_TILEMATMULS
#include "backends/vulkan/Passes.h.inc"
} // namespace mlir::qc::vulkan

using namespace mlir;

namespace {

constexpr int64_t kTile = 64;                // C tile per workgroup (square)
constexpr int64_t kSlice = 16;               // K per workgroup-memory slice
constexpr int64_t kThreads = 16;             // threads per workgroup dimension
constexpr int64_t kBlock = kTile / kThreads; // C block per thread (4)

/// f32 x f32 -> f32, or integers of up to 32 bits (i8 x i8 for W8A8)
/// accumulated in i32, on 2-d buffers with the default maps.
bool isTileable(linalg::MatmulOp op) {
  if (!op.hasPureBufferSemantics() || op.hasUserDefinedMaps())
    return false;
  SmallVector<Type> types;
  for (Value v : op->getOperands()) {
    auto type = dyn_cast<MemRefType>(v.getType());
    if (!type || type.getRank() != 2)
      return false;
    types.push_back(type.getElementType());
  }
  if (llvm::all_of(types, [](Type t) { return t.isF32(); }))
    return true;
  auto isInt = [](Type t) {
    return t.isSignlessInteger() && t.getIntOrFloatBitWidth() <= 32;
  };
  return isInt(types[0]) && isInt(types[1]) && types[2].isSignlessInteger(32);
}

struct Builder {
  OpBuilder &b;
  Location loc;
  Value c(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value lt(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
  }
  Value both(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  /// m[r, col] when (r, col) is inside (rows, cols), else 0, widened to
  /// `acc` (integers: sign- or zero-extended as the matmul casts).
  Value guardedLoad(Value m, Value r, Value col, Value rows, Value cols,
                    Type acc, bool isUnsigned) {
    Type element = cast<MemRefType>(m.getType()).getElementType();
    auto ifOp =
        scf::IfOp::create(b, loc, element, both(lt(r, rows), lt(col, cols)),
                          /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
      scf::YieldOp::create(
          b, loc,
          memref::LoadOp::create(b, loc, m, ValueRange{r, col}).getResult());
      b.setInsertionPointToStart(ifOp.elseBlock());
      scf::YieldOp::create(b, loc,
                           arith::ConstantOp::create(
                               b, loc, cast<TypedAttr>(b.getZeroAttr(element)))
                               .getResult());
    }
    Value v = ifOp.getResult(0);
    if (element == acc)
      return v;
    if (isUnsigned)
      return arith::ExtUIOp::create(b, loc, acc, v);
    return arith::ExtSIOp::create(b, loc, acc, v);
  }
  /// acc + x * y in the accumulator's arithmetic.
  Value multiplyAdd(Value acc, Value x, Value y) {
    if (isa<FloatType>(acc.getType()))
      return arith::AddFOp::create(b, loc, acc,
                                   arith::MulFOp::create(b, loc, x, y));
    return arith::AddIOp::create(b, loc, acc,
                                 arith::MulIOp::create(b, loc, x, y));
  }
};

void lower(linalg::MatmulOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Builder h{b, loc};
  Value a = op.getDpsInputs()[0], bm = op.getDpsInputs()[1];
  Value cm = op.getDpsInits()[0];
  Type acc = cast<MemRefType>(cm.getType()).getElementType();
  bool isUnsigned = op.getCast() == linalg::TypeFn::cast_unsigned;
  Value m = memref::DimOp::create(b, loc, a, 0);
  Value k = memref::DimOp::create(b, loc, a, 1);
  Value n = memref::DimOp::create(b, loc, bm, 1);
  auto ceilDiv = [&](Value x) {
    return arith::DivUIOp::create(b, loc, h.add(x, h.c(kTile - 1)), h.c(kTile));
  };
  Value one = h.c(1), threads = h.c(kThreads);
  auto launch = gpu::LaunchOp::create(b, loc, ceilDiv(n), ceilDiv(m), one,
                                      threads, threads, one);
  b.setInsertionPointToStart(&launch.getBody().front());
  Value tx = launch.getThreadIds().x, ty = launch.getThreadIds().y;
  Value n0 = h.mul(launch.getBlockIds().x, h.c(kTile));
  Value m0 = h.mul(launch.getBlockIds().y, h.c(kTile));
  Value tid = h.add(h.mul(ty, threads), tx);
  Attribute workgroup = b.getI64IntegerAttr(3);
  auto aTile = memref::AllocOp::create(
      b, loc, MemRefType::get({kTile, kSlice}, acc, AffineMap(), workgroup));
  auto bTile = memref::AllocOp::create(
      b, loc, MemRefType::get({kSlice, kTile}, acc, AffineMap(), workgroup));

  // This thread's 4 x 4 block of C: rows m0 + ty*4 + u, cols n0 + tx*4 + v.
  SmallVector<Value> rows, cols, inits;
  for (int64_t u = 0; u < kBlock; ++u)
    rows.push_back(h.add(m0, h.add(h.mul(ty, h.c(kBlock)), h.c(u))));
  for (int64_t v = 0; v < kBlock; ++v)
    cols.push_back(h.add(n0, h.add(h.mul(tx, h.c(kBlock)), h.c(v))));
  for (Value r : rows)
    for (Value col : cols)
      inits.push_back(h.guardedLoad(cm, r, col, m, n, acc, isUnsigned));

  auto slices = scf::ForOp::create(
      b, loc, h.c(0), k, h.c(kSlice), inits,
      [&](OpBuilder &fb, Location, Value k0, ValueRange accs) {
        Builder g{fb, loc};
        int64_t perThread = kTile * kSlice / (kThreads * kThreads);
        for (int64_t r = 0; r < perThread; ++r) {
          Value idx = g.add(tid, g.c(r * kThreads * kThreads));
          // A slice: 64 rows x 16 columns.
          Value ar = arith::DivUIOp::create(fb, loc, idx, g.c(kSlice));
          Value ac = arith::RemUIOp::create(fb, loc, idx, g.c(kSlice));
          Value av = g.guardedLoad(a, g.add(m0, ar), g.add(k0, ac), m, k, acc,
                                   isUnsigned);
          memref::StoreOp::create(fb, loc, av, aTile, ValueRange{ar, ac});
          // B slice: 16 rows x 64 columns.
          Value br = arith::DivUIOp::create(fb, loc, idx, g.c(kTile));
          Value bc = arith::RemUIOp::create(fb, loc, idx, g.c(kTile));
          Value bv = g.guardedLoad(bm, g.add(k0, br), g.add(n0, bc), k, n, acc,
                                   isUnsigned);
          memref::StoreOp::create(fb, loc, bv, bTile, ValueRange{br, bc});
        }
        gpu::BarrierOp::create(fb, loc);
        auto inner = scf::ForOp::create(
            fb, loc, g.c(0), g.c(kSlice), g.c(1), accs,
            [&](OpBuilder &ib, Location, Value kk, ValueRange partial) {
              Builder q{ib, loc};
              SmallVector<Value> as, bs, next;
              for (int64_t u = 0; u < kBlock; ++u)
                as.push_back(memref::LoadOp::create(
                    ib, loc, aTile,
                    ValueRange{q.add(q.mul(ty, q.c(kBlock)), q.c(u)), kk}));
              for (int64_t v = 0; v < kBlock; ++v)
                bs.push_back(memref::LoadOp::create(
                    ib, loc, bTile,
                    ValueRange{kk, q.add(q.mul(tx, q.c(kBlock)), q.c(v))}));
              for (int64_t u = 0; u < kBlock; ++u)
                for (int64_t v = 0; v < kBlock; ++v)
                  next.push_back(
                      q.multiplyAdd(partial[u * kBlock + v], as[u], bs[v]));
              scf::YieldOp::create(ib, loc, next);
            });
        gpu::BarrierOp::create(fb, loc);
        scf::YieldOp::create(fb, loc, inner.getResults());
      });

  for (int64_t u = 0; u < kBlock; ++u)
    for (int64_t v = 0; v < kBlock; ++v) {
      auto inside =
          scf::IfOp::create(b, loc, h.both(h.lt(rows[u], m), h.lt(cols[v], n)));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(inside.thenBlock());
      memref::StoreOp::create(b, loc, slices.getResult(u * kBlock + v), cm,
                              ValueRange{rows[u], cols[v]});
    }
  gpu::TerminatorOp::create(b, loc);
  op.erase();
}

struct TileMatmuls : qc::vulkan::impl::TileMatmulsBase<TileMatmuls> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::MatmulOp> matmuls;
    getOperation().walk([&](linalg::MatmulOp op) {
      if (isTileable(op))
        matmuls.push_back(op);
    });
    for (linalg::MatmulOp op : matmuls)
      lower(op);
  }
};

} // namespace
