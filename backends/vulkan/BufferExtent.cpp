//===- BufferExtent.cpp - how far a strided buffer reaches ----------------===//

#include "backends/vulkan/BufferExtent.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;

Value mlir::qc::vulkan::reachedElements(OpBuilder &b, Location loc,
                                        memref::ExtractStridedMetadataOp meta) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value last = meta.getOffset();
  Value empty = arith::ConstantIntOp::create(b, loc, 0, 1);
  for (auto [size, stride] : llvm::zip(meta.getSizes(), meta.getStrides())) {
    Value span = arith::MulIOp::create(
        b, loc, arith::SubIOp::create(b, loc, size, one), stride);
    last = arith::AddIOp::create(b, loc, last, span);
    Value isEmpty =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, size, zero);
    empty = arith::OrIOp::create(b, loc, empty, isEmpty);
  }
  Value count = arith::AddIOp::create(b, loc, last, one);
  return arith::SelectOp::create(b, loc, empty, zero, count);
}
