//===- InsertObservers.cpp - qc.observe on quantizable inputs -------------===//

#include "passes/Passes.h"

#include "passes/NodeNames.h"

#include "dialects/qc/IR/QcOps.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::qc {
#define GEN_PASS_DEF_INSERTOBSERVERS
#include "passes/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {

bool isConstant(Value v) { return matchPattern(v, m_Constant()); }

/// Computed with a huge constant (a -3.4e38 mask fill): its range is not
/// the activation's.
bool isMaskLike(Value v) {
  Operation *def = v.getDefiningOp();
  if (!def)
    return false;
  bool huge = false;
  def->walk([&](arith::ConstantOp c) {
    if (auto f = dyn_cast<FloatAttr>(c.getValue()))
      huge |= std::fabs(f.getValueAsDouble()) >= 1e30;
    if (auto d = dyn_cast<DenseFPElementsAttr>(c.getValue()))
      if (d.isSplat())
        huge |= std::fabs(d.getSplatValue<APFloat>().convertToDouble()) >= 1e30;
  });
  return huge;
}

struct InsertObservers : qc::impl::InsertObserversBase<InsertObservers> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // Each name's holders: observers already there, and the consumers given
    // one here. A name is shared only among copies of one node
    // (qc::isCopyOf); an existing observer's name is never reused.
    llvm::StringMap<SmallVector<Operation *>> names;
    func.walk([&](ObserveOp op) { names[op.getName()].push_back(op); });

    // (consumer, operand index, role) in program order.
    struct Use {
      Operation *op;
      unsigned index;
      StringRef role;
    };
    SmallVector<Use> uses;
    func.walk([&](Operation *op) {
      SmallVector<unsigned> data;
      if (isa<MatmulOp, GemmOp, ConvOp>(op))
        data = {0, 1};
      else
        return;
      SmallVector<unsigned> live;
      for (unsigned i : data)
        if (!isConstant(op->getOperand(i)))
          live.push_back(i);
      if (live.size() == 2 && !activationProducts)
        return;
      for (unsigned i : live)
        uses.push_back(
            {op, i, live.size() == 2 ? (i ? "rhs" : "lhs") : "input"});
    });

    OpBuilder b(&getContext());
    llvm::DenseMap<Value, Value> observed;
    for (const Use &u : uses) {
      Value v = u.op->getOperand(u.index);
      if (v.getDefiningOp<ObserveOp>() || isMaskLike(v))
        continue;
      auto it = observed.find(v);
      if (it == observed.end()) {
        std::string base = nodeName(u.op->getLoc());
        if (base.empty())
          base = u.op->getName().getStringRef().str();
        std::string name = base + "." + u.role.str();
        SmallVector<Operation *> &holders = names[name];
        if (!llvm::all_of(holders,
                          [&](Operation *h) { return isCopyOf(h, u.op); })) {
          u.op->emitOpError("observer name '") << name << "' is already used";
          return signalPassFailure();
        }
        holders.push_back(u.op);
        if (Operation *def = v.getDefiningOp())
          b.setInsertionPointAfter(def);
        else
          b.setInsertionPointToStart(cast<BlockArgument>(v).getOwner());
        Value obs = ObserveOp::create(b, v.getLoc(), v, b.getStringAttr(name),
                                      /*range=*/nullptr);
        it = observed.insert({v, obs}).first;
      }
      u.op->setOperand(u.index, it->second);
    }
  }
};

} // namespace
