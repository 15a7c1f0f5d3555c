//===- BlockRegisters.cpp - register blocks for reductions (unroll-and-jam)
//===//
//
// After qc-vulkan-hoist-accumulators a contraction reads as
//   scf.parallel (i, j) { c = load C[i, j]
//                         r = scf.for k iter_args(acc = c) { A[i,k] * B[k,j] }
//                         store r, C[i, j] }
// one output per thread, two loads per multiply-add. This pass gives each
// thread an f0 x f1 block of outputs instead (factors 4 or 2 of the two
// innermost parallel dimensions, where their static extents divide): the
// parallel loop steps by the factors, its body is cloned once per element
// of the block, and the reduction loops of the clones are jammed into one
// loop carrying all the accumulators. CSE later shares the loads the
// clones have in common (A[i+u, k] across the row, B[k, j+v] across the
// column): 4x4 blocks load 8 values per 16 multiply-adds.
//
//===----------------------------------------------------------------------===//

#include "backends/vulkan/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::qc::vulkan {
#define GEN_PASS_DEF_BLOCKREGISTERS
#include "backends/vulkan/Passes.h.inc"
} // namespace mlir::qc::vulkan

using namespace mlir;

namespace {

/// The body's reduction loop, when the body is: pure ops and loads, one
/// scf.for carrying values, pure ops and stores.
scf::ForOp blockable(scf::ParallelOp loop) {
  if (!loop.getInitVals().empty())
    return nullptr;
  scf::ForOp reduction;
  for (Operation &op : loop.getBody()->without_terminator()) {
    if (auto f = dyn_cast<scf::ForOp>(op)) {
      if (reduction || f.getInitArgs().empty())
        return nullptr;
      for (Value v : {f.getLowerBound(), f.getUpperBound(), f.getStep()})
        if (!loop.isDefinedOutsideOfLoop(v))
          return nullptr;
      reduction = f;
      continue;
    }
    if (!isPure(&op) && !isa<memref::LoadOp, memref::StoreOp>(op))
      return nullptr;
  }
  return reduction;
}

/// 4 or 2 when it divides the dimension's static trip count, else 1.
int64_t factorFor(scf::ParallelOp loop, unsigned d, int64_t most) {
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound()[d]);
  std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound()[d]);
  std::optional<int64_t> step = getConstantIntValue(loop.getStep()[d]);
  if (!lb || !ub || !step || *step != 1)
    return 1;
  int64_t n = *ub - *lb;
  for (int64_t f = most; f > 1; f /= 2)
    if (n % f == 0 && n >= 2 * f)
      return f;
  return 1;
}

void block(scf::ParallelOp loop, scf::ForOp reduction, int64_t most) {
  unsigned rank = loop.getNumLoops();
  SmallVector<int64_t> factors(rank, 1);
  for (unsigned k = 0; k < std::min(rank, 2u); ++k)
    factors[rank - 1 - k] = factorFor(loop, rank - 1 - k, most);
  int64_t copies = 1;
  for (int64_t f : factors)
    copies *= f;
  if (copies == 1)
    return;

  OpBuilder b(loop);
  Location loc = loop.getLoc();
  SmallVector<Value> steps;
  for (unsigned d = 0; d < rank; ++d)
    steps.push_back(
        factors[d] == 1
            ? loop.getStep()[d]
            : arith::ConstantIndexOp::create(b, loc, factors[d]).getResult());
  auto blocked = scf::ParallelOp::create(b, loc, loop.getLowerBound(),
                                         loop.getUpperBound(), steps);
  b.setInsertionPointToStart(blocked.getBody());

  // One mapping per element of the block: ivs offset by its position.
  SmallVector<IRMapping> maps(copies);
  for (int64_t c = 0; c < copies; ++c) {
    int64_t rest = c;
    for (unsigned d = rank; d-- > 0;) {
      int64_t u = rest % factors[d];
      rest /= factors[d];
      Value iv = blocked.getInductionVars()[d];
      if (u)
        iv = arith::AddIOp::create(b, loc, iv,
                                   arith::ConstantIndexOp::create(b, loc, u));
      maps[c].map(loop.getInductionVars()[d], iv);
    }
  }
  auto cloneRange = [&](Block::iterator begin, Block::iterator end) {
    for (int64_t c = 0; c < copies; ++c)
      for (Operation &op : llvm::make_range(begin, end))
        b.clone(op, maps[c]);
  };
  Block *body = loop.getBody();
  cloneRange(body->begin(), Block::iterator(reduction));

  // The jammed reduction: every copy's accumulators in one loop.
  unsigned carried = reduction.getInitArgs().size();
  SmallVector<Value> inits;
  for (int64_t c = 0; c < copies; ++c)
    for (Value v : reduction.getInitArgs())
      inits.push_back(maps[c].lookupOrDefault(v));
  auto jammed = scf::ForOp::create(
      b, loc, reduction.getLowerBound(), reduction.getUpperBound(),
      reduction.getStep(), inits,
      [&](OpBuilder &fb, Location, Value iv, ValueRange args) {
        SmallVector<Value> yields;
        for (int64_t c = 0; c < copies; ++c) {
          IRMapping inner = maps[c];
          inner.map(reduction.getInductionVar(), iv);
          for (unsigned a = 0; a < carried; ++a)
            inner.map(reduction.getRegionIterArgs()[a], args[c * carried + a]);
          for (Operation &op : reduction.getBody()->without_terminator())
            fb.clone(op, inner);
          for (Value y : reduction.getBody()->getTerminator()->getOperands())
            yields.push_back(inner.lookupOrDefault(y));
        }
        scf::YieldOp::create(fb, loc, yields);
      });
  for (int64_t c = 0; c < copies; ++c)
    for (unsigned a = 0; a < carried; ++a)
      maps[c].map(reduction.getResult(a), jammed.getResult(c * carried + a));
  b.setInsertionPointAfter(jammed);
  cloneRange(std::next(Block::iterator(reduction)),
             Block::iterator(body->getTerminator()));
  loop.erase();
}

struct BlockRegisters : qc::vulkan::impl::BlockRegistersBase<BlockRegisters> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<std::pair<scf::ParallelOp, scf::ForOp>> work;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (scf::ForOp reduction = blockable(loop))
        work.push_back({loop, reduction});
    });
    for (auto [loop, reduction] : work)
      block(loop, reduction, factor);
  }
};

} // namespace
