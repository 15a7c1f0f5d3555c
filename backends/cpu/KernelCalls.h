//===- KernelCalls.h - calls to the runtime's microkernels ------*- C++ -*-===//
//
// What qc-cpu-int8-matmuls and qc-cpu-pack-matmuls share: the external
// declaration of a microkernel (its memref arguments reach the runtime as
// pointers to descriptors, through the artifact's `quantc_ukernels` table;
// backends/common/EmitSharedLibrary.cpp), tensors handed over as read-only
// buffers, and the parallel loop over output tiles that calls it.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_BACKENDS_CPU_KERNELCALLS_H
#define QUANTC_BACKENDS_CPU_KERNELCALLS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/DenseMap.h"

namespace mlir::qc::cpu {

/// The output tiles a kernel call computes (and threads share).
struct OutputTile {
  int64_t rows, columns;
};

/// A 1-D constant of `values`, a resource blob (the weights are the bulk of
/// the artifact and are never printed).
template <typename T>
Value blobConstant(OpBuilder &b, Location loc, StringRef name,
                   ArrayRef<T> values, Type elementType) {
  auto type =
      RankedTensorType::get({static_cast<int64_t>(values.size())}, elementType);
  auto attr = DenseResourceElementsAttr::get(
      type, name, HeapAsmResourceBlob::allocateAndCopyInferAlign(values));
  return arith::ConstantOp::create(b, loc, type, attr).getResult();
}

/// The packed form of a constant `weight`: built by `pack(b)` right after
/// the weight the first time (so that every product of it can use it) and
/// kept in `cache`; null when packing fails.
template <typename Packed, typename PackFn>
Packed *packOnce(OpBuilder &b, Value weight,
                 llvm::DenseMap<Value, Packed> &cache, PackFn pack) {
  auto it = cache.find(weight);
  if (it == cache.end()) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointAfterValue(weight);
    FailureOr<Packed> fresh = pack(b);
    if (failed(fresh))
      return nullptr;
    it = cache.try_emplace(weight, std::move(*fresh)).first;
  }
  return &it->second;
}

/// What the kernel-call passes do with the products of a module: every
/// `OpTy` for which `matches(op)` holds is rewritten by
/// `rewrite(rewriter, op, kernel, packed)`, where `kernel` is
/// `declare(module)` (declared only when some product matches) and
/// `packed` caches each weight's packed form across products. Fails when
/// a rewrite does.
template <typename OpTy, typename Packed, typename Match, typename Declare,
          typename Rewrite>
LogicalResult rewriteMatchingProducts(ModuleOp module, Match matches,
                                      Declare declare, Rewrite rewrite) {
  SmallVector<OpTy> products;
  module.walk([&](OpTy op) {
    if (matches(op))
      products.push_back(op);
  });
  if (products.empty())
    return success();
  func::FuncOp kernel = declare(module);
  IRRewriter rewriter(module.getContext());
  llvm::DenseMap<Value, Packed> packed;
  for (OpTy op : products)
    if (failed(rewrite(rewriter, op, kernel, packed)))
      return failure();
  return success();
}

/// `func.func private @name(args)` with a C interface, declared once.
func::FuncOp declareKernel(ModuleOp module, StringRef name,
                           ArrayRef<Type> args);

/// A `tensor<0xelement>` constant: an operand a kernel call does not use.
Value emptyConstant(OpBuilder &b, Location loc, Type element);

/// `v` (a ranked tensor) as a read-only buffer, cast to `argType` (a memref
/// type with the same element type and rank, dynamic sizes).
Value asReadOnlyBuffer(OpBuilder &b, Location loc, Value v, Type argType);

/// One `scf.forall` over the `tile`s of a `[rows, columns]` output (rows a
/// run-time index, columns static), linearized so that the thread lowering
/// (one parallel dimension) spreads both; `body` emits the call for rows
/// [m0, m1) and columns [n0, n1).
void forEachOutputTile(
    OpBuilder &b, Location loc, Value rows, int64_t columns, OutputTile tile,
    function_ref<void(OpBuilder &, Value m0, Value m1, Value n0, Value n1)>
        body);

/// The [rows, n] f32 product of `kernel` over the rows of `rows2d` (a
/// tensor [R, K]): allocates the output buffer and calls
/// `kernel(leading..., out, trailing..., m0, m1, n0, n1)` once per `tile`
/// in one parallel loop; returns the output as a tensor.
Value callPerOutputTile(OpBuilder &b, Location loc, func::FuncOp kernel,
                        ValueRange leading, Value rows2d, int64_t n,
                        ValueRange trailing, OutputTile tile);

} // namespace mlir::qc::cpu

#endif // QUANTC_BACKENDS_CPU_KERNELCALLS_H
