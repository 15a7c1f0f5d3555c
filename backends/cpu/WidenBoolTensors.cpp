//===- WidenBoolTensors.cpp - i1 tensors stored as bytes ------------------===//
//
// A materialized tensor<...xi1> is a byte per element in memory, but LLVM
// reads a vector<8xi1> as eight single-byte loads assembled bit by bit into
// a mask register (stories260k's causal mask: a quarter of its forward).
// Stored as i8 and truncated in the reader's body, the same values load as
// one vector and convert in one instruction.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::qc::cpu {
#define GEN_PASS_DEF_WIDENBOOLTENSORS
#include "backends/cpu/Passes.h.inc"
} // namespace mlir::qc::cpu

using namespace mlir;

namespace {

bool isBoolTensor(Type t) {
  auto tensor = dyn_cast<RankedTensorType>(t);
  return tensor && tensor.getElementType().isInteger(1);
}

Type withElement(Type t, Type element) {
  return cast<RankedTensorType>(t).clone(element);
}

/// Element-type-agnostic views an i1 tensor may pass through on its way to
/// its readers.
bool isView(Operation *op) {
  return isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp,
             tensor::ExtractSliceOp, tensor::CastOp>(op);
}

/// Collects what widening `root` touches: the views and the reader operands
/// (inputs of linalg.generics). False if some use is anything else (a
/// function result, a non-generic op, an init), which keeps it i1.
bool collectUses(Value root, SmallVectorImpl<Operation *> &views,
                 SmallVectorImpl<OpOperand *> &reads) {
  for (OpOperand &use : root.getUses()) {
    Operation *user = use.getOwner();
    if (isView(user) && use.getOperandNumber() == 0) {
      views.push_back(user);
      if (!collectUses(user->getResult(0), views, reads))
        return false;
      continue;
    }
    auto generic = dyn_cast<linalg::GenericOp>(user);
    if (!generic || !generic.isDpsInput(&use))
      return false;
    reads.push_back(&use);
  }
  return true;
}

/// Rewrites result `index` of `producer` (its init a tensor.empty whose
/// block argument the body does not read) to i8 when all its uses allow.
bool widen(linalg::GenericOp producer, unsigned index) {
  Value result = producer.getResult(index);
  OpOperand *init = producer.getDpsInitOperand(index);
  auto empty = init->get().getDefiningOp<tensor::EmptyOp>();
  BlockArgument out = producer.getMatchingBlockArgument(init);
  if (!empty || !out.use_empty() || result.use_empty())
    return false;
  SmallVector<Operation *> views;
  SmallVector<OpOperand *> reads;
  if (!collectUses(result, views, reads))
    return false;

  MLIRContext *ctx = producer.getContext();
  Type i8 = IntegerType::get(ctx, 8);
  OpBuilder b(producer);
  auto wideEmpty = tensor::EmptyOp::create(b, empty.getLoc(),
                                           withElement(empty.getType(), i8),
                                           empty.getDynamicSizes());
  init->set(wideEmpty);
  out.setType(i8);
  result.setType(withElement(result.getType(), i8));
  auto yield = cast<linalg::YieldOp>(producer.getBody()->getTerminator());
  b.setInsertionPoint(yield);
  Value yielded = yield.getOperand(index);
  yield.setOperand(index,
                   arith::ExtUIOp::create(b, yield.getLoc(), i8, yielded));
  for (Operation *view : views)
    view->getResult(0).setType(withElement(view->getResult(0).getType(), i8));
  for (OpOperand *read : reads) {
    auto reader = cast<linalg::GenericOp>(read->getOwner());
    BlockArgument arg = reader.getMatchingBlockArgument(read);
    arg.setType(i8);
    OpBuilder rb = OpBuilder::atBlockBegin(reader.getBody());
    auto bit = arith::TruncIOp::create(rb, reader.getLoc(),
                                       IntegerType::get(ctx, 1), arg);
    arg.replaceAllUsesExcept(bit, bit);
  }
  if (empty.use_empty())
    empty.erase();
  return true;
}

struct WidenBoolTensorsPass
    : qc::cpu::impl::WidenBoolTensorsBase<WidenBoolTensorsPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> producers;
    getOperation().walk([&](linalg::GenericOp op) {
      if (llvm::any_of(op->getResultTypes(), isBoolTensor))
        producers.push_back(op);
    });
    for (linalg::GenericOp op : producers)
      for (unsigned i = 0; i < op->getNumResults(); ++i)
        if (isBoolTensor(op->getResult(i).getType()))
          widen(op, i);
  }
};

} // namespace
