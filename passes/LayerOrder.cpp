//===- LayerOrder.cpp - weight products in model order --------------------===//

#include "passes/LayerOrder.h"

#include "dialects/qc/IR/QcOps.h"
#include "passes/NodeNames.h"

#include "mlir/IR/Matchers.h"

#include <set>

using namespace mlir;
using namespace mlir::qc;

bool qc::isWeightProduct(Operation *op) {
  if (isa<QuantizedMatmulOp>(op))
    return true;
  Value weight = isa<MatmulOp>(op) ? cast<MatmulOp>(op).getRhs()
                 : isa<GemmOp>(op) ? cast<GemmOp>(op).getB()
                                   : Value();
  return weight && matchPattern(weight, m_Constant());
}

std::vector<FloatWeightProduct> qc::floatWeightProducts(Operation *func) {
  std::vector<FloatWeightProduct> out;
  func->walk([&](Operation *op) {
    FloatWeightProduct p{op, nullptr, nullptr, ""};
    if (auto mm = dyn_cast<MatmulOp>(op)) {
      p.weight = &mm.getRhsMutable();
      p.input = &mm.getLhsMutable();
      if (cast<RankedTensorType>(mm.getRhs().getType()).getRank() != 2)
        return;
    } else if (auto conv = dyn_cast<ConvOp>(op)) {
      p.weight = &conv.getWeightMutable();
      p.input = &conv.getInputMutable();
    } else {
      return;
    }
    auto type = cast<RankedTensorType>(p.weight->get().getType());
    if (!type.getElementType().isF32() || !type.hasStaticShape() ||
        !matchPattern(p.weight->get(), m_Constant()))
      return;
    p.name = nodeName(op->getLoc());
    if (p.name.empty())
      p.name =
          (isa<ConvOp>(op) ? "conv" : "matmul") + std::to_string(out.size());
    for (const FloatWeightProduct &q : out)
      if (!q.original && q.name == p.name && isCopyOf(q.op, op))
        p.original = q.op;
    out.push_back(std::move(p));
  });
  return out;
}

std::vector<std::vector<std::string>> qc::observedStages(ModuleOp module) {
  // Depth of a value = weight products on the longest path that computes
  // it. Post-order visits an op after the ops nested in it, so an op with
  // regions (a loop, a branch) takes the deepest value computed inside.
  // Walking in program order, every operand's producer comes first.
  llvm::DenseMap<Value, int64_t> depth;
  llvm::DenseMap<Operation *, int64_t> deepestInside;
  std::map<int64_t, std::set<std::string>> stages;
  module.walk<WalkOrder::PostOrder>([&](Operation *op) {
    int64_t d = 0;
    for (Value operand : op->getOperands())
      d = std::max(d, depth.lookup(operand));
    if (auto it = deepestInside.find(op); it != deepestInside.end())
      d = std::max(d, it->second);
    if (auto observe = dyn_cast<ObserveOp>(op)) {
      bool feedsProduct = llvm::any_of(observe->getUsers(), isWeightProduct);
      if (feedsProduct)
        stages[d].insert(observe.getName().str());
    }
    if (isWeightProduct(op))
      ++d;
    for (Value result : op->getResults())
      depth[result] = d;
    if (Operation *parent = op->getParentOp())
      deepestInside[parent] = std::max(deepestInside.lookup(parent), d);
  });
  std::vector<std::vector<std::string>> ordered;
  for (auto &[stage, names] : stages)
    ordered.emplace_back(names.begin(), names.end());
  return ordered;
}
