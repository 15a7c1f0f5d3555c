//===- LinearizeAccesses.cpp - dynamic N-d buffers as 1-d in kernels ------===//
//
// SPIR-V addresses a buffer as one array; MemRefToSPIRV linearizes an N-d
// index with the memref's strides, which must be static. A row-major buffer
// with a dynamic inner size (memref<1x?x64xf32> has strides [?, 64, 1]),
// or a slice with a dynamic offset, therefore failed to legalize in every
// dynamically shaped model. Upstream `flatten-memref` mis-sizes dynamic
// allocations (MLIR 22), so this pass does the one thing needed: for each
// loop access to such a buffer, it takes the buffer's strided metadata where
// the buffer is defined, views its base as 1-d there
// (`memref.reinterpret_cast`, host code), and computes the linear index
// offset + sum(i_d * stride_d) at the access; offset and strides reach the
// kernel as scalar arguments.
//
//===----------------------------------------------------------------------===//

#include "backends/vulkan/BufferExtent.h"
#include "backends/vulkan/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::qc::vulkan {
#define GEN_PASS_DEF_LINEARIZEACCESSES
#include "backends/vulkan/Passes.h.inc"
} // namespace mlir::qc::vulkan

using namespace mlir;

namespace {

/// A strided buffer whose strides or offset are not all static.
bool needsLinearizing(MemRefType type) {
  if (type.getRank() == 0)
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return false;
  return ShapedType::isDynamic(offset) ||
         llvm::any_of(strides, ShapedType::isDynamic);
}

struct Flat {
  Value buffer;               // memref<?xT> from the base address
  Value offset;               // index
  SmallVector<Value> strides; // index, one per dimension
};

struct LinearizeAccesses
    : qc::vulkan::impl::LinearizeAccessesBase<LinearizeAccesses> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    llvm::DenseMap<Value, Flat> flats;
    auto flatOf = [&](Value memref) -> Flat & {
      auto it = flats.find(memref);
      if (it != flats.end())
        return it->second;
      OpBuilder b(&getContext());
      if (Operation *def = memref.getDefiningOp())
        b.setInsertionPointAfter(def);
      else
        b.setInsertionPointToStart(cast<BlockArgument>(memref).getOwner());
      Location loc = memref.getLoc();
      auto type = cast<MemRefType>(memref.getType());
      auto meta = memref::ExtractStridedMetadataOp::create(b, loc, memref);
      Flat flat;
      flat.offset = meta.getOffset();
      flat.strides.assign(meta.getStrides().begin(), meta.getStrides().end());
      // The view reaches one past the last element addressed.
      Value extent = qc::vulkan::reachedElements(b, loc, meta);
      auto flatType =
          MemRefType::get({ShapedType::kDynamic}, type.getElementType(),
                          AffineMap(), type.getMemorySpace());
      flat.buffer = memref::ReinterpretCastOp::create(
          b, loc, flatType, meta.getBaseBuffer(), b.getIndexAttr(0),
          ArrayRef<OpFoldResult>{extent},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
      return flats[memref] = flat;
    };
    auto linear = [&](OpBuilder &b, Location loc, Flat &flat,
                      ValueRange indices) {
      Value index = flat.offset;
      for (size_t d = 0; d < indices.size(); ++d)
        index = arith::AddIOp::create(
            b, loc, index,
            arith::MulIOp::create(b, loc, indices[d], flat.strides[d]));
      return index;
    };

    func.walk([&](Operation *op) {
      // Host code (directly in the function) keeps N-d accesses; anything
      // in a loop becomes a kernel.
      if (isa<func::FuncOp>(op->getParentOp()))
        return;
      if (auto load = dyn_cast<memref::LoadOp>(op)) {
        if (!needsLinearizing(load.getMemRefType()))
          return;
        Flat &flat = flatOf(load.getMemRef());
        OpBuilder b(load);
        Value index = linear(b, load.getLoc(), flat, load.getIndices());
        Value v = memref::LoadOp::create(b, load.getLoc(), flat.buffer,
                                         ValueRange{index});
        load.replaceAllUsesWith(v);
        load.erase();
      } else if (auto store = dyn_cast<memref::StoreOp>(op)) {
        if (!needsLinearizing(store.getMemRefType()))
          return;
        Flat &flat = flatOf(store.getMemRef());
        OpBuilder b(store);
        Value index = linear(b, store.getLoc(), flat, store.getIndices());
        memref::StoreOp::create(b, store.getLoc(), store.getValueToStore(),
                                flat.buffer, ValueRange{index});
        store.erase();
      }
    });
  }
};

} // namespace
